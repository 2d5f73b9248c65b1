"""A procurement's evaluation, on the record: the award criteria set before suppliers are invited (PA23 s23),
a competitive flexible procedure's requests to participate and whom it invited to tender (s20), the tenders
received, and the panel's score for each against each criterion, with its reasons.

The most advantageous tender (s19) is the one the evaluation ranks first (``workflow.evaluation``), and the
award recommendation's guard holds the award to it. Each supplier whose tender was assessed is owed an
assessment summary (s50(3)): its scores and reasons beside the most advantageous tender's, drawn from here.

Every change is all or nothing, with the case locked, and leaves an event on the case's audit chain.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..core import Core
from ..errors import ChangedMeanwhile, InvalidAction, InvalidInput, NotFound, NotPermitted
from ..governance.calendar import implausible
from ..governance.organisation import JOINT
from ..governance.statutory import Route, conflicts_law
from ..models import (
    AwardCriterion,
    Case,
    CriterionKind,
    DynamicMarket,
    ParticipationRequest,
    Tender,
    TenderMark,
    TenderScore,
)
from ..models.suppliers import supplier_given, supplier_key
from ..wording import one_to_a_line
from ..workflow.definitions import MAX_TEXT, WorkflowRegistry
from ..workflow.engine import Actor, parse_money
from ..workflow.evaluation import TOP_SCORE, Evaluation, Standing, evaluation_of
from ..workflow.frameworks import framework_named_by, framework_reference, on_the_framework
from ..workflow.markets import (
    admitted,
    applying,
    market_named_by,
    membership_of,
    part_named_by,
    restricted_to,
)
from ..workflow.participation import (
    invited_names,
    invited_to_tender,
    not_to_invite,
    requests_to_participate,
    to_invite,
)
from ..workflow.reservations import Reservation, comparable_contract
from .spreadsheet import (
    PPON_HEADINGS,
    FileProblem,
    FileRefused,
    Layout,
    day,
    parsed_rows,
    problems_beside,
    read_table,
    row_problems,
    unguarded,
    yes_or_no,
)
from .teams import latest_declaration, on_team

MAX_CRITERIA = 10
MAX_NAME, MAX_REASONS = 200, 4000
CRITERION_KINDS = {
    CriterionKind.QUALITY: "Quality",
    CriterionKind.SOCIAL_VALUE: "Social value",
    CriterionKind.PRICE: "Price",
}


@dataclass(frozen=True)
class TenderGiven:
    """A tender as the team records it; ``price`` as typed (pounds, excluding VAT)."""

    supplier_name: str
    supplier_registration: str
    supplier_is_sme: bool
    supplier_is_vcse: bool
    price: str
    received_on: date | None
    not_assessed_because: str = ""
    # Asked where the competition is reserved (``workflow.reservations``): the supplier's answer to its question.
    supplier_within_reservation: bool | None = None
    supplier_ppon: str = ""  # its unique identifier on the Central Digital Platform, where the tender gave it


@dataclass(frozen=True)
class RequestGiven:
    """A request to participate as the team records it; ``set_aside_because`` empty while it is to be invited."""

    supplier_name: str
    supplier_registration: str
    supplier_is_sme: bool
    supplier_is_vcse: bool
    received_on: date | None
    set_aside_because: str = ""
    exclusions_checked_on: date | None = None  # checked against the exclusion grounds and the debarment list
    supplier_within_reservation: bool | None = None  # as a tender's
    supplier_ppon: str = ""  # as a tender's


def may_evaluate(session: Session, actor: Actor, case: Case) -> bool:
    """The category team for the case's council and pillar (or its administrator), and the people named on the
    procurement's team or evaluation panel."""
    if case.stage != "procurement":
        return False
    return actor.runs_category(case.authority, case.pillar) or on_team(session, case.id, actor.id)


def criteria_open(workflows: WorkflowRegistry, case: Case) -> bool:
    """Whether the case's award criteria can be set now: where its workflow says so, but on a direct award."""
    return (
        case.stage == "procurement"
        and case.closed_at is None
        and case.route != Route.DIRECT_AWARD
        and workflows.state_of(case).sets_award_criteria
    )


def tenders_open(workflows: WorkflowRegistry, case: Case) -> bool:
    """Whether tenders can be recorded and scored on the case now: where its workflow says so."""
    return case.stage == "procurement" and case.closed_at is None and workflows.state_of(case).takes_tenders


def requests_open(workflows: WorkflowRegistry, case: Case) -> bool:
    """Whether requests to participate can be recorded and assessed on the case now: where its workflow says so
    (a competitive flexible procedure's participation period, until tenders are invited), and again where the
    list of suppliers invited can be corrected (once the tenders are in), so that a request set aside in error
    can be put right with it."""
    if case.stage != "procurement" or case.closed_at is not None:
        return False
    state = workflows.state_of(case)
    return state.takes_requests_to_participate or (state.takes_tenders and bool(invited_names(case.details)))


