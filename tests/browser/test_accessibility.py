"""axe-core on the main pages (no serious or critical violations), and the pages at 320 px wide."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from provision_cycle.services import evaluation, markets
from provision_cycle.services.evaluation import RequestGiven
from provision_cycle.services.frameworks import FrameworkGiven, record_framework
from provision_cycle.services.markets import ApplicationGiven, MarketGiven
from provision_cycle.services.passwords import issue_password_link
from provision_cycle.services.payments_compliance import ReportingPeriod
from tests.browser.conftest import AXE
from tests.factories import (
    act,
    create_user,
    in_participation,
    new_request,
    publish_tender_notice,
    ready_for_the_market,
)
from tests.test_reservations import LOCAL_SMES, _flexible, _reserved_notice
from tests.web.conftest import PASSWORD, give_password
from tests.web.helpers import (
    contract_with_kpis,
    contract_with_variation,
    evaluated_procurement,
    officer_decision_record,
    page_faults,
    public_contract_that_ended,
    renewal_task,
    seed_contracts,
)


def _signed_in(chromium, site, user_id, **options):
    # axe is injected as a script the page did not ship, so this context alone bypasses the CSP.
    context = chromium.new_context(base_url=site.url, bypass_csp=True, **options)
    page = context.new_page()
    page.goto("/sign-in")
    if user_id is not None:
        page.get_by_label("Username").fill(site.username(user_id))
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/my-work")
    return context, page


def _violations(page, url: str) -> list[str]:
    response = page.goto(url)
    # The page itself (or it showing a form's errors), not a page saying it is not there or not yours.
    assert response.status in (200, 400), f"{url}: {response.status}, so the page itself was not checked"
    return _violations_here(page)


def _known_upstream(violation: dict) -> bool:
    """GOV.UK Frontend puts aria-expanded on a radio that reveals a question, knowing ARIA does not allow it
    there: screen readers announce it and research with disabled users found it helps (alphagov/govuk-frontend
    issue 979). Only that case is let through; any other disallowed attribute still fails."""
    return violation["id"] == "aria-allowed-attr" and all(
        "govuk-radios__input" in node["html"] and "aria-expanded" in node["failureSummary"]
        for node in violation["nodes"]
    )


def _world(site):
    core, people = site.core, site.people
    case_id = new_request(core.engine, people.requester, value="600000", title="Library books")
    act(core.engine, case_id, "submit", people.requester)
    [contract_id] = seed_contracts(core, people, 1)
    task_id = renewal_task(core, people, contract_id, "Decide the renewal", core.engine.today() + timedelta(days=9))
    return case_id, contract_id, task_id


def _two_suppliers_judged_different(core) -> str:
    """The form recording two of the register's suppliers as different companies."""
    from urllib.parse import urlencode

    from sqlalchemy import select

    from provision_cycle.models import Contract

    with core.db.reading() as session:
        keys = session.scalars(select(Contract.supplier_key).distinct().order_by(Contract.supplier_key).limit(2))
        return "/suppliers/record-as-different?" + urlencode([("key", key) for key in keys])


# The main pages in two halves, each a test of its own: the longest walk of the suite, shared between workers.
# Each half builds the same world; a person's pages are in one half, by who they are.
HALVES = {
    "public-requester-administrator-head-contract-manager": (
        "public",
        "requester",
        "admin",
        "head",
        "contract_manager",
    ),
    "officer-s151-analyst-monitoring-register": ("officer", "s151", "analyst", "monitoring"),
}


