"""How a procurement chooses its supplier: the award criteria it sets before inviting tenders (PA23 s23), the
requests to participate a competitive flexible procedure takes first (s20), the tenders it receives, and the
score each tender earns against each criterion (s19: the most advantageous tender wins)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow
from .suppliers import SupplierAsGiven


class CriterionKind(enum.StrEnum):
    QUALITY = "quality"  # scored by the evaluation panel
    SOCIAL_VALUE = "social_value"  # scored by the panel too; the councils' social value policies weight it
    PRICE = "price"  # scored by formula from the prices tendered


class AwardCriterion(Base):
    __tablename__ = "award_criteria"
    __table_args__ = (UniqueConstraint("case_id", "position", name="uq_award_criteria_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    position: Mapped[int]  # 1, 2, 3... the order the tender documents list them in
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # a CriterionKind
    weighting: Mapped[int]  # per cent; a case's criteria add up to 100
    # The lowest score a tender may have on it and stay in the running (a quality threshold), where the tender
    # documents set one; never for price.
    minimum_score: Mapped[int | None]


class Tender(SupplierAsGiven, Base):
    """A tender (or quotation, or call-off response) received. One per supplier, however its name is spelt."""

    __tablename__ = "tenders"
    __table_args__ = (
        UniqueConstraint("case_id", "supplier_key", name="uq_tenders_supplier"),
        Index("ix_tenders_supplier_key", "supplier_key"),  # a supplier's tenders, on its page
        Index(  # a supplier's other names under its registration numbers (its page)
            "ix_tenders_registration",
            "supplier_registration",
            sqlite_where=text("supplier_registration <> ''"),
            postgresql_where=text("supplier_registration <> ''"),
        ),
        Index(  # a supplier found by its PPON (Find a supplier): only the tenders that give one
            "ix_tenders_ppon",
            "supplier_ppon",
            sqlite_where=text("supplier_ppon <> ''"),
            postgresql_where=text("supplier_ppon <> ''"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    price: Mapped[Decimal]  # excluding VAT, as the award value is
    received_on: Mapped[date]
    # The supplier's answer to its competition's reservation (``workflow.reservations``: based in its place, a
    # supported employment provider, a public service mutual); None for a competition not reserved.
    supplier_within_reservation: Mapped[bool | None]
    # Why it was not assessed (late, an excluded supplier, a condition of participation not met); empty when
    # it was assessed.
    not_assessed_because: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ParticipationRequest(SupplierAsGiven, Base):
    """A supplier's request to participate in a competitive flexible procedure, taken before tenders are
    invited (PA23 s20). One per supplier, however its name is spelt."""

    __tablename__ = "participation_requests"
    __table_args__ = (
        UniqueConstraint("case_id", "supplier_key", name="uq_participation_requests_supplier"),
        Index("ix_participation_requests_supplier_key", "supplier_key"),  # a supplier's requests, on its page
        Index(  # a supplier's other names under its registration numbers (its page), as tenders have
            "ix_participation_requests_registration",
            "supplier_registration",
            sqlite_where=text("supplier_registration <> ''"),
            postgresql_where=text("supplier_registration <> ''"),
        ),
        Index(  # a supplier found by its PPON, as tenders have
            "ix_participation_requests_ppon",
            "supplier_ppon",
            sqlite_where=text("supplier_ppon <> ''"),
            postgresql_where=text("supplier_ppon <> ''"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    received_on: Mapped[date]
    # Why the supplier is not to be invited to tender (a condition of participation not met (s22), an excluded
    # supplier (s57), not among the number chosen (s20(4)(b)), not a member of the dynamic market the procedure
    # is restricted to (s34(1))); empty while it is to be invited.
    set_aside_because: Mapped[str] = mapped_column(Text, default="")
    # When the supplier was checked against the exclusion grounds and the central debarment list: an excluded
    # supplier does not progress (s27, s57), so one is invited to tender only once checked.
    exclusions_checked_on: Mapped[date | None]
    # Its answer to the procedure's reservation (s32, s33), as a tender's; None for a procedure not reserved.
    supplier_within_reservation: Mapped[bool | None]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class TenderScore(Base):
    """The panel's agreed (moderated) score for one tender against one quality or social value criterion, with
    the reasons: what the supplier's assessment summary tells it (s50(3))."""

    __tablename__ = "tender_scores"

    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("award_criteria.id", ondelete="CASCADE"), primary_key=True)
    score: Mapped[int]  # 0 to evaluation.TOP_SCORE
    reasons: Mapped[str] = mapped_column(Text)
    scored_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scored_at: Mapped[datetime] = mapped_column(default=utcnow)


class TenderMark(Base):
    """One evaluator's own mark for one tender against one criterion, given before the panel agrees its
    score (``TenderScore``): what the moderation weighs, and what shows the evaluation was independent."""

    __tablename__ = "tender_marks"

    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("award_criteria.id", ondelete="CASCADE"), primary_key=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    score: Mapped[int]
    reasons: Mapped[str] = mapped_column(Text)
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)
