"""A report to the council on a decision not taken as a key decision that its overview and scrutiny committee
thinks should have been one (the Local Authorities (Executive Arrangements) (Meetings and Access to Information)
(England) Regulations 2012, reg 18): the committee may require the executive responsible for it to report it to
the council within a reasonable period the committee specifies.

Here that is an officer's decision with a decision record (an award, or spending, over the council's figure: not
taken by the Executive as a key decision). The council's monitoring officer, who hears the committee's
resolution, records it against the record: which committee, when it resolved so, why, and the day the report is
due. That becomes a task on the decision's case, due on that day, for the monitoring officer to see the report
through, as they see through the report of decisions taken under special urgency (reg 19); the category team
whose case it is can stand in. The report gives the decision and its reasons and who took it (the record has
them) and, where the executive holds it was not a key decision, why (reg 18(2)): the task is done by saying when
it went to the council and what the executive holds. The case's history keeps each step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import Core
from ..errors import InvalidAction, InvalidInput, NotFound, NotPermitted
from ..governance.organisation import MONITORING_OFFICER
from ..models import AuditEvent, DecisionRecord, Task, TaskStatus
from ..models.tasks import KEY_DECISION_REPORT
from ..workflow.engine import Actor
from .tasks import NewTask, raise_task

REQUIRED = "require_key_decision_report"  # the event on the decision's case
MAX_COMMITTEE, MAX_REASON = 200, 2000


@dataclass(frozen=True)
class ReportRequired:
    committee: str  # the overview and scrutiny committee that resolved so
    resolved_on: date | None
    report_by: date | None  # the end of the period the committee specified
    why: str  # why the committee holds it should have been a key decision


def may_require_report(core: Core, actor: Actor, record: DecisionRecord) -> bool:
    """The monitoring officer of the record's council (either, for a joint case's), for an officer's decision."""
    councils = core.governance.organisation.authorities_of(record.authority)
    return not record.by_executive and any(actor.holds(MONITORING_OFFICER, council) for council in councils)


def decision_record(session: Session, case_id: int, record_id: int) -> DecisionRecord:
    """The decision record ``record_id`` of case ``case_id``; NotFound for any other."""
    record = session.get(DecisionRecord, record_id)
    if record is None or record.case_id != case_id:
        raise NotFound(f"There is no decision record {record_id} on case {case_id}")
    return record


def require_report(core: Core, case_id: int, record_id: int, actor_id: int, required: ReportRequired) -> int:
    """Record that ``required.committee`` requires a report to the council on the decision ``record_id`` of
    case ``case_id``; returns the task raised for it, on the case, for the one recording it."""
    committee, why = required.committee.strip(), required.why.strip()
    with core.db.unit_of_work() as session:
        record = decision_record(session, case_id, record_id)
        case = core.engine.lock_case(session, record.case_id, None)  # one requirement at a time on its decisions
        actor = core.engine.actor(session, actor_id)
        if record.by_executive:
            raise InvalidAction("The Executive took it as a key decision: regulation 18 is for one that was not")
        if not may_require_report(core, actor, record):
            raise NotPermitted("Only the council's monitoring officer records a report its scrutiny committee requires")
        _check(core, required, committee, why, record)
        if due := _report_due(session, record):
            raise InvalidAction(f"A report on this decision is required already, due by {due:%-d %B %Y}")
        report_by = required.report_by
        assert report_by is not None and required.resolved_on is not None  # checked
        new = NewTask(
            KEY_DECISION_REPORT,
            f"Report to the council: {record.subject} (regulation 18)",
            report_by,
            actor_id,
            case_id=record.case_id,
            milestone_on=report_by,
            detail=(
                f"{committee} resolved on {required.resolved_on:%-d %B %Y} that the decision should have been taken "
                f"as a key decision: {why}"
            ),
        )
        task_id = raise_task(core, session, new, actor_id=actor_id)
        if task_id is None:
            raise InvalidInput({"report_by": "A report on a decision of this case is due on that day already"})
        data = {
            "decision_record_id": record.id,
            "task_id": task_id,
            "committee": committee,
            "resolved_on": required.resolved_on.isoformat(),
            "report_by": report_by.isoformat(),
        }
        core.engine.note_case_event(session, case, actor_id=actor_id, action=REQUIRED, data=data, comment=why)
        return task_id


def _check(core: Core, required: ReportRequired, committee: str, why: str, record: DecisionRecord) -> None:
    today, taken = core.engine.today(), core.engine.today(record.decided_at)
    problems = {}
    if not committee:
        problems["committee"] = "Name the overview and scrutiny committee"
    elif len(committee) > MAX_COMMITTEE:
        problems["committee"] = f"Keep the committee's name to {MAX_COMMITTEE} characters"
    if required.resolved_on is None:
        problems["resolved_on"] = "Enter the day the committee resolved to require the report, like 12 11 2026"
    elif required.resolved_on > today:
        problems["resolved_on"] = "The day the committee resolved it cannot be in the future"
    elif required.resolved_on < taken:
        problems["resolved_on"] = f"The committee resolved it after the decision, taken on {taken:%-d %B %Y}"
    if required.report_by is None:
        problems["report_by"] = "Enter the day the committee requires the report by, like 15 1 2027"
    elif required.resolved_on is not None and required.report_by <= required.resolved_on:
        problems["report_by"] = "The report is due after the day the committee required it"
    if not why:
        problems["why"] = "Say why the committee holds it should have been a key decision"
    elif len(why) > MAX_REASON:
        problems["why"] = f"Keep it to {MAX_REASON} characters"
    if problems:
        raise InvalidInput(problems)


def reports_required(session: Session, case_id: int) -> dict[int, Task]:
    """The reports its scrutiny committee required on the case's decisions, by decision record: the latest one's
    task for each (open while the report is due, done once made). Its requirement's event on the case's chain
    names the task raised for it."""
    events = session.scalars(
        select(AuditEvent.data)
        .where(AuditEvent.case_id == case_id, AuditEvent.action == REQUIRED)
        .order_by(AuditEvent.seq)
    )
    task_of = {data["decision_record_id"]: data["task_id"] for data in events}  # a later one in place of another
    tasks = {task.id: task for task in session.scalars(select(Task).where(Task.id.in_(task_of.values())))}
    return {record: tasks[task] for record, task in task_of.items() if task in tasks}


def _report_due(session: Session, record: DecisionRecord) -> date | None:
    """The day a report on ``record`` is still due by, if one is required and not yet made."""
    task = reports_required(session, record.case_id).get(record.id)
    return task.due_on if task is not None and task.status == TaskStatus.OPEN else None
