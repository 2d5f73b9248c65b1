"""A competitive flexible procedure's first stage (PA23 s20): the requests to participate it takes, and whom it may
invite to tender once they are assessed. Read by the invitation's check (the door), the service that corrects
the list afterwards, and the pages that show the requests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ParticipationRequest
from ..models.suppliers import supplier_key
from ..wording import listed, one_to_a_line
from .markets import market_named_by, not_admitted


def requests_to_participate(session: Session, case_id: int) -> list[ParticipationRequest]:
    """The requests recorded on the case, in the order they arrived."""
    query = select(ParticipationRequest).where(ParticipationRequest.case_id == case_id)
    return list(session.scalars(query.order_by(ParticipationRequest.received_on, ParticipationRequest.id)))


def to_invite(requests: list[ParticipationRequest]) -> list[str]:
    """The suppliers whose requests were not set aside, as their requests named them."""
    return [request.supplier_name for request in requests if not request.set_aside_because]


def invited_names(case_details: dict) -> list[str]:
    """The suppliers a competitive flexible procedure invited to tender after its participation period, as
    the invitation named them; none where nobody was invited by name (one stage, or no invitation yet)."""
    return one_to_a_line(case_details.get("invited_suppliers", ""))


def invited_to_tender(case_details: dict) -> set[str] | None:
    """The keys of the suppliers invited to tender (``invited_names``), however each name is spelt; None where
    nobody was invited by name."""
    return {supplier_key(name) for name in invited_names(case_details)} or None


def not_to_invite(session: Session, case_id: int, details: dict[str, Any], names: list[str]) -> str | None:
    """What is wrong with inviting the suppliers ``names`` to tender, in a sentence; None if nothing is.

    Where the team records the requests to participate, it invites only suppliers that made one, were not set
    aside (s20(4): the procedure excludes the rest, by its conditions of participation or its number) and were
    checked against the exclusion grounds and the debarment list (s27: an excluded supplier does not progress).
    Where the procedure is restricted to a dynamic market's members, it invites members alone (s34(1)), once
    the applications to join of those that requested to participate, and were not set aside, are decided
    (s34(4))."""
    requests = requests_to_participate(session, case_id)
    problems = []
    if requests:
        made = {request.supplier_key: request for request in requests}
        unasked = [name for name in names if supplier_key(name) not in made]
        if unasked:
            problems.append(f"No request to participate is recorded from {listed(unasked, 'or')}")
        named = [made[key] for key in dict.fromkeys(supplier_key(name) for name in names) if key in made]
        problems += [
            f"{request.supplier_name}'s request to participate was set aside: {request.set_aside_because}"
            for request in named
            if request.set_aside_because
        ]
        if unchecked := [r.supplier_name for r in named if not r.set_aside_because and not r.exclusions_checked_on]:
            problems.append(
                f"check {listed(unchecked)} against the exclusion grounds and the debarment list first, and record "
                "the date on the request (Procurement Act 2023 s27, s57)"
            )
    if (market := market_named_by(session, details)) is not None:
        # A request set aside for another reason (a condition of participation) excludes its supplier on that
        # ground, not for want of membership: its application to join need not be decided first.
        requested = [request.supplier_name for request in requests if not request.set_aside_because]
        if barred := not_admitted(market, details, names, requested):
            problems.append(barred)
    said = "; ".join(problems)
    return said[:1].upper() + said[1:] or None
