"""The frameworks register through its pages: a framework added and corrected by a category team, seen by the
councils' staff, and chosen by a call-off, which then shows on the framework's page."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from html import unescape

from sqlalchemy import select

from provision_cycle.models import Case, Contract, Framework
from tests.factories import called_off, hub_people, ready_for_the_market
from tests.web.conftest import csrf_from
from tests.web.helpers import called_off_contract, page_text

FRAMEWORK = {
    "provider": "Crown Commercial Service",
    "reference": "RM6098",
    "lot": "1",
    "title": "Technology Products 2",
    "regime": "PCR2015",
    "starts_on": ["1", "7", "2021"],
    "ends_on": ["31", "12", "2026"],
    "authority": "JOINT",
    "notes": "Direct award or further competition",
}


def test_a_category_team_keeps_the_register_and_a_call_off_chooses_from_it(core, db, browser):
    people = hub_people(db)
    officer = browser(people.officer)
    assert "Add a framework" in officer.get("/frameworks/").text
    refused = officer.post("/frameworks/new", {**FRAMEWORK, "regime": "PA2023"}, status=400)
    assert "was procured under the Public Contracts Regulations 2015" in page_text(refused.text)
    refused = officer.post("/frameworks/new", {**FRAMEWORK, "ends_on": ["31", "12", "9999"]}, status=400)
    assert "Last date a call-off may be made under it: 9999-12-31 is not a plausible date: check the year" in page_text(
        refused.text
    )
    response = officer.post("/frameworks/new", FRAMEWORK)
    with db.reading() as session:
        framework_id = session.query(Framework.id).scalar()
    assert response.location.endswith(f"/frameworks/{framework_id}")
    page = page_text(officer.get(f"/frameworks/{framework_id}").text)
    assert "Running" in page and "Public Contracts Regulations 2015: its call-offs follow it" in page
    assert "Its term runs past four years, which the Public Contracts Regulations 2015 allow only" in page
    edit = f"/frameworks/{framework_id}/edit"
    opened = officer.get(edit).text  # a colleague opens the form too, before this correction
    officer.post(edit, {**FRAMEWORK, "ends_on": ["30", "6", "2027"]})
    assert "1 July 2021 to 30 June 2027" in page_text(officer.get(f"/frameworks/{framework_id}").text)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', opened).group(1)
    late = {**FRAMEWORK, "ends_on": ["31", "12", "2028"], "csrf_token": csrf_from(opened), "version": version}
    response = officer.client.post(edit, data=late)
    assert response.status_code == 302 and response.location.endswith(edit)
    assert "after you opened this page" in page_text(officer.get(edit).text)
    assert "1 July 2021 to 30 June 2027" in page_text(officer.get(f"/frameworks/{framework_id}").text)

    finance = browser(people.finance)
    assert "RM6098" in finance.get("/frameworks/").text and "Add a framework" not in finance.get("/frameworks/").text
    finance.get(f"/frameworks/{framework_id}/edit", status=404)
    finance.get("/frameworks/new", status=404)
    browser(people.requester).get(f"/frameworks/{framework_id}", status=404)

    case_id = ready_for_the_market(core.engine, people, value="250000", route="framework_call_off")
    form = page_text(officer.get(f"/cases/{case_id}/actions/start_call_off").text)
    assert "Crown Commercial Service RM6098 lot 1: Technology Products 2 (calls off to 30 June 2027)" in form
    officer.post(f"/cases/{case_id}/actions/start_call_off", {"framework": str(framework_id), "direct_call_off": "no"})
    with db.reading() as session:
        assert session.get(Case, case_id).regime == "PCR2015"
    page = page_text(officer.get(f"/frameworks/{framework_id}").text)
    assert "Case management system" in page
    assert "0 awarded so far, worth £0.00 excluding VAT" in page and "Framework call-off £" in page
    assert "(estimate)" in page
    case_page = page_text(officer.get(f"/cases/{case_id}").text)
    assert "Public Contracts Regulations 2015, as the framework it is called off from was procured under it" in (
        case_page
    )
    assert (
        "Called off under Crown Commercial Service RM6098 lot 1: Technology Products 2 , which calls off to 30 June 2027"
        in case_page
    )


def test_a_call_off_waits_for_a_framework_in_the_register(core, db, browser):
    people = hub_people(db)
    case_id = ready_for_the_market(core.engine, people, value="250000", route="framework_call_off")
    page = page_text(browser(people.officer).get(f"/cases/{case_id}/actions/start_call_off").text)
    assert "No framework in the register is running today for this council" in page


def test_a_called_off_contract_names_its_framework(core, db, browser):
    people = hub_people(db)
    contract_id = called_off_contract(core, db, people)
    page = page_text(browser(people.contract_manager).get(f"/contracts/{contract_id}").text)
    assert "Called off under Crown Commercial Service RM6098 lot 1: Technology Products 2" in page
    assert "Legal regime Public Contracts Regulations 2015" in page
    with db.reading() as session:
        procured = session.get(Case, session.get(Contract, contract_id).procurement_case_id)
    assert f"Came into the register Procured here: {procured.reference} {procured.title}" in page
    exported = list(csv.DictReader(io.StringIO(browser(people.officer).get("/contracts/export.csv").text)))
    assert [row["Framework"] for row in exported] == ["Crown Commercial Service RM6098 lot 1: Technology Products 2"]


def test_a_call_off_under_a_pcr_framework_is_described_in_that_law_s_words(core, db, browser):
    """Its case page cites the PCR 2015 for its team's declarations (reg 24) and calls what it published after
    signature by that law's name: the award's notice (on Contracts Finder, reg 108), not the Act's UK7."""
    from provision_cycle.models import Contract

    people = hub_people(db)
    contract_id = called_off_contract(core, db, people)
    with db.reading() as session:
        case_id = session.get(Contract, contract_id).procurement_case_id
    page = page_text(browser(people.officer).get(f"/cases/{case_id}").text)
    assert "and the award recommendation (Public Contracts Regulations 2015 reg 24)" in page
    assert "Contract award notice (PCR 2015)" in page and "Contract details notice (UK7)" not in page
    assert "PCR 2015 reg 108(1)(b), a call-off under a framework agreement" in page
    team = page_text(browser(people.officer).get(f"/cases/{case_id}/team").text)
    assert "(Public Contracts Regulations 2015 reg 24)" in team and "Procurement Act 2023" not in team


