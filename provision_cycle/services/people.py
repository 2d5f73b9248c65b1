"""Creating people and granting roles. Passwords are hashed with argon2id; nobody's password is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import ColumnElement, delete, false, func, or_, select, update
from sqlalchemy.orm import Session

from ..core import Core
from ..db import CHANGE_LOCK
from ..errors import InvalidInput, NotFound, NotPermitted
from ..governance.organisation import ADMINISTRATOR
from ..models import ApprovalStep, OutboxMessage, RoleAssignment, SignInFailure, StepStatus, User
from ..models.base import MAX_ID
from ..models.outbox import naming_step
from ..wording import counted
from ..workflow.engine import SYSTEM_USERNAME, Actor
from .reading import approvals_waiting

_hasher = PasswordHasher()  # argon2id, the library's defaults (m=64 MiB, t=3, p=4)
MIN_PASSWORD = 12


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except Exception:  # argon2 raises several verification errors; all mean "no"
        return False


@dataclass(frozen=True)
class Grant:
    role: str
    authority: str
    pillar: str | None = None


def create_user(
    core: Core,
    *,
    username: str,
    full_name: str,
    email: str,
    password: str | None,
    grants: list[Grant],
    job_title: str = "",
    actor_id: int | None = None,
    invite: bool = False,
) -> int:
    """A new person with their roles. With ``invite`` (an administrator on the web) they are emailed, in the
    same transaction, a link to set their own password (or where to sign in, where everyone signs in with
    the council's identity provider); the CLI and the demo give a password instead."""
    from .passwords import password_problem, queue_invitation  # passwords builds on this module

    errors: dict[str, str] = {}
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{1,79}", username):
        errors["username"] = "Enter a username of lower-case letters, numbers, dots or hyphens, like j.smith"
    if problem := _email_problem(email):
        errors["email"] = problem
    if password is not None and (problem := password_problem(password, username=username, email=email)):
        errors["password"] = problem
    for grant in grants:
        if problem := grant_problem(core, grant):
            errors["roles"] = problem
    if errors:
        raise InvalidInput(errors)
    with core.db.unit_of_work() as session:
        if actor_id is not None:  # an administrator on the web; the CLI and the demo set up councils themselves
            actor = core.engine.actor(session, actor_id)
            for grant in grants:
                _require_administrator(actor, grant.authority)
        if session.scalar(select(User.id).where((User.username == username) | (User.email == email))):
            raise InvalidInput({"username": f"Someone already has the username {username} or email {email}"})
        user = User(
            username=username,
            full_name=full_name,
            email=email,
            job_title=job_title,
            password_hash=hash_password(password) if password else None,
        )
        user.roles = [RoleAssignment(role=g.role, authority=g.authority, pillar=g.pillar) for g in grants]
        session.add(user)
        session.flush()
        if invite:
            queue_invitation(core, session, user)
        roles = [[g.role, g.authority, g.pillar] for g in grants]
        core.engine.system_event(
            session,
            actor_id=actor_id,
            action="create_user",
            data={"user_id": user.id, "username": username, "roles": roles, "invited": invite},
        )
        for grant in grants:  # someone taken on into a post, perhaps one left empty: what waits for them
            _tell_of_approvals_waiting(core, session, user.id, grant)
        return user.id


# The user the scheduler acts as (``workflow.engine.SYSTEM_USERNAME``): no roles, no password, so nobody signs
# in as it; its address is in the reserved .invalid domain, so no email ever goes to it.
SYSTEM_USER = {"full_name": "Scheduler", "email": "scheduler@provision-cycle.invalid", "job_title": "Automated jobs"}


def ensure_system_user(core: Core) -> bool:
    """Create the user the scheduler acts as, where it does not exist yet (``flask upgrade-db`` runs this on
    every release, so a new installation has it before its scheduler starts); True when it was created."""
    with core.db.reading() as session:
        if session.scalar(select(User.id).where(User.username == SYSTEM_USERNAME)) is not None:
            return False
    create_user(core, username=SYSTEM_USERNAME, password=None, grants=[], **SYSTEM_USER)
    return True


def _email_problem(email: str) -> str | None:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email) or len(email) > 200:
        return "Enter an email address in the correct format, like name@example.gov.uk"
    return None


