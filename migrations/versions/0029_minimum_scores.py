"""A minimum score on an award criterion (a quality threshold): a tender below it is out of the running.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04 10:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0029'
down_revision: str | None = '0028'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('award_criteria', schema=None) as batch_op:
        batch_op.add_column(sa.Column('minimum_score', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('award_criteria', schema=None) as batch_op:
        batch_op.drop_column('minimum_score')
