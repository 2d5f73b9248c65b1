"""Every page renders for the people who use it, and the journeys work through the real forms."""

from __future__ import annotations

import re
from csv import DictReader
from datetime import date, timedelta
from io import StringIO

from sqlalchemy import select

from provision_cycle.governance.statutory import Regime
from provision_cycle.models import AuditEvent, Case, Contract
from tests.factories import act, create_user, hub_people, new_request, register_contract
from tests.web.helpers import page_text


def test_sign_in_page_and_home(app):
    client = app.test_client()
    assert "Sign in" in client.get("/sign-in").text
    assert client.get("/my-work").status_code == 302  # not signed in: to the sign-in page


def test_requester_starts_and_submits_a_procurement(core, db, browser):
    people = hub_people(db)
    requester = browser(people.requester)
    # What is started sets how many steps there are (a procurement asks how it will be bought): no total yet.
    assert "Start a request – step 1</span>" in requester.get("/requests/new").text
    requester.post(
        "/requests/new",
        {
            "stage": "procurement",
            "title": "Office chairs",
            "description": "Replace 200 worn chairs in County Hall",
            "authority": "OCC",
            "category": "corporate_supplies",
        },
    )
    requester.post(
        "/requests/new/value",
        {
            "estimated_value": "18,000",
            "vat_treatment": "standard",
            "contract_type": "goods",
            "proposed_start": ["1", "4", "2027"],
            "duration_months": "36",
        },
    )
    # How it will be bought: the rules' route for its value, unless another open to it is chosen.
    page = requester.get("/requests/new/route").text
    assert "step 3 of 4" in page and "Quotations: the route the council&#39;s rules set for its value" in page
    assert "Direct award" in page and "Framework call-off" in page and "Extreme and unavoidable urgency" in page
    requester.post("/requests/new/route", {"route": "recommended"})
    requester.post("/requests/new/funding", {"funding": "Facilities budget FM-204", "justification": "Worn out"})
    check = requester.get("/requests/new/check").text
    assert "The route the council&#39;s rules set for its value: Quotations" in check
    assert "Who will approve it, and why" in check and "Category Manager" in check
    response = requester.post("/requests/new/check", {"intent": "submit"})
    case_page = requester.get(response.location).text
    assert "Submit for approval: PRC-" in case_page
    with db.reading() as session:
        case = session.query(Case).one()
        assert case.state == "route_approval" and case.details["funding"] == "Facilities budget FM-204"
        assert case.estimated_value == 18000


def test_a_requester_asks_for_a_direct_award_on_a_ground_the_act_gives(core, db, browser):
    people = hub_people(db)
    requester = browser(people.requester)
    about = {"stage": "procurement", "title": "Emergency care cover", "description": "Cover for a failed provider",
             "authority": "OCC", "category": "corporate_supplies"}  # fmt: skip
    requester.post("/requests/new", about)
    value = {"estimated_value": "250000", "vat_treatment": "standard", "contract_type": "services",
             "proposed_start": ["1", "4", "2027"], "duration_months": "6"}  # fmt: skip
    assert requester.post("/requests/new/value", value).location.endswith("/requests/new/route")
    # Jumping ahead is sent back to the question not yet answered.
    assert requester.get("/requests/new/funding", status=302).location.endswith("/requests/new/route")
    page = requester.post("/requests/new/route", {"route": "direct_award"}, status=400).text
    assert "Choose the ground for the direct award" in page and "Say why the ground applies" in page
    assert "User choice" not in page  # light-touch services only (Sch 5 para 15): these are services
    page = requester.post("/requests/new/route", {"route": "direct_award", "direct_award_ground": "cheapest",
                                                  "direct_award_justification": "x"}, status=400).text  # fmt: skip
    assert "Not a valid choice" in page
    requester.post("/requests/new/route", {"route": "direct_award", "direct_award_ground": "urgency",
                   "direct_award_justification": "The provider went into administration on Friday"})  # fmt: skip
    requester.post("/requests/new/funding", {"funding": "Adult social care budget", "justification": "Urgent"})
    check = requester.get("/requests/new/check").text
    assert "How it will be bought" in check and "Direct award" in check
    assert "Extreme and unavoidable urgency that the council did not cause" in check
    assert "The provider went into administration on Friday" in check
    case_id = int(requester.post("/requests/new/check", {"intent": "submit"}).location.rsplit("/", 1)[1])
    with db.reading() as session:
        case = session.get(Case, case_id)
        assert (case.state, case.route) == ("route_approval", "direct_award")
        assert case.details["direct_award_ground"] == "urgency"
    # Its approver sees the ground and why, beside the decision.
    decide = browser(people.head).get(f"/approvals/cases/{case_id}").text
    assert "Ground for the direct award" in decide and "The provider went into administration on Friday" in decide


def test_a_user_choice_award_is_asked_for_light_touch_services_and_goes_on_without_notices(core, db, browser):
    from tests.factories import approve_open_steps, declare

    people = hub_people(db, pillar="heasc")
    requester = browser(people.requester)
    about = {"stage": "procurement", "title": "Residential care for Mrs B", "description": "A home she chose",
             "authority": "OCC", "category": "adult_social_care"}  # fmt: skip
    requester.post("/requests/new", about)
    value = {"estimated_value": "700000", "vat_treatment": "exempt", "contract_type": "light_touch",
             "proposed_start": ["1", "4", "2027"], "duration_months": "36"}  # fmt: skip
    requester.post("/requests/new/value", value)
    assert "User choice: light-touch services for particular people" in requester.get("/requests/new/route").text
    requester.post("/requests/new/route", {"route": "direct_award", "direct_award_ground": "user_choice",
                   "direct_award_justification": "Mrs B chose the home near her daughter"})  # fmt: skip
    requester.post("/requests/new/funding", {"funding": "Adult social care budget", "justification": "Her needs"})
    case_id = int(requester.post("/requests/new/check", {"intent": "submit"}).location.rsplit("/", 1)[1])
    approve_open_steps(core.engine, db, people, case_id)
    declare(core.engine, case_id, people.officer)
    act(core.engine, case_id, "complete_conflicts_assessment", people.officer)
    page = browser(people.officer).get(f"/cases/{case_id}").text
    assert "Record the supplier the people chose" in page and "Publish the transparency notice" not in page

    # Changed to services on the draft edit page, the ground is refused there, saying why.
    draft = new_request(core.engine, people.requester, value="700000", category="adult_social_care")
    answers = {"version": "1", "title": "Residential care", "description": "A home she chose", "authority": "OCC",
               "category": "adult_social_care", "estimated_value": "700000", "vat_treatment": "exempt",
               "contract_type": "services", "proposed_start": ["1", "9", "2026"], "duration_months": "36",
               "funding": "ASC", "justification": "Needs", "route": "direct_award",
               "direct_award_ground": "user_choice", "direct_award_justification": "She chose it"}  # fmt: skip
    page = requester.post(f"/cases/{draft}/edit", answers, status=400).text
    assert "is for light-touch services only; this request&#39;s contract type is services" in page


