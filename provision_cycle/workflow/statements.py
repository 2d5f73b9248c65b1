"""The engine's hot-path SQL, built once at import.

Every action runs the same handful of statements. Building a SQLAlchemy statement (coercing each
expression, generating its cache key) and running it through the ORM costs several times more CPU than
executing a prebuilt Core statement with bound parameters: on a 2-core box, about 1.1 ms for an ORM
SELECT against 0.23 ms for the same prebuilt Core SELECT. So the door reads and writes the case, its steps,
decisions, audit events and the cases and contracts it opens with the statements below, run on the
driver's cursor (``provision_cycle.driver``: a third of the CPU again of Core execution), and keeps the
ORM for the rarer work (declarations, edits, delegations) where its convenience costs little.

Rows come back as read-only named tuples: an effect cannot change the case behind the engine's back;
changes are collected on the action's context and written in one UPDATE (see ``Engine._record``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    bindparam,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    null,
    select,
    true,
    union_all,
    update,
)

from ..db import CHANGE_LOCK
from ..models import (
    ApprovalStep,
    AuditEvent,
    AwardCriterion,
    Case,
    CaseTeamMember,
    ConflictDeclaration,
    Contract,
    Decision,
    Delegation,
    OutboxMessage,
    RoleAssignment,
    Tender,
    User,
)
from ..models.base import json_rows

CASES = Case.__table__
STEPS = ApprovalStep.__table__
DECISIONS = Decision.__table__
USERS = User.__table__
ROLES = RoleAssignment.__table__
DECLARATIONS = ConflictDeclaration.__table__

# The actor's latest conflict-of-interest declaration on the case (NULL columns if they have made none).
_ACTORS_DECLARATION = (
    select(DECLARATIONS)
    .where(DECLARATIONS.c.case_id == CASES.c.id, DECLARATIONS.c.user_id == bindparam("actor_id"))
    .order_by(DECLARATIONS.c.id.desc())
    .limit(1)
)

# The case row together with the acting person, their roles and their latest declaration on the case: one
# round trip instead of three, and one row. The roles come as one JSON array of [role, authority, pillar]
# (a join would repeat the case's columns, its JSON details and route plan among them, once per role: the
# hub's staff hold four or more). The door reads it locked; a page asking what stands in the way, not.
CASE_WITH_ACTOR = (
    select(
        CASES,
        USERS.c.username.label("actor_username"),
        USERS.c.full_name.label("actor_full_name"),
        USERS.c.is_active.label("actor_active"),
        select(json_rows(ROLES.c.role, ROLES.c.authority, ROLES.c.pillar))
        .where(ROLES.c.user_id == USERS.c.id)
        .scalar_subquery()
        .label("actor_roles"),
        _ACTORS_DECLARATION.with_only_columns(DECLARATIONS.c.id).scalar_subquery().label("actor_declaration_id"),
        _ACTORS_DECLARATION.with_only_columns(DECLARATIONS.c.has_conflict).scalar_subquery().label("actor_conflict"),
        _ACTORS_DECLARATION.with_only_columns(DECLARATIONS.c.mitigation).scalar_subquery().label("actor_mitigation"),
        # How many people are named on the case's team: the team_declared guard reads their declarations only
        # when there are some.
        select(func.count())
        .select_from(CaseTeamMember.__table__)
        .where(CaseTeamMember.__table__.c.case_id == CASES.c.id)
        .scalar_subquery()
        .label("team_size"),
        # Whether award criteria or tenders are on record: most below the tender routes have neither, and then
        # an award's guards need not read its evaluation through the ORM (``ActionContext.evaluation``).
        (exists().where(AwardCriterion.case_id == CASES.c.id) | exists().where(Tender.case_id == CASES.c.id)).label(
            "evaluation_recorded"
        ),
    )
    .select_from(CASES.outerjoin(USERS, USERS.c.id == bindparam("actor_id")))
    .where(CASES.c.id == bindparam("case_id"))
)
LOCK_CASE_WITH_ACTOR = CASE_WITH_ACTOR.with_for_update(of=CASES, **CHANGE_LOCK)

# A case's procurement team and evaluation panel, each member with their latest declaration on the case
# (NULL declaration columns for someone who has not declared), by name.
TEAM = CaseTeamMember.__table__
_MEMBERS_DECLARATION = (
    select(DECLARATIONS)
    .where(DECLARATIONS.c.case_id == TEAM.c.case_id, DECLARATIONS.c.user_id == TEAM.c.user_id)
    .order_by(DECLARATIONS.c.id.desc())
    .limit(1)
)
TEAM_WITH_DECLARATIONS = (
    select(
        TEAM.c.user_id,
        TEAM.c.part,
        USERS.c.full_name,
        USERS.c.is_active,
        _MEMBERS_DECLARATION.with_only_columns(DECLARATIONS.c.id).scalar_subquery().label("declaration_id"),
        _MEMBERS_DECLARATION.with_only_columns(DECLARATIONS.c.has_conflict).scalar_subquery().label("has_conflict"),
        _MEMBERS_DECLARATION.with_only_columns(DECLARATIONS.c.mitigation).scalar_subquery().label("mitigation"),
    )
    .join(USERS, USERS.c.id == TEAM.c.user_id)
    .where(TEAM.c.case_id == bindparam("case_id"))
    .order_by(USERS.c.full_name, TEAM.c.user_id)
)

# Those named on a case's procurement team who still work here, in the order they were named.
PROCUREMENT_TEAM = (
    select(TEAM.c.user_id)
    .join(USERS, USERS.c.id == TEAM.c.user_id)
    .where(TEAM.c.case_id == bindparam("case_id"), TEAM.c.part == "procurement", USERS.c.is_active == true())
    .order_by(TEAM.c.added_at, TEAM.c.id)
)

# The open cases whose team names ``user_id``, each with that person's latest declaration on it.
DECLARATIONS_OF_MEMBER = (
    select(
        TEAM.c.case_id,
        _MEMBERS_DECLARATION.with_only_columns(DECLARATIONS.c.id).scalar_subquery().label("declaration_id"),
        _MEMBERS_DECLARATION.with_only_columns(DECLARATIONS.c.has_conflict).scalar_subquery().label("has_conflict"),
        _MEMBERS_DECLARATION.with_only_columns(DECLARATIONS.c.mitigation).scalar_subquery().label("mitigation"),
    )
    .join(CASES, CASES.c.id == TEAM.c.case_id)
    .where(TEAM.c.user_id == bindparam("user_id"), CASES.c.closed_at.is_(None))
)

ACTOR_WITH_ROLES = (
    select(USERS.c.username, USERS.c.full_name, USERS.c.is_active, ROLES.c.role, ROLES.c.authority, ROLES.c.pillar)
    .select_from(USERS.outerjoin(ROLES, ROLES.c.user_id == USERS.c.id))
    .where(USERS.c.id == bindparam("user_id"))
)

# Step statuses still in play at a gate, each a bound literal (not an expanding IN parameter, which only
# SQLAlchemy's execution layer can expand: see provision_cycle/driver.py).
_IN_PLAY = [literal(status) for status in ("open", "info_requested", "waiting")]

# The steps of a case still in play, at whichever gate, in order (the live step of a gate, then the steps
# waiting behind it in the same round).
_STEPS_IN_PLAY = (
    select(STEPS)
    .where(STEPS.c.case_id == bindparam("case_id"), STEPS.c.status.in_(_IN_PLAY))
    .order_by(STEPS.c.round, STEPS.c.position)
)
GATE_STEPS_IN_PLAY = _STEPS_IN_PLAY.where(STEPS.c.gate == bindparam("gate"))


def _with_decisions(steps: Select[Any]) -> Select[Any]:
    """``steps``, each with the decisions already taken on it (a row per decision; NULLs if none)."""
    return (
        steps.add_columns(DECISIONS.c.principal_id.label("decided_for"), DECISIONS.c.outcome.label("decided"))
        .select_from(STEPS.outerjoin(DECISIONS, DECISIONS.c.step_id == STEPS.c.id))
        .order_by(DECISIONS.c.id)
    )


# What a decision needs to know, in one round trip: a gate's steps with their decisions; a case's at any gate,
# for the door to read beside the case itself before it knows the case's state, and so its gate.
GATE_STEPS_IN_PLAY_WITH_DECISIONS = _with_decisions(GATE_STEPS_IN_PLAY)
CASE_STEPS_IN_PLAY_WITH_DECISIONS = _with_decisions(_STEPS_IN_PLAY)
# Several cases' steps in play with their decisions, for a list of cases (``Engine.nobody_may_decide``): an
# expanding IN, so run by SQLAlchemy's execution layer, not on the driver's cursor.
STEPS_IN_PLAY_OF_CASES_WITH_DECISIONS = _with_decisions(
    select(STEPS)
    .where(STEPS.c.case_id.in_(bindparam("case_ids", expanding=True)), STEPS.c.status.in_(_IN_PLAY))
    .order_by(STEPS.c.case_id, STEPS.c.round, STEPS.c.position)
)

STEP_WAITING_FOR_INFO = select(STEPS).where(
    STEPS.c.case_id == bindparam("case_id"), STEPS.c.gate == bindparam("gate"), STEPS.c.status == "info_requested"
)

# Whom ``delegate_id`` covers for on ``today``: dated delegations not revoked.
DELEGATIONS = Delegation.__table__
DELEGATORS = select(DELEGATIONS.c.delegator_id).where(
    DELEGATIONS.c.delegate_id == bindparam("delegate_id"),
    DELEGATIONS.c.revoked_at.is_(None),
    DELEGATIONS.c.starts_on <= bindparam("today"),
    DELEGATIONS.c.ends_on >= bindparam("today"),
)

_HOLDERS = (
    select(ROLES.c.user_id)
    .join(USERS, USERS.c.id == ROLES.c.user_id)
    .where(ROLES.c.role == bindparam("role"), ROLES.c.authority == bindparam("authority"), USERS.c.is_active)
    .distinct()
)
HOLDERS = _HOLDERS.order_by(ROLES.c.user_id)
HOLDERS_IN_PILLAR = _HOLDERS.where(ROLES.c.pillar == bindparam("pillar")).order_by(ROLES.c.user_id)


def _with_their_cover(holders):
    """The holders (``covering_for`` none) and whoever covers on ``today`` for one of them (``covering_for``
    them), in one read: who may decide a step (``Engine.step_deciders``), told when it opens, reminded when it
    waits, and told a question's answer."""
    held = holders.subquery()
    covering = (
        select(DELEGATIONS.c.delegate_id, DELEGATIONS.c.delegator_id)
        .join(USERS, USERS.c.id == DELEGATIONS.c.delegate_id)
        .where(
            DELEGATIONS.c.delegator_id.in_(select(held.c.user_id)),
            DELEGATIONS.c.revoked_at.is_(None),
            DELEGATIONS.c.starts_on <= bindparam("today"),
            DELEGATIONS.c.ends_on >= bindparam("today"),
            USERS.c.is_active,
        )
    )
    return union_all(select(held.c.user_id, cast(null(), Integer).label("covering_for")), covering)


