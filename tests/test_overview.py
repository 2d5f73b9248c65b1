"""The overview: what the people who answer for the cycle see of it, counted from the same records and with
the same visibility as the lists behind it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from provision_cycle.services.overview import pipeline_overview
from provision_cycle.services.register import ExistingContract, import_contract
from provision_cycle.services.tasks import NewTask, raise_task

from .factories import act, create_user, hub_people, new_request


def _contract(core, people, title, ends, *, value="50000", authority="OCC", category="corporate_supplies") -> int:
    with core.db.unit_of_work() as session:
        existing = ExistingContract(
            title=title,
            authority=authority,
            category=category,
            contract_type="goods",
            supplier_name="Supplier",
            value=Decimal(value),
            start_date=date(2024, 1, 1),
            end_date=ends,
            contract_manager_id=people.contract_manager,
        )
        return import_contract(core, session, existing, actor_id=people.officer).id


def _overview(core, db, person, **filters):
    with db.reading() as session:
        actor = core.engine.actor(session, person)
        return pipeline_overview(core, session, actor, core.engine.today(), **filters)


def test_cases_by_state_renewals_approvals_and_tasks(core, db, clock):
    people = hub_people(db)
    today = clock.today  # 2 March 2026
    submitted = new_request(core.engine, people.requester, value="250000")
    act(core.engine, submitted, "submit", people.requester)  # waiting at route approval
    new_request(core.engine, people.requester, value="18000")  # a draft
    new_request(core.engine, people.requester, value="40000", stage="commissioning")
    withdrawn = new_request(core.engine, people.requester, value="1000")
    act(core.engine, withdrawn, "withdraw", people.requester, reason="No longer needed")  # ended: not counted
    soon = _contract(core, people, "Ends in a month", today + timedelta(days=30), value="100000")
    _contract(core, people, "Ends in five months", today + timedelta(days=150))
    _contract(core, people, "Ends in two years", today + timedelta(days=730))
    _contract(core, people, "Ended last week", today - timedelta(days=7))  # still live until the sweep: not due
    with core.db.unit_of_work() as session:
        for due in (today - timedelta(days=1), today + timedelta(days=10)):
            task = NewTask("renewal_decision", "Decide", due, people.contract_manager, contract_id=soon)
            raise_task(core, session, task, actor_id=people.officer)
    clock.advance(days=3)

    seen = _overview(core, db, people.head)
    assert [(s.stage, s.label, s.cases, s.value) for s in seen.states] == [
        ("commissioning", "Need identified", 1, Decimal("40000.00")),
        ("procurement", "Draft", 1, Decimal("18000.00")),
        ("procurement", "Route approval", 1, Decimal("250000.00")),
        ("contract", "Live", 4, Decimal("250000.00")),
    ]
    assert seen.stage_total("procurement") == (2, Decimal("268000.00"))
    assert [(h.after_months, h.within_months, h.contracts, h.value) for h in seen.horizons] == [
        (0, 3, 1, Decimal("100000.00")),
        (3, 6, 1, Decimal("50000.00")),
        (6, 12, 0, Decimal(0)),
        (12, 18, 0, Decimal(0)),
    ]
    assert seen.approvals_waiting == 1 and seen.oldest_approval.date() == date(2026, 3, 2)
    assert (seen.tasks_open, seen.tasks_overdue) == (2, 1)


def test_what_is_counted_is_what_the_person_may_see_and_chose(core, db):
    people = hub_people(db)
    cherwell = hub_people(db, authority="CDC")
    _contract(core, people, "Oxfordshire stationery", date(2026, 4, 1))
    _contract(core, people, "Joint waste", date(2026, 4, 1), authority="JOINT", category="waste")
    _contract(core, cherwell, "Cherwell stationery", date(2026, 4, 1), authority="CDC")

    def live(person, **filters):
        return [s.cases for s in _overview(core, db, person, **filters).states if s.stage == "contract"]

    assert live(people.head) == [2] and live(cherwell.head) == [2]  # their own council's and the joint one
    assert live(people.head, pillar="eni") == [1] and live(people.head, authority="CDC") == [1]
    assert live(create_user(db, ("requester", "OCC"))) == []  # a requester sees only their own requests
