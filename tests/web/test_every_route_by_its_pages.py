"""Every route, through the pages a person uses: from the request's submission to the contract handed over, each
step taken as someone would take it, by the button or the form the case page offers them (or the decision page,
for an approver), answering what the form asks, keeping what it filled in. Never refused, never stuck: the
engine's own walk (tests/test_invariants.py) takes the same journeys through the engine's door; this one finds
what only a page gets wrong (a question it asks that the action does not take, a filled-in answer that does not
go back, a button with no form behind it)."""

from __future__ import annotations

import re

import pytest

from provision_cycle.models import Case, Contract
from provision_cycle.services.reading import actions_with_obstacles
from tests.factories import hub_people
from tests.journeys import (
    BY_EVERY_DOOR,
    CHANGED_BY,
    EVERY_ROUTE,
    JOURNEYS,
    ONWARD,
    EachPerson,
    answers_for,
    contract_journey,
    contract_on,
    request_on,
    taken_how,
)
from tests.web.conftest import Browser
from tests.web.helpers import Form, forms_on

DECISION = "approve"
KPIS = {"kpi_1_name": "On-time delivery", "kpi_1_target": "95%", "kpi_2_name": "Defects", "kpi_2_target": "Under 2%",
        "kpi_3_name": "Complaints", "kpi_3_target": "None upheld"}  # fmt: skip


@pytest.mark.parametrize("route,value,contract_type,how,authority", EVERY_ROUTE, ids=lambda v: str(v))
def test_every_route_reaches_its_contract_through_its_pages(
    app, core, db, clock, route, value, contract_type, how, authority
):
    case_id, people, everyone = request_on(core, db, route, value, contract_type, how, authority)
    browsers = EachPerson(everyone, lambda person: Browser(app, db).sign_in(person))
    page = f"/cases/{case_id}"
    # The category officer runs the procurement, declaring first on its page: a manager who recommended the
    # award could not then approve it (segregation of duties), and theirs is the award approval at some values.
    _answer(browsers[people.officer], f"{page}/declaration", {"has_conflict": False})
    taken: list[str] = []
    for _ in range(80):
        with db.reading() as session:
            case = session.get(Case, case_id)
            state, taken_as_asked = case.state, taken_how(case, how)
        if state == "handed_over":
            assert taken_as_asked
            return
        offered = [
            (person, trigger, url)
            for person, trigger, url in _offered_to_someone(core, browsers, case_id, ONWARD)
            if trigger == DECISION or f"{state}:{trigger}" not in taken
        ]
        kpis, seen = f"/cases/{case_id}/kpis", "" if offered else _seen_by(browsers[people.officer], page)
        if "KPI" in seen and "kpis" not in taken:
            browsers[people.officer].post(kpis, KPIS)  # over 5,000,000: signature waits for them (PA23 s52)
            taken.append("kpis")
            continue
        if "Record the tenders" in seen and "tender" not in taken:  # a further competition's, before the award
            day = clock.today
            tender = {"supplier_name": "Acme Ltd", "supplier_is_sme": "yes", "supplier_is_vcse": "no",
                      "price": value, "received_on": [str(day.day), str(day.month), str(day.year)]}  # fmt: skip
            browsers[people.officer].post(f"/cases/{case_id}/tenders/new", tender)
            taken.append("tender")
            continue
        if not offered:
            clock.advance(7)  # what is offered waits for a date (tenders closing, standstill ending)
            continue
        person, trigger, url = min(offered, key=lambda offer: (ONWARD.index(offer[1]), offer[0] != people.officer))
        _take(browsers[person], page, trigger, url, answers_for(trigger, clock.today, 30, value, how))
        taken.append(f"{state}:{trigger}")
    raise AssertionError(f"not handed over after {taken}")


