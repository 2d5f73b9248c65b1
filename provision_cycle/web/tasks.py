"""My tasks (my team's, my councils' duties): complete one with an outcome, or snooze it with a reason."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, request, url_for
from sqlalchemy.orm import joinedload

from ..errors import DomainError, InvalidInput, NotFound
from ..governance.organisation import ADMINISTRATOR
from ..governance.statutory import PAYMENTS_NOTICE_PROCURED_FROM
from ..models import Case, Contract, Task, TaskStatus
from ..models.tasks import CONTRACT_REVIEW, INVITE_TENDERS, RENEWAL_DECISION
from ..scheduling.config import schedule_for
from ..services import reading
from ..services.contract_managers import contracts_managed_by
from ..services.notices import notice_of_task
from ..services.payments_compliance import period_of_task
from ..services.performance import task_needs_assessment, track_record
from ..services.tasks import (
    complete_task,
    council_duties,
    councils_with_duties_for,
    may_act_on_task,
    may_pass_on_task,
    may_see_task,
    outcomes_open,
    pass_all_tasks_on,
    pass_task_on,
    passable_tasks,
    review_consequence,
    snooze_task,
    takers_of_all_tasks,
    task_takers,
)
from ..services.transparency import payments_notice_quarter, special_urgency_period_of_task
from ..wording import counted, humanise
from ..workflow.participation import requests_to_participate
from .common import core, id_asked_for, me, render
from .forms import (
    CompleteTaskForm,
    PassTaskForm,
    SnoozeTaskForm,
    apply_errors,
    change_from,
    colleague_options,
    options,
)
from .security import signed_in

tasks = Blueprint("tasks", __name__, url_prefix="/tasks")


@tasks.get("/")
@signed_in
def mine():
    """My tasks; for someone in a category team, ``?whose=team``: the team's, to cover for each other; for
    whoever does, covers for or oversees a council's own statutory notices, ``?whose=council``: those."""
    whose = request.args.get("whose", "")
    colleague_id = id_asked_for("colleague")  # the team's tasks of one colleague, covering for them
    overseer = schedule_for(core()).duty_escalate_to
    duty_councils = councils_with_duties_for(me(), overseer)
    with core().db.reading() as session:
        team = reading.team_tasks(session, me(), colleague_id) if whose == "team" else None
        holders = reading.team_task_holders(session, me()) if team is not None else []
        council = council_duties(session, duty_councils) if whose == "council" else None
        sort = request.args.get("sort") if request.args.get("sort") in reading.TASK_SORTS else "due"
        own = team is None and council is None
        items = reading.open_tasks_of(session, me().id, today=core().engine.today(), sort=sort) if own else []
        in_a_team = reading.of_my_category_teams(me(), Case.authority, Case.pillar) is not None
    return render(
        "tasks/list.html",
        tasks=items,
        team=team,
        holders=holders,
        colleague_id=colleague_id,
        council=council,
        in_a_team=in_a_team,
        duty_councils=duty_councils,
        overseer=core().governance.organisation.roles[overseer].name,
        most=reading.TEAM_TASKS_SHOWN,
        sort=sort,
        sorts=reading.TASK_SORTS,
        today=core().engine.today(),
    )


@tasks.route("/of/<id:person_id>", methods=["GET", "POST"])
@signed_in
def pass_all_of(person_id: int):
    """Pass every open task of someone (leaving, moving post, away for long) that the signed-in person may
    pass on to one colleague who could do each of them, at once: their administrator, or their category
    team covering for them."""
    with core().db.reading() as session:
        passing = passable_tasks(core(), session, person_id, me())
        if not passing:
            raise NotFound("They have no open task that you can pass on")
        whose = reading.user_names(session, {person_id})[person_id]
        takers = {person.id: person for person in takers_of_all_tasks(core(), session, passing)}
        managed = len(contracts_managed_by(core(), session, person_id, me()))  # whose next tasks are still theirs
        session.expunge_all()
    form = PassTaskForm()
    form.assignee_id.label.text = "Who should do them?"
    form.submit.label.text = f"Pass all {len(passing)} on" if len(passing) > 1 else "Pass it on"
    form.assignee_id.choices = colleague_options(list(takers.values()))

    def pass_all() -> str:
        passed = pass_all_tasks_on(
            core(), person_id, me().id, assignee_id=int(form.assignee_id.data), reason=form.reason.data or ""
        )
        return f"{takers[int(form.assignee_id.data)].full_name} has the {counted(len(passed), 'task')} {whose} had."

    # Back where the person came from: the leaver's person page, their team's tasks or the overview.
    back, back_label = {
        "person": (url_for("admin.user", user_id=person_id), f"Back to {whose}"),
        "team": (url_for(".mine", whose="team", colleague=person_id), "Back to your team's tasks"),
        "overview": (url_for("work.overview"), "Back to the overview"),
    }.get(request.args.get("back", ""), (url_for(".mine"), "Back to the tasks"))
    if done := change_from(form, pass_all, back=back):
        return done
    return render(
        "tasks/pass_all.html",
        back=back,
        back_label=back_label,
        form=form,
        tasks=[task for task, _ in passing],
        whose=whose,
        person_id=person_id,
        managed=managed,
        today=core().engine.today(),
    )


