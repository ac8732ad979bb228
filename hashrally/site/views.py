from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def healthz(request: HttpRequest) -> HttpResponse:
    # Answers without the database, so monitors and load tests measure the web tier alone.
    return HttpResponse("ok", content_type="text/plain")


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(
        request,
        "problem.html",
        {"message": _("Too many attempts from your network. Please wait a while and try again.")},
        status=429,
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(
        request,
        "problem.html",
        {
            "message": _(
                "Your form had expired or was sent from somewhere else. Please open the page "
                "again and send it once more."
            )
        },
        status=403,
    )
