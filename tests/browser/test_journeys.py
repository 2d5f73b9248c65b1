"""The journeys people make in a real browser, against the real app, database and GOV.UK assets."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Locator, Page, expect

from provision_cycle.models import Case
from provision_cycle.scheduling.config import load_schedule
from provision_cycle.settings import PROJECT_ROOT
from tests.factories import (
    act,
    approve_gate,
    create_user,
    declare,
    new_request,
    publish_tender_notice,
    ready_for_the_market,
    ready_to_recommend,
    register_contract,
)
from tests.web.conftest import PASSWORD, give_password
from tests.web.helpers import (
    contract_with_kpis,
    officer_decision_record,
    public_contract_that_ended,
    renewal_task,
    seed_contracts,
)


def type_ahead(page: Page, label: str) -> Locator:
    """The type-ahead box a person picker becomes: the text input, never the select it replaces (which
    carries the same label until init.js has run)."""
    return page.get_by_label(label).and_(page.locator("input.autocomplete__input"))


def pick_person(page: Page, label: str, typed: str, name: str) -> None:
    """Choose ``name`` in the person picker labelled ``label`` by typing ``typed`` and clicking their option."""
    type_ahead(page, label).fill(typed)
    page.get_by_role("option", name=name).click()


def enter_date(within: Page | Locator, day) -> None:
    """Type ``day`` into a GOV.UK date input: the page's only one, or the one in the group ``within``."""
    for part, value in (("Day", day.day), ("Month", day.month), ("Year", day.year)):
        within.get_by_label(part, exact=True).fill(str(value))


def record_forward_plan_entry(page: Page, published) -> None:
    """On a case that is a key decision: its forward plan entry, published on ``published``."""
    page.get_by_role("link", name="Record the forward plan entry or urgency notice").click()
    enter_date(page, published)
    page.get_by_role("button", name="Record the forward plan entry or urgency notice").click()
    expect(page.locator("[data-flash=success]")).to_contain_text("Record the forward plan entry or urgency notice")


def describe_procurement(page: Page, *, title: str, value: str, kind: str = "Goods") -> None:
    """The first two question pages of a new OCC procurement: about it, and its value."""
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Start a request").click()
    page.get_by_label("A procurement").check()
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Describe the need").fill("Rock salt for winter gritting of the county's roads")
    page.get_by_label("Oxfordshire County Council").check()
    page.get_by_label("Category", exact=True).select_option(label="Corporate and Commercial: Corporate supplies")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Estimated total value, excluding VAT").fill(value)
    page.get_by_label("Standard rate (20%)").check()
    page.get_by_label(kind, exact=True).check()
    page.get_by_label("Day", exact=True).fill("1")
    page.get_by_label("Month", exact=True).fill("10")
    page.get_by_label("Year", exact=True).fill("2027")
    page.get_by_label("Duration in months").fill("24")
    page.get_by_role("button", name="Continue").click()


def start_procurement(page: Page, *, title: str, value: str) -> None:
    describe_procurement(page, title=title, value=value)
    # How it will be bought: the route the rules set for its value, as chosen already.
    expect(page.get_by_label(re.compile("the route the council's rules set for its value"))).to_be_checked()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("How is it funded?").fill("Highways revenue budget HW-101, confirmed")
    page.get_by_label("Why is it needed now?").fill("Current contract ends before winter")
    page.get_by_role("button", name="Continue").click()


def decide(page: Page, case_title: str, outcome: str, reason: str = "") -> None:
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Approvals").click()
    page.get_by_role("link", name=case_title, exact=True).click()
    page.get_by_label("No, I have no conflict of interest").check()
    page.get_by_label(outcome, exact=True).check()
    if reason:
        page.get_by_label("Reason or comment").fill(reason)
    page.get_by_role("button", name="Record my decision").click()


def test_requester_submits_and_two_approvers_sign_off_in_turn(site, open_as):
    people = site.people
    requester = open_as(people.requester)
    start_procurement(requester, title="Winter road salt", value="600000")
    expect(requester.get_by_role("heading", name="Check your answers before you continue")).to_be_visible()
    route = requester.get_by_role("table", name="Who will approve it, and why")
    expect(route).to_contain_text("Head of Category")
    expect(route).to_contain_text("Director")
    requester.get_by_role("button", name="Submit for approval").click()
    expect(requester.locator("[data-flash=success]")).to_contain_text("Submit for approval: PRC-")

    head = open_as(people.head)
    decide(head, "Winter road salt", "Approve")
    expect(head.locator("[data-flash=success]")).to_contain_text("Approved")
    director = open_as(people.director)
    decide(director, "Winter road salt", "Approve")
    expect(director.locator("[data-flash=success]")).to_contain_text("is now at")

    requester.reload()
    expect(requester.get_by_role("table").filter(has_text="Round")).to_contain_text("Approved")
    with site.core.db.reading() as session:
        case = session.query(Case).one()
        assert case.state not in ("draft", "route_approval")


def test_a_returned_request_is_fixed_and_resubmitted(site, open_as):
    people, engine = site.people, site.core.engine
    case_id = new_request(engine, people.requester, value="18000", title="Printer paper")
    act(engine, case_id, "submit", people.requester)
    manager = open_as(people.manager)
    decide(manager, "Printer paper", "Return for rework", "Say how many reams a year")

    requester = open_as(people.requester)
    requester.goto(f"/cases/{case_id}")
    expect(requester.locator("#timeline")).to_be_visible()
    expect(requester.locator(".govuk-inset-text").first).to_contain_text("“Say how many reams a year”")
    # What they can do stands on one line: the button that acts at once (a form's) beside the links.
    buttons = requester.locator("#actions + .govuk-button-group .govuk-button")
    assert len({round(box["y"]) for box in (b.bounding_box() for b in buttons.all())}) == 1
    requester.get_by_role("link", name="Change the request").click()
    requester.get_by_label("Describe the need").fill("Printer paper: 2,400 reams a year for all county offices")
    requester.get_by_label("How is it funded?").fill("Office supplies budget CS-330")
    requester.get_by_label("Why is it needed now?").fill("The current framework call-off ends in March")
    requester.get_by_role("button", name="Save changes").click()
    expect(requester.locator("[data-flash=success]")).to_contain_text("Your changes are saved")
    requester.get_by_role("button", name="Resubmit for approval").click()
    expect(requester.locator("[data-flash=success]")).to_contain_text("is now at")
    with site.core.db.reading() as session:
        assert session.get(Case, case_id).state == "route_approval"
    expect(requester.get_by_role("cell", name="2", exact=True).first).to_be_visible()  # round 2 of the gate


def test_a_rejected_request_ends_with_its_reason_visible(site, open_as):
    people, engine = site.people, site.core.engine
    case_id = new_request(engine, people.requester, value="18000", title="Team away day")
    act(engine, case_id, "submit", people.requester)
    decide(open_as(people.manager), "Team away day", "Reject", "Not an essential service this year")
    requester = open_as(people.requester)
    requester.goto(f"/cases/{case_id}")
    expect(requester.get_by_text("Now at:")).to_contain_text("Rejected")
    expect(requester.locator("#route")).to_be_visible()
    expect(requester.get_by_text("Not an essential service this year").first).to_be_visible()


def test_a_contract_manager_completes_a_renewal_task(site, open_as):
    core, people = site.core, site.people
    [contract_id] = seed_contracts(core, people, 1)
    renewal_task(
        core, people, contract_id, "Decide whether to extend Contract 0", core.engine.today() + timedelta(days=3)
    )
    manager = open_as(people.contract_manager)
    expect(manager.locator("#notifications ~ ul").first).to_contain_text("Decide whether to extend Contract 0")
    manager.get_by_role("navigation", name="Menu").get_by_role("link", name="Tasks").click()
    manager.get_by_role("link", name="Decide whether to extend Contract 0").click()
    manager.get_by_label("Re-commission: start a new procurement").check()
    manager.get_by_label("Note (optional)").fill("Usage has doubled; go back to the market")
    manager.get_by_role("button", name="Complete the task").click()
    expect(manager.locator("[data-flash=success]")).to_contain_text("Task completed")
    expect(manager.get_by_text("You have no open tasks")).to_be_visible()
    manager.goto(f"/contracts/{contract_id}")
    expect(manager.get_by_role("table")).to_contain_text("Done: Re-commission: start a new procurement")


