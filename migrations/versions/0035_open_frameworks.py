"""Whether a framework is an open framework (PA23 s49), whose term may run to eight years.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-04 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("frameworks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("open_framework", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("frameworks", schema=None) as batch_op:
        batch_op.drop_column("open_framework")
