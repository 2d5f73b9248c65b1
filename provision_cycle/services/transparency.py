"""The quarterly files of the Local Government Transparency Code 2015 (England): procurement, and spend.

Each council publishes, every quarter, every invitation to tender or quote for goods or services over
£5,000, and every contract over £5,000 (Part 2 of the Code, "Procurement information"), with the fields the
Code names: for a contract its reference, title, the department responsible, a description, the supplier and
its registration number where it is an SME or a VCSE, the sum payable over its life, the VAT that cannot be
recovered, its start, end and review dates, and whether it followed an invitation to quote or a published
invitation to tender. A joint contract or procurement is in both councils' files. The spend file has every
payment (and credit note) over £500 the council made in the quarter, a payment to a person with the name
withheld.

Beside them, the Procurement Act's payments notice (UK8, s70): each payment of more than £30,000 (with VAT)
the council made in the quarter under a public contract under the Act, to publish on Find a Tender within 30
days beginning with the quarter's last day.

And the written records of the decisions taken in the quarter that the law has the council record and publish: an
officer's to award a contract or commit spending that materially affects the council's finances, and the
Executive's (``workflow.records``).

A quarter here is a quarter of the financial year (April to June, July to September, October to December,
January to March), named by its first month: ``2026-04``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import Session

from ..core import Core
from ..errors import NotFound, NotPermitted
from ..governance import statutory
from ..governance.calendar import LONDON, MonthsOfTheYear, add_months, financial_year_starts
from ..governance.organisation import JOINT, MONITORING_OFFICER, OVERSIGHT_ROLES, Organisation
from ..governance.statutory import Route
from ..models import AuditEvent, Case, Contract, DecisionRecord, Document, Payment, Task
from ..models.tasks import CONTRACT_REVIEW
from ..scheduling.config import Schedule, schedule_for
from ..wording import one_to_a_line
from ..workflow.context import contract_in_law_commenced, procured_on
from ..workflow.engine import Actor
from .reading import of_council

THRESHOLD = Decimal(5000)  # the Code: "with a value that exceeds £5,000"
# When an invitation went out: the tender notice's publication date where the action records one.
INVITATIONS = {"publish_tender_notice": "Published invitation to tender", "invite_quotations": "Invitation to quote"}
# A tender notice is recorded on or after the day it was published; one recorded this long after is missed.
LATE_RECORDING = timedelta(days=92)

CONTRACT_COLUMNS = (
    "Reference",
    "Title",
    "Department responsible",
    "Description",
    "Supplier",
    "Supplier registration number",
    "SME",
    "VCSE",
    "Value over the life of the contract, excluding VAT",
    "Irrecoverable VAT",
    "Start date",
    "End date",
    "Next review date",
    "Invitation to quote or tender",
)
TENDER_COLUMNS = (
    "Reference",
    "Title",
    "Description",
    "Department responsible",
    "Invitation",
    "Issued on",
    "Estimated value, excluding VAT",
    "Expected start date",
    "Expected end date",
)


SPEND_THRESHOLD = Decimal(500)  # the Code: "expenditure exceeding £500", credit notes included
SPEND_COLUMNS = (
    "Body",
    "Date paid",
    "Transaction number",
    "Amount excluding VAT",
    "Irrecoverable VAT",
    "Supplier",
    "Expense type",
    "Department",
    "Purpose",
    "Contract reference",
)
REDACTED = "Redacted: personal data"

# The written records of decisions (``workflow.records``), for the council to publish (Openness of Local
# Government Bodies Regulations 2014 reg 8): one row a decision, its several lines kept as they are.
DECISION_COLUMNS = (
    "Case reference",
    "Decided on",
    "Decision by",
    "Key decision taken",
    "Decision taken by",
    "Subject",
    "Decision",
    "Value excluding VAT",
    "Reasons",
    "Alternatives considered and rejected",
    "Conflicts of interest declared",
    "Documents on the case when it was taken",
)

PAYMENTS_NOTICE_COLUMNS = (
    "Date paid",
    "Transaction number",
    "Amount excluding VAT",
    "Amount with VAT",
    "Supplier",
    "Contract reference",
    "Contract title",
    "Purpose",
)
# The most VAT can add: a payment below this excluding VAT cannot be over the threshold with it.
_PAYMENTS_NOTICE_FLOOR = statutory.PAYMENTS_NOTICE_THRESHOLD / (1 + statutory.VatTreatment.STANDARD.rate)


@dataclass(frozen=True, order=True)
class Quarter(MonthsOfTheYear):
    """A quarter of the financial year: from the first of April, July, October or January."""

    MONTHS = 3
    NAME = "quarter"
    EXAMPLE = "2026-04 for April to June 2026"
    FIELD = "quarter"

    @property
    def label(self) -> str:
        """ "April to June 2026 (2026/27 quarter 1)"."""
        year = financial_year_starts(self.starts).year
        number = (self.starts.month - 4) % 12 // 3 + 1
        return f"{self.starts:%B} to {self.ends:%B %Y} ({year}/{(year + 1) % 100:02d} quarter {number})"


def contract_rows(
    core: Core, session: Session, schedule: Schedule | None, authority: str, quarter: Quarter
) -> Iterator[list[str]]:
    """The council's contracts over £5,000 in force at some time in the quarter, by reference: started by
    its end, not ended before its start (a contract that ended early, terminated, closed before it). Review
    dates follow ``schedule``, or ``schedule.yaml`` as it is when the first row is read."""
    org = core.governance.organisation
    schedule = schedule or schedule_for(core)
    in_force = select(Contract).join(Case, Case.id == Contract.case_id)
    in_force = in_force.where(
        of_council(Contract.authority, authority),
        Contract.value > THRESHOLD,
        Contract.start_date <= quarter.ends,
        Contract.end_date >= quarter.starts,
        or_(Case.closed_at.is_(None), Case.closed_at >= _midnight(quarter.starts)),
    )
    follow_ups = _follow_up_reviews(session, authority, quarter)
    for contract in session.scalars(in_force.order_by(Contract.reference)):
        review = schedule.next_review_after(contract, quarter.ends)
        review = min(review, follow_ups.get(contract.id, review))
        yield [
            contract.reference,
            contract.title,
            _department(org, contract.authority, contract.pillar),
            contract.description,
            contract.supplier_name,
            contract.supplier_registration,
            "Yes" if contract.supplier_is_sme else "No",
            "Yes" if contract.supplier_is_vcse else "No",
            f"{contract.value:.2f}",
            f"{contract.irrecoverable_vat:.2f}",
            contract.start_date.isoformat(),
            contract.end_date.isoformat(),
            review.isoformat() if review <= contract.end_date else "",
            _invitation(contract.route),
        ]


def _follow_up_reviews(session: Session, authority: str, quarter: Quarter) -> dict[int, date]:
    """The first review task due after the quarter, raised by its end, of each of the council's contracts
    that has one: a follow-up review (a review that found improvement needed, ``tasks._follow_up_review``)
    comes before the next at the contract's cadence."""
    rows = session.execute(
        select(Task.contract_id, func.min(Task.due_on))
        .join(Contract, Contract.id == Task.contract_id)
        .where(
            of_council(Contract.authority, authority),
            Task.kind == CONTRACT_REVIEW,
            Task.due_on > quarter.ends,
            Task.created_at < _midnight(quarter.ends + timedelta(days=1)),
        )
        .group_by(Task.contract_id)
    )
    return {contract_id: due_on for contract_id, due_on in rows}


