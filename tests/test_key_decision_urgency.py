"""A key decision that cannot wait for its 28 clear days on the forward plan (2012 Access to Information
Regulations): under the general exception (reg 10) it is taken 5 clear days after the scrutiny chair was told and
the notice published; under special urgency (reg 11), once the chair agreed it cannot reasonably be deferred.
Either way the reasons are recorded, and the decision's written record says how it was taken."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from provision_cycle.errors import GuardFailed, InvalidInput
from provision_cycle.models import AuditEvent, Case, CaseDeadline, DecisionRecord

from .factories import act, approve_gate, approve_open_steps, declare, hub_people, new_request

REASONS = "The current contract ends on 31 March and the market cannot be approached later"


@pytest.fixture
def at_the_executive(core, db):
    """On 2 March 2026: OCC's £1,200,000 procurement, its route approved by its officers, at the Executive."""
    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="1200000")
    act(core.engine, case_id, "submit", people.requester)
    approve_gate(core.engine, case_id, [people.head, people.finance, people.director])
    declare(core.engine, case_id, people.executive)
    return people, case_id


def _record(engine, case_id, officer, on: str, **answers):
    inputs = {"forward_plan_published_on": on, **answers}
    return act(engine, case_id, "record_forward_plan", officer, inputs=inputs)


def test_the_general_exception_lets_it_be_taken_five_clear_days_after_its_notice(core, db, clock, at_the_executive):
    people, case_id = at_the_executive
    _record(
        core.engine, case_id, people.officer, "2026-03-02", key_decision_urgency="general_exception",
        urgency_reasons=REASONS,
    )  # fmt: skip
    clock.set(date(2026, 3, 7))
    with pytest.raises(GuardFailed) as refused:
        act(core.engine, case_id, "approve", people.executive)
    assert refused.value.missing == [
        "A key decision cannot be taken before 8 March 2026: 5 clear days pass after its notice first, under the "
        "general exception (2012 Access to Information Regulations, reg 10)"
    ]
    clock.set(date(2026, 3, 8))
    act(core.engine, case_id, "approve", people.executive)

    with db.reading() as session:
        record = session.scalar(select(DecisionRecord).where(DecisionRecord.case_id == case_id))
    assert record.by_executive and record.urgency == "general_exception"
    assert record.reasons.splitlines()[0] == (
        "Taken under the general exception (2012 Access to Information Regulations, reg 10), without 28 clear days "
        f"on the forward plan: {REASONS}."
    )


def test_special_urgency_brings_forward_a_forward_plan_entry_still_running(core, db, clock, at_the_executive):
    people, case_id = at_the_executive
    _record(core.engine, case_id, people.officer, "2026-03-02")  # from 31 March, 28 clear days later
    clock.set(date(2026, 3, 4))
    _record(
        core.engine, case_id, people.officer, "2026-03-04", key_decision_urgency="special_urgency",
        urgency_agreed_by="Cllr Jo Smith, chair of the Performance and Corporate Services Overview and Scrutiny Committee",
        urgency_reasons=REASONS,
    )  # fmt: skip
    with db.reading() as session:
        due = session.scalar(select(CaseDeadline).where(CaseDeadline.case_id == case_id))
    assert (due.due_on, due.basis) == (
        date(2026, 3, 4),
        "Key decision under special urgency (2012 Access to Information Regulations, reg 11): agreed as urgent on "
        "4 March 2026, so taken on or after 4 March 2026",
    )
    # The Executive, told when the step opened that it could be taken from 31 March, hears it can be now.
    from provision_cycle.models import OutboxMessage

    with db.reading() as session:
        [sooner] = session.scalars(
            select(OutboxMessage).where(OutboxMessage.subject.endswith("the key decision can be taken sooner"))
        ).all()
    assert (sooner.recipient_id, sooner.kind, sooner.payload["step"]["gate"]) == (
        people.executive, "approval_needed", "executive_decision"
    )  # fmt: skip
    assert sooner.body.startswith(
        "'Case management system' can be taken from 4 March 2026: it is to be taken under special urgency"
    )
    act(core.engine, case_id, "approve", people.executive)  # the same day

    with db.reading() as session:
        record = session.scalar(select(DecisionRecord).where(DecisionRecord.case_id == case_id))
    assert record.urgency == "special_urgency"
    assert record.reasons.splitlines()[0].startswith(
        "Taken under special urgency (2012 Access to Information Regulations, reg 11), agreed by Cllr Jo Smith, chair "
        "of the Performance and Corporate Services Overview and Scrutiny Committee, without 28 clear days"
    )


