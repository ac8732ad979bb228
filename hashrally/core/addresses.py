"""Addresses that come from collected data or a file, made safe to put in an href."""

from __future__ import annotations

from urllib.parse import urlsplit


def web_address(value: object) -> str:
    """``value`` if it is an http(s) address, else "": a javascript: link must never render."""
    text = str(value or "")
    try:
        parts = urlsplit(text)
    except ValueError:  # "http://[" and the like
        return ""
    return text if parts.scheme in ("http", "https") and parts.netloc else ""
