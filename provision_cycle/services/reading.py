"""What people may see, and the read models behind the pages (and, later, the API). No Flask here.

Visibility: a person sees a case they requested, and every case of an authority in which they hold a role
other than requester (a joint case belongs to both councils). A user of one council never sees the other
council's cases unless the case is joint.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select, union_all
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload

from ..core import Core
from ..errors import NotFound, NotPermitted
from ..governance.organisation import JOINT
from ..governance.statutory import KeyDecisionUrgency, ModificationBasis
from ..models import (
    ApprovalStep,
    AuditEvent,
    Case,
    CaseDeadline,
    Contract,
    Decision,
    DecisionRecord,
    Delegation,
    Document,
    DynamicMarket,
    Framework,
    OutboxMessage,
    Outcome,
    ParticipationRequest,
    RoleAssignment,
    Stage,
    StepStatus,
    Task,
    TaskStatus,
    User,
)
from ..models.people import user_names
from ..models.suppliers import keys_of_supplier_named, supplier_key
from ..workflow.context import NEW_SUPPLIER, key_decision_urgency, procurement_needs_kpis, urgency_taken_under
from ..workflow.definitions import InputSpec, StateDef, WorkflowDefinition
from ..workflow.engine import CASE_TEAM_ROLES, PROPOSED_BY, Actor, AvailableAction, behind_the_proposal
from ..workflow.evaluation import Evaluation, evaluation_of
from ..workflow.frameworks import framework_named_by
from ..workflow.markets import market_named_by, part_named_by
from ..workflow.participation import requests_to_participate
from ..workflow.reservations import Reservation, SupplierKind
from . import evaluation, periods
from .notices import RecordableNotice, notices_owed
from .performance import may_manage_performance, procurement_kpis_open
from .teams import TeamMember, cases_named_on, may_manage_team, on_team, team_of

PAGE_SIZE = 25


# --- who may see what -------------------------------------------------------------------------------
def staff_authorities(actor: Actor) -> set[str]:
    """Authorities in which the person holds a role beyond raising requests."""
    return {a for r, a, _ in actor.roles if r != "requester"}


def works_for(actor: Actor, authority: str) -> bool:
    """Holds a staff role in ``authority``; for a joint case or contract, in either council."""
    staff = staff_authorities(actor)
    return bool(staff) and (authority in staff or authority == JOINT)


def may_see_case(session: Session, actor: Actor, case: Case) -> bool:
    """Its requester, the staff of its council, and anyone named on its team or evaluation panel (a service
    manager on the panel, say, who holds no role beyond raising requests)."""
    return case.requester_id == actor.id or works_for(actor, case.authority) or on_team(session, case.id, actor.id)


def may_see_contract(actor: Actor, contract: Contract) -> bool:
    """Its manager, the staff of its council, and whoever its case was opened for (the service manager who
    asked for the procurement that let it, who sees its case too)."""
    return (
        contract.contract_manager_id == actor.id
        or works_for(actor, contract.authority)
        or contract.case.requester_id == actor.id
    )


def may_see_tenders(session: Session, actor: Actor, case: Case) -> bool:
    """Tenders' prices and scores are commercially confidential until the award: they are for the staff of the
    case's council (who approve its gates) and the people who may evaluate it; a requester sees the award
    criteria and how many tenders came in."""
    return works_for(actor, case.authority) or evaluation.may_evaluate(session, actor, case)


def tenders_seen(actor: Actor) -> ColumnElement[bool]:
    """The cases whose tenders the person sees as staff of their council (``may_see_tenders``), as SQL."""
    return of_my_councils(actor, Case.authority)


def of_my_category_teams(
    actor: Actor, authority: ColumnElement[str], pillar: ColumnElement[str]
) -> ColumnElement[bool] | None:
    """Rows of a council and pillar whose category team the person is in (a joint row in either council's), as
    SQL; None for someone in no category team."""
    teams = {(council, their_pillar) for role, council, their_pillar in actor.roles if role in CASE_TEAM_ROLES}
    if not teams:
        return None
    return or_(*(and_(authority.in_([council, JOINT]), pillar == p) for council, p in sorted(teams)))


def of_my_councils(actor: Actor, authority: ColumnElement[str]) -> ColumnElement[bool]:
    """Rows whose ``authority`` column is a council the person works for, or JOINT: the SQL of ``works_for``.
    A council's dynamic markets and frameworks are seen so (their notices are public, but who applied and why
    a supplier was refused, or how a framework is called off, are the councils' own)."""
    staff = staff_authorities(actor)
    return authority.in_([*staff, JOINT]) if staff else false()


def of_council(authority: ColumnElement[str], council: str) -> ColumnElement[bool]:
    """Rows of ``council``, its own and those it shares (JOINT), as SQL: what a list filtered by a council shows,
    as the overview counts them and a council's transparency files list them; JOINT itself, only the joint ones."""
    return authority == JOINT if council == JOINT else authority.in_([council, JOINT])


def procurements_naming(session: Session, detail: str, value: str, *, or_within: bool = False) -> list[Case]:
    """The procurements whose ``detail`` is ``value`` (those called off under a framework, those restricted to
    a dynamic market) or, ``or_within``, a part of it ("value/2": a part of the market), newest first."""
    named = Case.details[detail].as_string()
    matches = or_(named == value, named.like(f"{value}/%")) if or_within else named == value
    return list(session.scalars(select(Case).where(Case.stage == "procurement", matches).order_by(Case.id.desc())))


def visible_cases(actor: Actor) -> ColumnElement[bool]:
    """The same rule as ``may_see_case``, as SQL: the case is among the ids each part of the rule finds by its
    own index. (Written as one OR of the three, PostgreSQL reads every case to test the team's subquery.)"""
    staff, other = staff_authorities(actor), aliased(Case)  # an alias: not correlated with the query's cases
    seen = [select(other.id).where(other.requester_id == actor.id), cases_named_on(actor.id)]
    if staff:
        seen.append(select(other.id).where(other.authority.in_([*staff, JOINT])))
    return Case.id.in_(union_all(*seen))


def visible_contracts(actor: Actor) -> ColumnElement[bool]:
    """The same rule as ``may_see_contract``, as SQL, written as ``visible_cases`` is (and for its reason: one
    OR of the two lets PostgreSQL walk the register by end date, testing every contract, for a first page)."""
    staff, other = staff_authorities(actor), aliased(Contract)
    asked_for = select(other.id).join(Case, Case.id == other.case_id).where(Case.requester_id == actor.id)
    seen = [select(other.id).where(other.contract_manager_id == actor.id), asked_for]
    if staff:
        seen.append(select(other.id).where(other.authority.in_([*staff, JOINT])))
    return Contract.id.in_(union_all(*seen))


def load_actor(core: Core, user_id: int) -> Actor | None:
    """The signed-in person with their roles, or None if they no longer exist or were deactivated."""
    with core.db.reading() as session:
        try:
            return core.engine.actor(session, user_id)
        except NotPermitted:
            return None


def get_case_for(session: Session, actor: Actor, case_id: int) -> Case:
    case = session.get(Case, case_id)
    # Someone who may not see a case is told it does not exist: its reference is not theirs to learn.
    if case is None or not may_see_case(session, actor, case):
        raise NotFound(f"There is no case {case_id} that you can see")
    return case


# --- my work ----------------------------------------------------------------------------------------
@dataclass
class WaitingApproval:
    step: ApprovalStep
    case: Case
    on_behalf_of: Actor | None  # set when the person covers for someone away
    waited_days: int
    state: StateDef  # the case's state, as its workflow defines it
    approvals: int = 0  # approvals the step has so far (a committee's: of the step's ``required``)
    since: datetime | None = None  # since when it has waited on its approvers (``waiting_on_approvers_since``)
    # A key decision whose forward plan entry's clear days have not run yet: the first day it can be taken.
    decidable_from: date | None = None

    @property
    def proposed_value(self) -> Decimal | None:
        """What a contract's variation or extension before its approvers would make its value (its case's value
        is the contract's now), or None."""
        details, case, kind = self.case.details or {}, self.case, self.state.proposal
        if kind == "variation" and "new_value" in details:
            return Decimal(details["new_value"])
        if kind == "renewal" and details.get("renewal_proposal") == "extend":
            return case.estimated_value + Decimal(details["extension_value"])
        return None

    @property
    def award_value(self) -> Decimal | None:
        """What the award before its approvers would cost (its case's value is the request's estimate), or None."""
        award = award_recommendation(self.state, self.case)
        return award.value if award is not None and not award.approved else None


def my_requests(session: Session, actor: Actor, limit: int = 50) -> list[Case]:
    """The commissioning and procurement cases the person raised (contracts they manage are in the register)."""
    return list(
        session.scalars(
            select(Case)
            .where(Case.requester_id == actor.id, Case.stage != Stage.CONTRACT)
            .order_by(Case.updated_at.desc(), Case.id.desc())  # the same order every time, as the Cases page's
            .limit(limit)
        )
    )


def asking_their_requester(session: Session, case_ids: Iterable[int]) -> set[int]:
    """Of ``case_ids``, the cases whose live step waits on its requester to answer an approver's question."""
    return set(
        session.scalars(
            select(ApprovalStep.case_id).where(
                ApprovalStep.case_id.in_(list(case_ids)), ApprovalStep.status == StepStatus.INFO_REQUESTED
            )
        )
    )


def questions_for_the_proposer(session: Session, actor: Actor) -> list[Case]:
    """The cases at a gate whose approver's question waits on an answer from the person who put forward what it
    decides (``engine.PROPOSED_BY``: an award they recommended, a renewal they proposed), but those among
    their own requests that *My requests* lists and marks; the longest waiting first."""
    return list(
        session.scalars(
            select(Case)
            .join(ApprovalStep, ApprovalStep.case_id == Case.id)
            .where(
                ApprovalStep.status == StepStatus.INFO_REQUESTED,  # the queue's index: few steps wait on a question
                Case.details[PROPOSED_BY].as_integer() == actor.id,
                or_(Case.requester_id != actor.id, Case.stage == Stage.CONTRACT),  # as My requests lists them
            )
            .order_by(Case.updated_at, Case.id)  # a case is at one gate, with one live step: listed once
        )
    )


def _eligible_steps(actor: Actor) -> ColumnElement[bool]:
    """Steps the person's roles make them eligible for (the engine's ``Actor.holds``, as SQL)."""
    conditions = []
    for role, authority, pillar in actor.roles:
        scope = [ApprovalStep.role == role, ApprovalStep.authority == authority]
        if pillar is not None:
            scope.append(or_(ApprovalStep.pillar.is_(None), ApprovalStep.pillar == pillar))
        conditions.append(and_(*scope))
    return or_(*conditions) if conditions else false()


def has_decided(step_id: Any, principal_id: int) -> ColumnElement[bool]:
    """Whether the step has a decision taken with ``principal_id``'s authority (theirs, or a delegate's for them):
    a committee's step stays open for its other members once one has decided."""
    return exists().where(Decision.step_id == step_id, Decision.principal_id == principal_id)


def waiting_on_approvers_since(core: Core, step: ApprovalStep, case: Case, forward_plan_ends: date | None) -> datetime:
    """Since when a step has waited on its approvers: its opening, or its requester's answer to a question
    asked at it if later (``ApprovalStep.with_approvers_since``; a step opened before steps kept their opening,
    since its case last changed); for a key decision with its forward plan entry recorded (its open deadline
    ends ``forward_plan_ends``), not before the first day it can be taken. The queue, the overview and the
    chase all count from here; it is in the future while the forward plan's clear days run."""
    back = step.with_approvers_since or case.updated_at
    gate = core.workflows.get(case.workflow, case.workflow_version).gates[step.gate]
    day = gate.decidable_from(core.engine.today(back), forward_plan_ends)
    return back if day <= core.engine.today(back) else datetime.combine(day, time(), tzinfo=core.engine.zone)


def open_forward_plan() -> tuple[Any, ColumnElement[bool]]:
    """A case's forward plan entry still running, to outer-join to ``Case``: the deadline (its ``due_on`` the
    day the key decision's clear days have run) and the join's condition."""
    plan = aliased(CaseDeadline, name="forward_plan")
    return plan, and_(plan.case_id == Case.id, plan.kind == "forward_plan", plan.met_at.is_(None))


def _not_behind_the_proposal(people: set[int]) -> ColumnElement[bool]:
    """The case was neither requested nor put forward by any of ``people`` (``engine.behind_the_proposal``, as
    SQL): none of them may decide it, themselves or for someone away."""
    proposer = Case.details[PROPOSED_BY].as_integer()
    return and_(Case.requester_id.not_in(people), or_(proposer.is_(None), proposer.not_in(people)))


def approvals_waiting(
    core: Core,
    session: Session,
    actor: Actor,
    *,
    pillar: str | None = None,
    authority: str | None = None,
    now: datetime | None = None,
) -> list[WaitingApproval]:
    """Open steps the person can decide, themselves or for someone they cover, and has not (a committee's step
    waits for its other members after one has decided); longest waiting first."""
    now = now or core.engine.clock()
    covering = [(None, actor), *((d, d) for d in core.engine.delegators_of(session, actor.id))]
    approvals_so_far = (
        select(func.count())
        .where(Decision.step_id == ApprovalStep.id, Decision.outcome == Outcome.APPROVE)
        .scalar_subquery()
    )
    forward_plan, on_forward_plan = open_forward_plan()
    seen: set[int] = set()
    waiting = []
    for on_behalf_of, person in covering:
        query = (
            select(ApprovalStep, Case, approvals_so_far, forward_plan.due_on)
            .join(Case, Case.id == ApprovalStep.case_id)
            .outerjoin(forward_plan, on_forward_plan)
            .where(
                ApprovalStep.status == StepStatus.OPEN,
                _eligible_steps(person),
                _not_behind_the_proposal({actor.id, person.id}),  # segregation of duties
                ~has_decided(ApprovalStep.id, person.id),  # a committee's step stays open for the others
            )
        )
        if pillar:
            query = query.where(Case.pillar == pillar)
        if authority:
            query = query.where(ApprovalStep.authority == authority)
        for step, case, approvals, forward_plan_ends in session.execute(query):
            if step.id in seen:
                continue
            seen.add(step.id)
            since = waiting_on_approvers_since(core, step, case, forward_plan_ends)
            state = core.workflows.state_of(case)
            not_yet = core.engine.today(since) if since > now else None
            waited = max(0, (now - since).days)
            waiting.append(WaitingApproval(step, case, on_behalf_of, waited, state, approvals, since, not_yet))
    waiting.sort(key=lambda w: w.since)
    return waiting


def _moved_on_by_the_team(core: Core) -> ColumnElement[bool]:
    """A case at a state of the pipeline where the category team takes it on (``WorkflowRegistry.team_states``).
    Contracts reach their managers as tasks, so their cases are not listed here."""
    by_workflow = [
        and_(Case.workflow == name, Case.workflow_version == version, Case.state.in_(states))
        for (name, version), states in core.workflows.team_states.items()
        if core.workflows.get(name, version).stage != "contract"
    ]
    return or_(*by_workflow) if by_workflow else false()


def team_cases_waiting(core: Core, session: Session, actor: Actor, limit: int = 20) -> list[Case] | None:
    """The cases waiting for ``actor``'s category team(s) to move them on, the longest untouched first; None
    for someone in no category team."""
    in_my_teams = of_my_category_teams(actor, Case.authority, Case.pillar)
    if in_my_teams is None:
        return None
    waiting = _waiting_for_a_date(core, core.engine.today())
    query = select(Case).where(in_my_teams, _moved_on_by_the_team(core), ~waiting).order_by(Case.updated_at, Case.id)
    return list(session.scalars(query.limit(limit)))


def _waiting_for_a_date(core: Core, today: date) -> ColumnElement[bool]:
    """A case that waits for a date, not for its team: requests to participate or tenders still coming in (at a
    state the action ending the period starts from, before its closing date), a standstill still running."""
    in_a_period = [
        and_(
            Case.state.in_(
                sorted({state for states in core.workflows.sources_of(closing.ended_by).values() for state in states})
            ),
            Case.details[closing.detail].as_string() >= today.isoformat(),
        )
        for closing in periods.CLOSING_DATES.values()
    ]
    standstill = exists().where(
        CaseDeadline.case_id == Case.id,
        CaseDeadline.kind == "standstill_end",
        CaseDeadline.met_at.is_(None),
        CaseDeadline.due_on >= today,
    )
    return or_(*in_a_period, and_(Case.state == "standstill", standstill))


# How a person's tasks may be listed: by their own due dates, or by when the contracts they are about end (a
# renewal task raised late is due from when its lead time came, long before a contract ending sooner).
TASK_SORTS = {"due": "Due date", "contract_end": "When the contract ends"}


def open_tasks_of(
    session: Session, person_id: int, *, today: date, include_snoozed: bool = True, sort: str = "due"
) -> list[Task]:
    """``person_id``'s open tasks, the statutory ones first, each group by due date (``sort`` "contract_end": by
    when the contract each is about ends, those about no contract by their due date among them)."""
    query = (
        select(Task)
        .outerjoin(Task.about_contract)
        .where(Task.assignee_id == person_id, Task.status == TaskStatus.OPEN)
        # Its end date beside the task, how soon it matters: in the same statement (a second one, selecting
        # the contracts by the tasks' cases, cost a contract manager's list a fifth more on PostgreSQL).
        .options(contains_eager(Task.about_contract))
    )
    if not include_snoozed:
        query = query.where(or_(Task.snoozed_until.is_(None), Task.snoozed_until <= today))
    # Statutory dates first: missing one is a breach of the Act, missing the hub's own planning dates is not.
    order = [Task.statutory.desc(), Task.due_on, Task.id]
    if sort == "contract_end":
        order.insert(1, func.coalesce(Contract.end_date, Task.due_on))
    return list(session.scalars(query.order_by(*order)))


TEAM_TASKS_SHOWN = 300


@dataclass(frozen=True)
class TeamTask:
    task: Task
    assignee: str  # their full name


def team_tasks(session: Session, actor: Actor, assignee_id: int | None = None) -> list[TeamTask] | None:
    """The open tasks of the person's category teams (on the cases and contracts of their councils and pillars,
    and their councils' frameworks' re-openings) assigned to others (to ``assignee_id`` alone, if given), the
    statutory first, each group by due date: who has what due, to cover for someone away (the team may act on
    them, ``services.tasks.may_act_on_task``). None for someone in no category team; at most
    ``TEAM_TASKS_SHOWN``."""
    scopes = _team_task_scopes(actor)
    if scopes is None:
        return None
    whose = [] if assignee_id is None else [Task.assignee_id == assignee_id]
    found = []
    for about, on, ours in scopes:
        query = (
            select(Task, User.full_name)
            .join(about, on)
            .join(User, User.id == Task.assignee_id)
            .where(Task.status == TaskStatus.OPEN, Task.assignee_id != actor.id, ours, *whose)
            .order_by(Task.statutory.desc(), Task.due_on, Task.id)
            .limit(TEAM_TASKS_SHOWN)
            .options(joinedload(Task.about_contract))  # as for one's own (``open_tasks_of``)
        )
        found += session.execute(query).all()
    found.sort(key=lambda row: (not row[0].statutory, row[0].due_on, row[0].id))
    return [TeamTask(task, name) for task, name in found[:TEAM_TASKS_SHOWN]]


@dataclass(frozen=True)
class TaskHolder:
    id: int
    name: str
    open_tasks: int


def team_task_holders(session: Session, actor: Actor) -> list[TaskHolder]:
    """Whose the person's team's tasks (``team_tasks``) are, by name, with how many each has open: to list one
    colleague's, covering for them while they are away."""
    counts: Counter[tuple[int, str]] = Counter()
    for about, on, ours in _team_task_scopes(actor) or ():
        query = (
            select(User.id, User.full_name, func.count(Task.id))
            .select_from(Task)
            .join(about, on)
            .join(User, User.id == Task.assignee_id)
            .where(Task.status == TaskStatus.OPEN, Task.assignee_id != actor.id, ours)
            .group_by(User.id, User.full_name)
        )
        for person, name, open_tasks in session.execute(query):
            counts[person, name] += open_tasks
    return sorted((TaskHolder(i, name, n) for (i, name), n in counts.items()), key=lambda h: (h.name, h.id))


def _team_task_scopes(actor: Actor) -> list[tuple[Any, ColumnElement[bool], ColumnElement[bool]]] | None:
    """What a team's tasks are about, as (table, its join to the task, the team's rows of it): its cases (and
    so their contracts), and its councils' frameworks, whose re-opening is any pillar's category team's
    (``may_keep_register``). None for someone in no category team."""
    teams = of_my_category_teams(actor, Case.authority, Case.pillar)
    if teams is None:
        return None
    councils = sorted({council for role, council, _ in actor.roles if role in CASE_TEAM_ROLES})
    frameworks = and_(Task.framework_id.is_not(None), Framework.authority.in_([*councils, JOINT]))  # partial index
    return [(Case, Case.id == Task.case_id, teams), (Framework, Framework.id == Task.framework_id, frameworks)]


def my_notifications(session: Session, actor: Actor, limit: int = 10) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.recipient_id == actor.id)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
    )