def tender_rows(core: Core, session: Session, authority: str, quarter: Quarter) -> Iterator[list[str]]:
    """The council's invitations to tender or quote over £5,000 issued in the quarter, in date order."""
    org = core.governance.organisation
    issued = (
        select(AuditEvent, Case)
        .join(Case, Case.id == AuditEvent.case_id)
        .where(
            Case.stage == "procurement",
            of_council(Case.authority, authority),
            Case.estimated_value > THRESHOLD,
            AuditEvent.action.in_(list(INVITATIONS)),
            and_(
                AuditEvent.at >= _midnight(quarter.starts),
                AuditEvent.at < _midnight(quarter.ends + LATE_RECORDING),
            ),
        )
    )
    rows = []
    for event, case in session.execute(issued):
        published = event.data.get("tender_notice_published_on")
        on = date.fromisoformat(published) if published else event.at.astimezone(LONDON).date()
        if not quarter.starts <= on <= quarter.ends:
            continue
        start = case.proposed_start
        end = add_months(start, case.duration_months) - timedelta(days=1) if start and case.duration_months else None
        rows.append(
            (
                on,
                case.reference,
                [
                    case.reference or "",
                    case.title,
                    case.description,
                    _department(org, case.authority, case.pillar),
                    INVITATIONS[event.action],
                    on.isoformat(),
                    f"{case.estimated_value:.2f}",
                    start.isoformat() if start else "",
                    end.isoformat() if end else "",
                ],
            )
        )
    for _, _, row in sorted(rows):
        yield row