def test_the_award_s_approvers_see_to_whom_it_would_go_and_for_how_much(core, db, clock, browser):
    from tests.factories import approve_gate, award_recommended, register_contract

    people = hub_people(db)
    register_contract(core, people, value="60000", ends=date(2027, 3, 31), supplier_name="Acme Ltd")
    case_id = award_recommended(core.engine, clock, people, supplier_is_vcse=True, supplier_ppon="PACM-1234-LTDX",
                                supplier_is_public_service_mutual=True)  # fmt: skip
    queue = browser(people.head).get("/approvals/").text
    assert '£250,000.00<br><span class="govuk-body-s">award £240,000.00</span>' in queue
    decide = page_text(browser(people.head).get(f"/approvals/cases/{case_id}").text)
    # Who recommended it is named beside the requester: a question reaches both of them, and either may answer.
    assert "Requested by Rita Requester Put forward by Olive Officer" in decide
    assert "Ask Rita Requester and Olive Officer for more information" in decide
    for shown in ("Acme Ltd (01234567)", "Supplier PPON (unique identifier) PACM-1234-LTDX",
                  "A small or medium-sized enterprise (SME) and a voluntary, community or social enterprise (VCSE)",
                  "Supported employment or mutual A public service mutual",
                  "£240,000.00 (estimated £250,000.00)", "Suppliers checked on"):  # fmt: skip
        assert shown in decide
    decide = browser(people.head).get(f"/approvals/cases/{case_id}").text
    assert 'href="/suppliers/acme">Its record with the councils' in decide  # its other contracts, its performance
    assert "The award recommended" in browser(people.officer).get(f"/cases/{case_id}").text
    approve_gate(core.engine, case_id, [people.head])
    approve_gate(core.engine, case_id, [people.finance])
    assert "The award approved" in browser(people.officer).get(f"/cases/{case_id}").text


def test_an_award_to_a_supplier_new_to_the_councils_says_so_rather_than_link_to_no_record(core, db, clock, browser):
    """Its supplier page would have nothing the approver may see: no link to it (it would be Not Found), and
    the approver is told the supplier is new to the councils; a requester, who sees no supplier records, is
    told neither."""
    from tests.factories import award_recommended

    people = hub_people(db)
    case_id = award_recommended(core.engine, clock, people, supplier_name="Newco Widgets Ltd")
    decide = browser(people.head).get(f"/approvals/cases/{case_id}").text
    assert "Newco Widgets Ltd" in decide and "/suppliers/newco" not in decide
    assert "New to the councils: no contract, payment, tender or framework place of theirs that you can see" in decide
    page = browser(people.requester).get(f"/cases/{case_id}").text
    assert "Newco Widgets Ltd" in page and "New to the councils" not in page and "/suppliers/" not in page
    browser(people.head).get("/suppliers/newco%20widgets", status=404)


def test_an_award_over_the_threshold_its_estimate_was_under_is_flagged_to_its_approvers(core, db, clock, browser):
    from tests.factories import award_recommended

    people = hub_people(db)
    case_id = award_recommended(
        core.engine, clock, people, value="90000", award_value="180000", closes=date(2026, 3, 16)
    )
    page = browser(people.head).get(f"/approvals/cases/{case_id}").text
    assert "Statutory threshold" in page and "over the £207,720.00 threshold that the estimate was under" in page


def test_an_award_that_is_a_key_decision_says_so_to_its_approvers_and_on_the_case(core, db, clock, browser):
    from tests.factories import award_over_the_key_decision_figure

    people = hub_people(db, authority="CDC")
    case_id = award_over_the_key_decision_figure(core.engine, clock, people)
    reason = "key decision for CDC: a contract worth £520,000.00 is over £500,000.00"
    assert f"Yes, for the Executive: {reason}" in browser(people.head).get(f"/approvals/cases/{case_id}").text
    assert f"Yes, the award: {reason}" in browser(people.officer).get(f"/cases/{case_id}").text


def test_a_business_case_is_shown_to_its_approvers_and_changed_with_the_request_after_a_return(core, db, browser):
    """What the commissioning gate decides is on its decision page and the case's; returned for rework, it is
    changed on the request's change page with the rest, each answer checked, and goes back as changed."""
    from tests.factories import BUSINESS_CASE, commissioning_at_its_gate, declare

    people = hub_people(db)
    case_id = commissioning_at_its_gate(core.engine, people.requester, value="80000")  # the category manager's
    decide = page_text(browser(people.manager).get(f"/approvals/cases/{case_id}").text)
    assert f"The options considered {BUSINESS_CASE['options_considered']}" in decide
    assert "The preferred option and why B The outcomes it should achieve" in decide
    assert "your name, role and comment go into that record" in decide  # the commissioning gate's may have one
    requester = browser(people.requester)
    assert "The business case" in requester.get(f"/cases/{case_id}").text
    declare(core.engine, case_id, people.manager)
    act(core.engine, case_id, "return", people.manager, reason="Why not C?")
    edit = f"/cases/{case_id}/edit"
    form = requester.get(edit).text
    assert f"{BUSINESS_CASE['outcomes']}</textarea>" in form and "The main risks, and how they will be managed" in form
    heading = '<h2 class="govuk-heading-m">Business case</h2>'  # the answers apart from the request's questions
    assert form.index("Why is it needed now?") < form.index(heading) < form.index("The options considered")
    answers = {"version": _version(db, case_id), "title": "Case management system", "description": "Replace it",
               "authority": "OCC", "category": "ict", "estimated_value": "80000", "vat_treatment": "standard",
               "contract_type": "services", "proposed_start": ["1", "9", "2026"], "duration_months": "36",
               "funding": "ICT capital", "justification": "Support ends", **BUSINESS_CASE}  # fmt: skip
    page = requester.post(edit, {**answers, "outcomes": ""}, status=400).text
    assert "Enter the outcomes it should achieve, and how they will be measured" in page
    assert _version(db, case_id) == answers["version"]  # nothing saved
    requester.post(edit, {**answers, "preferred_option": "C: it costs more, but the team can change it"})
    shown = page_text(requester.get(f"/cases/{case_id}").text)
    assert "The preferred option and why C: it costs more, but the team can change it" in shown
    act(core.engine, case_id, "submit", people.requester)
    decide = page_text(browser(people.manager).get(f"/approvals/cases/{case_id}").text)
    assert "The preferred option and why C: it costs more" in decide


def _version(db, case_id: int) -> str:
    with db.reading() as session:
        return str(session.get(Case, case_id).version)


def test_a_draft_s_route_is_changed_with_its_other_answers(core, db, browser):
    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="250000")
    requester = browser(people.requester)
    form = requester.get(f"/cases/{case_id}/edit").text
    assert "How will it be bought?" in form and "On which ground may it be awarded directly?" in form
    answers = {"version": "1", "title": "Case management system", "description": "Replace it",
               "authority": "OCC", "category": "ict", "estimated_value": "250000", "vat_treatment": "standard",
               "contract_type": "services", "proposed_start": ["1", "9", "2026"], "duration_months": "36",
               "funding": "ICT capital", "justification": "Support ends"}  # fmt: skip
    page = requester.post(f"/cases/{case_id}/edit", {**answers, "route": "direct_award"}, status=400).text
    assert "Choose the ground for the direct award" in page
    # A route the value does not allow is refused here, not only when the request is submitted.
    page = requester.post(f"/cases/{case_id}/edit", {**answers, "route": "quotations"}, status=400).text
    assert "Quotations is not open to this case" in page and "Choose one of: Open procedure" in page
    requester.post(f"/cases/{case_id}/edit", {**answers, "route": "direct_award", "direct_award_ground":
                   "single_supplier", "direct_award_justification": "Only its maker may change it"})  # fmt: skip
    with db.reading() as session:
        case = session.get(Case, case_id)
        assert (
            case.route == "direct_award"
            and case.details["direct_award_justification"] == "Only its maker may change it"
        )
    page = requester.get(f"/cases/{case_id}").text
    assert "Only one supplier can supply it" in page and "Only its maker may change it" in page
    # Back to the rules' route: the ground and reasons go with it.
    requester.post(f"/cases/{case_id}/edit", {**answers, "version": "2", "route": "recommended"})
    with db.reading() as session:
        case = session.get(Case, case_id)
        assert case.route is None and case.details["direct_award_ground"] == ""


