from __future__ import annotations

import pytest
from django.test import Client

from tests.listening.fakes import FIXTURES, run_import

pytestmark = pytest.mark.django_db


def test_it_shows_runs_and_posts_to_organisers(admin_client: Client, campaigns: list[str]) -> None:
    run_import(FIXTURES / "x" / "streaming_output_with_error.jsonl", "twarc2")
    runs = admin_client.get("/admin/listening/collectionrun/")
    assert runs.status_code == 200
    assert "import:twarc2" in runs.content.decode()
    run_id = runs.context["cl"].result_list[0].pk
    detail = admin_client.get(f"/admin/listening/collectionrun/{run_id}/change/").content.decode()
    assert "not JSON" in detail
    assert admin_client.get("/admin/listening/post/").status_code == 200
