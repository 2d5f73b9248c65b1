"""Tasks: completing one records a decision the contract allows (and a review escalated tells the Head of
Category); passing one to a colleague; and a contract's tasks following its case (a renewal proposed, turned
down or sent back; a review completed there; its end date moved; its end)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from provision_cycle.errors import InvalidInput
from provision_cycle.models import AuditEvent, Case, Contract, Task
from provision_cycle.scheduling.sweeps import expire_contracts
from provision_cycle.services.tasks import NewTask, complete_task, raise_task
from tests.factories import hub_people
from tests.web.helpers import renewal_task, seed_contracts


def test_a_renewal_decision_to_extend_needs_an_extension_option_left(core, db):
    from decimal import Decimal

    from provision_cycle.services.register import ExistingContract, import_contract

    people = hub_people(db)
    today = core.engine.today()
    with core.db.unit_of_work() as session:
        contract = import_contract(
            core,
            session,
            ExistingContract(
                title="Grounds maintenance", authority="OCC", category="corporate_supplies", contract_type="services",
                supplier_name="Green Ltd", value=Decimal("80000"), start_date=today - timedelta(days=700),
                end_date=today + timedelta(days=60), extension_months_available=12,
                contract_manager_id=people.contract_manager,
            ),
            actor_id=people.officer,
        )  # fmt: skip
        with_options = raise_task(
            core, session, NewTask("renewal_decision", "Decide", today, people.contract_manager, contract_id=contract.id),
            actor_id=people.officer,
        )  # fmt: skip
    [without_options] = seed_contracts(core, people, 1)
    with core.db.unit_of_work() as session:
        exhausted = raise_task(
            core, session, NewTask("renewal_decision", "Decide", today, people.contract_manager, contract_id=without_options),
            actor_id=people.officer,
        )  # fmt: skip
    complete_task(core, with_options, people.contract_manager, outcome="extend", note="Twelve months more")
    with pytest.raises(InvalidInput, match="no extension options left"):
        complete_task(core, exhausted, people.contract_manager, outcome="extend")
    with db.reading() as session:
        assert (session.get(Task, with_options).outcome, session.get(Task, exhausted).status) == ("extend", "open")


def test_the_assignee_hears_when_a_colleague_completes_or_snoozes_their_task(core, db):
    from provision_cycle.models import OutboxMessage
    from provision_cycle.services.tasks import snooze_task

    people = hub_people(db)
    first, second = seed_contracts(core, people, 2)
    snoozed = renewal_task(core, people, first, "Decide the first")
    completed = renewal_task(core, people, second, "Decide the second")
    today = core.engine.today()
    snooze_task(core, snoozed, people.officer, until=today + timedelta(days=7), reason="Waiting for the budget")
    complete_task(core, completed, people.officer, outcome="recommission", note="A new specification")
    complete_task(core, snoozed, people.contract_manager, outcome="let_expire")  # their own: nobody is told
    with db.reading() as session:
        told = session.execute(
            select(OutboxMessage.recipient_id, OutboxMessage.subject, OutboxMessage.body)
            .where(OutboxMessage.kind == "task_covered")
            .order_by(OutboxMessage.id)
        ).all()
    until = today + timedelta(days=7)
    assert [tuple(row) for row in told] == [
        (people.contract_manager, "Olive Officer snoozed your task: Decide the first",
         f"Until {until.day} {until:%B %Y}: Waiting for the budget"),
        (people.contract_manager, "Olive Officer completed your task: Decide the second",
         "Re-commission: start a new procurement. A new specification"),
    ]  # fmt: skip


def test_a_task_is_passed_to_a_colleague_who_could_do_it(core, db):
    """Its assignee passes it on (or their category team does, for someone who has left): only to someone
    who could act on it in their own right; the new assignee is told as of a new task, whose it was hears
    when someone else passed it, and the case's chain records who gave it to whom and why."""
    from provision_cycle.errors import InvalidAction, NotPermitted
    from provision_cycle.models import AuditEvent, OutboxMessage
    from provision_cycle.models.outbox import TASK_COVERED, TASKS_RAISED
    from provision_cycle.services import notifications
    from provision_cycle.services.tasks import pass_task_on, task_takers
    from tests.factories import create_user

    people = hub_people(db)
    colleague = create_user(db, ("contract_manager", "OCC", "cnc"), full_name="Nia Newcomer")
    cdc_colleague = create_user(db, ("contract_manager", "CDC", "cnc"), full_name="Colin Cherwell")
    create_user(db, ("contract_manager", "OCC", "eni"), full_name="Elsa Elsewhere")  # another pillar's
    [contract_id] = seed_contracts(core, people, 1)
    task_id = renewal_task(core, people, contract_id, "Decide the renewal", core.engine.today())
    with db.reading() as session:
        task = session.get(Task, task_id)
        takers = [p.full_name for p in task_takers(core, session, task, session.get(Contract, contract_id).case)]
    # The category team of the contract's council and pillar, and its contract managers; not whose it is.
    assert takers == ["Hana Head", "Max Manager", "Nia Newcomer", "Olive Officer"]

    for refused in (cdc_colleague, people.requester, task_id * 1000):
        with pytest.raises(InvalidInput, match="Choose someone who could do this task"):
            pass_task_on(core, task_id, people.contract_manager, assignee_id=refused)
    with pytest.raises(NotPermitted):
        pass_task_on(core, task_id, people.requester, assignee_id=colleague)
    with pytest.raises(InvalidInput, match="Keep the reason to 2000 characters"):
        pass_task_on(core, task_id, people.contract_manager, assignee_id=colleague, reason="x" * 2001)

    assert pass_task_on(core, task_id, people.contract_manager, assignee_id=colleague, reason="Nia has the site") == (
        "Nia Newcomer"
    )
    # And back, by the category team: its assignee hears who has it now.
    pass_task_on(core, task_id, people.officer, assignee_id=people.contract_manager)
    with db.reading() as session:
        assert session.get(Task, task_id).assignee_id == people.contract_manager
        told = session.execute(
            select(OutboxMessage.kind, OutboxMessage.recipient_id, OutboxMessage.subject, OutboxMessage.body)
            .where(OutboxMessage.kind.in_([TASKS_RAISED, TASK_COVERED]))
            .order_by(OutboxMessage.id)
        ).all()
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "pass_task_on").order_by(AuditEvent.id)
        ).all()
        newcomer = core.engine.actor(session, colleague)
        theirs = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient_id == colleague)).all()
        done = notifications.answered(core.engine, session, newcomer, theirs)
    assert [(kind, who) for kind, who, _, _ in told[1:]] == [  # the first: the task raised
        (TASKS_RAISED, colleague),  # the contract manager passed it themselves: nobody else to tell
        (TASK_COVERED, colleague),
        (TASKS_RAISED, people.contract_manager),
    ]
    assert told[1].body == "Cora Contracts passed this task to you. Due " + f"{core.engine.today():%-d %B %Y}" + (
        ".\n\nReason: Nia has the site"
    )
    assert told[2].subject == "Olive Officer passed on your task: Decide the renewal"
    assert told[2].body == "Cora Contracts has it now."
    assert [(e.data["from"], e.data["to"], e.comment) for e in events] == [
        (people.contract_manager, colleague, "Nia has the site"),
        (colleague, people.contract_manager, ""),
    ]
    assert {e.case_id for e in events} == {task.case_id}
    assert done == {m.id for m in theirs if m.kind == TASKS_RAISED}  # no longer theirs to do

    complete_task(core, task_id, people.contract_manager, outcome="recommission")
    with pytest.raises(InvalidAction, match="already been completed"):
        pass_task_on(core, task_id, people.contract_manager, assignee_id=colleague)


