"""The supplier pages: found from the register, the contract page and the overview; what a person may see."""

from __future__ import annotations

import re
from datetime import date, timedelta

from provision_cycle.services.spend import load_spend
from tests.factories import create_user, hub_people, register_contract


def test_an_officer_finds_a_supplier_and_sees_its_contracts_and_payments(core, db, browser):
    people = hub_people(db)
    contract = register_contract(core, people, value="48000", ends=date(2028, 3, 31), supplier_name="Acme Ltd")
    spend = (
        "Council,Transaction number,Date paid,Supplier,Amount,Contract reference,Purpose\n"
        f"OCC,T-1,2026-02-01,ACME LIMITED,1000,{contract.reference},Paper\n"
        "OCC,T-2,2026-02-15,Acme Ltd.,250,,Toner\n"
    )
    load_spend(core, spend.encode(), actor_id=people.system, apply=True)
    officer = browser(people.officer)
    assert 'href="/suppliers/"' in officer.get("/contracts/").text
    found = officer.get("/suppliers/?q=ACME+ltd").text
    assert 'href="/suppliers/acme">Acme Ltd</a>' in found and "£1,250.00" in found
    assert 'href="/suppliers/acme"' in officer.get(f"/contracts/{contract.id}").text
    page = officer.get("/suppliers/acme").text
    assert f'href="/contracts/{contract.id}">{contract.reference} Highways maintenance</a>' in page
    assert "Also spelt: Acme Ltd.; ACME LIMITED." in page and "2025/26 (so far)" in page
    assert "Paid within 30 days of the invoice" in page and "No invoice days loaded" in page
    assert f">{contract.reference}</a>" in page and "None named" in page  # T-1's contract; T-2 named none
    assert "No supplier you can see" in officer.get("/suppliers/?q=nobody").text
    browser(people.requester).get("/suppliers/acme", status=404)
    cherwell = browser(create_user(db, ("category_officer", "CDC", "cnc")))
    cherwell.get("/suppliers/acme", status=404)  # neither its contracts nor its payments are Cherwell's


def test_a_suppliers_page_shows_how_it_performed_its_assessments_and_breaches(core, db, browser, clock):
    from datetime import timedelta

    from provision_cycle.services.performance import Rating, kpis_of, record_assessment
    from tests.factories import act
    from tests.web.helpers import contract_with_kpis

    people = hub_people(db)
    waste = contract_with_kpis(core, people)  # supplied by Roadworks Ltd, as the other
    other = register_contract(core, people, value="90000", ends=date(2028, 3, 31), title="Bulky waste")
    officer = browser(people.officer)
    page = officer.get("/suppliers/roadworks").text
    assert "No contract you can see has been assessed" in page and "No breach recorded" in page

    with db.reading() as session:
        kpis = kpis_of(session, waste.id)
    today = core.engine.today()
    ratings = {kpis[0].id: Rating("good"), kpis[1].id: Rating("good"), kpis[2].id: Rating("inadequate", "80 a month")}
    record_assessment(
        core, waste.id, people.contract_manager, ratings=ratings, period_starts=today - timedelta(days=180),
        period_ends=today - timedelta(days=1), published_on=today, notice_id="045678-2026",
    )  # fmt: skip
    act(core.engine, other.case_id, "record_supplier_breach", people.contract_manager, inputs={
        "breach_description": "Collections missed for three weeks; damages of 4,000 paid",
        "breach_applies_from": (today - timedelta(days=3)).isoformat(),
    })  # fmt: skip
    act(core.engine, waste.case_id, "terminate", people.contract_manager, reason="Repeated missed collections",
        inputs={"terminated_on": today.isoformat(), "ended_for_breach": True})  # fmt: skip

    page = officer.get("/suppliers/roadworks").text
    performance = page[page.index('id="performance"') : page.index('id="paid"')]
    assert f"{waste.reference} Waste collection</a>" in performance
    assert "2 good, 1 inadequate" in performance
    breaches = performance[performance.index('id="breaches"') :]
    assert breaches.index("Terminated for breach: Repeated missed collections") < breaches.index(
        "Collections missed for three weeks"
    )  # the latest first
    assert "Schedule 7" in performance
    stranger = browser(create_user(db, ("requester", "CDC")))  # sees none of OCC's contracts
    stranger.get("/suppliers/roadworks", status=404)


