"""Action links in approval emails: single use, expiring, bound to one person and one step.

The link's secret is made when the email is sent (only its hash is stored). Following it lands on a
confirmation page; only the button there (a POST) decides, through the engine door, as the link's person.
The link is void once used, after it expires, when someone else is signed in, and once its step is no
longer the live step of the case (decided, returned, reassigned)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update

from ..core import Core
from ..errors import DomainError, NotFound, NotPermitted
from ..models import ActionLink, ApprovalStep, Case, ConflictDeclaration, Contract, StepStatus
from ..workflow.context import case_deadline
from ..workflow.engine import ActionRequest, ActionResult
from . import aggregation, two_factor
from .aggregation import PerhapsOneRequirement
from .handed_secrets import digest, new_secret
from .performance import TrackRecord, track_record
from .reading import (
    AwardRecommendation,
    ContractProposal,
    award_recommendation,
    award_supplier_on_record,
    business_case,
    contract_proposal,
    has_decided,
)

LIFETIME = timedelta(days=7)


def issue_action_link(core: Core, user_id: int, case_id: int, step: dict) -> tuple[str, date | None]:
    """A link that approves ``step`` for ``user_id``, once, for ``LIFETIME``: from when it is sent or, for a
    key decision on the forward plan, from the first day it can be taken (returned with the secret where that
    is still to come)."""
    secret = new_secret()
    with core.db.unit_of_work() as session:
        now = core.engine.clock()
        case = session.get(Case, case_id)
        gate = core.workflows.get(case.workflow, case.workflow_version).gates[step["gate"]]
        # Only a key decision's gate waits for the forward plan: no other approval email reads it.
        plan = case_deadline(session, case_id, "forward_plan") if gate.waits_for_forward_plan else None
        decidable_from = gate.decidable_from(
            core.engine.today(now), plan.due_on if plan and plan.met_at is None else None
        )
        starts = max(now, datetime.combine(decidable_from, time(), tzinfo=core.engine.zone))  # its first day, here
        later = decidable_from if decidable_from > core.engine.today(now) else None
        session.add(
            ActionLink(
                secret_hash=digest(secret),
                user_id=user_id,
                case_id=case_id,
                gate=step["gate"],
                round=step["round"],
                position=step["position"],
                expires_at=starts + LIFETIME,
            )
        )
    return secret, later


@dataclass
class LinkView:
    link_id: int
    user_id: int
    case: Case
    step: ApprovalStep
    declared: bool
    proposal: ContractProposal | None = None  # what a contract's variation or renewal gate decides
    not_yet: tuple[str, ...] = ()  # what stops the approval for now (a key decision's forward plan period)
    award: AwardRecommendation | None = None  # what a procurement's award approval decides
    award_supplier_on_record: bool | None = None  # reading.award_supplier_on_record, for the link's person
    # The person uses security codes and is not signed in here: a code from their app must come with the link,
    # as with their password, so that an email alone does not decide.
    code_needed: bool = False
    one_requirement: PerhapsOneRequirement | None = None  # other procurements that may be one requirement with it
    business_case: list[tuple[str, str]] = field(default_factory=list)  # what a commissioning gate decides
    track_record: TrackRecord | None = None  # how a contract has gone, where its renewal or variation is decided


def open_action_link(core: Core, secret: str, signed_in_id: int | None) -> LinkView:
    """What a link would decide, or ``NotPermitted`` saying why it cannot be used."""
    with core.db.reading() as session:
        link = session.scalar(select(ActionLink).where(ActionLink.secret_hash == digest(secret)))
        if link is None:
            raise NotFound("This link is not recognised")
        if link.used_at is not None:
            raise NotPermitted("This link has already been used. Open the case to see where it is now.")
        if link.expires_at <= core.engine.clock():
            raise NotPermitted("This link has expired. Sign in and open your approvals instead.")
        if signed_in_id is not None and signed_in_id != link.user_id:
            raise NotPermitted("This link was sent to someone else. Sign out, or open your own approvals.")
        step = session.scalar(
            select(ApprovalStep).where(
                ApprovalStep.case_id == link.case_id,
                ApprovalStep.gate == link.gate,
                ApprovalStep.round == link.round,
                ApprovalStep.position == link.position,
            )
        )
        if step is None or step.status != StepStatus.OPEN:
            raise NotPermitted("The decision this link was for has already been made, or the case has moved on.")
        if session.scalar(select(has_decided(step.id, link.user_id))):
            raise NotPermitted("You have already decided this step. It waits for the other members of its committee.")
        declared = session.scalar(
            select(ConflictDeclaration.id).where(
                ConflictDeclaration.case_id == link.case_id, ConflictDeclaration.user_id == link.user_id
            )
        )
        case = session.get(Case, link.case_id)
        contract = (
            session.scalar(select(Contract).where(Contract.case_id == case.id)) if case.stage == "contract" else None
        )
        state = core.workflows.state_of(case)
        proposal, award = contract_proposal(state, case, contract), award_recommendation(state, case)
        person = core.engine.actor(session, link.user_id)
        on_record = award_supplier_on_record(core, session, person, award)
        one_requirement = aggregation.of_case(core, session, person, case)
        argued = business_case(core.workflows.get(case.workflow, case.workflow_version), case)
        record = track_record(session, contract) if contract else None
        session.expunge_all()  # the page reads them after the session closes
    not_yet = core.engine.not_yet(case.id, link.user_id, ["approve"]).get("approve") or ()
    code_needed = signed_in_id != link.user_id and two_factor.uses_codes(core, link.user_id)
    return LinkView(
        link.id,
        link.user_id,
        case,
        step,
        bool(declared),
        proposal,
        not_yet,
        award,
        on_record,
        code_needed,
        one_requirement,
        argued,
        record,
    )


def approve_by_link(
    core: Core, secret: str, signed_in_id: int | None, *, no_conflict: bool, code: str = "", address: str = ""
) -> ActionResult:
    """Approve the link's step as its person: the link is spent first, so it can never decide twice, and
    given back if the approval is refused (nothing was decided: it can be used again once it can succeed).
    Someone who uses security codes gives one (``code``) unless they are signed in here already; a wrong one
    is ``InvalidInput`` and counts towards their lock-out, as at sign-in."""
    view = open_action_link(core, secret, signed_in_id)
    if view.not_yet:
        raise NotPermitted(" ".join(view.not_yet))
    if not view.declared and not no_conflict:
        raise NotPermitted("Confirm that you have no conflict of interest, or sign in to declare one")
    if view.code_needed:
        two_factor.check_code(core, view.user_id, code, address)
    if not _mark_link(core, view.link_id, used=True):
        raise NotPermitted("This link has already been used. Open the case to see where it is now.")
    try:
        if not view.declared:
            core.engine.declare_interests(view.case.id, view.user_id, has_conflict=False)
        request = ActionRequest(view.case.id, "approve", view.user_id, comment="Approved from an email link")
        return core.engine.act(request)
    except DomainError:
        _mark_link(core, view.link_id, used=False)
        raise


def _mark_link(core: Core, link_id: int, *, used: bool) -> bool:
    """Spend a link (True if it was unspent), or give a spent one back."""
    with core.db.unit_of_work() as session:
        return bool(
            session.execute(
                update(ActionLink)
                .where(
                    ActionLink.id == link_id, ActionLink.used_at.is_(None) if used else ActionLink.used_at.is_not(None)
                )
                .values(used_at=core.engine.clock() if used else None)
            ).rowcount
        )
