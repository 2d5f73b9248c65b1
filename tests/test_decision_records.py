"""The written record of a decision taken at a gate: an officer's to award a contract or commit spending worth
more than its council's figure (Openness of Local Government Bodies Regulations 2014 reg 7), the Executive's
always (2012 Access to Information Regulations regs 12-13), made with the decision and never changed."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from provision_cycle.models import AuditEvent, DecisionRecord
from provision_cycle.services import evaluation
from provision_cycle.services.evaluation import TenderGiven
from provision_cycle.workflow.evaluation import evaluation_of

from .factories import (
    AWARD_INPUTS,
    BUSINESS_CASE,
    act,
    approve_gate,
    approve_open_steps,
    award_over_the_key_decision_figure,
    award_recommended,
    commissioning_at_its_gate,
    create_user,
    hub_people,
    propose_variation,
    publish_tender_notice,
    ready_for_the_market,
    ready_to_recommend,
    register_contract,
)


def _records(db, case_id: int) -> list[DecisionRecord]:
    with db.reading() as session:
        return list(session.scalars(select(DecisionRecord).where(DecisionRecord.case_id == case_id)))


def test_an_officer_s_award_over_the_council_s_figure_is_recorded_with_the_decision(core, db, clock):
    """OCC's figure is £100,000: an award of £240,000, approved by the Head of Category and Finance, one of
    them with a comment; the record says what, who, why, what else was weighed and the conflicts declared."""
    people = hub_people(db)
    case_id = award_recommended(core.engine, clock, people)
    core.engine.declare_interests(
        case_id, people.head, has_conflict=True, details="My brother works for Acme Ltd", mitigation="Not on the panel"
    )
    act(core.engine, case_id, "approve", people.head, reason="Within the budget agreed")
    assert _records(db, case_id) == []  # not yet taken: Finance's step is still to come
    approve_gate(core.engine, case_id, [people.finance])

    [record] = _records(db, case_id)
    assert (record.authority, record.by_executive, record.value) == ("OCC", False, Decimal("240000.00"))
    assert record.subject == "Award of the contract for Case management system"
    assert record.decision == (
        "To award the contract for Case management system to Acme Ltd, worth £240,000.00 excluding VAT."
    )
    assert record.reasons.splitlines() == ["Procured by open procedure.", "Hana Head: Within the budget agreed"]
    assert record.alternatives == "No other tender is recorded."
    assert record.conflicts == "Hana Head: My brother works for Acme Ltd; mitigated by: Not on the panel"
    assert record.decided_by.splitlines() == ["Hana Head (Head of Category)", "Fred Finance (Finance Business Partner)"]
    assert record.decided_at.date() == clock.today
    with db.reading() as session:
        passed = session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.action == "approve")
        ).all()[-1]
    assert passed.data["decision_recorded"] == record.subject


def test_an_award_after_an_evaluation_gives_how_it_ranked_and_the_tenders_not_chosen(core, db, clock):
    """Three tenders in, one late; the award goes to the first, named otherwise on the recommendation."""
    people = hub_people(db)
    case_id = ready_for_the_market(core.engine, people, value="250000")
    criteria = [("Delivery", "quality", "40"), ("Social value", "social_value", "10"), ("Price", "price", "50")]
    evaluation.set_award_criteria(core, case_id, people.officer, criteria)
    publish_tender_notice(core.engine, case_id, people.officer)
    clock.set(date(2026, 4, 7))
    act(core.engine, case_id, "close_tenders", people.officer)
    ready_to_recommend(core.engine, case_id, people)
    tenders = {
        name: evaluation.record_tender(
            core, case_id, people.officer, TenderGiven(name, "", True, False, price, date(2026, 3, 2), late)
        )
        for name, price, late in [
            ("Acme Ltd", "240000", ""),
            ("Brightwork CIC", "200000", ""),
            ("Late Co", "150000", "Received after the deadline"),
        ]
    }
    with db.reading() as session:
        quality, social = [c.id for c in evaluation_of(session, case_id).criteria][:2]
    for name, scores in (("Acme Ltd", ("5", "4")), ("Brightwork CIC", ("3", "5"))):
        given = {quality: (scores[0], "Clear plan"), social: (scores[1], "Local apprenticeships")}
        evaluation.score_tender(core, case_id, people.officer, tenders[name], given)
    act(
        core.engine,
        case_id,
        "recommend_award",
        people.officer,
        inputs={**AWARD_INPUTS, "supplier_name": "ACME LIMITED"},
    )
    approve_open_steps(core.engine, db, people, case_id)

    [record] = _records(db, case_id)
    assert record.reasons.splitlines() == [
        "3 tenders received, 2 assessed: the evaluation ranks Acme Ltd first, with 89.67 points of 100 (next, "
        "Brightwork CIC, 84.00).",
        "The award criteria published with the invitation: Delivery (40%), Social value (10%) and Price (50%).",
        "Procured by open procedure.",
    ]
    assert record.alternatives.splitlines() == [
        "The tender from Brightwork CIC: 84.00 points, ranked 2",
        "The tender from Late Co: not assessed (Received after the deadline)",
    ]


def test_an_officer_s_decision_not_over_the_figure_is_not_recorded(core, db, clock):
    people = hub_people(db)
    case_id = award_recommended(core.engine, clock, people, value="90000", award_value="100000")  # not more than
    approve_open_steps(core.engine, db, people, case_id)
    assert _records(db, case_id) == []


def test_a_key_decision_is_recorded_once_as_the_executive_s(core, db, clock):
    """CDC's award of £520,000 is a key decision: its officers' approval passes it to the Executive member,
    whose decision it is and whose record it is; the council's file says it was on the forward plan."""
    from provision_cycle.services.transparency import Quarter, decision_rows

    people = hub_people(db, authority="CDC")
    case_id = award_over_the_key_decision_figure(core.engine, clock, people)
    approve_open_steps(core.engine, db, people, case_id)

    [record] = _records(db, case_id)
    assert (record.authority, record.by_executive) == ("CDC", True)
    assert record.decided_by == "Eve Executive (Executive or Cabinet Member)"
    assert record.decision.endswith("to Acme Ltd, worth £520,000.00 excluding VAT.")
    with db.reading() as session:
        quarter = Quarter.containing(record.decided_at.date())
        [row] = decision_rows(core, session, "CDC", quarter)
    assert row[2:4] == [
        "The Executive",
        "After 28 clear days on the forward plan (2012 Access to Information Regulations, reg 9)",
    ]


