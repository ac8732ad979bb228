from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

_INTERFACE = {code for code, _ in settings.LANGUAGES}


class LanguageParameterMiddleware:
    """`?lang=xx` picks the interface language and remembers it in a cookie.

    Plain links make the language switcher work without JavaScript or a POST form, and a shared
    link can carry its language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        wanted = request.GET.get("lang", "")
        chosen = wanted if wanted in _INTERFACE else None
        # Remember the choice only when it differs from what the visitor would get anyway (their
        # cookie, browser or the default): a cached page then answers without a Set-Cookie.
        remember = bool(chosen) and chosen != getattr(request, "LANGUAGE_CODE", None)
        if chosen:
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        response = self.get_response(request)
        if remember and chosen:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                chosen,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
