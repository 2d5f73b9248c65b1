"""Dynamic markets (Procurement Act 2023 s34-39): a council's standing list of suppliers who meet its conditions
for membership, from whose members alone a competitive flexible procedure may take tenders (s34).

A market is opened here with its intention notice (UK13, published before it is established), and then
established (UK14), modified (UK15) and ceased (UK16), each recorded with the notice's date. Suppliers may apply
to join at any time while it runs and are admitted if they meet the conditions and are not excluded (s36), or
refused with the reason; a member who becomes excluded, or no longer meets the conditions, is removed (s37).

Only the category team of the market's council and pillar (or an administrator) changes a market. Every change
is all or nothing, with the market locked, and leaves an event on the audit trail's system chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, selectinload

from ..core import Core
from ..db import CHANGE_LOCK
from ..errors import InvalidAction, InvalidInput, NotFound
from ..governance.calendar import implausible
from ..governance.organisation import JOINT
from ..models import Case, DynamicMarket, MarketMembership, MarketNotice, MarketNoticeKind, OutboxMessage
from ..models.suppliers import supplier_given
from ..workflow.engine import CASE_TEAM_ROLES, Actor
from ..workflow.markets import DYNAMIC_MARKET, application_waiting, ceased, membership_of, notice_of, status_of
from . import reading
from .notices import notice_id_data, notice_id_given

MAX_TITLE, MAX_TEXT, MAX_PARTS = 200, 4000, 30
APPLICATION_RECEIVED = "market_application"  # the outbox kind of the team's email about an application
APPLICATION_WAITING = "market_application_waiting"  # the outbox kind of the scheduler's reminder of one

STATUS_WORDS = {
    MarketNoticeKind.INTENTION: "Intention published",
    MarketNoticeKind.ESTABLISHMENT: "Established",
    MarketNoticeKind.CESSATION: "Ceased",
}
NOTICE_NAMES = {
    MarketNoticeKind.INTENTION: "Dynamic market notice: intention to establish (UK13)",
    MarketNoticeKind.ESTABLISHMENT: "Dynamic market notice: establishment (UK14)",
    MarketNoticeKind.MODIFICATION: "Dynamic market notice: modification (UK15)",
    MarketNoticeKind.CESSATION: "Dynamic market notice: cessation (UK16)",
}


@dataclass(frozen=True)
class MarketGiven:
    """A market as the category team opens it: ``intention_published_on`` is the date of its UK13 notice."""

    title: str
    description: str
    conditions: str
    authority: str
    category: str
    intention_published_on: date | None
    parts: Sequence[str] = ()  # its parts (lots), in order, if it is split into any
    intention_notice_id: str = ""  # Find a Tender's identifier for the intention notice, if given


@dataclass(frozen=True)
class ApplicationGiven:
    supplier_name: str
    supplier_registration: str
    supplier_is_sme: bool
    supplier_is_vcse: bool
    applied_on: date | None
    parts: Sequence[str] = ()  # the market's parts it applies for (all of a market in one piece)
    supplier_ppon: str = ""  # its unique identifier on the Central Digital Platform, where the application gave it


def may_manage(actor: Actor, market: DynamicMarket) -> bool:
    return actor.runs_category(market.authority, market.pillar)


def may_open_markets(actor: Actor) -> bool:
    """In a category team (or an administrator) somewhere: who may open a market, for their own pillar."""
    return actor.runs_category(JOINT, None)


# --- reading ---------------------------------------------------------------------------------------
def markets_for(session: Session, actor: Actor) -> list[DynamicMarket]:
    """The markets the person may see, newest first, with their notices and applications."""
    query = (
        select(DynamicMarket)
        .where(reading.of_my_councils(actor, DynamicMarket.authority))
        .options(selectinload(DynamicMarket.notices), selectinload(DynamicMarket.memberships))
        .order_by(DynamicMarket.id.desc())
    )
    return list(session.scalars(query))


def market_for(session: Session, actor: Actor, market_id: int) -> DynamicMarket:
    """The market with its notices and applications, if the person may see it."""
    loaded = (selectinload(DynamicMarket.notices), selectinload(DynamicMarket.memberships))
    market = session.get(DynamicMarket, market_id, options=loaded)
    if market is None or not reading.works_for(actor, market.authority):
        raise NotFound(f"There is no dynamic market {market_id} that you can see")
    return market


def procurements_by_reference_to(session: Session, market: DynamicMarket) -> list[Case]:
    """The procurements whose tender notice restricted them to the market's members (or one part's), newest
    first."""
    return reading.procurements_naming(session, DYNAMIC_MARKET, market.reference or "", or_within=True)


def applications_waiting_for(session: Session, actor: Actor) -> list[MarketMembership]:
    """The applications to join the markets of the person's category teams that wait for a decision, the
    longest waiting first: decided "within a reasonable period" (s36), so they are in view until they are."""
    in_my_teams = reading.of_my_category_teams(actor, DynamicMarket.authority, DynamicMarket.pillar)
    if in_my_teams is None:
        return []
    query = (
        select(MarketMembership)
        .join(DynamicMarket)
        .where(in_my_teams, MarketMembership.decided_on.is_(None), ~ceased())
        .options(selectinload(MarketMembership.market))
        .order_by(MarketMembership.applied_on, MarketMembership.id)
    )
    return list(session.scalars(query))


def applications_seen(actor: Actor) -> ColumnElement[bool]:
    """The applications to the dynamic markets of the person's councils, as SQL: among the ids of those markets,
    which the index of applications by market then finds (written as a join, SQLite read every application
    to find a name in them)."""
    return MarketMembership.market_id.in_(
        select(DynamicMarket.id).where(reading.of_my_councils(actor, DynamicMarket.authority))
    )


def memberships_of_supplier(session: Session, actor: Actor, keys: tuple[str, ...]) -> list[MarketMembership]:
    """A supplier's applications (under any of its names' ``keys``) to the markets the person may see, newest
    first (for its page)."""
    query = (
        select(MarketMembership)
        .join(DynamicMarket)
        .where(MarketMembership.supplier_key.in_(keys), reading.of_my_councils(actor, DynamicMarket.authority))
        .options(selectinload(MarketMembership.market))
        .order_by(MarketMembership.id.desc())
    )
    return list(session.scalars(query))


# --- changes ---------------------------------------------------------------------------------------
def open_market(core: Core, actor_id: int, given: MarketGiven) -> int:
    """Open a market on the record with its intention notice (UK13); returns its id."""
    organisation = core.governance.organisation
    title, description, conditions = given.title.strip(), given.description.strip(), given.conditions.strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Enter the market's title"
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Keep the title to {MAX_TITLE} characters"
    for name, text, what in (("description", description, "description"), ("conditions", conditions, "conditions")):
        if len(text) > MAX_TEXT:
            errors[name] = f"Keep the {what} to {MAX_TEXT} characters"
    if not organisation.is_authority_choice(given.authority):
        errors["authority"] = "Choose the council the market is for"
    if given.category not in organisation.categories:
        errors["category"] = "Choose the category of what the market is for"
    parts, parts_wrong = _new_parts(given.parts)
    if parts_wrong:
        errors["parts"] = parts_wrong
    intention_notice_id = notice_id_given(given.intention_notice_id, errors, "intention_notice_id")
    errors.update(
        _not_after_today(
            core, given.intention_published_on, "intention_published_on", "the intention notice was published"
        )
    )
    if errors:
        raise InvalidInput(errors)
    pillar = organisation.categories[given.category].pillar
    with core.db.unit_of_work() as session:
        actor = core.engine.actor(session, actor_id)
        core.engine.require_category_team(actor, given.authority, pillar, to="open a dynamic market for it")
        market = DynamicMarket(
            title=title,
            description=description,
            conditions=conditions,
            authority=given.authority,
            pillar=pillar,
            category=given.category,
            parts=parts,
            created_by_id=actor_id,
            created_at=core.engine.clock(),
        )
        session.add(market)
        session.flush()
        market.reference = f"DM-{market.id:06d}"
        assert given.intention_published_on is not None  # checked above
        intention = given.intention_published_on
        _add_notice(core, market, actor_id, MarketNoticeKind.INTENTION, intention, "", notice_id=intention_notice_id)
        data = {"title": title, "authority": given.authority}
        _changed(core, session, market, actor_id, "open_dynamic_market", data | notice_id_data(intention_notice_id))
        return market.id


def establish_market(
    core: Core, market_id: int, actor_id: int, published_on: date | None, *, notice_id: str = ""
) -> None:
    """The market is established: its establishment notice (UK14) was published on ``published_on``."""
    notice_id = _notice_id(notice_id)
    with core.db.unit_of_work() as session:
        market = _locked(core, session, market_id, actor_id, to="establish it")
        if status_of(market) is not MarketNoticeKind.INTENTION:
            raise InvalidAction(f"{market.reference} is {STATUS_WORDS[status_of(market)].lower()} already")
        intention = notice_of(market, MarketNoticeKind.INTENTION)
        _require_date(
            core, published_on, "published_on", "the establishment notice was published", not_before=intention
        )
        _add_notice(core, market, actor_id, MarketNoticeKind.ESTABLISHMENT, published_on, "", notice_id=notice_id)
        data = {"published_on": published_on} | notice_id_data(notice_id)
        _changed(core, session, market, actor_id, "establish_dynamic_market", data)


def modify_market(
    core: Core,
    market_id: int,
    actor_id: int,
    published_on: date | None,
    summary: str,
    parts_added: Sequence[str] = (),
    *,
    notice_id: str = "",
) -> None:
    """A change to the established market (its term, what it is for, new parts after those it has), with the
    date of its modification notice (UK15). Its conditions for membership stay as the intention notice gave
    them, and its parts keep their numbers: a market in parts may gain parts, but is not split or merged."""
    notice_id = _notice_id(notice_id)
    with core.db.unit_of_work() as session:
        market = _locked(core, session, market_id, actor_id, to="modify it")
        if status_of(market) is not MarketNoticeKind.ESTABLISHMENT:
            raise InvalidAction(f"Only an established market is modified: {market.reference} is not")
        summary = _reason(summary, "summary", "Say what the modification changes")
        added, error = _new_parts(parts_added, market.parts)
        if added and not market.parts:
            error = f"{market.reference} is in one piece: a modification adds parts to a market in parts only"
        if error:
            raise InvalidInput({"parts_added": error})
        _require_date(
            core,
            published_on,
            "published_on",
            "the modification notice was published",
            not_before=_latest_notice(market),
        )
        _add_notice(core, market, actor_id, MarketNoticeKind.MODIFICATION, published_on, summary, added, notice_id)
        market.parts = [*market.parts, *added]
        data = {"published_on": published_on, "summary": summary} | ({"parts_added": added} if added else {})
        data |= notice_id_data(notice_id)
        _changed(core, session, market, actor_id, "modify_dynamic_market", data)


def cease_market(
    core: Core, market_id: int, actor_id: int, published_on: date | None, reason: str, *, notice_id: str = ""
) -> None:
    """The market ends (or, never established, is given up), with the date of its cessation notice (UK16):
    no more applications, and no procurement may name it."""
    notice_id = _notice_id(notice_id)
    with core.db.unit_of_work() as session:
        market = _locked(core, session, market_id, actor_id, to="close it")
        _require_running(market)
        reason = _reason(reason, "summary", "Say why the market ends")
        _require_date(
            core, published_on, "published_on", "the cessation notice was published", not_before=_latest_notice(market)
        )
        _add_notice(core, market, actor_id, MarketNoticeKind.CESSATION, published_on, reason, notice_id=notice_id)
        data = {"published_on": published_on, "reason": reason} | notice_id_data(notice_id)
        _changed(core, session, market, actor_id, "cease_dynamic_market", data)


def record_notice(
    core: Core,
    market_id: int,
    actor_id: int,
    kind: MarketNoticeKind,
    published_on: date | None,
    summary: str = "",
    parts_added: Sequence[str] = (),
    notice_id: str = "",
) -> None:
    """A notice after the intention, by its kind: the establishment (its date alone), a modification (what it
    changes, and any parts it adds) or the cessation (why); each with Find a Tender's ``notice_id``, if given."""
    if parts_added and kind is not MarketNoticeKind.MODIFICATION:
        raise InvalidInput({"parts_added": "Only a modification adds parts to a market"})
    if kind is MarketNoticeKind.ESTABLISHMENT:
        establish_market(core, market_id, actor_id, published_on, notice_id=notice_id)
    elif kind is MarketNoticeKind.MODIFICATION:
        modify_market(core, market_id, actor_id, published_on, summary, parts_added, notice_id=notice_id)
    elif kind is MarketNoticeKind.CESSATION:
        cease_market(core, market_id, actor_id, published_on, summary, notice_id=notice_id)
    else:
        raise InvalidInput({"kind": "A market's intention notice is recorded when the market is opened"})


