"""The contract register holds what the Local Government Transparency Code 2015 publishes for each contract:
the supplier's registration number (Companies House or charity) and the VAT that cannot be recovered.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 08:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supplier_registration', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(
            sa.Column('irrecoverable_vat', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_column('irrecoverable_vat')
        batch_op.drop_column('supplier_registration')