def spend_rows(core: Core, session: Session, authority: str, quarter: Quarter) -> Iterator[list[str]]:
    """The council's payments over £500 (or credit notes over £500) made in the quarter, by date; a payment to
    a person has the name withheld."""
    body = core.governance.organisation.authorities[authority].name
    payments = (
        select(Payment, Contract.reference)
        .outerjoin(Contract, Contract.id == Payment.contract_id)
        .where(*_paid_in(authority, quarter), or_(Payment.amount > SPEND_THRESHOLD, Payment.amount < -SPEND_THRESHOLD))
        .order_by(Payment.paid_on, Payment.transaction_number)
    )
    for payment, reference in session.execute(payments):
        yield [
            body,
            payment.paid_on.isoformat(),
            payment.transaction_number,
            f"{payment.amount:.2f}",
            f"{payment.irrecoverable_vat:.2f}",
            REDACTED if payment.to_individual else payment.supplier_name,
            payment.expense_type,
            payment.department,
            payment.purpose,
            reference or "",
        ]


def _paid_in(authority: str, quarter: Quarter) -> tuple[ColumnElement[bool], ...]:
    """The council's payments made in the quarter."""
    return Payment.authority == authority, Payment.paid_on >= quarter.starts, Payment.paid_on <= quarter.ends


def payments_notice_quarter(task: Task) -> Quarter | None:
    """The quarter a payments notice task asks about: the one that ended before the notice fell due."""
    if task.kind != "payments_notice" or task.milestone_on is None:
        return None
    return Quarter.containing(task.milestone_on).previous


def public_contract_payments(
    session: Session, *conditions: ColumnElement[bool], procured_from: date | None = None
) -> Iterator[tuple[Payment, Contract]]:
    """The payments meeting ``conditions`` made under public contracts under the Act (whose procurement
    commenced on or after ``procured_from``, if given), by date, each with its contract."""
    order_by = (Payment.paid_on, Payment.transaction_number)
    return public_contract_rows(session, Payment, *conditions, order_by=order_by, procured_from=procured_from)


def public_contract_rows(
    session: Session,
    model: Any,
    *conditions: ColumnElement[bool],
    order_by: tuple = (),
    procured_from: date | None = None,
) -> Iterator[tuple[Any, Contract]]:
    """The rows of ``model`` (a payment, an unpaid invoice: anything naming its contract by ``contract_id``)
    meeting ``conditions`` that are under public contracts under the Act (let under it, above its threshold),
    each with its contract; with ``procured_from``, only those whose procurement commenced on or after that day
    (a contract loaded into the register, dated by its start, as its law is). Contracts let under the 2015
    Regulations are not public contracts under the Act; a row that names no contract cannot be counted as under
    one."""
    rows = (
        select(model, Contract, Case.commencement_date)
        .join(Contract, Contract.id == model.contract_id)
        .outerjoin(Case, Case.id == Contract.procurement_case_id)
        .where(*conditions, Contract.regime == statutory.Regime.PA2023.value)
        .order_by(*order_by)
    )
    public: dict[int, bool] = {}  # each contract's standing, worked out once
    for row, contract, commenced in session.execute(rows):
        if contract.id not in public:
            procured = procured_on(contract, commenced)
            public[contract.id] = contract_in_law_commenced(contract, procured)[0] and (
                procured_from is None or procured >= procured_from
            )
        if public[contract.id]:
            yield row, contract


def payments_notice_rows(core: Core, session: Session, authority: str, quarter: Quarter) -> Iterator[list[str]]:
    """PA23 s70: the council's payments of more than 30,000 in the quarter under public contracts procured
    since it came into force, by date. The register holds payments excluding VAT; each is compared with the
    threshold at its contract's VAT rate. Credit notes are not payments."""
    for payment, contract in public_contract_payments(
        session,
        *_paid_in(authority, quarter),
        Payment.amount > _PAYMENTS_NOTICE_FLOOR,
        procured_from=statutory.PAYMENTS_NOTICE_PROCURED_FROM,
    ):
        with_vat = statutory.value_including_vat(payment.amount, contract.vat_treatment)
        if with_vat <= statutory.PAYMENTS_NOTICE_THRESHOLD:
            continue
        yield [
            payment.paid_on.isoformat(),
            payment.transaction_number,
            f"{payment.amount:.2f}",
            f"{with_vat:.2f}",
            REDACTED if payment.to_individual else payment.supplier_name,
            contract.reference,
            contract.title,
            payment.purpose,
        ]


