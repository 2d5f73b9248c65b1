"""A key decision's notice on the forward plan, drafted from its case; and one taken under an urgency rule's.

An executive decision that is a key decision may not be taken until a notice of it has been on the council's
website for 28 clear days (the Local Authorities (Executive Arrangements) (Meetings and Access to Information)
(England) Regulations 2012, reg 9), stating: that a key decision is to be made on the council's behalf; the
matter; the decision maker (an individual's name and title); the date or period of the decision; the documents
submitted to the decision maker; the address they may be had from; that other documents may be submitted;
and how to ask for details of them. The case knows most of it; the council's Democratic Services publish it,
and the case team records the date it was published (``record_forward_plan``), from which the decision's
earliest day is counted.

A key decision that cannot wait may be taken under the general exception (reg 10: the chair of the relevant
overview and scrutiny committee told of the matter in writing, the notice made available at the council's
offices and published, and 5 clear days passed) or under special urgency (reg 11: the chair agreed that it is
urgent and cannot reasonably be deferred). Either way the council then makes available and publishes a notice
of the reasons (regs 10(3), 11(2)): ``urgency_notice`` drafts what the notices say from the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import Core
from ..errors import InvalidAction, NotFound
from ..governance import statutory
from ..governance.rules import RoutePlan
from ..models import Case, User
from ..wording import counted, pounds
from ..workflow.engine import Actor
from .reading import CasePage, case_page

# The action by which the case team records the day the notice was published.
FORWARD_PLAN_ENTRY = "record_forward_plan"


@dataclass(frozen=True)
class DecisionMaker:
    name: str
    title: str  # as the service knows them ("Cabinet Member for Finance"); "" where not recorded
    council: str  # for a joint decision, whose; else ""


@dataclass(frozen=True)
class ForwardPlanNotice:
    councils: tuple[str, ...]  # on whose behalf the decision is made: a joint case's, each council's
    matter: str
    why_key: str  # why it is a key decision, as the council's rules found
    decision_makers: tuple[DecisionMaker, ...]  # who holds the deciding role now
    deciding_role: str  # the role that decides, named where nobody holds it yet ("" if the route names none)
    earliest: date  # the first day it could be taken, if the notice were published today
    clear_days: int
    documents: tuple[str, ...]  # the case's documents, for the decision maker's consideration
    documents_from: tuple[str, ...]  # each council's address for them, where its rules give one


def notice_for(core: Core, session: Session, actor: Actor, case_id: int, today: date) -> ForwardPlanNotice:
    """The notice of the case's key decision, for whoever may record its forward plan entry now (its team,
    while the decision lies ahead)."""
    page = case_page(core, session, actor, case_id)
    if not any(action.trigger == FORWARD_PLAN_ENTRY for action in page.actions):
        raise InvalidAction("No key decision on this case waits for a forward plan entry you may record")
    return forward_plan_notice(core, session, page, today)


def forward_plan_notice(core: Core, session: Session, page: CasePage, today: date) -> ForwardPlanNotice:
    """The notice ``page``'s key decision needs, as it would be published today."""
    case, organisation = page.case, core.governance.organisation
    councils = organisation.authorities_of(case.authority)
    # Who decides, from the case's frozen route: its gate's steps are made only once the case gets there.
    frozen = RoutePlan.from_json(case.route_plan or {})
    deciding = [step for gate, steps in frozen.gates.items() if _deciding(page, gate) for step in steps]
    council_of = {
        person: step.authority
        for step in deciding
        for person in core.engine.holders(
            session, step.role, step.authority, step.pillar if organisation.roles[step.role].pillar_scoped else None
        )
    }
    people = session.execute(
        select(User.id, User.full_name, User.job_title).where(User.id.in_(council_of)).order_by(User.full_name)
    )
    joint = len(councils) > 1
    makers = tuple(
        DecisionMaker(name, title, organisation.authority_name(council_of[person]) if joint else "")
        for person, name, title in people
    )
    role = organisation.roles[deciding[0].role].name if deciding else ""
    clear_days = core.governance.forward_plan_days(case.authority)
    matter, why_key = _matter(page)
    rules = core.governance.rules
    return ForwardPlanNotice(
        councils=tuple(organisation.authority_name(code) for code in councils),
        matter=matter,
        why_key=why_key,
        decision_makers=makers,
        deciding_role=role,
        earliest=statutory.earliest_key_decision(today, clear_days).due_on,
        clear_days=clear_days,
        documents=tuple(document.filename for document in page.documents),
        documents_from=tuple(address for code in councils if (address := rules[code].key_decision.documents_from)),
    )