DETAIL_NAMES = {"full_name": "name", "email": "email address", "job_title": "job title"}


def change_details(core: Core, user_id: int, *, full_name: str, email: str, job_title: str, actor: Actor) -> list[str]:
    """An administrator corrects the name, email address or job title of someone they look after (people
    ask them to: the account page says so). What changed, in words; recorded on the system audit chain with
    each value before and after. A changed address changes where their emails go and the address a first
    single sign-on finds them by; one bound to the identity provider stays bound to it."""
    full_name, email, job_title = full_name.strip(), email.strip(), job_title.strip()
    errors = {}
    if not full_name or len(full_name) > 200:
        errors["full_name"] = "Enter their full name, in 200 characters or fewer"
    if problem := _email_problem(email):
        errors["email"] = problem
    if len(job_title) > 200:
        errors["job_title"] = "Enter a job title of 200 characters or fewer"
    if errors:
        raise InvalidInput(errors)
    if not administered_by(actor):
        raise NotPermitted("Only an administrator can change someone's details")
    with core.db.unit_of_work() as session:
        person = person_looked_after(session, actor, user_id)
        session.refresh(person, with_for_update=CHANGE_LOCK)
        taken = select(User.id).where(func.lower(User.email) == email.lower(), User.id != user_id)
        if session.scalar(taken) is not None:
            raise InvalidInput({"email": f"Someone else already has the email address {email}"})
        new = {"full_name": full_name, "email": email, "job_title": job_title}
        changed = {
            field: [getattr(person, field), value] for field, value in new.items() if getattr(person, field) != value
        }
        if not changed:
            return []
        for field, (_, value) in changed.items():
            setattr(person, field, value)
        core.engine.system_event(
            session, actor_id=actor.id, action="change_user_details", data={"user_id": user_id, "changed": changed}
        )
        return [DETAIL_NAMES[field] for field in changed]


def unlink_single_sign_on(core: Core, user_id: int, *, actor: Actor) -> None:
    """Undo the binding of someone's account to the identity provider (it bound to the wrong account at the
    provider, or theirs there was replaced): their next single sign-on finds them by email address again."""
    if not administered_by(actor):
        raise NotPermitted("Only an administrator can unlink someone's council account")
    with core.db.unit_of_work() as session:
        person = person_looked_after(session, actor, user_id)
        session.refresh(person, with_for_update=CHANGE_LOCK)
        if person.single_sign_on_subject is None:
            return
        person.single_sign_on_subject = None
        core.engine.system_event(session, actor_id=actor.id, action="unbind_single_sign_on", data={"user_id": user_id})


def grant_problem(core: Core, grant: Grant) -> str | None:
    """What is wrong with a role grant, or None."""
    org = core.governance.organisation
    role = org.roles.get(grant.role)
    if role is None:
        return f"Unknown role {grant.role!r}; choose from {', '.join(org.roles)}"
    if grant.authority not in org.authorities:
        return f"Unknown authority {grant.authority!r}; choose from {', '.join(org.authorities)}"
    if role.pillar_scoped and grant.pillar not in org.pillars:
        return f"{role.name} is held for a pillar: choose one of {', '.join(p.name for p in org.pillars.values())}"
    if not role.pillar_scoped and grant.pillar:
        return f"{role.name} is held for a whole council, not a pillar: leave the pillar empty"
    return None


def approver_roles_nobody_holds(core: Core, session: Session) -> dict[str, list[str]]:
    """For each council, the roles its approval rules call on that no active account holds (in the pillar,
    for a role held for one), in words: a step that needs one would wait for nobody (the case's page says so,
    and its escalation reaches an administrator)."""
    held = {
        tuple(row)
        for row in session.execute(
            select(RoleAssignment.role, RoleAssignment.authority, RoleAssignment.pillar)
            .join(User, User.id == RoleAssignment.user_id)
            .where(User.is_active.is_(True))
            .distinct()
        )
    }
    org = core.governance.organisation
    return {
        authority: [
            org.role_name(role) + (f", {org.pillars[pillar].name}" if pillar else "")
            for role, pillar in core.governance.roles_called_on(authority)
            if (role, authority, pillar) not in held
        ]
        for authority in org.authorities
    }