def test_a_commissioning_decision_records_the_options_weighed(core, db):
    people = hub_people(db)
    case_id = commissioning_at_its_gate(core.engine, people.requester, value="600000")
    approve_open_steps(core.engine, db, people, case_id)

    [record] = _records(db, case_id)
    assert record.subject == "Commissioning of Case management system"
    assert record.decision == (
        "To approve the business case for Case management system and commission it, at an estimated "
        "£600,000.00 excluding VAT over 36 months."
    )
    assert record.reasons.splitlines() == [
        f"The preferred option and why: {BUSINESS_CASE['preferred_option']}",
        f"Outcomes: {BUSINESS_CASE['outcomes']}",
    ]
    assert (
        record.alternatives == f"The options considered, the preferred one aside: {BUSINESS_CASE['options_considered']}"
    )
    assert record.conflicts == "None declared"


def test_a_variation_is_recorded_for_what_it_adds(core, db, clock):
    """A £500,000 contract varied to £650,000: £150,000 more, over OCC's figure; the record gives both values."""
    people = hub_people(db)
    contract = register_contract(core, people, value="500000", ends=date(2027, 6, 30))
    change = {"variation_description": "Two more depots", "new_value": "650000", "new_end_date": "2027-06-30"}
    propose_variation(core.engine, contract.case_id, people.contract_manager, change)
    approve_open_steps(core.engine, db, people, contract.case_id)

    [record] = _records(db, contract.case_id)
    assert record.subject == f"Variation of contract {contract.reference} Highways maintenance"
    assert record.decision == (
        "To vary the contract with Roadworks Ltd: its value from £500,000.00 to £650,000.00 excluding VAT."
    )
    assert (record.value, record.reasons) == (Decimal("150000.00"), "What changes and why: Two more depots")


def test_an_extension_is_recorded_with_the_renewal_choices_it_was_weighed_against(core, db, clock):
    people = hub_people(db)
    contract = register_contract(core, people, value="900000", ends=date(2026, 12, 31), extension_months_available=12)
    act(core.engine, contract.case_id, "open_renewal_decision", people.contract_manager)
    extension = {"extend_to": "2027-12-31", "extension_value": "300000"}
    act(core.engine, contract.case_id, "propose_extension", people.contract_manager, inputs=extension)
    approve_open_steps(core.engine, db, people, contract.case_id)

    [record] = _records(db, contract.case_id)
    assert record.decision == (
        "To extend the contract with Roadworks Ltd from 31 December 2026 to 31 December 2027, at a cost of "
        "£300,000.00 excluding VAT."
    )
    assert record.alternatives == "Re-commissioning it or letting it end."
    assert record.value == Decimal("300000.00")


