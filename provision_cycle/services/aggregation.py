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
from datetime import datetime, timedelta
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
    commenced = proposal.commencement or core.engine.today()
    alone = statutory.statutory_position(proposal.value, proposal.vat_treatment, proposal.contract_type, commenced)
    if alone.above_threshold:
        return None
    others = list(
        session.scalars(
            select(Case)
            .where(
                Case.authority == proposal.authority,  # its index; then the few of its council to check
                Case.stage == Stage.PROCUREMENT,
                Case.category == proposal.category,
                Case.contract_type == proposal.contract_type,
                Case.submitted_at.is_not(None),
                Case.created_at.between(around - WITHIN, around + WITHIN),
                or_(Case.route.is_(None), Case.route != Route.FRAMEWORK_CALL_OFF),
                not_(_ended_without_a_contract(core)),
                *([Case.id != case_id] if case_id is not None else []),
            )
            .order_by(Case.created_at.desc(), Case.id.desc())
        )
    )
    together = alone.value_inc_vat + sum(
        (statutory.value_including_vat(case.estimated_value, case.vat_treatment) for case in others), Decimal(0)
    )
    crossed = statutory.line_crossed_together(alone, together) if others else None
    if crossed is None:
        return None
    seen = [case for case in others if may_see_case(session, actor, case)]
    return PerhapsOneRequirement(seen[:SHOWN_AT_MOST], len(others) - len(seen[:SHOWN_AT_MOST]), together, *crossed)


def _ended_without_a_contract(core: Core):
    """A procurement at an end with no contract signed (rejected, withdrawn, terminated), in its workflow's
    own states: nothing was bought."""
    ended: dict[str, set[str]] = {}
    for definition in core.workflows.definitions.values():
        if definition.stage == Stage.PROCUREMENT:
            states = {s.name for s in definition.states.values() if s.final and s.award != "signed"}
            ended.setdefault(definition.name, set()).update(states)
    return or_(*(and_(Case.workflow == name, Case.state.in_(sorted(states))) for name, states in ended.items()))
