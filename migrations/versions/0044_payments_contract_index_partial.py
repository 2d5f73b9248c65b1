"""A contract's payments are indexed only where a payment names a contract. With the payments that name none
in the index too, SQLite chose it for "no contract named" (a council's off-contract spend) and read every
council's such payments (benchmarks/reads.py: 407 ms for one council's, of two million payments).

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0044"
down_revision: str | None = "0043"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAMING_ONE = sa.text("contract_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_payments_contract", table_name="payments")
    op.create_index(
        "ix_payments_contract", "payments", ["contract_id"], sqlite_where=NAMING_ONE, postgresql_where=NAMING_ONE
    )


def downgrade() -> None:
    op.drop_index("ix_payments_contract", table_name="payments")
    op.create_index("ix_payments_contract", "payments", ["contract_id"])
