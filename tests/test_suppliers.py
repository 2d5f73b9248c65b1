"""Suppliers across the register and the spend: found by the words of their names however spelt, with the
contracts and payments each person may see, and each contract and payment keeping its supplier's key."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from provision_cycle.errors import NotFound
from provision_cycle.models import Contract, User
from provision_cycle.services.reading import RegisterQuery, register_page
from provision_cycle.services.spend import load_spend
from provision_cycle.services.suppliers import (
    find_suppliers,
    names_sharing_a_number,
    on_record,
    record_same_supplier,
    supplier,
)

from .factories import contract_from_open_procedure, create_user, hub_people, register_contract

SPEND = (
    "Council,Transaction number,Date paid,Supplier,Amount,Contract reference,Individual\n"
    "OCC,T-1,2026-02-01,ACME LIMITED,1000,{acme},no\n"
    "OCC,T-2,2026-02-15,Acme Ltd.,250,,no\n"
    "OCC,T-3,2025-06-01,The Acme Ltd,400,{acme},no\n"
    "CDC,T-4,2026-02-20,Acme Ltd,700,,no\n"
    "OCC,T-5,2026-02-21,Acme Smith,90,,yes\n"
    "OCC,T-6,2026-02-22,Brook Cleaning,60,,no\n"
)


@pytest.fixture
def acme(core, db):
    """The 2 March 2026 clock: OCC's contract with Acme, and payments to it spelt four ways, both councils'."""
    people = hub_people(db)
    contract = register_contract(core, people, value="48000", ends=date(2028, 3, 31), supplier_name="Acme Ltd")
    load_spend(core, SPEND.format(acme=contract.reference).encode(), actor_id=people.system, apply=True)
    return people, contract


def test_a_supplier_is_found_by_the_words_of_its_name_however_spelt(core, db, acme):
    people, _ = acme
    with db.reading() as session:
        officer = core.engine.actor(session, people.officer)
        found = find_suppliers(session, officer, "acme", core.engine.today())
        assert find_suppliers(session, officer, "ACME, ltd", core.engine.today()) == found
        assert find_suppliers(session, officer, "acme plumbing", core.engine.today()) == []
        assert find_suppliers(session, officer, "  ", core.engine.today()) == []
    # OCC's payments this financial year (from 1 April 2025): T-1, T-2 and T-3; CDC's are not theirs to see;
    # a payment to a person is nobody's supplier.
    assert [(s.key, s.name, s.contracts, s.paid_this_year) for s in found] == [
        ("acme", "Acme Ltd", 1, Decimal("1650.00"))
    ]


def test_a_suppliers_page_has_its_contracts_and_what_each_council_paid_it_by_year(core, db, acme):
    people, contract = acme
    both = create_user(db, ("head_of_category", "OCC", "cnc"), ("head_of_category", "CDC", "cnc"))
    with db.reading() as session:
        page = supplier(session, core.engine.actor(session, both), "acme", core.engine.today(), core.workflows)
    assert [c.reference for c in page.contracts] == [contract.reference]
    assert page.spellings[0] == "Acme Ltd" and set(page.spellings) == {"Acme Ltd", "ACME LIMITED", "Acme Ltd.",
                                                                       "The Acme Ltd"}  # fmt: skip
    this_year, last_year, _ = page.years
    assert (this_year.label, this_year.under_contract, this_year.off_contract) == ("2025/26", 1400, 950)
    assert this_year.by_council == {"OCC": Decimal("1650.00"), "CDC": Decimal("700.00")}
    assert last_year.paid == 0 and page.councils == ("CDC", "OCC")
    assert [p.transaction_number for p in page.latest] == ["T-4", "T-2", "T-1", "T-3"]


def test_nobody_sees_a_supplier_through_what_they_may_not_see(core, db, acme):
    people, _ = acme
    cherwell = create_user(db, ("category_officer", "CDC", "cnc"))
    with db.reading() as session:
        page = supplier(session, core.engine.actor(session, cherwell), "acme", core.engine.today(), core.workflows)
        assert page.contracts == [] and [p.transaction_number for p in page.latest] == ["T-4"]
        with pytest.raises(NotFound):
            supplier(session, core.engine.actor(session, people.requester), "acme", core.engine.today(), core.workflows)
        with pytest.raises(NotFound):  # a person paid is no supplier page
            supplier(
                session, core.engine.actor(session, people.officer), "acme smith", core.engine.today(), core.workflows
            )


def test_whether_a_supplier_is_on_record_for_someone_is_whether_its_page_is_theirs_to_see(core, db, acme):
    """``on_record`` (an award's supplier, linked or said to be new) asks part by part whether there is a row;
    it answers as the supplier's page does, whatever part the person sees: a contract, payments alone."""
    people, _ = acme
    cherwell = create_user(db, ("category_officer", "CDC", "cnc"))  # sees CDC's payment to Acme, no contract
    with db.reading() as session:
        for person in (people.officer, cherwell, people.requester):
            actor = core.engine.actor(session, person)
            for key in ("acme", "brook cleaning", "acme smith", "newco widgets"):
                try:
                    supplier(session, actor, key, core.engine.today(), core.workflows)
                    has_page = True
                except NotFound:
                    has_page = False
                assert on_record(session, actor, key, core.engine.today(), core.workflows) is has_page, (person, key)
        assert on_record(session, core.engine.actor(session, cherwell), "acme", core.engine.today(), core.workflows)
        assert not on_record(session, core.engine.actor(session, cherwell), "brook cleaning", core.engine.today(),
                             core.workflows)  # fmt: skip


def test_every_contract_keeps_its_suppliers_key_however_it_came_into_the_register(core, db, clock):
    people = hub_people(db)
    case_id = contract_from_open_procedure(core.engine, clock, people)  # signed: the engine's own insert
    register_contract(core, people, value="48000", ends=date(2028, 3, 31), supplier_name="THE ACME LIMITED")
    with db.reading() as session:
        keys = {c.supplier_name: c.supplier_key for c in session.scalars(select(Contract))}
        signed = session.scalars(select(Contract).where(Contract.procurement_case_id == case_id)).one()
    assert keys["THE ACME LIMITED"] == "acme" and signed.supplier_key == "acme"  # "Acme Ltd", as awarded


def test_a_suppliers_page_says_how_promptly_it_was_paid_and_its_registration_number(core, db):
    people = hub_people(db)
    register_contract(core, people, value="48000", ends=date(2028, 3, 31), supplier_name="Acme Ltd",
                      registration="01234567", supplier_ppon="PACM-1234-LTDX")  # fmt: skip
    spend = (
        "Council,Transaction number,Date paid,Supplier,Amount,Invoice received\n"
        "OCC,T-1,2026-02-10,Acme Ltd,100,2026-01-11\n"  # day 30: within the Act's 30 days
        "OCC,T-2,2026-02-20,Acme Ltd,100,2026-01-01\n"  # day 50
        "OCC,T-3,2026-02-21,Acme Ltd,-40,2026-01-01\n"  # a credit note is no payment
        "OCC,T-4,2026-02-22,Acme Ltd,100,\n"  # no invoice day: not counted either way
    )
    load_spend(core, spend.encode(), actor_id=people.system, apply=True)
    with db.reading() as session:
        page = supplier(
            session, core.engine.actor(session, people.officer), "acme", core.engine.today(), core.workflows
        )
    this_year = page.years[0]
    assert (this_year.timed, this_year.on_time, this_year.on_time_percent) == (2, 1, Decimal("50.0"))
    assert page.years[1].on_time_percent is None and page.registrations == ("01234567",)
    assert page.ppons == ("PACM-1234-LTDX",)  # its unique identifier on the Central Digital Platform
    # Found by its number as well as its name: its Companies House number, or its PPON however typed.
    with db.reading() as session:
        officer, today = core.engine.actor(session, people.officer), core.engine.today()
        by_name = find_suppliers(session, officer, "acme", today)
        assert [s.key for s in by_name] == ["acme"]
        assert find_suppliers(session, officer, " 01234567 ", today) == by_name
        assert find_suppliers(session, officer, "gb-ppon-pacm-1234-ltdx", today) == by_name
        assert find_suppliers(session, officer, "07654321", today) == []
        requester = core.engine.actor(session, people.requester)  # who sees neither its contract nor its spend
        assert find_suppliers(session, requester, "PACM-1234-LTDX", today) == []


def test_a_supplier_is_found_by_the_ppon_its_tender_request_to_participate_or_market_application_gave(core, db):
    """Each gives the PPON; the supplier's page shows it; those who do not see the procurement's tenders or the
    market's applications find nothing by it."""
    from provision_cycle.services.evaluation import RequestGiven, TenderGiven, record_request, record_tender
    from provision_cycle.services.markets import ApplicationGiven, record_application
    from tests.web.helpers import procurement_in_evaluation

    from .factories import in_participation, open_market

    people = hub_people(db)
    received = core.engine.today() - timedelta(days=1)
    record_tender(core, procurement_in_evaluation(core, people), people.officer,
                  TenderGiven("Newco Kiosks Ltd", "12345678", True, False, "200000", received, supplier_ppon="PNEW-1234-KIOS"))  # fmt: skip
    record_request(core, in_participation(core.engine, people), people.officer,
                   RequestGiven("Askew Catering", "", True, False, received, supplier_ppon="PASK-1234-CATR"))  # fmt: skip
    record_application(core, open_market(core, people), people.officer,
                       ApplicationGiven("Minibus Co", "", True, False, received, supplier_ppon="PMIN-1234-IBUS"))  # fmt: skip
    with db.reading() as session:
        officer, today = core.engine.actor(session, people.officer), core.engine.today()
        requester = core.engine.actor(session, people.requester)  # who sees neither
        for key, ppon in (("newco kiosks", "PNEW-1234-KIOS"), ("askew catering", "PASK-1234-CATR"),
                          ("minibus co", "PMIN-1234-IBUS")):  # fmt: skip
            assert [s.key for s in find_suppliers(session, officer, f" gb-ppon-{ppon.lower()}", today)] == [key]
            assert supplier(session, officer, key, today, core.workflows).ppons == (ppon,)
            assert find_suppliers(session, requester, ppon, today) == []
        # Its Companies House number too, as its tender gave it.
        assert supplier(session, officer, "newco kiosks", today, core.workflows).registrations == ("12345678",)
    # Its contracts in the register, which give neither number, are found by each, as its tender gave them: one
    # under its name, and one under a trading name recorded as its.
    contract = register_contract(core, people, value="48000", ends=date(2028, 3, 31), supplier_name="NEWCO KIOSKS")
    traded = register_contract(core, people, value="9000", ends=date(2028, 6, 30), supplier_name="Kiosk Direct")
    analyst = create_user(db, ("intelligence_analyst", "OCC"))
    record_same_supplier(core, analyst, "kiosk direct", "newco kiosks", "Its trading name")
    with db.reading() as session:
        for person, found in ((officer, [contract.id, traded.id]), (requester, [])):
            for number in ("12345678", "gb-ppon-pnew-1234-kios"):
                page = register_page(session, person, RegisterQuery(text=number), today)
                assert [row[0].id for row in page.rows] == found, (person.username, number)


def test_a_supplier_paid_only_before_the_years_shown_is_not_found_by_its_payments(core, db):
    people = hub_people(db)
    spend = "Council,Transaction number,Date paid,Supplier,Amount\nOCC,T-1,2023-03-31,Oldco Ltd,100\n"
    load_spend(core, spend.encode(), actor_id=people.system, apply=True)
    with db.reading() as session:
        officer = core.engine.actor(session, people.officer)
        assert find_suppliers(session, officer, "oldco", core.engine.today()) == []  # 2023/24 is the first shown


def test_other_names_recorded_with_a_supplier_s_registration_number_are_pointed_out(core, db):
    """One company under two names (a trading name, a holding company's): its register entry and its
    application to a dynamic market share a Companies House number; each page points to the other."""
    from provision_cycle.services import markets
    from provision_cycle.services.markets import ApplicationGiven, MarketGiven

    people = hub_people(db)
    register_contract(core, people, value="48000", ends=date(2028, 3, 31), supplier_name="Acme Ltd",
                      registration="01234567")  # fmt: skip
    register_contract(core, people, value="9000", ends=date(2028, 3, 31), supplier_name="Bodge Ltd",
                      registration="07654321")  # fmt: skip
    market_id = markets.open_market(core, people.officer, MarketGiven("Taxis", "", "", "OCC", "ict", date(2026, 2, 2)))
    given = ApplicationGiven("Acme Passenger Transport Holdings", "01234567", True, False, date(2026, 2, 9))
    markets.record_application(core, market_id, people.officer, given)
    with db.reading() as session:
        officer = core.engine.actor(session, people.officer)
        acme = supplier(session, officer, "acme", core.engine.today(), core.workflows)
        holdings = supplier(session, officer, "acme passenger transport holdings", core.engine.today(), core.workflows)
        bodge = supplier(session, officer, "bodge", core.engine.today(), core.workflows)
    assert acme.same_number == [("acme passenger transport holdings", "Acme Passenger Transport Holdings")]
    assert holdings.same_number == [("acme", "Acme Ltd")] and bodge.same_number == []


# --- one supplier by several names ---------------------------------------------------------------------------
HOLDINGS_SPEND = (
    "Council,Transaction number,Date paid,Supplier,Amount,Contract reference,Individual\n"
    "OCC,T-7,2026-02-25,APT HOLDINGS,300,,no\n"
)


@pytest.fixture
def holdings(core, db, acme):
    """Acme's holding company, spelt too differently to match: a contract in the register, and a payment off
    contract; an analyst of OCC's intelligence team."""
    people, contract = acme
    other = register_contract(core, people, value="9000", ends=date(2027, 3, 31), supplier_name="APT Holdings Ltd")
    load_spend(core, HOLDINGS_SPEND.encode(), actor_id=people.system, apply=True)
    analyst = create_user(db, ("intelligence_analyst", "OCC"), full_name="Zoe Turner")
    return people, contract, other, analyst


def test_names_recorded_as_one_supplier_are_seen_together_until_separated(core, db, holdings):
    from provision_cycle.audit import verify_chains
    from provision_cycle.models import AuditEvent
    from provision_cycle.services.overview import off_contract_suppliers
    from provision_cycle.services.suppliers import names_of, separate_supplier

    people, contract, other, analyst = holdings
    today = core.engine.today()
    said = "Companies House: APT Holdings is Acme's parent, and invoices as Acme"
    assert record_same_supplier(core, analyst, "apt holdings", "acme", said) == "acme"

    with db.reading() as session:
        officer = core.engine.actor(session, people.officer)
        page = supplier(session, officer, "acme", today, core.workflows)
        assert names_of(session, "apt holdings") == names_of(session, "acme") == ("acme", "apt holdings")
        assert on_record(session, officer, "apt holdings", today, core.workflows)
        [found] = find_suppliers(session, officer, "holdings", today)  # found by its other name, as Acme
        off = {row.key: row for row in off_contract_suppliers(session, officer, today, authority="OCC")}
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "record_same_supplier")).one()
        assert verify_chains(session).ok
    [also] = page.also
    assert (page.name, also.key, also.name, also.reason, also.recorded_by) == (
        "Acme Ltd", "apt holdings", "APT Holdings Ltd", said, "Zoe Turner"
    )  # fmt: skip
    assert [c.reference for c in page.contracts] == [contract.reference, other.reference]  # the latest ending first
    assert "APT HOLDINGS" not in page.spellings and page.years[0].off_contract == Decimal("550.00")  # T-2, T-7
    assert (found.key, found.name, found.contracts, found.paid_this_year, found.found_as) == (
        "acme", "Acme Ltd", 2, Decimal("1950.00"), "APT Holdings Ltd"
    )  # fmt: skip
    assert "apt holdings" not in off and off["acme"].paid == Decimal("550.00") and off["acme"].in_register
    assert (event.actor_id, event.case_id, event.comment) == (analyst, None, said)
    assert event.data == {"key": "apt holdings", "same_as": "acme", "as_named": ["apt holdings", "acme"]}

    assert separate_supplier(core, analyst, "apt holdings", "A different company after all") == "acme"
    with db.reading() as session:
        officer = core.engine.actor(session, people.officer)
        assert names_of(session, "acme") == ("acme",)
        assert [c.reference for c in supplier(session, officer, "acme", today, core.workflows).contracts] == [
            contract.reference
        ]
        assert [s.key for s in find_suppliers(session, officer, "holdings", today)] == ["apt holdings"]
        assert session.scalars(select(AuditEvent.action).where(AuditEvent.case_id.is_(None))).all()[-1] == (
            "separate_supplier"
        )