def set_award_criteria(
    core: Core, case_id: int, actor_id: int, rows: Sequence[Sequence[str]], *, seen: str | None = None
) -> None:
    """Set the case's award criteria, in order, replacing any before: ``rows`` of (name, kind, weighting per
    cent[, minimum score]) as typed, blank rows left out. None at all clears them. ``seen``: the criteria as
    the form showed them (``criteria_as_seen``), refused if someone has saved others since."""
    criteria = _criteria(rows)
    with core.db.unit_of_work() as session:
        case = _locked(core, session, case_id, actor_id, to="set the award criteria")
        _require_unchanged(seen, criteria_as_seen(evaluation_of(session, case.id)), "the award criteria")
        if not criteria_open(core.workflows, case):
            raise InvalidAction(
                "The award criteria are set before suppliers are invited to tender, quote or respond "
                "(Procurement Act 2023 s23), and not for a direct award"
            )
        session.execute(delete(AwardCriterion).where(AwardCriterion.case_id == case.id))
        session.add_all(
            AwardCriterion(
                case_id=case.id, position=number, name=name, kind=kind, weighting=weighting, minimum_score=minimum
            )
            for number, (name, kind, weighting, minimum) in enumerate(criteria, start=1)
        )
        data = {
            "criteria": [
                f"{name} ({weighting}%{'' if minimum is None else f', at least {minimum}'})"
                for name, _, weighting, minimum in criteria
            ]
        }
        _changed(core, session, case, actor_id, "set_award_criteria", data)


def _criteria(rows: Sequence[Sequence[str]]) -> list[tuple[str, str, int, int | None]]:
    """The criteria given, blank rows left out; refused naming each row's problem by its number as given."""
    errors: dict[str, str] = {}
    criteria = []
    for number, (name, kind, weighting, *more) in enumerate(rows, start=1):
        name, weighting = name.strip(), weighting.strip().removesuffix("%").strip()
        minimum = (more[0] if more else "").strip()
        if not name and not weighting:
            continue
        where = f"criterion_{number}"
        if not name:
            errors[f"{where}_name"] = f"Name criterion {number}, or clear its weighting too"
        elif len(name) > MAX_NAME:
            errors[f"{where}_name"] = f"Keep criterion {number}'s name to {MAX_NAME} characters"
        if kind not in CRITERION_KINDS:
            errors[f"{where}_kind"] = f"Choose whether criterion {number} is quality, social value or price"
        if not weighting.isdigit() or not 1 <= int(weighting) <= 100:
            errors[f"{where}_weighting"] = f"Give criterion {number}'s weighting as a whole per cent, from 1 to 100"
        if minimum and kind == CriterionKind.PRICE:
            errors[f"{where}_minimum"] = f"Price has no minimum score: leave criterion {number}'s empty"
        elif minimum and (not minimum.isdigit() or int(minimum) > TOP_SCORE):
            errors[f"{where}_minimum"] = f"Give criterion {number}'s minimum score from 0 to {TOP_SCORE}, or none"
        given_minimum = int(minimum) if minimum.isdigit() else None
        criteria.append((name, kind, int(weighting) if weighting.isdigit() else 0, given_minimum))
    if errors:
        raise InvalidInput(errors)
    if len(criteria) > MAX_CRITERIA:
        raise InvalidInput({"criteria": f"A procurement can have up to {MAX_CRITERIA} award criteria"})
    if criteria and (total := sum(weighting for _, _, weighting, _ in criteria)) != 100:
        raise InvalidInput({"criteria": f"The weightings must add up to 100%; these add up to {total}%"})
    if sum(kind == CriterionKind.PRICE for _, kind, _, _ in criteria) > 1:
        raise InvalidInput({"criteria": "Price is one criterion: weight it once"})
    names = [name.casefold() for name, *_ in criteria]
    if len(set(names)) < len(names):
        raise InvalidInput({"criteria": "Give each criterion a name of its own"})
    return criteria


def record_tender(
    core: Core,
    case_id: int,
    actor_id: int,
    given: TenderGiven,
    *,
    tender_id: int | None = None,
    seen: str | None = None,
) -> int:
    """Record a tender received, or correct one (``tender_id``; ``seen``, the tender as the form showed it,
    ``supplier_row_as_seen``); returns its id. A tender now not assessed loses its scores. A tender recorded
    (or corrected) without its supplier's PPON takes the one the supplier gave before in this procurement
    (``_ppons_given``)."""
    fields = _tender_fields(core, given)
    with core.db.unit_of_work() as session:
        case = _locked(core, session, case_id, actor_id, to="record tenders")
        _require_tenders_open(core, case)
        _tender_admission(core, session, case)(fields)
        tender = _saved(core, session, case, actor_id, Tender, fields, tender_id, seen)
        if tender_id is not None and tender.not_assessed_because:
            session.execute(delete(TenderScore).where(TenderScore.tender_id == tender.id))
        action = "record_tender" if tender_id is None else "correct_tender"
        data = {"tender_id": tender.id, "supplier_name": tender.supplier_name, "price": f"{tender.price:.2f}"}
        if tender.supplier_ppon:
            data["supplier_ppon"] = tender.supplier_ppon
        if tender.not_assessed_because:
            data["not_assessed_because"] = tender.not_assessed_because
        _changed(core, session, case, actor_id, action, data)
        return tender.id


def _tender_admission(core: Core, session: Session, case: Case) -> Callable[[dict], None]:
    """How the procurement takes a tender's ``fields`` (what it is restricted to read once, however many tenders
    a file brings): not assessed where the supplier is not a member of the dynamic market it is restricted to,
    not on the framework it calls off from, not invited, or outside its reservation; without its supplier's
    PPON, given the one the supplier gave before (``_ppons_given``)."""
    market = market_named_by(session, case.details)
    framework = framework_named_by(session, case.details)
    invited = invited_to_tender(case.details)
    ppons = _ppons_given(session, case, market)

    def admit(fields: dict) -> None:
        fields["supplier_ppon"] = fields["supplier_ppon"] or ppons.get(fields["supplier_key"], "")
        if market is not None:
            fields["not_assessed_because"] = _as_the_market_allows(market, case.details, fields)
        if framework is not None:
            arrangement = "dynamic purchasing system" if framework.dps else "framework"
            named = framework_reference(framework)
            disregarded = f"Not a supplier on the {arrangement} {named} (a call-off goes to one)"
            on_it = on_the_framework(framework, fields["supplier_name"])
            fields["not_assessed_because"] = _unless_disregarded(fields["not_assessed_because"], on_it, disregarded)
        if invited is not None:
            invited_it, given = fields["supplier_key"] in invited, fields["not_assessed_because"]
            fields["not_assessed_because"] = _unless_disregarded(given, invited_it, NOT_INVITED)
        _as_reserved(core, session, case, fields, "not_assessed_because")

    return admit