def record_application(core: Core, market_id: int, actor_id: int, given: ApplicationGiven) -> int:
    """A supplier's application to join the market, or a member's for more of its parts, to be decided within
    a reasonable period (s36); returns its id."""
    supplier = supplier_given(given.supplier_name, given.supplier_registration, given.supplier_ppon)
    name, errors = supplier.name, supplier.problems
    errors.update(_not_after_today(core, given.applied_on, "applied_on", "the supplier applied"))
    if errors:
        raise InvalidInput(errors)
    with core.db.unit_of_work() as session:
        market = _locked(core, session, market_id, actor_id, to="record applications to it")
        _require_running(market)
        intention = notice_of(market, MarketNoticeKind.INTENTION)
        _require_date(core, given.applied_on, "applied_on", "the supplier applied", not_before=intention)
        if (waiting := application_waiting(market, name)) is not None:
            applied = f"applied on {waiting.applied_on:%-d %B %Y}: decide that first"
            raise InvalidInput({"supplier_name": f"{waiting.supplier_name} {applied}"})
        parts = _parts_of(market, given.parts, "applies for")
        if (current := membership_of(market, name)) is not None:  # a member, for the parts it is not a member of
            parts = [part for part in parts if part not in current.parts]
            if not parts:
                held = f" of {', '.join(current.parts)}" if current.parts else ""
                raise InvalidInput({"supplier_name": f"{current.supplier_name} is a member{held} already"})
        membership = MarketMembership(
            market_id=market.id,
            **MarketMembership.columns_for(supplier, given.supplier_is_sme, given.supplier_is_vcse),
            applied_on=given.applied_on,
            parts=parts,
            extends_id=current.id if current is not None else None,
            recorded_by_id=actor_id,
            recorded_at=core.engine.clock(),
        )
        session.add(membership)
        session.flush()
        _membership_changed(core, session, market, actor_id, "record_market_application", membership)
        _tell_the_team(core, session, market, membership, actor_id)
        return membership.id


