"""Property-based: random sequences of actions by random people keep every invariant.

Invariants after every step: the state is one of the workflow's states; the audit chain verifies and its
length matches the case's counter; at most one live approval step per gate; a closed case is final; nobody
decides a step of their own request, nor of what they put forward; a procurement past its award stands on an
approved award. Walks take every route (the default, a call-off, direct awards on three kinds of ground) and
mostly the actions the pages would offer, so that they reach the award and beyond. ``PC_WALKS=300`` runs that
many walks of each (the suite runs 20-25).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import select

from provision_cycle.audit import verify_chains
from provision_cycle.core import Core
from provision_cycle.db import Database
from provision_cycle.errors import DomainError, InvalidInput
from provision_cycle.models import ApprovalStep, AuditEvent, Case, Decision, StepStatus
from provision_cycle.services.evaluation import TenderGiven, record_tender
from provision_cycle.services.frameworks import FrameworkGiven, record_framework
from provision_cycle.services.performance import set_procurement_kpis
from provision_cycle.services.reading import actions_with_obstacles
from provision_cycle.settings import Settings
from provision_cycle.workflow.context import case_deadline
from provision_cycle.workflow.engine import ActionRequest, Engine

from .factories import BUSINESS_CASE, Clock, hub_people, new_request
from .journeys import (
    AWARDED_AT,
    CHANGED_BY,
    EVERY_ROUTE,
    JOURNEYS,
    ONWARD,
    REGISTERED,
    SETBACKS,
    answers_for,
    contract_journey,
    contract_on,
    request_on,
    taken_how,
)

pytestmark = pytest.mark.slow

# The random walks offer the actions that move a case on four times as often as those that end it or send it back.
TRIGGERS = ONWARD * 4 + SETBACKS

# Each route a request may take, as (route, contract type, direct award ground): the default for its value, a
# framework call-off, and direct awards on a ground that owes notices, one that owes no standstill, and a
# user's choice (light touch only), which owes neither.
ROUTES = [
    (None, "services", None),
    ("competitive_flexible", "services", None),
    ("framework_call_off", "services", None),
    ("direct_award", "services", "single_supplier"),
    ("direct_award", "services", "urgency"),
    ("direct_award", "light_touch", "user_choice"),
]


def _fresh_hub(sqlite_template, definitions) -> tuple[Path, Database, Clock, Core]:
    """A copy of the migrated template in a directory of its own, with an engine on a controllable clock."""
    governance, workflows = definitions
    directory = Path(tempfile.mkdtemp())
    shutil.copy(sqlite_template, directory / "db.sqlite3")
    url = f"sqlite:///{directory / 'db.sqlite3'}"
    db, clock = Database(url), Clock()
    engine = Engine(db, workflows, governance, clock=clock)
    return directory, db, clock, Core(Settings(database_url=url), db, governance, workflows, engine)


def _declare_everyone(engine: Engine, case_id: int, people) -> None:
    for person in vars(people).values():
        if person != people.system:  # the scheduler works for no council: it cannot declare
            engine.declare_interests(case_id, person, has_conflict=False)


def _assert_case_consistent(s, workflows, case_id: int) -> Case:
    """The invariants every case keeps: a state of its workflow, closed exactly when final, an intact audit
    chain, and one live approval step, at the gate of its state if it is at one."""
    case = s.get(Case, case_id)
    definition = workflows.get(case.workflow, case.workflow_version)
    assert case.state in definition.states
    assert (case.closed_at is not None) == definition.states[case.state].final
    report = verify_chains(s)
    assert report.ok, report.problems
    live = s.scalars(select(ApprovalStep.gate).where(ApprovalStep.status.in_(StepStatus.live()))).all()
    gate = definition.gate_at(case.state)
    assert live == ([gate.name] if gate is not None else [])
    # Segregation of duties: nobody decides a step of their own request, in person or through a delegate,
    # nor one of what they put forward (whoever moved the case into the gate: an award they recommended).
    deciders = s.execute(select(Decision.actor_id, Decision.principal_id).where(Decision.case_id == case_id))
    assert all(case.requester_id not in people for people in deciders)
    decisions = {t.trigger for t in definition.transitions if t.decision is not None}
    proposer = None
    for event in s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq)):
        if event.action in decisions:
            assert proposer not in (event.actor_id, event.on_behalf_of_id), f"{event.action} by its proposer"
        elif event.to_state != event.from_state and definition.gate_at(event.to_state or ""):
            proposer = event.actor_id  # a person: no workflow lets the system move a case into a gate
    return case


def _last_round(s, case_id: int, gate: str) -> list[str]:
    """The statuses of the steps of ``gate``'s latest round on the case."""
    steps = s.execute(
        select(ApprovalStep.round, ApprovalStep.status).where(
            ApprovalStep.case_id == case_id, ApprovalStep.gate == gate
        )
    ).all()
    last = max((r for r, _ in steps), default=None)
    return [status for r, status in steps if r == last]


