"""An open framework's re-opening falls due as a task for its keeper, like every other statutory date, where an
email reminded them before: a task may be about a framework (``tasks.framework_id``), and the date a framework
was last reminded of goes (the task's raise-once key keeps it to one per date).

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-04 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0045"
down_revision: str | None = "0044"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ABOUT_A_FRAMEWORK = sa.text("framework_id IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("framework_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_tasks_framework_id_frameworks"), "frameworks", ["framework_id"], ["id"])
    op.create_index(
        "ix_tasks_framework", "tasks", ["framework_id"], sqlite_where=ABOUT_A_FRAMEWORK, postgresql_where=ABOUT_A_FRAMEWORK
    )
    with op.batch_alter_table("frameworks", schema=None) as batch_op:
        batch_op.drop_column("reopening_reminded_for")


def downgrade() -> None:
    with op.batch_alter_table("frameworks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reopening_reminded_for", sa.Date(), nullable=True))
    op.drop_index("ix_tasks_framework", table_name="tasks")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_tasks_framework_id_frameworks"), type_="foreignkey")
        batch_op.drop_column("framework_id")
