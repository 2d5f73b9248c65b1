"""A council's payments compliance notice (PA23 s69; the Procurement Regulations 2024, reg 38): how promptly
it paid under its public contracts over a six-month reporting period (1 April to 30 September, 1 October to
31 March), published within 30 days beginning with the period's last day, approved by the officer
responsible for its finances.

The figures come from the spend the council's finance team loads, for payments that name a public contract
under the Act (``transparency.public_contract_payments``), and need each payment's invoice day (the day the
council received the invoice, the spend file's "Invoice received" column). Day 1 is the day after it:

- of the sums paid in the period, the average number of days taken, and the percentage paid within days 1 to
  30, 31 to 60, and on or after day 61 (reg 38(2)(c));
- of the sums that became payable in the period (invoices received in it), the percentage not paid in it
  (reg 38(2)(d)). A payments file lists what was paid, so invoices received in the period and still unpaid
  when the notice is prepared are not in it: they are counted from the council's list of unpaid invoices
  (``unpaid_invoices``, taken on or after the period's last day), or the officer preparing the notice gives
  their number.

Percentages are of the number of payments, to one decimal place; a credit note is not a payment. A payment
under a public contract whose invoice day was not loaded cannot be counted: the notice's page says how many.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from ..core import Core
from ..errors import InvalidAction, InvalidInput, NotPermitted
from ..governance.organisation import FINANCE_OFFICER
from ..governance.statutory import PAYMENT_TERM_DAYS, ReportingPeriod
from ..models import Payment, Task, TaskStatus, User
from ..models.tasks import council_subject
from ..workflow.engine import Actor
from .tasks import finish_task, lock_task
from .transparency import REDACTED, may_publish_for, public_contract_payments
from .unpaid_invoices import unpaid_listed

# reg 38(2)(c)(ii): days 1 to 30 (the s68(2) term), 31 to 60, 61 and after
BANDS = ((1, PAYMENT_TERM_DAYS), (PAYMENT_TERM_DAYS + 1, 2 * PAYMENT_TERM_DAYS), (2 * PAYMENT_TERM_DAYS + 1, None))
BAND_NAMES = ("1_to_30", "31_to_60", "61_on")
ONE_PLACE = Decimal("0.1")
# The duty task's outcome that records the approval reg 38(2)(e) asks for: recorded here, not on the task's form.
NOTICE_APPROVED = ("approved_published", "Approved and published on the Central Digital Platform")


def period_of_task(task: Task) -> ReportingPeriod | None:
    """The period a payments compliance notice task asks about: the one that ended before it fell due."""
    if task.kind != "payments_compliance_notice" or task.milestone_on is None:
        return None
    return ReportingPeriod.containing(task.milestone_on).previous


@dataclass(frozen=True)
class Approval:
    name: str
    job_title: str
    on: datetime
    figures: dict[str, Any]  # PaymentsCompliance.recorded(), as approved


@dataclass(frozen=True)
class PaymentsCompliance:
    """What reg 38(2) asks of one council's notice for one period, and the counts behind it."""

    authority: str
    period: ReportingPeriod
    paid: int  # payments made in the period under public contracts, with their invoice day
    average_days: Decimal | None  # None: nothing to average
    by_band: tuple[Decimal | None, ...]  # percentage of ``paid`` in each of BANDS
    payable: int  # sums that became payable in the period: loaded, and still unpaid as given
    payable_not_paid: int  # of those, paid after the period or not yet
    not_paid_percent: Decimal | None
    undated: int  # payments under public contracts in the period whose invoice day was not loaded
    still_unpaid: int  # from the council's list of unpaid invoices, or as the officer preparing the notice gave it
    approval: Approval | None
    finance_officers: tuple[tuple[str, str], ...]  # the council's S151 officers: name, job title
    # The day of the list of unpaid invoices ``still_unpaid`` was counted from; None where the officer gave it.
    unpaid_listed_on: date | None = None

    @classmethod
    def as_approved(
        cls, authority: str, period: ReportingPeriod, approval: Approval, officers: tuple[tuple[str, str], ...]
    ) -> PaymentsCompliance:
        """The figures as the S151 officer approved them, whatever has been loaded since."""
        kept = approval.figures
        return cls(
            authority=authority,
            period=period,
            paid=kept["paid"],
            average_days=_number(kept["average_days"]),
            by_band=tuple(_number(kept[f"paid_{band}_percent"]) for band in BAND_NAMES),
            payable=kept["payable"],
            payable_not_paid=kept["payable_not_paid"],
            not_paid_percent=_number(kept["not_paid_percent"]),
            undated=kept["undated"],
            still_unpaid=kept["still_unpaid"],
            approval=approval,
            finance_officers=officers,
            unpaid_listed_on=date.fromisoformat(listed) if (listed := kept.get("unpaid_listed_on")) else None,
        )

    def recorded(self) -> dict[str, str | int | None]:
        """The figures as their approval keeps them (on its task and its audit event)."""
        return {
            "period": self.period.code,
            "average_days": decimal_text(self.average_days),
            **{
                f"paid_{band}_percent": decimal_text(share)
                for band, share in zip(BAND_NAMES, self.by_band, strict=True)
            },
            "payable": self.payable,
            "payable_not_paid": self.payable_not_paid,
            "not_paid_percent": decimal_text(self.not_paid_percent),
            "paid": self.paid,
            "undated": self.undated,
            "still_unpaid": self.still_unpaid,
            "unpaid_listed_on": self.unpaid_listed_on.isoformat() if self.unpaid_listed_on else None,
        }

    @property
    def owed(self) -> bool:
        """s69(1): owed where the council paid, or a sum became payable, under a public contract in the period."""
        return bool(self.paid or self.payable or self.undated)


