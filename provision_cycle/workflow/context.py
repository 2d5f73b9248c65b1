"""What an action sees and may change while the engine holds the case's lock.

Guards read from it; effects write through it. Changes to the case row are collected here and written
by the engine in ONE update that also checks the version and advances the audit chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Row, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from ..governance import statutory
from ..governance.rules import PlannedStep, RoutePlan
from ..governance.statutory import Deadline, KeyDecisionUrgency
from ..models import Case, CaseDeadline, Contract, ContractKpi, Framework, RoleAssignment, Task, deadline_task_kind
from ..models.cases import declaration_blocks
from ..models.contracts import DEFAULT_NOTICE_PERIOD_DAYS, notice_by
from ..models.suppliers import supplier_key
from . import statements as sql
from .evaluation import Evaluation, evaluation_of
from .frameworks import FRAMEWORK, framework_named_by

if TYPE_CHECKING:  # pragma: no cover
    from ..db import Transaction
    from .definitions import TransitionDef, WorkflowDefinition
    from .engine import Actor, Engine


def contract_in_law(session: Session, contract: Contract) -> tuple[bool, str]:
    """Whether ``contract`` is a public contract under the Procurement Act 2023, and why. Its procurement's
    commencement fixes the regime and the threshold (for a contract loaded into the register, as near as its
    start date can tell)."""
    return contract_in_law_commenced(contract, _procurement_commenced(session, contract))


def _procurement_commenced(session: Session, contract: Contract) -> date | None:
    """When the procurement that let ``contract`` commenced; None for a contract loaded into the register."""
    commenced = contract.procurement_case_id and session.scalar(
        select(Case.commencement_date).where(Case.id == contract.procurement_case_id)
    )
    return commenced or None


def procured_on(contract: Any, procurement_commenced: date | None) -> date:
    """The day a contract's procurement commenced: its procurement case's, or, for one loaded into the register
    (None), dated by its start."""
    return procurement_commenced or statutory.commenced_before(contract.start_date)


def contract_in_law_commenced(
    contract: Any, procurement_commenced: date | None, value: Decimal | None = None
) -> tuple[bool, str]:
    """``contract_in_law`` for a contract (or a row with its columns) whose procurement's commencement is
    known: None for one loaded into the register, dated by its start. With ``value``, whether it would be one
    at that value (a variation that takes a contract over the threshold)."""
    return statutory.public_contract(
        contract.regime,
        contract.value if value is None else value,
        contract.vat_treatment,
        contract.contract_type,
        procured_on(contract, procurement_commenced),
    )


def _awarded_contract(case: Any, details: dict[str, Any], regime: str | None, today: date) -> tuple[bool, Decimal]:
    """Whether the contract a procurement case awards is a public contract under the Act, and its value: the
    award value (the estimate until the award is recommended)."""
    value = Decimal(details.get("award_value") or case.estimated_value)
    public, _ = statutory.public_contract(
        regime or statutory.regime_for(today).value,
        value,
        case.vat_treatment,
        case.contract_type,
        case.commencement_date or today,
    )
    return public, value


def procurement_needs_kpis(case: Any, details: dict[str, Any], regime: str | None, today: date) -> bool:
    """Whether the contract a procurement case awards must have KPIs (PA23 s52)."""
    public, value = _awarded_contract(case, details, regime, today)
    return statutory.kpis_required(public, value, case.vat_treatment, case.contract_type)


def procurement_owes_contract_copy(case: Any, details: dict[str, Any], regime: str | None, today: date) -> bool:
    """Whether the contract a procurement case awards must itself be published (PA23 s53(3))."""
    public, value = _awarded_contract(case, details, regime, today)
    return statutory.contract_copy_required(public, value, case.vat_treatment, case.contract_type)


def case_deadline(session: Session, case_id: int, kind: str) -> CaseDeadline | None:
    return session.scalar(select(CaseDeadline).where(CaseDeadline.case_id == case_id, CaseDeadline.kind == kind))


def owe_deadline(session: Session, case_id: int, deadline: Deadline, *, again: bool = False) -> date:
    """A dated duty on a locked case, once per kind: a second raising keeps the first, unless ``again`` and the
    first was met, when it is owed afresh with the new date. Returns the day the duty is owed."""
    existing = case_deadline(session, case_id, deadline.kind)
    if existing is None:
        session.add(CaseDeadline(case_id=case_id, kind=deadline.kind, due_on=deadline.due_on, basis=deadline.basis))
    elif again and existing.met_at is not None:
        existing.due_on, existing.basis, existing.met_at = deadline.due_on, deadline.basis, None
    else:
        return existing.due_on
    return deadline.due_on


# Who may manage a contract: the holders of this role for its council (either, for a joint one) and its pillar.
MANAGER_ROLE = "contract_manager"
# The contract manager named when a procurement's contract is signed (a user's id), who manages it from handover,
# and the notification telling them.
CONTRACT_MANAGER = "contract_manager"
CONTRACT_MANAGER_NAMED = "contract_manager_named"


def may_manage_contracts(authorities: Iterable[str], pillar: str) -> list[ColumnElement[bool]]:
    """Conditions on ``RoleAssignment`` for those who may manage a contract of ``authorities`` and ``pillar``."""
    return [
        RoleAssignment.role == MANAGER_ROLE,
        RoleAssignment.authority.in_(list(authorities)),
        or_(RoleAssignment.pillar == pillar, RoleAssignment.pillar.is_(None)),
    ]


# A variation's new supplier, where another takes the contract over (a novation): what the register names once
# the variation is made, by the contract's columns (``models.contracts.SUPPLIER_COLUMNS``, whether it is a
# supported employment provider or public service mutual not known: None); absent for any other variation.
NEW_SUPPLIER = "new_supplier_taking_over"
# Who put forward what a case's gate is deciding (the request submitted, the award recommended, the renewal or
# variation proposed), kept in its details as it reaches the gate: they hear, with the requester, the
# approvers' questions, which they may answer, and a return or rejection.
PROPOSED_BY = "proposed_by"
# A contract's supplier breaches whose contract performance notices wait behind the one owed now (a case owes
# one deadline of a kind at a time), earliest first: each is owed when the one before it is recorded.
BREACHES_WAITING = "breach_notices_waiting"
BREACH_FIELDS = ("breach_description", "breach_applies_from")  # what a breach's notice says of it


def owe_next_breach_notice(session: Session, case_id: int, details: dict[str, Any]) -> str | None:
    """Once a breach's notice is recorded, owe the next waiting one's (its description becomes the case's
    breach); the day it is due, or None when none waits. ``details`` is changed in place: the caller saves it."""
    waiting = details.get(BREACHES_WAITING) or []
    if not waiting:
        return None
    first, details[BREACHES_WAITING] = waiting[0], waiting[1:]
    details.update({name: first[name] for name in BREACH_FIELDS})
    due = Deadline("breach_performance_notice", date.fromisoformat(first["due_on"]), first["basis"])
    owe_deadline(session, case_id, due, again=True)
    return first["due_on"]


# A key decision taken without its 28 clear days on the forward plan: how (``KeyDecisionUrgency``), who agreed
# the special urgency, and why, as ``record_forward_plan`` was told them (the notice published gives the reasons).
URGENCY_ANSWERS = ("key_decision_urgency", "urgency_agreed_by", "urgency_reasons")


def key_decision_urgency(details: dict[str, Any]) -> KeyDecisionUrgency | None:
    """How the case's key decision is taken without its full forward plan notice, if it is."""
    given = details.get("key_decision_urgency")
    return KeyDecisionUrgency(given) if given in set(KeyDecisionUrgency) else None


