"""A supplier across the register and the spend: the contracts the councils hold with it and what they have
paid it, however the register and the finance systems spell its name (``models.suppliers.supplier_key``), and
under whichever of its names the intelligence team recorded as one supplier (``SupplierAlias``).

What a person sees is what they may see elsewhere: the contracts of the register they may open, and the
payments of the councils they work for. Payments to individuals are left out everywhere: a person's name is
personal data, and no supplier page is made of it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import combinations

from sqlalchemy import ColumnElement, Select, and_, func, literal_column, not_, or_, select, union_all, update
from sqlalchemy.orm import InstrumentedAttribute, Session, joinedload

from ..core import Core
from ..errors import InvalidInput, NotFound, NotPermitted
from ..governance.calendar import add_months, financial_year_starts
from ..governance.statutory import paid_within_term, ppon
from ..models import (
    Case,
    Contract,
    Framework,
    MarketMembership,
    ParticipationRequest,
    Payment,
    SupplierAlias,
    SupplierDistinction,
    Tender,
    User,
)
from ..models.suppliers import KEY_LENGTH, REGISTERS, most_used_spelling, own_key_of, supplier_key
from ..workflow.definitions import StateDef, WorkflowRegistry
from ..workflow.engine import Actor
from ..workflow.evaluation import Evaluation, evaluations_of
from ..workflow.participation import invited_to_tender
from .frameworks import frameworks_for
from .markets import applications_seen, memberships_of_supplier
from .payments_compliance import percent
from .performance import Assessed, Breach, latest_assessments, recorded_breaches
from .reading import staff_authorities, tenders_seen, visible_contracts
from .spreadsheet import FileProblem, FileRefused, Layout, parsed_rows, read_table, row_problems, unguarded

YEARS_SHOWN = 3  # this financial year and the two before it
SAME_SUPPLIER_ROLE = "intelligence_analyst"  # who records that names whose keys differ are one supplier
LATEST_PAYMENTS = 20
FOUND_AT_MOST = 50


@dataclass(frozen=True)
class SupplierFound:
    key: str
    name: str  # the spelling used most
    contracts: int  # in the register, that the person may see
    paid_this_year: Decimal  # by the councils the person works for
    found_as: str = ""  # the other name of its that the words found, where they did not find its own


@dataclass
class YearPaid:
    starts: date  # 1 April
    under_contract: Decimal = Decimal(0)
    off_contract: Decimal = Decimal(0)  # payments that named no contract
    by_council: Counter[str] = field(default_factory=Counter)
    timed: int = 0  # payments whose invoice day is known (credit notes aside)...
    on_time: int = 0  # ...and of those, paid within the Act's 30 days (s68(2))

    @property
    def on_time_percent(self) -> Decimal | None:
        return percent(self.on_time, self.timed)

    @property
    def label(self) -> str:
        return f"{self.starts.year}/{(self.starts.year + 1) % 100:02d}"

    @property
    def paid(self) -> Decimal:
        return self.under_contract + self.off_contract


@dataclass(frozen=True)
class RequestMade:
    """A request it made to participate in one of the councils' competitive flexible procedures (PA23 s20), and
    what became of it."""

    case: Case
    received_on: date
    outcome: str
    supplier_name: str  # as the request gave it
    supplier_registration: str
    supplier_ppon: str


@dataclass(frozen=True)
class TenderMade:
    """A tender it made for one of the councils' procurements, and how it fared."""

    case: Case
    received_on: date
    price: Decimal
    outcome: str
    supplier_name: str  # as the tender gave it
    supplier_registration: str  # its Companies House or charity number, where the tender gave one
    supplier_ppon: str  # where the tender gave it


