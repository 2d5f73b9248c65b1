"""People set their own passwords: signed in (knowing the old one), or from a link emailed to them, which an
administrator sends to a new account (an invitation) or the person asks for when they have forgotten it (a
reset). No administrator ever knows anyone's password.

A link is made when its email is sent (the delivery job calls ``issue_password_link``; the outbox holds no
secret, and only its hash is kept). It works once, for its lifetime, for an active account, and not after the
password has been set since it was made: setting it, by any link or on the account page, spends them all.
Setting a password also ends the person's other sessions (``session_key``) and lifts a lock-out.

Asking for a reset says the same whether or not the account exists, and emails a person at most once every
few minutes (while the link sent last is unspent), so the form can be used neither to learn who has an
account nor to flood anyone's inbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from ..core import Core
from ..db import CHANGE_LOCK
from ..errors import InvalidInput, NotFound, NotPermitted
from ..models import OutboxMessage, PasswordLink, User
from ..wording import at_time, duration
from ..workflow.engine import Actor
from .handed_secrets import digest, new_secret
from .people import (
    LOCK_OUT,
    MIN_PASSWORD,
    TOO_MANY_FROM_HERE,
    administered_by,
    check_password,
    count_failed_sign_in,
    count_try_from,
    hash_password,
    is_locked_out,
    person_looked_after,
    require_passwords,
    session_key,
    sign_in_refused_from,
)

PASSWORD_LINK = "password_link"  # the outbox kind of an email carrying a link
PASSWORD_SET = "password_set"  # of one telling the person their password was set, in case it was not them
# Sent at once, even to someone who chose a daily digest: a link would expire in it, a warning come too late.
WELCOME = "welcome"  # of a new account's email where everyone signs in with the council's identity provider
AT_ONCE = (PASSWORD_LINK, PASSWORD_SET, WELCOME)
MAX_PASSWORD = 200  # a passphrase fits; argon2 is not handed megabytes from a form
RESEND_AFTER = timedelta(minutes=5)  # a reset asked for again sooner sends nothing more


@dataclass(frozen=True)
class Purpose:
    lifetime: timedelta
    subject: str
    body: str

    @property
    def lasts(self) -> str:
        """The lifetime in words, for the email and the pages."""
        return duration(int(self.lifetime.total_seconds()) // 60)


PURPOSES = {
    "invitation": Purpose(
        timedelta(days=7),
        "Your account: set your password",
        "An administrator has given you an account. Your username is {username}. Set your password with the "
        "link below, then sign in.",
    ),
    "reset": Purpose(
        timedelta(hours=2),
        "Set a new password",
        "Someone, probably you, asked for a link to set a new password for the account {username}. If it was "
        "not you, ignore this email: your password has not changed.",
    ),
}


# zxcvbn's "safely unguessable" (score 3): at least 10^8 guesses by its estimate, which knows the passwords
# most used, dictionary words and names, keyboard runs, repeats, dates and l33t spellings of them all.
GUESSES_NEEDED = 3
JUDGED = 72  # characters of a password zxcvbn judges: its limit (it slows on long input; they tell enough)


def password_problem(password: str, *, username: str = "", email: str = "") -> str | None:
    """What is wrong with a new password, or None. Length is what makes a password strong (NCSC): a long one
    is asked for, with no rules about kinds of character, and what guessing tries first is refused: the
    person's own username or address, and anything zxcvbn estimates easy to guess (the passwords most used,
    as the NCSC's deny list advises, and words, runs and repeats)."""
    if len(password) < MIN_PASSWORD:
        return f"Enter a password of at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"Enter a password of {MAX_PASSWORD} characters or fewer"
    lowered = password.strip().lower()
    if lowered and lowered in {username.lower(), email.lower(), email.lower().split("@")[0]}:
        return "Enter a password that is not your username or email address"
    estimate = zxcvbn(password[:JUDGED], user_inputs=[part for part in (username, *email.split("@")) if part])
    if estimate["score"] >= GUESSES_NEEDED:
        return None
    if "commonly used" in estimate["feedback"]["warning"]:
        return "Enter a password that is harder to guess: this one is, or is like, one of the passwords most used"
    return "Enter a password that is harder to guess: a few words you will remember make a strong one"


def _new_password_errors(user: User, password: str, confirmation: str) -> dict[str, str]:
    if problem := password_problem(password, username=user.username, email=user.email):
        return {"password": problem}
    if confirmation != password:
        return {"confirmation": "Enter the same password twice"}
    return {}


