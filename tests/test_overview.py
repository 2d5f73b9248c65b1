"""The overview: what the people who answer for the cycle see of it, counted from the same records and with
the same visibility as the lists behind it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from provision_cycle.governance.statutory import KeyDecisionUrgency
from provision_cycle.services.overview import pipeline_overview
from provision_cycle.services.register import ExistingContract, import_contract
from provision_cycle.services.tasks import NewTask, raise_task

from .factories import act, approve_open_steps, create_user, declare, hub_people, new_request, propose_variation


def _contract(
    core, people, title, ends, *, value="50000", authority="OCC", category="corporate_supplies", supplier="Supplier"
) -> int:
    with core.db.unit_of_work() as session:
        existing = ExistingContract(
            title=title,
            authority=authority,
            category=category,
            contract_type="goods",
            supplier_name=supplier,
            value=Decimal(value),
            start_date=date(2024, 1, 1),
            end_date=ends,
            contract_manager_id=people.contract_manager,
        )
        return import_contract(core, session, existing, actor_id=people.officer).id


def _overview(core, db, person, **filters):
    with db.reading() as session:
        actor = core.engine.actor(session, person)
        return pipeline_overview(core, session, actor, core.engine.today(), **filters)


def test_cases_by_state_renewals_approvals_and_tasks(core, db, clock):
    people = hub_people(db)
    today = clock.today  # 2 March 2026
    submitted = new_request(core.engine, people.requester, value="250000")
    act(core.engine, submitted, "submit", people.requester)  # waiting at route approval
    new_request(core.engine, people.requester, value="18000")  # a draft
    new_request(core.engine, people.requester, value="40000", stage="commissioning")
    withdrawn = new_request(core.engine, people.requester, value="1000")
    act(core.engine, withdrawn, "withdraw", people.requester, reason="No longer needed")  # ended: not counted
    soon = _contract(core, people, "Ends in a month", today + timedelta(days=30), value="100000")
    _contract(core, people, "Ends in five months", today + timedelta(days=150))
    _contract(core, people, "Ends in two years", today + timedelta(days=730))
    _contract(core, people, "Ended last week", today - timedelta(days=7))  # still live until the sweep: not due
    with core.db.unit_of_work() as session:
        for due in (today - timedelta(days=1), today + timedelta(days=10)):
            task = NewTask("renewal_decision", "Decide", due, people.contract_manager, contract_id=soon)
            raise_task(core, session, task, actor_id=people.officer)
    clock.advance(days=3)

    seen = _overview(core, db, people.head)
    assert [(s.stage, s.label, s.cases, s.value) for s in seen.states] == [
        ("commissioning", "Need identified", 1, Decimal("40000.00")),
        ("procurement", "Draft", 1, Decimal("18000.00")),
        ("procurement", "Route approval", 1, Decimal("250000.00")),
        ("contract", "Live", 4, Decimal("250000.00")),
    ]
    assert seen.stage_total("procurement") == (2, Decimal("268000.00"))
    assert [(h.after_months, h.within_months, h.contracts, h.value) for h in seen.horizons] == [
        (0, 3, 1, Decimal("100000.00")),
        (3, 6, 1, Decimal("50000.00")),
        (6, 12, 0, Decimal(0)),
        (12, 18, 0, Decimal(0)),
    ]
    assert seen.approvals_waiting == 1 and seen.oldest_approval == date(2026, 3, 2)
    # The task due the day before it was raised is due now, not overdue, until it has had a week to be picked
    # up (as its assignee's list and the escalation count it).
    assert (seen.tasks_open, seen.tasks_overdue) == (2, 0)
    clock.advance(days=7)
    seen = _overview(core, db, people.head)
    assert (seen.tasks_open, seen.tasks_overdue) == (2, 1)


def test_approvals_wait_on_their_approvers_from_the_answer_and_questions_are_counted_apart(core, db, clock):
    """Two requests came on 2 March and were asked a question at once; one was answered on the 9th. The overview
    counts the answered one as waiting on its approvers since the answer (as the queue and the chase do), and
    the one still waiting on its requester apart: those days are not the approvers'."""
    people = hub_people(db)
    asked = []
    for title in ("Answered", "Still asked"):
        case_id = new_request(core.engine, people.requester, title=title, value="18000")
        act(core.engine, case_id, "submit", people.requester)
        declare(core.engine, case_id, people.manager)
        act(core.engine, case_id, "request_info", people.manager, reason="Which budget pays for it?")
        asked.append(case_id)
    clock.advance(days=7)
    act(core.engine, asked[0], "provide_info", people.requester, reason="Office supplies budget CS-330")
    clock.advance(days=2)

    seen = _overview(core, db, people.head)
    assert (seen.approvals_waiting, seen.questions_waiting) == (1, 1)
    assert seen.oldest_approval == date(2026, 3, 9)


