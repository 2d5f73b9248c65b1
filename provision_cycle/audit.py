"""Hash-chaining and verifying the audit trail.

Each case's events form one chain (and events with no case one ``system`` chain): an event's hash covers
its own fields and the previous event's hash, so altering, removing or reordering any event breaks every
hash after it. The database also refuses UPDATE and DELETE on ``audit_events`` (see the migration).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import AuditEvent, Case

GENESIS = "0" * 64


def canonical_time(at: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC: the form every stored hash was computed over (isoformat is the
    same string as the original ``strftime("%Y-%m-%dT%H:%M:%S.%fZ")`` for years 1000-9999, in a fifth of the time)."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def event_hash(
    *,
    stream: str,
    seq: int,
    case_id: int | None,
    at: datetime,
    actor_id: int | None,
    on_behalf_of_id: int | None,
    action: str,
    from_state: str | None,
    to_state: str | None,
    comment: str,
    data: dict[str, Any],
    prev_hash: str,
) -> str:
    body = json.dumps(
        [
            stream,
            seq,
            case_id,
            canonical_time(at),
            actor_id,
            on_behalf_of_id,
            action,
            from_state,
            to_state,
            comment,
            data,
            prev_hash,
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def sealed(**fields: Any) -> dict[str, Any]:
    """An event's fields with its hash added, ready to insert."""
    return {**fields, "hash": event_hash(**fields)}


def hash_of(event: AuditEvent) -> str:
    return event_hash(
        stream=event.stream,
        seq=event.seq,
        case_id=event.case_id,
        at=event.at,
        actor_id=event.actor_id,
        on_behalf_of_id=event.on_behalf_of_id,
        action=event.action,
        from_state=event.from_state,
        to_state=event.to_state,
        comment=event.comment,
        data=event.data,
        prev_hash=event.prev_hash,
    )


@dataclass
class ChainReport:
    streams: int
    events: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chains(session: Session, *, batch: int = 5000) -> ChainReport:
    """Walk every stream in order, recomputing hashes; report the first break in each stream."""
    problems: list[str] = []
    expected_prev: dict[str, str] = {}
    expected_seq: dict[str, int] = {}
    broken: set[str] = set()
    count = 0
    last_id = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            break
        for event in rows:
            count += 1
            last_id = event.id
            stream = event.stream
            if stream in broken:
                continue
            seq = expected_seq.get(stream, 0) + 1
            prev = expected_prev.get(stream, GENESIS)
            where = f"{stream} event {event.seq} (id {event.id})"
            if event.seq != seq:
                problems.append(f"{where}: expected position {seq}; an event is missing or out of order")
                broken.add(stream)
            elif event.prev_hash != prev:
                problems.append(f"{where}: does not follow the previous event's hash")
                broken.add(stream)
            elif hash_of(event) != event.hash:
                problems.append(f"{where}: its contents do not match its hash (altered after writing)")
                broken.add(stream)
            expected_seq[stream] = event.seq
            expected_prev[stream] = event.hash
        session.expunge_all()
    # The case row carries its chain's head: a truncated tail shows up as a mismatch there.
    for case_id, audit_seq, audit_head in session.execute(select(Case.id, Case.audit_seq, Case.audit_head)):
        stream = f"case:{case_id}"
        if stream in broken:
            continue
        held = expected_seq.get(stream, 0)
        if held != audit_seq:
            problems.append(f"{stream}: the case records {audit_seq} events but the trail holds {held}")
        elif audit_seq and expected_prev[stream] != audit_head:
            problems.append(f"{stream}: the case's chain head does not match its last event")
    return ChainReport(streams=len(expected_seq), events=count, problems=problems)


def case_chain_intact(case: Case, events: list[AuditEvent]) -> bool:
    """Whether one case's events (in order) form an unbroken chain ending at the head the case records."""
    prev, seq = GENESIS, 0
    for event in events:
        seq += 1
        if event.seq != seq or event.prev_hash != prev or hash_of(event) != event.hash:
            return False
        prev = event.hash
    return seq == case.audit_seq and (seq == 0 or prev == case.audit_head)