def test_a_contract_review_that_finds_improvement_needed_brings_a_follow_up_review(site, open_as):
    from provision_cycle.governance.calendar import add_months
    from provision_cycle.models import Contract
    from provision_cycle.services.tasks import NewTask, raise_task

    core, people = site.core, site.people
    today = core.engine.today()
    [contract_id] = seed_contracts(core, people, 1)
    with core.db.unit_of_work() as session:
        session.get(Contract, contract_id).end_date = today + timedelta(days=400)
        review = NewTask(
            "contract_review", "Review Contract 0", today, people.contract_manager, contract_id=contract_id
        )
        raise_task(core, session, review, actor_id=people.officer)
    manager = open_as(people.contract_manager)
    manager.goto("/tasks/")
    manager.get_by_role("link", name="Review Contract 0").click()
    manager.get_by_label("Improvement needed").check()
    manager.get_by_label("Note").fill("Deliveries late three weeks in four")
    manager.get_by_role("button", name="Complete the task").click()
    due = add_months(today, 3)
    expect(manager.locator("[data-flash=success]")).to_contain_text(f"a follow-up review is due on {due:%-d %B %Y}")
    follow_up = manager.get_by_role("link", name=re.compile("^Follow-up contract review: CON-"))
    expect(follow_up).to_be_visible()
    follow_up.click()
    expect(manager.get_by_text("Improvement was needed at the review due")).to_contain_text("Deliveries late")
    manager.goto(f"/contracts/{contract_id}")
    expect(manager.locator(".govuk-summary-list")).to_contain_text(
        f"Every 12 months; a follow-up review is due {due:%-d %B %Y}"
    )


def test_the_category_team_corrects_a_contract_s_record_and_its_history_says_what_changed(site, open_as):
    [contract_id] = seed_contracts(site.core, site.people, 1)
    officer = open_as(site.people.officer)
    officer.goto(f"/contracts/{contract_id}")
    officer.get_by_role("link", name="Correct the contract's record").click()
    officer.get_by_label("Supplier's PPON (optional)").fill("pabc-1234-defg")
    officer.get_by_label("Notice period").fill("60")
    officer.get_by_role("button", name="Save the corrections").click()
    expect(officer.locator(".govuk-error-summary")).to_contain_text("Say what was wrong")
    expect(officer.get_by_label("Notice period")).to_have_value("60")  # what was typed is kept
    officer.get_by_label("What was wrong?").fill("As the signed contract says")
    officer.get_by_role("button", name="Save the corrections").click()
    expect(officer.locator("[data-flash=success]")).to_contain_text(
        "record is corrected: the supplier's PPON and the notice period"
    )
    expect(officer.locator(".govuk-summary-list")).to_contain_text("PABC-1234-DEFG")
    expect(officer.locator(".govuk-summary-list")).to_contain_text("60 days: notice by")
    expect(officer.get_by_text("the notice period: 90 days → 60 days")).to_be_visible()


def _on_a_renewal_task(site, open_as):
    """A contract manager's page, opened on the renewal task of a contract they manage, from their tasks."""
    [contract_id] = seed_contracts(site.core, site.people, 1)
    renewal_task(site.core, site.people, contract_id, "Decide whether to extend Contract 0", site.core.engine.today())
    manager = open_as(site.people.contract_manager)
    manager.goto("/tasks/")
    manager.get_by_role("link", name="Decide whether to extend Contract 0").click()
    return manager


def test_a_contract_manager_makes_the_renewal_decision_their_task_asks_for_on_the_contract_s_case(site, open_as):
    manager = _on_a_renewal_task(site, open_as)
    manager.get_by_role("link", name="Go to the contract's case").click()
    manager.get_by_role("button", name="Open the renewal decision").click()
    manager.get_by_role("button", name="Propose letting the contract end").click()
    expect(manager.locator("[data-flash=success]")).to_contain_text("is now at 'Renewal approval'")
    expect(manager.locator("#tasks + ul")).to_contain_text(
        "Done: Letting the contract end proposed on the contract's case, for approval"
    )
    manager.get_by_role("navigation", name="Menu").get_by_role("link", name="Tasks").click()
    expect(manager.get_by_text("You have no open tasks")).to_be_visible()


def test_a_contract_manager_passes_a_task_to_a_colleague_by_typing_their_name(site, open_as):
    manager = _on_a_renewal_task(site, open_as)
    pick_person(manager, "Who should do it?", "oli", "Olive Officer")
    manager.get_by_label("Why? (optional)").fill("Olive is re-procuring the service anyway")
    manager.get_by_role("button", name="Pass the task on").click()
    expect(manager.locator("[data-flash=success]")).to_contain_text("Olive Officer has the task now")
    expect(manager.get_by_text("You have no open tasks")).to_be_visible()
    officer = open_as(site.people.officer)
    officer.goto("/tasks/")
    expect(officer.get_by_role("link", name="Decide whether to extend Contract 0")).to_be_visible()


def test_an_administrator_passes_a_leavers_tasks_to_one_colleague_from_their_page(site, open_as):
    people = site.people
    for n, contract_id in enumerate(seed_contracts(site.core, people, 2)):
        renewal_task(site.core, people, contract_id, f"Decide on Contract {n}", site.core.engine.today())
    administrator = create_user(site.core.db, ("administrator", "OCC"), full_name="Ada Admin")
    give_password(site.core.db, administrator)
    admin = open_as(administrator)
    admin.goto(f"/admin/users/{people.contract_manager}")
    admin.get_by_role("link", name="pass all 2 to one colleague").click()
    expect(admin.get_by_role("heading", name="Pass on Cora Contracts's tasks")).to_be_visible()
    pick_person(admin, "Who should do them?", "oli", "Olive Officer")
    admin.get_by_label("Why? (optional)").fill("Cora has left the council")
    admin.get_by_role("button", name="Pass all 2 on").click()
    expect(admin.locator("[data-flash=success]")).to_contain_text("Olive Officer has the 2 tasks Cora Contracts had")
    officer = open_as(people.officer)
    officer.goto("/tasks/")
    for n in range(2):
        expect(officer.get_by_role("link", name=f"Decide on Contract {n}")).to_be_visible()


def test_a_contract_manager_records_the_termination_notice_of_a_contract_that_ended(site, open_as):
    core, people = site.core, site.people
    today = core.engine.today()
    contract = public_contract_that_ended(core, people, days_ago=25)
    manager = open_as(people.contract_manager)
    manager.get_by_role("navigation", name="Menu").get_by_role("link", name="Tasks").click()
    manager.get_by_role("link", name=re.compile("Publish the contract termination notice")).click()
    manager.get_by_role("link", name="Record the contract termination notice").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Record the contract termination notice")
    manager.get_by_role("button", name="Record the notice").click()  # no date: the summary says so
    expect(manager.locator(".govuk-error-summary")).to_contain_text("Enter the date the notice was published")
    enter_date(manager, today)
    manager.get_by_label("Its notice identifier (optional)").fill("034567-2026")
    manager.get_by_role("button", name="Record the notice").click()
    expect(manager.locator("[data-flash=success]")).to_contain_text("contract termination notice")
    expect(manager.locator("#dates ~ dl")).to_contain_text("(met ")
    expect(manager.get_by_role("link", name="download the OCDS release package (JSON)")).to_be_visible()
    manager.goto("/tasks/")
    expect(manager.get_by_text("You have no open tasks")).to_be_visible()
    manager.goto(f"/cases/{contract.case_id}")
    expect(manager.get_by_role("link", name=re.compile("Record as published"))).to_have_count(0)


def test_a_contract_manager_records_a_kpi_assessment(site, open_as):
    core, people = site.core, site.people
    contract = contract_with_kpis(core, people)
    today = core.engine.today()
    manager = open_as(people.contract_manager)
    manager.goto(f"/contracts/{contract.id}")
    manager.get_by_role("link", name="Record a KPI assessment").click()

    def group(name):
        return manager.get_by_role("group", name=name)

    enter_date(group("First day of the period assessed"), today - timedelta(days=365))
    enter_date(group("Last day of the period assessed"), today)
    enter_date(group(re.compile("performance notice published")), today)
    for kpi, rating in (
        ("Bins collected on the scheduled day", "Good"),
        ("Missed bins put right", "Approaching target"),
        ("Complaints", "Inadequate"),
    ):
        manager.get_by_role("group", name=kpi).get_by_label(rating, exact=True).check()
    manager.get_by_label("Comment on 'Complaints' (optional)").fill("Rounds changed without notice")
    manager.get_by_role("button", name="Record the assessment").click()
    expect(manager.locator("[data-flash=success]")).to_contain_text("KPI assessment")
    expect(manager.locator("#performance ~ div table").last).to_contain_text("Rounds changed without notice")


