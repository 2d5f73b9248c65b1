"""The named guards, conditions and effects that workflow files refer to.

- A **guard** returns ``None`` when the action may go ahead, or a sentence saying what is missing.
- A **condition** (``when:``) picks between destinations; it never blocks.
- A **check** says what is wrong with one answer an action is given, for the case (the suppliers it invites
  to tender are members of the dynamic market it is restricted to), or ``None``: shown beside that question.
- An **effect** runs inside the engine's transaction after the state change (raise a deadline, open a
  linked case, freeze the route). It changes data only through the :class:`ActionContext`.

Adding one is a code change reviewed with its workflow; a YAML file naming one that does not exist is
refused at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ..governance import statutory
from ..governance.calendar import add_months, months_between, next_working_day, term_months
from ..governance.rules import RoutePlan
from ..governance.statutory import ContractType, KeyDecisionUrgency, ModificationBasis, Route
from ..models import Contract, ContractKpi, deadline_task_kind
from ..models.cases import declaration_blocks
from ..models.contracts import LONGEST_TERM_MONTHS
from ..models.outbox import TASK_COVERED
from ..models.people import colleagues
from ..models.suppliers import supplier_key
from ..models.tasks import (
    CONTRACT_ENDED,
    CONTRACT_REVIEW,
    END_DATE_MOVED,
    ENDED_WITH_THE_CONTRACT,
    FROM_THE_END_DATE,
    INVITE_TENDERS,
    PAST_ITS_END,
    RENEWAL_DECISION,
    RENEWAL_PROPOSED,
    REVIEWED_ON_THE_CASE,
    WHILE_IT_RUNS,
)
from ..wording import counted, listed, one_to_a_line, pounds
from . import aggregation, records, reservations, statements
from .context import (
    BREACH_FIELDS,
    BREACHES_WAITING,
    NEW_SUPPLIER,
    PROPOSED_BY,
    URGENCY_ANSWERS,
    key_decision_urgency,
    may_manage_contracts,
    urgency_taken_under,
)
from .frameworks import (
    allows_direct_award,
    framework_name,
    framework_reference,
    frameworks_for_call_off,
    on_the_framework,
)
from .markets import markets_usable_for, restrictions
from .participation import not_to_invite

if TYPE_CHECKING:  # pragma: no cover
    from .context import ActionContext

Guard = Callable[["ActionContext"], str | None]
Predicate = Callable[["ActionContext"], bool]
Effect = Callable[["ActionContext"], None]
# A workflow's choice input: the answers it offers on a case, as (code, label) pairs.
Choices = Callable[["ActionContext"], tuple[tuple[str, str], ...]]
# What is wrong with an input's answer on a case, in a sentence; None when nothing is.
Check = Callable[["ActionContext", Any], str | None]
# A workflow's line input's likely answers on a case, offered as it is typed.
Suggestions = Callable[["ActionContext"], tuple[str, ...]]

GUARDS: dict[str, Guard] = {}
PREDICATES: dict[str, Predicate] = {}
EFFECTS: dict[str, Effect] = {}
CHOICES: dict[str, Choices] = {}
SUGGESTIONS: dict[str, Suggestions] = {}
CHECKS: dict[str, Check] = {}

# A case detail: what the people asked to approve the case's next gate should know beyond their step, in a
# sentence, set by the proposal that opens the gate (a contract's variation or renewal); their emails carry it.
FOR_APPROVERS = "for_approvers"
# A case detail: the renewal tasks a renewal proposal completed, open again if it is turned down or sent back.
RENEWAL_TASKS_DONE = "renewal_tasks_done"


def guard(fn: Guard) -> Guard:
    GUARDS[fn.__name__] = fn
    return fn


def check(fn: Check) -> Check:
    CHECKS[fn.__name__] = fn
    return fn


def predicate(fn: Predicate) -> Predicate:
    PREDICATES[fn.__name__] = fn
    return fn


def effect(fn: Effect) -> Effect:
    EFFECTS[fn.__name__] = fn
    return fn


def predicate_condition(name: str) -> Callable:
    """A ``transitions`` condition for a named predicate (the machine passes EventData)."""

    def condition(event) -> bool:
        return PREDICATES[name](event.model.ctx)

    condition.__name__ = name
    return condition


def _plan(ctx: ActionContext) -> RoutePlan | None:
    data = ctx.value("route_plan")
    return RoutePlan.from_json(data) if data else None


def _direct_award_ground(ctx: ActionContext) -> statutory.DirectAwardGround | None:
    """The ground recorded for a direct award; None on any other route."""
    if ctx.value("route") != Route.DIRECT_AWARD:
        return None
    return statutory.DirectAwardGround.of(ctx.details.get("direct_award_ground"))


# --- conditions ---------------------------------------------------------------------------------
@predicate
def key_decision(ctx: ActionContext) -> bool:
    return bool(ctx.value("key_decision"))


@predicate
def urgency_used(ctx: ActionContext) -> bool:
    """The forward plan entry recorded is an urgency rule's notice instead (the answer given)."""
    return ctx.inputs.get("key_decision_urgency") in set(KeyDecisionUrgency)


@predicate
def special_urgency(ctx: ActionContext) -> bool:
    return ctx.inputs.get("key_decision_urgency") == KeyDecisionUrgency.SPECIAL_URGENCY


@predicate
def award_notice_required(ctx: ActionContext) -> bool:
    """A contract award notice precedes any above-threshold public contract (PA23 s50) but a user-choice one
    (s50(6)(b)); a call-off under a framework procured under the PCR 2015 needs none of its own (PCR 2015 reg
    50(4))."""
    plan = _plan(ctx)
    ground = _direct_award_ground(ctx)
    pcr_call_off = ctx.value("route") == Route.FRAMEWORK_CALL_OFF and plan and plan.regime == statutory.Regime.PCR2015
    return bool(plan and plan.above_threshold) and (ground is None or ground.notices_required) and not pcr_call_off


@predicate
def under_the_pcr(ctx: ActionContext) -> bool:
    """A procurement or contract under the PCR 2015: commenced before 24 February 2025, or a call-off under a
    framework (or dynamic purchasing system) procured under them."""
    return ctx.value("regime") == statutory.Regime.PCR2015


@predicate
def under_the_act(ctx: ActionContext) -> bool:
    """A procurement or contract under the Procurement Act 2023: its notices go to the Central Digital Platform."""
    return ctx.value("regime") == statutory.Regime.PA2023


@predicate
def public_contract_under_the_act(ctx: ActionContext) -> bool:
    """An above-threshold procurement under the Act (a "public contract"): among the Act's duties that follow,
    its tender notice accounts for any preliminary market engagement (s17), and its award goes to no excluded
    supplier (s26-28, s57)."""
    plan = _plan(ctx)
    return bool(plan and plan.above_threshold and plan.regime == statutory.Regime.PA2023)


@predicate
def supplier_registered(ctx: ActionContext) -> bool:
    """The supplier awarded the contract is registered on the Central Digital Platform, and its notices name
    it by its unique identifier (its PPON), so the award asks for it: above the threshold under the Act, where
    a supplier takes part only once registered, and for a notifiable below-threshold contract under it awarded
    from 1 April 2026 (the Procurement (Amendment) Regulations 2026). Not for a direct award for extreme and
    unavoidable urgency, whose supplier may not be registered yet: its notices may give its company number
    instead (PR24 reg 27(2)(e)(iii))."""
    plan = _plan(ctx)
    if plan is None or plan.regime != statutory.Regime.PA2023 or not plan.notifiable:
        return False
    ground = _direct_award_ground(ctx)
    if ground is statutory.DirectAwardGround.URGENCY:
        return False
    return plan.above_threshold or ctx.today >= statutory.SUPPLIER_REGISTERED_BELOW_THRESHOLD_FROM


@predicate
def competitive_flexible(ctx: ActionContext) -> bool:
    """The competitive flexible procedure (PA23 s20(2)(b)): its tender notice asks for requests to participate,
    and the suppliers chosen from them are invited to tender afterwards."""
    return ctx.value("route") == Route.COMPETITIVE_FLEXIBLE


@predicate
def statutory_tender_period(ctx: ActionContext) -> bool:
    """PA23 s54 sets a minimum tender period above the threshold, but not for a light-touch contract (s54(3)),
    which has only the reasonable time of s54(1)."""
    plan = _plan(ctx)
    return bool(plan and plan.above_threshold) and not _light_touch(ctx)


@predicate
def assessment_summaries_owed(ctx: ActionContext) -> bool:
    """PA23 s50(3): a contract awarded after a competitive tendering procedure (s19: the open or competitive
    flexible procedure) owes each assessed supplier an assessment summary before its award notice. (Under the
    PCR 2015 the decision notices that start the standstill carry the reasons themselves, reg 86(2).)"""
    plan = _plan(ctx)
    under_the_act = plan is not None and plan.regime == statutory.Regime.PA2023
    return under_the_act and award_notice_required(ctx) and ctx.value("route") in statutory.ABOVE_THRESHOLD_COMPETITIVE


@predicate
def standstill_applies(ctx: ActionContext) -> bool:
    """PA23 s51; standstill is voluntary for framework call-offs, light-touch contracts and a direct award for
    extreme and unavoidable urgency (s51(3))."""
    ground = _direct_award_ground(ctx)
    exempt = ctx.value("route") == Route.FRAMEWORK_CALL_OFF or _light_touch(ctx)
    return award_notice_required(ctx) and not exempt and (ground is None or ground.standstill_required)


@predicate
def contract_details_notice_required(ctx: ActionContext) -> bool:
    """Above threshold (s53) or a notifiable below-threshold contract, 30,000 incl. VAT (s87)."""
    plan = _plan(ctx)
    return bool(plan and plan.notifiable)


@predicate
def on_extension(ctx: ActionContext) -> bool:
    return bool(ctx.details.get("on_extension"))


@predicate
def change_notice_owed(ctx: ActionContext) -> bool:
    """The approved variation needs a contract change notice, which must be published before it is made."""
    return bool(ctx.details.get("change_notice_required"))


@predicate
def award_key_decision(ctx: ActionContext) -> bool:
    """The award recommended is a key decision where the request was not (see route_award)."""
    return bool(ctx.details.get("award_key_decision"))


@predicate
def variation_key_decision(ctx: ActionContext) -> bool:
    """The variation under way adds enough to the contract's value to be a key decision (see route_variation)."""
    return bool(ctx.details.get("variation_key_decision"))


@predicate
def extension_key_decision(ctx: ActionContext) -> bool:
    """The extension proposed adds enough to the contract's value to be a key decision (see route_renewal)."""
    return bool(ctx.details.get("extension_key_decision"))


