"""The end-date index carries every column the renewal sweep reads, so the sweep never visits the table.

Over a register of a million contracts the sweep reads tens of thousands of rows in an end-date range; each
visit to the table is a random page read. With these columns in the index (and ``id``, which PostgreSQL
indexes do not carry on their own) the scan is index-only.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 00:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COVERING = ['end_date', 'authority', 'pillar', 'value', 'case_id', 'contract_manager_id', 'created_at', 'id']


def upgrade() -> None:
    op.drop_index('ix_contracts_expiry', table_name='contracts')
    op.create_index('ix_contracts_expiry', 'contracts', COVERING, unique=False)


def downgrade() -> None:
    op.drop_index('ix_contracts_expiry', table_name='contracts')
    op.create_index('ix_contracts_expiry', 'contracts', ['end_date', 'authority', 'pillar'], unique=False)
