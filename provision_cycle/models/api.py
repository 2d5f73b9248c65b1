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
