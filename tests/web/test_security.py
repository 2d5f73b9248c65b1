"""Every route is guarded; forms need their CSRF token; GET changes nothing; one council cannot see the
other's cases; sign-in does not reveal who has an account and locks out guessing; headers are strict."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from provision_cycle.app import create_app
from provision_cycle.models import AuditEvent, Case, SignInFailure, User
from provision_cycle.services import markets
from provision_cycle.services.frameworks import FrameworkGiven, record_framework
from provision_cycle.services.markets import ApplicationGiven, MarketGiven
from provision_cycle.services.people import MAX_FAILED_SIGN_INS, SIGN_IN_FAILED, TOO_MANY_FROM_HERE
from provision_cycle.web.security import PUBLIC
from tests.factories import act, hub_people, new_request
from tests.web.conftest import PASSWORD, Browser, csrf_from, give_password
from tests.web.helpers import renewal_task, seed_contracts


def _world(core, db):
    """One of everything a URL can point at: a submitted case, a contract with a task, a document."""
    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="18000")
    act(core.engine, case_id, "submit", people.requester)
    [contract_id] = seed_contracts(core, people, 1)
    task_id = renewal_task(core, people, contract_id, "Decide")
    from io import BytesIO

    from provision_cycle.services.documents import attach_document

    document_id = attach_document(core, case_id, people.requester, "spec.txt", BytesIO(b"specification"))
    market_id = markets.open_market(core, people.officer, MarketGiven("Taxis", "", "", "OCC", "ict", date(2026, 2, 2)))
    framework_id = record_framework(
        core,
        people.officer,
        FrameworkGiven("CCS", "RM6098", "", "Tech", "PCR2015", date(2021, 7, 1), date(2027, 7, 1), "OCC"),
    )
    membership_id = markets.record_application(
        core, market_id, people.officer, ApplicationGiven("Acme Cabs", "", True, False, date(2026, 2, 3))
    )
    values = {
        "case_id": case_id,
        "contract_id": contract_id,
        "task_id": task_id,
        "document_id": document_id,
        "trigger": "submit",
        "name": "procurement",
        "version": 1,
        "delegation_id": 1,
        "filename": "x",
        "user_id": people.requester,
        "person_id": people.contract_manager,
        "token_id": 1,
        "tender_id": 1,
        "request_id": 1,
        "record_id": 1,
        "market_id": market_id,
        "framework_id": framework_id,
        "membership_id": membership_id,
        "secret": "not-a-secret",
        "assignment_id": 1,
        "authority": "OCC",
        "quarter": "2026-01",
        "period": "2026-04",
        "key": "acme",
        "year": "2026-27",
        "kind": "contracts",
        "slug": "tenders",
    }
    return people, values


def _urls(app, values, method):
    for rule in app.url_map.iter_rules():
        if method not in rule.methods or rule.endpoint == "static":
            continue
        yield rule, rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]


def test_every_route_declares_who_may_use_it(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        assert hasattr(view, "access_rule"), f"{rule.rule} ({rule.endpoint}) has no access rule"


def test_signed_out_people_are_sent_to_sign_in(app, core, db):
    _, values = _world(core, db)
    client = app.test_client()
    for rule, url in _urls(app, values, "GET"):
        response = client.get(url)
        rule_kind = app.view_functions[rule.endpoint].access_rule[0]
        if rule_kind == PUBLIC:  # public pages open; a secret link that is not real is simply not found
            assert response.status_code in (200, 302, 404), url
        elif rule_kind == "api_token":  # the API answers with a problem, not a sign-in page
            assert response.status_code == 401 and response.mimetype == "application/problem+json", url
        else:
            assert response.status_code == 302 and "/sign-in" in response.location, url


@pytest.mark.sqlite_only
def test_get_never_changes_anything(app, core, db, browser):
    people, values = _world(core, db)
    with db.reading() as session:
        before = (
            session.scalar(select(func.count()).select_from(AuditEvent)),
            session.scalar(select(func.sum(Case.version))),
        )
    for person in (people.requester, people.manager, people.contract_manager):
        client = browser(person)
        for _rule, url in _urls(app, values, "GET"):
            assert client.client.get(url).status_code < 500, url
    with db.reading() as session:
        after = (
            session.scalar(select(func.count()).select_from(AuditEvent)),
            session.scalar(select(func.sum(Case.version))),
        )
    # Signing in is the only write (the failed-attempt counter reset): no audit event, no case change.
    assert after == before


@pytest.mark.sqlite_only
def test_forms_without_their_csrf_token_are_refused(app, core, db, browser):
    people, values = _world(core, db)
    client = browser(people.requester).client
    response = client.post(f"/cases/{values['case_id']}/actions/withdraw", data={"version": "2"})
    assert response.status_code == 400 and "The form has expired" in response.text
    response = client.post("/sign-out")
    assert response.status_code == 400
    with db.reading() as session:
        assert session.get(Case, values["case_id"]).state == "route_approval"


def test_one_council_cannot_see_or_act_on_the_others_cases(app, core, db, browser):
    _, values = _world(core, db)
    cdc = hub_people(db, "CDC")
    outsider = browser(cdc.head)
    case_id = values["case_id"]
    for url in (
        f"/cases/{case_id}",
        f"/cases/{case_id}/diagram.svg",
        f"/cases/{case_id}/documents/{values['document_id']}",
        f"/contracts/{values['contract_id']}",
        f"/tasks/{values['task_id']}",
    ):
        outsider.get(url, status=404)
    token = csrf_from(outsider.get("/my-work").text)
    response = outsider.client.post(f"/approvals/cases/{case_id}", data={"csrf_token": token, "outcome": "approve"})
    assert response.status_code == 404
    assert "PRC-" not in outsider.get("/approvals/").text
    assert "0 contracts" in outsider.get("/contracts/?status=").text  # of any status
    with db.reading() as session:
        assert session.get(Case, case_id).state == "route_approval"


def test_roles_required_pages_refuse_others(app, core, db, browser):
    people = hub_people(db)
    requester = browser(people.requester)
    for url in ("/admin/", "/admin/users", "/admin/governance", "/admin/workflows", "/admin/configuration"):
        requester.get(url, status=403)
    head = browser(people.head)
    head.get("/admin/governance")
    head.get("/admin/users", status=403)  # people and roles are for administrators


def test_an_administrator_cannot_see_or_change_the_other_councils_staff(app, core, db, browser):
    from provision_cycle.models import RoleAssignment
    from tests.factories import create_user

    occ_admin = browser(create_user(db, ("administrator", "OCC"), full_name="Ada Oxford"))
    cherwell_only = create_user(db, ("finance", "CDC"), full_name="Cora Cherwell")
    oxford_only = create_user(db, ("finance", "OCC"), full_name="Oscar Oxford")
    listed = occ_admin.get("/admin/users").text
    assert "Oscar Oxford" in listed and "Cora Cherwell" not in listed
    assert "People who hold a role in Oxfordshire County Council, the councils you administer" in listed
    occ_admin.get(f"/admin/users/{oxford_only}")
    occ_admin.get(f"/admin/users/{cherwell_only}", status=404)
    token = csrf_from(occ_admin.get("/admin/users/new").text)
    response = occ_admin.client.post(
        f"/admin/users/{cherwell_only}", data={"csrf_token": token, "role": "requester", "authority": "OCC"}
    )
    assert response.status_code == 404
    with db.reading() as session:
        assert session.scalars(select(RoleAssignment.role).filter_by(user_id=cherwell_only)).all() == ["finance"]


def test_a_nul_character_anywhere_in_a_request_is_refused_before_anything_reads_it(app, core, db, browser):
    """PostgreSQL can neither store nor compare text with a NUL in it: the address, the query, a form or a JSON
    body holding one is a 400 (the API's as a problem), not a server error, and nothing is recorded."""
    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="18000")
    act(core.engine, case_id, "submit", people.requester)
    officer = browser(people.officer)
    for page in ("/cases/?q=a%00b", "/approvals/?pillar=%00", "/suppliers/acme%00ltd", "/contracts/?a%00=1"):
        officer.get(page, status=400)
    with db.reading() as session:
        events = session.scalar(select(func.count()).select_from(AuditEvent))
    officer.post(
        f"/cases/{case_id}/notes", {"note": "Rang\x00 two suppliers"}, status=400, form_page=f"/cases/{case_id}"
    )
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == events
    from tests.api.conftest import Api

    refused = Api(app, core, people.officer).post(f"/cases/{case_id}/notes", {"note": "Rang\u0000"}, status=400)
    assert refused.mimetype == "application/problem+json"


