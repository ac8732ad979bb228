from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def healthz(request: HttpRequest) -> HttpResponse:
    # Answers without the database, so monitors and load tests measure the web tier alone.
    return HttpResponse("ok", content_type="text/plain")