def test_question_pages_explain_bad_input(core, db, browser):
    people = hub_people(db)
    requester = browser(people.requester)
    page = requester.post("/requests/new", {"stage": "procurement"}, status=400).text
    assert "Error: About the request" in page
    assert "Enter a title for the request" in page and 'href="#title"' in page
    requester.post(
        "/requests/new",
        {"stage": "procurement", "title": "T", "description": "D", "authority": "OCC", "category": "ict"},
    )
    page = requester.post(
        "/requests/new/value",
        {
            "estimated_value": "lots",
            "vat_treatment": "standard",
            "contract_type": "goods",
            "proposed_start": ["31", "2", "2027"],
            "duration_months": "x",
        },
        status=400,
    ).text
    assert "Enter an estimated value in pounds, like 25000 or 25000.50" in page
    assert "Proposed start date must be a real date" in page and 'href="#proposed_start-day"' in page
    # The date widget with a part missing is an error, not a crash.
    requester.post("/requests/new/value", {"estimated_value": "1", "proposed_start": ["1", "2"]}, status=400)
    with db.reading() as session:
        assert session.query(Case).count() == 0  # nothing saved until the request is created


def _submitted_case(core, db, value="250000"):
    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value=value)
    act(core.engine, case_id, "submit", people.requester)
    return people, case_id


def test_approver_decides_from_the_decision_page(core, db, browser):
    people, case_id = _submitted_case(core, db, value="18000")
    manager = browser(people.manager)
    queue = manager.get("/approvals/").text
    assert "PRC-" in queue and "waiting, longest first" in queue
    assert ">Since today</td>" in queue  # submitted today: not "0 days"
    page = manager.post(f"/approvals/cases/{case_id}", {"outcome": "approve"}, status=400).text
    assert "Say whether you have a conflict of interest in this case" in page
    manager.post(f"/approvals/cases/{case_id}", {"has_conflict": "no", "outcome": "approve"})
    with db.reading() as session:
        assert session.get(Case, case_id).state != "route_approval"


def test_return_reject_and_request_info_need_reasons(core, db, browser):
    people, case_id = _submitted_case(core, db, value="18000")
    manager = browser(people.manager)
    page = manager.post(f"/approvals/cases/{case_id}", {"has_conflict": "no", "outcome": "reject"}, status=400).text
    assert "Give a reason to reject" in page
    manager.post(f"/approvals/cases/{case_id}", {"outcome": "reject", "reason": "No budget this year"})
    requester = browser(people.requester)
    page = requester.get(f"/cases/{case_id}").text
    assert "Rejected" in page and "No budget this year" in page


def test_only_the_actions_that_apply_to_the_case_are_offered(core, db, browser):
    """No forward plan entry for a case that is no key decision, no information to provide until someone
    asks for it, and nothing of the requester's for a colleague who also raises requests."""

    people, case_id = _submitted_case(core, db, value="18000")
    colleague = create_user(db, ("category_officer", "OCC", "cnc"), ("requester", "OCC"), full_name="Col League")
    colleague_page = browser(colleague).get(f"/cases/{case_id}").text
    assert "Withdraw the request" not in colleague_page and "Cases" in colleague_page
    for offered_to_no_one in ("Record the forward plan entry or urgency notice", "Provide the information asked for"):
        assert offered_to_no_one not in colleague_page
    requester = browser(people.requester)
    assert "Provide the information asked for" not in requester.get(f"/cases/{case_id}").text
    manager = browser(people.manager)
    manager.post(f"/approvals/cases/{case_id}", {"has_conflict": "no", "outcome": "request_info",
                 "reason": "Which budget pays for it?"})  # fmt: skip
    assert "Provide the information asked for" in requester.get(f"/cases/{case_id}").text


def test_requester_cannot_decide_their_own_request(core, db, browser):
    people = hub_people(db)
    both = people.manager  # a manager who raises a request of their own
    case_id = new_request(core.engine, both, value="18000")
    act(core.engine, case_id, "submit", both)
    manager = browser(both)
    page = manager.get(f"/approvals/cases/{case_id}", status=302)
    assert page.location.endswith(f"/cases/{case_id}")
    assert "You cannot decide on a case you requested, nor on what you put forward (segregation of duties)." in (
        manager.get(page.location).text
    )
    # The council's only Category Manager for the pillar raised it: the case says why nobody may decide it.
    shown = page_text(browser(people.officer).get(f"/cases/{case_id}").text)
    assert (
        "Warning Nobody else holds the role of Category Manager for OCC, Corporate and Commercial to decide this "
        "step: who requested the case, or put forward what it decides, may not (segregation of duties)." in shown
    )
    # Marked among their requests and on the cases list: the reason as the tag's title, and read out with it.
    tagged = re.compile(
        r'<strong class="govuk-tag govuk-tag--red" title="Nobody else holds the role of Category Manager for OCC, '
        r'[^"]*">Nobody may decide it<span class="govuk-visually-hidden">: Nobody else holds the role'
    )
    assert tagged.search(manager.get("/my-work").text)
    assert tagged.search(browser(people.officer).get("/cases/").text)
    # And listed with it on the overview.
    overview = page_text(browser(people.head).get("/overview").text)
    assert "1 case at a step nobody may decide" in overview
    reference = f"PRC-{case_id:06d}"
    assert (
        f"Approvals nobody may decide Case Council Why {reference} Case management system OCC Nobody else" in overview
    )
    create_user(db, ("category_manager", "OCC", "cnc"))
    for seen_by, page in (
        (manager, "/my-work"),
        (browser(people.officer), "/cases/"),
        (browser(people.head), "/overview"),
    ):
        assert "ody may decide" not in seen_by.get(page).text, page


def test_case_page_shows_route_timeline_dates_and_diagram(core, db, browser):
    people, case_id = _submitted_case(core, db)
    officer = browser(people.officer)
    page = officer.get(f"/cases/{case_id}").text
    for text in ("Approval route", "History", "Submit", "Where it is in the workflow", "Head of Category"):
        assert text in page
    history = " ".join(re.sub(r"<[^>]+>", " ", page.split('id="timeline"')[1]).split())
    assert "Submit : Draft → Route approval" in history and "Open : Draft Rita" in history, history  # none before
    assert f'href="/cases/{case_id}/diagram.svg">Open the workflow diagram at full size' in page
    svg = officer.get(f"/cases/{case_id}/diagram.svg")
    assert svg.mimetype == "image/svg+xml"


def test_case_page_says_why_an_action_is_not_open_yet_instead_of_offering_it(core, db, clock, browser):
    from tests.factories import award_open_procedure

    people = hub_people(db)
    case_id = award_open_procedure(core.engine, clock, people)
    clock.set(date(2026, 4, 9))
    officer = browser(people.officer)
    page = officer.get(f"/cases/{case_id}").text
    assert "End standstill: not yet" in page
    assert "Standstill runs to the end of 17 April 2026 (Procurement Act 2023 s51)" in page
    assert f'action="/cases/{case_id}/actions/end_standstill"' not in page  # no button that can only be refused
    assert "Terminate the procurement" in page  # what is open is still offered
    clock.set(date(2026, 4, 20))
    page = officer.get(f"/cases/{case_id}").text
    assert "not yet" not in page and f'action="/cases/{case_id}/actions/end_standstill"' in page

    # At the conflicts assessment of a tender: the tender notice waits for it; what other routes do is not shown.
    tender = new_request(core.engine, people.requester, value="250000")
    act(core.engine, tender, "submit", people.requester)
    from tests.factories import approve_gate

    approve_gate(core.engine, tender, [people.head])
    page = officer.get(f"/cases/{tender}").text
    assert "Publish the tender notice: not yet" in page
    for other_route in ("Invite quotations", "Start the call-off", "Publish the transparency notice"):
        assert other_route not in page