def test_a_supplier_recorded_as_another_s_brings_its_own_other_names_with_it(core, db, holdings):
    """Names are one lookup from the supplier they are: when Acme (with APT Holdings recorded as its) is recorded
    as Bodge's name, both become Bodge's, and naming either of them names Bodge."""
    from provision_cycle.services.suppliers import names_of, record_same_supplier

    people, _, _, analyst = holdings
    register_contract(core, people, value="5000", ends=date(2027, 3, 31), supplier_name="Bodge Ltd")
    record_same_supplier(core, analyst, "apt holdings", "acme", "One company")
    assert record_same_supplier(core, analyst, "apt holdings", "bodge", "All one group") == "bodge"
    with db.reading() as session:
        assert names_of(session, "apt holdings") == names_of(session, "acme") == ("bodge", "acme", "apt holdings")


def test_recording_two_names_as_one_supplier_says_what_is_wrong_and_saves_nothing(core, db, holdings):
    from provision_cycle.errors import InvalidInput, NotPermitted
    from provision_cycle.models import SupplierAlias
    from provision_cycle.services.suppliers import record_same_supplier, separate_supplier

    people, _, _, analyst = holdings
    with pytest.raises(NotPermitted, match="Only the intelligence team"):
        record_same_supplier(core, people.head, "apt holdings", "acme", "One company")
    with pytest.raises(InvalidInput) as refused:
        record_same_supplier(core, analyst, "apt holdings", "nobody we know", "  ")
    assert refused.value.fields == {
        "reason": "Say how you know they are one company (a registration number, an invoice, a letter)",
        "same_as": "No contract, payment, tender, request to participate, dynamic market or framework you can see is with that supplier",
    }
    with pytest.raises(InvalidInput, match="already recorded as one supplier"):
        record_same_supplier(core, analyst, "acme", "acme", "Itself")
    with pytest.raises(InvalidInput, match="not recorded as another supplier's"):
        separate_supplier(core, analyst, "acme", "Never was")
    with pytest.raises(InvalidInput, match="Say why"):
        separate_supplier(core, analyst, "acme", "")
    record_same_supplier(core, analyst, "apt holdings", "acme", "One company")
    with pytest.raises(InvalidInput, match="already recorded as one supplier"):
        record_same_supplier(core, analyst, "acme", "apt holdings", "Again, the other way round")
    with db.reading() as session:
        assert session.scalars(select(SupplierAlias.key)).all() == ["apt holdings"]


