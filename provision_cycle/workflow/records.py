"""The written record of a decision taken at a gate, made with the decision (``rules.record_the_decision``).

An officer who takes a decision under powers delegated to them that awards a contract or commits spending that
materially affects the council's finances must record in writing, as soon as reasonably practicable, the date,
the decision and the reasons for it, the alternatives considered and rejected, and (for a decision under a
specific authorisation) the conflicts of interest declared; the council publishes it (Openness of Local
Government Bodies Regulations 2014, regs 7-8). What is material is the council's to say
(``AuthorityRules.officer_decisions_recorded_over``). An executive decision is recorded whatever its value
(Local Authorities (Executive Arrangements) (Meetings and Access to Information) (England) Regulations 2012,
regs 12-13). The system sees the decisions its gates take: to commission, to procure (a key decision), to award,
to vary a contract and to renew it. Each record says what was known when it was taken, and is never changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from ..governance.organisation import JOINT
from ..governance.statutory import Route
from ..models import ApprovalStep, ConflictDeclaration, Decision, DecisionRecord
from ..models.people import user_names
from ..models.suppliers import supplier_key
from ..wording import listed, pounds
from .context import key_decision_urgency, urgency_taken_under

if TYPE_CHECKING:
    from .context import ActionContext
    from .evaluation import Standing

NONE_RECORDED = "None recorded"
# What a renewal decision chooses between: each proposal's alternatives are the other two.
RENEWAL_CHOICES = {
    "extend": "extending the contract",
    "recommission": "re-commissioning it",
    "exit": "letting it end",
}


@dataclass(frozen=True)
class Decided:
    """What a gate's approval decided, in the words of its record."""

    subject: str
    decision: str
    reasons: tuple[str, ...]
    alternatives: str


def record_decision(ctx: ActionContext, *, direct_award_ground: str | None) -> None:
    """Write the record of the decision ``ctx``'s approval takes, where one is owed: not where the approval
    passes the case on to the Executive (theirs is the decision), nor for an officer's decision not worth more
    than its council's figure."""
    state = ctx.definition.states[ctx.case.state]
    assert state.gate is not None and ctx.transition is not None and ctx.transition.dest is not None
    if ctx.definition.gate_at(ctx.transition.dest) is not None:
        return
    by_executive = state.gate.waits_for_forward_plan  # a key decision's gate: the Executive's
    committed = _committed(ctx, state.award, state.proposal)
    governance = ctx.engine.governance
    material = min(
        governance.rules[code].officer_decisions_recorded_over
        for code in governance.organisation.authorities_of(ctx.case.authority)
    )
    if not by_executive and committed <= material:
        return
    decided = _what_was_decided(ctx, state.award, state.proposal, direct_award_ground, committed)
    approvals = _approvals(ctx, state.gate.name)
    comments = tuple(f"{name}: {reason}" for name, _, reason in approvals if reason)
    urgency = key_decision_urgency(ctx.details) if by_executive else None
    if urgency is not None:
        comments = (f"Taken under {urgency_taken_under(urgency, ctx.details)}", *comments)
    ctx.session.add(
        DecisionRecord(
            case_id=ctx.case.id,
            authority=ctx.case.authority,
            decided_at=ctx.now,
            by_executive=by_executive,
            urgency=urgency and urgency.value,
            subject=decided.subject[:300],
            decision=decided.decision,
            reasons="\n".join((*decided.reasons, *comments)) or NONE_RECORDED,
            alternatives=decided.alternatives,
            conflicts=_conflicts_declared(ctx),
            decided_by="\n".join(who for _, who, _ in approvals),
            value=committed,
        )
    )
    ctx.audit_data["decision_recorded"] = decided.subject


