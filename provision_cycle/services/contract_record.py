"""Correcting what the register holds of a contract: its title or description mistyped, its supplier's Companies
House or charity number or PPON learnt since (the Act's later notices of the contract identify the supplier by
it: a change notice, its termination notice), whether the supplier is an SME, a VCSE, a supported employment
provider or a public service mutual, its notice period, the extension options it has left, the VAT the council
cannot recover. A register loaded from a council's spreadsheet is seldom right in all of these.

Not its value, its dates or its supplier as agreed: changing those changes the contract itself, which is a
variation on its case (PA23 s74-75 and Schedule 8: a contract change notice may be owed; a new supplier is a
novation), not a correction. But a contract loaded from a council's register (not procured here, so its figures
are what someone typed) may have them typed wrong: its category team corrects its value, start and end dates and
maximum term, and its law follows its start date as loading it would have made it. Whoever keeps the contract
(its manager, its category team) corrects the rest, saying why; the case's audit chain records each detail
before and after, its manager hears where someone else did it, a notice period corrected moves the task before
the contract's last day to give notice with it, and an end date corrected is swept for its renewal task as a
variation's is."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import Core
from ..errors import ChangedMeanwhile, InvalidAction, InvalidInput, NotPermitted
from ..governance.calendar import add_months, months_between
from ..governance.statutory import Regime, commenced_before, ppon, regime_for
from ..models import Case, Contract, OutboxMessage, Task
from ..models.contracts import notice_by
from ..models.tasks import (
    CONTRACT_REVIEW,
    END_DATE_MOVED,
    FROM_THE_END_DATE,
    KPI_ASSESSMENT,
    KPIS_NOT_OWED,
    NOTICE_DATE,
    NOTICE_DATE_MOVED,
    NOTICE_DETAIL,
    NOTICE_DETAIL_WITH_EXTENSION,
    PAST_ITS_END,
    START_DATE_MOVED,
    WHILE_IT_RUNS,
    TaskStatus,
)
from ..wording import listed, pounds
from ..workflow import reservations
from ..workflow.engine import Actor, parse_money
from . import performance
from .register import END_BEFORE_START, ExistingContract, check_existing, lock_contract
from .tasks import checked_reason

# The tasks a start date dates (``_reviews_follow_the_start``), as the contract's history names them when they move.
REVIEWS_NAMED = {CONTRACT_REVIEW: "the contract review", KPI_ASSESSMENT: "the KPI assessment"}

KIND = "contract_corrected"  # the outbox kind telling a contract's manager someone else corrected its record

# What a correction may change, as the contract's columns name them, and how each reads to a person.
CORRECTABLE = {
    "title": "the title",
    "description": "the description",
    "supplier_registration": "the supplier's Companies House or charity number",
    "supplier_ppon": "the supplier's PPON",
    "supplier_is_sme": "whether the supplier is an SME",
    "supplier_is_vcse": "whether the supplier is a VCSE",
    "supplier_is_supported_employment": "whether the supplier is a supported employment provider",
    "supplier_is_public_service_mutual": "whether the supplier is a public service mutual",
    "notice_period_days": "the notice period",
    "extension_months_available": "the extension options left",
    "irrecoverable_vat": "the VAT that cannot be recovered",
    # As loaded from a register: a contract procured here has them from its award, changed by variations alone.
    "value": "the value",
    "start_date": "the start date",
    "end_date": "the end date",
    "maximum_term_months": "the maximum term",
}
AS_LOADED = ("value", "start_date", "end_date", "maximum_term_months")
# What is changed elsewhere, and where, for whoever asks to correct it here.
CHANGED_ELSEWHERE = {
    "supplier_name": "A new supplier is a novation, a variation proposed on its case; a name spelt two ways is "
    "one supplier on the supplier's page",
    "risk": "Its risk rating has its own page: Change the risk rating",
    "contract_manager_id": "Its manager changes on its own page: Change the contract manager",
}


def may_keep_contract(actor: Actor, contract: Contract) -> bool:
    """The contract's manager; the category team of its council and pillar, or an administrator of it."""
    return actor.id == contract.contract_manager_id or actor.runs_category(contract.authority, contract.pillar)