def test_a_councils_own_duty_passes_only_to_the_councils_holders_of_its_role(core, db):
    """The pipeline notice is an intelligence analyst's: another of the council's may take it; an analyst of
    the other council, or its administrator (who may stand in, but is not given the work), may not."""
    from provision_cycle.services.tasks import pass_task_on, task_takers
    from tests.factories import create_user

    analyst = create_user(db, ("intelligence_analyst", "OCC"), full_name="Zoe Analyst")
    other = create_user(db, ("intelligence_analyst", "OCC"), full_name="Yan Analyst")
    create_user(db, ("intelligence_analyst", "CDC"), full_name="Ravi Cherwell")
    admin = create_user(db, ("administrator", "OCC"), full_name="Ada Admin")
    system = create_user(db)
    with core.db.unit_of_work() as session:
        new = NewTask("pipeline_notice", "Publish the pipeline notice", core.engine.today(), analyst, authority="OCC")
        task_id = raise_task(core, session, new, actor_id=system)
    with db.reading() as session:
        assert [p.full_name for p in task_takers(core, session, session.get(Task, task_id), None)] == ["Yan Analyst"]
    with pytest.raises(InvalidInput, match="Choose someone who could do this task"):
        pass_task_on(core, task_id, analyst, assignee_id=admin)
    pass_task_on(core, task_id, admin, assignee_id=other, reason="Zoe is on leave")  # an administrator may
    with db.reading() as session:
        assert session.get(Task, task_id).assignee_id == other


