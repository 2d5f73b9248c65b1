"""Dynamic markets (PA23 s34-39): the markets, their notices, and suppliers' applications to join them.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-04 12:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dynamic_markets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=30), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("conditions", sa.Text(), nullable=False),
        sa.Column("authority", sa.String(length=10), nullable=False),
        sa.Column("pillar", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_dynamic_markets_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dynamic_markets")),
        sa.UniqueConstraint("reference", name=op.f("uq_dynamic_markets_reference")),
    )
    op.create_table(
        "market_memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("supplier_name", sa.String(length=200), nullable=False),
        sa.Column("supplier_key", sa.String(length=200), nullable=False),
        sa.Column("supplier_registration", sa.String(length=40), nullable=False),
        sa.Column("supplier_is_sme", sa.Boolean(), nullable=False),
        sa.Column("supplier_is_vcse", sa.Boolean(), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("admitted", sa.Boolean(), nullable=True),
        sa.Column("exclusions_checked_on", sa.Date(), nullable=True),
        sa.Column("refused_because", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("removed_on", sa.Date(), nullable=True),
        sa.Column("removed_because", sa.Text(), nullable=False),
        sa.Column("removed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_market_memberships_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["market_id"],
            ["dynamic_markets.id"],
            name=op.f("fk_market_memberships_market_id_dynamic_markets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_market_memberships_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["removed_by_id"], ["users.id"], name=op.f("fk_market_memberships_removed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_memberships")),
    )
    with op.batch_alter_table("market_memberships", schema=None) as batch_op:
        batch_op.create_index("ix_market_memberships_market_id", ["market_id"], unique=False)
        batch_op.create_index("ix_market_memberships_supplier_key", ["supplier_key"], unique=False)

    op.create_table(
        "market_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["market_id"],
            ["dynamic_markets.id"],
            name=op.f("fk_market_notices_market_id_dynamic_markets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_market_notices_recorded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_notices")),
    )
    with op.batch_alter_table("market_notices", schema=None) as batch_op:
        batch_op.create_index("ix_market_notices_market_id", ["market_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("market_notices", schema=None) as batch_op:
        batch_op.drop_index("ix_market_notices_market_id")

    op.drop_table("market_notices")
    with op.batch_alter_table("market_memberships", schema=None) as batch_op:
        batch_op.drop_index("ix_market_memberships_supplier_key")
        batch_op.drop_index("ix_market_memberships_market_id")

    op.drop_table("market_memberships")
    op.drop_table("dynamic_markets")
