"""When each scheduler sweep last completed (incremental sweeps; the row two schedulers queue on).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 21:21:14.416598
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_contracts_created", "contracts", ["created_at"], unique=False)
    op.create_table('sweep_runs',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('last_run_on', sa.Date(), nullable=False),
    sa.Column('last_run_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_sweep_runs'))
    )


def downgrade() -> None:
    op.drop_index("ix_contracts_created", table_name="contracts")
    op.drop_table('sweep_runs')