@dataclass(frozen=True)
class OtherName:
    """A name recorded as the supplier's (``record_same_supplier``): its key, its spelling, and who recorded it
    as the supplier's, when and how they knew."""

    key: str
    name: str
    reason: str
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class Supplier:
    key: str
    name: str
    spellings: tuple[str, ...]  # every way the register and the payments spell it: its name, then by use
    # Its Companies House or charity numbers, as the register, its tenders, requests to participate and
    # applications to markets give them.
    registrations: tuple[str, ...]
    contracts: list[Contract]  # the latest ending first
    years: list[YearPaid]  # this financial year first
    latest: list[Payment]  # the newest first
    councils: tuple[str, ...]  # whose payments are shown
    # How it performed under the contracts shown: what the exclusion check at an award weighs (PA23 Sch 7,
    # breach of contract and poor performance).
    assessed: list[Assessed] = field(default_factory=list)  # each contract's latest, the latest first
    breaches: list[Breach] = field(default_factory=list)  # the latest first
    # Its tenders for the procurements whose tenders the person sees (reading.tenders_seen), the latest first.
    tenders: list[TenderMade] = field(default_factory=list)
    # Its PPONs (its unique identifier on the Central Digital Platform), as the register, its tenders, requests
    # to participate and applications to markets give them: one, unless names recorded as one company are
    # registered apart.
    ppons: tuple[str, ...] = ()
    # Its requests to participate, seen as its tenders are, the latest first.
    requests: list[RequestMade] = field(default_factory=list)
    # Its applications to the dynamic markets the person sees (reading.of_my_councils), the latest first.
    memberships: list[MarketMembership] = field(default_factory=list)
    # The frameworks in the register (of the councils the person works for) that list it among their suppliers.
    frameworks: list[Framework] = field(default_factory=list)
    # Other names recorded with one of its registration numbers, as (key, a spelling).
    same_number: list[tuple[str, str]] = field(default_factory=list)
    # The names the intelligence team recorded as this supplier's: seen here together.
    also: list[OtherName] = field(default_factory=list)


def find_suppliers(session: Session, actor: Actor, text: str, today: date) -> list[SupplierFound]:
    """The suppliers whose names have every word of ``text`` (as keys compare them), in the register, paid in
    the years a supplier's page shows, or in the tenders, requests to participate and dynamic markets'
    applications the person sees, or (``text`` a number) recorded there with it as their Companies House or
    charity number or their PPON;
    the most paid this financial year first; at most FOUND_AT_MOST. A name recorded as another supplier's
    finds that supplier, counted under all its names."""
    words = supplier_key(text).split()
    if not words:
        return []
    numbered = sorted(names_numbered(session, actor, text))

    def wanted(key: InstrumentedAttribute[str]) -> list[ColumnElement[bool]]:
        named = and_(*_having_words(key, words))
        return [or_(named, key.in_(numbered))] if numbered else [named]

    tally = NamesTally()
    tally.add(session, actor, today, wanted)
    own, matched = recorded_names(session), set(tally.spellings)
    # Their other names, where the words missed them: counted too, so that a supplier is the same whichever
    # of its names was searched for.
    if missed := under_every_name(own, matched) - matched:
        tally.add(session, actor, today, lambda key: [key.in_(missed)])
    folded: dict[str, list[str]] = {}
    for key in tally.spellings:
        folded.setdefault(own.get(key, key), []).append(key)
    found = []
    for supplier, keys in folded.items():
        as_named = sum((tally.spellings[key] for key in keys if key in matched), Counter())
        found_as = most_used_spelling(as_named) if supplier not in matched else ""
        found.append(SupplierFound(supplier, *tally.of_supplier(supplier, keys), found_as))
    ranked = sorted(found, key=lambda s: (-s.paid_this_year, -s.contracts, s.key))
    return ranked[:FOUND_AT_MOST]


# Given a source's supplier-key column, the SQL conditions on it of the names wanted.
KeyFilter = Callable[[InstrumentedAttribute[str]], list[ColumnElement[bool]]]