def _approver(db: Database, people, case_id: int) -> int:
    """Someone who holds the role the case's open approval step asks for."""
    with db.reading() as s:
        role = s.scalar(
            select(ApprovalStep.role)
            .where(ApprovalStep.case_id == case_id, ApprovalStep.status == StepStatus.OPEN)
            .order_by(ApprovalStep.id)
        )
    holders = {
        "category_officer": people.officer, "head_of_category": people.head, "finance": people.finance,
        "legal": people.legal, "director": people.director, "s151_officer": people.s151,
        "monitoring_officer": people.monitoring, "executive_member": people.executive,
    }  # fmt: skip
    return holders.get(role, people.manager)


# The procurement's states once its award is approved: each stands only on an award approval whose every step
# approved (and on the Executive's, for an award that became a key decision).
AWARDED = ("award_notice", "standstill", "contract_signature", "contract_details_notice", "handed_over")


def _walk(machine: type[RuleBasedStateMachine], *, examples: int, steps: int = 30) -> None:
    """Run ``machine`` over ``examples`` random walks (``PC_WALKS`` of them, if set) of up to ``steps`` steps."""
    machine.TestCase.settings = settings(
        max_examples=int(os.environ.get("PC_WALKS", examples)),
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    machine.TestCase().runTest()


def _drop(directory: Path, db: Database) -> None:
    db.dispose()
    shutil.rmtree(directory, ignore_errors=True)


def test_random_action_sequences_keep_the_invariants(sqlite_template, definitions):
    _, workflows = definitions

    class Procurement(RuleBasedStateMachine):
        @initialize(
            value=st.sampled_from(["4000", "60000", "99999.99", "100000", "150000", "250000", "800000", "1200000"]),
            route=st.sampled_from(ROUTES),
        )
        def open_case(self, value, route):
            self.dir, self.db, self.clock, core = _fresh_hub(sqlite_template, definitions)
            self.engine = core.engine
            self.people = hub_people(self.db)
            self.everyone = [v for v in vars(self.people).values()]
            self.value = Decimal(value)
            # A framework procured under the PCR 2015: a call-off under it moves to that regime.
            given = FrameworkGiven("CCS", "RM6116", "", "Network services", "PCR2015", date(2024, 1, 1),
                                   date(2029, 12, 31), "OCC", direct_award=True)  # fmt: skip
            record_framework(core, self.people.officer, given)
            route, contract_type, ground = route
            details = {"direct_award_ground": ground, "direct_award_justification": "Why"} if ground else None
            try:
                self.case_id = new_request(
                    self.engine, self.people.requester, value=value, route=route, contract_type=contract_type,
                    details=details,
                )  # fmt: skip
            except DomainError:  # a route this value does not allow (a call-off for 4,000): the default's
                self.case_id = new_request(self.engine, self.people.requester, value=value)
            _declare_everyone(self.engine, self.case_id, self.people)

        def _someone(self, trigger: str, who: int) -> int:
            """Mostly the person whose action it is (so that walks get somewhere), sometimes anyone."""
            if who > 12:
                return self.everyone[who - 13]
            if trigger in ("submit", "resubmit", "withdraw", "provide_info"):
                return self.people.requester
            if trigger not in ("approve", "reject", "return", "request_info"):
                return self.people.officer
            return _approver(self.db, self.people, self.case_id)

        @rule(
            trigger=st.sampled_from(TRIGGERS),
            who=st.integers(0, 16),  # 0-12: the right person; 13-16: one of the first four, whoever they are
            days=st.integers(0, 20),
            priced=st.sampled_from(AWARDED_AT),
        )
        def act(self, trigger, who, days, priced):
            self.clock.advance(days)
            award_value = str(self.value * priced)
            inputs = answers_for(trigger, self.clock.today, days, award_value)
            request = ActionRequest(self.case_id, trigger, self._someone(trigger, who), reason="Because", inputs=inputs)
            with contextlib.suppress(DomainError):  # a refused action is fine: it must simply change nothing
                self.engine.act(request)

        @rule(choice=st.integers(0, 10_000), days=st.integers(0, 20), priced=st.sampled_from(AWARDED_AT))
        def take_an_offered_action(self, choice, days, priced):
            """One of the actions the case page would offer someone now that moves the case on, nothing standing
            in its way (random triggers alone seldom take a walk past its first gate). It may be refused for its
            answers (a date too early), never for the route the request was submitted on: that was settled then
            (a contract awarded across the threshold was once refused its hand-over)."""
            self.clock.advance(days)
            with self.db.reading() as s:
                case = s.get(Case, self.case_id)
                offered = [
                    (person, action.trigger)
                    for person in self.everyone
                    for action in self.engine.available_actions(s, case, self.engine.actor(s, person))
                    if not action.not_yet and action.trigger not in SETBACKS
                ]
            if not offered:
                return
            person, trigger = offered[choice % len(offered)]
            award_value = str(self.value * priced)
            offer = self.engine.offers(self.case_id, person, [trigger])[trigger]
            asked = {spec.name for spec in offer.inputs} if offer else set()
            inputs = {k: v for k, v in answers_for(trigger, self.clock.today, days, award_value).items() if k in asked}
            request = ActionRequest(self.case_id, trigger, person, reason="Because", inputs=inputs)
            try:
                self.engine.act(request)
            except InvalidInput as refused:
                assert "route" not in refused.fields, f"{trigger} refused for its route: {refused.fields['route']}"
            except DomainError:
                pass

        @invariant()
        def consistent(self):
            if hasattr(self, "db"):
                with self.db.reading() as s:
                    case = _assert_case_consistent(s, workflows, self.case_id)
                    if case.state in AWARDED:
                        assert set(_last_round(s, self.case_id, "award_approval")) == {StepStatus.APPROVED}
                        if (case.details or {}).get("award_key_decision"):
                            assert set(_last_round(s, self.case_id, "executive_decision")) == {StepStatus.APPROVED}

        def teardown(self):
            if hasattr(self, "db"):
                _drop(self.dir, self.db)

    _walk(Procurement, examples=25, steps=50)


CONTRACT_TRIGGERS = [
    "go_live",
    "start_review",
    "complete_review",
    "propose_variation",
    "approve",
    "reject",
    "return",
    "make_variation",
    "withdraw_variation",
    "record_forward_plan",
    "record_supplier_breach",
    "open_renewal_decision",
    "propose_extension",
    "propose_recommission",
    "propose_exit",
    "expire",
    "terminate",
]
# Variations within s75's limits, one that needs a change notice, one that also needs a director, and one
# that adds so much that it is a key decision (the Executive's, after 28 days on the forward plan).
NEW_VALUES = ["510000", "650000", "1200000", "1600000"]
# The contract workflow's states in which a variation or an extension is before its approvers (or a variation
# waits for its change notice): the register must not move.
DECIDING = (
    "variation_gate", "variation_executive_decision", "change_notice_pending", "renewal_gate",
    "renewal_executive_decision",
)  # fmt: skip
TO_BE_DECIDED = tuple(state for state in DECIDING if state != "change_notice_pending")


def test_random_contract_management_keeps_the_invariants(sqlite_template, definitions):
    """On a public contract: a change that needed a change notice is never in the register before the notice
    is recorded, nor an extension before it is approved, and a change notice is owed only while its variation
    waits for it."""
    from datetime import date

    from provision_cycle.governance.calendar import add_months
    from provision_cycle.models import Contract
    from provision_cycle.services.notices import record_notice

    from .factories import register_contract

    _, workflows = definitions

    class ContractManagement(RuleBasedStateMachine):
        @initialize()
        def load_contract(self):
            self.dir, self.db, self.clock, self.core = _fresh_hub(sqlite_template, definitions)
            self.people = hub_people(self.db)
            self.everyone = [v for v in vars(self.people).values()]
            contract = register_contract(
                self.core, self.people, value="500000", starts=date(2025, 7, 1), ends=date(2026, 12, 31),
                extension_months_available=12,
            )  # fmt: skip
            self.case_id, self.contract_id = contract.case_id, contract.id
            _declare_everyone(self.core.engine, self.case_id, self.people)
            self.made: tuple[Decimal, date] = (contract.value, contract.end_date)  # what the register may show

        def _someone(self, trigger: str, who: int) -> int:
            """Mostly the person whose action it is (so that walks get somewhere), sometimes anyone."""
            if who > 12:
                return self.everyone[who - 13]
            if trigger not in ("approve", "reject", "return"):
                return self.people.contract_manager
            return _approver(self.db, self.people, self.case_id)

        @rule(
            trigger=st.sampled_from(CONTRACT_TRIGGERS),
            who=st.integers(0, 16),  # 0-12: the right person; 13-16: one of the first four, whoever they are
            days=st.integers(0, 12),
            value=st.sampled_from(NEW_VALUES),
        )
        def act(self, trigger, who, days, value):
            self.clock.advance(days)
            today = self.clock.today
            inputs = {
                "propose_variation": {
                    "variation_description": "More", "new_value": value, "new_end_date": "2027-06-30",
                    "voluntary_standstill": days % 2 == 0,
                },
                "complete_review": {"review_outcome": "Fine"},
                "record_supplier_breach": {"breach_description": "Late", "breach_applies_from": today.isoformat()},
                "record_forward_plan": {"forward_plan_published_on": (today - timedelta(days=days)).isoformat()},
                "propose_extension": {"extend_to": "2027-06-30", "extension_value": value},
                "terminate": {"terminated_on": today.isoformat()},
            }.get(trigger, {})  # fmt: skip
            actor = self._someone(trigger, who)
            request = ActionRequest(self.case_id, trigger, actor, reason="Because", inputs=inputs)
            with contextlib.suppress(DomainError):
                self.core.engine.act(request)
                self._note_made()

        @rule(
            value=st.sampled_from(NEW_VALUES),
            longer=st.booleans(),
            standstill=st.booleans(),
            basis=st.sampled_from(
                ["provided_for", "unforeseeable", "below_threshold", "not_substantial", "new_supplier"]
            ),
        )
        def propose_and_approve(self, value, longer, standstill, basis):
            """A variation proposed and taken through its gate (a shortcut random walks seldom find), on a basis
            in law where the contract asks one (which may not allow it)."""
            inputs = {"variation_description": "More", "new_value": value,
                      "new_end_date": "2027-06-30" if longer else "2026-12-31", "voluntary_standstill": standstill}  # fmt: skip
            with contextlib.suppress(DomainError):
                manager = self.people.contract_manager
                offer = self.core.engine.offers(self.case_id, manager, ["propose_variation"])["propose_variation"]
                if offer and offer.asks("modification_basis"):
                    inputs["modification_basis"] = basis
                if basis == "new_supplier":  # a novation names who takes the contract over
                    inputs |= {"new_supplier": True, "new_supplier_name": f"Successor {value}"}
                self.core.engine.act(ActionRequest(self.case_id, "propose_variation", manager, inputs=inputs))
                for _ in range(3):
                    self.core.engine.act(ActionRequest(self.case_id, "approve", self._someone("approve", 0)))
            self._note_made()

        @rule(cost=st.sampled_from(["0", "90000", "1200000"]), months=st.integers(1, 14))
        def propose_extension_and_approve(self, cost, months):
            """An extension proposed and taken through the officers' approval (a key decision's Executive is
            forward_plan_and_decide's): cheap, costly, or one costing more than the council's figure, and
            sometimes longer than the options the contract has left."""
            manager = self.people.contract_manager
            with contextlib.suppress(DomainError):
                self.core.engine.act(ActionRequest(self.case_id, "open_renewal_decision", manager))
            with self.db.reading() as s:
                ends = s.get(Contract, self.contract_id).end_date
            inputs = {"extend_to": add_months(ends, months).isoformat(), "extension_value": cost}
            with contextlib.suppress(DomainError):
                self.core.engine.act(ActionRequest(self.case_id, "propose_extension", manager, inputs=inputs))
                for _ in range(3):
                    self.core.engine.act(ActionRequest(self.case_id, "approve", self._someone("approve", 0)))
            self._note_made()

        @rule(ago=st.integers(0, 40), decision=st.sampled_from(["approve", "reject", "return"]))
        def forward_plan_and_decide(self, ago, decision):
            """A key decision's forward plan entry recorded (``ago`` days back), then the Executive's decision."""
            published = (self.clock.today - timedelta(days=ago)).isoformat()
            with contextlib.suppress(DomainError):
                self.core.engine.act(ActionRequest(
                    self.case_id, "record_forward_plan", self.people.contract_manager,
                    inputs={"forward_plan_published_on": published},
                ))  # fmt: skip
            with contextlib.suppress(DomainError):
                self.core.engine.act(ActionRequest(self.case_id, decision, self.people.executive, reason="Because"))
            self._note_made()

        @rule(who=st.integers(0, 16), wait=st.integers(0, 14))
        def publish_and_make(self, who, wait):
            """The change notice recorded, then, after ``wait`` days, an attempt to make the change."""
            with contextlib.suppress(DomainError):
                record_notice(self.core, self.case_id, self._someone("record_notice", who),
                              kind="contract_change_notice", published_on=self.clock.today)  # fmt: skip
            self.clock.advance(wait)
            with contextlib.suppress(DomainError):
                manager = self.people.contract_manager
                self.core.engine.act(ActionRequest(self.case_id, "make_variation", manager))
            self._note_made()

        def _note_made(self):
            with self.db.reading() as s:
                case = s.get(Case, self.case_id)
                notice = case_deadline(s, self.case_id, "contract_change_notice")
                contract = s.get(Contract, self.contract_id)
                if case.state not in DECIDING and (notice is None or notice.met_at is not None):
                    self.made = (contract.value, contract.end_date)  # nothing waits: the register is the truth

        @invariant()
        def consistent(self):
            if not hasattr(self, "db"):
                return
            with self.db.reading() as s:
                case = _assert_case_consistent(s, workflows, self.case_id)
                contract = s.get(Contract, self.contract_id)
                owed = case_deadline(s, self.case_id, "contract_change_notice")
                if owed is not None and owed.met_at is None:  # a notice is owed only while its variation waits
                    assert case.state == "change_notice_pending"
                if case.state in DECIDING:  # and the register does not show the change yet
                    assert (contract.value, contract.end_date) == self.made
                assert case.estimated_value == contract.value  # the case's value is its contract's
                assert contract.extension_months_available >= 0  # no extension beyond the options it had
                plan = case_deadline(s, self.case_id, "forward_plan")
                if plan is not None and plan.met_at is None:  # a key decision is on the forward plan only
                    assert case.state in TO_BE_DECIDED  # while it is to be taken

        def teardown(self):
            if hasattr(self, "db"):
                _drop(self.dir, self.db)

    _walk(ContractManagement, examples=20)


# How each walk's award is priced against the estimate, and what its approvers do first at each gate: approve it
# at once (at each price), or send it back for rework or ask a question first (at the estimate).
WALKS = [(priced, None) for priced in AWARDED_AT] + [(Decimal(1), "return"), (Decimal(1), "request_info")]
PROCURING = [trigger for trigger in ONWARD if trigger != "request_info"]  # an approver's question, only as a setback
KPIS = [("On-time delivery", "95%"), ("Defects", "Under 2%"), ("Complaints", "None upheld")]


@pytest.mark.parametrize(
    "priced,setback", WALKS, ids=lambda v: f"awarded at {v}x" if isinstance(v, Decimal) else str(v)
)
@pytest.mark.parametrize("route,value,contract_type,how,authority", EVERY_ROUTE, ids=lambda v: str(v))
def test_every_route_reaches_its_contract_by_the_actions_its_pages_offer(
    sqlite_template, definitions, route, value, contract_type, how, authority, priced, setback
):
    """From submission to the contract handed to contract management, taking at each step an action the case
    page offers someone, with nothing standing in its way (and waiting a week where only a date does): never
    refused, never stuck, whatever the award comes to against the estimate, and with each gate first returning
    the case for rework (resubmitted) or asking its requester a question (answered), where the walk says so."""
    directory, db, clock, core = _fresh_hub(sqlite_template, definitions)
    try:
        case_id, people, everyone = request_on(core, db, route, value, contract_type, how, authority)
        award_value = str(Decimal(value) * priced)
        _walk_to(core, clock, case_id, everyone, ("handed_over",), PROCURING,
                 lambda trigger: answers_for(trigger, clock.today, 30, award_value, how),
                 setback=setback, when_waiting=_waits_met_by(core, case_id, people.officer, award_value))  # fmt: skip
        with db.reading() as session:
            assert taken_how(session.get(Case, case_id), how)
    finally:
        _drop(directory, db)


@pytest.mark.parametrize("journey", JOURNEYS)
@pytest.mark.parametrize("starts,value,contract_type,authority", REGISTERED, ids=lambda v: str(v))
def test_every_contract_s_life_runs_its_course_by_the_actions_its_pages_offer(
    sqlite_template, definitions, starts, value, contract_type, authority, journey
):
    """A contract loaded into the register, taken by the actions its case page offers (nothing standing in
    their way; a wait where only a date does, the change notice recorded where one is owed) to the end of each
    journey: varied, extended, re-commissioned, let expire or terminated. Never refused, never stuck, whatever
    its law, value and kind."""
    from provision_cycle.models import Contract
    from provision_cycle.services.notices import record_notice

    directory, db, clock, core = _fresh_hub(sqlite_template, definitions)
    try:
        people = hub_people(db, authority=authority)
        contract = contract_on(core, people, starts, value, contract_type, authority)
        ends_at, wanted, new_value, answers = contract_journey(journey, value, clock.today)

        def made() -> bool:
            with db.reading() as s:
                return journey not in CHANGED_BY or s.get(Contract, contract.id).value == new_value

        def change_notice(state: str, waiting_for: str, taken: list[str]) -> bool:
            if state != "change_notice_pending" or "notice" not in waiting_for or "notice" in taken:
                return False
            record_notice(core, contract.case_id, people.contract_manager, kind="contract_change_notice",
                          published_on=clock.today)  # fmt: skip
            taken.append("notice")
            return True

        everyone = [person for person in vars(people).values() if person != people.system]
        _walk_to(core, clock, contract.case_id, everyone, ends_at, wanted, lambda trigger: answers.get(trigger, {}),
                 when_waiting=change_notice, done=made, wait_days=30)  # fmt: skip
    finally:
        _drop(directory, db)


@pytest.mark.parametrize("value,contract_type", [("4000", "goods"), ("150000", "services"), ("700000", "light_touch"),
                                                 ("6000000", "works")])  # fmt: skip
def test_the_provision_cycle_closes_by_the_actions_its_pages_offer(sqlite_template, definitions, value, contract_type):
    """A need commissioned, handed to procurement, procured on the route its value takes, its contract managed to
    its renewal decision and re-commissioned: the new commissioning case opens, the cycle closed, every step an
    action the pages offer."""
    from provision_cycle.models import Contract

    directory, db, clock, core = _fresh_hub(sqlite_template, definitions)
    try:
        people = hub_people(db)
        everyone = [person for person in vars(people).values() if person != people.system]
        need = new_request(
            core.engine, people.requester, value=value, contract_type=contract_type, stage="commissioning"
        )
        commissioning = ["start_options_appraisal", "prepare_business_case", "submit", "approve", "hand_to_procurement"]
        _walk_to(core, clock, need, everyone, ("handed_to_procurement",), commissioning,
                 lambda trigger: {**BUSINESS_CASE, "preferred_option": "B: one contract for both sites"})  # fmt: skip
        with db.reading() as s:
            [procurement] = s.scalars(select(Case.id).where(Case.parent_case_id == need)).all()
        _walk_to(core, clock, procurement, everyone, ("handed_over",), PROCURING,
                 lambda trigger: answers_for(trigger, clock.today, 30, value),
                 when_waiting=_waits_met_by(core, procurement, people.officer))  # fmt: skip
        with db.reading() as s:
            contract = s.scalars(select(Contract).where(Contract.procurement_case_id == procurement)).one()
        renewing = ["go_live", "open_renewal_decision", "propose_recommission", "approve"]
        _walk_to(core, clock, contract.case_id, everyone, ("recommissioning",), renewing, lambda trigger: {})
        with db.reading() as s:
            [again] = s.scalars(select(Case).where(Case.parent_case_id == contract.case_id)).all()
            assert (again.stage, again.state, again.category) == ("commissioning", "need_identified", "ict")
    finally:
        _drop(directory, db)


def _waits_met_by(core: Core, case_id: int, officer: int, price: str = "250000"):
    """When a procurement's signature waits for its contract's KPIs (over 5,000,000, PA23 s52): set them, as the
    case page's KPI form would; when a call-off's award waits for its further competition's tenders, record the
    one supplier's (the one the award goes to) at ``price``, as the tender form would."""

    def meet(state: str, waiting_for: str, taken: list[str]) -> bool:
        if "KPI" in waiting_for and "set_kpis" not in taken:
            set_procurement_kpis(core, case_id, officer, KPIS)
            taken.append("set_kpis")
            return True
        if "Record the tenders" in waiting_for and "record_tender" not in taken:
            received = core.engine.today()
            record_tender(core, case_id, officer, TenderGiven("Acme Ltd", "", True, False, price, received))
            taken.append("record_tender")
            return True
        return False

    return meet


def _walk_to(
    core: Core,
    clock: Clock,
    case_id: int,
    everyone: list[int],
    ends_at: tuple[str, ...],
    moving_on: list[str],
    answers,
    *,
    setback: str | None = None,
    when_waiting=None,
    done=lambda: True,
    wait_days: int = 7,
) -> list[str]:
    """Take the case to one of ``ends_at`` (and ``done()``) by the actions its page offers someone, nothing
    standing in their way: at each step the first of ``moving_on`` offered (a question answered first), each
    once at a state since the case last went back (a gate's approval by each of its steps' approvers in turn),
    given ``answers(trigger)`` as it asks them; each gate's ``setback`` first, where one is given. Where only
    something else would let it on, ``when_waiting(state, what it waits for, taken)`` may do it (and say so);
    else the clock moves on ``wait_days``. Refused or stuck, it fails; the actions taken, in order."""
    engine = core.engine
    for person in everyone:
        with contextlib.suppress(DomainError):  # a requester works for one council
            engine.declare_interests(case_id, person, has_conflict=False)
    taken: list[str] = []
    taken_here: set[str] = set()  # the actions taken at each state since the case last went back
    set_back: set[str] = set()  # the gates that have sent it back once
    for _ in range(150):
        with core.db.reading() as s:
            case = s.get(Case, case_id)
            offered = [
                (person, action)
                for person in everyone
                for action in actions_with_obstacles(core, s, case, engine.actor(s, person))
                if action.trigger in moving_on or action.trigger == setback
            ]
            state = case.state
        if state in ends_at and done():
            return taken
        ready = [(p, a) for p, a in offered if not a.not_yet]
        going_back = [(p, a) for p, a in ready if a.trigger == setback and state not in set_back]
        ready = [
            (p, a)
            for p, a in ready
            if a.trigger != setback and (a.decision or f"{state}:{a.trigger}" not in taken_here)
        ]
        if not going_back and not ready:
            assert offered, f"stuck at {state} after {taken}: nothing offered"
            waiting_for = " ".join(message for _, action in offered for message in action.not_yet)
            if not (when_waiting and when_waiting(state, waiting_for, taken)):
                clock.advance(wait_days)  # what is offered waits for a date (tenders closing, an end date)
            continue
        if going_back:
            (person, action), _ = going_back[0], set_back.add(state)
            taken_here.clear()
        else:  # a question asked is answered before anything else
            person, action = min(
                ready, key=lambda offer: (offer[1].trigger != "provide_info", moving_on.index(offer[1].trigger))
            )
        asked = {spec.name for spec in action.inputs}
        inputs = {k: v for k, v in answers(action.trigger).items() if k in asked}
        try:
            engine.act(ActionRequest(case_id, action.trigger, person, reason="Because", inputs=inputs))
        except DomainError as refused:
            raise AssertionError(f"{action.trigger} at {state}, offered, was refused: {refused}") from refused
        taken.append(f"{state}:{action.trigger}")
        taken_here.add(f"{state}:{action.trigger}")
    raise AssertionError(f"not at {ends_at} after {taken}")