# --- a case ------------------------------------------------------------------------------------------
@dataclass
class TimelineEntry:
    event: AuditEvent
    actor_name: str
    on_behalf_of_name: str | None
    # What the person acting answered, by the workflow's own questions (a tender notice's dates, say).
    answers: list[tuple[InputSpec, object]] = field(default_factory=list)


NOTE = "note"  # the audit action of a note on a case (``services.case_notes``)


# The state at which a commissioning case holds its business case (``business_case``).
BUSINESS_CASE = "business_case"


def outcomes_commissioned(session: Session, case: Case) -> tuple[Case, str] | None:
    """The commissioning case that called for this procurement and the outcomes its business case set out,
    for its contract's KPIs to measure; None for a procurement that was not commissioned here."""
    parent = session.get(Case, case.parent_case_id) if case.parent_case_id else None
    if parent is None or parent.stage != "commissioning" or not (parent.details or {}).get("outcomes"):
        return None
    return parent, parent.details["outcomes"]


def business_case(definition: WorkflowDefinition, case: Case) -> list[tuple[str, str]]:
    """A commissioning case's business case, once prepared: each question its preparation asked (in the
    workflow's words), with the answer. What its gate decides."""
    if case.stage != "commissioning":
        return []
    details = case.details or {}
    return [
        (spec.label, details[spec.name])
        for spec in definition.asked_on_the_way_to(BUSINESS_CASE)
        if details.get(spec.name)
    ]


