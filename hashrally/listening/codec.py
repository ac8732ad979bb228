"""Compressing raw pages for storage. Pure, so parsing processes can compress beside the writer."""

from __future__ import annotations

import threading
import zlib

import zstandard

# zstd compresses raw pages three times faster than zlib's fastest level, and smaller.
# Compressor objects are not safe to share between threads, hence one per thread.
_local = threading.local()
_ZLIB_HEADERS = (b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda")


def compress(raw: bytes) -> bytes:
    if not hasattr(_local, "compressor"):
        _local.compressor = zstandard.ZstdCompressor(level=3)
    compressor: zstandard.ZstdCompressor = _local.compressor
    return compressor.compress(raw)


def decompress(payload: bytes) -> bytes:
    """A stored raw page back to its bytes (zstd; pages stored before zstd are zlib)."""
    if payload[:2] in _ZLIB_HEADERS:
        return zlib.decompress(payload)
    return zstandard.ZstdDecompressor().decompress(payload)
