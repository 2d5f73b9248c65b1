"""The provision cycle at a glance, for the people who answer for it (Heads of Category, the intelligence team,
directors): the open cases at each stage and state with their value, the contracts coming up for renewal, and
the approvals and tasks waiting. Everything counted is what the person may see, as on the lists it links to.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select, true
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, aliased

from ..core import Core
from ..governance.calendar import add_months, financial_year_starts
from ..governance.organisation import JOINT
from ..governance.statutory import NOTICE_DUTIES, KeyDecisionUrgency, paid_within_term
from ..models import (
    ApprovalStep,
    Case,
    CaseDeadline,
    Contract,
    DynamicMarket,
    Framework,
    MarketMembership,
    Payment,
    StepStatus,
    Task,
    TaskStatus,
    Tender,
    User,
)
from ..models.base import days_between
from ..models.cases import Stage
from ..models.suppliers import most_used_spelling, own_key_of
from ..workflow.context import key_decision_urgency
from ..workflow.definitions import STAGES
from ..workflow.engine import Actor
from ..workflow.frameworks import ours_to_reopen, running
from ..workflow.markets import ceased
from .aggregation import RunningFlagged, running_flagged
from .forward_plan import FORWARD_PLAN_ENTRY  # where the workflows offer it, a key decision lies ahead
from .frameworks import call_offs_by_framework, reopening_due, reopenings_by_framework
from .payments_compliance import percent
from .reading import (
    at_an_end,
    of_council,
    of_my_councils,
    open_forward_plan,
    staff_authorities,
    tenders_seen,
    visible_cases,
    visible_contracts,
    waiting_on_approvers_since,
)
from .suppliers import recorded_names
from .tasks import CouncilDuty, council_duties

# The renewal pipeline's horizons, in months from today: the longest renewal lead time is 18 months.
HORIZONS = (3, 6, 12, 18)
FRAMEWORK_HORIZON_MONTHS = 12  # frameworks ending within this many months are listed
NOTICES_SOON_DAYS = 30
# The overview's short lists (notices most overdue, contracts most overspent, suppliers paid most off contract)
# name this many, the worst first.
LISTED = 10


@dataclass(frozen=True)
class StateCount:
    stage: str
    state: str
    label: str
    cases: int
    value: Decimal


@dataclass(frozen=True)
class Horizon:
    after_months: int  # ending after this many months from today...
    within_months: int  # ...and within this many
    contracts: int
    value: Decimal
    starts: date  # the band's first end date...
    ends: date  # ...and its last, for the register to list its contracts


@dataclass(frozen=True)
class Overspent:
    contract_id: int
    reference: str
    title: str
    value: Decimal
    paid: Decimal


@dataclass(frozen=True)
class OffContract:
    """A supplier paid this financial year with no contract named by the payments."""

    supplier: str
    authority: str
    paid: Decimal
    payments: int
    last_paid_on: date
    # The council's register holds a contract in force this year with the supplier: the payments did not name
    # it (a coding slip in the finance system, which leaves the contract's spend to date short).
    in_register: bool = False
    key: str = ""  # its name's key: its supplier page


@dataclass(frozen=True)
class CategorySpend:
    """What was paid this financial year under the register's contracts in one category."""

    category: str
    paid: Decimal
    contracts: int = 0  # contracts paid under (not counted for all categories together)
    suppliers: int = 0  # (nor these: a supplier may be paid in several), each under any of its names
    # Of it, paid under contracts whose supplier the register records as a small or medium-sized enterprise,
    # and as a voluntary, community or social enterprise: what the councils report of their spend with them.
    with_smes: Decimal = Decimal(0)
    with_vcses: Decimal = Decimal(0)

    @property
    def sme_percent(self) -> Decimal | None:
        return percent(self.with_smes, self.paid) if self.paid > 0 else None

    @property
    def vcse_percent(self) -> Decimal | None:
        return percent(self.with_vcses, self.paid) if self.paid > 0 else None