@dataclass(frozen=True)
class RecordedDecision:
    """A decision's record as its council lists it: with its case's reference, and the documents on its case
    when it was taken, from which the background papers published with it are chosen (Openness of Local
    Government Bodies Regulations 2014 reg 8: those relied on to a material extent, not exempt)."""

    record: DecisionRecord
    reference: str
    documents: tuple[Document, ...]


def decision_records(session: Session, authority: str, quarter: Quarter) -> list[RecordedDecision]:
    """The council's decision records taken in the quarter (a joint case's are both councils'), in the order
    they were taken."""
    return decisions_taken(session, authority, quarter.starts, quarter.ends)


def records_asked_for(today: date, since: date | None = None, until: date | None = None) -> tuple[date, date]:
    """The days a list of decision records covers: those asked, or else this financial year so far."""
    return since or financial_year_starts(today), until or today


def special_urgency_decisions(session: Session, authority: str, starts: date, ends: date) -> list[RecordedDecision]:
    """The council's key decisions taken from ``starts`` to ``ends`` (whole days) under special urgency, for
    the report its executive leader makes to it of each, at intervals it sets and at least once a year (2012
    Access to Information Regulations, reg 19: the particulars of each decision, and a summary of the matters
    it was made on)."""
    return decisions_taken(session, authority, starts, ends, only_special_urgency=True)


def special_urgency_period_of_task(core: Core, task: Task) -> tuple[date, date] | None:
    """The first and last days a task to report the key decisions taken under special urgency covers: the
    period that ended on its milestone, at the council's interval."""
    if task.kind != statutory.SPECIAL_URGENCY_REPORT or task.milestone_on is None or task.council is None:
        return None
    every = core.governance.rules[task.council].key_decision.special_urgency_reports_every_months
    return statutory.special_urgency_report_period(task.milestone_on + timedelta(days=1), every)


def decisions_taken(
    session: Session, authority: str, starts: date, ends: date, *, only_special_urgency: bool = False
) -> list[RecordedDecision]:
    """The council's decision records taken from ``starts`` to ``ends`` (whole days, UK time; a joint case's
    are both councils'), in the order they were taken; with ``only_special_urgency``, the key decisions taken
    under special urgency alone."""
    urgent = DecisionRecord.urgency == statutory.KeyDecisionUrgency.SPECIAL_URGENCY.value
    taken = session.execute(
        select(DecisionRecord, Case.reference)
        .join(Case, Case.id == DecisionRecord.case_id)
        .where(
            of_council(DecisionRecord.authority, authority),
            DecisionRecord.decided_at >= _midnight(starts),
            DecisionRecord.decided_at < _midnight(ends + timedelta(days=1)),
            urgent if only_special_urgency else true(),
        )
        .order_by(DecisionRecord.decided_at, DecisionRecord.id)
    ).all()
    on_cases: dict[int, list[Document]] = {}
    case_ids = {record.case_id for record, _ in taken}
    if case_ids:
        query = select(Document).where(Document.case_id.in_(case_ids)).order_by(Document.uploaded_at, Document.id)
        for document in session.scalars(query):
            on_cases.setdefault(document.case_id, []).append(document)
    return [
        RecordedDecision(
            record,
            reference or "",
            tuple(d for d in on_cases.get(record.case_id, ()) if d.uploaded_at <= record.decided_at),
        )
        for record, reference in taken
    ]


def decision_rows(core: Core, session: Session, authority: str, quarter: Quarter) -> Iterator[list[str]]:
    for taken in decision_records(session, authority, quarter):
        record = taken.record
        yield [
            taken.reference,
            record.decided_at.astimezone(LONDON).date().isoformat(),
            "The Executive" if record.by_executive else "An officer",
            _taken_as_a_key_decision(record),
            "; ".join(one_to_a_line(record.decided_by)),
            record.subject,
            record.decision,
            f"{record.value:.2f}",
            record.reasons,
            record.alternatives,
            record.conflicts,
            "; ".join(document.filename for document in taken.documents),
        ]