def _set(core: Core, session: Session, user: User, password: str, *, action: str, data: dict) -> None:
    """Set ``user``'s password, spending their links and ending their sessions, with its audit event; and
    tell them by email, so that someone whose account was taken over hears of it."""
    now = core.engine.clock()
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    user.failed_sign_ins, user.locked_until = 0, None  # the person has shown who they are
    core.engine.system_event(session, actor_id=user.id, action=action, data={"user_id": user.id, **data})
    body = (
        f"The password of your account {user.username} was set at {at_time(now)}, and every other session of yours "
        "was signed out. If that was you, there is nothing more to do. If it was not, ask for a new link from "
        "the sign-in page at once (Forgotten your password?), revoke any API token of yours you did not make (Your "
        "account), and tell your council's administrator."
    )
    session.add(OutboxMessage.queued(PASSWORD_SET, user.id, "Your password was set", body, now, case_id=None))


# --- signed in ------------------------------------------------------------------------------------------
def change_password(core: Core, user_id: int, current: str, password: str, confirmation: str) -> str:
    """The signed-in person sets a new password, giving their current one; their new session key (every
    other session of theirs has ended). Errors name the field. A wrong current password counts as a failed
    sign-in, so that someone at an unattended session cannot go on guessing it."""
    require_passwords(core)
    with core.db.unit_of_work() as session:
        now = core.engine.clock()
        user = _own_account(session, user_id, now, "current")
        if check_password(user.password_hash, current):
            if errors := _new_password_errors(user, password, confirmation):
                raise InvalidInput(errors)
            _set(core, session, user, password, action="change_password", data={})
            return session_key(user)
        count_failed_sign_in(core, session, user, now)  # committed: the refusal comes after
    raise InvalidInput({"current": "Your current password is not right"})


def confirm_password(core: Core, user_id: int, password: str, address: str = "") -> None:
    """The signed-in person's password, asked again before what a session left open should not do alone
    (make an API token, which acts as them without signing in). ``InvalidInput`` unless it is right; a wrong
    one counts as a failed sign-in, of the account and (given the client's ``address``) of the address."""
    require_passwords(core)
    if not password:
        raise InvalidInput({"password": "Enter your password"})
    with core.db.unit_of_work() as session:
        now = core.engine.clock()
        if sign_in_refused_from(core, session, address, now):
            raise InvalidInput({"password": TOO_MANY_FROM_HERE})
        user = _own_account(session, user_id, now, "password")
        if check_password(user.password_hash, password):
            user.failed_sign_ins = 0
            return
        count_failed_sign_in(core, session, user, now)  # committed: the refusal comes after
        count_try_from(core, session, address, now)
    raise InvalidInput({"password": "Your password is not right"})


def _own_account(session: Session, user_id: int, now, field: str) -> User:
    """The signed-in person's account, locked, for a check of their password (given in ``field``): refused
    while too many wrong ones lock it."""
    user = session.get(User, user_id, with_for_update=CHANGE_LOCK)
    if user is None or not user.is_active:
        raise NotFound("There is no such account")
    if is_locked_out(user, now):
        raise InvalidInput({field: f"Too many wrong passwords: try again in {LOCK_OUT.seconds // 60} minutes"})
    return user


# --- links ----------------------------------------------------------------------------------------------
def ask_for_reset(core: Core, username_or_email: str, address: str = "") -> None:
    """Email a link to set a new password to the account with this username or email address, if there is
    an active one and it has not been sent one in the last few minutes. Says nothing either way. Asked from
    ``address``, it counts towards the address's limit of sign-ins that came to nothing, and is refused past it
    (so that nobody has every account emailed from one place)."""
    require_passwords(core)
    given = username_or_email.strip().lower()
    if not given:
        raise InvalidInput({"account": "Enter your username or email address"})
    now = core.engine.clock()
    with core.db.unit_of_work() as session:
        if sign_in_refused_from(core, session, address, now):
            raise NotPermitted(TOO_MANY_FROM_HERE)
        count_try_from(core, session, address, now)
        user = session.scalar(
            select(User)
            .where((User.username == given) | (func.lower(User.email) == given), User.is_active)
            .with_for_update(**CHANGE_LOCK)  # two requests at once send one email
        )
        if user is None:
            return
        since = now - RESEND_AFTER  # but a link sent before the password was last set is spent: not counted
        if user.password_changed_at is not None:
            since = max(since, user.password_changed_at)
        recent = session.scalar(
            select(OutboxMessage.id).where(
                OutboxMessage.recipient_id == user.id,
                OutboxMessage.kind == PASSWORD_LINK,
                OutboxMessage.created_at > since,
            )
        )
        if recent is None:
            queue_password_link(core, session, user, "reset")
            core.engine.system_event(session, actor_id=None, action="ask_for_password_reset", data={"user_id": user.id})