def test_the_councils_own_notices_still_owed_whoever_has_them(core, db, clock, schedule):
    """On 2 April 2026 OCC owes its payments compliance notice (its S151 officer's), its pipeline notice (its
    analyst's) and its report of the key decisions taken under special urgency in 2025/26 (its monitoring
    officer's). A head of category sees them, with whose they are. They are the council's, whatever the pillar;
    not another council's."""
    from provision_cycle.scheduling.sweeps import raise_council_duties

    people = hub_people(db)
    create_user(db, ("intelligence_analyst", "OCC"), full_name="Zoe Turner")
    clock.set(date(2026, 4, 2))
    raise_council_duties(core, schedule, clock.today)

    duties = _overview(core, db, people.head, pillar="heasc").council_duties
    assert [(d.task.kind, d.task.due_on, d.assignee) for d in duties] == [
        ("payments_compliance_notice", date(2026, 4, 29), "Sam S151"),
        ("pipeline_notice", date(2026, 5, 26), "Zoe Turner"),
        ("special_urgency_report", date(2026, 5, 30), "Mo Monitoring"),
    ]
    assert _overview(core, db, people.head, authority="CDC").council_duties == []


def test_what_is_counted_is_what_the_person_may_see_and_chose(core, db):
    people = hub_people(db)
    cherwell = hub_people(db, authority="CDC")
    _contract(core, people, "Oxfordshire stationery", date(2026, 4, 1))
    _contract(core, people, "Joint waste", date(2026, 4, 1), authority="JOINT", category="waste")
    _contract(core, cherwell, "Cherwell stationery", date(2026, 4, 1), authority="CDC")

    def live(person, **filters):
        return [s.cases for s in _overview(core, db, person, **filters).states if s.stage == "contract"]

    assert live(people.head) == [2] and live(cherwell.head) == [2]  # their own council's and the joint one
    assert live(people.head, pillar="eni") == [1] and live(people.head, authority="CDC") == [1]
    assert live(create_user(db, ("requester", "OCC"))) == []  # a requester sees only their own requests


def test_spend_this_financial_year_and_the_contracts_paid_beyond_their_value(core, db, clock):
    from provision_cycle.models import Contract
    from provision_cycle.services.spend import load_spend

    people = hub_people(db)
    small = _contract(core, people, "Small", date(2027, 1, 1), value="1000")
    big = _contract(core, people, "Big", date(2027, 1, 1), value="90000", category="waste")
    with db.reading() as session:
        small_ref, big_ref = (session.get(Contract, c).reference for c in (small, big))
    spend = (
        "Council,Transaction number,Date paid,Supplier,Amount,Contract reference\n"
        f"OCC,T-1,2025-12-01,S,1500,{small_ref}\n"  # this financial year (from 1 April 2025)
        f"OCC,T-2,2025-03-31,S,200,{small_ref}\n"  # the last one: over the value all the same
        f"OCC,T-3,2026-01-10,S,5000,{big_ref}\n"
        "OCC,T-4,2026-02-01,S,700,\n"
        "CDC,C-1,2026-02-01,S,900,\n"  # Cherwell's: not for OCC's staff
    )
    load_spend(core, spend.encode(), actor_id=people.system, apply=True)
    seen = _overview(core, db, people.head).spend
    assert seen.year_starts == date(2025, 4, 1)
    assert (seen.paid, seen.under_contract) == (Decimal("7200.00"), Decimal("6500.00"))
    assert [(o.reference, o.value, o.paid) for o in seen.overspent] == [
        (small_ref, Decimal("1000.00"), Decimal("1700.00"))
    ]
    waste = _overview(core, db, people.head, pillar="eni").spend
    assert (waste.paid, waste.overspent) == (Decimal("5000.00"), [])
    # Category by category, the most paid first: contracts paid under and their suppliers.
    assert [(c.category, c.paid, c.contracts, c.suppliers) for c in seen.by_category] == [
        ("waste", Decimal("5000.00"), 1, 1),
        ("corporate_supplies", Decimal("1500.00"), 1, 1),
    ]
    assert [c.category for c in waste.by_category] == ["waste"]


