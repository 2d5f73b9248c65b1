"""A contract's key performance indicators and the assessments against them (PA23 s52, s71, reg 39).

A public contract worth more than £5m has at least three KPIs, set before it is entered into. At least once
every 12 months, and when it ends, the council assesses the supplier against each, rating it Good, Approaching
target, Requires improvement, Inadequate or Other, and publishes the assessment for the period as a contract
performance notice (UK9). The scheduler raises the yearly assessment as a task; recording the assessment, once
its notice is published, is how that task is done. Setting the KPIs and recording an assessment are each one
unit of work on the contract's case, with an event on its audit chain.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..core import Core
from ..errors import InvalidAction, InvalidInput, NotPermitted
from ..governance import statutory
from ..governance.calendar import implausible
from ..models import AuditEvent, Case, CaseDeadline, Contract, ContractKpi, KpiAssessment, Task, deadline_task_kind
from ..models.tasks import KPI_ASSESSMENT
from ..wording import listed
from ..workflow.context import contract_in_law_commenced, procurement_needs_kpis
from ..workflow.engine import Actor
from .notices import may_record_notice, notice_id_given
from .register import lock_contract
from .spend import contract_spend

# Reg 39(5): the ratings, and what each means.
RATINGS = {
    "good": ("Good", "Performance is meeting or exceeding the key performance indicators"),
    "approaching_target": ("Approaching target", "Performance is close to meeting the key performance indicators"),
    "requires_improvement": ("Requires improvement", "Performance is below the key performance indicators"),
    "inadequate": ("Inadequate", "Performance is significantly below the key performance indicators"),
    "other": (
        "Other",
        "Performance cannot be described as good, approaching target, requires improvement or inadequate",
    ),
}
MAX_KPIS = 10
MAX_NAME, MAX_TARGET, MAX_COMMENT = 200, 500, 2000
TASK_KIND = KPI_ASSESSMENT  # the scheduler's yearly task (scheduling.sweeps)
FINAL = "final_kpi_assessment"  # the duty when the contract ends (a case deadline, and its task)
ASSESSMENT_TASKS = (TASK_KIND, deadline_task_kind(FINAL))
ASSESSED = "assessed"  # the outcome it is closed with


@dataclass(frozen=True)
class Rating:
    rating: str  # a key of RATINGS
    comment: str = ""


def may_manage_performance(actor: Actor, case: Case) -> bool:
    """The people who publish the contract's notices: its category team and contract managers."""
    return may_record_notice(actor, case)


def kpis_of(session: Session, contract_id: int) -> list[ContractKpi]:
    return list(
        session.scalars(
            select(ContractKpi).where(ContractKpi.contract_id == contract_id).order_by(ContractKpi.position)
        )
    )


def assessments_of(session: Session, contract_id: int) -> list[KpiAssessment]:
    """Newest period first."""
    return list(
        session.scalars(
            select(KpiAssessment)
            .where(KpiAssessment.contract_id == contract_id)
            .order_by(KpiAssessment.period_ends.desc(), KpiAssessment.id.desc())
        )
    )


def kpis_required(session: Session, contract: Contract) -> tuple[bool, str]:
    """Whether the contract must have KPIs (s52), and why (or why not)."""
    procurement = session.get(Case, contract.procurement_case_id) if contract.procurement_case_id else None
    return _kpis_required(contract, procurement.commencement_date if procurement else None, _exemption(procurement))


def contracts_owing_kpis(session: Session, contracts: Sequence[Any]) -> set[int]:
    """Of ``contracts`` (rows with a contract's id, regime, value, VAT treatment, type, start date and
    procurement case), the ids of those that must have KPIs (s52) and so be assessed against them at least
    every 12 months (s71): ``kpis_required`` for many at once, with one query for their procurements."""
    procured = {c.procurement_case_id for c in contracts if c.procurement_case_id}
    columns = (Case.id, Case.commencement_date, Case.details)
    procurements = {p.id: p for p in session.execute(select(*columns).where(Case.id.in_(procured)))} if procured else {}
    owing = set()
    for contract in contracts:
        procurement = procurements.get(contract.procurement_case_id)
        commenced = procurement.commencement_date if procurement else None
        if _kpis_required(contract, commenced, _exemption(procurement))[0]:
            owing.add(contract.id)
    return owing