@dataclass
class NamesTally:
    """The suppliers' names found, by key: each spelling with how often it is used (the register's where it
    has the supplier, else the payments', else the tenders', requests to participate and the dynamic markets'
    applications'), the
    contracts the person may see and what was paid this year."""

    spellings: dict[str, Counter[str]] = field(default_factory=dict)
    contracts: Counter[str] = field(default_factory=Counter)
    paid: Counter[str] = field(default_factory=Counter)

    def add(self, session: Session, actor: Actor, today: date, keyed: KeyFilter = lambda key: []) -> None:
        """The names the person sees whose keys ``keyed`` passes (given each source's key column, the SQL)."""
        rows = session.execute(
            select(Contract.supplier_key, Contract.supplier_name, func.count())
            .where(visible_contracts(actor), *keyed(Contract.supplier_key))
            .group_by(Contract.supplier_key, Contract.supplier_name)
        )
        for key, name, count in rows:
            self.spellings.setdefault(key, Counter())[name.strip()] += count
            self.contracts[key] += count
        registered = set(self.spellings)
        payments = session.execute(
            select(Payment.supplier_key, Payment.supplier_name, func.count(), func.sum(Payment.amount).filter(
                Payment.paid_on >= financial_year_starts(today)
            ))
            .where(*_payments_seen_by(actor), Payment.paid_on >= _first_year_shown(today), *keyed(Payment.supplier_key))
            .group_by(Payment.supplier_key, Payment.supplier_name)
        )  # fmt: skip
        for key, name, count, this_year in payments:
            if key not in registered:
                self.spellings.setdefault(key, Counter())[name.strip()] += count
            self.paid[key] += Decimal(this_year or 0)
        # A supplier that tendered, asked to take part in a procedure or applied to a dynamic market, and no more:
        # found by its name there.
        bought_from = set(self.spellings)
        offered = union_all(
            select(Tender.supplier_key.label("key"), Tender.supplier_name.label("name"))
            .join(Case, Case.id == Tender.case_id)
            .where(tenders_seen(actor), *keyed(Tender.supplier_key)),
            select(ParticipationRequest.supplier_key, ParticipationRequest.supplier_name)
            .join(Case, Case.id == ParticipationRequest.case_id)
            .where(tenders_seen(actor), *keyed(ParticipationRequest.supplier_key)),
            select(MarketMembership.supplier_key, MarketMembership.supplier_name).where(
                applications_seen(actor), *keyed(MarketMembership.supplier_key)
            ),
        ).subquery()
        for key, name, count in session.execute(
            select(offered.c.key, offered.c.name, func.count()).group_by(offered.c.key, offered.c.name)
        ):
            if key not in bought_from:
                self.spellings.setdefault(key, Counter())[name.strip()] += count

    def of_supplier(self, supplier: str, keys: list[str]) -> tuple[str, int, Decimal]:
        """The supplier (its own key) under the names with ``keys``: as spelt most (as its own name is, where
        anything has it; else as its other names are), its contracts and what was paid it this year."""
        spelt = self.spellings.get(supplier) or sum((self.spellings[key] for key in keys), Counter())
        contracts, paid = sum(self.contracts[key] for key in keys), sum((self.paid[key] for key in keys), Decimal(0))
        return most_used_spelling(spelt), contracts, paid


# --- one supplier by several names ---------------------------------------------------------------------------
def may_record_same_supplier(actor: Actor) -> bool:
    """The intelligence team, of either council: a supplier is one company to both."""
    return any(role == SAME_SUPPLIER_ROLE for role, _, _ in actor.roles)


ONLY_THE_INTELLIGENCE_TEAM = "Only the intelligence team records that two names are one supplier"


def require_recorder(actor: Actor) -> None:
    """``NotPermitted`` unless the person may record suppliers' names (``may_record_same_supplier``)."""
    if not may_record_same_supplier(actor):
        raise NotPermitted(ONLY_THE_INTELLIGENCE_TEAM)


def recorded_names(session: Session) -> dict[str, str]:
    """The names recorded as another supplier's, each (its key) with that supplier's key: the few a team
    records by hand, read whole."""
    return {alias: supplier for alias, supplier in session.execute(select(SupplierAlias.key, SupplierAlias.same_as))}


def under_every_name(names: dict[str, str], keys: set[str]) -> set[str]:
    """The suppliers of ``keys`` under every name each goes by (``names``, ``recorded_names``): its own key and
    the names recorded as its."""
    suppliers = {names.get(key, key) for key in keys}
    return suppliers | {name for name, supplier in names.items() if supplier in suppliers}


def names_of(session: Session, key: str) -> tuple[str, ...]:
    """The keys a supplier goes by: the supplier's own (``key``'s, or the one it is recorded as), then the
    names recorded as its."""
    own = session.scalar(select(own_key_of(key)))
    recorded = session.scalars(
        select(SupplierAlias.key).where(SupplierAlias.same_as == own).order_by(SupplierAlias.key)
    )
    return (own, *recorded)


NOT_ON_RECORD = (
    "No contract, payment, tender, request to participate, dynamic market or framework you can see is with that "
    "supplier"
)


def record_same_supplier(core: Core, actor_id: int, key: str, same_as: str, reason: str) -> str:
    """Record the supplier with ``key`` as the one with ``same_as`` (with every name already recorded as its),
    saying how that is known; returns the key they are now seen under: ``same_as``'s supplier's."""
    reason = reason.strip()
    with core.db.unit_of_work() as session:
        actor = lock_names_for(core, session, actor_id)
        if problems := _naming_problems(core, session, actor, key, same_as, reason):
            raise InvalidInput(problems)
        before = recorded_names(session)
        after = dict(before)
        source, target = _recorded_as_one(after, key, same_as)
        _write_names(session, before, after, {source: reason}, actor_id, core.engine.clock())
        core.engine.system_event(
            session,
            actor_id=actor_id,
            action="record_same_supplier",
            data={"key": source, "same_as": target, "as_named": [key, same_as]},
            comment=reason,
        )
        return target


