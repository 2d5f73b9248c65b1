"""Where a dynamic market stands (Procurement Act 2023 s34-39): what its notices have made it, who its members
are, and whether a procurement may be run by reference to it. Read by the procurement's workflow (which markets
a tender notice may name, whose tenders count) and by the pages and the service that change markets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session, selectinload

from ..governance.organisation import JOINT
from ..models import DynamicMarket, MarketMembership, MarketNotice, MarketNoticeKind
from ..models.suppliers import supplier_key
from ..wording import listed

# A procurement's detail: the dynamic market whose members alone may take part (s34), as its tender notice
# named it: the market's reference, or for one of its parts the reference, a slash and the part's number
# ("DM-000001/2").
DYNAMIC_MARKET = "dynamic_market"


def status_of(market: DynamicMarket) -> MarketNoticeKind:
    """Where the market's notices have taken it: intention published, established, or ceased (a modification
    leaves it established)."""
    kinds = {notice.kind for notice in market.notices}
    for kind in (MarketNoticeKind.CESSATION, MarketNoticeKind.ESTABLISHMENT):
        if kind in kinds:
            return kind
    return MarketNoticeKind.INTENTION


def notice_of(market: DynamicMarket, kind: MarketNoticeKind) -> MarketNotice | None:
    return next((notice for notice in market.notices if notice.kind == kind), None)


def members_of(market: DynamicMarket) -> list[MarketMembership]:
    return [membership for membership in market.memberships if membership.member]


def admitted_to(membership: MarketMembership, part: str | None) -> bool:
    """A member of the market, and of ``part`` where one is named."""
    return membership.member and (part is None or part in membership.parts)


def membership_of(market: DynamicMarket, name: str) -> MarketMembership | None:
    """The supplier's membership (admitted and not removed), however its name is spelt; None if it is not a
    member."""
    key = supplier_key(name)
    return next((m for m in market.memberships if m.supplier_key == key and m.member), None)


def application_waiting(market: DynamicMarket, name: str) -> MarketMembership | None:
    """The supplier's application waiting for a decision (to join, or a member's for more parts), however its
    name is spelt; None if it has none."""
    key = supplier_key(name)
    return next((m for m in market.memberships if m.supplier_key == key and m.waiting), None)


def ceased() -> ColumnElement[bool]:
    """A market that has ceased (``status_of`` is UK16), as SQL."""
    return exists().where(MarketNotice.market_id == DynamicMarket.id, MarketNotice.kind == MarketNoticeKind.CESSATION)


def markets_usable_for(session: Session, case: Any) -> list[DynamicMarket]:
    """The markets ``case`` may be run by reference to: established, not ceased, and for the case's council (a
    joint market serves either council; a joint procurement needs a joint market)."""
    query = (
        select(DynamicMarket)
        .where(DynamicMarket.authority.in_([case.authority, JOINT]))
        .options(selectinload(DynamicMarket.notices))
        .order_by(DynamicMarket.reference)
    )
    return [market for market in session.scalars(query) if status_of(market) is MarketNoticeKind.ESTABLISHMENT]


def restrictions(market: DynamicMarket) -> list[tuple[str, str]]:
    """How a tender notice may restrict a procurement to the market: to all its members, or to one part's; as
    (the detail's value, the words for it)."""
    whole = (market.reference or "", f"{market.reference}: {market.title}" + (" (any part)" if market.parts else ""))
    return [whole] + [
        (f"{market.reference}/{number}", f"{market.reference}: {market.title}, part {number}: {part}")
        for number, part in enumerate(market.parts, start=1)
    ]


def market_named_by(session: Session, details: dict[str, Any]) -> DynamicMarket | None:
    """The dynamic market a procurement's tender notice restricted it to, if any."""
    reference = str(details.get(DYNAMIC_MARKET) or "").partition("/")[0]
    if not reference:
        return None
    return session.scalar(select(DynamicMarket).where(DynamicMarket.reference == reference))


def part_named_by(market: DynamicMarket, details: dict[str, Any]) -> str | None:
    """The part of ``market`` the tender notice restricted the procurement to; None for the whole market."""
    number = str(details.get(DYNAMIC_MARKET) or "").partition("/")[2]
    return market.parts[int(number) - 1] if number.isdigit() and 0 < int(number) <= len(market.parts) else None


def admitted(market: DynamicMarket, part: str | None, name: str) -> bool:
    """Whether the supplier is a member of the market (and of ``part``, where one is named), however its name
    is spelt."""
    member = membership_of(market, name)
    return member is not None and admitted_to(member, part)


def applying(market: DynamicMarket, part: str | None, name: str) -> MarketMembership | None:
    """The supplier's application waiting for a decision that would admit it to the market (or to ``part``)."""
    application = application_waiting(market, name)
    return application if application is not None and (part is None or part in application.parts) else None


def restricted_to(market: DynamicMarket, part: str | None) -> str:
    """The market (or its part) a procurement is restricted to, in words: "part South of the dynamic market
    DM-000001"."""
    return f"part {part} of the dynamic market {market.reference}" if part else f"the dynamic market {market.reference}"


def not_admitted(
    market: DynamicMarket, details: dict[str, Any], names: Sequence[str], requested: Sequence[str] = ()
) -> str | None:
    """What bars the suppliers ``names`` from going on in a procurement restricted to ``market`` (or the part
    its tender notice named): a supplier not a member is excluded from it (PA23 s34(1)), and the application to
    join (or a member's for that part) of any of them, or of any other supplier that ``requested`` to
    participate, is decided first (s34(4)); None if nothing does."""
    part = part_named_by(market, details)
    outside, waiting, seen = [], [], set()
    for name in [*names, *requested]:
        if supplier_key(name) in seen or admitted(market, part, name):
            continue
        seen.add(supplier_key(name))
        if (application := applying(market, part, name)) is not None:
            waiting.append(f"{application.supplier_name} (applied {application.applied_on:%-d %B %Y})")
        elif name in names:
            outside.append(name)
    problems = []
    if outside:
        who = f"{listed(outside)} {'is not a member' if len(outside) == 1 else 'are not members'}"
        problems.append(
            f"{who} of {restricted_to(market, part)}, to whose members the procedure is restricted (Procurement "
            "Act 2023 s34(1))"
        )
    if waiting:
        problems.append(f"decide the application{'s' if len(waiting) > 1 else ''} of {listed(waiting)} first (s34(4))")
    return "; ".join(problems) or None  # the caller's sentence: it may begin "decide"