@predicate
def extension_proposed(ctx: ActionContext) -> bool:
    return ctx.details.get("renewal_proposal") == "extend"


@predicate
def recommission_proposed(ctx: ActionContext) -> bool:
    return ctx.details.get("renewal_proposal") == "recommission"


# --- guards -------------------------------------------------------------------------------------
@guard
def case_details_complete(ctx: ActionContext) -> str | None:
    missing = [
        label
        for field, label in (
            ("title", "a title"),
            ("description", "a description of the need"),
            ("proposed_start", "a proposed start date"),
            ("duration_months", "a duration in months"),
        )
        if not ctx.value(field)
    ]
    if ctx.value("estimated_value") is None or Decimal(ctx.value("estimated_value")) <= 0:
        missing.append("an estimated total value above zero")
    return f"The request needs {', '.join(missing)}" if missing else None


@guard
def route_justified(ctx: ActionContext) -> str | None:
    if ctx.value("route") != Route.DIRECT_AWARD:
        return None
    ground = _direct_award_ground(ctx)
    if ground is None:
        return "A direct award needs its ground recorded on the request (Procurement Act 2023 s41 and Schedule 5)"
    if refused := ground.refused_for(ctx.value("contract_type")):
        return refused
    if not ctx.details.get("direct_award_justification"):
        return "A direct award needs a recorded justification: why its ground applies to this purchase"
    return None


@guard
def forward_plan_period_passed(ctx: ActionContext) -> str | None:
    deadline = ctx.deadline("forward_plan")
    if deadline is None or deadline.met_at is not None:  # met: that was an earlier key decision on the case
        return "A key decision needs its forward plan entry recorded first (28 clear days' notice)"
    if ctx.today < deadline.due_on:
        if (urgency := key_decision_urgency(ctx.details)) is KeyDecisionUrgency.GENERAL_EXCEPTION:
            clear = statutory.GENERAL_EXCEPTION_CLEAR_DAYS
            why = f"{clear} clear days pass after its notice first, under {urgency.named}"
        else:
            days = ctx.engine.governance.forward_plan_days(ctx.case.authority)
            why = f"it is on the forward plan for {days} clear days first"
        return f"A key decision cannot be taken before {deadline.due_on:%-d %B %Y}: {why}"
    return None


@guard
def actor_declared(ctx: ActionContext) -> str | None:
    return ctx.declaration_problem()


@guard
def conflicts_assessment_done(ctx: ActionContext) -> str | None:
    """PA23 s83 asks it before a tender or transparency notice; the hub asks it before every way to market."""
    if ctx.details.get("conflicts_assessment_completed_on"):
        return None
    regime = ctx.value("regime")
    if ctx.trigger in ("publish_tender_notice", "publish_transparency_notice"):
        law = statutory.conflicts_law(regime, "s83")
        return f"The conflicts assessment must be completed before a tender or transparency notice ({law})"
    law = statutory.conflicts_law(regime, "s81-83")
    return f"The conflicts assessment must be completed before the procurement goes on ({law})"


@guard
def conflicts_assessment_reviewed(ctx: ActionContext) -> str | None:
    """PA23 s83: a public contract's conflicts assessment is kept under review; once the suppliers competing for
    it are known (in evaluation), it is reviewed before the award is recommended."""
    if ctx.case.state != "evaluation" or not public_contract_under_the_act(ctx):
        return None
    if ctx.details.get("conflicts_assessment_reviewed_on"):
        return None
    return (
        "Review the conflicts assessment now that the suppliers are known, and record it, before recommending the "
        "award (Procurement Act 2023 s83)"
    )


@guard
def team_declared(ctx: ActionContext) -> str | None:
    """Everyone named on the case's team (still working here) has declared, and none is blocked (PA23 s81-83)."""
    if not ctx.case.team_size:  # counted with the locked read: most cases name nobody beyond the actor
        return None
    team = [m for m in ctx.tx.rows(statements.TEAM_WITH_DECLARATIONS, {"case_id": ctx.case.id}) if m.is_active]
    silent = [m.full_name for m in team if m.declaration_id is None]
    blocked = [m.full_name for m in team if m.declaration_id and declaration_blocks(m.has_conflict, m.mitigation)]
    problems = []
    if silent:
        problems.append(f"{listed(silent)} {'has' if len(silent) == 1 else 'have'} not declared their interests yet")
    if blocked:
        problems.append(f"{listed(blocked)} declared a conflict of interest with no mitigation recorded")
    if not problems:
        return None
    law = statutory.conflicts_law(ctx.value("regime"), "s83")
    return f"Everyone on the procurement team must declare first ({law}): " + "; ".join(problems)


def _route_guard(routes: tuple[Route, ...], noun: str) -> Guard:
    def check(ctx: ActionContext) -> str | None:
        route = ctx.value("route")
        if route not in routes:
            label = Route.label_of(route)
            return f"This action is for {noun}; this case's route is {label}"
        return None

    return check


GUARDS["tender_route"] = _route_guard(
    (Route.BELOW_THRESHOLD_TENDER, Route.OPEN_PROCEDURE, Route.COMPETITIVE_FLEXIBLE), "tender routes"
)
GUARDS["quotation_route"] = _route_guard((Route.LOW_VALUE_PURCHASE, Route.QUOTATIONS), "quotation routes")
GUARDS["call_off_route"] = _route_guard((Route.FRAMEWORK_CALL_OFF,), "framework call-offs")
_direct_award_route = _route_guard((Route.DIRECT_AWARD,), "direct awards")


@guard
def notified_direct_award(ctx: ActionContext) -> str | None:
    """A direct award announced by a transparency notice (PA23 s44): a public contract's, above the threshold,
    on any ground but user choice."""
    if refused := _direct_award_route(ctx):
        return refused
    ground = _direct_award_ground(ctx)
    if ground is not None and not ground.notices_required:
        return "A user-choice contract is awarded without a transparency notice (Procurement Act 2023 s44)"
    plan = _plan(ctx)
    if plan is not None and not plan.above_threshold:
        return "A direct award below the threshold owes no transparency notice (Procurement Act 2023 s44)"
    return None


@guard
def unnotified_direct_award(ctx: ActionContext) -> str | None:
    """A direct award below the threshold, on any ground but user choice: the Act asks no transparency notice
    of it (s44 is for public contracts); the route approval saw its ground and why."""
    if refused := _direct_award_route(ctx):
        return refused
    ground = _direct_award_ground(ctx)
    plan = _plan(ctx)
    if (ground is not None and not ground.notices_required) or plan is None or plan.above_threshold:
        return "This action is for direct awards below the threshold (above it, the transparency notice comes first)"
    return None


@guard
def user_choice_award(ctx: ActionContext) -> str | None:
    ground = _direct_award_ground(ctx)
    if ground is None or ground.notices_required:
        return "This action is for user-choice direct awards (Procurement Act 2023 Schedule 5, paragraph 15)"
    return None


# Guards that rule an action out for the case for good (its frozen route), not for now: an action they refuse
# is not offered at all, where another guard's refusal is shown as what stands in the way.
RULES_OUT: frozenset[str] = frozenset(
    {
        "tender_route",
        "quotation_route",
        "call_off_route",
        "notified_direct_award",
        "unnotified_direct_award",
        "user_choice_award",
    }
)


@guard
def tender_period_long_enough(ctx: ActionContext) -> str | None:
    """PA23 s54: 25 days above threshold with electronic submission, 10 after a planned procurement notice or in
    urgency. The period runs from the tender notice or, in a competitive flexible procedure, from the invitation
    to tender that follows its participation period; a planned procurement notice counts by how long before the
    tender notice it was published (s15(3))."""
    notice = ctx.inputs.get("tender_notice_published_on") or _detail_day(ctx, "tender_notice_published_on")
    starts = ctx.inputs.get("tenders_invited_on") or notice
    closes = ctx.inputs.get("tenders_close_on")
    if not starts or not closes:
        return None  # missing inputs are reported on their own
    if statutory_tender_period(ctx):
        planned = ctx.inputs.get("planned_procurement_notice_on")
        minimum, basis = statutory.minimum_tender_period(notice or starts, planned, bool(ctx.inputs.get("urgent")))
        why = f"at least {minimum} days (Procurement Act 2023 s54, {basis})"
    else:
        minimum, why = 1, "at least a day"
    return _period_too_short("tender period", "tenders", starts, closes, minimum, why)


@guard
def participation_period_long_enough(ctx: ActionContext) -> str | None:
    """PA23 s54: a competitive flexible procedure's requests to participate, 25 days from its tender notice above
    threshold, 10 in urgency."""
    published = ctx.inputs.get("tender_notice_published_on")
    closes = ctx.inputs.get("participation_closes_on")
    if not published or not closes:
        return None  # missing inputs are reported on their own
    if statutory_tender_period(ctx):
        minimum, basis = statutory.minimum_participation_period(bool(ctx.inputs.get("urgent")))
        why = f"at least {minimum} days (Procurement Act 2023 s54, {basis})"
    else:
        minimum, why = 1, "at least a day"
    return _period_too_short("participation period", "requests to participate", published, closes, minimum, why)


def _period_too_short(period: str, what: str, starts: date, closes: date, minimum: int, why: str) -> str | None:
    if (closes - starts).days < minimum:
        return (
            f"The {period} must be {why}: {what} can close on {starts + timedelta(days=minimum):%-d %B %Y} at the "
            "earliest"
        )
    return None


@guard
def participation_period_over(ctx: ActionContext) -> str | None:
    """The suppliers invited to tender are chosen from the requests to participate, once the period for them
    has closed."""
    closes = _detail_day(ctx, "participation_closes_on")
    if closes is None:
        return None
    if ctx.today <= closes:
        return f"Requests to participate can be made until {closes:%-d %B %Y}"
    invited = ctx.inputs.get("tenders_invited_on")
    if invited and invited <= closes:
        return f"Invitations to tender follow the participation period, which closed on {closes:%-d %B %Y}"
    return None


def _detail_day(ctx: ActionContext, name: str) -> date | None:
    day = ctx.details.get(name)
    return date.fromisoformat(day) if day else None


def _light_touch(ctx: ActionContext) -> bool:
    return ContractType(ctx.case.contract_type) is ContractType.LIGHT_TOUCH