def _taken_as_a_key_decision(record: DecisionRecord) -> str:
    """How an Executive (key) decision was taken: after its 28 clear days on the forward plan, or without them
    under an urgency rule (the council reports those under special urgency, reg 19); empty for an officer's."""
    if not record.by_executive:
        return ""
    if record.urgency is None:
        return "After 28 clear days on the forward plan (2012 Access to Information Regulations, reg 9)"
    named = statutory.KeyDecisionUrgency(record.urgency).named
    return f"Without 28 clear days' notice, under {named}"


def _department(org: Organisation, authority: str, pillar: str) -> str:
    """The category pillar responsible (for a joint contract, on behalf of both councils)."""
    return (f"{org.joint_name}: " if authority == JOINT else "") + org.pillars[pillar].name


def _invitation(code: str | None) -> str:
    route = Route.of(code)
    if route is None:
        return "Not recorded"
    if route == Route.QUOTATIONS:
        return "Invitation to quote"
    if route.is_tender:
        return "Published invitation to tender"
    return f"Neither: {route.label.lower()}"


def _midnight(day: date) -> datetime:
    """The start of a UK day, as the UTC instant the database stores."""
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


# The people who publish a council's transparency data: its intelligence team and those who answer for it.
PUBLISHERS = OVERSIGHT_ROLES
# Who checks a council's decision records and reports its urgent key decisions: its publishers, and its
# monitoring officer, who answers for the lawfulness of its decisions.
RECORD_KEEPERS = (*PUBLISHERS, MONITORING_OFFICER)
FILES = {
    "contracts": CONTRACT_COLUMNS,
    "tenders": TENDER_COLUMNS,
    "spend": SPEND_COLUMNS,
    "payments-notice": PAYMENTS_NOTICE_COLUMNS,
    "decisions": DECISION_COLUMNS,
}


def publishing_councils(actor: Actor) -> list[str]:
    """The councils whose files ``actor`` may download."""
    return _councils_held(actor, PUBLISHERS)


def record_keeping_councils(actor: Actor) -> list[str]:
    """The councils whose decision records ``actor`` may read (and report their urgent key decisions)."""
    return _councils_held(actor, RECORD_KEEPERS)


def _councils_held(actor: Actor, roles: tuple[str, ...]) -> list[str]:
    return sorted({authority for role, authority, _ in actor.roles if role in roles})


def may_publish_for(core: Core, authority: str, actor: Actor | None) -> None:
    """NotFound for an unknown council; NotPermitted unless ``actor`` publishes for it (None: the command
    line's operator, who may produce any council's files)."""
    _council_of(core, authority, actor, PUBLISHERS, "intelligence team and its senior officers publish its files")


def may_keep_records_for(core: Core, authority: str, actor: Actor) -> None:
    """As ``may_publish_for``, for a council's decision records: its monitoring officer reads them too."""
    _council_of(
        core,
        authority,
        actor,
        RECORD_KEEPERS,
        "monitoring officer, intelligence team and senior officers read its decision records",
    )


def _council_of(core: Core, authority: str, actor: Actor | None, roles: tuple[str, ...], who: str) -> None:
    if authority not in core.governance.organisation.authorities:
        raise NotFound(f"There is no council {authority}")
    if actor is not None and authority not in _councils_held(actor, roles):
        raise NotPermitted(f"Only {authority}'s {who}")


def quarterly_file(
    core: Core, session: Session, kind: str, authority: str, quarter: Quarter, *, actor: Actor | None = None
) -> Iterator[list[str]]:
    """The rows of one council's ``kind`` file (one of ``FILES``) for ``quarter``. With ``actor`` (the
    web), only for a council they publish for; the command line's operator may produce any."""
    if kind not in FILES:
        raise NotFound(f"There is no {kind} file: the files are {', '.join(FILES)}")
    may_publish_for(core, authority, actor)
    if kind == "contracts":
        # The schedule (for review dates) is read when the rows are, so a check of access alone reads nothing.
        return contract_rows(core, session, None, authority, quarter)
    if kind == "spend":
        return spend_rows(core, session, authority, quarter)
    if kind == "payments-notice":
        return payments_notice_rows(core, session, authority, quarter)
    if kind == "decisions":
        return decision_rows(core, session, authority, quarter)
    return tender_rows(core, session, authority, quarter)
