"""Statutory notices published outside a workflow step: recording that one went out on Find a Tender.

A procurement's tender, award and contract details notices are steps of its workflow. The notices owed when
something has been decided or has happened are not: a contract change notice (UK10) once a modification that
needs one is approved (the modification itself waits for it), a contract termination notice (UK11) when a
public contract ends, a procurement termination notice (UK12) when a procurement for a public contract that
published a tender or transparency notice is abandoned, and the copies of a contract worth more than 5m and of
its modifications that the Act has published within 90 days (s53(3), s77). Each is a deadline on the case; recording the
notice meets it, closes its task and goes on the case's audit chain, where the open data (``ocds``) finds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import Core
from ..errors import InvalidAction, InvalidInput, NotPermitted
from ..governance import statutory
from ..governance.calendar import implausible
from ..governance.statutory import NOTICE_DUTIES
from ..models import Case, CaseDeadline, Contract, Task, deadline_task_kind
from ..models.tasks import DEADLINE_TASK
from ..workflow.context import NEW_SUPPLIER, case_deadline, owe_deadline, owe_next_breach_notice
from ..workflow.engine import CASE_TEAM_ROLES, Actor

ACTION = "record_notice"  # the audit event's action
MAX_NOTICE_ID = 40


def notice_id_given(text: str | None, errors: dict[str, str], field: str = "notice_id") -> str:
    """Find a Tender's identifier for a notice as the team gave it (it may leave it out), trimmed; one too
    long for any identifier is an error in ``errors`` under ``field``."""
    text = (text or "").strip()
    if len(text) > MAX_NOTICE_ID:
        errors[field] = f"Keep the notice identifier to {MAX_NOTICE_ID} characters"
    return text


def notice_id_data(notice_id: str) -> dict[str, str]:
    """A notice's Find a Tender identifier in its event's data, where the team gave one."""
    return {"notice_id": notice_id} if notice_id else {}


@dataclass(frozen=True)
class RecordableNotice:
    kind: str  # the deadline it meets
    title: str
    published_as: str = ""  # how it goes out, where it is a document published with a notice

    @property
    def notice_type(self) -> str:
        return NOTICE_DUTIES[self.kind]

    @property
    def how_to_publish(self) -> str:
        return self.published_as or f"Publish the {self.title.lower()} ({self.notice_type}) on Find a Tender"


REDACTED = "redacting only what the Act allows (s94)"


RECORDABLE = {
    notice.kind: notice
    for notice in (
        RecordableNotice("contract_change_notice", "Contract change notice"),
        RecordableNotice("termination_notice", "Contract termination notice"),
        RecordableNotice("breach_performance_notice", "Contract performance notice on the supplier's breach"),
        RecordableNotice("procurement_termination_notice", "Procurement termination notice"),
        RecordableNotice(
            "contract_copy",
            "Copy of the contract",
            f"Publish a copy of the contract on Find a Tender with its contract details notice (UK7), {REDACTED}",
        ),
        RecordableNotice(
            "modification_copy",
            "Copy of the modified contract",
            "Publish a copy of the modification, or of the contract as modified, on Find a Tender with its contract "
            f"change notice (UK10), {REDACTED}",
        ),
    )
}


def notice_of_task(kind: str) -> RecordableNotice | None:
    """The notice a task of ``kind`` asks for, if recording one is how the task is done."""
    return RECORDABLE.get(kind.removeprefix(DEADLINE_TASK)) if kind.startswith(DEADLINE_TASK) else None


def may_record_notice(actor: Actor, case: Case) -> bool:
    """The category team for the case's council and pillar; for a contract, its contract managers too (the
    scheduler gives them its notice tasks)."""
    roles = (*CASE_TEAM_ROLES, "contract_manager") if case.stage == "contract" else CASE_TEAM_ROLES
    return any(actor.holds(role, case.authority, case.pillar) for role in roles)


def notices_owed(session: Session, actor: Actor, case: Case) -> list[tuple[RecordableNotice, CaseDeadline]]:
    """The notices ``actor`` could record on the case now: its unmet deadlines that a notice meets."""
    if not may_record_notice(actor, case):
        return []
    deadlines = session.scalars(
        select(CaseDeadline).where(
            CaseDeadline.case_id == case.id, CaseDeadline.met_at.is_(None), CaseDeadline.kind.in_(list(RECORDABLE))
        )
    )
    return [(RECORDABLE[d.kind], d) for d in deadlines]


def record_notice(
    core: Core, case_id: int, actor_id: int, *, kind: str, published_on: date | None, notice_id: str = ""
) -> date | None:
    """Record that the notice meeting the case's ``kind`` deadline was published on ``published_on``, with
    Find a Tender's identifier for it where known. All or nothing: the deadline met, its open task closed and
    the event on the case's chain, or nothing at all. Returns the day the next notice of the kind is due,
    where another waits (a contract's second breach)."""
    notice = RECORDABLE.get(kind)
    if notice is None:
        raise InvalidInput({"kind": f"There is no notice '{kind}' to record here"})
    today = core.engine.today()
    errors: dict[str, str] = {}
    notice_id = notice_id_given(notice_id, errors)
    if published_on is None:
        errors["published_on"] = "Enter the date the notice was published"
    elif published_on > today:
        errors["published_on"] = "The date the notice was published cannot be in the future"
    elif problem := implausible(published_on):
        errors["published_on"] = problem
    if errors:
        raise InvalidInput(errors)
    assert published_on is not None
    with core.db.unit_of_work() as session:
        case = core.engine.lock_case(session, case_id, None)
        actor = core.engine.actor(session, actor_id)
        if not may_record_notice(actor, case):
            pillar = core.governance.organisation.pillars[case.pillar].name
            who = "or its contract managers " if case.stage == "contract" else ""
            raise NotPermitted(f"Only the {pillar} category team for {case.authority} {who}can record its notices")
        deadline = case_deadline(session, case.id, kind)
        if deadline is None:
            raise InvalidAction(f"{case.reference} owes no {notice.title.lower()}")
        if deadline.met_at is not None:
            raise InvalidAction(f"The {notice.title.lower()} for {case.reference} is already recorded")
        now = core.engine.clock()
        deadline.met_at = now
        # Its own day's reminder: another breach's, still owed, keeps its own (a case's breaches queue behind one).
        its_task = (Task.case_id == case.id, Task.kind == deadline_task_kind(kind), Task.due_on == deadline.due_on)
        closed = session.execute(Task.closing(*its_task, outcome="met", at=now, by=actor_id)).rowcount
        if kind == "contract_change_notice" and (case.details or {}).get("voluntary_standstill"):
            # The variation waits a voluntary standstill from the day its notice went out (PA23 s76).
            owe_deadline(session, case.id, statutory.change_standstill(published_on), again=True)
        said = _contract_as_noticed(session, case, kind)  # before the next breach becomes the case's
        next_owed = None
        if kind == "breach_performance_notice":
            details = dict(case.details or {})
            if next_owed := owe_next_breach_notice(session, case.id, details):
                case.details = details
        case.version += 1
        core.engine.note_case_event(
            session,
            case,
            actor_id=actor_id,
            action=ACTION,
            data={
                "deadline": kind,
                "notice_type": notice.notice_type,
                "published_on": published_on.isoformat(),
                "due_on": deadline.due_on.isoformat(),
                "late": published_on > deadline.due_on,
                "notice_id": notice_id,
                "tasks_closed": closed,
                "contract": said,
                **({"next_owed": next_owed} if next_owed else {}),
            },
            now=now,
        )
    return date.fromisoformat(next_owed) if next_owed else None


def _contract_as_noticed(session: Session, case: Case, kind: str) -> dict[str, Any] | None:
    """What a contract-stage notice says of the contract, kept with it (a later variation must not rewrite an
    earlier notice): its value and end, and for a change, what changes and why. A change notice goes out
    before the change is made (PA23 s75), so it gives the contract as the approved variation will leave it."""
    contract = session.scalar(select(Contract).where(Contract.case_id == case.id))
    if contract is None:
        return None
    details = case.details or {}
    supplier = contract.supplier()
    if kind == "contract_change_notice":
        supplier = details.get(NEW_SUPPLIER) or supplier  # a novation: the supplier the change makes it
        return {
            "value": details["new_value"],
            "end_date": details["new_end_date"],
            "change": details.get("variation_description", ""),
            "change_basis": details.get("change_notice_basis", ""),
            "supplier": supplier,
        }
    said = {
        "value": f"{contract.value:.2f}",
        "end_date": (details.get("terminated_on") or contract.end_date.isoformat()),
        "change": "",
        "change_basis": "",
        "supplier": supplier,
    }
    if kind == "breach_performance_notice":
        said["breach"] = details.get("breach_description", "")
    return said
