"""Dynamic markets (Procurement Act 2023 s34-39): a council's list of suppliers who meet its conditions for
membership, open to new members for as long as it runs, from whose members it awards contracts by competition.
A market's life is in its notices (intention, establishment, modifications, cessation); its members' in their
applications (admitted or refused, and removed)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .suppliers import SupplierAsGiven


class MarketNoticeKind(enum.StrEnum):
    """The dynamic market notices of s39, by their Find a Tender numbers."""

    INTENTION = "UK13"  # before the market is established (s39(2))
    ESTABLISHMENT = "UK14"  # as soon as reasonably practicable after it is
    MODIFICATION = "UK15"  # as soon as reasonably practicable after a change to it
    CESSATION = "UK16"  # as soon as reasonably practicable after it ceases


class DynamicMarket(Base):
    __tablename__ = "dynamic_markets"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(30), unique=True)  # DM-000001, given once inserted
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")  # what contracts it will be used to award
    # The conditions for membership (s36): what a supplier must show to join. Fixed by the intention notice.
    conditions: Mapped[str] = mapped_column(Text)
    authority: Mapped[str] = mapped_column(String(10))  # an authority code, or JOINT
    pillar: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(60))
    # Its parts (lots), in order: those the intention notice named, then any a modification added (a part
    # keeps its number: a procurement names it "DM-000001/2"); none for a market in one piece. A member is
    # admitted to some or all of them, and a procurement may take part only one's members (s34).
    parts: Mapped[list[Any]] = mapped_column(default=list)  # of str
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)  # one change at a time: each change locks and bumps it

    notices: Mapped[list[MarketNotice]] = relationship(order_by="(MarketNotice.published_on, MarketNotice.id)")
    memberships: Mapped[list[MarketMembership]] = relationship(order_by="MarketMembership.id", back_populates="market")


class MarketNotice(Base):
    __tablename__ = "market_notices"
    __table_args__ = (Index("ix_market_notices_market_id", "market_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("dynamic_markets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # a MarketNoticeKind
    published_on: Mapped[date]
    summary: Mapped[str] = mapped_column(Text, default="")  # what a modification changed, or why the market ends
    parts_added: Mapped[list[Any]] = mapped_column(default=list)  # of str: the parts a modification added
    notice_id: Mapped[str] = mapped_column(String(40), default="")  # Find a Tender's, like 012345-2026, if given
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class MarketMembership(SupplierAsGiven, Base):
    """A supplier's application to join a market and what became of it. A supplier refused or removed may
    apply again: a new row. A member of a market in parts may apply for more of them: a row of its own
    (``extends``), whose parts, once admitted, join the membership's."""

    __tablename__ = "market_memberships"
    __table_args__ = (
        Index("ix_market_memberships_market_id", "market_id"),
        Index("ix_market_memberships_supplier_key", "supplier_key"),  # a supplier's markets, on its page
        Index(  # a supplier's other names under its registration numbers (its page)
            "ix_market_memberships_registration",
            "supplier_registration",
            sqlite_where=text("supplier_registration <> ''"),
            postgresql_where=text("supplier_registration <> ''"),
        ),
        Index(  # a supplier found by its PPON (Find a supplier)
            "ix_market_memberships_ppon",
            "supplier_ppon",
            sqlite_where=text("supplier_ppon <> ''"),
            postgresql_where=text("supplier_ppon <> ''"),
        ),
        # The applications awaiting a decision, by market: a few among a market's years of them, which the
        # markets page, the overview and the hourly reminder look for.
        Index(
            "ix_market_memberships_undecided",
            "market_id",
            sqlite_where=text("decided_on IS NULL"),
            postgresql_where=text("decided_on IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("dynamic_markets.id", ondelete="CASCADE"))
    applied_on: Mapped[date]
    # The market's parts it applied for and, once admitted, those it was admitted to (a market in one piece:
    # none).
    parts: Mapped[list[Any]] = mapped_column(default=list)  # of str
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The decision: admitted (after checking the supplier is not excluded, s36(3)) or refused, with why.
    decided_on: Mapped[date | None]
    admitted: Mapped[bool | None]
    exclusions_checked_on: Mapped[date | None]
    refused_because: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Taken off the market (s37: excluded, excludable, or no longer meeting the conditions).
    removed_on: Mapped[date | None]
    removed_because: Mapped[str] = mapped_column(Text, default="")
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # When the scheduler reminded the category team that it still waits for a decision (once).
    reminded_at: Mapped[datetime | None]

    # For an application for more parts by a member: the membership it would extend.
    extends_id: Mapped[int | None] = mapped_column(ForeignKey("market_memberships.id", ondelete="CASCADE"))

    market: Mapped[DynamicMarket] = relationship(back_populates="memberships")

    @property
    def waiting(self) -> bool:
        return self.decided_on is None

    @property
    def member(self) -> bool:
        return bool(self.admitted) and self.removed_on is None and self.extends_id is None

    @property
    def standing(self) -> str:
        """What became of the application: "waiting", "member", "removed" or "refused"; or, of an
        application for more parts, "extended" once its parts joined the membership's."""
        if self.waiting:
            return "waiting"
        if self.member:
            return "member"
        if self.admitted:
            return "extended" if self.extends_id is not None else "removed"
        return "refused"
