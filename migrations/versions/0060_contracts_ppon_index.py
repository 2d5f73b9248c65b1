"""A supplier found by its PPON: a partial index of the contracts that give one (as their registration
numbers have, migration 0047).

Revision ID: 0060
Revises: 0059
Create Date: 2026-12-05 22:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0060"
down_revision: str | None = "0059"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    where = sa.text("supplier_ppon <> ''")
    op.create_index("ix_contracts_ppon", "contracts", ["supplier_ppon"], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    op.drop_index("ix_contracts_ppon", table_name="contracts")
