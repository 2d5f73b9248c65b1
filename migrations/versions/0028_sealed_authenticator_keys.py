"""Authenticator keys sealed (AES-GCM under a key from the settings), so that a copy of the database alone
makes no security codes: the column widens, and each key set up before is sealed with the settings the
upgrade runs with (PC_DATA_KEY, or SECRET_KEY: run it with the service's own).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 10:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from provision_cycle.services.sealed import SEALED, seal, unseal
from provision_cycle.settings import Settings

revision: str = '0028'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PURPOSE = 'authenticator key'  # services.two_factor.SEALED_FOR, as it was when this was written
users = sa.table('users', sa.column('id', sa.Integer), sa.column('two_factor_secret', sa.String))


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('two_factor_secret', type_=sa.String(length=200), existing_nullable=True)
    _rewrite(lambda settings, key: key if key.startswith(SEALED) else seal(settings, key, purpose=PURPOSE))


def downgrade() -> None:
    _rewrite(lambda settings, key: unseal(settings, key, purpose=PURPOSE) if key.startswith(SEALED) else key)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('two_factor_secret', type_=sa.String(length=64), existing_nullable=True)


def _rewrite(change) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(users.c.id, users.c.two_factor_secret).where(users.c.two_factor_secret.is_not(None)))
    settings = Settings.from_env()
    for user_id, key in rows.all():
        connection.execute(users.update().where(users.c.id == user_id).values(two_factor_secret=change(settings, key)))
