"""Names that look alike: for the intelligence team, the suppliers' names in the register, the payments, the
tenders and the dynamic markets' applications spelt so nearly alike that they may be one company, not yet
recorded as one (``suppliers.record_same_supplier``); and the names they judged to be different suppliers, no
longer suggested.

Alike means the same once a name's spacing, its abbreviations and the words that name no company ("UK",
"Group") are set aside (``alike_key``), or one name cut short in the middle of a word, as a finance system
cuts a long name to fit its field ("OXFORDSHIRE CARE PARTNE"). Deliberately not a fuzzy score: each
suggestion says why it is made, and a word more or less ("Acme Facilities") is another company as often as not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import combinations

from sqlalchemy.orm import Session

from ..core import Core
from ..errors import InvalidInput
from ..models import SupplierDistinction
from ..models.suppliers import KEY_LENGTH, alike_key
from ..workflow.engine import Actor
from .suppliers import FOUND_AT_MOST, NOT_ON_RECORD, NamesTally, lock_names_for, on_record, recorded_names, told_apart

MIN_CUT = 12  # the letters a name cut short keeps, at the least, for it to be suggested as the whole name
MAX_WHOLE = 3  # the names one cut short may be the start of, at most, for it to be suggested as theirs
MAX_NAMES = 50  # names in one judgement: more are not one look at a list


@dataclass(frozen=True)
class AlikeName:
    """One supplier among names alike: its key (its own, where names are recorded as its), its name as spelt
    most, the contracts the person may see with it and what the councils paid it this financial year."""

    key: str
    name: str
    contracts: int
    paid_this_year: Decimal


@dataclass(frozen=True)
class NamesAlike:
    """Suppliers whose names look alike: the one with most contracts (then most paid) first, as the one the
    others would be recorded as; ``cut_short`` where a name cut short links them (else they are spelt alike)."""

    names: list[AlikeName]
    cut_short: bool

    @property
    def named(self) -> list[tuple[str, str]]:
        """Each supplier's key and name, as ``suppliers.SharedNumber`` gives its names."""
        return [(name.key, name.name) for name in self.names]

    @property
    def paid_this_year(self) -> Decimal:
        return sum((name.paid_this_year for name in self.names), Decimal(0))


def names_alike(session: Session, actor: Actor, today: date) -> list[NamesAlike]:
    """The suppliers whose names the person sees (``NamesTally``) look alike, not recorded as one supplier nor
    as different ones: those paid most this financial year first; at most FOUND_AT_MOST."""
    tally = NamesTally()
    tally.add(session, actor, today)
    own = recorded_names(session)
    keys_of: dict[str, list[str]] = {}  # each supplier, with the keys of its names
    for key in tally.spellings:
        keys_of.setdefault(own.get(key, key), []).append(key)
    supplier_of = {key: supplier for supplier, keys in keys_of.items() for key in keys}
    groups = _alike_groups(supplier_of)
    apart = told_apart(session)
    found = []
    for group, cut_short in groups:
        if all(frozenset(pair) in apart for pair in combinations(group, 2)):
            continue
        names = [AlikeName(supplier, *tally.of_supplier(supplier, keys_of[supplier])) for supplier in group]
        names.sort(key=lambda n: (-n.contracts, -n.paid_this_year, n.name))
        found.append(NamesAlike(names, cut_short))
    found.sort(key=lambda alike: (-alike.paid_this_year, -sum(n.contracts for n in alike.names), alike.names[0].name))
    return found[:FOUND_AT_MOST]


def _alike_groups(supplier_of: dict[str, str]) -> list[tuple[list[str], bool]]:
    """The suppliers (``supplier_of`` each name's key) whose names look alike, in groups: each with whether a
    name cut short links it. One pass over the keys, then one over them sorted."""
    linked = _Linked()
    by_alike: dict[str, list[str]] = {}
    for key in supplier_of:
        by_alike.setdefault(alike_key(key), []).append(key)
    for keys in by_alike.values():
        linked.join(*(supplier_of[key] for key in keys))
    ordered = sorted(supplier_of)
    for at, short in enumerate(ordered):  # a name's extensions sort straight after it
        if len(short.replace(" ", "")) < MIN_CUT:
            continue
        extending = []
        for longer in ordered[at + 1 : at + 2 + MAX_WHOLE]:  # one more than may be: too many to suggest
            if not longer.startswith(short):
                break
            extending.append(longer)
        # Cut in the middle of a word ("partne"), not a whole word less; and not so short that it could be the
        # start of many names ("acme services 1" of "acme services 10" to "19"): no suggestion then.
        cut = [longer for longer in extending if longer[len(short)] != " "]
        if cut and len(extending) <= MAX_WHOLE:
            linked.join(supplier_of[short], *(supplier_of[longer] for longer in cut), cut_short=True)
    return linked.groups()


class _Linked:
    """Suppliers linked, pair by pair, into groups (a union-find): a group is linked by a name cut short if
    any of its links is."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.cut: set[str] = set()  # roots of groups a cut-short link joined

    def root(self, key: str) -> str:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]  # halve the path as it is walked
            key = self.parent[key]
        return key

    def join(self, first: str, *others: str, cut_short: bool = False) -> None:
        root = self.root(first)
        for other in others:
            if (theirs := self.root(other)) != root:
                self.parent[theirs] = root
                if theirs in self.cut:
                    self.cut.add(root)
        if cut_short and others:
            self.cut.add(root)

    def groups(self) -> list[tuple[list[str], bool]]:
        members: dict[str, list[str]] = {}
        for key in self.parent:
            members.setdefault(self.root(key), []).append(key)
        return [(sorted(keys), root in self.cut) for root, keys in members.items() if len(keys) > 1]


def record_different_suppliers(core: Core, actor_id: int, keys: list[str], reason: str) -> list[str]:
    """Record that the suppliers named by ``keys`` are different companies, saying how that is known: they are
    no longer suggested as one (``names_alike``, ``suppliers.names_sharing_a_number``). Returns their keys."""
    reason, keys = reason.strip(), list(dict.fromkeys(keys))
    with core.db.unit_of_work() as session:
        actor = lock_names_for(core, session, actor_id)
        own = recorded_names(session)
        suppliers = sorted({own.get(key, key) for key in keys})
        if problems := _judging_problems(core, session, actor, keys, suppliers, reason):
            raise InvalidInput(problems)
        apart, by = told_apart(session), {"recorded_by_id": actor_id, "recorded_at": core.engine.clock()}
        for key, other in combinations(suppliers, 2):
            if frozenset((key, other)) not in apart:
                session.add(SupplierDistinction(key=key, other=other, reason=reason, **by))
        core.engine.system_event(
            session, actor_id=actor_id, action="record_different_suppliers", data={"keys": suppliers}, comment=reason
        )
        return suppliers


def _judging_problems(
    core: Core, session: Session, actor: Actor, keys: list[str], suppliers: list[str], reason: str
) -> dict[str, str]:
    """What is wrong with recording ``keys`` (of ``suppliers``) as different suppliers, by field."""
    problems = {}
    if not reason:
        problems["reason"] = "Say how you know they are different companies (their registration numbers, addresses)"
    today = core.engine.today()
    if len(keys) > MAX_NAMES:
        problems["keys"] = f"Judge at most {MAX_NAMES} names at once"
    elif any(len(key) > KEY_LENGTH or not on_record(session, actor, key, today, core.workflows) for key in keys):
        problems["keys"] = NOT_ON_RECORD
    elif len(suppliers) < 2:
        problems["keys"] = "Choose at least two suppliers: these are recorded as one"
    return problems
