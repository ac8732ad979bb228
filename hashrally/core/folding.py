"""When two spellings are the same hashtag or the same account: one rule for every part, so a
handle typed by a supporter, a target's handle and a collected post's author compare alike."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# An import folds the same few hashtags and handles hundreds of thousands of times: remembered,
# a fold is a dictionary look-up (a fifth of the X normaliser's time before, bench/listening.py).
# Bounded, so memory stays flat.
_REMEMBERED = 1 << 16


@lru_cache(maxsize=_REMEMBERED)
def fold_tag(tag: str) -> str:
    """Hashtags compare case- and form-insensitively: #Xocalı, #XOCALI and #xocalı are one."""
    return unicodedata.normalize("NFKC", tag.removeprefix("#").removeprefix("＃")).casefold()


@lru_cache(maxsize=_REMEMBERED)
def fold_handle(handle: str) -> str:
    """@Name, name and ＠ＮＡＭＥ are one account (networks treat handles case-insensitively)."""
    return unicodedata.normalize("NFKC", handle).strip().removeprefix("@").casefold()
