"""Factory functions with realistic defaults: people with roles, requests at a given value, a clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

from sqlalchemy import select

from provision_cycle.models import Case, RoleAssignment, User
from provision_cycle.services import markets
from provision_cycle.workflow.engine import ActionRequest, ActionResult, Engine

_serial = count(1)
LONDON = ZoneInfo("Europe/London")


class Clock:
    """A controllable clock: tests set the day; the engine asks it for 'now'."""

    def __init__(self, day: date = date(2026, 3, 2)) -> None:
        self.set(day)

    def set(self, day: date, at: time = time(10, 0)) -> None:
        self._now = datetime.combine(day, at, tzinfo=LONDON).astimezone(UTC)

    def advance(self, days: int = 0, **kwargs) -> None:
        self._now += timedelta(days=days, **kwargs)

    @property
    def today(self) -> date:
        return self._now.astimezone(LONDON).date()

    def __call__(self) -> datetime:
        self._now += timedelta(microseconds=1)  # strictly increasing, as real time is
        return self._now


def create_user(
    db,
    *roles: tuple,
    username: str | None = None,
    full_name: str | None = None,
    job_title: str = "",
    active: bool = True,
) -> int:
    """``roles`` are (role, authority) or (role, authority, pillar) tuples."""
    n = next(_serial)
    username = username or f"user{n}"
    with db.unit_of_work() as session:
        user = User(
            username=username,
            full_name=full_name or f"Person {n}",
            email=f"{username}@example.gov.uk",
            job_title=job_title,
            is_active=active,
        )
        for role in roles:
            role, authority, *pillar = role
            user.roles.append(RoleAssignment(role=role, authority=authority, pillar=pillar[0] if pillar else None))
        session.add(user)
        session.flush()
        return user.id


@dataclass
class People:
    requester: int
    officer: int
    manager: int
    head: int
    finance: int
    legal: int
    director: int
    director2: int
    s151: int
    monitoring: int
    executive: int
    contract_manager: int
    system: int


def hub_people(db, authority: str = "OCC", pillar: str = "cnc") -> People:
    """One person per role for an authority and pillar, as the hub has."""

    def person(role, name, scoped=True):
        return create_user(
            db,
            (role, authority, pillar) if scoped else (role, authority),
            username=f"{name}-{authority.lower()}-{next(_serial)}",
            full_name=name.title(),
        )

    return People(
        requester=create_user(db, ("requester", authority), full_name="Rita Requester"),
        officer=person("category_officer", "olive officer"),
        manager=person("category_manager", "max manager"),
        head=person("head_of_category", "hana head"),
        finance=person("finance", "fred finance", scoped=False),
        legal=person("legal", "lena legal", scoped=False),
        director=person("director", "dora director", scoped=False),
        director2=person("director", "dan director", scoped=False),
        s151=person("s151_officer", "sam s151", scoped=False),
        monitoring=person("monitoring_officer", "mo monitoring", scoped=False),
        executive=person("executive_member", "eve executive", scoped=False),
        contract_manager=person("contract_manager", "cora contracts"),
        system=create_user(db, username="system" if not _system_exists(db) else f"sys{next(_serial)}"),
    )


def _system_exists(db) -> bool:
    from sqlalchemy import select

    with db.reading() as session:
        return session.scalar(select(User.id).where(User.username == "system")) is not None


def new_request(
    engine: Engine,
    requester: int,
    *,
    value: str | Decimal = "250000",
    authority: str = "OCC",
    category: str = "ict",
    contract_type: str = "services",
    route: str | None = None,
    stage: str = "procurement",
    **extra,
) -> int:
    fields = dict(
        title="Case management system",
        description="Replace the social care case management system",
        authority=authority,
        category=category,
        contract_type=contract_type,
        estimated_value=str(value),
        vat_treatment="standard",
        proposed_start=date(2026, 9, 1),
        duration_months=36,
        route=route,
    )
    fields.update(extra)
    return engine.open_case(stage=stage, actor_id=requester, **fields)


# A commissioning case's business case (``prepare_business_case``'s answers): what its gate decides.
BUSINESS_CASE = {
    "options_considered": "A: do nothing; B: buy one from the market; C: build it in-house",
    "preferred_option": "B",
    "outcomes": "Cases closed within a week, measured monthly",
}


def commissioning_at_its_gate(engine: Engine, requester: int, value: str = "1500000", **extra) -> int:
    """A commissioning case taken through its appraisal and business case and submitted to its gate
    (``extra``: the request's other answers, as ``new_request`` takes them)."""
    case_id = new_request(engine, requester, value=value, stage="commissioning", **extra)
    for trigger, inputs in (
        ("start_options_appraisal", {}),
        ("prepare_business_case", BUSINESS_CASE),
        ("submit", {}),
    ):
        act(engine, case_id, trigger, requester, inputs=inputs)
    return case_id


def act(engine: Engine, case_id: int, trigger: str, actor: int, **kwargs) -> ActionResult:
    inputs = kwargs.pop("inputs", {})
    return engine.act(ActionRequest(case_id=case_id, trigger=trigger, actor_id=actor, inputs=inputs, **kwargs))


def publish_tender_notice(
    engine: Engine, case_id: int, actor: int, published: str = "2026-03-02", closes: str = "2026-04-06", **more
) -> ActionResult:
    """The tender notice published; where the Act asks about preliminary market engagement (s17), there was
    none (unless ``more`` says otherwise)."""
    inputs = {"tender_notice_published_on": published, "tenders_close_on": closes, **more}
    offer = engine.offers(case_id, actor, ["publish_tender_notice"])["publish_tender_notice"]
    if offer and offer.asks("market_engaged"):
        inputs.setdefault("market_engaged", False)
    return act(engine, case_id, "publish_tender_notice", actor, inputs=inputs)


def invite_tenders(
    engine: Engine, case_id: int, actor: int, invited: str, *, on: str = "2026-03-30", closes: str = "2026-04-24"
) -> ActionResult:
    """A competitive flexible procedure's suppliers ``invited`` (one to a line) to tender ``on`` a day, until
    ``closes``."""
    invite = {"tenders_invited_on": on, "tenders_close_on": closes, "invited_suppliers": invited}
    return act(engine, case_id, "invite_tenders", actor, inputs=invite)


def propose_variation(engine: Engine, case_id: int, actor: int, inputs: dict, **kwargs) -> ActionResult:
    """A contract's variation proposed; where the law requires its basis (PA23 s74) whatever the change, one
    with no limits of its own (provided for in the contract) unless ``inputs`` gives one."""
    offer = engine.offers(case_id, actor, ["propose_variation"])["propose_variation"]
    if offer and any(spec.name == "modification_basis" and not spec.optional for spec in offer.inputs):
        inputs = {"modification_basis": "provided_for", **inputs}
    return act(engine, case_id, "propose_variation", actor, inputs=inputs, **kwargs)


def declare(engine: Engine, case_id: int, *people: int) -> None:
    for person in people:
        engine.declare_interests(case_id, person, has_conflict=False)


def approve_gate(engine: Engine, case_id: int, approvers: list[int]) -> ActionResult:
    """Each approver declares and approves the open step in turn."""
    result = None
    for approver in approvers:
        declare(engine, case_id, approver)
        result = act(engine, case_id, "approve", approver)
    assert result is not None
    return result


def approve_open_steps(engine: Engine, db, p: People, case_id: int, *, other_councils: dict | None = None) -> None:
    """Each approval step the case opens, approved in turn by ``p``'s holder of its role (the first, where a
    step needs all of them; on a joint case, by ``other_councils[council]``'s for another council's step), until
    none is open. A key decision not yet on the forward plan is put there as published 29 days ago, so that the
    Executive may take it today (28 clear days)."""
    from provision_cycle.models import ApprovalStep, CaseDeadline
    from provision_cycle.models.cases import StepStatus

    def holders(people: People) -> dict[str, int]:
        return {
            "category_manager": people.manager,
            "head_of_category": people.head,
            "finance": people.finance,
            "legal": people.legal,
            "director": people.director,
            "s151_officer": people.s151,
            "monitoring_officer": people.monitoring,
            "executive_member": people.executive,
        }

    while True:
        with db.reading() as session:
            role, authority = session.execute(
                select(ApprovalStep.role, ApprovalStep.authority)
                .where(ApprovalStep.case_id == case_id, ApprovalStep.status == StepStatus.OPEN)
                .order_by(ApprovalStep.gate_order, ApprovalStep.position)
                .limit(1)
            ).first() or (None, None)
            planned = session.scalar(
                select(CaseDeadline.id).where(
                    CaseDeadline.case_id == case_id, CaseDeadline.kind == "forward_plan", CaseDeadline.met_at.is_(None)
                )
            )
        if role is None:
            return
        if role == "executive_member" and planned is None:
            published = engine.today() - timedelta(days=29)
            act(engine, case_id, "record_forward_plan", p.officer, inputs={"forward_plan_published_on": published})
        approve_gate(engine, case_id, [holders((other_councils or {}).get(authority, p))[role]])


# An award recommendation: the supplier, its size, sector, kind and registration (the Transparency Code and the
# Act's notices publish them), and the value.
AWARD_INPUTS = {
    "supplier_name": "Acme Ltd",
    "supplier_is_sme": True,
    "supplier_is_vcse": False,
    "supplier_is_supported_employment": False,
    "supplier_is_public_service_mutual": False,
    "supplier_registration": "01234567",
    "supplier_ppon": "PACM-1234-LTDA",
    "award_value": "240000",
}
# Under the PCR 2015 the award is not asked whether its supplier is a supported employment provider or a public
# service mutual, nor its PPON: the Act's notices say them, the old law's do not.
AWARD_INPUTS_UNDER_THE_PCR = {
    name: answer
    for name, answer in AWARD_INPUTS.items()
    if name not in ("supplier_is_supported_employment", "supplier_is_public_service_mutual", "supplier_ppon")
}


def tender_to_evaluation(
    engine: Engine, clock: Clock, p: People, case_id: int, *, closes: date = date(2026, 4, 6)
) -> None:
    """A submitted procurement, its route approved (by the Head of Category alone for 250,000 at OCC), through
    a tender (notice published 2 March 2026, closing on ``closes``) to evaluation the day after, where the
    clock is left; above threshold, ready for its award to be recommended (``ready_to_recommend``)."""
    approve_open_steps(engine, engine.db, p, case_id)
    declare(engine, case_id, p.officer)
    act(engine, case_id, "complete_conflicts_assessment", p.officer)
    publish_tender_notice(engine, case_id, p.officer, closes=closes.isoformat())
    clock.set(closes + timedelta(days=1))
    act(engine, case_id, "close_tenders", p.officer)
    with engine.db.reading() as session:
        above_threshold = session.get(Case, case_id).route_plan["above_threshold"]
    if above_threshold:
        ready_to_recommend(engine, case_id, p)


def ready_for_the_market(engine: Engine, p: People, *, details: dict[str, str] | None = None, **request) -> int:
    """A procurement (``new_request``'s fields, and ``details`` such as a direct award's ground) submitted by
    ``p``'s requester, its route approved by the Head of Category alone, its conflicts assessed by the officer:
    ready to go to market (or, for a direct award, to its transparency notice)."""
    case_id = new_request(engine, p.requester, **request)
    for name, value in (details or {}).items():
        engine.set_detail(case_id, p.requester, name, value)
    act(engine, case_id, "submit", p.requester)
    approve_gate(engine, case_id, [p.head])
    declare(engine, case_id, p.officer)
    act(engine, case_id, "complete_conflicts_assessment", p.officer)
    return case_id


def in_participation(engine: Engine, p: People, closes: str = "2026-03-27", *, market: str = "") -> int:
    """A 250,000 competitive flexible procedure whose tender notice went out on 2 March 2026, taking requests to
    participate until ``closes``; restricted to the members of ``market`` (a reference) where one is given."""
    case_id = ready_for_the_market(engine, p, value="250000", route="competitive_flexible")
    notice = {"tender_notice_published_on": "2026-03-02", "participation_closes_on": closes, "market_engaged": False}
    if market:
        notice |= {"by_dynamic_market": True, "dynamic_market": market}
    act(engine, case_id, "publish_tender_notice", p.officer, inputs=notice)
    return case_id


def called_off(engine: Engine, p: People, framework_id: int, *, directly: bool = True) -> int:
    """A 250,000 procurement called off under the framework ``framework_id`` (directly, or after a further
    competition among its suppliers), its selection complete: in evaluation, its award to recommend."""
    case_id = ready_for_the_market(engine, p, value="250000", route="framework_call_off")
    inputs = {"framework": str(framework_id), "direct_call_off": directly}
    act(engine, case_id, "start_call_off", p.officer, inputs=inputs)
    act(engine, case_id, "complete_call_off_selection", p.officer)
    return case_id


def ready_to_recommend(engine: Engine, case_id: int, p: People) -> None:
    """What an above-threshold award under the Act asks before it is recommended, done today: the suppliers
    checked against the debarment list and the exclusion grounds (PA23 s26-28, s57) and, after a competition,
    the conflicts assessment reviewed with the suppliers known (s83)."""
    checked = {"exclusions_checked_on": engine.today().isoformat()}
    act(engine, case_id, "record_exclusion_check", p.officer, inputs=checked)
    with engine.db.reading() as session:
        evaluating = session.get(Case, case_id).state == "evaluation"
    if evaluating:
        act(engine, case_id, "review_conflicts_assessment", p.officer, inputs=CONFLICTS_REVIEWED)


# A conflicts assessment's review after a competition (PA23 s83), finding nothing new.
CONFLICTS_REVIEWED = {"conflicts_review_findings": "None: no one on the team has an interest in a tenderer"}


def award_recommended(
    engine: Engine,
    clock: Clock,
    p: People,
    *,
    value: str = "250000",
    authority: str = "OCC",
    closes: date = date(2026, 4, 6),
    **award: str | bool,
) -> int:
    """A request of ``value`` submitted and taken through a tender (``tender_to_evaluation``) to its award
    recommended the day after it closes, where the clock is left: ``AWARD_INPUTS`` with ``award``'s changes."""
    case_id = new_request(engine, p.requester, value=value, authority=authority)
    act(engine, case_id, "submit", p.requester)
    tender_to_evaluation(engine, clock, p, case_id, closes=closes)
    act(engine, case_id, "recommend_award", p.officer, inputs={**AWARD_INPUTS, **award})
    return case_id


def key_decision_on_the_forward_plan(engine: Engine, p: People, published: str = "2026-03-02") -> int:
    """A 1,200,000 procurement request whose officers have approved its route: its key decision is now the
    Executive member's, entered on the forward plan on ``published`` (taken 28 clear days after, at the
    earliest)."""
    case_id = new_request(engine, p.requester, value="1200000")
    act(engine, case_id, "submit", p.requester)
    approve_gate(engine, case_id, [p.head, p.finance, p.director])
    act(engine, case_id, "record_forward_plan", p.officer, inputs={"forward_plan_published_on": published})
    return case_id


def award_over_the_key_decision_figure(engine: Engine, clock: Clock, p: People) -> int:
    """A 450,000 CDC procurement (not a key decision: CDC's figure is 500,000) through an open procedure to
    an award recommended at 520,000 (which is one) on 7 April 2026, where the clock is left; ``p`` is CDC's."""
    return award_recommended(engine, clock, p, value="450000", authority="CDC", award_value="520000")


def award_open_procedure(
    engine: Engine, clock: Clock, p: People, *, value: str = "250000", award_value: str = "240000", **award: str
) -> int:
    """An OCC procurement of ``value`` driven to its award notice, published on Wednesday 8 April 2026 (its
    award recommended with ``AWARD_INPUTS`` and ``award``'s changes)."""
    case_id = award_recommended(engine, clock, p, value=value, award_value=award_value, **award)
    approve_open_steps(engine, engine.db, p, case_id)
    summaries = {"assessment_summaries_sent_on": "2026-04-07"}  # to each assessed supplier first (PA23 s50(3))
    act(engine, case_id, "record_assessment_summaries", p.officer, inputs=summaries)
    act(engine, case_id, "publish_award_notice", p.officer, inputs={"award_notice_published_on": "2026-04-08"})
    return case_id


def contract_from_open_procedure(engine: Engine, clock: Clock, p: People, **award: str) -> int:
    """``award_open_procedure`` on to its contract: signed 21 April 2026 (it runs from 1 May 2026 to 30 April
    2029), its contract details notice published on 24 April; the procurement case's id."""
    case_id = award_open_procedure(engine, clock, p, **award)
    enter_into_contract(engine, clock, p, case_id)
    return case_id


def enter_into_contract(engine: Engine, clock: Clock, p: People, case_id: int) -> None:
    """After ``award_open_procedure``: standstill ended and the contract signed on 21 April 2026 (it runs from
    1 May 2026 to 30 April 2029), its contract details notice published on 24 April, where the clock is left."""
    clock.set(date(2026, 4, 21))
    act(engine, case_id, "end_standstill", p.officer)
    signature = {"signed_on": "2026-04-21", "start_date": "2026-05-01", "end_date": "2029-04-30"}
    act(engine, case_id, "sign_contract", p.officer, inputs=signature)
    act(engine, case_id, "publish_contract_details", p.officer, inputs={"contract_details_published_on": "2026-04-24"})


def register_contract(
    core,
    p: People,
    *,
    value: str,
    ends: date,
    starts: date | None = None,
    risk: str = "medium",
    state: str = "live",
    registration: str = "",
    **fields,
):
    """An OCC services contract already let, loaded into the register for ``p``'s contract manager; the
    register entry (detached). Starting three years before it ends unless told: under PCR 2015 then.
    ``fields``: any other of ``ExistingContract``'s (authority, contract_type, extension_months_available...)."""
    from provision_cycle.services.register import ExistingContract, import_contract

    with core.db.unit_of_work() as session:
        contract = import_contract(
            core,
            session,
            ExistingContract(
                **{
                    "title": "Highways maintenance",
                    "authority": "OCC",
                    "category": "corporate_supplies",
                    "contract_type": "services",
                    "supplier_name": "Roadworks Ltd",
                    "supplier_registration": registration,
                    "value": Decimal(value),
                    "start_date": starts or ends - timedelta(days=3 * 365),
                    "end_date": ends,
                    "contract_manager_id": p.contract_manager,
                    "risk": risk,
                    "state": state,
                    **fields,
                }
            ),
            actor_id=p.officer,
        )
        session.expunge(contract)
        return contract


def open_market(core, people, **changes) -> int:
    """A dynamic market of OCC's, its intention notice published on 2 February 2026 (``changes`` to what is
    given); returns its id."""
    given = dict(
        title="Home to school transport",
        description="Taxi and minibus routes for pupils with special educational needs",
        conditions="An operator's licence from the council; enhanced DBS checks for every driver",
        authority="OCC",
        category="ict",
        intention_published_on=date(2026, 2, 2),
    )
    return markets.open_market(core, people.officer, markets.MarketGiven(**(given | changes)))