@dataclass
class CasePage:
    case: Case
    definition: WorkflowDefinition
    steps: list[ApprovalStep]
    decisions: dict[int, list[Decision]]
    timeline: list[TimelineEntry]
    deadlines: list[CaseDeadline]
    parent: Case | None
    children: list[Case]
    contract: Contract | None
    documents: list[Document]
    actions: list[AvailableAction]
    tasks: list[Task]
    names: dict[int, str] = field(default_factory=dict)
    team: list[TeamMember] = field(default_factory=list)  # a procurement's team and evaluation panel
    may_manage_team: bool = False
    notices_owed: dict[str, RecordableNotice] = field(default_factory=dict)  # by deadline: the actor may record
    kpis_needed: bool = False  # a procurement whose contract must have KPIs before it is signed (PA23 s52)
    may_set_kpis: bool = False
    proposal: ContractProposal | None = None  # what a contract case's gate decides, or what waits to be made
    award: AwardRecommendation | None = None  # what a procurement's award approval decides, or approved
    evaluation: Evaluation | None = None  # a procurement's award criteria and tenders
    may_evaluate: bool = False  # set its criteria, record and score its tenders (when open), send summaries
    may_set_criteria: bool = False
    may_record_tenders: bool = False  # and score them
    # A competitive flexible procedure's requests to participate, in the order they arrived (PA23 s20); who may
    # see the tenders sees them (anyone else, how many there are).
    requests: list[ParticipationRequest] = field(default_factory=list)
    may_record_requests: bool = False
    # The closing dates the person may extend today (``periods.CLOSING_DATES``).
    extendable: list[periods.ClosingDate] = field(default_factory=list)
    may_see_tenders: bool = False  # their prices and scores (a requester sees how many there are)
    dynamic_market: DynamicMarket | None = None  # the market whose members alone may take part (PA23 s34)
    dynamic_market_part: str | None = None  # or only the members of this part of it
    # Who alone may tender in a competition reserved to certain suppliers (``workflow.reservations``).
    reservation: Reservation | None = None
    # The suppliers a competitive flexible procedure invited to tender after its participation period: they
    # alone may tender (PA23 s20(4)-(5)).
    invited: tuple[str, ...] = ()
    framework: Framework | None = None  # the framework a call-off is made under (its suppliers alone, if listed)
    # Whether the person may open the pages these name (their council's staff may): else named, not linked.
    framework_linked: bool = False
    market_linked: bool = False
    # What the person may see of the award's supplier: its record with the councils (True), nothing (False: new
    # to them, as far as the person can see), or None where they see no supplier records (or there is no award).
    award_supplier_on_record: bool | None = None
    # The written records of the decisions taken on it that the law has the council record (``workflow.records``).
    decision_records: list[DecisionRecord] = field(default_factory=list)
    why_nobody_may_decide: str | None = None  # the step waiting at its gate has nobody who may decide it

    @property
    def business_case(self) -> list[tuple[str, str]]:
        return business_case(self.definition, self.case)

    @property
    def forward_plan_entry(self) -> CaseDeadline | None:
        """The key decision still ahead: its forward plan deadline not yet met (the day it can be taken from)."""
        return next((d for d in self.deadlines if d.kind == "forward_plan" and d.met_at is None), None)

    @property
    def urgent_key_decision(self) -> KeyDecisionUrgency | None:
        """The urgency rule the key decision still ahead is to be taken under, if any: an earlier decision's
        rule stays in the details until a new forward plan entry is recorded, so only an open entry's counts."""
        return key_decision_urgency(self.case.details) if self.forward_plan_entry else None

    @property
    def urgency_said(self) -> str:
        """How the key decision ahead is to be taken under an urgency rule, and why, as its approvers read it;
        "" where it is on the forward plan (or none is ahead)."""
        urgency = self.urgent_key_decision
        return f"Taken under {urgency_taken_under(urgency, self.case.details)}" if urgency else ""

    @property
    def behind_the_proposal(self) -> list[int]:
        """Who hear the approvers' questions, and may answer them: the requester, and whoever put forward what
        the case's gate decides (``engine.behind_the_proposal``)."""
        return behind_the_proposal(self.case.requester_id, self.case.details)

    @property
    def put_forward_by(self) -> int | None:
        """Who put forward what the case's gate decides, where that is not its requester (a renewal proposed by
        the contract's manager)."""
        others = self.behind_the_proposal[1:]
        return others[0] if others else None

    @property
    def managed_by(self) -> int | None:
        """A contract case's contract manager now; None for any other case."""
        return self.contract.contract_manager_id if self.case.stage == "contract" and self.contract else None

    @property
    def requester_named(self) -> bool:
        """Whether the page names the person the case was opened for: not on a contract's case where that is
        its contract manager (a loaded contract's case is opened for them), who is named as such."""
        return self.case.requester_id != self.managed_by

    @property
    def asks_the_requester_alone(self) -> bool:
        """Whether the approvers' questions go to the requester alone (a request they made), or also, by name,
        to whoever put the proposal forward or manages the contract."""
        return self.case.stage != "contract" and not self.put_forward_by

    @property
    def market_dates(self) -> list[tuple[periods.ClosingDate, date]]:
        """The closing dates a procurement's notices set, for its key dates."""
        details = self.case.details or {}
        return [
            (closing, date.fromisoformat(details[closing.detail]))
            for closing in periods.CLOSING_DATES.values()
            if details.get(closing.detail)
        ]

    @property
    def live_step(self) -> ApprovalStep | None:
        return next((s for s in self.steps if s.status in StepStatus.live()), None)

    @property
    def earlier_rounds(self) -> list[tuple[ApprovalStep, Decision]]:
        """The decisions taken at the live step's gate in its earlier rounds (before the case was returned for
        rework and submitted again), oldest first: what its approvers said last time."""
        live = self.live_step
        if live is None:
            return []
        return [
            (step, decision)
            for step in self.steps
            if step.gate == live.gate and step.round < live.round
            for decision in self.decisions.get(step.id, [])
        ]

    @property
    def returned(self) -> Decision | None:
        """The decision that returned the case for rework, while it waits there for its requester: the case's
        latest decision, a return, and the case in a state its requester may edit."""
        if not self.definition.states[self.case.state].editable:
            return None
        latest = max((d for ds in self.decisions.values() for d in ds), key=lambda d: d.id, default=None)
        return latest if latest is not None and latest.outcome == Outcome.RETURN else None

    @property
    def notes(self) -> list[TimelineEntry]:
        """The notes people have added to the case (``services.case_notes``), newest first, from its history."""
        return [entry for entry in self.timeline if entry.event.action == NOTE]

    @property
    def exchanges(self) -> list[tuple[TimelineEntry, TimelineEntry | None]]:
        """The questions asked at the live step's gate in this round, oldest first, each with the requester's
        answer (None while it waits), as the history has them."""
        live = self.live_step
        if live is None:
            return []
        found: list[list[Any]] = []
        for entry in reversed(self.timeline):
            at = (entry.event.data or {}).get("gate"), (entry.event.data or {}).get("round")
            if entry.event.action == "request_info" and at == (live.gate, live.round):
                found.append([entry, None])
            elif entry.event.action == "provide_info" and found and found[-1][1] is None:
                found[-1][1] = entry
        return [(asked, answered) for asked, answered in found]

    @property
    def question(self) -> TimelineEntry | None:
        """The question the live step waits on the requester to answer (who asked it, when, in what words), if
        it does."""
        if self.live_step is None or self.live_step.status != StepStatus.INFO_REQUESTED:
            return None
        asked, answered = (self.exchanges or [(None, None)])[-1]
        return asked if answered is None else None


