"""Whether a contract's supplier is a supported employment provider (PA23 s32) or a public service mutual (s33),
which the contract award and contract details notices under the Act say (PR24 reg 27(2)(e)(v),
reg 32(2)(g)(iv)): empty where not recorded.

Revision ID: 0061
Revises: 0060
Create Date: 2026-12-06 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0061"
down_revision: str | None = "0060"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supplier_is_supported_employment", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("supplier_is_public_service_mutual", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_column("supplier_is_public_service_mutual")
        batch_op.drop_column("supplier_is_supported_employment")
