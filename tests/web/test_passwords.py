"""People set their own passwords: from an emailed link (an administrator's invitation, or a reset they asked
for), or signed in on the account page. Links work once, for a while, for one account; setting a password
ends the person's other sessions."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update

from provision_cycle.models import AuditEvent, OutboxMessage, PasswordLink, User
from provision_cycle.scheduling.sweeps import Mailer, deliver_notifications, send_digests
from provision_cycle.services import passwords
from provision_cycle.services.people import MAX_FAILED_SIGN_INS
from tests.factories import create_user
from tests.test_scheduler import Inbox, _free_port
from tests.web.conftest import PASSWORD, Browser, csrf_from, give_password

NEW_PASSWORD = "a kettle of spotted owls"


def _emails(core, schedule, *, digests: bool = False) -> list:
    """Run the delivery job (and the digests) against a local SMTP sink; the emails it received."""
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        mailer = Mailer("127.0.0.1", port, "hub@example.gov.uk", base_url="http://hub")
        deliver_notifications(core, schedule, mailer)
        if digests:
            send_digests(core, schedule, mailer)
    finally:
        controller.stop()
    return [message_from_bytes(e.content, policy=default) for e in inbox.messages]


def _link_in(email) -> str:
    return re.search(r"http://hub(/password/\S+)", email.get_content()).group(1)


def _username(db, user_id: int) -> str:
    with db.reading() as session:
        return session.get(User, user_id).username


def _sign_in(app, username: str, password: str):
    client = app.test_client()
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in", data={"username": username, "password": password, "csrf_token": csrf_from(page.text)}
    )
    return client, response


def _password_links(db, user_id: int) -> int:
    with db.reading() as session:
        return session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.recipient_id == user_id, OutboxMessage.kind == passwords.PASSWORD_LINK)
        )


def test_a_forgotten_password_is_set_again_from_the_emailed_link(app, core, db, clock, schedule):
    person = create_user(db, ("category_officer", "OCC", "cnc"), username="olive.officer", full_name="Olive Officer")
    give_password(db, person)
    for _ in range(MAX_FAILED_SIGN_INS):  # locked out by too many tries
        _sign_in(app, "olive.officer", "not the password")
    client = app.test_client()

    # The same answer whether or not there is such an account; an email only for the real one.
    for asked in ("nobody.here", "OLIVE.OFFICER@example.gov.uk"):
        form = client.get("/sign-in/forgotten-password")
        answer = client.post("/sign-in/forgotten-password", data={"account": asked, "csrf_token": csrf_from(form.text)})
        assert answer.status_code == 200 and "If there is an account with that username" in answer.text
    assert "Forgotten your password?" in client.get("/sign-in").text
    (email,) = _emails(core, schedule)
    assert email["To"] == "olive.officer@example.gov.uk" and email["Subject"] == "Set a new password"
    assert "for 2 hours" in email.get_content() and "olive.officer" in email.get_content()
    link = _link_in(email)

    page = client.get(link)
    assert page.status_code == 200 and "olive.officer" in page.text and "Set a new password" in page.text
    assert page.headers["Cache-Control"] == "no-store"  # a page a secret opened is not kept
    token = csrf_from(page.text)
    short = client.post(link, data={"password": "too short", "confirmation": "too short", "csrf_token": token})
    assert short.status_code == 400 and "at least 12 characters" in short.text
    own_name = client.post(
        link, data={"password": "olive.officer", "confirmation": "olive.officer", "csrf_token": token}
    )
    assert own_name.status_code == 400 and "not your username or email address" in own_name.text
    different = client.post(
        link, data={"password": NEW_PASSWORD, "confirmation": NEW_PASSWORD + "!", "csrf_token": token}
    )
    assert different.status_code == 400 and "Enter the same password twice" in different.text
    done = client.post(link, data={"password": NEW_PASSWORD, "confirmation": NEW_PASSWORD, "csrf_token": token})
    assert done.status_code == 302 and done.location.endswith("/sign-in")
    assert "Your password is set. Sign in as olive.officer" in client.get("/sign-in").text

    # The link is spent; the old password is gone; the new one signs in, the lock-out lifted.
    again = client.get(link)
    assert again.status_code == 410 and "already been used" in again.text
    assert _sign_in(app, "olive.officer", PASSWORD)[1].status_code == 400
    assert _sign_in(app, "olive.officer", NEW_PASSWORD)[1].status_code == 302
    (told,) = _emails(core, schedule)  # in case it was not them
    assert told["To"] == "olive.officer@example.gov.uk" and told["Subject"] == "Your password was set"
    content = " ".join(told.get_content().split())
    assert "If it was not, ask for a new link" in content and "revoke any API token of yours" in content
    assert "/password/" not in content
    assert client.get("/password/not-a-real-secret").status_code == 404
    with db.reading() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.stream == "system")).all()
        assert actions.count("ask_for_password_reset") == 1 and "set_password_by_link" in actions
        assert session.scalar(select(PasswordLink.purpose).where(PasswordLink.user_id == person)) == "reset"


def test_a_reset_is_emailed_once_in_a_few_minutes_and_never_to_a_closed_account(app, core, db, clock, schedule):
    person = create_user(db, ("requester", "OCC"), username="rita.requester")
    leaver = create_user(db, ("requester", "OCC"), username="lee.leaver", active=False)
    for _ in range(3):
        passwords.ask_for_reset(core, "rita.requester")
    passwords.ask_for_reset(core, "lee.leaver")
    assert _password_links(db, person) == 1 and _password_links(db, leaver) == 0
    clock.advance(minutes=6)
    passwords.ask_for_reset(core, "rita.requester@example.gov.uk")
    assert _password_links(db, person) == 2
    secret, _ = passwords.issue_password_link(core, person, "reset")
    passwords.set_password_by_link(core, secret, NEW_PASSWORD, NEW_PASSWORD)
    passwords.ask_for_reset(core, "rita.requester")  # the last link is spent: another may be asked for at once
    assert _password_links(db, person) == 3
    problem = Browser(app, db).post("/sign-in/forgotten-password", {"account": " "}, status=400)
    assert "Enter your username or email address" in problem.text


def test_a_link_lasts_its_time_and_dies_once_the_password_is_set_another_way(app, core, db, clock):
    person = create_user(db, ("requester", "OCC"), username="rita.requester")
    client = app.test_client()
    first, _ = passwords.issue_password_link(core, person, "reset")
    second, _ = passwords.issue_password_link(core, person, "reset")
    clock.advance(minutes=119)
    assert client.get(f"/password/{first}").status_code == 200
    passwords.set_password_by_link(core, first, NEW_PASSWORD, NEW_PASSWORD)
    refused = client.get(f"/password/{second}")  # made before the password was set: spent with it
    assert refused.status_code == 410 and "already been used" in refused.text

    late, _ = passwords.issue_password_link(core, person, "reset")
    clock.advance(hours=2)
    expired = client.get(f"/password/{late}")
    assert expired.status_code == 410 and "expired" in expired.text
    invitation, lasts = passwords.issue_password_link(core, person, "invitation")
    clock.advance(days=6)
    assert lasts == "7 days" and client.get(f"/password/{invitation}").status_code == 200
    with db.unit_of_work() as session:
        session.execute(update(User).where(User.id == person).values(is_active=False))
    closed = client.get(f"/password/{invitation}")
    assert closed.status_code == 410 and "deactivated" in closed.text


def test_changing_a_password_keeps_this_session_and_ends_the_others(app, core, db):
    person = create_user(db, ("requester", "OCC"), username="rita.requester")
    here, elsewhere = Browser(app, db).sign_in(person), Browser(app, db).sign_in(person)
    assert 'href="/account">Your account</a>' in here.get("/my-work").text
    assert (
        'href="/account/password">Change<span class="govuk-visually-hidden"> your password' in here.get("/account").text
    )
    wrong = here.post(
        "/account/password",
        {"current": "not my password", "password": NEW_PASSWORD, "confirmation": NEW_PASSWORD},
        status=400,
    )
    assert "Your current password is not right" in wrong.text
    elsewhere.get("/my-work")  # nothing changed yet
    done = here.post("/account/password", {"current": PASSWORD, "password": NEW_PASSWORD, "confirmation": NEW_PASSWORD})
    assert done.location.endswith("/my-work")
    assert "You are signed out everywhere else" in here.get("/my-work").text
    assert elsewhere.client.get("/my-work").status_code == 302  # back to the sign-in page
    assert _sign_in(app, "rita.requester", NEW_PASSWORD)[1].status_code == 302
    with db.reading() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "change_password")).one()
        assert event.actor_id == person and event.data == {"user_id": person}

    # Someone at an unattended session cannot go on guessing the password: wrong ones count as failed sign-ins.
    for _ in range(MAX_FAILED_SIGN_INS):
        here.post(
            "/account/password", {"current": "a guess", "password": PASSWORD, "confirmation": PASSWORD}, status=400
        )
    locked = here.post(
        "/account/password", {"current": NEW_PASSWORD, "password": PASSWORD, "confirmation": PASSWORD}, status=400
    )
    assert "Too many wrong passwords: try again in 15 minutes" in locked.text
    assert _sign_in(app, "rita.requester", NEW_PASSWORD)[1].status_code == 400


def test_an_administrator_adds_a_person_who_sets_their_own_password(app, core, db, clock, schedule):
    admin = create_user(db, ("administrator", "OCC"), full_name="Ada Admin")
    cherwell_admin = create_user(db, ("administrator", "CDC"))
    client = Browser(app, db).sign_in(admin)
    page = client.get("/admin/users/new").text
    assert 'type="password"' not in page and "emailed a link to set their own password" in page
    response = client.post(
        "/admin/users/new",
        {
            "full_name": "Nia New",
            "username": "nia.new",
            "email": "nia@example.gov.uk",
            "role": "category_officer",
            "authority": "OCC",
            "pillar": "cnc",
        },
    )
    with db.reading() as session:
        nia = session.scalars(select(User).where(User.username == "nia.new")).one()
        assert nia.password_hash is None
    assert "An email is on its way to nia@example.gov.uk" in client.get(response.location).text
    with db.unit_of_work() as session:  # she chose a daily digest: her link still goes at once
        session.execute(update(User).where(User.id == nia.id).values(email_digest=True))
    (email,) = _emails(core, schedule, digests=True)
    assert email["To"] == "nia@example.gov.uk" and email["Subject"] == "Your account: set your password"
    assert "for 7 days" in email.get_content()
    link = _link_in(email)
    page = client.client.get(link)  # a link is for whoever holds it: here the administrator's browser
    assert "Set your password" in page.text and "nia.new" in page.text
    done = client.client.post(
        link, data={"password": NEW_PASSWORD, "confirmation": NEW_PASSWORD, "csrf_token": csrf_from(page.text)}
    )
    assert done.status_code == 302
    assert client.client.get("/admin/users").status_code == 302  # setting it signed that browser out
    assert _sign_in(app, "nia.new", NEW_PASSWORD)[1].status_code == 302

    # Another link, from her page; not for another council's administrator, nor for oneself.
    client = Browser(app, db).sign_in(admin)
    assert "Set by them on" in client.get(f"/admin/users/{nia.id}").text
    sent = client.post(f"/admin/users/{nia.id}/password-link", form_page=f"/admin/users/{nia.id}")
    assert "An email is on its way to nia@example.gov.uk" in client.get(sent.location).text
    assert _password_links(db, nia.id) == 2
    client.post(f"/admin/users/{admin}/password-link", form_page=f"/admin/users/{admin}")
    assert _password_links(db, admin) == 0
    other = Browser(app, db).sign_in(cherwell_admin)
    other.post(f"/admin/users/{nia.id}/password-link", form_page="/admin/users")
    assert _password_links(db, nia.id) == 2
    requester = Browser(app, db).sign_in(create_user(db, ("requester", "OCC")))
    requester.post(f"/admin/users/{nia.id}/password-link", form_page="/my-work", status=403)
    with db.reading() as session:
        created = session.scalars(select(AuditEvent).where(AuditEvent.action == "create_user")).all()[-1]
        assert created.data["invited"] is True


def test_an_administrator_reads_what_happened_to_the_accounts_they_look_after(app, core, db, clock):
    admin = create_user(db, ("administrator", "OCC"), full_name="Ada Admin")
    cherwell_admin = create_user(db, ("administrator", "CDC"))
    client = Browser(app, db).sign_in(admin)
    client.post(
        "/admin/users/new",
        {"full_name": "Nia New", "username": "nia.new", "email": "nia@example.gov.uk", "role": "requester",
         "authority": "OCC", "pillar": ""},
    )  # fmt: skip
    with db.reading() as session:
        nia = session.scalar(select(User.id).where(User.username == "nia.new"))
    client.post(f"/admin/users/{nia}", {"role": "category_officer", "authority": "OCC", "pillar": "cnc"})
    secret, _ = passwords.issue_password_link(core, nia, "invitation")
    clock.advance(minutes=1)
    passwords.set_password_by_link(core, secret, NEW_PASSWORD, NEW_PASSWORD)
    for _ in range(MAX_FAILED_SIGN_INS):
        _sign_in(app, "nia.new", "not the password")
    passwords.ask_for_reset(core, "nia.new")

    page = client.get(f"/admin/users/{nia}").text
    table = page[page.index('id="account-activity"') :].split("</table>")[0]
    rows = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in table.split("<tr")[2:]]
    assert [row.split(" at ", 1)[1].split(" ", 1)[1] for row in rows] == [
        "A link to set a new password was asked for on the sign-in page —",
        f"Locked out after too many failed sign-ins, until {_lock_ends(db, nia)} Themselves",
        "Set their password from the invitation link Themselves",
        "Gave the role Category Officer (Oxfordshire County Council, Corporate and Commercial) Ada Admin",
        "Added the account, as Requester (Oxfordshire County Council); a link to set its password emailed Ada Admin",
    ]
    everyone = client.get("/admin/activity").text
    assert "Nia New" in everyone and "Account activity" in everyone
    assert client.get(f"/admin/activity?person={nia}").text.count("<tr") == 6  # the head and five events
    other = Browser(app, db).sign_in(cherwell_admin)
    assert "Nia New" not in other.get("/admin/activity").text  # Oxfordshire's person, not Cherwell's business
    other.get(f"/admin/activity?person={nia}", status=404)
    client.get(f"/admin/activity?person={2**80}", status=404)  # of no row, not a database error
    Browser(app, db).sign_in(create_user(db, ("requester", "OCC"))).get("/admin/activity", status=403)


def _lock_ends(db, user_id: int) -> str:
    from provision_cycle.governance.calendar import LONDON

    with db.reading() as session:
        return session.get(User, user_id).locked_until.astimezone(LONDON).strftime("%H:%M on %-d %B %Y")


@pytest.mark.parametrize(
    "password",
    ["aaaaaaaaaaaa", "abababababab", "123456789012", "qwertyuiopas", "abcdefghijklm", "Password1234", "password!!!!",
     "iloveyou12345", "manchesterunited", "liverpool1892"],
)  # fmt: skip
def test_a_password_that_guessing_tries_first_is_refused(password):
    assert "harder to guess" in passwords.password_problem(password, username="j.smith", email="j@x.gov.uk")


def test_a_password_of_up_to_200_characters_is_judged_on_its_first_72():
    assert passwords.password_problem("a kettle of spotted owls " * 8) is None  # 200 characters
    assert "harder to guess" in passwords.password_problem("a" * 200)


def test_one_of_the_passwords_most_used_is_called_so():
    problem = passwords.password_problem("iloveyou12345")
    assert (
        problem == "Enter a password that is harder to guess: this one is, or is like, one of the passwords most used"
    )


def test_a_long_password_of_words_is_enough():
    assert passwords.password_problem("a kettle of spotted owls") is None
    assert passwords.password_problem("j.smith@x.gov.uk", username="j.smith", email="j.smith@x.gov.uk")
