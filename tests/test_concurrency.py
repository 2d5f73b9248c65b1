"""Two people acting on one case at once: exactly one outcome, a clear message for the other, no lost audit."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select, text

from provision_cycle.audit import verify_chains
from provision_cycle.errors import DomainError
from provision_cycle.models import AuditEvent, Case, Decision
from provision_cycle.workflow.engine import ActionRequest

from .factories import act, approve_gate, commissioning_at_its_gate, create_user, declare, hub_people, new_request

pytestmark = pytest.mark.slow


def _race(engine, requests: list[ActionRequest], timeout: float = 30) -> list[object]:
    """Each request acted on in its own thread, all at once: each one's result or error (None: still waiting
    after ``timeout`` seconds)."""
    barrier = threading.Barrier(len(requests))
    outcomes: list[object] = [None] * len(requests)

    def run(index: int, request: ActionRequest) -> None:
        barrier.wait()
        try:
            outcomes[index] = engine.act(request)
        except DomainError as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return outcomes


@pytest.mark.parametrize("round_", range(5))
def test_threads_deciding_the_same_gate_at_once_give_exactly_one_outcome(engine, db, round_):
    people = hub_people(db)
    heads = [people.head] + [create_user(db, ("head_of_category", "OCC", "cnc")) for _ in range(5)]
    case_id = new_request(engine, people.requester)
    result = act(engine, case_id, "submit", people.requester)
    declare(engine, case_id, *heads)
    with db.reading() as s:
        version = s.get(Case, case_id).version
    # Half approve, half reject; all read the same version of the case.
    requests = [
        ActionRequest(
            case_id,
            "approve" if i % 2 == 0 else "reject",
            head,
            expected_version=version,
            reason="" if i % 2 == 0 else "Not needed",
        )
        for i, head in enumerate(heads)
    ]
    outcomes = _race(engine, requests)
    winners = [o for o in outcomes if not isinstance(o, Exception)]
    losers = [o for o in outcomes if isinstance(o, Exception)]
    assert len(winners) == 1, outcomes
    assert all("This case has changed since you opened it" in e.message for e in losers), losers
    with db.reading() as s:
        case = s.get(Case, case_id)
        assert case.state == winners[0].to_state
        assert s.scalar(select(func.count()).select_from(Decision).where(Decision.case_id == case_id)) == 1
        events = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case_id))
        assert events == case.audit_seq
        assert verify_chains(s).ok
    assert result.to_state == "route_approval"


def test_racing_without_a_version_still_gives_one_decision_per_step(engine, db):
    """Callers that send no version (a scheduler, say) are serialised by the lock; the loser is told why."""
    people = hub_people(db)
    heads = [people.head] + [create_user(db, ("head_of_category", "OCC", "cnc")) for _ in range(3)]
    case_id = new_request(engine, people.requester)
    act(engine, case_id, "submit", people.requester)
    declare(engine, case_id, *heads)
    outcomes = _race(engine, [ActionRequest(case_id, "approve", head) for head in heads])
    assert sum(not isinstance(o, Exception) for o in outcomes) == 1
    assert all("while the case is at 'Conflicts assessment'" in o.message for o in outcomes if isinstance(o, Exception))


def test_a_committee_signing_at_once_passes_its_gate_once_on_exactly_the_approvals_it_needs(engine, db):
    """The Commissioning Board (any 2 of the directors) all sign at once, with no version: two approvals are
    recorded and the second passes the gate; the rest are told the gate has passed; nothing is lost."""
    people = hub_people(db)
    directors = [people.director, people.director2] + [create_user(db, ("director", "OCC")) for _ in range(2)]
    case_id = commissioning_at_its_gate(engine, people.requester)
    approve_gate(engine, case_id, [people.head])
    declare(engine, case_id, *directors)
    outcomes = _race(engine, [ActionRequest(case_id, "approve", director) for director in directors])
    accepted = [o for o in outcomes if not isinstance(o, Exception)]
    assert sorted(o.to_state for o in accepted) == ["commissioned", "commissioning_gate"], outcomes
    assert all("while the case is at 'Commissioned'" in o.message for o in outcomes if isinstance(o, Exception))
    with db.reading() as s:
        board = select(func.count()).select_from(Decision).where(Decision.case_id == case_id)
        assert s.scalar(board.where(Decision.principal_id.in_(directors))) == 2
        moves = select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case_id)
        assert s.scalar(moves.where(AuditEvent.to_state == "commissioned")) == 1
        assert verify_chains(s).ok


@pytest.mark.postgres_only(reason="row locks: SQLite serialises every writer")
def test_an_action_does_not_wait_for_a_scheduler_run_raising_a_task_on_its_case(engine, db):
    """A scheduler run's insert of a task names the case (a foreign key), which locks the case's key until the
    run commits; the door's lock leaves the key alone (FOR NO KEY UPDATE), so an approval goes through at once
    rather than after the whole run."""
    people = hub_people(db)
    case_id = new_request(engine, people.requester)
    act(engine, case_id, "submit", people.requester)
    declare(engine, case_id, people.head)
    with db.reading() as session:
        at_the_gate = session.get(Case, case_id).state
    with db.engine.connect() as sweep:  # the run, still going: its task inserted, not yet committed
        sweep.execute(
            text(
                "INSERT INTO tasks (subject_key, kind, title, detail, case_id, assignee_id, due_on, status,"
                " snooze_reason, outcome, outcome_note, outcome_data, created_at) VALUES (:key, 'case_review',"
                " 'Review', '', :case_id, :person, '2026-12-01', 'open', '', '', '', '{}', now())"
            ),
            {"key": f"case:{case_id}", "case_id": case_id, "person": people.head},
        )
        outcome = _race(engine, [ActionRequest(case_id, "approve", people.head)], timeout=5)[0]
        assert outcome is not None, "the approval waited for the scheduler's transaction"
        sweep.rollback()
    assert not isinstance(outcome, Exception), outcome
    with db.reading() as session:
        assert session.get(Case, case_id).state != at_the_gate


@pytest.mark.parametrize("round_", range(3))
def test_two_names_recorded_as_one_supplier_at_once_leave_each_a_name_of_the_third(core, db, round_):
    """Alpha recorded as Beta's name while Beta is recorded as Gamma's: whichever goes first, the other sees
    it (the lock on the system chain), so both end as Gamma's names, never a name of a name."""
    from provision_cycle.services.suppliers import names_of, record_same_supplier
    from tests.factories import register_contract

    people = hub_people(db)
    for name in ("Alpha Ltd", "Beta Ltd", "Gamma Ltd"):
        register_contract(core, people, value="9000", ends=date(2027, 3, 31), supplier_name=name)
    analyst = create_user(db, ("intelligence_analyst", "OCC"))
    barrier, outcomes = threading.Barrier(2), []

    def record(key: str, same_as: str) -> None:
        barrier.wait()
        outcomes.append(record_same_supplier(core, analyst, key, same_as, "One group"))

    threads = [threading.Thread(target=record, args=pair) for pair in (("alpha", "beta"), ("beta", "gamma"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2
    with db.reading() as session:
        assert names_of(session, "alpha") == names_of(session, "beta") == ("gamma", "alpha", "beta")
        assert verify_chains(session).ok