@pytest.mark.parametrize("half", HALVES)
def test_main_pages_have_no_serious_accessibility_violations(site, chromium, tmp_path, half):
    case_id, contract_id, task_id = _world(site)
    ended = public_contract_that_ended(site.core, site.people, days_ago=25)
    assessed = contract_with_kpis(site.core, site.people)
    proposed = contract_with_variation(site.core, site.people, approved=False)
    waiting = contract_with_variation(site.core, site.people, approved=True)
    people = site.people
    draft = new_request(
        site.core.engine, people.requester, value="250000", title="Emergency care", route="direct_award"
    )
    compliance = ReportingPeriod.containing(site.core.engine.today()).previous.code
    invitation, _ = issue_password_link(site.core, people.legal, "invitation")
    admin = create_user(site.core.db, ("administrator", "OCC"))
    give_password(site.core.db, admin)
    analyst = create_user(site.core.db, ("intelligence_analyst", "OCC"))
    give_password(site.core.db, analyst)
    evaluated, tenders = evaluated_procurement(site.core, people)
    criteria_open = ready_for_the_market(site.core.engine, people, value="250000", title="Kiosks")
    # Its requests closed on 27 March 2026 (before any market: its notice is not asked about one).
    participating = in_participation(site.core.engine, people)
    tendering = ready_for_the_market(site.core.engine, people, value="250000", title="Desks")
    today = site.core.engine.today()
    publish_tender_notice(site.core.engine, tendering, people.officer, today.isoformat(), str(today + timedelta(40)))
    market, member, applicant = _market_with_a_member_and_an_applicant(site.core, people)
    framework = record_framework(
        site.core,
        people.officer,
        FrameworkGiven("ESPO", "ESPO 105", "", "Fleet", "PCR2015", date(2024, 1, 1), date(2029, 12, 31), "OCC",
                       suppliers=["Acme Fleet Ltd", "Bodge Vans"], direct_award=True, fee_percent="1"),
    )  # fmt: skip
    open_framework = record_framework(
        site.core,
        people.officer,
        FrameworkGiven("Oxfordshire County Council", "OCC-HC", "", "Home care", "PA2023", date(2025, 6, 2),
                       date(2033, 6, 1), "OCC", open_framework=True, council_established=True, suppliers=["Acme Care", "Bright Homes"]),
    )  # fmt: skip
    call_off = ready_for_the_market(site.core.engine, people, value="250000", route="framework_call_off")
    called_off = ready_for_the_market(site.core.engine, people, value="250000", route="framework_call_off")
    act(site.core.engine, called_off, "start_call_off", people.officer,
        inputs={"framework": str(framework), "direct_call_off": True})  # fmt: skip
    act(site.core.engine, called_off, "complete_call_off_selection", people.officer)
    # Below the threshold: a tender notice that may reserve the competition (its questions revealed under a
    # yes), and a reserved competition's tender form asking where the supplier is based.
    reservable = ready_for_the_market(site.core.engine, people, value="100000", title="Playground resurfacing")
    reserved = ready_for_the_market(site.core.engine, people, value="100000", title="Grounds maintenance")
    publish_tender_notice(
        site.core.engine, reserved, people.officer, str(today - timedelta(30)), str(today - timedelta(1)), **LOCAL_SMES
    )
    act(site.core.engine, reserved, "close_tenders", people.officer)
    # A procedure reserved to supported employment providers (s32): its request form asks about each supplier.
    flexible = _flexible(site.core, site.core.db, people)
    _reserved_notice(site.core, people, flexible, "supported_employment_providers")
    request = RequestGiven("Acme Ltd", "01234567", True, False, date(2026, 3, 20), "", date(2026, 3, 23))
    request_id = evaluation.record_request(site.core, participating, people.officer, request)
    # A key decision to be taken under special urgency: the notices it needs, drafted from the case.
    urgent = new_request(site.core.engine, people.requester, value="1200000", title="Bridge repairs")
    act(site.core.engine, urgent, "submit", people.requester)
    act(site.core.engine, urgent, "record_forward_plan", people.officer, inputs={
        "forward_plan_published_on": today.isoformat(), "key_decision_urgency": "special_urgency",
        "urgency_agreed_by": "Cllr Jo Smith", "urgency_reasons": "The bridge is closed",
    })  # fmt: skip
    visits = {
        None: [
            "/sign-in",
            "/",
            "/accessibility",
            "/cookies",
            "/workflows/procurement/v1",
            "/sign-in/forgotten-password",
            f"/password/{invitation}",
        ],
        # A draft's answers, its route among them (a direct award's ground revealed under its choice).
        people.requester: [
            "/my-work",
            "/requests/new",
            f"/cases/{case_id}",
            f"/cases/{draft}/edit",
            "/account/password",
            "/account",
            "/account/security-codes",
        ],
        admin: [
            "/admin/users/new",
            f"/admin/users/{people.legal}",
            f"/admin/users/{people.legal}/details",
            "/admin/activity",
            "/account/api-tokens",
            f"/contracts/handover/{people.contract_manager}",
            f"/tasks/of/{people.contract_manager}",  # passing a leaver's tasks on at once
        ],
        people.head: [
            "/cases/",
            "/approvals/",
            f"/approvals/cases/{case_id}",
            "/contracts/",
            "/contracts/?q=01234567",  # a number a request to participate gave: whose it is, said above the list
            f"/contracts/{contract_id}",
            f"/contracts/{contract_id}/manager",
            f"/contracts/{contract_id}/risk",
            f"/contracts/{contract_id}/details",  # correcting its record
            f"/cases/{case_id}/team",
            f"/cases/{case_id}/declaration",
            f"/cases/{case_id}/kpis",
            "/admin/governance",
            "/contracts/transparency",
            "/contracts/decision-records/OCC/2026-01",
            "/contracts/special-urgency/OCC",
            f"/cases/{urgent}/urgency-notice",
            f"/approvals/cases/{urgent}",  # it says the urgency rule
            "/contracts/special-urgency/OCC?since=3&since=3&since=2026&until=2&until=3&until=2026",  # its errors
            "/suppliers/?q=supplier",
            "/suppliers/supplier%200",
            "/contracts/pipeline",
            "/overview",
            "/approvals/cover",
            f"/approvals/cases/{proposed.case_id}",
        ],
        # A procurement's evaluation: its criteria, tenders and scores, and a supplier's assessment summary.
        people.officer: [
            f"/cases/{criteria_open}/award-criteria",
            f"/cases/{evaluated}",
            f"/cases/{evaluated}/tenders/new",
            f"/cases/{evaluated}/tenders/load",
            f"/cases/{evaluated}/tenders/{tenders['Late Co']}",
            f"/cases/{evaluated}/tenders/{tenders['Acme Ltd']}/scores",
            f"/cases/{evaluated}/tenders/{tenders['Acme Ltd']}/marks",
            f"/cases/{evaluated}/tenders/{tenders['Brightwork CIC']}/assessment-summary",
            f"/cases/{evaluated}/actions/recommend_award",
            # A competitive flexible procedure's requests to participate, and its invitation filled in from them.
            f"/cases/{participating}",
            f"/cases/{participating}/requests-to-participate/new",
            f"/cases/{participating}/requests-to-participate/{request_id}",
            f"/cases/{participating}/requests-to-participate/load",
            f"/cases/{participating}/actions/invite_tenders",
            f"/cases/{tendering}/closing-dates/tenders",  # a closing date extended
            f"/cases/{reservable}/actions/publish_tender_notice",
            f"/cases/{reserved}/tenders/new",
            f"/cases/{flexible}/requests-to-participate/new",
            # A dynamic market, its notices, and the decisions on who belongs to it.
            "/markets/",
            "/markets/new",
            f"/markets/{market}",
            f"/markets/{market}/notices/modification",
            f"/markets/{market}/applications/new",
            f"/markets/{market}/applications/{applicant}/admit",
            f"/markets/{market}/applications/{applicant}/refuse",
            f"/markets/{market}/members/{member}/remove",
            # The frameworks register, and a call-off choosing from it.
            "/frameworks/",
            "/frameworks/new",
            f"/frameworks/{framework}",
            f"/frameworks/{framework}/edit",
            f"/frameworks/{open_framework}",  # its re-openings
            f"/frameworks/{open_framework}/reopenings/new",
            f"/cases/{call_off}/actions/start_call_off",
            f"/cases/{called_off}/actions/recommend_award",  # its framework's suppliers offered as typed
            "/tasks/?whose=team",  # the contract manager's, with whose each is
        ],
        people.contract_manager: [
            "/tasks/",
            f"/tasks/{task_id}",
            f"/cases/{ended.case_id}",
            f"/cases/{ended.case_id}/notices/termination_notice",
            f"/contracts/{assessed.id}",
            f"/contracts/{assessed.id}/kpis",
            f"/contracts/{assessed.id}/kpi-assessment",
            f"/cases/{waiting.case_id}",
            f"/cases/{assessed.case_id}/actions/propose_variation",
            f"/cases/{assessed.case_id}/actions/record_supplier_breach",
            f"/cases/{assessed.case_id}/actions/terminate",
        ],
        # A payments compliance notice with its approval form, and with an error in its one field.
        people.s151: [
            f"/contracts/payments-compliance/OCC/{compliance}",
            f"/contracts/payments-compliance/OCC/{compliance}?still_unpaid=x",
            "/tasks/?whose=council",  # the council's own notices
        ],
        # A report its scrutiny committee requires on an officer's decision (2012 regs reg 18).
        people.monitoring: [
            f"/cases/{case_id}",
            f"/cases/{case_id}/decision-records/{officer_decision_record(site.core, case_id, 'Library books')}/report",
        ],
        # Recording a supplier as another's name.
        analyst: [
            "/suppliers/supplier%200",
            "/suppliers/supplier%200/same-as",
            "/suppliers/sharing-a-number",
            "/suppliers/names-alike",
            _two_suppliers_judged_different(site.core),
            "/contracts/supplier-names/load",
        ],
    }
    whose = {None: "public", people.requester: "requester", admin: "admin", people.head: "head",
             people.officer: "officer", people.contract_manager: "contract_manager", people.s151: "s151",
             analyst: "analyst", people.monitoring: "monitoring"}  # fmt: skip
    assert set(whose.values()) == {part for parts in HALVES.values() for part in parts}, "a person in no half"
    problems = []
    for user_id, urls in visits.items():
        if whose[user_id] not in HALVES[half]:
            continue
        context, page = _signed_in(chromium, site, user_id)
        for url in urls:
            problems += _violations(page, url)
        if user_id == people.requester:  # a page showing errors: the summary, messages and field states
            page.goto("/requests/new")
            page.get_by_role("button", name="Continue").click()
            problems += [p for p in _violations_here(page)]
        context.close()
    if half == "officer-s151-analyst-register":
        problems += _register_load_violations(site, chromium, tmp_path)
    assert not problems, "\n".join(problems)