@dataclass(frozen=True)
class ContractProposal:
    """A change to a contract that its approvers decide, or that is approved and waits to be made."""

    kind: str  # "variation" or the renewal proposal: "extend", "recommission" or "exit"
    approved: bool = False  # a variation approved, to be made once its change notice is out (PA23 s75)
    description: str = ""
    value: tuple[Decimal, Decimal] | None = None  # (now, proposed)
    end_date: tuple[date, date] | None = None  # (now, proposed)
    change_notice: str = ""  # whether the change needs a contract change notice, and why
    change_notice_needed: bool = False
    voluntary_standstill: bool = False
    key_decision: str = ""  # why a variation or extension is a key decision, for the Executive; "" when not
    basis: str = ""  # the basis in law a variation is made on (PA23 s74, PCR 2015 reg 72); "" where none is asked
    new_supplier: str = ""  # the supplier taking the contract over by the variation (a novation); "" for none


@dataclass(frozen=True)
class AwardRecommendation:
    """The award a procurement's award approval decides: to whom and for how much (``approved`` once it is
    decided, while the contract is on its way to signature)."""

    approved: bool
    supplier: str
    registration: str
    sme: bool
    vcse: bool
    value: Decimal
    estimated_value: Decimal
    exclusions_checked_on: date | None
    key_decision: str  # why the award is a key decision for the Executive, where the request was not; or ""
    over_threshold: str  # a warning: the award is over the statutory threshold its estimate was under; or ""
    evaluation: str = ""  # how the evaluation recorded here ranked the tenders; "" where none was
    reserved: str = ""  # to whom the competition was reserved, where it was (``workflow.reservations``)
    ppon: str = ""  # the supplier's unique identifier on the Central Digital Platform, where given
    # Whether the supplier is a supported employment provider (PA23 s32) or a public service mutual (s33): asked
    # under the Act alone (None otherwise), whose notices say it.
    supported_employment: bool | None = None
    public_service_mutual: bool | None = None

    @property
    def supplier_key(self) -> str:
        """Its supplier's key: the supplier's page, with its record under the councils' other contracts."""
        return supplier_key(self.supplier)