@dataclass(frozen=True)
class RoleLeftShort:
    role: str  # where it is held, in words: "Head of Category for OCC, Health, Education and Social Care"
    council: str  # whose approval rules call on it
    others: int  # the other active accounts holding it
    needed: int  # the most of its holders one step of those rules needs at once (a committee's N)
    waiting: int  # steps in that role waiting for a decision now

    def said(self) -> str:
        """In words, for their administrator: "Nobody else holds the role of ..., which ...'s approval rules
        call on; 1 approval waits on it now"."""
        if self.others == 0:
            short = f"Nobody else holds the role of {self.role}, which {self.council}'s approval rules call on"
        else:
            hold = "holds" if self.others == 1 else "hold"
            short = (
                f"Only {counted(self.others, 'other')} {hold} the role of {self.role}, where {self.council}'s "
                f"approval rules need {self.needed} of its holders at once"
            )
        if self.waiting:
            short += f"; {counted(self.waiting, 'approval')} {'waits' if self.waiting == 1 else 'wait'} on it now"
        return short


def roles_left_short_without(core: Core, session: Session, person_id: int) -> list[RoleLeftShort]:
    """The roles ``person_id`` holds that their council's approval rules call on and too few others hold without
    them (nobody else, or fewer than a committee needs): deactivating them, or taking the role away, leaves the
    steps that need it with nobody to decide them (``Engine.nobody_may_decide``), those waiting now and those
    to come. For their administrator to give the role to someone else first."""
    short = []
    org = core.governance.organisation
    for grant in session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == person_id)):
        # A grant has a pillar just where its role is held for one (``grant_problem``), as a step has.
        if grant.authority not in org.authorities:
            continue  # a council no longer configured: no approval rules of its own
        needed = core.governance.approvers_needed(grant.authority).get((grant.role, grant.pillar))
        if needed is None:
            continue  # not a role the council's approval rules call on (or not in that pillar)
        others = len(set(core.engine.holders(session, grant.role, grant.authority, grant.pillar)) - {person_id})
        if others >= needed:
            continue
        waiting = session.scalar(
            select(func.count()).where(
                ApprovalStep.status.in_(StepStatus.live()),
                ApprovalStep.role == grant.role,
                ApprovalStep.authority == grant.authority,
                *([ApprovalStep.pillar == grant.pillar] if grant.pillar is not None else []),
            )
        )
        role = org.role_for(grant.role, grant.authority, grant.pillar)
        short.append(RoleLeftShort(role, org.authority_name(grant.authority), others, needed, waiting))
    return short


def administered_by(actor: Actor) -> list[str]:
    """The councils whose people ``actor`` may give roles to, take them from, or deactivate."""
    return sorted({authority for role, authority, _ in actor.roles if role == ADMINISTRATOR})


def looks_after(councils: list[str], person: User) -> bool:
    """Whether an administrator of ``councils`` looks after ``person``: they hold a role in one of them (a
    shared officer, in either), or no role at all (someone whose last role was taken away, for a council to
    take on again). Another council's staff are that council's administrators' business."""
    theirs = {r.authority for r in person.roles}
    return bool(councils) and (not theirs or bool(theirs & set(councils)))


def looked_after_by(councils: list[str]) -> ColumnElement[bool]:
    """The same rule as ``looks_after``, as SQL."""
    if not councils:
        return false()
    holders = select(RoleAssignment.user_id)
    return or_(User.id.in_(holders.where(RoleAssignment.authority.in_(councils))), User.id.not_in(holders))


@dataclass(frozen=True)
class PeoplePage:
    people: list[User]
    roles: dict[int, list[RoleAssignment]]  # by person; all of a person's roles, either council's
    councils: list[str]  # the councils whose people these are


UNUSED_FOR = timedelta(days=90)  # an access review's question: whose accounts has nobody used for three months?


