"""Dynamic markets through their pages: opened, established, applications admitted and refused, members removed;
seen by the councils' staff, changed by the category team alone; and a competitive flexible procedure's tender
notice restricted to a market's members."""

from __future__ import annotations

import re
from datetime import date

from provision_cycle.models import DynamicMarket
from tests.factories import hub_people, ready_for_the_market
from tests.web.helpers import page_text


def _day(when: date) -> list[str]:
    return [str(when.day), str(when.month), str(when.year)]


MARKET = {
    "title": "Home to school transport",
    "description": "Taxi and minibus routes",
    "conditions": "An operator's licence\nEnhanced DBS checks for every driver",
    "authority": "OCC",
    "category": "ict",
    "intention_published_on": _day(date(2026, 2, 2)),
}


def test_the_category_team_runs_a_market_from_its_pages(core, db, browser):
    people = hub_people(db)
    officer = browser(people.officer)
    assert "Open a dynamic market" in officer.get("/markets/").text
    refused = officer.post("/markets/new", {**MARKET, "intention_published_on": _day(date(2026, 3, 9))}, status=400)
    assert "The date the intention notice was published cannot be in the future" in refused.text
    refused = officer.post("/markets/new", {**MARKET, "category": "adult_social_care"}, status=400)
    assert "Only the Health, Education and Social Care category team for OCC" in page_text(refused.text)
    response = officer.post("/markets/new", MARKET)
    with db.reading() as session:
        market_id = session.query(DynamicMarket.id).scalar()
    assert response.location.endswith(f"/markets/{market_id}")
    page = page_text(officer.get(f"/markets/{market_id}").text)
    assert "Intention published" in page and "Dynamic market notice: intention to establish (UK13)" in page
    assert "Record the market's establishment" in page and "Record a modification" not in page

    establishment = {"published_on": _day(date(2026, 2, 16)), "notice_id": "004321-2026"}
    officer.post(f"/markets/{market_id}/notices/establishment", establishment)
    new = f"/markets/{market_id}/applications/new"
    form = officer.get(new).text
    assert "Supplier&#39;s PPON (optional)" in form and "reserved to" not in form  # a market is not reserved
    application = {"supplier_is_sme": "yes", "supplier_is_vcse": "no", "applied_on": _day(date(2026, 2, 20))}
    refused = officer.post(new, {**application, "supplier_name": "Acme Cabs Ltd", "supplier_ppon": "PA-1"}, status=400)
    assert "Give the PPON as four letters, four digits and four letters" in refused.text
    officer.post(new, {**application, "supplier_name": "Acme Cabs Ltd", "supplier_ppon": "pacm-1234-cabs"})
    officer.post(new, {**application, "supplier_name": "Bodge Transport"})
    refused = officer.post(new, {**application, "supplier_name": "ACME CABS"}, status=400)
    assert "Acme Cabs Ltd applied on 20 February 2026: decide that first" in refused.text
    with db.reading() as session:
        acme, bodge = session.get(DynamicMarket, market_id).memberships
        assert (acme.supplier_ppon, bodge.supplier_ppon) == ("PACM-1234-CABS", "")
        acme, bodge = acme.id, bodge.id

    admit = f"/markets/{market_id}/applications/{acme}/admit"
    form = page_text(officer.get(admit).text)
    assert "Conditions for membership" in form and "Enhanced DBS checks" in form
    refused = officer.post(admit, {"decided_on": _day(date(2026, 2, 23))}, status=400)
    assert "Enter the date the supplier was checked" in refused.text
    officer.post(admit, {"decided_on": _day(date(2026, 2, 23)), "exclusions_checked_on": _day(date(2026, 2, 23))})
    refuse = f"/markets/{market_id}/applications/{bodge}/refuse"
    assert (
        "Say why the application is refused" in officer.post(refuse, {"on": _day(date(2026, 2, 24))}, status=400).text
    )
    officer.post(refuse, {"on": _day(date(2026, 2, 24)), "because": "No operator's licence"})
    page = page_text(officer.get(f"/markets/{market_id}").text)
    assert "1 supplier may take part" in page and "Acme Cabs Ltd SME 23 February 2026" in page
    assert "Bodge Transport : refused on 24 February 2026: No operator's licence" in page
    assert "No application is waiting for a decision" in page

    officer.post(
        f"/markets/{market_id}/members/{acme}/remove", {"on": _day(date(2026, 2, 27)), "because": "Now excluded"}
    )
    officer.post(
        f"/markets/{market_id}/notices/cessation", {"published_on": _day(date(2026, 3, 2)), "summary": "Replaced"}
    )
    page = page_text(officer.get(f"/markets/{market_id}").text)
    assert "Ceased" in page and "No supplier is a member yet" in page and "Record an application" not in page
    assert "Acme Cabs Ltd : admitted on 23 February 2026, removed on 27 February 2026: Now excluded" in page
    # Its notices as open data, linked from its page: the intention, the establishment, the cessation.
    assert f"/markets/{market_id}/ocds.json" in officer.get(f"/markets/{market_id}").text
    package = officer.get(f"/markets/{market_id}/ocds.json").json
    assert [r["tender"]["documents"][0]["noticeType"] for r in package["releases"]] == ["UK13", "UK14", "UK16"]
    assert package["releases"][1]["tender"]["documents"][0]["description"] == "Find a Tender notice 004321-2026"
    assert "Find a Tender 004321-2026" in page
    # A supplier known only from a market has a page of its own, which lists its markets.
    supplier = page_text(officer.get("/suppliers/bodge transport").text)
    assert "Dynamic markets" in supplier and "Home to school transport : refused on 24 February 2026" in supplier


