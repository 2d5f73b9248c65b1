"""The applications to a dynamic market awaiting a decision: a partial index, by market. Without it the
overview, the markets page and the hourly reminder read every application ever made to find the few
undecided (the reads benchmark's chosen plans at 100,000 contracts).

Revision ID: 0065
Revises: 0064
Create Date: 2026-12-06 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0065"
down_revision: str | None = "0064"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    where = sa.text("decided_on IS NULL")
    op.create_index(
        "ix_market_memberships_undecided",
        "market_memberships",
        ["market_id"],
        sqlite_where=where,
        postgresql_where=where,
    )


def downgrade() -> None:
    op.drop_index("ix_market_memberships_undecided", table_name="market_memberships")