def people_looked_after(session: Session, actor: Actor, *, unused_since: datetime | None = None) -> PeoplePage:
    """The people ``actor`` administers, by name, with their roles; with ``unused_since``, only the active
    accounts not signed in to since then (nor made since then), for an access review to close or question."""
    councils = administered_by(actor)
    query = select(User).where(looked_after_by(councils))
    if unused_since is not None:
        query = query.where(User.is_active, func.coalesce(User.last_signed_in_at, User.created_at) < unused_since)
    people = list(session.scalars(query.order_by(User.full_name, User.id)))
    roles: dict[int, list[RoleAssignment]] = {}
    grants = select(RoleAssignment).where(RoleAssignment.user_id.in_([p.id for p in people]))
    for grant in session.scalars(grants.order_by(RoleAssignment.authority, RoleAssignment.role)):
        roles.setdefault(grant.user_id, []).append(grant)
    return PeoplePage(people, roles, councils)


def person_looked_after(session: Session, actor: Actor, user_id: int) -> User:
    """One person ``actor`` administers; anyone else is not found (their existence is not ours to show)."""
    if not 0 < user_id <= MAX_ID:
        raise NotFound(f"There is no person {user_id}")
    person = session.scalar(select(User).where(User.id == user_id, looked_after_by(administered_by(actor))))
    if person is None:
        raise NotFound(f"There is no person {user_id} among the people you administer")
    return person


def _require_administrator(actor: Actor, authority: str) -> None:
    if authority not in administered_by(actor):
        mine = " and ".join(administered_by(actor)) or "no council"
        raise NotPermitted(f"Only an administrator of {authority} can change its roles: you administer {mine}")


def grant_role(core: Core, user_id: int, grant: Grant, *, actor_id: int) -> None:
    """Give someone a role in a council (and pillar); recorded on the system audit chain."""
    if problem := grant_problem(core, grant):
        raise InvalidInput({"role": problem})
    if user_id == actor_id:  # segregation of duties: nobody widens their own powers
        raise NotPermitted("You cannot give yourself a role: another administrator must")
    with core.db.unit_of_work() as session:
        _require_administrator(core.engine.actor(session, actor_id), grant.authority)
        user = _user_for_update(session, user_id)
        if any((r.role, r.authority, r.pillar) == (grant.role, grant.authority, grant.pillar) for r in user.roles):
            raise InvalidInput({"role": f"{user.full_name} already holds this role"})
        user.roles.append(RoleAssignment(role=grant.role, authority=grant.authority, pillar=grant.pillar))
        core.engine.system_event(
            session,
            actor_id=actor_id,
            action="grant_role",
            data={"user_id": user_id, "role": [grant.role, grant.authority, grant.pillar]},
        )
        if user.is_active:
            session.flush()
            _tell_of_approvals_waiting(core, session, user_id, grant)


def _tell_of_approvals_waiting(core: Core, session: Session, user_id: int, grant: Grant) -> None:
    """Someone given an approving role hears of the approvals already waiting in it: each was asked for when
    its step opened, before the role was theirs (perhaps while nobody held it). One message: for a single
    approval, the request for it with its action link; for several, their list, the longest waiting first."""
    if not any(role == grant.role for role, _ in core.governance.approvers_needed(grant.authority)):
        return  # not a role the council's approval rules call on: nothing can wait in it
    waiting = [
        w
        for w in approvals_waiting(core, session, core.engine.actor(session, user_id))
        if w.on_behalf_of is None
        and (w.step.role, w.step.authority, w.step.pillar) == (grant.role, grant.authority, grant.pillar)
    ]
    if not waiting:
        return
    now = core.engine.clock()
    role = core.governance.organisation.role_for(grant.role, grant.authority, grant.pillar)
    given = f"You now hold the role of {role}."
    if len(waiting) == 1:  # the request for it, with its action link
        step, case = waiting[0].step, waiting[0].case
        kind, subject, case_id = "approval_needed", f"{case.reference}: your approval is needed", case.id
        body = f"{given} '{case.title}' needs your decision. {step.reason}"
        payload = {"case_id": case.id, "step": naming_step(step.gate, step.round, step.position)}
    else:
        lines = [f"- {w.case.reference} {w.case.title}: {w.step.reason}" for w in waiting[:50]]
        if len(waiting) > 50:
            lines.append(f"... and {len(waiting) - 50} more: see your approvals")
        intro = f"{given} These approvals in that role wait for a decision, the longest waiting first:"
        kind, subject, case_id = "approvals_waiting", f"{len(waiting)} approvals wait for you", None
        body, payload = "\n".join([intro, *lines]), {"open": "/approvals/"}
    session.add(OutboxMessage.queued(kind, user_id, subject, body, now, case_id=case_id, payload=payload))


