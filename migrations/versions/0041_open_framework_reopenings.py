"""An open framework's re-openings (PA23 s49), and whether the councils established a framework themselves
(theirs, then, the duty to re-open it in time, which the scheduler reminds them of).

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-04 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0041"
down_revision: str | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAMES = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "framework_reopenings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("awarded_on", sa.Date(), nullable=False),
        sa.Column("suppliers", NAMES, server_default="[]", nullable=False),
        sa.Column("suppliers_before", NAMES, server_default="[]", nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["framework_id"],
            ["frameworks.id"],
            name=op.f("fk_framework_reopenings_framework_id_frameworks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_framework_reopenings_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_framework_reopenings")),
    )
    with op.batch_alter_table("framework_reopenings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_framework_reopenings_framework_id"), ["framework_id"], unique=False)
    with op.batch_alter_table("frameworks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("council_established", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("reopening_reminded_for", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("frameworks", schema=None) as batch_op:
        batch_op.drop_column("reopening_reminded_for")
        batch_op.drop_column("council_established")
    with op.batch_alter_table("framework_reopenings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_framework_reopenings_framework_id"))
    op.drop_table("framework_reopenings")
