"""The worker's supporters' sections: a long one waits its cool-down, and what was due is done
when it ends, without another join to ask for it."""

from __future__ import annotations

from typing import Any

import pytest

from hashrally.campaigns.models import Campaign
from hashrally.reports import refresh
from hashrally.reports.models import ReportExtras
from tests.fakes import one_second_each

pytestmark = pytest.mark.django_db


def test_a_long_section_waits_and_is_done_when_its_cool_down_ends(
    campaigns: list[str], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = one_second_each(settings, monkeypatch, refresh, "supporters_section")
    refresh._due.clear()
    refresh.cooling.clear()
    child = Campaign.objects.get(slug="recognize-to-reconcile")
    refresh.refresh_supporters([child.pk])  # the initiative and its umbrella: one, then a wait
    first = {e.campaign_id: e.supporters_at for e in ReportExtras.objects.all()}
    assert len(first) == 1
    refresh.refresh_supporters([child.pk])  # a join meanwhile: still waiting, both kept due
    assert {e.campaign_id: e.supporters_at for e in ReportExtras.objects.all()} == first
    clock[0] += 19.0  # 1 s of work at a 5% share: 19 s of wait
    refresh.refresh_supporters([])  # no new join: the other is done now
    both = {e.campaign_id: e.supporters_at for e in ReportExtras.objects.all()}
    assert set(both) == {child.pk, child.parent_id}
    clock[0] += 19.0
    refresh.refresh_supporters([])  # and the first again: its join came after its section
    later = {e.campaign_id: e.supporters_at for e in ReportExtras.objects.all()}
    assert all(str(later[pk]) > str(first[pk]) for pk in first)


def test_all_sections_together_take_the_share_and_none_is_left_behind(
    campaigns: list[str], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = one_second_each(settings, monkeypatch, refresh, "supporters_section")
    timed = refresh.supporters_section
    runs: list[int] = []

    def counted(campaign: Campaign) -> Any:
        runs.append(campaign.pk)
        return timed(campaign)

    monkeypatch.setattr(refresh, "supporters_section", counted)
    refresh._due.clear()
    refresh.cooling.clear()
    child = Campaign.objects.get(slug="recognize-to-reconcile")
    started = clock[0]
    for _round in range(200):  # a worker round every 3 s, a join in each: 10 minutes
        refresh.refresh_supporters([child.pk])
        clock[0] += 3.0
    elapsed = clock[0] - started
    # Each run took one second of the clock: all of them together at most 5% of the time
    # (one run may end the last wait early).
    assert len(runs) <= 0.05 * elapsed + 1
    # Both the initiative and its umbrella were kept current, taking turns.
    assert runs.count(child.pk) >= len(runs) // 2 - 1
    assert child.parent_id is not None
    assert runs.count(child.parent_id) >= len(runs) // 2 - 1