def _exemption(procurement: Any | None) -> str:
    """Why the procurement decided the contract's performance could not be assessed by KPIs (s52), if it did."""
    return (procurement.details or {}).get("kpis_exemption", "") if procurement is not None else ""


def _kpis_required(contract: Any, procurement_commenced: date | None, exemption: str) -> tuple[bool, str]:
    if exemption:
        return False, f"its performance could not be assessed by KPIs: {exemption}"
    public, why = contract_in_law_commenced(contract, procurement_commenced)
    if statutory.kpis_required(public, contract.value, contract.vat_treatment, contract.contract_type):
        return True, f"PA23 s52: at least {statutory.MIN_KPIS} KPIs, assessed every 12 months: {why}"
    return False, why


def task_needs_assessment(session: Session, task: Task) -> bool:
    """A KPI assessment task (yearly, or on termination) is done by recording the assessment once the contract
    has KPIs to assess."""
    if task.kind not in ASSESSMENT_TASKS:
        return False
    contract_id = task.contract_id or session.scalar(select(Contract.id).where(Contract.case_id == task.case_id))
    return contract_id is not None and bool(kpis_of(session, contract_id))


def _kpi_rows(kpis: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The KPIs given (name, how measured and the target), blank rows left out; refused naming each row's
    problem by the row's number as given (a form's row 5 is row 5, whatever is blank above it)."""
    given = [(number, name.strip(), target.strip()) for number, (name, target) in enumerate(kpis, start=1)]
    errors: dict[str, str] = {}
    for number, name, target in given:
        if not name and not target:
            continue
        if not name:
            errors[f"kpi_{number}_name"] = f"Name KPI {number}, or clear its target too"
        elif len(name) > MAX_NAME:
            errors[f"kpi_{number}_name"] = f"Keep KPI {number}'s name to {MAX_NAME} characters"
        if len(target) > MAX_TARGET:
            errors[f"kpi_{number}_target"] = f"Keep KPI {number}'s target to {MAX_TARGET} characters"
    rows = [(name, target) for _, name, target in given if name or target]
    if len(rows) > MAX_KPIS:
        errors["kpis"] = f"A contract can have up to {MAX_KPIS} KPIs"
    if errors:
        raise InvalidInput(errors)
    return rows


def set_kpis(core: Core, contract_id: int, actor_id: int, kpis: Sequence[tuple[str, str]]) -> None:
    """Set the contract's KPIs, in order, replacing any before. Refused if a contract that must have KPIs
    would have too few."""
    rows = _kpi_rows(kpis)
    with core.db.unit_of_work() as session:
        contract, case = _lock_contract(core, session, contract_id, actor_id, to="set its KPIs")
        required, why = kpis_required(session, contract)
        if required and len(rows) < statutory.MIN_KPIS:
            raise InvalidInput({"kpis": f"This contract needs at least {statutory.MIN_KPIS} KPIs ({why})"})
        session.execute(delete(ContractKpi).where(ContractKpi.contract_id == contract.id))
        session.add_all(
            ContractKpi(contract_id=contract.id, position=number, name=name, target=target)
            for number, (name, target) in enumerate(rows, start=1)
        )
        case.version += 1
        core.engine.note_case_event(
            session, case, actor_id=actor_id, action="set_kpis", data={"kpis": [name for name, _ in rows]}
        )


def procurement_kpis_open(case: Case) -> bool:
    """Whether a case is a procurement whose contract is still to be signed: its KPIs are set on the case."""
    return case.stage == "procurement" and case.closed_at is None and not (case.details or {}).get("signed_on")


def set_procurement_kpis(
    core: Core, case_id: int, actor_id: int, kpis: Sequence[tuple[str, str]], *, exemption: str = ""
) -> None:
    """Set the KPIs of the contract a procurement will award, before it is entered into (PA23 s52); they go
    to the contract when it is handed to contract management. Or, with none, ``exemption``: why the supplier's
    performance could not appropriately be assessed by KPIs (the contract details notice says so)."""
    rows, exemption = _kpi_rows(kpis), exemption.strip()
    if rows and exemption:
        raise InvalidInput({"exemption": "Give KPIs or a reason there are none, not both"})
    if len(exemption) > MAX_TARGET:
        raise InvalidInput({"exemption": f"Keep the reason to {MAX_TARGET} characters"})
    with core.db.unit_of_work() as session:
        case = core.engine.lock_case(session, case_id, None)
        actor = core.engine.actor(session, actor_id)
        if not may_manage_performance(actor, case):
            raise NotPermitted("Only the procurement's category team can set the contract's KPIs")
        details = dict(case.details or {})
        if not procurement_kpis_open(case):
            raise InvalidAction(f"{case.reference} is not a procurement still to be signed: set KPIs on its contract")
        needed = procurement_needs_kpis(case, details, case.regime, core.engine.today())
        if needed and not exemption and len(rows) < statutory.MIN_KPIS:
            raise InvalidInput(
                {
                    "kpis": f"This contract needs at least {statutory.MIN_KPIS} KPIs (PA23 s52), or the reason "
                    "its supplier's performance could not be assessed by KPIs"
                }
            )
        details["kpis"] = [[name, target] for name, target in rows]
        if exemption:
            details["kpis_exemption"] = exemption
        else:
            details.pop("kpis_exemption", None)
        case.details = details
        case.version += 1
        core.engine.note_case_event(
            session,
            case,
            actor_id=actor_id,
            action="set_kpis",
            data={"kpis": [name for name, _ in rows], "exemption": exemption},
        )


def record_assessment(
    core: Core,
    contract_id: int,
    actor_id: int,
    *,
    period_starts: date | None,
    period_ends: date | None,
    ratings: Mapping[int, Rating],
    published_on: date | None,
    notice_id: str = "",
) -> int:
    """Record the assessment of the supplier against each of the contract's KPIs (``ratings``, by KPI id) for
    a period, published as a contract performance notice on ``published_on``; closes the yearly KPI task.
    Returns the assessment's id."""
    today = core.engine.today()
    errors: dict[str, str] = {}
    if period_starts is None:
        errors["period_starts"] = "Enter the first day of the period assessed"
    elif problem := implausible(period_starts):
        errors["period_starts"] = problem
    if period_ends is None:
        errors["period_ends"] = "Enter the last day of the period assessed"
    elif period_ends > today:
        errors["period_ends"] = "The period assessed cannot end in the future"
    elif period_starts is not None and period_starts > period_ends:
        errors["period_ends"] = "The period assessed must end on or after its first day"
    if published_on is None:
        errors["published_on"] = "Enter the date the contract performance notice was published"
    elif published_on > today:
        errors["published_on"] = "The date the notice was published cannot be in the future"
    elif period_starts is not None and published_on < period_starts:
        errors["published_on"] = "The notice cannot have been published before the period it assesses"
    notice_id = notice_id_given(notice_id, errors)
    with core.db.unit_of_work() as session:
        contract, case = _lock_contract(core, session, contract_id, actor_id, to="record its KPI assessments")
        kpis = kpis_of(session, contract.id)
        if not kpis:
            raise InvalidAction(f"{contract.reference} has no KPIs to assess: set them first")
        for kpi in kpis:
            given = ratings.get(kpi.id)
            if given is None or given.rating not in RATINGS:
                errors[f"rating_{kpi.id}"] = f"Rate the supplier against '{kpi.name}'"
            elif len(given.comment.strip()) > MAX_COMMENT:
                errors[f"comment_{kpi.id}"] = f"Keep the comment on '{kpi.name}' to {MAX_COMMENT} characters"
        if errors:
            raise InvalidInput(errors)
        assert period_starts and period_ends and published_on
        rated = [
            {
                "name": kpi.name,
                "target": kpi.target,
                "rating": ratings[kpi.id].rating,
                "comment": ratings[kpi.id].comment.strip(),
            }
            for kpi in kpis
        ]
        now = core.engine.clock()
        assessment = KpiAssessment(
            contract_id=contract.id,
            period_starts=period_starts,
            period_ends=period_ends,
            ratings=rated,
            published_on=published_on,
            notice_id=notice_id,
            assessed_by_id=actor_id,
            recorded_at=now,
        )
        session.add(assessment)
        session.flush()
        closed = session.execute(
            Task.closing(
                Task.case_id == case.id,  # the contract's tasks are recorded on its case
                Task.kind.in_(ASSESSMENT_TASKS),
                outcome=ASSESSED,
                at=now,
                by=actor_id,
            )
        ).rowcount
        final = session.scalar(select(CaseDeadline).where(CaseDeadline.case_id == case.id, CaseDeadline.kind == FINAL))
        if final is not None and final.met_at is None and period_ends >= final.due_on:
            final.met_at = now  # the assessment on termination: it covers the contract to its end
        case.version += 1
        core.engine.note_case_event(
            session,
            case,
            actor_id=actor_id,
            action="record_kpi_assessment",
            data={
                "assessment_id": assessment.id,
                "notice_type": "UK9",
                "period": [period_starts.isoformat(), period_ends.isoformat()],
                "ratings": [[r["name"], r["rating"]] for r in rated],  # a list: JSONB keeps no key order
                "published_on": published_on.isoformat(),
                "notice_id": notice_id,
                "tasks_closed": closed,
            },
            now=now,
        )
        return assessment.id


