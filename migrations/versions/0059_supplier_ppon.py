"""A contract's supplier by its unique identifier: the Public Procurement Organisation Number (PPON) the Central
Digital Platform gave it, which the contract award and contract details notices give (PR24 regs 27, 32-34).

Revision ID: 0059
Revises: 0058
Create Date: 2026-12-05 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0059"
down_revision: str | None = "0058"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supplier_ppon", sa.String(length=14), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_column("supplier_ppon")
