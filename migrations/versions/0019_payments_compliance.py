"""A payment records the day its invoice was received, where the finance system exports it: the payments
compliance notice (PA23 s69, Procurement Regulations 2024 reg 38) counts the days from it to the payment.
A completed task keeps what its outcome rests on (the notice's figures as its S151 officer approved them).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invoice_received_on', sa.Date(), nullable=True))
        batch_op.create_index('ix_payments_invoice', ['authority', 'invoice_received_on'], unique=False)
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'outcome_data',
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
                server_default='{}',
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_column('outcome_data')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_invoice')
        batch_op.drop_column('invoice_received_on')