def award_supplier_on_record(
    core: Core, session: Session, actor: Actor, award: AwardRecommendation | None
) -> bool | None:
    """Whether ``actor`` may see a record of the award's supplier with the councils (its supplier page); None
    where there is no award or they see no supplier records (only the councils' staff do)."""
    if award is None or not staff_authorities(actor):
        return None
    from .suppliers import on_record  # the supplier pages build on this module

    return on_record(session, actor, award.supplier_key, core.engine.today(), core.workflows)


def award_recommendation(state: StateDef, case: Case) -> AwardRecommendation | None:
    """The award recommended for a procurement at ``state``, for the people deciding it and its team; None
    before the recommendation, once the contract is signed, and after a return to evaluation (a new one will
    come)."""
    details = case.details or {}
    if state.award not in ("deciding", "approved") or not details.get("supplier_name"):
        return None
    checked = details.get("exclusions_checked_on")
    return AwardRecommendation(
        approved=state.award == "approved",
        supplier=details["supplier_name"],
        registration=details.get("supplier_registration") or "",
        sme=bool(details.get("supplier_is_sme")),
        vcse=bool(details.get("supplier_is_vcse")),
        value=Decimal(details["award_value"]),
        estimated_value=case.estimated_value,
        exclusions_checked_on=date.fromisoformat(checked) if checked else None,
        key_decision=details.get("award_key_decision", ""),
        over_threshold=details.get("award_over_threshold", ""),
        evaluation=details.get("award_evaluation", ""),
        reserved=reservation.described if (reservation := Reservation.of(details)) else "",
        ppon=details.get("supplier_ppon") or "",
        supported_employment=details.get(SupplierKind.SUPPORTED_EMPLOYMENT.answer),
        public_service_mutual=details.get(SupplierKind.PUBLIC_SERVICE_MUTUALS.answer),
    )