HOLDERS_AND_COVER = _with_their_cover(_HOLDERS)
HOLDERS_IN_PILLAR_AND_COVER = _with_their_cover(_HOLDERS.where(ROLES.c.pillar == bindparam("pillar")))

# (A bound parameter in an UPDATE may not share a column's name: hence the ``b_`` prefixes.)
_STEP = update(STEPS).where(STEPS.c.id == bindparam("b_step_id"))
OPEN_STEP = _STEP.values(status="open", opened_at=bindparam("b_at"))
CLOSE_STEP = _STEP.values(status=bindparam("b_status"), closed_at=bindparam("b_at"))
SET_STEP_STATUS = _STEP.values(status=bindparam("b_status"))
# A question answered: the step is open again, back with its approvers from the answer.
STEP_ANSWERED = _STEP.values(status="open", answered_at=bindparam("b_at"))

# Close whatever is still in play at a gate (the case left it, or a step's decision ended the round).
_CLOSE_GATE = update(STEPS).where(
    STEPS.c.case_id == bindparam("b_case_id"),
    STEPS.c.gate == bindparam("b_gate"),
    STEPS.c.status.in_(_IN_PLAY),
)
CLOSE_GATE_STEPS = _CLOSE_GATE.values(status=bindparam("b_status"), closed_at=bindparam("b_at"))
# A decision that ends its round: the decided step takes the outcome, the rest of the round is cancelled.
END_ROUND = _CLOSE_GATE.where(STEPS.c.round == bindparam("b_round")).values(
    status=case(
        (STEPS.c.id == bindparam("b_step_id"), bindparam("b_status", type_=STEPS.c.status.type)),
        else_=bindparam("b_others", type_=STEPS.c.status.type),
    ),
    closed_at=bindparam("b_at"),
)