def test_sign_in_says_the_same_for_unknown_user_and_wrong_password_and_locks_out(app, core, db):
    people = hub_people(db)
    give_password(db, people.officer)
    client = Browser(app, db).client
    with db.reading() as session:
        from provision_cycle.models import User

        username = session.get(User, people.officer).username

    def attempt(user, password):
        token = csrf_from(client.get("/sign-in").text)
        return client.post("/sign-in", data={"username": user, "password": password, "csrf_token": token})

    unknown = attempt("nobody-here", "whatever-password")
    wrong = attempt(username, "not the password")
    assert unknown.status_code == wrong.status_code == 400
    assert SIGN_IN_FAILED in unknown.text and SIGN_IN_FAILED in wrong.text
    for _ in range(MAX_FAILED_SIGN_INS - 1):
        attempt(username, "still wrong")
    locked = attempt(username, "correct horse battery staple")  # the right password, but locked now
    assert locked.status_code == 400 and SIGN_IN_FAILED in locked.text
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "lock_out")) == 1


def test_an_address_many_sign_ins_failed_from_is_refused_for_a_while(core, db, clock, tmp_path):
    """Password spraying: one password tried against many accounts from one address. Once as many sign-ins
    have failed from it in 15 minutes as the settings allow, it is refused before any password is checked
    (the right one too), while other addresses, and it again 15 minutes on, sign in as usual. Behind the
    proxy the settings name, the address is the client's, as the proxy passed it on."""
    people = hub_people(db)
    give_password(db, people.officer)
    core.settings = core.settings.with_overrides(
        instance_dir=tmp_path, sign_in_address_limit=3, trusted_proxies=1, session_idle_minutes=10**7
    )
    app = create_app(core.settings, core=core)
    with db.reading() as session:
        username = session.get(User, people.officer).username

    def attempt(user, password, address):
        client = app.test_client()  # through the proxy, which says where the request came from
        headers = {"X-Forwarded-For": address}
        token = csrf_from(client.get("/sign-in", headers=headers).get_data(as_text=True))
        data = {"username": user, "password": password, "csrf_token": token}
        return client.post("/sign-in", data=data, headers=headers)

    for user in ("nobody", "someone", username):  # one password, three accounts
        assert SIGN_IN_FAILED in attempt(user, "Winter2026!", "203.0.113.9").get_data(as_text=True)
    refused = attempt(username, PASSWORD, "203.0.113.9")
    assert refused.status_code == 400 and TOO_MANY_FROM_HERE in refused.get_data(as_text=True)
    assert attempt(username, PASSWORD, "198.51.100.20").status_code == 302  # another address
    clock.advance(minutes=15)
    assert attempt(username, PASSWORD, "203.0.113.9").status_code == 302
    with db.reading() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "refuse_sign_ins_from")).all()
        assert event.data == {"address": "203.0.113.9"} and event.actor_id is None
        assert session.scalar(select(func.count()).select_from(SignInFailure)) == 3  # a refusal is not a failure
    attempt("nobody", "Spring2026!", "192.0.2.1")
    with db.reading() as session:  # those over 15 minutes old are forgotten
        assert session.scalars(select(SignInFailure.address)).all() == ["192.0.2.1"]

    # Reset links asked for count too, so that nobody has every account emailed from one place.
    def ask_for_a_link(account, address):
        client, headers = app.test_client(), {"X-Forwarded-For": address}
        token = csrf_from(client.get("/sign-in/forgotten-password", headers=headers).get_data(as_text=True))
        data = {"account": account, "csrf_token": token}
        return client.post("/sign-in/forgotten-password", data=data, headers=headers).get_data(as_text=True)

    for account in ("nobody", "someone"):
        assert "Check your email" in ask_for_a_link(account, "192.0.2.1")
    assert TOO_MANY_FROM_HERE in ask_for_a_link(username, "192.0.2.1")
    assert TOO_MANY_FROM_HERE in attempt(username, PASSWORD, "192.0.2.1").get_data(as_text=True)


