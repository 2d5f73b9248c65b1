"""Realistic demo data: named people for every role, cases driven through the real engine, a contract register.

Every demo case is moved by the engine door, exactly as a person would move it, so its approval route,
audit chain and notifications are real. Register contracts (the hub's existing contracts, some let under
the old Public Contracts Regulations) are loaded as contract-management cases at their live state.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from .core import Core
from .governance.calendar import add_months
from .governance.statutory import (
    ABOVE_THRESHOLD_COMPETITIVE,
    PA2023_COMMENCEMENT,
    PCR_DPS_LAST_DAY,
    KeyDecisionUrgency,
    ModificationBasis,
    Regime,
    Route,
    commenced_before,
    regime_for,
)
from .models import ApprovalStep, Case, Contract, StepStatus, User
from .models.contracts import CONTRACT_RISKS
from .services.case_notes import add_note
from .services.contract_managers import assign_contract_manager
from .services.evaluation import (
    RequestGiven,
    TenderGiven,
    record_request,
    record_tender,
    score_tender,
    set_award_criteria,
)
from .services.people import Grant, create_user, ensure_system_user, set_active
from .services.periods import extend_closing_date
from .services.register import ExistingContract, import_contract
from .services.teams import add_team_member
from .workflow.engine import SYSTEM_USERNAME, ActionRequest
from .workflow.evaluation import evaluation_of
from .workflow.reservations import Reservation, SupplierKind

DEMO_PASSWORD = "demo-password-2026"
PILLAR_PEOPLE = {
    # pillar: (officer, manager, head, contract manager), per authority prefix
    "heasc": ("Priya Shah", "Tom Hughes", "Aisha Khan", "Ben Clarke"),
    "eni": ("Liam Walsh", "Grace Evans", "Owen Price", "Chloe Barnes"),
    "cnc": ("Noah Patel", "Emily Ward", "Daniel Fox", "Sophie Reid"),
}
AUTHORITY_PEOPLE = {
    # role: name, for OCC and CDC
    "finance": ("Helen Marsh", "Raj Mehta"),
    "legal": ("James Okafor", "Fiona Grant"),
    "director": ("Margaret Lee", "Stephen Cole"),
    "s151_officer": ("Lorna Baxter", "Michael Furness"),
    "monitoring_officer": ("Anita Bradley", "Shiraz Sheikh"),
    "executive_member": ("Cllr Dan Levy", "Cllr Adam Nell"),
    "intelligence_analyst": ("Zoe Turner", "Ravi Kapoor"),
    "administrator": ("Alex Morgan", "Sam Jones"),
}
REQUESTERS = (("Kate Dunn", "OCC"), ("Mark Ellis", "OCC"), ("Ruth Ames", "CDC"), ("Joe Banks", "CDC"))
TITLES = {
    "adult_social_care": ["Home care framework", "Supported living services", "Day opportunities"],
    "childrens_social_care": ["Residential placements", "Foster care support", "Family support service"],
    "home_to_school_transport": ["SEND transport routes", "Passenger assistant services"],
    "public_health": ["Sexual health services", "Stop smoking service", "Healthy weight programme"],
    "education_services": ["School improvement support", "Alternative provision"],
    "highways_transport": ["Highways maintenance", "Street lighting renewal", "Winter gritting"],
    "waste": ["Household waste recycling centres", "Food waste collection vehicles"],
    "property_facilities": ["Cleaning of council buildings", "Building maintenance", "Security services"],
    "energy": ["Electricity supply", "Solar panels on depots"],
    "fleet": ["Electric pool cars", "Fleet maintenance"],
    "construction_works": ["New primary school", "Leisure centre refurbishment", "Bridge strengthening"],
    "ict": ["Case management system", "Laptop refresh", "Network services", "Cyber security monitoring"],
    "professional_legal": ["External legal advice", "Audit services", "Consultancy support"],
    "hr_recruitment": ["Agency staff", "Occupational health"],
    "finance_insurance": ["Insurance brokerage", "Banking services"],
    "marketing_print": ["Print and mail services", "Public consultations"],
    "corporate_supplies": ["Office supplies", "Uniforms and PPE", "Catering supplies"],
}
# Who holds the demo's contracts, by category: firms a council would buy that from (fictional names).
SUPPLIERS = {
    "adult_social_care": ["Thames Valley Care Ltd", "Cherwell Home Support CIC", "Oxfordshire Care Partnership Ltd"],
    "childrens_social_care": ["Bright Futures CIC", "Oakwood Children's Homes Ltd", "Cotswold Fostering Ltd"],
    "home_to_school_transport": ["Wessex Transport Ltd", "Banbury Minibus Co", "Vale Passenger Transport Ltd"],
    "public_health": ["Healthy Oxfordshire CIC", "Vale Community Health Ltd", "Thrive Wellbeing Ltd"],
    "education_services": ["Cherwell Learning Trust", "Oxford Education Partners Ltd", "Bright Futures CIC"],
    "highways_transport": ["Cherwell Civils Ltd", "Ridgeway Highways Ltd", "Oxford Road Surfacing Ltd"],
    "waste": ["Greenway Environmental Ltd", "Vale Recycling Ltd", "Thames Waste Services plc"],
    "property_facilities": ["Oxford Facilities Group", "Kidlington Cleaning Services", "Banbury Security Ltd"],
    "energy": ["Vale Energy Ltd", "Cotswold Solar Ltd", "Thames Power Supply plc"],
    "fleet": ["Greenway Fleet plc", "Oxford Vehicle Services Ltd", "Bicester Motors Ltd"],
    "construction_works": ["Cherwell Civils Ltd", "Ridgeway Construction Ltd", "Isis Building Contractors Ltd"],
    "ict": ["Acme Systems Ltd", "Northgate Digital Ltd", "Chiltern Computing Ltd"],
    "professional_legal": ["Cotswold Consulting LLP", "Oxford Audit Partners LLP", "Radcliffe Legal LLP"],
    "hr_recruitment": ["Oxford Occupational Health Ltd", "Cherwell Recruitment Ltd", "People First HR Ltd"],
    "finance_insurance": ["Thames Insurance Brokers Ltd", "Midshires Bank plc", "Vale Mutual Insurance"],
    "marketing_print": ["Banbury Print Co", "Oxford Mailing Services Ltd", "Ridgeway Communications Ltd"],
    "corporate_supplies": ["Office Direct Supplies Ltd", "Banbury Workwear Ltd", "Cotswold Catering Supplies Ltd"],
}


def _registration_of(name: str, rng: random.Random) -> str:
    """A supplier's Companies House number: one per company, whichever award or contract names it. (The draw
    that used to make one up is still made, so that what the demo draws after it does not change.)"""
    rng.randint(1_000_000, 15_999_999)
    return _company_number(name)


def _company_number(name: str) -> str:
    return f"{zlib.crc32(name.encode()) % 15_000_000 + 1_000_000:08d}"


def _ppon_of(name: str) -> str:
    """A supplier's PPON, as the Central Digital Platform gives one when it registers: one per company (made
    from its name, so that the demo's other draws do not change)."""
    code = zlib.crc32(name.encode())
    letters = "".join(chr(ord("A") + (code >> shift) % 26) for shift in range(0, 32, 4))
    return f"P{letters[:3]}-{code % 10_000:04d}-{letters[3:7]}"


# A register supplier that has since changed its name, and applies to the dynamic market under the new one: a
# company keeps its number, which the intelligence team sees both names share.
RENAMED = ("Vale Passenger Transport Ltd", "Witney Passenger Services Ltd")


def _transparency_notice(today: date, supplier: str) -> dict[str, object]:
    """A direct award's transparency notice, naming the supplier it is to go to (drawn from a copy of the demo's
    generator, so that its later draws do not change) by its name, number and PPON."""
    return {
        "transparency_notice_published_on": today,
        "notified_supplier": supplier,
        "notified_supplier_registration": _company_number(supplier),
        "notified_supplier_ppon": _ppon_of(supplier),
    }


def _copy_of(rng: random.Random) -> random.Random:
    """A generator that draws what ``rng`` would next, leaving ``rng`` as it is."""
    copy = random.Random()
    copy.setstate(rng.getstate())
    return copy


def _supplier(rng: random.Random, category: str) -> tuple[str, bool, bool]:
    """One of the category's suppliers at random, and whether it is an SME and a VCSE: a plc never the first, a
    community interest company or a trust always the second. (Its name is drawn from twelve whatever the
    category's number, so that what the demo draws after it does not depend on these lists.)"""
    suppliers = SUPPLIERS[category]
    name = suppliers[rng.randrange(12) % len(suppliers)]
    sme = rng.random() < 0.4 and not name.endswith("plc")
    vcse = rng.random() < 0.1 or name.endswith(("CIC", "Trust"))
    return name, sme, vcse


