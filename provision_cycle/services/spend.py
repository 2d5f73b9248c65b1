"""Spend: the payments a council's finance system made, loaded from its CSV export.

A file is checked whole and loaded in one transaction or not at all, like a register file: every problem is
named by line and column. A payment is known by its council and the finance system's transaction number, so
a file loaded twice is refused rather than counted twice; but a payment loaded without the day its invoice
was received may be loaded again, the same in every other respect, to add it (a finance team that adds the
column to its export can complete what it loaded before). A payment may name the contract it was made under
(by the register's reference), which is how a contract's spend to date is known.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.orm import Session

from ..core import Core
from ..errors import NotPermitted
from ..governance.organisation import JOINT
from ..models import Contract, Payment
from .spreadsheet import (
    FileProblem,
    FileRefused,
    Layout,
    Table,
    day,
    parsed_rows,
    plain,
    pounds,
    read_table,
    row_problems,
    unguarded,
    yes_or_no,
)

LAYOUT = Layout(
    headings={
        "authority": ("Council", "Authority", "Body name"),
        "transaction_number": ("Transaction number", "Transaction", "Transaction ID"),
        "paid_on": ("Date paid", "Payment date", "Date"),
        # Not "Invoice date": the date an invoice bears is not the day the council received it.
        "invoice_received_on": ("Invoice received", "Date invoice received", "Invoice received date"),
        "supplier_name": ("Supplier", "Supplier name", "Beneficiary"),
        "amount": ("Amount excluding VAT", "Amount", "Net amount"),
        "irrecoverable_vat": ("Irrecoverable VAT",),
        "expense_type": ("Expense type", "Expenditure category"),
        "department": ("Department", "Service", "Directorate"),
        "purpose": ("Purpose", "Description"),
        "contract_reference": ("Contract reference", "Contract"),
        "to_individual": ("Paid to an individual", "Individual"),
    },
    required=("authority", "transaction_number", "paid_on", "supplier_name", "amount"),
    what="spend file",
)
LIMITS = {"transaction_number": 60, "supplier_name": 200, "expense_type": 200, "department": 200, "purpose": 5000}
MAX_ROWS = 500_000  # a large council's year of payments
T = TypeVar("T")


@dataclass
class SpendLoad:
    payments: list[Payment]
    digest: str
    loaded: bool = False
    by_council: Counter[str] = field(default_factory=Counter)
    # Payments already loaded without their invoice day, which the file gives: (payment id, the day).
    invoice_days: list[tuple[int, date]] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((payment.amount for payment in self.payments), Decimal(0))


def load_spend(
    core: Core, data: bytes, *, actor_id: int, councils: Collection[str] | None = None, apply: bool = False
) -> SpendLoad:
    """Check a spend file and, with ``apply``, load it: all of it in one transaction, or nothing. ``councils``
    are those the actor may load for (None: the command line's operator, any)."""
    digest = hashlib.sha256(data).hexdigest()
    with core.db.unit_of_work() as session:
        if councils is not None and not councils:
            raise NotPermitted("Only a council's administrator can load its spend")
        payments, invoice_days = _read(core, session, data, councils)
        load = SpendLoad(payments, digest, by_council=Counter(p.authority for p in payments), invoice_days=invoice_days)
        if not apply:
            return load
        now = core.engine.clock()
        for payment in payments:
            payment.loaded_at = now
        session.add_all(payments)
        if invoice_days:
            session.execute(update(Payment), [{"id": id_, "invoice_received_on": day} for id_, day in invoice_days])
        session.flush()
        core.engine.system_event(
            session,
            actor_id=actor_id,
            action="load_spend",
            data={
                "payments": len(payments),
                "invoice_days_added": len(invoice_days),
                "sha256": digest,
                "total": f"{load.total:.2f}",
            },
        )
        load.loaded = True
        return load


def _read(
    core: Core, session: Session, data: bytes, councils: Collection[str] | None
) -> tuple[list[Payment], list[tuple[int, date]]]:
    problems: list[FileProblem] = []
    table = read_table(data, LAYOUT, problems)
    org = core.governance.organisation
    authorities = {plain(spelling): code for spelling, code in org.authority_spellings(joint=False).items()}
    rows: list[tuple[int, dict[str, Any], str]] = []
    refused: list[tuple[int, dict[str, Any], str]] = []  # rows with a problem: their references checked too
    parse = partial(_parse, authorities=authorities, councils=councils)
    for line, values, wrong in parsed_rows(table, parse, problems, most=MAX_ROWS, noun="payments"):
        received, paid = values.get("invoice_received_on"), values.get("paid_on")
        if received and paid and received > paid:
            wrong["invoice_received_on"] = f"The invoice was received after it was paid ({paid:%d/%m/%Y})"
        problems += row_problems(table, line, wrong)
        reference = values.pop("contract_reference", "")  # a link to make, not a column of the payment
        (refused if wrong else rows).append((line, values, reference))
    if not rows and not problems:
        problems.append(FileProblem(0, "", "The file has headings but no payments"))
    known = _already_there(session, [values for _, values, _ in rows])
    twice = _loaded_twice(rows, known, table.heading("transaction_number"))  # named after each row's own
    invoice_days = [(known[_key(values)].id, values["invoice_received_on"]) for _, values, _ in rows
                    if _completes(known.get(_key(values)), values)]  # fmt: skip
    rows = [(line, values, reference) for line, values, reference in rows if _key(values) not in known]
    payments = under_contracts(core, session, table, rows, problems, Payment, refused=refused)
    problems += twice
    if problems:
        raise FileRefused(sorted(problems, key=lambda p: p.line))
    return payments, invoice_days


def _parse(name: str, text: str, authorities: dict[str, str], councils: Collection[str] | None) -> Any:
    if name == "authority":
        return ledger_council(text, authorities, councils, what="spend", one="a payment is made by one council")
    if name == "paid_on":
        return day(text)
    if name == "invoice_received_on":
        return day(text) if text else None
    if name in ("amount", "irrecoverable_vat"):
        return pounds(text) if text else Decimal(0)  # a credit note is negative
    if name == "to_individual":
        return yes_or_no(text)
    if name == "contract_reference":
        return text.upper()
    text = unguarded(text)
    if len(text) > LIMITS[name]:
        raise ValueError(f"At most {LIMITS[name]} characters")
    return text


# --- what files from a finance system share (payments, unpaid invoices) -----------------------------------
def ledger_council(
    text: str, authorities: dict[str, str], councils: Collection[str] | None, *, what: str, one: str
) -> str:
    """A finance file's council: its code, which the person loading may load ``what`` for. A ledger is one
    council's, never the councils' jointly (``one`` says so of the file's rows)."""
    if plain(text) not in authorities:
        raise ValueError(f"{text!r} is not a council: {one}, not jointly")
    code = authorities[plain(text)]
    if councils is not None and code not in councils:
        raise ValueError(f"You can load {what} for {' and '.join(sorted(councils))} only")
    return code


def under_contracts(
    core: Core, session: Session, table: Table, rows: list[tuple[int, dict[str, Any], str]],
    problems: list[FileProblem], model: Callable[..., T], *, refused: list[tuple[int, dict[str, Any], str]],
) -> list[T]:  # fmt: skip
    """Each row's ``model`` (a payment, an unpaid invoice), linked to the contract its reference names (in the
    register of the row's council, or joint); a reference to no such contract is a problem on its row. The
    rows ``refused`` for other problems have their references checked too (where their council is known), so
    that the file's every problem is said at once."""
    org = core.governance.organisation
    contracts = contracts_by_reference(session, {reference for _, _, reference in [*rows, *refused] if reference})

    def linked(line: int, values: dict[str, Any], reference: str) -> tuple[bool, Contract | None]:
        contract = contracts.get(reference)
        if reference and (contract is None or contract.authority not in (values["authority"], JOINT)):
            council = org.authorities[values["authority"]].name
            problems.append(FileProblem(line, table.heading("contract_reference"),
                                        f"{reference} is not a contract in {council}'s register"))  # fmt: skip
            return False, None
        return True, contract

    for line, values, reference in refused:
        if "authority" in values:
            linked(line, values, reference)
    made = []
    for line, values, reference in rows:
        found, contract = linked(line, values, reference)
        if found:
            made.append(model(**values, contract_id=contract.id if contract else None))
    return made


def contracts_by_reference(session: Session, references: set[str]) -> dict[str, Contract]:
    """The register's contracts with these references (a file names them so), by reference."""
    return {c.reference: c for c in session.scalars(select(Contract).where(Contract.reference.in_(sorted(references))))}


def _key(values: dict[str, Any]) -> tuple[str, str]:
    return values["authority"], values["transaction_number"]


def _already_there(session: Session, rows: list[dict[str, Any]]) -> dict[tuple[str, str], Payment]:
    """The payments already loaded that the file's rows name (the same council and transaction number)."""
    keys = [_key(values) for values in rows]
    loaded: dict[tuple[str, str], Payment] = {}
    for chunk in range(0, len(keys), 500):
        found = session.scalars(
            select(Payment).where(tuple_(Payment.authority, Payment.transaction_number).in_(keys[chunk : chunk + 500]))
        )
        loaded.update(((payment.authority, payment.transaction_number), payment) for payment in found)
    return loaded


def _completes(payment: Payment | None, values: dict[str, Any]) -> bool:
    """Whether a row gives an already-loaded payment the invoice day it lacks, and is the same in all else."""
    return (
        payment is not None
        and payment.invoice_received_on is None
        and values.get("invoice_received_on") is not None
        and (payment.paid_on, payment.supplier_name, payment.amount)
        == (values["paid_on"], values["supplier_name"], values["amount"])
    )


def _loaded_twice(
    rows: list[tuple[int, dict[str, Any], str]], known: dict[tuple[str, str], Payment], heading: str
) -> list[FileProblem]:
    """A payment already loaded (unless the row only adds its invoice day), or twice in the file."""
    problems, seen = [], {}
    for line, values, _ in rows:
        key = _key(values)
        if key in seen:
            problems.append(FileProblem(line, heading, f"Transaction {key[1]} is also on line {seen[key]}"))
        elif key in known and not _completes(known[key], values):
            problems.append(FileProblem(line, heading, f"Transaction {key[1]} is already loaded"))
        seen.setdefault(key, line)
    return problems


def contract_payments(session: Session, contract_id: int, limit: int = 20, offset: int = 0) -> list[Payment]:
    """The payments under a contract, newest first: ``limit`` of them from ``offset``."""
    latest = select(Payment).where(Payment.contract_id == contract_id)
    ordered = latest.order_by(Payment.paid_on.desc(), Payment.id.desc())
    return list(session.scalars(ordered.limit(limit).offset(offset)))


def contract_spend(session: Session, contract_id: int) -> tuple[Decimal, int]:
    """What has been paid under a contract (credit notes netted off), and in how many payments."""
    total, count = session.execute(
        select(func.coalesce(func.sum(Payment.amount), 0), func.count()).where(Payment.contract_id == contract_id)
    ).one()
    return Decimal(total), count