def _market_with_a_member_and_an_applicant(core, people) -> tuple[int, int, int]:
    market = markets.open_market(
        core,
        people.officer,
        MarketGiven("Taxis", "Routes", "A licence", "OCC", "ict", date(2026, 2, 2), ("North", "South")),
    )  # in parts: its application and admission forms ask which
    markets.establish_market(core, market, people.officer, date(2026, 2, 16))
    member, applicant = [
        markets.record_application(
            core, market, people.officer, ApplicationGiven(name, "", True, False, day, ["North"])
        )
        for name, day in (("Acme Cabs", date(2026, 2, 17)), ("Bodge Transport", date(2026, 2, 18)))
    ]
    markets.admit(core, market, member, people.officer, date(2026, 2, 20), date(2026, 2, 20))
    markets.modify_market(core, market, people.officer, date(2026, 2, 23), "A part for the east", ["East"])
    more = ApplicationGiven("Acme Cabs", "", True, False, date(2026, 2, 24), ["East"])  # the member's, for it
    markets.record_application(core, market, people.officer, more)
    return market, member, applicant


def _register_load_violations(site, chromium, tmp_path) -> list[str]:
    """The administrators' register upload: empty, listing a file's problems, and ready to load."""
    admin = create_user(site.core.db, ("administrator", "OCC"))
    give_password(site.core.db, admin)
    analyst = create_user(site.core.db, ("intelligence_analyst", "OCC"))
    give_password(site.core.db, analyst)
    context, page = _signed_in(chromium, site, admin)
    problems = _violations(page, "/contracts/load") + _violations(page, "/contracts/payments/load")
    problems += _violations(page, "/contracts/payments/unpaid/load")
    page.goto("/contracts/load")
    register = tmp_path / "register.csv"
    for row, heading in (
        ("Desks,Desk Ltd,OCC,Kettles,goods,10,2026-01-01,2028-01-01,Cora Contracts", "Load contracts from"),
        ("Desks,Desk Ltd,OCC,Corporate supplies,goods,10,2026-01-01,2028-01-01,Cora Contracts", "1 contract ready"),
    ):
        register.write_text("Title,Supplier,Council,Category,Contract type,Value,Start date,End date,"
                            f"Contract manager\n{row}\n")  # fmt: skip
        page.get_by_label("Upload the register").set_input_files(str(register))
        page.get_by_role("button", name="Check the file").click()
        assert page.get_by_role("heading", level=1).inner_text().startswith(heading)
        problems += _violations_here(page)
    context.close()
    return problems


