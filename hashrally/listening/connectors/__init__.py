"""One module per network. Each offers the same three things:

- `check_credentials()`: raise MissingCredentials naming the variable, before any request;
- `run_key(listening, since, until) -> str`: what makes a run "the same run" when resumed;
- `chunks(listening, checkpoint, *, fetcher, since, until) -> Iterator[Chunk]`: the pages, each
  with the checkpoint to store with it; raise pipeline.StopRun to stop on purpose.

Copy-this checklist for a new network: a normaliser in listening/normalise/ (pure), a connector
here, its base URL as a setting, a fake server built from recorded responses in tests, an entry
in CONNECTORS, and a line in docs/metrics.md for any figure it adds.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingCredentials(Exception):
    pass


class _Registry(dict[str, ModuleType]):
    """Networks by name, each module imported when first asked for."""

    def __missing__(self, key: str) -> ModuleType:
        if key not in ("x", "mastodon", "bluesky"):
            raise KeyError(key)
        module = importlib.import_module(f"hashrally.listening.connectors.{key}")
        self[key] = module
        return module


CONNECTORS: dict[str, ModuleType] = _Registry()
