"""The invoices a council has received and not yet paid, loaded from its finance system's list of them (an
"aged creditors" report saved as CSV): a payments file shows only what was paid, and the payments compliance
notice also counts the invoices received in its period and still unpaid (reg 38(2)(d)).

The list is as at one day (its "As at" column, or the day it is loaded): loading a council's list replaces the
one loaded before, whole. It is checked whole first, every problem named by line and column, and loaded in one
transaction or not at all, like a payments file. An invoice may name the contract it is under (by the
register's reference): only those under public contracts under the Act are counted.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..core import Core
from ..errors import NotPermitted
from ..governance.statutory import ReportingPeriod
from ..models import UnpaidInvoice
from .spend import ledger_council, under_contracts
from .spreadsheet import (
    FileProblem,
    FileRefused,
    Layout,
    day,
    parsed_rows,
    plain,
    pounds,
    read_table,
    row_problems,
    unguarded,
)
from .transparency import public_contract_rows

LAYOUT = Layout(
    headings={
        "authority": ("Council", "Authority", "Body name"),
        "invoice_number": ("Invoice number", "Invoice", "Invoice reference"),
        "supplier_name": ("Supplier", "Supplier name"),
        "amount": ("Amount excluding VAT", "Amount", "Net amount", "Outstanding"),
        "invoice_received_on": ("Invoice received", "Date invoice received", "Invoice received date"),
        "contract_reference": ("Contract reference", "Contract"),
        "as_at": ("As at", "Report date"),
    },
    required=("authority", "invoice_number", "supplier_name", "amount", "invoice_received_on"),
    what="list of unpaid invoices",
)
LIMITS = {"invoice_number": 60, "supplier_name": 200}
MAX_ROWS = 200_000


@dataclass
class UnpaidLoad:
    invoices: list[UnpaidInvoice]
    digest: str
    as_at: date
    loaded: bool = False
    by_council: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> Decimal:
        return sum((invoice.amount for invoice in self.invoices), Decimal(0))


def load_unpaid_invoices(
    core: Core, data: bytes, *, actor_id: int, councils: Collection[str] | None = None, apply: bool = False
) -> UnpaidLoad:
    """Check a list of unpaid invoices and, with ``apply``, load it in place of each of its councils' list
    before: all of it in one transaction, or nothing. ``councils``: those the actor may load for (None: the
    command line's operator, any)."""
    if councils is not None and not councils:
        raise NotPermitted("Only a council's administrator can load its unpaid invoices")
    with core.db.unit_of_work() as session:
        invoices, as_at = _read(core, session, data, councils)
        load = UnpaidLoad(
            invoices, hashlib.sha256(data).hexdigest(), as_at, by_council=Counter(i.authority for i in invoices)
        )
        if not apply:
            return load
        replaced = session.execute(
            delete(UnpaidInvoice).where(UnpaidInvoice.authority.in_(sorted(load.by_council)))
        ).rowcount
        now = core.engine.clock()
        for invoice in invoices:
            invoice.loaded_at = now
        session.add_all(invoices)
        session.flush()
        core.engine.system_event(
            session,
            actor_id=actor_id,
            action="load_unpaid_invoices",
            data={
                "invoices": len(invoices),
                "councils": sorted(load.by_council),
                "as_at": as_at.isoformat(),
                "replaced": replaced,
                "sha256": load.digest,
                "total": f"{load.total:.2f}",
            },
        )
        load.loaded = True
        return load


def _read(
    core: Core, session: Session, data: bytes, councils: Collection[str] | None
) -> tuple[list[UnpaidInvoice], date]:
    problems: list[FileProblem] = []
    table = read_table(data, LAYOUT, problems)
    org = core.governance.organisation
    authorities = {plain(spelling): code for spelling, code in org.authority_spellings(joint=False).items()}
    today = core.engine.today()
    rows: list[tuple[int, dict[str, Any], str]] = []
    refused: list[tuple[int, dict[str, Any], str]] = []  # rows with a problem: their references checked too
    seen: dict[tuple[str, str], int] = {}
    days: Counter[date] = Counter()
    parse = partial(_parse, authorities=authorities, councils=councils)
    for line, values, wrong in parsed_rows(table, parse, problems, most=MAX_ROWS, noun="invoices"):
        as_at = values.pop("as_at", None) or today
        if as_at > today:
            wrong["as_at"] = "A list cannot be as at a day still to come"
        received = values.get("invoice_received_on")
        if received and received > as_at:
            wrong["invoice_received_on"] = f"Received after the list's day ({as_at:%d/%m/%Y}): it cannot be on it"
        key = (values.get("authority"), values.get("invoice_number"))
        if "invoice_number" not in wrong and key in seen:
            wrong["invoice_number"] = f"Invoice {key[1]} is also on line {seen[key]}"
        seen.setdefault(key, line)
        problems += row_problems(table, line, wrong)
        reference = values.pop("contract_reference", "")
        (refused if wrong else rows).append((line, values, reference))
        if not wrong:
            days[as_at] += 1
    if not rows and not problems:
        problems.append(FileProblem(0, "", "The file has headings but no invoices"))
    if len(days) > 1:
        listed = ", ".join(f"{day:%d/%m/%Y}" for day in sorted(days))
        problems.append(FileProblem(0, table.heading("as_at"), f"A list is as at one day; this one has {listed}"))
    as_at = next(iter(days), today)
    dated = [(line, {**values, "as_at": as_at}, reference) for line, values, reference in rows]
    invoices = under_contracts(core, session, table, dated, problems, UnpaidInvoice, refused=refused)
    if problems:
        raise FileRefused(sorted(problems, key=lambda p: p.line))
    return invoices, as_at


def _parse(name: str, text: str, authorities: dict[str, str], councils: Collection[str] | None) -> Any:
    if name == "authority":
        return ledger_council(text, authorities, councils, what="unpaid invoices", one="an invoice is one council's")
    if name in ("invoice_received_on", "as_at"):
        return day(text) if text else None
    if name == "amount":
        return pounds(text)
    if name == "contract_reference":
        return text.upper()
    text = unguarded(text)
    if len(text) > LIMITS[name]:
        raise ValueError(f"At most {LIMITS[name]} characters")
    return text


@dataclass(frozen=True)
class UnpaidListed:
    """What a council's list of unpaid invoices says of a reporting period."""

    as_at: date  # the day the list was taken
    received_in_period: int  # its invoices received in the period, under public contracts under the Act


def unpaid_listed(session: Session, authority: str, period: ReportingPeriod) -> UnpaidListed | None:
    """The council's list's count of invoices received in ``period`` under public contracts and unpaid on its
    day, or None where no list has been loaded (or it was taken before the period ended: it cannot tell)."""
    as_at = session.scalar(select(func.max(UnpaidInvoice.as_at)).where(UnpaidInvoice.authority == authority))
    if as_at is None or as_at < period.ends:
        return None
    received = sum(
        1
        for _ in public_contract_rows(
            session,
            UnpaidInvoice,
            UnpaidInvoice.authority == authority,
            UnpaidInvoice.invoice_received_on >= period.first_day,
            UnpaidInvoice.invoice_received_on <= period.ends,
            UnpaidInvoice.amount > 0,
        )
    )
    return UnpaidListed(as_at, received)