def revoke_role(core: Core, user_id: int, assignment_id: int, *, actor_id: int) -> None:
    """Take a role away. Administrators cannot remove their own administrator role (no lock-out)."""
    with core.db.unit_of_work() as session:
        user = _user_for_update(session, user_id)
        assignment = next((r for r in user.roles if r.id == assignment_id), None)
        if assignment is None:
            raise NotFound("That role is not held by this person")
        _require_administrator(core.engine.actor(session, actor_id), assignment.authority)
        if user_id == actor_id and assignment.role == "administrator":
            raise NotPermitted("You cannot remove your own administrator role: ask another administrator")
        user.roles.remove(assignment)
        core.engine.system_event(
            session,
            actor_id=actor_id,
            action="revoke_role",
            data={"user_id": user_id, "role": [assignment.role, assignment.authority, assignment.pillar]},
        )


def set_active(core: Core, user_id: int, active: bool, *, actor_id: int) -> None:
    """Deactivate someone who has left (they can no longer sign in or act), or reactivate them."""
    if user_id == actor_id and not active:
        raise NotPermitted("You cannot deactivate your own account")
    with core.db.unit_of_work() as session:
        user = _user_for_update(session, user_id)
        # Someone who works for both councils (the hub's staff) can be let go by either council's administrator.
        if not looks_after(administered_by(core.engine.actor(session, actor_id)), user):
            theirs = sorted({r.authority for r in user.roles})
            raise NotPermitted(
                f"Only an administrator of {' or '.join(theirs) or 'a council'} can change whether "
                f"{user.full_name} can sign in"
            )
        user.is_active = active
        core.engine.system_event(
            session,
            actor_id=actor_id,
            action="activate_user" if active else "deactivate_user",
            data={"user_id": user_id},
        )


def set_email_digest(core: Core, user_id: int, digest: bool) -> None:
    """Someone's own choice: each notification by email as it happens, or one email a day."""
    with core.db.unit_of_work() as session:
        user = _user_for_update(session, user_id)
        user.email_digest = digest
        core.engine.system_event(session, actor_id=user_id, action="set_email_digest", data={"digest": digest})


def _user_for_update(session, user_id: int) -> User:
    user = session.get(User, user_id, with_for_update=CHANGE_LOCK)
    if user is None:
        raise NotFound(f"There is no person {user_id}")
    return user


def parse_grant(text: str) -> Grant:
    """``role:AUTHORITY`` or ``role:AUTHORITY:pillar`` (the CLI's form)."""
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise InvalidInput({"roles": f"Write a role as role:AUTHORITY or role:AUTHORITY:pillar, not {text!r}"})
    return Grant(parts[0], parts[1], parts[2] if len(parts) == 3 else None)


# --- signing in ---------------------------------------------------------------------------------------
MAX_FAILED_SIGN_INS = 5
LOCK_OUT = timedelta(minutes=15)
SIGN_IN_FAILED = "The username or password is not right, or the account is locked for a while after too many tries"
ADDRESS_WINDOW = timedelta(minutes=15)
TOO_MANY_FROM_HERE = (
    "Too many sign-ins have failed from your network in the last 15 minutes, so it is refused for a while: "
    "try again in 15 minutes"
)
_DUMMY_HASH = _hasher.hash("timing equaliser: an unknown user costs the same as a wrong password")


def require_passwords(core: Core) -> None:
    """Refuse any use of a password where the council signs everyone in with its identity provider."""
    if not core.settings.passwords_in_use:
        raise NotPermitted(f"Everyone signs in with {core.settings.sso_name} here: passwords are not used")