def seed(core: Core, *, cases: int = 50, contracts: int = 200, rng_seed: int = 2026) -> str:
    with core.db.reading() as session:  # anyone but the user the scheduler acts as, which upgrade-db creates
        if session.scalar(select(func.count()).select_from(User).where(User.username != SYSTEM_USERNAME)):
            return "Demo data is already loaded (people exist); nothing changed."
    rng = random.Random(rng_seed)
    people = _people(core)
    _frameworks(core, people)
    opened = [_drive_case(core, people, rng, index) for index in range(cases)]
    opened += _showcases(core, people, rng)
    opened.append(_board_half_way(core, people))
    opened.append(_back_and_forth(core, people))
    opened.append(_taken_under_special_urgency(core, people))
    _dynamic_market(core, people)
    _register(core, people, rng, contracts)
    _kpis(core)
    _variation_waiting_for_its_notice(core, people)
    _variation_for_the_executive(core, people)
    _extension_before_its_approvers(core)
    leaver = _moved_on(core, people)
    payments = _spend(core, people, rng)
    opened.append(_signed_and_handed_over(core, people))
    opened.append(_reserved_to_local_suppliers(core, people))
    opened.append(_reserved_to_supported_employment(core, people))
    # The scheduler's sweeps, once, as if it had been running: renewal tasks, reviews, deadlines and the
    # councils' own duties are there for the demo people from the start (and its next run raises nothing new).
    from .scheduling.runner import run_once

    swept = sum(result.changed for result in run_once(core))
    # Then he leaves, his contracts and their tasks still his: the overview and his person page show them
    # waiting to be handed over.
    set_active(core, leaver, False, actor_id=_someone(people, "administrator", "OCC", None))
    return (
        f"Loaded {len(people['all'])} people, {len(opened)} cases, {contracts} register contracts and {payments} "
        "payments "
        f"({swept} tasks and reminders from the scheduler's first run). "
        f"Every demo person signs in with the password {DEMO_PASSWORD!r}."
    )


def _moved_on(core: Core, people: dict) -> int:
    """Paul Grey, a contract manager who took over three of the waste and highways contracts and has since left
    (his account is closed after the scheduler's first run has raised their tasks for him)."""
    org = core.governance.organisation
    grants = [Grant("contract_manager", a, "eni") for a in org.authorities]
    leaver = create_user(
        core, username="paul.grey.hub", full_name="Paul Grey", email="paul.grey.hub@example.gov.uk",
        password=DEMO_PASSWORD, grants=grants, job_title="Contract Manager, Environment and Infrastructure",
    )  # fmt: skip
    people["all"].append(leaver)
    today = core.engine.today()
    with core.db.reading() as session:
        theirs = session.scalars(
            select(Contract.id)
            .join(Case, Case.id == Contract.case_id)
            .where(
                Case.state == "live",
                Contract.pillar == "eni",
                Contract.authority == "OCC",
                Contract.end_date.between(today + timedelta(days=60), add_months(today, 12)),
            )
            .order_by(Contract.end_date)
            .limit(3)
        ).all()
    head = _someone(people, "head_of_category", "OCC", "eni")
    for contract_id in theirs:
        assign_contract_manager(core, contract_id, head, manager_id=leaver, reason="Paul takes these on")
    return leaver


def _username(name: str, authority: str) -> str:
    return name.lower().replace("cllr ", "").replace(" ", ".") + f".{authority.lower()}"


def _people(core: Core) -> dict:
    people: dict = {"all": [], "by_role": {}}

    def add(name: str, authority: str, grants: list[Grant], title: str) -> int:
        username = _username(name, authority)
        user_id = create_user(
            core,
            username=username,
            full_name=name,
            email=f"{username}@example.gov.uk",
            password=DEMO_PASSWORD,
            grants=grants,
            job_title=title,
        )
        people["all"].append(user_id)
        for grant in grants:
            people["by_role"].setdefault((grant.role, grant.authority, grant.pillar), []).append(user_id)
        return user_id

    ensure_system_user(core)  # the scheduler's, where upgrade-db has not made it
    org = core.governance.organisation
    # The hub's posts are shared between the two councils: pillar staff hold their role in both.
    for pillar, names in PILLAR_PEOPLE.items():
        for role, name in zip(
            ("category_officer", "category_manager", "head_of_category", "contract_manager"), names, strict=True
        ):
            grants = [Grant(role, a, pillar) for a in org.authorities] + [
                Grant("requester", a) for a in org.authorities
            ]
            add(name, "hub", grants, f"{org.roles[role].name}, {org.pillars[pillar].name}")
    # A relief contract manager covering every pillar: someone to hand a contract to when its manager moves on.
    relief = [Grant("contract_manager", a, p) for a in org.authorities for p in org.pillars]
    add("Leah Morris", "hub", relief, "Contract Manager, all pillars")
    for index, authority in enumerate(org.authorities):
        for role, names in AUTHORITY_PEOPLE.items():
            add(names[index], authority, [Grant(role, authority)], org.roles[role].name)
    # A second OCC director, for OCC's two-director Commissioning Board.
    add("Claire Holt", "OCC", [Grant("director", "OCC")], "Director")
    for name, authority in REQUESTERS:
        requester = add(name, authority, [Grant("requester", authority)], "Service manager")
        people.setdefault("requesters", []).append(requester)
        people.setdefault("authority_of", {})[requester] = authority
    return people


# --- driving cases -------------------------------------------------------------------------------
# The days a demo market is open from its notice: tenders (or, for the competitive flexible procedure,
# requests to participate) close after these. Within the Act's minimums (PA23 s54, Schedule 6).
# The requests to participate the demo's competitive flexible procedure has had so far: (supplier, an SME?).
DEMO_REQUESTS = (
    ("Cherwell Fleet Solutions Ltd", True),
    ("Thames Valley Electric Vehicles Ltd", True),
    ("Greenline Municipal Ltd", False),
)
TENDER_PERIODS = {"open_procedure": 40, "competitive_flexible": 25, "below_threshold_tender": 30}
LONGEST_TENDER_PERIOD = max(TENDER_PERIODS.values())

# Where each demo case stops: a trigger sequence for the procurement workflow ("*" approves a gate).
PROCUREMENT_STOPS = [
    [],
    ["submit"],
    ["submit", "*"],
    ["submit", "*", "complete_conflicts_assessment", "start_market"],
    ["submit", "*", "complete_conflicts_assessment", "start_market", "close_market"],
    ["submit", "*", "complete_conflicts_assessment", "start_market", "close_market", "recommend_award"],
    ["submit", "*", "complete_conflicts_assessment", "start_market", "close_market", "recommend_award", "*"],
    [
        "submit",
        "*",
        "complete_conflicts_assessment",
        "start_market",
        "close_market",
        "recommend_award",
        "*",
        "publish_award_notice",
    ],
    ["submit", "return"],
    ["submit", "reject"],
]


# The demo's purchases that are goods (the rest are services, or works in construction): a laptop, not legal
# advice, is bought as goods.
GOODS = {
    "Laptop refresh",
    "Electricity supply",
    "Solar panels on depots",
    "Electric pool cars",
    "Food waste collection vehicles",
    "Office supplies",
    "Uniforms and PPE",
    "Catering supplies",
}


def _contract_type(rng: random.Random, category: str, title: str, pillar: str) -> str:
    """What a demo purchase is, by what it buys; care, education and health (the Health, Education and
    Social Care pillar) are light-touch services six times in ten."""
    if category == "construction_works":
        return "works"
    if pillar == "heasc":
        return "light_touch" if rng.random() < 0.6 else "services"
    return "goods" if title in GOODS else "services"


def _drive_case(core: Core, people: dict, rng: random.Random, index: int) -> int:
    org = core.governance.organisation
    requester = rng.choice(people["requesters"])
    # A requester asks for their own council; now and then for a joint OCC-CDC arrangement.
    authority = rng.choice([people["authority_of"][requester]] * 4 + ["JOINT"])
    category = rng.choice(list(org.categories))
    pillar = org.categories[category].pillar
    value = Decimal(
        rng.choice(["3500", "18000", "45000", "99999.99", "100000", "160000", "240000", "480000", "750000", "1400000"])
    )
    title = rng.choice(TITLES[category])
    contract_type = _contract_type(rng, category, title, pillar)
    stage = "commissioning" if index % 5 == 0 else "procurement"
    if stage == "commissioning":
        script = [
            ["start_options_appraisal"],
            ["start_options_appraisal", "prepare_business_case"],
            ["start_options_appraisal", "prepare_business_case", "submit"],
        ][index % 3]
    else:
        script = PROCUREMENT_STOPS[index % len(PROCUREMENT_STOPS)]
    opened, *stepped = _lived_through(core, index, script)
    with _clock_at(core, opened):
        case_id = core.engine.open_case(
            stage=stage,
            actor_id=requester,
            title=title,
            details=_request_facts(core, category),
            description=f"Demo request {index + 1}: the service's need, options considered and expected outcomes.",
            authority=authority,
            category=category,
            contract_type=contract_type,
            estimated_value=str(value),
            vat_treatment="exempt" if contract_type == "light_touch" else "standard",
            proposed_start=core.engine.today() + timedelta(days=120 + 7 * index),
            duration_months=rng.choice([12, 24, 36, 48]),
        )
    for step, moment in zip(script, stepped, strict=True):
        with _clock_at(core, moment):
            if not _demo_step(core, people, case_id, requester, step, rng):
                break
    return case_id