def _ppons_given(session: Session, case: Case, market: DynamicMarket | None) -> dict[str, str]:
    """The PPONs suppliers gave before in the procurement, by supplier key: in their requests to participate,
    or else in their latest applications to the dynamic market the procurement is restricted to. A supplier has
    one PPON (it is registered on the Central Digital Platform once), so its tender need not give it again."""
    given = {m.supplier_key: m.supplier_ppon for m in (market.memberships if market else []) if m.supplier_ppon}
    requested = select(ParticipationRequest.supplier_key, ParticipationRequest.supplier_ppon).where(
        ParticipationRequest.case_id == case.id, ParticipationRequest.supplier_ppon != ""
    )
    return given | dict(session.execute(requested).all())


def _tender_fields(core: Core, given: TenderGiven) -> dict:
    supplier = supplier_given(given.supplier_name, given.supplier_registration, given.supplier_ppon)
    errors = supplier.problems
    reason, price = given.not_assessed_because.strip(), parse_money(given.price)
    if price is None or price <= 0:
        errors["price"] = "Enter the price tendered in pounds, more than nothing, like 125000 or 125000.50"
    if problem := _received_problem(core, given.received_on, "the tender"):
        errors["received_on"] = problem
    if len(reason) > MAX_REASONS:
        errors["not_assessed_because"] = f"Keep the reason to {MAX_REASONS} characters"
    if errors:
        raise InvalidInput(errors)
    return {
        **Tender.columns_for(supplier, given.supplier_is_sme, given.supplier_is_vcse),
        "price": price,
        "received_on": given.received_on,
        "not_assessed_because": reason,
        "supplier_within_reservation": given.supplier_within_reservation,
    }


def _as_reserved(core: Core, session: Session, case: Case, fields: dict, reason: str) -> None:
    """A tender (its ``reason`` column ``not_assessed_because``) or request to participate (``set_aside_because``)
    in a competition reserved to certain suppliers (``workflow.reservations``): the supplier's answer to the
    reservation's question must be given, and one outside it is not assessed (set aside); so is a public service
    mutual that entered into a comparable contract with the council in the three years before (PA23 s33(5)).
    In a competition open to all, the question is not asked."""
    reservation = Reservation.of(case.details)
    if reservation is None or not reservation.asks:  # open to all, or to SMEs and VCSEs alone: nothing to ask
        fields["supplier_within_reservation"] = None
    elif fields["supplier_within_reservation"] is None:
        raise InvalidInput({"supplier_within_reservation": reservation.unanswered})
    if reservation is None:
        return
    admitted = reservation.admits(
        within=fields["supplier_within_reservation"],
        is_sme=fields["supplier_is_sme"],
        is_vcse=fields["supplier_is_vcse"],
    )
    left_out = reservation.left_out
    if admitted and reservation.mutuals:
        councils = (*core.governance.organisation.authorities_of(case.authority), JOINT)
        comparable = comparable_contract(session, case, fields["supplier_key"], councils, core.engine.today())
        if comparable is not None:
            admitted, left_out = False, comparable
    fields[reason] = _unless_disregarded(fields[reason], admitted, left_out)


def _received_problem(core: Core, received_on: date | None, what: str) -> str | None:
    if received_on is None:
        return f"Enter the date {what} was received"
    if received_on > core.engine.today():
        return f"The date {what} was received cannot be in the future"
    return implausible(received_on)


def _as_the_market_allows(market: DynamicMarket, case_details: dict, fields: dict) -> str:
    """Why the tender is not assessed, for a procurement run by reference to a dynamic market: a tender from a
    supplier that is not a member (of the part named) is disregarded (PA23 s34(3)), once its application to
    join (or a member's for that part), if it made one, is decided (s34(4))."""
    part = part_named_by(market, case_details)
    is_member = admitted(market, part, fields["supplier_name"])
    if not is_member and (waiting := applying(market, part, fields["supplier_name"])) is not None:
        to_join = f"for {part} of" if membership_of(market, fields["supplier_name"]) else "to join"
        raise InvalidInput(
            {
                "supplier_name": f"{waiting.supplier_name} applied {to_join} {market.reference} on "
                f"{waiting.applied_on:%-d %B %Y}: decide its application before its tender "
                "(Procurement Act 2023 s34(4))"
            }
        )
    disregarded = f"Not a member of {restricted_to(market, part)} (Procurement Act 2023 s34(3))"
    return _unless_disregarded(fields["not_assessed_because"], is_member, disregarded)


NOT_INVITED = "Not invited to tender after the participation period (Procurement Act 2023 s20(4)-(5))"


