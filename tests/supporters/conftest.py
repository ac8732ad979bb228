from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from hashrally.campaigns.models import Campaign
from tests.fakes import free_port
from tests.supporters.fakes import SLUG, Inbox


@pytest.fixture
def campaign(campaigns: list[str]) -> Campaign:
    return Campaign.objects.get(slug=SLUG)


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp_settings(settings: Any, smtp_port: int) -> Any:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    settings.SITE_URL = "http://campaign.test"
    return settings


@pytest.fixture
def inbox(smtp_settings: Any, smtp_port: int) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    yield inbox
    controller.stop()