def test_an_executive_waiting_with_no_forward_plan_entry_is_told_when_urgency_lets_them_decide(
    core, db, at_the_executive
):
    from provision_cycle.models import OutboxMessage

    people, case_id = at_the_executive
    _record(
        core.engine, case_id, people.officer, "2026-03-02", key_decision_urgency="special_urgency",
        urgency_agreed_by="Cllr Jo Smith", urgency_reasons=REASONS,
    )  # fmt: skip
    with db.reading() as session:
        told = session.scalars(select(OutboxMessage.recipient_id).where(OutboxMessage.subject.endswith("sooner")))
        assert list(told) == [people.executive]


def test_an_urgency_rule_is_not_used_where_the_forward_plan_allows_it_sooner(core, db, clock, at_the_executive):
    people, case_id = at_the_executive
    _record(core.engine, case_id, people.officer, "2026-02-01")  # from 2 March: today
    _record(
        core.engine, case_id, people.officer, "2026-03-02", key_decision_urgency="general_exception",
        urgency_reasons=REASONS,
    )  # fmt: skip
    with db.reading() as session:
        case = session.get(Case, case_id)
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq.desc())
        ).first()
    assert "key_decision_urgency" not in case.details and "urgency_reasons" not in case.details
    assert event.data["urgency_not_needed"] == "the forward plan allows it from 2 March 2026"
    act(core.engine, case_id, "approve", people.executive)
    with db.reading() as session:
        record = session.scalar(select(DecisionRecord).where(DecisionRecord.case_id == case_id))
    assert not record.reasons.startswith("Taken under") and record.urgency is None


def test_an_urgency_rule_needs_its_reasons_and_special_urgency_who_agreed(core, db, at_the_executive):
    people, case_id = at_the_executive
    with pytest.raises(InvalidInput) as refused:
        _record(core.engine, case_id, people.officer, "2026-03-02", key_decision_urgency="special_urgency")
    assert set(refused.value.fields) == {"urgency_agreed_by", "urgency_reasons"}
    with pytest.raises(InvalidInput) as refused:
        _record(core.engine, case_id, people.officer, "2026-03-02", urgency_reasons=REASONS)
    assert refused.value.fields == {
        "urgency_reasons": "Give reasons only for a key decision taken under an urgency rule: choose the rule, or "
        "leave them out"
    }
    with pytest.raises(InvalidInput) as refused:
        _record(
            core.engine, case_id, people.officer, "2026-03-02", key_decision_urgency="general_exception",
            urgency_reasons=REASONS, urgency_agreed_by="Cllr Jo Smith",
        )  # fmt: skip
    assert refused.value.fields == {
        "urgency_agreed_by": "Say who agreed the urgency only for a key decision taken under special urgency"
    }
    with pytest.raises(GuardFailed) as refused:  # agreed on a day still to come is not agreed
        _record(
            core.engine, case_id, people.officer, "2026-03-03", key_decision_urgency="special_urgency",
            urgency_reasons=REASONS, urgency_agreed_by="Cllr Jo Smith",
        )  # fmt: skip
    assert refused.value.missing == ["The date the urgency was agreed cannot be in the future"]
    with db.reading() as session:
        assert "key_decision_urgency" not in session.get(Case, case_id).details  # nothing half-saved


