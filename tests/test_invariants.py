"""Property-based: random sequences of actions by random people keep every invariant.

Invariants after every step: the state is one of the workflow's states; the audit chain verifies and its
length matches the case's counter; at most one live approval step per gate; a closed case is final.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select

from provision_cycle.audit import verify_chains
from provision_cycle.db import Database
from provision_cycle.errors import DomainError
from provision_cycle.models import ApprovalStep, Case, StepStatus
from provision_cycle.workflow.engine import ActionRequest, Engine

from .factories import Clock, hub_people, new_request

pytestmark = pytest.mark.slow

TRIGGERS = [
    "submit",
    "resubmit",
    "withdraw",
    "approve",
    "reject",
    "return",
    "request_info",
    "provide_info",
    "complete_conflicts_assessment",
    "publish_tender_notice",
    "invite_quotations",
    "close_tenders",
    "close_quotations",
    "recommend_award",
    "publish_award_notice",
    "end_standstill",
    "sign_contract",
    "publish_contract_details",
    "terminate_procurement",
    "record_forward_plan",
]
INPUTS = {
    "publish_tender_notice": {"tender_notice_published_on": "2026-03-02", "tenders_close_on": "2026-04-06"},
    "recommend_award": {
        "supplier_name": "Acme Ltd",
        "supplier_is_sme": True,
        "supplier_is_vcse": False,
        "award_value": "90000",
    },
    "publish_award_notice": {"award_notice_published_on": "2026-04-08"},
    "sign_contract": {"signed_on": "2026-04-01", "start_date": "2026-05-01", "end_date": "2028-04-30"},
    "publish_contract_details": {"contract_details_published_on": "2026-04-20"},
    "record_forward_plan": {"forward_plan_published_on": "2026-01-02"},
}


def test_random_action_sequences_keep_the_invariants(sqlite_template, definitions):
    governance, workflows = definitions

    class Procurement(RuleBasedStateMachine):
        @initialize(value=st.sampled_from(["4000", "60000", "99999.99", "100000", "250000", "1200000"]))
        def open_case(self, value):
            self.dir = Path(tempfile.mkdtemp())
            shutil.copy(sqlite_template, self.dir / "db.sqlite3")
            self.db = Database(f"sqlite:///{self.dir / 'db.sqlite3'}")
            self.clock = Clock()
            self.engine = Engine(self.db, workflows, governance, clock=self.clock)
            self.people = hub_people(self.db)
            self.everyone = [v for v in vars(self.people).values()]
            self.case_id = new_request(self.engine, self.people.requester, value=value)
            for person in self.everyone:
                if person != self.people.system:  # the scheduler works for no council: it cannot declare
                    self.engine.declare_interests(self.case_id, person, has_conflict=False)

        @rule(trigger=st.sampled_from(TRIGGERS), who=st.integers(0, 12), days=st.integers(0, 20))
        def act(self, trigger, who, days):
            self.clock.advance(days)
            request = ActionRequest(
                self.case_id, trigger, self.everyone[who], reason="Because", inputs=INPUTS.get(trigger, {})
            )
            with contextlib.suppress(DomainError):  # a refused action is fine: it must simply change nothing
                self.engine.act(request)

        @invariant()
        def consistent(self):
            if not hasattr(self, "db"):
                return
            with self.db.reading() as s:
                case = s.get(Case, self.case_id)
                definition = workflows.get(case.workflow, case.workflow_version)
                assert case.state in definition.states
                assert (case.closed_at is not None) == definition.states[case.state].final
                report = verify_chains(s)
                assert report.ok, report.problems
                live = s.execute(
                    select(ApprovalStep.gate, func.count())
                    .where(ApprovalStep.status.in_(StepStatus.live()))
                    .group_by(ApprovalStep.gate)
                ).all()
                assert all(n == 1 for _, n in live)
                gate = definition.gate_at(case.state)
                if gate is not None:
                    assert [g for g, _ in live] == [gate.name]
                else:
                    assert live == []

        def teardown(self):
            if hasattr(self, "db"):
                self.db.dispose()
                shutil.rmtree(self.dir, ignore_errors=True)

    Procurement.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    Procurement.TestCase().runTest()