@dataclass(frozen=True)
class UrgencyNotice:
    """What the notices of a key decision taken under an urgency rule say: the matter and the decision maker as
    the forward plan's notice gives them, how the rule was met, and the reasons."""

    case: Case
    notice: ForwardPlanNotice
    urgency: statutory.KeyDecisionUrgency
    given_on: date  # the general exception's notice to the scrutiny chair, or the day special urgency was agreed
    agreed_by: str  # under special urgency
    reasons: str
    decidable_from: date


def urgency_notice(core: Core, session: Session, actor: Actor, case_id: int) -> UrgencyNotice:
    """The notices of the case's key decision still ahead under the urgency rule recorded for it, for anyone
    who may see the case (they are published)."""
    page = case_page(core, session, actor, case_id)
    urgency = page.urgent_key_decision  # None unless its forward plan entry is open
    if urgency is None:
        raise NotFound("No key decision on this case is to be taken under an urgency rule")
    entry = page.forward_plan_entry
    assert entry is not None  # an urgency rule counts only for an open entry
    details = page.case.details
    return UrgencyNotice(
        case=page.case,
        notice=forward_plan_notice(core, session, page, core.engine.today()),
        urgency=urgency,
        given_on=date.fromisoformat(details["forward_plan_published_on"]),
        agreed_by=details.get("urgency_agreed_by") or "",
        reasons=details.get("urgency_reasons") or "",
        decidable_from=entry.due_on,
    )


def _deciding(page: CasePage, gate: str) -> bool:
    """A gate of the case's workflow where a key decision is taken: it waits for the forward plan."""
    found = page.definition.gates.get(gate)
    return found is not None and found.waits_for_forward_plan


def _matter(page: CasePage) -> tuple[str, str]:
    """What is to be decided, and why it is a key decision: the award, the variation or extension, or else the
    procurement the request proposes."""
    case, award, proposal = page.case, page.award, page.proposal
    if award is not None and award.key_decision:
        return (
            f"The award of the contract for {case.title} to {award.supplier}, for {pounds(award.value)} excluding VAT",
            award.key_decision,
        )
    if proposal is not None and proposal.key_decision:
        what = "A variation of" if proposal.kind == "variation" else "An extension of"
        changes = []
        if proposal.value and proposal.value[0] != proposal.value[1]:
            changes.append(f"its value from {pounds(proposal.value[0])} to {pounds(proposal.value[1])} excluding VAT")
        if proposal.end_date and proposal.end_date[0] != proposal.end_date[1]:
            changes.append(f"its end from {proposal.end_date[0]:%-d %B %Y} to {proposal.end_date[1]:%-d %B %Y}")
        said = f": {proposal.description.strip().rstrip('.')}" if proposal.description.strip() else ""
        changed = f" ({'; '.join(changes)})" if changes else ""
        return f"{what} the contract for {case.title}{said}{changed}", proposal.key_decision
    over = f" over {counted(case.duration_months, 'month')}" if case.duration_months else ""
    said = f": {case.description.strip().rstrip('.')}" if case.description.strip() else ""
    matter = f"The procurement of {case.title}{said} (estimated at {pounds(case.estimated_value)} excluding VAT{over})"
    return matter, (case.route_plan or {}).get("key_decision_reason", "")