@dataclass(frozen=True)
class Spend:
    year_starts: date  # 1 April: the financial year so far
    paid: Decimal  # this financial year, excluding VAT (credit notes netted off)
    under_contract: Decimal  # of which paid under a contract in the register
    overspent: list[Overspent]  # contracts paid more than their value, the furthest over first (at most LISTED)
    # The suppliers paid most this financial year with no contract in the register, the most first (at most LISTED):
    # where a category team looks for spend to bring under contract. Not for a pillar: such spend has none.
    off_contract: list[OffContract]
    # How many suppliers with a contract in the register were paid without naming it, and how much.
    uncoded: tuple[int, Decimal] = (0, Decimal(0))
    by_category: tuple[CategorySpend, ...] = ()  # spend under contracts, category by category, the most first
    # Payments (not credit notes) whose invoice day was loaded, and how many of them were made within 30 days
    # of it: how promptly the councils pay (PA23 s68(2) asks it of public contracts; councils measure it of all).
    timed: int = 0
    on_time: int = 0

    @property
    def on_time_percent(self) -> Decimal | None:
        return percent(self.on_time, self.timed)

    @property
    def all_categories(self) -> CategorySpend:
        """The spend under contracts, all categories together, with what of it went to SMEs and to VCSEs."""
        rows = self.by_category
        return CategorySpend(
            "",
            sum((row.paid for row in rows), Decimal(0)),
            with_smes=sum((row.with_smes for row in rows), Decimal(0)),
            with_vcses=sum((row.with_vcses for row in rows), Decimal(0)),
        )


@dataclass(frozen=True)
class NoticeOwed:
    case_id: int
    reference: str
    title: str
    kind: str  # the deadline's
    due_on: date
    regime: str | None  # the case's: a duty's name may be the PCR 2015's


@dataclass(frozen=True)
class Notices:
    """The statutory notices still owed (``statutory.NOTICE_DUTIES``): past their date, and due soon."""

    overdue: int
    due_soon: int  # within NOTICES_SOON_DAYS
    most_overdue: list[NoticeOwed]  # at most LISTED, the longest overdue first


@dataclass(frozen=True)
class KeyDecision:
    """A key decision still to be taken, by the Executive, on a case: where the case is, and when the decision
    can be taken (once its forward plan entry's clear days have run; None while no entry is recorded)."""

    case_id: int
    reference: str
    title: str
    authority: str
    where: str  # the case's state, by its label
    value: Decimal
    decidable_from: date | None
    urgency: KeyDecisionUrgency | None  # the rule it is to be taken under without 28 clear days, if any


@dataclass(frozen=True)
class LeftBehind:
    """Running contracts whose contract manager's account is closed: their tasks go to nobody at work."""

    manager_id: int
    manager: str
    contracts: int
    value: Decimal


@dataclass(frozen=True)
class Competition:
    """How keenly the councils' procurements were contested: the tenders recorded this financial year on the
    procurements the person sees the tenders of. A procurement with one tender (the single-bid rate is the
    OECD's and the EU's first red flag) had no competition to speak of; SMEs' share is what the Act asks
    authorities to have regard to (PA23 s12(4))."""

    year_starts: date
    procurements: int
    tenders: int
    from_smes: int
    from_vcses: int
    single_tender: int  # procurements that received one tender only
    single_tender_cases: list[Case] = field(default_factory=list)  # the latest LISTED of them, to look into

    @property
    def sme_percent(self) -> Decimal | None:
        return percent(self.from_smes, self.tenders)

    @property
    def vcse_percent(self) -> Decimal | None:
        return percent(self.from_vcses, self.tenders)

    @property
    def single_tender_percent(self) -> Decimal | None:
        return percent(self.single_tender, self.procurements)


@dataclass(frozen=True)
class AwardedAgainstEstimates:
    """The contracts signed this financial year after a procurement (a call-off included), their procurements'
    estimates beside what they were awarded at: how well the estimates that set routes and approvers held."""

    year_starts: date
    contracts: int
    estimated: Decimal  # the procurements' estimates, excluding VAT
    awarded: Decimal  # the contracts' values, excluding VAT

    @property
    def under_percent(self) -> Decimal | None:
        """How much under the estimates the awards came, as a percentage of them (negative: over)."""
        return percent(self.estimated - self.awarded, self.estimated) if self.estimated else None