def category_team(core: Core, session: Session, market: DynamicMarket) -> set[int]:
    """Who hears about the market's applications: the officers of its council and pillar, or failing them its
    managers, or its head."""
    councils = core.governance.organisation.authorities_of(market.authority)
    for role in CASE_TEAM_ROLES:
        team = {person for council in councils for person in core.engine.holders(session, role, council, market.pillar)}
        if team:
            return team
    return set()


def _tell_the_team(
    core: Core, session: Session, market: DynamicMarket, membership: MarketMembership, actor_id: int
) -> None:
    """The market's category team hears of an application it did not record itself (one a portal sent)."""
    team = category_team(core, session, market)
    parts = f" (for {', '.join(membership.parts)})" if membership.parts else ""
    to_join = "for more parts of" if membership.extends_id is not None else "to join"
    subject = f"{membership.supplier_name} applied {to_join} {market.reference} {market.title}"
    body = (
        f"{membership.supplier_name} applied on {membership.applied_on:%-d %B %Y} {to_join} the dynamic market "
        f"{market.reference} {market.title}{parts}. Admit it if it meets the conditions for membership and is not "
        "excluded, or refuse it saying why, within a reasonable period (Procurement Act 2023 s36)."
    )
    now = core.engine.clock()
    for person in sorted(team - {actor_id}):
        payload = {"open": f"/markets/{market.id}#applications", "membership_id": membership.id}
        session.add(
            OutboxMessage.queued(APPLICATION_RECEIVED, person, subject, body, now, case_id=None, payload=payload)
        )