def test_the_s151_officer_approves_the_payments_compliance_notice_from_their_task(site, open_as):
    from provision_cycle.scheduling.config import schedule_for
    from provision_cycle.scheduling.sweeps import raise_council_duties
    from provision_cycle.services.payments_compliance import ReportingPeriod
    from provision_cycle.services.spend import load_spend
    from tests.factories import register_contract

    core, people = site.core, site.people
    today = core.engine.today()
    period = ReportingPeriod.containing(today).previous  # the one the scheduler asks about now
    contract = register_contract(core, people, value="500000", starts=period.starts - timedelta(days=200),
                                 ends=today + timedelta(days=700))  # fmt: skip
    invoiced, paid = period.starts + timedelta(days=10), period.starts + timedelta(days=29)
    spend = f"Council,Transaction number,Date paid,Supplier,Amount,Contract reference,Invoice received\n" \
            f"OCC,T-1,{paid},S,1250,{contract.reference},{invoiced}\n"  # fmt: skip
    load_spend(core, spend.encode(), actor_id=people.system, apply=True)
    raise_council_duties(core, schedule_for(core), today)
    s151 = open_as(people.s151)
    s151.get_by_role("navigation", name="Menu").get_by_role("link", name="Tasks").click()
    s151.get_by_role("link", name=re.compile("Publish the payments compliance notice")).click()
    s151.get_by_role("link", name="notice's figures").click()
    expect(s151.get_by_role("heading", level=1)).to_have_text("Payments compliance notice")
    figures = s151.locator(".govuk-summary-list")
    expect(figures).to_contain_text("19.0 days")
    s151.get_by_label("Invoices received in the period and not yet paid").fill("one")
    s151.get_by_role("button", name="Work out the figures again").click()
    expect(s151.locator(".govuk-error-summary")).to_contain_text("as a whole number")
    s151.get_by_label("Invoices received in the period and not yet paid").fill("1")
    s151.get_by_role("button", name="Work out the figures again").click()
    expect(figures).to_contain_text("1 of 2 invoices received in the period")
    s151.get_by_label("Note (optional)").fill("Checked against the ledger")
    s151.get_by_role("button", name="Record the approval").click()
    expect(s151.locator("[data-flash=success]")).to_contain_text("approved: its task is complete")
    expect(figures).to_contain_text("Sam S151")
    expect(s151.get_by_text("counting 1 invoice then still unpaid")).to_be_visible()
    s151.goto("/tasks/")
    expect(s151.get_by_role("link", name=re.compile("payments compliance"))).to_have_count(0)


def _proposing_a_variation(site, open_as, what: str, value: str):
    """A public contract under the Act (500,000, ending in 900 days), and its manager's page proposing a
    variation of it to ``value`` by the same end date, saying ``what``."""
    today = site.core.engine.today()
    ends = today + timedelta(days=900)
    contract = register_contract(site.core, site.people, value="500000", starts=today - timedelta(days=200), ends=ends)
    manager = open_as(site.people.contract_manager)
    manager.goto(f"/cases/{contract.case_id}")
    manager.get_by_role("link", name="Propose a variation").click()
    manager.get_by_label("What changes and why").fill(what)
    manager.get_by_label("New total contract value excluding VAT").fill(value)
    enter_date(manager.get_by_role("group", name="New end date"), ends)
    return contract, manager


def test_a_variation_is_approved_on_what_it_changes_and_made_after_its_change_notice(site, open_as):
    people, today = site.people, site.core.engine.today()
    contract, manager = _proposing_a_variation(site, open_as, "Two more depots", "650000")
    # PA23 s74: on a basis the Act gives, which must allow it: a below-threshold modification is 10% at most.
    manager.get_by_label(re.compile("A below-threshold modification: the value")).check()
    manager.get_by_role("group", name=re.compile("voluntary standstill")).get_by_label("No", exact=True).check()
    manager.get_by_role("button", name="Propose a variation").click()
    expect(manager.locator(".govuk-error-summary")).to_contain_text("at most 10%, and this changes it by 30.0%")
    manager.get_by_label(re.compile("Additional goods, services or works that")).check()
    manager.get_by_role("button", name="Propose a variation").click()
    expect(manager.locator("[data-flash=success]")).to_contain_text("Propose a variation")

    head = open_as(people.head)
    head.get_by_role("navigation", name="Menu").get_by_role("link", name="Approvals").click()
    head.get_by_role("link", name=contract.title, exact=True).click()
    expect(head.locator("dl").first).to_contain_text("£500,000.00 to £650,000.00")
    expect(head.locator("dl").first).to_contain_text("Additional goods, services or works")
    expect(head.locator("dl").first).to_contain_text("Needed, and published before the change is made")
    expect(head.locator("dl").last).to_contain_text("Paid under it so far, excluding VAT")  # how the contract has gone
    head.get_by_label("No, I have no conflict of interest").check()
    head.get_by_label("Approve", exact=True).check()
    head.get_by_role("button", name="Record my decision").click()

    manager.reload()
    expect(
        manager.get_by_role("heading", name="The variation approved, to be made after its change notice")
    ).to_be_visible()
    expect(manager.locator("#not-yet-make_variation")).to_contain_text("Record the contract change notice")
    manager.get_by_role("link", name=re.compile("Record as published")).click()
    enter_date(manager, today)
    manager.get_by_role("button", name="Record the notice").click()
    expect(manager.locator("[data-flash=success]")).to_contain_text("contract change notice")
    manager.get_by_role("button", name="Make the modification").click()
    expect(manager.locator("[data-flash=success]")).to_contain_text("Make the modification")
    manager.goto(f"/contracts/{contract.id}")
    expect(manager.locator("main")).to_contain_text("£650,000.00")


def test_another_supplier_takes_a_contract_over_and_the_register_names_it_once_the_variation_is_made(site, open_as):
    """A novation on a corporate restructuring (PA23 Schedule 8): who takes it over is asked once the manager says
    another supplier does, the approvers read it, and the contract's page names it after the change notice."""
    people, today = site.people, site.core.engine.today()
    contract, manager = _proposing_a_variation(site, open_as, "Roadworks Ltd was bought by Kerb Group", "500000")
    manager.get_by_label(re.compile("Another supplier takes the contract over on a corporate restructuring")).check()
    novation = manager.get_by_role("group", name=re.compile("Does another supplier take the contract over"))
    novation.get_by_label("Yes", exact=True).first.check()  # its own yes: the follow-up questions sit inside it
    manager.get_by_role("button", name="Propose a variation").click()
    expect(manager.locator(".govuk-error-summary")).to_contain_text("Enter supplier taking the contract over")
    manager.get_by_label("Supplier taking the contract over").fill("Kerb Group Ltd")
    manager.get_by_label("Its Public Procurement Organisation Number (PPON)").fill("PKRB-1111-GRPX")
    manager.get_by_role("button", name="Propose a variation").click()
    expect(manager.locator("[data-flash=success]")).to_contain_text("Propose a variation")

    head = open_as(people.head)
    head.get_by_role("navigation", name="Menu").get_by_role("link", name="Approvals").click()
    head.get_by_role("link", name=contract.title, exact=True).click()
    expect(head.locator("dl").first).to_contain_text("Kerb Group Ltd takes the contract over")
    expect(head.locator("dl").first).to_contain_text("Needed, and published before the change is made")
    head.get_by_label("No, I have no conflict of interest").check()
    head.get_by_label("Approve", exact=True).check()
    head.get_by_role("button", name="Record my decision").click()

    manager.reload()
    manager.get_by_role("link", name=re.compile("Record as published")).click()
    enter_date(manager, today)
    manager.get_by_role("button", name="Record the notice").click()
    manager.get_by_role("button", name="Make the modification").click()
    expect(manager.locator("[data-flash=success]")).to_contain_text("Make the modification")
    manager.goto(f"/contracts/{contract.id}")
    expect(manager.locator(".govuk-summary-list")).to_contain_text("Kerb Group Ltd")
    expect(manager.locator(".govuk-summary-list")).to_contain_text("PKRB-1111-GRPX")
    expect(manager.get_by_text("supplier Roadworks Ltd → Kerb Group Ltd")).to_be_visible()  # its history says so


