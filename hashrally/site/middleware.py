"""The site's answer when the database cannot answer: 503, Retry-After, in the visitor's
language, and for a form (a join) the same form again, filled in, to send once it is back."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.translation import gettext as _

from hashrally.campaigns.views import CACHEABLE_PARAMETERS
from hashrally.core import pagecache
from hashrally.core.dberrors import explain
from hashrally.core.pagecache import DATABASE_DOWN

logger = logging.getLogger(__name__)

# Never written back into a page: a password, or the proof-of-work answer (single use).
_NOT_KEPT = ("password", "csrfmiddlewaretoken", "altcha")


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_DOWN):
            return None
        logger.error(
            "database unavailable for %s %s: %s",
            request.method,
            request.path,
            explain(exception) or exception,
        )
        seconds = settings.HASHRALLY_RETRY_AFTER_SECONDS
        again: list[tuple[str, str]] = []
        if request.method == "POST" and not request.path.startswith("/admin/"):
            again = [
                (name, value)
                for name, values in request.POST.lists()
                if not name.startswith(_NOT_KEPT)
                for value in values
            ]
        response = render(
            request,
            "unavailable.html",
            {
                "message": _(
                    "hashrally cannot reach its database just now, so nothing was saved. "
                    "Please try again in a minute."
                ),
                "again": again,
                "seconds": seconds,
            },
            status=503,
        )
        response["Retry-After"] = str(seconds)
        response["Cache-Control"] = "no-store"
        return response


# The anonymous public reads a crowd repeats: the campaign page and its live counts.
_RECENT_VIEWS = {"campaigns:detail", "supporters:counts_json"}


class RecentAnswersMiddleware:
    """A crowd reloading a campaign page is answered from this process's memory for
    HASHRALLY_LOCAL_CACHE_SECONDS (one second), before sessions, authentication, CSRF and the
    rest of the stack: a read then costs little more than gunicorn's own work, which keeps
    the cores for joins during a spike (bench/spike.py).

    Only what any anonymous visitor would get the same is kept: a GET of the page or
    counts.json without a session cookie, with no parameter but the language and variant,
    whose answer was 200, `Cache-Control: public` (never a stale copy served during a database
    outage, which says no-store) and set no cookie. The key holds everything that answer
    depends on: host, path and parameters, and the interface language the visitor's cookie
    or browser picks, so nobody gets a page in another's language or another's cookie.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = _recent_key(request)
        if key is None:
            return self.get_response(request)
        hit = pagecache.recent_answer(key)
        if hit is not None:
            status, headers, content = hit
            return HttpResponse(content, status=status, headers=headers)
        response = self.get_response(request)
        if _keepable(response):
            pagecache.keep_answer(
                key, response.status_code, dict(response.items()), response.content
            )
        return response


def _recent_key(request: HttpRequest) -> tuple[str, ...] | None:
    if request.method != "GET" or settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    if set(request.GET) - CACHEABLE_PARAMETERS:
        return None
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    if match.view_name not in _RECENT_VIEWS:
        return None
    # The language LocaleMiddleware and ?lang= will choose, and whether ?lang= differs
    # from it (then the answer sets a cookie and is not kept).
    natural = translation.get_language_from_request(request)
    return (pagecache.site_of(request), request.get_full_path(), natural)


def _keepable(response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "public" in response.get("Cache-Control", "")
    )
