"""When each contract's next periodic review and KPI assessment fall.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 21:40:35.154672
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_review_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('next_kpi_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_contracts_next_kpi_on'), ['next_kpi_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_next_review_on'), ['next_review_on'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contracts_next_review_on'))
        batch_op.drop_index(batch_op.f('ix_contracts_next_kpi_on'))
        batch_op.drop_column('next_kpi_on')
        batch_op.drop_column('next_review_on')

