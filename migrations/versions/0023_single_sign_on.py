"""Single sign-on with the council's identity provider: a person's account is bound to the provider's
subject at their first sign-in with it.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 07:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('single_sign_on_subject', sa.String(length=400), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_single_sign_on_subject'), ['single_sign_on_subject'])


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_single_sign_on_subject'), type_='unique')
        batch_op.drop_column('single_sign_on_subject')
