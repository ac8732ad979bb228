"""Typed readers for settings that come from environment variables.

Each helper fails loudly with the variable's name, so a misconfigured server stops at start-up
instead of misbehaving later.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if required:
            raise ImproperlyConfigured(f"{name} must be set (see docs/operations.md)")
        if default is None:
            raise ImproperlyConfigured(f"{name} is not set and has no default")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    folded = value.strip().lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}"
    )


def _number(name: str, default: float, kind: type[float], words: str) -> float:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return kind(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be {words}; got {value!r}") from None


def env_int(name: str, default: int) -> int:
    return int(_number(name, default, int, "a whole number"))


def env_float(name: str, default: float) -> float:
    return _number(name, default, float, "a number such as 0.05")


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]