def _committed(ctx: ActionContext, award: str | None, proposal: str | None) -> Decimal:
    """What the decision awards or commits, excluding VAT, weighed against the council's figure: an award its
    value, a variation what it adds, an extension its cost, a commissioning or a procurement its estimate;
    re-commissioning or letting a contract end commits nothing. Worked out before the rest of the record, which
    most decisions below the figure never need."""
    details = ctx.details
    if award is not None:
        return Decimal(details.get("award_value") or ctx.case.estimated_value)
    if proposal == "variation":
        contract = ctx.contract()
        assert contract is not None
        return max(Decimal(details["new_value"]) - contract.value, Decimal(0))
    if proposal == "renewal":
        extending = details.get("renewal_proposal") == "extend"
        return Decimal(details["extension_value"]) if extending else Decimal(0)
    return ctx.case.estimated_value


def _what_was_decided(
    ctx: ActionContext, award: str | None, proposal: str | None, direct_award_ground: str | None, value: Decimal
) -> Decided:
    case, details = ctx.case, ctx.details
    if award is not None:
        return _award(ctx, direct_award_ground, value)
    if proposal == "variation":
        return _variation(ctx)
    if proposal == "renewal":
        return _renewal(ctx, value)
    estimate = f"at an estimated {pounds(case.estimated_value)} excluding VAT" + (
        f" over {case.duration_months} months" if case.duration_months else ""
    )
    if ctx.definition.stage == "commissioning":
        return Decided(
            f"Commissioning of {case.title}",
            f"To approve the business case for {case.title} and commission it, {estimate}.",
            _said(
                ("The preferred option and why", details.get("preferred_option")), ("Outcomes", details.get("outcomes"))
            ),
            # The business case lists every option weighed, the one chosen among them (free text: not taken out).
            f"The options considered, the preferred one aside: {options}"
            if (options := (details.get("options_considered") or "").strip())
            else NONE_RECORDED,
        )
    route = Route.label_of(ctx.value("route")).lower()
    return Decided(
        f"Procurement of {case.title}",
        f"To procure {case.title} by {route}, {estimate}.",
        _said(("Why it is needed now", details.get("justification"))),
        NONE_RECORDED,
    )


def _award(ctx: ActionContext, direct_award_ground: str | None, value: Decimal) -> Decided:
    case, details = ctx.case, ctx.details
    supplier = details.get("supplier_name", "")
    evaluation = ctx.evaluation()
    # The tenders not awarded: the award's name may be written otherwise than its tender's ("ACME LIMITED").
    others = [s for s in evaluation.standings if supplier_key(s.tender.supplier_name) != supplier_key(supplier)]
    reasons: list[str] = []
    if direct_award_ground is not None:
        reasons.append(f"A direct award, without competition, on the ground: {direct_award_ground}.")
        reasons.extend(_said(("Why", details.get("direct_award_justification"))))
    if details.get("award_evaluation"):  # how the evaluation ranked the tenders, as the approvers were told
        reasons.append(f"{details['award_evaluation']}.")
    if evaluation.criteria:
        criteria = listed([f"{c.name} ({c.weighting}%)" for c in evaluation.criteria])
        reasons.append(f"The award criteria published with the invitation: {criteria}.")
    reasons.append(f"Procured by {Route.label_of(ctx.value('route')).lower()}.")
    if direct_award_ground is not None:
        alternatives = "None: a direct award goes to one supplier without competition."
    elif others:
        alternatives = "\n".join(f"The tender from {s.tender.supplier_name}: {_standing(s)}" for s in others)
    else:
        alternatives = "No other tender is recorded."
    return Decided(
        f"Award of the contract for {case.title}",
        f"To award the contract for {case.title} to {supplier}, worth {pounds(value)} excluding VAT.",
        tuple(reasons),
        alternatives,
    )


def _standing(standing: Standing) -> str:
    if not standing.assessed:
        return f"not assessed ({standing.tender.not_assessed_because})"
    if standing.short_of:
        return f"below the minimum score for {listed(list(standing.short_of))}"
    if standing.total is not None:
        return f"{standing.total} points, ranked {standing.rank}"
    return "not scored"