INSERT_DECISION = insert(DECISIONS)
# PostgreSQL: a decision that ends its round, and the end of the round, in one statement (the decision is a
# data-modifying CTE; the two touch different tables). Decision parameters are ``d_<column>``.
DECIDE_AND_END_ROUND = END_ROUND.add_cte(
    insert(DECISIONS)
    .values({name: bindparam(f"d_{name}", type_=DECISIONS.c[name].type) for name in (
        "step_id", "case_id", "actor_id", "principal_id", "outcome", "reason", "at"
    )})
    .cte("decided")
)  # fmt: skip
INSERT_OUTBOX = insert(OutboxMessage.__table__)
INSERT_AUDIT_EVENT = insert(AuditEvent.__table__).returning(AuditEvent.__table__.c.id)
# Opening a case (a signed contract opens its contract-management case inside the door) and its register entry.
INSERT_CASE = insert(CASES).returning(CASES.c.id)
FINISH_NEW_CASE = update(CASES).where(CASES.c.id == bindparam("b_id"))
INSERT_CONTRACT = insert(Contract.__table__)

# The SET clause comes from the parameters each action passes (state, version, chain head, changes);
# the WHERE clause is the optimistic lock.
UPDATE_CASE = update(CASES).where(CASES.c.id == bindparam("b_id"), CASES.c.version == bindparam("b_version"))


