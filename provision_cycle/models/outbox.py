"""Notifications written in the same transaction as the event that causes them; a job delivers them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

TASKS_RAISED = "tasks_raised"  # the outbox kind telling someone of tasks raised for them
TASK_OVERDUE = "task_overdue"  # the outbox kind telling whoever oversees them of tasks still open after their date
QUESTION_ASKED = "info_requested"  # the outbox kind telling a requester an approver asks them something
NOBODY_MAY_DECIDE = "approval_undecidable"  # telling administrators a step opened that nobody may decide
TASK_COVERED = "task_covered"  # a colleague completed, snoozed or passed on someone's task for them
REVIEW_ESCALATED = "review_escalated"  # telling a Head of Category a contract review was escalated to them


def naming_step(gate: str, round_: int, position: int) -> dict[str, Any]:
    """How a message's payload names the approval step it is about (``payload["step"]``): an approval email's
    action link is bound to it, and a list of notifications asks whether it still waits (``step_named``)."""
    return {"gate": gate, "round": round_, "position": position}


def step_named(case_id: int, step: dict[str, Any]) -> tuple[int, str, int, int]:
    """The step a message's ``naming_step`` names, as (case, gate, round, position)."""
    return case_id, step["gate"], step["round"], step["position"]


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    audit_event_id: Mapped[int | None] = mapped_column(ForeignKey("audit_events.id"))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | sending | sent | failed | withheld
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")

    @classmethod
    def queued(
        cls,
        kind: str,
        recipient_id: int,
        subject: str,
        body: str,
        now: datetime,
        *,
        case_id: int | None,
        payload: dict[str, Any] | None = None,
    ) -> OutboxMessage:
        """A message to send as soon as the delivery job runs; the subject clipped to fit an email's."""
        return cls(
            kind=kind,
            recipient_id=recipient_id,
            case_id=case_id,
            subject=subject[:300],
            body=body,
            payload=payload if payload is not None else {"case_id": case_id},
            created_at=now,
            next_attempt_at=now,
        )

    @property
    def page(self) -> str | None:
        return page_of(self)


def page_of(message: Any) -> str | None:
    """The path of the page a notification (an ``OutboxMessage``, or a row of its columns) is about, for its
    email and the app's lists: for tasks raised or overdue the task, where it is one, or the person's tasks
    (they may span many cases); else a page of its own (the list of the tasks it names, or a dynamic market's:
    ``payload["open"]``), else its case."""
    payload = message.payload or {}
    if message.kind in (TASKS_RAISED, TASK_OVERDUE) and payload.get("task_id"):
        return f"/tasks/{payload['task_id']}"
    if message.kind == TASKS_RAISED:
        return "/tasks/"
    if payload.get("open"):
        return payload["open"]
    return f"/cases/{message.case_id}" if message.case_id else None