def test_a_categorys_suppliers_are_counted_once_under_every_name_they_are_paid_under(core, db, clock):
    """Two waste contracts, one supplier's: paid as "Veolia ES (UK) Ltd" under one and as its trading name
    under the other, two suppliers until the intelligence team records the names as one company's."""
    from provision_cycle.models import Contract
    from provision_cycle.services.spend import load_spend
    from provision_cycle.services.suppliers import record_same_supplier

    people = hub_people(db)
    collection = _contract(
        core, people, "Collection", date(2027, 1, 1), category="waste", supplier="Veolia ES (UK) Ltd"
    )
    recycling = _contract(core, people, "Recycling", date(2027, 1, 1), category="waste", supplier="Veolia Recycling")
    with db.reading() as session:
        first, second = (session.get(Contract, c).reference for c in (collection, recycling))
    spend = (
        "Council,Transaction number,Date paid,Supplier,Amount,Contract reference\n"
        f"OCC,T-1,2026-01-10,Veolia ES (UK) Ltd,5000,{first}\n"
        f"OCC,T-2,2026-01-12,Veolia Recycling,3000,{second}\n"
    )
    load_spend(core, spend.encode(), actor_id=people.system, apply=True)

    def waste():
        return [(c.category, c.contracts, c.suppliers) for c in _overview(core, db, people.head).spend.by_category]

    assert waste() == [("waste", 2, 2)]
    analyst = create_user(db, ("intelligence_analyst", "OCC"))
    record_same_supplier(core, analyst, "veolia recycling", "veolia es uk", "Its trading name, on its invoices")
    assert waste() == [("waste", 2, 1)]


def test_how_promptly_the_councils_pay_from_the_invoice_days_loaded(core, db, clock):
    from provision_cycle.services.spend import load_spend

    people = hub_people(db)
    spend = (
        "Council,Transaction number,Date paid,Supplier,Amount,Invoice received\n"
        "OCC,T-1,2026-01-31,S,100,2026-01-01\n"  # day 30: within the term
        "OCC,T-2,2026-02-01,S,100,2026-01-01\n"  # day 31: late
        "OCC,T-3,2025-04-30,S,100,2025-03-01\n"  # late, and at the start of the year
        "OCC,T-4,2026-02-01,S,-50,2026-01-01\n"  # a credit note is not a payment
        "OCC,T-5,2026-02-01,S,100,\n"  # no invoice day: not counted
        "OCC,T-6,2025-03-31,S,100,2025-03-30\n"  # last financial year
        "CDC,C-1,2026-02-01,S,100,2026-01-31\n"  # Cherwell's: not for OCC's staff
    )
    load_spend(core, spend.encode(), actor_id=people.system, apply=True)
    seen = _overview(core, db, people.head).spend
    assert (seen.timed, seen.on_time, seen.on_time_percent) == (3, 1, Decimal("33.3"))
    assert _overview(core, db, people.head, pillar="eni").spend.timed == 0  # none under its contracts


def test_the_suppliers_paid_most_with_no_contract_in_the_register(core, db, clock):
    from provision_cycle.models import Contract
    from provision_cycle.services.overview import OffContract
    from provision_cycle.services.spend import load_spend

    people = hub_people(db)
    contract = _contract(core, people, "Fleet", date(2027, 1, 1), value="90000", supplier="Fleet Co Limited")
    _contract(core, people, "Cleaning", date(2025, 1, 31), supplier="Brook Cleaning Ltd")  # ended last year
    with db.reading() as session:
        reference = session.get(Contract, contract).reference
    spend = (
        "Council,Transaction number,Date paid,Supplier,Amount,Contract reference,Paid to an individual\n"
        "OCC,T-1,2025-12-01,Acme Ltd,12000,,no\n"
        "OCC,T-2,2026-01-15,ACME LTD ,8000,,no\n"  # the same supplier, however its name is typed
        "OCC,T-3,2026-02-01,Acme Limited.,-1000,,no\n"  # a credit note nets off
        "OCC,T-4,2025-03-31,Acme Ltd,50000,,no\n"  # last financial year's
        "OCC,T-5,2026-02-02,Brook Cleaning,2000,,no\n"  # its contract ended before this year
        "OCC,T-10,2026-02-01,BROOK CLEANING,2000,,no\n"  # named in capitals only when no other way is commoner
        f"OCC,T-6,2026-02-03,Fleet Co,30000,{reference},no\n"  # under a contract
        "OCC,T-7,2026-02-04,Jane Carer,25000,,yes\n"  # a person: never named here
        "OCC,T-8,2026-02-05,Refunds Ltd,-300,,no\n"  # owed money, not paid it
        "OCC,T-9,2026-02-06,FLEET CO LTD,2500,,no\n"  # its contract's supplier, the payment not coded to it
        "CDC,C-1,2026-02-01,Cherwell Supplies,9000,,no\n"  # Cherwell's: not for OCC's staff
    )
    load_spend(core, spend.encode(), actor_id=people.system, apply=True)
    seen = _overview(core, db, people.head).spend
    assert seen.off_contract == [
        OffContract("Acme Ltd", "OCC", Decimal("19000.00"), 3, date(2026, 2, 1), key="acme"),
        OffContract("Brook Cleaning", "OCC", Decimal("4000.00"), 2, date(2026, 2, 2), key="brook cleaning"),
    ]
    assert seen.uncoded == (1, Decimal("2500.00"))
    assert _overview(core, db, people.head, pillar="cnc").spend.off_contract == []  # no pillar to it


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Acme Ltd", "ACME LIMITED"),
        ("Acme Ltd.", "acme  ltd"),
        ("The Acme Company PLC", "Acme Company plc"),
        ("Smith & Jones LLP", "Smith and Jones"),
        ("O'Brien Care (Oxford) Ltd", "O’Brien Care (Oxford) Limited"),
    ],
)
def test_a_supplier_s_name_is_matched_however_it_is_spelt(one, other):
    from provision_cycle.models.suppliers import supplier_key

    assert supplier_key(one) == supplier_key(other)