def test_a_variation_that_is_a_key_decision_goes_on_the_forward_plan_and_to_the_executive(site, open_as):
    """OCC: adding over 1,000,000 is a key decision: the officers approve, then the Executive, once the entry
    has been on the forward plan for 28 clear days (here published six weeks ago)."""
    core, people = site.core, site.people
    today = core.engine.today()
    contract = register_contract(  # let under PCR 2015: no change notice to wait for
        core, people, value="500000", starts=today - timedelta(days=1500), ends=today + timedelta(days=400)
    )
    manager = open_as(people.contract_manager)
    manager.goto(f"/cases/{contract.case_id}")
    manager.get_by_role("link", name="Propose a variation").click()
    manager.get_by_label("What changes and why").fill("The whole county's depots")
    manager.get_by_label("New total contract value excluding VAT").fill("1600000")
    ends = contract.end_date
    enter_date(manager.get_by_role("group", name="New end date"), ends)
    manager.get_by_label(re.compile(r"review clauses in the procurement documents \(regulation 72\(1\)\(a\)\)")).check()
    manager.get_by_role("button", name="Propose a variation").click()
    expect(manager.locator("main")).to_contain_text("Yes, for the Executive: key decision for OCC")
    record_forward_plan_entry(manager, today - timedelta(days=42))

    for approver in (people.head, people.director):
        decide(open_as(approver), contract.title, "Approve")
    executive = open_as(people.executive)
    executive.get_by_role("navigation", name="Menu").get_by_role("link", name="Approvals").click()
    expect(executive.locator("main")).to_contain_text("to £1,600,000.00")
    executive.get_by_role("link", name=contract.title, exact=True).click()
    expect(executive.locator("dl").first).to_contain_text("the variation adds £1,100,000.00 to the contract's value")
    executive.get_by_label("No, I have no conflict of interest").check()
    executive.get_by_label("Approve", exact=True).check()
    executive.get_by_role("button", name="Record my decision").click()
    manager.goto(f"/contracts/{contract.id}")
    expect(manager.locator("main")).to_contain_text("£1,600,000.00")


def test_an_extension_says_what_it_costs_and_one_that_is_a_key_decision_goes_to_the_executive(site, open_as):
    """OCC: an extension costing over 1,000,000 is a key decision: the approvers of the contract's value with
    it (over 1m: the Head of Category and a Director), then the Executive once its forward plan days have run."""
    core, people = site.core, site.people
    today = core.engine.today()
    contract = register_contract(
        core, people, value="500000", starts=today - timedelta(days=1500), ends=today + timedelta(days=200),
        extension_months_available=24,
    )  # fmt: skip
    manager = open_as(people.contract_manager)
    manager.goto(f"/cases/{contract.case_id}")
    manager.get_by_role("button", name="Open the renewal decision").click()
    manager.get_by_role("link", name="Propose an extension").click()
    extend_to = contract.end_date + timedelta(days=365)
    enter_date(manager.get_by_role("group", name="Extend the contract to"), extend_to)
    manager.get_by_label("What the extension will cost excluding VAT").fill("1,200,000")
    manager.get_by_role("button", name="Propose an extension").click()
    expect(manager.locator("main")).to_contain_text("£1,200,000.00: the contract's value goes from £500,000.00")
    expect(manager.locator("main")).to_contain_text("Yes, for the Executive: key decision for OCC: the extension")
    record_forward_plan_entry(manager, today - timedelta(days=42))

    for approver in (people.head, people.director):
        decide(open_as(approver), contract.title, "Approve")
    decide(open_as(people.executive), contract.title, "Approve")
    manager.goto(f"/contracts/{contract.id}")
    expect(manager.locator("main")).to_contain_text("£1,700,000.00")
    expect(manager.locator("main")).to_contain_text(f"{extend_to:%-d %B %Y}")


def test_a_direct_award_asks_its_ground_only_when_chosen(site, open_as):
    requester = open_as(site.people.requester)
    requester.goto("/my-work")
    describe_procurement(requester, title="Emergency home care", value="250000", kind="Services")
    ground = requester.get_by_role("radio", name=re.compile("Extreme and unavoidable urgency"))
    expect(ground).to_be_hidden()  # revealed only under a direct award
    requester.get_by_label("Direct award", exact=True).check()
    expect(ground).to_be_visible()
    ground.check()
    requester.get_by_label("Why does the ground apply to this purchase?").fill("The provider failed on Friday")
    requester.get_by_role("button", name="Continue").click()
    requester.get_by_label("How is it funded?").fill("Adult social care budget")
    requester.get_by_label("Why is it needed now?").fill("Clients are without care")
    requester.get_by_role("button", name="Continue").click()
    answers = requester.locator(".govuk-summary-list").first
    expect(answers).to_contain_text("Extreme and unavoidable urgency")
    expect(answers).to_contain_text("The provider failed on Friday")
    requester.get_by_role("button", name="Submit for approval").click()
    expect(requester.locator("[data-flash=success]")).to_contain_text("Submit for approval: PRC-")
    expect(requester.locator("main")).to_contain_text("Ground for the direct award")


def test_a_direct_award_s_transparency_notice_names_the_supplier_the_award_then_goes_to(site, open_as):
    people, engine = site.people, site.core.engine
    ground = {"direct_award_ground": "single_supplier", "direct_award_justification": "Only its maker may change it"}
    case_id = ready_for_the_market(engine, people, title="Licensed planning software", route="direct_award",
                                   details=ground)  # fmt: skip

    officer = open_as(site.people.officer)
    officer.goto(f"/cases/{case_id}")
    officer.get_by_role("link", name="Publish the transparency notice").click()
    enter_date(officer, engine.today())
    officer.get_by_label("The supplier the contract is to be awarded to").fill("Planit Software Ltd")
    officer.get_by_label(re.compile(r"Its Companies House or charity number")).fill("04567890")
    officer.get_by_label(re.compile(r"Its Public Procurement Organisation Number")).fill("ppln-2024-soft")
    officer.get_by_role("button", name="Publish the transparency notice").click()
    expect(officer.locator("[data-flash=success]")).to_contain_text("Publish the transparency notice")
    expect(officer.locator("main")).to_contain_text("The supplier the contract is to be awarded to: Planit Software")

    ready_to_recommend(engine, case_id, people)
    officer.goto(f"/cases/{case_id}/actions/recommend_award")
    expect(officer.locator("main")).to_contain_text(
        "Filled in from the transparency notice, which said the contract is to go to Planit Software Ltd."
    )
    expect(officer.get_by_label("Recommended supplier")).to_have_value("Planit Software Ltd")
    expect(officer.get_by_label(re.compile(r"The supplier's Public Procurement Organisation Number"))).to_have_value(
        "ppln-2024-soft"
    )
    officer.get_by_label("Recommended supplier").fill("Another Vendor Ltd")  # not the supplier notified
    for question in ("small or medium-sized enterprise", "voluntary, community or social enterprise",
                     "supported employment provider", "public service mutual"):  # fmt: skip
        officer.get_by_role("group", name=re.compile(question)).get_by_label("No").check()
    officer.get_by_label("Contract value excluding VAT").fill("240000")
    officer.get_by_role("button", name="Recommend the award").click()
    expect(officer.locator(".govuk-error-summary")).to_contain_text(
        "The transparency notice said the contract is to be awarded to Planit Software Ltd"
    )
    officer.get_by_label("Recommended supplier").fill("Planit Software Ltd")
    officer.get_by_role("button", name="Recommend the award").click()
    expect(officer.locator("[data-flash=success]")).to_contain_text("Award approval")


def test_errors_are_summarised_and_focused(site, open_as):
    requester = open_as(site.people.requester)
    requester.goto("/requests/new")
    requester.get_by_role("button", name="Continue").click()
    expect(requester).to_have_title(re.compile(r"^Error: "))
    summary = requester.locator(".govuk-error-summary")
    expect(summary).to_be_focused()  # GOV.UK Frontend's script moves focus to the summary
    summary.get_by_role("link", name="Enter a title for the request").click()
    expect(requester.get_by_label("Title", exact=True)).to_be_focused()


def signed_in_without_javascript(site, chromium, user_id: int):
    """A signed-in page in a context with JavaScript off; close its ``.context`` when done."""
    page = chromium.new_context(base_url=site.url, java_script_enabled=False).new_page()
    page.goto("/sign-in")
    page.get_by_label("Username").fill(site.username(user_id))
    page.get_by_label("Password", exact=True).fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    return page


