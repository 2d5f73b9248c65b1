"""A contract keeps the longest it could run as awarded, its extension options included, in months: the Act
weighs a change of term against "the maximum term provided for on award" (PA23 s74(3)(a), s75(2)(b)). The
contracts already in the register get their term now with the options left, the best the register knows.

Revision ID: 0048
Revises: 0047
Create Date: 2026-12-05 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0048"
down_revision: str | None = "0047"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Whole months from the start's month to the month of the day after the end (governance.calendar.term_months).
MONTHS = {
    "postgresql": "(EXTRACT(YEAR FROM end_date + 1) - EXTRACT(YEAR FROM start_date)) * 12"
    " + EXTRACT(MONTH FROM end_date + 1) - EXTRACT(MONTH FROM start_date)",
    "sqlite": "(CAST(strftime('%Y', date(end_date, '+1 day')) AS INTEGER) - CAST(strftime('%Y', start_date) AS INTEGER))"
    " * 12 + CAST(strftime('%m', date(end_date, '+1 day')) AS INTEGER) - CAST(strftime('%m', start_date) AS INTEGER)",
}


def upgrade() -> None:
    op.add_column("contracts", sa.Column("maximum_term_months", sa.Integer(), nullable=True))
    months = MONTHS[op.get_bind().dialect.name]
    op.execute(
        "UPDATE contracts SET maximum_term_months = "
        f"CASE WHEN {months} > 0 THEN {months} ELSE 0 END + extension_months_available"
    )


def downgrade() -> None:
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("maximum_term_months")
