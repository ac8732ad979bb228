"""No query string or form sent to a public page gives a server error.

Hypothesis sends every public address the parameters the pages read, and others, with values
that broke pages before ("²" passes `str.isdigit()` and fails `int()`, 5,000 digits fail
`int()`), control characters, right-to-left text and long strings.
"""

from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hashrally.core import networks
from tests.supporters.fakes import SLUG

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("campaigns", "no_rate_limit")]


PATHS = [
    "/",
    f"/c/{SLUG}/",
    *(f"/c/{SLUG}/go/{code}" for code in networks.SHARE_NETWORKS),
    f"/c/{SLUG}/go/nowhere",
    f"/c/{SLUG}/compose",
    f"/c/{SLUG}/supporters",
    f"/c/{SLUG}/card.png",
    f"/c/{SLUG}/join",
    f"/c/{SLUG}/thanks",
    f"/c/{SLUG}/counts.json",
    f"/c/{SLUG}/map.svg",
    f"/c/{SLUG}/my-data",
    f"/c/{SLUG}/results",
    f"/c/{SLUG}/altcha",
    f"/c/{SLUG}/confirm/forged",
    "/me/forged",
    "/c/no-such-campaign/",
    "/healthz",
]
POSTS = [f"/c/{SLUG}/join", f"/c/{SLUG}/proof", f"/c/{SLUG}/my-data", "/me/forged"]
KEYS = ["lang", "v", "shuffle", "ref", "fragment", "download", "mailed", "mine", "instance"]
values = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        ["²", "٣", "9" * 5000, "-1", "0", "1", "ar", "az", "xx-yy", "\x00", "\u202e", "..%2f"]
    ),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=10))
queries = st.dictionaries(keys, values, max_size=5)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.sampled_from(PATHS), query=queries)
def test_it_never_fails_on_a_query_string(path: str, query: dict[str, str]) -> None:
    response = Client(raise_request_exception=False).get(path, query)
    assert response.status_code < 500, (path, query, response.status_code)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.sampled_from(POSTS), query=queries, form=queries)
def test_it_never_fails_on_a_form(path: str, query: dict[str, str], form: dict[str, str]) -> None:
    client = Client(raise_request_exception=False)
    response = client.post(path + "?" + "&".join(f"{k}=1" for k in query), form)
    assert response.status_code < 500, (path, form, response.status_code)


@pytest.mark.parametrize("value", ["²", "9" * 5000])
def test_it_answers_a_variant_that_is_no_number(value: str) -> None:
    client = Client(raise_request_exception=False)
    for path in (f"/c/{SLUG}/", f"/c/{SLUG}/go/x"):
        for key in ("v", "shuffle"):
            assert client.get(path, {key: value}).status_code in (200, 302), (path, key)
