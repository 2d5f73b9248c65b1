"""Every route, through the pages a person uses: from the request's submission to the contract handed over, each
step taken as someone would take it, by the button or the form the case page offers them (or the decision page,
for an approver), answering what the form asks, keeping what it filled in. Never refused, never stuck: the
engine's own walk (tests/test_invariants.py) takes the same journeys through the engine's door; this one finds
what only a page gets wrong (a question it asks that the action does not take, a filled-in answer that does not
go back, a button with no form behind it)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from provision_cycle.models import Case
from provision_cycle.services.frameworks import FrameworkGiven, record_framework
from tests.factories import hub_people, new_request
from tests.journeys import EVERY_ROUTE, ONWARD, answers_for
from tests.web.conftest import Browser
from tests.web.helpers import Form, forms_on

# A works contract of millions needs its KPIs set on their own page first (tests/web/test_performance_pages.py).
BY_ITS_PAGES = [route for route in EVERY_ROUTE if route[1] != "6000000"]
DECISION = "approve"


@pytest.mark.parametrize("route,value,contract_type,ground,authority", BY_ITS_PAGES, ids=lambda v: str(v))
def test_every_route_reaches_its_contract_through_its_pages(
    app, core, db, clock, route, value, contract_type, ground, authority
):
    councils = ["OCC", "CDC"] if authority == "JOINT" else [authority]
    people, *others = [hub_people(db, authority=council) for council in councils]
    given = FrameworkGiven("CCS", "RM6116", "", "Network services", "PA2023", date(2025, 4, 1),
                           date(2029, 3, 31), authority, direct_award=True)  # fmt: skip
    record_framework(core, people.officer, given)
    details = {"direct_award_ground": ground, "direct_award_justification": "Why"} if ground else None
    case_id = new_request(core.engine, people.requester, value=value, route=route, contract_type=contract_type,
                          authority=authority, details=details)  # fmt: skip
    everyone = [p for group in (people, *others) for p in vars(group).values() if p != group.system]
    browsers = {person: Browser(app, db).sign_in(person) for person in everyone}
    page = f"/cases/{case_id}"
    taken: list[str] = []
    for _ in range(80):
        with db.reading() as session:
            state = session.get(Case, case_id).state
        if state == "handed_over":
            return
        offered = [
            (person, trigger, url)
            for person, browser in browsers.items()
            for trigger, url in _offered(_seen_by(browser, page), case_id)
            if trigger == DECISION or f"{state}:{trigger}" not in taken
        ]
        if not offered:
            clock.advance(7)  # what is offered waits for a date (tenders closing, standstill ending)
            continue
        person, trigger, url = min(offered, key=lambda offer: ONWARD.index(offer[1]))
        browser = browsers[person]
        if trigger == DECISION:
            _decide(browser, url)
        elif url.endswith(f"/actions/{trigger}") and _how(browser.get(page).text, url) == "form":
            browser.post(url, {}, form_page=page)  # a button: nothing to answer
        else:
            _answer(browser, url, answers_for(trigger, clock.today, 30, value))
        taken.append(f"{state}:{trigger}")
    raise AssertionError(f"not handed over after {taken}")


def _offered(html: str, case_id: int) -> list[tuple[str, str]]:
    """The actions the case page offers, as (trigger, where to take it): its buttons and the links to their
    forms, and the decision page for an approver; those that move the case on only."""
    found = {}
    for trigger in re.findall(rf'(?:href|action)="/cases/{case_id}/actions/(\w+)"', html):
        if trigger in ONWARD:
            found[trigger] = f"/cases/{case_id}/actions/{trigger}"
    if f'href="/approvals/cases/{case_id}"' in html and "Make your decision" in html:
        found[DECISION] = f"/approvals/cases/{case_id}"
    return list(found.items())


def _seen_by(browser: Browser, page: str) -> str:
    """The case page as one of the people sees it; nothing for one who may not (another council's requester)."""
    response = browser.client.get(page)
    assert response.status_code in (200, 404), f"GET {page}: {response.status_code}"
    return response.text if response.status_code == 200 else ""


def _how(html: str, url: str) -> str:
    """Whether the case page takes the action at ``url`` by a button (a form of its own) or a link to its form."""
    return "form" if f'action="{url}"' in html else "link"


def _decide(browser: Browser, url: str) -> None:
    """Approve on the decision page, declaring no conflict where it asks."""
    [form] = [form for form in forms_on(browser.get(url).text) if form.method == "post" and not form.action]
    answers = {"outcome": "approve"} | ({"has_conflict": "no"} if "has_conflict" in form.fields_named() else {})
    browser.post(url, answers)


def _answer(browser: Browser, url: str, engine_answers: dict[str, object]) -> None:
    """Fill in the action's form as an officer would: what the journey answers, as the form's boxes take it; what
    the form filled in itself, kept; a yes-or-no question nobody answered, no; the rest left empty."""
    form = _the_form(browser.get(url).text)
    posted: dict[str, object] = {}
    for field in form.visible:
        if field.name in posted:
            continue  # a date's three boxes, or a radio's options, once
        answer = engine_answers.get(field.name)
        if isinstance(answer, bool):
            posted[field.name] = "yes" if answer else "no"
        elif isinstance(answer, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", answer) and field.id.endswith("-day"):
            year, month, day = answer.split("-")
            posted[field.name] = [str(int(day)), str(int(month)), year]
        elif answer is not None:
            posted[field.name] = str(answer)
        elif field.kind == "radio":
            chosen = _checked(form, field.name)
            posted[field.name] = chosen if chosen is not None else _first_no(form, field.name)
        elif field.value:
            posted[field.name] = field.value  # filled in by the page
    browser.post(url, {name: answer for name, answer in posted.items() if answer is not None})


def _the_form(html: str) -> Form:
    [form] = [form for form in forms_on(html) if form.method == "post" and not form.action and form.visible]
    return form


def _checked(form: Form, name: str) -> str | None:
    return next((f.value for f in form.visible if f.name == name and f.kind == "radio" and f.value), None)


def _first_no(form: Form, name: str) -> str | None:
    """A question's "no", where it is one that can be answered no."""
    return "no" if any(f.name == name and f.option == "no" for f in form.visible) else None