def test_someone_s_open_tasks_pass_to_one_colleague_who_could_do_each_of_them_all_or_none(core, db):
    """Someone leaving: their administrator passes every task of theirs they may pass to one colleague who
    could do each, in one go; each task's case records it, the colleague gets one message listing them, and
    whose they were one saying where they went. Nobody who could not do every one is accepted, and then none
    moves."""
    from provision_cycle.models import AuditEvent, OutboxMessage
    from provision_cycle.services.tasks import pass_all_tasks_on, pass_task_on, passable_tasks, takers_of_all_tasks
    from tests.factories import create_user

    people = hub_people(db)
    colleague = create_user(db, ("contract_manager", "OCC", "cnc"), full_name="Nia Newcomer")
    admin = create_user(db, ("administrator", "OCC"), full_name="Ada Admin")
    first, second = seed_contracts(core, people, 2)
    tasks = [
        renewal_task(core, people, first, "Decide the first"),
        _task(core, people, second, "contract_review", "Review the second"),
    ]
    with db.reading() as session:
        passing = passable_tasks(core, session, people.contract_manager, core.engine.actor(session, admin))
        assert [task.id for task, _ in passing] == sorted(tasks, key=lambda t: session.get(Task, t).due_on)
        takers = [p.full_name for p in takers_of_all_tasks(core, session, passing)]
    assert takers == ["Hana Head", "Max Manager", "Nia Newcomer", "Olive Officer"]

    # With a council's own duty among them, which only its intelligence analysts could do, nobody could do
    # them all: refused, and none moves.
    analyst = create_user(db, ("intelligence_analyst", "OCC"), full_name="Zoe Analyst")
    with core.db.unit_of_work() as session:
        new = NewTask("pipeline_notice", "Publish the pipeline notice", core.engine.today(), people.contract_manager,
                      authority="OCC")  # fmt: skip
        duty = raise_task(core, session, new, actor_id=admin)
    with pytest.raises(InvalidInput, match="Choose someone who could do every one of these tasks"):
        pass_all_tasks_on(core, people.contract_manager, admin, assignee_id=colleague)
    with db.reading() as session:
        assert {session.get(Task, task).assignee_id for task in [*tasks, duty]} == {people.contract_manager}
    pass_task_on(core, duty, admin, assignee_id=analyst)

    passed = pass_all_tasks_on(core, people.contract_manager, admin, assignee_id=colleague, reason="Cora left")
    assert sorted(passed) == sorted(tasks)
    with db.reading() as session:
        assert {session.get(Task, task).assignee_id for task in tasks} == {colleague}
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "pass_task_on")).all()
        assert sorted((e.data["task_id"], e.data["from"], e.data["to"], e.comment) for e in events) == [
            (task, people.contract_manager, colleague, "Cora left") for task in sorted(tasks)
        ] + [(duty, people.contract_manager, analyst, "")]
        told = session.execute(
            select(OutboxMessage.recipient_id, OutboxMessage.subject, OutboxMessage.body)
            .where(OutboxMessage.kind == "tasks_raised", OutboxMessage.subject.like("Ada Admin passed %"))
            .order_by(OutboxMessage.id)
        ).all()
    assert [(who, subject) for who, subject, _ in told] == [
        (colleague, "Ada Admin passed 2 tasks to you"),
        (people.contract_manager, "Ada Admin passed 2 tasks of yours to Nia Newcomer"),
    ]
    assert told[0].body.startswith("Reason: Cora left\n- ") and "- Decide the first (due " in told[0].body
    with pytest.raises(InvalidInput, match="They have no open task that you can pass on"):
        pass_all_tasks_on(core, people.contract_manager, admin, assignee_id=colleague)


def test_proposing_the_renewal_decision_completes_its_renewal_tasks(core, db, clock):
    from tests.factories import act

    people = hub_people(db)
    ending, other = seed_contracts(core, people, 2)
    with db.reading() as session:
        case_id = session.get(Contract, ending).case_id
    earlier = renewal_task(core, people, ending, "Decide, 3 months ahead", due_on=clock.today - timedelta(days=30))
    latest = renewal_task(core, people, ending, "Decide, 1 month ahead")
    untouched = renewal_task(core, people, other, "Decide the other")
    review = _task(core, people, ending, "contract_review", "Review it")
    act(core.engine, case_id, "open_renewal_decision", people.contract_manager)
    with db.reading() as session:
        assert session.get(Task, latest).status == "open"  # opening the decision is not yet making it
    act(core.engine, case_id, "propose_exit", people.contract_manager)

    with db.reading() as session:
        done = [session.get(Task, task) for task in (earlier, latest)]
        assert {(t.status, t.outcome, t.completed_by_id) for t in done} == {
            ("done", "exit_proposed", people.contract_manager)
        }
        assert session.get(Task, untouched).status == session.get(Task, review).status == "open"
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.action == "propose_exit")
        ).one()
        assert event.data["tasks_closed"] == ["renewal_decision"]


