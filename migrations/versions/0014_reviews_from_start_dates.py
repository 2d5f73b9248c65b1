"""Reviews fall on anniversaries of a contract's start: the start date is indexed, and the next review and
KPI dates kept on each contract (written to every row of the register the first time the sweep saw it) go.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contracts_next_review_on"))
        batch_op.drop_index(batch_op.f("ix_contracts_next_kpi_on"))
        batch_op.drop_column("next_kpi_on")
        batch_op.drop_column("next_review_on")
        batch_op.create_index(batch_op.f("ix_contracts_start_date"), ["start_date"], unique=False)


def downgrade() -> None:
    # The dates come back empty: the sweep of that version dates every contract on its first run.
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contracts_start_date"))
        batch_op.add_column(sa.Column("next_review_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("next_kpi_on", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_contracts_next_kpi_on"), ["next_kpi_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_contracts_next_review_on"), ["next_review_on"], unique=False)
