"""Secrets handed to people: an approval's or a password's emailed link, a calendar feed's address, an API
token. Each is made here, long and random, and kept only as its SHA-256 digest, so that a copy of the
database opens nothing: what someone presents is digested and looked up."""

from __future__ import annotations

import hashlib
import secrets


def new_secret(prefix: str = "") -> str:
    """A fresh secret: 32 random bytes, URL-safe (after ``prefix``, which says what kind of secret it is)."""
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What is kept of a secret, and looked up when it is presented."""
    return hashlib.sha256(secret.encode()).hexdigest()
