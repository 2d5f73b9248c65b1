"""What happened to people's accounts, read back from the system audit chain for their administrators: who
added them and gave or took their roles, when they were locked out or their account closed, when they set or
changed their password or asked for a link to, when they first signed in with single sign-on, and the API
tokens made and revoked. An administrator sees the accounts they look after (``people.looked_after_by``), as
on the people pages; the chain itself is the record, so nothing here is kept twice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ..governance.organisation import Organisation
from ..models import AuditEvent, User
from ..wording import at_time
from ..workflow.engine import Actor
from .people import DETAIL_NAMES, administered_by, looked_after_by
from .reading import ResultPage, page_of

PAGE_SIZE = 50


def _role(org: Organisation, held: list[str | None]) -> str:
    return org.role_held(*held)


def _token(data: dict[str, Any]) -> str:
    return f'the API token "{data["name"]}"' if data.get("name") else "an API token"  # named since December 2026


# Each account event in words, from its data: what was done (who did it, and to whom, are given apart).
WORDS: dict[str, Callable[[dict[str, Any], Organisation], str]] = {
    "create_user": lambda d, org: "Added the account"
    + (f", as {', '.join(_role(org, held) for held in d['roles'])}" if d.get("roles") else "")
    + ("; a link to set its password emailed" if d.get("invited") else ""),
    "grant_role": lambda d, org: f"Gave the role {_role(org, d['role'])}",
    "revoke_role": lambda d, org: f"Took away the role {_role(org, d['role'])}",
    "deactivate_user": lambda d, org: "Deactivated the account",
    "activate_user": lambda d, org: "Reactivated the account",
    "lock_out": lambda d, org: "Locked out after too many failed sign-ins, until "
    + at_time(datetime.fromisoformat(d["until"])),
    "change_password": lambda d, org: "Changed their password",
    "set_password_by_link": lambda d, org: "Set their password from "
    + ("the invitation link" if d.get("purpose") == "invitation" else "a reset link"),
    "ask_for_password_reset": lambda d, org: "A link to set a new password was asked for on the sign-in page",
    "send_password_link": lambda d, org: "Emailed a link to set the password",
    "change_user_details": lambda d, org: "Changed "
    + "; ".join(f'the {DETAIL_NAMES[field]} from "{old}" to "{new}"' for field, (old, new) in d["changed"].items()),
    "bind_single_sign_on": lambda d, org: f"Signed in with single sign-on for the first time, as {d['email']}",
    "unbind_single_sign_on": lambda d, org: "Unlinked the account from single sign-on: the next one finds it by "
    "email address",
    "turn_on_security_codes": lambda d, org: "Turned on security codes",
    "turn_off_security_codes": lambda d, org: "Turned off the security codes",
    "replace_recovery_codes": lambda d, org: "Made new recovery codes (the old ones stopped working)",
    "use_recovery_code": lambda d, org: "Signed in with a recovery code"
    + (", the last one left" if d.get("none_left") else ""),
    "create_api_token": lambda d, org: "Made " + _token(d),
    "revoke_api_token": lambda d, org: "Revoked " + _token(d),
}


@dataclass(frozen=True)
class AccountEvent:
    at: datetime
    action: str
    person_id: int  # whose account
    person: str
    by: str  # who acted: someone else's name, "Themselves", or "" (the command line, or someone not signed in)
    words: str


def _person_of() -> Any:
    """The account an event is about, in SQL: the person its data names, else the person acting (a lock-out
    is recorded as the locked-out person's own)."""
    return func.coalesce(AuditEvent.data["user_id"].as_integer(), AuditEvent.actor_id)


def account_activity(
    session: Session, org: Organisation, actor: Actor, *, person_id: int | None = None, page: int = 1,
    per_page: int = PAGE_SIZE,
) -> ResultPage:  # fmt: skip
    """The account events of the people ``actor`` administers (or of one of them), the newest first; its rows
    are ``AccountEvent``."""
    person, acting = aliased(User), aliased(User)
    subject = _person_of()
    query = (
        select(AuditEvent, person.id, person.full_name, acting.full_name)
        .join(person, person.id == subject)
        .outerjoin(acting, acting.id == AuditEvent.actor_id)
        .where(
            AuditEvent.stream == "system",
            AuditEvent.action.in_(WORDS),
            _looked_after(person, actor),
        )
    )
    if person_id is not None:
        query = query.where(person.id == person_id)
    found = page_of(session, query, (AuditEvent.seq.desc(),), page, per_page)
    found.rows = [
        AccountEvent(
            event.at,
            event.action,
            person_id_,
            name,
            "" if event.actor_id is None else "Themselves" if event.actor_id == person_id_ else by,
            WORDS[event.action](event.data, org),
        )
        for event, person_id_, name, by in found.rows
    ]
    return found


def _looked_after(person: Any, actor: Actor) -> Any:
    """``people.looked_after_by`` for an alias of ``User``."""
    return person.id.in_(select(User.id).where(looked_after_by(administered_by(actor))))
