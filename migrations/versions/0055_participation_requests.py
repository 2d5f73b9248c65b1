"""A competitive flexible procedure's requests to participate, recorded one by one as they arrive, each to be
invited to tender, once checked against the exclusion grounds and the debarment list, or set aside with the
reason (PA23 s20, s22, s27, s34(4)): before, only the invitation's list of
names was kept. A supplier's page lists its requests.

Revision ID: 0055
Revises: 0054
Create Date: 2026-12-05 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0055"
down_revision: str | None = "0054"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GIVEN = sa.text("supplier_registration <> ''")


def upgrade() -> None:
    op.create_table(
        "participation_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("supplier_name", sa.String(length=200), nullable=False),
        sa.Column("supplier_key", sa.String(length=200), nullable=False),
        sa.Column("supplier_registration", sa.String(length=40), nullable=False),
        sa.Column("supplier_is_sme", sa.Boolean(), nullable=False),
        sa.Column("supplier_is_vcse", sa.Boolean(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("set_aside_because", sa.Text(), nullable=False),
        sa.Column("exclusions_checked_on", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_participation_requests_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_participation_requests_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_requests")),
        sa.UniqueConstraint("case_id", "supplier_key", name="uq_participation_requests_supplier"),
    )
    # A supplier's page lists its requests, by its names' keys.
    op.create_index("ix_participation_requests_supplier_key", "participation_requests", ["supplier_key"])
    # The other names under a supplier's registration numbers, where a request gives one (as 0047, 0054).
    op.create_index(
        "ix_participation_requests_registration",
        "participation_requests",
        ["supplier_registration"],
        sqlite_where=GIVEN,
        postgresql_where=GIVEN,
    )


def downgrade() -> None:
    op.drop_table("participation_requests")
