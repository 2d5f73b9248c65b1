"""A contract's risk rating (low, medium, high). With its value it sets how often the contract is reviewed
(``config/schedule.yaml``, reviews), so it is reassessed as the contract goes: a review that finds improvement
needed may raise it, a steady record lower it. Whoever manages the contract, or its category team, changes it,
saying why; the case's audit chain records it, and its manager hears where someone else did. The review sweep
reads the rating as it is, and looks at the contract again: the next reviews fall at the new cadence."""

from __future__ import annotations

from ..core import Core
from ..errors import InvalidAction, InvalidInput, NotPermitted
from ..models.contracts import CONTRACT_RISKS
from ..scheduling.config import schedule_for
from ..wording import counted
from .contract_record import may_keep_contract, tell_its_manager
from .register import lock_contract
from .tasks import checked_reason

KIND = "contract_risk_changed"  # the outbox kind telling a contract's manager someone else changed its risk


def set_contract_risk(core: Core, contract_id: int, actor_id: int, *, risk: str, reason: str) -> int:
    """Rate the contract's risk ``risk``, saying why (required: it changes how often it is reviewed); returns
    the months between its reviews now."""
    reason = checked_reason(reason)
    problems = {}
    if risk not in CONTRACT_RISKS:
        problems["risk"] = "Choose low, medium or high"
    if not reason:
        problems["reason"] = "Say why its risk is now this: it sets how often the contract is reviewed"
    if problems:
        raise InvalidInput(problems)
    with core.db.unit_of_work() as session:
        contract, case = lock_contract(core, session, contract_id)
        actor = core.engine.actor(session, actor_id)
        if not may_keep_contract(actor, contract):
            raise NotPermitted("Only the contract's manager or its category team can change its risk")
        if core.workflows.state_of(case).renewal is None:
            raise InvalidAction("The contract has ended: its risk no longer sets when it is reviewed")
        if risk == contract.risk:
            raise InvalidInput({"risk": f"Its risk is {risk} already"})
        before, contract.risk = contract.risk, risk
        contract.reviews_moved_at = core.engine.clock()  # the review sweep looks at it again, at its new cadence
        every = schedule_for(core).review_every(contract.value, risk)
        data = {"contract_id": contract.id, "from": before, "to": risk, "reviewed_every_months": every}
        core.engine.note_case_event(
            session, case, actor_id=actor_id, action="set_contract_risk", data=data, comment=reason
        )
        body = (
            f"{actor.full_name} rated it {risk} risk (it was {before}): reviewed every {counted(every, 'month')} "
            f"now.\n\nReason: {reason}"
        )
        tell_its_manager(core, session, contract, actor_id, KIND, f"is now {risk} risk", body)
        return every
