"""Recording a notice the case owes, from its task and its case page, through the forms."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from provision_cycle.models import Case, CaseDeadline, Contract, OutboxMessage, Task
from provision_cycle.scheduling.sweeps import expire_contracts, remind_deadlines
from tests.factories import (
    act,
    approve_open_steps,
    create_user,
    declare,
    hub_people,
    new_request,
    ready_for_the_market,
    register_contract,
)
from tests.test_notices import _public_contract
from tests.web.helpers import page_text


def test_a_contract_manager_records_the_termination_notice_from_the_task(core, db, browser, clock, schedule):
    people = hub_people(db)
    contract = _public_contract(core, people, ends=date(2026, 3, 1))
    expire_contracts(core, clock.today)
    clock.set(date(2026, 3, 25))  # the notice is due 30 March: its task comes within the warning period
    remind_deadlines(core, schedule, clock.today)
    with db.reading() as session:
        task_id = session.scalars(select(Task.id).where(Task.case_id == contract.case_id)).one()
    manager = browser(people.contract_manager)
    form_url = f"/cases/{contract.case_id}/notices/termination_notice"

    # The task sends them to the form (there is no "done" to tick); the case page offers it beside the date.
    task_page = manager.get(f"/tasks/{task_id}").text
    assert "Record the contract termination notice" in task_page and form_url in task_page
    assert "Complete the task" not in task_page
    case_page = manager.get(f"/cases/{contract.case_id}").text
    assert "Record as published" in case_page and form_url in case_page
    form = manager.get(form_url).text
    assert "Record the contract termination notice" in form and "UK11" in form and "PA23 s80" in form

    page = manager.post(form_url, {"published_on": ["26", "3", "2026"], "notice_id": ""}, status=400).text
    assert "The date the notice was published cannot be in the future" in page
    page = manager.post(form_url, {"published_on": ["", "", ""], "notice_id": "x" * 41}, status=400).text
    assert "Enter the date the notice was published" in page and "Keep the notice identifier to 40" in page

    done = manager.post(form_url, {"published_on": ["24", "3", "2026"], "notice_id": "012345-2026"})
    assert done.headers["Location"].endswith(f"/cases/{contract.case_id}#dates")
    with db.reading() as session:
        met = session.scalars(select(CaseDeadline).where(CaseDeadline.case_id == contract.case_id)).one()
        assert met.met_at is not None and session.get(Task, task_id).status == "done"
    case_page = manager.get(f"/cases/{contract.case_id}").text
    assert "The contract termination notice for" in case_page and "is recorded" in case_page
    assert "Record as published" not in case_page and "Notices as open data" in case_page
    # Once recorded there is nothing left to record: the form sends them back to the case.
    assert manager.get(form_url, status=302).headers["Location"].endswith("#dates")


def test_only_the_team_and_contract_managers_may_record_a_notice(core, db, browser, clock):
    people = hub_people(db)
    contract = _public_contract(core, people, ends=date(2026, 3, 1))
    expire_contracts(core, clock.today)
    form_url = f"/cases/{contract.case_id}/notices/termination_notice"
    # Someone of the council who may see the case but not publish its notices: no link, and the form refuses.
    finance = browser(people.finance)
    assert "Record as published" not in finance.get(f"/cases/{contract.case_id}").text
    finance.get(form_url, status=302)
    refused = finance.post(
        form_url, {"published_on": ["2", "3", "2026"]}, form_page=f"/cases/{contract.case_id}", offered=False
    )
    assert refused.headers["Location"].endswith("#dates")
    assert "There is no such notice for you to record" in finance.get(f"/cases/{contract.case_id}").text
    with db.reading() as session:
        assert (
            session.scalars(select(CaseDeadline.met_at).where(CaseDeadline.case_id == contract.case_id)).one() is None
        )
    # Another council's officer does not see the case at all.
    cherwell = browser(create_user(db, ("category_officer", "CDC", "cnc")))
    cherwell.get(form_url, status=404)
    # An unknown kind of notice is not one to record.
    browser(people.officer).get(f"/cases/{contract.case_id}/notices/award_notice", status=302)


def test_a_variation_is_decided_on_what_it_changes_and_made_after_its_change_notice(core, db, browser, clock):
    people = hub_people(db)
    contract = _public_contract(core, people)  # 500,000 to 30 June 2028, let under the Act
    case_url = f"/cases/{contract.case_id}"
    manager = browser(people.contract_manager)
    propose = f"{case_url}/actions/propose_variation"
    assert "voluntary standstill, PA23 s76" in manager.get(propose).text
    proposal = {"variation_description": "Two more depots", "new_value": "650000", "new_end_date": ["30", "6", "2029"]}
    # PA23 s74: the basis in law must allow what the variation does: a below-threshold modification is 10% at most.
    refused = manager.post(
        propose,
        {"version": _version(db, contract.case_id), **proposal, "modification_basis": "below_threshold"},
        status=409,
    ).text
    assert "at most 10%, and this changes it by 30.0%" in refused
    proposal["modification_basis"] = "additional"
    manager.post(propose, {"version": _version(db, contract.case_id), **proposal, "voluntary_standstill": "no"})

    # The approver sees what they are approving, beside the case.
    head = browser(people.head)
    page = head.get(f"/approvals/cases/{contract.case_id}").text
    assert "Two more depots" in page and "£500,000.00 to £650,000.00" in page
    assert "Basis for the modification" in page and "Additional goods, services or works" in page
    assert "30 June 2028 to 30 June 2029" in page
    assert "Needed, and published before the change is made: value changes by 30.0%, more than 10%" in page
    assert "Voluntary standstill" in page
    head.post(f"/approvals/cases/{contract.case_id}", {"has_conflict": "no", "outcome": "approve"})

    # Approved, the change waits for its notice: the case page says so and offers the notice, not the change.
    page = manager.get(case_url).text
    assert "The variation approved, to be made after its change notice" in page
    assert "Make the modification: not yet" in page and "Record the contract change notice as published first" in page
    assert f'action="{case_url}/actions/make_variation"' not in page
    done = manager.post(
        f"{case_url}/notices/contract_change_notice", {"published_on": _day(clock.today), "notice_id": ""}
    )
    assert done.headers["Location"].endswith("#actions")  # where the modification is made
    page = manager.get(case_url).text
    assert "is recorded. The modification can now be made." in page
    assert "Make the modification: not yet" not in page and f'action="{case_url}/actions/make_variation"' in page
    manager.post(f"{case_url}/actions/make_variation", {"version": _version(db, contract.case_id)})
    with db.reading() as session:
        made = session.get(Contract, contract.id)
        assert (made.value, made.end_date) == (Decimal("650000"), date(2029, 6, 30))
    page = manager.get(case_url).text
    assert "The variation approved" not in page
    history = page.split('id="timeline"')[1]
    assert "Variation approved; to be made after its change notice → Live" in history
    assert "without a new procurement? Additional goods, services or works that a change of supplier" in history


def test_a_variation_that_takes_a_contract_over_the_threshold_must_say_its_basis(core, db, browser):
    """PA23 s74: a below-threshold contract under the Act is asked the basis in law of its modification, which
    it must give once the change makes it a public contract (a convertible contract)."""
    people = hub_people(db)
    contract = _public_contract(core, people, value="150000")  # 180,000 with VAT: below the threshold
    propose = f"/cases/{contract.case_id}/actions/propose_variation"
    manager = browser(people.contract_manager)
    form = page_text(manager.get(propose).text)
    # Not called optional: needed on some contracts, as its hint says.
    assert "without a new procurement? Needed for a contract above the threshold" in form
    assert "and for one this change takes over it" in form
    proposal = {"variation_description": "Citywide", "new_value": "250000", "new_end_date": ["30", "6", "2028"]}
    refused = manager.post(propose, {"version": _version(db, contract.case_id), **proposal}, status=400).text
    assert 'href="#modification_basis' in refused and "Choose one: On what basis may the contract" in refused
    manager.post(propose, {"version": _version(db, contract.case_id), **proposal, "modification_basis": "provided_for"})
    with db.reading() as session:
        assert session.get(Case, contract.case_id).details["modification_basis"] == "provided_for"


def test_a_key_decision_variation_goes_on_the_forward_plan_then_to_the_executive(core, db, browser, clock):
    people = hub_people(db, "CDC")
    contract = register_contract(core, people, value="400000", ends=date(2027, 6, 30), authority="CDC")
    case_url = f"/cases/{contract.case_id}"
    manager = browser(people.contract_manager)
    proposal = {"variation_description": "Two more depots", "new_value": "480000", "new_end_date": ["30", "6", "2027"]}
    proposal["modification_basis"] = "unforeseeable"  # let under PCR 2015: regulation 72(1)(c)
    # The optional standstill question left unanswered (it needs no change notice: PCR 2015).
    manager.post(f"{case_url}/actions/propose_variation", {"version": _version(db, contract.case_id), **proposal})
    page = manager.get(case_url).text
    assert "Yes, for the Executive: key decision for CDC: the variation adds £80,000.00" in page
    # The summary's "Key decision" was the contract's award's, and said No beside this Yes: a contract has none.
    assert 'Key decision</dt><dd class="govuk-summary-list__value">No' not in page
    # The entry goes on the forward plan while the officers sign the variation off.
    record = f"{case_url}/actions/record_forward_plan"
    assert f'href="{record}"' in page
    # Its page drafts the notice the forward plan publishes (2012 Access to Information Regulations reg 9(1)).
    notice = manager.get(record).text
    notice = notice[notice.index('id="forward-plan-notice"') :]
    for said in (
        "Cherwell District Council",
        "A variation of the contract for ",
        ": Two more depots (its value from £400,000.00 to £480,000.00 excluding VAT)",
        "Why it is a key decision: key decision for CDC: the variation adds £80,000.00",
        "Eve Executive",
        "On or after 31 March 2026, if published today",
        "Democratic and Elections, Cherwell District Council, Bodicote House",
    ):
        assert said in notice, said
    manager.post(record, {"version": _version(db, contract.case_id), "forward_plan_published_on": _day(clock.today)})

    head = browser(people.head)
    assert "Yes, for the Executive: key decision for CDC" in head.get(f"/approvals/cases/{contract.case_id}").text
    head.post(f"/approvals/cases/{contract.case_id}", {"has_conflict": "no", "outcome": "approve"})
    executive = browser(people.executive)
    # The queue gives the contract's value now and what the variation would make it.
    queue = executive.get("/approvals/").text
    assert re.search(r"£400,000\.00<br><span class=\"govuk-body-s\">to £480,000\.00</span>", queue)
    page = executive.get(f"/approvals/cases/{contract.case_id}").text
    assert "Two more depots" in page and "£400,000.00 to £480,000.00" in page
    refused = executive.post(
        f"/approvals/cases/{contract.case_id}", {"has_conflict": "no", "outcome": "approve"}, status=400
    )
    assert "A key decision cannot be taken before" in refused.text
    clock.advance(days=29)  # 28 clear days
    executive.post(f"/approvals/cases/{contract.case_id}", {"has_conflict": "no", "outcome": "approve"})
    with db.reading() as session:
        assert session.get(Contract, contract.id).value == Decimal("480000")
    page = manager.get(case_url).text
    assert "Executive decision on the variation (key decision) → Live" in page  # in its history


def test_an_optional_yes_or_no_question_may_be_left_unanswered(core, db, browser, clock):
    people = hub_people(db)
    contract = _public_contract(core, people)
    case_url = f"/cases/{contract.case_id}"
    ended = {"version": _version(db, contract.case_id), "terminated_on": _day(clock.today), "reason": "Merged"}
    browser(people.contract_manager).post(f"{case_url}/actions/terminate", ended)  # "ended for breach?" unanswered
    with db.reading() as session:
        case = session.get(Case, contract.case_id)
        assert case.state == "terminated" and "ended_for_breach" not in case.details


def test_the_renewal_approvers_see_what_is_proposed(core, db, browser):
    people = hub_people(db)
    contract = register_contract(core, people, value="80000", ends=date(2027, 3, 31), extension_months_available=12)
    act(core.engine, contract.case_id, "open_renewal_decision", people.contract_manager)
    manager, url = browser(people.contract_manager), f"/cases/{contract.case_id}/actions/propose_extension"
    assert "What the extension will cost excluding VAT" in manager.get(url).text
    extension = {"version": _version(db, contract.case_id), "extend_to": ["31", "3", "2028"]}
    refused = manager.post(url, {**extension, "extension_value": "a lot"}, status=400).text
    assert "What the extension will cost excluding VAT must be an amount in pounds" in refused
    assert _version(db, contract.case_id) == extension["version"]  # nothing saved
    manager.post(url, {**extension, "extension_value": "40,000"})
    # 120,000 with the extension: the approvers of the 100,000-500,000 band, not the manager who would
    # approve a contract of 80,000.
    browser(people.manager).get(f"/approvals/cases/{contract.case_id}", status=302)
    decide = browser(people.head).get(f"/approvals/cases/{contract.case_id}").text
    assert "Extend the contract to 31 March 2028 (it ends 31 March 2027 now)" in decide
    assert "£40,000.00: the contract&#39;s value goes from £80,000.00 to £120,000.00" in decide
    assert "The renewal proposed" in browser(people.contract_manager).get(f"/cases/{contract.case_id}").text
    queue = browser(people.head).get("/approvals/").text
    assert "to £120,000.00" in queue
    # The contract's manager, whom its case was opened for, is named as such and asked any question by name.
    text = page_text(decide)
    assert "Contract manager Cora Contracts" in text and "Requested by" not in text and "Put forward by" not in text
    assert "Ask Cora Contracts for more information" in text and "it is shown to Cora Contracts" in text


def test_a_renewal_s_approvers_see_how_the_contract_has_gone(core, db, browser, clock):
    """What has been paid under it, its latest assessment against its KPIs and the breaches recorded on it,
    on the decision page and the email link's: what an extension is weighed on."""
    from provision_cycle.services.links import issue_action_link
    from provision_cycle.services.performance import Rating, kpis_of, record_assessment, set_kpis
    from provision_cycle.services.spend import load_spend
    from tests.test_notices import BREACH
    from tests.test_performance import KPIS
    from tests.test_spend import HEADINGS

    people = hub_people(db)
    contract = register_contract(core, people, value="80000", ends=date(2027, 3, 31), extension_months_available=12)
    spend = HEADINGS + f"OCC,T-1,2026-02-02,Roadworks Ltd,6000,Highways,Repairs,{contract.reference},\n"
    load_spend(core, spend.encode(), actor_id=people.system, apply=True)
    set_kpis(core, contract.id, people.contract_manager, KPIS)
    with db.reading() as session:
        kpis = kpis_of(session, contract.id)
    ratings = {
        kpis[0].id: Rating("good"),
        kpis[1].id: Rating("good"),
        kpis[2].id: Rating("requires_improvement", "Few"),
    }
    record_assessment(core, contract.id, people.contract_manager, period_starts=date(2025, 3, 1),
                      period_ends=date(2026, 2, 28), ratings=ratings, published_on=clock.today)  # fmt: skip
    act(core.engine, contract.case_id, "record_supplier_breach", people.contract_manager, inputs=BREACH)
    act(core.engine, contract.case_id, "open_renewal_decision", people.contract_manager)
    act(core.engine, contract.case_id, "propose_extension", people.contract_manager,
        inputs={"extend_to": "2028-03-31", "extension_value": "40000"})  # fmt: skip
    said = (
        "How the contract has gone Paid under it so far, excluding VAT £6,000.00 in 1 payment, of its £80,000.00 "
        "Its latest assessment against its KPIs For the period to 28 February 2026: 2 good and 1 requires "
        f"improvement Supplier breaches recorded 1 breach, the latest on 20 February 2026: {BREACH['breach_description']}"
    )
    assert said in page_text(browser(people.head).get(f"/approvals/cases/{contract.case_id}").text)
    with db.reading() as session:
        asked = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "approval_needed").order_by(OutboxMessage.id.desc())
        ).first()
    link = issue_action_link(core, people.head, contract.case_id, asked.payload["step"])[0]
    assert said in page_text(browser(people.head).get(f"/act/{link}").text)


