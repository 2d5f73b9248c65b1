"""Security codes after the password (TOTP, RFC 6238): set up from a QR code and confirmed with a code;
asked for at every sign-in with a password; each code and recovery code good once; wrong ones count towards
the lock-out; required for everyone where the council says so; turned off by an administrator for a lost
phone."""

from __future__ import annotations

import base64
import re

import pytest
from sqlalchemy import select

from provision_cycle.models import AuditEvent, OutboxMessage
from provision_cycle.services import two_factor
from provision_cycle.services.people import MAX_FAILED_SIGN_INS
from provision_cycle.settings import Settings, SettingsError
from tests.factories import create_user
from tests.web.conftest import PASSWORD, Browser, csrf_from, give_password


def test_the_codes_agree_with_the_rfc_6238_test_vectors():
    key = base64.b32encode(b"12345678901234567890").decode()
    assert [two_factor.code_at(key, t // 30) for t in (59, 1111111109, 1234567890, 2000000000)] == [
        "287082", "081804", "005924", "279037",
    ]  # fmt: skip


def _code(key: str, clock) -> str:
    return two_factor.code_at(key, two_factor.step_of(clock()))


def _set_up(client: Browser, page_url: str, clock) -> tuple[str, list[str]]:
    """Set up codes on the page ``page_url`` shows: (the key, the recovery codes)."""
    assert "Show my QR code" in client.get(page_url).text and "<svg" not in client.get(page_url).text
    client.post(page_url, {"intent": "start"})  # a GET makes no key: the button's POST does
    page = client.get(page_url).text
    assert "<svg" in page and "QR code for your authenticator app" in page
    key = re.search(r'id="security-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    wrong = client.post(page_url, {"code": "000000"}, status=400).text
    assert "The code is not right" in wrong
    done = client.post(page_url, {"code": _code(key, clock)}, status=200).text
    assert "Security codes are on" in done
    return key, re.findall(r"<code>(\d{5}-\d{5})</code>", done)


def _password(app, db, user_id: int) -> Browser:
    """A browser past the password of ``user_id``, not yet signed in."""
    client = Browser(app, db)
    give_password(db, user_id)
    page = client.client.get("/sign-in")
    with db.reading() as session:
        from provision_cycle.models import User

        username = session.get(User, user_id).username
    sent = client.client.post(
        "/sign-in", data={"username": username, "password": PASSWORD, "csrf_token": csrf_from(page.text)}
    )
    assert sent.status_code == 302 and sent.location == "/sign-in/security-code"
    return client


def _signed_in(client: Browser) -> bool:
    return client.client.get("/my-work").status_code == 200


def test_a_person_turns_on_security_codes_and_is_asked_for_one_at_each_sign_in(app, core, db, clock):
    kate = create_user(db, ("requester", "OCC"), full_name="Kate Dunn")
    client = Browser(app, db).sign_in(kate)
    assert "Set up<span" in client.get("/account").text
    key, recovery = _set_up(client, "/account/security-codes", clock)
    assert len(recovery) == 10 and len(set(recovery)) == 10
    assert "You have 10 recovery codes left" in client.get("/account/security-codes").text

    # The password alone signs nobody in now, nor sets up another key.
    halfway = _password(app, db, kate)
    assert not _signed_in(halfway)
    assert halfway.client.get("/sign-in/set-up-security-codes").location == "/sign-in/security-code"
    wrong = halfway.post("/sign-in/security-code", {"code": "123456"}, status=400).text
    assert two_factor.WRONG_CODE in wrong and not _signed_in(halfway)
    used = _code(key, clock)  # the code that turned them on: not good twice
    assert two_factor.WRONG_CODE in halfway.post("/sign-in/security-code", {"code": used}, status=400).text
    clock.advance(seconds=30)
    done = halfway.post("/sign-in/security-code", {"code": _code(key, clock)})
    assert done.location == "/my-work" and _signed_in(halfway)

    # A lost phone: a recovery code, once.
    lost = _password(app, db, kate)
    assert lost.post("/sign-in/security-code", {"code": recovery[0]}).location == "/my-work" and _signed_in(lost)
    again = _password(app, db, kate)
    again.post("/sign-in/security-code", {"code": recovery[0]}, status=400)
    assert "You have 9 recovery codes left" in lost.get("/account/security-codes").text

    # Running out: ten new ones for a code from the app, and the old ones stop working.
    clock.advance(seconds=30)
    fresh = lost.post("/account/security-codes", {"code": _code(key, clock)}, status=200).text
    assert "Your new recovery codes" in fresh and len(re.findall(r"<code>\d{5}-\d{5}</code>", fresh)) == 10
    assert "You have 10 recovery codes left" in lost.get("/account/security-codes").text
    old = _password(app, db, kate)
    old.post("/sign-in/security-code", {"code": recovery[1]}, status=400)
    with db.reading() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.stream == "system")).all()
        assert "turn_on_security_codes" in actions and "use_recovery_code" in actions

    # The administrator turns them off for a new phone: she is told, and the password is enough again.
    admin = Browser(app, db).sign_in(create_user(db, ("administrator", "OCC"), full_name="Ada Admin"))
    assert "On since" in admin.get(f"/admin/users/{kate}").text
    admin.post(f"/admin/users/{kate}/security-codes/off", form_page=f"/admin/users/{kate}")
    with db.reading() as session:
        told = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == two_factor.TURNED_OFF)).one()
        assert told.recipient_id == kate and "Ada Admin, an administrator, turned off" in told.body
    assert "Turned off the security codes" in admin.get(f"/admin/users/{kate}").text
    assert _signed_in(Browser(app, db).sign_in(kate))  # straight in, as before


