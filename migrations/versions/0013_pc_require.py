"""PostgreSQL: ``pc_require(ok, refusal)``, which fails the statement it is in with ``refusal`` unless ``ok``.

The door sends a transition's writes with its COMMIT without waiting for their answers (one round trip for
both), so a check that used to read an UPDATE's row count before committing is made by the database itself
inside the statement (``provision_cycle.workflow.statements.move_and_record``). SQLite runs the statements
one by one and checks the row count as before.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 03:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    # serialization_failure: the row changed under the statement, the class of error a retry would clear.
    op.execute("""
        CREATE FUNCTION pc_require(ok boolean, refusal text) RETURNS boolean
        LANGUAGE plpgsql AS $$
        BEGIN
            IF ok IS NOT TRUE THEN
                RAISE EXCEPTION USING MESSAGE = refusal, ERRCODE = 'serialization_failure';
            END IF;
            RETURN ok;
        END
        $$
    """)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION pc_require(boolean, text)')