def correct_contract(
    core: Core,
    contract_id: int,
    actor_id: int,
    corrections: Mapping[str, Any],
    *,
    reason: str,
    expected_version: int | None = None,
) -> list[str]:
    """Correct the contract's record with ``corrections`` (detail: value, any of ``CORRECTABLE``), saying why,
    as it stood at ``expected_version`` of its case where the caller read it; returns the details changed, as
    ``CORRECTABLE`` words them. All or nothing: a problem with any detail saves none."""
    reason = checked_reason(reason)
    if elsewhere := [name for name in corrections if name not in CORRECTABLE]:
        raise InvalidInput(
            {name: CHANGED_ELSEWHERE.get(name, "Not a detail of a contract's record") for name in elsewhere}
        )
    given, unreadable = _read(corrections)
    with core.db.unit_of_work() as session:
        contract, case = lock_contract(core, session, contract_id)
        actor = core.engine.actor(session, actor_id)
        if not may_keep_contract(actor, contract):
            raise NotPermitted("Only the contract's manager or its category team can correct its record")
        if expected_version is not None and case.version != expected_version:
            raise ChangedMeanwhile(
                f"{contract.reference} has changed since you read it, so your corrections were not saved. This is "
                "how it stands now: correct it again if still needed."
            )
        recorded = {name: getattr(contract, name) for name in given}
        changed = {name: (recorded[name], value) for name, value in given.items() if recorded[name] != value}
        _check_as_loaded(core, actor, contract, case, [name for name in AS_LOADED if name in changed])
        corrected = {name: after for name, (_, after) in changed.items()}
        problems = unreadable | _problems(core, session, contract, case, corrected)
        if not reason:
            problems["reason"] = "Say what was wrong, and where the right details come from"
        if not changed and not problems:
            problems["details"] = "Nothing is corrected: every detail is as the record has it"
        if problems:
            raise InvalidInput(problems)
        said = _correct(core, session, contract, case, changed)
        core.engine.note_case_event(
            session, case, actor_id=actor_id, action="correct_contract", data=said, comment=reason
        )
        what = listed([CORRECTABLE[name] for name in changed])
        told = f"{actor.full_name} corrected the contract's record: {what}.\n\nWhy: {reason}"
        tell_its_manager(core, session, contract, actor_id, KIND, "has had its record corrected", told)
        return [CORRECTABLE[name] for name in changed]


def _check_as_loaded(core: Core, actor: Actor, contract: Contract, case: Case, as_loaded: list[str]) -> None:
    """The value and dates a contract was loaded with are its category team's to correct, while it runs (an
    ended one ended on the end date it had); a contract procured here has them from its award."""
    if not as_loaded:
        return
    if contract.procurement_case_id is not None:
        said = "Its value and dates are its award's: they change by a variation, proposed on its case"
        raise InvalidInput(dict.fromkeys(as_loaded, said))
    if not actor.runs_category(contract.authority, contract.pillar):
        raise NotPermitted("Only its category team corrects the value and dates a contract was loaded with")
    if core.workflows.state_of(case).renewal is None and {"start_date", "end_date"} & set(as_loaded):
        raise InvalidAction("The contract has ended, on the dates it had: they are no longer corrected")