def _naming_problems(core: Core, session: Session, actor: Actor, key: str, same_as: str, reason: str) -> dict:
    """What is wrong with recording ``key``'s supplier as ``same_as``'s, by field, before the names are looked
    at together: no reason, or a name the person sees nothing of."""
    problems = {}
    if not reason:
        problems["reason"] = "Say how you know they are one company (a registration number, an invoice, a letter)"
    for field_name, given in (("key", key), ("same_as", same_as)):
        if len(given) > KEY_LENGTH or not on_record(session, actor, given, core.engine.today(), core.workflows):
            problems[field_name] = NOT_ON_RECORD
    return problems


def _recorded_as_one(names: dict[str, str], key: str, same_as: str) -> tuple[str, str]:
    """Record in ``names`` (each alias's key, with its supplier's: ``recorded_names``) that ``key``'s supplier
    is ``same_as``'s: the first becomes a name of the second, and the names recorded as the first's move with
    it, so that no name is a name of a name. Returns (the supplier now a name of the other, the other)."""
    source, target = names.get(key, key), names.get(same_as, same_as)
    if source == target:
        raise InvalidInput({"same_as": "They are already recorded as one supplier"})
    for alias, supplier in list(names.items()):
        if supplier == source:
            names[alias] = target
    names[source] = target
    return source, target


def _write_names(
    session: Session, before: dict[str, str], after: dict[str, str], reasons: dict[str, str], actor_id: int, now
) -> None:
    """Make the table say ``after`` where it said ``before``: a new name with its reason, a moved one's supplier."""
    for alias, supplier in after.items():
        if alias not in before:
            by = {"recorded_by_id": actor_id, "recorded_at": now}  # the engine's clock, as every time it writes
            session.add(SupplierAlias(key=alias, same_as=supplier, reason=reasons[alias], **by))
        elif before[alias] != supplier:
            session.execute(update(SupplierAlias).where(SupplierAlias.key == alias).values(same_as=supplier))


def lock_names_for(core: Core, session: Session, actor_id: int) -> Actor:
    """The person recording a supplier's names, if they may; with the names locked against another such
    record at once, which would miss this one's (the system chain's lock: both go on it)."""
    actor = core.engine.actor(session, actor_id)
    require_recorder(actor)
    core.engine.lock_system_chain(session)
    return actor


