"""A supplier's page names the other names recorded with its registration numbers: contracts and tenders are
looked up by registration number, indexed where they give one. Without it, each supplier page that had a
number read every contract of the councils the person works for (SQLite: ix_contracts_register, for the
person's councils) to find the few with that number.

Revision ID: 0047
Revises: 0046
Create Date: 2026-12-05 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0047"
down_revision: str | None = "0046"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GIVEN = sa.text("supplier_registration <> ''")


def upgrade() -> None:
    for table in ("contracts", "tenders"):
        op.create_index(
            f"ix_{table}_registration",
            table,
            ["supplier_registration"],
            sqlite_where=GIVEN,
            postgresql_where=GIVEN,
        )


def downgrade() -> None:
    for table in ("contracts", "tenders"):
        op.drop_index(f"ix_{table}_registration", table_name=table)
