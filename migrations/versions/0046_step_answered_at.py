"""When a step's requester last answered a question asked at it (``approval_steps.answered_at``): the step is
back with its approvers from then, for the queue's wait and the scheduler's chasing. Read from the audit trail
for every step it applies to now (the case's latest answer since the step opened).

Revision ID: 0046
Revises: 0045
Create Date: 2026-12-04 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0046"
down_revision: str | None = "0045"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("approval_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answered_at", sa.DateTime(), nullable=True))
    op.execute(
        """
        UPDATE approval_steps SET answered_at = (
            SELECT max(e.at) FROM audit_events e
            WHERE e.case_id = approval_steps.case_id AND e.action = 'provide_info' AND e.at >= approval_steps.opened_at
        )
        WHERE status IN ('open', 'info_requested') AND opened_at IS NOT NULL
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("approval_steps", schema=None) as batch_op:
        batch_op.drop_column("answered_at")