@guard
def market_engagement_accounted_for(ctx: ActionContext) -> str | None:
    """PA23 s17: a public contract's tender notice follows the notice of any preliminary market engagement
    there was, or gives the reasons for publishing none."""
    if not ctx.inputs.get("market_engaged"):
        return None  # no engagement, not asked of this case, or not answered yet (reported on its own)
    notice = ctx.inputs.get("market_engagement_notice_on")
    reasons = ctx.inputs.get("no_market_engagement_notice_because")
    if notice and reasons:
        return "Give the date of the preliminary market engagement notice or the reasons for publishing none, not both"
    if not notice and not reasons:
        return (
            "Preliminary market engagement is published in its own notice before the tender notice, or the tender "
            "notice gives the reasons for publishing none (Procurement Act 2023 s17): enter the notice's date or "
            "those reasons"
        )
    published = ctx.inputs.get("tender_notice_published_on")
    if notice and published and notice > published:
        return (
            f"The preliminary market engagement notice comes before the tender notice (Procurement Act 2023 s17): "
            f"it is dated {notice:%-d %B %Y}, after the tender notice of {published:%-d %B %Y}"
        )
    return None


@guard
def assessment_summaries_sent(ctx: ActionContext) -> str | None:
    """The award notice follows the assessment summaries it owes (PA23 s50(3)), not the other way round."""
    if not assessment_summaries_owed(ctx):
        return None
    sent = ctx.details.get("assessment_summaries_sent_on")
    if not sent:
        return (
            "Send an assessment summary to each supplier whose tender was assessed, and record it, before the "
            "contract award notice (Procurement Act 2023 s50(3))"
        )
    published = ctx.inputs.get("award_notice_published_on")
    if published and published < date.fromisoformat(sent):
        return (
            f"The contract award notice cannot be dated before the assessment summaries it follows, sent on "
            f"{date.fromisoformat(sent):%-d %B %Y} (Procurement Act 2023 s50(3))"
        )
    return None


def _recorded_by_today(name: str, what: str) -> Guard:
    """A guard that the date input ``name`` (``what`` happened that day) is not in the future."""

    def check(ctx: ActionContext) -> str | None:
        day = ctx.inputs.get(name)
        return f"The date {what} cannot be in the future" if day and day > ctx.today else None

    return check


GUARDS["assessment_summaries_date_valid"] = _recorded_by_today(
    "assessment_summaries_sent_on", "the assessment summaries were sent"
)
GUARDS["exclusion_check_date_valid"] = _recorded_by_today("exclusions_checked_on", "the suppliers were checked")
GUARDS["invitation_date_valid"] = _recorded_by_today("tenders_invited_on", "the invitations to tender were sent")
GUARDS["market_engagement_date_valid"] = _recorded_by_today(
    "market_engagement_notice_on", "the preliminary market engagement notice was published"
)
GUARDS["user_choice_date_valid"] = _recorded_by_today("user_choice_recorded_on", "the supplier was chosen")
_agreed_by_today = _recorded_by_today("forward_plan_published_on", "the urgency was agreed")


@guard
def urgency_agreement_date_valid(ctx: ActionContext) -> str | None:
    """Special urgency runs from the day the chair agreed it (2012 regs, reg 11): a day still to come is not a
    day it was agreed. (A forward plan entry, or the general exception's notice, may be recorded as it is
    arranged to be published.)"""
    return _agreed_by_today(ctx) if special_urgency(ctx) else None


@predicate
def dynamic_market_available(ctx: ActionContext) -> bool:
    """A dynamic market is established for the case's council, so its tender notice may restrict it to the
    market's members (PA23 s34): a public contract's only, s34 being for them (a competitive flexible procedure
    below the threshold, for works or light-touch services that s85 lets choose suppliers first, may not)."""
    plan = _plan(ctx)
    return bool(plan and plan.above_threshold) and bool(markets_usable_for(ctx.session, ctx.case))


@predicate
def restricted_to_dynamic_market(ctx: ActionContext) -> bool:
    return ctx.inputs.get("by_dynamic_market") is True


@check
def with_an_urgency_rule(ctx: ActionContext, given: str) -> str | None:
    """The reasons for an urgency rule, given only with one chosen: a forward plan entry needs none."""
    if not urgency_used(ctx):
        return "Give reasons only for a key decision taken under an urgency rule: choose the rule, or leave them out"
    return None


@check
def with_special_urgency(ctx: ActionContext, given: str) -> str | None:
    if not special_urgency(ctx):
        return "Say who agreed the urgency only for a key decision taken under special urgency"
    return None


@check
def cpv_code(ctx: ActionContext, code: str) -> str | None:
    """A Common Procurement Vocabulary code: eight digits, with or without the check digit after a hyphen."""
    if statutory.cpv_code(code) is None:
        return "Give the CPV code as eight digits, like 72000000, or with its check digit, like 72000000-5"
    return None


@check
def cpv_codes(ctx: ActionContext, given: str) -> str | None:
    """A notice's other CPV codes, one to a line, each a code (``cpv_code``), none twice nor the main one again,
    and given only with the main one."""
    main = statutory.cpv_code(str(ctx.inputs.get("main_cpv_code") or ctx.details.get("main_cpv_code") or ""))
    seen = {main}
    for number, line in enumerate(given.splitlines(), start=1):
        if not line.strip():
            continue
        code = statutory.cpv_code(line)
        if code is None:
            return f"Line {number} is not a CPV code: give each as eight digits, like 72200000, or 72200000-7"
        if code in seen:
            return f"Line {number}, {code}, is given already: give each code once, the main one above"
        seen.add(code)
    if main is None and len(seen) > 1:
        return "Give the main CPV code too: these are the codes the notice gives after it"
    return None


@check
def ppon(ctx: ActionContext, given: str) -> str | None:
    """A supplier's Public Procurement Organisation Number, its unique identifier on the Central Digital Platform."""
    if statutory.ppon(given) is None:
        return statutory.PPON_EXPECTED
    return None


@check
def the_supplier_notified(ctx: ActionContext, name: str) -> str | None:
    """A direct award goes to the supplier its transparency notice said it was to go to (PA23 s44; PR24 reg 26)."""
    notified = ctx.details.get("notified_supplier")
    if notified and supplier_key(name) != supplier_key(notified):
        return (
            f"The transparency notice said the contract is to be awarded to {notified}: award it to them, or "
            "terminate the procurement and publish a new notice"
        )
    return None


@check
def a_supported_employment_provider_if_reserved(ctx: ActionContext, yes: bool) -> str | None:
    """The award of a competition reserved to supported employment providers goes to one (PA23 s32)."""
    return _of_the_kind_reserved(ctx, reservations.SupplierKind.SUPPORTED_EMPLOYMENT, yes)


@check
def a_public_service_mutual_if_reserved(ctx: ActionContext, yes: bool) -> str | None:
    """The award of a competition reserved to public service mutuals goes to one (PA23 s33)."""
    return _of_the_kind_reserved(ctx, reservations.SupplierKind.PUBLIC_SERVICE_MUTUALS, yes)


def _of_the_kind_reserved(ctx: ActionContext, kind: reservations.SupplierKind, yes: bool) -> str | None:
    reservation = reservations.Reservation.of(ctx.details)
    if yes or reservation is None or reservation.kind is not kind:
        return None
    return (
        f"The competition was reserved to {reservation.suppliers} ({reservation.law}): its contract may go to "
        "one alone. If this supplier is not one, its tender should not have been assessed: correct the tender"
    )


@check
def months_a_contract_may_run(ctx: ActionContext, months: int) -> str | None:
    """A contract's term or its extension options, in months: more than a contract runs is a typing error (and
    would overflow the dates worked out from it)."""
    if months > LONGEST_TERM_MONTHS:
        return f"Enter at most {LONGEST_TERM_MONTHS:,} months ({LONGEST_TERM_MONTHS // 12} years)"
    return None


@check
def may_be_invited(ctx: ActionContext, names: str) -> str | None:
    """The suppliers a competitive flexible procedure invites to tender after its participation period are
    among those whose requests to participate were not set aside, where the team records them, and members of
    the dynamic market the procedure is restricted to, where it is (PA23 s20(4), s34)."""
    return not_to_invite(ctx.session, ctx.case.id, ctx.details, one_to_a_line(names))


CHOICES["dynamic_markets"] = lambda ctx: tuple(
    option for market in markets_usable_for(ctx.session, ctx.case) for option in restrictions(market)
)


@predicate
def reservable(ctx: ActionContext) -> bool:
    """The Local Government (Exclusion of Non-commercial Considerations) (England) Order 2026: a council's
    competition for a regulated below-threshold contract under the Act (PA23 s84), light-touch services below
    their own threshold among them (the Order's is every contract below its Schedule 1 threshold; Procurement
    Policy Note 005, central government's, left special regime contracts out), may be reserved to suppliers
    based in the UK or in its area, and then to SMEs and VCSEs as well, or to those alone."""
    plan = _plan(ctx)
    return bool(plan and plan.regime == statutory.Regime.PA2023 and not plan.above_threshold)


@predicate
def may_be_reserved(ctx: ActionContext) -> bool:
    """A competitive flexible procedure's reservation: to kinds of supplier for a public contract (PA23 s32,
    s33), or by place below the threshold (the 2026 Order, ``reservable``; the s85 exception allowing the procedure
    there; light-touch services below their threshold by place alone)."""
    return public_contract_under_the_act(ctx) or reservable(ctx)


@predicate
def reserving(ctx: ActionContext) -> bool:
    return ctx.inputs.get(reservations.RESERVED) is True


@check
def smes_and_vcses_where_no_place(ctx: ActionContext, given: bool) -> str | None:
    """A competition reserved to no place is reserved to SMEs and VCSEs alone: the answer is yes."""
    if ctx.inputs.get(reservations.PLACE) == reservations.ANYWHERE and given is not True:
        return "Reserved to no place, it is reserved to SMEs and VCSEs alone: answer yes, or choose a place"
    return None


@check
def place_reservable_then(ctx: ActionContext, place: str) -> str | None:
    """A competition reserved by place was advertised (its tender notice published, or its quotations invited,
    today) once the 2026 Order was in force: before it, the Local Government Act 1988 s17(5)(e) barred a council
    from weighing where a contractor's business is. SMEs and VCSEs alone, with no place, are another matter."""
    advertised = ctx.inputs.get("tender_notice_published_on") or ctx.today
    if place == reservations.ANYWHERE or advertised >= reservations.POLICY_IN_FORCE:
        return None
    return (
        f"A competition advertised before {reservations.POLICY_IN_FORCE:%-d %B %Y}, when the Order came into force, "
        "could not be reserved by where its suppliers are based (Local Government Act 1988 s17(5)(e)): choose no "
        "place, for SMEs and VCSEs alone, or leave it open to all"
    )


CHOICES["reservable_places"] = lambda ctx: reservations.places(
    ctx.engine.governance.organisation.local_areas_of(ctx.case.authority)
)
# PA23 s32 for any public contract; s33 for light-touch services with a term of five years at most.
CHOICES["reservable_kinds"] = lambda ctx: reservations.kinds(
    light_touch=_light_touch(ctx), term_months=ctx.case.duration_months
)