def test_a_contract_that_ends_closes_the_tasks_of_running_it_but_not_the_notices_it_owes(core, db, clock):
    from provision_cycle.scheduling.config import schedule_for
    from provision_cycle.scheduling.sweeps import escalate_overdue_tasks, remind_deadlines
    from tests.factories import act, register_contract

    people = hub_people(db)
    today = clock.today
    # Let under the Act and above the threshold: its end owes a termination notice (PA23 s80).
    expiring = register_contract(core, people, value="500000", starts=date(2025, 7, 1), ends=today)
    terminated = register_contract(
        core, people, value="500000", starts=date(2025, 7, 1), ends=today + timedelta(days=200)
    )
    running = [
        renewal_task(core, people, expiring.id, "Decide", due_on=today - timedelta(days=20)),
        _task(core, people, expiring.id, "notice_date", "Give notice"),
        _task(core, people, expiring.id, "contract_review", "Review it"),
        renewal_task(core, people, terminated.id, "Decide the other", due_on=today - timedelta(days=20)),
    ]
    clock.advance(1)
    assert expire_contracts(core, clock.today).changed == 1
    act(core.engine, terminated.case_id, "terminate", people.contract_manager, reason="The service moved in-house",
        inputs={"terminated_on": clock.today.isoformat()})  # fmt: skip

    with db.reading() as session:
        closed = [session.get(Task, task) for task in running]
        assert {(t.status, t.outcome) for t in closed} == {("done", "contract_ended")}
        assert [t.completed_by_id for t in closed][-1] == people.contract_manager  # who ended it; the rest, the system
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(["expire", "terminate"])).order_by(AuditEvent.id)
        ).all()
        assert [e.data["tasks_closed"] for e in events] == [
            ["renewal_decision", "notice_date", "contract_review"],
            ["renewal_decision"],
        ]
    # Weeks later nothing of running them is left overdue to chase; the notice each end owes is a task of its
    # own, which its reminder raises a week before its day.
    clock.advance(24)
    assert escalate_overdue_tasks(core, schedule_for(core), clock.today).changed == 0
    remind_deadlines(core, schedule_for(core), clock.today)
    with db.reading() as session:
        still_open = session.scalars(select(Task.kind).where(Task.status == "open")).all()
    assert still_open == ["deadline:termination_notice"] * 2


def _task(core, people, contract_id: int, kind: str, title: str, due_on: date | None = None) -> int:
    """A task of ``kind`` on the contract for its manager, due today (or ``due_on``)."""
    with core.db.unit_of_work() as session:
        due_on = due_on or core.engine.today()
        new = NewTask(kind, title, due_on, people.contract_manager, contract_id=contract_id)
        return raise_task(core, session, new, actor_id=people.officer)


def test_a_variation_that_moves_the_end_date_closes_the_tasks_worked_out_from_the_old_one(core, db, clock):
    from tests.factories import approve_open_steps, propose_variation, register_contract

    people = hub_people(db)
    ends = clock.today + timedelta(days=120)
    contract = register_contract(core, people, value="50000", ends=ends, notice_period_days=90)
    dated = [
        renewal_task(core, people, contract.id, "Decide", due_on=clock.today),
        _task(core, people, contract.id, "notice_date", "Give notice"),
    ]
    review = _task(core, people, contract.id, "contract_review", "Review it")

    def vary(**change):
        inputs = {"variation_description": "More sites", "new_value": "52000", "new_end_date": ends.isoformat()}
        propose_variation(core.engine, contract.case_id, people.contract_manager, inputs | change)
        approve_open_steps(core.engine, db, people, contract.case_id)
        with db.reading() as session:
            return {(t.status, t.outcome) for t in map(session.get, [Task] * 3, [*dated, review])}

    assert vary() == {("open", "")}  # the value alone: the same days still count
    later = (ends + timedelta(days=182)).isoformat()
    with db.reading() as session:
        assert session.get(Contract, contract.id).end_date == ends
    assert vary(new_value="55000", new_end_date=later) == {("done", "end_date_moved"), ("open", "")}
    with db.reading() as session:
        assert [session.get(Task, task).status for task in dated] == ["done", "done"]
        assert session.get(Task, review).status == "open"  # its days run from the start date, which stands