def test_a_request_can_be_made_without_javascript(site, chromium):
    page = signed_in_without_javascript(site, chromium, site.people.requester)
    start_procurement(page, title="Grit bins", value="12000")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.locator("[data-flash=success]")).to_contain_text("Submit for approval: PRC-")
    page.context.close()


def test_the_conflicts_assessment_waits_for_the_team_to_declare(site, open_as):
    people, engine = site.people, site.core.engine
    case_id = new_request(engine, people.requester, value="250000", title="Case management system")
    act(engine, case_id, "submit", people.requester)
    approve_gate(engine, case_id, [people.head])
    declare(engine, case_id, people.officer)

    officer = open_as(site.people.officer)
    officer.goto(f"/cases/{case_id}")
    officer.get_by_role("link", name="Change the team").click()
    pick_person(officer, "Who works on this procurement?", "len", "Lena Legal")  # a type-ahead, not a long list
    officer.get_by_label("The evaluation panel").check()
    officer.get_by_role("button", name="Add to the team").click()
    expect(officer.locator("[data-flash=success]")).to_contain_text("asked to declare their interests")
    officer.goto(f"/cases/{case_id}")  # no button that can only be refused: what stands in the way instead
    waiting = officer.locator("#not-yet-complete_conflicts_assessment")
    expect(waiting).to_contain_text("Complete the conflicts assessment: not yet")
    expect(waiting).to_contain_text("Lena Legal has not declared their interests yet")
    expect(officer.get_by_role("button", name="Complete the conflicts assessment")).to_have_count(0)

    legal = open_as(people.legal)
    legal.goto(f"/cases/{case_id}")
    legal.get_by_role("link", name="Declare your interests in this case").click()
    # The conflict's description and mitigation are asked only of someone who has one.
    expect(legal.get_by_label("Describe the conflict")).to_be_hidden()
    legal.get_by_label("Yes, I have a conflict to declare").check()
    expect(legal.get_by_label("Describe the conflict")).to_be_visible()
    expect(legal.get_by_label("How is it mitigated?")).to_be_visible()
    legal.get_by_role("button", name="Record my declaration").click()
    expect(legal.locator(".govuk-error-summary")).to_contain_text("Describe the conflict")
    expect(legal.get_by_label("Describe the conflict")).to_be_visible()  # still revealed with its error
    legal.get_by_label("No, I have no conflict of interest").check()
    expect(legal.get_by_label("Describe the conflict")).to_be_hidden()
    legal.get_by_role("button", name="Record my declaration").click()
    expect(legal.locator("[data-flash=success]")).to_contain_text("Your declaration")
    expect(legal.locator("#team ~ table")).to_contain_text("No conflict")

    officer.goto(f"/cases/{case_id}")
    officer.get_by_role("button", name="Complete the conflicts assessment").click()
    expect(officer.locator("[data-flash=success]")).to_contain_text("Complete the conflicts assessment")


def test_a_tender_notice_accounts_for_market_engagement_asking_what_follows_only_after_a_yes(site, open_as):
    """PA23 s17: engagement with the market before a public contract's tender notice has its own notice first,
    or the tender notice says why not; the notice's date and the reasons are asked only after a yes."""
    people, engine = site.people, site.core.engine
    case_id = ready_for_the_market(engine, people, value="250000", title="Library self-service kiosks")
    today = engine.today()

    officer = open_as(site.people.officer)
    officer.goto(f"/cases/{case_id}")
    officer.get_by_role("link", name="Publish the tender notice").click()
    enter_date(officer.get_by_role("group", name="Date the tender notice was published"), today)
    enter_date(officer.get_by_role("group", name="Closing date for tenders"), today + timedelta(days=30))
    reasons = officer.get_by_label("If none was published, why not")
    expect(reasons).to_be_hidden()
    engaged = officer.get_by_role("group", name=re.compile("Did the council engage with suppliers"))
    engaged.get_by_label("Yes", exact=True).check()
    expect(reasons).to_be_visible()
    officer.get_by_role("button", name="Publish the tender notice").click()
    expect(officer.locator(".govuk-error-summary")).to_contain_text("or the tender notice gives the reasons")
    because = "The engagement was a supplier day run by the framework's owner"
    officer.get_by_label("If none was published, why not").fill(because)
    officer.get_by_role("button", name="Publish the tender notice").click()
    expect(officer.locator("[data-flash=success]")).to_contain_text("is now at 'Tender period'")
    expect(officer.locator("#timeline ~ ol")).to_contain_text(f"gives these reasons): {because}")


def test_a_below_threshold_tender_is_reserved_to_local_smes_from_its_notice(site, open_as):
    """The 2026 Order: the reservation's place, its SMEs and VCSEs and its reasons are asked only
    after a yes, and the case then says who alone may tender."""
    people, engine = site.people, site.core.engine
    case_id = ready_for_the_market(engine, people, value="100000", title="Grounds maintenance")
    today = engine.today()

    officer = open_as(site.people.officer)
    officer.goto(f"/cases/{case_id}")
    officer.get_by_role("link", name="Publish the tender notice").click()
    enter_date(officer.get_by_role("group", name="Date the tender notice was published"), today)
    enter_date(officer.get_by_role("group", name="Closing date for tenders"), today + timedelta(days=21))
    reasons = officer.get_by_label("Why it is reserved")
    expect(reasons).to_be_hidden()
    # The first "Yes" of the question's group: the follow-up questions it reveals sit inside that group.
    reserve = officer.get_by_role("group", name=re.compile("Is the competition reserved"))
    reserve.get_by_label("Yes", exact=True).first.check()
    expect(reasons).to_be_visible()
    officer.get_by_role("group", name="Reserved to suppliers based in").get_by_label("Oxfordshire", exact=True).check()
    smes = officer.get_by_role("group", name="Is it reserved to SMEs and VCSEs as well?")
    smes.get_by_label("Yes", exact=True).check()
    reasons.fill("Local jobs and apprenticeships")
    officer.get_by_role("button", name="Publish the tender notice").click()
    expect(officer.locator("[data-flash=success]")).to_contain_text("is now at 'Tender period'")
    expect(officer.locator("#reservation")).to_have_text(
        re.compile(
            r"Reserved to SMEs and VCSEs based in Oxfordshire \(the Local Government \(Exclusion of Non-commercial Considerations\) \(England\) Order 2026\)"
        )
    )


def test_a_person_is_chosen_by_typing_and_what_the_box_shows_is_what_is_posted(site, open_as):
    people = site.people
    manager = open_as(people.manager)
    manager.goto("/approvals/cover")
    who = type_ahead(manager, "Who covers your approvals?")
    who.fill("hana")
    expect(manager.get_by_role("option")).to_have_count(1)
    expect(manager.get_by_role("option")).to_have_css("font-family", re.compile(r"^arial"))  # not the browser's serif
    manager.get_by_role("option", name="Hana Head").click()
    expect(who).to_have_value("Hana Head")
    # Emptied after a pick: the earlier pick must not be posted behind the person's back.
    who.fill("")
    manager.get_by_role("button", name="Set up cover").click()
    expect(manager.locator(".govuk-error-summary")).to_contain_text("Choose a delegate")
    expect(type_ahead(manager, "Who covers your approvals?")).to_have_class(re.compile(r"\bgovuk-input--error\b"))
    # A name typed but not in the list is not a choice either.
    type_ahead(manager, "Who covers your approvals?").fill("Nobody Known")
    manager.get_by_role("button", name="Set up cover").click()
    expect(manager.locator(".govuk-error-summary")).to_contain_text("Choose a delegate")
    manager.locator(".govuk-error-summary").get_by_role("link", name="Choose a delegate").click()
    expect(type_ahead(manager, "Who covers your approvals?")).to_be_focused()

    pick_person(manager, "Who covers your approvals?", "Hana", "Hana Head")
    manager.get_by_role("button", name="Set up cover").click()
    expect(manager.locator("[data-flash=success]")).to_be_visible()
    expect(manager.get_by_text(re.compile(r"^Hana Head, "))).to_be_visible()


def test_without_javascript_a_person_is_chosen_from_the_list(site, chromium):
    page = signed_in_without_javascript(site, chromium, site.people.manager)
    page.goto("/approvals/cover")
    page.get_by_label("Who covers your approvals?").select_option(label="Hana Head")
    page.get_by_role("button", name="Set up cover").click()
    expect(page.get_by_text(re.compile(r"^Hana Head, "))).to_be_visible()
    page.context.close()


