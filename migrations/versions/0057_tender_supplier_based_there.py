"""Whether a tender's supplier is based in the place its competition is reserved to (Procurement Policy Note
005): asked only of a reserved competition's tenders, so empty for every tender recorded before.

Revision ID: 0057
Revises: 0056
Create Date: 2026-12-05 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0057"
down_revision: str | None = "0056"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supplier_based_there", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tenders", schema=None) as batch_op:
        batch_op.drop_column("supplier_based_there")