def _contract_managers(ctx: ActionContext) -> tuple[tuple[str, str], ...]:
    """Who may manage the contract a procurement signs, by name."""
    councils = ctx.engine.governance.organisation.authorities_of(ctx.case.authority)
    managers = colleagues(ctx.session, *may_manage_contracts(councils, ctx.case.pillar))
    return tuple((str(person.id), person.full_name) for person in managers)


CHOICES["contract_managers"] = _contract_managers


CHOICES["frameworks"] = lambda ctx: tuple(
    (
        str(framework.id),
        f"{framework_name(framework)} (calls off to {framework.ends_on:%-d %B %Y}"
        + ("; a direct award allowed)" if allows_direct_award(framework) else ")"),
    )
    for framework in frameworks_for_call_off(ctx.session, ctx.case, ctx.today)
)


@guard
def call_off_as_the_framework_provides(ctx: ActionContext) -> str | None:
    """PA23 s45(3)-(4): a call-off is awarded after a further competition among the framework's suppliers,
    unless the framework provides for an award without one."""
    framework = ctx.framework(ctx.inputs)
    if framework is None or ctx.inputs.get("direct_call_off") is not True or allows_direct_award(framework):
        return None
    if framework.dps:
        return (
            f"{framework_reference(framework)} is a dynamic purchasing system: a contract under it goes to a "
            "competition among its admitted suppliers (Public Contracts Regulations 2015 reg 34), never directly"
        )
    return (
        f"{framework_reference(framework)} does not provide for a call-off without a further competition among its "
        "suppliers (Procurement Act 2023 s45): run one, or, if the framework sets out the core terms and an objective "
        "way to choose the supplier, correct its entry in the register first"
    )


@guard
def further_competition_held(ctx: ActionContext) -> str | None:
    """A call-off by further competition is awarded on the tenders the framework's suppliers sent: recorded
    first, so that the award follows them (``award_follows_evaluation``)."""
    if ctx.details.get("direct_call_off") is not False or ctx.evaluation().standings:
        return None
    return "Record the tenders the framework's suppliers sent in the further competition before recommending the award"


@guard
def framework_available(ctx: ActionContext) -> str | None:
    """A call-off is made under a framework in the register, running today, that the case's council may use."""
    if frameworks_for_call_off(ctx.session, ctx.case, ctx.today):
        return None
    return (
        "No framework in the register is running today for this council: add the framework to the register "
        "(Contracts, Frameworks) before starting the call-off"
    )


@effect
def follow_the_framework(ctx: ActionContext) -> None:
    """A call-off keeps the law its framework was procured under, whenever it starts: a framework procured under
    the Public Contracts Regulations 2015 keeps its call-offs under them, and their notices in the PCR's forms
    (Find a Tender's notice rules). The case's regime, and its frozen route's, follow the framework's; its
    details keep the framework's reference and name, for its notices' open data."""
    framework = ctx.framework(ctx.inputs)
    if framework is None:
        return
    # As the notices name it, however the register is corrected later.
    ctx.details["framework_reference"], ctx.details["framework_name"] = framework.reference, framework_name(framework)
    if framework.regime == ctx.value("regime"):
        return
    regime = statutory.Regime(framework.regime)
    plan = dict(ctx.value("route_plan") or {})
    plan["regime"] = regime.value
    plan["statutory_summary"] = (
        f"{plan.get('statutory_summary', '')} As a call-off under {framework.provider} {framework.reference}, "
        f"procured under the {regime.full_name}, it follows that framework's law."
    ).strip()
    ctx.changes.update(regime=regime.value, route_plan=plan)
    ctx.audit_data["regime"] = f"{regime.value}, as its framework's"


@guard
def framework_running(ctx: ActionContext) -> str | None:
    """A call-off is awarded while its framework runs (PA23 s47; PCR 2015 reg 33)."""
    framework = ctx.framework()
    if framework is None or ctx.today <= framework.ends_on:
        return None
    return (
        f"{framework.provider} {framework.reference} ended on {framework.ends_on:%-d %B %Y}: no call-off can be "
        "awarded under it now"
    )


SUGGESTIONS["framework_suppliers"] = lambda ctx: tuple(
    framework.suppliers if (framework := ctx.framework()) is not None else ()
)


@guard
def framework_supplier(ctx: ActionContext) -> str | None:
    """A call-off goes to a supplier party to its framework (PA23 s45(2)), where the register lists them."""
    framework = ctx.framework()
    supplier = ctx.inputs.get("supplier_name")
    if framework is None or not supplier or on_the_framework(framework, supplier):
        return None
    return f"{supplier} is not a supplier on {framework_reference(framework)}: a call-off goes to one of them"


@guard
def exclusions_checked(ctx: ActionContext) -> str | None:
    """PA23 s26-28 and s57: an award under the Act goes to no excluded supplier, so the suppliers are checked
    against the exclusion grounds and the central debarment list before it is recommended."""
    if not public_contract_under_the_act(ctx) or ctx.details.get("exclusions_checked_on"):
        return None
    return (
        "Check the suppliers against the central debarment list and the exclusion grounds, and record it, before "
        "recommending the award (Procurement Act 2023 s26-28 and s57)"
    )


@guard
def award_follows_evaluation(ctx: ActionContext) -> str | None:
    """PA23 s19: the award goes to the most advantageous tender. Where the tenders were recorded here it goes to
    a supplier whose tender was assessed; where award criteria were set, to the one the evaluation ranks first,
    once every tender assessed is scored. (Asked before the form is filled in, only whether it is complete.)"""
    evaluation = ctx.evaluation()
    if not evaluation.standings:
        if evaluation.criteria and ctx.definition.states[ctx.case.state].takes_tenders:
            return "Record the tenders received and score them against the award criteria before recommending the award"
        return None
    if evaluation.unscored:
        waiting = listed([s.tender.supplier_name for s in evaluation.unscored])
        return f"Score every tender assessed against each award criterion first: {waiting} still to be scored"
    choices = evaluation.leaders if evaluation.criteria else evaluation.assessed
    if not choices and evaluation.assessed:
        return "No tender assessed reached every minimum score the award criteria set: there is none to recommend"
    if not choices:
        return "None of the tenders recorded was assessed, so there is no award to recommend from them"
    supplier = ctx.inputs.get("supplier_name")
    if not supplier or any(s.tender.supplier_key == supplier_key(supplier) for s in choices):
        return None
    names = listed([s.tender.supplier_name for s in choices], conjunction="or")
    if evaluation.criteria:
        return (
            "The award goes to the most advantageous tender (Procurement Act 2023 s19): "
            f"the evaluation ranks {names} first"
        )
    return f"The award goes to a supplier whose tender was assessed: {names}"


@guard
def tender_period_ended(ctx: ActionContext) -> str | None:
    closes = _detail_day(ctx, "tenders_close_on")
    if closes and ctx.today <= closes:
        return f"The tender period is open until {closes:%-d %B %Y}"
    return None


@guard
def standstill_ended(ctx: ActionContext) -> str | None:
    deadline = ctx.deadline("standstill_end")
    if deadline and ctx.today <= deadline.due_on:
        return f"Standstill runs to the end of {deadline.due_on:%-d %B %Y} (Procurement Act 2023 s51)"
    return None


@guard
def kpis_set(ctx: ActionContext) -> str | None:
    """PA23 s52: before a public contract over 5m is entered into, at least three KPIs are set (unless the
    council records why its supplier's performance could not appropriately be assessed by KPIs)."""
    if not ctx.procurement_needs_kpis():
        return None
    if ctx.details.get("kpis_exemption") or len(ctx.details.get("kpis") or []) >= statutory.MIN_KPIS:
        return None
    return (
        f"Set at least {statutory.MIN_KPIS} KPIs on the case before the contract is entered into, or record why the "
        "supplier's performance could not be assessed by KPIs (Procurement Act 2023 s52)"
    )


@guard
def contract_dates_valid(ctx: ActionContext) -> str | None:
    start, end, signed = (ctx.inputs.get(k) for k in ("start_date", "end_date", "signed_on"))
    if start and end and end <= start:
        return "The contract end date must be after its start date"
    if signed and signed > ctx.today:
        return "The date the contract was entered into cannot be in the future"
    return None


def _modification_regime(ctx: ActionContext) -> statutory.Regime | None:
    """The regime whose rules on modifying a contract bind this one: its own, for an above-threshold contract that
    is not for light-touch services (which the Act lets a council modify freely); the Act's for one under it
    that the new value given takes over the threshold (a convertible contract, PA23 s74); None otherwise."""
    contract = ctx.contract()
    if contract is None or ContractType(contract.contract_type) is ContractType.LIGHT_TOUCH:
        return None
    if ctx.public_contract()[0]:  # as for its change notices
        return statutory.Regime.PA2023
    if statutory.Regime(contract.regime) is statutory.Regime.PA2023:
        new_value = ctx.inputs.get("new_value")
        return statutory.Regime.PA2023 if new_value is not None and ctx.public_contract(new_value)[0] else None
    commenced = statutory.commenced_before(contract.start_date)
    position = statutory.statutory_position(contract.value, contract.vat_treatment, contract.contract_type, commenced)
    return statutory.Regime.PCR2015 if position.above_threshold else None


@predicate
def modification_rules_apply(ctx: ActionContext) -> bool:
    """A variation of this contract must stand on a basis the law gives (PA23 s74, PCR 2015 regulation 72)."""
    return _modification_regime(ctx) is not None


@predicate
def modification_rules_may_apply(ctx: ActionContext) -> bool:
    """A variation of this contract must, or may (if it takes a contract under the Act over the threshold),
    stand on a basis the law gives."""
    contract = ctx.contract()
    if contract is None or ContractType(contract.contract_type) is ContractType.LIGHT_TOUCH:
        return False
    return statutory.Regime(contract.regime) is statutory.Regime.PA2023 or _modification_regime(ctx) is not None


CHOICES["modification_bases"] = lambda ctx: ModificationBasis.offered(
    _modification_regime(ctx) or statutory.Regime.PA2023
)