# How a demo request is funded and why it is needed now, by its category's pillar: what a requester writes.
PILLAR_FACTS = {
    "heasc": ("People directorate revenue budget 2026/27 (cost centre P4100), confirmed by its finance business "
              "partner", "The current arrangements end within the year and the council's duty to provide the "
              "service continues; a new contract must be in place before they do"),
    "eni": ("Environment and place capital programme, approved by Cabinet in February (cost centre E2300)",
            "The current contract ends within the year; the council's climate action plan asks for lower "
            "emissions from the work it buys from now on"),
    "cnc": ("Corporate services revenue budget 2026/27 (cost centre C1200), confirmed with finance",
            "What the council has now ends or no longer does the job; without a contract the service "
            "stops or is bought off contract"),
}  # fmt: skip


def _request_facts(core: Core, category: str) -> dict[str, str]:
    """A demo request's funding and justification, which its requester gives on *Funding and justification*."""
    funding, justification = PILLAR_FACTS[core.governance.organisation.categories[category].pillar]
    return {"funding": funding, "justification": justification}


def _lived_through(core: Core, seed: object, script: list[str]) -> list[datetime]:
    """When a demo case was opened and took each step of its ``script``: on working days a few days apart, in
    office hours, the last up to a fortnight ago; a market closed (``close_market``) once its tender period,
    which starts the day it was opened (``start_market``), is over. So the queue says how long each approval
    has waited, the scheduler's first run has approvals to chase, and a case's history reads as one lived
    through, its notices after its request. Drawn apart from the demo's other random numbers (``seed`` names
    the case), so what it draws for the cases themselves stays as it was."""
    draw = random.Random(f"demo case {seed}")
    days = [core.engine.today() - timedelta(days=draw.randint(0, 14))]
    for step, before in reversed(list(zip(script, [None, *script], strict=False))):  # each with the one before
        gap = draw.randint(1, 6)
        if step == "close_market" and before == "start_market":
            gap += LONGEST_TENDER_PERIOD + 2  # + 2: a weekend day is taken back to the Friday before
        days.append(days[-1] - timedelta(days=gap))
    moments: list[datetime] = []
    for day in reversed(days):
        moment = _working_day_at(core, day, time(draw.randint(9, 16), draw.randint(0, 59)))
        # Two days taken back to one Friday: the later step still after the earlier one.
        moments.append(max(moment, moments[-1] + timedelta(minutes=20)) if moments else moment)
    return moments


def _working_day_at(core: Core, day: date, office_hours: time) -> datetime:
    """``office_hours`` on ``day``, or on the Friday before a weekend day; never later than now."""
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return min(datetime.combine(day, office_hours, core.engine.zone).astimezone(UTC), core.engine.clock())


@contextmanager
def _clock_at(core: Core, moment: datetime) -> Iterator[None]:
    """The engine's clock stopped at ``moment`` for what is done inside: a demo case's earlier days. Everything
    the engine and the services write (events, decisions, dates a guard compares) reads this clock."""
    running = core.engine.clock
    core.engine.clock = lambda: moment
    try:
        yield
    finally:
        core.engine.clock = running


def _find_a_tender_id(number: int, day: date) -> str:
    """A notice's identifier as Find a Tender gives it (a number within the year, and the year), made up from
    ``number`` (a case's id) rather than drawn at random, so that the rest of the demo stays as it was."""
    return f"{(number * 7919) % 90000 + 10000:06d}-{day.year}"


def _demo_step(core: Core, people: dict, case_id: int, requester: int, step: str, rng: random.Random) -> bool:
    engine = core.engine
    today = engine.today()
    with core.db.reading() as session:
        case = session.get(Case, case_id)
        route = case.route
        authority, pillar, case_category = case.authority, case.pillar, case.category
        opened_on = case.created_at.astimezone(engine.zone).date()
        submitted_on = case.submitted_at.astimezone(engine.zone).date() if case.submitted_at else opened_on
        light_touch = case.contract_type == "light_touch"
        above_threshold = bool((case.route_plan or {}).get("above_threshold"))
    officer = _someone(people, "category_officer", authority, pillar)
    inputs: dict = {}
    trigger = step
    if step == "*":
        if _approve_gate(core, people, case_id):
            return True
        with core.db.reading() as session:
            waits_for_the_executive = session.get(Case, case_id).state == "executive_decision"
        if waits_for_the_executive:
            # On the forward plan since a few days ago or a month (the Executive may take those now), or not
            # yet: the overview's key decisions show each kind. Never before the request was submitted, when
            # the key decision first came to be known.
            ago = case_id % 3
            if ago:
                published_on = max(today - timedelta(days=(10, 35)[ago - 1]), submitted_on)
                published = {"forward_plan_published_on": published_on}
                engine.act(ActionRequest(case_id, "record_forward_plan", officer, inputs=published))
        return False
    if step == "award_criteria":  # set before the tender notice, which gives them (PA23 s23)
        set_award_criteria(core, case_id, officer, DEMO_CRITERIA)
        return True
    if step == "tenders":
        _tenders_scored(core, case_id, officer, today)
        return True
    if step == "extend_closing":  # few requests so far: a week longer, by a revised tender notice (PA23 s31)
        with core.db.reading() as session:
            closes = date.fromisoformat(session.get(Case, case_id).details["participation_closes_on"])
        why = "Few requests so far: a week longer, asked for by smaller operators building electric fleets"
        extend_closing_date(core, case_id, officer, "participation", closes + timedelta(days=7), today, why)
        return True
    if step == "requests_to_participate":  # as they arrived, each to be assessed once requests close
        for name, sme in DEMO_REQUESTS:
            given = RequestGiven(name, "", sme, False, today, supplier_ppon=_ppon_of(name))
            record_request(core, case_id, officer, given)
        return True
    if step in ("return", "reject"):
        approver = _open_step_holder(core, people, case_id)
        if approver is None:
            return False
        engine.declare_interests(case_id, approver, has_conflict=False)
        reason = (
            "Please add the market engagement findings and a risk register"
            if step == "return"
            else "The need is met by the existing corporate contract; use that instead"
        )
        engine.act(ActionRequest(case_id, step, approver, reason=reason))
        return True
    actor = requester if step in ("submit", "start_options_appraisal", "prepare_business_case") else officer
    if step == "prepare_business_case":
        inputs = {
            "options_considered": "1: carry on as now, with spot purchases; 2: an outcomes-based contract with a "
            "single provider; 3: bring the service in-house (the council has no staff to run it)",
            "preferred_option": "Option 2: an outcomes-based contract with a single provider",
            "outcomes": "Fewer people needing long-term care a year after the service: measured quarterly",
        }
    if step == "submit" and route == "direct_award":
        ground, why = DIRECT_AWARD_GROUNDS[light_touch]
        engine.set_detail(case_id, requester, "direct_award_ground", ground)
        engine.set_detail(case_id, requester, "direct_award_justification", why)
    if step == "complete_conflicts_assessment":  # the team is named and has declared (PA23 s81-83)
        evaluator = _someone(people, "category_manager", authority, pillar)
        team = [(officer, "procurement")] + ([(evaluator, "evaluation")] if evaluator != officer else [])
        for member, part in team:
            add_team_member(core, case_id, officer, user_id=member, part=part)
            engine.declare_interests(case_id, member, has_conflict=False)
    if step == "start_market":  # the notice published the day it is recorded; its period from then
        trigger, inputs = {
            # PA23 s17: the market was engaged before the open procedure, in public (since the request was
            # made); not before the other.
            "open_procedure": (
                "publish_tender_notice",
                {
                    "tender_notice_published_on": today,
                    "tender_notice_id": _find_a_tender_id(case_id, today),
                    "tenders_close_on": today + timedelta(days=TENDER_PERIODS["open_procedure"]),
                    "market_engaged": True,
                    "market_engagement_notice_on": max(opened_on, today - timedelta(days=10)),
                },
            ),
            # Requests to participate still coming in: the invitations to tender wait until they close.
            "competitive_flexible": (
                "publish_tender_notice",
                {
                    "tender_notice_published_on": today,
                    "tender_notice_id": _find_a_tender_id(case_id, today),
                    "participation_closes_on": today + timedelta(days=TENDER_PERIODS["competitive_flexible"]),
                    "market_engaged": False,
                },
            ),
            "below_threshold_tender": (
                "publish_tender_notice",
                {
                    "tender_notice_published_on": today,
                    "tenders_close_on": today + timedelta(days=TENDER_PERIODS["below_threshold_tender"]),
                },
            ),
            "framework_call_off": (
                "start_call_off",
                {"framework": _framework_for(core, case_id), "direct_call_off": True},
            ),
            "direct_award": (
                ("record_user_choice", {"user_choice_recorded_on": today})
                if light_touch
                else (
                    "publish_transparency_notice",
                    _transparency_notice(today, _supplier(_copy_of(rng), case_category)[0]),
                )
            ),
        }.get(route, ("invite_quotations", {}))
    if step == "close_market":
        trigger = {
            "low_value_purchase": "close_quotations",
            "quotations": "close_quotations",
            "framework_call_off": "complete_call_off_selection",
            "direct_award": None,
        }.get(route, "close_tenders")
        if trigger is None:
            return True
    if step == "recommend_award":
        engine.declare_interests(case_id, officer, has_conflict=False)
        if above_threshold:  # no award to an excluded or debarred supplier (PA23 s26-28, s57)
            checked = {"exclusions_checked_on": today - timedelta(days=1)}
            engine.act(ActionRequest(case_id, "record_exclusion_check", officer, inputs=checked))
            if route != "direct_award":  # and, after a competition, conflicts with its suppliers looked for (s83)
                reviewed = {"conflicts_review_findings": "None: nobody on the team has an interest in a tenderer"}
                engine.act(ActionRequest(case_id, "review_conflicts_assessment", officer, inputs=reviewed))
        name, sme, vcse = _supplier(rng, case_category)
        with core.db.reading() as session:  # a direct award goes to the supplier its transparency notice named
            name = (session.get(Case, case_id).details or {}).get("notified_supplier") or name
        inputs = {
            "supplier_name": name,
            "supplier_is_sme": sme,
            "supplier_is_vcse": vcse,
            "supplier_registration": _registration_of(name, rng),
            "award_value": None,
        }
        with core.db.reading() as session:
            case = session.get(Case, case_id)
            inputs["award_value"] = f"{case.estimated_value * Decimal('0.95'):.2f}"
            if case.regime == Regime.PA2023:  # registered on the Central Digital Platform, as the Act has it
                inputs["supplier_ppon"] = _ppon_of(name)
                # of the kind its competition was reserved to, where it was (s32, s33); else neither
                reservation = Reservation.of(case.details or {})
                for kind in SupplierKind:
                    inputs[kind.answer] = reservation is not None and reservation.kind is kind
    if step == "publish_award_notice":
        with core.db.reading() as session:
            if session.get(Case, case_id).state != "award_notice":
                return False
        inputs = {"award_notice_published_on": today, "award_notice_id": _find_a_tender_id(case_id + 500, today)}
        if route in ABOVE_THRESHOLD_COMPETITIVE:  # each assessed supplier's summary first (s50(3))
            summaries = {"assessment_summaries_sent_on": today}
            engine.act(ActionRequest(case_id, "record_assessment_summaries", actor, inputs=summaries))
    engine.act(ActionRequest(case_id, trigger, actor, inputs=inputs))
    return True