def test_after_a_competition_the_award_waits_for_the_conflicts_assessment_to_be_reviewed(core, db, clock, browser):
    """PA23 s83: the assessment is kept under review; once the tenderers are known, it is reviewed before the
    award is recommended, and the review's findings go into the case's history."""
    from tests.factories import publish_tender_notice, ready_for_the_market

    people = hub_people(db)
    case_id = ready_for_the_market(core.engine, people, value="250000")
    publish_tender_notice(core.engine, case_id, people.officer)
    clock.set(date(2026, 4, 7))
    act(core.engine, case_id, "close_tenders", people.officer)
    act(core.engine, case_id, "record_exclusion_check", people.officer, inputs={"exclusions_checked_on": "2026-04-07"})
    officer = browser(people.officer)
    page = officer.get(f"/cases/{case_id}").text
    assert "Recommend the award: not yet" in page
    assert "Review the conflicts assessment now that the suppliers are known" in page
    review = f"/cases/{case_id}/actions/review_conflicts_assessment"
    assert f'href="{review}"' in page
    with db.reading() as session:
        version = str(session.get(Case, case_id).version)
    findings = "Tom Hughes's brother works for a tenderer: he leaves the evaluation panel"
    officer.post(review, {"version": version, "conflicts_review_findings": findings})
    page = officer.get(f"/cases/{case_id}").text
    assert "Recommend the award: not yet" not in page
    assert f"any conflict with the suppliers now known, and how it is mitigated; or none): {findings}" in page.replace(
        "&#39;", "'"
    )


def test_a_competitive_flexible_procedure_s_closing_dates_are_among_its_key_dates(core, db, clock, browser):
    from tests.factories import in_participation

    people = hub_people(db)
    case_id = in_participation(core.engine, people)
    officer = browser(people.officer)
    dates = officer.get(f"/cases/{case_id}").text.split('id="dates"')[1].split('id="route"')[0]
    assert re.search(r"Requests to participate close</dt>\s*<dd[^>]*>27 March 2026", dates)
    assert "Tenders close" not in dates
    clock.set(date(2026, 3, 30))
    invite = {"tenders_invited_on": "2026-03-30", "tenders_close_on": "2026-04-27", "invited_suppliers": "Acme Ltd"}
    act(core.engine, case_id, "invite_tenders", people.officer, inputs=invite)
    dates = officer.get(f"/cases/{case_id}").text.split('id="dates"')[1].split('id="route"')[0]
    assert re.search(r"Tenders close</dt>\s*<dd[^>]*>27 April 2026", dates)


def test_an_invitation_naming_a_supplier_outside_the_market_is_refused_beside_the_list(core, db, clock, browser):
    """A procedure restricted to a dynamic market's members invites members alone (PA23 s34(1)): the form says
    which names are not, under the list, and nothing is recorded."""
    from provision_cycle.services import markets
    from provision_cycle.services.markets import ApplicationGiven, MarketGiven
    from tests.factories import in_participation

    people = hub_people(db)
    given = MarketGiven("Home to school transport", "", "", "OCC", "ict", date(2026, 2, 2))
    market_id = markets.open_market(core, people.officer, given)
    markets.establish_market(core, market_id, people.officer, date(2026, 2, 16))
    acme = markets.record_application(
        core, market_id, people.officer, ApplicationGiven("Acme Cars", "", True, False, date(2026, 2, 9))
    )
    markets.admit(core, market_id, acme, people.officer, date(2026, 2, 12), date(2026, 2, 11))
    case_id = in_participation(core.engine, people, market=f"DM-{market_id:06d}")
    clock.set(date(2026, 3, 30))
    officer = browser(people.officer)
    invite = f"/cases/{case_id}/actions/invite_tenders"
    form = officer.get(invite).text
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)
    answers = {
        "version": version,
        "tenders_invited_on": ["30", "3", "2026"],
        "tenders_close_on": ["27", "4", "2026"],
        "invited_suppliers": "Acme Cars\nDodgy Minicabs",
    }
    refused = officer.post(invite, answers, status=400).text
    field = refused.split('id="invited_suppliers-error"')[1].split("</p>")[0]
    assert (
        f"Dodgy Minicabs is not a member of the dynamic market DM-{market_id:06d}, to whose members the procedure is "
        "restricted (Procurement Act 2023 s34(1))" in field
    )
    assert ">Acme Cars\nDodgy Minicabs</textarea>" in refused  # kept to be mended
    with db.reading() as session:
        assert session.get(Case, case_id).state == "participation"
    officer.post(invite, {**answers, "invited_suppliers": "ACME CARS LIMITED"})
    with db.reading() as session:
        assert session.get(Case, case_id).state == "tendering"


def test_the_task_to_invite_tenders_says_where_the_requests_recorded_stand(core, db, clock, browser):
    from provision_cycle.models import Task
    from provision_cycle.scheduling.config import schedule_for
    from provision_cycle.scheduling.sweeps import end_periods
    from provision_cycle.services import evaluation
    from provision_cycle.services.evaluation import RequestGiven
    from tests.factories import in_participation

    people = hub_people(db)
    case_id = in_participation(core.engine, people)
    clock.set(date(2026, 3, 30))
    for name, checked, set_aside in (
        ("Acme Ltd", date(2026, 3, 30), ""),
        ("Brightwater Services", None, ""),
        ("Careless Contracting", None, "No insurance"),
    ):
        given = RequestGiven(name, "", True, False, date(2026, 3, 20), set_aside, checked)
        evaluation.record_request(core, case_id, people.officer, given)
    end_periods(core, schedule_for(core), clock.today)
    with db.reading() as session:
        task_id = session.scalars(select(Task.id).where(Task.case_id == case_id)).one()
    page = browser(people.officer).get(f"/tasks/{task_id}").text
    said = " ".join(page.split('id="requests-so-far">')[1].split("</p>")[0].split())
    assert said == (
        "3 requests recorded, 1 set aside; 1 still to be checked against the exclusion grounds and the debarment "
        "list before it is invited."
    )