def _correct(
    core: Core, session: Session, contract: Contract, case: Case, changed: dict[str, tuple[Any, Any]]
) -> dict[str, Any]:
    """Make the corrections, and what follows from them: the case named and valued as its contract, the law
    following a start date, an end date's tasks closed for the new one's, a notice date's task moved. Returns
    what the audit event keeps."""
    was_due_by, now = contract.notice_by, core.engine.clock()
    for name, (_, after) in changed.items():
        if name != "end_date":  # moved as a variation moves it, below
            setattr(contract, name, after)
    if "title" in changed and case.title == changed["title"][0]:  # the case is named for its contract
        case.title = contract.title
    if "value" in changed:  # the case's value is its contract's
        case.estimated_value = contract.value
    said = {name: [_said(before), _said(after)] for name, (before, after) in changed.items()}
    if "start_date" in changed and (law := _law_of_its_start(contract, case)):
        said["regime"] = law
    if "end_date" in changed:  # as a variation moves it (``rules._move_end_date``): its tasks from the old one close
        contract.end_on(changed["end_date"][1], now)
        of_the_contract, new_end = Task.contract_id == contract.id, changed["end_date"][1]
        kinds = Task.kind.in_(FROM_THE_END_DATE)
        session.execute(Task.closing(of_the_contract, kinds, outcome=END_DATE_MOVED[0], at=now, by=None))
        after = (Task.kind.in_(WHILE_IT_RUNS), Task.due_on >= new_end)  # none falls due once it has ended
        session.execute(Task.closing(of_the_contract, *after, outcome=PAST_ITS_END[0], at=now, by=None))
    reviews = []
    if changed.keys() & {"start_date", "value"}:  # the days its reviews fall on, how often, whether it owes KPIs
        contract.reviews_moved_at = now  # the review sweep looks at it again
        if "start_date" in changed:
            reviews = _reviews_follow_the_start(session, contract, changed["start_date"][0], now)
        if not performance.kpis_required(session, contract)[0]:
            yearly = Task.kind == KPI_ASSESSMENT
            session.execute(
                Task.closing(Task.contract_id == contract.id, yearly, outcome=KPIS_NOT_OWED[0], at=now, by=None)
            )
    case.version += 1
    moved = _notice_date_corrected(core, session, contract, was_due_by)
    return {
        "contract_id": contract.id,
        "corrected": said,
        **({"notice_by": moved} if moved else {}),
        **({"reviews_moved": reviews} if reviews else {}),
    }


def _reviews_follow_the_start(
    session: Session, contract: Contract, was_started: date, now: datetime
) -> list[list[str]]:
    """The start date corrected: each open periodic review and KPI assessment, due on an anniversary of the
    start the contract had, moves to the same anniversary of its new start (the review it stands for is still
    owed, overdue if that day has passed), or closes where that falls on or after the contract's last day or on
    a day it has a task of its kind for already. Moved, it may be overdue afresh: its escalation starts again.
    A follow-up review stays where it is, dated from the review that found improvement needed. Returns the
    tasks moved: each one's kind, old date and new."""
    tasks = session.scalars(select(Task).where(Task.contract_id == contract.id, Task.kind.in_(WHILE_IT_RUNS))).all()
    follow_ups = {(task.outcome_data or {}).get("follow_up_task_id") for task in tasks}
    taken = {(task.kind, task.due_on) for task in tasks}
    moved: list[list[str]] = []
    for task in tasks:
        months = months_between(was_started, task.due_on)
        on_an_anniversary = add_months(was_started, months) == task.due_on
        if task.status != TaskStatus.OPEN or task.id in follow_ups or not on_an_anniversary:
            continue
        due_on = add_months(contract.start_date, months)
        if due_on >= contract.end_date or (task.kind, due_on) in taken:
            session.execute(Task.closing(Task.id == task.id, outcome=START_DATE_MOVED[0], at=now, by=None))
            continue
        taken.add((task.kind, due_on))
        moved.append([task.kind, task.due_on.isoformat(), due_on.isoformat()])
        task.detail = task.detail.replace(f"due {task.due_on:%-d %B %Y}", f"due {due_on:%-d %B %Y}")
        task.due_on = task.milestone_on = due_on
        task.escalated_at, task.escalated_role, task.escalated_to = None, None, None
    return moved


# How each detail is read from what a person gave (a form's text, the API's JSON), and what to say if it cannot be.
NUMBERS = {"notice_period_days": "days", "extension_months_available": "months", "maximum_term_months": "months"}
DATES = ("start_date", "end_date")
FLAGS = ("supplier_is_sme", "supplier_is_vcse")
FLAGS_NOT_ALWAYS_RECORDED = ("supplier_is_supported_employment", "supplier_is_public_service_mutual")