DEMO_CRITERIA = [
    ("Route planning and the service to schools", "quality", "40"),
    ("Implementation and support", "quality", "15"),
    ("Social value", "social_value", "10"),
    ("Price", "price", "35"),
]
# The tenders a demo evaluation received: supplier, registration, SME, price, the panel's scores (in the order
# of the quality and social value criteria above), or why it was not assessed.
DEMO_TENDERS = [
    ("Routewise Ltd", "08123456", True, "212000", ((4, "A clear plan, tested with two schools"),
        (4, "Eight weeks to go live, with a named trainer"), (3, "Two apprenticeships"))),
    ("Transit Systems Group PLC", "02345678", False, "187500", ((3, "Meets the requirement; little on SEND routes"),
        (5, "A proven migration from the current system"), (2, "No local commitments beyond the requirement"))),
    ("Journey Planner Co-operative", "IP031245", True, "199000", "Received after the tender period closed"),
]  # fmt: skip


def _tenders_scored(core: Core, case_id: int, officer: int, today: date) -> None:
    """The demo evaluation: its tenders recorded and the assessed ones scored by the panel, ready for the
    exclusion check, the conflicts review and the award recommendation, filled in from it."""
    with core.db.reading() as session:
        scored = [c.id for c in evaluation_of(session, case_id).criteria if c.kind != "price"]
    for supplier, registration, sme, price, marks in DEMO_TENDERS:
        why_not = marks if isinstance(marks, str) else ""
        tender = TenderGiven(supplier, registration, sme, False, price, today - timedelta(days=30), why_not,
                             supplier_ppon=_ppon_of(supplier))  # fmt: skip
        tender_id = record_tender(core, case_id, officer, tender)
        if not why_not:
            given = {c: (str(score), reasons) for c, (score, reasons) in zip(scored, marks, strict=True)}
            score_tender(core, case_id, officer, tender_id, given)


# A demo direct award's ground and why, by whether it is for light-touch services (True) or not.
DIRECT_AWARD_GROUNDS = {
    False: ("single_supplier", "The system's maker holds its source code and licence"),
    True: ("user_choice", "Mrs B and her family chose the home near her daughter, which can meet her assessed needs"),
}


def _showcases(core: Core, people: dict, rng: random.Random) -> list[int]:
    """Procurements the random ones may not show: on routes the rules never choose on their own, two direct
    awards (a system only its maker may change, its transparency notice out, PA23 s44; a care home place the
    resident chose, a user-choice contract, Schedule 5 paragraph 15, awaiting its award approval with no notice
    owed before it) and a competitive flexible procedure in its participation period; a call-off under a
    framework procured under the PCR 2015, which keeps it under the PCR 2015; an open procedure
    ready for its tender notice, which asks about preliminary market engagement (s17); and one in evaluation,
    its tenders scored against the award criteria it set first (s19, s23), for its award to be recommended."""
    today = core.engine.today()
    requester = _requester_of(people, "OCC")
    to_market = ["submit", "*", "complete_conflicts_assessment", "start_market"]
    opened = []
    for title, category, contract_type, value, route, script in (
        ("Social care case management system support", "ict", "services", "180000", "direct_award", to_market),
        ("Residential care placement: the resident's chosen home", "adult_social_care", "light_touch", "720000",
         "direct_award", [*to_market, "recommend_award"]),
        ("Electric refuse collection vehicles", "fleet", "goods", "420000", "competitive_flexible",
         [*to_market, "requests_to_participate", "extend_closing"]),
        ("Library self-service kiosks", "ict", "goods", "300000", "open_procedure", to_market[:-1]),
        ("Laptops for social workers", "ict", "goods", "240000", "framework_call_off", to_market),
        ("School transport route planning software", "ict", "services", "260000", "open_procedure",
         [*to_market[:-1], "award_criteria", "start_market", "close_market", "tenders"]),
    ):  # fmt: skip
        opened_at, *stepped = _lived_through(core, title, script)
        with _clock_at(core, opened_at):
            case_id = core.engine.open_case(
                stage="procurement",
                actor_id=requester,
                title=title,
                details=_request_facts(core, category),
                description=f"The demo's {Route.label_of(route).lower()}: what it asks and what it owes.",
                authority="OCC",
                category=category,
                contract_type=contract_type,
                estimated_value=value,
                vat_treatment="exempt" if contract_type == "light_touch" else "standard",
                proposed_start=today + timedelta(days=60),
                duration_months=36,
                route=route,
            )
        for step, moment in zip(script, stepped, strict=True):
            with _clock_at(core, moment):
                _demo_step(core, people, case_id, requester, step, rng)
        opened.append(case_id)
    return opened


# The reablement service's business case, as its Commissioning Board reads it.
REABLEMENT_BUSINESS_CASE = {
    "options_considered": "Doing nothing (the current arrangements end); the council's own reablement team "
    "(a team of 60 to recruit); a single provider across the county, paid by outcome; a provider in each "
    "locality (four smaller contracts)",
    "preferred_option": "A single provider across the county, paid by outcome",
    "outcomes": "Six in ten people who finish reablement need no ongoing care 91 days later; the provider "
    "reports it monthly",
    "risks": "Too few reablement workers in the north of the county: the service starts there first",
}


