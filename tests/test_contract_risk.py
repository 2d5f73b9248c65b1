"""A contract's risk rating, reassessed as the contract goes: by its manager or its category team, saying why;
it sets how often the contract is reviewed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from provision_cycle.errors import InvalidAction, InvalidInput, NotPermitted
from provision_cycle.models import AuditEvent, Case, Contract, OutboxMessage
from provision_cycle.services.contract_risk import set_contract_risk
from tests.factories import hub_people, register_contract


def test_a_contracts_risk_is_rated_again_with_a_reason_and_its_reviews_follow(core, db):
    people = hub_people(db)
    today = core.engine.today()
    contract = register_contract(
        core, people, value="50000", starts=today - timedelta(days=30), ends=today + timedelta(days=700)
    )
    for risk, reason, problem in (
        ("severe", "Going badly", {"risk": "Choose low, medium or high"}),
        ("high", " ", {"reason": "Say why its risk is now this: it sets how often the contract is reviewed"}),
        ("medium", "As before", {"risk": "Its risk is medium already"}),
    ):
        with pytest.raises(InvalidInput) as refused:
            set_contract_risk(core, contract.id, people.contract_manager, risk=risk, reason=reason)
        assert refused.value.fields == problem
    with pytest.raises(NotPermitted):
        set_contract_risk(core, contract.id, people.requester, risk="high", reason="Not mine to say")

    # Its manager: reviewed quarterly now (schedule.yaml: high risk every 3 months); nobody else to tell.
    every = set_contract_risk(core, contract.id, people.contract_manager, risk="high", reason="Two missed visits")
    assert every == 3
    # The category team lowers it again: its manager hears.
    set_contract_risk(core, contract.id, people.officer, risk="low", reason="A clean year since")
    with db.reading() as session:
        assert session.get(Contract, contract.id).risk == "low"
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "set_contract_risk").order_by(AuditEvent.id)
        ).all()
        told = session.execute(
            select(OutboxMessage.recipient_id, OutboxMessage.subject, OutboxMessage.body).where(
                OutboxMessage.kind == "contract_risk_changed"
            )
        ).all()
    assert [(e.data["from"], e.data["to"], e.data["reviewed_every_months"], e.comment) for e in events] == [
        ("medium", "high", 3, "Two missed visits"),
        ("high", "low", 12, "A clean year since"),
    ]
    assert {e.case_id for e in events} == {contract.case_id}
    assert [(who, subject) for who, subject, _ in told] == [
        (people.contract_manager, f"{contract.reference} Highways maintenance is now low risk")
    ]
    assert told[0].body.startswith("Olive Officer rated it low risk (it was high): reviewed every 12 months now.")

    # Once it has ended, its risk no longer sets anything.
    with db.unit_of_work() as session:
        session.get(Case, contract.case_id).state = "expired"
    with pytest.raises(InvalidAction, match="The contract has ended"):
        set_contract_risk(core, contract.id, people.contract_manager, risk="high", reason="Too late")
