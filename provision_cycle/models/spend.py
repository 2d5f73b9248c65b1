"""What the councils paid their suppliers, loaded from their finance systems: the spend behind the register,
and the Transparency Code's quarterly file of expenditure over £500; and the invoices they had yet to pay."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow
from .suppliers import KEY_LENGTH, supplier_key


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        # The finance system's transaction number: a payment loaded twice is refused, not counted twice.
        UniqueConstraint("authority", "transaction_number", name="uq_payments_transaction"),
        Index("ix_payments_paid", "authority", "paid_on"),
        # A contract's payments. Only those naming one: a lookup always names a contract, and an index of the
        # payments naming none led SQLite to read every council's of them for one council's off-contract spend.
        Index(
            "ix_payments_contract",
            "contract_id",
            sqlite_where=text("contract_id IS NOT NULL"),
            postgresql_where=text("contract_id IS NOT NULL"),
        ),
        # The sums that became payable in a reporting period, for the council's payments compliance notice.
        Index("ix_payments_invoice", "authority", "invoice_received_on"),
        Index("ix_payments_supplier", "supplier_key", "authority"),  # a supplier's payments, council by council
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    authority: Mapped[str] = mapped_column(String(10))  # the council that paid (never joint)
    transaction_number: Mapped[str] = mapped_column(String(60))
    paid_on: Mapped[date]
    # The day the council received the invoice this pays (PA23 reg 38's "invoice day"), where the finance
    # system exports it: how long the council took to pay, for its payments compliance notice.
    invoice_received_on: Mapped[date | None]
    supplier_name: Mapped[str] = mapped_column(String(200))
    supplier_key: Mapped[str] = mapped_column(String(KEY_LENGTH), default="", server_default="")  # set with the name
    amount: Mapped[Decimal]  # excluding VAT; a credit note is negative
    irrecoverable_vat: Mapped[Decimal] = mapped_column(default=Decimal(0))
    expense_type: Mapped[str] = mapped_column(String(200), default="")
    department: Mapped[str] = mapped_column(String(200), default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))
    # Paid to a person, not an organisation: the name is not published (the Code's redaction of personal data).
    to_individual: Mapped[bool] = mapped_column(default=False)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class UnpaidInvoice(Base):
    """An invoice a council had received and not paid on the day its finance system's list was taken (the
    list of invoices outstanding, "aged creditors"): what a payments file cannot show, and the payments
    compliance notice counts (reg 38(2)(d)). A council's list is replaced whole by the next one loaded."""

    __tablename__ = "unpaid_invoices"
    __table_args__ = (
        UniqueConstraint("authority", "invoice_number", name="uq_unpaid_invoices_number"),
        Index("ix_unpaid_invoices_received", "authority", "invoice_received_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    authority: Mapped[str] = mapped_column(String(10))
    invoice_number: Mapped[str] = mapped_column(String(60))
    supplier_name: Mapped[str] = mapped_column(String(200))
    supplier_key: Mapped[str] = mapped_column(String(KEY_LENGTH), default="", server_default="")  # set with the name
    amount: Mapped[Decimal]  # excluding VAT
    invoice_received_on: Mapped[date]
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))
    as_at: Mapped[date]  # the day the list was taken: still unpaid then
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


@event.listens_for(Payment, "before_insert")
@event.listens_for(Payment, "before_update")
@event.listens_for(UnpaidInvoice, "before_insert")
def _keep_supplier_key(_mapper, _connection, row: Payment | UnpaidInvoice) -> None:
    row.supplier_key = supplier_key(row.supplier_name)