def separate_supplier(core: Core, actor_id: int, key: str, reason: str) -> str:
    """Undo ``record_same_supplier`` for the name with ``key``: a supplier of its own again, saying why;
    returns the key of the supplier it had been recorded as."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput({"reason": "Say why they are not one company after all"})
    with core.db.unit_of_work() as session:
        lock_names_for(core, session, actor_id)
        alias = session.get(SupplierAlias, key)
        if alias is None:
            raise InvalidInput({"key": "That name is not recorded as another supplier's"})
        was = alias.same_as
        session.delete(alias)
        core.engine.system_event(
            session,
            actor_id=actor_id,
            action="separate_supplier",
            data={"key": key, "was_same_as": was},
            comment=reason,
        )
        return was


def told_apart(session: Session) -> set[frozenset[str]]:
    """The pairs of suppliers (their keys) the intelligence team judged to be different companies: the few a
    team records by hand, read whole (``names_alike.record_different_suppliers``)."""
    return {frozenset(pair) for pair in session.execute(select(SupplierDistinction.key, SupplierDistinction.other))}


@dataclass(frozen=True)
class SharedNumber:
    """A Companies House or charity number, or a PPON, recorded under names not recorded as one supplier."""

    number: str
    # Each supplier's key, with the spelling it is recorded under most: the one recorded most first.
    names: list[tuple[str, str]]


# The rows that name a supplier with its numbers: the register's contracts, the tenders, the requests to
# participate and the applications to dynamic markets.
NUMBERED = (Contract, Tender, ParticipationRequest, MarketMembership)
# Their columns of a supplier's numbers: its Companies House or charity number, and its PPON.
NUMBERS = ("supplier_registration", "supplier_ppon")


def _numbered_seen(actor: Actor, source: type, column: str, *conditions: ColumnElement[bool]) -> Select:
    """(number, key, name) of the ``source`` rows the person sees that give a supplier's number in
    ``column`` (of ``NUMBERS``), and meet ``conditions``."""
    number = getattr(source, column)
    # "Given", in the number indexes' own words (a literal, not a parameter a generic plan cannot see through):
    # a partial index serves a query only where its condition follows from the query's.
    given = number != literal_column("''")
    query = select(number.label("number"), source.supplier_key.label("key"), source.supplier_name.label("name"))
    if source is Contract:
        return query.where(given, visible_contracts(actor), *conditions)
    if source is MarketMembership:
        return query.where(given, applications_seen(actor), *conditions)
    return query.join(Case, Case.id == source.case_id).where(given, tenders_seen(actor), *conditions)


def names_sharing_a_number(session: Session, actor: Actor) -> list[SharedNumber]:
    """The registration numbers and PPONs the register, the tenders, the requests to participate and the
    dynamic markets the person sees record under names not recorded as one supplier (``record_same_supplier``),
    nor as different ones: perhaps one company under two names, for the intelligence team to look at and
    record as one, or not. The numbers with most names first; at most FOUND_AT_MOST."""
    by_number: dict[str, dict[str, Counter[str]]] = {}
    own, apart = recorded_names(session), told_apart(session)
    # A query for each kind of number: one over both, its eight parts, costs PostgreSQL enough to plan it in
    # parallel, whose workers take longer to start than the two queries take to run.
    for column in NUMBERS:
        recorded = union_all(*(_numbered_seen(actor, source, column) for source in NUMBERED)).subquery()
        # Numbers under more than one name's key (some of them perhaps recorded as one already: folded below).
        numbers = (
            select(recorded.c.number)
            .group_by(recorded.c.number)
            .having(func.count(recorded.c.key.distinct()) > 1)
            .order_by(func.count(recorded.c.key.distinct()).desc(), recorded.c.number)
            .limit(FOUND_AT_MOST * 4)
        )
        rows = session.execute(
            select(recorded.c.number, recorded.c.key, recorded.c.name, func.count())
            .where(recorded.c.number.in_(numbers.scalar_subquery()))
            .group_by(recorded.c.number, recorded.c.key, recorded.c.name)
        )
        for number, key, name, count in rows:
            by_number.setdefault(number, {}).setdefault(own.get(key, key), Counter())[name.strip()] += count
    shared = [
        SharedNumber(
            number,
            [
                (key, most_used_spelling(spelt))
                for key, spelt in sorted(names.items(), key=lambda n: (-n[1].total(), n[0]))
            ],
        )
        for number, names in by_number.items()
        if not all(frozenset(pair) in apart for pair in combinations(names, 2))  # one name, or judged different
    ]
    return sorted(shared, key=lambda found: (-len(found.names), found.number))[:FOUND_AT_MOST]


@dataclass(frozen=True)
class _Record:
    """What the person may see of a supplier: each part of its page."""

    contracts: list[Contract]
    payments: list[Payment]
    tenders: list[TenderMade]
    requests: list[RequestMade]
    memberships: list[MarketMembership]
    frameworks: list[Framework]

    def __bool__(self) -> bool:
        return any((self.contracts, self.payments, self.tenders, self.requests, self.memberships, self.frameworks))


def on_record(session: Session, actor: Actor, key: str, today: date, workflows: WorkflowRegistry) -> bool:
    """Whether the person may see anything of the supplier with ``key`` (its page would not be NotFound), by
    any of its names: an award's supplier is linked to its page where it is, and said to be new to the councils
    where not. Asked part by part, each as whether there is a row, not by reading the record a long-standing
    supplier has."""
    return _seen_under(session, actor, names_of(session, key), today)


def _seen_under(session: Session, actor: Actor, keys: tuple[str, ...], today: date) -> bool:
    """``on_record``, for a supplier's names' ``keys``."""
    parts = (
        _contracts_with(actor, keys),
        _payments_with(actor, keys, today),
        _tenders_with(actor, keys),
        _requests_with(actor, keys),
    )
    if any(session.scalar(select(part.exists())) for part in parts):
        return True
    return bool(memberships_of_supplier(session, actor, keys) or _frameworks_with(session, actor, keys))


def _contracts_with(actor: Actor, keys: tuple[str, ...]) -> Select:
    return select(Contract).where(Contract.supplier_key.in_(keys), visible_contracts(actor))


def _payments_with(actor: Actor, keys: tuple[str, ...], today: date) -> Select:
    """In the years a supplier's page shows."""
    return select(Payment).where(
        Payment.supplier_key.in_(keys), *_payments_seen_by(actor), Payment.paid_on >= _first_year_shown(today)
    )


def _tenders_with(actor: Actor, keys: tuple[str, ...]) -> Select:
    return (
        select(Tender, Case)
        .join(Case, Case.id == Tender.case_id)
        .where(Tender.supplier_key.in_(keys), tenders_seen(actor))
    )


def _requests_with(actor: Actor, keys: tuple[str, ...]) -> Select:
    """Its requests to participate, seen as its tenders are."""
    return (
        select(ParticipationRequest, Case)
        .join(Case, Case.id == ParticipationRequest.case_id)
        .where(ParticipationRequest.supplier_key.in_(keys), tenders_seen(actor))
    )