def test_names_sharing_a_registration_number_are_listed_until_recorded_as_one(core, db):
    """Acme's register entry and a market application by its holding company give one Companies House number;
    Bodge's its own. The number is listed with both names, the one recorded most first, until the analyst
    records them as one supplier."""
    from provision_cycle.services import markets
    from provision_cycle.services.markets import ApplicationGiven, MarketGiven
    from provision_cycle.services.suppliers import names_sharing_a_number, record_same_supplier

    people = hub_people(db)
    for title in ("Stationery", "Toner"):
        register_contract(core, people, value="48000", ends=date(2028, 3, 31), supplier_name="Acme Ltd",
                          registration="01234567", title=title)  # fmt: skip
    register_contract(core, people, value="9000", ends=date(2028, 3, 31), supplier_name="Bodge Ltd",
                      registration="07654321")  # fmt: skip
    market_id = markets.open_market(core, people.officer, MarketGiven("Taxis", "", "", "OCC", "ict", date(2026, 2, 2)))
    given = ApplicationGiven("Acme Passenger Transport Holdings", "01234567", True, False, date(2026, 2, 9))
    markets.record_application(core, market_id, people.officer, given)
    analyst = create_user(db, ("intelligence_analyst", "OCC"))

    def listed(person: int) -> list[tuple[str, list[tuple[str, str]]]]:
        with db.reading() as session:
            found = names_sharing_a_number(session, core.engine.actor(session, person))
        return [(shared.number, shared.names) for shared in found]

    assert listed(analyst) == [
        ("01234567", [("acme", "Acme Ltd"), ("acme passenger transport holdings", "Acme Passenger Transport Holdings")])
    ]
    assert listed(create_user(db, ("category_officer", "CDC", "cnc"))) == []  # sees none of them
    record_same_supplier(core, analyst, "acme passenger transport holdings", "acme", "Companies House 01234567")
    assert listed(analyst) == []