def correct_invitations(
    core: Core, case_id: int, actor_id: int, names: str, reason: str, *, seen: str | None = None
) -> None:
    """Correct the list of suppliers a competitive flexible procedure invited to tender (a name mistyped, or
    one left out when the invitation was recorded), saying why. The tenders recorded are weighed again against
    it: a supplier now on it is assessed, one no longer on it is not (and loses its scores), each as when its
    tender is corrected. ``seen``: the list as the form showed it (``invitations_as_seen``)."""
    given, reason = one_to_a_line(names), reason.strip()
    errors = {}
    if not given:
        errors["invited_suppliers"] = "Give the suppliers invited to tender, one to a line"
    elif len(names) > MAX_TEXT:  # as the invitation's answer was held to
        errors["invited_suppliers"] = f"Keep the list to {MAX_TEXT} characters"
    if not reason:
        errors["reason"] = "Say why the list is corrected"
    if errors:
        raise InvalidInput(errors)
    with core.db.unit_of_work() as session:
        case = _locked(core, session, case_id, actor_id, to="correct the suppliers invited to tender")
        _require_tenders_open(core, case)
        before = invited_names(case.details)
        if not before:
            raise InvalidAction(f"{case.reference} did not invite suppliers to tender by name")
        _require_unchanged(seen, invitations_as_seen(case.details), "the list of suppliers invited")
        if barred := not_to_invite(session, case.id, case.details, given):
            raise InvalidInput({"invited_suppliers": barred})
        case.details = {**case.details, "invited_suppliers": "\n".join(given)}
        invited = {supplier_key(name) for name in given}
        weighed_again = []
        for tender in session.scalars(select(Tender).where(Tender.case_id == case.id).order_by(Tender.id)):
            why = _unless_disregarded(tender.not_assessed_because, tender.supplier_key in invited, NOT_INVITED)
            if why != tender.not_assessed_because:
                tender.not_assessed_because = why
                weighed_again.append(tender.supplier_name)
                if why:
                    session.execute(delete(TenderScore).where(TenderScore.tender_id == tender.id))
        data = {"invited_suppliers": given, "before": before, "tenders_weighed_again": weighed_again}
        _changed(core, session, case, actor_id, "correct_invitations", data, comment=reason)


def invitations_as_seen(case_details: dict) -> str:
    """What a form showing the invited suppliers was opened on: it changes whenever anyone corrects them."""
    return _fingerprint(invited_names(case_details))


def _unless_disregarded(given: str, may_take_part: bool, disregarded: str) -> str:
    """Why a tender is not assessed: ``given`` (the team's reason, if any), or ``disregarded`` for a supplier
    that may not take part; a supplier that may (corrected since) loses that reason, keeping any other."""
    if not may_take_part:
        return given or disregarded
    return "" if given == disregarded else given


def record_request(
    core: Core,
    case_id: int,
    actor_id: int,
    given: RequestGiven,
    *,
    request_id: int | None = None,
    seen: str | None = None,
) -> int:
    """Record a request to participate received, or correct one (``request_id``; ``seen``, the request as the
    form showed it, ``supplier_row_as_seen``); returns its id. Where the procedure is restricted to a dynamic
    market's members, a request from a supplier that is not one is set aside (PA23 s34(1)), unless its
    application to join waits: that is decided before tenders are invited (s34(4))."""
    fields = _request_fields(core, given)
    with core.db.unit_of_work() as session:
        case = _locked(core, session, case_id, actor_id, to="record requests to participate")
        _require_requests_open(core, case)
        _as_the_market_sets_aside(market_named_by(session, case.details), case, fields)
        _as_reserved(core, session, case, fields, "set_aside_because")
        made = _saved(core, session, case, actor_id, ParticipationRequest, fields, request_id, seen)
        action = "record_participation_request" if request_id is None else "correct_participation_request"
        data = {"request_id": made.id, "supplier_name": made.supplier_name, "received_on": str(made.received_on)}
        if made.exclusions_checked_on:
            data["exclusions_checked_on"] = made.exclusions_checked_on.isoformat()
        if made.set_aside_because:
            data["set_aside_because"] = made.set_aside_because
        _changed(core, session, case, actor_id, action, data)
        return made.id


def _request_fields(core: Core, given: RequestGiven) -> dict:
    """A request's columns from what the team gave, or InvalidInput naming each field wrong."""
    supplier = supplier_given(given.supplier_name, given.supplier_registration, given.supplier_ppon)
    errors, reason = supplier.problems, given.set_aside_because.strip()
    if problem := _received_problem(core, given.received_on, "the request"):
        errors["received_on"] = problem
    checked = given.exclusions_checked_on
    if checked is not None and checked > core.engine.today():
        errors["exclusions_checked_on"] = "The date the supplier was checked cannot be in the future"
    elif checked is not None and given.received_on is not None and checked < given.received_on:
        errors["exclusions_checked_on"] = "Check the supplier once its request is received: this is before it"
    if len(reason) > MAX_REASONS:
        errors["set_aside_because"] = f"Keep the reason to {MAX_REASONS} characters"
    if errors:
        raise InvalidInput(errors)
    return {
        **ParticipationRequest.columns_for(supplier, given.supplier_is_sme, given.supplier_is_vcse),
        "received_on": given.received_on,
        "set_aside_because": reason,
        "exclusions_checked_on": checked,
        "supplier_within_reservation": given.supplier_within_reservation,
    }


def _as_the_market_sets_aside(market: DynamicMarket | None, case: Case, fields: dict) -> None:
    """Where the procedure is restricted to the dynamic ``market``'s members, a request from a supplier that is
    not one is set aside (PA23 s34(1)), unless its application to join waits: that is decided before tenders
    are invited (s34(4)); one admitted since loses that reason."""
    if market is not None:
        part = part_named_by(market, case.details)
        name = fields["supplier_name"]
        may_go_on = admitted(market, part, name) or applying(market, part, name) is not None
        outside = f"Not a member of {restricted_to(market, part)} (Procurement Act 2023 s34(1))"
        fields["set_aside_because"] = _unless_disregarded(fields["set_aside_because"], may_go_on, outside)


