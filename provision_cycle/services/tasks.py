"""Tasks: raising them (the scheduler, the demo), completing them with an outcome, snoozing them with a reason.

Each change is one unit of work that locks the case the task belongs to and appends an event to that
case's audit chain, so a contract's history shows its renewal tasks next to its state changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..core import Core
from ..db import CHANGE_LOCK
from ..errors import InvalidAction, InvalidInput, NotFound, NotPermitted
from ..governance.calendar import add_months
from ..governance.organisation import ADMINISTRATOR, HEAD_OF_CATEGORY, JOINT
from ..models import Case, Contract, OutboxMessage, RoleAssignment, Task, TaskStatus, User
from ..models.outbox import REVIEW_ESCALATED, TASK_COVERED, TASKS_RAISED
from ..models.people import Colleague, colleagues, in_every, user_names
from ..models.tasks import (
    CONTRACT_ENDED,
    CONTRACT_REVIEW,
    COUNCIL_DUTIES,
    END_DATE_MOVED,
    FRAMEWORK_REOPENING,
    INVITE_TENDERS,
    KEY_DECISION_REPORT,
    KPIS_NOT_OWED,
    NOTICE_DATE,
    NOTICE_DATE_MOVED,
    PAST_ITS_END,
    RENEWAL_DECISION,
    RENEWAL_PROPOSED,
    REVIEWED_ON_THE_CASE,
    START_DATE_MOVED,
    SUPERSEDED,
    council_subject,
)
from ..scheduling.config import schedule_for
from ..wording import counted, humanise, listed
from ..workflow.context import MANAGER_ROLE, contract_in_law
from ..workflow.engine import CASE_TEAM_ROLES, Actor
from .notices import notice_of_task
from .performance import task_needs_assessment
from .reading import open_tasks_of, works_for

# What a person can say they did about each kind of task: (value, label).
ESCALATED = "escalated"  # a contract review's outcome that tells the Head of Category (_escalate_review)
# A council's notice published before the system was used (its first run asks for the latest period's).
PUBLISHED_BEFORE = "published_before"
IMPROVEMENT_NEEDED = "improvement_needed"  # a contract review's outcome that brings it back (_follow_up_review)
OUTCOMES: dict[str, tuple[tuple[str, str], ...]] = {
    RENEWAL_DECISION: (
        ("extend", "Extend the contract (take up an extension option)"),
        ("recommission", "Re-commission: start a new procurement"),
        ("let_expire", "Let the contract end at its end date"),
    ),
    NOTICE_DATE: (
        ("notice_given", "Notice given to the supplier"),
        ("no_notice_needed", "No notice needed"),
    ),
    CONTRACT_REVIEW: (
        ("satisfactory", "Satisfactory"),
        (IMPROVEMENT_NEEDED, "Improvement needed"),
        (ESCALATED, "Escalated to the Head of Category"),
    ),
    # Approved on the notice's own page, with its figures (payments_compliance.approve_notice).
    "payments_compliance_notice": (
        ("not_owed", "Not owed: nothing was paid, or fell due, under a public contract in the period"),
        (PUBLISHED_BEFORE, "Published already, before this system recorded it (say when, in the note)"),
    ),
    # Done by recording the re-opening on the framework's page (frameworks.record_reopening), or:
    FRAMEWORK_REOPENING: (
        ("not_reopening", "Not to be re-opened: the scheme ends (correct its end date in the register)"),
    ),
    # Done by inviting tenders on the case's page (its effect close_invitation_task), or:
    INVITE_TENDERS: (("not_inviting", "Not inviting tenders: the procurement is to be terminated"),),
    # Owed for every period, whether or not a decision was taken under special urgency in it (a nil report).
    "special_urgency_report": (("reported", "Reported to the council"),),
    # A report its scrutiny committee required on a decision not taken as a key decision (key_decision_reports).
    KEY_DECISION_REPORT: (("reported_to_the_council", "Reported to the council"),),
}
# The outcomes that say nothing without a note (each code belongs to one kind of task): what the note is for.
NOTE_NEEDED = {
    ESCALATED: "Say what the Head of Category needs to know about the contract",
    IMPROVEMENT_NEEDED: "Say what needs to improve, for the follow-up review",
    PUBLISHED_BEFORE: "Say when it was published, and where, for the record",
    "reported_to_the_council": "Say when it went to the council and, if the executive holds it was not a key "
    "decision, why (regulation 18(2)(c))",
}
REOPENED = ("reopened", "Re-opened: the next framework of its scheme awarded")  # the re-opening's own outcome
GENERIC_OUTCOMES = (("done", "Done"), ("not_needed", "Not needed"))
MAX_SNOOZE_DAYS = 90
MAX_REASON = 2000


# The outcomes a task is closed with by what was done elsewhere (on its case, its framework's page, by the
# scheduler), as its page and lists say them.
DONE_ELSEWHERE = dict(
    [
        REOPENED,
        *RENEWAL_PROPOSED.values(),
        CONTRACT_ENDED,
        END_DATE_MOVED,
        NOTICE_DATE_MOVED,
        START_DATE_MOVED,
        PAST_ITS_END,
        KPIS_NOT_OWED,
        REVIEWED_ON_THE_CASE,
        SUPERSEDED,
        ("tenders_invited", "Tenders invited on its case"),
        ("met", "Recorded on its case"),
        ("case_closed", "Its case ended"),
    ]
)


def outcomes_for(kind: str) -> tuple[tuple[str, str], ...]:
    return OUTCOMES.get(kind, GENERIC_OUTCOMES)


def outcome_label(kind: str, outcome: str) -> str:
    """What a done task's ``outcome`` says, whether a person chose it or doing something else recorded it (its
    code in words where it has no label of its own); empty for an open task."""
    return dict(outcomes_for(kind)).get(outcome) or DONE_ELSEWHERE.get(outcome) or humanise(outcome)


def outcomes_open(kind: str, contract: Contract | None) -> tuple[tuple[str, str], ...]:
    """The outcomes that can be recorded now: "extend" only while the contract has an extension option left
    (an extension beyond the options it provides is a modification, not a renewal decision)."""
    no_extension_left = contract is not None and not contract.extension_months_available
    return tuple((code, text) for code, text in outcomes_for(kind) if not (code == "extend" and no_extension_left))


@dataclass(frozen=True)
class NewTask:
    kind: str
    title: str
    due_on: date
    assignee_id: int
    contract_id: int | None = None
    case_id: int | None = None
    authority: str | None = None  # a council's own duty (payments compliance, pipeline): no contract or case
    framework_id: int | None = None  # an open framework's re-opening: no contract or case either
    milestone_on: date | None = None
    detail: str = ""


def raise_task(core: Core, session: Session, new: NewTask, *, actor_id: int, reopen_met: bool = False) -> int | None:
    """Raise a task once (inside the caller's unit of work); None when it was raised before. With
    ``reopen_met``, a task done as met opens again: the reminder of a duty met once and owed afresh for the
    same day (a second breach's notice), which the raise-once key would otherwise refuse."""
    if new.contract_id is not None:
        contract = session.get(Contract, new.contract_id)
        if contract is None:
            raise NotFound(f"There is no contract {new.contract_id}")
        case_id, subject = contract.case_id, f"contract:{new.contract_id}"
    elif new.case_id is not None:
        case_id, subject = new.case_id, f"case:{new.case_id}"
    elif new.framework_id is not None:
        case_id, subject = None, f"framework:{new.framework_id}"
    elif new.authority is not None:
        case_id, subject = None, council_subject(new.authority)
    else:
        raise InvalidInput({"subject": "A task needs a contract, a case, a framework or a council"})
    existing = session.scalar(
        select(Task).where(Task.subject_key == subject, Task.kind == new.kind, Task.due_on == new.due_on)
    )
    again = reopen_met and existing is not None and existing.status == TaskStatus.DONE and existing.outcome == "met"
    if existing is not None and not again:
        return None
    case = core.engine.lock_case(session, case_id, None) if case_id is not None else None
    now = core.engine.clock()  # the engine's clock, like every other timestamp it writes
    if again:
        task = existing
        for column, value in Task.raised_again(now).items():
            setattr(task, column, value)
        task.assignee_id = new.assignee_id
    else:
        task = Task(
            subject_key=subject,
            kind=new.kind,
            title=new.title,
            detail=new.detail,
            contract_id=new.contract_id,
            case_id=case_id,
            framework_id=new.framework_id,
            assignee_id=new.assignee_id,
            due_on=new.due_on,
            milestone_on=new.milestone_on,
            status=TaskStatus.OPEN,
            created_at=now,
        )
        session.add(task)
    session.flush()
    body = f"Due {new.due_on:%-d %B %Y}. {new.detail}".strip()
    session.add(
        OutboxMessage.queued(
            TASKS_RAISED, new.assignee_id, new.title, body, now, case_id=case_id, payload={"task_id": task.id}
        )
    )
    _audit(core, session, case, actor_id, "raise_task", {
        "task_id": task.id, "kind": new.kind, "due_on": new.due_on.isoformat(), "assignee_id": new.assignee_id,
        **({"again": True} if again else {}),
    })  # fmt: skip
    return task.id


def _audit(core: Core, session: Session, case, actor_id: int, action: str, data: dict, comment: str = "") -> None:
    """On the case's chain when the task has a case; on the system chain for a council-wide duty."""
    if case is None:
        core.engine.system_event(session, actor_id=actor_id, action=action, data=data, comment=comment)
        return
    core.engine.note_case_event(session, case, actor_id=actor_id, action=action, data=data, comment=comment)


def complete_task(core: Core, task_id: int, actor_id: int, *, outcome: str, note: str = "") -> str:
    """Record what was done about a task; it leaves the assignee's list. What came of it besides, in words
    (``review_consequence``: a contract review's escalation or follow-up), or nothing."""
    with core.db.unit_of_work() as session:
        task, case, _ = lock_task(core, session, task_id, actor_id)
        if notice := notice_of_task(task.kind):
            raise InvalidAction(f"Record the {notice.title.lower()} as published on its case: that completes this task")
        if task_needs_assessment(session, task):
            raise InvalidAction("Record the KPI assessment on the contract's page: that completes this task")
        allowed = dict(outcomes_for(task.kind))
        if outcome not in allowed:
            raise InvalidInput({"outcome": "Choose what was decided or done"})
        if outcome not in dict(outcomes_open(task.kind, task.contract)):
            raise InvalidInput(
                {"outcome": "This contract has no extension options left: choose to re-commission or to let it end"}
            )
        if (needed := NOTE_NEEDED.get(outcome)) and not note.strip():
            raise InvalidInput({"note": needed})
        data = None
        if outcome == ESCALATED:
            data = _escalate_review(core, session, task, case, actor_id, note.strip())
        if outcome == IMPROVEMENT_NEEDED:
            data = _follow_up_review(core, session, task, actor_id, note.strip())
        finish_task(core, session, task, case, actor_id, (outcome, allowed[outcome]), note, data)
        return review_consequence(core, session, task)


def _follow_up_review(core: Core, session: Session, task: Task, actor_id: int, note: str) -> dict:
    """A contract review that finds improvement needed brings the contract back for a follow-up review
    (``Schedule.review_follow_up_months`` later), to see whether it improved: raised now, for whoever manages
    it, with what was found. Not where its next periodic review comes first, nor once it has ended by then.
    When it is due (or why there is none) is kept with the outcome."""
    contract, today = task.contract, core.engine.today()
    schedule = schedule_for(core)
    due_on = add_months(today, schedule.review_follow_up_months)
    periodic = schedule.next_review_after(contract, today)
    again = _not_improved(session, task)
    if periodic <= due_on:
        return {"follow_up_on": None, "next_review_on": periodic.isoformat(), **again}
    if contract.end_date <= due_on:
        return {"follow_up_on": None, "ends_on": contract.end_date.isoformat(), **again}
    new = NewTask(
        CONTRACT_REVIEW,
        f"Follow-up contract review: {contract.reference} {contract.title}",
        due_on,
        contract.contract_manager_id or contract.case.requester_id,
        contract_id=contract.id,
        milestone_on=due_on,
        detail=f"Improvement was needed at the review due {task.due_on:%-d %B %Y}: {note}",
    )
    follow_up = raise_task(core, session, new, actor_id=actor_id)
    if follow_up is None:  # another of its reviews found it wanting today, and raised that follow-up: the same one
        follow_up = session.scalar(
            select(Task.id).where(Task.contract_id == contract.id, Task.kind == CONTRACT_REVIEW, Task.due_on == due_on)
        )
    return {"follow_up_on": due_on.isoformat(), "follow_up_task_id": follow_up, **again}


def _not_improved(session: Session, task: Task) -> dict:
    """A review that finds improvement still needed, as the contract's review before it did (its follow-up, or
    the next periodic one where that came first): the supplier, given the chance to improve, may have failed
    to, which for a public contract under the Act a contract performance notice must say within 30 days (PA23
    s71(3)-(5), recorded as a supplier breach on its case). Whether that may be so is kept with the outcome,
    for the reviewer to be told."""
    before = session.scalars(
        select(Task.outcome)
        .where(
            Task.contract_id == task.contract_id,
            Task.kind == CONTRACT_REVIEW,
            Task.status == TaskStatus.DONE,
            Task.id != task.id,
        )
        .order_by(Task.completed_at.desc(), Task.id.desc())
        .limit(1)
    ).first()
    if before != IMPROVEMENT_NEEDED:
        return {}
    public, _ = contract_in_law(session, task.contract)
    return {"improvement_needed_before": True, "performance_notice_may_be_owed": public}


def _escalate_review(core: Core, session: Session, task: Task, case: Case, actor_id: int, note: str) -> dict:
    """A contract review whose outcome is to escalate it goes to the Head of Category of the contract's team
    (both councils', for a joint contract) with what the reviewer wrote, leading to the task; where nobody
    holds that role, to the council's administrators, told why. Whom it went to is kept with the outcome."""
    organisation = core.governance.organisation
    councils = organisation.authorities_of(case.authority)
    for role in (HEAD_OF_CATEGORY, ADMINISTRATOR):
        pillar = case.pillar if organisation.roles[role].pillar_scoped else None
        held = dict.fromkeys(p for c in councils for p in core.engine.holders(session, role, c, pillar))
        told = [person for person in held if person != actor_id]  # not back to a head who reviewed it themselves
        if told:
            break
    else:
        raise InvalidAction(
            "Nobody else holds the Head of Category's role for this contract's team, nor is there an "
            "administrator of its council, to escalate the review to: ask an administrator to grant the role"
        )
    reviewer = session.scalar(select(User.full_name).where(User.id == actor_id))
    heads = organisation.role_for(HEAD_OF_CATEGORY, case.authority, case.pillar)
    why = "" if role == HEAD_OF_CATEGORY else f"Nobody else is {heads}, so it comes to you as an administrator.\n\n"
    for person in told:
        session.add(
            OutboxMessage.queued(
                REVIEW_ESCALATED, person, f"Contract review escalated to you: {task.title}",
                f"{why}{reviewer} reviewed the contract and escalated it to you: {note}", core.engine.clock(),
                case_id=case.id, payload={"open": f"/tasks/{task.id}"},
            )
        )  # fmt: skip
    return {"escalated_to": told, "escalated_role": role}


@dataclass(frozen=True)
class NextReview:
    """How often a contract is reviewed and when next, for its page."""

    every_months: int
    due_on: date | None  # None: no review to come (see ``stand``)
    follow_up: bool  # brought forward by a review that found improvement needed
    running: bool  # reviews are raised while the contract runs, whatever is decided about its renewal


def contract_tasks(session: Session, contract_id: int) -> list[Task]:
    """A contract's tasks, open and done, by due date: its page lists them."""
    return list(session.scalars(select(Task).where(Task.contract_id == contract_id).order_by(Task.due_on)))


def next_review(core: Core, contract: Contract, case: Case, tasks: list[Task]) -> NextReview:
    """The contract's next review: an open review task of ``tasks`` (all of its own: a follow-up review is
    the one a review among them raised), else the next anniversary at its cadence while it runs, before its
    end."""
    schedule = schedule_for(core)
    every = schedule.review_every(contract.value, contract.risk)
    running = core.workflows.state_of(case).renewal is not None  # a final state has no renewal to decide
    due = [t for t in tasks if t.kind == CONTRACT_REVIEW and t.status == TaskStatus.OPEN]
    if due:
        soonest = min(due, key=lambda t: t.due_on)
        follow_up = any((t.outcome_data or {}).get("follow_up_task_id") == soonest.id for t in tasks)
        return NextReview(every, soonest.due_on, follow_up, running)
    today = core.engine.today()
    periodic = schedule.next_review_after(contract, today - timedelta(days=1))  # today's is still to come
    to_come = running and periodic < contract.end_date
    return NextReview(every, periodic if to_come else None, False, running)


def review_consequence(core: Core, session: Session, task: Task) -> str:
    """What came of a completed contract review, for its page: "it went to Hana Head (Head of Category)", "a
    follow-up review is due on 3 June 2027"; empty for any other task or outcome."""
    data = task.outcome_data or {}
    if task.kind != CONTRACT_REVIEW:
        return ""
    if task.outcome == ESCALATED and data.get("escalated_to"):
        names = user_names(session, set(data["escalated_to"]))
        told = listed([names[person] for person in data["escalated_to"] if person in names])
        return f"it went to {told} ({core.governance.organisation.role_name(data['escalated_role'])})"
    if task.outcome != IMPROVEMENT_NEEDED:
        return ""
    if data.get("follow_up_on"):
        said = f"a follow-up review is due on {date.fromisoformat(data['follow_up_on']):%-d %B %Y}"
    elif data.get("next_review_on"):
        said = f"no follow-up review, as the next is due on {date.fromisoformat(data['next_review_on']):%-d %B %Y}"
    elif data.get("ends_on"):
        said = f"no follow-up review, as the contract ends on {date.fromisoformat(data['ends_on']):%-d %B %Y}"
    else:
        return ""
    if data.get("performance_notice_may_be_owed"):
        said += (
            ". Improvement was needed at the review before too: if the supplier was given a proper opportunity to "
            "improve and has not, record a supplier breach on the contract's case, as the Procurement Act asks for "
            "a contract performance notice within 30 days (s71)"
        )
    return said


def finish_task(
    core: Core, session: Session, task: Task, case, actor_id: int, outcome: tuple[str, str], note: str,
    data: dict | None = None,
) -> None:  # fmt: skip
    """Mark a locked task done with ``outcome`` (its value and label) and ``data`` it rests on, audited."""
    task.status = TaskStatus.DONE
    task.outcome, task.outcome_note, task.outcome_data = outcome[0], note.strip(), data or {}
    task.completed_at, task.completed_by_id = core.engine.clock(), actor_id
    event = {"task_id": task.id, "kind": task.kind, "outcome": outcome[0], "outcome_label": outcome[1], **(data or {})}
    _audit(core, session, case, actor_id, "complete_task", event, note.strip())
    because = f" {note.strip()}" if note.strip() else ""
    _tell_the_assignee(core, session, task, actor_id, "completed", f"{outcome[1]}.{because}")


def _tell_the_assignee(core: Core, session: Session, task: Task, actor_id: int, done: str, what: str) -> None:
    """A task's assignee hears when a colleague covering for them completes or snoozes it: it leaves, or
    waits on, their list without their doing."""
    if actor_id == task.assignee_id:
        return
    name = session.scalar(select(User.full_name).where(User.id == actor_id))
    session.add(
        OutboxMessage.queued(
            TASK_COVERED, task.assignee_id, f"{name} {done} your task: {task.title}", what, core.engine.clock(),
            case_id=task.case_id, payload={"open": f"/tasks/{task.id}"},
        )
    )  # fmt: skip


def snooze_task(core: Core, task_id: int, actor_id: int, *, until: date | None, reason: str) -> None:
    """Put a task off until a later date, saying why. It comes back (and still escalates) on that date."""
    errors = {}
    today = core.engine.today()
    if until is None:
        errors["until"] = "Enter the date to be reminded again, like 2027-01-31"
    elif until <= today:
        errors["until"] = "The date to be reminded again must be in the future"
    elif until > today + timedelta(days=MAX_SNOOZE_DAYS):
        errors["until"] = f"A task can be snoozed for up to {MAX_SNOOZE_DAYS} days"
    if not reason.strip():
        errors["reason"] = "Give a reason for snoozing the task"
    if errors:
        raise InvalidInput(errors)
    with core.db.unit_of_work() as session:
        task, case, _ = lock_task(core, session, task_id, actor_id)
        task.snoozed_until, task.snooze_reason = until, reason.strip()
        data = {"task_id": task.id, "kind": task.kind, "until": until.isoformat()}
        if task.escalated_at is not None:
            # Put off, it is not overdue until then; still untouched after it, it is escalated afresh. Whom the
            # escalation before went to, and when, the snooze's event keeps.
            data["escalated_before"] = {
                "at": task.escalated_at.isoformat(), "role": task.escalated_role, "to": task.escalated_to,
            }  # fmt: skip
            task.escalated_at, task.escalated_role, task.escalated_to = None, None, None
        _tell_the_assignee(core, session, task, actor_id, "snoozed", f"Until {until:%-d %B %Y}: {reason.strip()}")
        _audit(core, session, case, actor_id, "snooze_task", data, reason.strip())


def task_takers(core: Core, session: Session, task: Task, case: Case | None) -> list[Colleague]:
    """Whom a task may be passed to: the active people who could act on it in their own right
    (``may_act_on_task``), but whose it is now. The category team of its case's council (either, for a joint
    one) and pillar, with the contract managers for a task about a contract; for a framework's re-opening,
    the category teams of its council; for a council's own duty, the council's holders of the duty's role.
    (Administrators may act on a council's duties, but are not given them: they stand in.)"""
    org = core.governance.organisation
    pillar = None
    if task.framework_id is not None:
        roles, councils = CASE_TEAM_ROLES, org.authorities_of(task.framework.authority or JOINT)
    elif case is None:
        roles, councils = tuple(filter(None, [COUNCIL_DUTIES.get(task.kind)])), (task.council,)
    else:
        roles = (*CASE_TEAM_ROLES, MANAGER_ROLE) if task.about_contract is not None else CASE_TEAM_ROLES
        councils, pillar = org.authorities_of(case.authority), case.pillar
    in_pillar = [or_(RoleAssignment.pillar.is_(None), RoleAssignment.pillar == pillar)] if pillar else []
    return colleagues(
        session,
        User.id != task.assignee_id,
        RoleAssignment.role.in_(roles),
        RoleAssignment.authority.in_(councils),
        *in_pillar,
    )


def pass_task_on(core: Core, task_id: int, actor_id: int, *, assignee_id: int, reason: str = "") -> str:
    """Give an open task to someone else who could do it (``task_takers``): someone moving on, away for long,
    or the work better placed with a colleague. The new assignee is told (as of a new task), and so is whose
    it was, when someone else passed it on; its case's audit chain (the system's, for a council's duty or a
    framework's) records who gave it to whom, and why. Returns the new assignee's name."""
    reason = checked_reason(reason)
    with core.db.unit_of_work() as session:
        task, case, actor = lock_task(core, session, task_id, actor_id, may=may_pass_on_task)
        takers = {person.id: person.full_name for person in task_takers(core, session, task, case)}
        if assignee_id not in takers:
            raise InvalidInput({"assignee_id": "Choose someone who could do this task"})
        because = f"\n\nReason: {reason}" if reason else ""
        _tell_the_assignee(core, session, task, actor_id, "passed on", f"{takers[assignee_id]} has it now.{because}")
        _pass(core, session, task, case, actor_id, assignee_id, reason)
        body = f"{actor.full_name} passed this task to you. Due {task.due_on:%-d %B %Y}.{because}"
        session.add(
            OutboxMessage.queued(
                TASKS_RAISED, assignee_id, task.title, body, core.engine.clock(), case_id=task.case_id,
                payload={"task_id": task.id},
            )
        )  # fmt: skip
        return takers[assignee_id]


def checked_reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise InvalidInput({"reason": f"Keep the reason to {MAX_REASON} characters"})
    return reason


def _pass(core: Core, session: Session, task: Task, case, actor_id: int, assignee_id: int, reason: str) -> None:
    """Make a locked task ``assignee_id``'s, on its case's audit chain (the system's for a council's duty)."""
    event = {"task_id": task.id, "kind": task.kind, "from": task.assignee_id, "to": assignee_id}
    task.assignee_id = assignee_id
    _audit(core, session, case, actor_id, "pass_task_on", event, reason)


def passable_tasks(core: Core, session: Session, person_id: int, actor: Actor) -> list[tuple[Task, Case | None]]:
    """``person_id``'s open tasks that ``actor`` may pass on (``may_pass_on_task``), as their list orders them,
    each with its case: what someone leaving, or moving post, leaves to be given to a colleague."""
    return [
        (task, case)
        for task, case in _open_tasks_with_cases(core, session, person_id)
        if may_pass_on_task(actor, task, case)
    ]


def takers_of_all_tasks(core: Core, session: Session, tasks: list[tuple[Task, Case | None]]) -> list[Colleague]:
    """Who could take every one of ``tasks`` (``task_takers`` of each), by name."""
    return in_every(task_takers(core, session, task, case) for task, case in tasks)


def pass_all_tasks_on(core: Core, person_id: int, actor_id: int, *, assignee_id: int, reason: str = "") -> list[int]:
    """Give every open task of ``person_id`` that the actor may pass on (``passable_tasks``: someone leaving,
    or moving post) to one colleague who could do each of them, all or none. Each task's case chain records
    it as ``pass_task_on`` does; the new assignee is sent one message listing them, and whose they were one
    saying so, where someone else passed them. Returns the ids of those passed."""
    reason = checked_reason(reason)
    with core.db.unit_of_work() as session:
        actor = core.engine.actor(session, actor_id)
        tasks = passable_tasks(core, session, person_id, actor)
        # Locked in case order, as every door locks one case at a time: two of these at once cannot deadlock;
        # a task on no case (a council's duty, a framework's re-opening) by its own row, as lock_task does.
        for case_id in sorted({task.case_id for task, _ in tasks if task.case_id is not None}):
            core.engine.lock_case(session, case_id, None)
        if caseless := [task.id for task, case in tasks if case is None]:
            session.scalars(select(Task.id).where(Task.id.in_(caseless)).with_for_update(**CHANGE_LOCK)).all()
        tasks = [(task, case) for task, case in tasks if _still_theirs(session, task, person_id)]
        if not tasks:
            raise InvalidInput({"assignee_id": "They have no open task that you can pass on"})
        if assignee_id not in {person.id for person in takers_of_all_tasks(core, session, tasks)}:
            raise InvalidInput({"assignee_id": "Choose someone who could do every one of these tasks"})
        for task, case in tasks:
            _pass(core, session, task, case, actor_id, assignee_id, reason)
        now = core.engine.clock()
        because = f"Reason: {reason}" if reason else ""
        rows = [task for task, _ in tasks]
        passed = f"{actor.full_name} passed {counted(len(rows), 'task')}"

        def tell(person: int, subject: str) -> None:  # one message each, listing them, however many
            tell_each(session, {person: rows}, TASKS_RAISED, lambda _: subject, lambda _: subject, because, now)

        tell(assignee_id, f"{passed} to you")
        if actor_id != person_id:
            tell(
                person_id,
                f"{passed} of yours to {session.scalar(select(User.full_name).where(User.id == assignee_id))}",
            )
        return [task.id for task in rows]


def _still_theirs(session: Session, task: Task, person_id: int) -> bool:
    """Read again under its lock: a task completed or passed on meanwhile is no longer theirs to pass."""
    session.refresh(task)
    return task.status == TaskStatus.OPEN and task.assignee_id == person_id


def due_line(row) -> str:
    return f"- {row.title} (due {row.due_on:%-d %B %Y})"


def tell_each(
    session, by_person: dict[int, list], kind: str, one, many, intro: str, now, line=due_line, listed=None, alone=None
) -> None:
    """One message per person listing their tasks, soonest due first (the first 50, then how many more);
    ``one(task)`` and ``many(count)`` make the subject, ``line(task)`` each task's line (``alone(task)``, if
    given, the line of a message about one task), and ``listed`` is the page listing them all, if there is one."""
    for person, rows in by_person.items():
        rows = sorted(rows, key=lambda r: r.due_on)
        lines = [alone(rows[0])] if alone and len(rows) == 1 else [line(r) for r in rows[:50]]
        if len(rows) > 50:
            lines.append(f"... and {len(rows) - 50} more: see the tasks")
        subject = one(rows[0]) if len(rows) == 1 else many(len(rows))
        body = "\n".join([intro, *lines] if intro else lines)
        # A message about one task names it, so that it leads to the task itself (``page_of``).
        payload = {"task_id": rows[0].id} if len(rows) == 1 else {"open": listed} if listed else None
        session.add(OutboxMessage.queued(kind, person, subject, body, now, case_id=rows[0].case_id, payload=payload))


def may_act_on_task(actor: Actor, task: Task, case) -> bool:
    """The assignee; or, to cover when they are away, the category team of the case's authority and pillar,
    for a framework's re-opening whoever keeps its council's frameworks register, or for a council-wide duty
    the council's holders of the duty's role and its administrators."""
    if actor.id == task.assignee_id:
        return True
    if task.framework_id is not None:
        from .frameworks import may_keep_register  # the frameworks register builds on this module

        return may_keep_register(actor, task.framework.authority)
    if case is None:
        role = COUNCIL_DUTIES.get(task.kind)
        return actor.holds("administrator", task.council) or (role is not None and actor.holds(role, task.council))
    return any(actor.holds(r, case.authority, case.pillar) for r in CASE_TEAM_ROLES)


def may_pass_on_task(actor: Actor, task: Task, case) -> bool:
    """Whoever may act on it (``may_act_on_task``); and, as for who manages a contract or works on a case, an
    administrator of the case's council: someone leaving hands on their work before their account is closed."""
    return may_act_on_task(actor, task, case) or (case is not None and actor.runs_category(case.authority, case.pillar))


def open_tasks_seen_by(core: Core, session: Session, person_id: int, viewer: Actor) -> list[Task]:
    """``person_id``'s open tasks, as their own list orders them, that ``viewer`` may see: for their
    administrator, what they leave to be passed on before their account is closed."""
    return [task for task, case in _open_tasks_with_cases(core, session, person_id) if may_see_task(viewer, task, case)]


def _open_tasks_with_cases(core: Core, session: Session, person_id: int) -> list[tuple[Task, Case | None]]:
    """``person_id``'s open tasks, as their own list orders them, each with its case (None for a council's duty
    or a framework's re-opening), the cases read in one query: what may be seen or passed on depends on them."""
    tasks = open_tasks_of(session, person_id, today=core.engine.today())
    case_ids = {task.case_id for task in tasks if task.case_id is not None}
    cases = {case.id: case for case in session.scalars(select(Case).where(Case.id.in_(case_ids)))} if case_ids else {}
    return [(task, cases.get(task.case_id)) for task in tasks]


def may_see_task(actor: Actor, task: Task, case) -> bool:
    """Whoever may act on it; and the staff of the council whose it is, who see what it is about (a case's page
    lists its tasks): a council's own duty's Monitoring Officer among them, told of it once it is overdue."""
    if may_act_on_task(actor, task, case):
        return True
    if task.council is not None:
        return works_for(actor, task.council)
    if case is not None:
        return works_for(actor, case.authority)
    return task.framework_id is not None and works_for(actor, task.framework.authority)


def councils_with_duties_for(actor: Actor, overseer: str) -> list[str]:
    """The councils whose own statutory notices and reports the person does, covers for or oversees: where they hold
    a duty's role, ``overseer`` (``Schedule.duty_escalate_to``) or administrator."""
    roles = {*COUNCIL_DUTIES.values(), overseer, "administrator"}
    return sorted({council for role, council, _ in actor.roles if role in roles})


@dataclass(frozen=True)
class CouncilDuty:
    """A council's own statutory notice or report still due (``COUNCIL_DUTIES``: payments compliance, payments,
    pipeline, the special urgency report), raised as a task for a holder of its role."""

    task: Task
    assignee: str  # whose task it is
    assignee_left: bool = False  # their account is closed: nobody does it until it is passed on


def council_duties(session: Session, councils: list[str]) -> list[CouncilDuty]:
    """The open statutory notices and reports of ``councils``, the soonest due (or longest past its date) first."""
    rows = session.execute(
        select(Task, User.full_name, User.is_active)
        .join(User, User.id == Task.assignee_id)
        .where(
            Task.subject_key.in_([council_subject(code) for code in councils]),  # the raise-once key's index
            Task.kind.in_(list(COUNCIL_DUTIES)),
            Task.status == TaskStatus.OPEN,
        )
        .order_by(Task.due_on, Task.subject_key)
    )
    return [CouncilDuty(task, name, not active) for task, name, active in rows]


def lock_task(core: Core, session: Session, task_id: int, actor_id: int, *, may=may_act_on_task):
    """The open task, its case and the actor, who ``may`` change it."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"There is no task {task_id}")
    # Lock the case (its chain records the change) or, for a council-wide duty, the task row itself.
    case = core.engine.lock_case(session, task.case_id, None) if task.case_id is not None else None
    # Read again under the lock: a concurrent completion shows.
    session.refresh(task, with_for_update=CHANGE_LOCK if case is None else None)
    actor = core.engine.actor(session, actor_id)
    if not may(actor, task, case):
        raise NotPermitted("Only the person the task is assigned to, or the category team, can change it")
    if task.status != TaskStatus.OPEN:
        raise InvalidAction("This task has already been completed")
    return task, case, actor