def urgency_taken_under(urgency: KeyDecisionUrgency, details: dict[str, Any]) -> str:
    """How a key decision is taken without its 28 clear days on the forward plan, and why: "special urgency
    (2012 ..., reg 11), agreed by X, without 28 clear days on the forward plan: <reasons>" (a sentence's end)."""
    agreed = f", agreed by {details.get('urgency_agreed_by')}" if urgency is KeyDecisionUrgency.SPECIAL_URGENCY else ""
    reasons = (details.get("urgency_reasons") or "").strip().rstrip(".")
    return f"{urgency.named}{agreed}, without 28 clear days on the forward plan: {reasons}."


@dataclass
class CaseReads:
    """What an action reads of its case beside the case row, each at the first asking and kept: read once
    though several guards and effects ask. The actions offered at once on a case share one (``Engine.offers``:
    they only read); an action taken has its own, which its writes keep true."""

    contract: Contract | None = None
    contract_loaded: bool = False
    # When the contract's procurement commenced (a variation asks whether the contract is a public one several
    # times, at its value now and after).
    commenced: date | None = None
    commenced_loaded: bool = False
    # A procurement's award criteria and tenders: an award's guards and what its approvers are told all read
    # them, and no action changes them (the evaluation service does, outside the door).
    evaluation: Evaluation | None = None
    # The case's dated duties by kind: an action's effects ask after several kinds (a contract ending withdraws
    # any variation's and forward plan's), most of which a case never owed.
    deadlines: dict[str, CaseDeadline] | None = None


