"""Requests that may be one requirement: a procurement under a statutory line on its own, and others of its
council's for the same category and type of contract within a year of it, that together cross the line.

The Act has a council estimate a contract's value as Schedule 3 says, and forbids dividing a requirement to
keep under a threshold (section 4, Schedule 3): where it could have entered into one contract, each of the
several it enters into is valued as all of them together. Whether some purchases are one requirement (one
need, one budget, bought at one time) is a judgement, not a sum; so the engine points out the candidates (to
the requester before they submit, to the route's approvers and on the case page) and leaves it to people. The
rule itself is ``workflow.aggregation``, which the door also runs when a request is submitted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import Core
from ..governance.rules import Proposal
from ..models import Case
from ..models.cases import Stage
from ..workflow import aggregation as rule
from ..workflow.engine import Actor
from .reading import may_see_case

# Where a request's requester said why it is not one requirement with the others (its details): for the approvers.
ONE_REQUIREMENT_EXPLAINED = "one_requirement_explained"


@dataclass(frozen=True)
class PerhapsOneRequirement:
    """The others that, with the proposed procurement, cross a statutory line it is under alone."""

    others: list[Case]  # the latest of them that the person may see, the latest first
    more: int  # the others not listed: older than the latest few, or not the person's to see
    together_inc_vat: Decimal  # the proposed one and every other, with VAT
    line: Decimal
    line_name: str  # "the 207,720.00 threshold (...)"


def of_case(core: Core, session: Session, actor: Actor, case: Case) -> PerhapsOneRequirement | None:
    """``perhaps_one_requirement`` for a procurement case still running (after, it is history)."""
    if case.stage != Stage.PROCUREMENT:
        return None
    if core.workflows.get(case.workflow, case.workflow_version).states[case.state].final:
        return None
    saved = _saved(core, case, core.engine.today())
    return perhaps_one_requirement(core, session, actor, saved.proposal, around=saved.around, case_id=case.id)


def of_request(
    core: Core, session: Session, actor: Actor, proposal: Proposal, recommended_route: str
) -> PerhapsOneRequirement | None:
    """``perhaps_one_requirement`` for a request not yet saved (*check your answers*, the API's route preview):
    on the route it would take (the rules' ``recommended_route`` unless it chose one), as if made now."""
    chosen = replace(proposal, route=proposal.route or recommended_route)
    return perhaps_one_requirement(core, session, actor, chosen, around=core.engine.clock())


def _saved(core: Core, case: Case, today: date) -> rule.Saved:
    """A saved procurement as the rule weighs it: on its route, from its commencement (else today), for its
    council or each party to a joint one."""
    return rule.Saved(
        case.id,
        core.engine.proposal_of(case, route=case.route, commencement=case.commencement_date or today),
        case.created_at,
        core.governance.organisation.authorities_of(case.authority),
    )


def perhaps_one_requirement(
    core: Core, session: Session, actor: Actor, proposal: Proposal, *, around: datetime, case_id: int | None = None
) -> PerhapsOneRequirement | None:
    """The council's other procurements that may be one requirement with the one proposed (``case_id``, once
    it is saved; ``around`` when it was made), where together they cross a statutory line it is under on its
    own (``workflow.aggregation``); the latest of them that the person may see, and how many more."""
    proposal = replace(proposal, commencement=proposal.commencement or core.engine.today())
    councils = core.governance.organisation.authorities_of(proposal.authority)
    found = rule.of_its_kind(session, core.workflows, proposal, around, case_id, councils=councils)
    if found is None:
        return None
    latest_ids = rule.latest_of_its_kind(session, core.workflows, proposal, around, case_id, council=found.council)
    latest = session.scalars(
        select(Case).where(Case.id.in_(latest_ids)).order_by(Case.created_at.desc(), Case.id.desc())
    )
    seen = [case for case in latest if may_see_case(session, actor, case)]
    return PerhapsOneRequirement(seen, found.count - len(seen), found.together_inc_vat, found.line, found.line_name)


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
    council's, the greatest total first: all of them summed at once (``rule.of_each_its_kind``)."""
    procurements = {case.id: case for case in running if case.stage == Stage.PROCUREMENT}
    saved = [_saved(core, case, today) for case in procurements.values()]
    flagged = [
        RunningFlagged(procurements[case_id], found.count, found.together_inc_vat, found.line_name)
        for case_id, found in rule.of_each_its_kind(session, core.workflows, saved).items()
    ]
    return sorted(flagged, key=lambda flag: (-flag.together_inc_vat, flag.case.id))
