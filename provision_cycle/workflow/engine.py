"""The one door for every state change.

Web views, API handlers, CLI commands and scheduled jobs all call :meth:`Engine.act` (or one of the few
other methods here that change a case). In ONE database transaction it:

1. locks the case (``SELECT ... FOR NO KEY UPDATE`` on PostgreSQL; ``BEGIN IMMEDIATE`` on SQLite) and checks the
   caller's version, so of two people acting at once exactly one wins and the other hears that the case
   changed;
2. checks that the trigger is available from the current state, that the actor may take it (role,
   authority, segregation of duties, conflict-of-interest declaration), its inputs and its guards;
3. applies the transition through the workflow's shared ``transitions`` machine and runs its effects;
4. writes one update to the case (state, version, audit head), appends a hash-chained audit event, and
   queues notifications in the outbox.

Nothing is ever half-saved: any error rolls the whole transaction back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..audit import GENESIS, sealed
from ..db import CHANGE_LOCK, Database, Transaction, statements_of
from ..errors import GuardFailed, InvalidAction, InvalidInput, NotFound, NotPermitted, StaleCase
from ..governance.calendar import implausible
from ..governance.organisation import ADMINISTRATOR, JOINT
from ..governance.rules import Governance, GovernanceError, Proposal, RoutePlan
from ..governance.statutory import DirectAwardGround, Route
from ..models import AuditEvent, Case, ConflictDeclaration, Delegation, OutboxMessage, Outcome, StepStatus
from ..models.contracts import LONGEST_TERM_MONTHS
from ..models.outbox import NOBODY_MAY_DECIDE, QUESTION_ASKED, naming_step
from . import statements as sql
from .context import PROPOSED_BY, ActionContext, CaseReads, key_decision_urgency, urgency_taken_under
from .definitions import MAX_TEXT, InputSpec, TransitionDef, WorkflowDefinition, WorkflowRegistry
from .rules import CHECKS, CHOICES, EFFECTS, FOR_APPROVERS, GUARDS, PREDICATES, RULES_OUT, SUGGESTIONS

# What a queued message starts as (an INSERT ... SELECT takes no column defaults).
MESSAGE_DEFAULTS = {"status": "pending", "attempts": 0, "last_error": ""}
CASE_TEAM_ROLES = ("category_officer", "category_manager", "head_of_category")
STAGE_PREFIX = {"commissioning": "COM", "procurement": "PRC", "contract": "CMG"}
SYSTEM_USERNAME = "system"
# What a requester says about a request (the route and commencement date are also fields, set by officers
# or imports); the web forms and the API ask for exactly these.
REQUEST_FIELDS = (
    "title",
    "description",
    "authority",
    "category",
    "contract_type",
    "estimated_value",
    "vat_treatment",
    "proposed_start",
    "duration_months",
)
# What a requester says that is kept in the case's details, not in columns: the direct award's two only on a
# direct award (see _checked_details).
DIRECT_AWARD_FACTS = ("direct_award_ground", "direct_award_justification")
# What a request's route and approvers are resolved from (``proposal_of``): one of them changed while it is
# back for rework, and the route frozen at its submission no longer fits it.
ROUTE_DEPENDS_ON = frozenset({"authority", "category", "contract_type", "estimated_value", "vat_treatment", "route"})
REQUEST_FACTS = ("funding", "justification", *DIRECT_AWARD_FACTS)
COVER = "cover"  # the notification telling a delegate of cover set up for them, or ended early
MAX_WHOLE_NUMBER = 1_000_000  # months, days, counts: anything larger is a typing error, and would overflow a column


def behind_the_proposal(requester_id: int, details: dict[str, Any] | None) -> list[int]:
    """The case's requester and whoever put forward what its gate decides (``PROPOSED_BY``: an award they
    recommended, a renewal they proposed): who hear its approvers' questions, and its return or rejection, and
    who may not decide it, themselves or for someone away (segregation of duties: four eyes on every proposal)."""
    proposer = (details or {}).get(PROPOSED_BY)
    return [requester_id, *([proposer] if proposer not in (None, requester_id) else [])]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Actor:
    id: int
    username: str
    full_name: str
    roles: tuple[tuple[str, str, str | None], ...]  # (role, authority, pillar)

    def holds(self, role: str, authority: str, pillar: str | None = None) -> bool:
        """Holds ``role`` in ``authority`` (either, for JOINT); pillar-scoped roles must match the pillar."""
        authorities = None if authority == JOINT else {authority}
        return any(
            r == role and (authorities is None or a in authorities) and (p is None or pillar is None or p == pillar)
            for r, a, p in self.roles
        )

    @property
    def is_system(self) -> bool:
        return self.username == SYSTEM_USERNAME

    def runs_category(self, authority: str, pillar: str | None) -> bool:
        """In the category team for ``authority`` and ``pillar`` (any pillar's, for None; either council's, for
        JOINT), or an administrator of the authority: who may change who works on a case or who manages a
        contract, and who keeps the councils' frameworks and dynamic markets."""
        return any(self.holds(role, authority, pillar) for role in CASE_TEAM_ROLES) or self.holds(
            ADMINISTRATOR, authority
        )


@dataclass
class ActionRequest:
    case_id: int
    trigger: str
    actor_id: int
    expected_version: int | None = None
    comment: str = ""
    reason: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    on_behalf_of_id: int | None = None  # a delegate naming whose authority they use
    # The last event on the case's chain the person saw (a decision page): anything since but other people's
    # decisions on the step still waiting and their declarations makes the action stale (``_check_seen``).
    seen_through: int | None = None


@dataclass
class ActionResult:
    case_id: int
    trigger: str
    from_state: str
    to_state: str
    version: int
    message: str
    opened_cases: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Offer:
    """An action as it stands for someone on a case: what stops it now (nothing: empty), and the inputs it
    asks for on this case (those whose own conditions hold)."""

    not_yet: tuple[str, ...]
    inputs: tuple[InputSpec, ...]

    def asks(self, name: str) -> bool:
        """Whether the action asks for the input ``name`` on this case."""
        return any(spec.name == name for spec in self.inputs)


@dataclass(frozen=True)
class AvailableAction:
    trigger: str
    label: str
    inputs: tuple[InputSpec, ...] = ()
    reason_required: bool = False
    decision: bool = False  # a gate decision: taken from the decision page, with a declaration
    # What stops it as things stand (its rules that need nothing typed in, failing now): for saying why there
    # is no button yet, rather than a button that can only be refused. Empty when nothing does.
    not_yet: tuple[str, ...] = ()

    @property
    def needs_form(self) -> bool:
        return bool(self.inputs) or self.reason_required