def _board_half_way(core: Core, people: dict) -> int:
    """An OCC commissioning case over 1,000,000 at its gate, past its Head of Category and half-way through the
    Commissioning Board (any two of OCC's directors): Margaret Lee has approved; Claire Holt is asked."""
    requester = _requester_of(people, "OCC")
    case_id = core.engine.open_case(
        stage="commissioning",
        actor_id=requester,
        title="Reablement service",
        details=_request_facts(core, "adult_social_care"),
        description="Short-term support at home after a hospital stay, to regain independence.",
        authority="OCC",
        category="adult_social_care",
        contract_type="light_touch",
        estimated_value="2400000",
        vat_treatment="exempt",
        proposed_start=core.engine.today() + timedelta(days=240),
        duration_months=48,
    )
    for trigger, inputs in (
        ("start_options_appraisal", {}),
        ("prepare_business_case", REABLEMENT_BUSINESS_CASE),
        ("submit", {}),
    ):
        core.engine.act(ActionRequest(case_id, trigger, requester, inputs=inputs))
    head = _someone(people, "head_of_category", "OCC", "heasc")
    first_director = people["by_role"][("director", "OCC", None)][0]
    for approver in (head, first_director):
        core.engine.declare_interests(case_id, approver, has_conflict=False)
        core.engine.act(ActionRequest(case_id, "approve", approver))
    # A note for the record, which the second director reads on the decision page.
    officer = _someone(people, "category_officer", "OCC", "heasc")
    add_note(
        core,
        case_id,
        officer,
        "The three providers at the market event said they could start in the north of the county first; the "
        "business case phases the service that way.",
    )
    return case_id


def _back_and_forth(core: Core, people: dict) -> int:
    """An OCC request its approver returned for rework, resubmitted, and now asked a question about, which waits
    for its requester: round 2 of its route approval, what was said in round 1 beside it."""
    requester = _requester_of(people, "OCC")
    today = core.engine.today()
    with _clock_at(core, _working_day_at(core, today - timedelta(days=9), time(10, 5))):
        case_id = core.engine.open_case(
            stage="procurement",
            actor_id=requester,
            title="Meeting room furniture",
            details=_request_facts(core, "corporate_supplies"),
            description="Tables and chairs for the six meeting rooms of County Hall's second floor.",
            authority="OCC",
            category="corporate_supplies",
            contract_type="goods",
            estimated_value="45000",
            proposed_start=core.engine.today() + timedelta(days=90),
            duration_months=12,
        )
        core.engine.act(ActionRequest(case_id, "submit", requester))
    approver = _open_step_holder(core, people, case_id)
    assert approver is not None
    for days_ago, trigger, actor, reason in (
        (7, "return", approver, "Add the three quotes you had from the market, and which you recommend"),
        (5, "resubmit", requester, ""),
        (2, "request_info", approver, "Which of the three quotes costs least over the furniture's life?"),
    ):
        with _clock_at(core, _working_day_at(core, today - timedelta(days=days_ago), time(14, 20))):
            if trigger == "return":
                core.engine.declare_interests(case_id, approver, has_conflict=False)
            core.engine.act(ActionRequest(case_id, trigger, actor, reason=reason))
    return case_id


def _taken_under_special_urgency(core: Core, people: dict) -> int:
    """An OCC procurement whose key decision could not wait 28 clear days: the scrutiny chair agreed it was
    urgent four days ago (2012 Access to Information Regulations reg 11), its officers approved its route and
    the Executive decided it three days ago. Its decision record is in OCC's report of the key decisions taken
    under special urgency (reg 19)."""
    requester = _requester_of(people, "OCC")
    today = core.engine.today()
    with _clock_at(core, _working_day_at(core, today - timedelta(days=6), time(9, 40))):
        case_id = core.engine.open_case(
            stage="procurement",
            actor_id=requester,
            title="SEND transport for the new special school",
            details=_request_facts(core, "home_to_school_transport"),
            description="Taxis and minibuses, with passenger assistants, for the 140 pupils of the new school.",
            authority="OCC",
            category="home_to_school_transport",
            contract_type="services",
            estimated_value="1300000",
            proposed_start=today + timedelta(days=45),
            duration_months=24,
        )
        core.engine.act(ActionRequest(case_id, "submit", requester))
    urgency = {
        "forward_plan_published_on": (today - timedelta(days=4)).isoformat(),
        "key_decision_urgency": KeyDecisionUrgency.SPECIAL_URGENCY.value,
        "urgency_agreed_by": "Cllr Helen Ashby, chair of the People Overview and Scrutiny Committee",
        "urgency_reasons": "The school opens in January and its pupils' transport must be in place by then; the "
        "operator first engaged withdrew, and waiting 28 clear days would leave too little time to procure",
    }
    officer = _someone(people, "category_officer", "OCC", "heasc")
    with _clock_at(core, _working_day_at(core, today - timedelta(days=4), time(11, 15))):
        core.engine.act(ActionRequest(case_id, "record_forward_plan", officer, inputs=urgency))
        _approve_gate(core, people, case_id)  # its route, by its officers
    with _clock_at(core, _working_day_at(core, today - timedelta(days=3), time(16, 30))):
        _approve_gate(core, people, case_id)  # the Executive's decision
    return case_id


def _signed_and_handed_over(core: Core, people: dict) -> int:
    """An OCC procurement from request to contract: a below-threshold tender over the last three months,
    awarded under its estimate, signed four weeks ago, its contract details notice published (a below-threshold
    contract of 30,000 or more, PA23 s87) and handed to contract management, the register's contract linked to
    it. The overview's awards against estimates has one to show. Its supplier drawn apart from the demo's other
    random numbers (after the register and the spend: their draws stay as they were)."""
    requester = _requester_of(people, "OCC")
    today = core.engine.today()
    with _clock_at(core, _working_day_at(core, today - timedelta(days=90), time(9, 40))):
        case_id = core.engine.open_case(
            stage="procurement",
            actor_id=requester,
            title="Cyber security awareness training",
            details=_request_facts(core, "ict"),
            description="Online training and phishing exercises for the council's 5,000 staff, for two years.",
            authority="OCC",
            category="ict",
            contract_type="services",
            estimated_value="64000",
            proposed_start=today,
            duration_months=24,
        )
    rng = random.Random("the demo's signed procurement")
    for step, days_ago in (("submit", 88), ("*", 84), ("complete_conflicts_assessment", 80), ("start_market", 76),
                           ("close_market", 41), ("recommend_award", 38), ("*", 35)):  # fmt: skip
        with _clock_at(core, _working_day_at(core, today - timedelta(days=days_ago), time(11, 15))):
            _demo_step(core, people, case_id, requester, step, rng)
    officer = _someone(people, "category_officer", "OCC", "cnc")
    signed = _working_day_at(core, today - timedelta(days=28), time(15, 30))
    starts = signed.date() + timedelta(days=14)
    ends = add_months(starts, 24) - timedelta(days=1)
    manager = _someone(people, "contract_manager", "OCC", "cnc")  # who manages it from handover
    signature = {"signed_on": signed.date(), "start_date": starts, "end_date": ends, "contract_manager": str(manager)}
    with _clock_at(core, signed):
        core.engine.act(ActionRequest(case_id, "sign_contract", officer, inputs=signature))
    published = _working_day_at(core, today - timedelta(days=21), time(10, 0))
    with _clock_at(core, published):
        notice = {"contract_details_published_on": published.date()}
        core.engine.act(ActionRequest(case_id, "publish_contract_details", officer, inputs=notice))
    return case_id


# The tenders the demo's reserved competition received: supplier, SME, VCSE, based in Oxfordshire, price.
RESERVED_TENDERS = [
    ("Cherwell Grounds Ltd", True, False, True, "78500"),
    ("Wychwood Conservation Trust", False, True, True, "81200"),
    ("Green Estates UK plc", False, False, True, "69900"),  # based in the county, but neither an SME nor a VCSE
    ("Cotswold Landscapes Ltd", True, False, False, "74000"),  # an SME, but in Gloucestershire
]


def _ready_for_its_notice(
    core: Core, people: dict, days_ago: int, route: str | None = None, **request: str | int
) -> tuple[int, int]:
    """An OCC procurement (``request``: the case's title, description, category, contract type, value and
    duration) opened ``days_ago`` and taken on working days to its conflicts assessment, ready for its tender
    notice; with the officer of its pillar who publishes it. Draws nothing at random."""
    requester = _requester_of(people, "OCC")
    today = core.engine.today()
    category = str(request["category"])
    with _clock_at(core, _working_day_at(core, today - timedelta(days=days_ago), time(10, 20))):
        case_id = core.engine.open_case(
            stage="procurement",
            actor_id=requester,
            details=_request_facts(core, category),
            authority="OCC",
            proposed_start=today + timedelta(days=45),
            route=route,
            **request,
        )
    rng = random.Random("the demo's reserved competitions")  # drawn from only by steps that draw nothing here
    for step, later in (("submit", 2), ("*", 5), ("complete_conflicts_assessment", 8)):
        with _clock_at(core, _working_day_at(core, today - timedelta(days=days_ago - later), time(11, 0))):
            _demo_step(core, people, case_id, requester, step, rng)
    pillar = core.governance.organisation.categories[category].pillar
    return case_id, _someone(people, "category_officer", "OCC", pillar)