def test_a_reminder_of_the_forward_plan_s_later_day_is_done_with_when_urgency_brings_it_forward(
    core, db, clock, schedule, at_the_executive
):
    from provision_cycle.models import Task
    from provision_cycle.scheduling.sweeps import remind_deadlines

    people, case_id = at_the_executive
    _record(core.engine, case_id, people.officer, "2026-03-02")  # from 31 March
    clock.set(date(2026, 3, 25))
    assert remind_deadlines(core, schedule, clock.today).changed == 1  # within the week before it
    _record(
        core.engine, case_id, people.officer, "2026-03-25", key_decision_urgency="general_exception",
        urgency_reasons=REASONS,
    )  # fmt: skip  # from 31 March as well: nothing to bring forward
    clock.set(date(2026, 3, 26))
    _record(
        core.engine, case_id, people.officer, "2026-03-26", key_decision_urgency="special_urgency",
        urgency_agreed_by="Cllr Jo Smith", urgency_reasons=REASONS,
    )  # fmt: skip
    remind_deadlines(core, schedule, clock.today)
    with db.reading() as session:
        tasks = session.scalars(select(Task).where(Task.case_id == case_id).order_by(Task.id)).all()
    assert [(t.due_on, t.status, t.outcome) for t in tasks] == [
        (date(2026, 3, 31), "done", "brought_forward"),
        (date(2026, 3, 26), "open", ""),
    ]


def test_the_report_to_the_council_lists_the_key_decisions_taken_under_special_urgency(core, db, clock):
    """Reg 19: each executive decision agreed as urgent under reg 11 in the days the report covers, a joint
    case's in both councils' reports; not one taken under the general exception, nor one on the forward plan."""
    from provision_cycle.services.transparency import special_urgency_decisions

    people, cdc = hub_people(db), hub_people(db, authority="CDC")
    taken = {}
    for how, authority in (
        ("special_urgency", "OCC"), ("general_exception", "OCC"), (None, "OCC"), ("special_urgency", "JOINT")
    ):  # fmt: skip
        case_id = new_request(core.engine, people.requester, value="1200000", authority=authority)
        act(core.engine, case_id, "submit", people.requester)
        answers = {"key_decision_urgency": how, "urgency_reasons": REASONS} if how else {}
        if how == "special_urgency":
            answers["urgency_agreed_by"] = "Cllr Jo Smith"
        _record(core.engine, case_id, people.officer, "2026-02-20" if how else "2026-01-01", **answers)
        approve_open_steps(core.engine, db, people, case_id, other_councils={"CDC": cdc})
        taken[(how, authority)] = case_id

    with db.reading() as session:
        listed = {
            council: [t.record.case_id for t in special_urgency_decisions(session, council, date(2026, 3, 2), date(2026, 3, 2))]
            for council in ("OCC", "CDC")
        }  # fmt: skip
        assert special_urgency_decisions(session, "OCC", date(2026, 3, 3), date(2027, 3, 2)) == []
    assert listed == {
        "OCC": [taken[("special_urgency", "OCC")], taken[("special_urgency", "JOINT")]],
        "CDC": [taken[("special_urgency", "JOINT")]],
    }


def test_the_executive_is_told_the_urgency_rule_its_decision_is_to_be_taken_under(core, db):
    """The approval email of a key decision recorded under special urgency says so, and why; the officers'
    approvals before it do not (theirs is not the key decision)."""
    from provision_cycle.models import OutboxMessage

    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="1200000")
    act(core.engine, case_id, "submit", people.requester)
    _record(
        core.engine, case_id, people.officer, "2026-03-02", key_decision_urgency="special_urgency",
        urgency_agreed_by="Cllr Jo Smith", urgency_reasons=REASONS,
    )  # fmt: skip
    approve_gate(core.engine, case_id, [people.head, people.finance, people.director])
    with db.reading() as session:
        told = {
            m.recipient_id: m.body
            for m in session.scalars(
                select(OutboxMessage).where(OutboxMessage.case_id == case_id, OutboxMessage.kind == "approval_needed")
            )
        }
    assert told[people.executive].endswith(
        "It is to be taken under special urgency (2012 Access to Information Regulations, reg 11), agreed by Cllr Jo "
        f"Smith, without 28 clear days on the forward plan: {REASONS}."
    )
    assert "It is to be taken under" not in told[people.head]
