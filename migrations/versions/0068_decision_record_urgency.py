"""A decision record keeps the urgency rule its key decision was taken under, if any (2012 Access to
Information Regulations reg 10, the general exception, or reg 11, special urgency): the council's report of the
decisions taken under special urgency (reg 19) lists them. Records already made take theirs from the sentence
their reasons open with.

Revision ID: 0068
Revises: 0067
Create Date: 2026-12-06 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0068"
down_revision: str | None = "0067"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

records = sa.table(
    "decision_records",
    sa.column("by_executive", sa.Boolean),
    sa.column("reasons", sa.Text),
    sa.column("urgency", sa.String),
)
# How workflow.records opened an urgent decision's reasons when it made the record.
OPENED_WITH = {"general_exception": "Taken under the general exception", "special_urgency": "Taken under special urgency"}


def upgrade() -> None:
    with op.batch_alter_table("decision_records") as table:
        table.add_column(sa.Column("urgency", sa.String(length=20), nullable=True))
    for urgency, opening in OPENED_WITH.items():
        op.execute(
            records.update()
            .where(records.c.by_executive.is_(True), records.c.reasons.like(opening + "%"))
            .values(urgency=urgency)
        )


def downgrade() -> None:
    with op.batch_alter_table("decision_records") as table:
        table.drop_column("urgency")