def _reserved_to_local_suppliers(core: Core, people: dict) -> int:
    """An OCC below-threshold tender reserved to SMEs and VCSEs based in Oxfordshire (the 2026 Order, reservations.
    POLICY), its tenders in since the team closed the period a week ago: four, two of them from suppliers the
    reservation leaves out (not assessed), its award to recommend. Draws nothing at random: the rest of the
    demo is unchanged."""
    today = core.engine.today()
    case_id, officer = _ready_for_its_notice(
        core,
        people,
        60,
        title="Country parks grounds maintenance",
        description="Mowing, hedges and paths at the county's three country parks, for three years.",
        category="property_facilities",
        contract_type="services",
        estimated_value="85000",
        duration_months=36,
    )
    # Advertised for a fortnight (below the threshold the Act sets no minimum) a little over three weeks ago: after
    # the Order came into force, seeded on the tests' day (2 March 2026) as on any day since.
    published = _working_day_at(core, today - timedelta(days=24), time(9, 30))
    notice = {
        "tender_notice_published_on": published.date(),
        "tender_notice_id": _find_a_tender_id(case_id, published.date()),
        "main_cpv_code": "77310000",  # planting and maintenance services of green areas
        "other_cpv_codes": "77313000\n77311000",  # parks maintenance; ornamental and pleasure gardens
        "tenders_close_on": published.date() + timedelta(days=14),
        "reserved": True,
        "reserved_to_suppliers_in": "Oxfordshire",
        "reserved_to_smes_and_vcses": True,
        "reserved_because": "Local jobs and skills: the parks' work suits the county's small landscaping firms "
        "and its conservation charities, several of which tendered for the last contract",
    }
    with _clock_at(core, published):
        core.engine.act(ActionRequest(case_id, "publish_tender_notice", officer, inputs=notice))
    closed = _working_day_at(core, today - timedelta(days=7), time(9, 0))
    with _clock_at(core, closed):
        core.engine.act(ActionRequest(case_id, "close_tenders", officer))
        for supplier, sme, vcse, based_there, price in RESERVED_TENDERS:
            received = notice["tenders_close_on"] - timedelta(days=1)
            given = TenderGiven(supplier, "", sme, vcse, price, received, supplier_within_reservation=based_there)
            record_tender(core, case_id, officer, given)
    return case_id


# The requests to participate the demo's procedure reserved to supported employment providers has: supplier,
# SME, VCSE, a supported employment provider, how many days ago it came.
SUPPORTED_EMPLOYMENT_REQUESTS = [
    ("Aspire Recycling CIC", True, True, True, 6),
    ("Oxfordshire Mind Enterprises", True, True, True, 4),
    ("Countywide Waste Services Ltd", False, False, False, 3),  # not one: set aside as it was recorded (s32(1))
]


def _reserved_to_supported_employment(core: Core, people: dict) -> int:
    """An OCC competitive flexible procedure for office recycling, a public contract reserved to supported
    employment providers (PA23 s32), taking requests to participate: three in, one from a supplier that is not
    one, set aside. Draws nothing at random."""
    today = core.engine.today()
    case_id, officer = _ready_for_its_notice(
        core,
        people,
        30,
        route="competitive_flexible",
        title="Office recycling and confidential waste collection",
        description="Collecting recycling and confidential waste from the council's 40 offices, for four years.",
        category="waste",
        contract_type="services",
        estimated_value="420000",
        duration_months=48,
    )
    published = _working_day_at(core, today - timedelta(days=10), time(9, 30))
    notice = {
        "tender_notice_published_on": published.date(),
        "tender_notice_id": _find_a_tender_id(case_id, published.date()),
        "main_cpv_code": "90500000",  # refuse and waste related services
        "other_cpv_codes": "90511000\n90512000",  # refuse collection; refuse transport
        "participation_closes_on": published.date() + timedelta(days=TENDER_PERIODS["competitive_flexible"]),
        "market_engaged": False,
        "by_dynamic_market": False,  # OCC's market is for school transport
        "reserved": True,
        "reserved_for": "supported_employment_providers",
        "reserved_because": "Steady work sorting and collecting, which the county's supported employment "
        "providers already do for its schools",
    }
    with _clock_at(core, published):
        core.engine.act(ActionRequest(case_id, "publish_tender_notice", officer, inputs=notice))
    for supplier, sme, vcse, supported, days_ago in SUPPORTED_EMPLOYMENT_REQUESTS:
        arrived = _working_day_at(core, today - timedelta(days=days_ago), time(14, 0))
        with _clock_at(core, arrived):
            given = RequestGiven(supplier, "", sme, vcse, arrived.date(), supplier_within_reservation=supported,
                                 supplier_ppon=_ppon_of(supplier))  # fmt: skip
            record_request(core, case_id, officer, given)
    return case_id


# The suppliers a framework's lot lists, where the register records them: a call-off goes to one of them.
SUPPLIERS_ON = {
    "RM6098": ("Acme Systems Ltd", "Chiltern Computing Ltd", "Isis Technology Services Ltd", "Northgate Digital Ltd"),
}


HOME_CARE_PROVIDERS = (
    "Cherwell Valley Care Ltd", "Oxford Home Support CIC", "Thames Vale Homecare Ltd", "Banbury Community Care Ltd",
    "Witney Helping Hands Ltd",
)  # fmt: skip


def _frameworks(core: Core, people: dict) -> None:
    """The register's frameworks: two procured under the PCR 2015 that both councils call off from (their
    call-offs stay under the PCR), one under the Act, and one that has ended; OCC's own open framework for home
    care, re-opened once to new providers (PA23 s49); and OCC's dynamic purchasing system for supported living
    placements, established under the PCR 2015 (reg 34) and run on under them."""
    from .services.frameworks import FrameworkGiven, record_framework, record_reopening

    today = core.engine.today()
    officer = _someone(people, "category_officer", "OCC", "cnc")
    under_the_act = max(today - timedelta(days=540), PA2023_COMMENCEMENT)
    for provider, reference, lot, title, regime, starts, ends in (
        ("Crown Commercial Service", "RM6098", "1", "Technology Products and Associated Services 2", "PCR2015",
         today - timedelta(days=1100), today + timedelta(days=300)),
        ("ESPO", "ESPO 105", "", "Fleet vehicles and associated services", "PCR2015",
         today - timedelta(days=700), today + timedelta(days=760)),
        ("YPO", "YPO 1201", "", "Office supplies and stationery", "PA2023", under_the_act,
         under_the_act + timedelta(days=1400)),
        ("Crown Commercial Service", "RM6068", "", "Technology Products and Associated Services", "PCR2015",
         today - timedelta(days=2200), today - timedelta(days=700)),
    ):  # fmt: skip
        notes = "Direct award or further competition, as the framework allows."
        suppliers = SUPPLIERS_ON.get(reference, ())
        given = FrameworkGiven(
            provider,
            reference,
            lot,
            title,
            regime,
            starts,
            ends,
            "JOINT",
            notes,
            suppliers=suppliers,
            direct_award=True,
        )
        record_framework(core, officer, given)
    care_officer = _someone(people, "category_officer", "OCC", "heasc")
    first_award = max(today - timedelta(days=550), PA2023_COMMENCEMENT)
    home_care = FrameworkGiven(
        "Oxfordshire County Council", "OCC-HCS-01", "", "Home care and support", "PA2023",
        first_award, first_award + timedelta(days=8 * 365 - 2), "OCC",
        "Each re-opening lets new providers join; call-offs by a further competition on price and availability.",
        open_framework=True, council_established=True, suppliers=HOME_CARE_PROVIDERS[:3],
    )  # fmt: skip
    framework_id = record_framework(core, care_officer, home_care)
    reopened_on = min(first_award + timedelta(days=365), today)
    record_reopening(core, framework_id, care_officer, reopened_on, HOME_CARE_PROVIDERS)
    placements = FrameworkGiven(
        "Oxfordshire County Council", "OCC-DPS-04", "", "Supported living placements",
        "PCR2015", date(2022, 4, 1), min(date(2028, 3, 31), PCR_DPS_LAST_DAY), "OCC",
        "Each placement goes to a mini-competition among the admitted providers; a contract award notice follows each.",
        dps=True, council_established=True, suppliers=HOME_CARE_PROVIDERS[1:],
    )  # fmt: skip
    record_framework(core, care_officer, placements)


def _framework_for(core: Core, case_id: int) -> str:
    """A running framework the case's council may call off from: the first the call-off would offer."""
    from .workflow.frameworks import frameworks_for_call_off

    with core.db.reading() as session:
        return str(frameworks_for_call_off(session, session.get(Case, case_id), core.engine.today())[0].id)


