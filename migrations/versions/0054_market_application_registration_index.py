"""A supplier's page names the other names recorded with its registration numbers, among them the names it
applied to a dynamic market under: those applications are looked up by registration number too, indexed where
they give one, as contracts and tenders are (0047). Without it the look-up read every application to the
markets of the person's councils (found by the reads benchmark once it loaded market applications).

Revision ID: 0054
Revises: 0053
Create Date: 2026-12-05 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0054"
down_revision: str | None = "0053"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GIVEN = sa.text("supplier_registration <> ''")


def upgrade() -> None:
    op.create_index(
        "ix_market_memberships_registration",
        "market_memberships",
        ["supplier_registration"],
        sqlite_where=GIVEN,
        postgresql_where=GIVEN,
    )


def downgrade() -> None:
    op.drop_index("ix_market_memberships_registration", table_name="market_memberships")