def send_invitation(core: Core, user_id: int, *, actor: Actor) -> str:
    """An administrator emails someone in their councils a link to set their password (a new account's
    first, or a fresh one for someone who cannot sign in); the address it goes to."""
    if not administered_by(actor):
        raise NotPermitted("Only an administrator can send a link to set a password")
    require_passwords(core)
    with core.db.unit_of_work() as session:
        user = person_looked_after(session, actor, user_id)
        if not user.is_active:
            raise NotPermitted("The account is deactivated: reactivate it before sending a link")
        if user.id == actor.id:
            raise NotPermitted("Change your own password on your account page")
        queue_password_link(core, session, user, "invitation")
        core.engine.system_event(
            session, actor_id=actor.id, action="send_password_link", data={"user_id": user.id, "purpose": "invitation"}
        )
        return user.email


def queue_invitation(core: Core, session: Session, user: User) -> None:
    """A new account's first email, in the caller's transaction: a link to set its password or, where
    everyone signs in with the council's identity provider, where to sign in (the delivery job adds it)."""
    if core.settings.passwords_in_use:
        queue_password_link(core, session, user, "invitation")
        return
    body = (
        f"An administrator has given you an account. Your username is {user.username}. You sign in with "
        f"{core.settings.sso_name}: there is no password to set."
    )
    session.add(OutboxMessage.queued(WELCOME, user.id, "Your account", body, core.engine.clock(), case_id=None))


def queue_password_link(core: Core, session: Session, user: User, purpose: str) -> None:
    """The email that will carry ``user`` a link for ``purpose``, in the caller's transaction (its secret is
    made when it is sent)."""
    words = PURPOSES[purpose]
    body = words.body.format(username=user.username)
    now = core.engine.clock()
    session.add(
        OutboxMessage.queued(
            PASSWORD_LINK, user.id, words.subject, body, now, case_id=None, payload={"purpose": purpose}
        )
    )


def issue_password_link(core: Core, user_id: int, purpose: str) -> tuple[str, str]:
    """A new link for ``user_id`` as its email is sent: (its secret, how long it lasts in words)."""
    words = PURPOSES[purpose]
    secret = new_secret()
    with core.db.unit_of_work() as session:
        now = core.engine.clock()
        session.add(
            PasswordLink(
                secret_hash=digest(secret),
                user_id=user_id,
                purpose=purpose,
                created_at=now,
                expires_at=now + words.lifetime,
            )
        )
    return secret, words.lasts


@dataclass(frozen=True)
class LinkHolder:
    username: str
    full_name: str
    purpose: str


def _live_link(core: Core, session: Session, secret: str, *, lock: bool = False) -> tuple[PasswordLink, User]:
    require_passwords(core)  # a link emailed before the council turned passwords off is dead with them
    statement = select(PasswordLink, User).join(User, User.id == PasswordLink.user_id)
    statement = statement.where(PasswordLink.secret_hash == digest(secret))
    found = session.execute(statement.with_for_update(**CHANGE_LOCK) if lock else statement).first()
    if found is None:
        raise NotFound("This link is not recognised. Check it was copied in full, or ask for a new one.")
    link, user = found
    if link.used_at is not None or (user.password_changed_at and user.password_changed_at >= link.created_at):
        raise NotPermitted("This link has already been used. Sign in, or ask for a new link.")
    if link.expires_at <= core.engine.clock():
        raise NotPermitted("This link has expired. Ask for a new one.")
    if not user.is_active:
        raise NotPermitted("This account is deactivated. Ask your administrator.")
    return link, user


def open_password_link(core: Core, secret: str) -> LinkHolder:
    """Whose password a link sets, or why it cannot."""
    with core.db.reading() as session:
        link, user = _live_link(core, session, secret)
        return LinkHolder(user.username, user.full_name, link.purpose)


def set_password_by_link(core: Core, secret: str, password: str, confirmation: str) -> str:
    """Set the link's person's password, spending the link; their username. All or nothing."""
    with core.db.unit_of_work() as session:
        link, user = _live_link(core, session, secret, lock=True)
        if errors := _new_password_errors(user, password, confirmation):
            raise InvalidInput(errors)
        link.used_at = core.engine.clock()
        _set(core, session, user, password, action="set_password_by_link", data={"purpose": link.purpose})
        return user.username
