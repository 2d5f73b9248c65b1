"""Completing a task records a decision the contract allows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from provision_cycle.errors import InvalidInput
from provision_cycle.models import Task
from provision_cycle.services.tasks import NewTask, complete_task, raise_task
from tests.factories import hub_people
from tests.web.helpers import seed_contracts


def test_a_renewal_decision_to_extend_needs_an_extension_option_left(core, db):
    from decimal import Decimal

    from provision_cycle.services.register import ExistingContract, import_contract

    people = hub_people(db)
    today = core.engine.today()
    with core.db.unit_of_work() as session:
        contract = import_contract(
            core,
            session,
            ExistingContract(
                title="Grounds maintenance", authority="OCC", category="corporate_supplies", contract_type="services",
                supplier_name="Green Ltd", value=Decimal("80000"), start_date=today - timedelta(days=700),
                end_date=today + timedelta(days=60), extension_months_available=12,
                contract_manager_id=people.contract_manager,
            ),
            actor_id=people.officer,
        )  # fmt: skip
        with_options = raise_task(
            core, session, NewTask("renewal_decision", "Decide", today, people.contract_manager, contract_id=contract.id),
            actor_id=people.officer,
        )  # fmt: skip
    [without_options] = seed_contracts(core, people, 1)
    with core.db.unit_of_work() as session:
        exhausted = raise_task(
            core, session, NewTask("renewal_decision", "Decide", today, people.contract_manager, contract_id=without_options),
            actor_id=people.officer,
        )  # fmt: skip
    complete_task(core, with_options, people.contract_manager, outcome="extend", note="Twelve months more")
    with pytest.raises(InvalidInput, match="no extension options left"):
        complete_task(core, exhausted, people.contract_manager, outcome="extend")
    with db.reading() as session:
        assert (session.get(Task, with_options).outcome, session.get(Task, exhausted).status) == ("extend", "open")


def test_the_assignee_hears_when_a_colleague_completes_or_snoozes_their_task(core, db):
    from sqlalchemy import select

    from provision_cycle.models import OutboxMessage
    from provision_cycle.services.tasks import snooze_task
    from tests.web.helpers import renewal_task

    people = hub_people(db)
    first, second = seed_contracts(core, people, 2)
    snoozed = renewal_task(core, people, first, "Decide the first")
    completed = renewal_task(core, people, second, "Decide the second")
    today = core.engine.today()
    snooze_task(core, snoozed, people.officer, until=today + timedelta(days=7), reason="Waiting for the budget")
    complete_task(core, completed, people.officer, outcome="recommission", note="A new specification")
    complete_task(core, snoozed, people.contract_manager, outcome="let_expire")  # their own: nobody is told
    with db.reading() as session:
        told = session.execute(
            select(OutboxMessage.recipient_id, OutboxMessage.subject, OutboxMessage.body)
            .where(OutboxMessage.kind == "task_covered")
            .order_by(OutboxMessage.id)
        ).all()
    until = today + timedelta(days=7)
    assert [tuple(row) for row in told] == [
        (people.contract_manager, "Olive Officer snoozed your task: Decide the first",
         f"Until {until.day} {until:%B %Y}: Waiting for the budget"),
        (people.contract_manager, "Olive Officer completed your task: Decide the second",
         "Re-commission: start a new procurement. A new specification"),
    ]  # fmt: skip