def test_a_renewal_put_forward_by_a_new_contract_manager_names_each_of_them_to_its_approvers(core, db, browser):
    """The contract changed hands before its renewal: its approvers see whom the case was opened for, who
    manages it now and put the proposal forward, and a question goes to both, by name."""
    from provision_cycle.services.contract_managers import assign_contract_manager

    people = hub_people(db)
    newcomer = create_user(db, ("contract_manager", "OCC", "cnc"), full_name="Nia Newcomer")
    contract = register_contract(core, people, value="80000", ends=date(2027, 3, 31), extension_months_available=12)
    assign_contract_manager(core, contract.id, people.officer, manager_id=newcomer)
    act(core.engine, contract.case_id, "open_renewal_decision", newcomer)
    act(core.engine, contract.case_id, "propose_extension", newcomer,
        inputs={"extend_to": "2028-03-31", "extension_value": "40000"})  # fmt: skip
    text = page_text(browser(people.head).get(f"/approvals/cases/{contract.case_id}").text)
    assert "Requested by Cora Contracts Contract manager Nia Newcomer" in text and "Put forward by" not in text
    assert "Ask Cora Contracts and Nia Newcomer for more information" in text
    declare(core.engine, contract.case_id, people.head)
    act(core.engine, contract.case_id, "request_info", people.head, reason="Why a year, not six months?")
    text = page_text(browser(people.head).get(f"/approvals/cases/{contract.case_id}").text)
    assert "Questions asked Hana Head asked on" in text and "Questions to the requester" not in text