def test_an_administrator_loads_the_councils_register_from_a_spreadsheet(site, open_as, tmp_path):
    admin_id = create_user(site.core.db, ("administrator", "OCC"), full_name="Ada Administrator")
    give_password(site.core.db, admin_id)
    register = tmp_path / "our-contracts.csv"
    register.write_text(
        "Title,Supplier,Council,Category,Contract type,Value,Start date,End date,Contract manager\n"
        'Grounds maintenance,Green Ltd,OCC,Property and facilities,Services,"£95,000",01/04/2025,31/03/2028,'
        "Cora Contracts\n"
        "Fleet leasing,Vans plc,Cherwell,Fleet,Goods,400000,01/06/2025,31/05/2029,Cora Contracts\n",
        encoding="utf-8",
    )
    admin = open_as(admin_id)
    admin.get_by_role("navigation", name="Menu").get_by_role("link", name="Contracts").click()
    admin.get_by_role("link", name="Load contracts from a spreadsheet").click()
    admin.get_by_label("Upload the register").set_input_files(str(register))
    admin.get_by_role("button", name="Check the file").click()
    summary = admin.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("our-contracts.csv: The file has 2 problems, so nothing was loaded")
    expect(admin.locator("#problems")).to_contain_text("You can load contracts for OCC only")
    # Cora manages Corporate and Commercial contracts; the grounds contract is Environment and Infrastructure.
    expect(admin.locator("#problems")).to_contain_text("Cora Contracts does not hold the Contract Manager role")
    register.write_text(
        "Title,Supplier,Council,Category,Contract type,Value,Start date,End date,Contract manager\n"
        'Office furniture,Desks Ltd,OCC,Corporate supplies,Goods,"£95,000",01/04/2025,31/03/2028,Cora Contracts\n',
        encoding="utf-8",
    )
    admin.get_by_label("Upload the register").set_input_files(str(register))
    admin.get_by_role("button", name="Check the file").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("1 contract ready to load")
    admin.get_by_role("button", name="Load 1 contract").click()
    expect(admin.locator("[data-flash=success]")).to_contain_text("1 contract from our-contracts.csv loaded")
    expect(admin.get_by_role("table")).to_contain_text("Office furniture")


def test_a_new_person_sets_their_password_from_the_invitation_and_later_resets_it(site, open_as, chromium):
    from tests.web.test_passwords import _emails

    schedule = load_schedule(PROJECT_ROOT / "config", set(site.core.governance.organisation.pillars))
    admin = create_user(site.core.db, ("administrator", "OCC"))
    give_password(site.core.db, admin)
    page = open_as(admin)
    page.goto("/admin/users/new")
    page.get_by_label("Full name").fill("Nia New")
    page.get_by_label("Username").fill("nia.new")
    page.get_by_label("Email address").fill("nia.new@example.gov.uk")
    page.get_by_label("Role").select_option(label="Requester")
    page.get_by_label("Council").select_option(label="Oxfordshire County Council")
    page.get_by_role("button", name="Add the person").click()
    expect(page.locator("[data-flash=success]")).to_contain_text("An email is on its way to nia.new@example.gov.uk")

    def follow(email, password: str) -> Page:
        """Open the emailed link in a browser of its own, set ``password`` and sign in with it."""
        link = re.search(r"http://hub(/password/\S+)", email.get_content()).group(1)
        theirs = chromium.new_context(base_url=site.url).new_page()
        theirs.goto(link)
        theirs.get_by_label("New password", exact=True).fill(password)
        theirs.get_by_label("Confirm the new password").fill(password + " typo")
        theirs.get_by_role("button", name="Set the password").click()
        expect(theirs.locator(".govuk-error-summary")).to_contain_text("Enter the same password twice")
        theirs.get_by_label("New password", exact=True).fill(password)
        theirs.get_by_label("Confirm the new password").fill(password)
        theirs.get_by_role("button", name="Set the password").click()
        expect(theirs.locator("[data-flash=success]")).to_contain_text("Sign in as nia.new")
        theirs.get_by_label("Username").fill("nia.new")
        theirs.get_by_label("Password", exact=True).fill(password)
        theirs.get_by_role("button", name="Sign in").click()
        theirs.wait_for_url("**/my-work")
        return theirs

    (invitation,) = _emails(site.core, schedule)
    assert invitation["Subject"] == "Your account: set your password"
    first = follow(invitation, "first of my long passwords")
    first.get_by_role("button", name="Sign out").click()

    first.get_by_role("link", name="Forgotten your password?").click()
    first.get_by_label("Username or email address").fill("nia.new@example.gov.uk")
    first.get_by_role("button", name="Send me a link").click()
    expect(first.get_by_role("heading", level=1)).to_have_text("Check your email")
    told, reset = _emails(site.core, schedule)  # first, that the invitation's password was set
    assert told["Subject"] == "Your password was set" and reset["Subject"] == "Set a new password"
    again = follow(reset, "second of my long passwords")
    again.get_by_role("link", name="Your account").click()
    expect(again.get_by_text("Requester, Oxfordshire County Council")).to_be_visible()  # the roles they hold
    again.get_by_role("link", name="Change your password").click()
    again.get_by_label("Current password").fill("second of my long passwords")
    again.get_by_label("New password", exact=True).fill("third of my long passwords")
    again.get_by_label("Confirm the new password").fill("third of my long passwords")
    again.get_by_role("button", name="Change the password").click()
    expect(again.locator("[data-flash=success]")).to_contain_text("signed out everywhere else")


def test_a_person_signs_in_with_their_council_account(site, chromium):
    from tests.identity_provider import CLIENT_ID, CLIENT_SECRET, IdentityProvider

    provider = IdentityProvider(
        person={"sub": "entra-1", "email": f"{site.username(site.people.requester)}@example.gov.uk"}
    )
    provider.start()
    try:
        site.core.settings = site.core.settings.with_overrides(
            base_url=site.url, sso_issuer=provider.issuer, sso_client_id=CLIENT_ID, sso_client_secret=CLIENT_SECRET
        )
        page = chromium.new_context(base_url=site.url).new_page()
        page.goto("/cases/")  # not signed in: the sign-in page, which goes on to the cases after
        page.get_by_role("button", name="Sign in with your council account").click()
        page.wait_for_url("**/cases/")
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("cases", re.I))
        assert provider.asked and provider.asked[0]["redirect_uri"] == f"{site.url}/sign-in/single-sign-on/return"
    finally:
        provider.stop()


def test_a_person_is_warned_before_their_session_ends_unused_and_can_stay_signed_in(site, open_as, monkeypatch):
    from itsdangerous.timed import TimestampSigner

    from provision_cycle.models.base import utcnow

    later = timedelta()  # how far the service's clock is moved on (CSRF tokens' too); the browser's with it
    site.core.engine.clock = lambda: utcnow() + later
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda signer: int(site.core.engine.clock().timestamp()))
    page = open_as(site.people.requester)
    page.clock.install()
    page.goto("/account")
    token = page.locator('input[name="csrf_token"]').first.input_value()
    later = timedelta(hours=3, minutes=56)
    page.clock.fast_forward("03:56:00")
    warning = page.get_by_role("dialog", name="You will be signed out soon")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("you will be signed out in 4 minutes unless you stay signed in")
    warning.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()
    assert page.locator('input[name="csrf_token"]').first.input_value() != token  # forms post after 4 hours more

    later += timedelta(hours=4, minutes=1)  # and then nothing, past the end
    page.clock.fast_forward("04:01:00")
    page.wait_for_url("**/sign-in?next=/account")
    expect(page.locator("[data-flash=error]")).to_contain_text("You were signed out after 4 hours without using")


def test_the_end_of_a_working_day_s_session_is_said_before_it_comes(site, open_as):
    from provision_cycle.models.base import utcnow

    later = timedelta()
    site.core.engine.clock = lambda: utcnow() + later
    page = open_as(site.people.requester)
    for hours in (3, 6, 8.1):  # used through the day: the 12 hours come before 4 unused
        later = timedelta(hours=hours)
        page.goto("/my-work")
    page.clock.install()
    page.reload()
    later += timedelta(hours=3, minutes=50, seconds=30)
    page.clock.fast_forward("03:50:30")
    warning = page.get_by_role("dialog", name="You will be signed out soon")
    expect(warning).to_contain_text("Your session ends in 4 minutes")
    expect(warning.get_by_role("button", name="Stay signed in")).to_be_hidden()  # it cannot be put back
    warning.get_by_role("button", name="Carry on").click()
    expect(warning).to_be_hidden()