@dataclass(frozen=True)
class FrameworkEnding:
    framework: Framework
    call_offs: int  # procurements called off under it so far


@dataclass(frozen=True)
class ReopeningDue:
    framework: Framework  # an open framework the councils established
    due_on: date  # by when its next framework must be awarded (PA23 s49(2)(a))


@dataclass(frozen=True)
class ApplicationsWaiting:
    market: DynamicMarket
    waiting: int  # applications to join it (or members' for more parts) not yet decided
    oldest: date  # when the longest waiting of them was made


@dataclass(frozen=True)
class NobodyMayDecide:
    case: Case  # running, at a gate
    why: str  # why nobody may decide the step waiting there (``Engine.nobody_may_decide``)


@dataclass(frozen=True)
class TasksLeft:
    """Open tasks of cases in view whose assignee's account is closed: nobody does them, and nobody hears of
    them until each falls overdue and is escalated."""

    person_id: int
    person: str
    tasks: int
    overdue: int


@dataclass(frozen=True)
class Overview:
    states: list[StateCount]  # by stage, then in each workflow's order of states
    horizons: list[Horizon]
    approvals_waiting: int  # steps waiting on their approvers
    oldest_approval: date | None  # the day since which the longest of them has waited on its approvers
    questions_waiting: int  # steps waiting on their requester's answer to an approver's question
    nobody_may_decide: list[NobodyMayDecide]  # the longest unchanged first
    tasks_open: int
    tasks_overdue: int
    notices: Notices
    council_duties: list[CouncilDuty]  # the soonest due (or longest overdue) first
    spend: Spend
    key_decisions: list[KeyDecision]  # those not yet on the forward plan first, then the soonest decidable
    left_behind: list[LeftBehind]  # by whose, the most contracts first
    tasks_left: list[TasksLeft]  # by whose, the most tasks first
    competition: Competition
    frameworks_ending: list[FrameworkEnding]  # the soonest first
    reopenings_due: list[ReopeningDue]  # the soonest (or most overdue) first
    applications_waiting: list[ApplicationsWaiting]  # the longest waiting first
    one_requirement: list[RunningFlagged]  # running procurements perhaps one requirement with others, most first
    awarded: AwardedAgainstEstimates

    def stage_total(self, stage: str) -> tuple[int, Decimal]:
        here = [s for s in self.states if s.stage == stage]
        return sum(s.cases for s in here), sum((s.value for s in here), Decimal(0))


def pipeline_overview(
    core: Core, session: Session, actor: Actor, today: date, *, pillar: str = "", authority: str = ""
) -> Overview:
    """What ``actor`` may see of the cycle today, for one pillar or council if given (a joint case counts for
    either council)."""
    cases, contracts = [visible_cases(actor)], [visible_contracts(actor)]
    if pillar:
        cases.append(Case.pillar == pillar)
        contracts.append(Contract.pillar == pillar)
    if authority:
        cases.append(of_council(Case.authority, authority))
        contracts.append(of_council(Contract.authority, authority))
    open_cases = [*cases, not_(at_an_end(core))]
    return Overview(
        states=_states(core, session, open_cases),
        horizons=_horizons(core, session, today, contracts),
        **_approvals(core, session, open_cases),
        nobody_may_decide=_nobody_may_decide(core, session, open_cases),
        **_tasks(session, today, cases),  # an ended contract's case still has its termination notice to do
        notices=_notices(session, today, cases),
        # The notices still owed by the councils the person works for, whatever the pillar: each council's own.
        council_duties=council_duties(session, _own_councils(actor, authority)),
        spend=_spend(session, actor, today, contracts, pillar=pillar, authority=authority),
        key_decisions=_key_decisions(core, session, actor, open_cases),
        left_behind=_left_behind(core, session, contracts),
        tasks_left=_tasks_left(session, today, cases),
        competition=_competition(session, actor, today, cases),
        frameworks_ending=_frameworks_ending(session, actor, today, authority),
        reopenings_due=_reopenings_due(session, actor, today, authority),
        applications_waiting=_applications_waiting(session, actor, pillar, authority),
        one_requirement=_one_requirement(core, session, today, open_cases),
        awarded=_awarded(session, today, contracts),
    )


