"""The written record of each decision to award a contract or commit spending that the system sees taken: an
officer's where it is material (Openness of Local Government Bodies Regulations 2014, reg 7), the Executive's
always (2012 Access to Information Regulations, regs 12 and 13), listed by council for publishing.

Revision ID: 0067
Revises: 0066
Create Date: 2026-12-06 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0067"
down_revision: str | None = "0066"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decision_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("authority", sa.String(length=10), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("by_executive", sa.Boolean(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("alternatives", sa.Text(), nullable=False),
        sa.Column("conflicts", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=False),
        sa.Column("value", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_decision_records_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_records")),
    )
    op.create_index("ix_decision_records_council", "decision_records", ["authority", "decided_at"])
    # A case's page shows its records.
    op.create_index("ix_decision_records_case_id", "decision_records", ["case_id"])


def downgrade() -> None:
    op.drop_table("decision_records")
