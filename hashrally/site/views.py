from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _


def healthz(request: HttpRequest) -> HttpResponse:
    # Answers without the database, so monitors and load tests measure the web tier alone.
    return HttpResponse("ok", content_type="text/plain")


def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness, for a proxy or an orchestrator: 200 when the database and the cache both
    answer, else 503 naming which does not (never a credential: only the error's kind)."""
    from django.core.cache import cache
    from django.db import connection

    problems = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        problems.append(f"database: {type(exc).__name__}")
    try:
        cache.set("readyz", "1", 10)
        if cache.get("readyz") != "1":
            problems.append("cache: did not keep a value")
    except Exception as exc:
        problems.append(f"cache: {type(exc).__name__}")
    body = "\n".join(problems) if problems else "ready"
    response = HttpResponse(body + "\n", content_type="text/plain", status=503 if problems else 200)
    response["Cache-Control"] = "no-store"
    return response


def favicon(request: HttpRequest) -> HttpResponse:
    response = HttpResponsePermanentRedirect(static("hashrally/favicon.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


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


def locked_out(
    request: HttpRequest, credentials: object = None, *args: object, **kwargs: object
) -> HttpResponse:
    """django-axes' answer to a login from a locked account or address (AXES_LOCKOUT_CALLABLE):
    the same words whichever it was, and when to try again."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    response = render(
        request,
        "problem.html",
        {
            "message": _(
                "Too many failed logins for this account or from your network. Try again in "
                "%(minutes)s minutes, or ask an operator to unlock it."
            )
            % {"minutes": minutes}
        },
        status=429,
    )
    response["Retry-After"] = str(minutes * 60)
    return response