def test_the_task_to_invite_tenders_leads_to_inviting_them_which_completes_it(core, db, clock, browser):
    from provision_cycle.models import Task
    from provision_cycle.scheduling.config import schedule_for
    from provision_cycle.scheduling.sweeps import end_periods
    from tests.factories import in_participation

    people = hub_people(db)
    case_id = in_participation(core.engine, people)
    clock.set(date(2026, 3, 30))
    end_periods(core, schedule_for(core), clock.today)
    with db.reading() as session:
        task_id = session.scalars(select(Task.id).where(Task.case_id == case_id)).one()
    officer = browser(people.officer)
    assert "Requests to participate have closed: invite tenders" in officer.get("/tasks/").text
    page = officer.get(f"/tasks/{task_id}").text
    invite = f"/cases/{case_id}/actions/invite_tenders"
    assert f'href="{invite}">Invite tenders</a>' in page
    assert f'href="/cases/{case_id}#requests">requests to participate</a>' in page
    assert 'id="requests-so-far"' not in page  # none recorded
    assert "Not inviting tenders: the procurement is to be terminated" in page
    form = officer.get(invite).text
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)
    officer.post(
        invite,
        {
            "version": version,
            "tenders_invited_on": ["30", "3", "2026"],
            "tenders_close_on": ["27", "4", "2026"],
            "invited_suppliers": "Acme Ltd\nBrightwater Services",
        },
    )
    assert "Requests to participate have closed" not in officer.get("/tasks/").text
    done = officer.get(f"/tasks/{task_id}").text
    assert "Completed on 30 March 2026: Tenders invited" in " ".join(re.sub(r"<[^>]+>", " ", done).split())
    assert f'href="{invite}"' not in done
    history = officer.get(f"/cases/{case_id}").text  # the list as given, a line each
    assert '<li class="hub-message">The suppliers invited to tender, one to a line: Acme Ltd\nBrightwater' in history
    said = " ".join(re.sub(r"<[^>]+>", " ", history.split('id="invited">')[1].split("</p>")[0]).split())
    assert said == (
        "Only the 2 suppliers invited to tender after the participation period may take part (Acme Ltd and "
        "Brightwater Services): a tender from any other supplier is not assessed (Procurement Act 2023 s20(4)-(5))."
    )
    clock.set(date(2026, 4, 28))
    act(core.engine, case_id, "close_tenders", people.officer)
    form = officer.get(f"/cases/{case_id}/tenders/new").text
    assert "Invited to tender after the participation period: Acme Ltd and Brightwater Services." in form

    # A supplier invited but left out of the list: the list is corrected, saying why.
    fix = f"/cases/{case_id}/invitations"
    assert (
        f'href="{fix}">correct the list</a>' in form
        and f'href="{fix}">Correct the list</a>' in officer.get(f"/cases/{case_id}").text
    )
    page = officer.get(fix).text
    assert ">Acme Ltd\nBrightwater Services</textarea>" in page
    refused = officer.post(fix, {"invited_suppliers": "Acme Ltd\nBrightwater Services\nCarewell"}, status=400)
    assert "Say why the list is corrected" in refused.text
    officer.post(fix, {"invited_suppliers": "Acme Ltd\nBrightwater Services\nCarewell", "reason": "Left out"})
    said = " ".join(officer.get(f"/cases/{case_id}").text.split('id="invited">')[1].split("</p>")[0].split())
    assert "Only the 3 suppliers invited" in said and "Brightwater Services and Carewell" in said
    history = " ".join(re.sub(r"<[^>]+>", " ", officer.get(f"/cases/{case_id}").text.split('id="timeline"')[1]).split())
    assert "Correct invitations" in history
    assert (
        "Invited: Acme Ltd, Brightwater Services, Carewell (before: Acme Ltd, Brightwater Services) “Left out”"
        in history
    )
    browser(people.requester).get(fix, status=404)


def test_a_key_decision_says_when_it_can_be_approved_and_can_still_be_returned(core, db, browser):
    from tests.factories import declare, key_decision_on_the_forward_plan

    people = hub_people(db)
    case_id = key_decision_on_the_forward_plan(core.engine, people)
    declare(core.engine, case_id, people.executive)
    executive = browser(people.executive)
    case_page = executive.get(f"/cases/{case_id}").text
    assert "Approve: not yet" in case_page and "Make your decision" in case_page  # rejecting is not held up
    decision_page = executive.get(f"/approvals/cases/{case_id}").text
    assert "Approve is not open yet. A key decision cannot be taken before 31 March 2026" in decision_page
    for queue in (executive.get("/approvals/").text, executive.get("/my-work").text):  # not waiting on them yet
        assert re.search(r"Can be taken from</span>\s*31 March 2026</td>", queue)
    assert f'id="select-{case_id}"' not in executive.get("/approvals/").text  # not to approve with others yet
    assert (
        "1 waiting, longest first (1 of them a key decision not open to decide yet)"
        in executive.get("/approvals/").text
    )