def _dynamic_market(core: Core, people: dict) -> None:
    """A dynamic market for home to school and SEND transport (PA23 s34-39) in three parts, established three
    months ago and given a fourth a month ago: four operators admitted, one refused, and three applications
    waiting for the category team's decision, one of them a member's for the new part."""
    from .services import markets

    today = core.engine.today()
    officer = _someone(people, "category_officer", "OCC", "heasc")
    given = markets.MarketGiven(
        title="Home to school and SEND transport",
        description="Taxi, minibus and passenger assistant routes for pupils, awarded route by route or in "
        "packages by competitive flexible procedures among the members.",
        conditions="A private hire or PSV operator's licence\nEnhanced DBS checks for every driver and passenger "
        "assistant\nPublic liability insurance of at least £5,000,000",
        authority="OCC",
        category="home_to_school_transport",
        intention_published_on=today - timedelta(days=120),
        parts=("Taxis and private hire", "Minibuses and coaches", "Passenger assistants"),
        intention_notice_id=_find_a_tender_id(1013, today - timedelta(days=120)),
    )
    market_id = markets.open_market(core, officer, given)
    established = today - timedelta(days=90)
    markets.establish_market(core, market_id, officer, established, notice_id=_find_a_tender_id(1014, established))
    taxis, minibuses, assistants = given.parts
    for n, (name, sme, parts, outcome) in enumerate(
        [
            ("Cherwell Cars Ltd", True, [taxis], "admit"),
            ("Oxford Minibus Co-operative", True, [minibuses, assistants], "admit"),
            ("Thames Valley Coaches Ltd", False, [minibuses], "admit"),
            ("Banbury Community Transport", True, [minibuses, assistants], "admit"),
            ("Quick Cabs Oxford", True, [taxis], "No operator's licence held by the company applying"),
            ("Kidlington Taxis", True, [taxis], None),
            ("Witney Passenger Services Ltd", True, [assistants], None),
        ]
    ):
        applied = today - timedelta(days=100 - 12 * n)
        vcse = name.endswith("Transport")
        company = RENAMED[0] if name == RENAMED[1] else name  # a company keeps its number and PPON
        number = _company_number(company) if name == RENAMED[1] else ""
        application = markets.ApplicationGiven(name, number, sme, vcse, applied, parts, _ppon_of(company))
        membership_id = markets.record_application(core, market_id, officer, application)
        decided = applied + timedelta(days=7)
        if outcome == "admit":
            markets.admit(core, market_id, membership_id, officer, decided, decided)
        elif outcome:
            markets.refuse(core, market_id, membership_id, officer, decided, outcome)
    wheelchairs = "Wheelchair accessible vehicles"
    added = "A fourth part, for routes needing a wheelchair accessible vehicle, open to members and new applicants"
    modified = today - timedelta(days=30)
    notice_id = _find_a_tender_id(1015, modified)
    markets.modify_market(core, market_id, officer, modified, added, [wheelchairs], notice_id=notice_id)
    applied = today - timedelta(days=20)
    more = markets.ApplicationGiven(
        "Cherwell Cars Ltd", "", True, False, applied, [wheelchairs], _ppon_of("Cherwell Cars Ltd")
    )
    markets.record_application(core, market_id, officer, more)


def _requester_of(people: dict, authority: str) -> int:
    """The council's first service manager raising requests (not the hub's staff, who may raise them too)."""
    return next(r for r in people["requesters"] if people["authority_of"][r] == authority)


def _someone(people: dict, role: str, authority: str, pillar: str | None) -> int:
    authorities = ["OCC", "CDC"] if authority == "JOINT" else [authority]
    for a in authorities:
        for key in ((role, a, pillar), (role, a, None)):
            if people["by_role"].get(key):
                return people["by_role"][key][0]
    raise LookupError(f"no demo person holds {role} in {authority}")


def _open_step_holder(core: Core, people: dict, case_id: int) -> int | None:
    with core.db.reading() as session:
        step = session.scalar(
            select(ApprovalStep).where(ApprovalStep.case_id == case_id, ApprovalStep.status == StepStatus.OPEN)
        )
        if step is None:
            return None
        decided = {d.principal_id for d in step.decisions}
        holders = [u for u in people["by_role"].get((step.role, step.authority, step.pillar), []) if u not in decided]
        return holders[0] if holders else None


def _approve_gate(core: Core, people: dict, case_id: int) -> bool:
    with core.db.reading() as session:
        start_state = session.get(Case, case_id).state
    for _ in range(12):
        approver = _open_step_holder(core, people, case_id)
        if approver is None:
            return False
        core.engine.declare_interests(case_id, approver, has_conflict=False)
        result = core.engine.act(ActionRequest(case_id, "approve", approver))
        if result.to_state != start_state:
            return result.to_state != "executive_decision"  # key decisions wait for the forward plan
    return False


# --- spend ---------------------------------------------------------------------------------------
# What a finance system calls a payment under a contract of each category (its subjective analysis, as in
# CIPFA's Service Reporting Code of Practice); "Supplies and services" for the rest.
EXPENSE_TYPES = {
    "adult_social_care": "Third party payments",
    "childrens_social_care": "Third party payments",
    "public_health": "Third party payments",
    "education_services": "Third party payments",
    "waste": "Third party payments",
    "home_to_school_transport": "Transport-related expenditure",
    "fleet": "Transport-related expenditure",
    "property_facilities": "Premises-related expenditure",
    "energy": "Premises-related expenditure",
    "construction_works": "Capital works",
    "highways_transport": "Capital works",
}


