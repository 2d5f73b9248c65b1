"""A council's list of invoices received and not yet paid, from its finance system: the payments compliance
notice (PA23 s69, reg 38(2)(d)) counts those received in its period.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'unpaid_invoices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('authority', sa.String(length=10), nullable=False),
        sa.Column('invoice_number', sa.String(length=60), nullable=False),
        sa.Column('supplier_name', sa.String(length=200), nullable=False),
        sa.Column('supplier_key', sa.String(length=200), server_default='', nullable=False),
        sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('invoice_received_on', sa.Date(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=True),
        sa.Column('as_at', sa.Date(), nullable=False),
        sa.Column('loaded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['contract_id'], ['contracts.id'], name=op.f('fk_unpaid_invoices_contract_id_contracts')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_unpaid_invoices')),
        sa.UniqueConstraint('authority', 'invoice_number', name='uq_unpaid_invoices_number'),
    )
    with op.batch_alter_table('unpaid_invoices', schema=None) as batch_op:
        batch_op.create_index('ix_unpaid_invoices_received', ['authority', 'invoice_received_on'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('unpaid_invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_unpaid_invoices_received')
    op.drop_table('unpaid_invoices')
