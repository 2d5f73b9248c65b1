"""Who works on a procurement: its team and its evaluation panel.

The Procurement Act 2023 (s81-83) makes the authority identify the conflicts of interest of everyone acting
for it in a procurement, and prepare a conflicts assessment before a tender or transparency notice. So the
category team names the people on a case, each of them is asked to declare (none, or a conflict with its
mitigation), and the case cannot complete its conflicts assessment, publish its notice or recommend an award
while anyone named has not declared or is blocked by an unmitigated conflict (the ``team_declared`` guard).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from ..core import Core
from ..db import statements_of
from ..errors import InvalidInput, NotFound
from ..governance.statutory import conflicts_law
from ..models import Case, CaseTeamMember, ConflictDeclaration, OutboxMessage, RoleAssignment, TeamPart, User
from ..models.cases import declaration_blocks
from ..models.people import Colleague, colleagues
from ..workflow import statements as sql
from ..workflow.engine import Actor

KIND = "team_member_added"  # the outbox kind of the message asking a new member to declare
PART_NAMES = {TeamPart.PROCUREMENT: "procurement team", TeamPart.EVALUATION: "evaluation panel"}


@dataclass(frozen=True)
class TeamMember:
    user_id: int
    name: str
    part: str
    active: bool
    declaration: str  # "none" (not yet), "no_conflict", "mitigated" or "blocked"

    @property
    def part_name(self) -> str:
        return PART_NAMES[TeamPart(self.part)]


def may_manage_team(actor: Actor, case: Case) -> bool:
    """The category team for the case's council and pillar, or an administrator of that council."""
    return actor.runs_category(case.authority, case.pillar)


def conflicts_assessment_dates(case: Case) -> str:
    """When the procurement's conflicts assessment was prepared and last reviewed ("prepared on 2 March 2026
    and last reviewed on 20 April 2026"), which its contract details notice under the Act confirms (s83); empty
    where it made none (a procurement below the threshold, or not yet)."""
    details = case.details or {}
    if not details.get("conflicts_assessment_completed_on"):
        return ""
    prepared = date.fromisoformat(details["conflicts_assessment_completed_on"])
    reviewed = details.get("conflicts_assessment_reviewed_on")
    since = f"last reviewed on {date.fromisoformat(reviewed):%-d %B %Y}" if reviewed else "not reviewed since"
    return f"prepared on {prepared:%-d %B %Y} and {since}"


def team_of(session: Session, case_id: int) -> list[TeamMember]:
    """The case's team by name, each with where their declaration stands."""
    members = []
    for row in statements_of(session).rows(sql.TEAM_WITH_DECLARATIONS, {"case_id": case_id}):
        if row.declaration_id is None:
            declaration = "none"
        elif declaration_blocks(row.has_conflict, row.mitigation):
            declaration = "blocked"
        else:
            declaration = "mitigated" if row.has_conflict else "no_conflict"
        members.append(TeamMember(row.user_id, row.full_name, row.part, row.is_active, declaration))
    return members


def on_team(session: Session, case_id: int, user_id: int) -> bool:
    """Whether ``user_id`` is named on the case's procurement team or evaluation panel."""
    named = select(CaseTeamMember.id).where(CaseTeamMember.case_id == case_id, CaseTeamMember.user_id == user_id)
    return session.scalar(named) is not None


def cases_named_on(user_id: int) -> Select[tuple[int]]:
    """The cases whose team or panel names ``user_id``, as a subquery."""
    return select(CaseTeamMember.case_id).where(CaseTeamMember.user_id == user_id)


def latest_declaration(session: Session, case_id: int, user_id: int) -> ConflictDeclaration | None:
    """The declaration of ``user_id`` on the case that counts: their latest (declarations are append-only)."""
    return session.scalar(
        select(ConflictDeclaration)
        .where(ConflictDeclaration.case_id == case_id, ConflictDeclaration.user_id == user_id)
        .order_by(ConflictDeclaration.id.desc())
        .limit(1)
    )


def declarations_owed(session: Session, user_id: int) -> list[Case]:
    """Open procurements whose team names ``user_id`` and that still wait for their declaration: none yet, or a
    conflict with no mitigation."""
    rows = statements_of(session).rows(sql.DECLARATIONS_OF_MEMBER, {"user_id": user_id})
    owed = [r.case_id for r in rows if r.declaration_id is None or declaration_blocks(r.has_conflict, r.mitigation)]
    return list(session.scalars(select(Case).where(Case.id.in_(owed)).order_by(Case.id))) if owed else []


def team_choices(core: Core, session: Session, case: Case) -> list[Colleague]:
    """Active people who work for the case's council (either, for a joint case) and are not on its team yet."""
    return colleagues(
        session,
        RoleAssignment.authority.in_(core.governance.organisation.authorities_of(case.authority)),
        User.id.not_in(select(CaseTeamMember.user_id).where(CaseTeamMember.case_id == case.id)),
    )


def add_team_member(core: Core, case_id: int, actor_id: int, *, user_id: int, part: str) -> None:
    """Name ``user_id`` on the case's team (``part``: procurement or evaluation) and ask them to declare."""
    if part not in set(TeamPart):
        raise InvalidInput({"part": "Choose the procurement team or the evaluation panel"})
    with core.db.unit_of_work() as session:
        case = _case_for_team_change(core, session, case_id, actor_id)
        if user_id not in {person.id for person in team_choices(core, session, case)}:
            on_team = session.scalar(
                select(CaseTeamMember.id).where(CaseTeamMember.case_id == case.id, CaseTeamMember.user_id == user_id)
            )
            message = "They are already on the team" if on_team else f"Choose someone who works for {case.authority}"
            raise InvalidInput({"user_id": message})
        now = core.engine.clock()
        session.add(CaseTeamMember(case_id=case.id, user_id=user_id, part=part, added_by_id=actor_id, added_at=now))
        case.version += 1
        core.engine.note_case_event(
            session, case, actor_id=actor_id, action="add_team_member", data={"user_id": user_id, "part": part}, now=now
        )
        body = (
            f"You are on the {PART_NAMES[TeamPart(part)]} for {case.reference} {case.title}. Before the procurement "
            "goes further, declare on the case any conflict of interest you have in it, or that you have none "
            f"({conflicts_law(case.regime, 's81-83')})."
        )
        subject = f"{case.reference}: declare your interests"
        session.add(OutboxMessage.queued(KIND, user_id, subject, body, now, case_id=case.id))


def remove_team_member(core: Core, case_id: int, actor_id: int, *, user_id: int) -> None:
    """Take ``user_id`` off the case's team (their declarations stay on the record)."""
    with core.db.unit_of_work() as session:
        case = _case_for_team_change(core, session, case_id, actor_id)
        removed = session.execute(
            delete(CaseTeamMember).where(CaseTeamMember.case_id == case.id, CaseTeamMember.user_id == user_id)
        ).rowcount
        if not removed:
            raise NotFound("That person is not on this case's team")
        case.version += 1
        data = {"user_id": user_id}
        core.engine.note_case_event(session, case, actor_id=actor_id, action="remove_team_member", data=data)


def _case_for_team_change(core: Core, session: Session, case_id: int, actor_id: int) -> Case:
    case = core.engine.lock_case(session, case_id, None)  # one change to the case at a time
    actor = core.engine.actor(session, actor_id)
    core.engine.require_category_team(actor, case.authority, case.pillar, to="change who works on this case")
    if case.stage != "procurement" or case.closed_at is not None:
        raise InvalidInput({"user_id": "Only an open procurement has a team to change"})
    return case
