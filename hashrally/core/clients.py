"""Who sent a request, as far as the server can tell."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind a proxy the header the proxy sets
    (HASHRALLY_CLIENT_IP_HEADER), first entry. The same for rate limits and login lockouts."""
    value = request.META.get(settings.RATELIMIT_IP_META_KEY, "") or ""
    return str(value).split(",")[0].strip()


def axes_client_ip(request: HttpRequest) -> str:
    """django-axes asks for the address this way (AXES_CLIENT_IP_CALLABLE)."""
    return client_ip(request)