def admit(
    core: Core,
    market_id: int,
    membership_id: int,
    actor_id: int,
    decided_on: date | None,
    exclusions_checked_on: date | None,
    parts: Sequence[str] | None = None,
) -> str:
    """Admit an applicant who meets the conditions for membership, once checked against the exclusion
    grounds and the central debarment list (an excluded supplier is never admitted, s36), to ``parts`` of a
    market in parts (some or all of those it applied for; by default all); returns its name. A member's
    application for more parts, admitted, adds them to its membership."""
    with core.db.unit_of_work() as session:
        market, membership = _application(core, session, market_id, membership_id, actor_id)
        admitted_parts = _parts_of(market, membership.parts if parts is None else parts, "is admitted to")
        if not_applied_for := [part for part in admitted_parts if part not in membership.parts]:
            raise InvalidInput({"parts": f"{membership.supplier_name} did not apply for '{not_applied_for[0]}'"})
        errors = _not_after_today(core, exclusions_checked_on, "exclusions_checked_on", "the supplier was checked")
        errors.update(_not_after_today(core, decided_on, "decided_on", "the supplier was admitted"))
        if not errors and exclusions_checked_on < membership.applied_on:
            errors["exclusions_checked_on"] = (
                "Check the supplier once it has applied: the check is before this application"
            )
        if not errors and decided_on < exclusions_checked_on:
            errors["decided_on"] = "The supplier is admitted after it is checked, not before"
        if errors:
            raise InvalidInput(errors)
        membership.admitted, membership.decided_on, membership.decided_by_id = True, decided_on, actor_id
        membership.exclusions_checked_on, membership.parts = exclusions_checked_on, admitted_parts
        if membership.extends_id is not None:
            extended = _membership(session, market, membership.extends_id)
            extended.parts = [part for part in market.parts if part in {*extended.parts, *admitted_parts}]
        _membership_changed(core, session, market, actor_id, "admit_to_dynamic_market", membership)
        return membership.supplier_name


