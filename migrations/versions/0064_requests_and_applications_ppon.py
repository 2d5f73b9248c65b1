"""A request to participate and an application to a dynamic market give their supplier's PPON, as a tender
does (migration 0062): a supplier is found by it (partial indexes of the rows that give one, as 0063's).

Revision ID: 0064
Revises: 0063
Create Date: 2026-12-06 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0064"
down_revision: str | None = "0063"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("participation_requests", "market_memberships")


def upgrade() -> None:
    where = sa.text("supplier_ppon <> ''")
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("supplier_ppon", sa.String(length=14), server_default="", nullable=False))
        op.create_index(f"ix_{table}_ppon", table, ["supplier_ppon"], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_ppon", table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("supplier_ppon")