def test_a_joint_decision_names_each_council_s_approvers_and_is_in_both_councils_records(core, db):
    from provision_cycle.services.transparency import Quarter, decision_records

    occ, cdc = hub_people(db), hub_people(db, authority="CDC")
    case_id = commissioning_at_its_gate(core.engine, occ.requester, value="120000", authority="JOINT")
    approve_gate(core.engine, case_id, [occ.head, cdc.head])

    [record] = _records(db, case_id)
    assert record.authority == "JOINT"
    assert record.decided_by.splitlines() == ["Hana Head (Head of Category, OCC)", "Hana Head (Head of Category, CDC)"]
    quarter = Quarter.containing(core.engine.today())
    with db.reading() as session:
        for council in ("OCC", "CDC"):
            assert [taken.record.id for taken in decision_records(session, council, quarter)] == [record.id]


def test_a_decision_taken_for_someone_away_names_both(core, db, clock):
    people = hub_people(db)
    cover = create_user(db, ("head_of_category", "OCC", "heasc"), full_name="Cover Head")
    core.engine.delegate(people.head, cover, clock.today, clock.today + timedelta(days=9), "Annual leave")
    case_id = commissioning_at_its_gate(core.engine, people.requester, value="120000")
    approve_gate(core.engine, case_id, [cover])

    [record] = _records(db, case_id)
    assert record.decided_by == "Cover Head, for Hana Head (Head of Category), who was away"


def test_scrutiny_may_require_a_report_to_the_council_on_a_decision_not_taken_as_a_key_decision(core, db, clock):
    """2012 regs reg 18: the monitoring officer records the committee's resolution against the officer's decision
    record; it is a task, due by the day the committee set, done by saying when the report went to the council
    and what the executive holds. Nobody else records it; a decision the Executive took as a key decision, a
    second requirement while one is still due, and a requirement that makes no sense are refused."""
    from provision_cycle.errors import InvalidAction, InvalidInput, NotPermitted
    from provision_cycle.models import Task
    from provision_cycle.services.key_decision_reports import ReportRequired, require_report
    from provision_cycle.services.tasks import complete_task

    people = hub_people(db)
    case_id = award_recommended(core.engine, clock, people)
    approve_gate(core.engine, case_id, [people.head, people.finance])
    [record] = _records(db, case_id)
    today = clock.today
    committee = "Performance and Corporate Services Overview and Scrutiny Committee"
    required = ReportRequired(
        committee, today, today + timedelta(days=28), "It commits over £240,000 across the county"
    )

    with pytest.raises(NotPermitted, match="Only the council's monitoring officer"):
        require_report(core, case_id, record.id, people.head, required)
    with pytest.raises(InvalidInput) as refused:
        require_report(
            core, case_id, record.id, people.monitoring, ReportRequired(" ", today + timedelta(days=1), today, "")
        )
    assert refused.value.fields == {
        "committee": "Name the overview and scrutiny committee",
        "resolved_on": "The day the committee resolved it cannot be in the future",
        "report_by": "The report is due after the day the committee required it",
        "why": "Say why the committee holds it should have been a key decision",
    }
    with db.unit_of_work() as session:  # as if the Executive had taken it, as a key decision
        session.get(DecisionRecord, record.id).by_executive = True
    with pytest.raises(InvalidAction, match="The Executive took it as a key decision"):
        require_report(core, case_id, record.id, people.monitoring, required)
    with db.unit_of_work() as session:
        session.get(DecisionRecord, record.id).by_executive = False

    task_id = require_report(core, case_id, record.id, people.monitoring, required)
    with db.reading() as session:
        task = session.get(Task, task_id)
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "require_key_decision_report")).one()
    assert (task.case_id, task.assignee_id, task.due_on, task.kind) == (
        case_id, people.monitoring, today + timedelta(days=28), "key_decision_report",
    )  # fmt: skip
    assert task.title == "Report to the council: Award of the contract for Case management system (regulation 18)"
    assert task.detail == (
        f"{committee} resolved on {today:%-d %B %Y} that the decision should have been taken as a key decision: It "
        "commits over £240,000 across the county"
    )
    assert (event.case_id, event.data["committee"], event.comment) == (case_id, committee, required.why)
    with pytest.raises(InvalidAction, match=f"required already, due by {today + timedelta(days=28):%-d %B %Y}"):
        require_report(core, case_id, record.id, people.monitoring, required)

    with pytest.raises(InvalidInput, match="Say when it went to the council"):
        complete_task(core, task_id, people.monitoring, outcome="reported_to_the_council")
    complete_task(
        core, task_id, people.monitoring, outcome="reported_to_the_council",
        note="Council, 28 April 2026: the Executive holds the spending was within the approved budget",
    )  # fmt: skip
    with db.reading() as session:
        assert session.get(Task, task_id).status == "done"