def _frameworks_with(session: Session, actor: Actor, keys: tuple[str, ...]) -> list[Framework]:
    # A register of tens of frameworks, each listing its suppliers as written: matched here by name key.
    return [f for f in frameworks_for(session, actor) if any(supplier_key(s) in keys for s in f.suppliers)]


def _record(session: Session, actor: Actor, keys: tuple[str, ...], today: date, workflows: WorkflowRegistry) -> _Record:
    contracts = list(
        session.scalars(
            _contracts_with(actor, keys)
            .options(joinedload(Contract.case))  # each one's state is shown: read with it, not one by one
            .order_by(Contract.end_date.desc(), Contract.reference)
        )
    )
    payments = list(
        session.scalars(_payments_with(actor, keys, today).order_by(Payment.paid_on.desc(), Payment.id.desc()))
    )
    tenders, memberships = _tenders(session, actor, keys, workflows), memberships_of_supplier(session, actor, keys)
    requests = _requests(session, actor, keys, workflows)
    return _Record(contracts, payments, tenders, requests, memberships, _frameworks_with(session, actor, keys))


def supplier(session: Session, actor: Actor, key: str, today: date, workflows: WorkflowRegistry) -> Supplier:
    """What the person may see of the supplier with ``key`` (or of the one it is recorded as the name of:
    ``names_of``), under all its names: NotFound where that is nothing."""
    keys = names_of(session, key)
    key = keys[0]
    record = _record(session, actor, keys, today, workflows)
    if not record:
        raise NotFound(NOT_ON_RECORD)
    contracts, payments, tenders = record.contracts, record.payments, record.tenders
    memberships, on_frameworks = record.memberships, record.frameworks
    years = [YearPaid(add_months(financial_year_starts(today), -12 * n)) for n in range(YEARS_SHOWN)]
    for payment in payments:
        year = next(year for year in years if payment.paid_on >= year.starts)
        if payment.contract_id is None:
            year.off_contract += payment.amount
        else:
            year.under_contract += payment.amount
        year.by_council[payment.authority] += payment.amount
        if payment.invoice_received_on is not None and payment.amount > 0:
            year.timed += 1
            year.on_time += paid_within_term((payment.paid_on - payment.invoice_received_on).days)
    given = [*contracts, *tenders, *record.requests, *memberships]  # each naming it, perhaps with its numbers
    registrations, ppons = ({getattr(named, column) for named in given} - {""} for column in NUMBERS)
    numbers = registrations | ppons
    registered = Counter(contract.supplier_name.strip() for contract in contracts)
    spelt = registered + Counter(payment.supplier_name.strip() for payment in payments)
    spelt += Counter(made.supplier_name for made in [*tenders, *record.requests])
    spelt += Counter(m.supplier_name for m in memberships)
    spelt += Counter(s for f in on_frameworks for s in f.suppliers if supplier_key(s) in keys)
    # Its own name (not one of its other names), as the register spells it where it has it.
    name = most_used_spelling(_spelt_as(key, registered) or _spelt_as(key, spelt) or registered or spelt)
    return Supplier(
        key=key,
        name=name,
        # Its own name's other spellings; its other names' are theirs (``also``).
        spellings=(name, *(other for other, _ in _spelt_as(key, spelt).most_common() if other != name)),
        registrations=tuple(sorted(registrations)),
        ppons=tuple(sorted(ppons)),
        same_number=_same_number_elsewhere(session, actor, keys, numbers),
        also=_other_names(session, keys[1:], spelt),
        contracts=contracts,
        years=years,
        latest=payments[:LATEST_PAYMENTS],
        councils=tuple(sorted(staff_authorities(actor))),
        assessed=latest_assessments(session, contracts),
        breaches=recorded_breaches(session, contracts),
        tenders=tenders,
        requests=record.requests,
        memberships=memberships,
        frameworks=on_frameworks,
    )


@dataclass(frozen=True)
class SupplierInBrief:
    """What a judgement on several suppliers at once shows of each: its name as spelt most, the contracts the
    person may see with it, and its registration numbers in those contracts."""

    key: str
    name: str
    contracts: int
    registrations: tuple[str, ...]