def test_a_pcr_dynamic_purchasing_system_is_recorded_as_one(core, db, browser):
    people = hub_people(db)
    officer = browser(people.officer)
    assert "Is it a dynamic purchasing system?" in officer.get("/frameworks/new").text
    dps = {**FRAMEWORK, "reference": "OCC-DPS-7", "ends_on": ["31", "3", "2028"], "dps": "yes", "direct_award": "no",
           "suppliers": "Acme Travel\nBodge Coaches"}  # fmt: skip
    shown = officer.post("/frameworks/new", dps).location
    page = page_text(officer.get(shown).text)
    assert "a dynamic purchasing system (Public Contracts Regulations 2015 regulation 34)" in page
    supplier = page_text(officer.get("/suppliers/acme%20travel").text)
    assert "OCC-DPS-7 lot 1: Technology Products 2 (a dynamic purchasing system it is admitted to)" in supplier
    refused = page_text(
        officer.post("/frameworks/new", {**dps, "reference": "X", "direct_award": "yes"}, status=400).text
    )
    assert "A dynamic purchasing system's contracts are awarded after a competition among its admitted" in refused


def test_a_framework_under_the_act_runs_four_years_or_eight_open(core, db, browser):
    officer = browser(hub_people(db).officer)
    under_the_act = {**FRAMEWORK, "regime": "PA2023", "starts_on": ["1", "4", "2025"], "ends_on": ["1", "4", "2029"]}
    refused = page_text(officer.post("/frameworks/new", under_the_act, status=400).text)
    assert (
        "a framework runs four years at most (s47): one that started on 1 April 2025 ends by 31 March 2029" in refused
    )
    officer.post("/frameworks/new", {**under_the_act, "open_framework": "yes"})
    with db.reading() as session:
        framework_id = session.query(Framework.id).scalar()
    page = page_text(officer.get(f"/frameworks/{framework_id}").text)
    assert "1 April 2025 to 1 April 2029 (the last day a call-off may be made), an open framework" in page
    assert "runs past four years" not in page
    assert re.search(r'value="yes"\s+checked', officer.get(f"/frameworks/{framework_id}/edit").text)


def test_a_framework_s_suppliers_are_listed_on_its_page(core, db, browser):
    officer = browser(hub_people(db).officer)
    refused = officer.post("/frameworks/new", {**FRAMEWORK, "suppliers": "Acme Ltd\nACME LIMITED\n"}, status=400)
    assert "&#39;ACME LIMITED&#39; is &#39;Acme Ltd&#39; again: list each supplier once" in refused.text
    officer.post("/frameworks/new", {**FRAMEWORK, "suppliers": "Acme Ltd\r\nBodge IT\r\n"})
    with db.reading() as session:
        framework_id = session.query(Framework.id).scalar()
    page = page_text(officer.get(f"/frameworks/{framework_id}").text)
    assert "Suppliers on it Acme Ltd Bodge IT A call-off takes tenders from them alone" in page
    assert "Acme Ltd\nBodge IT</textarea>" in officer.get(f"/frameworks/{framework_id}/edit").text
    # Each links to the supplier's page, which lists the framework (a supplier known only from it too).
    bodge = officer.get("/suppliers/bodge%20it")
    assert f'href="/frameworks/{framework_id}"' in bodge.text
    assert "It is one of the suppliers on these frameworks" in page_text(bodge.text)
    assert 'href="/suppliers/bodge%20it"' in officer.get(f"/frameworks/{framework_id}").text


