"""Cases moving through the provision cycle, their frozen approval route, decisions and deadlines."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ColumnElement, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy import case as sql_case
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow


class Stage(enum.StrEnum):
    COMMISSIONING = "commissioning"
    PROCUREMENT = "procurement"
    CONTRACT = "contract"


class StepStatus(enum.StrEnum):
    WAITING = "waiting"  # a later step in a gate, not yet reached
    OPEN = "open"  # waiting on its approvers
    INFO_REQUESTED = "info_requested"  # an approver asked the requester for more information
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"  # returned for rework: the next round starts afresh from the frozen route
    CANCELLED = "cancelled"  # the case left the gate another way (withdrawn, returned at an earlier step)

    @classmethod
    def live(cls) -> tuple[StepStatus, ...]:
        return (cls.OPEN, cls.INFO_REQUESTED)


class Outcome(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return"
    REQUEST_INFO = "request_info"


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_state", "stage", "state"),
        Index("ix_cases_requester", "requester_id"),
        # A council's procurements of a kind in a year: those that may be one requirement (workflow.aggregation);
        # led by the council, it serves too whom the cases page shows a case (its council's staff).
        Index("ix_cases_of_a_kind", "authority", "category", "contract_type", "created_at"),
        Index("ix_cases_parent", "parent_case_id"),
        CheckConstraint("estimated_value >= 0", name="value_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(30), unique=True)
    stage: Mapped[str] = mapped_column(String(20))
    workflow: Mapped[str] = mapped_column(String(40))
    workflow_version: Mapped[int]
    state: Mapped[str] = mapped_column(String(40))
    # Bumped by every change through the engine: the optimistic lock that tells a stale form or API
    # client "this case has changed since you opened it".
    version: Mapped[int] = mapped_column(default=1)

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    authority: Mapped[str] = mapped_column(String(10))  # an authority code, or JOINT
    pillar: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(60))
    contract_type: Mapped[str] = mapped_column(String(20))
    # Estimated total value over the whole term, including options and extensions, EXCLUDING VAT.
    # Local bands are set ex-VAT; statutory thresholds compare the VAT-inclusive figure (see governance).
    estimated_value: Mapped[Decimal]
    vat_treatment: Mapped[str] = mapped_column(String(20), default="standard")
    route: Mapped[str | None] = mapped_column(String(40))
    regime: Mapped[str | None] = mapped_column(String(20))
    key_decision: Mapped[bool] = mapped_column(default=False)
    commencement_date: Mapped[date | None]
    proposed_start: Mapped[date | None]
    duration_months: Mapped[int | None]

    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    parent_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    # The approval route frozen at submission: gates, their steps, and why each applies.
    route_plan: Mapped[dict[str, Any] | None]
    # Stage-specific facts gathered along the way (justification, supplier, notice dates, ...).
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    # Head of this case's audit hash chain, kept on the row we already lock, so appending an event
    # needs no extra query.
    audit_seq: Mapped[int] = mapped_column(default=0)
    audit_head: Mapped[str] = mapped_column(String(64), default="")

    requester = relationship("User", foreign_keys=[requester_id])
    parent = relationship("Case", remote_side=[id], foreign_keys=[parent_case_id])
    steps: Mapped[list[ApprovalStep]] = relationship(
        back_populates="case", order_by="(ApprovalStep.round, ApprovalStep.gate_order, ApprovalStep.position)"
    )

    def __repr__(self) -> str:
        return f"<Case {self.reference or self.id} {self.workflow}@{self.state}>"


class ApprovalStep(Base):
    """One step of a governance gate in one round; a returned case starts a new round."""

    __tablename__ = "approval_steps"
    __table_args__ = (
        UniqueConstraint("case_id", "gate", "round", "position", name="uq_approval_steps_slot"),
        # The invariant "at most one live step per gate" is the database's to keep, not Python's.
        Index(
            "ux_approval_steps_live",
            "case_id",
            "gate",
            unique=True,
            sqlite_where=text("status IN ('open', 'info_requested')"),
            postgresql_where=text("status IN ('open', 'info_requested')"),
        ),
        Index("ix_approval_steps_queue", "status", "role", "authority"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    gate: Mapped[str] = mapped_column(String(40))
    gate_order: Mapped[int] = mapped_column(default=0)
    round: Mapped[int] = mapped_column(default=1)
    position: Mapped[int]
    role: Mapped[str] = mapped_column(String(40))
    authority: Mapped[str] = mapped_column(String(10))
    pillar: Mapped[str | None] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(10), default="any")  # any | all | n_of_m
    required: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(20), default=StepStatus.WAITING)
    reason: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # When its requester last answered a question an approver asked at it: back with its approvers since then.
    answered_at: Mapped[datetime | None]
    # Approval SLA chasing (the scheduler): when the approvers were reminded, and when it was escalated.
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship(back_populates="steps")
    decisions: Mapped[list[Decision]] = relationship(back_populates="step", order_by="Decision.id")

    @hybrid_property
    def with_approvers_since(self) -> datetime | None:
        """Since when the step has waited on its approvers: its opening, or its requester's latest answer to a
        question asked at it if later (the days the question waited on the requester are not the approvers')."""
        return max(filter(None, (self.opened_at, self.answered_at)), default=None)

    @with_approvers_since.inplace.expression
    @classmethod
    def _with_approvers_since(cls) -> ColumnElement[datetime | None]:
        return sql_case((cls.answered_at > cls.opened_at, cls.answered_at), else_=cls.opened_at)


class Decision(Base):
    __tablename__ = "decisions"
    # One decision per person whose authority is used (the delegator, when a delegate acts).
    __table_args__ = (UniqueConstraint("step_id", "principal_id", name="uq_decisions_principal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("approval_steps.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    principal_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    step: Mapped[ApprovalStep] = relationship(back_populates="decisions")


class ConflictDeclaration(Base):
    """A person's declaration of interests for one case. Append-only: the latest one counts."""

    __tablename__ = "conflict_declarations"
    __table_args__ = (Index("ix_conflict_declarations_person", "case_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    has_conflict: Mapped[bool]
    details: Mapped[str] = mapped_column(Text, default="")
    mitigation: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def blocks(self) -> bool:
        return declaration_blocks(self.has_conflict, self.mitigation)


def declaration_blocks(has_conflict: bool, mitigation: str) -> bool:
    """A declared conflict with no mitigation stops the person deciding or evaluating (PA23 s82)."""
    return has_conflict and not mitigation.strip()


class TeamPart(enum.StrEnum):
    PROCUREMENT = "procurement"  # runs the procurement: officers, advisers, the contract's future manager
    EVALUATION = "evaluation"  # scores the tenders


class CaseTeamMember(Base):
    """A person named on a case's procurement team or evaluation panel. Each of them must have declared their
    interests before the conflicts assessment is complete (Procurement Act 2023 s83)."""

    __tablename__ = "case_team_members"
    __table_args__ = (UniqueConstraint("case_id", "user_id", name="uq_case_team_members_person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    part: Mapped[str] = mapped_column(String(20))
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseDeadline(Base):
    """A dated duty on a case (standstill end, a notice due). Unique per case and kind, so raising is idempotent."""

    __tablename__ = "case_deadlines"
    __table_args__ = (
        UniqueConstraint("case_id", "kind", name="uq_case_deadlines_kind"),
        Index("ix_case_deadlines_due", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    due_on: Mapped[date]
    basis: Mapped[str] = mapped_column(Text)  # how it was computed, with the statutory source
    met_at: Mapped[datetime | None]


class WorkflowVersion(Base):
    """What each workflow version's graph was when a release first ran it (``workflow.versions``): a case keeps
    the version it started on, so a version's states and moves must not change under the cases on it."""

    __tablename__ = "workflow_versions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of the graph, hex
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