def test_a_person_sets_up_security_codes_and_signs_in_with_one(site, open_as, chromium):
    from provision_cycle.models.base import utcnow
    from provision_cycle.services import two_factor

    page = open_as(site.people.requester)
    page.get_by_role("link", name="Your account").click()
    page.get_by_role("link", name="Set up security codes").click()
    page.get_by_role("button", name="Show my QR code").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    key = page.locator("#security-key").inner_text().replace(" ", "")
    page.get_by_label("Security code").fill(two_factor.code_at(key, two_factor.step_of(utcnow())))
    page.get_by_role("button", name="Turn on security codes").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    recovery = page.locator("#recovery-codes li").first.inner_text()
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_text("On since")).to_be_visible()

    theirs = chromium.new_context(base_url=site.url).new_page()  # another browser: password, then a code
    theirs.goto("/sign-in")
    theirs.get_by_label("Username").fill(site.username(site.people.requester))
    theirs.get_by_label("Password", exact=True).fill(PASSWORD)
    theirs.get_by_role("button", name="Sign in").click()
    expect(theirs.get_by_role("heading", level=1)).to_have_text("Enter a security code")
    theirs.get_by_label("Security code").fill(recovery)
    theirs.get_by_role("button", name="Continue").click()
    theirs.wait_for_url("**/my-work")


def test_a_procurement_is_evaluated_on_its_award_criteria_and_the_award_follows_it(site, open_as):
    """PA23 s23 and s19: the criteria set before the tender notice, the tenders scored against them, and the
    award recommended to the most advantageous tender, filled in from the evaluation."""
    people, core = site.people, site.core
    case_id = ready_for_the_market(core.engine, people, value="250000", title="Library self-service kiosks")
    officer = open_as(site.people.officer)
    officer.goto(f"/cases/{case_id}")
    officer.get_by_role("link", name="Set the award criteria").first.click()  # offered among what to do, too
    for n, (name, kind, weighting) in enumerate(
        (
            ("Delivery and mobilisation", "Quality", "40"),
            ("Social value", "Social value", "10"),
            ("Price", "Price", "50"),
        ),
        start=1,
    ):
        officer.get_by_label(f"Criterion {n}", exact=True).fill(name)
        officer.get_by_label(f"What criterion {n} assesses").select_option(label=kind)
        officer.get_by_label(f"Criterion {n}'s weighting").fill(weighting)
    officer.get_by_role("button", name="Save the award criteria").click()
    expect(officer.locator("[data-flash=success]")).to_contain_text("The award criteria")
    expect(officer.locator("#evaluation ~ table").first).to_contain_text("Delivery and mobilisation")

    today = core.engine.today()
    published, closed = (today - timedelta(days=days) for days in (40, 1))
    publish_tender_notice(core.engine, case_id, people.officer, published.isoformat(), closed.isoformat())
    act(core.engine, case_id, "close_tenders", people.officer)
    ready_to_recommend(core.engine, case_id, people)

    officer.goto(f"/cases/{case_id}")
    for supplier, price, sme in (("Acme Ltd", "240000", "Yes"), ("Brightwork CIC", "200000", "No")):
        officer.get_by_role("link", name="Record a tender").click()
        officer.get_by_label("Supplier", exact=True).fill(supplier)
        officer.get_by_role("group", name=re.compile("small or medium-sized")).get_by_label(sme).check()
        officer.get_by_role("group", name=re.compile("voluntary, community")).get_by_label("No").check()
        officer.get_by_label("Price tendered, excluding VAT").fill(price)
        enter_date(officer.get_by_role("group", name="Date the tender was received"), closed)
        officer.get_by_role("button", name="Save the tender").click()
        expect(officer.locator("[data-flash=success]")).to_contain_text(f"{supplier}'s tender is recorded")

    for supplier, quality, social in (("Acme Ltd", "5", "4"), ("Brightwork CIC", "3", "5")):
        officer.get_by_role("link", name=f"Score {supplier}'s tender").click()
        delivery = officer.get_by_role("group", name="Delivery and mobilisation (40%)")
        delivery.get_by_label(re.compile(rf"(^|\s){quality}: ")).check()
        officer.get_by_label("Reasons for the score on 'Delivery and mobilisation'").fill("A week-by-week plan")
        officer.get_by_role("group", name="Social value (10%)").get_by_label(re.compile(rf"(^|\s){social}: ")).check()
        officer.get_by_label("Reasons for the score on 'Social value'").fill("Ten apprenticeships")
        officer.get_by_role("button", name="Save the scores").click()
        expect(officer.locator("[data-flash=success]")).to_contain_text(f"{supplier}'s scores are saved")
    expect(officer.locator("#main-content")).to_contain_text("the most advantageous is Acme Ltd's")

    officer.get_by_role("link", name="Recommend the award").click()
    expect(officer.get_by_label("Recommended supplier")).to_have_value("Acme Ltd")
    expect(officer.get_by_label("Contract value excluding VAT")).to_have_value("240000.00")
    for question in ("supported employment provider", "public service mutual"):  # not for the tender to say
        officer.get_by_role("group", name=re.compile(question)).get_by_label("No").check()
    # Above the threshold the supplier is registered on the Central Digital Platform: its PPON is asked for.
    officer.get_by_role("button", name="Recommend the award").click()
    expect(officer.locator(".govuk-error-summary")).to_contain_text(
        "Enter the supplier's Public Procurement Organisation Number (PPON)"
    )
    officer.get_by_label(re.compile(r"The supplier's Public Procurement Organisation Number")).fill("PACM-1234-LTDA")
    officer.get_by_role("button", name="Recommend the award").click()
    expect(officer.locator("[data-flash=success]")).to_contain_text("Award approval")
    expect(officer.locator("#award + dl")).to_contain_text("the evaluation ranks Acme Ltd first, with 89.67 points")


def test_the_category_team_opens_a_dynamic_market_and_admits_a_supplier(site, open_as):
    """PA23 s36 and s39: a market in two parts opened with its intention notice and established; a supplier's
    application for one part recorded and admitted once it is checked against the exclusion grounds."""
    today = site.core.engine.today()
    officer = open_as(site.people.officer)
    officer.goto("/contracts/")
    officer.get_by_role("link", name="Dynamic markets").click()
    officer.get_by_role("link", name="Open a dynamic market").click()
    officer.get_by_label("Title").fill("Home to school transport")
    officer.get_by_label("Conditions for membership (optional)").fill("An operator's licence")
    officer.get_by_label("Its parts (optional)").fill("North\nSouth")
    officer.get_by_label("Oxfordshire County Council", exact=True).check()
    officer.get_by_label("Category").select_option(label="Corporate and Commercial: ICT")
    enter_date(officer, today - timedelta(days=30))
    officer.get_by_role("button", name="Open the market").click()
    expect(officer.locator("[data-flash=success]")).to_contain_text("is on the record")
    expect(officer.locator("strong.govuk-tag")).to_have_text("Intention published")

    officer.get_by_role("link", name="Record the market's establishment").click()
    enter_date(officer, today - timedelta(days=10))
    officer.get_by_label("Its notice identifier (optional)").fill("004321-2026")
    officer.get_by_role("button", name="Record the notice").click()
    expect(officer.locator("strong.govuk-tag")).to_have_text("Established")
    expect(officer.locator("#notices ~ table").first).to_contain_text("Find a Tender 004321-2026")

    officer.get_by_role("link", name="Record an application").click()
    officer.get_by_label("Supplier", exact=True).fill("Acme Cabs Ltd")
    officer.get_by_role("group", name="Is the supplier a small or medium-sized enterprise (SME)?").get_by_label(
        "Yes"
    ).check()
    officer.get_by_role(
        "group", name="Is the supplier a voluntary, community or social enterprise (VCSE)?"
    ).get_by_label("No").check()
    officer.get_by_label("North", exact=True).check()
    enter_date(officer, today - timedelta(days=5))
    officer.get_by_role("button", name="Record the application").click()
    expect(officer.locator("#applications ~ table").first).to_contain_text("Acme Cabs Ltd")

    officer.get_by_role("link", name="Admit Acme Cabs Ltd").click()
    expect(officer.get_by_text("An operator's licence")).to_be_visible()  # the conditions, beside the decision
    officer.get_by_role("button", name="Admit the supplier").click()  # nothing entered: both dates asked for
    expect(officer.locator(".govuk-error-summary")).to_contain_text("Enter the date the supplier was checked")
    for legend in ("Date the supplier was checked", "Date the supplier was admitted"):
        enter_date(officer.get_by_role("group", name=re.compile(legend)), today)
    officer.get_by_role("button", name="Admit the supplier").click()
    expect(officer.locator("[data-flash=success]")).to_contain_text("Acme Cabs Ltd is admitted")
    expect(officer.locator("#members ~ table").first).to_contain_text("Acme Cabs Ltd")
    expect(officer.locator("#members ~ table").first).to_contain_text("North")


