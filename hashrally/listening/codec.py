"""Compressing raw pages for storage. Pure, so parsing processes can compress beside the writer."""

from __future__ import annotations

import threading
import zlib

import zstandard

# zstd compresses raw pages three times faster than zlib's fastest level, and smaller.
# Level 1 rather than zstd's default 3: a parsing process spends a fifth of its time
# compressing, and on files of large lines it is the import's bottleneck (an import of the
# brexit-shaped file 3.63 s against 3.84 s, bench/listening.py); the pages are 3-5% larger
# (27.8 against 27.0 MB for 100,000 lean posts) and read back as fast.
LEVEL = 1
# Compressor objects are not safe to share between threads, hence one per thread.
_local = threading.local()
_ZLIB_HEADERS = (b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda")


def compress(raw: bytes) -> bytes:
    if not hasattr(_local, "compressor"):
        _local.compressor = zstandard.ZstdCompressor(level=LEVEL)
    compressor: zstandard.ZstdCompressor = _local.compressor
    return compressor.compress(raw)


def decompress(payload: bytes) -> bytes:
    """A stored raw page back to its bytes (zstd; pages stored before zstd are zlib)."""
    if payload[:2] in _ZLIB_HEADERS:
        return zlib.decompress(payload)
    return zstandard.ZstdDecompressor().decompress(payload)