def test_a_framework_s_fee_is_shown_with_what_it_comes_to(core, db, browser):
    officer = browser(hub_people(db).officer)
    refused = officer.post("/frameworks/new", {**FRAMEWORK, "fee_percent": "a little"}, status=400)
    assert "Give the fee as a percentage of each call-off" in refused.text
    officer.post("/frameworks/new", {**FRAMEWORK, "fee_percent": "0.5"})
    with db.reading() as session:
        framework_id = session.query(Framework.id).scalar()
    page = page_text(officer.get(f"/frameworks/{framework_id}").text)
    assert "Fee on each call-off 0.5% of its value: £0.00 on the call-offs awarded so far" in page
    assert 'value="0.5"' in officer.get(f"/frameworks/{framework_id}/edit").text


def test_a_direct_call_off_s_award_form_offers_the_framework_s_suppliers(core, db, browser):
    from provision_cycle.services.frameworks import FrameworkGiven, record_framework

    people = hub_people(db)
    given = FrameworkGiven("CCS", "RM6098", "1", "Tech", "PCR2015", date(2024, 1, 1), date(2027, 12, 31), "OCC",
                           suppliers=["Acme Ltd", "Bodge & Sons"], direct_award=True)  # fmt: skip
    framework_id = record_framework(core, people.officer, given)
    case_id = called_off(core.engine, people, framework_id)
    form = browser(people.officer).get(f"/cases/{case_id}/actions/recommend_award").text
    assert 'list="supplier_name-suggestions"' in form
    assert (
        '<datalist id="supplier_name-suggestions"><option value="Acme Ltd"></option><option value="Bodge &amp; Sons">'
        in form
    )


def test_the_frameworks_are_downloaded_with_how_much_each_is_used(core, db, browser):
    people = hub_people(db)
    called_off_contract(core, db, people)  # under RM6098, its award of 240,000 approved and signed
    officer = browser(people.officer)
    assert "Download the frameworks as CSV" in officer.get("/frameworks/").text
    [row] = list(csv.DictReader(io.StringIO(officer.get("/frameworks/export.csv").text)))
    assert row | {"Starts": "", "Last call-off date": ""} == {
        "Provider": "Crown Commercial Service", "Reference": "RM6098", "Lot": "1", "Title": "Technology Products 2",
        "Procured under": "Public Contracts Regulations 2015", "Starts": "", "Last call-off date": "",
        "Councils": "Joint (Oxfordshire and Cherwell)", "Open framework": "no", "Dynamic purchasing system": "no",
        "Councils established it": "no",
        "Next re-opening due by": "", "Direct award allowed": "yes",
        "Fee on each call-off (%)": "", "Suppliers listed": "0", "Call-offs": "1", "Call-offs awarded": "1",
        "Awarded value excluding VAT": "240000.00", "Fee on those awarded": "",
    }  # fmt: skip
    assert list(csv.reader(io.StringIO(browser(people.requester).get("/frameworks/export.csv").text)))[1:] == []