def test_a_suppliers_page_lists_its_tenders_and_how_each_fared(core, db, browser):
    from tests.factories import AWARD_INPUTS, act
    from tests.web.helpers import evaluated_procurement

    people = hub_people(db)
    for supplier in ("Acme Ltd", "Brightwork CIC"):  # each in the register, so each has a page
        register_contract(core, people, value="48000", ends=date(2028, 3, 31), supplier_name=supplier)
    case_id, _ = evaluated_procurement(core, people)
    officer = browser(people.officer)
    reference = f"PRC-{case_id:06d}"
    assert "Being evaluated, ranked 2 of 2" in officer.get("/suppliers/brightwork").text

    act(core.engine, case_id, "recommend_award", people.officer, inputs=AWARD_INPUTS)
    acme = officer.get("/suppliers/acme").text
    assert f"{reference} Library self-service kiosks</a>" in acme and "Recommended for the award" in acme
    assert "£240,000.00" in acme
    assert "Not recommended, ranked 2 of 2" in officer.get("/suppliers/brightwork").text
    # Cherwell's staff see the supplier (a joint contract with it) but not the tenders for Oxfordshire's
    # procurement: those are for its own council's staff and the people who evaluate it.
    register_contract(core, people, value="9000", ends=date(2028, 3, 31), supplier_name="Acme Ltd", authority="JOINT")
    cherwell = browser(create_user(db, ("category_officer", "CDC", "cnc"))).get("/suppliers/acme").text
    assert "Acme Ltd" in cherwell and 'id="tenders"' not in cherwell


def test_a_suppliers_page_lists_its_requests_to_participate_and_what_became_of_each(core, db, browser, clock):
    from provision_cycle.services import evaluation
    from provision_cycle.services.evaluation import RequestGiven
    from tests.factories import in_participation

    people = hub_people(db)
    case_id = in_participation(core.engine, people)
    clock.set(date(2026, 3, 10))
    reason = "Failed the financial standing test"
    given = RequestGiven("Brightwork CIC", "", True, True, date(2026, 3, 9), reason)
    evaluation.record_request(core, case_id, people.officer, given)
    page = browser(people.officer).get("/suppliers/brightwork").text  # its only record with the councils
    requests = page[page.index('id="requests"') :]
    assert f'href="/cases/{case_id}#requests">PRC-{case_id:06d}' in requests
    assert "9 March 2026</td>" in requests and f"Set aside: {reason}" in requests


def test_a_supplier_page_points_to_another_name_recorded_with_its_number(core, db, browser):
    people = hub_people(db)
    register_contract(core, people, value="48000", ends=date(2028, 3, 31), supplier_name="Acme Ltd",
                      registration="01234567")  # fmt: skip
    register_contract(core, people, value="9000", ends=date(2028, 6, 30), supplier_name="Acme Facilities",
                      registration="01234567")  # fmt: skip
    page = browser(people.officer).get("/suppliers/acme").text
    assert "The same Companies House or charity number, or PPON, is also recorded under" in page
    assert '<a class="govuk-link" href="/suppliers/acme%20facilities">Acme Facilities</a>' in page