def test_stale_action_is_explained(core, db, browser):
    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="18000")
    requester = browser(people.requester)
    page = requester.get(f"/cases/{case_id}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    core.engine.edit_case(case_id, people.requester, None, title="Renamed meanwhile")
    response = requester.client.post(
        f"/cases/{case_id}/actions/submit", data={"csrf_token": token, "version": "1"}, follow_redirects=True
    )
    assert "This case has changed since you opened it" in response.text
    with db.reading() as session:
        assert session.get(Case, case_id).state == "draft"


def test_other_councils_cases_are_not_found(core, db, browser):
    occ = hub_people(db, "OCC")
    cdc = hub_people(db, "CDC")
    case_id = new_request(core.engine, occ.requester, value="18000")
    browser(cdc.manager).get(f"/cases/{case_id}", status=404)
    joint = new_request(core.engine, occ.requester, value="18000", authority="JOINT")
    browser(cdc.manager).get(f"/cases/{joint}")


def test_register_filters_sorts_pages_and_exports(core, db, browser):
    from tests.web.helpers import seed_contracts

    people = hub_people(db)
    seed_contracts(core, people, 30)
    today = core.engine.today()
    register_contract(core, people, value="9000", ends=today - timedelta(days=400), state="expired", title="Long gone")
    officer = browser(people.officer)
    page = officer.get("/contracts/").text
    # The register starts with the contracts not yet ended: the one that ended over a year ago would lead it.
    assert "30 current contracts" in page and "Page 1 of 2" in page and "Long gone" not in page
    ended = re.search(r'<p class="govuk-body" id="ended">(.*?)</p>', page, re.S)
    assert ended and " ".join(page_text(ended[1]).split()).replace(" .", ".") == (
        "1 contract that has ended (expired or terminated) matches too. List every contract."
    )
    assert 'href="/contracts/?status=&amp;page=1"' in ended[1]
    assert 'id="ended"' not in officer.get("/contracts/?q=contract+7").text  # none ended among them
    assert '<option value="current" selected>Current (not ended)</option>' in page
    every = officer.get("/contracts/?status=").text  # any status
    assert "31 contracts" in every and "Long gone" in every
    assert "1 contract<" in officer.get("/contracts/?status=expired").text
    assert "Page 2 of 2" in officer.get("/contracts/?page=2").text
    found = officer.get("/contracts/?q=contract+7").text
    assert "1 current contract<" in found and "Supplier 7" in found and "Supplier 8" not in found
    assert "30 current contracts" in officer.get("/contracts/?category=corporate_supplies").text
    assert "0 current contracts" in officer.get("/contracts/?category=waste").text
    with db.unit_of_work() as session:  # one rated high: the register lists the high-risk contracts alone
        session.scalars(select(Contract).where(Contract.title == "Contract 3")).one().risk = "high"
    high = officer.get("/contracts/?risk=high").text
    assert "1 current contract<" in high and "Contract 3<" in high and '<option value="high" selected>High' in high
    assert "29 current contracts" in officer.get("/contracts/?risk=medium").text
    soon = officer.get("/contracts/?expiring_within=65&sort=value").text
    assert "2 current contracts" in soon  # ending in 30 and 60 days
    bad = officer.get("/contracts/?expiring_within=soon", status=400).text
    assert "Enter a number of days between 1 and 3650" in bad
    csv = officer.get("/contracts/export.csv")
    assert csv.mimetype == "text/csv" and csv.text.count("\n") == 31


def test_a_contract_s_supplier_ppon_is_on_its_page_its_supplier_s_and_in_the_register_download(core, db, browser):
    people = hub_people(db)
    contract = register_contract(core, people, value="90000", ends=core.engine.today() + timedelta(days=400),
                                 registration="01234567", supplier_ppon="PRDW-4321-LTDX",
                                 supplier_is_supported_employment=True)  # fmt: skip
    officer = browser(people.officer)
    page = page_text(officer.get(f"/contracts/{contract.id}").text)
    assert "Supplier PPON (unique identifier) PRDW-4321-LTDX" in page
    assert "Supplier is a supported employment provider or public service mutual Supported employment provider" in page
    [row] = list(DictReader(StringIO(officer.get("/contracts/export.csv").text)))
    assert row["Supplier registration number"] == "01234567" and row["Supplier PPON"] == "PRDW-4321-LTDX"
    # Not recorded is not no: the register did not say whether it is a public service mutual.
    assert (row["Supported employment provider"], row["Public service mutual"]) == ("yes", "")
    for number in ("01234567", "prdw-4321-ltdx"):  # the register found by its supplier's number
        assert f'href="/contracts/{contract.id}"' in officer.get(f"/contracts/?q={number}").text
    assert f'href="/contracts/{contract.id}"' not in officer.get("/contracts/?q=PRDW-4321-LTDY").text
    supplier = page_text(officer.get("/suppliers/roadworks").text)
    assert "PPON (its unique identifier on the Central Digital Platform): PRDW-4321-LTDX." in supplier


def test_contract_page_names_its_regime_and_where_each_task_stands(core, db, browser):
    from tests.web.helpers import renewal_task, seed_contracts

    people = hub_people(db)
    [contract_id] = seed_contracts(core, people, 1)
    today = core.engine.today()
    renewal_task(core, people, contract_id, "Decide the renewal", today - timedelta(days=3))
    renewal_task(core, people, contract_id, "Plan the retender", today + timedelta(days=40))
    page = browser(people.officer).get(f"/contracts/{contract_id}").text
    with db.reading() as session:
        regime, case_id = session.execute(
            select(Contract.regime, Contract.case_id).where(Contract.id == contract_id)
        ).one()
    shown = re.search(r"Legal regime\s*</dt>\s*<dd[^>]*>\s*([^<]*?)\s*</dd>", page)
    assert shown and shown[1] == Regime(regime).full_name  # "Public Contracts Regulations 2015", not "PCR2015"
    assert re.search(r"Decide the renewal.*?Due now", page, re.S) and re.search(r"Plan the retender.*?Open", page, re.S)
    on_case = browser(people.officer).get(f"/cases/{case_id}").text  # the contract-management case lists them too
    assert re.search(r"Decide the renewal</a>[^<]*<strong[^>]*>Due now", on_case)  # linked: theirs to open


def test_error_pages(app, core, db, browser):
    people = hub_people(db)
    page = browser(people.requester).get("/cases/999999", status=404).text
    assert "Page not found" in page
    page = browser(people.requester).get("/admin/users", status=403).text
    assert "You cannot do this" in page


def test_the_cases_list_filters_what_a_person_may_see(core, db, browser):
    people = hub_people(db)
    salt = new_request(core.engine, people.requester, value="12000", title="Rock salt")
    act(core.engine, salt, "submit", people.requester)
    laptops = new_request(core.engine, people.requester, value="250000", title="Laptop refresh")
    act(core.engine, laptops, "withdraw", people.requester, reason="No longer needed")  # ended: listed only on request
    cherwell = hub_people(db, authority="CDC")
    new_request(core.engine, cherwell.requester, value="50000", title="Cherwell parks", authority="CDC")

    officer = browser(people.officer)
    listed = officer.get("/cases/").text
    assert "Rock salt" in listed and "Laptop refresh" not in listed and "Cherwell parks" not in listed
    # A category officer starts with their own pillar's cases, and can ask for every pillar.
    new_request(core.engine, people.requester, value="30000", title="School meals", category="education_services")
    assert "School meals" not in officer.get("/cases/").text
    assert '<option value="cnc" selected>' in officer.get("/cases/").text
    assert "School meals" in officer.get("/cases/?pillar=").text
    assert "Laptop refresh" in officer.get("/cases/?show=all").text
    found = officer.get("/cases/?q=salt&stage=procurement&show=all").text
    assert "1 case<" in found and "Rock salt" in found
    assert "0 cases" in officer.get("/cases/?stage=contract").text
    assert "Rock salt" in officer.get("/cases/?sort=nonsense&page=99").text  # unknown sort, page past the end
    # A requester sees their own requests; another council's officer, none of these.
    assert "Rock salt" in browser(people.requester).get("/cases/").text
    assert "Rock salt" not in browser(cherwell.officer).get("/cases/?show=all").text
    # A council's cases are its own and the joint ones (as the overview counts them); Joint, those alone.
    new_request(core.engine, people.requester, value="40000", title="Shared fleet", authority="JOINT")
    both = browser(create_user(db, ("category_officer", "OCC", "cnc"), ("category_officer", "CDC", "cnc")))
    for council, titles in (
        ("OCC", {"Rock salt", "Shared fleet"}),
        ("CDC", {"Cherwell parks", "Shared fleet"}),
        ("JOINT", {"Shared fleet"}),
    ):
        page = both.get(f"/cases/?authority={council}&pillar=").text
        assert {t for t in ("Rock salt", "Shared fleet", "Cherwell parks") if t in page} == titles, council


def test_a_contract_manager_starts_with_the_contracts_they_manage(core, db, browser):
    from provision_cycle.services.contract_managers import assign_contract_manager
    from tests.web.helpers import seed_contracts

    people = hub_people(db)
    _, theirs = seed_contracts(core, people, 2)
    colleague = create_user(db, ("contract_manager", "OCC", "cnc"), full_name="Colin Colleague")
    assign_contract_manager(core, theirs, people.officer, manager_id=colleague)

    manager = browser(people.contract_manager)
    page = manager.get("/contracts/").text
    assert "1 current contract<" in page and "Contract 0" in page and "Contract 1" not in page
    assert '<option value="mine" selected>' in page
    assert "2 current contracts" in manager.get("/contracts/?show=all").text
    assert "Contract 1" not in manager.get("/contracts/export.csv").text  # the download is what the page lists
    assert "2 current contracts" in browser(people.officer).get("/contracts/").text  # not a manager: all of them


def test_the_award_recommendation_asks_for_what_the_transparency_code_and_the_act_s_notices_publish(
    core, db, browser, clock
):
    from tests.factories import tender_to_evaluation

    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="250000")
    act(core.engine, case_id, "submit", people.requester)
    tender_to_evaluation(core.engine, clock, people, case_id)
    officer = browser(people.officer)
    url = f"/cases/{case_id}/actions/recommend_award"
    form = officer.get(url).text
    assert re.search(r'<input class="govuk-input" id="supplier_name" name="supplier_name" type="text"', form)
    assert "Supplier&#39;s Companies House or charity number (optional)" in form
    with db.reading() as session:
        version = session.get(Case, case_id).version
    # Above the threshold the supplier is registered on the Central Digital Platform: its PPON is asked for, the
    # hint saying when (not called optional).
    shown = page_text(form)
    assert "The supplier's Public Procurement Organisation Number (PPON) Its unique identifier" in shown
    assert "Needed where the supplier must be registered there by the award" in shown
    refused = officer.post(url, {"version": str(version), "supplier_name": "Acme Ltd"}, status=400).text
    for unanswered in ("a small or medium-sized enterprise (SME)", "a supported employment provider",
                       "a public service mutual"):  # fmt: skip
        assert f"Answer yes or no: Is the supplier {unanswered}?" in refused
    assert "Enter the supplier&#39;s Public Procurement Organisation Number (PPON)" in refused
    kinds = ("sme", "vcse", "supported_employment", "public_service_mutual")
    answered = dict(zip([f"supplier_is_{kind}" for kind in kinds], ("yes", "no", "yes", "no"), strict=True))
    answered |= {"supplier_registration": "01234567", "supplier_ppon": "PACM-1234-LTDA"}
    officer.post(url, {"version": str(version), "supplier_name": "Acme Ltd", "award_value": "240000", **answered})
    with db.reading() as session:
        details = session.get(Case, case_id).details
    assert [details[f"supplier_is_{kind}"] for kind in kinds] == [True, False, True, False]
    assert (details["supplier_registration"], details["supplier_ppon"]) == ("01234567", "PACM-1234-LTDA")