def _violations_here(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical") and not _known_upstream(v)
    ] + [f"{page.url}: {problem}" for problem in page_faults(page.content())]  # ragged tables, duplicate ids


def test_single_sign_on_and_the_session_warning_have_no_serious_accessibility_violations(site, chromium):
    # The sign-in page offering the council's identity provider (drawn from the settings alone), and the
    # warning before a session ends, open as a modal dialog.
    context, page = _signed_in(chromium, site, site.people.requester)
    page.evaluate("document.getElementById('session-timeout').showModal()")
    problems = _violations_here(page)
    context.close()
    site.core.settings = site.core.settings.with_overrides(
        sso_issuer="https://login.example.com/tenant", sso_client_id="x", sso_client_secret="y"
    )
    context, page = _signed_in(chromium, site, None)
    problems += _violations(page, "/sign-in")
    context.close()
    assert not problems, "\n".join(problems)


def test_pages_fit_a_320_pixel_wide_screen(site, chromium):
    case_id, _, _ = _world(site)
    context, page = _signed_in(chromium, site, site.people.requester, viewport={"width": 320, "height": 640})
    for url in ("/my-work", "/requests/new", "/cases/", f"/cases/{case_id}", "/contracts/"):
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{url} scrolls sideways at 320 px ({width} px wide)"
    context.close()
