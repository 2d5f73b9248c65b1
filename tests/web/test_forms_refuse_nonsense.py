"""Every kind of form the demo shows its people, posted as nobody should post it (its boxes empty or left out,
full of nonsense, its hidden fields tampered with), is answered: refused with a message saying what is wrong,
or done; never a server error. A throwaway probe of this kind found two forms that failed when a field was
left out; this keeps every form under it as pages are added."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from provision_cycle.demo import seed
from provision_cycle.models import Case, User
from tests.factories import hub_people
from tests.web.conftest import Browser
from tests.web.helpers import Field, Form, forms_on

# One person of each kind of work: what they are shown differs (a requester's own case, a team's tasks, the
# approvals queue, the intelligence team's lists, administration), and a second pillar's officer and contract
# manager and the S151 officer, whose pages hold forms the others' do not (requests to participate, KPIs).
PEOPLE = (
    "kate.dunn.occ",
    "noah.patel.hub",
    "emily.ward.hub",
    "daniel.fox.hub",
    "ben.clarke.hub",
    "zoe.turner.occ",
    "alex.morgan.occ",
    "liam.walsh.hub",
    "chloe.barnes.hub",
    "lorna.baxter.occ",
)
PAGES_EACH = 120  # pages opened per person, one of each kind before a second of any
NONSENSE_TEXT = "<script>alert(1)</script> ‮ℌ𝔢𝔩𝔩𝔬 '; drop table cases; -- " * 120  # 6,000+ characters
# What a number, a date's parts or a choice could be sent as by someone typing, pasting or editing the page.
NONSENSE_BY_TYPE = {
    "number": "1e309",
    "day": "32",
    "month": "13",
    "year": "99999",
    "choice": "not-one-of-the-choices",
}
TAMPERED = ("-1", "99999999999999999999999", "x" * 300)
# Pages and forms that are not a person's to fill in here: leaving, downloads and files, the browser's own.
NOT_WALKED = re.compile(r"^/(static|sign-out|sign-in)|\.(csv|json|svg|png|ics|xml)$|/download|/diagram|/files/")


def test_every_form_refuses_nonsense_with_a_message_and_never_fails(app, core, db):
    # On both databases: an overlong value or an out-of-range number that SQLite takes is an error on PostgreSQL.
    seed(core, cases=12, contracts=20)
    with db.reading() as session:
        people = session.execute(select(User.username, User.id).where(User.username.in_(PEOPLE))).all()
    assert len(people) == len(PEOPLE)
    posted, failures, tried = Counter(), [], set()
    for username, person in sorted(people):
        browser = Browser(app, db).sign_in(person)
        for page, form in _forms_shown(browser, PAGES_EACH):
            kind = (form.method, _kind(form.action or page), tuple(sorted(form.fields_named())))
            if kind in tried or not form.asks_anything():
                continue  # a kind of form once (another person's copy asks the same), and not bare buttons
            tried.add(kind)
            for variant, data in _variants(form):
                response = _send(browser, form.action or page, form.method, data)
                posted[response.status_code] += 1
                if problem := _what_is_wrong_with(response, form.method, variant):
                    where = f"{username} {form.method.upper()} {form.action or page} ({variant}, from {page})"
                    failures.append(f"{where}: {problem}")

    assert not failures, "\n".join(failures)
    assert len(tried) > 70, f"only {len(tried)} kinds of form found: is the walk finding the pages?"
    assert posted[400] and posted[302], posted  # both refusals and forms done, so the walk reached both


# The questions of a new request, each answered after its nonsense so that the next can be reached: they are
# linked from nowhere but the one before.
REQUEST_STEPS = (
    ("/requests/new", {"stage": "procurement", "title": "Office chairs", "description": "Replace worn chairs",
                       "authority": "OCC", "category": "corporate_supplies"}),
    ("/requests/new/value", {"estimated_value": "18,000", "vat_treatment": "standard", "contract_type": "goods",
                             "proposed_start": ["1", "4", "2027"], "duration_months": "36"}),
    ("/requests/new/route", {"route": "recommended"}),
    ("/requests/new/funding", {"funding": "Facilities budget FM-204", "justification": "Worn out"}),
    ("/requests/new/check", {"intent": "submit"}),
)  # fmt: skip


def test_a_new_request_s_questions_refuse_nonsense_one_page_after_another(app, db):
    people = hub_people(db)
    browser = Browser(app, db).sign_in(people.requester)
    failures = []
    for step, answers in REQUEST_STEPS:
        [form] = [form for form in forms_on(browser.get(step).text) if (form.action or step) == step]
        for variant, data in _variants(form) if form.asks_anything() else ():  # the last: a button alone
            response = _send(browser, form.action or step, form.method, data)
            if problem := _what_is_wrong_with(response, form.method, variant):
                failures.append(f"POST {step} ({variant}): {problem}")
        browser.post(step, answers)  # and on to the next question
    assert not failures, "\n".join(failures)
    with db.reading() as session:
        assert session.scalar(select(Case.state)) == "route_approval"  # the request made, after all that


def _send(browser: Browser, action: str, method: str, data: list[tuple[str, str]]):
    if method == "get":  # a browser replaces the action's query with the form's
        return browser.client.get(urlsplit(action).path, query_string=data)
    return browser.client.post(action, data=MultiDict(data), content_type="multipart/form-data")


def _what_is_wrong_with(response, method: str, variant: str) -> str | None:
    """None for an answer a person can act on: the form done, or refused saying why (what they entered, field by
    field in the GOV.UK error summary; a form the page did not make, with fields left out or hidden fields
    tampered with, on the error page)."""
    if response.status_code >= 500:
        return f"{response.status_code}"
    if response.status_code != 400 or method != "post":
        return None
    html = response.get_data(as_text=True)
    answered = variant in ("empty", "nonsense")  # as a person could fill the form in
    if "govuk-error-summary" in html or not answered and "Something in the request was not right" in html:
        return None
    return "400 without saying what is wrong"


def _variants(form: Form) -> list[tuple[str, list[tuple[str, str]]]]:
    """The form posted four ways: every field a person fills left empty; left out (as a script might post
    it); every one of them nonsense; and filled as the page fills it with every hidden field (but the CSRF
    token) tampered with."""
    sent = form.token + form.hidden + form.pressed  # what the page sends whatever the person answers
    empty = sent + [(f.name, "") for f in form.visible if f.kind not in ("checkbox", "radio", "file")]
    nonsense = sent + [(f.name, _nonsense(f)) for f in form.visible if f.kind != "file"]
    as_filled = [(f.name, f.value) for f in form.visible if f.value is not None and f.kind != "file"]
    variants = [("empty", empty), ("left out", sent), ("nonsense", nonsense)]
    for n, tampered in enumerate(TAMPERED):
        if form.hidden:
            changed = [(name, tampered) for name, _ in form.hidden]
            variants.append((f"tampered {n + 1}", form.token + changed + form.pressed + as_filled))
    return variants


def _nonsense(field: Field) -> str:
    if field.kind in ("select", "radio", "checkbox"):
        return NONSENSE_BY_TYPE["choice"]
    for part in ("day", "month", "year"):
        if field.id.endswith(f"-{part}"):
            return NONSENSE_BY_TYPE[part]
    if field.kind == "number" or field.inputmode == "numeric":
        return NONSENSE_BY_TYPE["number"]
    return NONSENSE_TEXT


def _forms_shown(browser: Browser, budget: int):
    """(page, form) for the forms on up to ``budget`` pages the person is shown, from *My work* outwards, one
    page of each kind before a second of any."""
    seen, kinds, waiting = set(), Counter(), ["/my-work"]
    while waiting and len(seen) < budget:
        waiting.sort(key=lambda page: kinds[_kind(page)])
        page = waiting.pop(0)
        seen.add(page)
        kinds[_kind(page)] += 1
        response = browser.client.get(page)
        if response.status_code != 200 or not response.content_type.startswith("text/html"):
            continue
        html = response.get_data(as_text=True)
        for form in forms_on(html):
            yield page, form
        links = {unescape(link) for link in re.findall(r'href="(/[^"#]*)"', html)}
        waiting += sorted(link for link in links - seen - set(waiting) if not NOT_WALKED.search(urlsplit(link).path))


def _kind(page: str) -> str:
    """A page's kind: its path with ids and a supplier's key left out, its query's names only."""
    parts = urlsplit(page)
    path = re.sub(r"/\d+", "/N", re.sub(r"/suppliers/[^/]+", "/suppliers/S", parts.path))
    return path + "?" + "&".join(sorted(re.findall(r"([^=&]+)=", parts.query)))


