"""Award criteria, the tenders received and the panel's scores, so that a procurement's evaluation is on the
record and its award follows it.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04 09:19:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'award_criteria',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('weighting', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['case_id'], ['cases.id'], name=op.f('fk_award_criteria_case_id_cases'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_award_criteria')),
        sa.UniqueConstraint('case_id', 'position', name='uq_award_criteria_position'),
    )
    op.create_table(
        'tenders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('supplier_name', sa.String(length=200), nullable=False),
        sa.Column('supplier_key', sa.String(length=200), nullable=False),
        sa.Column('supplier_registration', sa.String(length=40), nullable=False),
        sa.Column('supplier_is_sme', sa.Boolean(), nullable=False),
        sa.Column('supplier_is_vcse', sa.Boolean(), nullable=False),
        sa.Column('price', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('received_on', sa.Date(), nullable=False),
        sa.Column('not_assessed_because', sa.Text(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_tenders_case_id_cases'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_tenders_recorded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tenders')),
        sa.UniqueConstraint('case_id', 'supplier_key', name='uq_tenders_supplier'),
    )
    op.create_index('ix_tenders_supplier_key', 'tenders', ['supplier_key'], unique=False)
    op.create_table(
        'tender_scores',
        sa.Column('tender_id', sa.Integer(), nullable=False),
        sa.Column('criterion_id', sa.Integer(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('reasons', sa.Text(), nullable=False),
        sa.Column('scored_by_id', sa.Integer(), nullable=False),
        sa.Column('scored_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['criterion_id'],
            ['award_criteria.id'],
            name=op.f('fk_tender_scores_criterion_id_award_criteria'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(['scored_by_id'], ['users.id'], name=op.f('fk_tender_scores_scored_by_id_users')),
        sa.ForeignKeyConstraint(
            ['tender_id'], ['tenders.id'], name=op.f('fk_tender_scores_tender_id_tenders'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('tender_id', 'criterion_id', name=op.f('pk_tender_scores')),
    )


def downgrade() -> None:
    op.drop_table('tender_scores')
    op.drop_index('ix_tenders_supplier_key', table_name='tenders')
    op.drop_table('tenders')
    op.drop_table('award_criteria')