def _read(corrections: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The details given, as the contract's columns keep them (text trimmed, a PPON in its one spelling,
    numbers and money read as people write them), and what could not be read, by detail."""
    given: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, value in corrections.items():
        if name in NUMBERS:
            text = str(value).strip() if not isinstance(value, bool) else ""
            if text.isdigit() and len(text) < 10:
                given[name] = int(text)
            else:
                problems[name] = f"Enter a whole number of {NUMBERS[name]}, like 90"
        elif name in ("irrecoverable_vat", "value"):
            if (amount := parse_money(value)) is not None:
                given[name] = amount
            elif name == "value":
                problems[name] = "Enter the whole-life value in pounds, excluding VAT, like 250000"
            else:
                problems[name] = "Enter the amount in pounds, like 1250 or 1250.50 (0 if the council recovers it all)"
        elif name in DATES:
            if (day := _day(value)) is not None:
                given[name] = day
            else:
                problems[name] = "Enter a real date, like 2027-03-31"
        elif name in FLAGS or name in FLAGS_NOT_ALWAYS_RECORDED:
            if isinstance(value, bool) or (value is None and name in FLAGS_NOT_ALWAYS_RECORDED):
                given[name] = value
            else:
                problems[name] = "Say yes or no" + (
                    ", or that it is not recorded" if name in FLAGS_NOT_ALWAYS_RECORDED else ""
                )
        elif isinstance(value, str):
            text = value.replace("\r\n", "\n").strip()  # a browser sends a text area's lines ended so
            given[name] = (ppon(text) or text) if name == "supplier_ppon" and text else text  # unreadable: checked
        else:
            problems[name] = "Enter it as text"
    return given, problems


def _day(value: Any) -> date | None:
    """A date as given: a date, or one written as 2027-03-31."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _law_of_its_start(contract: Contract, case: Case) -> list[str] | None:
    """A loaded contract's law follows its start date, as loading it would have set it (the Act's for one
    whose procurement commenced from 24 February 2025): changed with a start date corrected, [before, after];
    None where it stays."""
    commenced = commenced_before(contract.start_date)
    regime = regime_for(commenced).value
    case.commencement_date = commenced
    if regime == contract.regime:
        return None
    before, contract.regime, case.regime = contract.regime, regime, regime
    return [before, regime]


def _problems(core: Core, session: Session, contract: Contract, case: Case, changed: dict[str, Any]) -> dict[str, str]:
    """What is wrong with the details ``changed``, by the register's own checks of a contract (as loading it
    would find), and, where its competition was reserved to a kind of supplier, a supplier said not to be one."""
    corrected = dataclasses.replace(_as_loaded(contract, case), **changed)
    found = check_existing(core, corrected)
    if "extension_months_available" in changed and "maximum_term_months" in found:  # the options outrun the term
        found.setdefault("extension_months_available", found.pop("maximum_term_months"))
    if found.get("end_date") == END_BEFORE_START and "end_date" not in changed:  # the start moved past the end
        found["start_date"] = f"The start date is after its end date, {contract.end_date:%-d %B %Y}"
    problems = {name: problem for name, problem in found.items() if name in changed}
    procurement = session.get(Case, contract.procurement_case_id) if contract.procurement_case_id else None
    reservation = reservations.Reservation.of(procurement.details or {}) if procurement else None
    for name, kind in (
        ("supplier_is_supported_employment", reservations.SupplierKind.SUPPORTED_EMPLOYMENT),
        ("supplier_is_public_service_mutual", reservations.SupplierKind.PUBLIC_SERVICE_MUTUALS),
    ):
        if changed.get(name, True) is False and reservation is not None and reservation.kind is kind:
            problems[name] = (
                f"Its competition was reserved to {reservation.suppliers} ({reservation.law}), and only their "
                "tenders were assessed: the supplier it was awarded to is one"
            )
    return problems


def _as_loaded(contract: Contract, case: Case) -> ExistingContract:
    """The contract as the register's loader would be given it: what its checks read."""
    return ExistingContract(
        title=contract.title,
        authority=contract.authority,
        category=contract.category,
        contract_type=contract.contract_type,
        supplier_name=contract.supplier_name,
        value=contract.value,
        start_date=contract.start_date,
        end_date=contract.end_date,
        contract_manager_id=contract.contract_manager_id or case.requester_id,
        description=contract.description,
        signed_on=contract.signed_on,
        extension_months_available=contract.extension_months_available,
        notice_period_days=contract.notice_period_days,
        risk=contract.risk,
        supplier_is_sme=contract.supplier_is_sme,
        supplier_is_vcse=contract.supplier_is_vcse,
        supplier_is_supported_employment=contract.supplier_is_supported_employment,
        supplier_is_public_service_mutual=contract.supplier_is_public_service_mutual,
        supplier_registration=contract.supplier_registration,
        supplier_ppon=contract.supplier_ppon,
        irrecoverable_vat=contract.irrecoverable_vat,
        route=contract.route,
        state=case.state,
        maximum_term_months=contract.maximum_term_months,
    )