def _awarded(session: Session, today: date, contracts: list) -> AwardedAgainstEstimates:
    starts = financial_year_starts(today)
    procurement = aliased(Case)
    count, estimated, awarded = session.execute(
        select(func.count(), func.sum(procurement.estimated_value), func.sum(Contract.value))
        .select_from(Contract)
        .join(procurement, procurement.id == Contract.procurement_case_id)
        .where(*contracts, Contract.signed_on.between(starts, today))
    ).one()
    return AwardedAgainstEstimates(starts, count, Decimal(estimated or 0), Decimal(awarded or 0))


def _one_requirement(core: Core, session: Session, today: date, open_cases: list) -> list[RunningFlagged]:
    """The running procurements under a statutory line alone that others of their kind take over it: whether
    each is one requirement with them (PA23 s4, Sch 3) is for the category team to judge before it goes on."""
    running = session.scalars(select(Case).where(*open_cases, Case.stage == Stage.PROCUREMENT))
    return running_flagged(core, session, list(running), today)


def _applications_waiting(session: Session, actor: Actor, pillar: str, authority: str) -> list[ApplicationsWaiting]:
    """The running dynamic markets with applications still to decide, and since when: each is decided within a
    reasonable period (PA23 s36), so a long wait is for the pillar's head to see."""
    query = (
        select(DynamicMarket, func.count(), func.min(MarketMembership.applied_on))
        .join(MarketMembership)
        .where(
            MarketMembership.decided_on.is_(None),
            ~ceased(),
            of_my_councils(actor, DynamicMarket.authority),
            *([DynamicMarket.pillar == pillar] if pillar else []),
            *([of_council(DynamicMarket.authority, authority)] if authority else []),
        )
        .group_by(DynamicMarket.id)
        .order_by(func.min(MarketMembership.applied_on), DynamicMarket.reference)
    )
    return [ApplicationsWaiting(market, waiting, oldest) for market, waiting, oldest in session.execute(query)]


def _frameworks_ending(session: Session, actor: Actor, today: date, authority: str) -> list[FrameworkEnding]:
    """The frameworks running today that end within a year (for ``authority``, if given): a call-off under
    one must be made before it ends, so what replaces it is planned now."""
    query = (
        select(Framework)
        .where(
            of_my_councils(actor, Framework.authority),
            running(today),
            Framework.ends_on <= add_months(today, FRAMEWORK_HORIZON_MONTHS),
            *([of_council(Framework.authority, authority)] if authority else []),
        )
        .order_by(Framework.ends_on, Framework.provider)
    )
    ending = list(session.scalars(query))
    call_offs = call_offs_by_framework(session) if ending else {}
    return [FrameworkEnding(f, len(call_offs.get(f.id, []))) for f in ending]


def _reopenings_due(session: Session, actor: Actor, today: date, authority: str) -> list[ReopeningDue]:
    """The running open frameworks the councils established (for ``authority``, if given) that must be
    re-opened within a year, or should have been: theirs to do (PA23 s49(2)(a))."""
    query = select(Framework).where(
        ours_to_reopen(today),
        of_my_councils(actor, Framework.authority),
        *([of_council(Framework.authority, authority)] if authority else []),
    )
    owned = list(session.scalars(query))
    reopened = reopenings_by_framework(session) if owned else {}
    horizon = add_months(today, FRAMEWORK_HORIZON_MONTHS)
    due = [(f, reopening_due(f, reopened.get(f.id, []))) for f in owned]
    found = [ReopeningDue(f, deadline.due_on) for f, deadline in due if deadline and deadline.due_on <= horizon]
    return sorted(found, key=lambda item: (item.due_on, item.framework.provider))


