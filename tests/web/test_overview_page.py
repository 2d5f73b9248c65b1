"""The overview page: for the people who answer for the cycle, starting with their pillar."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from html import unescape

from provision_cycle.governance.calendar import add_months
from provision_cycle.web.filters import day
from tests.factories import act, called_off, create_user, declare, hub_people, new_request, register_contract
from tests.web.helpers import page_text, payments_compliance_due, renewal_task, seed_contracts


def test_a_head_of_category_sees_their_pillar_at_a_glance(core, db, browser):
    people = hub_people(db)  # Corporate and Commercial, OCC
    case_id = new_request(core.engine, people.requester, value="250000")
    act(core.engine, case_id, "submit", people.requester)
    asked = new_request(core.engine, people.requester, value="18000")
    act(core.engine, asked, "submit", people.requester)
    declare(core.engine, asked, people.manager)
    act(core.engine, asked, "request_info", people.manager, reason="Which budget pays for it?")
    seed_contracts(core, people, 2)  # Corporate supplies, ending in 30 and 60 days
    head = browser(people.head)
    page = head.get("/overview").text
    assert re.search(r'href="/overview"\s+aria-current="true"', page)  # the menu lights Overview...
    assert not re.search(r'href="/my-work"\s+aria-current', page)  # ...not My work, which shares its blueprint
    assert re.search(r'<option value="cnc"\s+selected', page)  # their pillar first
    assert "Procurements running</dt>" in page and "2, worth £268,000.00" in page
    within = re.search(r"Within 3 months</th>\s*<td[^>]*><a [^>]*>(\d+)<span", page)
    assert within and within.group(1) == "2"
    assert "Route approval" in page and "Approvals waiting</dt>" in page
    assert "1; the longest since 2 March 2026 (today); and 1 waiting on its requester to answer a question" in page
    everything = head.get("/overview?pillar=eni").text
    assert "Procurements running</dt>" in everything and "0, worth £0.00" in everything


def test_each_renewal_band_lists_its_contracts_in_the_register(core, db, browser):
    """A count on the overview opens the register on the contracts it counts: the band's end dates, the
    pillar and the council chosen, a joint contract with either council (as the overview counts it)."""
    people, cherwell = hub_people(db), hub_people(db, "CDC")
    today = core.engine.today()
    for title, days, authority, category in (
        ("Soon", 20, "OCC", "corporate_supplies"),
        ("Joint soon", 40, "JOINT", "corporate_supplies"),
        ("Cherwell soon", 50, "CDC", "corporate_supplies"),
        ("Waste soon", 60, "OCC", "waste"),  # another pillar
        ("Later", 120, "OCC", "corporate_supplies"),
        ("Far", 700, "OCC", "corporate_supplies"),  # beyond the pipeline
    ):
        p = cherwell if authority == "CDC" else people
        register_contract(core, p, value="50000", ends=today + timedelta(days=days), title=title,
                          authority=authority, category=category)  # fmt: skip
    head = browser(create_user(db, ("head_of_category", "OCC", "cnc"), ("head_of_category", "CDC", "cnc")))

    def band(page: str, label: str) -> tuple[str, str]:
        found = re.search(
            rf'{label}</th>\s*<td[^>]*><a class="govuk-link" href="([^"]+)">(\d+)<span[^>]*> contracts ending (.+?)</span></a>',
            page,
        )
        assert found and found[3] == label.lower(), f"no link for {label}"
        return unescape(found[1]), found[2]

    def titles(url: str) -> set[str]:
        rows = re.findall(r'class="govuk-link hub-nowrap" href="/contracts/\d+">[^<]+</a></td>\s*<td[^>]*>([^<]+)<',
                          head.get(url).text)  # fmt: skip
        return set(rows)

    oxfordshire = head.get("/overview?pillar=cnc&authority=OCC").text
    url, count = band(oxfordshire, "Within 3 months")
    assert count == "2" and titles(url) == {"Soon", "Joint soon"}
    three = add_months(today, 3)
    assert f"ends_from={today.isoformat()}" in url and f"ends_by={three.isoformat()}" in url
    url, count = band(oxfordshire, "In 3 to 6 months")
    assert count == "1" and titles(url) == {"Later"}
    assert f"ends_from={(three + timedelta(days=1)).isoformat()}" in url
    url, count = band(head.get("/overview?pillar=cnc&authority=CDC").text, "Within 3 months")
    assert count == "2" and titles(url) == {"Joint soon", "Cherwell soon"}
    url, count = band(head.get("/overview?pillar=cnc").text, "Within 3 months")
    assert count == "3" and titles(url) == {"Soon", "Joint soon", "Cherwell soon"}
    listed = head.get(url).text
    assert f"Ending from {day(today)} to {day(three)}. Any end date" in page_text(listed)
    assert f'<input type="hidden" name="ends_by" value="{three.isoformat()}">' in listed  # kept by a new search
    refused = head.get("/contracts/?ends_from=2027-02-30", status=400).text
    assert "The end dates must be given as year-month-day, like 2027-03-31, not &#39;2027-02-30&#39;" in refused
    assert '<a href="#window">' in refused and 'id="window"' in refused
    refused = page_text(head.get("/contracts/?ends_from=2027-03-01&ends_by=2027-02-01", status=400).text)
    assert "The last end date must be on or after the first" in refused


def test_the_councils_own_notices_are_listed_with_whose_they_are(core, db, browser, clock):
    """The S151 officer's payments compliance notice, a day past its date: the head of category sees whose
    it is and opens it to see what it is, but it is not theirs to do; the S151 officer does it from there."""
    people = hub_people(db)
    payments_compliance_due(core, people, clock)  # due 29 October 2026
    clock.set(date(2026, 10, 30))
    page = browser(people.head).get("/overview").text
    table = page[page.index('id="council-duties"') :]
    row = re.search(
        r'<a class="govuk-link" href="(/tasks/\d+)">OCC: Publish the payments compliance notice</a></td>\s*'
        r"<td[^>]*>Sam S151</td>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>",
        table,
        re.S,
    )
    assert row and row.group(2) == "29 October 2026" and "Overdue" in row.group(3)
    task = browser(people.head).get(row.group(1)).text
    assert "This is Sam S151's task." in task and "Complete the task" not in task and "snooze" not in task
    own = browser(people.s151).get(row.group(1)).text
    assert "Sam S151's task" not in own and "Or snooze it" in own
    browser(people.requester).get(row.group(1), status=404)  # not the council's staff
    browser(create_user(db, ("category_officer", "CDC", "cnc"))).get(row.group(1), status=404)  # nor OCC's

    # The S151 officer leaves with it still to do: the list says so, where nobody would otherwise see why.
    from provision_cycle.services.people import set_active

    set_active(core, people.s151, False, actor_id=create_user(db, ("administrator", "OCC")))
    table = browser(people.head).get("/overview").text.split('id="council-duties"')[1]
    assert re.search(r"<td[^>]*>Sam S151 <strong[^>]*>Has left</strong></td>", table)


def test_only_those_who_answer_for_the_cycle_have_it(core, db, browser):
    people = hub_people(db)
    browser(people.requester).get("/overview", status=403)
    officer = browser(people.officer)
    officer.get("/overview", status=403)
    assert 'href="/overview"' not in officer.get("/my-work").text
    assert 'id="oversight"' not in officer.get("/my-work").text
    analyst = browser(create_user(db, ("intelligence_analyst", "OCC")))
    landing = analyst.get("/my-work").text
    assert 'href="/overview"' in landing and 'id="oversight"' in landing and "/contracts/transparency" in landing
    assert "Overview" in analyst.get("/overview?pillar=nonsense&authority=XYZ").text  # unknown filters: all


def test_the_overview_shows_spend_the_contracts_paid_beyond_their_value_and_spend_off_contract(core, db, browser):
    from provision_cycle.models import Contract
    from provision_cycle.services.spend import load_spend

    people = hub_people(db)
    [contract_id] = seed_contracts(core, people, 1)  # worth 10,000
    with db.reading() as session:
        contract = session.get(Contract, contract_id)
        reference, supplier = contract.reference, contract.supplier_name
    spend = (
        "Council,Transaction number,Date paid,Supplier,Amount,Contract reference\n"
        f"OCC,T-1,2026-01-05,S,12500,{reference}\nOCC,T-2,2026-01-06,Acme Ltd,7000,\n"
        f"OCC,T-3,2026-01-07,{supplier.upper()},600,\n"  # the contract's supplier, its payment not coded to it
    )
    load_spend(core, spend.encode(), actor_id=people.system, apply=True)
    page = browser(people.head).get("/overview").text  # their pillar's: payments under its contracts
    assert "Paid since 1 April 2025, excluding VAT:" in page and "<strong>£12,500.00</strong>" in page
    assert "Contracts paid more than their value" in page and "£2,500.00" in page
    assert 'id="off-contract"' not in page  # spend under no contract is no pillar's
    page = browser(people.head).get("/overview?pillar=").text  # every pillar's
    assert "<strong>£20,100.00</strong>" in page
    by_category = page[page.index('id="spend-by-category"') :].split("</table>")[0]
    assert re.search(
        r'href="/contracts/\?category=corporate_supplies&amp;show=all&amp;status=">Corporate supplies</a></th>\s*'
        r"<td[^>]*>Corporate and Commercial</td>\s*<td[^>]*>1</td>\s*<td[^>]*>1</td>\s*<td[^>]*>£12,500.00</td>",
        by_category,
    )
    assert "A further £7,600.00 was paid naming no contract in the register" in page
    for_oxfordshire = browser(people.head).get("/overview?pillar=&authority=OCC").text  # the register's too
    assert (
        'href="/contracts/?category=corporate_supplies&amp;authority=OCC&amp;show=all&amp;status="' in for_oxfordshire
    )
    with_smes = " ".join(page[page.index('id="spend-with-smes"') :].split("</p>")[0].split())
    assert "<strong>0.0%</strong> (£0.00) was with small and medium-sized enterprises" in with_smes  # not an SME
    assert re.search(r"No payment this year has the day\s+its invoice was received", page)
    off = page[page.index('id="off-contract"') :]
    assert "Suppliers paid most with no contract in the register" in off
    assert re.search(
        r'href="/suppliers/acme">Acme Ltd</a></th>\s*<td[^>]*>OCC</td>\s*<td[^>]*>1</td>\s*<td[^>]*>6 January 2026</td>',
        off,
    )
    assert "£7,000.00" in off and supplier.upper() not in off.split("</table>")[0]
    assert re.search(
        r"1 supplier with a contract in the register\s+was paid £600.00 this year without the payments", off
    )
    download = browser(people.head).get("/overview/off-contract.csv")
    assert download.mimetype == "text/csv"
    assert "paid-with-no-contract-" in download.headers["Content-Disposition"]
    assert download.text.splitlines() == [
        "Council,Supplier,Payments,Last paid,Paid excluding VAT,Contract in the register",
        "OCC,Acme Ltd,1,2026-01-06,7000.00,No",
        f"OCC,{supplier.upper()},1,2026-01-07,600.00,Yes",
    ]
    browser(create_user(db, ("requester", "OCC"))).get("/overview/off-contract.csv", status=403)


def test_the_overview_lists_the_notices_past_their_date(core, db, browser, clock):
    from datetime import date

    from provision_cycle.scheduling.sweeps import expire_contracts
    from tests.factories import register_contract

    people = hub_people(db)
    contract = register_contract(core, people, value="500000", starts=date(2025, 7, 1), ends=date(2026, 1, 10))
    expire_contracts(core, clock.today)
    page = browser(people.head).get("/overview").text
    assert "1 past their date; 0 due in the next 30 days" in page
    assert 'id="notices-overdue"' in page and f"/cases/{contract.case_id}#dates" in page and "8 February 2026" in page


def test_the_overview_lists_the_key_decisions_to_come(core, db, browser):
    people = hub_people(db, "CDC")
    case_id = new_request(core.engine, people.requester, value="600000", authority="CDC", title="Depot")
    act(core.engine, case_id, "submit", people.requester)
    page = browser(people.head).get("/overview").text
    table = page[page.index('id="key-decisions"') :]
    assert f'href="/cases/{case_id}">' in table and "Route approval" in table
    assert "Not on the forward plan" in table
    published = (core.engine.today() - timedelta(days=30)).isoformat()
    officer = create_user(db, ("category_officer", "CDC", "cnc"))
    act(core.engine, case_id, "record_forward_plan", officer, inputs={"forward_plan_published_on": published})
    table = browser(people.head).get("/overview").text.split('id="key-decisions"')[1]
    assert re.search(r"<td class=\"govuk-table__cell\">Now</td>", table)  # 28 clear days have passed
    assert "Under special urgency" not in table
    other = new_request(core.engine, people.requester, value="600000", authority="CDC", title="Fleet")
    act(core.engine, other, "submit", people.requester)
    urgency = {
        "key_decision_urgency": "special_urgency",
        "urgency_agreed_by": "Cllr Jo Smith",
        "urgency_reasons": "Now",
    }
    act(core.engine, other, "record_forward_plan", officer,
        inputs={"forward_plan_published_on": core.engine.today().isoformat(), **urgency})  # fmt: skip
    table = browser(people.head).get("/overview").text.split('id="key-decisions"')[1]
    assert 'Now<br><span class="govuk-body-s">Under special urgency</span>' in table


def test_the_overview_names_whose_running_contracts_were_left_behind_by_a_leaver(core, db, browser):
    from provision_cycle.services.people import set_active

    people = hub_people(db)
    admin = create_user(db, ("administrator", "OCC"))
    seed_contracts(core, people, 2)  # managed by Cora Contracts
    head = browser(people.head)
    assert "Contracts whose manager has left" not in head.get("/overview").text
    set_active(core, people.contract_manager, False, actor_id=admin)
    page = head.get("/overview").text
    assert "Contracts whose manager has left" in page and "Cora Contracts: 2 contracts" in page
    assert f'href="/contracts/handover/{people.contract_manager}">hand them over</a>' in page  # theirs to move
    analyst = browser(create_user(db, ("intelligence_analyst", "OCC")))
    seen = analyst.get("/overview").text
    assert "Cora Contracts: 2 contracts" in seen and "hand them over" not in seen  # to see, not to move


def test_the_overview_names_whose_open_tasks_are_with_someone_who_has_left(core, db, browser):
    from provision_cycle.models import Task
    from provision_cycle.services.people import set_active

    people = hub_people(db)
    admin = create_user(db, ("administrator", "OCC"))
    first, second = seed_contracts(core, people, 2)
    late = renewal_task(core, people, first, "Decide the first", core.engine.today() - timedelta(days=30))
    renewal_task(core, people, second, "Decide the second")
    with db.unit_of_work() as session:  # raised long before, and left: overdue
        session.get(Task, late).created_at -= timedelta(days=40)
    head = browser(people.head)
    assert "Tasks with people who have left" not in head.get("/overview").text
    set_active(core, people.contract_manager, False, actor_id=admin)
    page = head.get("/overview").text
    assert "Tasks with people who have left" in page
    assert "Cora Contracts: 2 tasks, 1 overdue" in page_text(page)
    assert f'href="/tasks/of/{people.contract_manager}?back=overview">pass them on</a>' in page  # the team may
    seen = browser(create_user(db, ("intelligence_analyst", "OCC"))).get("/overview").text
    assert "Cora Contracts: 2 tasks" in page_text(seen) and "pass them on" not in seen  # to see, not to move


def test_the_overview_lists_the_frameworks_ending_within_a_year(core, db, browser):
    from provision_cycle.services.frameworks import FrameworkGiven, record_framework

    people = hub_people(db)
    today = core.engine.today()
    for reference, days in (("RM6098", 200), ("RM6200", 500), ("RM6068", -10)):  # soon, later, ended
        given = FrameworkGiven("Crown Commercial Service", reference, "", f"Framework {reference}", "PCR2015",
                               today - timedelta(days=1000), today + timedelta(days=days), "OCC",
                               direct_award=True)  # fmt: skip
        framework_id = record_framework(core, people.officer, given)
        if reference == "RM6098":
            called_off(core.engine, people, framework_id)
    page = browser(people.head).get("/overview").text
    listed = re.findall(r"Crown Commercial Service (RM\d+): Framework", page)
    assert listed == ["RM6098"] and "(1 call-off so far)" in page
    cdc = hub_people(db, "CDC")
    assert "Frameworks ending within a year" not in browser(cdc.head).get("/overview").text


def test_the_overview_lists_the_councils_open_frameworks_to_re_open_within_a_year(core, db, browser, clock):
    from datetime import date

    from provision_cycle.services.frameworks import FrameworkGiven, record_framework

    people = hub_people(db)
    for reference, established, starts in (("OCC-HC", True, date(2025, 6, 2)), ("OCC-LATER", True, date(2026, 9, 1)),
                                           ("CCS-OPEN", False, date(2025, 6, 2))):  # fmt: skip
        given = FrameworkGiven("Oxfordshire County Council", reference, "", "Home care", "PA2023", starts,
                               starts + timedelta(days=2900), "OCC", open_framework=True,
                               council_established=established)  # fmt: skip
        record_framework(core, people.officer, given)
    clock.set(date(2027, 7, 1))  # OCC-HC due by 1 June 2028; OCC-LATER by 31 August 2029
    page = browser(people.head).get("/overview").text
    listed = re.findall(r"Oxfordshire County Council ([A-Z-]+): Home care</a>,\s*(.*?)</li>", page)
    assert listed == [("OCC-HC", "by 1 June 2028")]
    clock.set(date(2028, 6, 2))
    page = browser(people.head).get("/overview").text
    listed = re.findall(r"Oxfordshire County Council ([A-Z-]+): Home care</a>,\s*(.*?)</li>", page)
    assert listed == [("OCC-HC", "was due by 1 June 2028")]


def test_the_overview_lists_the_running_procurements_that_may_be_one_requirement(core, db, browser):
    from provision_cycle.services.overview import pipeline_overview

    def _submitted(requester: int, value: str, **fields) -> int:
        case_id = new_request(core.engine, requester, value=value, **fields)
        act(core.engine, case_id, "submit", requester)
        return case_id

    people = hub_people(db)
    first = _submitted(people.requester, "70000", title="Laptops")
    second = _submitted(people.requester, "70000", title="Docking stations")
    _submitted(people.requester, "9000", title="Keyboards", contract_type="goods")  # alone of its kind
    with db.reading() as session:
        assert (
            pipeline_overview(
                core, session, core.engine.actor(session, people.head), core.engine.today()
            ).one_requirement
            == []
        )
    third = _submitted(people.requester, "70000", title="Monitors")
    act(core.engine, first, "withdraw", people.requester, reason="Bought with the monitors")  # not counted now
    fourth = _submitted(people.requester, "70000", title="Headsets")
    with db.reading() as session:
        head = core.engine.actor(session, people.head)
        flagged = pipeline_overview(core, session, head, core.engine.today()).one_requirement
    assert [(f.case.id, f.others, f.together_inc_vat) for f in flagged] == [
        (second, 2, Decimal("252000.00")),
        (third, 2, Decimal("252000.00")),
        (fourth, 2, Decimal("252000.00")),
    ]
    page = " ".join(browser(people.head).get("/overview").text.split())
    assert "Procurements that may be one requirement with others" in page
    assert f'href="/cases/{fourth}#one-requirement"' in page and "with 2 others, £252,000.00 with VAT" in page


def test_the_overview_sets_this_years_awards_against_their_estimates(core, db, clock, browser):
    """A 250,000 procurement awarded at 240,000 and signed this financial year: 4% under its estimate. A
    contract loaded into the register had no procurement here, so no estimate: it is not counted."""
    from provision_cycle.services.overview import pipeline_overview
    from tests.factories import contract_from_open_procedure, register_contract

    people = hub_people(db)
    contract_from_open_procedure(core.engine, clock, people)
    register_contract(core, people, value="90000", ends=date(2028, 3, 31))
    with db.reading() as session:
        awarded = pipeline_overview(core, session, core.engine.actor(session, people.head), clock.today).awarded
    assert (awarded.contracts, awarded.estimated, awarded.awarded) == (1, Decimal("250000"), Decimal("240000"))
    assert awarded.under_percent == Decimal("4.0") and awarded.year_starts == date(2026, 4, 1)
    page = " ".join(browser(people.head).get("/overview").text.split())
    assert "1 contract signed since 1 April 2026 after a procurement: estimated at £250,000.00, awarded at" in page
    assert "£240,000.00, excluding VAT: <strong>4.0% under</strong> the estimates" in page
