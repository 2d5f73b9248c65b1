"""One company's names whose keys differ (a trading name, a name a finance system shortened) are recorded by the
intelligence team as one supplier: each alias's key, with the key of the supplier it is.

Revision ID: 0049
Revises: 0048
Create Date: 2026-12-05 03:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0049"
down_revision: str | None = "0048"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "supplier_aliases",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("same_as", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_supplier_aliases_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_supplier_aliases")),
    )
    op.create_index(op.f("ix_supplier_aliases_same_as"), "supplier_aliases", ["same_as"])


def downgrade() -> None:
    op.drop_table("supplier_aliases")
