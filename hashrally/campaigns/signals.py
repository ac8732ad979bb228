"""Hooks through which the parts built on campaigns add to the campaign page.

The campaign page shows supporters' counts and counts share clicks, but campaigns sits below
supporters in the flow: instead of importing supporters, the page asks whoever listens.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent with `campaign` while the page is rendered; each receiver returns a dict of template
# context (supporters: counts, progress, the table by country).
page_context = Signal()

# Sent with `campaign` and `network` when a person is sent to a network's own composer.
share_clicked = Signal()


def page_context_for(campaign: object) -> dict[str, object]:
    context: dict[str, object] = {}
    for _receiver, extra in page_context.send(sender=type(campaign), campaign=campaign):
        if isinstance(extra, dict):
            context.update(extra)
    return context
