"""The index on a case's council alone goes: the index of a council's procurements of a kind
(``ix_cases_of_a_kind``) leads with the council, so it serves whom the cases page shows a case as well, and
every case written kept two indexes on the same column up to date.

Revision ID: 0069
Revises: 0068
Create Date: 2026-12-07 07:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0069"
down_revision: str | None = "0068"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_cases_authority", table_name="cases")


def downgrade() -> None:
    op.create_index("ix_cases_authority", "cases", ["authority"])