def test_a_procurement_page_offers_its_notices_as_open_data(core, db, browser, clock):
    from tests.factories import award_open_procedure

    people = hub_people(db)
    case_id = award_open_procedure(core.engine, clock, people)
    officer = browser(people.officer)
    page = officer.get(f"/cases/{case_id}").text
    assert "Notices as open data" in page and "The 2 notices published for this" in page
    package = officer.get(f"/cases/{case_id}/ocds.json")
    assert package.mimetype == "application/json"
    assert [r["tender"]["documents"][0]["noticeType"] for r in package.get_json()["releases"]] == ["UK4", "UK6"]
    draft = new_request(core.engine, people.requester, value="250000")
    assert "Notices as open data" not in officer.get(f"/cases/{draft}").text
    officer.get(f"/cases/{draft}/ocds.json", status=404)


def test_the_contract_details_notice_form_says_it_confirms_the_conflicts_assessment(core, db, browser, clock):
    from datetime import date

    from tests.factories import award_open_procedure

    people = hub_people(db)
    case_id = award_open_procedure(core.engine, clock, people)
    clock.set(date(2026, 4, 21))
    act(core.engine, case_id, "end_standstill", people.officer)
    signature = {"signed_on": "2026-04-21", "start_date": "2026-05-01", "end_date": "2029-04-30"}
    act(core.engine, case_id, "sign_contract", people.officer, inputs=signature)
    form = browser(people.officer).get(f"/cases/{case_id}/actions/publish_contract_details").text
    assert "the notice confirms that a conflicts assessment was prepared and kept under review" in form
    # What it confirms, from the case: when the assessment was prepared, and last reviewed once tenders were in.
    assert (
        "The notice confirms the conflicts assessment (Procurement Act 2023 s83): prepared on 2 March 2026 and last reviewed on 7 April 2026."
        in page_text(form)
    )
    page = page_text(browser(people.officer).get(f"/cases/{case_id}").text)
    assert "The conflicts assessment was prepared on 2 March 2026 and last reviewed on 7 April 2026." in page


def test_a_tender_notice_accounts_for_market_engagement_and_may_give_a_planned_procurement_notice(core, db, browser):
    from tests.factories import ready_for_the_market

    people = hub_people(db)
    case_id = ready_for_the_market(core.engine, people, value="250000")
    officer = browser(people.officer)
    url = f"/cases/{case_id}/actions/publish_tender_notice"
    form = officer.get(url).text
    assert "Its notice identifier (optional)" in form and "As Find a Tender shows it, like 012345-2026" in form
    assert (
        "Date of the planned procurement notice (UK3), where one went out 40 days to a year before the tender notice (optional)"
        in form
    )
    with db.reading() as session:
        version = str(session.get(Case, case_id).version)
    dates = {"tender_notice_published_on": ["2", "3", "2026"], "tenders_close_on": ["20", "3", "2026"]}
    blank = {"planned_procurement_notice_on": ["", "", ""], "market_engagement_notice_on": ["", "", ""]}
    unanswered = officer.post(url, {"version": version, **dates, **blank}, status=400).text
    assert "Answer yes or no: Did the council engage with suppliers about this procurement" in unanswered
    # PA23 s17: the engagement's own notice came first (or the tender notice says why there was none).
    engaged = {"market_engaged": "yes", "no_market_engagement_notice_because": ""}
    refused = officer.post(url, {"version": version, **dates, **blank, **engaged}, status=409).text
    assert "at least 25 days (Procurement Act 2023 s54, with electronic submission)" in refused
    assert "Preliminary market engagement is published in its own notice before the tender notice" in refused
    shorter = {"planned_procurement_notice_on": ["5", "1", "2026"], "market_engagement_notice_on": ["1", "12", "2025"]}
    officer.post(url, {"version": version, **dates, **engaged, **shorter})
    with db.reading() as session:
        case = session.get(Case, case_id)
    assert case.state == "tendering" and case.details["tenders_close_on"] == "2026-03-20"
    assert case.details["market_engagement_notice_on"] == "2025-12-01"
    # The case's history says what was recorded, in the workflow's own words.
    history = officer.get(f"/cases/{case_id}").text.split('id="timeline"')[1]
    assert "Date the tender notice was published: 2 March 2026" in history
    assert "Closing date for tenders: 20 March 2026" in history  # the open procedure's, not the flexible one's
    assert "before the tender notice (preliminary market engagement)? Yes" in history
    assert "Date the preliminary market engagement notice (UK2) was published, if one was: 1 December 2025" in history


def test_the_cases_listed_download_as_csv_with_the_lists_filters(core, db, browser):
    people = hub_people(db)
    chairs = new_request(core.engine, people.requester, value="18000", title="Office chairs")
    act(core.engine, chairs, "submit", people.requester)
    new_request(core.engine, people.requester, value="250000", title="Desks")
    hidden = hub_people(db, authority="CDC")
    new_request(
        core.engine, hidden.requester, value="9000", title="Cherwell kettles", authority="CDC"
    )  # not OCC staff's
    officer = browser(people.officer)
    assert "Download these cases as CSV" in officer.get("/cases/").text
    download = officer.get("/cases/export.csv?q=chairs")
    assert download.mimetype == "text/csv" and 'filename="cases-' in download.headers["Content-Disposition"]
    lines = download.text.splitlines()
    assert lines[0].startswith("Reference,Title,Stage,Status,Council,Pillar,Category,Contract type,")
    assert len(lines) == 2 and ",Office chairs,Procurement,Route approval,Oxfordshire County Council," in lines[1]
    assert ",18000.00,Quotations," in lines[1] and ",Rita Requester,2026-03-02,2026-03-02,2026-03-02" in lines[1]
    every = officer.get("/cases/export.csv?pillar=").text
    assert "Desks" in every and "Cherwell kettles" not in every


