"""Personal API tokens (stored hashed) and the responses kept for idempotent retries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class ApiToken(Base):
    """A token acts with exactly its owner's roles. Only a SHA-256 of the secret is kept: it is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, so a person can tell tokens apart
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class IdempotentResponse(Base):
    """The first response to a POST with an ``Idempotency-Key``: a retry with the same body gets it again."""

    __tablename__ = "idempotent_responses"
    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_idempotent_responses_key"),
        Index("ix_idempotent_responses_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))  # method, path and body
    status: Mapped[int]
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    body: Mapped[str] = mapped_column(Text, default="")  # the JSON exactly as first sent
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActionLink(Base):
    """A link in an approval email: single use, expiring, for one person and one step (gate, round, position).

    Only a hash of its secret is kept. It is void once used, once expired, or once the step it names is no
    longer the live step of the case."""

    __tablename__ = "action_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    gate: Mapped[str] = mapped_column(String(40))
    round: Mapped[int]
    position: Mapped[int]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalendarFeed(Base):
    """A personal calendar feed (ICS) behind a secret URL; revocable. Only a hash of the secret is kept."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