# A file of requests to participate or of tenders, as an e-tendering portal exports them (or a spreadsheet a
# team keeps): the columns of the supplier each row names.
SUPPLIER_HEADINGS = {
    "supplier_name": ("Supplier", "Supplier name", "Organisation", "Organisation name", "Company name"),
    "supplier_registration": (
        "Companies House or charity number",
        "Companies House number",
        "Company number",
        "Charity number",
        "Registration number",
    ),
    "supplier_ppon": PPON_HEADINGS,
    "supplier_is_sme": ("SME",),
    "supplier_is_vcse": ("VCSE",),
}
RECEIVED_HEADINGS = ("Received", "Date received", "Submitted", "Date submitted")
# The supplier's answer to a reserved procedure's question (PA23 s32, s33): yes, no, or empty; a file may also
# head it as the case's reservation does (``Reservation.heading``: "Based in Oxfordshire").
RESERVATION_HEADINGS = ("Within the reservation", "Supported employment provider", "Public service mutual")
REQUESTS_LAYOUT = Layout(
    headings={
        **SUPPLIER_HEADINGS,
        "received_on": RECEIVED_HEADINGS,
        "exclusions_checked_on": ("Checked against the exclusion grounds", "Exclusions checked"),
        "set_aside_because": ("Set aside because", "Reason set aside"),
        "supplier_within_reservation": RESERVATION_HEADINGS,
    },
    required=("supplier_name", "received_on"),
    what="list of requests to participate",
)
TENDERS_LAYOUT = Layout(
    headings={
        **SUPPLIER_HEADINGS,
        "price": ("Price", "Price excluding VAT", "Price tendered", "Total price", "Tender price"),
        "received_on": RECEIVED_HEADINGS,
        "not_assessed_because": ("Not assessed because", "Reason not assessed"),
        "supplier_within_reservation": RESERVATION_HEADINGS,
    },
    required=("supplier_name", "price", "received_on"),
    what="list of tenders",
)
MAX_ROWS_IN_A_FILE = 1000
# Columns left out.
UNSTATED = {"supplier_registration": "", "supplier_ppon": "", "supplier_is_sme": False, "supplier_is_vcse": False}
# A stand-in for each cell of a file's row that could be wrong or missing, which passes its own checks (with
# the day it is checked as the date received): the row's other cells are checked with them.
_STANDING_IN = {"supplier_name": "-", "price": "1", "supplier_within_reservation": False}
# The checks of a row that weigh one cell against another (``spreadsheet.problems_beside``).
_WEIGHED_AGAINST = {"exclusions_checked_on": "received_on"}


@dataclass
class SuppliersLoad:
    """What a checked file of requests to participate or of tenders holds, and whether it was recorded."""

    rows: list[dict]  # each request's or tender's columns, as recording it by hand would save them
    digest: str  # SHA-256 of the file, recorded in the audit
    loaded: bool = False


def load_requests(core: Core, case_id: int, actor_id: int, data: bytes, *, apply: bool = False) -> SuppliersLoad:
    """Check a file of requests to participate (a CSV: ``REQUESTS_LAYOUT``) whole, every problem named by line
    and column, and with ``apply`` record every one as ``record_request`` would, in one transaction: all of it,
    or nothing. A supplier is refused twice in the file, or where the case has its request already."""
    with core.db.unit_of_work() as session:
        case = _locked(core, session, case_id, actor_id, to="record requests to participate")
        _require_requests_open(core, case)
        market = market_named_by(session, case.details)

        def fields_of(given: RequestGiven) -> dict:
            fields = _request_fields(core, given)
            _as_the_market_sets_aside(market, case, fields)
            _as_reserved(core, session, case, fields, "set_aside_because")
            return fields

        return _load_suppliers(core, session, case, actor_id, data, ParticipationRequest, fields_of, apply=apply)


def load_tenders(core: Core, case_id: int, actor_id: int, data: bytes, *, apply: bool = False) -> SuppliersLoad:
    """Check a file of tenders received (a CSV: ``TENDERS_LAYOUT``, as a portal's opening report gives them)
    whole, every problem named by line and column, and with ``apply`` record every one as ``record_tender``
    would, in one transaction: all of it, or nothing. A supplier is refused twice in the file, or where the case
    has its tender already."""
    with core.db.unit_of_work() as session:
        case = _locked(core, session, case_id, actor_id, to="record tenders")
        _require_tenders_open(core, case)
        admit = _tender_admission(core, session, case)

        def fields_of(given: TenderGiven) -> dict:
            fields = _tender_fields(core, given)
            admit(fields)
            return fields

        return _load_suppliers(core, session, case, actor_id, data, Tender, fields_of, apply=apply)


# Each kind of file of suppliers' rows: its columns, the audit event that records a file loaded, and the words
# for its rows, and for one of them in short.
_FILES = {
    ParticipationRequest: (REQUESTS_LAYOUT, "load_participation_requests", "requests to participate", "request"),
    Tender: (TENDERS_LAYOUT, "load_tenders", "tenders", "tender"),
}