def test_a_supplier_s_name_keeps_what_tells_one_company_from_another():
    from provision_cycle.models.suppliers import supplier_key

    assert len({supplier_key(name) for name in ("Acme Ltd", "Acme UK Ltd", "Acme Co Ltd", "Ltd")}) == 4


def test_the_statutory_notices_still_owed(core, db, clock):
    from provision_cycle.scheduling.sweeps import expire_contracts
    from provision_cycle.services.notices import record_notice

    from .factories import register_contract

    people = hub_people(db)

    def ended(on, authority="OCC"):  # a public contract under the Act, ended on ``on``: its UK11 is owed
        return register_contract(
            core, people, value="500000", starts=date(2025, 7, 1), ends=on, authority=authority
        ).case_id

    long_ago = ended(date(2026, 1, 10))  # due 8 February: overdue
    recent = ended(date(2026, 2, 20))  # due 21 March: soon
    recorded = ended(date(2026, 1, 5))
    expire_contracts(core, clock.today)
    record_notice(core, recorded, people.officer, kind="termination_notice", published_on=date(2026, 1, 20))
    seen = _overview(core, db, people.head).notices
    assert (seen.overdue, seen.due_soon) == (1, 1)
    assert [(n.case_id, n.kind, n.due_on) for n in seen.most_overdue] == [
        (long_ago, "termination_notice", date(2026, 2, 8))
    ]
    assert recent not in [n.case_id for n in seen.most_overdue]
    cherwell = create_user(db, ("head_of_category", "CDC", "cnc"))
    assert _overview(core, db, cherwell).notices.overdue == 0  # Oxfordshire's, not theirs


def test_the_key_decisions_to_come_with_their_forward_plan(core, db, clock):
    """CDC: a procurement over 500,000 and a variation adding over 50,000 are key decisions; a smaller variation
    is not. Those with no forward plan entry come first: each of them is 28 clear days from being taken."""
    from .factories import register_contract

    people = hub_people(db, "CDC")
    big = new_request(core.engine, people.requester, value="600000", authority="CDC", title="Depot")
    act(core.engine, big, "submit", people.requester)
    small = new_request(core.engine, people.requester, value="60000", authority="CDC", title="Signs")
    act(core.engine, small, "submit", people.requester)

    def varied(title: str, adds: int) -> int:
        contract = register_contract(core, people, value="400000", ends=date(2027, 6, 30), authority="CDC", title=title)
        inputs = {"variation_description": "More", "new_value": str(400000 + adds), "new_end_date": "2027-06-30"}
        propose_variation(core.engine, contract.case_id, people.contract_manager, inputs)
        return contract.case_id

    planned, minor = varied("Waste", 80000), varied("Cleaning", 10000)
    act(core.engine, planned, "record_forward_plan", people.contract_manager,
        inputs={"forward_plan_published_on": "2026-02-20"})  # fmt: skip
    seen = _overview(core, db, people.head).key_decisions
    assert [(k.case_id, k.where, k.value, k.decidable_from, k.urgency) for k in seen] == [
        (big, "Route approval", Decimal("600000.00"), None, None),
        (planned, "Variation approval", Decimal("400000.00"), date(2026, 3, 21), None),
    ]
    assert minor not in {k.case_id for k in seen} and small not in {k.case_id for k in seen}
    assert {k.authority for k in seen} == {"CDC"}
    # The general exception (2012 regs reg 10) brings the variation's day forward: 5 clear days after its notice.
    act(core.engine, planned, "record_forward_plan", people.contract_manager,
        inputs={"forward_plan_published_on": "2026-03-01", "key_decision_urgency": "general_exception",
                "urgency_reasons": "The second depot opens in April"})  # fmt: skip
    [_, (decidable_from, urgency)] = [
        (k.decidable_from, k.urgency) for k in _overview(core, db, people.head).key_decisions
    ]
    assert (decidable_from, urgency) == (date(2026, 3, 7), KeyDecisionUrgency.GENERAL_EXCEPTION)
    # Once taken, a second such variation is a key decision of its own, not yet on the forward plan: the first's
    # rule is not its.
    clock.set(date(2026, 3, 7))
    approve_open_steps(core.engine, db, people, planned)
    inputs = {"variation_description": "More again", "new_value": "560000", "new_end_date": "2027-06-30"}
    propose_variation(core.engine, planned, people.contract_manager, inputs)
    [again] = [k for k in _overview(core, db, people.head).key_decisions if k.case_id == planned]
    assert (again.decidable_from, again.urgency) == (None, None)


