"""Personal data at rest: encryption (Fernet) and keyed hashes for finding duplicates.

HASHRALLY_DATA_KEYS holds one or more Fernet keys, newest first. Data is encrypted with the
newest and decrypted with any, so keys can be rotated. Keyed hashes use a key derived from the
oldest listed key, so duplicate checks keep working across rotations.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _fernet() -> MultiFernet:
    keys = settings.HASHRALLY_DATA_KEYS
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            "HASHRALLY_DATA_KEYS must be Fernet keys (32 url-safe base64 bytes), comma-separated"
        ) from None


@cache
def _hash_key() -> bytes:
    oldest = settings.HASHRALLY_DATA_KEYS[-1]
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"hashrally keyed hash"
    ).derive(oldest.encode())


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "stored personal data cannot be decrypted with HASHRALLY_DATA_KEYS: was a key removed?"
        ) from None


def keyed_hash(purpose: str, value: str) -> str:
    """A hash that finds equal values without storing them, useless without the key."""
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(_hash_key(), message, hashlib.sha256).hexdigest()


def normalise_email(email: str) -> str:
    return unicodedata.normalize("NFKC", email).strip().casefold()


def ip_hash(address: str) -> str:
    # Truncated: enough to see one address hammering the form, too little to be an identifier.
    return keyed_hash("ip", address)[:16]


def new_key() -> str:
    return Fernet.generate_key().decode()