def _task(task_id: int) -> tuple[Task, Case | None, Contract | None, bool]:
    """The task, the case it is recorded on, the contract it is about (if any) and whether the person may act
    on it (not once it is closed), for someone who may see it; a task about a framework comes with it, and its
    assignee."""
    with core().db.reading() as session:
        # A framework's, if about one; and whose it is, for someone covering or overseeing.
        task = session.get(Task, task_id, options=[joinedload(Task.framework), joinedload(Task.assignee)])
        case = session.get(Case, task.case_id) if task and task.case_id else None
        if task is None or not may_see_task(me(), task, case):
            raise NotFound(f"There is no task {task_id} of yours")
        contract = task.about_contract  # the one whose case it is on (named on it, or owed a notice)
        may_act = task.status == TaskStatus.OPEN and may_act_on_task(me(), task, case)
        session.expunge_all()
        return task, case, contract, may_act


@tasks.route("/<id:task_id>", methods=["GET", "POST"])
@signed_in
def show(task_id: int):
    task, case, contract, may_act = _task(task_id)
    with core().db.reading() as session:
        assessing = task_needs_assessment(session, task)  # done by recording the assessment, not ticked off
        escalation = _escalation(session, task)
        # Inviting tenders: where the requests to participate the case has recorded stand.
        requests = requests_to_participate(session, case.id) if case and task.kind == INVITE_TENDERS else []
        # A renewal decision: how the contract has gone, which the decision weighs.
        record = track_record(session, contract) if contract and task.kind == RENEWAL_DECISION else None
        may_pass = task.status == TaskStatus.OPEN and may_pass_on_task(me(), task, case)
        takers = task_takers(core(), session, task, case) if may_pass else []
        reviewed = review_consequence(core(), session, task)
    complete, snooze = CompleteTaskForm(prefix="complete"), SnoozeTaskForm(prefix="snooze")
    passing = PassTaskForm(prefix="pass")
    complete.outcome.choices = options(outcomes_open(task.kind, contract))
    if task.kind == CONTRACT_REVIEW:  # two of its outcomes say what was found
        complete.note.label.text = "Note"
        follow_up = schedule_for(core()).review_follow_up_months
        complete.note.description = (
            f"Needed when improvement is needed (what must improve: the contract comes back for a follow-up review "
            f"in {counted(follow_up, 'month')}, unless its next review comes sooner) or when the review is "
            "escalated (what the Head of Category needs to know)"
        )
    passing.assignee_id.choices = colleague_options(takers)
    if request.method == "POST":
        form = next((f for f in (complete, passing) if f.submit.name in request.form), snooze)
        if form.validate_on_submit():
            try:
                if form is complete:
                    came = complete_task(core(), task_id, me().id, outcome=form.outcome.data, note=form.note.data or "")
                    flash(f"Task completed: {task.title}" + (f"; {came}" if came else ""))
                elif form is passing:
                    to = pass_task_on(
                        core(), task_id, me().id, assignee_id=int(form.assignee_id.data), reason=form.reason.data or ""
                    )
                    flash(f"{to} has the task now: {task.title}")
                else:
                    snooze_task(core(), task_id, me().id, until=form.until.data, reason=form.reason.data)
                    flash(f"Task snoozed until {form.until.data:%-d %B %Y}: {task.title}")
                return redirect(url_for(".mine"))
            except InvalidInput as error:
                apply_errors(form, error.fields)
            except DomainError as error:
                flash(error.message, "error")
                return redirect(url_for(".mine"))
    form = next((f for f in (complete, passing) if f.errors), snooze)  # the one whose errors the summary lists
    return render(
        "tasks/show.html",
        task=task,
        case=case,
        contract=contract,
        framework=task.framework,
        state=core().workflows.get(case.workflow, case.workflow_version).label(case.state) if case else None,
        complete=complete,
        snooze=snooze,
        passing=passing if takers else None,
        form=form,
        notice=notice_of_task(task.kind),
        assessing=assessing,
        requests=requests,
        may_act=may_act,
        payments_quarter=payments_notice_quarter(task),
        payments_notice_procured_from=PAYMENTS_NOTICE_PROCURED_FROM,
        compliance_period=period_of_task(task),
        urgency_report_period=special_urgency_period_of_task(core(), task),
        council=core().governance.organisation.authority_name(task.council) if task.council else None,
        escalation=escalation,
        reviewed=reviewed,
        track_record=record,
        today=core().engine.today(),
    )


@dataclass(frozen=True)
class Escalation:
    """Whom a task's escalation told that it is overdue, for its page: the role it goes to (a council's own
    notice's, or its team's) and, where kept, who held the role told (``standing_in``: the council's
    administrators, as nobody held it)."""

    goes_to: str
    told: list[str] | None  # None: escalated before whom it told was kept
    role: str = ""
    standing_in: bool = False


def _escalation(session, task: Task) -> Escalation | None:
    if task.escalated_at is None:
        return None
    schedule, roles = schedule_for(core()), core().governance.organisation.roles
    goes_to = roles[schedule.duty_escalate_to if task.council else schedule.overdue_escalate_to].name
    if task.escalated_role is None:
        return Escalation(goes_to, None)
    names = reading.user_names(session, set(task.escalated_to or ()))
    told = [names[i] for i in task.escalated_to or () if i in names]
    told_as = roles[task.escalated_role].name if task.escalated_role in roles else humanise(task.escalated_role)
    return Escalation(goes_to, told, told_as, task.escalated_role == ADMINISTRATOR)  # a role since dropped: its code