def test_requests_that_may_be_one_requirement_are_pointed_out_from_the_request_to_the_decision(core, db, browser):
    """Two chair orders of 15,000 (18,000 with VAT) are already in; a third takes the three over the 30,000 from
    which a below-threshold contract is notifiable, each under it alone. The requester is told before they
    submit; the case page and the approver's decision page say so too."""
    from tests.factories import act, new_request

    people = hub_people(db)
    earlier = []
    for title in ("Office chairs, first floor", "Office chairs, second floor"):
        earlier.append(new_request(core.engine, people.requester, value="15000", title=title,
                                   category="corporate_supplies", contract_type="goods"))  # fmt: skip
        act(core.engine, earlier[-1], "submit", people.requester)
    requester = browser(people.requester)
    requester.post("/requests/new", {"stage": "procurement", "title": "Office chairs, third floor",
                                     "description": "More chairs", "authority": "OCC",
                                     "category": "corporate_supplies"})  # fmt: skip
    requester.post("/requests/new/value", {"estimated_value": "15,000", "vat_treatment": "standard",
                                           "contract_type": "goods", "proposed_start": ["1", "4", "2027"],
                                           "duration_months": "12"})  # fmt: skip
    requester.post("/requests/new/route", {"route": "recommended"})
    requester.post("/requests/new/funding", {"funding": "Facilities budget", "justification": "Worn out"})
    warned = "Perhaps one requirement with others: with 2 other procurements"
    check = " ".join(requester.get("/requests/new/check").text.split())
    assert warned in check and "this request comes to £54,000.00 with VAT" in check
    assert "over the £30,000.00 from which a below-threshold contract is notifiable" in check
    assert f'href="/cases/{earlier[1]}"' in check and "submitted 2 March 2026" in check
    assert "Why is it not one requirement with them? (optional)" in check  # the requester may say why not
    said = "The third floor opens in 2027 on its own budget"
    refused = requester.post("/requests/new/check", {"intent": "submit", "one_requirement_explained": "x" * 2001},
                             status=400).text  # fmt: skip
    assert "Field cannot be longer than 2000 characters" in refused
    sent = {"intent": "submit", "one_requirement_explained": f"  {said}  "}
    case_id = int(requester.post("/requests/new/check", sent).location.rsplit("/", 1)[1])
    explained = f"Its requester says why it is not one requirement with them: “{said}”"
    case_page = " ".join(requester.get(f"/cases/{case_id}").text.split())
    assert warned in case_page and explained in case_page
    decide = " ".join(browser(people.manager).get(f"/approvals/cases/{case_id}").text.split())
    assert warned in decide and "Procurement Act 2023 section 4 and Schedule 3" in decide and explained in decide


def test_a_draft_that_may_be_one_requirement_is_explained_from_its_own_page_before_it_is_submitted(core, db, browser):
    """A request saved as a draft on *check your answers* and submitted later from its page: its requester
    is pointed from the warning to the change page, which asks why it is not one requirement with the others,
    and the approvers read what they said. A draft not flagged is not asked."""
    from tests.factories import act, new_request

    people = hub_people(db)
    for title in ("Office chairs, first floor", "Office chairs, second floor"):
        chairs = new_request(core.engine, people.requester, value="15000", title=title,
                             category="corporate_supplies", contract_type="goods")  # fmt: skip
        act(core.engine, chairs, "submit", people.requester)
    draft = new_request(core.engine, people.requester, value="15000", title="Office chairs, third floor",
                        category="corporate_supplies", contract_type="goods")  # fmt: skip
    requester = browser(people.requester)
    edit = f"/cases/{draft}/edit#one_requirement_explained"
    page = requester.get(f"/cases/{draft}").text
    assert "Perhaps one requirement with others" in page
    assert f'href="{edit}">Say why it is not one requirement with them</a>' in page
    form = " ".join(requester.get(f"/cases/{draft}/edit").text.split())
    assert "Perhaps one requirement with others: with 2 other procurements" in form
    assert "this request comes to £54,000.00 with VAT" in form and 'id="one_requirement_explained"' in form
    answers = {"version": "1", "title": "Office chairs, third floor", "description": "Chairs", "authority": "OCC",
               "category": "corporate_supplies", "estimated_value": "15000", "vat_treatment": "standard",
               "contract_type": "goods", "proposed_start": ["1", "9", "2026"], "duration_months": "36",
               "funding": "Facilities", "justification": "Worn out", "route": "recommended"}  # fmt: skip
    refused = requester.post(f"/cases/{draft}/edit", {**answers, "one_requirement_explained": "x" * 2001},
                             status=400).text  # fmt: skip
    assert "Field cannot be longer than 2000 characters" in refused
    said = "The third floor opens in 2027 on its own budget"
    requester.post(f"/cases/{draft}/edit", {**answers, "one_requirement_explained": f" {said} "})
    page = " ".join(requester.get(f"/cases/{draft}").text.split())
    assert f"Its requester says why it is not one requirement with them: “{said}”" in page
    assert "Change why it is not one requirement with them</a>" in page
    act(core.engine, draft, "submit", people.requester)
    decide = " ".join(browser(people.manager).get(f"/approvals/cases/{draft}").text.split())
    assert f"Its requester says why it is not one requirement with them: “{said}”" in decide
    with db.reading() as session:
        changed = session.scalars(select(AuditEvent).where(AuditEvent.case_id == draft,
                                                           AuditEvent.action == "edit")).one()  # fmt: skip
        assert changed.data["changed"]["one_requirement_explained"] == ["", said]

    desks = new_request(core.engine, people.requester, value="250000", title="Desks")
    assert "one_requirement_explained" not in requester.get(f"/cases/{desks}/edit").text
    assert "Say why it is not one requirement" not in requester.get(f"/cases/{desks}").text


def test_a_signed_procurement_and_its_contract_case_link_to_each_other_their_titles_said_once(core, db, clock, browser):
    """Linked cases name each other's reference and title, the two the link: said once to a screen reader,
    and the link says where it goes."""
    from tests.factories import contract_from_open_procedure

    people = hub_people(db)
    procurement = contract_from_open_procedure(core.engine, clock, people)
    with db.reading() as session:
        management = session.scalars(select(Case).where(Case.parent_case_id == procurement)).one()
        references = {case.id: case.reference for case in session.scalars(select(Case))}
    officer = browser(people.officer)
    page = officer.get(f"/cases/{procurement}").text
    led_to = f'Led to <a class="govuk-link" href="/cases/{management.id}">{references[management.id]} Case management'
    assert f"{led_to} system</a></li>" in page
    came_from = f'href="/cases/{procurement}">{references[procurement]} Case management system</a></li>'
    assert f'Came from <a class="govuk-link" {came_from}' in officer.get(f"/cases/{management.id}").text


def test_a_request_raised_to_a_higher_band_in_rework_is_routed_afresh_and_its_requester_told(core, db, browser):
    from tests.factories import declare

    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="45000", category="corporate_supplies",
                          contract_type="goods")  # fmt: skip
    act(core.engine, case_id, "submit", people.requester)
    declare(core.engine, case_id, people.manager)
    act(core.engine, case_id, "return", people.manager, reason="Is that all of it?")
    requester = browser(people.requester)
    answers = {"title": "Grit bins", "description": "Replace them", "authority": "OCC",
               "category": "corporate_supplies", "estimated_value": "150000", "vat_treatment": "standard",
               "contract_type": "goods", "proposed_start": ["1", "9", "2026"], "duration_months": "36",
               "funding": "Highways", "justification": "Worn out", "route": "recommended"}  # fmt: skip
    with db.reading() as session:
        answers["version"] = str(session.get(Case, case_id).version)
    requester.post(f"/cases/{case_id}/edit", answers)
    page = " ".join(requester.get(f"/cases/{case_id}").text.split())
    assert "Your changes are saved. Its route and approvers will be worked out again when you resubmit it." in page
    act(core.engine, case_id, "resubmit", people.requester)
    assert (
        "Head of Category: value £150,000.00 is in band £100,000 to £500,000" in requester.get(f"/cases/{case_id}").text
    )