@dataclass(frozen=True)
class CountedPayment:
    payment: Payment
    contract_reference: str
    days: int | None  # from the invoice day; None where it was not loaded
    in_period: bool  # paid in the reporting period (not only payable in it)


def counted_payments(session: Session, authority: str, period: ReportingPeriod) -> Iterator[CountedPayment]:
    """The council's payments under public contracts that the notice counts: those paid in the period, and
    those paid after it for invoices received in it. Credit notes are not payments."""
    paid_in = and_(Payment.paid_on >= period.first_day, Payment.paid_on <= period.ends)
    payable_in = and_(Payment.invoice_received_on >= period.first_day, Payment.invoice_received_on <= period.ends)
    for payment, contract in public_contract_payments(
        session, Payment.authority == authority, Payment.amount > 0, or_(paid_in, payable_in)
    ):
        received = payment.invoice_received_on
        days = (payment.paid_on - received).days if received else None
        yield CountedPayment(payment, contract.reference, days, payment.paid_on <= period.ends)


def payments_compliance(
    core: Core, session: Session, authority: str, period: ReportingPeriod, *, still_unpaid: int | None = None,
    actor: Actor | None = None,
) -> PaymentsCompliance:  # fmt: skip
    """The notice's figures: as approved, once they are; until then from the spend loaded, with the invoices
    received in the period and not paid when the notice is prepared (which no payments file holds): counted
    from the council's list of unpaid invoices (``unpaid_invoices``), or ``still_unpaid`` as the officer gives
    it, which comes first. With ``actor`` (the web), only for a council they publish for."""
    may_publish_for(core, authority, actor)
    approval, officers = _approval(session, authority, period), _finance_officers(core, session, authority)
    if approval is not None:
        return PaymentsCompliance.as_approved(authority, period, approval, officers)
    listed_on = None
    if still_unpaid is None:
        listed = unpaid_listed(session, authority, period)
        still_unpaid, listed_on = (listed.received_in_period, listed.as_at) if listed else (0, None)
    if still_unpaid < 0:
        raise InvalidInput({"still_unpaid": "Enter the number of invoices still unpaid, like 0 or 12"})
    days_taken: list[int] = []
    undated = payable = late = 0
    for counted in counted_payments(session, authority, period):
        received = counted.payment.invoice_received_on
        if counted.in_period:
            if counted.days is None:
                undated += 1
            else:
                days_taken.append(counted.days)
        if received is not None and period.first_day <= received <= period.ends:
            payable += 1
            late += not counted.in_period
    payable += still_unpaid
    late += still_unpaid
    in_band = Counter(_band(days) for days in days_taken)
    by_band = tuple(percent(in_band[band], len(days_taken)) for band in range(len(BANDS)))
    average = (Decimal(sum(days_taken)) / len(days_taken)).quantize(ONE_PLACE, ROUND_HALF_UP) if days_taken else None
    return PaymentsCompliance(
        authority=authority,
        period=period,
        paid=len(days_taken),
        average_days=average,
        by_band=by_band,
        payable=payable,
        payable_not_paid=late,
        not_paid_percent=percent(late, payable),
        undated=undated,
        still_unpaid=still_unpaid,
        approval=None,
        finance_officers=officers,
        unpaid_listed_on=listed_on,
    )