def refuse(core: Core, market_id: int, membership_id: int, actor_id: int, decided_on: date | None, because: str) -> str:
    """Refuse an application: the supplier does not meet the conditions for membership, or is excluded or
    excludable; returns its name."""
    with core.db.unit_of_work() as session:
        market, membership = _application(core, session, market_id, membership_id, actor_id)
        because = _reason(because, "because", "Say why the application is refused")
        _require_date(core, decided_on, "decided_on", "the application was refused", not_before=membership.applied_on)
        membership.admitted, membership.decided_on, membership.decided_by_id = False, decided_on, actor_id
        membership.refused_because = because
        _membership_changed(core, session, market, actor_id, "refuse_market_application", membership, because=because)
        return membership.supplier_name


def remove_member(
    core: Core, market_id: int, membership_id: int, actor_id: int, removed_on: date | None, because: str
) -> str:
    """Take a member off the market (s37: it became excluded or excludable, or no longer meets the
    conditions); returns its name."""
    with core.db.unit_of_work() as session:
        market = _locked(core, session, market_id, actor_id, to="remove its members")
        membership = _membership(session, market, membership_id)
        if not membership.member:
            raise InvalidAction(f"{membership.supplier_name} is not a member of {market.reference}")
        because = _reason(because, "because", "Say why the supplier is removed")
        _require_date(core, removed_on, "removed_on", "the supplier was removed", not_before=membership.decided_on)
        membership.removed_on, membership.removed_because, membership.removed_by_id = removed_on, because, actor_id
        if (further := application_waiting(market, membership.supplier_name)) is not None:  # no parts gained
            further.admitted, further.decided_on, further.decided_by_id = False, removed_on, actor_id
            further.refused_because = f"Removed from the market on {removed_on:%-d %B %Y}: {because}"
        _membership_changed(core, session, market, actor_id, "remove_from_dynamic_market", membership, because=because)
        return membership.supplier_name


# --- helpers ---------------------------------------------------------------------------------------
def _locked(core: Core, session: Session, market_id: int, actor_id: int, *, to: str) -> DynamicMarket:
    market = session.get(DynamicMarket, market_id, with_for_update=CHANGE_LOCK)  # one change to a market at a time
    actor = core.engine.actor(session, actor_id)
    if market is None or not reading.works_for(actor, market.authority):
        raise NotFound(f"There is no dynamic market {market_id} that you can see")
    core.engine.require_category_team(actor, market.authority, market.pillar, to=f"change {market.reference} or {to}")
    return market


def _application(
    core: Core, session: Session, market_id: int, membership_id: int, actor_id: int
) -> tuple[DynamicMarket, MarketMembership]:
    market = _locked(core, session, market_id, actor_id, to="decide applications to it")
    _require_running(market)
    membership = _membership(session, market, membership_id)
    if not membership.waiting:
        outcome = "admitted" if membership.admitted else "refused"
        raise InvalidAction(
            f"{membership.supplier_name}'s application was {outcome} on {membership.decided_on:%-d %B %Y}"
        )
    return market, membership


def _membership(session: Session, market: DynamicMarket, membership_id: int) -> MarketMembership:
    membership = session.get(MarketMembership, membership_id)
    if membership is None or membership.market_id != market.id:
        raise NotFound(f"There is no application {membership_id} to {market.reference}")
    return membership