def _spend(core: Core, people: dict, rng: random.Random) -> int:
    """Payments under the register's contracts over the last six months (and a few under none), loaded as a
    finance system's export would be (through the same check and load), so contracts show their spend and the
    Transparency Code's spend file has something in it."""
    from .models.suppliers import supplier_key
    from .services.spend import load_spend
    from .services.suppliers import record_same_supplier
    from .services.unpaid_invoices import load_unpaid_invoices

    today = core.engine.today()
    columns = (Contract.reference, Contract.authority, Contract.supplier_name, Contract.value, Contract.start_date,
               Contract.end_date, Contract.category)  # fmt: skip
    with core.db.reading() as session:
        contracts = session.execute(select(*columns)).all()
    lines = ["Council,Transaction number,Date paid,Supplier,Amount,Expense type,Contract reference,Invoice received"]
    for n, (reference, authority, supplier, value, start, end, category) in enumerate(contracts):
        expense = EXPENSE_TYPES.get(category, "Supplies and services")
        payer = "OCC" if authority == "JOINT" else authority  # a joint contract's payments go through one ledger
        monthly = value / max(1, (end - start).days // 30)  # paid monthly, about evenly over its life
        for month in range(rng.choice([0, 1, 2, 3, 6])):
            paid = today - timedelta(days=30 * month + rng.randint(1, 28))
            amount = monthly * Decimal(rng.uniform(0.7, 1.1))
            # Most invoices paid within the 30 days; one in eight later, for the payments compliance notice.
            received = paid - timedelta(days=rng.randint(31, 75) if rng.random() < 0.125 else rng.randint(3, 28))
            payment = f"{payer},DEMO-{n:04d}-{month},{paid},{supplier},{amount:.2f},{expense},{reference},{received}"
            lines.append(payment)
        if n == 0:  # one contract paid beyond its value, as the overview will point out
            extra = f"{today - timedelta(days=3)},{supplier},{value:.2f},Extra works"
            lines.append(f"{payer},DEMO-{n:04d}-X,{extra},{reference},")
    # And some under no contract, as the overview points out: agency staff booked month by month (its name
    # typed two ways), a caterer.
    for n, (payer, supplier, monthly) in enumerate(
        [("OCC", "Swift Agency Staffing Ltd", 9800), ("CDC", "Banbury Event Catering", 2400)]
    ):
        for month in range(4):
            paid = today - timedelta(days=30 * month + 5)
            spelt = supplier if month % 2 else supplier.upper().replace(" LTD", " LIMITED")
            lines.append(f"{payer},DEMO-OFF-{n}-{month},{paid},{spelt},{monthly:.2f},Services,,")
    # One payment to a register contract's supplier that does not name the contract: a coding slip.
    _, authority, supplier, *_ = contracts[1]
    payer = "OCC" if authority == "JOINT" else authority
    lines.append(f"{payer},DEMO-UNCODED,{today - timedelta(days=12)},{supplier},1450.00,Supplies and services,,")
    # And two to an OCC supplier of the register under the name it trades as, which the finance system keeps:
    # recorded by the intelligence team as that supplier's once loaded.
    registered = next(supplier for _, authority, supplier, *_ in contracts if authority == "OCC")
    trading = f"{registered.split()[0]} Direct Services"
    for n, (days, amount) in enumerate(((20, "3200.00"), (50, "2950.00"))):
        lines.append(f"OCC,DEMO-TRADING-{n},{today - timedelta(days=days)},{trading},{amount},Supplies and services,,")
    # And two names for the intelligence team's list of names that look alike: a register supplier's name as
    # the finance system cuts it to fit (mid-word), and the agency's with "(UK)" on one invoice.
    long_name = next(
        name for _, council, name, *_ in contracts if council == "OCC" and name != registered and name[21:23].isalpha()
    )
    lines.append(
        f"OCC,DEMO-CUT-0,{today - timedelta(days=33)},{long_name.upper()[:22]},1875.00,Supplies and services,,"
    )
    lines.append(f"OCC,DEMO-UK-0,{today - timedelta(days=64)},Swift Agency Staffing (UK) Ltd,9800.00,Services,,")
    load = load_spend(core, "\n".join(lines).encode(), actor_id=people["all"][0], apply=True)
    analyst = people["by_role"][("intelligence_analyst", "OCC", None)][0]
    said = f"{registered} trades as {trading}: its invoices give the company's registration number"
    record_same_supplier(core, analyst, supplier_key(trading), supplier_key(registered), said)
    # And each council's list of invoices received and not yet paid, as at today, for the payments compliance
    # notice to count (reg 38(2)(d)).
    unpaid = ["Council,Invoice number,Supplier,Amount,Invoice received,Contract reference"]
    for n, (reference, authority, supplier, *_) in enumerate(contracts[:: max(1, len(contracts) // 16)]):
        received = today - timedelta(days=rng.randint(3, 90))
        payer = "OCC" if authority == "JOINT" else authority
        unpaid.append(f"{payer},DEMO-INV-{n:03d},{supplier},{rng.uniform(400, 9000):.2f},{received},{reference}")
    load_unpaid_invoices(core, "\n".join(unpaid).encode(), actor_id=people["all"][0], apply=True)
    return len(load.payments)


# --- the register --------------------------------------------------------------------------------
# What the demo's big contracts are measured on (PA23 s52 asks at least three of a public contract over 5m).
DEMO_KPIS = (
    ("Delivered on time", "95% of orders or visits on the agreed day"),
    ("Quality", "Fewer than 2% of deliveries or visits put right afterwards"),
    ("Social value", "The commitments in the tender met each year"),
)


def _kpis(core: Core) -> None:
    """KPIs for each register contract the Act asks them of, set by its contract manager."""
    from .services.performance import kpis_required, set_kpis

    with core.db.reading() as session:
        needing = [
            (contract.id, contract.contract_manager_id)
            for contract in session.scalars(select(Contract).order_by(Contract.id))
            if kpis_required(session, contract)[0]
        ]
    for contract_id, manager in needing:
        set_kpis(core, contract_id, manager, DEMO_KPIS)


def _variation_waiting_for_its_notice(core: Core, people: dict) -> None:
    """One contract let under the Act with a variation approved that needs a change notice: the change waits
    for the notice, which its contract manager is to publish and record (PA23 s75), and then a voluntary
    standstill (s76)."""
    from .workflow.context import contract_in_law

    with core.db.reading() as session:
        candidates = session.scalars(
            select(Contract)
            .join(Case, Case.id == Contract.case_id)
            .where(Case.state == "live", Contract.end_date > core.engine.today())
            .order_by(Contract.id)
        )
        contract = next((c for c in candidates if contract_in_law(session, c)[0]), None)
    if contract is None:  # a demo of one contract has none
        return
    inputs = {
        "variation_description": "Two more sites join the service, which runs a year longer, as its review clause "
        "provides",
        "new_value": f"{contract.value * Decimal('1.3'):.2f}",
        "new_end_date": add_months(contract.end_date, 12).isoformat(),
        "voluntary_standstill": True,
    }
    _propose_variation(core, contract, inputs)
    _approve_gate(core, people, contract.case_id)


def _propose_variation(core: Core, contract: Contract, inputs: dict) -> None:
    """A contract's variation proposed by its manager; where the law asks on what basis (PA23 s74), as one its
    contract provides for."""
    manager = contract.contract_manager_id
    offer = core.engine.offers(contract.case_id, manager, ["propose_variation"])["propose_variation"]
    if offer and offer.asks("modification_basis"):
        inputs = {**inputs, "modification_basis": ModificationBasis.PROVIDED_FOR.value}
    core.engine.act(ActionRequest(contract.case_id, "propose_variation", manager, inputs=inputs))


def _variation_for_the_executive(core: Core, people: dict) -> None:
    """One CDC contract with a variation that adds enough to be a key decision: its officers have approved
    it, and it waits for the Executive, on the forward plan since ten days ago (19 days still to run: 28 clear
    days, neither the day of publication nor the decision's counted)."""
    today = core.engine.today()
    with core.db.reading() as session:
        contract = session.scalars(
            select(Contract)
            .join(Case, Case.id == Contract.case_id)
            .where(Case.state == "live", Contract.authority == "CDC", Contract.end_date > today + timedelta(days=180))
            .order_by(Contract.id)
        ).first()
    if contract is None:  # a demo of one contract has none
        return
    inputs = {
        "variation_description": "The service takes on the district's second waste depot, as its review clause "
        "provides",
        "new_value": f"{contract.value + 150000:.2f}",
        "new_end_date": contract.end_date.isoformat(),
    }
    manager = contract.contract_manager_id
    _propose_variation(core, contract, inputs)
    published = {"forward_plan_published_on": (today - timedelta(days=10)).isoformat()}
    core.engine.act(ActionRequest(contract.case_id, "record_forward_plan", manager, inputs=published))
    _approve_gate(core, people, contract.case_id)


def _extension_before_its_approvers(core: Core) -> None:
    """One CDC contract ending within the year, with an extension option left, whose contract manager proposes
    taking up a year of it at the contract's yearly cost: a key decision if that is over 50,000 (CDC's revenue
    figure), before its officers' approval."""
    today = core.engine.today()
    with core.db.reading() as session:
        contract = session.scalars(
            select(Contract)
            .join(Case, Case.id == Contract.case_id)
            .where(
                Case.state == "live",
                Contract.authority == "CDC",
                Contract.extension_months_available >= 12,
                Contract.end_date.between(today + timedelta(days=90), today + timedelta(days=365)),
            )
            .order_by(Contract.value.desc())
        ).first()
    if contract is None:  # a small demo may have none
        return
    years = max(1, round((contract.end_date - contract.start_date).days / 365))
    inputs = {
        "extend_to": add_months(contract.end_date, 12).isoformat(),
        "extension_value": f"{contract.value / years:.2f}",
    }
    manager = contract.contract_manager_id
    core.engine.act(ActionRequest(contract.case_id, "open_renewal_decision", manager))
    core.engine.act(ActionRequest(contract.case_id, "propose_extension", manager, inputs=inputs))


def _register(core: Core, people: dict, rng: random.Random, count: int) -> None:
    org = core.governance.organisation
    today = core.engine.today()
    categories = list(org.categories)
    with core.db.unit_of_work() as session:
        for index in range(count):
            category = categories[index % len(categories)]
            pillar = org.categories[category].pillar
            authority = ["OCC", "CDC", "OCC", "JOINT"][index % 4]
            # Ends spread evenly over the next two years, so the renewal pipeline is never empty (but one).
            end = today + timedelta(days=int(730 * (index + 1) / count))
            years = rng.choice([2, 3, 4, 5])
            start = end - timedelta(days=365 * years)
            value = Decimal(rng.choice([12000, 48000, 95000, 180000, 420000, 900000, 2600000, 7800000]))
            title = rng.choice(TITLES[category])
            contract_type = "works" if category == "construction_works" else "goods" if title in GOODS else "services"
            if index == 0:  # let under the Act, ended last month: the scheduler expires it, and its
                # termination notice (30 days beginning with the end date) falls due this week
                end, start = today - timedelta(days=25), today - timedelta(days=400)
                value, contract_type = Decimal(420000), "services"
            if index == 1:  # let under the Act this year: a variation of it waits for its change notice (OCC's:
                # for CDC the variation would be a key decision, which the next demo contract shows)
                start, end = today - timedelta(days=200), today + timedelta(days=530)
                value, contract_type, authority = Decimal(900000), "services", "OCC"
            manager_key = ("contract_manager", "OCC" if authority == "JOINT" else authority, pillar)
            manager = people["by_role"][manager_key][0]
            name, sme, vcse = _supplier(rng, category)
            import_contract(
                core,
                session,
                ExistingContract(
                    title=title,
                    description="Existing contract loaded from the hub's register.",
                    authority=authority,
                    category=category,
                    contract_type=contract_type,
                    supplier_name=name,
                    supplier_is_sme=sme,
                    supplier_is_vcse=vcse,
                    supplier_registration=_registration_of(name, rng),
                    supplier_ppon=_ppon_of(name) if regime_for(commenced_before(start)) == Regime.PA2023 else "",
                    value=value,
                    start_date=start,
                    end_date=end,
                    extension_months_available=rng.choice([0, 12, 24]),
                    notice_period_days=rng.choice([30, 90, 180]),
                    risk=rng.choice(CONTRACT_RISKS),
                    contract_manager_id=manager,
                ),
                actor_id=people["all"][0],
            )