def test_an_end_date_brought_forward_closes_the_reviews_that_would_fall_after_it(core, db, clock):
    """By a variation, or by correcting a loaded contract's end date: a review or yearly KPI assessment due on or
    after its new last day closes (none falls due once it has ended; the Act's last KPI assessment is the one on
    termination); one due before it stays."""
    from provision_cycle.services.contract_record import correct_contract
    from tests.factories import approve_open_steps, propose_variation, register_contract

    people = hub_people(db)
    today = clock.today

    def with_reviews(contract) -> list[int]:
        return [
            _task(core, people, contract.id, kind, "Due", due_on=today + timedelta(days=days))
            for kind, days in (("contract_review", 30), ("contract_review", 120), ("kpi_assessment", 120))
        ]

    def states(tasks) -> list[tuple[str, str]]:
        with db.reading() as session:
            return [(task.status, task.outcome) for task in map(session.get, [Task] * len(tasks), tasks)]

    ends = today + timedelta(days=400)
    varied = register_contract(core, people, value="50000", ends=ends)
    tasks = with_reviews(varied)
    shorter = {
        "variation_description": "Fewer sites",
        "new_value": "40000",
        "new_end_date": (today + timedelta(days=120)).isoformat(),
    }
    propose_variation(core.engine, varied.case_id, people.contract_manager, shorter)
    approve_open_steps(core.engine, db, people, varied.case_id)
    assert states(tasks) == [("open", ""), ("done", "past_its_end"), ("done", "past_its_end")]

    corrected = register_contract(core, people, value="50000", ends=ends)
    tasks = with_reviews(corrected)
    earlier = {"end_date": (today + timedelta(days=90)).isoformat()}
    correct_contract(core, corrected.id, people.officer, earlier, reason="Typed a year out")
    assert states(tasks) == [("open", ""), ("done", "past_its_end"), ("done", "past_its_end")]


def test_a_contract_review_escalated_goes_to_the_head_of_category_with_what_the_reviewer_wrote(core, db):
    from provision_cycle.errors import InvalidAction
    from provision_cycle.models import OutboxMessage, User
    from tests.factories import create_user

    people = hub_people(db)
    first, second = seed_contracts(core, people, 2)
    review = _task(core, people, first, "contract_review", "Contract review: CON-1")
    with pytest.raises(InvalidInput, match="Say what the Head of Category needs to know"):
        complete_task(core, review, people.contract_manager, outcome="escalated")
    complete_task(
        core, review, people.contract_manager, outcome="escalated", note="Deliveries late three months running"
    )

    def told(task_id):
        with db.reading() as session:
            rows = session.execute(
                select(
                    OutboxMessage.recipient_id, OutboxMessage.subject, OutboxMessage.body, OutboxMessage.payload
                ).where(
                    OutboxMessage.kind == "review_escalated",
                    OutboxMessage.payload["open"].as_string() == f"/tasks/{task_id}",
                )
            ).all()
            return [tuple(row) for row in rows], session.get(Task, task_id).outcome_data

    messages, data = told(review)
    assert messages == [
        (people.head, "Contract review escalated to you: Contract review: CON-1",
         "Cora Contracts reviewed the contract and escalated it to you: Deliveries late three months running",
         {"open": f"/tasks/{review}"}),
    ]  # fmt: skip
    assert data == {"escalated_to": [people.head], "escalated_role": "head_of_category"}
    with db.reading() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "complete_task")).one()
        assert event.data["escalated_to"] == [people.head] and event.comment == "Deliveries late three months running"

    # With nobody in the role, the council's administrators hear, told why; with none either, it is refused.
    with db.unit_of_work() as session:
        session.get(User, people.head).is_active = False
    again = _task(core, people, second, "contract_review", "Contract review: CON-2")
    with pytest.raises(InvalidAction, match="nor is there an administrator"):
        complete_task(core, again, people.contract_manager, outcome="escalated", note="Still late")
    admin = create_user(db, ("administrator", "OCC"), full_name="Ada Admin")
    complete_task(core, again, people.contract_manager, outcome="escalated", note="Still late")
    [(to, _, body, _)], data = told(again)
    assert to == admin and body.startswith("Nobody else is Head of Category for OCC, Corporate and Commercial, so")
    assert data == {"escalated_to": [admin], "escalated_role": "administrator"}


