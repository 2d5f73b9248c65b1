"""The written record of a decision the system saw taken (Openness of Local Government Bodies Regulations 2014,
reg 7, for an officer's; the 2012 Access to Information Regulations, regs 12 and 13, for the Executive's): what
was decided, when, by whom, why, the alternatives weighed and the conflicts of interest declared. Written with
the decision, in its transaction, and never changed after: it says what was known when it was taken."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class DecisionRecord(Base):
    __tablename__ = "decision_records"
    # A council's records are listed by when they were taken.
    __table_args__ = (Index("ix_decision_records_council", "authority", "decided_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    authority: Mapped[str] = mapped_column(String(10))  # the case's: a joint case's is both councils'
    decided_at: Mapped[datetime]
    by_executive: Mapped[bool]  # an Executive (key) decision, not an officer's
    # The rule an Executive decision was taken under without 28 clear days on the forward plan, if any: a
    # statutory.KeyDecisionUrgency (the council reports those taken under special urgency, reg 19).
    urgency: Mapped[str | None] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(300))  # "Award of the contract for Office chairs"
    decision: Mapped[str] = mapped_column(Text)
    reasons: Mapped[str] = mapped_column(Text)
    alternatives: Mapped[str] = mapped_column(Text)
    conflicts: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(Text)  # each approver, their role, and for whom they acted
    value: Mapped[Decimal]  # what the decision awards or commits, excluding VAT