def test_wrong_codes_lock_the_account_and_a_sign_in_left_waiting_starts_again(app, core, db, clock):
    kate = create_user(db, ("requester", "OCC"))
    key, _ = _set_up(Browser(app, db).sign_in(kate), "/account/security-codes", clock)
    clock.advance(seconds=30)
    guessing = _password(app, db, kate)
    for _ in range(MAX_FAILED_SIGN_INS):
        guessing.post("/sign-in/security-code", {"code": "999999"}, status=400)
    locked = guessing.post("/sign-in/security-code", {"code": _code(key, clock)}, status=400).text
    assert "Too many wrong codes" in locked and not _signed_in(guessing)

    clock.advance(minutes=20)  # the lock has passed, but this sign-in waited too long for its code
    waited = guessing.client.get("/sign-in/security-code")
    assert (
        waited.location == "/sign-in"
        and "waits 10 minutes for its security code" in guessing.client.get("/sign-in").text
    )


def test_where_the_council_requires_codes_they_are_set_up_before_the_first_session(app, core, db, clock):
    core.settings = core.settings.with_overrides(two_factor="required")
    kate = create_user(db, ("requester", "OCC"))
    halfway = _password(app, db, kate)
    assert halfway.client.get("/sign-in/security-code").location == "/sign-in/set-up-security-codes"
    assert not _signed_in(halfway)
    assert _last_signed_in(db, kate) is None  # a password alone is not a sign-in, for the access review either
    _set_up(halfway, "/sign-in/set-up-security-codes", clock)
    assert _signed_in(halfway) and _last_signed_in(db, kate) is not None