@pytest.mark.sqlite_only
def test_sign_in_does_not_redirect_off_site(app, core, db):
    people = hub_people(db)
    give_password(db, people.officer)
    client = app.test_client()
    from provision_cycle.models import User

    with db.reading() as session:
        username = session.get(User, people.officer).username
    token = csrf_from(client.get("/sign-in").text)
    response = client.post(
        "/sign-in?next=https://evil.example/",
        data={"username": username, "password": "correct horse battery staple", "csrf_token": token},
    )
    assert response.status_code == 302 and response.location == "/my-work"


@pytest.mark.sqlite_only
def test_security_headers_and_a_csp_the_pages_satisfy(app, core, db, browser):
    people, values = _world(core, db)
    client = browser(people.manager)
    for url in ("/my-work", f"/cases/{values['case_id']}", f"/approvals/cases/{values['case_id']}", "/contracts/"):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
        assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Frame-Options"] == "DENY" and response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
        for script in re.findall(r"<script[^>]*>", response.text):
            assert f'nonce="{nonce}"' in script, f"{url}: a script without the page's nonce: {script}"
        assert " style=" not in response.text, f"{url}: an inline style attribute breaks style-src 'self'"
    cookie = client.client.get_cookie("session")
    assert cookie is not None and cookie.http_only


