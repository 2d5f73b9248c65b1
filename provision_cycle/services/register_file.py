"""Loading a council's existing contract register from a CSV file (a spreadsheet saved as CSV).

A council moving onto the system brings its register with it: hundreds or thousands of live contracts kept in
a spreadsheet. The file is checked whole before anything is written: every problem is reported with its line
and the column's heading as the file spells it, and a file with any problem loads nothing. A clean file loads
in one transaction, each contract through ``import_contract`` (its case, its frozen route, its opening audit
event), so the scheduler raises its renewal and review tasks from the next run.

The register's own CSV export loads back: its columns are understood (names for councils, categories, routes
and statuses, contract managers by name), and those the system works out itself (the reference, the regime
and a call-off's framework) are ignored.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import Core
from ..errors import NotPermitted
from ..governance.statutory import Route
from ..models import Contract, RoleAssignment, User
from ..wording import listed
from ..workflow.context import MANAGER_ROLE
from ..workflow.engine import parse_money
from .register import ExistingContract, check_existing, import_contract
from .spreadsheet import (
    PPON_HEADINGS,
    FileProblem,
    FileRefused,
    Layout,
    day,
    parsed_rows,
    plain,
    problems_beside,
    read_table,
    row_problems,
    unguarded,
    yes_or_no,
)

# Each field of ``ExistingContract`` the file can give, with the headings it may go by (compared without
# case or repeated spaces). The first is the one the register's export and the documentation use.
HEADINGS = {
    "title": ("Title", "Contract title"),
    "supplier_name": ("Supplier", "Supplier name"),
    "authority": ("Authority", "Council"),
    "category": ("Category",),
    "contract_type": ("Contract type",),
    "value": ("Value excluding VAT", "Value", "Total value"),
    "start_date": ("Start date",),
    "end_date": ("End date",),
    "contract_manager": ("Contract manager",),
    "pillar": ("Pillar",),
    "extension_months_available": ("Extension months available", "Extension months"),
    "maximum_term_months": ("Maximum term in months", "Maximum term (months)", "Maximum term"),
    "notice_period_days": ("Notice period days", "Notice period (days)"),
    "risk": ("Risk",),
    "state": ("Status",),
    "description": ("Description",),
    "signed_on": ("Signed on", "Date signed"),
    "supplier_is_sme": ("SME",),
    "supplier_is_vcse": ("VCSE",),
    "supplier_is_supported_employment": ("Supported employment provider",),
    "supplier_is_public_service_mutual": ("Public service mutual",),
    "supplier_registration": ("Supplier registration number", "Company number", "Charity number"),
    "supplier_ppon": PPON_HEADINGS,
    "irrecoverable_vat": ("Irrecoverable VAT", "VAT that cannot be recovered"),
    "route": ("Route", "Procurement route"),
}
REQUIRED = (
    "title", "supplier_name", "authority", "category", "contract_type", "value", "start_date", "end_date",
    "contract_manager",
)  # fmt: skip
# The export's columns that the system works out for itself: a loaded contract gets its own reference, and
# its regime from its start date; the framework a call-off was made under is its procurement's, and a loaded
# contract has none here.
IGNORED = ("reference", "regime", "framework")
CONTRACT_TYPES = {
    "goods": "goods", "services": "services", "works": "works",
    "light_touch": "light_touch", "light-touch services": "light_touch", "light touch services": "light_touch",
}  # fmt: skip
# The checks of a whole contract (``check_existing``) that weigh one cell against another: a problem with the
# first found against a stand-in for the second (a cell that is wrong or empty) is no problem of the file's.
WEIGHED_AGAINST = {"end_date": "start_date", "maximum_term_months": "extension_months_available"}
# What a file may reasonably hold: the biggest registers are tens of thousands of contracts.
MAX_ROWS = 100_000
LAYOUT = Layout(HEADINGS, REQUIRED, IGNORED, what="register")


@dataclass
class RegisterLoad:
    """What a checked file holds, and once loaded, what it became."""

    contracts: list[ExistingContract]
    digest: str  # SHA-256 of the file, recorded in the audit
    loaded: bool = False
    references: list[str] = field(default_factory=list)

    @property
    def by_council(self) -> Counter[str]:
        return Counter(contract.authority for contract in self.contracts)

    @property
    def total_value(self) -> Decimal:
        return sum((contract.value for contract in self.contracts), Decimal(0))


def load_register(
    core: Core, data: bytes, *, actor_id: int, councils: Collection[str] | None = None, apply: bool = False
) -> RegisterLoad:
    """Check a register file and, with ``apply``, load it: all of it in one transaction, or nothing.

    ``councils`` are those the actor may load contracts for (an administrator's councils on the web); None for
    the command line, where whoever runs it already has the system in hand. Raises ``FileRefused`` with
    every problem found."""
    digest = hashlib.sha256(data).hexdigest()
    with core.db.unit_of_work() as session:
        if councils is not None and not councils:
            raise NotPermitted("Only a council's administrator can load contracts into its register")
        contracts = _read(core, session, data, councils)
        load = RegisterLoad([contract for _, contract in contracts], digest)
        if not apply:
            return load
        for _, contract in contracts:
            load.references.append(import_contract(core, session, contract, actor_id=actor_id).reference)
        core.engine.system_event(
            session,
            actor_id=actor_id,
            action="load_register",
            data={"contracts": len(load.references), "sha256": digest, "references": _span(load.references)},
        )
        load.loaded = True
        return load


def _span(references: list[str]) -> str:
    return f"{references[0]} to {references[-1]}" if references else ""


def _read(
    core: Core, session: Session, data: bytes, councils: Collection[str] | None
) -> list[tuple[int, ExistingContract]]:
    problems: list[FileProblem] = []
    table = read_table(data, LAYOUT, problems)
    reader = _RowReader(core, session, councils)
    contracts: list[tuple[int, ExistingContract]] = []
    for line, values, wrong in parsed_rows(table, reader.parse, problems, most=MAX_ROWS, noun="contracts"):
        contract, wrong = reader.contract({name: value for name, value in values.items() if value is not None}, wrong)
        if contract is not None:
            contracts.append((line, contract))
        problems += row_problems(table, line, wrong)
    if not contracts and not problems:
        problems.append(FileProblem(0, "", "The file has headings but no contracts"))
    problems += _already_there(session, contracts, table.heading("title"))
    if problems:
        raise FileRefused(sorted(problems, key=lambda p: p.line))
    return contracts


class _RowReader:
    """Turns each row into an ``ExistingContract``, noting what is wrong with it."""

    def __init__(self, core: Core, session: Session, councils: Collection[str] | None) -> None:
        self.core, self.councils = core, councils
        org = core.governance.organisation
        self.org = org
        self.authorities = {plain(spelling): code for spelling, code in org.authority_spellings().items()}
        self.categories = {plain(code): code for code in org.categories} | {
            plain(category.name): code for code, category in org.categories.items()
        }
        self.pillars = {plain(code): code for code in org.pillars} | {
            plain(pillar.name): code for code, pillar in org.pillars.items()
        }
        definition = core.workflows.for_stage("contract")
        resting = {name: state for name, state in definition.states.items() if not state.gate}
        self.states = {plain(name): name for name in resting} | {
            plain(state.label): name for name, state in resting.items()
        }
        self.routes = {plain(route.label): route.value for route in Route} | {plain(r.value): r.value for r in Route}
        self.people = _people(session)
        self.managers = _managers(session)

    def contract(self, values: dict[str, Any], wrong: dict[str, str]) -> tuple[ExistingContract | None, dict]:
        """A row's contract from its cells' ``values`` (``parse``'s), or None and what is ``wrong`` with it,
        the cells' own problems among them."""
        wrong = dict(wrong)
        pillar = values.pop("pillar", None)
        manager = values.pop("contract_manager", None)
        category = values.get("category")
        if pillar and category and self.org.categories[category].pillar != pillar:
            named = self.org.categories[category]
            wrong["pillar"] = f"{named.name} is in {self.org.pillars[named.pillar].name}, not {pillar}"
        authority = values.get("authority")
        if authority and self.councils is not None:
            outside = [code for code in self.org.authorities_of(authority) if code not in self.councils]
            if outside:
                mine = " and ".join(sorted(self.councils))
                wrong["authority"] = f"You can load contracts for {mine} only: you do not administer {outside[0]}"
        if manager and authority and category and "authority" not in wrong:
            wrong |= self._manager_problem(manager, authority, self.org.categories[category].pillar)
        if wrong:  # every problem of the row at once: the whole contract's checks still run on its other cells
            return None, wrong | self._problems_beside(values, wrong)
        contract = ExistingContract(**values, contract_manager_id=manager.id)
        wrong = check_existing(self.core, contract)
        return (None, wrong) if wrong else (contract, {})

    def _problems_beside(self, values: dict[str, Any], wrong: dict[str, str]) -> dict[str, str]:
        """What the checks of a whole contract find in a row's cells that are not already ``wrong``."""
        stand_ins: dict[str, Any] = {
            "title": "-", "supplier_name": "-", "authority": next(iter(self.org.authorities)),
            "category": next(iter(self.org.categories)), "contract_type": "goods", "value": Decimal(0),
            "start_date": date(2000, 1, 1), "end_date": date(2000, 1, 1),
        }  # fmt: skip

        def check(row: dict[str, Any]) -> dict[str, str]:
            return check_existing(self.core, ExistingContract(**row, contract_manager_id=0))

        return problems_beside(check, values, wrong, stand_ins, WEIGHED_AGAINST)

    def parse(self, name: str, text: str) -> Any:
        """A cell's value (None for an empty optional one); ValueError saying what is wrong with it."""
        if name in ("title", "supplier_name", "description", "supplier_registration", "supplier_ppon"):
            return unguarded(text) if text else None
        if name == "authority":
            return self._choose(self.authorities, text, "a council: " + _or(list(self.authorities.values())))
        if name == "category":
            return self._choose(self.categories, text, "a category the configuration lists")
        if name == "pillar":
            return self._choose(self.pillars, text, "a pillar: " + _or([p.name for p in self.org.pillars.values()]))
        if name == "contract_type":
            return self._choose(CONTRACT_TYPES, text, "goods, services, works or light-touch services")
        if name == "route":
            return (
                self._choose(self.routes, text, "a procurement route: " + _or([r.label for r in Route]))
                if text
                else None
            )
        if name in ("value", "irrecoverable_vat"):
            if not text:
                return None
            value = parse_money(text)
            if value is None:
                raise ValueError(f"{text!r} is not an amount in pounds, like 25000 or £25,000.50")
            return value
        if name in ("start_date", "end_date", "signed_on"):
            return day(text) if text else None
        if name in ("extension_months_available", "notice_period_days", "maximum_term_months"):
            if not text:
                return None
            if not text.isdigit():
                raise ValueError(f"{text!r} is not a whole number, 0 or more")
            return int(text)
        if name == "risk":
            return plain(text) or None
        if name == "state":
            return self._choose(self.states, text, "a status a running contract can have, like Live") if text else None
        if name in ("supplier_is_sme", "supplier_is_vcse"):
            return yes_or_no(text)
        if name in ("supplier_is_supported_employment", "supplier_is_public_service_mutual"):
            return yes_or_no(text) if text else None  # not recorded: registers rarely say
        if name == "contract_manager":
            return self._person(text)
        raise AssertionError(name)  # pragma: no cover - HEADINGS and _parse name the same fields

    @staticmethod
    def _choose(choices: dict[str, str], text: str, wanted: str) -> str:
        if plain(text) not in choices:
            raise ValueError(f"{text!r} is not {wanted}")
        return choices[plain(text)]

    def _person(self, text: str) -> User:
        found = self.people.get(plain(text), [])
        if not found:
            raise ValueError(f"Nobody active is called {text!r} (give their username, email or full name)")
        if len(found) > 1:
            usernames = ", ".join(sorted(person.username for person in found))
            raise ValueError(f"{len(found)} people are called {text!r}: give the username ({usernames})")
        return found[0]

    def _manager_problem(self, person: User, authority: str, pillar: str) -> dict[str, str]:
        """As ``manager_choices``: the Contract Manager role for the council (either, for a joint contract)
        and the contract's pillar, or for the whole council."""
        held = self.managers.get(person.id, set())
        if any((council, scope) in held for council in self.org.authorities_of(authority) for scope in (pillar, None)):
            return {}
        return {
            "contract_manager": f"{person.full_name} does not hold the Contract Manager role for"
            f" {self.org.authority_name(authority)} ({self.org.pillars[pillar].name}): give them the role first,"
            " or name someone who holds it"
        }


def _people(session: Session) -> dict[str, list[User]]:
    """Active people by username, email and full name (a name two people share finds both)."""
    people: dict[str, list[User]] = defaultdict(list)
    for person in session.scalars(select(User).where(User.is_active.is_(True))):
        for key in {plain(person.username), plain(person.email), plain(person.full_name)}:
            people[key].append(person)
    return people


def _managers(session: Session) -> dict[int, set[tuple[str, str | None]]]:
    held: dict[int, set[tuple[str, str | None]]] = defaultdict(set)
    grants = select(RoleAssignment.user_id, RoleAssignment.authority, RoleAssignment.pillar)
    for user_id, authority, pillar in session.execute(grants.where(RoleAssignment.role == MANAGER_ROLE)):
        held[user_id].add((authority, pillar))
    return held


def _already_there(session: Session, contracts: list[tuple[int, ExistingContract]], title: str) -> list[FileProblem]:
    """A contract that is already in the register (the same council, title, supplier and dates), or twice in
    the file: loading a file a second time must not double the register."""

    def key(authority: str, title: str, supplier: str, start: date, end: date) -> tuple[Any, ...]:
        return authority, plain(title), plain(supplier), start, end

    problems, seen = [], {}
    starts = sorted({contract.start_date for _, contract in contracts})
    existing: dict[tuple[Any, ...], str] = {}
    for chunk in range(0, len(starts), 500):
        rows = session.execute(
            select(
                Contract.authority,
                Contract.title,
                Contract.supplier_name,
                Contract.start_date,
                Contract.end_date,
                Contract.reference,
            ).where(Contract.start_date.in_(starts[chunk : chunk + 500]))
        )
        existing.update({key(*row[:5]): row.reference for row in rows})
    for line, c in contracts:
        this = key(c.authority, c.title, c.supplier_name, c.start_date, c.end_date)
        if this in existing:
            problems.append(FileProblem(line, title, f"Already in the register as {existing[this]}"))
        elif this in seen:
            problems.append(FileProblem(line, title, f"The same contract as line {seen[this]}"))
        else:
            seen[this] = line
    return problems


def _or(names: list[str]) -> str:
    return listed(list(dict.fromkeys(names)), "or")
