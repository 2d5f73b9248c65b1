"""Names that look alike, or share a registration number, but which the intelligence team judged to be different
suppliers: each pair kept (the lesser key first), so that they are no longer suggested as one.

Revision ID: 0051
Revises: 0050
Create Date: 2026-12-05 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0051"
down_revision: str | None = "0050"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "supplier_distinctions",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("other", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_supplier_distinctions_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("key", "other", name=op.f("pk_supplier_distinctions")),
    )


def downgrade() -> None:
    op.drop_table("supplier_distinctions")