def test_a_contract_review_that_finds_improvement_needed_brings_the_contract_back_for_a_follow_up(core, db):
    """Three months on (``reviews: follow_up_months``), for whoever manages it, with what must improve; not
    where the next periodic review, or the contract's end, comes first."""
    from provision_cycle.governance.calendar import add_months
    from provision_cycle.models import OutboxMessage
    from tests.factories import register_contract

    people = hub_people(db)
    today = core.engine.today()
    yearly = register_contract(
        core, people, value="50000", starts=today - timedelta(days=30), ends=today + timedelta(days=700)
    )
    review = _task(core, people, yearly.id, "contract_review", "Contract review")
    with pytest.raises(InvalidInput, match="Say what needs to improve, for the follow-up review"):
        complete_task(core, review, people.officer, outcome="improvement_needed", note="  ")
    came = complete_task(core, review, people.officer, outcome="improvement_needed", note="Missed potholes")
    follow_up_on = add_months(today, 3)
    assert came == f"a follow-up review is due on {follow_up_on:%-d %B %Y}"
    with db.reading() as session:
        done = session.get(Task, review)
        follow_up = session.get(Task, done.outcome_data["follow_up_task_id"])
        assert done.outcome_data == {"follow_up_on": follow_up_on.isoformat(), "follow_up_task_id": follow_up.id}
        assert (follow_up.kind, follow_up.status, follow_up.due_on, follow_up.assignee_id) == (
            "contract_review",
            "open",
            follow_up_on,
            people.contract_manager,
        )
        assert follow_up.title == f"Follow-up contract review: {yearly.reference} Highways maintenance"
        assert follow_up.detail == f"Improvement was needed at the review due {today:%-d %B %Y}: Missed potholes"
        told = session.scalars(
            select(OutboxMessage.subject).where(OutboxMessage.recipient_id == people.contract_manager)
        ).all()
        assert follow_up.title in told  # and the officer covering for them is said to have completed it
        assert any(subject.startswith("Olive Officer completed your task") for subject in told)
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.case_id == yearly.case_id).order_by(AuditEvent.seq)
        ).all()
        assert actions[-2:] == ["raise_task", "complete_task"]  # in one unit of work with the outcome

    # Another of its reviews (one overdue from before, say) found wanting the same day: the same follow-up.
    with core.db.unit_of_work() as session:
        overdue = NewTask("contract_review", "Review", today - timedelta(days=20), people.contract_manager,
                          contract_id=yearly.id)  # fmt: skip
        earlier = raise_task(core, session, overdue, actor_id=people.officer)
    assert complete_task(core, earlier, people.contract_manager, outcome="improvement_needed", note="Still") == came
    with db.reading() as session:
        assert session.get(Task, earlier).outcome_data["follow_up_task_id"] == follow_up.id

    # Reviewed every three months (high risk), the next periodic review comes first; a contract ending within
    # three months has no review to come.
    quarterly = register_contract(core, people, value="50000", risk="high", starts=today - timedelta(days=30),
                                  ends=today + timedelta(days=700))  # fmt: skip
    ending = register_contract(
        core, people, value="50000", starts=today - timedelta(days=30), ends=today + timedelta(days=60)
    )
    next_one = add_months(quarterly.start_date, 3)
    for contract, said in (
        (quarterly, f"no follow-up review, as the next is due on {next_one:%-d %B %Y}"),
        (ending, f"no follow-up review, as the contract ends on {ending.end_date:%-d %B %Y}"),
    ):
        task = _task(core, people, contract.id, "contract_review", "Contract review")
        assert complete_task(core, task, people.contract_manager, outcome="improvement_needed", note="Slow") == said
        with db.reading() as session:
            assert (
                session.scalar(select(func.count()).where(Task.contract_id == contract.id, Task.status == "open")) == 0
            )


def test_improvement_still_needed_at_the_next_review_may_owe_a_contract_performance_notice(core, db, clock):
    """The supplier given the chance to improve has not: for a public contract under the Act, the reviewer is
    told that a contract performance notice may be owed (PA23 s71), which recording a supplier breach raises;
    a contract let under PCR 2015 owes none; and once a review found it satisfactory, the count starts again."""
    from tests.factories import register_contract

    people = hub_people(db)
    today = clock.today
    under_the_act = register_contract(core, people, value="900000", starts=today - timedelta(days=30),
                                      ends=today + timedelta(days=1000))  # fmt: skip
    under_pcr = register_contract(
        core, people, value="900000", starts=date(2024, 6, 1), ends=today + timedelta(days=1000)
    )
    told = "Improvement was needed at the review before too: if the supplier was given a proper opportunity"

    def review(task_id, outcome):
        clock.advance(days=91)  # the follow-up's day
        came = complete_task(core, task_id, people.contract_manager, outcome=outcome, note="Late")
        with db.reading() as session:
            return came, session.get(Task, task_id).outcome_data

    first = _task(core, people, under_the_act.id, "contract_review", "Review")
    came, data = review(first, "improvement_needed")
    assert told not in came and "improvement_needed_before" not in data
    came, data = review(data["follow_up_task_id"], "improvement_needed")
    assert told in came and (data["improvement_needed_before"], data["performance_notice_may_be_owed"]) == (True, True)
    review(data["follow_up_task_id"], "satisfactory")
    clock.advance(days=30)
    came, data = review(_task(core, people, under_the_act.id, "contract_review", "Review again"), "improvement_needed")
    assert told not in came and "improvement_needed_before" not in data

    _, data = review(_task(core, people, under_pcr.id, "contract_review", "Review"), "improvement_needed")
    came, data = review(data["follow_up_task_id"], "improvement_needed")
    assert told not in came and (data["improvement_needed_before"], data["performance_notice_may_be_owed"]) == (
        True,
        False,
    )


