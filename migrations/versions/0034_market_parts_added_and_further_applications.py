"""The parts a dynamic market's modification added, and a member's application for more of its parts.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-04 14:12:07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTS = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("market_memberships", schema=None) as batch_op:
        batch_op.add_column(sa.Column("extends_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_market_memberships_extends_id_market_memberships"),
            "market_memberships",
            ["extends_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("market_notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parts_added", PARTS, server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("market_notices", schema=None) as batch_op:
        batch_op.drop_column("parts_added")
    with op.batch_alter_table("market_memberships", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_market_memberships_extends_id_market_memberships"), type_="foreignkey")
        batch_op.drop_column("extends_id")