def approve_notice(
    core: Core, authority: str, period: ReportingPeriod, actor_id: int, *, still_unpaid: int | None = None,
    note: str = "",
) -> PaymentsCompliance:  # fmt: skip
    """The council's S151 officer approves its notice for ``period`` as published (reg 38(2)(e)): the duty's
    task is completed, its audit event keeping the figures approved. All or nothing."""
    with core.db.unit_of_work() as session:
        actor = core.engine.actor(session, actor_id)
        may_publish_for(core, authority, actor)
        if not actor.holds(FINANCE_OFFICER, authority):
            raise NotPermitted(
                f"Only {authority}'s S151 officer, who is responsible for its finances, approves its payments "
                "compliance notice (Procurement Regulations 2024, reg 38(2)(e))"
            )
        task_id = session.scalar(select(Task.id).where(*_duty(authority, period)).order_by(Task.id.desc()))
        if task_id is None:
            raise InvalidAction(
                f"There is no task for {authority}'s notice for {period.label} to complete: the scheduler raises "
                "it when a reporting period ends"
            )
        task, _, _ = lock_task(core, session, task_id, actor_id)
        figures = payments_compliance(core, session, authority, period, still_unpaid=still_unpaid)
        finish_task(core, session, task, None, actor_id, NOTICE_APPROVED, note, figures.recorded())
        return figures


def decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _number(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _band(days: int) -> int:
    """Which of BANDS a payment made ``days`` after its invoice day falls in (one made on the day, in the first)."""
    return next(n for n, (_, high) in enumerate(BANDS) if high is None or days <= high)


def percent(part: int, whole: int) -> Decimal | None:
    return (Decimal(100 * part) / whole).quantize(ONE_PLACE, ROUND_HALF_UP) if whole else None


def _approval(session: Session, authority: str, period: ReportingPeriod) -> Approval | None:
    """Who approved the period's notice: the S151 officer who completed its task as approved and published."""
    row = session.execute(
        select(User.full_name, User.job_title, Task.completed_at, Task.outcome_data)
        .join(User, User.id == Task.completed_by_id)
        .where(*_duty(authority, period), Task.status == TaskStatus.DONE, Task.outcome == NOTICE_APPROVED[0])
    ).first()
    return Approval(*row) if row else None


def _duty(authority: str, period: ReportingPeriod) -> tuple[ColumnElement[bool], ...]:
    """The council's task for the period's notice: raised for the day it falls due."""
    return (
        Task.kind == "payments_compliance_notice",
        Task.subject_key == council_subject(authority),  # the raise-once key's index
        Task.milestone_on == period.due_on,
    )


def _finance_officers(core: Core, session: Session, authority: str) -> tuple[tuple[str, str], ...]:
    ids = core.engine.holders(session, FINANCE_OFFICER, authority, None)
    people = session.execute(select(User.full_name, User.job_title).where(User.id.in_(ids)).order_by(User.full_name))
    return tuple((name, title) for name, title in people)


NOTICE_COLUMNS = ("Item", "Value")


def notice_rows(figures: PaymentsCompliance, authority_name: str) -> Iterator[list[str]]:
    """The notice's content in reg 38(2)'s order, one item a row, ready to enter on the platform."""

    def shown(value: Decimal | None) -> str:
        return "" if value is None else f"{value}"

    yield ["Contracting authority", authority_name]
    yield ["First day of the reporting period", figures.period.first_day.isoformat()]
    yield ["Last day of the reporting period", figures.period.ends.isoformat()]
    yield ["Average number of days taken to pay", shown(figures.average_days)]
    for (low, high), percent in zip(BANDS, figures.by_band, strict=True):
        days = f"day {low} to day {high}" if high else f"day {low} or later"
        yield [f"Percentage of payments made {days}", shown(percent)]
    yield ["Percentage of sums payable in the period not paid in it", shown(figures.not_paid_percent)]
    approval = figures.approval
    yield ["Approved by (the officer responsible for the finances)", approval.name if approval else ""]
    yield ["Their job title", approval.job_title if approval else ""]


PAYMENT_COLUMNS = (
    "Transaction number",
    "Supplier",
    "Contract reference",
    "Amount excluding VAT",
    "Invoice received",
    "Date paid",
    "Days taken",
    "Counted as",
)


def payment_rows(session: Session, authority: str, period: ReportingPeriod) -> Iterator[list[str]]:
    """The payments behind the figures, for the officer who checks them."""
    for counted in counted_payments(session, authority, period):
        payment = counted.payment
        if counted.days is None:
            counted_as = "Not counted: no invoice day loaded"
        elif not counted.in_period:
            counted_as = "Payable in the period, paid after it"
        else:
            counted_as = "Paid in the period"
        yield [
            payment.transaction_number,
            REDACTED if payment.to_individual else payment.supplier_name,
            counted.contract_reference,
            f"{payment.amount:.2f}",
            payment.invoice_received_on.isoformat() if payment.invoice_received_on else "",
            payment.paid_on.isoformat(),
            "" if counted.days is None else str(counted.days),
            counted_as,
        ]