def test_the_intelligence_team_records_two_names_as_one_supplier_from_its_page_and_can_undo_it(core, db, browser):
    """Acme and its holding company share a Companies House number: Acme's page points to the other name, and
    the analyst records it as Acme's from there. The other name's page is then Acme's; the officer, who sees
    both but records neither, is offered neither; a separation says why and undoes it."""
    people = hub_people(db)
    register_contract(core, people, value="48000", ends=date(2028, 3, 31), supplier_name="Acme Ltd",
                      registration="01234567")  # fmt: skip
    register_contract(core, people, value="9000", ends=date(2027, 3, 31), supplier_name="APT Holdings Ltd",
                      registration="01234567")  # fmt: skip
    analyst = browser(create_user(db, ("intelligence_analyst", "OCC"), full_name="Zoe Turner"))
    officer = browser(people.officer)

    page = analyst.get("/suppliers/acme").text
    suggested = "/suppliers/apt%20holdings/same-as?as=acme"
    assert 'href="/suppliers/sharing-a-number"' in analyst.get("/suppliers/").text
    sharing = analyst.get("/suppliers/sharing-a-number").text  # the work list, with the same suggestion
    assert "01234567" in sharing and f'href="{suggested}"' in sharing
    assert 'href="/suppliers/record-as-different?key=acme&amp;key=apt+holdings&amp;from=number"' in sharing
    officer.get("/suppliers/sharing-a-number", status=404)
    assert f'href="{suggested}"' in page and 'href="/suppliers/acme/same-as"' in page
    assert "/same-as" not in officer.get("/suppliers/acme").text
    officer.get("/suppliers/acme/same-as", status=404)

    form = analyst.get(suggested).text
    assert 'value="Acme Ltd"' in form  # the supplier its page suggested
    refused = analyst.post(suggested, {"same_as": "Acme Ltd", "reason": ""}, status=400).text
    assert "Say how you know they are one company" in refused
    # A form posted without the field at all (not by a browser) is refused alike, not a server error.
    refused = analyst.post(suggested, {"same_as": "Acme Ltd"}, status=400).text
    assert "Say how you know they are one company" in refused
    told = analyst.post(suggested, {"same_as": "Acme Ltd", "reason": "Companies House 01234567"})
    assert told.headers["Location"] == "/suppliers/acme#names"
    page = analyst.get("/suppliers/acme").text
    assert "APT Holdings Ltd: recorded by Zoe Turner on 2 March 2026, “Companies House 01234567”" in page
    assert 'href="/suppliers/acme/names/apt%20holdings/separate"' in page
    assert "Acme Ltd is recorded" not in page and "APT Holdings Ltd is recorded as a name of Acme Ltd" in page
    assert officer.get("/suppliers/apt%20holdings", status=302).headers["Location"] == "/suppliers/acme"
    assert "Its other names" in officer.get("/suppliers/acme").text
    assert "01234567" not in analyst.get("/suppliers/sharing-a-number").text  # recorded as one: off the list

    separate = "/suppliers/acme/names/apt%20holdings/separate"
    analyst.post(separate, {"reason": ""}, status=400)
    assert "Say why they are not one company after all" in analyst.post(separate, {}, status=400).text
    analyst.post(separate, {"reason": "Sold: a different company now"})
    assert "Its other names" not in analyst.get("/suppliers/acme").text
    officer.get("/suppliers/apt%20holdings")  # its own page again
    analyst.get(separate, status=404)


def test_the_register_finds_a_suppliers_contracts_under_any_of_its_names(core, db, browser):
    """Searched for by its trading name, the company's contracts are found too, and the register says why."""
    from provision_cycle.services.suppliers import record_same_supplier, separate_supplier

    people = hub_people(db)
    company = register_contract(core, people, value="48000", ends=date(2028, 3, 31), supplier_name="Acme Ltd")
    trading = register_contract(core, people, value="9000", ends=date(2027, 3, 31), supplier_name="Acme Direct")
    other = register_contract(core, people, value="5000", ends=date(2027, 6, 30), supplier_name="Zenith Ltd")
    analyst = create_user(db, ("intelligence_analyst", "OCC"))
    officer = browser(people.officer)

    def found(text: str) -> set[str]:
        page = officer.get("/contracts/", query_string={"q": text, "show": "all"}).text
        return {c.reference for c in (company, trading, other) if f">{c.reference}</a>" in page}

    assert found("Acme Ltd") == {company.reference}  # not yet recorded as one
    assert "knows by other names" not in officer.get("/contracts/?q=Acme+Ltd").text
    record_same_supplier(core, analyst, "acme direct", "acme", "Its trading name, on its letterhead")
    for name in ("Acme Direct", "ACME LIMITED", "acme"):
        assert found(name) == {company.reference, trading.reference}, name
    page = officer.get("/contracts/?q=Acme+Direct").text
    assert "knows by other names too" in page and 'href="/suppliers/acme">See the supplier' in page
    assert found("Zenith") == {other.reference}
    separate_supplier(core, analyst, "acme direct", "A different company after all")
    assert found("Acme Direct") == {trading.reference}