def _variation(ctx: ActionContext) -> Decided:
    details, contract = ctx.details, ctx.contract()
    assert contract is not None
    new_value, new_end = Decimal(details["new_value"]), date.fromisoformat(details["new_end_date"])
    changes = [f"its value from {pounds(contract.value)} to {pounds(new_value)} excluding VAT"]
    if new_end != contract.end_date:
        changes.append(f"its end date from {contract.end_date:%-d %B %Y} to {new_end:%-d %B %Y}")
    return Decided(
        f"Variation of contract {contract.reference} {contract.title}",
        f"To vary the contract with {contract.supplier_name}: {listed(changes)}.",
        _said(("What changes and why", details.get("variation_description"))),
        NONE_RECORDED,
    )


def _renewal(ctx: ActionContext, cost: Decimal) -> Decided:
    details, contract = ctx.details, ctx.contract()
    assert contract is not None
    proposal = details.get("renewal_proposal", "exit")
    ends = f"{contract.end_date:%-d %B %Y}"
    if proposal == "extend":
        decision = (
            f"To extend the contract with {contract.supplier_name} from {ends} to "
            f"{date.fromisoformat(details['extend_to']):%-d %B %Y}, at a cost of {pounds(cost)} excluding VAT."
        )
    elif proposal == "recommission":
        decision = f"To re-commission what the contract provides, letting it end on {ends}."
    else:
        decision = f"To let the contract end on {ends}, and not to replace it."
    others = [words for choice, words in RENEWAL_CHOICES.items() if choice != proposal]
    subject = f"Renewal of contract {contract.reference} {contract.title}"
    return Decided(subject, decision, (), f"{listed(others, 'or').capitalize()}.")


def _said(*answers: tuple[str, str | None]) -> tuple[str, ...]:
    return tuple(f"{name}: {text.strip()}" for name, text in answers if text and text.strip())


def _approvals(ctx: ActionContext, gate: str) -> list[tuple[str, str, str]]:
    """Each approval in the gate's round, in order: the name of who took it, who took it as the record says
    (with their role, their council's on a joint case, and for whom they acted), and the comment they gave."""
    round_now = select(func.max(ApprovalStep.round)).where(
        ApprovalStep.case_id == ctx.case.id, ApprovalStep.gate == gate
    )
    rows = ctx.session.execute(
        select(Decision.actor_id, Decision.principal_id, Decision.reason, ApprovalStep.role, ApprovalStep.authority)
        .join(ApprovalStep, ApprovalStep.id == Decision.step_id)
        .where(
            ApprovalStep.case_id == ctx.case.id,
            ApprovalStep.gate == gate,
            ApprovalStep.round == round_now.scalar_subquery(),
            Decision.outcome == "approve",
        )
        .order_by(Decision.at, Decision.id)
    ).all()
    people = {row.actor_id for row in rows} | {row.principal_id for row in rows}
    names = user_names(ctx.session, people)
    organisation = ctx.engine.governance.organisation
    approvals = []
    for row in rows:
        role = organisation.role_name(row.role)
        if ctx.case.authority == JOINT:  # each council's approvers: one person may approve for both
            role = f"{role}, {row.authority}"
        who = f"{names[row.actor_id]} ({role})"
        if row.principal_id != row.actor_id:
            who = f"{names[row.actor_id]}, for {names[row.principal_id]} ({role}), who was away"
        approvals.append((names[row.actor_id], who, (row.reason or "").strip()))
    return approvals


def _conflicts_declared(ctx: ActionContext) -> str:
    """The conflicts of interest declared on the case, each person's latest declaration, with the mitigation."""
    latest: dict[int, ConflictDeclaration] = {}
    for declaration in ctx.session.scalars(
        select(ConflictDeclaration).where(ConflictDeclaration.case_id == ctx.case.id).order_by(ConflictDeclaration.id)
    ):
        latest[declaration.user_id] = declaration
    declared = [d for d in latest.values() if d.has_conflict]
    if not declared:
        return "None declared"
    names = user_names(ctx.session, [d.user_id for d in declared])
    return "\n".join(
        f"{names[d.user_id]}: {d.details.strip() or 'a conflict'}; mitigated by: "
        f"{d.mitigation.strip() or 'nothing recorded'}"
        for d in declared
    )