def contract_proposal(state: StateDef, case: Case, contract: Contract | None) -> ContractProposal | None:
    """The variation or renewal proposal a contract case at ``state`` is deciding (a gate) or waiting to make
    (approved), for the people deciding it and the contract manager; None when nothing is proposed."""
    kind = state.proposal if contract is not None else None
    details = case.details or {}
    if kind == "variation":
        return ContractProposal(
            "variation",
            approved=state.gate is None,
            description=details.get("variation_description", ""),
            value=(contract.value, Decimal(details["new_value"])),
            end_date=(contract.end_date, date.fromisoformat(details["new_end_date"])),
            change_notice=details.get("change_notice_basis", "").removeprefix("no contract change notice: "),
            change_notice_needed=bool(details.get("change_notice_required")),
            voluntary_standstill=bool(details.get("voluntary_standstill")),
            key_decision=details.get("variation_key_decision", ""),
            basis=ModificationBasis(basis).label(contract.regime)
            if (basis := details.get("modification_basis"))
            else "",
            new_supplier=(details.get(NEW_SUPPLIER) or {}).get("supplier_name", ""),
        )
    if kind == "renewal" and details.get("renewal_proposal") == "extend":
        return ContractProposal(
            "extend",
            value=(contract.value, contract.value + Decimal(details["extension_value"])),
            end_date=(contract.end_date, date.fromisoformat(details["extend_to"])),
            key_decision=details.get("extension_key_decision", ""),
        )
    if kind == "renewal":
        return ContractProposal(
            details.get("renewal_proposal", "exit"), end_date=(contract.end_date, contract.end_date)
        )
    return None


def case_timeline(session: Session, case_id: int) -> list[AuditEvent]:
    """The case's audit events, oldest first (its chain's order)."""
    return list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq)))


def case_page(core: Core, session: Session, actor: Actor, case_id: int) -> CasePage:
    case = get_case_for(session, actor, case_id)
    definition = core.workflows.get(case.workflow, case.workflow_version)
    steps = list(
        session.scalars(
            select(ApprovalStep)
            .where(ApprovalStep.case_id == case.id)
            .order_by(ApprovalStep.gate_order, ApprovalStep.round, ApprovalStep.position)
        )
    )
    decisions: dict[int, list[Decision]] = {}
    for decision in session.scalars(select(Decision).where(Decision.case_id == case.id).order_by(Decision.id)):
        decisions.setdefault(decision.step_id, []).append(decision)
    events = case_timeline(session, case.id)
    people = {e.actor_id for e in events} | {e.on_behalf_of_id for e in events}
    people |= {d.actor_id for ds in decisions.values() for d in ds} | {
        d.principal_id for ds in decisions.values() for d in ds
    }
    people |= {case.requester_id, (case.details or {}).get(PROPOSED_BY)}
    contract = session.scalar(select(Contract).where(Contract.case_id == case.id)) or session.scalar(
        select(Contract).where(Contract.procurement_case_id == case.id)
    )
    if contract is not None and contract.case_id == case.id:
        people.add(contract.contract_manager_id)  # who manages it now, beside who its case was opened for
    names = user_names(session, {p for p in people if p})
    timeline = [
        TimelineEntry(
            e,
            names.get(e.actor_id, "The system"),
            names.get(e.on_behalf_of_id) if e.on_behalf_of_id else None,
            _answers(definition, e),
        )
        for e in reversed(events)
    ]
    award = award_recommendation(core.workflows.state_of(case), case)
    return CasePage(
        case=case,
        definition=definition,
        steps=steps,
        decisions=decisions,
        timeline=timeline,
        deadlines=list(
            session.scalars(select(CaseDeadline).where(CaseDeadline.case_id == case.id).order_by(CaseDeadline.due_on))
        ),
        parent=session.get(Case, case.parent_case_id) if case.parent_case_id else None,
        children=list(session.scalars(select(Case).where(Case.parent_case_id == case.id).order_by(Case.id))),
        contract=contract,
        documents=list(session.scalars(select(Document).where(Document.case_id == case.id).order_by(Document.id))),
        actions=actions_with_obstacles(core, session, case, actor),
        why_nobody_may_decide=core.engine.why_nobody_may_decide(session, case),
        tasks=list(session.scalars(select(Task).where(Task.case_id == case.id).order_by(Task.due_on))),
        names=names,
        team=team_of(session, case.id) if case.stage == "procurement" else [],
        may_manage_team=case.stage == "procurement" and may_manage_team(actor, case),
        notices_owed={deadline.kind: notice for notice, deadline in notices_owed(session, actor, case)},
        kpis_needed=case.stage == "procurement"
        and procurement_needs_kpis(case, case.details or {}, case.regime, core.engine.today()),
        may_set_kpis=procurement_kpis_open(case) and may_manage_performance(actor, case),
        proposal=contract_proposal(core.workflows.state_of(case), case, contract),
        award=award,
        award_supplier_on_record=award_supplier_on_record(core, session, actor, award),
        decision_records=list(
            session.scalars(
                select(DecisionRecord)
                .where(DecisionRecord.case_id == case.id)
                .order_by(DecisionRecord.decided_at, DecisionRecord.id)
            )
        ),
        **_evaluation_parts(core, session, actor, case),
    )


