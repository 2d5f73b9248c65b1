"""Indexes for the reads people wait on, found by benchmarks/reads.py over a million contracts: a case's
tasks (its page), a contract manager's contracts and a council's cases (whom the register and the cases page
show them). Without them each of those reads the whole table.

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-04 17:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0043"
down_revision: str | None = "0042"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_tasks_case", "tasks", ["case_id"])
    op.create_index("ix_contracts_manager", "contracts", ["contract_manager_id"])
    op.create_index("ix_cases_authority", "cases", ["authority"])


def downgrade() -> None:
    op.drop_index("ix_cases_authority", table_name="cases")
    op.drop_index("ix_contracts_manager", table_name="contracts")
    op.drop_index("ix_tasks_case", table_name="tasks")