def test_a_contract_s_next_review_is_its_open_review_task_or_the_next_anniversary_while_it_runs(core, db):
    from sqlalchemy import update

    from provision_cycle.governance.calendar import add_months
    from provision_cycle.services.tasks import next_review
    from tests.factories import register_contract

    people = hub_people(db)
    today = core.engine.today()
    starts = today - timedelta(days=30)
    contract = register_contract(core, people, value="50000", starts=starts, ends=today + timedelta(days=700))

    def review(state: str = "live"):
        with db.unit_of_work() as session:
            session.execute(update(Case).where(Case.id == contract.case_id).values(state=state))
        with db.reading() as session:
            tasks = list(session.scalars(select(Task).where(Task.contract_id == contract.id)))
            found = next_review(core, contract, session.get(Case, contract.case_id), tasks)
            return found.every_months, found.due_on, found.follow_up, found.running

    assert review() == (12, add_months(starts, 12), False, True)
    assert review("expiring") == (12, add_months(starts, 12), False, True)  # reviewed till its end date
    assert review("expired") == (12, None, False, False)
    task = _task(core, people, contract.id, "contract_review", "Contract review")
    assert review() == (12, today, False, True)  # the one raised, till it is done
    complete_task(core, task, people.contract_manager, outcome="improvement_needed", note="Slow")
    assert review() == (12, add_months(today, 3), True, True)


def test_a_review_completed_on_the_contract_s_case_completes_its_review_task(core, db):
    from tests.factories import act

    people = hub_people(db)
    [contract_id] = seed_contracts(core, people, 1)
    review = _task(core, people, contract_id, "contract_review", "Contract review")
    with db.reading() as session:
        case_id = session.get(Contract, contract_id).case_id
    act(core.engine, case_id, "start_review", people.contract_manager)
    act(core.engine, case_id, "complete_review", people.contract_manager, inputs={"review_outcome": "On track"})
    with db.reading() as session:
        task = session.get(Task, review)
        assert (task.status, task.outcome, task.completed_by_id) == ("done", "reviewed", people.contract_manager)


@pytest.mark.parametrize("decision", ["reject", "return"])
def test_a_renewal_proposal_turned_down_or_sent_back_opens_its_renewal_tasks_again(core, db, decision):
    """Nothing else would remind the contract manager: no renewal task is raised while a decision is open."""
    from provision_cycle.models import ApprovalStep
    from tests.factories import act, approve_open_steps, declare

    people = hub_people(db)
    [contract_id] = seed_contracts(core, people, 1)
    today = core.engine.today()
    earlier = renewal_task(core, people, contract_id, "Decide the renewal", due_on=today - timedelta(days=40))
    with db.unit_of_work() as session:  # long overdue, and escalated as such
        session.get(Task, earlier).escalated_at = core.engine.clock() - timedelta(days=20)
        case_id = session.get(Contract, contract_id).case_id
    act(core.engine, case_id, "open_renewal_decision", people.contract_manager)
    act(core.engine, case_id, "propose_recommission", people.contract_manager)
    with db.reading() as session:
        role = session.scalar(select(ApprovalStep.role).where(ApprovalStep.case_id == case_id))
    approver = {"category_manager": people.manager, "head_of_category": people.head}[role]
    declare(core.engine, case_id, approver)
    act(core.engine, case_id, decision, approver, reason="Compare the costs of extending first")

    with db.reading() as session:
        task = session.get(Task, earlier)
        assert (task.status, task.outcome, task.completed_at, task.completed_by_id) == ("open", "", None, None)
        # As if raised again today: its week to be picked up before it is overdue, and escalated, once more.
        assert task.escalated_at is None
        assert not task.is_overdue(today + timedelta(days=6)) and task.is_overdue(today + timedelta(days=8))
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id.desc())
        ).first()
        assert (event.action, event.data["tasks_reopened"]) == (decision, [earlier])
    # Proposed again, and approved this time: done, and it stays done.
    act(core.engine, case_id, "propose_exit", people.contract_manager)
    approve_open_steps(core.engine, db, people, case_id)
    with db.reading() as session:
        assert (session.get(Task, earlier).status, session.get(Task, earlier).outcome) == ("done", "exit_proposed")
        assert session.get(Case, case_id).state == "expiring"


