"""A contract case's value is its contract's: bring cases whose contract a variation changed into line.

Until now a variation changed the contract's value and left its case's estimated value where the contract
was registered; the approvals queue, the case summary and the pipeline read the case's.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 15:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE cases SET estimated_value = (SELECT value FROM contracts WHERE contracts.case_id = cases.id) "
        "WHERE stage = 'contract' AND EXISTS ("
        "SELECT 1 FROM contracts WHERE contracts.case_id = cases.id AND contracts.value <> cases.estimated_value)"
    )


def downgrade() -> None:
    pass  # the old values were wrong: nothing to put back
