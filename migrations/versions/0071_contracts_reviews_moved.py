"""When a contract's start date or value (a correction, a variation, an extension taken up) or its risk rating
last changed, which set the days its reviews fall on, for the review sweep: it looks at such a contract as at one
just added, since it has looked past the days up to its horizon already. Indexed where set (few contracts have
it).

Revision ID: 0071
Revises: 0070
Create Date: 2026-12-08 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0071"
down_revision: str | None = "0070"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contracts") as batch:
        batch.add_column(sa.Column("reviews_moved_at", sa.DateTime(), nullable=True))
    op.create_index(
        "ix_contracts_reviews_moved",
        "contracts",
        ["reviews_moved_at"],
        sqlite_where=sa.text("reviews_moved_at IS NOT NULL"),
        postgresql_where=sa.text("reviews_moved_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_contracts_reviews_moved", table_name="contracts")
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("reviews_moved_at")
