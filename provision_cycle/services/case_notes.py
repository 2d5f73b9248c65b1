"""Notes on a case: what someone working on it wants on the record without moving it (a call with the
supplier, why a date slipped, what the Board asked off the record). Each note is an event on the case's chain,
so the history holds it beside the case's changes, hash-chained like them, and nothing else keeps it.

A note changes nothing a form on the case holds, so it leaves the case's version alone: someone part-way
through an edit or an action is not sent back by it. A decision page, which reads the case's events since it
was opened (``ActionRequest.seen_through``), does ask its person to look again, and shows the notes."""

from __future__ import annotations

from ..core import Core
from ..errors import InvalidInput
from .reading import NOTE, get_case_for

MAX_NOTE = 2000


def add_note(core: Core, case_id: int, actor_id: int, text: str) -> int:
    """Record ``text`` as ``actor_id``'s note on the case, for anyone who may see the case; its place on the
    case's chain (the event's ``seq``)."""
    words = (text or "").strip()
    if not words:
        raise InvalidInput({"note": "Enter the note"})
    if len(words) > MAX_NOTE:
        raise InvalidInput({"note": f"Keep a note to {MAX_NOTE:,} characters: this one has {len(words):,}"})
    with core.db.unit_of_work() as session:
        actor = core.engine.actor(session, actor_id)
        get_case_for(session, actor, case_id)
        case = core.engine.lock_case(session, case_id, None)
        core.engine.note_case_event(session, case, actor_id=actor_id, action=NOTE, data={}, comment=words)
        return case.audit_seq
