"""Contract performance: the KPIs set for a contract (PA23 s52) and the assessments published against them (s71).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'contract_kpis',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('target', sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ['contract_id'], ['contracts.id'], name=op.f('fk_contract_kpis_contract_id_contracts'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_kpis')),
        sa.UniqueConstraint('contract_id', 'position', name='uq_contract_kpis_position'),
    )
    op.create_table(
        'kpi_assessments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('period_starts', sa.Date(), nullable=False),
        sa.Column('period_ends', sa.Date(), nullable=False),
        sa.Column('ratings', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
        sa.Column('published_on', sa.Date(), nullable=False),
        sa.Column('notice_id', sa.String(length=40), nullable=False),
        sa.Column('assessed_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['assessed_by_id'], ['users.id'], name=op.f('fk_kpi_assessments_assessed_by_id_users')),
        sa.ForeignKeyConstraint(
            ['contract_id'], ['contracts.id'], name=op.f('fk_kpi_assessments_contract_id_contracts'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_assessments')),
    )
    op.create_index('ix_kpi_assessments_contract', 'kpi_assessments', ['contract_id', 'period_ends'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_kpi_assessments_contract', table_name='kpi_assessments')
    op.drop_table('kpi_assessments')
    op.drop_table('contract_kpis')
