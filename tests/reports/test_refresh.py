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
    refresh.refresh_supporters([child.pk])  # the initiative and its umbrella
    first = {e.campaign_id: e.supporters_at for e in ReportExtras.objects.all()}
    assert set(first) == {child.pk, child.parent_id}
    refresh.refresh_supporters([child.pk])  # a join meanwhile: both cooling, both kept due
    assert {e.campaign_id: e.supporters_at for e in ReportExtras.objects.all()} == first
    clock[0] += 30.0
    refresh.refresh_supporters([])  # no new join: what was due is done now
    later = {e.campaign_id: e.supporters_at for e in ReportExtras.objects.all()}
    assert all(str(later[pk]) > str(first[pk]) for pk in first)