@guard
def modification_basis_holds(ctx: ActionContext) -> str | None:
    """The basis a variation is made on allows it: no more than 50% added for unforeseeable circumstances or
    additional supplies, no more than 10% (15% for works) for a below-threshold modification, no more than 10% on
    the term for one that is not substantial."""
    basis, contract = ctx.inputs.get("modification_basis"), ctx.contract()
    new_value, new_end = ctx.inputs.get("new_value"), ctx.inputs.get("new_end_date")
    if not basis or contract is None or new_value is None or new_end is None:
        return None  # not asked of this contract, or missing inputs, reported on their own
    basis = ModificationBasis(basis)
    before, change = contract.value, new_value - contract.value
    earlier = basis is ModificationBasis.BELOW_THRESHOLD and ctx.details.get(BELOW_THRESHOLD_MODIFICATIONS)
    if earlier:  # they count together, from the value before the first of them
        before, change = Decimal(earlier[0]), change + Decimal(earlier[1])
    value_change = change / before if before else Decimal(1)
    months, maximum = term_months(contract.start_date, contract.end_date), _maximum_term_months(contract)
    term_change = Decimal(term_months(contract.start_date, new_end) - months) / maximum if maximum else Decimal(0)
    problem = basis.limits(contract.contract_type, value_change, term_change)
    if problem and earlier:
        problem += f", with the earlier below-threshold modifications of the contract's {pounds(before)}"
    regime = _modification_regime(ctx) or statutory.Regime.PA2023
    return f"{basis.label(regime)}: {problem}" if problem else None


@predicate
def novation_basis(ctx: ActionContext) -> bool:
    """The variation is made on the basis that another supplier takes the contract over: it says who."""
    return ctx.inputs.get("modification_basis") == ModificationBasis.NEW_SUPPLIER


@predicate
def novation(ctx: ActionContext) -> bool:
    """Another supplier takes the contract over (a novation)."""
    return ctx.inputs.get("new_supplier") is True


@check
def a_new_supplier_on_a_lawful_basis(ctx: ActionContext, yes: bool) -> str | None:
    """Where the law's modification rules bind the contract, another supplier may take it over only on a
    corporate restructuring or the like (PA23 Schedule 8; PCR 2015 regulation 72(1)(d)(ii)): any other new
    supplier is a new award, to be procured. The basis that says so names a new supplier."""
    regime = _modification_regime(ctx)
    if yes and regime is not None and not novation_basis(ctx):
        basis = ModificationBasis.NEW_SUPPLIER.label(regime)
        return f"Another supplier may take the contract over only on the basis '{basis}': otherwise procure it afresh"
    if not yes and novation_basis(ctx):
        return "The basis chosen is another supplier taking the contract over: say that one does, and who"
    return None


@check
def not_the_supplier_already(ctx: ActionContext, name: str) -> str | None:
    """A supplier taking the contract over is another than the one it has, however its name is spelt."""
    contract = ctx.contract()
    if contract is not None and supplier_key(name) == contract.supplier_key:
        return f"{contract.supplier_name} has the contract already: name the supplier taking it over"
    return None


def _new_supplier(ctx: ActionContext) -> None:
    """Keep the proposal's new supplier, or none: an earlier variation's must not carry over to this one."""
    if ctx.inputs.get("new_supplier") is not True:
        ctx.details.pop(NEW_SUPPLIER, None)
        return
    ctx.details[NEW_SUPPLIER] = {
        "supplier_name": ctx.inputs["new_supplier_name"],
        "supplier_registration": ctx.inputs.get("new_supplier_registration") or "",
        "supplier_ppon": statutory.ppon(ctx.inputs.get("new_supplier_ppon") or "") or "",
        "supplier_is_sme": bool(ctx.inputs.get("new_supplier_is_sme")),
        "supplier_is_vcse": bool(ctx.inputs.get("new_supplier_is_vcse")),
        # Not asked of it: not recorded until someone corrects the contract's record.
        "supplier_is_supported_employment": None,
        "supplier_is_public_service_mutual": None,
    }


# A contract case's below-threshold modifications made (PA23 s74), which count together: the contract's value
# before the first of them, and what they have changed it by between them, as [value, change].
BELOW_THRESHOLD_MODIFICATIONS = "below_threshold_modifications"
# A contract case's modifications made without a contract change notice, each within PA23 s75(2)'s limits: when
# each was made and what it moved, as {"made_on", "value": [before, after], "months": [before, after]} (its term
# in months). A later one that could reasonably have been made together with one of them is weighed with it as a
# single modification (s75(4)-(5)).
UNNOTICED_MODIFICATIONS = "modifications_without_notice"


@predicate
def earlier_modification_without_notice(ctx: ActionContext) -> bool:
    """The contract was modified before without a change notice: whether this change could reasonably have been
    made together with that one is the council's to say (PA23 s75(4))."""
    return bool(ctx.details.get(UNNOTICED_MODIFICATIONS))


def _unnoticed_modification(made: dict[str, Any]) -> str:
    value, months = made["value"], made["months"]
    moved = (
        [f"its value from {pounds(Decimal(value[0]))} to {pounds(Decimal(value[1]))}"] if value[0] != value[1] else []
    )
    if months[0] != months[1]:
        moved.append(f"its term from {months[0]} to {months[1]} months")
    on = date.fromisoformat(made["made_on"])
    return f"Yes, with the change made on {on:%-d %B %Y} ({'; '.join(moved) or 'no sums'})"


CHOICES["unnoticed_modifications"] = lambda ctx: (
    ("no", "No"),
    *((str(n), _unnoticed_modification(made)) for n, made in enumerate(ctx.details.get(UNNOTICED_MODIFICATIONS, []))),
)


@guard
def variation_dates_valid(ctx: ActionContext) -> str | None:
    contract = ctx.contract()
    new_end = ctx.inputs.get("new_end_date")
    if contract and new_end and new_end < contract.start_date:
        return "The new end date must be after the contract start date"
    return None


@guard
def change_notice_published(ctx: ActionContext) -> str | None:
    """PA23 s75(1): the contract change notice is published before the modification is made."""
    owed = ctx.deadline("contract_change_notice")
    if owed is not None and owed.met_at is None:
        return (
            "Record the contract change notice as published first: the modification can only be made after it "
            "(Procurement Act 2023 s75)"
        )
    return None


@guard
def change_standstill_ended(ctx: ActionContext) -> str | None:
    """PA23 s76: a voluntary standstill, chosen with the variation, runs from the day its change notice went out."""
    standstill = ctx.deadline("change_standstill_end")
    if standstill and standstill.met_at is None and ctx.today <= standstill.due_on:
        return (
            f"The voluntary standstill runs to the end of {standstill.due_on:%-d %B %Y} (Procurement Act 2023 "
            f"s76): the modification can be made from {next_working_day(standstill.due_on):%-d %B %Y}"
        )
    return None


@guard
def breach_date_valid(ctx: ActionContext) -> str | None:
    contract, applies_from = ctx.contract(), ctx.inputs.get("breach_applies_from")
    if applies_from and applies_from > ctx.today:
        return "The day the breach led to its consequence cannot be in the future"
    if contract and applies_from and applies_from < contract.start_date:
        return (
            "The day the breach led to its consequence must be on or after the contract's start, "
            f"{contract.start_date:%-d %B %Y}"
        )
    return None


@guard
def extension_available(ctx: ActionContext) -> str | None:
    contract = ctx.contract()
    extend_to = ctx.inputs.get("extend_to")
    if contract is None or extend_to is None:
        return None
    limit = add_months(contract.end_date, contract.extension_months_available)
    if contract.extension_months_available <= 0:
        return "This contract has no extension options left"
    if extend_to <= contract.end_date or extend_to > limit:
        return f"An extension must end after {contract.end_date:%-d %B %Y} and no later than {limit:%-d %B %Y}"
    return None


@guard
def end_date_reached(ctx: ActionContext) -> str | None:
    contract = ctx.contract()
    if contract and ctx.today < contract.end_date:
        return f"The contract runs until {contract.end_date:%-d %B %Y}"
    return None


# --- effects ------------------------------------------------------------------------------------
@effect
def freeze_route(ctx: ActionContext) -> None:
    """At submission: resolve and freeze the route plan. A resubmission keeps the frozen one, unless what it is
    resolved from was changed while the request was back for rework (``Engine.edit_case`` unfreezes it): then
    it is resolved afresh, so that a request raised to a higher band goes to that band's approvers."""
    if ctx.value("route_plan"):
        return
    ctx.freeze_route()


@effect
def brief_commissioning_approvers(ctx: ActionContext) -> None:
    """The commissioning gate's approvers are told, in the email that asks them, what the business case prefers
    and the outcomes it should achieve (the whole of it is on the decision page). Afresh on each submission: a
    business case returned for rework may have changed."""
    said = [
        f"{name}: {ctx.details[key].strip().rstrip('.')}."
        for key, name in (("preferred_option", "The business case prefers"), ("outcomes", "Outcomes"))
        if (ctx.details.get(key) or "").strip()
    ]
    ctx.details[FOR_APPROVERS] = " ".join(said)


@effect
def brief_route_approvers(ctx: ActionContext) -> None:
    """The route's approvers are told, in the email that asks them: for a direct award, on what ground and why
    it goes to one supplier without competition; for a procurement that may be one requirement with others of
    its council's (``workflow.aggregation``), with how many and the total, which the submission's audit event
    records too. Worked out afresh on each submission: the answers, and the others, may have changed."""
    brief = []
    if (ground := _direct_award_ground(ctx)) is not None:
        why = ctx.details.get("direct_award_justification", "").rstrip(".")
        brief.append(f"A direct award, without competition. Ground: {ground.label}. Why: {why}.")
    if (found := _perhaps_one_requirement(ctx)) is not None:
        ctx.audit_data["perhaps_one_requirement"] = {
            "council": found.council,
            "others": found.count,
            "together_inc_vat": f"{found.together_inc_vat:.2f}",
            "line": f"{found.line:.2f}",
        }
        brief.append(
            f"Perhaps one requirement with {counted(found.count, 'other procurement')} of "
            f"the council for the same category and type of contract within a year (listed on its page): "
            f"together {pounds(found.together_inc_vat)} with VAT, over {found.line_name}. If they meet one need, "
            "the Act values them as one (Procurement Act 2023 section 4 and Schedule 3)."
        )
    if brief:
        ctx.details[FOR_APPROVERS] = " ".join(brief)
    else:
        ctx.details.pop(FOR_APPROVERS, None)


def _perhaps_one_requirement(ctx: ActionContext) -> aggregation.Crossing | None:
    commenced = ctx.value("commencement_date") or ctx.today
    proposal = ctx.engine.proposal_of(ctx.case, route=ctx.value("route"), commencement=commenced)
    councils = ctx.engine.governance.organisation.authorities_of(ctx.case.authority)
    return aggregation.of_its_kind(
        ctx.tx, ctx.engine.workflows, proposal, ctx.case.created_at, ctx.case.id, councils=councils
    )


# What the award recommendation says the supplier is, as its approvers are told (the last two asked only under
# the Act, whose notices say them).
_SUPPLIER_KINDS = (
    ("an SME", "supplier_is_sme"),
    ("a VCSE", "supplier_is_vcse"),
    ("a supported employment provider", reservations.SupplierKind.SUPPORTED_EMPLOYMENT.answer),
    ("a public service mutual", reservations.SupplierKind.PUBLIC_SERVICE_MUTUALS.answer),
)


