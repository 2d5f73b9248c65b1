"""Personal API tokens: created by their owner (web) or an administrator (CLI), shown once, stored as a
SHA-256 hash, revocable by their owner or an administrator who looks after them. A token acts with exactly
its owner's roles, read afresh on every request."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..core import Core
from ..db import CHANGE_LOCK
from ..errors import InvalidInput, NotFound, NotPermitted
from ..models import ApiToken, OutboxMessage, User
from ..wording import at_time
from .handed_secrets import digest, new_secret
from .people import administered_by, looks_after

PREFIX = "pc_"
TOUCH_EVERY = timedelta(minutes=5)  # last-used is kept roughly, not written on every call
REVOKED_FOR_THEM = "api_token_revoked"  # the outbox kind telling an owner an administrator revoked their token


def create_token(core: Core, user_id: int, name: str, *, actor_id: int) -> tuple[int, str]:
    """A new token for ``user_id``: (its id, the secret to show once)."""
    name = name.strip()
    if not name:
        raise InvalidInput({"name": "Give the token a name that says what uses it, like 'Finance system'"})
    if len(name) > 100:
        raise InvalidInput({"name": "The name must be 100 characters or fewer"})
    secret = new_secret(PREFIX)
    with core.db.unit_of_work() as session:
        if session.get(User, user_id) is None:
            raise NotFound(f"There is no person {user_id}")
        token = ApiToken(user_id=user_id, name=name, prefix=secret[:10], secret_hash=digest(secret))
        session.add(token)
        session.flush()
        core.engine.system_event(
            session,
            actor_id=actor_id,
            action="create_api_token",
            data={"token_id": token.id, "user_id": user_id, "name": name},
        )
        return token.id, secret


def revoke_token(core: Core, owner_id: int, token_id: int, *, actor_id: int) -> None:
    """Revoke ``owner_id``'s token: by its owner, or by an administrator who looks after them (a token they
    say they never made, or one a system no longer needs while they are away), who is then emailed. Anyone
    else's is not found. (A leaver's all stop when their account is deactivated.)"""
    with core.db.unit_of_work() as session:
        token = session.get(ApiToken, token_id, with_for_update=CHANGE_LOCK)
        by_owner = owner_id == actor_id
        actor = None if by_owner else core.engine.actor(session, actor_id)
        owner = session.get(User, owner_id)
        if token is None or token.user_id != owner_id or not (by_owner or looks_after(administered_by(actor), owner)):
            raise NotFound("There is no such token among yours or those of the people you administer")
        if token.revoked_at is not None:
            return
        now = core.engine.clock()
        token.revoked_at = now
        core.engine.system_event(
            session,
            actor_id=actor_id,
            action="revoke_api_token",
            data={"token_id": token_id, "user_id": owner.id, "name": token.name},
        )
        if not by_owner:
            body = (
                f'Your API token "{token.name}" ({token.prefix}...) was revoked by {actor.full_name}, an '
                f"administrator, at {at_time(now)}: whatever used it can no longer reach the service as you. If "
                "it is still needed, make a new one from Your account, or ask them why."
            )
            subject = f"Your API token {token.name} was revoked"
            session.add(OutboxMessage.queued(REVOKED_FOR_THEM, owner.id, subject, body, now, case_id=None))


def tokens_of(core: Core, user_id: int) -> list[ApiToken]:
    with core.db.reading() as session:
        return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())))


def user_for_token(core: Core, secret: str) -> int:
    """The owner of a live token, or ``NotPermitted``."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        raise NotPermitted("The API token is not valid")
    now = core.engine.clock()
    with core.db.reading() as session:
        token = session.scalar(select(ApiToken).where(ApiToken.secret_hash == digest(secret)))
        if token is None or token.revoked_at is not None:
            raise NotPermitted("The API token is not valid, or has been revoked")
        stale = token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY
        token_id, user_id = token.id, token.user_id
    if stale:
        with core.db.unit_of_work() as session:
            session.get(ApiToken, token_id).last_used_at = now
    return user_id
