"""Who manages a contract. The contract manager receives its renewal, notice and review tasks, so when the
person changes (a new post holder, a restructure, long leave) the category team hands the contract over:
the open tasks that were theirs go with it, both people are told, and the case's audit chain records it.
"""

from __future__ import annotations

from sqlalchemy import exists, not_, or_, select, update
from sqlalchemy.orm import Session, contains_eager

from ..core import Core
from ..errors import InvalidInput
from ..models import Contract, OutboxMessage, Task, TaskStatus, User
from ..models.people import Colleague, colleagues, in_every
from ..wording import counted
from ..workflow.context import may_manage_contracts
from ..workflow.engine import Actor
from .reading import at_an_end
from .register import lock_contract
from .tasks import checked_reason

KIND = "contract_manager_changed"  # the outbox kind of both messages


def may_assign_contract_manager(actor: Actor, contract: Contract) -> bool:
    """The category team for the contract's council and pillar, or an administrator of that council."""
    return actor.runs_category(contract.authority, contract.pillar)


def manager_choices(core: Core, session: Session, contract: Contract) -> list[Colleague]:
    """Active people holding the Contract Manager role for the contract's council (either, for a joint one)
    and its pillar, by name."""
    authorities = core.governance.organisation.authorities_of(contract.authority)
    return colleagues(session, *may_manage_contracts(authorities, contract.pillar))


def assign_contract_manager(core: Core, contract_id: int, actor_id: int, *, manager_id: int, reason: str = "") -> int:
    """Make ``manager_id`` the contract's manager; returns how many open tasks were handed over with it."""
    reason = checked_reason(reason)
    with core.db.unit_of_work() as session:
        contract, case = lock_contract(core, session, contract_id)
        actor = core.engine.actor(session, actor_id)
        core.engine.require_category_team(actor, contract.authority, contract.pillar, to="change the contract manager")
        choices = {person.id: person.full_name for person in manager_choices(core, session, contract)}
        if manager_id not in choices:
            raise InvalidInput(
                {"manager_id": "Choose someone who holds the Contract Manager role for this council and pillar"}
            )
        if manager_id == contract.contract_manager_id:
            raise InvalidInput({"manager_id": f"{choices[manager_id]} already manages this contract"})
        now = core.engine.clock()
        previous, moved = _hand_over(core, session, contract, case, actor_id, manager_id, reason, now)
        named = f"{contract.reference} {contract.title}"
        handed = counted(moved, "open task") if moved else "No open tasks"
        because = f"\n\nReason: {reason}" if reason else ""
        about = {"case_id": contract.case_id, "payload": {"case_id": contract.case_id, "contract_id": contract.id}}
        welcome = f"{handed} came to you with it.{because}"
        session.add(OutboxMessage.queued(KIND, manager_id, f"You now manage {named}", welcome, now, **about))
        if previous not in (manager_id, actor_id) and session.get(User, previous).is_active:
            subject = f"{named} is now managed by {choices[manager_id]}"
            session.add(OutboxMessage.queued(KIND, previous, subject, f"{handed} went with it.{because}", now, **about))
        return moved


def contracts_managed_by(core: Core, session: Session, person_id: int, actor: Actor) -> list[Contract]:
    """The contracts ``person_id`` manages that ``actor`` may hand over (their category team's, or their
    council's as its administrator), by reference: the running ones, and those that ended still owing them
    an open task (a termination notice to publish), which would otherwise stay with someone who has left
    until it fell overdue. Other ended ones keep who managed them. Each comes with its case."""
    owes_them_work = exists().where(
        Task.case_id == Contract.case_id, Task.status == TaskStatus.OPEN, Task.assignee_id == person_id
    )
    rows = session.scalars(
        select(Contract)
        .join(Contract.case)
        .options(contains_eager(Contract.case))
        .where(Contract.contract_manager_id == person_id, or_(not_(at_an_end(core)), owes_them_work))
        .order_by(Contract.reference)
    )
    return [contract for contract in rows if may_assign_contract_manager(actor, contract)]


def takers_of_all(core: Core, session: Session, contracts: list[Contract], person_id: int) -> list[Colleague]:
    """Who could take every one of ``contracts`` from ``person_id``: the contract managers each of them may
    go to, by name."""
    return in_every(
        [p for p in manager_choices(core, session, contract) if p.id != person_id] for contract in contracts
    )


def hand_over_all(core: Core, person_id: int, actor_id: int, *, manager_id: int, reason: str = "") -> tuple[int, int]:
    """Hand every contract ``person_id`` manages that the actor may hand over (``contracts_managed_by``:
    someone leaving, or moving post) to ``manager_id``, with their open tasks, all or none; each contract's
    audit chain records it, and the new manager is sent one message listing them. (How many contracts, how
    many tasks.)"""
    reason = checked_reason(reason)
    with core.db.unit_of_work() as session:
        actor = core.engine.actor(session, actor_id)
        contracts = contracts_managed_by(core, session, person_id, actor)
        if not contracts:
            raise InvalidInput({"manager_id": "They manage no contract that you can hand over"})
        if manager_id not in {person.id for person in takers_of_all(core, session, contracts, person_id)}:
            raise InvalidInput(
                {"manager_id": "Choose someone who holds the Contract Manager role for the council and pillar of "
                 "every one of these contracts"}
            )  # fmt: skip
        now = core.engine.clock()
        moved = 0
        for contract in contracts:
            locked, case = lock_contract(core, session, contract.id)
            moved += _hand_over(core, session, locked, case, actor_id, manager_id, reason, now)[1]
        named = "\n".join(f"- {c.reference} {c.title}" for c in contracts)
        handed = counted(moved, "open task") if moved else "No open tasks"
        because = f"\n\nReason: {reason}" if reason else ""
        subject = f"You now manage {counted(len(contracts), 'more contract')}"
        body = f"{named}\n\n{handed} came to you with them.{because}"
        session.add(OutboxMessage.queued(KIND, manager_id, subject, body, now, case_id=None))
        return len(contracts), moved


def _hand_over(
    core: Core, session: Session, contract: Contract, case, actor_id: int, manager_id: int, reason: str, now
) -> tuple[int, int]:
    """Make ``manager_id`` the contract's manager, with the open tasks of the one before, on its case's
    audit chain: (the one before, how many tasks went). The tasks go whether raised on the contract (renewal,
    notice date, reviews) or on its case (a statutory notice it owes, such as its change notice)."""
    # Until someone is named, the scheduler gives a contract's tasks to whoever requested it.
    previous = contract.contract_manager_id or case.requester_id
    contract.contract_manager_id = manager_id
    moved = session.execute(
        update(Task)
        .where(Task.case_id == contract.case_id, Task.status == TaskStatus.OPEN, Task.assignee_id == previous)
        .values(assignee_id=manager_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    core.engine.note_case_event(
        session,
        case,
        actor_id=actor_id,
        action="assign_contract_manager",
        data={"contract_id": contract.id, "from": previous, "to": manager_id, "tasks_handed_over": moved},
        comment=reason,
        now=now,
    )
    return previous, moved
