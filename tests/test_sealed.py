"""Secrets the service reads back are sealed: opened only with the key they were sealed under, and only for
the purpose they were sealed for."""

from __future__ import annotations

import pytest

from provision_cycle.services.sealed import SEALED, Unsealable, seal, unseal
from provision_cycle.settings import Settings

KEY = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_a_sealed_secret_opens_with_its_key_and_purpose_only():
    settings = Settings(secret_key="s" * 40)
    sealed = seal(settings, KEY, purpose="authenticator key")
    assert sealed.startswith(SEALED) and KEY not in sealed
    assert sealed != seal(settings, KEY, purpose="authenticator key")  # a fresh nonce each time
    assert unseal(settings, sealed, purpose="authenticator key") == KEY
    with pytest.raises(Unsealable):
        unseal(settings, sealed, purpose="something else")
    with pytest.raises(Unsealable, match="was the key changed"):
        unseal(Settings(secret_key="t" * 40), sealed, purpose="authenticator key")
    with pytest.raises(Unsealable):
        unseal(settings, KEY, purpose="authenticator key")  # never sealed


def test_pc_data_key_keeps_secrets_readable_when_secret_key_is_rotated():
    before = Settings(secret_key="old-" * 10)
    sealed = seal(before, KEY, purpose="authenticator key")
    rotated = Settings(secret_key="new-" * 10, data_key=before.secret_key)
    assert unseal(rotated, sealed, purpose="authenticator key") == KEY