def suppliers_in_brief(session: Session, actor: Actor, keys: list[str], today: date) -> list[SupplierInBrief]:
    """Each supplier of ``keys`` (its own, or one it is recorded as the name of), in brief, read together
    rather than page by page; NotFound for one the person may see nothing of (as its page would be)."""
    names = {key: names_of(session, key) for key in keys}
    if any(not _seen_under(session, actor, theirs, today) for theirs in names.values()):
        raise NotFound(NOT_ON_RECORD)
    every = sorted({name for theirs in names.values() for name in theirs})
    tally = NamesTally()
    tally.add(session, actor, today, lambda column: [column.in_(every)])
    registered = session.execute(
        select(Contract.supplier_key, Contract.supplier_registration)
        .where(Contract.supplier_key.in_(every), Contract.supplier_registration != "", visible_contracts(actor))
        .distinct()
    ).all()
    briefs = []
    for theirs in names.values():  # the supplier's own key first, then its other names'
        name, contracts, _ = tally.of_supplier(theirs[0], list(theirs))
        numbers = tuple(sorted({number for key, number in registered if key in theirs}))
        briefs.append(SupplierInBrief(theirs[0], name, contracts, numbers))
    return briefs


def _other_names(session: Session, keys: tuple[str, ...], spelt: Counter[str]) -> list[OtherName]:
    if not keys:
        return []
    rows = session.execute(
        select(SupplierAlias.key, SupplierAlias.reason, User.full_name, SupplierAlias.recorded_at)
        .join(User, User.id == SupplierAlias.recorded_by_id)
        .where(SupplierAlias.key.in_(keys))
        .order_by(SupplierAlias.key)
    )
    return [OtherName(key, _spelling_of(key, spelt), reason, by, at) for key, reason, by, at in rows]


def _spelling_of(key: str, spelt: Counter[str]) -> str:
    """The spelling most used of the name with ``key``, of those in ``spelt``; the key itself if none is."""
    its = _spelt_as(key, spelt)
    return most_used_spelling(its) if its else key


def _spelt_as(key: str, spelt: Counter[str]) -> Counter[str]:
    """Of ``spelt``, the spellings of the name with ``key``."""
    return Counter({spelling: n for spelling, n in spelt.items() if supplier_key(spelling) == key})


def _same_number_elsewhere(
    session: Session, actor: Actor, keys: tuple[str, ...], numbers: set[str]
) -> list[tuple[str, str]]:
    """The other names (keys, with a spelling) under which the register, the tenders, the requests to
    participate or the dynamic markets the person sees record one of ``numbers`` (Companies House or charity
    numbers, and PPONs as ``statutory.ppon`` writes them): one company, spelt so differently that its keys
    differ (a trading name, a holding company's name), which the intelligence team may want to look at
    together."""
    unique = {number for number in numbers if ppon(number) == number}
    found: dict[str, str] = {}
    for column, given in zip(NUMBERS, (numbers - unique, unique), strict=True):
        if not given:
            continue
        for source in NUMBERED:
            number = getattr(source, column)
            query = _numbered_seen(actor, source, column, number.in_(sorted(given)), source.supplier_key.not_in(keys))
            for _, other_key, other_name in session.execute(query):
                found.setdefault(other_key, other_name)
    return sorted(found.items())


def _tenders(session: Session, actor: Actor, keys: tuple[str, ...], workflows: WorkflowRegistry) -> list[TenderMade]:
    rows = session.execute(_tenders_with(actor, keys).order_by(Tender.received_on.desc(), Case.reference)).all()
    evaluations = evaluations_of(session, {case.id for _, case in rows})
    return [
        TenderMade(
            case,
            tender.received_on,
            tender.price,
            _how_it_fared(evaluations[case.id], tender, case, workflows.state_of(case)),
            tender.supplier_name,
            tender.supplier_registration,
            tender.supplier_ppon,
        )
        for tender, case in rows
    ]


def _requests(session: Session, actor: Actor, keys: tuple[str, ...], workflows: WorkflowRegistry) -> list[RequestMade]:
    query = _requests_with(actor, keys).order_by(ParticipationRequest.received_on.desc(), Case.reference)
    return [
        RequestMade(
            case,
            made.received_on,
            _what_became_of(made, case, workflows.state_of(case)),
            made.supplier_name,
            made.supplier_registration,
            made.supplier_ppon,
        )
        for made, case in session.execute(query)
    ]


def _what_became_of(made: ParticipationRequest, case: Case, state: StateDef) -> str:
    if made.set_aside_because:
        return f"Set aside: {made.set_aside_because}"
    if state.takes_requests_to_participate:
        return "Being assessed"
    invited = invited_to_tender(case.details or {})
    return "Invited to tender" if invited is not None and made.supplier_key in invited else "Not invited to tender"