def test_the_expiry_sweep_closes_the_tasks_a_contract_that_ended_before_was_left_with(core, db, clock):
    """Left by a contract that ended before its end closed them (an earlier release), or raised as it ended."""
    from tests.factories import act, register_contract

    people = hub_people(db)
    ended = register_contract(core, people, value="50000", ends=clock.today + timedelta(days=200))
    act(core.engine, ended.case_id, "terminate", people.contract_manager, reason="Moved in-house",
        inputs={"terminated_on": clock.today.isoformat()})  # fmt: skip
    left = [renewal_task(core, people, ended.id, "Decide"), _task(core, people, ended.id, "notice_date", "Notice")]
    [running] = seed_contracts(core, people, 1)
    kept = renewal_task(core, people, running, "Decide the running one")

    assert expire_contracts(core, clock.today).changed == 2
    assert expire_contracts(core, clock.today).changed == 0
    with db.reading() as session:
        assert {(session.get(Task, t).status, session.get(Task, t).outcome) for t in left} == {
            ("done", "contract_ended")
        }
        assert session.get(Task, kept).status == "open"
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "close_tasks_of_ended_contracts")).one()
        assert event.data == {"closed": 2, "outcome": "contract_ended"}


def test_a_colleague_who_makes_the_renewal_decision_tells_whose_task_it_did(core, db):
    from provision_cycle.models import OutboxMessage
    from tests.factories import act

    people = hub_people(db)
    [contract_id] = seed_contracts(core, people, 1)
    renewal_task(core, people, contract_id, "Decide the renewal")
    with db.reading() as session:
        contract = session.get(Contract, contract_id)
    act(core.engine, contract.case_id, "open_renewal_decision", people.officer)  # the category team may
    act(core.engine, contract.case_id, "propose_recommission", people.officer)
    with db.reading() as session:
        told = session.execute(
            select(OutboxMessage.recipient_id, OutboxMessage.subject, OutboxMessage.body).where(
                OutboxMessage.kind == "task_covered"
            )
        ).all()
        case = session.get(Case, contract.case_id).reference
    assert [tuple(row) for row in told] == [
        (people.contract_manager, f"Olive Officer proposed the renewal decision your task asked for: {case}",
         "Re-commissioning proposed on the contract's case, for approval. The task is done; the proposal goes to "
         "its approvers."),
    ]  # fmt: skip


def test_whose_renewal_task_a_rejected_proposal_opens_again_hears_it(core, db):
    """A colleague proposed the renewal, and its approver turned it down: the decision's message reaches the
    proposer and the case's requester (the contract manager it was loaded for); whose task it is now, the
    manager it was handed to since, hears that it is open again."""
    from provision_cycle.models import ApprovalStep, OutboxMessage
    from provision_cycle.services.contract_managers import assign_contract_manager
    from tests.factories import act, create_user, declare

    people = hub_people(db)
    [contract_id] = seed_contracts(core, people, 1)
    task_id = renewal_task(core, people, contract_id, "Decide the renewal")
    newcomer = create_user(db, ("contract_manager", "OCC", "cnc"), full_name="Nia Newcomer")
    assign_contract_manager(core, contract_id, people.officer, manager_id=newcomer, reason="Cora has moved on")
    with db.reading() as session:
        case = session.get(Case, session.get(Contract, contract_id).case_id)
        assert session.get(Task, task_id).assignee_id == newcomer != case.requester_id
    act(core.engine, case.id, "open_renewal_decision", people.officer)
    act(core.engine, case.id, "propose_recommission", people.officer)
    with db.reading() as session:
        role = session.scalar(select(ApprovalStep.role).where(ApprovalStep.case_id == case.id))
    approver = {"category_manager": people.manager, "head_of_category": people.head}[role]
    declare(core.engine, case.id, approver)
    act(core.engine, case.id, "reject", approver, reason="Extend instead")

    with db.reading() as session:
        assert session.get(Task, task_id).status == "open"
        told = session.execute(
            select(OutboxMessage.recipient_id, OutboxMessage.subject, OutboxMessage.body)
            .where(OutboxMessage.kind == "task_covered")
            .order_by(OutboxMessage.id)
        ).all()
    assert [tuple(row) for row in told][-1] == (
        newcomer,
        f"Your renewal task is open again: {case.reference}",
        "The renewal proposed on the contract's case was turned down: the decision is still to be made.",
    )
    assert [row.recipient_id for row in told] == [newcomer] * 2  # done by a colleague, then open again