@effect
def route_award(ctx: ActionContext) -> None:
    """An award that costs more than the request's estimate is approved at the level of what it costs (a
    90,000 request awarded at 120,000 goes to the approvers of 100,000 to 500,000), never below the level it
    was routed at; one worth more than a council's key-decision figure, where the request was not a key
    decision, goes to its Executive too. Its approvers are told, in the email that asks them, to whom it
    would go and for how much."""
    award = ctx.inputs["award_value"]
    if award > ctx.case.estimated_value:
        ctx.reroute_gate("award_approval", value=award)
    # Set for every recommendation, so that an earlier one's answer never carries over. A procurement that
    # was a key decision had its Executive's decision before it went to market.
    governance = ctx.engine.governance
    reasons = {} if ctx.case.key_decision else governance.key_decisions(ctx.engine.proposal_of(ctx.case, value=award))
    ctx.details["award_key_decision"] = "; ".join(reasons.values())
    if reasons:
        ctx.route_key_decision("executive_decision", reasons, value=award)
    ctx.details["award_over_threshold"] = _over_the_estimate_s_threshold(ctx, award)
    ctx.details["award_evaluation"] = _evaluation_in_words(ctx)
    kinds = [kind for kind, yes in _SUPPLIER_KINDS if ctx.inputs.get(yes)]
    reservation = reservations.Reservation.of(ctx.details)
    ctx.details[FOR_APPROVERS] = (
        f"Recommended award: {ctx.inputs['supplier_name']}"
        + (f" ({listed(kinds)})" if kinds else "")
        + f", {pounds(award)} excluding VAT (estimated {pounds(ctx.case.estimated_value)})."
        + (f" It is a {ctx.details['award_key_decision']}." if reasons else "")
        + (f" {ctx.details['award_over_threshold']}." if ctx.details["award_over_threshold"] else "")
        + (f" {reservation.described}." if reservation else "")
        + (f" {ctx.details['award_evaluation']}." if ctx.details["award_evaluation"] else "")
        + (f" Called off under {ctx.details['framework_name']}." if ctx.details.get("framework_name") else "")
    )


@effect
def ask_the_panel_to_evaluate(ctx: ActionContext) -> None:
    """Once the tenders (quotations, call-off responses) are in, the evaluation panel named on the case is told:
    its members may not look at the case until asked. The category team sees it on its work list."""
    if not ctx.case.team_size:  # counted with the locked read: most cases name nobody
        return
    rows = ctx.tx.rows(statements.TEAM_WITH_DECLARATIONS, {"case_id": ctx.case.id})
    panel = [m.user_id for m in rows if m.part == "evaluation" and m.is_active]
    if not panel:
        return
    criteria = ctx.evaluation().criteria
    how = (
        f"Agree the panel's score for each tender against the award criteria ({listed([c.name for c in criteria])}), "
        "with the reasons, and record them on the case: each supplier's assessment summary gives them "
        "(Procurement Act 2023 s50(3))."
        if criteria
        else "Evaluate them as the tender documents set out."
    )
    subject = f"{ctx.case.reference}: the tenders are in"
    ctx.notify(panel, "tenders_in", subject, f"The tenders for '{ctx.case.title}' are in. {how}")


PERIOD_ENDED = {  # by the system's action: what its procurement team is told, and what it asks of them
    "close_tenders": ("the tender period has ended", "Record the tenders received, and evaluate them."),
    "end_standstill": ("standstill has ended", "The contract may now be entered into: record its signature."),
}


@effect
def tell_the_team_the_period_ended(ctx: ActionContext) -> None:
    """A period the scheduler ended (``sweeps.end_periods``): the procurement team is told that the case moved
    on and what comes next, as nobody of theirs moved it. Its procurement team named on the case, else its
    council's category officers for its pillar."""
    if not ctx.actor.is_system:
        return
    team = ctx.engine.procurement_team(ctx.tx, ctx.case)
    ended, next_step = PERIOD_ENDED[ctx.trigger]
    subject = f"{ctx.case.reference}: {ended}"
    ctx.notify(team, "period_ended", subject, f"For '{ctx.case.title}', {ended}. {next_step}")


def _evaluation_in_words(ctx: ActionContext) -> str:
    """The evaluation recorded here, in a sentence for the award's approvers; "" where none was."""
    evaluation = ctx.evaluation()
    if not evaluation.standings:
        return ""
    received, assessed = len(evaluation.standings), len(evaluation.assessed)
    so_far = f"{counted(received, 'tender')} received, {assessed} assessed"
    if not evaluation.complete:
        return so_far
    leaders = evaluation.leaders
    first = listed([s.tender.supplier_name for s in leaders]) + (" equal" if len(leaders) > 1 else "")
    ranked = f"{so_far}: the evaluation ranks {first} first, with {leaders[0].total} points of 100"
    runner_up = next((s for s in evaluation.assessed if s.rank != 1), None)
    return ranked + (f" (next, {runner_up.tender.supplier_name}, {runner_up.total})" if runner_up else "")


def _over_the_estimate_s_threshold(ctx: ActionContext, award: Decimal) -> str:
    """A warning, when an award is over the statutory threshold that its estimate was under: the procurement
    ran under the below-threshold rules, which holds only if the estimate was a reasonable one (PA23 Sch 3)."""
    plan = _plan(ctx)
    if plan is None or plan.above_threshold:
        return ""
    case = ctx.case
    commenced = case.commencement_date or ctx.today
    position = statutory.statutory_position(award, case.vat_treatment, case.contract_type, commenced)
    if not position.above_threshold:
        return ""
    return (
        f"At {pounds(position.value_inc_vat)} with VAT the award is over the {pounds(position.threshold)} threshold "
        "that the estimate was under, and the procurement ran as a below-threshold one: check that the estimate was "
        "a reasonable one (Procurement Act 2023 Schedule 3)"
    )


@effect
def forward_plan_deadline(ctx: ActionContext) -> None:
    """The first day the key decision may be taken: 28 clear days (or the council's longer notice) after its
    forward plan entry; or, under an urgency rule, 5 clear days after the general exception's notice, or the day
    special urgency was agreed, which brings forward a forward plan date still to come."""
    on = ctx.inputs["forward_plan_published_on"]
    existing = ctx.deadline("forward_plan")
    waiting = existing is not None and existing.met_at is None  # this key decision's notice, already recorded
    given = ctx.inputs.get("key_decision_urgency")
    if given not in set(KeyDecisionUrgency):
        if not waiting:  # a fresh key decision (a contract's second variation, say): an earlier one's urgency goes
            _forget_urgency(ctx)
        days = ctx.engine.governance.forward_plan_days(ctx.case.authority)
        # again: a contract's second key-decision variation goes on the forward plan afresh.
        ctx.raise_deadline(statutory.earliest_key_decision(on, days), again=True)
        return
    urgent = statutory.urgent_key_decision(KeyDecisionUrgency(given), on)
    if not waiting:
        ctx.raise_deadline(urgent, again=True)
        _tell_the_deciders_sooner(ctx, KeyDecisionUrgency(given), urgent.due_on)
    elif urgent.due_on < existing.due_on:  # the urgency brings the day forward
        existing.due_on, existing.basis = urgent.due_on, urgent.basis
        ctx.audit_data.setdefault("deadlines", {})["forward_plan"] = urgent.due_on.isoformat()
        # A reminder of the later day is done with: the scheduler reminds of the new one.
        ctx.close_tasks(deadline_task_kind("forward_plan"), outcome="brought_forward")
        _tell_the_deciders_sooner(ctx, KeyDecisionUrgency(given), urgent.due_on)
    else:  # the forward plan's own day comes first: the urgency rule is not used
        _forget_urgency(ctx)
        ctx.audit_data["urgency_not_needed"] = f"the forward plan allows it from {existing.due_on:%-d %B %Y}"


def _tell_the_deciders_sooner(ctx: ActionContext, urgency: KeyDecisionUrgency, due_on: date) -> None:
    """Where the key decision already waits for its deciders (the Executive), who were told a later day or
    none, each hears that an urgency rule lets them take it sooner, with a fresh link to approve it."""
    gate = ctx.definition.gate_at(ctx.case.state)
    if gate is None or not gate.waits_for_forward_plan:
        return
    steps = ctx.tx.rows(statements.GATE_STEPS_IN_PLAY, {"case_id": ctx.case.id, "gate": gate.name})
    live = next((step for step in steps if step.status == "open"), None)
    if live is None:
        return
    said = f"'{ctx.case.title}' can be taken from {due_on:%-d %B %Y}: it is to be taken under "
    ctx.engine.tell_deciders(
        ctx,
        live,
        live.round,
        f"{ctx.case.reference}: the key decision can be taken sooner",
        [said + urgency_taken_under(urgency, ctx.inputs)],
    )


def _forget_urgency(ctx: ActionContext) -> None:
    """The key decision to come is not taken under an urgency rule: the answers about one go."""
    for name in URGENCY_ANSWERS:
        ctx.details.pop(name, None)


CHOICES["key_decision_urgencies"] = lambda ctx: tuple((u.value, u.label) for u in KeyDecisionUrgency)


@effect
def drop_forward_plan(ctx: ActionContext) -> None:
    """The key decision will not be taken (the variation was turned down or sent back): its date, and the
    reminder of it, go."""
    ctx.withdraw_deadline("forward_plan")


@effect
def record_the_decision(ctx: ActionContext) -> None:
    """The written record of the decision the gate's approval takes, where one is owed (``workflow.records``)."""
    ground = _direct_award_ground(ctx)
    records.record_decision(ctx, direct_award_ground=ground.label if ground else None)


@effect
def forward_plan_period_over(ctx: ActionContext) -> None:
    """The key decision is taken: the date it waited for has done its work (and its reminder task with it)."""
    ctx.meet_deadline("forward_plan")


@effect
def close_invitation_task(ctx: ActionContext) -> None:
    """Tenders are invited: the task the scheduler raised when the participation period closed is done."""
    ctx.close_tasks(INVITE_TENDERS, outcome="tenders_invited")


@effect
def drop_invitation_task(ctx: ActionContext) -> None:
    """The procurement ends without tenders invited: the task to invite them is owed no longer."""
    ctx.close_tasks(INVITE_TENDERS, outcome="case_closed")


@effect
def standstill_over(ctx: ActionContext) -> None:
    """Standstill has ended: the date it ran to has done its work (and its reminder task with it)."""
    ctx.meet_deadline("standstill_end")


