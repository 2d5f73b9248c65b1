"""Secrets the service must read back, unlike those it only compares (``handed_secrets``): an authenticator
app's key. Each is sealed with AES-GCM under a key drawn from the settings (``PC_DATA_KEY``, or else
``SECRET_KEY``), so that a copy of the database, or of a backup, alone opens nothing: whoever has one still
cannot make a person's security codes.

The key is derived with HKDF from the setting, for this use only. Rotating ``SECRET_KEY`` therefore leaves
sealed secrets unreadable unless ``PC_DATA_KEY`` keeps the old value (``docs/architecture.md``).
"""

from __future__ import annotations

import base64
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..settings import Settings

SEALED = "s1:"  # what a sealed value starts with: the format, should another ever follow
NONCE_BYTES = 12


class Unsealable(Exception):
    """A sealed value the key in the settings does not open: the key changed, or the value was altered."""


def seal(settings: Settings, plain: str, *, purpose: str) -> str:
    """``plain`` sealed for ``purpose`` (a value sealed for one purpose is not opened as another's)."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_key(settings.sealing_key)).encrypt(nonce, plain.encode(), purpose.encode())
    return SEALED + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(settings: Settings, stored: str, *, purpose: str) -> str:
    if not stored.startswith(SEALED):
        raise Unsealable("The value is not sealed")
    raw = base64.urlsafe_b64decode(stored.removeprefix(SEALED))
    try:
        return (
            AESGCM(_key(settings.sealing_key)).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode()).decode()
        )
    except InvalidTag:
        raise Unsealable(
            "A sealed secret does not open with this PC_DATA_KEY (or SECRET_KEY): was the key changed?"
        ) from None


@lru_cache(maxsize=4)
def _key(setting: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"provision-cycle sealed secrets").derive(
        setting.encode()
    )
