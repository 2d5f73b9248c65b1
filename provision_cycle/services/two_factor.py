"""Security codes: after their password, a person gives a code from an authenticator app on their phone
(TOTP, RFC 6238: six digits from a shared key and the time, a new one every 30 seconds), or one of the
recovery codes they were given when they turned codes on.

A person turns them on from their account (or, where the council requires them, before their first session
begins): a new key is kept for them, shown as a QR code, and is in use once a code from it has been given
back, when ten recovery codes are made and shown once. A code is accepted once (the time step of the last
one is kept) and a wrong one counts as a failed sign-in towards the lock-out. An administrator turns them
off for someone who lost their phone (they are emailed), and they set them up again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import logging
import secrets
import struct
from datetime import datetime
from urllib.parse import quote, urlencode

import segno
from sqlalchemy import func, select, update

from ..core import Core
from ..db import CHANGE_LOCK
from ..errors import InvalidInput, NotFound, NotPermitted
from ..models import OutboxMessage, RecoveryCode, User
from ..wording import at_time
from ..workflow.engine import Actor
from .handed_secrets import digest
from .people import (
    TOO_MANY_FROM_HERE,
    count_failed_sign_in,
    count_try_from,
    is_locked_out,
    person_looked_after,
    sign_in_refused_from,
)
from .sealed import Unsealable, seal, unseal

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1  # a phone's clock a step either side of ours still gives a good code
RECOVERY_CODES = 10
SEALED_FOR = "authenticator key"  # the purpose its key is sealed for (services.sealed)
TURNED_OFF = "security_codes_off"  # the outbox kind telling someone an administrator turned their codes off
log = logging.getLogger(__name__)
WRONG_CODE = "The security code is not right, or has been used: enter the newest one your app shows"
CODES_UNCHECKABLE = (
    "Your app's codes cannot be checked since the service's key was changed: enter one of your recovery codes, "
    "or ask your administrator to turn your security codes off so that you can set them up again"
)


def code_at(key: str, step: int) -> str:
    """The code for time step ``step`` (RFC 6238 with HMAC-SHA1, as every authenticator app expects)."""
    mac = hmac.new(base64.b32decode(key), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def step_of(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def _matching_step(key: str, code: str, now: datetime) -> int | None:
    here = step_of(now)
    for step in range(here - DRIFT_STEPS, here + DRIFT_STEPS + 1):
        if hmac.compare_digest(code_at(key, step), code):
            return step
    return None


def _key_of(core: Core, user: User) -> str | None:
    """The person's authenticator key, kept sealed (``services.sealed``): a copy of the database makes no codes.
    None where it no longer opens (the data key was changed without ``PC_DATA_KEY`` keeping the old one): their
    codes cannot be checked, but their recovery codes still sign them in, and codes set up afresh work."""
    try:
        return unseal(core.settings, user.two_factor_secret or "", purpose=SEALED_FOR)
    except Unsealable as error:
        log.error("The security codes of user %s cannot be checked: %s", user.id, error)
        return None


def _normalised(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


# --- setting up ----------------------------------------------------------------------------------------
def start_setting_up(core: Core, user_id: int) -> None:
    """Make the key ``user_id`` will set up in their app (kept until a code from it confirms it; asking
    again while it waits keeps the same one, so a half-finished setup can be finished, unless it no longer
    opens)."""
    with core.db.unit_of_work() as session:
        user = _person(session, user_id)
        if user.two_factor_since is not None:
            raise NotPermitted("Security codes are already on for your account")
        if user.two_factor_secret is None or _key_of(core, user) is None:
            key = base64.b32encode(secrets.token_bytes(20)).decode()
            user.two_factor_secret = seal(core.settings, key, purpose=SEALED_FOR)


def key_being_set_up(core: Core, user_id: int) -> tuple[str, str] | None:
    """(username, key) of a key made for ``user_id`` and not yet confirmed; None if there is none. One in use
    is never shown again."""
    with core.db.reading() as session:
        user = session.get(User, user_id)
        if user is None or user.two_factor_since is not None or user.two_factor_secret is None:
            return None
        key = _key_of(core, user)
        return None if key is None else (user.username, key)  # one that no longer opens is set up afresh


def scan_me(core: Core, username: str, key: str) -> tuple[str, str]:
    """What an authenticator app is given for ``key``: (its otpauth address, that address as an SVG QR code)."""
    service = core.governance.organisation.service.name
    address = f"otpauth://totp/{quote(service)}:{quote(username)}?" + urlencode(
        {"secret": key, "issuer": service, "digits": DIGITS, "period": STEP_SECONDS}
    )
    drawing = io.BytesIO()
    segno.make(address, error="m").save(
        drawing, kind="svg", scale=4, border=2, xmldecl=False, title="QR code for your authenticator app"
    )
    return address, drawing.getvalue().decode()


def turn_on(core: Core, user_id: int, code: str) -> list[str]:
    """Confirm the key being set up with a code from the app: codes are on, and these recovery codes (shown
    once) each sign in once without it."""
    now = core.engine.clock()
    with core.db.unit_of_work() as session:
        user = _person(session, user_id)
        if user.two_factor_since is not None:
            raise NotPermitted("Security codes are already on for your account")
        if user.two_factor_secret is None or (key := _key_of(core, user)) is None:
            raise NotFound("Start setting up security codes again")
        step = _matching_step(key, _normalised(code), now)
        if step is None:
            raise InvalidInput({"code": "The code is not right: enter the 6 digits your app shows for this service"})
        user.two_factor_since, user.two_factor_last_step = now, step
        core.engine.system_event(session, actor_id=user_id, action="turn_on_security_codes", data={"user_id": user_id})
        return _new_recovery_codes(session, user_id, now)


def replace_recovery_codes(core: Core, user_id: int, code: str) -> list[str]:
    """Ten new recovery codes for someone running out, given a security code (or one of the old recovery
    codes); every old one stops working."""
    check_code(core, user_id, code)
    now = core.engine.clock()
    with core.db.unit_of_work() as session:
        core.engine.system_event(session, actor_id=user_id, action="replace_recovery_codes", data={"user_id": user_id})
        return _new_recovery_codes(session, user_id, now)


def _new_recovery_codes(session, user_id: int, now: datetime) -> list[str]:
    """Spend any recovery codes ``user_id`` has, and make ten more: their words, shown this once."""
    session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)).values(used_at=now)
    )
    recovery = [f"{secrets.randbelow(10**10):010d}" for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user_id, code_hash=digest(code)) for code in recovery)
    return [f"{code[:5]}-{code[5:]}" for code in recovery]


# --- signing in -------------------------------------------------------------------------------------------
def uses_codes(core: Core, user_id: int) -> bool:
    with core.db.reading() as session:
        return session.scalar(select(User.two_factor_since).where(User.id == user_id)) is not None


def code_needed(core: Core, user_id: int) -> bool:
    """Whether a sign-in with ``user_id``'s password goes on to a security code (or to setting codes up, where
    the council requires them) before its session begins."""
    return core.settings.two_factor == "required" or uses_codes(core, user_id)


def check_code(core: Core, user_id: int, code: str, address: str = "") -> None:
    """Accept the second step of a sign-in: a code from the app not used before, or an unused recovery code
    (spent now). Otherwise ``InvalidInput``, counted as a failed sign-in (five lock the account a while) and,
    given the client's ``address``, among that address's failures, as a wrong password is (``authenticate``)."""
    now = core.engine.clock()
    given = _normalised(code)
    if not given:  # nothing typed is not a guess
        raise InvalidInput({"code": "Enter the security code"})
    with core.db.unit_of_work() as session:
        if sign_in_refused_from(core, session, address, now):
            raise InvalidInput({"code": TOO_MANY_FROM_HERE})
        user = _person(session, user_id)
        if user.two_factor_since is None or user.two_factor_secret is None:
            raise NotPermitted("Security codes are not on for this account")
        if is_locked_out(user, now):
            raise InvalidInput({"code": "Too many wrong codes: the account is locked for a while, try again later"})
        key = _key_of(core, user)
        looks_like_a_code = given.isdigit() and len(given) == DIGITS
        step = _matching_step(key, given, now) if key is not None and looks_like_a_code else None
        if step is not None and step > (user.two_factor_last_step or -1):
            user.two_factor_last_step, user.failed_sign_ins = step, 0
            return
        unused = (RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        spent = session.execute(
            update(RecoveryCode).where(*unused, RecoveryCode.code_hash == digest(given)).values(used_at=now)
        )
        if spent.rowcount == 1:
            left = session.scalar(select(RecoveryCode.id).where(*unused).limit(1))
            core.engine.system_event(
                session,
                actor_id=user_id,
                action="use_recovery_code",
                data={"user_id": user_id, "none_left": left is None},
            )
            user.failed_sign_ins = 0
            return
        count_failed_sign_in(core, session, user, now)  # committed: the refusal comes after
        count_try_from(core, session, address, now)
    raise InvalidInput({"code": WRONG_CODE if key is not None else CODES_UNCHECKABLE})


def recovery_codes_left(core: Core, user_id: int) -> int:
    with core.db.reading() as session:
        unused = (RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        return session.scalar(select(func.count()).select_from(RecoveryCode).where(*unused))


# --- turning off ----------------------------------------------------------------------------------------
def turn_off_for(core: Core, user_id: int, *, actor: Actor | None) -> None:
    """An administrator turns off security codes for someone they look after who has lost their phone and
    their recovery codes; the person is emailed, and sets them up again at their next sign-in (where the
    council requires them) or from their account. ``actor`` None: the command line, for an administrator with
    nobody else to turn theirs off (whoever runs it has the server)."""
    now = core.engine.clock()
    with core.db.unit_of_work() as session:
        if actor is None:
            person = _person(session, user_id)
        else:
            person = person_looked_after(session, actor, user_id)
            session.refresh(person, with_for_update=CHANGE_LOCK)
        if person.two_factor_since is None and person.two_factor_secret is None:
            return
        person.two_factor_secret = person.two_factor_since = person.two_factor_last_step = None
        session.execute(update(RecoveryCode).where(RecoveryCode.user_id == user_id).values(used_at=now))
        core.engine.system_event(
            session,
            actor_id=actor.id if actor else None,
            action="turn_off_security_codes",
            data={"user_id": user_id},
        )
        who = f"{actor.full_name}, an administrator," if actor else "The service's administrators, on its server,"
        body = (
            f"{who} turned off the security codes of your account {person.username} at {at_time(now)}, so that "
            "you can set them up again on a new phone. If you did not ask for this, tell your council's "
            "administrator at once."
        )
        session.add(OutboxMessage.queued(TURNED_OFF, user_id, "Your security codes were turned off", body, now,
                                         case_id=None))  # fmt: skip


def _person(session, user_id: int) -> User:
    user = session.get(User, user_id, with_for_update=CHANGE_LOCK)
    if user is None or not user.is_active:
        raise NotFound("There is no such account")
    return user