def _evaluation_parts(core: Core, session: Session, actor: Actor, case: Case) -> dict[str, Any]:
    if case.stage != "procurement":
        return {}
    evaluates = evaluation.may_evaluate(session, actor, case)
    return {
        "evaluation": evaluation_of(session, case.id),
        "may_evaluate": evaluates,
        "may_set_criteria": evaluates and evaluation.criteria_open(core.workflows, case),
        "may_record_tenders": evaluates and evaluation.tenders_open(core.workflows, case),
        "requests": requests_to_participate(session, case.id),
        "may_record_requests": evaluates and evaluation.requests_open(core.workflows, case),
        "extendable": periods.extendable(core.workflows, case, core.engine.today()) if evaluates else [],
        "may_see_tenders": may_see_tenders(session, actor, case),
        "dynamic_market": (market := market_named_by(session, case.details)),
        "dynamic_market_part": part_named_by(market, case.details) if market else None,
        "invited": tuple(evaluation.invited_names(case.details)),
        "reservation": Reservation.of(case.details),
        "market_linked": market is not None and works_for(actor, market.authority),
        "framework": (framework := framework_named_by(session, case.details)),
        "framework_linked": framework is not None and works_for(actor, framework.authority),
    }


def _answers(definition: WorkflowDefinition, event: AuditEvent) -> list[tuple[InputSpec, object]]:
    """The answers an event's action was given, in the order its workflow asks them."""
    candidates = definition.candidates(event.from_state, event.action) if event.from_state else []
    # Of an action's ways from that state (a competitive flexible procedure's tender notice, another's), the one
    # it took.
    taken = [t for t in candidates if (t.dest or event.from_state) == event.to_state] or candidates
    data = event.data or {}
    specs = taken[0].inputs if taken else ()
    return [
        (spec, data.get(f"{spec.name}_label", data[spec.name]) if spec.type == "choice" else data[spec.name])
        for spec in specs
        if data.get(spec.name) not in (None, "")
    ]


def actions_with_obstacles(core: Core, session: Session, case: Case, actor: Actor) -> list[AvailableAction]:
    """What ``actor`` may do to the case, each with what stops it now, if anything (for a decision, what
    stops the gate being approved: a key decision's forward-plan period, say), and the inputs it asks for on
    this case. Actions the case's route rules out (a tender notice on a quotations case) are not listed."""
    actions = core.engine.available_actions(session, case, actor)
    offers = core.engine.offers(case.id, actor.id, [a.trigger for a in actions]) if actions else {}
    return [replace(a, not_yet=offer.not_yet, inputs=offer.inputs) for a in actions if (offer := offers[a.trigger])]


# --- the cases: the pipeline --------------------------------------------------------------------------
@dataclass(frozen=True)
class CaseQuery:
    """Which of the cases a person can see to list; every filter is optional."""

    text: str = ""  # in the title or reference
    stage: str = ""
    state: str = ""
    pillar: str = ""
    authority: str = ""  # a council (its own cases and the joint ones: ``of_council``), or JOINT
    requester_id: int | None = None
    open_only: bool = False  # leave out cases at an end state (rejected, cancelled, awarded and done, expired)
    case_ids: frozenset[int] | None = None
    sort: str = "updated"
    page: int = 1

    SORTS = {
        "updated": (Case.updated_at.desc(), Case.id.desc()),
        "newest": (Case.id.desc(),),
        "value": (Case.estimated_value.desc(), Case.id.desc()),
    }


def cases_page(core: Core, session: Session, actor: Actor, q: CaseQuery, per_page: int = PAGE_SIZE) -> ResultPage:
    """Rows of (case,) that ``actor`` may see and that match ``q``."""
    return page_of(
        session, _cases_query(core, actor, q), CaseQuery.SORTS.get(q.sort, CaseQuery.SORTS["updated"]), q.page, per_page
    )


def case_rows(core: Core, session: Session, actor: Actor, q: CaseQuery):
    """Every matching case, with its requester's name, for the CSV export (streamed in batches)."""
    requester = aliased(User)
    query = (
        _cases_query(core, actor, q)
        .add_columns(requester.full_name)
        .outerjoin(requester, requester.id == Case.requester_id)
        .order_by(*CaseQuery.SORTS.get(q.sort, CaseQuery.SORTS["updated"]))
    )
    return session.execute(query.execution_options(yield_per=500))


def _cases_query(core: Core, actor: Actor, q: CaseQuery):
    query = select(Case).where(visible_cases(actor))
    if q.text:
        like = f"%{q.text.lower()}%"
        query = query.where(or_(func.lower(Case.title).like(like), func.lower(Case.reference).like(like)))
    for column, value in (
        (Case.stage, q.stage),
        (Case.state, q.state),
        (Case.pillar, q.pillar),
        (Case.requester_id, q.requester_id),
    ):
        if value:
            query = query.where(column == value)
    if q.authority:
        query = query.where(of_council(Case.authority, q.authority))
    if q.open_only:
        query = query.where(~at_an_end(core))
    if q.case_ids is not None:
        query = query.where(Case.id.in_(sorted(q.case_ids)) if q.case_ids else false())
    return query


def at_an_end(core: Core) -> ColumnElement[bool]:
    """A case at a final state of its workflow (any version)."""
    finals: dict[str, set[str]] = {}
    for definition in core.workflows.definitions.values():
        finals.setdefault(definition.name, set()).update(s.name for s in definition.states.values() if s.final)
    return or_(*(and_(Case.workflow == name, Case.state.in_(sorted(states))) for name, states in finals.items()))


# --- the contract register ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RegisterQuery:
    text: str = ""
    pillar: str = ""
    category: str = ""
    risk: str = ""  # low, medium or high (``CONTRACT_RISKS``), or "" for any
    authority: str = ""  # a council (its own contracts and the joint ones: ``of_council``), or JOINT
    status: str = ""  # a contract-management state, or "" for any
    states_left_out: tuple[str, ...] = ()  # the ended ones, for the register's current contracts
    expiring_within: int | None = None  # days from today
    ends_from: date | None = None  # ending on or after this day...
    ends_by: date | None = None  # ...and on or before this one (the overview's renewal pipeline links a band so)
    manager_id: int | None = None  # only the contracts this person manages
    sort: str = "end_date"
    page: int = 1

    SORTS = {
        "end_date": (Contract.end_date, Contract.id),
        "value": (Contract.value.desc(), Contract.id),
        "supplier": (Contract.supplier_name, Contract.id),
        "title": (Contract.title, Contract.id),
        "newest": (Contract.id.desc(),),  # the latest added (or loaded) first
    }


@dataclass
class ResultPage:
    """One page of a filtered list: its rows, how many match in all, and which page of how many this is."""

    rows: list
    total: int
    page: int
    pages: int
    left_out: int = 0  # rows that would match but for a filter the page names (the register's ended contracts)