def test_names_sharing_a_ppon_are_listed_and_each_page_points_to_the_other(core, db):
    """A PPON is one company's (it registers on the Central Digital Platform once): Acme's register entry and a
    market application by its trading name give one; the number is listed with both names, and each name's
    page points to the other."""
    from provision_cycle.services import markets
    from provision_cycle.services.markets import ApplicationGiven, MarketGiven
    from provision_cycle.services.suppliers import names_sharing_a_number

    people = hub_people(db)
    register_contract(core, people, value="48000", ends=date(2028, 3, 31), supplier_name="Acme Ltd",
                      supplier_ppon="PACM-1234-LTDX")  # fmt: skip
    market_id = markets.open_market(core, people.officer, MarketGiven("Taxis", "", "", "OCC", "ict", date(2026, 2, 2)))
    given = ApplicationGiven("Oxford Cabs", "", True, False, date(2026, 2, 9), supplier_ppon="gb-ppon-pacm-1234-ltdx")
    markets.record_application(core, market_id, people.officer, given)
    analyst = create_user(db, ("intelligence_analyst", "OCC"))
    with db.reading() as session:
        actor, today = core.engine.actor(session, analyst), core.engine.today()
        [shared] = names_sharing_a_number(session, actor)
        assert (shared.number, shared.names) == (
            "PACM-1234-LTDX",
            [("acme", "Acme Ltd"), ("oxford cabs", "Oxford Cabs")],
        )
        assert supplier(session, actor, "acme", today, core.workflows).same_number == [("oxford cabs", "Oxford Cabs")]
        assert supplier(session, actor, "oxford cabs", today, core.workflows).same_number == [("acme", "Acme Ltd")]