def test_staff_see_markets_and_only_the_category_team_changes_them(core, db, browser):
    people = hub_people(db)
    browser(people.officer).post("/markets/new", MARKET)
    with db.reading() as session:
        market_id = session.query(DynamicMarket.id).scalar()
    finance = browser(people.finance)
    assert "Home to school transport" in finance.get("/markets/").text
    page = finance.get(f"/markets/{market_id}").text
    assert (
        "Record the market's establishment" not in page and "Open a dynamic market" not in finance.get("/markets/").text
    )
    finance.get(f"/markets/{market_id}/notices/establishment", status=404)
    finance.post(f"/markets/{market_id}/notices/establishment", {"published_on": _day(date(2026, 2, 16))}, status=404)
    finance.get("/markets/new", status=404)
    browser(people.requester).get(f"/markets/{market_id}", status=404)
    browser(people.requester).get(f"/markets/{market_id}/ocds.json", status=404)
    cdc = hub_people(db, "CDC")
    browser(cdc.head).get(f"/markets/{market_id}", status=404)
    assert "Home to school transport" not in browser(cdc.head).get("/markets/").text


def test_a_tender_notice_restricts_a_procurement_to_a_market_s_members(core, db, browser, clock):
    people = hub_people(db)
    officer = browser(people.officer)
    officer.post("/markets/new", MARKET)
    with db.reading() as session:
        market = session.query(DynamicMarket).one()
    officer.post(f"/markets/{market.id}/notices/establishment", {"published_on": _day(date(2026, 2, 16))})
    case_id = ready_for_the_market(core.engine, people, value="250000", route="competitive_flexible")
    form = page_text(officer.get(f"/cases/{case_id}/actions/publish_tender_notice").text)
    assert "Is taking part restricted to the members of a dynamic market?" in form
    assert f"{market.reference}: Home to school transport" in form
    notice = {
        "tender_notice_published_on": _day(date(2026, 3, 2)),
        "participation_closes_on": _day(date(2026, 3, 27)),
        "market_engaged": "no",
        "by_dynamic_market": "yes",
    }
    refused = officer.post(f"/cases/{case_id}/actions/publish_tender_notice", notice, status=400)
    assert "Choose one: Which dynamic market" in refused.text
    officer.post(f"/cases/{case_id}/actions/publish_tender_notice", {**notice, "dynamic_market": market.reference})
    page = page_text(officer.get(f"/markets/{market.id}").text)
    assert "Procurements run by reference to the market" in page and "Case management system" in page
    case_page = page_text(officer.get(f"/cases/{case_id}").text)
    assert f"Only the members of the dynamic market {market.reference} Home to school transport may take part" in (
        case_page
    )


