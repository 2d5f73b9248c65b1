"""An overdue task keeps whom its escalation told: the role it went to (or the administrators standing in where
nobody held it) and the people, so that its page can name them. Tasks escalated before say only the role.

Revision ID: 0050
Revises: 0049
Create Date: 2026-12-05 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0050"
down_revision: str | None = "0049"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PEOPLE = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.add_column("tasks", sa.Column("escalated_role", sa.String(length=40), nullable=True))
    op.add_column("tasks", sa.Column("escalated_to", PEOPLE, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("escalated_to")
        batch.drop_column("escalated_role")
