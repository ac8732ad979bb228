"""Static files under content-hashed names, and the plain names when they were not collected.

`hashrally serve` collects them (compressed, each name carrying its content's hash, so they may
be cached for a year). A production process started some other way, before any collect, would
answer every page with a 500 ("Missing staticfiles manifest entry"); this storage then links
the plain names, which WhiteNoise serves from the apps' folders, and `hashrally doctor` says
the files were not collected.
"""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles.storage import StaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage  # type: ignore[import-untyped]


class HashedStaticFiles(CompressedManifestStaticFilesStorage):
    def url(self, name: Any, force: bool = False) -> str:
        try:
            return str(super().url(name, force))
        except ValueError:
            return str(StaticFilesStorage.url(self, name))

    @property
    def collected(self) -> bool:
        return bool(self.hashed_files)