class _Fields:
    """A dict's items as attributes: a case's fields before the case row exists, for code that reads a case."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.__dict__.update(fields)


@dataclass
class _Subject:
    """What the shared machine moves for the length of one action: the state, and the context."""

    state: str
    ctx: ActionContext


class Engine:
    def __init__(
        self,
        db: Database,
        workflows: WorkflowRegistry,
        governance: Governance,
        *,
        clock: Callable[[], datetime] = utc_now,
        timezone: str = "Europe/London",
    ) -> None:
        self.db = db
        self.workflows = workflows
        self.governance = governance
        self.clock = clock
        self.zone = ZoneInfo(timezone)

    def today(self, now: datetime | None = None) -> date:
        return (now or self.clock()).astimezone(self.zone).date()

    # =============================================================================================
    # The door
    # =============================================================================================
    def act(self, request: ActionRequest) -> ActionResult:
        with self.db.transaction() as tx:
            # A decision reads the gate's steps: asked beside the case, whichever gate its state turns out to have.
            decides = request.trigger in self.workflows.decision_triggers
            case, actor, steps = self._case_with_actor(
                tx,
                sql.LOCK_CASE_WITH_ACTOR,
                request.case_id,
                request.actor_id,
                (sql.CASE_STEPS_IN_PLAY_WITH_DECISIONS, {"case_id": request.case_id}) if decides else None,
            )
            self._check_version(case, request.expected_version)
            ctx = self._context(
                tx, case, actor, request.trigger, comment=_clean(request.comment), reason=_clean(request.reason)
            )
            definition = ctx.definition
            candidates = definition.candidates(case.state, request.trigger)
            decision = candidates[0].decision if candidates else None
            if request.seen_through is not None and decision is None:
                self._check_seen(ctx, request.seen_through, None)
            if not candidates:
                raise InvalidAction(self._unavailable_message(definition, case, request.trigger))
            if decision is not None:
                return self._decide(ctx, decision, request.on_behalf_of_id, request.seen_through, steps)
            transition = self._choose(ctx)
            self._authorise(ctx, transition)
            if request.trigger == "provide_info":
                self._provide_info(ctx)
            return self._apply(ctx, transition, request.inputs)

    def offers(self, case_id: int, actor_id: int, triggers: Iterable[str]) -> dict[str, Offer | None]:
        """For each of ``triggers`` (actions ``actor`` may take on the case now), how it stands on this case:
        the messages of its guards that fail before anything is typed in (a standstill still running, a
        tender period still open, a declaration not yet made), and the inputs it asks for here; None for an
        action that does not apply to this case: ruled out for good (by its route: ``rules.RULES_OUT``), or
        not for this case (its ``when`` conditions: the forward plan of a case that is no key decision;
        information nobody asked for). Only reads; acting checks everything again."""
        found: dict[str, Offer | None] = {}
        with self.db.looking() as tx:
            case, actor, _ = self._case_with_actor(tx, sql.CASE_WITH_ACTOR, case_id, actor_id)
            reads = CaseReads()  # the contract, deadlines and tenders, read once for all the actions
            for trigger in triggers:
                ctx = self._context(tx, case, actor, trigger, reads=reads)
                try:
                    transition = self._choose(ctx)
                except InvalidAction:
                    found[trigger] = None
                    continue
                if trigger == "provide_info" and self._step_waiting_for_info(ctx) is None:
                    found[trigger] = None
                    continue
                guards = transition.guards
                if transition.decision is Outcome.APPROVE and not self._approval_passes_gate(ctx):
                    guards = ()  # a gate's own rules bind the approval that passes it, not the ones before
                failing = self._failing_guards(ctx, guards)
                found[trigger] = (
                    None if failing.keys() & RULES_OUT else Offer(tuple(failing.values()), _asked(ctx, transition))
                )
        return found

    def not_yet(self, case_id: int, actor_id: int, triggers: Iterable[str]) -> dict[str, tuple[str, ...] | None]:
        """What stops each of ``triggers`` as things stand (``offers``), None for one that does not apply to
        this case; actions nothing stops are left out."""
        return {
            trigger: None if offer is None else offer.not_yet
            for trigger, offer in self.offers(case_id, actor_id, triggers).items()
            if offer is None or offer.not_yet
        }

    # --- steps of the door ---------------------------------------------------------------------
    def _case_with_actor(
        self, tx: Transaction, statement: Any, case_id: int, actor_id: int, also: tuple[Any, dict] | None = None
    ) -> tuple[Row[Any], Actor, list[Row[Any]] | None]:
        """The case row (locked, by the door's statement) and the acting person, read in one round trip, and
        the rows of the question ``also`` asks, in the same round trip (None if it asks none)."""
        params = {"case_id": case_id, "actor_id": actor_id}
        rows, also_rows = tx.rows_together((statement, params), also) if also else (tx.rows(statement, params), None)
        if not rows:
            raise NotFound(f"There is no case {case_id}")
        [case] = rows
        if case.actor_username is None or not case.actor_active:
            raise NotPermitted("Your account is not active")
        roles = tuple((role, authority, pillar) for role, authority, pillar in case.actor_roles or ())
        return case, Actor(actor_id, case.actor_username, case.actor_full_name, roles), also_rows

    def _context(
        self, tx: Transaction, case: Row[Any], actor: Actor, trigger: str, reads: CaseReads | None = None, **text: str
    ) -> ActionContext:
        now = self.clock()
        return ActionContext(
            reads=reads or CaseReads(),
            engine=self,
            tx=tx,
            case=case,
            definition=self.workflows.get(case.workflow, case.workflow_version),
            actor=actor,
            trigger=trigger,
            now=now,
            today=self.today(now),
            details=dict(case.details or {}),
            **text,
        )

    def lock_case(self, session: Session, case_id: int, expected_version: int | None) -> Case:
        """The case as an ORM object, locked, for the rarer changes that edit its fields directly."""
        case = session.scalar(select(Case).where(Case.id == case_id).with_for_update(**CHANGE_LOCK))
        if case is None:
            raise NotFound(f"There is no case {case_id}")
        self._check_version(case, expected_version)
        return case

    def _check_version(self, case: Case | Row[Any], expected_version: int | None) -> None:
        if expected_version is not None and case.version != expected_version:
            raise self._stale(case)

    def _stale(self, case: Case | Row[Any]) -> StaleCase:
        """The refusal of an action on a case that changed since the person read it, saying where it is now."""
        definition = self.workflows.get(case.workflow, case.workflow_version)
        return StaleCase(case.reference or str(case.id), definition.label(case.state), case.version)

    def actor(self, session: Session | Transaction, user_id: int) -> Actor:
        rows = statements_of(session).rows(sql.ACTOR_WITH_ROLES, {"user_id": user_id})
        if not rows or not rows[0].is_active:
            raise NotPermitted("Your account is not active")
        roles = tuple((r.role, r.authority, r.pillar) for r in rows if r.role)
        return Actor(user_id, rows[0].username, rows[0].full_name, roles)

    def require_category_team(self, actor: Actor, authority: str, pillar: str, *, to: str) -> None:
        """Refuse unless ``actor`` is in the category team for ``authority`` and ``pillar`` or an administrator
        of it (``to``: what they would do, for the message)."""
        if not actor.runs_category(authority, pillar):
            name = self.governance.organisation.pillars[pillar].name
            raise NotPermitted(f"Only the {name} category team for {authority}, or an administrator, can {to}")

    def _unavailable_message(self, definition: WorkflowDefinition, case: Row[Any], trigger: str) -> str:
        state = definition.label(case.state)
        available = [self._trigger_label(definition, case.state, t) for t in definition.triggers_from(case.state)]
        known = any(t.trigger == trigger for t in definition.transitions)
        what = f"'{trigger.replace('_', ' ')}'" if known else f"unknown action '{trigger}'"
        tail = f" Actions available now: {', '.join(available)}." if available else " The case is closed."
        return f"You cannot take the {what} while the case is at '{state}'.{tail}"

    @staticmethod
    def _trigger_label(definition: WorkflowDefinition, state: str, trigger: str) -> str:
        candidates = definition.candidates(state, trigger)
        return candidates[0].label if candidates else trigger

    def _choose(self, ctx: ActionContext) -> TransitionDef:
        """The transition the machine will take: the first candidate whose ``when`` conditions hold."""
        for candidate in ctx.definition.candidates(ctx.case.state, ctx.trigger):
            if all(PREDICATES[name](ctx) for name in candidate.when):
                return candidate
        # Only an action every one of whose transitions has ``when`` gets here (a forward-plan entry).
        label = self._trigger_label(ctx.definition, ctx.case.state, ctx.trigger)
        raise InvalidAction(f"'{label}' does not apply to this case")

    def _may_take(self, actor: Actor, case: Case | Row[Any], transition: TransitionDef) -> bool:
        for who in transition.by:
            if who == "requester":  # the case's own requester: not anyone holding the requester role
                if actor.id == case.requester_id:
                    return True
                continue
            if who == "system" and actor.is_system:
                return True
            if who == "case_team" and any(actor.holds(r, case.authority, case.pillar) for r in CASE_TEAM_ROLES):
                return True
            if who in self.governance.organisation.roles and actor.holds(who, case.authority, case.pillar):
                return True
        return False

    def _authorise(self, ctx: ActionContext, transition: TransitionDef) -> None:
        case, actor = ctx.case, ctx.actor
        if self._may_take(actor, case, transition):
            return
        names = []
        for who in transition.by:
            if who == "requester":
                names.append("the requester")
            elif who == "case_team":
                pillar = self.governance.organisation.pillars[case.pillar].name
                names.append(f"the {pillar} category team for {case.authority}")
            elif who == "system":
                continue
            else:
                names.append(f"a {self.governance.organisation.roles[who].name} for {case.authority}")
        raise NotPermitted(f"Only {' or '.join(names) or 'the scheduler'} can {transition.label.lower()} on this case")

    def _apply(self, ctx: ActionContext, transition: TransitionDef, raw_inputs: dict[str, Any]) -> ActionResult:
        ctx.transition = transition
        asked = _asked(ctx, transition, answered=raw_inputs)
        ctx.inputs = _validate_inputs(transition, asked, raw_inputs)
        _required_by_the_answers(ctx, asked)
        # A choice is kept as its code, and its event says how the answer was worded when it was given.
        for spec in asked:
            if spec.options and spec.name in ctx.inputs:
                ctx.audit_data[f"{spec.name}_label"] = dict(spec.options)[ctx.inputs[spec.name]]
        if transition.reason_required and not ctx.reason:
            raise InvalidInput({"reason": f"Give a reason to {transition.label.lower()}"})
        self._check_guards(ctx, transition.guards)
        _answers_checked(ctx, asked)
        return self._fire(ctx, transition)

    def _check_guards(self, ctx: ActionContext, guards: Iterable[str]) -> None:
        if failing := self._failing_guards(ctx, guards):
            raise GuardFailed(list(failing.values()))

    @staticmethod
    def _failing_guards(ctx: ActionContext, guards: Iterable[str]) -> dict[str, str]:
        """The guards among ``guards`` that refuse, by name, with what each says."""
        return {name: message for name in guards if (message := GUARDS[name](ctx))}

    def _fire(self, ctx: ActionContext, transition: TransitionDef, extra: dict[str, Any] | None = None) -> ActionResult:
        case, definition = ctx.case, ctx.definition
        from_state = case.state
        subject = _Subject(from_state, ctx)
        if not definition.machine.events[transition.trigger].trigger(subject):
            raise InvalidAction(f"'{transition.label}' did not apply")  # conditions changed under us
        to_state = subject.state
        assert to_state == (transition.dest or from_state), "machine and engine chose different transitions"

        ctx.details.update(_jsonable(ctx.inputs))
        for name in transition.effects:
            EFFECTS[name](ctx)
        if to_state != from_state:
            left_gate = definition.gate_at(from_state)
            if left_gate and transition.decision is None:
                ctx.tx.write(
                    sql.CLOSE_GATE_STEPS,
                    {"b_case_id": case.id, "b_gate": left_gate.name, "b_status": StepStatus.CANCELLED, "b_at": ctx.now},
                )
            entered_gate = definition.gate_at(to_state)
            if entered_gate:
                if transition.decision is None and not ctx.actor.is_system:  # not passed on by another gate
                    ctx.details[PROPOSED_BY] = ctx.actor.id
                self._open_gate(ctx, entered_gate.name)
            if definition.states[to_state].final:
                ctx.changes["closed_at"] = ctx.now
                # A contract's case ends for whoever manages it now, not only the person it was opened for; not
                # for whoever ended it (a request withdrawn), nor again for those told of it already.
                contract = ctx.contract()
                managing = [contract.contract_manager_id] if contract and contract.contract_manager_id else []
                told = {ctx.actor.id, *ctx.told_of_the_end}
                ctx.notify(
                    [person for person in (case.requester_id, *managing) if person not in told],
                    "case_closed",
                    f"{case.reference}: {definition.label(to_state)}",
                    f"'{case.title}' is now '{definition.label(to_state)}'.",
                )
        data = {**(extra or {}), **_jsonable(ctx.inputs), **ctx.audit_data}
        if ctx.opened_cases:
            data["opened_cases"] = ctx.opened_cases
        version = self._record(ctx, transition.trigger, from_state, to_state, data)
        return ActionResult(
            case.id,
            transition.trigger,
            from_state,
            to_state,
            version,
            f"{transition.label}: {case.reference} is now at '{definition.label(to_state)}'",
            ctx.opened_cases,
        )

    def available_actions(self, session: Session, case: Case | Row[Any], actor: Actor) -> list[AvailableAction]:
        """What ``actor`` may do to ``case`` now, for showing buttons. Acting still runs every check."""
        definition = self.workflows.get(case.workflow, case.workflow_version)
        actions = []
        gate = definition.gate_at(case.state)
        decider = gate is not None and self._may_decide(session, case, gate.name, actor)
        for trigger in definition.triggers_from(case.state):
            candidates = definition.candidates(case.state, trigger)
            first = candidates[0]
            allowed = decider if first.decision is not None else any(self._may_take(actor, case, t) for t in candidates)
            if allowed and not actor.is_system:
                actions.append(
                    AvailableAction(
                        trigger,
                        first.label,
                        inputs=first.inputs,
                        reason_required=first.reason_required
                        or (first.decision is not None and first.decision is not Outcome.APPROVE),
                        decision=first.decision is not None,
                    )
                )
        return actions

    def _may_decide(self, session: Session, case: Case | Row[Any], gate: str, actor: Actor) -> bool:
        """Whether ``actor`` could decide the gate's live step (themselves or for someone away), not having
        decided it already (a committee's step stays live for its other members)."""
        behind = behind_the_proposal(case.requester_id, case.details)
        if actor.id in behind:
            return False
        rows, _, step = _in_play(
            statements_of(session).rows(sql.GATE_STEPS_IN_PLAY_WITH_DECISIONS, {"case_id": case.id, "gate": gate})
        )
        if step is None:
            return False
        decided = dict(_decisions_on(rows, step))
        if actor.id not in decided and self._eligible(actor, step):
            return True
        return any(
            d.id not in decided and d.id not in behind and self._eligible(d, step)
            for d in self.delegators_of(session, actor.id)
        )

    def why_nobody_may_decide(self, session: Session, case: Case) -> str | None:
        """Why the step waiting for a decision at the case's gate cannot be decided by anyone today, for its page
        to say; None where it can be, or the case is at no gate (``nobody_may_decide``)."""
        return self.nobody_may_decide(session, [case]).get(case.id)

    def nobody_may_decide(self, session: Session, cases: Iterable[Case | Row[Any]]) -> dict[int, str]:
        """Of ``cases``, those whose step waiting for a decision at their gate nobody may decide today (nobody
        holds its role, or too few besides those behind the proposal, who may not decide it: ``step_deciders``),
        each with why. Such a step waits, and the scheduler escalates it (``chase_approvals``).

        Read for a whole list at once (a case's page, *My requests*, the cases list, the overview): the steps of
        every case in one statement, and who holds each role needed, with who covers, once for each role."""
        gates = {}
        for case in cases:
            gate = self.workflows.get(case.workflow, case.workflow_version).gate_at(case.state)
            if gate is not None:
                gates[case.id] = (case, gate.name)
        if not gates:
            return {}
        by_case: dict[int, list[Row[Any]]] = {}
        for row in session.execute(sql.STEPS_IN_PLAY_OF_CASES_WITH_DECISIONS, {"case_ids": sorted(gates)}):
            if row.gate == gates[row.case_id][1]:
                by_case.setdefault(row.case_id, []).append(row)
        today = self.today()
        holders: dict[tuple[str, str, str | None], list[Row[Any]]] = {}  # each role needed: who holds, who covers
        why = {}
        for case_id, rows in by_case.items():
            _, _, step = _in_play(rows)
            if step is None:
                continue
            key = (step.role, step.authority, step.pillar)
            if key not in holders:
                holders[key] = statements_of(session).rows(*self._deciders_question(step, today))
            case = gates[case_id][0]
            behind = behind_the_proposal(case.requester_id, case.details)
            reason = self._why_nobody_may_decide(session, step, _decisions_on(rows, step), behind, today, holders[key])
            if reason is not None:
                why[case_id] = reason
        return why

    def _why_nobody_may_decide(
        self,
        session: Session | Transaction,
        step: Any,
        decisions: list[tuple[int, str]],
        behind: list[int],
        today: date,
        read: list[Row[Any]],
        deciders: list[tuple[int, int | None]] | None = None,
    ) -> str | None:
        """Why nobody may decide ``step`` today (``nobody_may_decide``), given the ``decisions`` taken on it
        (``_decisions_on``), those ``behind`` the proposal and the holders of its role with who covers
        (``read``: ``_deciders_question``); None if someone may. ``deciders``: ``step_deciders``' answer for
        those ``behind``, where the caller has it already."""
        needed = step.required - sum(outcome == Outcome.APPROVE for _, outcome in decisions)
        decided = {person for person, _ in decisions}

        def principals(behind: list[int], deciders=None) -> set[int]:  # whose authority may yet be used on it
            deciders = deciders if deciders is not None else self.step_deciders(session, step, behind, today, read)
            return {away or person for person, away in deciders} - decided

        if len(principals(behind, deciders)) >= needed:
            return None
        role = self.governance.organisation.role_for(step.role, step.authority, step.pillar)
        if len(principals([])) >= needed:  # only those behind the proposal stand in the way
            who = "Nobody else holds" if needed == 1 else "Too few others hold"
            return (
                f"{who} the role of {role} to decide this step{_more_approvals(needed)}: who requested the case, or "
                "put forward what it decides, may not (segregation of duties). An administrator can give the role to "
                "someone else."
            )
        who = "Nobody holds" if needed == 1 else "Too few hold"
        return (
            f"{who} the role of {role} to decide this step{_more_approvals(needed)}. An administrator can give "
            "someone the role."
        )

    def delegators_of(self, session: Session | Transaction, delegate_id: int, on: date | None = None) -> list[Actor]:
        """The people ``delegate_id`` covers for today (dated, unrevoked delegations)."""
        rows = statements_of(session).rows(sql.DELEGATORS, {"delegate_id": delegate_id, "today": on or self.today()})
        return [self.actor(session, i) for i in dict.fromkeys(row.delegator_id for row in rows)]

    # =============================================================================================
    # Gates and decisions
    # =============================================================================================
    def _decide(
        self,
        ctx: ActionContext,
        outcome: Outcome,
        on_behalf_of_id: int | None,
        seen_through: int | None,
        case_steps: list[Row[Any]] | None,
    ) -> ActionResult:
        """``case_steps``: the case's steps in play with their decisions, read with the case."""
        case, tx = ctx.case, ctx.tx
        gate = ctx.definition.gate_at(case.state)
        assert gate is not None and case_steps is not None
        rows, in_play, step = _in_play([row for row in case_steps if row.gate == gate.name])
        if seen_through is not None:
            self._check_seen(ctx, seen_through, step)
        if step is None:
            raise InvalidAction(f"No step of '{ctx.definition.label(case.state)}' is waiting for a decision")
        principal_id = self._principal(ctx, step, on_behalf_of_id)
        if ctx.actor.id == case.requester_id or principal_id == case.requester_id:
            raise NotPermitted("You cannot decide on a case you requested (segregation of duties)")
        if ctx.details.get(PROPOSED_BY) in (ctx.actor.id, principal_id):
            raise NotPermitted("You cannot decide on what you put forward (segregation of duties)")
        if problem := ctx.declaration_problem(missing="Approval needs a conflict-of-interest declaration"):
            raise NotPermitted(problem)
        if outcome is not Outcome.APPROVE and not ctx.reason:
            verb = {"reject": "reject", "return": "return it for rework", "request_info": "ask for information"}
            raise InvalidInput({"reason": f"Give a reason to {verb[outcome.value]}"})
        decisions = _decisions_on(rows, step)
        already = next((outcome for person, outcome in decisions if person == principal_id), None)
        if already is not None and outcome is not Outcome.REQUEST_INFO:
            raise InvalidAction(f"This step already has a decision ({already}) from you or the person you act for")

        approvals_after = sum(done == Outcome.APPROVE for _, done in decisions) + (outcome is Outcome.APPROVE)
        step_done = outcome is Outcome.APPROVE and approvals_after >= step.required
        next_step = _next_in_round(in_play, step) if step_done else None
        gate_passes = step_done and next_step is None
        if gate_passes:
            # Check the gate's own guards BEFORE writing anything: all or nothing.
            self._check_guards(ctx, gate.approve_guards)

        decision_data = {
            "gate": gate.name,
            "step": step.position,
            "round": step.round,
            "role": step.role,
            "step_authority": step.authority,
            "outcome": outcome.value,
            "step_reason": step.reason,
            "approvals": approvals_after,
            "required": step.required,
        }
        on_behalf = principal_id if principal_id != ctx.actor.id else None

        if outcome is Outcome.REQUEST_INFO:
            tx.write(sql.SET_STEP_STATUS, {"b_step_id": step.id, "b_status": StepStatus.INFO_REQUESTED})
            ctx.notify(
                behind_the_proposal(case.requester_id, ctx.details),
                QUESTION_ASKED,
                f"{case.reference}: more information needed",
                f"{ctx.actor.full_name} asks: {ctx.reason}",
            )
            return self._record_internal(ctx, "request_info", decision_data, on_behalf)
        # A question is not a decision: only approve, reject and return take the person's one decision.
        decision = {
            "step_id": step.id,
            "case_id": case.id,
            "actor_id": ctx.actor.id,
            "principal_id": principal_id,
            "outcome": outcome.value,
            "reason": ctx.reason,
            "at": ctx.now,
        }
        ends_round = not (outcome is Outcome.APPROVE and (not step_done or next_step is not None))
        if not (ends_round and self.db.is_postgresql):
            tx.write(sql.INSERT_DECISION, decision)
        if outcome is Outcome.APPROVE and not step_done:
            return self._record_internal(ctx, "approve", decision_data, on_behalf)
        if outcome is Outcome.APPROVE and next_step is not None:
            # Close this step before opening the next: the database allows one live step per gate.
            tx.write(sql.CLOSE_STEP, {"b_step_id": step.id, "b_status": StepStatus.APPROVED, "b_at": ctx.now})
            tx.write(sql.OPEN_STEP, {"b_step_id": next_step.id, "b_at": ctx.now})
            self._announce_step(ctx, next_step, next_step.round)
            return self._record_internal(ctx, "approve", decision_data, on_behalf)

        final_status = {
            Outcome.APPROVE: StepStatus.APPROVED,
            Outcome.REJECT: StepStatus.REJECTED,
            Outcome.RETURN: StepStatus.RETURNED,
        }[outcome]
        end_round = {
            "b_case_id": case.id,
            "b_gate": gate.name,
            "b_round": step.round,
            "b_step_id": step.id,
            "b_status": final_status,
            "b_others": StepStatus.CANCELLED,
            "b_at": ctx.now,
        }
        if self.db.is_postgresql:  # the decision and the end of its round in one statement
            tx.write(sql.DECIDE_AND_END_ROUND, {**end_round, **{f"d_{k}": v for k, v in decision.items()}})
        else:
            tx.write(sql.END_ROUND, end_round)
        transition = self._choose(ctx)
        ctx.transition = transition
        behind = behind_the_proposal(case.requester_id, ctx.details)
        if outcome is not Outcome.APPROVE:
            ctx.notify(
                behind,
                f"case_{final_status.value}",
                f"{case.reference}: {'rejected' if outcome is Outcome.REJECT else 'returned for rework'}",
                f"{ctx.actor.full_name}: {ctx.reason}",
            )
            if transition.dest and ctx.definition.states[transition.dest].final:
                ctx.told_of_the_end.update(behind)  # the rejection, with its reason, is their word of the end
        elif transition.dest and not ctx.definition.states[transition.dest].final:  # an end is told as one
            label = ctx.definition.label
            ctx.notify(
                [person for person in behind if person != ctx.actor.id],
                f"case_{final_status.value}",
                f"{case.reference}: approved at {label(case.state)}",
                f"'{case.title}' is approved at {label(case.state)}, {ctx.actor.full_name} deciding last. It is "
                f"now at '{label(transition.dest)}'.",
            )
        ctx.on_behalf_of_id = on_behalf
        return self._fire(ctx, transition, extra=decision_data)

    def _check_seen(self, ctx: ActionContext, seen_through: int, step: Row[Any] | None) -> None:
        """Refuse as stale an action sent from a page that showed the case up to event ``seen_through`` of its
        chain, if anything the person has not seen happened since. Approvals of the step still waiting for
        their decision (fellow members of a committee deciding at once, at a board meeting) and declarations
        of interest (theirs, and the person's own sent with the decision) do not count: the person decides
        what they were shown. Anything else (a decision on another step, a question, a document, a note, a
        move) they look at first."""
        events = ctx.tx.rows(sql.CASE_EVENTS_SINCE, {"case_id": ctx.case.id, "seq": seen_through})
        if not all(event.action == "declare_interests" or _on_step(event, step) for event in events):
            raise self._stale(ctx.case)

    def _approval_passes_gate(self, ctx: ActionContext) -> bool:
        """Whether one more approval now would pass the case's gate: it completes the live step, and no
        step follows it in the round. (Whose approval it would be is the door's question, when acting.)"""
        gate = ctx.definition.gate_at(ctx.case.state)
        if gate is None:
            return False
        rows, in_play, step = _in_play(
            ctx.tx.rows(sql.GATE_STEPS_IN_PLAY_WITH_DECISIONS, {"case_id": ctx.case.id, "gate": gate.name})
        )
        if step is None:
            return False
        approvals = sum(outcome == Outcome.APPROVE for _, outcome in _decisions_on(rows, step))
        return approvals + 1 >= step.required and _next_in_round(in_play, step) is None

    def _principal(self, ctx: ActionContext, step: Row[Any], on_behalf_of_id: int | None) -> int:
        """Whose authority the actor uses on this step: their own, or a delegator's while they are away."""
        actor = ctx.actor
        if on_behalf_of_id is None and self._eligible(actor, step):
            return actor.id
        for delegator in self.delegators_of(ctx.tx, actor.id, ctx.today):
            if on_behalf_of_id is not None and delegator.id != on_behalf_of_id:
                continue
            if self._eligible(delegator, step):
                if not self._may_cover(actor, step):
                    role = self.governance.organisation.roles[step.role].name
                    raise NotPermitted(
                        f"{actor.full_name} cannot act for {delegator.full_name} on this step: a delegate must hold "
                        f"{role} or a more senior role in {step.authority}"
                    )
                return delegator.id
        needed = self.governance.organisation.role_for(step.role, step.authority, step.pillar)
        raise NotPermitted(f"This step needs a {needed}, or their delegate")

    @staticmethod
    def _eligible(actor: Actor, step: Row[Any]) -> bool:
        return actor.holds(step.role, step.authority, step.pillar)

    def _cover_needed(self, delegator: Actor) -> str:
        """What a delegate of ``delegator`` must hold: "a delegate must hold Category Manager or a more senior
        role in OCC" (the least senior role they approve with, in each council)."""
        names = self.governance.organisation.roles
        return "a delegate must hold " + " or ".join(
            f"{names[role].name} or a more senior role in {authority}"
            for authority, role in sorted(self._least_approving_roles(delegator).items())
        )

    def _may_cover(self, delegate: Actor, step: Row[Any]) -> bool:
        """A delegate holds authority for the value: the step's role, or a more senior one, in its authority."""
        roles = self.governance.organisation.roles
        needed = roles[step.role].rank
        return any(a == step.authority and roles[r].rank >= needed for r, a, _ in delegate.roles)

    def _open_gate(self, ctx: ActionContext, gate: str) -> None:
        """Start a new round of ``gate`` from the frozen route: its first step open, the rest waiting."""
        plan_data = ctx.value("route_plan")
        plan = RoutePlan.from_json(plan_data) if plan_data else None
        planned = plan.gates.get(gate) if plan else None
        if not planned:
            raise InvalidAction(f"No approval route was frozen for '{gate}' on this case")
        tx, case = ctx.tx, ctx.case
        params: dict[str, Any] = {
            "b_case_id": case.id,
            "b_gate": gate,
            "b_gate_order": ctx.definition.gate_order.get(gate, 0),
        }
        for index, planned_step in enumerate(planned):
            required = planned_step.required
            if planned_step.mode == "all":
                required = max(1, len(self.holders(tx, planned_step.role, planned_step.authority, planned_step.pillar)))
            step = {
                "position": planned_step.position,
                "role": planned_step.role,
                "authority": planned_step.authority,
                "pillar": planned_step.pillar,
                "mode": planned_step.mode,
                "required": required,
                "status": StepStatus.OPEN if index == 0 else StepStatus.WAITING,
                "reason": planned_step.reason,
                "opened_at": ctx.now if index == 0 else None,
            }
            params.update({f"s{index}_{name}": value for name, value in step.items()})
        opened, deciders = tx.rows_together(
            (sql.open_round(len(planned)), params), self._deciders_question(planned[0], ctx.today)
        )
        self._announce_step(ctx, planned[0], opened[0].round, deciders)

    def _announce_step(
        self, ctx: ActionContext, step: Any, round_: int, deciders: list[Row[Any]] | None = None
    ) -> None:
        """Tell the people who can decide a newly opened step (``step_deciders``; ``deciders``: its rows, where
        they were read already) that it waits for them."""
        again = (
            f"It is back after rework (round {round_}): its decision page shows what was said before."
            if round_ > 1
            else ""
        )
        why = [
            f"'{ctx.case.title}' needs your decision. {step.reason}",
            again,
            _urgent_key_decision(ctx, step.gate),
            ctx.details.get(FOR_APPROVERS),
        ]
        if deciders is None:
            deciders = ctx.tx.rows(*self._deciders_question(step, ctx.today))
        subject = f"{ctx.case.reference}: your approval is needed"
        asked = self.tell_deciders(ctx, step, round_, subject, why, deciders)
        behind = behind_the_proposal(ctx.case.requester_id, ctx.details)
        if nobody := self._why_nobody_may_decide(ctx.tx, step, [], behind, ctx.today, deciders, asked):
            # Not left for the escalation days later: whoever can give the role hears now.
            ctx.notify(
                self.holders(ctx.tx, ADMINISTRATOR, step.authority, None),
                NOBODY_MAY_DECIDE,
                f"{ctx.case.reference}: an approval nobody may decide",
                f"'{ctx.case.title}' waits for a decision that nobody may take: {step.reason}. {nobody}",
                step=naming_step(step.gate, round_, step.position),  # done once someone may decide it
            )

    def tell_deciders(
        self,
        ctx: ActionContext,
        step: Any,
        round_: int,
        subject: str,
        why: list[str],
        deciders_read: list[Row[Any]] | None = None,
    ) -> list[tuple[int, int | None]]:
        """Ask the people who can decide ``step`` today (``step_deciders``) for their decision, saying ``why``;
        whoever covers for an approver away is told for whom. The payload names the step, so the email can carry
        an action link bound to it (see scheduling). ``deciders_read``: the rows of ``_deciders_question``, where
        the caller asked it already. Returns whom it asked."""
        at = naming_step(step.gate, round_, step.position)
        behind = behind_the_proposal(ctx.case.requester_id, ctx.details)
        deciders = self.step_deciders(ctx.tx, step, behind, ctx.today, deciders_read)
        ctx.notify(
            [p for p, away in deciders if away is None],
            "approval_needed",
            subject,
            " ".join(filter(None, why)),
            step=at,
        )
        for delegate, away in deciders:
            if away is not None:
                cover = f"You cover for {self.actor(ctx.tx, away).full_name} while they are away."
                ctx.notify([delegate], "approval_needed", subject, " ".join(filter(None, [cover, *why])), step=at)
        return deciders

    def step_deciders(
        self,
        session: Session | Transaction,
        step: Any,
        behind: list[int],
        today: date,
        rows: list[Row[Any]] | None = None,
    ) -> list[tuple[int, int | None]]:
        """Who may decide ``step`` today, each once, as (person, whom they cover for): its role's holders
        (None), then whoever covers today for one of them and may decide it (``_may_cover``), never one of
        those ``behind`` the proposal (``behind_the_proposal``) nor a delegate of theirs. Read in one
        statement (``_deciders_question``), unless ``rows`` are its answer already."""
        if rows is None:
            rows = statements_of(session).rows(*self._deciders_question(step, today))
        holders = sorted({row.user_id for row in rows if row.covering_for is None}.difference(behind))
        deciders: list[tuple[int, int | None]] = [(holder, None) for holder in holders]
        told = set(holders)
        for delegate, away in sorted((r.user_id, r.covering_for) for r in rows if r.covering_for is not None):
            if delegate in told or delegate in behind or away in behind:
                continue  # told already (a holder, or covering for another), or no decision of theirs
            if self._may_cover(self.actor(session, delegate), step):
                deciders.append((delegate, away))
                told.add(delegate)
        return deciders

    @staticmethod
    def _deciders_question(step: Any, today: date) -> tuple[Any, dict[str, Any]]:
        """The statement and parameters that read the holders of ``step``'s role and who covers for them."""
        params = {"role": step.role, "authority": step.authority, "today": today}
        if step.pillar is None:
            return sql.HOLDERS_AND_COVER, params
        return sql.HOLDERS_IN_PILLAR_AND_COVER, {**params, "pillar": step.pillar}

    @staticmethod
    def _step_waiting_for_info(ctx: ActionContext) -> Row[Any] | None:
        gate = ctx.definition.gate_at(ctx.case.state)
        return ctx.tx.first(sql.STEP_WAITING_FOR_INFO, {"case_id": ctx.case.id, "gate": gate.name if gate else ""})

    def _provide_info(self, ctx: ActionContext) -> None:
        step = self._step_waiting_for_info(ctx)
        if step is None:
            raise InvalidAction("No one has asked for more information on this case")
        ctx.tx.write(sql.STEP_ANSWERED, {"b_step_id": step.id, "b_at": ctx.now})
        behind = behind_the_proposal(ctx.case.requester_id, ctx.details)
        people = [person for person, _ in self.step_deciders(ctx.tx, step, behind, ctx.today)]
        # The question beside its answer: the approvers hear what was asked as well as what was said.
        question = ctx.tx.first(sql.LAST_QUESTION, {"case_id": ctx.case.id})
        asked = f"To the question “{question.comment}”, " if question is not None else ""
        answer = f"{asked}{ctx.actor.full_name} answers: {ctx.reason}"
        ctx.notify(people, "info_provided", f"{ctx.case.reference}: information provided", answer)

    def holders(self, session: Session | Transaction, role: str, authority: str, pillar: str | None) -> list[int]:
        """Active users holding ``role`` in ``authority`` (and ``pillar`` where the role is pillar-scoped)."""
        if pillar is None:
            query, params = sql.HOLDERS, {"role": role, "authority": authority}
        else:
            query, params = sql.HOLDERS_IN_PILLAR, {"role": role, "authority": authority, "pillar": pillar}
        return [row.user_id for row in statements_of(session).rows(query, params)]

    def procurement_team(self, session: Session | Transaction, case: Any) -> list[int]:
        """Who does a procurement's work: those named on its procurement team who still work here, in the order
        they were named; with none, its council's category officers for its pillar."""
        named = [row.user_id for row in statements_of(session).rows(sql.PROCUREMENT_TEAM, {"case_id": case.id})]
        if named:
            return named
        council = self.governance.organisation.authorities_of(case.authority)[0]
        return self.holders(session, "category_officer", council, case.pillar)

    # =============================================================================================
    # Writing the change
    # =============================================================================================
    def _record_internal(
        self, ctx: ActionContext, action: str, data: dict[str, Any], on_behalf: int | None
    ) -> ActionResult:
        ctx.on_behalf_of_id = on_behalf
        state = ctx.case.state
        version = self._record(ctx, action, state, state, data)
        label = {"approve": "Approved", "request_info": "Asked for more information"}.get(action, action)
        return ActionResult(
            ctx.case.id,
            action,
            state,
            state,
            version,
            f"{label}: {ctx.case.reference} stays at '{ctx.definition.label(state)}'",
        )

    def _record(self, ctx: ActionContext, action: str, from_state: str, to_state: str, data: dict[str, Any]) -> int:
        """One UPDATE of the case (state, version, chain head) and one audit INSERT, then the outbox."""
        case, tx = ctx.case, ctx.tx
        event = self._next_case_event(
            case,
            actor_id=ctx.actor.id,
            on_behalf_of_id=ctx.on_behalf_of_id,
            action=action,
            from_state=from_state,
            to_state=to_state,
            comment=ctx.reason or ctx.comment,
            data=data,
            now=ctx.now,
        )
        values: dict[str, Any] = {
            "state": to_state,
            "version": case.version + 1,
            "audit_seq": event["seq"],
            "audit_head": event["hash"],
            "updated_at": ctx.now,
            **ctx.changes,
        }
        if ctx.details != (case.details or {}):
            values["details"] = ctx.details
        if self.db.is_postgresql:  # one statement for the case, its event and its messages, sent with the COMMIT
            refusal = f"{case.reference or case.id} changed while '{action}' was being taken: nothing was saved"
            params = {"b_id": case.id, "b_version": case.version, "b_refusal": refusal}
            params.update({f"u_{name}": value for name, value in values.items()})
            params.update({f"e_{name}": event[name] for name in sql.EVENT_COLUMNS})
            for i, message in enumerate(ctx.outbox):
                queued = {**MESSAGE_DEFAULTS, **message}
                params.update({f"m{i}_{name}": queued[name] for name in sql.MESSAGE_COLUMNS})
            statement = sql.move_and_record(tuple(sorted(values)), len(ctx.outbox))
            tx.write(statement, params)  # refused by the database if the case moved: see move_and_record
            return values["version"]
        moved = tx.execute(sql.UPDATE_CASE, {"b_id": case.id, "b_version": case.version, **values}) == 1
        if not moved:  # pragma: no cover - the lock makes this a belt-and-braces check
            raise self._stale(case)
        event_id = tx.insert_returning(sql.INSERT_AUDIT_EVENT, event).id
        if ctx.outbox:
            queued = [{**MESSAGE_DEFAULTS, **message, "audit_event_id": event_id} for message in ctx.outbox]
            tx.execute(sql.INSERT_OUTBOX, queued)
        return values["version"]

    # =============================================================================================
    # Opening and editing cases, declarations, delegations
    # =============================================================================================
    def resolve_route(
        self,
        case: Case | Row[Any],
        *,
        route: str | None = None,
        commencement: date | None = None,
        value: Decimal | None = None,
    ) -> RoutePlan:
        """The route plan for a case as it stands (frozen by the caller at submission), or as it would be at
        ``value`` (a contract's value after a variation)."""
        proposal = self.proposal_of(case, route=route, commencement=commencement, value=value)
        try:
            return self._resolve(proposal, self.workflows.get(case.workflow, case.workflow_version))
        except GovernanceError as exc:
            raise InvalidInput({"route": str(exc)}) from exc

    @staticmethod
    def proposal_of(
        case: Case | Row[Any],
        *,
        route: str | None = None,
        commencement: date | None = None,
        value: Decimal | None = None,
    ) -> Proposal:
        """What governance needs to know of a case (at ``value``, if given) to place it."""
        return Proposal(
            case.authority,
            case.category,
            case.contract_type,
            case.estimated_value if value is None else value,
            case.vat_treatment,
            commencement or case.commencement_date,
            route,
        )

    def preview_route(self, proposal: Proposal, stage: str = "procurement") -> RoutePlan:
        """The route plan a hypothetical case would get, without saving anything."""
        return self._resolve(proposal, self.workflows.for_stage(stage))

    def _resolve(self, proposal: Proposal, definition: WorkflowDefinition) -> RoutePlan:
        # Commencement defaults to today on the engine's clock, never the machine's: tests and replays agree.
        proposal = replace(proposal, commencement=proposal.commencement or self.today())
        return self.governance.resolve(proposal, list(definition.gates), conditional=definition.conditional_gates)

    def _check_route_open(self, stage: str, case: Case | _Fields) -> None:
        """A route chosen for a request is open to it as it stands (its council, type and value): refused when
        it is saved, naming the routes that are, not only when it is submitted."""
        if stage != "procurement" or not case.route:
            return
        try:
            self.preview_route(self.proposal_of(case, route=case.route), stage)
        except GovernanceError as exc:
            raise InvalidInput({"route": str(exc)}) from exc

    def check_case_fields(self, **fields: Any) -> dict[str, str]:
        """What is wrong with these request fields (field -> message), without saving anything."""
        try:
            self._validated_case_fields(fields, creating=False)
        except InvalidInput as error:
            return error.fields
        return {}

    def open_case(self, *, stage: str, actor_id: int, details: dict[str, str] | None = None, **fields: Any) -> int:
        """Open a new case (a draft request) for ``actor_id``; returns its id.

        ``details`` are facts for the record that are not columns (funding, justification)."""
        clean = self._validated_case_fields(fields, creating=True)
        details = _checked_details(details)
        defaults = {"vat_treatment": "standard", "commencement_date": None, "route": None}
        self._check_route_open(stage, _Fields({**defaults, **clean}))
        with self.db.unit_of_work() as session:
            refused = "You can only start a request for an authority you work for"
            self._require_works_for(self.actor(session, actor_id), clean["authority"], refused)
            return self.insert_case(
                session,
                stage=stage,
                actor_id=actor_id,
                requester_id=actor_id,
                now=self.clock(),
                details=details,
                **clean,
            )

    def insert_case(
        self,
        session: Session | Transaction,
        *,
        stage: str,
        actor_id: int,
        requester_id: int,
        now: datetime,
        parent_case_id: int | None = None,
        freeze: bool = False,
        state: str | None = None,
        details: dict[str, Any] | None = None,
        **fields: Any,
    ) -> int:
        """Insert a case with its first audit event, inside a caller's unit of work.

        It starts at the workflow's initial state, or at ``state`` for an import of an existing contract
        (the opening event records that it was imported there).
        """
        definition = self.workflows.for_stage(stage)
        if state is not None and (state not in definition.states or definition.states[state].gate):
            raise InvalidInput({"state": f"'{state}' is not a resting state of {definition.key}"})
        category = self.governance.organisation.categories[fields["category"]]
        # Core statements, not the ORM: this runs inside the engine's door (a signed contract opens its
        # contract-management case) where a flush would cost more than the rest of the transition.
        run = statements_of(session)
        values = {
            "stage": stage,
            "workflow": definition.name,
            "workflow_version": definition.version,
            "state": state or definition.initial,
            "requester_id": requester_id,
            "parent_case_id": parent_case_id,
            "pillar": category.pillar,
            "created_at": now,
            "updated_at": now,
            "details": dict(details or {}),
            **fields,
        }
        case_id = run.insert_returning(sql.INSERT_CASE, values).id
        data = {
            "stage": stage,
            "workflow": definition.key,
            "parent_case_id": parent_case_id,
            "imported": bool(state),
            "details": sorted(details or {}),
            "fields": _jsonable({k: v for k, v in fields.items() if k not in ("description",)}),
        }
        finish = {"reference": f"{STAGE_PREFIX[stage]}-{case_id:06d}"}
        if freeze:
            # Only a contract-management case opens frozen, and its route is how its contract was procured: the
            # procurement's choice, weighed at its estimate, not one to weigh again at the contract's value (a
            # competitive flexible procedure for 250,000 may be awarded at 90,000, under the threshold). Its law
            # is the one its procurement commenced under (a contract loaded from the register may be the PCR
            # 2015's), not today's.
            plan = self.resolve_route(_Fields(values))
            finish.update(route_plan=plan.to_json(), submitted_at=now)
            data["steps"] = [s.reason for steps in plan.gates.values() for s in steps]
        event = self._next_case_event(
            _Fields({"id": case_id, "audit_seq": 0, "audit_head": ""}),
            actor_id=actor_id,
            on_behalf_of_id=None,
            action="open",
            from_state=None,
            to_state=values["state"],
            comment="",
            data=data,
            now=now,
        )
        run.write(sql.INSERT_AUDIT_EVENT, event)
        finish.update(b_id=case_id, audit_seq=event["seq"], audit_head=event["hash"])
        run.write(sql.FINISH_NEW_CASE, finish)
        return case_id

    def edit_case(
        self,
        case_id: int,
        actor_id: int,
        expected_version: int | None,
        *,
        details: dict[str, str] | None = None,
        answers: dict[str, Any] | None = None,
        **fields: Any,
    ) -> int:
        """Change a request's details while it is in an editable state (draft, rework); returns the new version.

        ``details`` change facts kept in the case's details (funding, justification) in the same unit of work;
        ``answers``, all of them, what it was asked on its way to where it rests (``answers_kept_at``: a
        commissioning case's business case), checked as the action that asked them checks them."""
        clean = self._validated_case_fields(fields, creating=False)
        details = _checked_details(details)
        with self.db.unit_of_work() as session:
            case = self._lock_for_editing(session, case_id, actor_id, expected_version)
            if answers is not None:
                definition = self.workflows.get(case.workflow, case.workflow_version)
                kept = definition.answers_kept_at(case.state)
                asker = f"a request's change at '{definition.label(case.state)}'"
                given = _jsonable(_validated_answers(asker, set(), kept, answers))
                details = {**details, **{spec.name: "" for spec in kept}, **given}  # an answer left out is cleared
            if "authority" in clean:  # moved to another council: one the requester works for too
                refused = "You can only move a request to an authority you work for"
                self._require_works_for(self.actor(session, actor_id), clean["authority"], refused)
            if "category" in clean:
                clean["pillar"] = self.governance.organisation.categories[clean["category"]].pillar
            before = {k: getattr(case, k) for k in clean}
            for key, value in clean.items():
                setattr(case, key, value)
            changed = {k: [before[k], v] for k, v in clean.items() if before[k] != v}
            self._check_route_open(case.stage, case)
            unfrozen = bool(case.route_plan) and not ROUTE_DEPENDS_ON.isdisjoint(changed)
            if unfrozen:  # returned for rework and changed: its next submission resolves the route afresh
                case.route_plan = None
                if case.stage != "procurement":  # its route was the rules' when it was frozen, nobody's choice
                    case.route = None
            if details:
                current = dict(case.details or {})
                for key, value in details.items():
                    if current.get(key, "") != value:
                        changed[key] = [current.get(key, ""), value]
                        current[key] = value
                case.details = current
            case.version += 1
            data = {"changed": _jsonable(changed), **({"route_unfrozen": True} if unfrozen else {})}
            self.note_case_event(session, case, actor_id=actor_id, action="edit", data=data)
            return case.version

    def _require_works_for(self, actor: Actor, authority: str, refused: str) -> None:
        """A request is for a council its requester works for (either, for a joint one): else ``refused``."""
        authorities = self.governance.organisation.authorities_of(authority)
        if not any(a in authorities for _, a, _ in actor.roles):
            raise NotPermitted(refused)

    def _lock_for_editing(self, session: Session, case_id: int, actor_id: int, expected_version: int | None) -> Case:
        """Lock a request its requester may still change: only in an editable state (draft, rework)."""
        case = self.lock_case(session, case_id, expected_version)
        self.actor(session, actor_id)
        if actor_id != case.requester_id:
            raise NotPermitted("Only the requester can change the request's details")
        definition = self.workflows.get(case.workflow, case.workflow_version)
        if not definition.states[case.state].editable:
            raise InvalidAction(f"The request cannot be changed while it is at '{definition.label(case.state)}'")
        return case

    def set_detail(self, case_id: int, actor_id: int, key: str, value: str, expected_version: int | None = None) -> int:
        """Record a fact the workflow needs before submission (a direct-award justification, say)."""
        fact = _checked_details({key: value})
        with self.db.unit_of_work() as session:
            case = self._lock_for_editing(session, case_id, actor_id, expected_version)
            case.details = {**(case.details or {}), **fact}
            case.version += 1
            self.note_case_event(session, case, actor_id=actor_id, action="set_detail", data=fact)
            return case.version

    def declare_interests(
        self, case_id: int, actor_id: int, *, has_conflict: bool, details: str = "", mitigation: str = ""
    ) -> None:
        """Record a conflict-of-interest declaration (PA23 s81): none, or declared with any mitigation."""
        if has_conflict and not _clean(details):
            raise InvalidInput({"details": "Describe the conflict of interest you are declaring"})
        with self.db.unit_of_work() as session:
            case = self.lock_case(session, case_id, None)
            actor = self.actor(session, actor_id)
            authorities = self.governance.organisation.authorities_of(case.authority)
            if not any(a in authorities for _, a, _ in actor.roles):
                raise NotPermitted("You can only declare an interest on a case of a council you work for")
            now = self.clock()
            session.add(
                ConflictDeclaration(
                    case_id=case.id,
                    user_id=actor_id,
                    has_conflict=has_conflict,
                    details=_clean(details),
                    mitigation=_clean(mitigation),
                    declared_at=now,
                )
            )
            case.version += 1
            self.note_case_event(
                session,
                case,
                actor_id=actor_id,
                action="declare_interests",
                data={"has_conflict": has_conflict, "mitigated": bool(_clean(mitigation))},
                now=now,
            )

    def covering_roles(self, delegator: Actor) -> dict[str, set[str]]:
        """By council, the roles whose holders could decide some of ``delegator``'s approvals as their delegate:
        those at least as senior as the least senior role they approve with there (``_may_cover``). Empty
        for someone who approves nothing."""
        roles = self.governance.organisation.roles
        return {
            authority: {code for code, role in roles.items() if role.rank >= roles[least].rank}
            for authority, least in self._least_approving_roles(delegator).items()
        }

    def _least_approving_roles(self, person: Actor) -> dict[str, str]:
        """By council, the least senior of the roles ``person`` approves with there."""
        roles = self.governance.organisation.roles
        least: dict[str, str] = {}
        for role, authority, _ in sorted(person.roles, key=lambda held: -roles[held[0]].rank):
            if roles[role].rank > 0:
                least[authority] = role
        return least

    def delegate(self, delegator_id: int, delegate_id: int, starts_on: date, ends_on: date, reason: str = "") -> int:
        """Set dated out-of-office cover, to someone who could decide some of the delegator's approvals
        (``covering_roles``); each decision checks again that they could decide its step."""
        if ends_on < starts_on:
            raise InvalidInput({"ends_on": "The end of the absence must be on or after its start"})
        if delegate_id == delegator_id:
            raise InvalidInput({"delegate_id": "Choose someone other than yourself"})
        with self.db.unit_of_work() as session:
            delegator = self.actor(session, delegator_id)
            delegate = self.actor(session, delegate_id)
            covering = self.covering_roles(delegator)
            if not covering:
                raise InvalidInput({"delegate_id": "You approve nothing, so there are no approvals to cover"})
            if not any(r in covering.get(a, ()) for r, a, _ in delegate.roles):
                raise InvalidInput({"delegate_id": f"{delegate.full_name} could decide none of your approvals: "
                                                   f"{self._cover_needed(delegator)}"})  # fmt: skip
            delegation = Delegation(
                delegator_id=delegator_id,
                delegate_id=delegate_id,
                starts_on=starts_on,
                ends_on=ends_on,
                reason=_clean(reason),
                created_at=self.clock(),
            )
            session.add(delegation)
            session.flush()
            self.system_event(
                session,
                actor_id=delegator_id,
                action="delegate",
                data={
                    "delegator": delegator.username,
                    "delegate": delegate.username,
                    "from": starts_on.isoformat(),
                    "to": ends_on.isoformat(),
                },
            )
            # The delegate learns of it now, not from an approval that reaches them while they are busy.
            why = f" ({delegation.reason})" if delegation.reason else ""
            session.add(OutboxMessage.queued(
                COVER, delegate_id, f"You cover {delegator.full_name}'s approvals from {starts_on:%-d %B %Y}",
                f"{delegator.full_name} is away{why} from {starts_on:%-d %B %Y} to {ends_on:%-d %B %Y}: you may "
                "decide their approvals meanwhile, where you hold the role a step needs or a more senior one. "
                "Each decision records that you took it on their behalf.",
                self.clock(), case_id=None, payload={"open": "/approvals/"}))  # fmt: skip
            return delegation.id

    def revoke_delegation(self, delegation_id: int, actor_id: int) -> None:
        """End cover early (the person is back). Only the person who set it up can revoke it."""
        with self.db.unit_of_work() as session:
            delegation = session.get(Delegation, delegation_id, with_for_update=CHANGE_LOCK)
            if delegation is None or delegation.delegator_id != actor_id:
                raise NotFound("There is no such cover arrangement of yours")
            if delegation.revoked_at is not None:
                raise InvalidAction("This cover arrangement has already ended")
            delegation.revoked_at = self.clock()
            self.system_event(
                session, actor_id=actor_id, action="revoke_delegation", data={"delegation_id": delegation_id}
            )
            delegator = self.actor(session, actor_id)
            session.add(OutboxMessage.queued(
                COVER, delegation.delegate_id, f"Your cover for {delegator.full_name} has ended",
                f"{delegator.full_name} ended the cover you were giving from {delegation.starts_on:%-d %B %Y} "
                f"to {delegation.ends_on:%-d %B %Y}: their approvals are theirs again.",
                self.clock(), case_id=None, payload={"open": "/approvals/"}))  # fmt: skip

    def _validated_case_fields(self, fields: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        """``fields`` of a request (``REQUEST_FIELDS``, the route, the commencement date) checked and cleaned;
        InvalidInput naming each field that is wrong, and with ``creating``, each required one missing."""
        allowed = {*REQUEST_FIELDS, "route", "commencement_date"}
        errors: dict[str, str] = {}
        unknown = set(fields) - allowed
        for name in unknown:
            errors[name] = f"'{name}' is not a field of a request"
        org = self.governance.organisation
        clean: dict[str, Any] = {}
        for name, value in fields.items():
            if name in unknown:
                continue
            if name in ("title", "description"):
                text = _clean(value)
                limit = 200 if name == "title" else MAX_TEXT
                if name == "title" and not text:
                    errors[name] = "Enter a title for the request"
                elif len(text) > limit:
                    errors[name] = f"The {name} must be {limit} characters or fewer"
                clean[name] = text
            elif name == "authority":
                if not org.is_authority_choice(value):
                    errors[name] = f"Choose {', '.join(org.authorities)} or {JOINT}"
                clean[name] = value
            elif name == "category":
                if value not in org.categories:
                    errors[name] = "Choose a category from the list"
                clean[name] = value
            elif name == "contract_type":
                if value not in ("goods", "services", "works", "light_touch"):
                    errors[name] = "Choose goods, services, works or light-touch services"
                clean[name] = value
            elif name == "vat_treatment":
                if value not in ("standard", "reduced", "zero", "exempt"):
                    errors[name] = "Choose standard, reduced, zero-rated or exempt"
                clean[name] = value
            elif name == "estimated_value":
                parsed = parse_money(value)
                if parsed is None:
                    errors[name] = "Enter an estimated value in pounds, like 25000 or 25000.50"
                clean[name] = parsed
            elif name in ("proposed_start", "commencement_date"):
                parsed_date = _date(value)
                if value not in (None, "") and parsed_date is None:
                    errors[name] = "Enter a real date, like 2026-04-01"
                elif parsed_date is not None and (problem := implausible(parsed_date)):
                    errors[name] = problem
                clean[name] = parsed_date
            elif name == "duration_months":
                if value in (None, ""):
                    clean[name] = None
                elif isinstance(value, bool) or not str(value).isdigit() or not 0 < int(value) <= LONGEST_TERM_MONTHS:
                    errors[name] = "Enter the duration as a whole number of months, like 36"
                else:
                    clean[name] = int(value)
            elif name == "route":
                if value and value not in Route._value2member_map_:
                    errors[name] = "Choose one of the routes: " + ", ".join(route.label for route in Route)
                clean[name] = value or None
        if creating:
            for required, message in (
                ("title", "Enter a title for the request"),
                ("authority", "Choose the authority, or joint"),
                ("category", "Choose a category"),
                ("contract_type", "Choose the contract type"),
                ("estimated_value", "Enter an estimated value in pounds, like 25000 or 25000.50"),
            ):
                if required not in fields:
                    errors.setdefault(required, message)
        if errors:
            raise InvalidInput(errors)
        return clean

    # =============================================================================================
    # Audit events outside a transition
    # =============================================================================================
    def append_case_event(
        self,
        session: Session,
        case: Case,
        *,
        actor_id: int | None,
        action: str,
        from_state: str | None,
        to_state: str | None,
        data: dict[str, Any],
        now: datetime,
        comment: str = "",
        on_behalf_of_id: int | None = None,
    ) -> None:
        event = self._next_case_event(
            case,
            actor_id=actor_id,
            on_behalf_of_id=on_behalf_of_id,
            action=action,
            from_state=from_state,
            to_state=to_state,
            comment=comment,
            data=data,
            now=now,
        )
        session.add(AuditEvent(**event))
        case.audit_seq, case.audit_head = event["seq"], event["hash"]

    def note_case_event(
        self,
        session: Session,
        case: Case,
        *,
        actor_id: int | None,
        action: str,
        data: dict[str, Any],
        comment: str = "",
        now: datetime | None = None,
    ) -> None:
        """An event on the case's chain that records something without moving the case (an edit, a document,
        a declaration, a task, a new contract manager)."""
        self.append_case_event(
            session,
            case,
            actor_id=actor_id,
            action=action,
            from_state=case.state,
            to_state=case.state,
            data=data,
            comment=comment,
            now=now or self.clock(),
        )

    @staticmethod
    def _next_case_event(case: Case | Row[Any], *, now: datetime, **fields: Any) -> dict[str, Any]:
        """The next event of a case's chain, sealed with its hash (the caller writes it and moves the head)."""
        return sealed(
            stream=f"case:{case.id}",
            seq=case.audit_seq + 1,
            case_id=case.id,
            at=now,
            prev_hash=case.audit_head or GENESIS,
            **fields,
        )

    def lock_system_chain(self, session: Session):
        """The system chain's head, locked until the transaction ends: a change with no case, whose checks read
        what another such change may be writing, takes it before it reads, so that the two run in turn."""
        from ..models import AuditHead

        head = session.get(AuditHead, "system", with_for_update=CHANGE_LOCK)
        if head is None:  # the first change with no case: whoever starts it first makes the head; others wait
            insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
            session.execute(insert(AuditHead).values(stream="system", seq=0, hash=GENESIS).on_conflict_do_nothing())
            head = session.get(AuditHead, "system", with_for_update=CHANGE_LOCK, populate_existing=True)
        return head

    def system_event(
        self, session: Session, *, actor_id: int | None, action: str, data: dict[str, Any], comment: str = ""
    ) -> None:
        """An audit event with no case (users, delegations, migrations), on the ``system`` chain; its ``data``'s
        dates and amounts written as an action's inputs are."""
        head = self.lock_system_chain(session)
        now = self.clock()
        fields = dict(
            stream="system",
            seq=head.seq + 1,
            case_id=None,
            at=now,
            actor_id=actor_id,
            on_behalf_of_id=None,
            action=action,
            from_state=None,
            to_state=None,
            comment=comment,
            data=_jsonable(data),
            prev_hash=head.hash,
        )
        event = sealed(**fields)
        session.add(AuditEvent(**event))
        head.seq, head.hash = event["seq"], event["hash"]


# --- input parsing ------------------------------------------------------------------------------
def _in_play(rows: list[Row[Any]]) -> tuple[list[Row[Any]], list[Row[Any]], Row[Any] | None]:
    """A gate's steps in play as read with the decisions on them (a row per decision), each step once in
    order, and the step waiting for a decision now, if any."""
    in_play = list({row.id: row for row in rows}.values())
    return rows, in_play, next((s for s in in_play if s.status in StepStatus.live()), None)


def _more_approvals(needed: int) -> str:
    """What a committee's step still needs, said after the step: ", which needs 2 more approvals"."""
    return f", which needs {needed} more approvals" if needed > 1 else ""


def _decisions_on(rows: list[Row[Any]], step: Row[Any]) -> list[tuple[int, str]]:
    """The decisions taken on ``step``, as (whose authority was used, outcome), from a gate's steps read with
    their decisions (``GATE_STEPS_IN_PLAY_WITH_DECISIONS``: a row per decision, NULLs for none)."""
    return [(row.decided_for, row.decided) for row in rows if row.id == step.id and row.decided is not None]


def _on_step(event: Row[Any], step: Row[Any] | None) -> bool:
    """Whether an audit event is an approval of ``step`` that left it waiting (a committee member's)."""
    data = event.data or {}
    return (
        step is not None
        and event.action == "approve"
        and (data.get("gate"), data.get("round"), data.get("step")) == (step.gate, step.round, step.position)
    )


def _next_in_round(in_play: list[Row[Any]], step: Row[Any]) -> Row[Any] | None:
    """The step after ``step`` in its round of the gate, if any."""
    return next((s for s in in_play if s.round == step.round and s.position > step.position), None)


def _urgent_key_decision(ctx: ActionContext, gate: str) -> str:
    """For the deciders of a key decision taken under an urgency rule: how it is to be taken, and why; "" for
    any other gate's (read only where the case was given an urgency rule)."""
    urgency = key_decision_urgency(ctx.details)
    if urgency is None or not ctx.definition.gates[gate].waits_for_forward_plan:
        return ""
    entry = ctx.deadline("forward_plan")  # an earlier decision's rule stays until a new entry is recorded
    if entry is None or entry.met_at is not None:
        return ""
    return f"It is to be taken under {urgency_taken_under(urgency, ctx.details)}"


def _clean(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _checked_details(details: dict[str, Any] | None) -> dict[str, str]:
    """A request's facts kept in its details (funding, justification, a direct award's ground and why),
    cleaned; InvalidInput naming each that is too long, or a ground the Act does not give."""
    clean = {key: _clean(value) for key, value in (details or {}).items()}
    errors = {key: f"Keep this to {MAX_TEXT} characters" for key, value in clean.items() if len(value) > MAX_TEXT}
    if clean.get("direct_award_ground") and DirectAwardGround.of(clean["direct_award_ground"]) is None:
        errors["direct_award_ground"] = "Choose one of the grounds for a direct award the Procurement Act gives"
    if errors:
        raise InvalidInput(errors)
    return clean


def parse_money(value: Any) -> Decimal | None:
    """An amount in pounds as people write it ("25000", "£25,000.50"), to the penny; None if it is not one."""
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip().replace(",", "").lstrip("£")
    if not re.fullmatch(r"\d{1,12}(\.\d{1,2})?", text):
        return None
    try:
        return Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:  # pragma: no cover - the pattern rules it out
        return None


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not value:
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _asked(
    ctx: ActionContext, transition: TransitionDef, answered: Container[str] | None = None
) -> tuple[InputSpec, ...]:
    """The inputs ``transition`` asks for on this case: those whose own conditions hold, each choice with the
    answers it offers here, and required where the case needs it answered before anything is typed in.

    At the door, which checks ``answered`` (the names of the answers given), a choice's answers are read only
    where it was answered and suggestions not at all: they are for someone filling in the form, and each is
    a query (a contract's possible managers, say) that an action leaving it out should not pay for."""
    return tuple(
        _as_asked(ctx, spec, answered) for spec in transition.inputs if all(PREDICATES[n](ctx) for n in spec.when)
    )


def _as_asked(ctx: ActionContext, spec: InputSpec, answered: Container[str] | None = None) -> InputSpec:
    if spec.choices and (answered is None or spec.name in answered):
        spec = replace(spec, options=CHOICES[spec.choices](ctx))
    if spec.suggestions and answered is None:
        spec = replace(spec, suggested=SUGGESTIONS[spec.suggestions](ctx))
    if spec.optional and _required_here(ctx, spec):
        spec = replace(spec, optional=False)
    if spec.hint_when and not all(PREDICATES[name](ctx) for name in spec.hint_when):
        spec = replace(spec, hint="")  # another law's words, say: not said on this case
    for wording in spec.wordings:
        if all(PREDICATES[name](ctx) for name in wording.when):
            return replace(spec, label=wording.label, hint=wording.hint)
    return spec


def _required_here(ctx: ActionContext, spec: InputSpec) -> bool:
    """Whether the case (with the answers given so far, in ``ctx.inputs``) makes ``spec`` required."""
    return bool(spec.required_when) and all(PREDICATES[name](ctx) for name in spec.required_when)


def _required_by_the_answers(ctx: ActionContext, asked: tuple[InputSpec, ...]) -> None:
    """The optional inputs left out that the other answers make required: a field error for each."""
    missing = {
        spec.name: spec.unanswered
        for spec in asked
        if spec.optional and spec.name not in ctx.inputs and _required_here(ctx, spec)
    }
    if missing:
        raise InvalidInput(missing)


def _answers_checked(ctx: ActionContext, asked: tuple[InputSpec, ...]) -> None:
    """What the case's rules find wrong with the answers given (an input's ``check``): a field error for each.
    Asked once the guards pass: an action refused as a whole is refused for that first."""
    wrong = {
        spec.name: problem
        for spec in asked
        if spec.check and spec.name in ctx.inputs and (problem := CHECKS[spec.check](ctx, ctx.inputs[spec.name]))
    }
    if wrong:
        raise InvalidInput(wrong)


def _validate_inputs(transition: TransitionDef, asked: tuple[InputSpec, ...], raw: dict[str, Any]) -> dict[str, Any]:
    return _validated_answers(f"'{transition.label}'", {spec.name for spec in transition.inputs}, asked, raw)


def _validated_answers(
    asker: str, ever_asked: set[str], asked: tuple[InputSpec, ...], raw: dict[str, Any]
) -> dict[str, Any]:
    """``raw`` answers to the questions ``asked`` here, parsed; InvalidInput naming each answer that is wrong,
    missing, or to a question not asked (``asker`` asks ``ever_asked`` of some cases, not of this one)."""
    specs = {spec.name: spec for spec in asked}
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name in raw:
        if name not in specs:
            here = " on this case" if name in ever_asked else ""
            errors[name] = f"'{name}' is not asked for by {asker}{here}"
    for spec in asked:
        value = raw.get(spec.name)
        if value is None or (isinstance(value, str) and not value.strip()):  # spaces alone answer nothing
            if not spec.optional:
                errors[spec.name] = spec.unanswered
            continue
        if spec.type == "date":
            parsed = _date(value)
            if parsed is None:
                errors[spec.name] = f"{spec.label} must be a real date, like 2026-04-01"
            elif problem := implausible(parsed):
                errors[spec.name] = f"{spec.label}: {problem}"
        elif spec.type == "money":
            parsed = parse_money(value)
            if parsed is None:
                errors[spec.name] = f"{spec.label} must be an amount in pounds, like 25000 or 25000.50"
        elif spec.type == "integer":
            parsed = int(value) if not isinstance(value, bool) and str(value).isdigit() else None
            if parsed is None or parsed > MAX_WHOLE_NUMBER:
                errors[spec.name] = f"{spec.label} must be a whole number, like 12"
        elif spec.type == "boolean":
            parsed = value if isinstance(value, bool) else None
            if parsed is None:
                errors[spec.name] = spec.unanswered
        elif spec.type == "choice":
            parsed = value if isinstance(value, str) and value in dict(spec.options) else None
            if parsed is None:
                errors[spec.name] = f"{spec.label}: choose one of {', '.join(code for code, _ in spec.options)}"
        else:
            parsed = _clean(value)
            if spec.max_length is not None and len(parsed) > spec.max_length:
                errors[spec.name] = f"{spec.label} must be {spec.max_length} characters or fewer"
        clean[spec.name] = parsed
    for spec in asked:
        if spec.under and spec.name in clean and clean.get(spec.under) is not True:
            errors.setdefault(
                spec.name, f"{spec.label} is asked only after the answer yes to: {specs[spec.under].label}"
            )
    if errors:
        raise InvalidInput(errors)
    return clean


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in values.items():
        if isinstance(value, date | datetime):
            out[key] = value.isoformat()
        elif isinstance(value, Decimal):
            out[key] = f"{value:.2f}"
        elif isinstance(value, list) and len(value) == 2:
            out[key] = [_jsonable({"v": v})["v"] for v in value]
        else:
            out[key] = value
    return out