def test_the_forms_the_demo_walk_does_not_reach_refuse_nonsense_too(app, core, db, clock):
    """The forms the walk above does not reach in its smaller demo (a KPI assessment is opened from its task, an
    officer's own marks once tenders are scored, an invitation to tender once requests to participate have
    closed, the payments compliance notice's approval), opened as the person whose form it is and posted the
    same four ways."""
    from provision_cycle.services.evaluation import TenderGiven, record_tender
    from tests.factories import in_participation
    from tests.web.helpers import contract_with_kpis, evaluated_procurement, payments_compliance_due

    people = hub_people(db)
    payments_compliance_due(core, people, clock)  # on 5 October 2026
    assessed = contract_with_kpis(core, people)
    scored, _ = evaluated_procurement(core, people)
    unmarked = record_tender(core, scored, people.officer, TenderGiven("Third Ltd", "", False, False, "230000",
                                                                        clock.today))  # fmt: skip
    flexible = in_participation(core.engine, people, closes=(clock.today + timedelta(days=1)).isoformat())
    clock.advance(2)  # its requests to participate closed
    pages = {
        people.contract_manager: [f"/contracts/{assessed.id}/kpi-assessment"],
        people.officer: [f"/cases/{scored}/tenders/{unmarked}/marks",
                         f"/cases/{flexible}/actions/invite_tenders"],
        people.s151: ["/contracts/payments-compliance/OCC/2026-04"],
    }  # fmt: skip
    failures, tried = [], []
    for person, addresses in pages.items():
        browser = Browser(app, db).sign_in(person)
        for page in addresses:
            for form in forms_on(browser.get(page).text):
                if form.method != "post" or not form.asks_anything():
                    continue
                tried.append(page)
                for variant, data in _variants(form):
                    response = _send(browser, form.action or page, form.method, data)
                    if problem := _what_is_wrong_with(response, form.method, variant):
                        failures.append(f"POST {form.action or page} ({variant}): {problem}")
    assert not failures, "\n".join(failures)
    assert set(tried) == {page for addresses in pages.values() for page in addresses}  # each page's form posted