def _latest_notice(market: DynamicMarket) -> MarketNotice:
    """The notice published last: a later one is not dated before it."""
    return max(market.notices, key=lambda notice: notice.published_on)


def _new_parts(given: Sequence[str], existing: Sequence[str] = ()) -> tuple[list[str], str]:
    """The names of parts a market is opened with or gains (after ``existing``), and what is wrong with them
    (empty if nothing)."""
    parts = [part.strip() for part in given if part.strip()]
    names = [part.casefold() for part in (*existing, *parts)]
    if len(names) > MAX_PARTS:
        return parts, f"Split the market into at most {MAX_PARTS} parts"
    if len(set(names)) < len(names):
        return parts, "Give each part a name of its own"
    if any(len(part) > MAX_TITLE for part in parts):
        return parts, f"Keep each part's name to {MAX_TITLE} characters"
    return parts, ""


def _parts_of(market: DynamicMarket, given: Sequence[str], does: str) -> list[str]:
    """The market's parts a supplier applies for or is admitted to (``does``), in the market's order: one or
    more of a market in parts, none of a market in one piece."""
    chosen = {part.strip() for part in given if part.strip()}
    if not market.parts:
        if chosen:
            raise InvalidInput({"parts": f"{market.reference} is not split into parts"})
        return []
    if unknown := sorted(chosen - set(market.parts)):
        raise InvalidInput({"parts": f"{market.reference} has no part '{unknown[0]}'"})
    if not chosen:
        raise InvalidInput({"parts": f"Choose the parts of {market.reference} the supplier {does}"})
    return [part for part in market.parts if part in chosen]


def _require_running(market: DynamicMarket) -> None:
    if status_of(market) is MarketNoticeKind.CESSATION:
        ceased = notice_of(market, MarketNoticeKind.CESSATION)
        raise InvalidAction(f"{market.reference} ceased on {ceased.published_on:%-d %B %Y}: it can no longer change")


def _reason(text: str, field: str, missing: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput({field: missing})
    if len(text) > MAX_TEXT:
        raise InvalidInput({field: f"Keep it to {MAX_TEXT} characters"})
    return text


def _not_after_today(core: Core, when: date | None, field: str, what: str) -> dict[str, str]:
    if when is None:
        return {field: f"Enter the date {what}"}
    if when > core.engine.today():
        return {field: f"The date {what} cannot be in the future"}
    if problem := implausible(when):
        return {field: problem}
    return {}


def _require_date(
    core: Core, when: date | None, field: str, what: str, *, not_before: MarketNotice | date | None
) -> None:
    """``when`` is given, not in the future, and not before ``not_before`` (an earlier notice, or a day)."""
    errors = _not_after_today(core, when, field, what)
    earliest = not_before.published_on if isinstance(not_before, MarketNotice) else not_before
    if not errors and earliest is not None and when < earliest:
        errors[field] = f"The date {what} cannot be before {earliest:%-d %B %Y}"
    if errors:
        raise InvalidInput(errors)


def _add_notice(
    core: Core,
    market: DynamicMarket,
    actor_id: int,
    kind: MarketNoticeKind,
    published_on: date,
    summary: str,
    parts_added: Sequence[str] = (),
    notice_id: str = "",
) -> None:
    notice = MarketNotice(
        kind=kind,
        published_on=published_on,
        summary=summary,
        parts_added=list(parts_added),
        notice_id=notice_id,
        recorded_by_id=actor_id,
        recorded_at=core.engine.clock(),
    )
    market.notices.append(notice)


def _notice_id(text: str) -> str:
    """Find a Tender's identifier for a notice, as given (it may be left out), checked before anything else."""
    errors: dict[str, str] = {}
    text = notice_id_given(text, errors)
    if errors:
        raise InvalidInput(errors)
    return text


def _changed(core: Core, session: Session, market: DynamicMarket, actor_id: int, action: str, data: dict) -> None:
    market.version += 1
    core.engine.system_event(
        session, actor_id=actor_id, action=action, data={"market_id": market.id, "reference": market.reference, **data}
    )


def _membership_changed(
    core: Core,
    session: Session,
    market: DynamicMarket,
    actor_id: int,
    action: str,
    membership: MarketMembership,
    **more,
) -> None:
    data = {"membership_id": membership.id, "supplier_name": membership.supplier_name, **more}
    _changed(core, session, market, actor_id, action, data)
