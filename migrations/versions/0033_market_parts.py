"""A dynamic market's parts (lots), and the parts each supplier applied for and was admitted to.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-04 12:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTS = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    for table in ("dynamic_markets", "market_memberships"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("parts", PARTS, server_default="[]", nullable=False))


def downgrade() -> None:
    for table in ("market_memberships", "dynamic_markets"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("parts")
