"""A contract's KPIs (PA23 s52) and the yearly assessment against them, published as a contract performance
notice (s71, reg 39, UK9)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from provision_cycle.errors import InvalidAction, InvalidInput, NotPermitted
from provision_cycle.models import AuditEvent, KpiAssessment, OutboxMessage, Task
from provision_cycle.models.outbox import TASKS_RAISED
from provision_cycle.scheduling.sweeps import raise_reviews
from provision_cycle.services.performance import (
    Rating,
    assessments_of,
    contracts_owing_kpis,
    kpis_of,
    kpis_required,
    record_assessment,
    set_kpis,
)
from provision_cycle.services.tasks import complete_task

from .factories import create_user, hub_people, register_contract
from .test_ocds import _package, _package_errors

KPIS = [
    ("Repairs on time", "95% of urgent repairs within 24 hours"),
    ("Customer satisfaction", "At least 85% satisfied in the quarterly survey"),
    ("Social value", "12 apprenticeships a year"),
]


def _big(core, people, **fields):
    """6m, let under the Act: a public contract over 5m, which needs KPIs."""
    return register_contract(
        core,
        people,
        **{"value": "6000000", "starts": date(2025, 7, 1), "ends": date(2030, 6, 30), "risk": "low", **fields},
    )


def test_a_public_contract_over_five_million_needs_at_least_three_kpis(core, db):
    people = hub_people(db)
    big = _big(core, people)
    small = register_contract(core, people, value="400000", starts=date(2025, 7, 1), ends=date(2028, 6, 30))
    legacy = register_contract(core, people, value="6000000", starts=date(2023, 7, 1), ends=date(2028, 6, 30))
    light = _big(core, people, contract_type="light_touch")
    with db.reading() as session:
        needs = {c.reference: kpis_required(session, c) for c in (big, small, legacy, light)}
    assert needs[big.reference][0] and "PA23 s52: at least 3 KPIs" in needs[big.reference][1]
    assert not any(needs[c.reference][0] for c in (small, legacy, light))

    with pytest.raises(InvalidInput) as refused:
        set_kpis(core, big.id, people.contract_manager, KPIS[:2])
    assert refused.value.fields["kpis"].startswith("This contract needs at least 3 KPIs (PA23 s52")
    with pytest.raises(InvalidInput) as refused:
        set_kpis(core, big.id, people.contract_manager, [*KPIS, ("", "A target with no name"), ("x" * 201, "")])
    assert refused.value.fields == {
        "kpi_4_name": "Name KPI 4, or clear its target too",
        "kpi_5_name": "Keep KPI 5's name to 200 characters",
    }
    with pytest.raises(NotPermitted, match="category team or its contract managers"):
        set_kpis(core, big.id, people.finance, KPIS)

    set_kpis(core, big.id, people.contract_manager, [*KPIS, ("  ", "  ")])  # a blank row is left out
    set_kpis(core, small.id, people.officer, KPIS[:1])  # one is fine where the Act asks for none
    with db.reading() as session:
        assert [(k.position, k.name, k.target) for k in kpis_of(session, big.id)] == [
            (n, name, target) for n, (name, target) in enumerate(KPIS, start=1)
        ]
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == big.case_id, AuditEvent.action == "set_kpis")
        ).one()
        assert event.data == {"kpis": [name for name, _ in KPIS]}
    set_kpis(core, big.id, people.contract_manager, [KPIS[2], KPIS[0], KPIS[1]])  # reordered, replacing
    with db.reading() as session:
        assert [k.name for k in kpis_of(session, big.id)] == [
            "Social value",
            "Repairs on time",
            "Customer satisfaction",
        ]


def test_the_yearly_assessment_is_recorded_published_and_closes_its_task(core, db, clock, schedule):
    people = hub_people(db)
    big = _big(core, people)
    clock.set(date(2026, 6, 17))  # the first anniversary, 1 July 2026, is 14 days off
    assert raise_reviews(core, schedule, clock.today).changed == 2  # its KPI assessment, and a quarterly review
    with db.reading() as session:
        told = session.scalars(select(OutboxMessage.subject).where(OutboxMessage.kind == TASKS_RAISED)).all()
    assert told == ["2 new tasks for you: contract reviews and KPI assessments"]
    with db.reading() as session:
        task = session.scalars(select(Task).where(Task.contract_id == big.id, Task.kind == "kpi_assessment")).one()
    # With no KPIs set yet, the task can only be ticked off (the Act's duty is to set them first).
    set_kpis(core, big.id, people.contract_manager, KPIS)
    with db.reading() as session:
        kpis = kpis_of(session, big.id)
    with pytest.raises(InvalidAction, match="Record the KPI assessment on the contract's page"):
        complete_task(core, task.id, people.contract_manager, outcome="done")

    clock.set(date(2026, 7, 3))
    good = {kpi.id: Rating("good") for kpi in kpis}
    assessment = dict(period_starts=date(2025, 7, 1), period_ends=date(2026, 6, 30), published_on=date(2026, 7, 3))
    with pytest.raises(InvalidInput) as refused:
        record_assessment(
            core,
            big.id,
            people.contract_manager,
            period_starts=date(2026, 6, 9),
            period_ends=date(2026, 7, 4),
            ratings={kpis[0].id: Rating("excellent")},
            published_on=date(2026, 7, 4),
            notice_id="x" * 41,
        )
    assert refused.value.fields == {
        "period_ends": "The period assessed cannot end in the future",
        "published_on": "The date the notice was published cannot be in the future",
        "notice_id": "Keep the notice identifier to 40 characters",
        f"rating_{kpis[0].id}": "Rate the supplier against 'Repairs on time'",
        f"rating_{kpis[1].id}": "Rate the supplier against 'Customer satisfaction'",
        f"rating_{kpis[2].id}": "Rate the supplier against 'Social value'",
    }
    with pytest.raises(NotPermitted):
        record_assessment(core, big.id, create_user(db, ("contract_manager", "CDC", "cnc")), ratings=good, **assessment)

    ratings = {
        kpis[0].id: Rating("good"),
        kpis[1].id: Rating("requires_improvement", "Complaints about call handling"),
        kpis[2].id: Rating("other", "Scheme starts in September"),
    }
    record_assessment(core, big.id, people.contract_manager, ratings=ratings, notice_id="045678-2026", **assessment)
    with db.reading() as session:
        assert session.get(Task, task.id).status == "done" and session.get(Task, task.id).outcome == "assessed"
        [recorded] = assessments_of(session, big.id)
        assert recorded.ratings[1] == {
            "name": "Customer satisfaction",
            "target": "At least 85% satisfied in the quarterly survey",
            "rating": "requires_improvement",
            "comment": "Complaints about call handling",
        }
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == big.case_id, AuditEvent.action == "record_kpi_assessment")
        ).one()
        assert event.data["ratings"] == [
            ["Repairs on time", "good"],
            ["Customer satisfaction", "requires_improvement"],
            ["Social value", "other"],
        ]
        assert event.data["period"] == ["2025-07-01", "2026-06-30"] and event.data["tasks_closed"] == 1

    # What was assessed stays as assessed, whatever the KPIs become.
    set_kpis(core, big.id, people.contract_manager, [("Something else", ""), *KPIS[1:]])
    with db.reading() as session:
        assert session.scalars(select(KpiAssessment)).one().ratings[0]["name"] == "Repairs on time"

    # Its notice, as open data: on the contract's implementation, each KPI's rating stated.
    package = _package(core, db, people.head, big.case_id)
    assert _package_errors(package) == []
    [release] = package["releases"]
    assert release["tag"] == ["implementation"]
    [document] = release["contracts"][0]["implementation"]["documents"]
    assert document["noticeType"] == "UK9" and document["documentType"] == "implementationNotice"
    assert document["description"] == (
        "Assessment of performance against the key performance indicators, 1 July 2025 to 30 June 2026: "
        "Repairs on time: Good; Customer satisfaction: Requires improvement; Social value: Other. "
        "Find a Tender notice 045678-2026"
    )


def test_a_contract_without_kpis_has_nothing_to_assess(core, db, clock):
    people = hub_people(db)
    big = _big(core, people)
    clock.set(date(2026, 7, 3))
    with pytest.raises(InvalidAction, match="has no KPIs to assess: set them first"):
        record_assessment(
            core,
            big.id,
            people.officer,
            period_starts=date(2025, 7, 1),
            period_ends=date(2026, 6, 30),
            ratings={},
            published_on=date(2026, 7, 3),
        )


def test_a_contract_with_kpis_is_assessed_when_it_ends(core, db, clock, schedule, app):
    from provision_cycle.models import CaseDeadline
    from provision_cycle.scheduling.sweeps import expire_contracts, remind_deadlines
    from tests.web.conftest import Browser

    people = hub_people(db)
    assessed = _big(core, people, ends=date(2026, 2, 28))
    set_kpis(core, assessed.id, people.contract_manager, KPIS)
    unmeasured = _big(core, people, ends=date(2026, 2, 28))  # no KPIs were ever set
    # KPIs the council set of its own accord on a contract let under PCR 2015: no notice owed when it ends.
    voluntary = register_contract(core, people, value="6000000", starts=date(2023, 3, 1), ends=date(2026, 2, 28))
    set_kpis(core, voluntary.id, people.contract_manager, KPIS)
    # One that ended before s71 came into force (1 January 2026), loaded and expired since: none owed either.
    before = _big(core, people, ends=date(2025, 12, 31))
    set_kpis(core, before.id, people.contract_manager, KPIS)
    assert expire_contracts(core, clock.today).changed == 4
    with db.reading() as session:
        owed = session.scalars(select(CaseDeadline).where(CaseDeadline.kind == "final_kpi_assessment")).all()
    assert [(d.case_id, d.due_on) for d in owed] == [(assessed.case_id, date(2026, 2, 28))]
    assert "PA23 s71(2)" in owed[0].basis and unmeasured.case_id != owed[0].case_id
    with db.reading() as session:
        expired = session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == voluntary.case_id, AuditEvent.action == "expire")
        ).one()
    assert expired.data["final_kpi_assessment"].startswith("none owed: its KPIs were not set under PA23 s52")
    assert "Public Contracts Regulations 2015" in expired.data["final_kpi_assessment"]
    with db.reading() as session:
        ended_before = session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == before.case_id, AuditEvent.action == "expire")
        ).one()
    assert ended_before.data["final_kpi_assessment"] == (
        "none owed: 31 December 2025 was before PA23 s71 came into force, on 1 January 2026 (SI 2025/1316)"
    )

    remind_deadlines(core, schedule, clock.today)  # overdue since the day it ended: raised all the same
    with db.reading() as session:
        task = session.scalars(select(Task).where(Task.kind == "deadline:final_kpi_assessment")).one()
    assert task.assignee_id == people.contract_manager
    with pytest.raises(InvalidAction, match="Record the KPI assessment"):
        complete_task(core, task.id, people.contract_manager, outcome="done")
    page = Browser(app, db).sign_in(people.contract_manager).get(f"/tasks/{task.id}").text
    assert "Record a KPI assessment" in page and "Complete the task" not in page

    with db.reading() as session:
        kpis = kpis_of(session, assessed.id)
    record_assessment(
        core,
        assessed.id,
        people.contract_manager,
        period_starts=date(2025, 7, 1),
        period_ends=date(2026, 2, 28),
        ratings={kpi.id: Rating("good") for kpi in kpis},
        published_on=clock.today,
    )
    with db.reading() as session:
        assert session.get(Task, task.id).status == "done"
        assert session.get(CaseDeadline, owed[0].id).met_at is not None


SIGNATURE = {"signed_on": "2026-04-21", "start_date": "2026-05-01", "end_date": "2029-04-30"}


def test_a_big_contract_is_not_signed_before_its_kpis_are_set(core, db, clock):
    from provision_cycle.errors import GuardFailed
    from provision_cycle.models import Case, Contract, ContractKpi
    from provision_cycle.services.performance import set_procurement_kpis

    from .factories import act, award_open_procedure

    people, engine = hub_people(db), core.engine
    case_id = award_open_procedure(engine, clock, people, value="5000000", award_value="5000000")  # 6m with VAT
    clock.set(date(2026, 4, 21))
    act(engine, case_id, "end_standstill", people.officer)
    blocked = "Set at least 3 KPIs on the case before the contract is entered into"
    assert blocked in engine.not_yet(case_id, people.officer, ["sign_contract"])["sign_contract"][0]
    with pytest.raises(GuardFailed, match=blocked):
        act(engine, case_id, "sign_contract", people.officer, inputs=SIGNATURE)

    with pytest.raises(InvalidInput, match="needs at least 3 KPIs"):
        set_procurement_kpis(core, case_id, people.officer, KPIS[:2])
    with pytest.raises(InvalidInput, match="not both"):
        set_procurement_kpis(core, case_id, people.officer, KPIS, exemption="Outcomes cannot be measured")
    with pytest.raises(NotPermitted):
        set_procurement_kpis(core, case_id, people.contract_manager, KPIS)  # the procurement's team sets them
    set_procurement_kpis(core, case_id, people.officer, KPIS)
    act(engine, case_id, "sign_contract", people.officer, inputs=SIGNATURE)
    with pytest.raises(InvalidAction, match="not a procurement still to be signed"):
        set_procurement_kpis(core, case_id, people.officer, KPIS)
    act(engine, case_id, "publish_contract_details", people.officer,
        inputs={"contract_details_published_on": "2026-04-24"})  # fmt: skip
    with db.reading() as session:
        contract = session.scalars(select(Contract).where(Contract.procurement_case_id == case_id)).one()
        kpis = session.scalars(select(ContractKpi).where(ContractKpi.contract_id == contract.id)).all()
        assert [(k.position, k.name, k.target) for k in sorted(kpis, key=lambda k: k.position)] == [
            (n, name, target) for n, (name, target) in enumerate(KPIS, start=1)
        ]
        assert kpis_required(session, contract)[0]
        assert contracts_owing_kpis(session, [contract]) == {contract.id}  # the scheduler's test, the same
        assert session.get(Case, case_id).details["kpis"][0] == list(KPIS[0])


def test_a_council_may_record_why_a_contract_has_no_kpis(core, db, clock):
    from provision_cycle.models import Contract
    from provision_cycle.services.performance import set_procurement_kpis

    from .factories import act, award_open_procedure

    people, engine = hub_people(db), core.engine
    case_id = award_open_procedure(engine, clock, people, value="5000000", award_value="5000000")
    set_procurement_kpis(
        core, case_id, people.officer, [], exemption="A one-off delivery: nothing to measure over time"
    )
    clock.set(date(2026, 4, 21))
    act(engine, case_id, "end_standstill", people.officer)
    act(engine, case_id, "sign_contract", people.officer, inputs=SIGNATURE)
    act(engine, case_id, "publish_contract_details", people.officer,
        inputs={"contract_details_published_on": "2026-04-24"})  # fmt: skip
    with db.reading() as session:
        contract = session.scalars(select(Contract).where(Contract.procurement_case_id == case_id)).one()
        required, why = kpis_required(session, contract)
        assert contracts_owing_kpis(session, [contract]) == set()  # so the scheduler asks for no assessment
    assert (
        not required
        and why == "its performance could not be assessed by KPIs: A one-off delivery: nothing to measure over time"
    )