def test_a_session_ends_after_hours_unused_and_after_a_working_day_whatever(app, core, db, clock):
    from provision_cycle.settings import Settings
    from tests.factories import create_user

    core.settings = core.settings.with_overrides(
        session_idle_minutes=Settings.session_idle_minutes, session_hours=Settings.session_hours
    )  # the defaults, which the app fixture lifts for tests that move the clock on by days
    person = create_user(db, ("requester", "OCC"))
    client = Browser(app, db).sign_in(person)
    clock.advance(hours=3, minutes=59)
    client.get("/my-work")  # used within the 4 hours: still signed in
    clock.advance(hours=4, minutes=1)
    ended = client.client.get("/cases/?q=chairs")
    assert ended.status_code == 302 and ended.location.endswith("/sign-in?next=/cases/?q%3Dchairs")
    page = client.client.get(ended.location).text
    assert "You were signed out after 4 hours without using the service." in page
    assert client.client.get("/my-work").status_code == 302  # signed out for good

    client = Browser(app, db).sign_in(person)
    for _ in range(3):  # used every 3 hours: the idle limit never reached, but a session lasts 12 hours
        clock.advance(hours=3)
        client.get("/my-work")
    clock.advance(hours=3, minutes=1)
    ended = client.client.get("/my-work")
    assert ended.status_code == 302
    assert "a session lasts 12 hours" in client.client.get(ended.location).text
    cookies = client.client.get("/cookies").text  # where the session cookie is described
    assert "You are signed out after 4 hours without using the service, and after 12 hours in any case" in cookies


def test_a_page_asks_how_long_its_session_has_left_without_using_it_and_can_keep_it(app, core, db, clock, monkeypatch):
    from itsdangerous.timed import TimestampSigner

    from provision_cycle.settings import Settings
    from tests.factories import create_user

    core.settings = core.settings.with_overrides(
        session_idle_minutes=Settings.session_idle_minutes, session_hours=Settings.session_hours
    )
    # A CSRF token carries the time it was signed; here that is the test's clock, so that it lapses with it.
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda signer: int(clock().timestamp()))
    client = Browser(app, db).sign_in(create_user(db, ("requester", "OCC")))
    page = client.get("/my-work").text
    assert 'data-unused-ends-in="14400"' in page and 'data-ends-in="43200"' in page  # what the warning counts from
    clock.advance(hours=3, minutes=56)
    assert client.get("/session").get_json() == {"unused_ends_in": 240, "ends_in": 29040}
    assert client.get("/session").get_json()["unused_ends_in"] == 240  # asking is not using
    assert client.client.post("/session/keep-alive").status_code == 400  # a state change needs its CSRF token
    kept = client.client.post("/session/keep-alive", headers={"X-CSRFToken": csrf_from(page)})
    assert kept.status_code == 200 and kept.get_json()["unused_ends_in"] == 14400
    fresh = kept.get_json()["csrf_token"]
    clock.advance(hours=3, minutes=59)  # past the page's own token's 4 hours: the fresh one still posts a form
    lapsed = client.client.post("/notifications", data={"email": "digest", "csrf_token": csrf_from(page)})
    assert lapsed.status_code == 400
    response = client.client.post("/notifications", data={"email": "digest", "csrf_token": fresh})
    assert response.status_code == 302, response.text[:500]
    clock.advance(hours=4, minutes=1)
    assert client.client.get("/session").status_code == 302  # over: to sign in


def test_session_limits_are_settings_checked_on_start():
    from provision_cycle.settings import Settings, SettingsError

    assert Settings.from_env({"PC_SESSION_IDLE_MINUTES": "30"}).session_idle_minutes == 30
    with pytest.raises(SettingsError, match="PC_SESSION_HOURS must be a whole number of at least 1, like 12"):
        Settings.from_env({"PC_SESSION_HOURS": "half a day"})


def test_a_static_file_s_response_never_writes_the_session_cookie(app):
    """A file fetched beside a request that changes the session (single sign-on keeping its journey) could
    otherwise answer last with the session as it was before, and the browser keep that one."""
    client = app.test_client()
    assert any(c.startswith("session=") for c in client.get("/sign-in").headers.getlist("Set-Cookie"))
    for path in ("/static/favicon.svg", "/static/council.min.css"):
        written = client.get(path).headers.getlist("Set-Cookie")
        assert not any(cookie.startswith("session=") for cookie in written), (path, written)