def test_how_keenly_the_procurements_were_contested(core, db):
    from provision_cycle.services.evaluation import TenderGiven, record_tender
    from tests.web.helpers import procurement_in_evaluation

    people = hub_people(db)
    received = core.engine.today() - timedelta(days=1)
    contested = procurement_in_evaluation(core, people, title="Kiosks")
    for name, sme, vcse in (("Acme Ltd", True, False), ("Brightwork CIC", True, True), ("Big Co PLC", False, False)):
        record_tender(core, contested, people.officer, TenderGiven(name, "", sme, vcse, "1000", received))
    alone = procurement_in_evaluation(core, people, title="Vans")
    record_tender(core, alone, people.officer, TenderGiven("Only Ltd", "", False, False, "1000", received))

    competition = _overview(core, db, people.head).competition
    assert (competition.procurements, competition.tenders, competition.from_smes, competition.from_vcses) == (
        2,
        4,
        2,
        1,
    )
    assert (competition.single_tender, competition.single_tender_percent) == (1, Decimal("50.0"))
    assert competition.sme_percent == Decimal("50.0") and competition.vcse_percent == Decimal("25.0")
    assert [case.title for case in competition.single_tender_cases] == ["Vans"]
    assert _overview(core, db, people.head, pillar="eni").competition.tenders == 0
    cherwell = create_user(db, ("head_of_category", "CDC", "cnc"))
    assert _overview(core, db, cherwell).competition.tenders == 0  # Oxfordshire's tenders are not Cherwell's


def test_the_spend_under_contracts_says_how_much_went_to_smes_and_vcses(core, db):
    """As the register records each contract's supplier: a community interest company is both an SME and a
    VCSE; a plc neither. By category, and all together."""
    from provision_cycle.services.spend import load_spend

    from .factories import register_contract

    people = hub_people(db)
    ends = date(2028, 3, 31)
    cic = register_contract(core, people, value="90000", ends=ends, supplier_name="Care CIC", supplier_is_sme=True,
                            supplier_is_vcse=True)  # fmt: skip
    plc = register_contract(core, people, value="90000", ends=ends, supplier_name="Big plc")
    ict = register_contract(core, people, value="90000", ends=ends, supplier_name="Small Ltd", category="ict",
                            supplier_is_sme=True)  # fmt: skip
    spend = "Council,Transaction number,Date paid,Supplier,Amount,Contract reference\n" + "".join(
        f"OCC,T-{n},2026-02-0{n},{contract.supplier_name},{amount},{contract.reference}\n"
        for n, (contract, amount) in enumerate(((cic, 1000), (plc, 3000), (ict, 500)), 1)
    )
    load_spend(core, spend.encode(), actor_id=people.system, apply=True)
    overview = _overview(core, db, people.head, pillar="")
    rows = {
        row.category: (row.paid, row.with_smes, row.with_vcses, row.sme_percent) for row in overview.spend.by_category
    }
    assert rows == {
        "corporate_supplies": (Decimal("4000.00"), Decimal("1000.00"), Decimal("1000.00"), Decimal("25.0")),
        "ict": (Decimal("500.00"), Decimal("500.00"), Decimal("0.00"), Decimal("100.0")),
    }
    total = overview.spend.all_categories
    assert (total.paid, total.with_smes, total.sme_percent, total.vcse_percent) == (
        Decimal("4500.00"), Decimal("1500.00"), Decimal("33.3"), Decimal("22.2")
    )  # fmt: skip
