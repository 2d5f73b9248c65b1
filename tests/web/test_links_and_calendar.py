"""Approval emails' action links (single use, expiring, for one person and one step) and the calendar feed."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from icalendar import Calendar
from sqlalchemy import select

from provision_cycle.governance.calendar import LONDON
from provision_cycle.models import ActionLink, Case, OutboxMessage
from provision_cycle.services.links import issue_action_link
from tests.factories import act, approve_gate, hub_people, key_decision_on_the_forward_plan, new_request
from tests.test_scheduler import Inbox, _free_port
from tests.web.conftest import csrf_from
from tests.web.helpers import renewal_task, seed_contracts


def _submitted(core, db):
    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="18000")
    act(core.engine, case_id, "submit", people.requester)
    return people, case_id


def _link_for(core, db, user_id, case_id) -> str:
    with db.reading() as session:
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "approval_needed")).first()
    return issue_action_link(core, user_id, case_id, message.payload["step"])[0]


def test_the_approval_email_carries_a_link_that_approves_once(core, db, app, definitions):
    from aiosmtpd.controller import Controller

    from provision_cycle.scheduling.config import load_schedule
    from provision_cycle.scheduling.sweeps import Mailer, deliver_notifications
    from provision_cycle.settings import PROJECT_ROOT

    people, case_id = _submitted(core, db)
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        schedule = load_schedule(PROJECT_ROOT / "config", set(definitions[0].organisation.pillars))
        deliver_notifications(core, schedule, Mailer("127.0.0.1", port, "hub@example.gov.uk", base_url="http://x"))
    finally:
        controller.stop()
    body = message_from_bytes(inbox.messages[0].content, policy=default).get_content()
    secret = re.search(r"http://x/act/(\S+)", body).group(1)

    client = app.test_client()  # not signed in: the link is the credential for this one decision
    page = client.get(f"/act/{secret}")
    assert page.status_code == 200 and "I have no conflict of interest" in page.text
    refused = client.post(f"/act/{secret}", data={"csrf_token": csrf_from(page.text)})
    assert refused.status_code == 403 and "Confirm that you have no conflict of interest" in refused.text
    done = client.post(f"/act/{secret}", data={"csrf_token": csrf_from(page.text), "no_conflict": "yes"})
    assert done.status_code == 200 and "Decision recorded" in done.text
    with db.reading() as session:
        assert session.get(Case, case_id).state != "route_approval"
    again = client.get(f"/act/{secret}")
    assert again.status_code == 403 and "already been used" in again.text


def test_links_expire_are_personal_and_die_with_their_step(core, db, app, clock, browser):
    people, case_id = _submitted(core, db)
    expiring = _link_for(core, db, people.manager, case_id)
    personal = _link_for(core, db, people.manager, case_id)
    overtaken = _link_for(core, db, people.manager, case_id)

    someone_else = browser(people.head).client
    response = someone_else.get(f"/act/{personal}")
    assert response.status_code == 403 and "sent to someone else" in response.text

    clock.advance(days=8)
    response = app.test_client().get(f"/act/{expiring}")
    assert response.status_code == 403 and "expired" in response.text
    clock.advance(days=-8)

    approve_gate(core.engine, case_id, [people.manager])  # decided another way
    response = app.test_client().get(f"/act/{overtaken}")
    assert response.status_code == 403 and "already been made" in response.text
    assert app.test_client().get("/act/not-a-real-link").status_code == 404


def test_a_committee_member_s_link_says_they_have_decided_once_they_have(core, db, app):
    """The Commissioning Board's step stays open for its other members after one approves on the case page:
    that member's email link says so, and the others' links still work."""
    from tests.factories import commissioning_at_its_gate

    people = hub_people(db)
    case_id = commissioning_at_its_gate(core.engine, people.requester)
    approve_gate(core.engine, case_id, [people.head])
    with db.reading() as session:
        asked = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "approval_needed").order_by(OutboxMessage.id.desc())
        ).first()
    first, other = (
        issue_action_link(core, d, case_id, asked.payload["step"])[0] for d in (people.director, people.director2)
    )
    approve_gate(core.engine, case_id, [people.director])
    response = app.test_client().get(f"/act/{first}")
    assert response.status_code == 403 and "You have already decided this step" in response.text
    page = app.test_client().get(f"/act/{other}")
    assert page.status_code == 200  # and it shows the business case the Board decides
    assert re.search(r"The preferred option and why</dt>\s*<dd[^>]*>B</dd>", page.text)


def test_someone_who_uses_security_codes_gives_one_with_the_link(core, db, app, clock, browser):
    from provision_cycle.services import two_factor

    people, case_id = _submitted(core, db)
    two_factor.start_setting_up(core, people.manager)
    key = two_factor.key_being_set_up(core, people.manager)[1]
    two_factor.turn_on(core, people.manager, two_factor.code_at(key, two_factor.step_of(clock())))
    clock.advance(seconds=30)
    secret = _link_for(core, db, people.manager, case_id)

    # Signed in here already (past their code): the link asks for none.
    signed_in = browser(people.manager)  # the password, then the code
    signed_in.post("/sign-in/security-code", {"code": two_factor.code_at(key, two_factor.step_of(clock()))})
    assert "Security code" not in signed_in.get(f"/act/{secret}").text
    clock.advance(seconds=30)
    client = app.test_client()  # only the email: a code as well
    page = client.get(f"/act/{secret}")
    assert "Security code" in page.text and 'autocomplete="one-time-code"' in page.text
    sent = {"csrf_token": csrf_from(page.text), "no_conflict": "yes"}
    blank = client.post(f"/act/{secret}", data=sent)
    assert blank.status_code == 400 and "Enter the security code" in blank.text
    wrong = client.post(f"/act/{secret}", data=sent | {"code": "000000"})
    assert wrong.status_code == 400 and "The security code is not right" in wrong.text
    with db.reading() as session:
        assert session.get(Case, case_id).state == "route_approval"  # nothing decided, the link unspent
    code = two_factor.code_at(key, two_factor.step_of(clock()))
    done = client.post(f"/act/{secret}", data=sent | {"code": code})
    assert done.status_code == 200 and "Decision recorded" in done.text


def test_the_calendar_feed_lists_contract_dates_and_tasks_and_can_be_switched_off(core, db, app, browser):
    from provision_cycle.models import Contract

    people = hub_people(db)
    contract_id, without_notice = seed_contracts(core, people, 2)
    with db.unit_of_work() as session:  # no notice period recorded: no day to give notice by
        session.get(Contract, without_notice).notice_period_days = 0
    renewal_task(core, people, contract_id, "Decide the renewal", core.engine.today() + timedelta(days=4))
    manager = browser(people.contract_manager)
    page = manager.post("/account/calendar", {"intent": "new"}, status=200).text
    url = re.search(r'<code id="feed-url">([^<]+)</code>', page).group(1)
    assert url.startswith(f"{core.settings.base_url}/calendar/")  # the public address, whatever host was asked
    path = url.removeprefix(core.settings.base_url)
    feed = app.test_client().get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    calendar = Calendar.from_ical(feed.data)
    summaries = sorted(str(e["summary"]) for e in calendar.walk("VEVENT"))
    assert any(s.startswith("CON-") and " ends: Contract 0" in s for s in summaries)
    assert any("days' notice" in s for s in summaries) and "Due: Decide the renewal" in summaries
    with db.reading() as session:
        first, second = (session.get(Contract, c) for c in (contract_id, without_notice))
        notice = {str(e["uid"]): e.decoded("dtstart") for e in calendar.walk("VEVENT") if "notice" in str(e["uid"])}
    assert notice == {f"contract-{first.id}-notice@provision-cycle": first.notice_by}  # not the other's
    assert f"{second.reference} ends: Contract 1" in summaries
    manager.post("/account/calendar", {"intent": "stop"}, form_page="/account/calendar")
    assert app.test_client().get(path).status_code == 404


def test_a_variations_link_shows_what_it_changes_before_it_is_approved(core, db, app):
    from tests.web.helpers import contract_with_variation

    people = hub_people(db)
    contract = contract_with_variation(core, people, approved=False)
    page = app.test_client().get(f"/act/{_link_for(core, db, people.head, contract.case_id)}").text
    assert "Two more depots" in page and "£500,000.00 to £650,000.00" in page
    assert "Needed, and published before the change is made" in page


def test_an_award_s_link_shows_to_whom_it_would_go_before_it_is_approved(core, db, app, clock):
    from tests.factories import award_recommended

    people = hub_people(db)
    case_id = award_recommended(core.engine, clock, people)
    with db.reading() as session:
        asked = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "approval_needed").order_by(OutboxMessage.id.desc())
        ).first()
    assert asked.payload["step"]["gate"] == "award_approval"
    page = app.test_client().get(f"/act/{issue_action_link(core, people.head, case_id, asked.payload['step'])[0]}")
    assert "Acme Ltd (01234567)" in page.text and "£240,000.00 (estimated £250,000.00)" in page.text
    assert "New to the councils" in page.text and "/suppliers/" not in page.text  # nothing of it to link to


def test_a_link_says_when_the_request_may_be_one_requirement_with_others(core, db, app):
    people = hub_people(db)
    for title in ("Laptops", "Docking stations", "Monitors"):  # 18,000 each: 21,600 with VAT
        case_id = new_request(core.engine, people.requester, value="18000", title=title)
        act(core.engine, case_id, "submit", people.requester)
    with db.reading() as session:
        asked = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "approval_needed").order_by(OutboxMessage.id.desc())
        ).first()
    page = app.test_client().get(f"/act/{issue_action_link(core, people.manager, case_id, asked.payload['step'])[0]}")
    said = " ".join(page.text.split())
    assert "Perhaps one requirement with others: with 2 other procurements" in said
    assert "comes to £64,800.00 with VAT" in said and "Docking stations" in said


def test_a_key_decisions_link_waits_for_the_forward_plan_and_is_not_spent_by_a_refusal(core, db, app, clock):
    """A link opened before the key decision may be taken says so and offers no approval; an approval refused
    all the same gives the link back, since nothing was decided."""
    from provision_cycle.errors import NotPermitted
    from provision_cycle.services.links import approve_by_link

    people = hub_people(db)
    case_id = key_decision_on_the_forward_plan(core.engine, people)
    with db.reading() as session:
        message = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == "approval_needed", OutboxMessage.recipient_id == people.executive
            )
        ).one()
    secret, usable_from = issue_action_link(core, people.executive, case_id, message.payload["step"])
    assert usable_from == date(2026, 3, 31)  # the approval email says so
    client = app.test_client()
    page = client.get(f"/act/{secret}").text
    assert "You cannot approve this yet" in page and "cannot be taken before 31 March 2026" in page
    assert ">Approve</button>" not in page
    with pytest.raises(NotPermitted, match="cannot be taken before 31 March 2026"):
        approve_by_link(core, secret, None, no_conflict=True)

    # Its 7 days run from the first day the decision can be taken, 31 March, not from when it was sent.
    clock.set(date(2026, 4, 6))
    core.engine.declare_interests(case_id, people.executive, has_conflict=True, details="Owns shares in a bidder")
    page = client.get(f"/act/{secret}")
    refused = client.post(f"/act/{secret}", data={"csrf_token": csrf_from(page.text)})
    assert refused.status_code == 403 and "conflict of interest" in refused.text
    page = client.get(f"/act/{secret}")
    assert ">Approve</button>" in page.text  # not spent: nothing was decided
    core.engine.declare_interests(case_id, people.executive, has_conflict=False)  # the shares are sold
    done = client.post(f"/act/{secret}", data={"csrf_token": csrf_from(page.text)})
    assert done.status_code == 200 and "Decision recorded" in done.text
    with db.reading() as session:
        assert session.get(Case, case_id).state == "conflicts_assessment"
    with db.reading() as session:  # sent on 2 March, it would have lasted until 9 March
        [link] = session.scalars(select(ActionLink).where(ActionLink.user_id == people.executive)).all()
        assert link.expires_at.astimezone(LONDON) == datetime(2026, 4, 7, tzinfo=LONDON)  # 7 days from 31 March
