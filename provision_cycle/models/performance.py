"""How a contract's supplier performs: the key performance indicators set for it (PA23 s52) and the
assessments against them, each published as a contract performance notice (s71, UK9)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Json, utcnow


class ContractKpi(Base):
    __tablename__ = "contract_kpis"
    __table_args__ = (UniqueConstraint("contract_id", "position", name="uq_contract_kpis_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))
    position: Mapped[int]  # 1, 2, 3... the order the contract lists them in
    name: Mapped[str] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(String(500), default="")  # how it is measured, and what is expected


class KpiAssessment(Base):
    """One assessment of the supplier against the contract's KPIs for a period, as its notice published it: the
    KPIs are copied in (``ratings``), so changing them later does not rewrite what was assessed."""

    __tablename__ = "kpi_assessments"
    __table_args__ = (Index("ix_kpi_assessments_contract", "contract_id", "period_ends"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))
    period_starts: Mapped[date]
    period_ends: Mapped[date]
    # [{"name": ..., "target": ..., "rating": "good", "comment": ...}], one per KPI, in the contract's order
    ratings: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    published_on: Mapped[date]  # the contract performance notice
    notice_id: Mapped[str] = mapped_column(String(40), default="")
    assessed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