def _how_it_fared(found: Evaluation, tender: Tender, case: Case, state: StateDef) -> str:
    if tender.not_assessed_because:
        return f"Not assessed: {tender.not_assessed_because}"
    if supplier_key((case.details or {}).get("supplier_name") or "") == tender.supplier_key:
        if state.award in ("approved", "signed"):
            return "Awarded"
        if state.award == "deciding":
            return "Recommended for the award"
    standing = found.standing_of(tender.id)
    ranked = f", ranked {standing.rank} of {len(found.assessed)}" if standing and standing.rank else ""
    if state.takes_tenders:
        return f"Being evaluated{ranked}"
    return ("Not recommended" if state.award == "deciding" else "Not awarded") + ranked


def _first_year_shown(today: date) -> date:
    return add_months(financial_year_starts(today), -12 * (YEARS_SHOWN - 1))


def _payments_seen_by(actor: Actor) -> tuple[ColumnElement[bool], ...]:
    """A council's payments are seen by its staff; payments to individuals by nobody here."""
    return Payment.authority.in_(sorted(staff_authorities(actor))), not_(Payment.to_individual)


def names_numbered(session: Session, actor: Actor, text: str) -> dict[str, str]:
    """The names recorded with ``text`` as their supplier's Companies House or charity number, or its PPON (in
    the register, a tender, a request to participate or a market application the person sees), each key with a
    spelling of it: a supplier looked for by its number (*Find a supplier*, the register's search). None unless
    ``text`` has a number's shape."""
    given = text.strip()
    if unique := ppon(given):
        numbers = {unique}
    elif any(shape.fullmatch(given.upper()) for shape in REGISTERS.values()):
        numbers = {given, given.upper()}
    else:
        return {}
    return dict(_same_number_elsewhere(session, actor, (), numbers))


def _having_words(column: InstrumentedAttribute[str], words: list[str]) -> list[ColumnElement[bool]]:
    return [column.contains(word, autoescape=True) for word in words]


# --- the intelligence team's table of suppliers' names ----------------------------------------------------------
NAMES_LAYOUT = Layout(
    headings={
        "name": ("Name", "Supplier name"),
        "same_as": ("Same supplier as", "Supplier it is"),
        "reason": ("Reason", "How we know"),
    },
    required=("name", "same_as", "reason"),
    what="list of suppliers' names",
)
MAX_NAMES = 20_000


@dataclass
class SupplierNamesLoad:
    """What a checked table of names holds ((name, the supplier it is) as the file gives them), and whether it
    was recorded."""

    pairs: list[tuple[str, str]]
    digest: str  # SHA-256 of the file, recorded in the audit
    loaded: bool = False


def load_supplier_names(core: Core, data: bytes, *, actor_id: int, apply: bool = False) -> SupplierNamesLoad:
    """Check an intelligence team's table of suppliers' names (a CSV: each name, the supplier it is, and how
    they know) whole, every problem named by line and column, and with ``apply`` record every row as
    ``record_same_supplier`` would, in order (a row may build on one above it), in one transaction: all of
    it, or nothing. For someone who may record names, and of the suppliers they see."""
    with core.db.unit_of_work() as session:
        actor = lock_names_for(core, session, actor_id)
        problems: list[FileProblem] = []
        table = read_table(data, NAMES_LAYOUT, problems)
        before = recorded_names(session)
        after, reasons, pairs = dict(before), {}, []
        for line, values, wrong in parsed_rows(table, _name_cell, problems, most=MAX_NAMES, noun="names"):
            if not wrong:
                key, same_as = supplier_key(values["name"]), supplier_key(values["same_as"])
                wrong = _naming_problems(core, session, actor, key, same_as, values["reason"])
            if not wrong:
                try:
                    source, _ = _recorded_as_one(after, key, same_as)  # seeing the rows above it
                except InvalidInput as error:
                    wrong = error.fields
                else:
                    reasons[source] = values["reason"]
                    pairs.append((values["name"], values["same_as"]))
            named = {"name" if field == "key" else field: text for field, text in wrong.items()}  # the file's word
            problems += row_problems(table, line, named)
        if not pairs and not problems:
            problems.append(FileProblem(0, "", "The file has headings but no names"))
        if problems:
            raise FileRefused(sorted(problems, key=lambda problem: problem.line))
        load = SupplierNamesLoad(pairs, hashlib.sha256(data).hexdigest())
        if apply:
            _write_names(session, before, after, reasons, actor_id, core.engine.clock())
            core.engine.system_event(
                session,
                actor_id=actor_id,
                action="load_supplier_names",
                data={"names": len(pairs), "sha256": load.digest, "pairs": [list(pair) for pair in pairs]},
            )
            load.loaded = True
        return load


def _name_cell(field_name: str, text: str) -> str:
    longest = 2000 if field_name == "reason" else KEY_LENGTH
    if len(text) > longest:
        raise ValueError(f"Keep it to {longest} characters")
    return unguarded(text.strip())
