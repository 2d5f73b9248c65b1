"""A tender's supplier by its unique identifier on the Central Digital Platform (PPON), where the tender gave it:
the award recommendation is filled in with it, and the open data identify the tenderer by it.

Revision ID: 0062
Revises: 0061
Create Date: 2026-12-06 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0062"
down_revision: str | None = "0061"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supplier_ppon", sa.String(length=14), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("tenders", schema=None) as batch_op:
        batch_op.drop_column("supplier_ppon")