def authenticate(core: Core, username: str, password: str, address: str = "") -> str:
    """The session key (``session_key``) for a username and password given from ``address`` (the client's), or
    ``NotPermitted`` with one message for every failure.

    Unknown user, wrong password, locked or deactivated account: the same words and (with the dummy hash)
    about the same time, so the form does not reveal who has an account. Five failures lock the account
    for 15 minutes; the lock and each failure are recorded on the system audit chain. And an address from
    which too many sign-ins failed in the last 15 minutes, whichever accounts they tried, is refused before
    any password is looked at, until they are older (``sign_in_refused_from``).
    """
    require_passwords(core)
    now = core.engine.clock()
    with core.db.unit_of_work() as session:
        if sign_in_refused_from(core, session, address, now):
            raise NotPermitted(TOO_MANY_FROM_HERE)
        user = session.scalar(
            select(User).where(User.username == username.strip().lower()).with_for_update(**CHANGE_LOCK)
        )
        if user is None:
            check_password(_DUMMY_HASH, password)
        else:
            locked = is_locked_out(user, now)
            if not locked and user.is_active and check_password(user.password_hash, password):
                user.failed_sign_ins, user.locked_until = 0, None
                return session_key(user)
            if not locked:
                count_failed_sign_in(core, session, user, now)
        count_try_from(core, session, address, now)  # committed: the refusal comes after
    raise NotPermitted(SIGN_IN_FAILED)


def sign_in_refused_from(core: Core, session: Session, address: str, now: datetime) -> bool:
    """As many password sign-ins have failed from ``address`` in the last 15 minutes (reset links asked for
    among them) as the settings allow (``PC_SIGN_IN_ADDRESS_LIMIT``; 0: never refused)."""
    limit = core.settings.sign_in_address_limit
    return bool(address and limit) and _recent_failures(session, address, now) >= limit


def count_try_from(core: Core, session: Session, address: str, now: datetime) -> None:
    """A sign-in that came to nothing from ``address`` (a wrong password, or a reset link asked for); those
    older than the window are forgotten. The one that reaches the limit is recorded on the system audit chain."""
    limit = core.settings.sign_in_address_limit
    if not address or not limit:
        return
    session.execute(delete(SignInFailure).where(SignInFailure.at <= now - ADDRESS_WINDOW))
    session.add(SignInFailure(address=address, at=now))
    session.flush()
    if _recent_failures(session, address, now) == limit:
        core.engine.system_event(session, actor_id=None, action="refuse_sign_ins_from", data={"address": address})


def _recent_failures(session: Session, address: str, now: datetime) -> int:
    recent = select(func.count()).where(SignInFailure.address == address, SignInFailure.at > now - ADDRESS_WINDOW)
    return session.scalar(recent) or 0


def is_locked_out(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def count_failed_sign_in(core: Core, session: Session, user: User, now: datetime) -> None:
    """A wrong password given for ``user``: the fifth in a row locks the account for a while (recorded on the
    system audit chain). The caller commits it, whatever it then refuses."""
    user.failed_sign_ins += 1
    if user.failed_sign_ins >= MAX_FAILED_SIGN_INS:
        user.locked_until, user.failed_sign_ins = now + LOCK_OUT, 0
        core.engine.system_event(
            session, actor_id=user.id, action="lock_out", data={"until": user.locked_until.isoformat()}
        )


# --- sessions ---------------------------------------------------------------------------------------------
def session_key(user: User) -> str:
    """What a sign-in session holds to name its person: their id and when their password was last set, so
    that setting it again ends every session begun before."""
    if user.password_changed_at is None:
        return str(user.id)
    return f"{user.id}-{round(user.password_changed_at.timestamp() * 1_000_000)}"


def session_begins(core: Core, key: str) -> tuple[Actor, str] | None:
    """A new session for the person ``key`` names, however they proved who they are (a password, with its
    security code; single sign-on): them, as ``session_person`` has them, marked as signed in now (what an
    access review reads); None if the key is no longer theirs."""
    person = session_person(core, key)
    if person is not None:
        with core.db.unit_of_work() as session:
            session.execute(update(User).where(User.id == person[0].id).values(last_signed_in_at=core.engine.clock()))
    return person


def session_person(core: Core, key: str) -> tuple[Actor, str] | None:
    """The person a session key names, with their roles, if it is still theirs (their account active, their
    password not set again since); else None."""
    user_id = key.split("-", 1)[0]
    if not user_id.isdigit():
        return None
    with core.db.reading() as session:
        user = session.get(User, int(user_id))
        if user is None or session_key(user) != key:
            return None
        try:
            return core.engine.actor(session, user.id), key
        except NotPermitted:  # deactivated
            return None