def _competition(session: Session, actor: Actor, today: date, cases: list) -> Competition:
    starts = financial_year_starts(today)
    per_procurement = (
        select(
            Tender.case_id,
            func.count().label("tenders"),
            func.sum(sql_case((Tender.supplier_is_sme, 1), else_=0)).label("smes"),
            func.sum(sql_case((Tender.supplier_is_vcse, 1), else_=0)).label("vcses"),
        )
        .join(Case, Case.id == Tender.case_id)
        .where(*cases, tenders_seen(actor), Tender.received_on >= starts)
        .group_by(Tender.case_id)
        .subquery()
    )
    procurements, tenders, smes, vcses, single = session.execute(
        select(
            func.count(),
            func.sum(per_procurement.c.tenders),
            func.sum(per_procurement.c.smes),
            func.sum(per_procurement.c.vcses),
            func.sum(sql_case((per_procurement.c.tenders == 1, 1), else_=0)),
        )
    ).one()
    alone = select(per_procurement.c.case_id).where(per_procurement.c.tenders == 1)
    listed = session.scalars(select(Case).where(Case.id.in_(alone)).order_by(Case.id.desc()).limit(LISTED)).all()
    return Competition(starts, procurements, tenders or 0, smes or 0, vcses or 0, single or 0, list(listed))


def _running(core: Core) -> ColumnElement[bool]:
    """The contract's case is still running. (A correlated EXISTS, looked up by the case's key for each of the
    reader's contracts: as ``case_id IN (the running cases)`` it read every case of every council.)"""
    return exists().where(Case.id == Contract.case_id, Case.stage == "contract", not_(at_an_end(core)))


def _left_behind(core: Core, session: Session, contracts: list) -> list[LeftBehind]:
    rows = session.execute(
        select(User.id, User.full_name, func.count(), func.sum(Contract.value))
        .join(User, User.id == Contract.contract_manager_id)
        .where(*contracts, _running(core), User.is_active.is_(False))
        .group_by(User.id, User.full_name)
        .order_by(func.count().desc(), User.full_name)
    )
    return [LeftBehind(user_id, name, count, value or Decimal(0)) for user_id, name, count, value in rows]


def _key_decisions(core: Core, session: Session, actor: Actor, open_cases: list) -> list[KeyDecision]:
    """The cases where a key decision lies ahead: at a state from which the workflow takes its forward plan
    entry (an officers' approval before the Executive's, or the Executive's own) and on which that entry
    applies (the workflow's own conditions: a variation that adds enough, an award over the figure...)."""
    at = [
        and_(Case.workflow == d.name, Case.workflow_version == d.version, Case.state.in_(sorted(states)))
        for d in core.workflows.definitions.values()
        if (states := {s for t in d.transitions if t.trigger == FORWARD_PLAN_ENTRY for s in t.sources})
    ]
    if not at:  # no workflow takes a forward plan entry
        return []
    plan, on_plan = open_forward_plan()
    rows = session.execute(
        select(Case, plan.due_on).outerjoin(plan, on_plan).where(*open_cases, or_(*at)).order_by(Case.id)
    ).all()
    ahead = [
        KeyDecision(
            case.id,
            case.reference,
            case.title,
            case.authority,
            core.workflows.get(case.workflow, case.workflow_version).label(case.state),
            case.estimated_value,
            decidable_from,
            # An earlier key decision's rule stays in the details until a new entry is recorded: only an entry
            # still open is this decision's.
            key_decision_urgency(case.details) if decidable_from else None,
        )
        for case, decidable_from in rows
        if core.engine.not_yet(case.id, actor.id, [FORWARD_PLAN_ENTRY]).get(FORWARD_PLAN_ENTRY, ()) is not None
    ]
    return sorted(ahead, key=lambda k: (k.decidable_from is not None, k.decidable_from or date.min, k.case_id))


def _states(core: Core, session: Session, open_cases: list) -> list[StateCount]:
    rows = session.execute(
        select(
            Case.stage, Case.workflow, Case.workflow_version, Case.state, func.count(), func.sum(Case.estimated_value)
        )
        .where(*open_cases)
        .group_by(Case.stage, Case.workflow, Case.workflow_version, Case.state)
    )
    # Cases on an older version of a workflow count with the same state on the latest, where it has one.
    merged: dict[tuple[str, str], list] = {}
    for stage, workflow, version, state, count, value in rows:
        label = core.workflows.get(workflow, version).label(state)
        entry = merged.setdefault((stage, state), [label, 0, Decimal(0)])
        entry[1] += count
        entry[2] += value or Decimal(0)
    order = {
        (stage, state): (STAGES.index(stage), position)
        for stage in STAGES
        for position, state in enumerate(core.workflows.for_stage(stage).states)
    }
    return [
        StateCount(stage, state, label, count, value)
        for (stage, state), (label, count, value) in sorted(
            merged.items(), key=lambda item: order.get(item[0], (len(STAGES), 0))
        )
    ]


