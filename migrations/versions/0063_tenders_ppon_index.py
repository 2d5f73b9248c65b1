"""A supplier found by a tender's PPON: a partial index of the tenders that give one (as the contracts' have,
migration 0060).

Revision ID: 0063
Revises: 0062
Create Date: 2026-12-06 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0063"
down_revision: str | None = "0062"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    where = sa.text("supplier_ppon <> ''")
    op.create_index("ix_tenders_ppon", "tenders", ["supplier_ppon"], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    op.drop_index("ix_tenders_ppon", table_name="tenders")