@dataclass
class ActionContext:
    engine: Engine
    tx: Transaction
    # The case row as locked at the start of the action. It is read-only: changes go in ``changes`` and
    # ``details``, which the engine writes in one UPDATE with the version check.
    case: Row[Any]
    definition: WorkflowDefinition
    actor: Actor
    trigger: str
    now: datetime
    today: date
    comment: str = ""
    reason: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    transition: TransitionDef | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    audit_data: dict[str, Any] = field(default_factory=dict)
    opened_cases: list[int] = field(default_factory=list)
    on_behalf_of_id: int | None = None  # the delegator, when a delegate decides
    outbox: list[dict[str, Any]] = field(default_factory=list)
    # Who this action has told already that the case ends (a rejection, with its reason): not told twice.
    told_of_the_end: set[int] = field(default_factory=set)
    reads: CaseReads = field(default_factory=CaseReads)

    @property
    def session(self) -> Session:
        """An ORM session in the action's transaction, for guards and effects that want one."""
        return self.tx.session

    @property
    def actor_id(self) -> int:
        return self.actor.id

    def value(self, name: str) -> Any:
        """A case field as it will be after this action (pending changes first)."""
        if name in self.changes:
            return self.changes[name]
        return getattr(self.case, name)

    # --- reads --------------------------------------------------------------------------------
    def deadline(self, kind: str) -> CaseDeadline | None:
        if self.reads.deadlines is None:
            owed = self.session.scalars(select(CaseDeadline).where(CaseDeadline.case_id == self.case.id))
            self.reads.deadlines = {deadline.kind: deadline for deadline in owed}
        return self.reads.deadlines.get(kind)

    def contract(self) -> Contract | None:
        """The register entry this case manages: only a contract-management case has one."""
        if not self.reads.contract_loaded:
            if self.case.stage == "contract":
                self.reads.contract = self.session.scalar(select(Contract).where(Contract.case_id == self.case.id))
            self.reads.contract_loaded = True
        return self.reads.contract

    def framework(self, named_in: dict[str, Any] | None = None) -> Framework | None:
        """The framework the case's details name (or ``named_in``: the action's inputs, choosing one), if any.
        Only a call-off names one: for the rest the question opens no ORM session."""
        source = self.details if named_in is None else named_in
        return framework_named_by(self.session, source) if source.get(FRAMEWORK) else None

    def evaluation(self) -> Evaluation:
        """The case's award criteria and tenders, as the evaluation ranks them."""
        if self.reads.evaluation is None:
            recorded = self.case.evaluation_recorded  # read with the case
            self.reads.evaluation = evaluation_of(self.session, self.case.id) if recorded else Evaluation([], [])
        return self.reads.evaluation

    def public_contract(self, value: Decimal | None = None) -> tuple[bool, str]:
        """Whether the case's contract is a public contract under the Procurement Act 2023, and so owes change
        and termination notices, and why; with ``value``, whether it would be at that value."""
        contract = self.contract()
        assert contract is not None, "only a contract-management case has a contract"
        reads = self.reads
        if not reads.commenced_loaded:
            reads.commenced, reads.commenced_loaded = _procurement_commenced(self.session, contract), True
        return contract_in_law_commenced(contract, reads.commenced, value)

    def declaration_problem(
        self, *, missing: str = "This needs a conflict-of-interest declaration from you first"
    ) -> str | None:
        """Why the actor may not decide or evaluate on this case (PA23 s81-82), or None. Their latest
        declaration was read with the case, under its lock.

        ``missing`` is the sentence for someone who has not declared at all, in the caller's words.
        """
        if self.case.actor_declaration_id is None:
            return missing
        if declaration_blocks(self.case.actor_conflict, self.case.actor_mitigation):
            return "You declared a conflict of interest with no mitigation recorded, so you cannot act on this case"
        return None

    # --- writes -------------------------------------------------------------------------------
    def notify(
        self, user_ids: Iterable[int], kind: str, subject: str, body: str, *, step: dict[str, Any] | None = None
    ) -> None:
        """Queue a message to each of ``user_ids`` in the outbox, written with the action (or not at all)."""
        for user_id in dict.fromkeys(user_ids):
            self.outbox.append(
                {
                    "kind": kind,
                    "recipient_id": user_id,
                    "case_id": self.case.id,
                    "subject": subject[:300],
                    "body": body,
                    "payload": {"case_id": self.case.id, **({"step": step} if step else {})},
                    "created_at": self.now,
                    "next_attempt_at": self.now,
                }
            )

    def raise_deadline(self, deadline: Deadline, *, again: bool = False) -> None:
        """Record a dated duty once: raising the same kind again keeps the first (the case is locked). With
        ``again``, a duty that was met is owed afresh (a second modification, a second change notice)."""
        owed = owe_deadline(self.session, self.case.id, deadline, again=again)
        self.reads.deadlines = None  # read afresh at the next asking, with the one just owed
        self.audit_data.setdefault("deadlines", {})[deadline.kind] = owed.isoformat()

    def withdraw_deadline(self, kind: str) -> None:
        """A duty still owed is owed no longer (what owed it will not happen): it goes, and its open task with it."""
        existing = self.deadline(kind)
        if existing is None or existing.met_at is not None:
            return
        self.session.delete(existing)
        del self.reads.deadlines[kind]
        self.close_tasks(deadline_task_kind(kind), outcome="withdrawn")
        self.audit_data.setdefault("deadlines_withdrawn", []).append(kind)

    def close_tasks(self, *kinds: str, outcome: str, due_from: date | None = None) -> list[Row]:
        """The case's open tasks of ``kinds`` (due on or after ``due_from``, if given) are done by this action
        (their work done, or no longer owed); those it closed (their id, kind and assignee)."""
        due = [Task.due_on >= due_from] if due_from else []
        closing = Task.closing(
            Task.case_id == self.case.id, Task.kind.in_(kinds), *due, outcome=outcome, at=self.now, by=self.actor_id
        )
        closed = self.session.execute(closing.returning(Task.id, Task.kind, Task.assignee_id)).all()
        if closed:
            closed_kinds = {row.kind for row in closed}
            self.audit_data.setdefault("tasks_closed", []).extend(kind for kind in kinds if kind in closed_kinds)
        return closed

    def reopen_tasks(self, task_ids: Iterable[int], *, outcome: str) -> list[Row]:
        """The case's tasks ``task_ids``, done by an action this one undoes, are open again, as if raised now
        (those still done with ``outcome``: none a person has since finished another way); those it opened
        (their id and assignee)."""
        if not (task_ids := list(task_ids)):
            return []
        reopening = (
            update(Task)
            .where(Task.id.in_(task_ids), Task.case_id == self.case.id, Task.outcome == outcome)
            .values(**Task.raised_again(self.now))
            .execution_options(synchronize_session=False)
        )
        reopened = self.session.execute(reopening.returning(Task.id, Task.assignee_id)).all()
        if reopened:
            self.audit_data["tasks_reopened"] = [task.id for task in reopened]
        return reopened

    def meet_deadline(self, kind: str) -> None:
        existing = self.deadline(kind)
        if existing is not None and existing.met_at is None:
            existing.met_at = self.now

    def freeze_route(self) -> None:
        plan = self.engine.resolve_route(self.case, route=self.value("route"), commencement=self.today)
        self.changes.update(
            route_plan=plan.to_json(),
            route=self.value("route") or plan.recommended_route,
            regime=plan.regime,
            key_decision=plan.key_decision,
            commencement_date=self.value("commencement_date") or self.today,
            submitted_at=self.value("submitted_at") or self.now,  # first submitted: a resolved-again route keeps it
        )
        self.audit_data["route"] = {
            "route": self.changes["route"],
            "regime": plan.regime,
            "statutory": plan.statutory_summary,
            "key_decision": plan.key_decision_reason,
            "steps": [s.reason for steps in plan.gates.values() for s in steps],
        }

    def reroute_gate(self, gate: str, *, value: Decimal) -> None:
        """Resolve ``gate``'s approvers afresh for ``value`` into the case's frozen route, the rest of it kept:
        a contract's variation is approved at the level of what the contract becomes, not of what it was when
        its case opened."""
        steps = self.engine.resolve_route(self.case, value=value).gates[gate]  # the route itself is not in question
        self._set_gate_steps(gate, steps)
        self.audit_data["approvers"] = [step.reason for step in steps]

    def route_key_decision(self, gate: str, reasons: dict[str, str], *, value: Decimal) -> None:
        """Resolve ``gate`` (the Executive's) into the case's frozen route for the authorities whose key
        decision this is, each for its reason, at ``value``; with no reasons the gate is left out of the route
        (it will not be entered: its state ``applies_when`` the key decision)."""
        proposal = self.engine.proposal_of(self.case, value=value)
        steps = self.engine.governance.key_decision_steps(proposal, gate, reasons) if reasons else None
        self._set_gate_steps(gate, steps)
        self.audit_data["key_decision"] = "; ".join(reasons.values()) or "not a key decision"

    def _set_gate_steps(self, gate: str, steps: list[PlannedStep] | None) -> None:
        """Put ``gate``'s steps into the case's frozen route (the rest of it kept), or take the gate out."""
        frozen = RoutePlan.from_json(self.value("route_plan"))
        if steps:
            frozen.gates[gate] = steps
        else:
            frozen.gates.pop(gate, None)
        self.changes["route_plan"] = frozen.to_json()

    def open_linked_case(self, stage: str, requester_id: int | None = None, **overrides) -> int:
        """Open the case this one leads to (its parent is this case), carrying over what the request said; for
        this case's requester unless ``requester_id`` says whose it is."""
        case = self.case
        contract = self.contract()
        fields = dict(
            title=case.title,
            description=case.description,
            authority=case.authority,
            category=case.category,
            contract_type=case.contract_type,
            estimated_value=contract.value if contract else case.estimated_value,
            vat_treatment=case.vat_treatment,
            proposed_start=case.proposed_start,
            duration_months=case.duration_months,
        )
        new_id = self.engine.insert_case(
            self.tx,
            stage=stage,
            actor_id=self.actor_id,
            requester_id=requester_id or case.requester_id,
            parent_case_id=case.id,
            now=self.now,
            **{**fields, **overrides},
        )
        self.opened_cases.append(new_id)
        return new_id

    def procurement_needs_kpis(self) -> bool:
        """Whether the contract this procurement is awarding must have KPIs (PA23 s52), at its award value."""
        return procurement_needs_kpis(self.case, self.details, self.value("regime"), self.today)

    def contract_manager(self) -> int:
        """Who manages the contract a procurement signs: the contract manager named at signature, else its
        requester (until the category team hands it to a contract manager)."""
        named = self.details.get(CONTRACT_MANAGER)
        return int(named) if named else self.case.requester_id

    def open_contract(self) -> int:
        """Hand a signed procurement to contract management: a register entry and its lifecycle case."""
        case, details = self.case, self.details
        value = Decimal(details.get("award_value") or case.estimated_value)
        contract_case_id = self.open_linked_case(
            "contract",
            estimated_value=value,
            route=self.value("route"),
            regime=self.value("regime"),
            commencement_date=self.value("commencement_date"),
            freeze=True,
        )
        end_date, signed_on = date.fromisoformat(details["end_date"]), date.fromisoformat(details["signed_on"])
        # A Core insert (the ORM's flush costs more than the rest of the transition); ``notice_by`` and
        # ``supplier_key`` are what the model's insert event would have set.
        self.tx.write(
            sql.INSERT_CONTRACT,
            dict(
                reference=f"CON-{contract_case_id:06d}",
                case_id=contract_case_id,
                procurement_case_id=case.id,
                title=case.title,
                description=case.description,
                authority=case.authority,
                pillar=case.pillar,
                category=case.category,
                contract_type=case.contract_type,
                regime=self.value("regime") or "PA2023",
                route=self.value("route"),
                supplier_name=details.get("supplier_name", ""),
                supplier_key=supplier_key(details.get("supplier_name", "")),
                supplier_is_sme=bool(details.get("supplier_is_sme")),
                supplier_is_vcse=bool(details.get("supplier_is_vcse")),
                # asked only under the Act: None where the recommendation did not ask
                supplier_is_supported_employment=details.get("supplier_is_supported_employment"),
                supplier_is_public_service_mutual=details.get("supplier_is_public_service_mutual"),
                supplier_registration=details.get("supplier_registration", ""),
                supplier_ppon=statutory.ppon(details.get("supplier_ppon") or "") or "",
                value=value,
                vat_treatment=case.vat_treatment,
                signed_on=signed_on,
                start_date=date.fromisoformat(details["start_date"]),
                end_date=end_date,
                notice_period_days=DEFAULT_NOTICE_PERIOD_DAYS,
                notice_by=notice_by(end_date, DEFAULT_NOTICE_PERIOD_DAYS),
                extension_months_available=int(details.get("extension_months") or 0),
                contract_manager_id=self.contract_manager(),
                created_at=self.now,
            ),
        )
        for position, (name, target) in enumerate(details.get("kpis") or [], start=1):  # set before signature
            self.session.execute(
                insert(ContractKpi).from_select(
                    ["contract_id", "position", "name", "target"],
                    select(Contract.id, literal(position), literal(name), literal(target)).where(
                        Contract.case_id == contract_case_id
                    ),
                )
            )
        if (manager := self.contract_manager()) != case.requester_id:  # named at signature: told it is theirs
            ends = f"it runs to {end_date:%-d %B %Y}"
            said = f"'{case.title}' is signed and handed to contract management: you manage it ({ends})."
            self.notify([manager], CONTRACT_MANAGER_NAMED, f"You now manage the contract for {case.title}", said)
        if procurement_owes_contract_copy(case, details, self.value("regime"), self.today):
            # The contract case carries the duty: its contract managers publish the copy, within 90 days.
            owed = owe_deadline(self.session, contract_case_id, statutory.contract_copy(signed_on))
            self.audit_data["contract_copy_due"] = owed.isoformat()
        return contract_case_id