def _lock_contract(core: Core, session: Session, contract_id: int, actor_id: int, *, to: str) -> tuple[Contract, Case]:
    contract, case = lock_contract(core, session, contract_id)
    actor = core.engine.actor(session, actor_id)
    if not may_manage_performance(actor, case):
        raise NotPermitted(f"Only the contract's category team or its contract managers can {to}")
    return contract, case


# --- a contract's track record ------------------------------------------------------------------------
@dataclass(frozen=True)
class Assessed:
    """A contract's latest assessment against its KPIs (its contract performance notice, s71(1))."""

    contract: Contract
    period_ends: date
    published_on: date
    ratings: Counter[str]  # how many KPIs were given each rating (``RATINGS``)


@dataclass(frozen=True)
class Breach:
    """A breach or failure to perform recorded on one of its contracts (the notice of s71(2)-(3)), or a
    contract terminated for breach."""

    contract: Contract
    on: date  # the day it led to its consequence, or the contract ended
    what: str


@dataclass(frozen=True)
class TrackRecord:
    """How a contract has gone so far, for those deciding its renewal or variation: what has been paid under
    it, its latest assessment against its KPIs, and the breaches recorded on it."""

    value: Decimal  # the contract's value now
    paid: Decimal
    payments: int
    has_kpis: bool
    latest_assessment: Assessed | None
    breaches: list[Breach]

    @property
    def ratings_said(self) -> str:
        """The latest assessment's ratings in words, most favourable first: "2 good and 1 requires improvement"."""
        if self.latest_assessment is None:
            return ""
        given = self.latest_assessment.ratings
        return listed([f"{given[code]} {label.lower()}" for code, (label, _) in RATINGS.items() if given[code]])


