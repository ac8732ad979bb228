"""No input to the join endpoint gives a server error."""

from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hashrally.campaigns.models import Campaign
from tests.supporters.fakes import JOIN

# Rate limits would answer 429 after a few tries; here the form itself is under test.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limit")]


FIELDS = [
    "country",
    "display_name",
    "show_name",
    "email",
    "contact_ok",
    "consent",
    "website",
    "ref",
    "altcha",
    "handle_x",
    "handle_bluesky",
    "handle_mastodon",
    "handle_threads",
    "handle_instagram",
    "handle_tiktok",
]
texts = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["AZ", "on", "", "a@b.c", "@x", "<script>", "\x00", "ə" * 90, "1" * 5000]),
)
forms = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), st.text(max_size=20)), texts, max_size=12
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=forms)
def test_it_never_fails_on_form_input(campaign: Campaign, data: dict[str, str]) -> None:
    response = Client(raise_request_exception=False).post(JOIN, data)
    assert response.status_code in (303, 400), response.status_code


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.binary(max_size=2000),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz",
            "application/json",
            "text/plain",
        ]
    ),
    # What a WSGI server hands over: the raw bytes of the query, decoded as latin-1.
    query=st.binary(max_size=50).map(lambda raw: raw.decode("latin-1")),
)
def test_it_never_fails_on_raw_bodies(
    campaign: Campaign, body: bytes, content_type: str, query: str
) -> None:
    client = Client(raise_request_exception=False)
    response = client.generic(
        "POST", JOIN, data=body, content_type=content_type, QUERY_STRING=query
    )
    assert response.status_code < 500, response.status_code
