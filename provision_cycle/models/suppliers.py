"""A supplier is known by the key of its name: how payments, the register and the supplier pages match it.

Finance systems and registers spell one company several ways ("ACME LIMITED", "Acme Ltd.", "The Acme Ltd");
each contract and payment keeps its name's key (``supplier_key``) beside the name, so matching is a
comparison in SQL, indexed."""

from __future__ import annotations

import re
from collections import Counter

# Words that say what kind of body a supplier is, not which one: "Acme Ltd", "ACME LIMITED" and "Acme Ltd." are
# one supplier. Narrow on purpose: "Acme UK" and "Acme Co" may well be other companies.
LEGAL_FORMS = frozenset({"limited", "ltd", "plc", "llp", "lp", "cic", "cio", "inc", "incorporated"})
KEY_LENGTH = 200  # a name's length: a key is never longer than its name
MAX_REGISTRATION = 40  # a Companies House or charity number, with room to spare


def supplier_given(name: str, registration: str) -> tuple[str, str, dict[str, str]]:
    """A supplier's name and registration number as typed (a tender, an application to a market), trimmed,
    with the problems in them by field."""
    name, registration = name.strip(), registration.strip()
    problems: dict[str, str] = {}
    if not name:
        problems["supplier_name"] = "Enter the supplier's name"
    elif len(name) > KEY_LENGTH:
        problems["supplier_name"] = f"Keep the supplier's name to {KEY_LENGTH} characters"
    if len(registration) > MAX_REGISTRATION:
        problems["supplier_registration"] = f"Keep the registration number to {MAX_REGISTRATION} characters"
    return name, registration, problems


def supplier_key(name: str) -> str:
    """A supplier's name as payments and the register are matched on: its case, punctuation, "&" for "and", a
    leading "The" and the legal form at its end ("Ltd", "Limited", "PLC") set aside."""
    words = re.sub(r"[^\w\s]", " ", name.casefold().replace("&", " and ")).split()
    if words[:1] == ["the"]:
        words = words[1:]
    while words and words[-1] in LEGAL_FORMS:
        words.pop()
    return (" ".join(words) or " ".join(name.casefold().split()))[:KEY_LENGTH]


def most_used_spelling(spellings: Counter[str]) -> str:
    """Of a supplier's spellings (each with how often it is used), the one used most; one in capitals only if
    no other is as common (finance systems often shout); then the shortest, the plainest."""
    return min(spellings, key=lambda name: (-spellings[name], name.isupper(), len(name), name))
