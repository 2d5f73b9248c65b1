"""An index on a council's cases of a kind (category and contract type) by when they were made: the procurements
that may be one requirement with a request are summed on it when it is submitted, reading no rows.

Revision ID: 0052
Revises: 0051
Create Date: 2026-12-05 06:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0052"
down_revision: str | None = "0051"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_cases_of_a_kind", "cases", ["authority", "category", "contract_type", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_of_a_kind", table_name="cases")
