"""Payments: what the councils paid their suppliers, loaded from their finance systems.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 08:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'payments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('authority', sa.String(length=10), nullable=False),
        sa.Column('transaction_number', sa.String(length=60), nullable=False),
        sa.Column('paid_on', sa.Date(), nullable=False),
        sa.Column('supplier_name', sa.String(length=200), nullable=False),
        sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('irrecoverable_vat', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('expense_type', sa.String(length=200), nullable=False),
        sa.Column('department', sa.String(length=200), nullable=False),
        sa.Column('purpose', sa.Text(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=True),
        sa.Column('to_individual', sa.Boolean(), nullable=False),
        sa.Column('loaded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_payments_contract_id_contracts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
        sa.UniqueConstraint('authority', 'transaction_number', name='uq_payments_transaction'),
    )
    op.create_index('ix_payments_contract', 'payments', ['contract_id'], unique=False)
    op.create_index('ix_payments_paid', 'payments', ['authority', 'paid_on'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_payments_paid', table_name='payments')
    op.drop_index('ix_payments_contract', table_name='payments')
    op.drop_table('payments')
