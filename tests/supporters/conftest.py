from __future__ import annotations

import pytest

from hashrally.campaigns.models import Campaign
from tests.supporters.fakes import SLUG


@pytest.fixture
def campaign(campaigns: list[str]) -> Campaign:
    return Campaign.objects.get(slug=SLUG)