@pytest.mark.parametrize("journey", JOURNEYS)
@pytest.mark.parametrize("starts,value,contract_type,authority", BY_EVERY_DOOR, ids=lambda v: str(v))
def test_every_contract_s_life_runs_its_course_through_its_pages(
    app, core, db, clock, starts, value, contract_type, authority, journey
):
    """A contract loaded into the register, taken by the case page's buttons and forms (and the decision page,
    and *Record as published* for a change notice owed) to the end of each journey of its life."""
    people = hub_people(db, authority=authority)
    contract = contract_on(core, people, starts, value, contract_type, authority)
    ends_at, wanted, new_value, answers = contract_journey(journey, value, clock.today)
    browsers = EachPerson([p for p in vars(people).values() if p != people.system],
                          lambda person: Browser(app, db).sign_in(person))  # fmt: skip
    page, case_id = f"/cases/{contract.case_id}", contract.case_id
    notice = f"/cases/{case_id}/notices/contract_change_notice"
    taken: list[str] = []
    for _ in range(60):
        with db.reading() as session:
            state = session.get(Case, case_id).state
            made = session.get(Contract, contract.id).value
        if state in ends_at and (journey not in CHANGED_BY or made == new_value):
            return
        offered = [
            (person, trigger, url)
            for person, trigger, url in _offered_to_someone(core, browsers, case_id, wanted)
            if trigger == DECISION or f"{state}:{trigger}" not in taken
        ]
        if offered:
            person, trigger, url = min(
                offered, key=lambda offer: (wanted.index(offer[1]), offer[0] != people.contract_manager)
            )
            _take(browsers[person], page, trigger, url, answers.get(trigger, {}))
            taken.append(f"{state}:{trigger}")
        elif f'href="{notice}"' in _seen_by(browsers[people.contract_manager], page):  # its change notice first
            _answer(browsers[people.contract_manager], notice, {"published_on": clock.today.isoformat()})
            taken.append("notice")
        else:
            clock.advance(30)  # what is offered waits for a date (the end date, a forward plan's days)
    raise AssertionError(f"not {journey} after {taken}")


def _offered_to_someone(core, browsers: EachPerson, case_id: int, moving_on: list[str]) -> list[tuple[int, str, str]]:
    """The actions ``moving_on`` that someone's case page offers now, as (person, trigger, where to take it).
    Only the pages of the people the engine finds such an action ready for are read (every page for every step
    would be most of the test's time), and each must offer all of them: a page that hides an action its person
    could take is as wrong as one that offers an action it would refuse."""
    with core.db.reading() as session:
        case = session.get(Case, case_id)
        ready = {
            person: {
                action.trigger  # a decision: approving it, which may wait where rejecting it need not
                for action in actions_with_obstacles(core, session, case, core.engine.actor(session, person))
                if not action.not_yet
                and (action.trigger == DECISION if action.decision else action.trigger in moving_on)
            }
            for person in browsers
        }
    offered = []
    for person, triggers in ready.items():
        if triggers:
            shown = dict(_offered(_seen_by(browsers[person], f"/cases/{case_id}"), case_id, moving_on))
            assert triggers <= set(shown), f"the case page does not offer {triggers - set(shown)} to {person}"
            offered += [(person, trigger, url) for trigger, url in shown.items()]
    return offered


def _take(browser: Browser, page: str, trigger: str, url: str, answers: dict[str, object]) -> None:
    """Take the action at ``url`` as the case ``page`` offers it: decide, press its button, or fill in its form."""
    if trigger == DECISION:
        _decide(browser, url)
    elif _how(browser.get(page).text, url) == "form":
        browser.post(url, {}, form_page=page)  # a button: nothing to answer
    else:
        _answer(browser, url, answers)


def _offered(html: str, case_id: int, moving_on: list[str] = ONWARD) -> list[tuple[str, str]]:
    """The actions the case page offers, as (trigger, where to take it): its buttons and the links to their
    forms, and the decision page for an approver; those ``moving_on`` only."""
    found = {}
    for trigger in re.findall(rf'(?:href|action)="/cases/{case_id}/actions/(\w+)"', html):
        if trigger in moving_on:
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
    engine_answers = {"reason": "As the journey goes", **engine_answers}  # where an action needs a reason
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
