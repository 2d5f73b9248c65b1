"""A supplier's answer to its competition's reservation, on a tender and now on a request to participate too:
0057's "based in the place" becomes the answer to whatever the reservation asks (based in its place, Procurement
Policy Note 005; a supported employment provider, PA23 s32; a public service mutual, s33).

Revision ID: 0058
Revises: 0057
Create Date: 2026-12-05 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0058"
down_revision: str | None = "0057"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenders", schema=None) as batch_op:
        batch_op.alter_column("supplier_based_there", new_column_name="supplier_within_reservation")
    with op.batch_alter_table("participation_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supplier_within_reservation", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participation_requests", schema=None) as batch_op:
        batch_op.drop_column("supplier_within_reservation")
    with op.batch_alter_table("tenders", schema=None) as batch_op:
        batch_op.alter_column("supplier_within_reservation", new_column_name="supplier_based_there")
