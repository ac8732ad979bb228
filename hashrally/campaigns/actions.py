"""Writes to campaigns. Loading a file is an idempotent upsert keyed by natural keys."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from django.db import models, transaction

from hashrally.campaigns import moment
from hashrally.campaigns.campaignfile import CampaignSpec, LoadedFile
from hashrally.campaigns.models import Campaign


def _sync_rows(
    manager: Any, key_fields: Sequence[str], wanted: Sequence[dict[str, Any]]
) -> tuple[bool, dict[Hashable, models.Model]]:
    """Make a related set hold exactly `wanted`, touching only rows that differ.

    Rows are matched on `key_fields`, so a reload keeps their ids and an unchanged file writes
    nothing at all.
    """
    existing = {tuple(getattr(row, f) for f in key_fields): row for row in manager.all()}
    rows: dict[Hashable, models.Model] = {}
    changed = False
    for values in wanted:
        key = tuple(values[f] for f in key_fields)
        row = existing.pop(key, None)
        if row is None:
            row = manager.create(**values)
            changed = True
        elif any(getattr(row, f) != v for f, v in values.items()):
            for field, value in values.items():
                setattr(row, field, value)
            row.save()
            changed = True
        rows[key] = row
    for row in existing.values():
        row.delete()
        changed = True
    return changed, rows


def _campaign_fields(spec: CampaignSpec, parent: Campaign | None) -> dict[str, Any]:
    return {
        "status": spec.status,
        "starts_on": spec.starts_on,
        "ends_on": spec.ends_on,
        "parent": parent,
        "default_language": spec.default_language,
        "hashtags": list(spec.hashtags),
        "goal": spec.goal,
        "proof_of_work": spec.proof_of_work,
        "data_controller": spec.privacy.controller,
        "privacy_contact": spec.privacy.contact,
        "retention_days": spec.privacy.retention_days,
        "listening": spec.listening.model_dump(mode="json", exclude_defaults=True),
        "moment_at": moment.to_utc(spec.moment.at, spec.moment.time_zone) if spec.moment else None,
        "moment_time_zone": spec.moment.time_zone if spec.moment else "",
    }


def do_save_campaign_spec(spec: CampaignSpec) -> str:
    """Create or update one campaign from its spec; return "created", "updated" or "unchanged"."""
    with transaction.atomic():
        parent = Campaign.objects.get(slug=spec.parent) if spec.parent else None
        fields = _campaign_fields(spec, parent)
        campaign = Campaign.objects.select_for_update().filter(slug=spec.slug).first()
        if campaign is None:
            campaign = Campaign.objects.create(slug=spec.slug, **fields)
            outcome = "created"
        else:
            outcome = "unchanged"
            if any(getattr(campaign, f) != v for f, v in fields.items()):
                for field, value in fields.items():
                    setattr(campaign, field, value)
                outcome = "updated"

        changes = [
            _sync_rows(
                campaign.texts,
                ["language"],
                [
                    {
                        "language": language,
                        "title": text.title,
                        "summary": text.summary,
                        "body": text.body,
                        "steps": list(text.steps),
                        "needs_review": text.needs_review,
                    }
                    for language, text in spec.texts.items()
                ],
            )[0],
            _sync_rows(
                campaign.variants,
                ["language", "position"],
                [
                    {"language": language, "position": position, "text": variant}
                    for language, text in spec.texts.items()
                    for position, variant in enumerate(text.variants)
                ],
            )[0],
            _sync_rows(
                campaign.endorsements,
                ["position"],
                [
                    {"position": position, **endorsement.model_dump()}
                    for position, endorsement in enumerate(spec.endorsements)
                ],
            )[0],
        ]
        targets_changed, targets = _sync_rows(
            campaign.targets,
            ["position"],
            [
                {"position": position, "name": t.name, "role": t.role, "photo": t.photo}
                for position, t in enumerate(spec.targets)
            ],
        )
        changes.append(targets_changed)
        for position, target_spec in enumerate(spec.targets):
            target: Any = targets[(position,)]
            accounts = target_spec.accounts.as_dict()
            changes.append(
                _sync_rows(
                    target.accounts,
                    ["network"],
                    [{"network": n, "handle": h} for n, h in accounts.items()],
                )[0]
            )
            changes.append(
                _sync_rows(
                    target.texts,
                    ["language"],
                    [
                        {"language": language, "name": t.name, "role": t.role}
                        for language, t in target_spec.texts.items()
                    ],
                )[0]
            )
            changes.append(
                _sync_rows(
                    target.posts,
                    ["position"],
                    [
                        {"position": i, "network": p.network, "url": p.url}
                        for i, p in enumerate(target_spec.posts)
                    ],
                )[0]
            )
            changes.append(
                _sync_rows(
                    target.responses,
                    ["date", "summary"],
                    [
                        {"date": r.date, "summary": r.summary, "url": r.url}
                        for r in target_spec.responses
                    ],
                )[0]
            )
        if outcome == "unchanged" and any(changes):
            outcome = "updated"
        if outcome == "updated":
            campaign.save()
        return outcome


def _parents_first(files: Sequence[LoadedFile]) -> list[LoadedFile]:
    by_slug = {f.spec.slug: f for f in files}
    ordered: list[LoadedFile] = []
    placed: set[str] = set()

    def place(item: LoadedFile, trail: tuple[str, ...]) -> None:
        slug = item.spec.slug
        if slug in placed or slug in trail:
            return
        parent = item.spec.parent
        if parent in by_slug:
            place(by_slug[parent], (*trail, slug))
        placed.add(slug)
        ordered.append(item)

    for item in files:
        place(item, ())
    return ordered


def do_load_campaign_files(files: Sequence[LoadedFile]) -> list[tuple[str, str]]:
    """Save checked campaign files, all or none, parents before children."""
    with transaction.atomic():
        return [(f.spec.slug, do_save_campaign_spec(f.spec)) for f in _parents_first(files)]