@effect
def record_conflicts_assessment(ctx: ActionContext) -> None:
    ctx.details["conflicts_assessment_completed_on"] = ctx.today.isoformat()
    ctx.details["conflicts_assessment_by"] = ctx.actor_id


@effect
def record_conflicts_review(ctx: ActionContext) -> None:
    ctx.details["conflicts_assessment_reviewed_on"] = ctx.today.isoformat()


@effect
def standstill_deadline(ctx: ActionContext) -> None:
    if standstill_applies(ctx):
        regime = ctx.value("regime") or statutory.Regime.PA2023
        ctx.raise_deadline(statutory.standstill(ctx.inputs["award_notice_published_on"], regime))


@effect
def contract_details_deadline(ctx: ActionContext) -> None:
    plan = _plan(ctx)
    above = bool(plan and plan.above_threshold)
    ctx.raise_deadline(
        statutory.contract_details_notice(
            ctx.inputs["signed_on"],
            ctx.case.contract_type,
            above_threshold=above,
            regime=ctx.value("regime") or statutory.Regime.PA2023,
            call_off=ctx.value("route") == Route.FRAMEWORK_CALL_OFF,
            dps=bool((framework := ctx.framework()) and framework.dps),
        )
    )


@effect
def meet_contract_details_deadline(ctx: ActionContext) -> None:
    ctx.meet_deadline("contract_details_notice")


@effect
def procurement_termination_notice(ctx: ActionContext) -> None:
    """PA23 s55: a public contract not awarded after its tender or transparency notice owes a procurement
    termination notice as soon as practicable. Below the threshold the Act asks none (Part 6 has its tender and
    contract details notices, s86-87, and no other), so a below-threshold tender notice owes nothing more."""
    if not public_contract_under_the_act(ctx):
        ctx.audit_data["termination_notice"] = "not required: not a public contract under the Procurement Act 2023"
        return
    if ctx.details.get("tender_notice_published_on") or ctx.details.get("transparency_notice_published_on"):
        ctx.raise_deadline(
            statutory.Deadline(
                "procurement_termination_notice",
                ctx.today,
                "PA23 s55: a procurement termination notice as soon as reasonably practicable",
            )
        )


@effect
def open_procurement_case(ctx: ActionContext) -> None:
    """The procurement the approved business case calls for, with the funding and justification it was
    approved with: its requester checks them on the request rather than typing them again."""
    carried = {key: ctx.details[key] for key in ("funding", "justification") if ctx.details.get(key)}
    ctx.open_linked_case("procurement", details=carried)


@effect
def open_contract(ctx: ActionContext) -> None:
    ctx.open_contract()


@effect
def assess_change_notice(ctx: ActionContext) -> None:
    contract = ctx.contract()
    assert contract is not None
    if "modification_basis" not in ctx.inputs:  # not asked of this contract: an earlier variation's is not this one's
        ctx.details.pop("modification_basis", None)
    _new_supplier(ctx)
    public, why = ctx.public_contract()
    # A convertible contract (PA23 s74-75): one this change takes over the threshold is modified as a public one.
    convertible = not public and ctx.public_contract(ctx.inputs["new_value"])[0]
    if public or convertible:  # the Act's modification rules apply: does this change need a notice?
        months_before = term_months(contract.start_date, contract.end_date)
        months_after = term_months(contract.start_date, ctx.inputs["new_end_date"])
        required, why = statutory.change_notice_required(
            contract.contract_type,
            contract.value,
            ctx.inputs["new_value"],
            months_before,
            months_after,
            maximum_term_months=_maximum_term_months(contract),
            new_supplier=novation(ctx) or novation_basis(ctx),
        )
        together = ctx.inputs.get("made_together_with")
        if not required and together not in (None, "", "no"):
            required, why = _weighed_together(ctx, contract, months_before, months_after, int(together), why)
        if convertible:
            why = f"this change makes it a public contract (a convertible contract, PA23 s74): {why}"
    else:
        required, why = False, f"no contract change notice: {why}"
    # Whether the Act's change notice rule was weighed: a change it let through without one is kept (s75(4)).
    ctx.details["change_notice_weighed"] = bool(public or convertible)
    ctx.details["change_notice_required"] = required
    ctx.details["change_notice_basis"] = why
    # An optional answer left out is no: it must not carry over from an earlier variation.
    ctx.details["voluntary_standstill"] = required and bool(ctx.inputs.get("voluntary_standstill"))
    ctx.audit_data["change_notice"] = why


def _weighed_together(
    ctx: ActionContext, contract: Contract, months_before: int, months_after: int, earlier: int, alone: str
) -> tuple[bool, str]:
    """This change and an earlier one made without a change notice, which the council considers could
    reasonably have been made together, weighed as one modification from before the earlier (PA23 s75(4)-(5))."""
    made = ctx.details[UNNOTICED_MODIFICATIONS][earlier]
    (value_from, value_then), (months_from, months_then) = map(Decimal, made["value"]), made["months"]
    value_to = value_then + ctx.inputs["new_value"] - contract.value  # both changes' moves, from before the first
    months_to = months_then + months_after - months_before
    required, why = statutory.change_notice_required(
        contract.contract_type,
        value_from,
        value_to,
        months_from,
        months_to,
        maximum_term_months=_maximum_term_months(contract),
    )
    on = f"{date.fromisoformat(made['made_on']):%-d %B %Y}"
    if required:
        return True, f"taken together with the change made on {on} (PA23 s75(4)): {why}"
    return False, f"{alone}; and together with the change made on {on}: {why}"


@effect
def route_variation(ctx: ActionContext) -> None:
    """A variation's approvers are those for the contract's value after it (or before, if it falls): a change
    that takes a contract into a higher band is approved at that band's level; one that adds more than a
    council's key-decision figure goes to its Executive too. Their emails say what changes."""
    contract = ctx.contract()
    assert contract is not None
    new_value, new_end = ctx.inputs["new_value"], ctx.inputs["new_end_date"]
    ctx.reroute_gate("variation_gate", value=max(contract.value, new_value))
    # Set for every variation, so that an earlier one's answer never carries over.
    key_decisions = ctx.engine.governance.spending_key_decisions(
        ctx.case.authority, new_value - contract.value, "the variation"
    )
    ctx.details["variation_key_decision"] = "; ".join(key_decisions.values())
    ctx.route_key_decision("executive_decision", key_decisions, value=new_value)
    notice = (
        f"A contract change notice is needed before it is made: {ctx.details['change_notice_basis']}."
        if ctx.details.get("change_notice_required")
        else "No contract change notice is needed."
    )
    basis = ctx.inputs.get("modification_basis")
    ctx.details[FOR_APPROVERS] = (
        f"Proposed variation: {ctx.inputs['variation_description'].rstrip('.')}. "
        f"Value {pounds(contract.value)} to {pounds(new_value)} excluding VAT; "
        f"end date {_changed_day(contract.end_date, new_end)}. "
        + (f"{over['supplier_name']} takes the contract over. " if (over := ctx.details.get(NEW_SUPPLIER)) else "")
        + (f"Basis: {ModificationBasis(basis).label(contract.regime)}. " if basis else "")
        + notice
        + (f" It is a {ctx.details['variation_key_decision']}." if key_decisions else "")
    )


@effect
def route_renewal(ctx: ActionContext) -> None:
    """A renewal's approvers are those for the contract's value now, which variations may have moved since
    its case opened, or, for an extension, its value with the extension's cost added (as a variation's are
    for its value after); an extension that adds more than a council's key-decision figure goes to its
    Executive too. Their emails say what is proposed."""
    contract = ctx.contract()
    assert contract is not None
    proposal = ctx.details["renewal_proposal"]
    added = ctx.inputs["extension_value"] if proposal == "extend" else Decimal(0)
    ctx.reroute_gate("renewal_gate", value=contract.value + added)
    # Set for every proposal, so that an earlier extension's answer never carries over.
    key_decisions = ctx.engine.governance.spending_key_decisions(ctx.case.authority, added, "the extension")
    ctx.details["extension_key_decision"] = "; ".join(key_decisions.values())
    ctx.route_key_decision("executive_decision", key_decisions, value=contract.value + added)
    ctx.details[FOR_APPROVERS] = {
        "extend": f"Proposed: extend the contract to {ctx.inputs.get('extend_to', contract.end_date):%-d %B %Y} "
        f"(it ends {contract.end_date:%-d %B %Y} now), at a cost of {pounds(added)} excluding VAT, which takes "
        f"its value from {pounds(contract.value)} to {pounds(contract.value + added)}."
        + (f" It is a {ctx.details['extension_key_decision']}." if key_decisions else ""),
        "recommission": f"Proposed: re-commission; the contract runs to {contract.end_date:%-d %B %Y}.",
    }.get(proposal, f"Proposed: let the contract end on {contract.end_date:%-d %B %Y}.")


@effect
def owe_change_notice(ctx: ActionContext) -> None:
    """An approved variation that needs a contract change notice owes it before it is made (PA23 s75(1)):
    ``make_variation`` makes the change once the notice is out."""
    ctx.raise_deadline(statutory.contract_change_notice(ctx.today), again=True)


@effect
def drop_unmade_variation(ctx: ActionContext) -> None:
    """A variation withdrawn, or overtaken by the contract ending, before it was made owes no change notice
    and waits for no standstill."""
    ctx.withdraw_deadline("contract_change_notice")
    ctx.withdraw_deadline("change_standstill_end")


@effect
def change_standstill_over(ctx: ActionContext) -> None:
    """The modification is made: its standstill, if it had one, has done its work (and its reminder task)."""
    ctx.meet_deadline("change_standstill_end")