def _horizons(core: Core, session: Session, today: date, contracts: list) -> list[Horizon]:
    """One pass over the end-date range of the longest horizon, each contract counted in its band."""
    ends = [add_months(today, months) for months in HORIZONS]
    band = sql_case(*((Contract.end_date <= end, months) for end, months in zip(ends, HORIZONS, strict=True)))
    rows = session.execute(
        select(band, func.count(), func.sum(Contract.value))
        .where(*contracts, _running(core), Contract.end_date >= today, Contract.end_date <= ends[-1])
        .group_by(band)
    )
    found = {months: (count, value or Decimal(0)) for months, count, value in rows}
    firsts = [today, *(end + timedelta(days=1) for end in ends)]  # each band starts the day after the last ends
    return [
        Horizon(after, months, *found.get(months, (0, Decimal(0))), first, last)
        for after, months, first, last in zip((0, *HORIZONS), HORIZONS, firsts, ends, strict=False)
    ]


def _approvals(core: Core, session: Session, open_cases: list) -> dict:
    """Steps waiting on their approvers, and since when the longest of them has (as the queue and the chase
    count: ``reading.waiting_on_approvers_since``); steps waiting on a requester's answer apart, not the
    approvers' to move."""
    with_approvers = ApprovalStep.status == StepStatus.OPEN
    # A key decision on the forward plan waits from the day it can be taken: those few are worked out one by one.
    key_gates = sorted(
        {
            gate.name
            for d in core.workflows.definitions.values()
            for gate in d.gates.values()
            if gate.waits_for_forward_plan
        }
    )
    plan, on_plan = open_forward_plan()
    on_the_plan = and_(ApprovalStep.gate.in_(key_gates), plan.id.is_not(None))
    steps = select().select_from(ApprovalStep).join(Case, Case.id == ApprovalStep.case_id).outerjoin(plan, on_plan)
    count, oldest, asked = session.execute(
        steps.add_columns(
            func.count().filter(with_approvers),
            func.min(ApprovalStep.with_approvers_since).filter(with_approvers, ~on_the_plan),
            func.count().filter(ApprovalStep.status == StepStatus.INFO_REQUESTED),
        ).where(ApprovalStep.status.in_(StepStatus.live()), *open_cases)
    ).one()
    if oldest is not None and oldest.tzinfo is None:  # SQLite hands an aggregate back without its zone
        oldest = oldest.replace(tzinfo=UTC)
    now = core.engine.clock()
    planned = steps.add_columns(ApprovalStep, Case, plan.due_on).where(with_approvers, on_the_plan, *open_cases)
    decidable = [
        since
        for step, case, ends in session.execute(planned)
        if (since := waiting_on_approvers_since(core, step, case, ends)) <= now
    ]
    oldest = min(filter(None, (oldest, *decidable)), default=None)
    since = core.engine.today(oldest) if oldest else None
    return {"approvals_waiting": count, "oldest_approval": since, "questions_waiting": asked}


def _nobody_may_decide(core: Core, session: Session, open_cases: list) -> list[NobodyMayDecide]:
    """The running cases whose step waiting at their gate nobody may decide today (nobody holds its role, or
    only who put it forward), the longest unchanged first: they wait until an administrator gives the role."""
    at_a_gate = (
        session.scalars(
            select(Case)
            .join(ApprovalStep, ApprovalStep.case_id == Case.id)
            .where(ApprovalStep.status.in_(StepStatus.live()), *open_cases)
            .order_by(Case.updated_at, Case.id)
        )
        .unique()  # a case waits at one gate, on one step: listed once all the same
        .all()
    )
    why = core.engine.nobody_may_decide(session, at_a_gate)
    return [NobodyMayDecide(case, why[case.id]) for case in at_a_gate if case.id in why]


