"""The frameworks the councils call off from: their own and other bodies' (Crown Commercial Service, ESPO, YPO).
A call-off is made only while its framework runs, and keeps its framework's law: a call-off under a framework
procured under the Public Contracts Regulations 2015 stays under them, whenever it starts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class Framework(Base):
    __tablename__ = "frameworks"
    __table_args__ = (UniqueConstraint("provider", "reference", "lot", name="uq_frameworks_provider_reference_lot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(200))  # who established it: "Crown Commercial Service", a council
    reference: Mapped[str] = mapped_column(String(60))  # the provider's, like "RM6098"
    lot: Mapped[str] = mapped_column(String(200), default="")  # the lot the councils use, if it has lots
    title: Mapped[str] = mapped_column(String(200))
    # The law it was procured under (a statutory.Regime): its call-offs follow it.
    regime: Mapped[str] = mapped_column(String(20))
    starts_on: Mapped[date]
    ends_on: Mapped[date]  # the last day a call-off may be made under it
    # An open framework (PA23 s49): a scheme re-opened to new suppliers during its term, which may run to eight
    # years where another framework runs to four (s47). The Act's alone.
    open_framework: Mapped[bool] = mapped_column(default=False)
    # Established by the councils themselves (their own framework, not a buying organisation's): theirs, then, is
    # the duty to re-open an open framework in time (s49(2)(a)), a task the scheduler raises for its keeper.
    council_established: Mapped[bool] = mapped_column(default=False)
    # A dynamic purchasing system established under the PCR 2015 (reg 34), not a framework agreement: its
    # contracts go to its admitted suppliers after a competition among them, owe a contract award notice each
    # (reg 50(5)) and no standstill (reg 86(5)); it runs to 23 February 2029 at the latest (the Act's
    # transitional provisions). Recorded here, as its contracts are called off from it much as a framework's.
    dps: Mapped[bool] = mapped_column(default=False)
    # The councils that may call off from it (an authority code, or JOINT for both).
    authority: Mapped[str] = mapped_column(String(10))
    notes: Mapped[str] = mapped_column(Text, default="")  # how to call off (direct award or further competition), fees
    # The suppliers party to it (for the lot the councils use), as its provider lists them; none where they were
    # not recorded. Listed, a call-off takes tenders from them alone and goes to one of them.
    suppliers: Mapped[list[Any]] = mapped_column(default=list)  # of str
    # It sets out the core terms and an objective mechanism for choosing the supplier, so a call-off may be
    # awarded without a further competition among its suppliers (PA23 s45(4)(b); one with a single supplier
    # may always be, s45(4)(a)).
    direct_award: Mapped[bool] = mapped_column(default=False)
    # The fee its provider charges on each call-off, as a percentage of the call-off's value (PA23 s45(7): a
    # fixed percentage; a levy under the PCR 2015 frameworks alike); None where it charges none, or is unknown.
    fee_percent: Mapped[Decimal | None]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)


class FrameworkReopening(Base):
    """An open framework re-opened: the award of the next framework in its scheme (PA23 s49(1)), on
    substantially the same terms, to the suppliers listed then (new ones joining, PA23 s49(4)-(5)); the
    framework before it expires on that award (s49(2)(b)). The register's framework is the scheme, its
    ``suppliers`` those of the latest award."""

    __tablename__ = "framework_reopenings"

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="CASCADE"), index=True)
    awarded_on: Mapped[date]
    suppliers: Mapped[list[Any]] = mapped_column(default=list)  # of str: those party to the framework awarded
    suppliers_before: Mapped[list[Any]] = mapped_column(default=list)  # of str: the register's list it replaced
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
