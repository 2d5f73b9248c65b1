"""A procurement's journeys, as the tests that walk them (the engine's, and the pages') share them: the actions
that move a case on, what an officer answers each with, and the routes to walk at the values each is open to."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from provision_cycle.services import markets
from provision_cycle.services.frameworks import FrameworkGiven, record_framework
from provision_cycle.services.markets import ApplicationGiven

from .factories import hub_people, new_request, open_market, register_contract

MARKET = "DM-000001"  # the dynamic market ``request_on`` establishes, the first in its fresh database

# The actions that move a procurement on, and those that end it or send it back (a random walk offers the first
# more often, or most walks would end in a withdrawal or a rejection before reaching the award).
ONWARD = [
    "submit",
    "resubmit",
    "approve",
    "request_info",
    "provide_info",
    "complete_conflicts_assessment",
    "publish_tender_notice",
    "invite_tenders",
    "invite_quotations",
    "close_tenders",
    "close_quotations",
    "record_exclusion_check",
    "review_conflicts_assessment",
    "recommend_award",
    "record_assessment_summaries",
    "publish_award_notice",
    "end_standstill",
    "sign_contract",
    "publish_contract_details",
    "record_forward_plan",
    "start_call_off",
    "complete_call_off_selection",
    "publish_transparency_notice",
    "start_direct_award",
    "record_user_choice",
]
SETBACKS = ["withdraw", "reject", "return", "terminate_procurement"]


def answers_for(trigger: str, today: date, days: int, award_value: str, how: str | None = None) -> dict[str, object]:
    """What ``trigger`` is given, dated from ``today`` as an officer would date it, on a route taken ``how``
    (``EVERY_ROUTE``'s fourth: restricted to ``request_on``'s dynamic market, whose one member is invited;
    reserved to Oxfordshire's SMEs and VCSEs; a call-off by further competition)."""
    on = today.isoformat()
    restricted = {"by_dynamic_market": True, "dynamic_market": MARKET} if how == "dynamic_market" else {}
    if how == "reserved":  # to Oxfordshire's SMEs and VCSEs (the 2026 Order on below-threshold reservations)
        restricted = {"reserved": True, "reserved_to_suppliers_in": "Oxfordshire", "reserved_to_smes_and_vcses": True,
                      "reserved_because": "Local small firms can do it"}  # fmt: skip
    return {
        "publish_tender_notice": {
            "tender_notice_published_on": on, "tenders_close_on": (today + timedelta(days=26)).isoformat(),
            "participation_closes_on": (today + timedelta(days=26)).isoformat(), "market_engaged": False,
        } | restricted,
        "invite_tenders": {
            "tenders_invited_on": on, "tenders_close_on": (today + timedelta(days=26)).isoformat(),
            "invited_suppliers": "Acme Ltd",
        },
        "recommend_award": {
            "supplier_name": "Acme Ltd", "supplier_is_sme": True, "supplier_is_vcse": False,
            "supplier_is_supported_employment": False, "supplier_is_public_service_mutual": False,
            "supplier_ppon": "PACM-1234-LTDA", "award_value": award_value,
        },
        "record_exclusion_check": {"exclusions_checked_on": on},
        "review_conflicts_assessment": {"conflicts_review_findings": "None"},
        "record_assessment_summaries": {"assessment_summaries_sent_on": on},
        "publish_award_notice": {"award_notice_published_on": on},
        "sign_contract": {
            "signed_on": on, "start_date": (today + timedelta(days=30)).isoformat(),
            "end_date": (today + timedelta(days=760)).isoformat(),
        },
        "publish_contract_details": {"contract_details_published_on": on},
        "record_forward_plan": {"forward_plan_published_on": (today - timedelta(days=days)).isoformat()},
        # The framework each walk's hub has in its register; called off directly, or by a further competition.
        "start_call_off": {"framework": "1", "direct_call_off": how != "further_competition"},
        "publish_transparency_notice": {"transparency_notice_published_on": on, "notified_supplier": "Acme Ltd"},
        "record_user_choice": {"user_choice_recorded_on": on},
    }.get(trigger, {})  # fmt: skip


# What an award costs against the estimate: much less (a procurement run over the threshold may be awarded under
# it), the same, or half as much again (which takes it to the approvers of what it costs, and perhaps over the
# threshold its estimate was under).
AWARDED_AT = (Decimal("0.3"), Decimal(1), Decimal("1.5"))


# Each route at a value it is open to, in the contract type it suits (and, the fourth, how it is taken: a direct
# award's ground, the law a call-off's framework was procured under or its further competition, a procedure
# restricted to a dynamic market's members, or a competition reserved to local SMEs and VCSEs), awarded for much
# less, the same and much more: the route stays the one the request was submitted on, whatever the award comes
# to (as a low-value purchase of 4,000 awarded at 6,000 or a below-threshold tender's award over the threshold
# once did not). CDC's 450,000 becomes a key decision at 675,000 (its award goes to the Executive), and 6,000,000
# of works needs KPIs.
EVERY_ROUTE = [
    ("low_value_purchase", "4000", "services", None, "OCC"),
    ("quotations", "25000", "services", None, "OCC"),
    ("below_threshold_tender", "150000", "services", None, "OCC"),
    ("below_threshold_tender", "100000", "services", "reserved", "OCC"),
    ("open_procedure", "250000", "services", None, "OCC"),
    ("open_procedure", "450000", "services", None, "CDC"),
    ("open_procedure", "250000", "services", None, "JOINT"),
    ("competitive_flexible", "250000", "services", None, "OCC"),
    ("competitive_flexible", "6000000", "works", None, "OCC"),
    ("competitive_flexible", "250000", "services", "dynamic_market", "OCC"),
    ("framework_call_off", "250000", "services", None, "OCC"),
    ("framework_call_off", "250000", "services", "PCR2015", "OCC"),
    ("framework_call_off", "250000", "services", "further_competition", "OCC"),
    ("direct_award", "250000", "services", "single_supplier", "OCC"),
    ("direct_award", "250000", "services", "urgency", "OCC"),
    ("direct_award", "700000", "light_touch", "user_choice", "OCC"),
]


# Contracts in the register, as (regime's start, value, contract type, council): a public contract under the Act,
# one under the PCR 2015, two below the threshold (one that varying a lot takes over it: a convertible
# contract, PA23 s74), light-touch care, works worth millions, and CDC's (whose Executive takes any change over
# 500,000).
REGISTERED = [
    (date(2025, 7, 1), "500000", "services", "OCC"),
    (date(2023, 1, 1), "500000", "services", "OCC"),
    (date(2025, 7, 1), "60000", "services", "OCC"),
    (date(2025, 7, 1), "160000", "services", "OCC"),
    (date(2025, 7, 1), "700000", "light_touch", "OCC"),
    (date(2025, 7, 1), "6000000", "works", "OCC"),
    (date(2025, 7, 1), "450000", "services", "CDC"),
]
# Where each journey of a contract's life ends, and the actions that take it there, the first offered first.
VARYING = ["go_live", "propose_variation", "record_forward_plan", "approve", "make_variation"]
JOURNEYS = {
    "varied a little": (("live",), VARYING),
    "varied a lot": (("live",), VARYING),
    "cut back": (("live",), VARYING),
    "extended": (("extended",), ["go_live", "open_renewal_decision", "propose_extension", "record_forward_plan",
                                 "approve"]),
    "re-commissioned": (("recommissioning",), ["go_live", "open_renewal_decision", "propose_recommission", "approve"]),
    "let expire": (("expired",), ["go_live", "open_renewal_decision", "propose_exit", "approve", "expire"]),
    "terminated": (("terminated",), ["go_live", "terminate"]),
}  # fmt: skip
CHANGED_BY = {"varied a little": Decimal("1.05"), "varied a lot": Decimal("1.4"), "cut back": Decimal("0.7")}


# The contracts whose journeys differ through a door other than the engine's (the Act's change notice, the PCR
# 2015's grounds for a change, CDC's Executive): the pages' and the API's walks take these; the engine's, all.
BY_EVERY_DOOR = [REGISTERED[0], REGISTERED[1], REGISTERED[-1]]


def contract_journey(journey: str, value: str, today: date):
    """One of ``JOURNEYS`` for a contract of ``value``: the states it ends at, the actions that take it there,
    the value it is varied to (``CHANGED_BY``; its own where it is not varied), and what its manager answers
    each action with: the variation on the basis that the contract provided for it, an extension of six months
    costing a quarter of its value, a forward plan entry published 30 days before ``today``, a termination
    today."""
    ends_at, wanted = JOURNEYS[journey]
    new_value = (Decimal(value) * CHANGED_BY.get(journey, 1)).quantize(Decimal("0.01"))
    answers = {
        "propose_variation": {
            "variation_description": "More hours", "new_value": str(new_value), "new_end_date": "2027-06-30",
            "voluntary_standstill": False, "modification_basis": "provided_for",
        },
        "propose_extension": {"extend_to": "2027-12-31", "extension_value": str(Decimal(value) / 4)},
        "record_forward_plan": {"forward_plan_published_on": (today - timedelta(days=30)).isoformat()},
        "terminate": {"terminated_on": today.isoformat()},
    }  # fmt: skip
    return ends_at, wanted, new_value, answers


def request_on(core, db, route: str, value: str, contract_type: str, how: str | None, authority: str):
    """A draft request on one of ``EVERY_ROUTE``'s routes, raised by its council's requester (OCC's for a joint
    one), with a framework in the register to call off from (procured under the law ``how`` names for a
    call-off, the Act's by default; for a direct award, ``how`` is its ground) and, ``how`` asking for one, an
    established dynamic market (``MARKET``): its id, the raising council's people, and everyone who may act on
    it (both councils' people for a joint one)."""
    councils = ["OCC", "CDC"] if authority == "JOINT" else [authority]
    people, *others = [hub_people(db, authority=council) for council in councils]
    # A framework under the PCR 2015 for its four years at most (reg 33(3)), one under the Act for its four.
    regime, starts, ends = (("PCR2015", date(2024, 9, 1), date(2028, 8, 31)) if how == "PCR2015"
                            else ("PA2023", date(2025, 4, 1), date(2029, 3, 31)))  # fmt: skip
    given = FrameworkGiven("CCS", "RM6116", "", "Network services", regime, starts, ends, authority,
                           direct_award=True)  # fmt: skip
    record_framework(core, people.officer, given)
    if how == "dynamic_market":  # established, its one member the supplier each walk invites and awards to
        market_id = open_market(core, people, authority=authority)
        assert f"DM-{market_id:06d}" == MARKET, "answers_for names the market by its reference"
        markets.establish_market(core, market_id, people.officer, date(2026, 2, 16))
        applied = ApplicationGiven("Acme Ltd", "", True, False, date(2026, 2, 20))
        member = markets.record_application(core, market_id, people.officer, applied)
        markets.admit(core, market_id, member, people.officer, date(2026, 2, 23), date(2026, 2, 23))
    ground = how if route == "direct_award" else None
    details = {"direct_award_ground": ground, "direct_award_justification": "Why"} if ground else None
    case_id = new_request(core.engine, people.requester, value=value, route=route, contract_type=contract_type,
                          authority=authority, details=details)  # fmt: skip
    everyone = [person for group in (people, *others) for person in vars(group).values() if person != group.system]
    return case_id, people, everyone


def taken_how(case, how: str | None) -> bool:
    """Whether the walk of ``case`` took its route ``how`` (``EVERY_ROUTE``'s fourth): restricted to the market,
    under the PCR 2015 as its framework is, by further competition, reserved, or on its direct award ground."""
    if how == "dynamic_market":
        return case.details.get("dynamic_market") == MARKET
    if how == "PCR2015":
        return case.regime == "PCR2015"
    if how == "further_competition":
        return case.details.get("direct_call_off") is False
    if how == "reserved":
        return case.details.get("reserved_to_suppliers_in") == "Oxfordshire"
    return case.details.get("direct_award_ground") == how


def contract_on(core, people, starts: date, value: str, contract_type: str, authority: str):
    """One of ``REGISTERED``'s contracts loaded into the register in mobilisation, ending 30 June 2027 with 12
    months of extension options; the register entry."""
    return register_contract(core, people, value=value, starts=starts, ends=date(2027, 6, 30),
                             contract_type=contract_type, authority=authority, state="mobilisation",
                             extension_months_available=12)  # fmt: skip


class EachPerson(dict):
    """Something of each of the people (an API client, a signed-in browser), made by ``make(person)`` the first
    time it is wanted: a sign-in checks a password hash and a client makes a token, and most people have nothing
    to do on most steps."""

    def __init__(self, people: list[int], make) -> None:
        super().__init__(dict.fromkeys(people))
        self.make = make

    def __getitem__(self, person: int):
        if super().__getitem__(person) is None:
            self[person] = self.make(person)
        return super().__getitem__(person)
