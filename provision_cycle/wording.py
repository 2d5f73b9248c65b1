"""How the service words things for people."""

from __future__ import annotations

from collections.abc import Sequence


def listed(items: Sequence[str], conjunction: str = "and") -> str:
    """``items`` as a sentence lists them: "A", "A and B", "A, B and C" (or with "or")."""
    return f" {conjunction} ".join(filter(None, [", ".join(items[:-1]), items[-1]])) if items else ""
