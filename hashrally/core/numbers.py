"""Whole numbers read from outside (query strings, headers, files).

`str.isdigit()` accepts "²" and other digits that `int()` refuses, and `int()` refuses strings
over 4,300 digits: either gave a 500 or stopped a run. Only ASCII digits, a bounded number of
them, are read as a number here.
"""

from __future__ import annotations

import re

_WHOLE = re.compile(r"-?[0-9]{1,18}")


def whole(value: str | None, *, negative: bool = False) -> int | None:
    """The integer `value` spells in ASCII digits (spaces around allowed), else None."""
    if value is None:
        return None
    text = value.strip()
    if not _WHOLE.fullmatch(text) or (text.startswith("-") and not negative):
        return None
    return int(text)
