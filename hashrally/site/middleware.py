"""The site's answer when the database cannot answer: 503, Retry-After, in the visitor's
language, and for a form (a join) the same form again, filled in, to send once it is back."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

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