def test_a_market_in_parts_through_its_pages(core, db, browser):
    people = hub_people(db)
    officer = browser(people.officer)
    assert 'name="parts"' in officer.get("/markets/new").text  # the form asks for them
    officer.post("/markets/new", {**MARKET, "parts": "North Oxfordshire\nSouth Oxfordshire\n"})
    with db.reading() as session:
        market = session.query(DynamicMarket).one()
    assert market.parts == ["North Oxfordshire", "South Oxfordshire"]
    new = f"/markets/{market.id}/applications/new"
    application = {"supplier_name": "Acme Cabs", "supplier_is_sme": "yes", "supplier_is_vcse": "no"}
    application["applied_on"] = _day(date(2026, 2, 20))
    refused = officer.post(new, application, status=400)
    assert f"Choose the parts of {market.reference} the supplier applies for" in refused.text
    officer.post(new, {**application, "parts": ["North Oxfordshire", "South Oxfordshire"]})
    with db.reading() as session:
        [acme] = session.get(DynamicMarket, market.id).memberships
    admit = f"/markets/{market.id}/applications/{acme.id}/admit"
    form = officer.get(admit).text
    assert re.search(r'value="North Oxfordshire"\s+checked', form)  # those it applied for, to start with
    dates = {"decided_on": _day(date(2026, 2, 23)), "exclusions_checked_on": _day(date(2026, 2, 23))}
    officer.post(admit, {**dates, "parts": ["South Oxfordshire"]})
    page = page_text(officer.get(f"/markets/{market.id}").text)
    assert "Parts North Oxfordshire South Oxfordshire Conditions for membership" in page
    assert "Acme Cabs SME South Oxfordshire 23 February 2026" in page

    # A modification adds a part, and the member applies for it; admitted, it is a member of both.
    officer.post(f"/markets/{market.id}/notices/establishment", {"published_on": _day(date(2026, 2, 24))})
    modification = f"/markets/{market.id}/notices/modification"
    assert "Parts it adds (optional)" in officer.get(modification).text
    notice = {"published_on": _day(date(2026, 3, 1)), "summary": "A part for the city"}
    refused = officer.post(modification, {**notice, "parts_added": "south oxfordshire"}, status=400)
    assert "Give each part a name of its own" in refused.text
    officer.post(modification, {**notice, "parts_added": "Oxford city\n"})
    officer.post(new, {**application, "supplier_name": "ACME CABS LTD", "parts": ["South Oxfordshire", "Oxford city"]})
    page = page_text(officer.get(f"/markets/{market.id}").text)
    assert "A part for the city Parts added: Oxford city" in page
    assert "ACME CABS LTD (a member, for more parts: Oxford city)" in page
    with db.reading() as session:
        more = session.get(DynamicMarket, market.id).memberships[-1]
    admit = f"/markets/{market.id}/applications/{more.id}/admit"
    assert "Admit ACME CABS LTD to more parts" in officer.get(admit).text
    officer.post(admit, {**dates, "parts": ["Oxford city"]})
    page = page_text(officer.get(f"/markets/{market.id}").text)
    assert "Acme Cabs SME South Oxfordshire, Oxford city 23 February 2026" in page
    assert "No application is waiting for a decision" in page


def test_the_overview_lists_the_markets_whose_applications_wait(core, db, browser):
    from provision_cycle.services import markets
    from provision_cycle.services.markets import ApplicationGiven, MarketGiven

    people = hub_people(db)
    given = MarketGiven("Taxis", "", "", "OCC", "ict", date(2026, 2, 2))
    market_id = markets.open_market(core, people.officer, given)
    waiting = ApplicationGiven("Acme Cabs", "", True, False, date(2026, 2, 10))
    markets.record_application(core, market_id, people.officer, waiting)
    page = page_text(browser(people.head).get("/overview").text)
    assert f"DM-{market_id:06d} Taxis : 1 waiting, the longest since 10 February 2026" in page
