"""Requests that may be one requirement: a procurement under a statutory line on its own, and others of its
council's for the same category and type of contract within a year of it, that together cross the line.

The Act has a council estimate a contract's value as Schedule 3 says, and forbids dividing a requirement to
keep under a threshold (section 4, Schedule 3): where it could have entered into one contract, each of the
several it enters into is valued as all of them together. Whether some purchases are one requirement (one
need, one budget, bought at one time) is a judgement, not a sum; so the engine points out the candidates (to
the requester before they submit, to the route's approvers and on the case page) and leaves it to people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, not_, or_, select
from sqlalchemy.orm import Session

from ..core import Core
from ..governance import statutory
from ..governance.rules import Proposal
from ..governance.statutory import Route
from ..models import Case
from ..models.cases import Stage
from ..workflow.engine import Actor
from .reading import may_see_case

WITHIN = timedelta(days=365)  # the year either side of a request in which others may be one requirement with it
SHOWN_AT_MOST = 20


@dataclass(frozen=True)
class PerhapsOneRequirement:
    """The others that, with the proposed procurement, cross a statutory line it is under alone."""

    others: list[Case]  # those the person may see, the latest first (at most SHOWN_AT_MOST)
    more: int  # the others not listed: more than SHOWN_AT_MOST, or not the person's to see
    together_inc_vat: Decimal  # the proposed one and every other, with VAT
    line: Decimal
    line_name: str  # "the 207,720.00 threshold (...)"


def of_case(core: Core, session: Session, actor: Actor, case: Case) -> PerhapsOneRequirement | None:
    """``perhaps_one_requirement`` for a procurement case still running (after, it is history)."""
    if (
        case.stage != Stage.PROCUREMENT
        or core.workflows.get(case.workflow, case.workflow_version).states[case.state].final
    ):
        return None
    proposal = core.engine.proposal_of(case, route=case.route)
    return perhaps_one_requirement(core, session, actor, proposal, around=case.created_at, case_id=case.id)


def perhaps_one_requirement(
    core: Core, session: Session, actor: Actor, proposal: Proposal, *, around: datetime, case_id: int | None = None
) -> PerhapsOneRequirement | None:
    """The council's other procurements that may be one requirement with the one proposed (``case_id``, once
    it is saved; ``around`` when it was made), where together they cross a statutory line it is under on its
    own: submitted within a year of it, for the same category and type of contract, not ended without a
    contract, not a call-off (a framework's, valued as the framework); None where there are none, or they
    cross no line."""
    if proposal.route == Route.FRAMEWORK_CALL_OFF:
        return None
    pool = session.scalars(
        _counted(core).where(
            Case.authority == proposal.authority,  # its index; then the few of its council to check
            Case.category == proposal.category,
            Case.contract_type == proposal.contract_type,
            Case.created_at.between(around - WITHIN, around + WITHIN),
        )
    )
    crossing = _crossing(proposal, proposal.commencement or core.engine.today(), around, case_id, list(pool))
    if crossing is None:
        return None
    others, together, line, line_name = crossing
    seen = [case for case in others if may_see_case(session, actor, case)][:SHOWN_AT_MOST]
    return PerhapsOneRequirement(seen, len(others) - len(seen), together, line, line_name)


@dataclass(frozen=True)
class RunningFlagged:
    """A running procurement that may be one requirement with others (``perhaps_one_requirement``): for the
    overview, which leads to its page, where they are listed."""

    case: Case
    others: int
    together_inc_vat: Decimal
    line_name: str


def running_flagged(core: Core, session: Session, running: list[Case], today: date) -> list[RunningFlagged]:
    """Of the ``running`` procurements (not at an end), those that may be one requirement with others of their
    council's: read together, the councils' procurements of the years around them in one query."""
    running = [case for case in running if case.stage == Stage.PROCUREMENT and case.route != Route.FRAMEWORK_CALL_OFF]
    if not running:
        return []
    pool: dict[tuple[str, str, str], list[Case]] = {}
    earliest = min(case.created_at for case in running) - WITHIN
    for case in session.scalars(
        _counted(core).where(
            Case.authority.in_({case.authority for case in running}),
            Case.category.in_({case.category for case in running}),
            Case.created_at >= earliest,
        )
    ):
        pool.setdefault((case.authority, case.category, case.contract_type), []).append(case)
    flagged = []
    for case in running:
        proposal = core.engine.proposal_of(case, route=case.route)
        same_kind = pool.get((case.authority, case.category, case.contract_type), [])
        crossing = _crossing(proposal, case.commencement_date or today, case.created_at, case.id, same_kind)
        if crossing is not None:
            others, together, _, line_name = crossing
            flagged.append(RunningFlagged(case, len(others), together, line_name))
    return sorted(flagged, key=lambda flag: (-flag.together_inc_vat, flag.case.id))


def _counted(core: Core):
    """The procurements counted with others of their kind: submitted, not ended without a contract, not a
    framework's call-off (valued as the framework); the latest first."""
    return (
        select(Case)
        .where(
            Case.stage == Stage.PROCUREMENT,
            Case.submitted_at.is_not(None),
            or_(Case.route.is_(None), Case.route != Route.FRAMEWORK_CALL_OFF),
            not_(_ended_without_a_contract(core)),
        )
        .order_by(Case.created_at.desc(), Case.id.desc())
    )


def _crossing(
    proposal: Proposal, commenced: date, around: datetime, case_id: int | None, same_kind: list[Case]
) -> tuple[list[Case], Decimal, Decimal, str] | None:
    """The others of ``same_kind`` (its council's, category's and contract type's) within a year of it, the
    total with VAT of it and them, and the line they cross together that it is under alone; None if none."""
    alone = statutory.statutory_position(proposal.value, proposal.vat_treatment, proposal.contract_type, commenced)
    if alone.above_threshold:
        return None
    others = [c for c in same_kind if c.id != case_id and abs(c.created_at - around) <= WITHIN]
    together = alone.value_inc_vat + sum(
        (statutory.value_including_vat(c.estimated_value, c.vat_treatment) for c in others), Decimal(0)
    )
    crossed = statutory.line_crossed_together(alone, together) if others else None
    return None if crossed is None else (others, together, *crossed)


def _ended_without_a_contract(core: Core):
    """A procurement at an end with no contract signed (rejected, withdrawn, terminated), in its workflow's
    own states: nothing was bought."""
    ended: dict[str, set[str]] = {}
    for definition in core.workflows.definitions.values():
        if definition.stage == Stage.PROCUREMENT:
            states = {s.name for s in definition.states.values() if s.final and s.award != "signed"}
            ended.setdefault(definition.name, set()).update(states)
    return or_(*(and_(Case.workflow == name, Case.state.in_(sorted(states))) for name, states in ended.items()))
