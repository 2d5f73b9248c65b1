"""A person's notifications: which of those asking them to do something no longer wait for them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from ..models import (
    ApprovalStep,
    AuditEvent,
    Case,
    Decision,
    MarketMembership,
    OutboxMessage,
    StepStatus,
    Task,
    TaskStatus,
)
from ..models.outbox import NOBODY_MAY_DECIDE, QUESTION_ASKED, TASK_OVERDUE, TASKS_RAISED, step_named
from ..workflow.engine import Actor, Engine
from . import teams
from .markets import APPLICATION_RECEIVED, APPLICATION_WAITING
from .tasks import may_see_task

APPROVAL_ASKED = ("approval_needed", "approval_chase")  # the request, and its reminder, naming the step


@dataclass(frozen=True)
class Shown:
    """How a person's notifications are shown: which are done (``answered``), and which lead to a page they
    can no longer open (a task handed to someone else), so are not links."""

    done: set[int]
    gone: set[int]


def shown(engine: Engine, session: Session, actor: Actor, messages: list[OutboxMessage]) -> Shown:
    tasks_done, tasks_gone = _tasks_moved_on(session, actor, messages)
    done = _asks_answered(session, actor, messages) | tasks_done | _undecidable_no_longer(engine, session, messages)
    return Shown(done, tasks_gone)


def answered(engine: Engine, session: Session, actor: Actor, messages: list[OutboxMessage]) -> set[int]:
    """Of ``messages``, the ids of those asking ``actor`` to do something that no longer waits for them: an
    approval (``_approvals_answered``), their declaration of interests on a procurement's team (made, or no
    longer owed: taken off the team, the procurement over), a dynamic market's application (decided, by them
    or another of the team), a question put to them as requester (answered since), a task raised for them
    (completed, cancelled or now someone else's), a task they were told is overdue (closed since), an
    administrator's warning of an approval nobody might decide (someone may now, or it is over). A list of
    notifications is a record, so these stay in it, marked as done."""
    return shown(engine, session, actor, messages).done


def _asks_answered(session: Session, actor: Actor, messages: list[OutboxMessage]) -> set[int]:
    """``answered``, but for the tasks."""
    found = _approvals_answered(session, actor, messages)
    declare = {m.id: m.case_id for m in messages if m.kind == teams.KIND and m.case_id}
    if declare:
        owed = {case.id for case in teams.declarations_owed(session, actor.id)}
        found |= {message_id for message_id, case_id in declare.items() if case_id not in owed}
    applications = _naming(messages, (APPLICATION_RECEIVED, APPLICATION_WAITING), "membership_id")
    if applications:
        decided = set(
            session.scalars(
                select(MarketMembership.id).where(
                    MarketMembership.id.in_(set(applications.values())), MarketMembership.decided_on.is_not(None)
                )
            )
        )
        found |= {message_id for message_id, membership_id in applications.items() if membership_id in decided}
    return found | _questions_answered(session, messages)


def _questions_answered(session: Session, messages: list[OutboxMessage]) -> set[int]:
    """The questions put to a requester that they have answered since (the case's information provided)."""
    asked = {m.id: (m.case_id, m.created_at) for m in messages if m.kind == QUESTION_ASKED and m.case_id}
    if not asked:
        return set()
    answered = dict(
        session.execute(
            select(AuditEvent.case_id, func.max(AuditEvent.at))
            .where(
                AuditEvent.case_id.in_({case_id for case_id, _ in asked.values()}), AuditEvent.action == "provide_info"
            )
            .group_by(AuditEvent.case_id)
        ).all()
    )
    return {
        message_id for message_id, (case_id, at) in asked.items() if case_id in answered and answered[case_id] >= at
    }


def _naming(messages: list[OutboxMessage], kinds: tuple[str, ...], key: str) -> dict[int, Any]:
    """The messages of ``kinds`` whose payload names ``key``: each one's id, and what it names."""
    return {m.id: named for m in messages if m.kind in kinds and (named := (m.payload or {}).get(key))}


def _tasks_moved_on(session: Session, actor: Actor, messages: list[OutboxMessage]) -> tuple[set[int], set[int]]:
    """Of the messages about one task: those done (a new task no longer an open task of ``actor``'s, an overdue
    one no longer open, whoever did it), and of those the ones whose task they may no longer open: someone
    else's, and not one they may see (``tasks.may_see_task``)."""
    asked = _naming(messages, (TASKS_RAISED, TASK_OVERDUE), "task_id")
    if not asked:
        return set(), set()
    tasks = session.execute(
        select(Task, Case).outerjoin(Case, Case.id == Task.case_id).where(Task.id.in_(set(asked.values())))
    ).all()
    still_open = {task.id: task.assignee_id for task, _ in tasks if task.status == TaskStatus.OPEN}
    overdue = {m.id for m in messages if m.kind == TASK_OVERDUE}
    closed = {task.id for task, case in tasks if task.assignee_id != actor.id and not may_see_task(actor, task, case)}
    return (
        {
            message_id
            for message_id, task_id in asked.items()
            if task_id not in still_open or (message_id not in overdue and still_open[task_id] != actor.id)
        },
        {message_id for message_id, task_id in asked.items() if task_id in closed},
    )


def _approvals_answered(session: Session, actor: Actor, messages: list[OutboxMessage]) -> set[int]:
    """The requests for ``actor``'s approval (and their reminders) whose step no longer waits for them: it was
    decided by them (or for them, by a delegate), or it is over (decided by others, or the case moved on)."""
    asked = {
        message.id: step_named(message.case_id, step)
        for message in messages
        if message.kind in APPROVAL_ASKED and (step := (message.payload or {}).get("step")) and message.case_id
    }
    if not asked:
        return set()
    decided_by_them = exists().where(Decision.step_id == ApprovalStep.id, Decision.principal_id == actor.id)
    rows = session.execute(
        select(
            ApprovalStep.case_id,
            ApprovalStep.gate,
            ApprovalStep.round,
            ApprovalStep.position,
            ApprovalStep.status.in_(StepStatus.live()) & ~decided_by_them,
        ).where(ApprovalStep.case_id.in_({case_id for case_id, *_ in asked.values()}))
    )
    waiting = {(case_id, gate, round_, position): still for case_id, gate, round_, position, still in rows}
    return {message_id for message_id, step in asked.items() if not waiting.get(step, False)}


def _undecidable_no_longer(engine: Engine, session: Session, messages: list[OutboxMessage]) -> set[int]:
    """The administrators' warnings of an approval step nobody may decide that hold no longer: the step is over
    (decided, or the case moved on), or someone may decide it now (given the role, or back from leave), as
    ``Engine.nobody_may_decide`` sees it today. (A warning sent before it named its step goes by its case.)"""
    told = {
        m.id: (m.case_id, (m.payload or {}).get("step")) for m in messages if m.kind == NOBODY_MAY_DECIDE and m.case_id
    }
    if not told:
        return set()
    case_ids = {case_id for case_id, _ in told.values()}
    stuck = engine.nobody_may_decide(session, session.scalars(select(Case).where(Case.id.in_(case_ids))))
    live = {
        tuple(row)
        for row in session.execute(
            select(ApprovalStep.case_id, ApprovalStep.gate, ApprovalStep.round, ApprovalStep.position).where(
                ApprovalStep.case_id.in_(case_ids), ApprovalStep.status.in_(StepStatus.live())
            )
        )
    }
    return {
        message_id
        for message_id, (case_id, step) in told.items()
        if case_id not in stuck or (step and step_named(case_id, step) not in live)
    }
