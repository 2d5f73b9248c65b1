"""Find a Tender's identifier for each dynamic market notice, where the team gives it, as a procurement's
notices take theirs: the open data gives it on the notice's document.

Revision ID: 0056
Revises: 0055
Create Date: 2026-12-05 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0056"
down_revision: str | None = "0055"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("market_notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notice_id", sa.String(length=40), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("market_notices", schema=None) as batch_op:
        batch_op.drop_column("notice_id")
