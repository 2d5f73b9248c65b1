"""Contracts and payments keep the key of their supplier's name beside it (``models.suppliers.supplier_key``),
so the register and the spend are matched supplier by supplier in SQL, through an index.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The rule itself, not a copy: a later change to it comes with a migration of its own that keys them again.
from provision_cycle.models.suppliers import supplier_key

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def upgrade() -> None:
    for table, index, columns in (
        ('contracts', 'ix_contracts_supplier', ['supplier_key']),
        ('payments', 'ix_payments_supplier', ['supplier_key', 'authority']),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('supplier_key', sa.String(length=200), server_default='', nullable=False))
        _key(table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(index, columns, unique=False)


def _key(table: str) -> None:
    """Each distinct name keyed once, its rows updated together."""
    conn = op.get_bind()
    names = [row[0] for row in conn.execute(sa.text(f"SELECT DISTINCT supplier_name FROM {table}"))]
    keyed = [{"name": name, "key": supplier_key(name)} for name in names]
    update = sa.text(f"UPDATE {table} SET supplier_key = :key WHERE supplier_name = :name")
    for start in range(0, len(keyed), BATCH):
        conn.execute(update, keyed[start : start + BATCH])


def downgrade() -> None:
    for table, index in (('payments', 'ix_payments_supplier'), ('contracts', 'ix_contracts_supplier')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(index)
            batch_op.drop_column('supplier_key')