def _tasks(session: Session, today: date, cases: list) -> dict:
    count, overdue = session.execute(
        select(func.count(), func.count().filter(Task.overdue(today)))
        .join(Case, Case.id == Task.case_id)
        .where(Task.status == TaskStatus.OPEN, *cases)
    ).one()
    return {"tasks_open": count, "tasks_overdue": overdue}


def _tasks_left(session: Session, today: date, cases: list) -> list[TasksLeft]:
    rows = session.execute(
        select(User.id, User.full_name, func.count(), func.count().filter(Task.overdue(today)))
        .select_from(Task)
        .join(Case, Case.id == Task.case_id)
        .join(User, User.id == Task.assignee_id)
        .where(Task.status == TaskStatus.OPEN, User.is_active.is_(False), *cases)
        .group_by(User.id, User.full_name)
        .order_by(func.count().desc(), User.full_name)
    )
    return [TasksLeft(person_id, name, count, overdue) for person_id, name, count, overdue in rows]


def _notices(session: Session, today: date, cases: list) -> Notices:
    owed = [CaseDeadline.met_at.is_(None), CaseDeadline.kind.in_(list(NOTICE_DUTIES)), *cases]
    soon = today + timedelta(days=NOTICES_SOON_DAYS)
    overdue, due_soon = session.execute(
        select(
            func.count().filter(CaseDeadline.due_on < today),
            func.count().filter(CaseDeadline.due_on >= today, CaseDeadline.due_on <= soon),
        )
        .join(Case, Case.id == CaseDeadline.case_id)
        .where(*owed)
    ).one()
    most = session.execute(
        select(Case.id, Case.reference, Case.title, CaseDeadline.kind, CaseDeadline.due_on, Case.regime)
        .join(Case, Case.id == CaseDeadline.case_id)
        .where(*owed, CaseDeadline.due_on < today)
        .order_by(CaseDeadline.due_on, Case.id)
        .limit(LISTED)
    )
    return Notices(overdue, due_soon, [NoticeOwed(*row) for row in most])


def _paid_this_year(actor: Actor, today: date, authority: str) -> tuple[date, list]:
    """The financial year so far (from 1 April) and, as SQL, the payments in it that ``actor`` may see: payments
    are a council's, and its staff see them (one council's, if ``authority`` is given)."""
    year_starts = financial_year_starts(today)
    councils = _own_councils(actor, authority)
    return year_starts, [Payment.authority.in_(councils), Payment.paid_on >= year_starts, Payment.paid_on <= today]


def _own_councils(actor: Actor, authority: str) -> list[str]:
    """The councils the person works for; of them, ``authority`` alone if given."""
    return sorted(staff_authorities(actor) & {authority} if authority else staff_authorities(actor))


def _spend(session: Session, actor: Actor, today: date, contracts: list, *, pillar: str, authority: str) -> Spend:
    """A pillar's spend is what was paid under its contracts."""
    year_starts, this_year = _paid_this_year(actor, today, authority)
    under = select(Contract.id).where(*contracts)
    paid, under_contract = session.execute(
        select(
            func.coalesce(func.sum(Payment.amount), 0),
            func.coalesce(func.sum(Payment.amount).filter(Payment.contract_id.is_not(None)), 0),
        ).where(*this_year, Payment.contract_id.in_(under) if pillar else true())
    ).one()
    paid_so_far = func.sum(Payment.amount)
    overspent = session.execute(
        select(Contract.id, Contract.reference, Contract.title, Contract.value, paid_so_far)
        .join(Payment, Payment.contract_id == Contract.id)
        .where(*contracts)
        .group_by(Contract.id, Contract.reference, Contract.title, Contract.value)
        .having(paid_so_far > Contract.value)
        .order_by((paid_so_far - Contract.value).desc())
        .limit(LISTED)
    )
    paid_in_category = func.sum(Payment.amount)
    by_category = session.execute(
        select(
            Contract.category,
            paid_in_category,
            func.count(Contract.id.distinct()),
            func.count(own_key_of(Payment.supplier_key).distinct()),  # a name recorded as another's, as its
            func.coalesce(func.sum(Payment.amount).filter(Contract.supplier_is_sme), 0),
            func.coalesce(func.sum(Payment.amount).filter(Contract.supplier_is_vcse), 0),
        )
        .join(Contract, Contract.id == Payment.contract_id)
        .where(*this_year, *contracts)
        .group_by(Contract.category)
        .order_by(paid_in_category.desc(), Contract.category)
    )
    on_time_ = paid_within_term(days_between(Payment.paid_on, Payment.invoice_received_on))
    timed, on_time = session.execute(
        select(func.count(), func.count().filter(on_time_)).where(
            *this_year,
            Payment.invoice_received_on.is_not(None),
            Payment.amount > 0,
            Payment.contract_id.in_(under) if pillar else true(),
        )
    ).one()
    suppliers = [] if pillar else off_contract_suppliers(session, actor, today, authority=authority)
    uncoded = [supplier for supplier in suppliers if supplier.in_register]
    return Spend(
        year_starts,
        Decimal(paid),
        Decimal(under_contract),
        [Overspent(*row) for row in overspent],
        [supplier for supplier in suppliers if not supplier.in_register][:LISTED],
        (len(uncoded), sum((supplier.paid for supplier in uncoded), Decimal(0))),
        tuple(
            CategorySpend(category, Decimal(paid), contracts, suppliers, Decimal(smes), Decimal(vcses))
            for category, paid, contracts, suppliers, smes, vcses in by_category
        ),
        timed,
        on_time,
    )


