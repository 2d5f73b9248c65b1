"""The contract register. A contract's lifecycle state lives on its contract-management case."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..governance.calendar import term_months
from .base import Base, utcnow
from .suppliers import KEY_LENGTH, supplier_key

DEFAULT_NOTICE_PERIOD_DAYS = 90
# The longest a contract's term, its extension options or its notice period can be: beyond them a figure is a
# typing error (and would overflow the dates worked out from it).
LONGEST_TERM_MONTHS = 600
LONGEST_NOTICE_DAYS = 3650

EXPIRY_INDEX_COLUMNS = (
    "end_date",
    "authority",
    "pillar",
    "value",
    "case_id",
    "contract_manager_id",
    "created_at",
    "id",
)


# How risky a contract is judged to be: its review cadence can depend on it (config/schedule.yaml).
CONTRACT_RISKS = ("low", "medium", "high")


class Contract(Base):
    __tablename__ = "contracts"
    __table_args__ = (
        # Covering index for the expiry sweeps: a range on end_date carrying every column the renewal sweep
        # reads (id too: PostgreSQL indexes do not carry it), so the sweep never visits the table.
        Index("ix_contracts_expiry", *EXPIRY_INDEX_COLUMNS),
        Index("ix_contracts_register", "authority", "pillar", "category"),
        Index("ix_contracts_created", "created_at"),  # the incremental renewal sweep: contracts added since
        Index("ix_contracts_supplier", "supplier_key"),  # a supplier's contracts, and its payments' match
        # A supplier's other names under its registration numbers (its page): only the contracts that give one.
        Index(
            "ix_contracts_registration",
            "supplier_registration",
            sqlite_where=text("supplier_registration <> ''"),
            postgresql_where=text("supplier_registration <> ''"),
        ),
        # A supplier found by its PPON (Find a supplier): only the contracts that give one.
        Index(
            "ix_contracts_ppon",
            "supplier_ppon",
            sqlite_where=text("supplier_ppon <> ''"),
            postgresql_where=text("supplier_ppon <> ''"),
        ),
        # Whom the register shows a contract: its council's staff (ix_contracts_register) or its manager.
        Index("ix_contracts_manager", "contract_manager_id"),
        # The incremental renewal sweep: contracts whose end date moved since its last run (the few that have).
        Index(
            "ix_contracts_end_date_moved",
            "end_date_moved_at",
            sqlite_where=text("end_date_moved_at IS NOT NULL"),
            postgresql_where=text("end_date_moved_at IS NOT NULL"),
        ),
        # The incremental review sweep: contracts whose review dates moved since its last run (the few that have).
        Index(
            "ix_contracts_reviews_moved",
            "reviews_moved_at",
            sqlite_where=text("reviews_moved_at IS NOT NULL"),
            postgresql_where=text("reviews_moved_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    procurement_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    authority: Mapped[str] = mapped_column(String(10))
    pillar: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(60))
    contract_type: Mapped[str] = mapped_column(String(20))
    regime: Mapped[str] = mapped_column(String(20))
    route: Mapped[str | None] = mapped_column(String(40))
    supplier_name: Mapped[str] = mapped_column(String(200))
    supplier_key: Mapped[str] = mapped_column(String(KEY_LENGTH), default="", server_default="")  # set with the name
    supplier_is_sme: Mapped[bool] = mapped_column(default=False)
    supplier_is_vcse: Mapped[bool] = mapped_column(default=False)
    # Whether it is a supported employment provider (PA23 s32) or a public service mutual (s33), which the Act's
    # award and contract details notices say (PR24 regs 27, 32): None where not recorded (asked under the Act).
    supplier_is_supported_employment: Mapped[bool | None]
    supplier_is_public_service_mutual: Mapped[bool | None]
    # Companies House or charity number: the Transparency Code publishes it for an SME or VCSE supplier.
    supplier_registration: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # Its unique identifier on the Central Digital Platform (``statutory.PPON``), which the Act's notices give.
    supplier_ppon: Mapped[str] = mapped_column(String(14), default="", server_default="")
    value: Mapped[Decimal]  # total contract value, excluding VAT
    # VAT the council cannot recover (most it can, under s33 VAT Act 1994): published by the Transparency Code.
    irrecoverable_vat: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")
    vat_treatment: Mapped[str] = mapped_column(String(20), default="standard")
    signed_on: Mapped[date | None]
    # Indexed for the review sweep: a contract's reviews fall on anniversaries of its start.
    start_date: Mapped[date] = mapped_column(index=True)
    end_date: Mapped[date]
    extension_months_available: Mapped[int] = mapped_column(default=0)
    # The longest the contract could run as awarded, its extension options included, in months (PA23 s74(3)(a),
    # s75(2)(b) weigh a change of term against it): set when it comes into the register, never moved by a change.
    maximum_term_months: Mapped[int | None]
    notice_period_days: Mapped[int] = mapped_column(default=DEFAULT_NOTICE_PERIOD_DAYS)
    risk: Mapped[str] = mapped_column(String(10), default="medium")  # one of CONTRACT_RISKS
    # The last day to give notice (end date less the notice period), kept on the row by the events below (as
    # the supplier's key is) so the scheduler can find the notice dates coming up with an index range.
    notice_by: Mapped[date | None] = mapped_column(index=True)
    contract_manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When a variation, an extension or a correction last moved its end date: the renewal sweep then looks at it
    # as at a contract just added where it now ends within its shortest lead time (none is still to come).
    end_date_moved_at: Mapped[datetime | None]
    # When its start date or value (a correction, a variation, an extension taken up) or its risk rating last
    # changed, which set the days its reviews fall on (anniversaries of its start, at a cadence its value and risk
    # set) and whether it owes KPI assessments: the review sweep then looks at it as at a contract just added,
    # since it has looked past the days before its horizon already.
    reviews_moved_at: Mapped[datetime | None]

    case = relationship("Case", foreign_keys=[case_id])
    contract_manager = relationship("User", foreign_keys=[contract_manager_id])

    def end_on(self, new_end: date, at: datetime) -> None:
        """It ends on ``new_end`` now (a variation, an extension, a correction): the renewal sweep looks at it
        again (``end_date_moved_at``). Its tasks worked out from the end date before close with the change."""
        self.end_date, self.end_date_moved_at = new_end, at

    def revalued(self, value: Decimal, at: datetime) -> None:
        """It is worth ``value`` now (a variation, an extension taken up): how often it is reviewed, and whether
        it owes KPI assessments, may change with it, so the review sweep looks at it again (``reviews_moved_at``)."""
        if value != self.value:
            self.value, self.reviews_moved_at = value, at

    def supplier(self) -> dict[str, Any]:
        """Its supplier as the register has it, by column (``SUPPLIER_COLUMNS``): what a notice names."""
        return {column: getattr(self, column) for column in SUPPLIER_COLUMNS}


# What the register holds of a contract's supplier: what its notices name, and what a novation replaces.
SUPPLIER_COLUMNS = (
    "supplier_name",
    "supplier_registration",
    "supplier_ppon",
    "supplier_is_sme",
    "supplier_is_vcse",
    "supplier_is_supported_employment",
    "supplier_is_public_service_mutual",
)


def notice_by(end_date: date, notice_period_days: int | None) -> date:
    """The last day to give notice: the end date less the notice period."""
    return end_date - timedelta(days=notice_period_days or 0)


@event.listens_for(Contract, "before_insert")
@event.listens_for(Contract, "before_update")
def _keep_derived_columns(_mapper, _connection, contract: Contract) -> None:
    contract.notice_by = notice_by(contract.end_date, contract.notice_period_days)
    contract.supplier_key = supplier_key(contract.supplier_name)


@event.listens_for(Contract, "before_insert")
def _keep_maximum_term(_mapper, _connection, contract: Contract) -> None:
    if contract.maximum_term_months is None:
        contract.maximum_term_months = term_months(contract.start_date, contract.end_date) + (
            contract.extension_months_available or 0
        )