def _load_suppliers(
    core: Core,
    session: Session,
    case: Case,
    actor_id: int,
    data: bytes,
    model: type[Tender | ParticipationRequest],
    fields_of: Callable[[Any], dict],
    *,
    apply: bool,
) -> SuppliersLoad:
    """``load_requests`` and ``load_tenders``: the file read and checked, each row given to ``fields_of`` (its
    columns, as recording it by hand would save them, or InvalidInput), then recorded with ``apply``."""
    digest = hashlib.sha256(data).hexdigest()
    noun, given_as = _SUPPLIER_ROWS[model]
    layout, action, nouns, short = _FILES[model]
    problems: list[FileProblem] = []
    reservation = Reservation.of(case.details)
    asking = reservation is not None and reservation.asks  # not one reserved to SMEs and VCSEs alone
    if asking:  # its answer's column may go by the reservation's own name
        answer = (*layout.headings["supplier_within_reservation"], reservation.heading)
        layout = dataclasses.replace(layout, headings={**layout.headings, "supplier_within_reservation": answer})
    table = read_table(data, layout, problems)
    if asking and "supplier_within_reservation" not in table.columns:
        # Every row would say the same: said once, of the file, naming the column it needs.
        needs = (
            f"There is no {reservation.heading} column: the procedure is reserved to {reservation.suppliers} "
            f"({reservation.law}), so each {short} says whether its supplier is one (yes or no)"
        )
        raise FileRefused([FileProblem(1, "", needs)])
    recorded = dict(
        session.execute(select(model.supplier_key, model.supplier_name).where(model.case_id == case.id)).all()
    )
    found: list[dict] = []
    lines: dict[str, int] = {}  # each supplier's line in the file

    def checked(row: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """A row's fields as the form would record them, or what is wrong with them."""
        try:
            return fields_of(given_as(**{**UNSTATED, **row})), {}
        except InvalidInput as error:
            return {}, error.fields

    stand_ins = {name: value for name, value in _STANDING_IN.items() if name in layout.headings}  # a request: no price
    stand_ins["received_on"] = core.engine.today()
    for line, values, wrong in parsed_rows(table, _supplier_cell, problems, most=MAX_ROWS_IN_A_FILE, noun=nouns):
        if wrong:  # every problem of the row at once: the checks of a whole row still run on its other cells
            wrong |= problems_beside(lambda row: checked(row)[1], values, wrong, stand_ins, _WEIGHED_AGAINST)
        else:
            fields, wrong = checked(values)
            if not wrong:
                key = fields["supplier_key"]
                if (other := recorded.get(key)) is not None:
                    wrong = {"supplier_name": f"A {noun} from {other} is recorded already"}
                elif key in lines:
                    wrong = {"supplier_name": f"The same supplier as line {lines[key]}: one {short} each"}
                else:
                    lines[key] = line
                    found.append(fields)
        problems += row_problems(table, line, wrong)
    if not found and not problems:
        problems.append(FileProblem(0, "", f"The file has headings but no {short}s"))
    if problems:
        raise FileRefused(sorted(problems, key=lambda problem: problem.line))
    load = SuppliersLoad(found, digest)
    if apply:
        now = core.engine.clock()
        session.add_all(model(case_id=case.id, recorded_by_id=actor_id, recorded_at=now, **row) for row in found)
        names = [row["supplier_name"] for row in found]
        _changed(core, session, case, actor_id, action, {"names": names, "sha256": digest})
        load.loaded = True
    return load


def _supplier_cell(field_name: str, text: str) -> Any:
    text = unguarded(text)
    if field_name in ("supplier_is_sme", "supplier_is_vcse"):
        return yes_or_no(text)
    if field_name in ("received_on", "exclusions_checked_on"):
        return day(text) if text else None
    if field_name == "supplier_within_reservation":
        return yes_or_no(text) if text else None  # empty: not answered, which a reserved procedure refuses
    return text


def remove_request(core: Core, case_id: int, actor_id: int, request_id: int) -> str:
    """Take off a request to participate recorded in error; returns its supplier's name."""
    with core.db.unit_of_work() as session:
        case = _locked(core, session, case_id, actor_id, to="record requests to participate")
        _require_requests_open(core, case)
        made = _supplier_row(session, case, ParticipationRequest, request_id)
        name = made.supplier_name
        session.delete(made)
        data = {"request_id": request_id, "supplier_name": name}
        _changed(core, session, case, actor_id, "remove_participation_request", data)
        return name


def remove_tender(core: Core, case_id: int, actor_id: int, tender_id: int) -> str:
    """Take off a tender recorded in error (its scores go with it); returns its supplier's name."""
    with core.db.unit_of_work() as session:
        case = _locked(core, session, case_id, actor_id, to="record tenders")
        _require_tenders_open(core, case)
        tender = _tender(session, case, tender_id)
        name = tender.supplier_name
        session.delete(tender)
        _changed(core, session, case, actor_id, "remove_tender", {"tender_id": tender_id, "supplier_name": name})
        return name


def score_tender(
    core: Core,
    case_id: int,
    actor_id: int,
    tender_id: int,
    scores: dict[int, tuple[str, str]],
    *,
    seen: str | None = None,
) -> None:
    """The panel's agreed (moderated) scores for one tender: ``scores`` by criterion id, (score as typed,
    reasons), for every criterion the panel scores (price is scored by formula). The scorer must have declared
    their interests in the case with no unmitigated conflict (PA23 s82). ``seen``: the scores as the form
    showed them (``scores_as_seen``), refused if someone has saved others since."""
    with core.db.unit_of_work() as session:
        case, tender, clean = _scoring(core, session, case_id, actor_id, tender_id, scores, to="score tenders")
        standing = evaluation_of(session, case.id).standing_of(tender.id)
        _require_unchanged(seen, scores_as_seen(standing), f"the scores for {tender.supplier_name}'s tender")
        now = core.engine.clock()
        session.execute(delete(TenderScore).where(TenderScore.tender_id == tender.id))
        session.add_all(
            TenderScore(
                tender_id=tender.id, criterion_id=id_, score=score, reasons=why, scored_by_id=actor_id, scored_at=now
            )
            for id_, (score, why) in clean.items()
        )
        data = {"tender_id": tender.id, "supplier_name": tender.supplier_name} | {
            "scores": {str(id_): score for id_, (score, _) in clean.items()}
        }
        _changed(core, session, case, actor_id, "score_tender", data, now=now)


def mark_tender(core: Core, case_id: int, actor_id: int, tender_id: int, marks: dict[int, tuple[str, str]]) -> None:
    """An evaluator's own marks for one tender, as ``score_tender`` takes scores, given before the panel agrees
    its score: each evaluator marks alone, and the moderation weighs them all (``marks_of``). Once the panel has
    agreed its score, the marks it weighed stand as they were given (the record of how the score was reached)."""
    with core.db.unit_of_work() as session:
        case, tender, clean = _scoring(core, session, case_id, actor_id, tender_id, marks, to="mark tenders")
        if session.scalar(select(TenderScore.tender_id).where(TenderScore.tender_id == tender.id).limit(1)):
            raise InvalidAction(
                f"The panel has agreed its score for {tender.supplier_name}'s tender: the evaluators' own marks stand "
                "as they were given"
            )
        now = core.engine.clock()
        mine = (TenderMark.tender_id == tender.id, TenderMark.evaluator_id == actor_id)
        session.execute(delete(TenderMark).where(*mine))
        session.add_all(
            TenderMark(
                tender_id=tender.id, criterion_id=id_, evaluator_id=actor_id, score=score, reasons=why, marked_at=now
            )
            for id_, (score, why) in clean.items()
        )
        data = {"tender_id": tender.id, "supplier_name": tender.supplier_name}
        _changed(core, session, case, actor_id, "mark_tender", data, now=now)


def marks_of(session: Session, actor: Actor, case: Case, tender_id: int) -> dict[int, dict[int, TenderMark]] | None:
    """The evaluators' own marks for a tender, by evaluator and criterion id, for those who moderate (the category
    team) and for an evaluator who has marked it already; None for anyone else, so that each marks alone."""
    rows = session.scalars(select(TenderMark).where(TenderMark.tender_id == tender_id)).all()
    marks: dict[int, dict[int, TenderMark]] = {}
    for mark in rows:
        marks.setdefault(mark.evaluator_id, {})[mark.criterion_id] = mark
    if actor.runs_category(case.authority, case.pillar) or actor.id in marks:
        return marks
    return None


def _scoring(
    core: Core,
    session: Session,
    case_id: int,
    actor_id: int,
    tender_id: int,
    given: dict[int, tuple[str, str]],
    *,
    to: str,
) -> tuple[Case, Tender, dict[int, tuple[int, str]]]:
    """The locked case, its tender and the scores given for it, checked: each criterion the panel scores, 0 to
    ``TOP_SCORE`` with reasons, by someone who may evaluate and has declared with no unmitigated conflict."""
    case = _locked(core, session, case_id, actor_id, to=to)
    _require_tenders_open(core, case)
    tender = _tender(session, case, tender_id)
    if tender.not_assessed_because:
        raise InvalidAction(f"{tender.supplier_name}'s tender was not assessed, so it is not scored")
    _require_declared(session, case, actor_id)
    scored = [c for c in evaluation_of(session, case.id).criteria if c.kind != CriterionKind.PRICE]
    if not scored:
        raise InvalidAction("There are no award criteria for the panel to score: price is scored by formula")
    errors: dict[str, str] = {}
    clean: dict[int, tuple[int, str]] = {}
    for criterion in scored:
        score, reasons = (text.strip() for text in given.get(criterion.id, ("", "")))
        if not score.isdigit() or int(score) > TOP_SCORE:
            errors[f"score_{criterion.id}"] = f"Score '{criterion.name}' from 0 to {TOP_SCORE}"
        if not reasons:
            errors[f"reasons_{criterion.id}"] = (
                f"Give the reasons for the score on '{criterion.name}': the supplier's assessment summary "
                "tells them (Procurement Act 2023 s50(3))"
            )
        elif len(reasons) > MAX_REASONS:
            errors[f"reasons_{criterion.id}"] = f"Keep the reasons on '{criterion.name}' to {MAX_REASONS} characters"
        if f"score_{criterion.id}" not in errors:
            clean[criterion.id] = (int(score), reasons)
    if errors:
        raise InvalidInput(errors)
    return case, tender, clean


def _locked(core: Core, session: Session, case_id: int, actor_id: int, *, to: str) -> Case:
    case = core.engine.lock_case(session, case_id, None)  # one change to the case at a time
    actor = core.engine.actor(session, actor_id)
    if not may_evaluate(session, actor, case):
        raise NotPermitted(f"Only the procurement's category team, or someone on its team or panel, can {to}")
    return case


def _require_tenders_open(core: Core, case: Case) -> None:
    if not tenders_open(core.workflows, case):
        raise InvalidAction(
            f"Tenders are recorded and scored while {case.reference} is in evaluation, once the tenders are in"
        )


# What the team records of each supplier on a procurement, one per supplier however its name is spelt: in words,
# and as the team gives it (whose fields a correction may change, and a form's fingerprint covers).
_SUPPLIER_ROWS = {
    Tender: ("tender", TenderGiven),
    ParticipationRequest: ("request to participate", RequestGiven),
}


def _saved(
    core: Core,
    session: Session,
    case: Case,
    actor_id: int,
    model: type[Tender | ParticipationRequest],
    fields: dict,
    row_id: int | None,
    seen: str | None,
):
    """A supplier's tender or request to participate added to the case from ``fields``, or the one ``row_id``
    corrected (``seen``: as the form showed it): refused if the supplier has another."""
    noun, _ = _SUPPLIER_ROWS[model]
    same_supplier = select(model).where(model.case_id == case.id, model.supplier_key == fields["supplier_key"])
    if (other := session.scalar(same_supplier)) is not None and other.id != row_id:
        raise InvalidInput({"supplier_name": f"A {noun} from {other.supplier_name} is recorded already"})
    if row_id is None:
        row = model(case_id=case.id, recorded_by_id=actor_id, recorded_at=core.engine.clock(), **fields)
        session.add(row)
        session.flush()
        return row
    row = _supplier_row(session, case, model, row_id)
    _require_unchanged(seen, supplier_row_as_seen(row), f"{row.supplier_name}'s {noun}")
    for column, value in fields.items():
        setattr(row, column, value)
    return row


def _supplier_row(session: Session, case: Case, model: type[Tender | ParticipationRequest], row_id: int):
    row = session.get(model, row_id)
    if row is None or row.case_id != case.id:
        raise NotFound(f"There is no {_SUPPLIER_ROWS[model][0]} {row_id} on {case.reference}")
    return row


def supplier_row_as_seen(row: Tender | ParticipationRequest) -> str:
    """What a form showing a tender or request to participate was opened on: it changes whenever anyone saves
    it."""
    return _fingerprint([getattr(row, given.name) for given in dataclasses.fields(_SUPPLIER_ROWS[type(row)][1])])


def _require_requests_open(core: Core, case: Case) -> None:
    if not requests_open(core.workflows, case):
        raise InvalidAction(
            f"Requests to participate are recorded while {case.reference} is in its participation period, and "
            "corrected with the list of suppliers invited once the tenders are in"
        )


def _tender(session: Session, case: Case, tender_id: int) -> Tender:
    return _supplier_row(session, case, Tender, tender_id)


def _require_declared(session: Session, case: Case, actor_id: int) -> None:
    latest = latest_declaration(session, case.id, actor_id)
    if latest is None:
        law = conflicts_law(case.regime, "s81")
        raise NotPermitted(f"Declare your interests in this procurement before you score its tenders ({law})")
    if latest.blocks:
        raise NotPermitted(
            "You declared a conflict of interest with no mitigation recorded, so you cannot score tenders"
        )


def _changed(core: Core, session: Session, case: Case, actor_id: int, action: str, data: dict, **kw) -> None:
    case.version += 1
    core.engine.note_case_event(session, case, actor_id=actor_id, action=action, data=data, **kw)


def criteria_as_seen(found: Evaluation) -> str:
    """What a form showing the award criteria was opened on: it changes whenever anyone saves them."""
    return _fingerprint([(c.position, c.name, c.kind, c.weighting, c.minimum_score) for c in found.criteria])


def scores_as_seen(standing: Standing | None) -> str:
    scores = standing.scores if standing else {}
    return _fingerprint(sorted((c_id, score.score, score.reasons) for c_id, score in scores.items()))


def _fingerprint(values: list) -> str:
    return hashlib.sha256(json.dumps(values, default=str).encode()).hexdigest()[:16]


def _require_unchanged(seen: str | None, now: str, what: str) -> None:
    """Two people saving one form at once: the second is told, not allowed to undo the first unseen."""
    if seen is not None and seen != now:
        raise ChangedMeanwhile(
            f"Someone saved {what} after you opened this page, so yours were not saved. This is how they stand "
            "now: make your changes again if they are still needed."
        )


def recommendation_answers(session: Session, case_id: int) -> dict[str, object]:
    """The award recommendation's answers the evaluation gives: the most advantageous tender's supplier and
    price, by the workflow's input names; none while it is incomplete or tied."""
    leaders = evaluation_of(session, case_id).leaders
    if len(leaders) != 1:
        return {}
    tender = leaders[0].tender
    return {
        "supplier_name": tender.supplier_name,
        "supplier_registration": tender.supplier_registration,
        "supplier_is_sme": tender.supplier_is_sme,
        "supplier_is_vcse": tender.supplier_is_vcse,
        "supplier_ppon": tender.supplier_ppon,
        "award_value": f"{tender.price:.2f}",
    }


def reserved_answers(session: Session, case_id: int) -> dict[str, object]:
    """The award recommendation's answer a competition reserved to one kind of supplier gives, by the workflow's
    input name: its supplier is one, whichever it is, as no other's tender was assessed (PA23 s32(3), s33(4));
    none where the competition was not so reserved."""
    reservation = Reservation.of(session.get(Case, case_id).details or {})
    return {reservation.kind.answer: True} if reservation and reservation.kind else {}


def notified_answers(session: Session, case_id: int) -> dict[str, object]:
    """A direct award's recommendation answers its transparency notice gave: the supplier the contract is to be
    awarded to (PR24 reg 26), by the workflow's input names; none where no notice named one."""
    return notified_supplier(session.get(Case, case_id).details or {})


def notified_supplier(details: dict) -> dict[str, str]:
    """The supplier a direct award's transparency notice (its case's ``details``) said the contract is to go
    to, under the award recommendation's names for it; empty where no notice named one."""
    if not details.get("notified_supplier"):
        return {}
    return {
        "supplier_name": details["notified_supplier"],
        "supplier_registration": details.get("notified_supplier_registration") or "",
        "supplier_ppon": details.get("notified_supplier_ppon") or "",
    }


def invitation_answers(session: Session, case_id: int) -> dict[str, object]:
    """The invitation to tender's answers the requests to participate give: the suppliers not set aside, a line
    each, by the workflow's input name; none where no request is recorded, or every one was set aside."""
    going_on = to_invite(requests_to_participate(session, case_id))
    return {"invited_suppliers": "\n".join(going_on)} if going_on else {}