def test_an_open_framework_s_re_openings_are_recorded_on_its_page(core, db, browser, clock):
    """The page says by when the open framework must next be re-opened (PA23 s49(2)(a)), and its category team
    records a re-opening there: the next framework's award date and its suppliers, who become the list."""
    from provision_cycle.services.frameworks import FrameworkGiven, record_framework

    people = hub_people(db)
    given = FrameworkGiven("Oxfordshire County Council", "OCC-HC-01", "", "Home care", "PA2023", date(2025, 6, 2),
                           date(2033, 6, 1), "OCC", open_framework=True, council_established=True,
                           suppliers=("Acme Care", "Bright Homes"))  # fmt: skip
    framework_id = record_framework(core, people.officer, given)
    clock.set(date(2028, 7, 1))
    officer = browser(people.officer)
    page = page_text(officer.get(f"/frameworks/{framework_id}").text)
    assert "It was due to be re-opened by 1 June 2028" in page
    assert "The councils established it, so re-opening it is theirs to do." in page
    form = officer.get(f"/frameworks/{framework_id}/reopenings/new").text
    assert "Acme Care\nBright Homes" in unescape(form)  # the list as it stands, to change
    url = f"/frameworks/{framework_id}/reopenings/new"
    refused = page_text(
        officer.post(url, {"awarded_on": ["1", "1", "2025"], "suppliers": "Acme Care"}, status=400).text
    )
    assert "A re-opening comes after the framework's latest award, on 2 June 2025" in refused
    officer.post(url, {"awarded_on": ["30", "6", "2028"], "suppliers": "Acme Care\nBright Homes\nCarewell Ltd"})
    page = page_text(officer.get(f"/frameworks/{framework_id}").text)
    assert "Next re-opening due by 29 June 2033" not in page  # the scheme ends first, on 1 June 2033
    assert "No further re-opening is due: the scheme ends on 1 June 2033 first" in page
    assert "30 June 2028 (re-opened) 3 1" in page and "2 June 2025 (the first) 2" in page
    assert "Carewell Ltd" in page
    [row] = list(csv.DictReader(io.StringIO(officer.get("/frameworks/export.csv").text)))
    assert (row["Open framework"], row["Councils established it"], row["Next re-opening due by"]) == ("yes", "yes", "")
    # Someone outside the category team sees the page but no way to record one.
    assert "Record a re-opening" not in browser(people.finance).get(f"/frameworks/{framework_id}").text
    browser(people.finance).get(url, status=404)


def test_a_framework_s_re_opening_is_a_task_that_leads_to_its_page_and_closes_with_the_re_opening(
    core, db, browser, clock
):
    """The keeper's task names the framework, links to it and to recording the re-opening, and is statutory;
    recording the re-opening completes it."""
    from provision_cycle.models import Task
    from provision_cycle.scheduling.config import schedule_for
    from provision_cycle.scheduling.sweeps import remind_framework_reopenings
    from provision_cycle.services.frameworks import record_framework
    from tests.test_frameworks import HOME_CARE

    people = hub_people(db)
    framework_id = record_framework(core, people.officer, HOME_CARE)
    clock.set(date(2028, 4, 3))
    remind_framework_reopenings(core, schedule_for(core), clock.today)
    with db.reading() as session:
        task_id = session.scalars(select(Task.id).where(Task.framework_id == framework_id)).one()
    officer = browser(people.officer)
    listed = page_text(officer.get("/tasks/").text)
    assert "Re-open Oxfordshire County Council OCC-HC-01 1 June 2028 Statutory" in listed
    page = officer.get(f"/tasks/{task_id}").text
    assert f'href="/frameworks/{framework_id}">Oxfordshire County Council OCC-HC-01: Home care</a>' in page
    assert f'href="/frameworks/{framework_id}/reopenings/new">Record the re-opening</a>' in page
    assert "Not to be re-opened: the scheme ends (correct its end date in the register)" in page
    url = f"/frameworks/{framework_id}/reopenings/new"
    officer.post(url, {"awarded_on": ["1", "4", "2028"], "suppliers": "Acme Care\nBright Homes\nCarewell Ltd"})
    assert "Re-open Oxfordshire County Council OCC-HC-01" not in officer.get("/tasks/").text
    done = page_text(browser(people.finance).get(f"/tasks/{task_id}").text)  # the council's staff see it, done
    assert "Completed on" in done and "Record the re-opening" not in done and "Snooze the task" not in done


def test_a_joint_framework_s_call_offs_are_listed_to_whom_may_see_them_and_counted_for_everyone(core, db, browser):
    """OCC calls off from a joint framework: OCC's staff see its procurement linked; Cherwell's, who may not
    open it, are told there is one call-off of another council's, and not its title (nor a link that would
    be Not Found)."""
    people = hub_people(db)
    officer = browser(people.officer)
    officer.post("/frameworks/new", FRAMEWORK)
    with db.reading() as session:
        framework_id = session.query(Framework.id).scalar()
    case_id = called_off(core.engine, people, framework_id, directly=False)
    page = page_text(officer.get(f"/frameworks/{framework_id}").text)
    assert f"PRC-{case_id:06d} Case management system OCC" in page and "another council" not in page
    cherwell = hub_people(db, "CDC")
    page = browser(cherwell.officer).get(f"/frameworks/{framework_id}").text
    assert f"/cases/{case_id}" not in page and "Case management system" not in page
    assert "0 awarded so far, worth £0.00 excluding VAT" in page_text(page) and 'class="govuk-table"' not in page
    assert "The call-off under it is another council's, whose procurements you do not see" in page_text(page)