def off_contract_suppliers(session: Session, actor: Actor, today: date, *, authority: str = "") -> list[OffContract]:
    """Every supplier paid this financial year with no contract named by its payments, the most paid first,
    each marked if the council's register has a contract in force with it all the same. A supplier's payments
    are counted together however the finance system spelt its name ("ACME LTD", "Acme Limited": the key
    ``models.suppliers.supplier_key`` stored on each payment and contract), and under each of its names the
    intelligence team recorded as one supplier's (``services.suppliers.record_same_supplier``). Payments to
    individuals are left out: their names are personal data, and such payments (a care package's direct
    payment, say) are not bought under a contract."""
    year_starts, this_year = _paid_this_year(actor, today, authority)
    spellings = session.execute(
        select(
            Payment.authority,
            Payment.supplier_key,
            Payment.supplier_name,
            func.sum(Payment.amount),
            func.count(),
            func.max(Payment.paid_on),
        )
        .where(*this_year, Payment.contract_id.is_(None), not_(Payment.to_individual))
        .group_by(Payment.authority, Payment.supplier_key, Payment.supplier_name)
    )
    # A name the intelligence team recorded as another supplier's counts as that supplier's.
    own = recorded_names(session)
    suppliers: dict[tuple[str, str], list[tuple[str, Decimal, int, date]]] = {}
    for council, key, name, paid, count, last in spellings:
        suppliers.setdefault((council, own.get(key, key)), []).append((name.strip(), Decimal(paid), count, last))
    councils = {council for council, _ in suppliers}
    in_register = {
        (council, own.get(key, key)) for council, key in _suppliers_in_register(session, councils, year_starts, today)
    }
    found = []
    for (council, key), spelt in suppliers.items():
        paid = sum((amount for _, amount, _, _ in spelt), Decimal(0))
        if paid > 0:  # a supplier that refunded more than it was paid is owed nothing to look into
            used: Counter[str] = Counter()
            for spelling, _, times, _ in spelt:
                used[spelling] += times
            name = most_used_spelling(used)
            count, last = sum(n for _, _, n, _ in spelt), max(on for _, _, _, on in spelt)
            found.append(OffContract(name, council, paid, count, last, (council, key) in in_register, key))
    return sorted(found, key=lambda supplier: (-supplier.paid, supplier.key, supplier.authority))


def _suppliers_in_register(session: Session, councils: set[str], starts: date, ends: date) -> set[tuple[str, str]]:
    """The councils' suppliers (by their names' keys) with a contract in force at some time from ``starts``
    to ``ends``; a joint contract's supplier is each council's."""
    if not councils:
        return set()
    rows = session.execute(
        select(Contract.authority, Contract.supplier_key)
        .where(Contract.authority.in_([*councils, JOINT]), Contract.start_date <= ends, Contract.end_date >= starts)
        .distinct()
    )
    return {(council, key) for authority, key in rows for council in (councils if authority == JOINT else {authority})}
