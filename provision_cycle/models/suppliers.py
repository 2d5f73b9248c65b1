"""A supplier is known by the key of its name: how payments, the register and the supplier pages match it.

Finance systems and registers spell one company several ways ("ACME LIMITED", "Acme Ltd.", "The Acme Ltd");
each contract and payment keeps its name's key (``supplier_key``) beside the name, so matching is a
comparison in SQL, indexed. Where one company goes by names whose keys differ (a trading name, a name the
finance system shortened), the intelligence team records one key as another's (``SupplierAlias``)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, CompoundSelect, ForeignKey, String, Text, func, select, union
from sqlalchemy.orm import Mapped, mapped_column

from ..governance.statutory import PPON_EXPECTED, ppon
from .base import Base, utcnow

# Words that say what kind of body a supplier is, not which one: "Acme Ltd", "ACME LIMITED" and "Acme Ltd." are
# one supplier. Narrow on purpose: "Acme UK" and "Acme Co" may well be other companies.
LEGAL_FORMS = frozenset({"limited", "ltd", "plc", "llp", "lp", "cic", "cio", "inc", "incorporated"})
KEY_LENGTH = 200  # a name's length: a key is never longer than its name
MAX_REGISTRATION = 40  # a Companies House or charity number, with room to spare
# The registers (org-id.guide's lists) whose numbers can be told apart by their shape.
REGISTERS = {
    "GB-COH": re.compile(r"\d{8}|[A-Z]{2}\d{6}"),  # Companies House: 8 digits, or 2 letters and 6
    "GB-CHC": re.compile(r"\d{6,7}"),  # the Charity Commission for England and Wales
}


class SupplierAsGiven:
    """The columns of a row that names a supplier as it was given (a tender, a request to participate, an
    application to a market): its name, that name's key, its Companies House or charity number, its PPON, and
    whether it is an SME or a VCSE."""

    supplier_name: Mapped[str] = mapped_column(String(KEY_LENGTH))
    supplier_key: Mapped[str] = mapped_column(String(KEY_LENGTH))  # supplier_key of the name
    supplier_registration: Mapped[str] = mapped_column(String(MAX_REGISTRATION), default="")
    # Its unique identifier on the Central Digital Platform (``statutory.PPON``), where it was given: a supplier
    # is found by it, and the notices' open data identify the supplier by it.
    supplier_ppon: Mapped[str] = mapped_column(String(14), default="", server_default="")
    supplier_is_sme: Mapped[bool]
    supplier_is_vcse: Mapped[bool]

    @staticmethod
    def columns_for(given: GivenSupplier, is_sme: bool, is_vcse: bool) -> dict[str, object]:
        """The columns for a supplier as ``supplier_given`` read it, its key worked out."""
        return {
            "supplier_name": given.name,
            "supplier_key": supplier_key(given.name),
            "supplier_registration": given.registration,
            "supplier_ppon": given.ppon,
            "supplier_is_sme": is_sme,
            "supplier_is_vcse": is_vcse,
        }


class GivenSupplier(NamedTuple):
    """A supplier's name, registration number and PPON as typed, trimmed (the PPON as ``statutory.ppon`` writes
    it, empty where none was given), with the problems in them by field."""

    name: str
    registration: str
    ppon: str
    problems: dict[str, str]


def supplier_given(name: str, registration: str, unique_identifier: str = "") -> GivenSupplier:
    """A supplier's name, registration number and PPON as typed (a tender, a request to participate, an
    application to a market, a contract in the register), read and checked."""
    name, registration = name.strip(), registration.strip()
    problems: dict[str, str] = {}
    if not name:
        problems["supplier_name"] = "Enter the supplier's name"
    elif len(name) > KEY_LENGTH:
        problems["supplier_name"] = f"Keep the supplier's name to {KEY_LENGTH} characters"
    if len(registration) > MAX_REGISTRATION:
        problems["supplier_registration"] = f"Keep the registration number to {MAX_REGISTRATION} characters"
    unique = ppon(unique_identifier) if unique_identifier.strip() else ""
    if unique is None:
        problems["supplier_ppon"] = PPON_EXPECTED
    return GivenSupplier(name, registration, unique or "", problems)


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


class SupplierAlias(Base):
    """One name's key recorded as another supplier's: the two are one company, seen together on its page, in
    the search for suppliers, in the spend off contract and counted once in the spend by category. ``same_as``
    is never itself an alias (a name recorded as an alias's supplier is recorded as that alias's own), so a
    supplier's names are one lookup."""

    __tablename__ = "supplier_aliases"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    same_as: Mapped[str] = mapped_column(String(KEY_LENGTH), index=True)
    reason: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class SupplierDistinction(Base):
    """Two names' keys the intelligence team judged to be different suppliers, though they look alike or share
    a registration number: no longer suggested to them as one. Kept as a pair, the lesser key first."""

    __tablename__ = "supplier_distinctions"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    other: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


# Words a finance system or a register adds to a company's name, or leaves out, without naming another one.
SET_ASIDE_WHEN_ALIKE = frozenset({"uk", "gb", "group", "holdings", "company", "co", "and"})
ABBREVIATED = {"svcs": "services", "svc": "services", "mgmt": "management", "intl": "international",
               "assoc": "associates", "bros": "brothers", "grp": "group", "hldgs": "holdings"}  # fmt: skip


def alike_key(key: str) -> str:
    """A name's key as names that look alike share it: its words spelt out ("Svcs": "services"), those that
    say nothing of which company it is ("UK", "Group") set aside, as is a legal form cut short at its end
    ("ACME LIMI", where a finance system cut "ACME LIMITED" to fit), and the spaces between the words
    ("Oxford Shire" and "Oxfordshire"; "A.C.M.E." and "ACME")."""
    words = [ABBREVIATED.get(word, word) for word in key.split()]
    if len(words) > 1 and (words[-1] == "lt" or (len(words[-1]) >= 3 and "limited".startswith(words[-1]))):
        words.pop()
    return "".join(word for word in words if word not in SET_ASIDE_WHEN_ALIKE) or key.replace(" ", "")


def own_key_of(key: str | ColumnElement[str]) -> ColumnElement[str]:
    """The key of the supplier with a name of ``key`` (a key, or a column of them, each row's looked up):
    ``key`` itself, or the one it is recorded as the name of (never itself an alias: one lookup)."""
    return func.coalesce(select(SupplierAlias.same_as).where(SupplierAlias.key == key).scalar_subquery(), key)


def keys_of_supplier_named(key: str) -> CompoundSelect:
    """The keys of the supplier with a name of ``key``: its own (``own_key_of``) and the names recorded as its.
    A query, so a search matches rows under any of them in one statement."""
    own = own_key_of(key)
    return union(select(own), select(SupplierAlias.key).where(SupplierAlias.same_as == own))