def test_a_supplier_is_named_by_its_own_name_even_where_only_its_other_names_are_in_the_register(core, db, acme):
    """Acme (in the register) recorded as a name of Brook Cleaning (only ever paid): the page is Brook
    Cleaning's, by that name, with Acme's contract under it."""
    from provision_cycle.services.suppliers import record_same_supplier

    people, contract = acme
    analyst = create_user(db, ("intelligence_analyst", "OCC"))
    record_same_supplier(core, analyst, "acme", "brook cleaning", "Brook Cleaning bought Acme")
    with db.reading() as session:
        page = supplier(
            session, core.engine.actor(session, people.officer), "acme", core.engine.today(), core.workflows
        )
    assert (page.key, page.name, page.spellings) == ("brook cleaning", "Brook Cleaning", ("Brook Cleaning",))
    assert [c.reference for c in page.contracts] == [contract.reference] and page.also[0].name == "Acme Ltd"


# --- the intelligence team's table of names ------------------------------------------------------------------
NAMES_FILE = """\
Name,Same supplier as,Reason
APT Holdings,Acme Ltd,Companies House 01234567
Brook Cleaning,APT HOLDINGS LIMITED,Brook trades as APT: its invoices say so
"""


def test_a_table_of_names_is_checked_whole_then_recorded_in_order_all_or_nothing(core, db, holdings):
    """The second row names the first's name: it sees the first row, so Brook joins Acme, not a name of a
    name. A file with any problem records nothing, and says every problem by line and column."""
    from provision_cycle.models import AuditEvent
    from provision_cycle.services.spreadsheet import FileRefused
    from provision_cycle.services.suppliers import load_supplier_names, names_of

    people, _, _, analyst = holdings
    checked = load_supplier_names(core, NAMES_FILE.encode(), actor_id=analyst)
    assert not checked.loaded and checked.pairs == [
        ("APT Holdings", "Acme Ltd"),
        ("Brook Cleaning", "APT HOLDINGS LIMITED"),
    ]
    with db.reading() as session:
        assert names_of(session, "acme") == ("acme",)  # checking records nothing

    wrong = NAMES_FILE + "Nobody We Know,Acme Ltd,A guess\nAcme,The Acme Ltd,Same\n=cmd,Acme Ltd,Typed\nAPT,Acme Ltd,\n"
    with pytest.raises(FileRefused) as refused:
        load_supplier_names(core, wrong.encode(), actor_id=analyst, apply=True)
    assert [str(p) for p in refused.value.problems] == [
        "line 4, Name: No contract, payment, tender, request to participate, dynamic market or framework you can see is with that supplier",
        "line 5, Same supplier as: They are already recorded as one supplier",
        "line 6, Name: No contract, payment, tender, request to participate, dynamic market or framework you can see is with that supplier",
        "line 7, Reason: Enter the reason",
    ]
    with db.reading() as session:
        assert names_of(session, "acme") == ("acme",)

    loaded = load_supplier_names(core, NAMES_FILE.encode(), actor_id=analyst, apply=True)
    assert loaded.loaded
    with db.reading() as session:
        assert names_of(session, "brook cleaning") == ("acme", "apt holdings", "brook cleaning")
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "load_supplier_names")).one()
    assert event.actor_id == analyst and event.data["names"] == 2 and event.data["sha256"] == loaded.digest