def _notice_date_corrected(core: Core, session: Session, contract: Contract, was_due_by: Any) -> str | None:
    """The contract's notice period, or the extension options its notice task mentions, corrected: its open
    task before the last day to give notice closes where that day moved (as a variation moving the end date
    closes it), one closed so that comes back where the day is back where it was (a correction undone), and
    the open one says whether an extension option is left. The scheduler raises the new day's own when it
    comes near; returns the new day where it moved."""
    new_by = notice_by(contract.end_date, contract.notice_period_days)
    now = core.engine.clock()
    of_the_contract = (Task.contract_id == contract.id, Task.kind == NOTICE_DATE)
    moved = new_by != was_due_by
    if moved:
        session.execute(
            Task.closing(*of_the_contract, Task.due_on != new_by, outcome=NOTICE_DATE_MOVED[0], at=now, by=None)
        )
        if contract.notice_period_days:
            back = session.scalar(
                select(Task).where(
                    *of_the_contract, Task.due_on == new_by, Task.status == TaskStatus.DONE,
                    Task.outcome == NOTICE_DATE_MOVED[0],
                )
            )  # fmt: skip
            if back is not None:
                for column, value in Task.raised_again(now).items():
                    setattr(back, column, value)
                back.assignee_id = contract.contract_manager_id or back.assignee_id
    detail = NOTICE_DETAIL_WITH_EXTENSION if contract.extension_months_available else NOTICE_DETAIL
    for task in session.scalars(select(Task).where(*of_the_contract, Task.status == TaskStatus.OPEN)):
        task.detail = detail
    return new_by.isoformat() if moved else None


def corrections_said(data: Mapping[str, Any]) -> list[str]:
    """What a ``correct_contract`` event's data says was corrected, for the contract's history: "the notice
    period: 90 → 60 days", "whether the supplier is an SME: no → yes", and the reviews that moved with its
    start date: "the contract review due 10 July 2026: due 20 July 2026 now"."""

    def shown(name: str, value: Any) -> str:
        if value is None or value == "":
            return "not recorded"
        if isinstance(value, bool):
            return "yes" if value else "no"
        if name in ("irrecoverable_vat", "value"):
            return pounds(Decimal(value))
        if name in DATES:
            return f"{date.fromisoformat(value):%-d %B %Y}"
        if name == "regime":
            return Regime(value).full_name
        return f"{value} {NUMBERS[name]}" if name in NUMBERS else str(value)

    named = CORRECTABLE | {"regime": "the law it is under, from its start date"}
    corrected = data.get("corrected") or {}
    in_order = sorted(corrected, key=lambda name: list(named).index(name) if name in named else len(named))
    return [  # in the form's order (PostgreSQL keeps JSON's keys in an order of its own)
        f"{named.get(name, name)}: {shown(name, corrected[name][0])} → {shown(name, corrected[name][1])}"
        for name in in_order
    ] + [
        f"{REVIEWS_NAMED[kind]} due {shown('start_date', before)}: due {shown('start_date', after)} now"
        for kind, before, after in data.get("reviews_moved") or ()
    ]


def _said(value: Any) -> Any:
    """A detail as the audit event keeps it (JSON: money and dates as text)."""
    return value.isoformat() if isinstance(value, date) else str(value) if isinstance(value, Decimal) else value


def tell_its_manager(
    core: Core, session: Session, contract: Contract, actor_id: int, kind: str, subject: str, body: str
) -> None:
    """The contract's manager hears of a change someone else made to a contract they keep (its record, its risk),
    with a link to it: the subject names the contract, then says ``subject`` ("is now high risk")."""
    manager = contract.contract_manager_id
    if manager is None or manager == actor_id:
        return
    session.add(
        OutboxMessage.queued(
            kind, manager, f"{contract.reference} {contract.title} {subject}", body, core.engine.clock(),
            case_id=contract.case_id, payload={"open": f"/contracts/{contract.id}"},
        )
    )  # fmt: skip