AUDIT = AuditEvent.__table__
# The latest question an approver asked a case's requester: its words and who asked.
LAST_QUESTION = (
    select(AUDIT.c.comment, AUDIT.c.actor_id)
    .where(AUDIT.c.case_id == bindparam("case_id"), AUDIT.c.action == "request_info")
    .order_by(AUDIT.c.seq.desc())
    .limit(1)
)
# What has happened to a case since the event a person last saw on its chain (a decision page's reading).
CASE_EVENTS_SINCE = (
    select(AUDIT.c.action, AUDIT.c.data)
    .where(AUDIT.c.case_id == bindparam("case_id"), AUDIT.c.seq > bindparam("seq"))
    .order_by(AUDIT.c.seq)
)
EVENT_COLUMNS = (
    "stream", "seq", "case_id", "at", "prev_hash", "actor_id", "on_behalf_of_id", "action", "from_state",
    "to_state", "comment", "data", "hash",
)  # fmt: skip


OUTBOX = OutboxMessage.__table__
# Every column of a queued message but its id, its event and sent_at: an INSERT ... SELECT takes no defaults.
MESSAGE_COLUMNS = (
    "created_at", "kind", "recipient_id", "case_id", "subject", "body", "payload", "status", "attempts",
    "next_attempt_at", "last_error",
)  # fmt: skip


@cache
def move_and_record(changed: tuple[str, ...], messages: int = 0):
    """PostgreSQL: the case UPDATE (with its version check), the audit INSERT and the ``messages`` outbox
    rows the event causes in ONE statement, whose answer the door does not wait for: it goes with the
    COMMIT, so a simple transition costs two round trips, its locked read and this. The event is inserted
    only if the case row was updated, and the messages only if the event was. If the version check fails
    (the row lock taken by the locked read rules that out, unless a bug changed the row during the action)
    the statement fails with ``b_refusal`` as its message (``pc_require``, migration 0013) and nothing
    commits. One statement per set of changed columns and number of messages, built once."""
    moved = (
        update(CASES)
        .where(CASES.c.id == bindparam("b_id"), CASES.c.version == bindparam("b_version"))
        .values({name: bindparam(f"u_{name}", type_=CASES.c[name].type) for name in changed})
        .returning(CASES.c.id)
        .cte("moved")
    )
    event = select(*(bindparam(f"e_{name}", type_=AUDIT.c[name].type) for name in EVENT_COLUMNS)).select_from(moved)
    recorded = insert(AUDIT).from_select(list(EVENT_COLUMNS), event).returning(AUDIT.c.id).cte("recorded")
    writes = [moved, recorded]
    if messages:
        rows = [
            select(*(bindparam(f"m{i}_{name}", type_=OUTBOX.c[name].type).label(name) for name in MESSAGE_COLUMNS))
            for i in range(messages)
        ]
        queued = (rows[0] if messages == 1 else union_all(*rows)).subquery("queued")
        each = select(*queued.c, recorded.c.id).select_from(queued).join(recorded, true())
        writes.append(insert(OUTBOX).from_select([*MESSAGE_COLUMNS, "audit_event_id"], each).cte("queued_messages"))
    # PostgreSQL runs every data-modifying CTE to completion whether or not the main query reads it.
    return select(func.pc_require(exists(moved.select()), bindparam("b_refusal", type_=String()))).add_cte(*writes)


# What each planned step of a new round brings; the rest (case, gate, its order, the round) the round shares.
STEP_COLUMNS = ("position", "role", "authority", "pillar", "mode", "required", "status", "reason", "opened_at")


@cache
def open_round(steps: int):
    """A gate's next round: INSERT its ``steps`` planned steps (``s<i>_<column>`` parameters) with the round
    number, one past the gate's last round or 1, worked out in the same statement, which returns it for each
    step. One statement where reading the last round and inserting were two. Built once per number of steps."""
    next_round = (
        select(func.coalesce(func.max(STEPS.c.round), 0) + 1)
        .where(STEPS.c.case_id == bindparam("b_case_id"), STEPS.c.gate == bindparam("b_gate"))
        .scalar_subquery()
    )
    rows = [
        select(*(bindparam(f"s{i}_{name}", type_=STEPS.c[name].type).label(name) for name in STEP_COLUMNS))
        for i in range(steps)
    ]
    planned = (rows[0] if steps == 1 else union_all(*rows)).subquery("planned")
    each = select(
        bindparam("b_case_id", type_=STEPS.c.case_id.type),
        bindparam("b_gate", type_=STEPS.c.gate.type),
        bindparam("b_gate_order", type_=STEPS.c.gate_order.type),
        next_round,
        *planned.c,
    )
    columns = ["case_id", "gate", "gate_order", "round", *STEP_COLUMNS]
    return insert(STEPS).from_select(columns, each).returning(STEPS.c.round)