def test_the_command_records_a_table_of_names_for_an_analyst_only(core, db, holdings, tmp_path):
    from provision_cycle.app import create_app

    _, _, _, analyst = holdings
    with db.reading() as session:
        username = session.get(User, analyst).username
    names = tmp_path / "names.csv"
    names.write_text(NAMES_FILE, encoding="utf-8")
    runner = create_app(core.settings, core=core).test_cli_runner()
    checked = runner.invoke(args=["load-supplier-names", str(names), "--actor", username])
    assert checked.exit_code == 0 and "names.csv: 2 names of suppliers, ready to load" in checked.output
    refused = runner.invoke(args=["load-supplier-names", str(names), "--apply"])  # as the system: no analyst
    assert refused.exit_code == 1 and "Only the intelligence team" in refused.stderr
    recorded = runner.invoke(args=["load-supplier-names", str(names), "--apply", "--actor", username])
    assert recorded.exit_code == 0 and "Recorded 2 names of suppliers." in recorded.output


def test_a_supplier_that_only_tendered_or_applied_is_found_by_its_name_there(core, db, clock):
    """A tenderer the councils never contracted with, and an applicant to a dynamic market, are found by the
    words of their names (as the register's suppliers are), by the council's staff who see those tenders and
    markets; their names look alike to the register's where they are alike, for the intelligence team."""
    from provision_cycle.services import evaluation, markets
    from provision_cycle.services.evaluation import TenderGiven
    from provision_cycle.services.markets import ApplicationGiven, MarketGiven
    from provision_cycle.services.names_alike import names_alike

    from .factories import act, publish_tender_notice, ready_for_the_market, ready_to_recommend

    people = hub_people(db)
    register_contract(core, people, value="48000", ends=date(2028, 3, 31), supplier_name="Routewise Ltd")
    case_id = ready_for_the_market(core.engine, people, value="250000")
    publish_tender_notice(core.engine, case_id, people.officer)
    clock.set(date(2026, 4, 7))
    act(core.engine, case_id, "close_tenders", people.officer)
    ready_to_recommend(core.engine, case_id, people)
    for name in ("Brightwork Transport Ltd", "Route Wise Limited"):
        given = TenderGiven(name, "", True, False, "200000", date(2026, 4, 1))
        evaluation.record_tender(core, case_id, people.officer, given)
    market_id = markets.open_market(core, people.officer, MarketGiven("Taxis", "", "", "OCC", "ict", date(2026, 2, 2)))
    markets.record_application(
        core, market_id, people.officer, ApplicationGiven("Cherwell Cabs", "", True, False, date(2026, 2, 9))
    )

    def found(person: int, text: str) -> list[tuple[str, str, int]]:
        with db.reading() as session:
            actor = core.engine.actor(session, person)
            return [(s.key, s.name, s.contracts) for s in find_suppliers(session, actor, text, clock.today)]

    assert found(people.officer, "brightwork") == [("brightwork transport", "Brightwork Transport Ltd", 0)]
    assert found(people.officer, "cabs") == [("cherwell cabs", "Cherwell Cabs", 0)]
    assert found(people.officer, "route") == [
        ("routewise", "Routewise Ltd", 1),
        ("route wise", "Route Wise Limited", 0),
    ]
    cherwell = create_user(db, ("category_officer", "CDC", "cnc"))
    assert found(cherwell, "brightwork") == [] and found(cherwell, "cabs") == []  # OCC's tenders and market
    analyst = create_user(db, ("intelligence_analyst", "OCC"))
    with db.reading() as session:
        groups = names_alike(session, core.engine.actor(session, analyst), clock.today)
    assert [group.named for group in groups] == [[("routewise", "Routewise Ltd"), ("route wise", "Route Wise Limited")]]