def test_sessions_begun_on_a_password_alone_end_once_the_council_requires_codes(app, core, db, clock):
    """A session begun before PC_TWO_FACTOR=required, on a password alone, ends at its next request; one begun
    with a code goes on, and so does it through a change of password."""
    kate, sam = create_user(db, ("requester", "OCC")), create_user(db, ("requester", "OCC"))
    on_a_password = Browser(app, db).sign_in(kate)
    key, _ = _set_up(Browser(app, db).sign_in(sam), "/account/security-codes", clock)
    with_a_code = _password(app, db, sam)
    clock.advance(seconds=30)
    with_a_code.post("/sign-in/security-code", {"code": _code(key, clock)})
    assert _signed_in(on_a_password) and _signed_in(with_a_code)

    core.settings = core.settings.with_overrides(two_factor="required")
    response = on_a_password.client.get("/my-work")
    assert response.status_code == 302 and "/sign-in" in response.location
    assert "signing in now asks for a security code" in on_a_password.client.get("/sign-in").text
    assert _signed_in(with_a_code)
    changed = "Tawny owls nest in Wytham Woods"
    with_a_code.post("/account/password", {"current": PASSWORD, "password": changed, "confirmation": changed})
    assert _signed_in(with_a_code)  # its session begins again on the new password, still proved with a code


def _last_signed_in(db, user_id: int):
    from provision_cycle.models import User

    with db.reading() as session:
        return session.get(User, user_id).last_signed_in_at


def test_security_codes_setting_is_checked():
    assert Settings.from_env({"PC_TWO_FACTOR": "Required"}).two_factor == "required"
    with pytest.raises(SettingsError, match="PC_TWO_FACTOR must be 'optional' or 'required', not 'always'"):
        Settings.from_env({"PC_TWO_FACTOR": "always"})


def test_codes_sealed_under_a_key_since_changed_leave_the_recovery_codes_and_a_fresh_start(app, core, db, clock):
    """SECRET_KEY rotated without PC_DATA_KEY keeping the old one: the authenticator keys sealed under it no
    longer open. Nobody meets a server error: the sign-in says why the app's codes fail and takes a recovery
    code, and a key half set up is set up afresh."""
    kate, noah = (create_user(db, ("requester", "OCC"), full_name=name) for name in ("Kate Dunn", "Noah Patel"))
    key, recovery = _set_up(Browser(app, db).sign_in(kate), "/account/security-codes", clock)
    halfway_set_up = Browser(app, db).sign_in(noah)
    halfway_set_up.post("/account/security-codes", {"intent": "start"})
    core.settings = core.settings.with_overrides(secret_key="rotated-" * 5)

    clock.advance(seconds=30)
    halfway = _password(app, db, kate)
    refused = halfway.post("/sign-in/security-code", {"code": _code(key, clock)}, status=400).text
    assert two_factor.CODES_UNCHECKABLE.replace("'", "&#39;") in refused and not _signed_in(halfway)
    assert halfway.post("/sign-in/security-code", {"code": recovery[0]}).location == "/my-work"
    again = Browser(app, db).sign_in(noah)  # the rotated key signs the session afresh
    assert "Show my QR code" in again.get("/account/security-codes").text  # the old half-made key is not shown
    _set_up(again, "/account/security-codes", clock)


def test_wrong_codes_count_against_the_address_they_came_from(app, core, db, clock):
    """A wrong security code is a failed sign-in of its address as a wrong password is: once as many have failed
    from one address in 15 minutes as the settings allow, whichever accounts they were for, a code from there
    is refused before it is looked at (the right one too), while another address's is taken."""
    from provision_cycle.errors import InvalidInput
    from provision_cycle.services.people import TOO_MANY_FROM_HERE

    people = [create_user(db, ("requester", "OCC")) for _ in range(2)]
    keys = [_set_up(Browser(app, db).sign_in(person), "/account/security-codes", clock)[0] for person in people]
    core.settings = core.settings.with_overrides(sign_in_address_limit=3)
    clock.advance(seconds=30)
    for person, code in ((people[0], "111111"), (people[0], "222222"), (people[1], "333333")):
        with pytest.raises(InvalidInput, match="The security code is not right"):
            two_factor.check_code(core, person, code, "203.0.113.9")
    with pytest.raises(InvalidInput) as refused:
        two_factor.check_code(core, people[1], _code(keys[1], clock), "203.0.113.9")
    assert refused.value.fields == {"code": TOO_MANY_FROM_HERE}
    two_factor.check_code(core, people[1], _code(keys[1], clock), "198.51.100.20")  # from elsewhere: taken
