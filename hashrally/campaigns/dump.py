"""Write a stored campaign back as a campaign file that loads to the same campaign."""

from __future__ import annotations

from typing import Any

import tomli_w

from hashrally.campaigns import moment
from hashrally.campaigns.campaignfile import CampaignSpec
from hashrally.campaigns.models import Campaign


def campaign_spec(campaign: Campaign) -> CampaignSpec:
    variants: dict[str, list[str]] = {}
    for variant in campaign.variants.order_by("language", "position"):
        variants.setdefault(variant.language, []).append(variant.text)
    data: dict[str, Any] = {
        "slug": campaign.slug,
        "status": campaign.status,
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "parent": campaign.parent.slug if campaign.parent else None,
        "default_language": campaign.default_language,
        "hashtags": list(campaign.hashtags),
        "goal": campaign.goal,
        "proof_of_work": campaign.proof_of_work,
        "privacy": {
            "controller": campaign.data_controller,
            "contact": campaign.privacy_contact,
            "retention_days": campaign.retention_days,
        },
        "listening": campaign.listening,
        "moment": {
            "at": moment.local(campaign.moment_at, campaign.moment_time_zone),
            "time_zone": campaign.moment_time_zone,
        }
        if campaign.moment_at
        else None,
        "texts": {
            text.language: {
                "title": text.title,
                "summary": text.summary,
                "body": text.body,
                "steps": list(text.steps),
                "variants": variants.get(text.language, []),
                "needs_review": text.needs_review,
            }
            for text in campaign.texts.all()
        },
        "targets": [
            {
                "name": target.name,
                "role": target.role,
                "texts": {t.language: {"name": t.name, "role": t.role} for t in target.texts.all()},
                "photo": target.photo,
                "accounts": {a.network: a.handle for a in target.accounts.all()},
                "posts": [{"network": p.network, "url": p.url} for p in target.posts.all()],
                "responses": [
                    {"date": r.date, "summary": r.summary, "url": r.url}
                    # Oldest first, as a log is written.
                    for r in sorted(target.responses.all(), key=lambda r: (r.date, r.pk))
                ],
            }
            for target in campaign.targets.prefetch_related(
                "accounts", "posts", "texts", "responses"
            )
        ],
        "endorsements": [
            {
                "name": e.name,
                "organisation": e.organisation,
                "role": e.role,
                "quote": e.quote,
                "date": e.date,
                "event": e.event,
                "link": e.link,
            }
            for e in campaign.endorsements.all()
        ],
    }
    return CampaignSpec.model_validate(data)


def _prune(value: Any) -> Any:
    """Leave out what equals its default, so a dump reads like a hand-written file."""
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", [], {}, False)}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def dump_campaign(campaign: Campaign) -> str:
    data = _prune(campaign_spec(campaign).model_dump(mode="python"))
    # Keys first, then tables, so the file reads top-down like the example campaigns.
    tables = ("privacy", "moment", "listening", "texts", "targets", "endorsements")
    ordered = {k: data[k] for k in data if k not in tables}
    for key in tables:
        if key in data:
            ordered[key] = data[key]
    return tomli_w.dumps(ordered, multiline_strings=True)