def test_the_intelligence_team_works_through_names_that_look_alike(core, db, browser):
    """A payment spelt apart from the register's name is suggested; the analyst records it as the register's
    supplier's name. Two other names alike are different companies: recorded so, with a reason, they leave
    the list. Nobody else has the list or the form."""
    people = hub_people(db)
    register_contract(core, people, value="48000", ends=date(2028, 3, 31), supplier_name="Oxfordshire Care Ltd")
    register_contract(core, people, value="9000", ends=date(2028, 3, 31), supplier_name="Acme Group Ltd",
                      registration="01234567")  # fmt: skip
    register_contract(core, people, value="5000", ends=date(2028, 3, 31), supplier_name="Acme UK Ltd",
                      registration="09876543")  # fmt: skip
    spend = "Council,Transaction number,Date paid,Supplier,Amount\nOCC,T-1,2026-02-01,OXFORD SHIRE CARE,1000\n"
    load_spend(core, spend.encode(), actor_id=people.system, apply=True)
    analyst = browser(create_user(db, ("intelligence_analyst", "OCC")))
    officer = browser(people.officer)

    assert 'href="/suppliers/names-alike"' in analyst.get("/suppliers/").text
    assert 'href="/suppliers/names-alike"' in analyst.get("/my-work").text  # their work list, from their work
    assert "names-alike" not in officer.get("/my-work").text
    page = analyst.get("/suppliers/names-alike").text
    care = "/suppliers/oxford%20shire%20care/same-as?as=oxfordshire+care"
    different = "/suppliers/record-as-different?key=acme+group&amp;key=acme+uk&amp;from=alike"
    assert f'href="{care}"' in page and f'href="{different}"' in page and "£1,000.00" in page
    assert page.index("OXFORD SHIRE CARE") < page.index("Acme Group Ltd")  # the most paid first
    officer.get("/suppliers/names-alike", status=404)
    officer.get(different.replace("&amp;", "&"), status=404)
    assert "names-alike" not in officer.get("/suppliers/").text

    analyst.post(care, {"same_as": "Oxfordshire Care Ltd", "reason": "The finance system spaces it so"})
    assert 'href="/suppliers/oxfordshire%20care"' not in analyst.get("/suppliers/names-alike").text

    form_url = different.replace("&amp;", "&")
    form = analyst.get(form_url).text
    assert "Acme Group Ltd</a>" in form and "01234567" in form and "09876543" in form
    said = " ".join(re.sub(r"<[^>]+>", " ", form.split('id="suppliers">')[1].split("</ul>")[0]).split())
    assert said == "Acme Group Ltd (1 contract; 01234567) Acme UK Ltd (1 contract; 09876543)", said
    refused = analyst.post(form_url, {"reason": " "}, status=400).text
    assert "Say how you know they are different companies" in refused
    done = analyst.post(form_url, {"reason": "Different Companies House numbers"}, follow_redirects=True, status=200)
    assert "Acme Group Ltd and Acme UK Ltd are recorded as different suppliers" in done.text
    assert "No names you can see look alike" in done.text
    analyst.get("/suppliers/record-as-different?key=acme+group&key=nobody", status=404)


def test_a_supplier_that_only_tendered_is_found_and_its_page_says_it_has_no_contract(core, db, browser):
    """Brightwork tendered and was never contracted with nor paid: found by its name, its page has its tender,
    no contract and nothing said of payments it never had."""
    from tests.web.helpers import evaluated_procurement

    people = hub_people(db)
    register_contract(core, people, value="48000", ends=date(2028, 3, 31), supplier_name="Acme Ltd")
    evaluated_procurement(core, people)
    officer = browser(people.officer)
    found = officer.get("/suppliers/?q=brightwork").text
    assert 'href="/suppliers/brightwork">' in found and "1 supplier" in found
    page = " ".join(officer.get("/suppliers/brightwork").text.split())
    assert 'Contracts in the register</h2> <p class="govuk-body">None that you can see.</p>' in page
    assert "Being evaluated, ranked 2 of 2" in page


def test_the_register_searched_by_a_number_lists_the_contracts_of_the_supplier_a_tender_gave_it_for(core, db, browser):
    """A contract loaded without the supplier's Companies House number is found by the number its tender gave,
    and the page says why it is listed, naming the supplier; a number nobody gave says nothing."""
    from provision_cycle.services.evaluation import TenderGiven, record_tender
    from tests.web.helpers import page_text, procurement_in_evaluation

    people = hub_people(db)
    contract = register_contract(core, people, value="48000", ends=date(2028, 3, 31), supplier_name="NEWCO KIOSKS")
    received = core.engine.today() - timedelta(days=1)
    record_tender(core, procurement_in_evaluation(core, people), people.officer,
                  TenderGiven("Newco Kiosks Ltd", "12345678", True, False, "200000", received))  # fmt: skip
    officer = browser(people.officer)
    found = officer.get("/contracts/?q=12345678").text
    assert f'href="/contracts/{contract.id}"' in found
    assert (
        "“12345678” is the Companies House or charity number, or the PPON, recorded for Newco Kiosks Ltd in a"
        " contract, tender, request to participate or application to a dynamic market you can see, so its"
        " contracts are listed, under any of its names, whether or not they give the number."
    ) in page_text(found)
    assert 'href="/suppliers/newco%20kiosks">Newco Kiosks Ltd</a>' in found
    assert officer.get("/suppliers/newco%20kiosks").status_code == 200
    nothing = officer.get("/contracts/?q=87654321").text
    assert f'href="/contracts/{contract.id}"' not in nothing and "recorded for" not in nothing
