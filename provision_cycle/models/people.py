"""People, the roles they hold in an authority (and pillar), and their out-of-office delegations."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, ForeignKey, Index, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .base import Base, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    job_title: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_sign_ins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    # When the password was last set (by its owner, or from a link): a session begun before it has ended.
    password_changed_at: Mapped[datetime | None]
    # Who the council's identity provider says this is (its issuer and subject), bound at their first single
    # sign-on: a later change of email address at the provider, or its reuse, does not move the account.
    single_sign_on_subject: Mapped[str | None] = mapped_column(String(400), unique=True)
    # When they last began a session (with a password or single sign-on): an access review finds the dormant.
    last_signed_in_at: Mapped[datetime | None]
    # Security codes from an authenticator app, asked for after the password (RFC 6238). The key is set up
    # first (``two_factor_secret``, sealed: services.sealed) and is in use once a code from it has been given
    # (``..._since``); the time step of the last code accepted refuses the same code twice.
    two_factor_secret: Mapped[str | None] = mapped_column(String(200))
    two_factor_since: Mapped[datetime | None]
    two_factor_last_step: Mapped[int | None]
    # True: notifications arrive as one email a day; False: each as it happens.
    email_digest: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class PasswordLink(Base):
    """A link to set a password, emailed to its person: an administrator's invitation to a new account, or a
    reset they asked for. Only a hash of its secret is kept. It works once, until it expires, and not after
    the password has been set since it was made (by this link or another)."""

    __tablename__ = "password_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # invitation | reset
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class RoleAssignment(Base):
    """A role held in one authority; pillar-scoped roles (category staff) also name their pillar."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "authority", "pillar", name="uq_role_assignments_scope"),
        Index("ix_role_assignments_lookup", "role", "authority", "pillar"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(40))
    authority: Mapped[str] = mapped_column(String(10))
    pillar: Mapped[str | None] = mapped_column(String(40))

    user: Mapped[User] = relationship(back_populates="roles")


class Delegation(Base):
    """Out-of-office cover: from ``starts_on`` to ``ends_on`` inclusive, ``delegate`` may decide for ``delegator``."""

    __tablename__ = "delegations"
    __table_args__ = (Index("ix_delegations_delegate", "delegate_id", "starts_on", "ends_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delegator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    delegate_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    delegator: Mapped[User] = relationship(foreign_keys=[delegator_id])
    delegate: Mapped[User] = relationship(foreign_keys=[delegate_id])

    def covers(self, day: date) -> bool:
        return self.revoked_at is None and self.starts_on <= day <= self.ends_on


class RecoveryCode(Base):
    """One of the codes given once when security codes are turned on, each good for one sign-in without the
    authenticator app (a lost or new phone). Only a hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]


class SignInFailure(Base):
    """A password sign-in refused, or a reset link asked for, by the address it came from: enough of them from
    one address in a while and that address is refused for a while (``services.people.authenticate``),
    whichever accounts it tried, so that one password tried against many accounts (password spraying), or
    reset emails sent to them all, does not get far. Kept only for that while."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_address_at", "address", "at"), Index("ix_sign_in_failures_at", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(45))  # the client's IPv4 or IPv6 address
    at: Mapped[datetime]


# --- choosing people ----------------------------------------------------------------------------------
class Colleague(NamedTuple):
    """Someone to choose from a list of people: enough to tell two people with the same name apart."""

    id: int
    full_name: str
    job_title: str
    email: str


def in_every(choices: Iterable[list[Colleague]]) -> list[Colleague]:
    """The people in every one of ``choices`` (each a list of whom something could go to), by name: who
    could take all of several things handed over at once."""
    common: dict[int, Colleague] | None = None
    for these in choices:
        ids = {person.id for person in these}
        common = {p.id: p for p in these} if common is None else {i: p for i, p in common.items() if i in ids}
    return sorted((common or {}).values(), key=lambda person: (person.full_name, person.id))


def user_names(session: Session, ids: Collection[int]) -> dict[int, str]:
    """Each of ``ids``' full name, by id, in one query."""
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.full_name).where(User.id.in_(set(ids)))).all())


def colleagues(session: Session, *conditions: ColumnElement[bool]) -> list[Colleague]:
    """Active people holding a role that meets ``conditions`` (on ``User`` and ``RoleAssignment``), by name:
    the choices for a delegate, a team member or a contract manager."""
    rows = session.execute(
        select(User.id, User.full_name, User.job_title, User.email)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(User.is_active, *conditions)
        .distinct()
        .order_by(User.full_name, User.id)
    )
    return [Colleague(*row) for row in rows]