def track_record(session: Session, contract: Contract) -> TrackRecord:
    """How ``contract`` has gone so far (``TrackRecord``)."""
    paid, payments = contract_spend(session, contract.id)
    has_kpis = session.scalar(select(func.count()).where(ContractKpi.contract_id == contract.id)) > 0
    latest = latest_assessments(session, [contract])
    assessed = latest[0] if latest else None
    return TrackRecord(contract.value, paid, payments, has_kpis, assessed, recorded_breaches(session, [contract]))


def latest_assessments(session: Session, contracts: list[Contract]) -> list[Assessed]:
    """Each of ``contracts``' latest assessment against its KPIs (those assessed), the latest first."""
    by_id = {contract.id: contract for contract in contracts}
    latest: dict[int, KpiAssessment] = {}
    for assessment in session.scalars(
        select(KpiAssessment).where(KpiAssessment.contract_id.in_(by_id)).order_by(KpiAssessment.period_ends)
    ):
        latest[assessment.contract_id] = assessment
    found = [
        Assessed(by_id[a.contract_id], a.period_ends, a.published_on, Counter(r["rating"] for r in a.ratings))
        for a in latest.values()
    ]
    return sorted(found, key=lambda a: (a.period_ends, a.contract.reference), reverse=True)


def recorded_breaches(session: Session, contracts: list[Contract]) -> list[Breach]:
    """From the contracts' audit trails: the breaches recorded, and terminations said to be for breach."""
    by_case = {contract.case_id: contract for contract in contracts}
    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.case_id.in_(by_case), AuditEvent.action.in_(("record_supplier_breach", "terminate"))
        )
    )
    found = []
    for event in events:
        data = event.data or {}
        if event.action == "record_supplier_breach":
            found.append(
                Breach(
                    by_case[event.case_id], date.fromisoformat(data["breach_applies_from"]), data["breach_description"]
                )
            )
        elif data.get("ended_for_breach"):
            found.append(
                Breach(
                    by_case[event.case_id],
                    date.fromisoformat(data["terminated_on"]),
                    "Terminated for breach: " + event.comment,
                )
            )
    return sorted(found, key=lambda b: (b.on, b.contract.reference), reverse=True)