@effect
def apply_variation(ctx: ActionContext) -> None:
    contract = ctx.contract()
    assert contract is not None
    new_value = Decimal(ctx.details["new_value"])
    new_end = date.fromisoformat(ctx.details["new_end_date"])
    ctx.audit_data["variation"] = {
        "value": [f"{contract.value:.2f}", f"{new_value:.2f}"],
        "end_date": [contract.end_date.isoformat(), new_end.isoformat()],
    }
    if ctx.details.get("modification_basis") == ModificationBasis.BELOW_THRESHOLD:
        before, change = ctx.details.get(BELOW_THRESHOLD_MODIFICATIONS) or (f"{contract.value:.2f}", "0")
        change = Decimal(change) + new_value - contract.value
        ctx.details[BELOW_THRESHOLD_MODIFICATIONS] = [before, f"{change:.2f}"]
    if ctx.details.get("change_notice_weighed") and not ctx.details.get("change_notice_required"):
        months = [term_months(contract.start_date, end) for end in (contract.end_date, new_end)]
        kept = ctx.details.get(UNNOTICED_MODIFICATIONS, [])
        value = [f"{contract.value:.2f}", f"{new_value:.2f}"]
        ctx.details[UNNOTICED_MODIFICATIONS] = [
            *kept,
            {"made_on": ctx.today.isoformat(), "value": value, "months": months},
        ]
    contract.revalued(new_value, ctx.now)
    _move_end_date(ctx, contract, new_end)
    if taking_over := ctx.details.pop(NEW_SUPPLIER, None):
        ctx.audit_data["variation"]["supplier"] = [contract.supplier_name, taking_over["supplier_name"]]
        for column, value in taking_over.items():
            setattr(contract, column, value)
    # The case's value is its contract's: the approvals queue, its summary and the pipeline show it.
    ctx.changes["estimated_value"] = new_value
    if change_notice_owed(ctx):
        # PA23 s77: a modification that needed a change notice is itself published, for a contract worth more
        # than 5m. One copy of the contract as modified, published after the later, serves two modifications:
        # while the first's is owed, its earlier date stands.
        public = True  # a change notice is owed only under the Act
        if statutory.contract_copy_required(public, new_value, contract.vat_treatment, contract.contract_type):
            ctx.raise_deadline(statutory.modification_copy(ctx.today), again=True)


@effect
def record_renewal_proposal(ctx: ActionContext) -> None:
    """The proposal the renewal gate decides; it is the decision its contract manager's renewal tasks asked
    for, so proposing it completes them (approving it is its approvers' part, chased as theirs)."""
    proposal = {"propose_extension": "extend", "propose_recommission": "recommission"}.get(ctx.trigger, "exit")
    ctx.details["renewal_proposal"] = proposal
    outcome, done = RENEWAL_PROPOSED[proposal]
    closed = ctx.close_tasks(RENEWAL_DECISION, outcome=outcome)
    ctx.details[RENEWAL_TASKS_DONE] = [task.id for task in closed]
    # Whose tasks a colleague's proposal did (the case team's, for a contract manager) hear of it.
    ctx.notify(
        [task.assignee_id for task in closed if task.assignee_id != ctx.actor.id],
        TASK_COVERED,
        f"{ctx.actor.full_name} proposed the renewal decision your task asked for: {ctx.case.reference}",
        f"{done}. The task is done; the proposal goes to its approvers.",
    )


@effect
def renewal_proposal_dropped(ctx: ActionContext) -> None:
    """A renewal proposal turned down or sent back: the decision is still to be made, so the renewal tasks its
    proposal completed are open again (they would otherwise be the last reminder of it until the contract
    ended: none is raised while its decision is open); a key decision's date, and its reminder, go."""
    proposal = ctx.details.get("renewal_proposal", "exit")
    reopened = ctx.reopen_tasks(ctx.details.pop(RENEWAL_TASKS_DONE, []), outcome=RENEWAL_PROPOSED[proposal][0])
    # Whose they are hear it, unless the decision's own message reaches them (its requester's and proposer's).
    told = {ctx.case.requester_id, ctx.details.get(PROPOSED_BY)}
    ctx.notify(
        [task.assignee_id for task in reopened if task.assignee_id not in told],
        TASK_COVERED,
        f"Your renewal task is open again: {ctx.case.reference}",
        f"The renewal proposed on the contract's case was {'turned down' if ctx.trigger == 'reject' else 'sent back'}"
        ": the decision is still to be made.",
    )
    drop_forward_plan(ctx)


@effect
def apply_renewal_decision(ctx: ActionContext) -> None:
    contract = ctx.contract()
    assert contract is not None
    proposal = ctx.details.get("renewal_proposal")
    if proposal == "extend":
        extend_to = date.fromisoformat(ctx.details["extend_to"])
        used = months_between(contract.end_date, extend_to)
        value = contract.value + Decimal(ctx.details["extension_value"])
        ctx.audit_data["extension"] = {
            "from": contract.end_date.isoformat(),
            "to": extend_to.isoformat(),
            "value": [f"{contract.value:.2f}", f"{value:.2f}"],
        }
        contract.extension_months_available = max(0, contract.extension_months_available - used)
        _move_end_date(ctx, contract, extend_to)
        # The register's value is what the council will spend under the contract, the extension taken included;
        # the case's value is its contract's.
        contract.revalued(value, ctx.now)
        ctx.changes["estimated_value"] = value
        ctx.details["on_extension"] = True
    elif proposal == "recommission":
        # The new commissioning case is whoever proposed it's to take forward (the contract's manager now, say),
        # not the person the contract's case was opened for, who may have moved on.
        ctx.open_linked_case("commissioning", requester_id=ctx.details.get(PROPOSED_BY))


@effect
def termination_notice_deadline(ctx: ActionContext) -> None:
    """PA23 s80: a contract termination notice when a public contract ends, by expiry or otherwise."""
    contract = ctx.contract()
    assert contract is not None
    required, why = ctx.public_contract()
    if not required:
        ctx.audit_data["termination_notice"] = f"not required: {why}"
        return
    ctx.raise_deadline(
        statutory.termination_notice(_ended_on(ctx), for_breach=bool(ctx.inputs.get("ended_for_breach")))
    )


@effect
def breach_performance_notice_deadline(ctx: ActionContext) -> None:
    """PA23 s71(3)-(5): a public contract's supplier breach (or failure to improve) is published within 30 days."""
    required, why = ctx.public_contract()
    applies_from = ctx.inputs["breach_applies_from"]
    if required and applies_from < statutory.CONTRACT_PERFORMANCE_FROM:
        required, why = False, _before_s71(applies_from)
    if not required:
        ctx.audit_data["breach_performance_notice"] = f"not required: {why}"
        return
    due = statutory.breach_performance_notice(applies_from)
    owed = ctx.deadline(due.kind)
    if owed is None or owed.met_at is not None:
        ctx.raise_deadline(due, again=True)
        return
    # An earlier breach's notice is still owed: both are, the sooner first, the other waiting behind it (the
    # case owes one deadline of a kind at a time; recording a notice owes the next, services.notices).
    earlier = {name: (ctx.case.details or {}).get(name, "") for name in BREACH_FIELDS}
    this = {name: ctx.details[name] for name in BREACH_FIELDS}
    queue = [
        *ctx.details.get(BREACHES_WAITING, []),
        {"due_on": owed.due_on.isoformat(), "basis": owed.basis, **earlier},
        {"due_on": due.due_on.isoformat(), "basis": due.basis, **this},
    ]
    queue.sort(key=lambda breach: breach["due_on"])
    first, ctx.details[BREACHES_WAITING] = queue[0], queue[1:]
    ctx.details.update({name: first[name] for name in BREACH_FIELDS})
    # This breach's notice may be due sooner: then it is owed first. A reminder already raised for the other
    # stays open: that notice is still owed on its day (recording a notice closes only its own day's).
    owed.due_on, owed.basis = date.fromisoformat(first["due_on"]), first["basis"]
    ctx.audit_data["breach_performance_notice"] = (
        f"due {due.due_on:%-d %B %Y}; {len(queue)} breach notices are owed, each in turn, the soonest first"
    )


@effect
def final_kpi_assessment_deadline(ctx: ActionContext) -> None:
    """PA23 s71(2): a public contract whose KPIs s52 asked for is assessed against them, and the assessment
    published, on termination (expiry included). KPIs a council set of its own accord owe no notice."""
    contract = ctx.contract()
    assert contract is not None
    if ctx.session.scalar(select(ContractKpi.id).where(ContractKpi.contract_id == contract.id).limit(1)) is None:
        return  # none were set: there is nothing to assess against (the contract page says if the Act asked)
    public, why = ctx.public_contract()
    if not statutory.kpis_required(public, contract.value, contract.vat_treatment, contract.contract_type):
        ctx.audit_data["final_kpi_assessment"] = f"none owed: its KPIs were not set under PA23 s52 ({why})"
        return
    if (ended := _ended_on(ctx)) < statutory.CONTRACT_PERFORMANCE_FROM:
        ctx.audit_data["final_kpi_assessment"] = f"none owed: {_before_s71(ended)}"
        return
    ctx.raise_deadline(statutory.final_kpi_assessment(ended))


def _before_s71(day: date) -> str:
    return (
        f"{day:%-d %B %Y} was before PA23 s71 came into force, on "
        f"{statutory.CONTRACT_PERFORMANCE_FROM:%-d %B %Y} (SI 2025/1316)"
    )


def _move_end_date(ctx: ActionContext, contract: Contract, new_end: date) -> None:
    """The contract ends on ``new_end`` now: its open renewal and notice-date tasks, worked out from the end
    date before, close (left open they would fall due, and escalate, on days that no longer mean anything);
    the scheduler raises the new end date's own when their days come, and at its next run, for an end brought
    within its shortest lead time (which would otherwise get none), the one that has come already. A review or
    yearly KPI assessment due on or after its new last day closes: none falls due once it has ended."""
    if new_end != contract.end_date:
        contract.end_on(new_end, ctx.now)
        ctx.close_tasks(*FROM_THE_END_DATE, outcome=END_DATE_MOVED[0])
        ctx.close_tasks(*WHILE_IT_RUNS, outcome=PAST_ITS_END[0], due_from=new_end)


@effect
def close_review_tasks(ctx: ActionContext) -> None:
    """A review completed on the contract's case is the review its periodic task asked for."""
    ctx.close_tasks(CONTRACT_REVIEW, outcome=REVIEWED_ON_THE_CASE[0])


@effect
def close_contract_tasks(ctx: ActionContext) -> None:
    """A contract that has ended is no longer renewed, given notice under or reviewed: its open tasks for those
    close, rather than fall overdue and be escalated for nothing."""
    ctx.close_tasks(*ENDED_WITH_THE_CONTRACT, outcome=CONTRACT_ENDED[0])


def _ended_on(ctx: ActionContext) -> date:
    """The day the case's contract ended: the day given for a termination, else its end date (expiry)."""
    contract = ctx.contract()
    assert contract is not None
    return ctx.inputs.get("terminated_on") or contract.end_date


# --- dates --------------------------------------------------------------------------------------
def _changed_day(before: date, after: date) -> str:
    return f"{before:%-d %B %Y} (unchanged)" if after == before else f"{before:%-d %B %Y} to {after:%-d %B %Y}"


def _maximum_term_months(contract: Contract) -> int:
    """The maximum term provided for on award, its extension options included (PA23 s74(3)(a), s75(2)(b)), as
    the register keeps it; for a contract bulk-loaded without it, its term now with the options left (the same
    while no change has moved its term: taking up an option moves the end as far as it uses options up)."""
    if contract.maximum_term_months is not None:
        return contract.maximum_term_months
    return term_months(contract.start_date, contract.end_date) + contract.extension_months_available
