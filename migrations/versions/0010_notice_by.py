"""Each contract's last day to give notice, stored (and backfilled) so the scheduler can sweep by index.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 22:13:47.291947
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_by', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_contracts_notice_by'), ['notice_by'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE contracts SET notice_by = end_date - notice_period_days")
    else:
        op.execute("UPDATE contracts SET notice_by = date(end_date, '-' || notice_period_days || ' days')")



def downgrade() -> None:
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contracts_notice_by'))
        batch_op.drop_column('notice_by')

