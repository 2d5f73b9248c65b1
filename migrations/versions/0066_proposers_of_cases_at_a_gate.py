"""Who put forward what a case's gate decides, kept in its details (``proposed_by``) as it reaches the gate:
they hear its approvers' questions (which they may answer), and its return or rejection, with its requester.
Cases already at a gate take theirs from their audit chain: the person who made the last move on the case that
was not a gate's decision (not the scheduler).

Revision ID: 0066
Revises: 0065
Create Date: 2026-12-06 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0066"
down_revision: str | None = "0065"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROPOSED_BY = "proposed_by"
cases = sa.table("cases", sa.column("id", sa.Integer), sa.column("details", sa.JSON))
steps = sa.table("approval_steps", sa.column("case_id", sa.Integer), sa.column("status", sa.String))
events = sa.table(
    "audit_events",
    sa.column("case_id", sa.Integer),
    sa.column("seq", sa.Integer),
    sa.column("actor_id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("from_state", sa.String),
    sa.column("to_state", sa.String),
)
users = sa.table("users", sa.column("id", sa.Integer), sa.column("username", sa.String))


def upgrade() -> None:
    bind = op.get_bind()
    at_a_gate = sa.select(steps.c.case_id).where(steps.c.status.in_(["open", "info_requested", "waiting"]))
    waiting = bind.execute(sa.select(cases.c.id, cases.c.details).where(cases.c.id.in_(at_a_gate))).all()
    for case_id, details in waiting:
        proposer = bind.scalar(
            sa.select(events.c.actor_id)
            .join(users, users.c.id == events.c.actor_id)
            .where(
                events.c.case_id == case_id,
                events.c.from_state != events.c.to_state,
                events.c.action.not_in(["approve", "reject", "return"]),
                users.c.username != "system",
            )
            .order_by(events.c.seq.desc())
            .limit(1)
        )
        if proposer is not None:
            bind.execute(
                sa.update(cases).where(cases.c.id == case_id).values(details={**(details or {}), PROPOSED_BY: proposer})
            )


def downgrade() -> None:
    bind = op.get_bind()
    for case_id, details in bind.execute(sa.select(cases.c.id, cases.c.details)).all():
        if details and PROPOSED_BY in details:
            bind.execute(
                sa.update(cases)
                .where(cases.c.id == case_id)
                .values(details={k: v for k, v in details.items() if k != PROPOSED_BY})
            )