def page_of(
    session: Session, query, ordering, page: int, per_page: int, *, total: int | None = None, left_out: int = 0
) -> ResultPage:
    """``query``'s rows on ``page`` (clamped to the pages there are), in ``ordering``; ``total``, where the
    caller counted them already."""
    if total is None:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = session.execute(query.order_by(*ordering).limit(per_page).offset((page - 1) * per_page)).all()
    return ResultPage(list(rows), total, page, pages, left_out)


def _register_query(session: Session, actor: Actor, q: RegisterQuery, today: date):
    manager = aliased(User)
    query = (
        select(Contract, Case, manager.full_name)
        .join(Case, Case.id == Contract.case_id)
        .outerjoin(manager, manager.id == Contract.contract_manager_id)
        .where(visible_contracts(actor))
    )
    if q.text:
        from .suppliers import names_numbered, recorded_names, under_every_name  # they build on this module

        if numbered := set(names_numbered(session, actor, q.text)):  # and the suppliers' other names, as by name
            numbered = under_every_name(recorded_names(session), numbered)
        like = f"%{q.text.lower()}%"
        searched = [
            func.lower(Contract.title).like(like),
            func.lower(Contract.supplier_name).like(like),
            func.lower(Contract.reference).like(like),
            # the supplier searched for, under any of its names (a trading name finds the company's)
            Contract.supplier_key.in_(keys_of_supplier_named(supplier_key(q.text))),
            Contract.supplier_registration == q.text.strip(),  # a number of no usual shape, as the contract has it
        ]
        # or by its number (its Companies House or charity number, or its PPON) as the contract, or any tender,
        # request to participate or application to a dynamic market the person sees, gives it: the names found
        # with it, as values (as a subquery, PostgreSQL took the OR to match most contracts and read them all)
        if numbered:
            searched.append(Contract.supplier_key.in_(sorted(numbered)))
        query = query.where(or_(*searched))
    if q.pillar:
        query = query.where(Contract.pillar == q.pillar)
    if q.category:
        query = query.where(Contract.category == q.category)
    if q.risk:
        query = query.where(Contract.risk == q.risk)
    if q.authority:
        query = query.where(of_council(Contract.authority, q.authority))
    if q.status:
        query = query.where(Case.state == q.status)
    if q.states_left_out:
        query = query.where(Case.state.not_in(q.states_left_out))
    if q.expiring_within is not None:
        query = query.where(Contract.end_date >= today, Contract.end_date <= today + timedelta(days=q.expiring_within))
    if q.ends_from is not None:
        query = query.where(Contract.end_date >= q.ends_from)
    if q.ends_by is not None:
        query = query.where(Contract.end_date <= q.ends_by)
    if q.manager_id is not None:
        query = query.where(Contract.contract_manager_id == q.manager_id)
    return query


# The register's status filter for every contract not yet ended: its pages' first view.
CURRENT = "current"


def register_status(core: Core, status: str) -> dict[str, Any]:
    """The register's status filter as ``RegisterQuery``'s fields: a contract-management state, "" for any,
    or CURRENT for every contract not at an end (in any version of the contract workflow)."""
    if status == CURRENT:
        return {"status": "", "states_left_out": core.workflows.states_where("contract", "final", True)}
    return {"status": status, "states_left_out": ()}


def register_page(
    session: Session, actor: Actor, q: RegisterQuery, today: date, per_page: int = PAGE_SIZE
) -> ResultPage:
    """Rows of (contract, its case, the contract manager's name); with ``states_left_out``, how many contracts
    in those states would match too (``left_out``: the ended ones, for the page to say they are there),
    counted with the rest in one statement."""
    ordering = RegisterQuery.SORTS.get(q.sort, RegisterQuery.SORTS["end_date"])
    if not q.states_left_out:
        return page_of(session, _register_query(session, actor, q, today), ordering, q.page, per_page)
    every_state = _register_query(session, actor, replace(q, states_left_out=()), today)
    left = Case.state.in_(q.states_left_out)
    total, left_out = session.execute(
        every_state.with_only_columns(func.count().filter(~left), func.count().filter(left))
    ).one()
    query = every_state.where(~left)
    return page_of(session, query, ordering, q.page, per_page, total=total, left_out=left_out)


def register_rows(session: Session, actor: Actor, q: RegisterQuery, today: date):
    """Every matching row, for the CSV export (streamed in batches): a contract, its case, its manager's name
    and, for a call-off, the framework it was called off under (as its procurement named it)."""
    ordering = RegisterQuery.SORTS.get(q.sort, RegisterQuery.SORTS["end_date"])
    procurement = aliased(Case)
    query = (
        _register_query(session, actor, q, today)
        .add_columns(procurement.details["framework_name"].as_string())
        .outerjoin(procurement, procurement.id == Contract.procurement_case_id)
    )
    return session.execute(query.order_by(*ordering).execution_options(yield_per=500))


def get_contract_for(session: Session, actor: Actor, contract_id: int) -> Contract:
    contract = session.get(Contract, contract_id)
    if contract is None or not may_see_contract(actor, contract):
        raise NotFound(f"There is no contract {contract_id} that you can see")
    return contract


def email_stalled_since(session: Session, now: datetime, late_after: timedelta) -> datetime | None:
    """When the oldest email still to send fell due, if that was more than ``late_after`` before ``now``: the
    scheduler, which sends email and raises every task, is not running. None while email goes out."""
    due_since = session.scalar(select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.status == "pending"))
    return due_since if due_since is not None and due_since < now - late_after else None


def undelivered(session: Session, councils: list[str], limit: int = 200) -> list:
    """Email that could not be delivered (given up, or still being retried), newest first, with the
    recipient's name and address: about ``councils``' cases, or, for a message about no case, to their people."""
    about_no_case_to_their_people = OutboxMessage.case_id.is_(None) & exists().where(
        RoleAssignment.user_id == OutboxMessage.recipient_id, RoleAssignment.authority.in_(councils)
    )
    return list(
        session.execute(
            select(OutboxMessage, User.full_name, User.email)
            .join(User, User.id == OutboxMessage.recipient_id)
            .outerjoin(Case, Case.id == OutboxMessage.case_id)
            .where(
                (OutboxMessage.status == "failed")
                | (OutboxMessage.attempts > 0) & OutboxMessage.status.not_in(("sent", "withheld")),
                Case.authority.in_([*councils, JOINT]) | about_no_case_to_their_people,
            )
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
    )


def delegations_of(session: Session, actor: Actor) -> list[tuple[Delegation, str]]:
    """The person's own out-of-office delegations (current and future), with the delegate's name."""
    rows = session.execute(
        select(Delegation, User.full_name)
        .join(User, User.id == Delegation.delegate_id)
        .where(Delegation.delegator_id == actor.id, Delegation.revoked_at.is_(None))
        .order_by(Delegation.starts_on)
    )
    return [(d, name) for d, name in rows]