def test_a_framework_is_added_to_the_register_and_a_call_off_made_under_it_keeps_its_law(site, open_as):
    """A category officer adds a framework procured under the PCR 2015; a call-off chooses it and so stays
    under the PCR 2015, which its case page says."""
    people, core = site.people, site.core
    today = core.engine.today()
    case_id = ready_for_the_market(core.engine, people, value="250000", route="framework_call_off", title="Laptops")
    officer = open_as(site.people.officer)
    officer.goto("/contracts/")
    officer.get_by_role("link", name="Frameworks").click()
    officer.get_by_role("link", name="Add a framework").click()
    officer.get_by_label("Who established it").fill("Crown Commercial Service")
    officer.get_by_label("Its reference").fill("RM6098")
    officer.get_by_label("Title").fill("Technology Products and Associated Services 2")
    officer.get_by_label("Public Contracts Regulations 2015").check()
    enter_date(officer.get_by_role("group", name="Date it started"), today - timedelta(days=1000))
    enter_date(
        officer.get_by_role("group", name="Last date a call-off may be made under it"), today + timedelta(days=300)
    )
    officer.get_by_label("Joint (Oxfordshire and Cherwell)").check()
    officer.get_by_role("button", name="Save the framework").click()
    expect(officer.locator("[data-flash=success]")).to_contain_text("Crown Commercial Service RM6098 is added")
    expect(officer.locator("strong.govuk-tag")).to_have_text("Running")

    officer.goto(f"/cases/{case_id}/actions/start_call_off")
    officer.get_by_label(re.compile(r"Crown Commercial Service RM6098: Technology Products")).check()
    further_competition = officer.get_by_role("group", name=re.compile("Is it awarded directly"))
    further_competition.get_by_label("No").check()
    officer.get_by_role("button", name=re.compile("Start the call-off")).click()
    expect(officer.locator("body")).to_contain_text(
        "Public Contracts Regulations 2015, as the framework it is called off from was procured under it"
    )


def test_a_case_printed_is_its_record_without_the_menu_buttons_or_boxes_to_fill_in(site, open_as):
    people = site.people
    case_id = new_request(site.core.engine, people.requester, value="18000", title="Grit bins")
    act(site.core.engine, case_id, "submit", people.requester)
    manager = open_as(people.manager)
    manager.goto(f"/cases/{case_id}")
    kept = [manager.get_by_role("heading", name=name, exact=True) for name in ("Summary", "Approval route", "History")]
    left_off = [manager.get_by_role("navigation", name="Menu"), manager.get_by_role("link", name="Your account"),
                manager.get_by_role("heading", name="What you can do"), manager.get_by_label("Add a note"),
                manager.get_by_role("button", name="Add the note"), manager.locator("#diagram")]  # fmt: skip
    for shown in kept + left_off:
        expect(shown).to_be_visible()  # on the screen, all of it
    manager.emulate_media(media="print")
    for shown in kept:
        expect(shown).to_be_visible()
    for hidden in left_off:
        expect(hidden).to_be_hidden()


def test_a_key_decision_that_cannot_wait_is_taken_under_special_urgency_and_reported_to_the_council(site, open_as):
    """2012 Access to Information Regulations: the officer records that the scrutiny chair agreed the decision
    is urgent (reg 11), the case drafts the notice of its reasons, the Executive takes it the same day, and the
    monitoring officer finds it in the report to the council of such decisions (reg 19)."""
    core, people = site.core, site.people
    case_id = new_request(core.engine, people.requester, value="1200000", title="Emergency bridge repairs")
    act(core.engine, case_id, "submit", people.requester)
    officer = open_as(site.people.officer)
    officer.goto(f"/cases/{case_id}")
    officer.get_by_role("link", name="Record the forward plan entry or urgency notice").click()
    enter_date(officer, core.engine.today())
    officer.get_by_label(re.compile("Special urgency: the scrutiny chair agreed")).check()
    officer.get_by_label("Who agreed that the decision is urgent and cannot reasonably be deferred?").fill(
        "Cllr Jo Smith, chair of the Place Overview and Scrutiny Committee"
    )
    officer.get_by_label(re.compile("Why it cannot wait for 28 clear days")).fill(
        "The bridge is closed and the diversion is 20 miles"
    )
    officer.get_by_role("button", name="Record the forward plan entry or urgency notice").click()
    officer.get_by_role("link", name=re.compile("The notice to publish")).click()
    expect(officer.locator("#urgency-notice")).to_contain_text("Cllr Jo Smith, chair of the Place Overview")
    expect(officer.locator("#urgency-notice")).to_contain_text("The bridge is closed and the diversion is 20 miles")

    for approver in (people.head, people.finance, people.director, people.executive):
        decide(open_as(approver), "Emergency bridge repairs", "Approve")
    monitoring = open_as(people.monitoring)
    monitoring.locator("#decision-records").get_by_role("link", name="Oxfordshire County Council").last.click()
    expect(monitoring.get_by_role("heading", level=1)).to_have_text("Key decisions taken under special urgency")
    expect(monitoring.locator("main")).to_contain_text("1 key decision was taken under special urgency")
    expect(monitoring.locator("main")).to_contain_text("1. Procurement of Emergency bridge repairs")
    enter_date(monitoring.get_by_role("group", name="From"), core.engine.today() + timedelta(days=1))
    enter_date(monitoring.get_by_role("group", name="To"), core.engine.today())
    monitoring.get_by_role("button", name="Show the report").click()
    expect(monitoring.locator(".govuk-error-summary")).to_contain_text("must be on or after its first")


def test_the_monitoring_officer_records_a_report_scrutiny_requires_and_reports_it_to_the_council(site, open_as):
    """2012 Access to Information Regulations reg 18: an officer's award that the scrutiny committee holds should
    have been a key decision. The monitoring officer records its resolution under the decision's record, finds
    the report in their work, and completes it once it has gone to the council."""
    core, people = site.core, site.people
    case_id = new_request(core.engine, people.requester, value="250000", title="Library stock")
    act(core.engine, case_id, "submit", people.requester)
    officer_decision_record(core, case_id, "Library stock")  # as its award approval made it
    today = core.engine.today()
    monitoring = open_as(people.monitoring)
    monitoring.goto(f"/cases/{case_id}")
    monitoring.get_by_role("link", name=re.compile("Record that scrutiny requires a report on it")).click()
    monitoring.get_by_label("Which overview and scrutiny committee?").fill("Performance Scrutiny Committee")
    enter_date(monitoring.get_by_role("group", name="When did it resolve to require the report?"), today)
    enter_date(monitoring.get_by_role("group", name="When must the report go to the council?"), today)
    monitoring.get_by_label(re.compile("Why does the committee hold")).fill("It commits £240,000 across the county")
    monitoring.get_by_role("button", name="Record that a report is required").click()
    expect(monitoring.locator(".govuk-error-summary")).to_contain_text("The report is due after the day the committee")
    due = today + timedelta(days=28)
    enter_date(monitoring.get_by_role("group", name="When must the report go to the council?"), due)
    monitoring.get_by_role("button", name="Record that a report is required").click()
    expect(monitoring.locator("[data-flash=success]")).to_contain_text(f"due by {due:%-d %B %Y}")
    expect(monitoring.locator("#timeline")).to_be_visible()
    expect(monitoring.locator("main")).to_contain_text("Performance Scrutiny Committee resolved on")

    monitoring.goto("/tasks/")
    monitoring.get_by_role("link", name=re.compile("Report to the council: Award of the contract for Library")).click()
    monitoring.get_by_label("Reported to the council").check()
    monitoring.get_by_role("button", name="Complete the task").click()
    expect(monitoring.locator(".govuk-error-summary")).to_contain_text("Say when it went to the council")
    monitoring.get_by_label("Note").fill("Council, 20 January 2027: the Executive holds it was within the budget")
    monitoring.get_by_role("button", name="Complete the task").click()
    expect(monitoring.locator("[data-flash=success]")).to_contain_text("Task completed")
