"""Each evaluator's own marks for a tender, given before the panel agrees its score.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-04 10:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0030'
down_revision: str | None = '0029'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'tender_marks',
        sa.Column('tender_id', sa.Integer(), nullable=False),
        sa.Column('criterion_id', sa.Integer(), nullable=False),
        sa.Column('evaluator_id', sa.Integer(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('reasons', sa.Text(), nullable=False),
        sa.Column('marked_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['criterion_id'],
            ['award_criteria.id'],
            name=op.f('fk_tender_marks_criterion_id_award_criteria'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(['evaluator_id'], ['users.id'], name=op.f('fk_tender_marks_evaluator_id_users')),
        sa.ForeignKeyConstraint(
            ['tender_id'], ['tenders.id'], name=op.f('fk_tender_marks_tender_id_tenders'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('tender_id', 'criterion_id', 'evaluator_id', name=op.f('pk_tender_marks')),
    )


def downgrade() -> None:
    op.drop_table('tender_marks')