def test_a_variation_asks_whether_it_could_have_been_made_with_an_earlier_one_without_a_notice(core, db, browser):
    from tests.test_notices import _vary

    people = hub_people(db)
    contract = _public_contract(core, people)  # 500,000
    _vary(core, people, contract.case_id, value="530000", ends="2028-06-30")  # made without a notice
    manager = browser(people.contract_manager)
    url = f"/cases/{contract.case_id}/actions/propose_variation"
    form = manager.get(url).text
    assert "Could this change reasonably have been made together with an earlier one made without a contract" in form
    assert "Yes, with the change made on 2 March 2026 (its value from £500,000.00 to £530,000.00)" in form
    proposal = {"variation_description": "More roads", "new_value": "555000", "new_end_date": ["30", "6", "2028"]}
    manager.post(url, {"version": _version(db, contract.case_id), **proposal, "modification_basis": "provided_for",
                       "made_together_with": "0"})  # fmt: skip
    page = manager.get(f"/cases/{contract.case_id}").text
    assert "taken together with the change made on 2 March 2026 (PA23 s75(4))" in page


def _version(db, case_id: int) -> str:
    with db.reading() as session:
        return str(session.get(Case, case_id).version)


def _day(day: date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


def test_a_contract_manager_records_a_suppliers_breach_then_its_notice(core, db, browser, clock):
    people = hub_people(db)
    contract = _public_contract(core, people)
    case_url = f"/cases/{contract.case_id}"
    manager = browser(people.contract_manager)
    url = f"{case_url}/actions/record_supplier_breach"
    form = manager.get(url).text
    assert "What the supplier breached or failed to perform" in form
    refused = manager.post(
        url, {"version": _version(db, contract.case_id), "breach_description": "Bins missed"}, status=400
    )
    assert "Enter the day it led to partial termination" in refused.text
    manager.post(url, {"version": _version(db, contract.case_id), "breach_description": "Bins missed for six weeks",
                       "breach_applies_from": _day(clock.today)})  # fmt: skip
    page = manager.get(case_url).text
    assert "Contract performance notice on the supplier&#39;s breach (UK9)" in page and "PA23 s71(5)" in page
    assert f"{case_url}/notices/breach_performance_notice" in page
    # A second breach before the first's notice is out: its notice is owed after it, and the page says so.
    manager.post(url, {"version": _version(db, contract.case_id), "breach_description": "Depot closed for a week",
                       "breach_applies_from": _day(clock.today)})  # fmt: skip
    assert "Then, for another breach, by 31 March 2026: Depot closed for a week" in manager.get(case_url).text
    done = manager.post(
        f"{case_url}/notices/breach_performance_notice", {"published_on": _day(clock.today), "notice_id": ""}
    )
    page = manager.get(done.headers["Location"]).text
    assert "is recorded. The next breach&#39;s notice is owed by 31 March 2026." in page
    assert "Notices as open data" in page and "Then, for another breach" not in page


def test_recording_a_change_notice_says_when_its_standstill_lets_the_change_be_made(core, db, browser, clock):
    from tests.web.helpers import contract_with_variation

    people = hub_people(db)
    contract = contract_with_variation(core, people, approved=True)  # with a voluntary standstill
    manager = browser(people.contract_manager)
    manager.post(f"/cases/{contract.case_id}/notices/contract_change_notice", {"published_on": _day(clock.today)})
    page = manager.get(f"/cases/{contract.case_id}").text
    assert "is recorded. The voluntary standstill runs to the end of 11 March 2026" in page  # from Monday 2 March
    assert "Voluntary standstill ends" in page  # among the key dates


def test_the_copy_of_a_big_contract_is_recorded_from_its_case_page(core, db, browser, clock):
    from tests.test_notices import _big_contract

    people = hub_people(db)
    contract = _big_contract(core, db, clock, people)  # 6m with VAT, signed 21 April 2026
    case_url = f"/cases/{contract.case_id}"
    officer = browser(people.officer)
    page = officer.get(case_url).text
    assert "Copy of the contract, with its details notice (UK7)" in page and "PA23 s53(3)" in page
    form_url = f"{case_url}/notices/contract_copy"
    assert form_url in page
    form = officer.get(form_url).text
    assert "Record the copy of the contract" in form
    assert (
        "Publish a copy of the contract on Find a Tender with its contract details notice (UK7), redacting only "
        "what the Act allows (s94), then record it here. Due 19 July 2026" in form
    )
    done = officer.post(form_url, {"published_on": _day(clock.today), "notice_id": "023456-2026"})
    page = officer.get(done.headers["Location"]).text
    assert "The copy of the contract for" in page and "is recorded" in page and form_url not in page


def test_the_award_notice_waits_for_the_assessment_summaries_on_the_case_page(core, db, browser, clock):
    from tests.factories import approve_gate, award_recommended

    people, engine = hub_people(db), core.engine
    case_id = award_recommended(engine, clock, people)
    approve_gate(engine, case_id, [people.head])
    approve_gate(engine, case_id, [people.finance])
    officer = browser(people.officer)
    page = officer.get(f"/cases/{case_id}").text
    assert "Send an assessment summary to each supplier whose tender was assessed, and record it" in page
    form_url = f"/cases/{case_id}/actions/record_assessment_summaries"
    assert form_url in page
    form = officer.get(form_url).text
    assert "Date an assessment summary was sent to every supplier whose tender was assessed" in form
    officer.post(form_url, {"version": _version(db, case_id), "assessment_summaries_sent_on": _day(clock.today)})
    page = officer.get(f"/cases/{case_id}").text
    assert "Send an assessment summary" not in page and f"/cases/{case_id}/actions/publish_award_notice" in page


def test_a_direct_award_s_transparency_notice_names_its_supplier_and_the_award_goes_to_it(core, db, browser, clock):
    """PR24 reg 26: the transparency notice says to whom the contract is to be awarded; the award recommendation
    is filled in with that supplier, and refuses another (PA23 s44)."""
    people = hub_people(db)
    ground = {"direct_award_ground": "single_supplier", "direct_award_justification": "It holds the licence"}
    case_id = ready_for_the_market(core.engine, people, route="direct_award", details=ground)
    officer = browser(people.officer)
    notice = f"/cases/{case_id}/actions/publish_transparency_notice"
    published = {"transparency_notice_published_on": _day(clock.today)}
    refused = officer.post(notice, published, status=400).text
    assert "Enter the supplier the contract is to be awarded to" in refused
    refused = officer.post(notice, {**published, "notified_supplier": "Licensor Ltd",
                                    "notified_supplier_ppon": "PABC-1234"}, status=400).text  # fmt: skip
    assert "Give the PPON as four letters, four digits and four letters, like PABC-1234-DEFG" in refused
    officer.post(notice, {**published, "notified_supplier": "Licensor Ltd", "notified_supplier_ppon": "plic-0042-ensd"})

    summary = page_text(officer.get(f"/cases/{case_id}").text)
    assert "To be awarded to, as its transparency notice says Licensor Ltd" in summary
    recommend = f"/cases/{case_id}/actions/recommend_award"
    form = officer.get(recommend).text
    assert 'value="Licensor Ltd"' in form and 'value="plic-0042-ensd"' in form
    assert "Filled in from the transparency notice, which said the contract is to go to Licensor Ltd." in form
    act(core.engine, case_id, "record_exclusion_check", people.officer,
        inputs={"exclusions_checked_on": clock.today.isoformat()})  # fmt: skip
    award = {"supplier_is_sme": "no", "supplier_is_vcse": "no", "supplier_is_supported_employment": "no",
             "supplier_is_public_service_mutual": "no", "award_value": "240000", "supplier_ppon": "PLIC-0042-ENSD"}  # fmt: skip
    wrong = officer.post(recommend, {**award, "supplier_name": "Someone Else Ltd"}, status=400).text
    assert "The transparency notice said the contract is to be awarded to Licensor Ltd" in wrong
    officer.post(recommend, {**award, "supplier_name": "Licensor Ltd"})
    with db.reading() as session:
        assert session.get(Case, case_id).state == "award_approval"


def test_a_key_decision_that_cannot_wait_is_recorded_under_special_urgency_through_its_form(core, db, browser):
    """2012 regs reg 11, on the forward plan entry's page: who agreed and why are not called optional (their
    hints say when they are needed), each is asked for where it is missing, and the key date says the rule."""
    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="1200000")
    act(core.engine, case_id, "submit", people.requester)
    officer = browser(people.officer)
    record = f"/cases/{case_id}/actions/record_forward_plan"
    form = page_text(officer.get(record).text)
    assert "which urgency rule is used? (optional)" in form
    assert (
        "Who agreed that the decision is urgent and cannot reasonably be deferred? Needed under special urgency: "
        "the chair of the relevant overview and scrutiny committee" in form
    )
    answers = {
        "version": _version(db, case_id), "forward_plan_published_on": ["2", "3", "2026"],
        "key_decision_urgency": "special_urgency",
    }  # fmt: skip
    refused = page_text(officer.post(record, answers, status=400).text)
    assert "Who agreed that the decision is urgent" in refused and "Why it cannot wait" in refused
    officer.post(record, {**answers, "urgency_agreed_by": "Cllr Jo Smith", "urgency_reasons": "The contract ends"})
    page = officer.get(f"/cases/{case_id}").text
    assert (
        "Key decision under special urgency (2012 Access to Information Regulations, reg 11): agreed as urgent on "
        "2 March 2026, so taken on or after 2 March 2026" in page_text(page)
    )
    # The notices to publish (regs 11(2), 19), drafted from the case, linked from its key date.
    assert f'href="/cases/{case_id}/urgency-notice"' in page
    notice = page_text(browser(people.requester).get(f"/cases/{case_id}/urgency-notice").text)
    for said in (
        "The notice of a key decision taken under special urgency",
        "A key decision is to be made on behalf of Oxfordshire County Council",
        "The matter The procurement of Case management system",
        "The decision maker Eve Executive",
        "The date On or after 2 March 2026",
        "Agreed as urgent by Cllr Jo Smith, on 2 March 2026",
        "Why it is urgent and cannot reasonably be deferred The contract ends",
    ):
        assert said in notice, said
    # Its approvers read how it is to be taken, and why.
    assert (
        "Key decision Taken under special urgency (2012 Access to Information Regulations, reg 11), agreed by Cllr "
        "Jo Smith, without 28 clear days on the forward plan: The contract ends."
        in page_text(browser(people.head).get(f"/approvals/cases/{case_id}").text)
    )
    approve_open_steps(core.engine, db, people, case_id)  # taken: no notice is drafted for it any more
    officer.get(f"/cases/{case_id}/urgency-notice", status=404)
    assert "urgency-notice" not in officer.get(f"/cases/{case_id}").text


def test_the_general_exception_s_notice_says_when_the_scrutiny_chair_was_told(core, db, browser):
    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="1200000")
    act(core.engine, case_id, "submit", people.requester)
    browser(people.officer).get(f"/cases/{case_id}/urgency-notice", status=404)  # on no urgency rule yet
    act(core.engine, case_id, "record_forward_plan", people.officer, inputs={
        "forward_plan_published_on": "2026-02-27", "key_decision_urgency": "general_exception",
        "urgency_reasons": "Prices must be fixed by April",
    })  # fmt: skip
    notice = page_text(browser(people.officer).get(f"/cases/{case_id}/urgency-notice").text)
    assert "The notice of a key decision taken under the general exception" in notice
    assert "The date On or after 5 March 2026" in notice  # 5 clear days after 27 February
    assert "The scrutiny chair told, and the notice published 27 February 2026" in notice
    assert "Why 28 clear days' notice is impracticable Prices must be fixed by April" in notice
    browser(create_user(db, ("requester", "CDC"))).get(f"/cases/{case_id}/urgency-notice", status=404)
