"""One module per network. Each offers the same three things:

- `check_credentials()`: raise MissingCredentials naming the variable, before any request;
- `run_key(listening, since, until) -> str`: what makes a run "the same run" when resumed;
- `chunks(listening, checkpoint, *, fetcher, since, until) -> Iterator[Chunk]`: the pages, each
  with the checkpoint to store with it; raise pipeline.StopRun to stop on purpose.

A network is collected when its entry in hashrally.core.networks says `collected=True` and a
module of that name is here: the checklist is docs/adding-a-network.md.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from hashrally.core.networks import COLLECTED_NETWORKS


class MissingCredentials(Exception):
    pass


class _Registry(dict[str, ModuleType]):
    """Networks by name, each module imported when first asked for."""

    def __missing__(self, key: str) -> ModuleType:
        if key not in COLLECTED_NETWORKS:
            raise KeyError(key)
        module = importlib.import_module(f"hashrally.listening.connectors.{key}")
        self[key] = module
        return module


CONNECTORS: dict[str, ModuleType] = _Registry()
