"""When a contract's end date was last moved by a variation, an extension or a correction, for the renewal
sweep: it looks at such a contract, where it now ends within its shortest lead time, as at one just added, since
no lead time of its new end date is still to come. Indexed where set (few contracts ever have it).

Revision ID: 0070
Revises: 0069
Create Date: 2026-12-07 18:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0070"
down_revision: str | None = "0069"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contracts") as batch:
        batch.add_column(sa.Column("end_date_moved_at", sa.DateTime(), nullable=True))
    op.create_index(
        "ix_contracts_end_date_moved",
        "contracts",
        ["end_date_moved_at"],
        sqlite_where=sa.text("end_date_moved_at IS NOT NULL"),
        postgresql_where=sa.text("end_date_moved_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_contracts_end_date_moved", table_name="contracts")
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("end_date_moved_at")
