"""A case's procurement team and evaluation panel, each of whom must declare before the conflicts assessment
is complete (Procurement Act 2023 s83).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 02:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('case_team_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('part', sa.String(length=20), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_case_team_members_added_by_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_team_members_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_case_team_members_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_team_members')),
    sa.UniqueConstraint('case_id', 'user_id', name='uq_case_team_members_person')
    )


def downgrade() -> None:
    op.drop_table('case_team_members')