def test_a_supplier_that_only_asked_to_participate_has_a_page_saying_what_became_of_it(core, db, clock):
    """A request to participate is on the supplier's record (seen as its tenders are): set aside with the
    reason, being assessed, invited to tender or not."""
    from provision_cycle.services import evaluation
    from provision_cycle.services.evaluation import RequestGiven

    from .factories import act, in_participation

    people = hub_people(db)
    first, second = in_participation(core.engine, people), in_participation(core.engine, people)
    clock.set(date(2026, 3, 10))
    for case_id in (first, second):
        for name in ("Brightwork Transport Ltd", "Cherwell Cabs"):
            given = RequestGiven(name, "01234567", True, False, date(2026, 3, 9), "", date(2026, 3, 9))
            evaluation.record_request(core, case_id, people.officer, given)
    clock.set(date(2026, 3, 30))
    invite = {
        "tenders_invited_on": "2026-03-30",
        "tenders_close_on": "2026-04-27",
        "invited_suppliers": "Cherwell Cabs",
    }
    act(core.engine, first, "invite_tenders", people.officer, inputs=invite)

    def page(person: int, key: str):
        with db.reading() as session:
            return supplier(session, core.engine.actor(session, person), key, clock.today, core.workflows)

    brightwork = page(people.officer, "brightwork transport")
    assert [(made.case.id, made.outcome) for made in brightwork.requests] == [
        (first, "Not invited to tender"),
        (second, "Being assessed"),
    ]  # the latest first, then by reference
    assert brightwork.name == "Brightwork Transport Ltd" and not brightwork.contracts
    # Both gave one Companies House number: perhaps one company, for the intelligence team to look at.
    assert brightwork.same_number == [("cherwell cabs", "Cherwell Cabs")]
    analyst = create_user(db, ("intelligence_analyst", "OCC"))
    with db.reading() as session:
        [shared] = names_sharing_a_number(session, core.engine.actor(session, analyst))
    assert (shared.number, shared.names) == (
        "01234567",
        [("brightwork transport", "Brightwork Transport Ltd"), ("cherwell cabs", "Cherwell Cabs")],
    )
    assert [made.outcome for made in page(people.officer, "cherwell cabs").requests if made.case.id == first] == [
        "Invited to tender"
    ]
    with db.reading() as session:
        officer = core.engine.actor(session, people.officer)
        assert [s.name for s in find_suppliers(session, officer, "brightwork", clock.today)] == [
            "Brightwork Transport Ltd"
        ]
    cherwell = create_user(db, ("category_officer", "CDC", "cnc"))
    with db.reading() as session, pytest.raises(NotFound):  # OCC's procurements
        supplier(session, core.engine.actor(session, cherwell), "brightwork transport", clock.today, core.workflows)
