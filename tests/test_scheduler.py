"""The scheduler's sweeps, with the clock under the test's control: renewal tasks at their lead times (once,
and once only after downtime), expiry through the engine, email over a real SMTP conversation."""

from __future__ import annotations

import gc
import re
import socket
import threading
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from provision_cycle.config_files import ConfigError
from provision_cycle.governance.calendar import add_months
from provision_cycle.models import AuditEvent, Case, CaseDeadline, Contract, OutboxMessage, Task, User
from provision_cycle.scheduling.config import load_schedule
from provision_cycle.scheduling.runner import run_once, start_up_set_aside
from provision_cycle.scheduling.sweeps import (
    Mailer,
    chase_approvals,
    deliver_notifications,
    end_periods,
    escalate_overdue_tasks,
    expire_contracts,
    raise_renewal_tasks,
    remind_deadlines,
)
from provision_cycle.services import reading

from .factories import act, create_user, declare, hub_people, new_request, register_contract


def _contract(
    core, people, *, value: str, ends: date, starts: date | None = None, risk: str = "medium", state: str = "live"
) -> int:
    return register_contract(core, people, value=value, ends=ends, starts=starts, risk=risk, state=state).id


def _tasks(db) -> list[tuple[int, date]]:
    with db.reading() as session:
        return [(t.contract_id, t.due_on) for t in session.scalars(select(Task).order_by(Task.due_on))]


def test_renewal_tasks_at_lead_times_once_each(core, db, clock, schedule):
    people = hub_people(db)
    today = clock.today
    big = _contract(core, people, value="2000000", ends=add_months(today, 10))  # leads 18/12/9/6/3
    small = _contract(core, people, value="50000", ends=today + timedelta(days=20))  # leads 6/3/1
    _contract(core, people, value="50000", ends=add_months(today, 30))  # not yet due
    # Its renewal decision opened on its case but nothing proposed yet: still to be decided, still reminded.
    opened = _contract(core, people, value="2000000", ends=add_months(today, 5), state="renewal_decision")
    _contract(core, people, value="2000000", ends=add_months(today, 5), state="recommissioning")  # decided

    assert raise_renewal_tasks(core, schedule, today).changed == 3
    assert _tasks(db) == sorted(
        [
            (big, add_months(add_months(today, 10), -12)),
            (small, add_months(today + timedelta(days=20), -1)),
            (opened, add_months(add_months(today, 5), -6)),
        ],
        key=lambda t: t[1],
    )
    assert raise_renewal_tasks(core, schedule, today).changed == 0  # a rerun raises nothing
    with db.reading() as session:
        task = session.scalars(select(Task).where(Task.contract_id == big)).one()
        assert task.assignee_id == people.contract_manager and task.title.startswith("Renewal decision: CON-")
        said = " before the end date: extend (where an extension option is left), re-commission or let it end"
        assert task.detail == "12 months" + said
        soon = session.scalars(select(Task).where(Task.contract_id == small)).one()
        assert soon.detail == "1 month" + said
        assert (
            session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "raise_renewal_tasks")
            )
            == 1
        )

    # Seven months of downtime: the contract now ends in 3 months. Only the latest lead time that came is
    # raised (the 3-month one); the 9- and 6-month ones that passed meanwhile are moot.
    later = add_months(today, 7)
    assert raise_renewal_tasks(core, schedule, later).changed == 1
    assert (big, add_months(add_months(today, 10), -3)) in _tasks(db)
    assert raise_renewal_tasks(core, schedule, later).changed == 0
    # It takes the place of the 12-month one, left open: one renewal task for the contract, the latest.
    with db.reading() as session:
        bigs = session.scalars(select(Task).where(Task.contract_id == big).order_by(Task.due_on)).all()
        assert [(t.status, t.outcome) for t in bigs] == [("done", "superseded"), ("open", "")]
        last = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "raise_renewal_tasks").order_by(AuditEvent.id)
        ).all()[-1]
        assert last.data == {"raised": 1, "on": later.isoformat(), "superseded": 1}


def _scheduler_process(url: str, day: date) -> int:
    """One scheduler process: its own core and connections, the real sweep, on the given day."""
    from datetime import UTC, datetime

    from provision_cycle.core import build_core
    from provision_cycle.scheduling.config import schedule_for
    from provision_cycle.settings import Settings

    core = build_core(Settings(database_url=url), clock=lambda: datetime(day.year, day.month, day.day, 6, tzinfo=UTC))
    try:
        return raise_renewal_tasks(core, schedule_for(core), day).changed
    finally:
        core.db.dispose()


@pytest.mark.postgres_only
def test_two_scheduler_processes_racing_raise_no_duplicates(core, db, clock, schedule):
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    people = hub_people(db)
    for n in range(40):
        _contract(core, people, value="50000", ends=clock.today + timedelta(days=10 + n))
    with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        counts = list(pool.map(_scheduler_process, [db.url, db.url], [clock.today, clock.today]))
    assert sum(counts) == 40 and len(_tasks(db)) == 40


def test_contracts_expire_through_the_engine_on_their_end_date(core, db, clock):
    people = hub_people(db)
    yesterday = clock.today - timedelta(days=1)
    # Procured under the Act (commenced after 24 February 2025) and above threshold: a public contract.
    ended = _contract(core, people, value="500000", starts=date(2025, 7, 1), ends=yesterday)
    small = _contract(core, people, value="50000", starts=date(2025, 7, 1), ends=yesterday)
    legacy = _contract(core, people, value="500000", starts=date(2023, 3, 1), ends=yesterday)  # under PCR 2015
    running = _contract(core, people, value="500000", starts=date(2025, 7, 1), ends=clock.today + timedelta(days=1))
    assert expire_contracts(core, clock.today).changed == 3
    assert expire_contracts(core, clock.today).changed == 0
    with db.reading() as session:
        case = session.get(Case, session.get(Contract, ended).case_id)
        assert case.state == "expired"
        deadline = session.scalars(select(CaseDeadline).where(CaseDeadline.case_id == case.id)).one()
        assert deadline.kind == "termination_notice" and deadline.due_on == yesterday + timedelta(days=29)
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "expire")
        ).one()
        assert event.comment == "Reached its end date"
        # PA23 s80 asks a termination notice of public contracts only: not of a below-threshold contract, nor
        # of one procured under the Public Contracts Regulations 2015. Each expiry says why.
        for contract_id, why in ((small, "not a public contract"), (legacy, "Public Contracts Regulations 2015")):
            other = session.get(Case, session.get(Contract, contract_id).case_id)
            assert other.state == "expired"
            assert session.scalars(select(CaseDeadline).where(CaseDeadline.case_id == other.id)).all() == []
            expiry = session.scalars(
                select(AuditEvent).where(AuditEvent.case_id == other.id, AuditEvent.action == "expire")
            ).one()
            assert why in expiry.data["termination_notice"]
        assert session.get(Case, session.get(Contract, running).case_id).state == "live"


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_email_is_delivered_over_smtp_and_retried_with_back_off(core, db, clock, schedule):
    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="18000")
    act(core.engine, case_id, "submit", people.requester)  # tells the category manager an approval is needed
    port = _free_port()
    mailer = Mailer("127.0.0.1", port, "Hub <hub@example.gov.uk>", base_url="https://hub.example.gov.uk")

    failed = deliver_notifications(core, schedule, mailer)  # nobody listening yet
    assert failed.changed == 0
    with db.reading() as session:
        message = session.scalars(select(OutboxMessage)).one()
        assert message.status == "pending" and message.attempts == 1 and "ConnectionRefusedError" in message.last_error
        assert message.next_attempt_at > clock() + timedelta(minutes=4)

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert deliver_notifications(core, schedule, mailer).changed == 0  # waiting for its retry time
        clock.advance(minutes=6)
        assert deliver_notifications(core, schedule, mailer).changed == 1
        assert deliver_notifications(core, schedule, mailer).changed == 0  # sent once
    finally:
        controller.stop()
    [envelope] = inbox.messages
    email = message_from_bytes(envelope.content, policy=default)
    text = email.get_content()
    [recipient] = envelope.rcpt_tos
    assert recipient.replace('"', "") == f"{_username(db, people.manager)}@example.gov.uk"
    assert email["Subject"].endswith("your approval is needed") and "needs your decision" in text
    assert f"https://hub.example.gov.uk/cases/{case_id}" in text and "https://hub.example.gov.uk/act/" in text
    with db.reading() as session:
        assert session.scalars(select(OutboxMessage)).one().status == "sent"


def test_delivery_gives_up_after_max_attempts(core, db, clock, schedule):
    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="18000")
    act(core.engine, case_id, "submit", people.requester)
    mailer = Mailer("127.0.0.1", _free_port(), "hub@example.gov.uk")
    for _ in range(schedule.max_attempts):
        deliver_notifications(core, schedule, mailer)
        clock.advance(days=3)
    with db.reading() as session:
        message = session.scalars(select(OutboxMessage)).one()
        assert message.status == "failed" and message.attempts == schedule.max_attempts


@contextmanager
def _smtp_sink():
    """A local SMTP server taking the test's emails: its inbox and its port."""
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _delivered(core, schedule) -> list[tuple[list[str], EmailMessage]]:
    """The outbox delivered to a local SMTP server: each email's recipients and the email."""
    with _smtp_sink() as (inbox, port):
        deliver_notifications(core, schedule, Mailer("127.0.0.1", port, "hub@example.gov.uk", base_url="http://x"))
    return [(e.rcpt_tos, message_from_bytes(e.content, policy=default)) for e in inbox.messages]


def _username(db, user_id):
    from provision_cycle.models import User

    with db.reading() as session:
        return session.get(User, user_id).username


def test_a_bad_schedule_file_names_file_and_item(tmp_path: Path):
    (tmp_path / "schedule.yaml").write_text(
        "sweeps:\n  raise_renewal_tasks: {every_minutes: 0}\n  tidy_up: {every_minutes: 5}\n"
        "renewal_lead_times:\n  - {value_over: 100, months_before: [3, banana]}\n"
        "kpi_assessment: {value_over: 1000000, every_months: 18}\n"
        "market_applications: {remind_after_working_days: 0, remind_every: 5}\n"
        "participation_closed: {invite_within_working_days: soon}\n"
        "overdue_council_duties_escalate_to: chief_wizard\n"
        "reviews: {follow_up_months: 0, rules: [{every_months: 12}]}\n"
    )
    with pytest.raises(ConfigError) as error:
        load_schedule(tmp_path, {"cnc"}, roles={"head_of_category", "monitoring_officer"})
    problems = "\n".join(error.value.problems)
    assert "sweeps.raise_renewal_tasks.every_minutes: must be at least 1" in problems
    assert "sweeps.tidy_up: unknown sweep" in problems
    assert "renewal_lead_times[0].months_before: expected a list of whole months" in problems
    assert "must end with a row for every pillar with value_over: 0" in problems
    assert "kpi_assessment.value_over: the Act says which contracts have their KPIs assessed" in problems
    assert "kpi_assessment.every_months: must be at most 12 (PA23 s71" in problems
    assert "market_applications.remind_after_working_days: must be at least 1" in problems
    assert "market_applications: unknown key 'remind_every'" in problems
    assert "participation_closed.invite_within_working_days: expected a whole number" in problems
    assert "overdue_council_duties_escalate_to: unknown role 'chief_wizard'" in problems
    assert "reviews.follow_up_months: must be at least 1, found 0" in problems


def test_the_sweep_is_incremental_but_sees_contracts_added_since(core, db, clock, schedule):
    people = hub_people(db)
    today = clock.today
    raise_renewal_tasks(core, schedule, today)  # the first run: nothing yet
    late = _contract(core, people, value="50000", ends=today + timedelta(days=15))  # imported after that run
    assert raise_renewal_tasks(core, schedule, today).changed == 1
    assert [c for c, _ in _tasks(db)] == [late]
    assert raise_renewal_tasks(core, schedule, today, full=True).changed == 0


def _outbox(db, kind):
    with db.reading() as session:
        return [
            (m.recipient_id, m.subject)
            for m in session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind))
        ]


def test_approvals_are_chased_after_working_days_then_escalated_once(core, db, clock, schedule):
    people = hub_people(db)  # Monday 2 March 2026
    case_id = new_request(core.engine, people.requester, value="18000")
    act(core.engine, case_id, "submit", people.requester)
    clock.set(date(2026, 3, 4))  # 2 working days: nothing yet
    assert chase_approvals(core, schedule, clock.today).changed == 0
    clock.set(date(2026, 3, 5))  # 3 working days: a reminder to the category manager
    assert chase_approvals(core, schedule, clock.today).changed == 1
    assert chase_approvals(core, schedule, clock.today).changed == 0
    assert [r for r, _ in _outbox(db, "approval_chase")] == [people.manager]
    clock.set(date(2026, 3, 9))  # Monday: 5 working days (the weekend does not count): to the Head of Category
    assert chase_approvals(core, schedule, clock.today).changed == 1
    assert [r for r, _ in _outbox(db, "approval_chase")] == [people.manager, people.head]
    clock.set(date(2026, 3, 20))
    assert chase_approvals(core, schedule, clock.today).changed == 0  # escalated once only


def test_a_step_back_with_its_approver_after_a_question_is_chased_from_the_answer(core, db, clock, schedule):
    """The approver asked the requester a question the day the request came; the answer came a fortnight
    later. The step's wait for its approver counts from the answer, not from when the step opened: no
    escalation to the Head of Category the day it comes back."""
    people = hub_people(db)  # Monday 2 March 2026
    case_id = new_request(core.engine, people.requester, value="18000")
    act(core.engine, case_id, "submit", people.requester)
    declare(core.engine, case_id, people.manager)
    act(core.engine, case_id, "request_info", people.manager, reason="Which budget pays for it?")
    clock.set(date(2026, 3, 9))  # waiting on the requester: never chased
    assert chase_approvals(core, schedule, clock.today).changed == 0
    clock.set(date(2026, 3, 16))
    act(core.engine, case_id, "provide_info", people.requester, reason="Office supplies budget CS-330")
    assert chase_approvals(core, schedule, clock.today).changed == 0
    # and the approver's queue says it has waited on them since the answer
    assert _waiting_for(core, db, people.manager) == [(case_id, 0, None)]
    # 3 working days since the answer (17 March is St Patrick's Day, a Northern Irish bank holiday): a reminder,
    # not an escalation.
    clock.set(date(2026, 3, 20))
    assert chase_approvals(core, schedule, clock.today).changed == 1
    assert [r for r, _ in _outbox(db, "approval_chase")] == [people.manager]
    clock.set(date(2026, 3, 24))  # 5 working days since the answer: the Head of Category
    assert chase_approvals(core, schedule, clock.today).changed == 1
    assert [r for r, _ in _outbox(db, "approval_chase")] == [people.manager, people.head]


def test_a_committee_s_reminder_goes_to_the_members_who_have_not_decided(core, db, clock, schedule):
    """The Commissioning Board (2 of its directors): one has approved, and the step waits for the others."""
    from .factories import approve_gate, commissioning_at_its_gate, declare

    people = hub_people(db)  # Monday 2 March 2026
    third = create_user(db, ("director", "OCC"))
    case_id = commissioning_at_its_gate(core.engine, people.requester)
    approve_gate(core.engine, case_id, [people.head])
    declare(core.engine, case_id, people.director)
    act(core.engine, case_id, "approve", people.director)
    clock.set(date(2026, 3, 5))  # 3 working days
    assert chase_approvals(core, schedule, clock.today).changed == 1
    assert sorted(r for r, _ in _outbox(db, "approval_chase")) == sorted([people.director2, third])


def test_a_reminder_reaches_whoever_covers_for_an_approver_away(core, db, clock, schedule):
    """Told the step opened, the delegate is reminded of it too, saying whom they cover for; not someone who
    covers for an approver but could not decide this step (a category manager, for a head of category's)."""
    people = hub_people(db)  # Monday 2 March 2026
    cover = create_user(db, ("director", "OCC"), full_name="Dee Director")
    both = create_user(db, ("head_of_category", "OCC", "cnc"), ("category_manager", "OCC", "cnc"))
    manager = create_user(db, ("category_manager", "OCC", "cnc"), full_name="Mo Manager")
    core.engine.delegate(people.head, cover, clock.today, date(2026, 3, 13))
    core.engine.delegate(both, manager, clock.today, date(2026, 3, 13))
    case_id = new_request(core.engine, people.requester, value="250000")
    act(core.engine, case_id, "submit", people.requester)
    clock.set(date(2026, 3, 5))  # 3 working days
    assert chase_approvals(core, schedule, clock.today).changed == 1
    chased = _chased(db)
    assert set(chased) == {people.head, both, cover}
    assert chased[cover].startswith("You cover for Hana Head while they are away. 'Case management system' has")


def test_whoever_put_a_proposal_forward_is_not_reminded_to_decide_it(core, db, clock, schedule):
    """A category manager who proposed a contract's variation may not approve it (segregation of duties), so
    the step's reminder goes to the pillar's other category manager only, as its first notice did."""
    from .factories import propose_variation

    people = hub_people(db)  # Monday 2 March 2026
    proposer = create_user(db, ("category_manager", "OCC", "cnc"), full_name="Pat Proposer")
    contract = register_contract(core, people, value="25000", ends=date(2028, 3, 31))
    propose_variation(core.engine, contract.case_id, proposer,
                      {"variation_description": "Two more sites", "new_value": "26000", "new_end_date": "2028-03-31"})  # fmt: skip
    clock.set(date(2026, 3, 5))  # 3 working days
    assert chase_approvals(core, schedule, clock.today).changed == 1
    assert [r for r, _ in _outbox(db, "approval_needed")] == [people.manager]
    assert [r for r, _ in _outbox(db, "approval_chase")] == [people.manager]


def test_an_approval_nobody_may_decide_is_escalated_saying_why_and_to_an_administrator_if_need_be(
    core, db, clock, schedule
):
    """The pillar's only Category Manager raised a request their role approves: its Head of Category hears why
    after 5 working days. A request in a pillar with nobody in it, neither approver nor Head of Category,
    waits for a council administrator to hear of it, and then they do, told why it comes to them."""
    people = hub_people(db)  # Monday 2 March 2026
    own = new_request(core.engine, people.manager, value="18000", title="Own request")
    act(core.engine, own, "submit", people.manager)
    orphan = new_request(core.engine, people.requester, value="18000", category="adult_social_care", title="Orphan")
    act(core.engine, orphan, "submit", people.requester)
    clock.set(date(2026, 3, 9))  # 5 working days
    assert chase_approvals(core, schedule, clock.today).changed == 1  # the orphan has nobody to go to yet
    [(head, said)] = _chased(db).items()
    assert head == people.head and said.endswith(
        "Please chase or reassign it. Nobody else holds the role of Category Manager for OCC, Corporate and "
        "Commercial to decide this step: who requested the case, or put forward what it decides, may not "
        "(segregation of duties). An administrator can give the role to someone else."
    )
    admin = create_user(db, ("administrator", "OCC"))
    assert chase_approvals(core, schedule, clock.today).changed == 1
    assert _chased(db)[admin].startswith(
        "Nobody else holds Head of Category for OCC, Health, Education and Social Care, so this comes to you as an "
        "administrator. 'Orphan' has waited "
    )
    assert _chased(db)[admin].endswith("Nobody holds the role of Category Manager for OCC, Health, Education and "
                                       "Social Care to decide this step. An administrator can give someone the role.")  # fmt: skip


def test_a_committee_s_reminder_skips_the_delegate_of_a_member_who_has_decided(core, db, clock, schedule):
    from .factories import approve_gate, commissioning_at_its_gate

    people = hub_people(db)  # Monday 2 March 2026
    case_id = commissioning_at_its_gate(core.engine, people.requester)
    approve_gate(core.engine, case_id, [people.head])
    declare(core.engine, case_id, people.director)
    act(core.engine, case_id, "approve", people.director)
    stand_in = create_user(db, ("monitoring_officer", "OCC"), full_name="Stan Standin")  # for the one who decided
    mona = create_user(db, ("monitoring_officer", "OCC"), full_name="Mona Monitoring")
    core.engine.delegate(people.director, stand_in, clock.today, date(2026, 3, 27))
    core.engine.delegate(people.director2, mona, clock.today, date(2026, 3, 27))
    clock.set(date(2026, 3, 5))  # 3 working days
    assert chase_approvals(core, schedule, clock.today).changed == 1
    assert set(_chased(db)) == {people.director2, mona}


def _chased(db) -> dict[int, str]:
    with db.reading() as session:
        found = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "approval_chase"))
        return {message.recipient_id: message.body for message in found}


def _waiting_for(core, db, person) -> list[tuple[int, int, date | None]]:
    """The person's approvals queue: each case, how many days it has waited on them, and the day it can be
    taken where that is still to come."""
    with db.reading() as session:
        waiting = reading.approvals_waiting(core, session, core.engine.actor(session, person))
    return [(w.case.id, w.waited_days, w.decidable_from) for w in waiting]


def _overview_of(core, db, person):
    from provision_cycle.services.overview import pipeline_overview

    with db.reading() as session:
        return pipeline_overview(core, session, core.engine.actor(session, person), core.engine.today())


def test_a_key_decision_is_not_chased_before_it_can_be_taken(core, db, clock, schedule):
    from .factories import key_decision_on_the_forward_plan

    people = hub_people(db)  # Monday 2 March 2026
    case_id = key_decision_on_the_forward_plan(core.engine, people)  # on the plan today: the executive's turn
    clock.set(date(2026, 3, 30))  # four weeks on: the decision cannot be taken before 31 March
    assert chase_approvals(core, schedule, clock.today).changed == 0
    # The executive's queue (and the overview) count as the chase does: it has not waited on them yet.
    assert _waiting_for(core, db, people.executive) == [(case_id, 0, date(2026, 3, 31))]
    assert _overview_of(core, db, people.head).oldest_approval is None
    clock.set(date(2026, 4, 7))  # 3 working days from 31 March (Easter between): the executive is reminded
    assert chase_approvals(core, schedule, clock.today).changed == 1
    assert [r for r, _ in _outbox(db, "approval_chase")] == [people.executive]
    assert _waiting_for(core, db, people.executive) == [(case_id, 7, None)]
    assert _overview_of(core, db, people.head).oldest_approval == date(2026, 3, 31)

    # The reminder carries a fresh action link: the approval email's expired a month ago.
    with db.unit_of_work() as session:  # only the reminder is to be sent in this test's inbox
        for message in session.scalars(select(OutboxMessage).where(OutboxMessage.kind != "approval_chase")):
            message.status = "sent"
    [(_, email)] = _delivered(core, schedule)
    body = email.get_content()
    assert "waiting for your approval" in email["Subject"]
    assert re.search(r"Approve it \(you will be asked to confirm\): http://x/act/\S+", body)


def test_a_key_decision_s_approval_email_says_from_when_it_can_be_taken(core, db, clock, schedule):
    from .factories import key_decision_on_the_forward_plan

    people = hub_people(db)  # Monday 2 March 2026
    key_decision_on_the_forward_plan(core.engine, people)
    executive = f'"{_username(db, people.executive)}"@example.gov.uk'  # the factory's usernames have spaces
    [email] = [email for to, email in _delivered(core, schedule) if to == [executive]]
    body = " ".join(email.get_content().split())
    assert "It is a key decision: it can be taken from 31 March 2026, when the clear days of its notice have run," \
        " and the link works from then, once, for you only, for 7 days." in body  # fmt: skip


def test_chasing_stops_once_the_step_is_decided(core, db, clock, schedule):
    from .factories import approve_gate

    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="18000")
    act(core.engine, case_id, "submit", people.requester)
    approve_gate(core.engine, case_id, [people.manager])
    clock.set(date(2026, 3, 20))
    assert chase_approvals(core, schedule, clock.today).changed == 0


def test_overdue_tasks_go_to_the_head_of_category_once_unless_snoozed_and_again_after_a_snooze(
    core, db, clock, schedule
):
    from provision_cycle.services.tasks import NewTask, raise_task, snooze_task

    people = hub_people(db)
    overdue = _contract(core, people, value="50000", ends=clock.today + timedelta(days=60))
    snoozed = _contract(core, people, value="50000", ends=clock.today + timedelta(days=61))
    with core.db.unit_of_work() as session:
        first = raise_task(
            core,
            session,
            NewTask("renewal_decision", "Decide A", clock.today, people.contract_manager, contract_id=overdue),
            actor_id=people.officer,
        )
        second = raise_task(
            core,
            session,
            NewTask("renewal_decision", "Decide B", clock.today, people.contract_manager, contract_id=snoozed),
            actor_id=people.officer,
        )
    snooze_task(
        core, second, people.contract_manager, until=clock.today + timedelta(days=10), reason="Waiting for the budget"
    )
    clock.advance(days=2)
    assert escalate_overdue_tasks(core, schedule, clock.today).changed == 0  # a week's grace after raising
    clock.advance(days=6)
    assert escalate_overdue_tasks(core, schedule, clock.today).changed == 1
    assert escalate_overdue_tasks(core, schedule, clock.today).changed == 0
    assert _outbox(db, "task_overdue") == [(people.head, "Overdue: Decide A")]
    with db.reading() as session:
        assert session.get(Task, first).escalated_at is not None and session.get(Task, second).escalated_at is None
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "escalate_overdue_tasks"))
    assert (event.stream, event.data) == ("system", {"escalated": 1, "to": {"head_of_category": 1}})

    # Each comes back when its snooze ends; still untouched, it is escalated then, A for the second time.
    snooze_task(core, first, people.contract_manager, until=clock.today + timedelta(days=5), reason="Quote due")
    with db.reading() as session:
        assert session.get(Task, first).escalated_at is None
        snoozes = select(AuditEvent).where(AuditEvent.action == "snooze_task").order_by(AuditEvent.id.desc())
        snoozed_event = session.scalars(snoozes).first()
    assert (snoozed_event.data["escalated_before"]["role"], snoozed_event.data["escalated_before"]["to"]) == (
        "head_of_category", [people.head],
    )  # fmt: skip
    clock.advance(days=5)  # A's snooze runs to today; B's ended two days ago
    assert escalate_overdue_tasks(core, schedule, clock.today).changed == 1
    clock.advance(days=1)
    assert escalate_overdue_tasks(core, schedule, clock.today).changed == 1
    assert escalate_overdue_tasks(core, schedule, clock.today).changed == 0
    with db.reading() as session:
        assert session.get(Task, first).escalated_at is not None and session.get(Task, second).escalated_at is not None


def test_administrators_see_what_could_not_be_delivered(core, db, clock, schedule, app):
    from tests.web.conftest import Browser

    from .factories import create_user

    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="18000")
    act(core.engine, case_id, "submit", people.requester)
    deliver_notifications(core, schedule, Mailer("127.0.0.1", _free_port(), "hub@example.gov.uk"))
    admin = create_user(db, ("administrator", "OCC"), full_name="Ada Admin")
    page = Browser(app, db).sign_in(admin).get("/admin/deliveries").text
    assert "your approval is needed" in page and "ConnectionRefusedError" in page and "Retrying" in page
    # Cherwell's administrator sees Cherwell's undelivered mail, not the subjects of Oxfordshire's cases.
    cherwell = create_user(db, ("administrator", "CDC"), full_name="Carl Cherwell")
    page = Browser(app, db).sign_in(cherwell).get("/admin/deliveries").text
    assert "your approval is needed" not in page and "ConnectionRefusedError" not in page


def test_statutory_deadlines_become_tasks_in_time_and_close_when_met(core, db, clock, schedule):
    from .factories import award_open_procedure

    engine, p = core.engine, hub_people(db)
    case_id = award_open_procedure(engine, clock, p)

    clock.set(date(2026, 4, 9))  # standstill ends 17 April: inside the 7-day warning period from 10 April
    assert remind_deadlines(core, schedule, clock.today).changed == 0
    clock.set(date(2026, 4, 10))
    assert remind_deadlines(core, schedule, clock.today).changed == 1
    assert remind_deadlines(core, schedule, clock.today).changed == 0
    with db.reading() as session:
        task = session.scalars(select(Task).where(Task.kind == "deadline:standstill_end")).one()
        assert task.assignee_id == p.officer and task.due_on == date(2026, 4, 17) and "PA23 s51" in task.detail

    clock.set(date(2026, 4, 20))
    act(engine, case_id, "end_standstill", p.officer)
    act(
        engine,
        case_id,
        "sign_contract",
        p.officer,
        inputs={"signed_on": "2026-04-20", "start_date": "2026-05-01", "end_date": "2029-04-30"},
    )
    # Standstill over, its reminder is closed (left open, it would fall overdue and be escalated); the
    # contract details notice is due 19 May: not raised yet.
    assert remind_deadlines(core, schedule, clock.today).changed == 1
    with db.reading() as session:
        assert (session.get(Task, task.id).status, session.get(Task, task.id).outcome) == ("done", "met")
    clock.set(date(2026, 5, 13))
    assert remind_deadlines(core, schedule, clock.today).changed == 1
    act(engine, case_id, "publish_contract_details", p.officer, inputs={"contract_details_published_on": "2026-05-13"})
    assert remind_deadlines(core, schedule, clock.today).changed == 1  # the met deadline's task is closed
    with db.reading() as session:
        task = session.scalars(select(Task).where(Task.kind == "deadline:contract_details_notice")).one()
        assert task.status == "done" and task.outcome == "met"


def test_a_dates_reminder_closes_with_its_case_but_a_notice_duty_does_not(core, db, clock, schedule):
    from .factories import award_open_procedure

    engine, p = core.engine, hub_people(db)
    case_id = award_open_procedure(engine, clock, p)  # its tender notice went out: abandoning it owes a UK12
    clock.set(date(2026, 4, 10))
    remind_deadlines(core, schedule, clock.today)  # the standstill's end, 17 April
    act(engine, case_id, "terminate_procurement", p.officer, reason="The need has gone")
    assert remind_deadlines(core, schedule, clock.today).changed == 2  # UK12's task raised, the reminder closed
    with db.reading() as session:
        tasks = {t.kind: (t.status, t.outcome) for t in session.scalars(select(Task).where(Task.case_id == case_id))}
    assert tasks == {
        "deadline:standstill_end": ("done", "case_closed"),
        "deadline:procurement_termination_notice": ("open", ""),
    }


def test_reviews_by_risk_and_value_and_kpi_assessments_for_big_contracts(core, db, clock, schedule):
    from provision_cycle.scheduling.sweeps import raise_reviews

    people = hub_people(db)
    risky = _contract(core, people, value="80000", starts=date(2025, 12, 1), ends=date(2028, 11, 30), risk="high")
    big = _contract(core, people, value="6000000", starts=date(2025, 6, 10), ends=date(2030, 6, 9), risk="low")
    plain = _contract(core, people, value="20000", starts=date(2025, 4, 1), ends=date(2027, 3, 31), risk="low")

    def due() -> set[tuple[int, str, date]]:
        with db.reading() as session:
            return {(t.contract_id, t.kind, t.due_on) for t in session.scalars(select(Task))}

    # 2 March 2026, first run: what falls due in the next 14 days. High risk and over 1m: quarterly from the
    # start; the rest yearly. (The big one was let under PCR 2015, so it owes no yearly KPI assessment: see
    # test_kpi_assessments_are_raised_for_the_contracts_the_act_asks_them_of.)
    assert raise_reviews(core, schedule, clock.today).changed == 1
    assert due() == {(big, "contract_review", date(2026, 3, 10))}
    with db.reading() as session:
        assert session.scalar(select(Task.detail)) == "Every 3 months; due 10 March 2026"
    clock.set(date(2026, 5, 28))  # the scheduler was down for a while: what came due meanwhile, once
    assert raise_reviews(core, schedule, clock.today).changed == 3
    assert raise_reviews(core, schedule, clock.today).changed == 0
    assert due() - {(big, "contract_review", date(2026, 3, 10))} == {
        (plain, "contract_review", date(2026, 4, 1)),  # came and went while it was down: still raised, late
        (big, "contract_review", date(2026, 6, 10)),
        (risky, "contract_review", date(2026, 6, 1)),
    }

    # A contract imported the next day whose review falls within the lead time already swept: still raised.
    clock.set(date(2026, 5, 29))
    late = _contract(core, people, value="30000", starts=date(2024, 6, 5), ends=date(2028, 6, 4))
    before = due()
    assert raise_reviews(core, schedule, clock.today).changed == 1
    assert due() - before == {(late, "contract_review", date(2026, 6, 5))}

    # Down for nine months: one task per contract, for its latest occurrence, not one for each one missed.
    clock.set(date(2027, 3, 1))
    before = due()
    assert raise_reviews(core, schedule, clock.today).changed == 2
    assert due() - before == {
        (risky, "contract_review", date(2027, 3, 1)),  # not 1 September or 1 December as well
        (big, "contract_review", date(2027, 3, 10)),
    }


@pytest.mark.parametrize("state", ["renewal_gate", "expiring", "recommissioning", "expired"])
def test_a_contract_is_reviewed_and_its_kpis_assessed_for_as_long_as_it_runs(core, db, clock, schedule, state):
    """Whatever is being, or has been, decided about its renewal: a contract left to end, or re-commissioned,
    is still performed until its end date, and the Act asks for its KPI assessment every 12 months of that
    (PA23 s71(2)). Once it has ended, nothing."""
    from provision_cycle.scheduling.sweeps import raise_reviews

    people = hub_people(db)
    starts, ends = date(2025, 9, 10), date(2027, 9, 9)  # under the Act; reviewed (and assessed) each 10 September
    contract = register_contract(core, people, value="6000000", starts=starts, ends=ends)
    with db.unit_of_work() as session:  # as its renewal decision left it (a gate is no state to load it in)
        session.get(Case, contract.case_id).state = state
    clock.set(date(2026, 9, 1))
    raise_reviews(core, schedule, clock.today)  # the next 14 days
    with db.reading() as session:
        raised = {(t.contract_id, t.kind, t.due_on) for t in session.scalars(select(Task))}
    running = {(contract.id, kind, date(2026, 9, 10)) for kind in ("contract_review", "kpi_assessment")}
    assert raised == (set() if state == "expired" else running)


def test_no_review_falls_on_or_after_a_contract_s_last_day(core, db, clock, schedule):
    """A quarterly review due the day after a contract ends (or on its last day) is moot: not raised."""
    from provision_cycle.scheduling.sweeps import raise_reviews

    people = hub_people(db)
    starts = date(2025, 12, 10)  # high risk: reviewed every three months, next on 10 March 2026

    def contract(ends: date) -> int:
        return _contract(core, people, value="80000", starts=starts, ends=ends, risk="high")

    running_on = contract(date(2026, 3, 11))
    contract(date(2026, 3, 10))  # its last day is the review's
    contract(date(2026, 3, 9))  # it ends the day before
    assert raise_reviews(core, schedule, clock.today).changed == 1  # 2 March: the next 14 days
    with db.reading() as session:
        assert set(session.scalars(select(Task.contract_id))) == {running_on}


def test_kpi_assessments_are_raised_for_the_contracts_the_act_asks_them_of(core, db, clock, schedule):
    """PA23 s52 and s71: public contracts under the Act worth over 5,000,000 with VAT, light-touch ones apart;
    not contracts let under PCR 2015, however big."""
    from provision_cycle.scheduling.sweeps import raise_reviews

    people = hub_people(db)
    starts, ends = date(2025, 7, 10), date(2029, 7, 9)  # procured under the Act (the register reckons)

    def contract(value: str, **fields) -> int:
        return register_contract(core, people, value=value, starts=starts, ends=ends, **fields).id

    with_vat = contract("4500000")  # 5,400,000 with VAT
    exempt_from_vat = contract("4500000")
    with db.unit_of_work() as session:  # a register import takes standard-rated VAT: as if edited since
        session.get(Contract, exempt_from_vat).vat_treatment = "exempt"  # 4,500,000: not over 5,000,000
    light_touch = contract("9000000", contract_type="light_touch")
    pcr = register_contract(core, people, value="9000000", starts=date(2024, 7, 10), ends=date(2028, 7, 9)).id
    clock.set(date(2026, 7, 1))
    raise_reviews(core, schedule, clock.today)  # anniversaries in the next 14 days: 10 July
    with db.reading() as session:
        assessed = set(session.scalars(select(Task.contract_id).where(Task.kind == "kpi_assessment")))
        reviewed = set(session.scalars(select(Task.contract_id).where(Task.kind == "contract_review")))
    assert assessed == {with_vat}
    assert reviewed == {with_vat, exempt_from_vat, light_touch, pcr}  # each still gets its contract review


@pytest.mark.parametrize("by_id", [True, False], ids=["a few, by id", "a bulk import, by start date"])
def test_contracts_added_since_the_last_run_get_reviews_the_last_run_looked_past(
    core, db, clock, schedule, monkeypatch, by_id
):
    from provision_cycle.scheduling import sweeps

    if not by_id:
        monkeypatch.setattr(sweeps, "ADDED_BY_ID", 0)
    people = hub_people(db)
    assert sweeps.raise_reviews(core, schedule, clock.today).changed == 0  # 2 March 2026: it looked to 16 March
    clock.set(date(2026, 3, 3))
    added = _contract(core, people, value="30000", starts=date(2024, 3, 10), ends=date(2028, 3, 9))
    assert sweeps.raise_reviews(core, schedule, clock.today).changed == 1
    assert _tasks(db) == [(added, date(2026, 3, 10))]


def test_a_corrected_start_date_moves_the_open_reviews_it_dated(core, db, clock, schedule):
    """A loaded contract's start date typed wrong and corrected: its open periodic reviews and KPI assessment
    stand for the same anniversaries of the new start (owed still, overdue if that has passed, escalated
    afresh), a follow-up review stays where the review that asked for it put it, and one whose anniversary now
    falls on or after the contract's last day closes. A value corrected to 5,000,000 or under owes no more
    KPI assessments (PA23 s52)."""
    from provision_cycle.scheduling.sweeps import raise_reviews
    from provision_cycle.services.contract_record import correct_contract, corrections_said
    from provision_cycle.services.tasks import complete_task

    people = hub_people(db)
    big = _contract(core, people, value="6000000", starts=date(2025, 7, 10), ends=date(2029, 7, 9))  # under the Act
    ending = _contract(core, people, value="80000", starts=date(2025, 4, 10), ends=date(2026, 7, 15), risk="high")
    yearly = _contract(core, people, value="30000", starts=date(2024, 7, 10), ends=date(2028, 7, 9), risk="low")
    clock.set(date(2026, 7, 1))
    assert raise_reviews(core, schedule, clock.today).changed == 4  # each due on 10 July

    def open_tasks(contract: int) -> set[tuple[str, date]]:
        with db.reading() as session:
            found = select(Task).where(Task.contract_id == contract, Task.status == "open")
            return {(t.kind, t.due_on) for t in session.scalars(found)}

    clock.set(date(2026, 7, 10))
    with db.reading() as session:
        review = session.scalar(select(Task.id).where(Task.contract_id == yearly))
    complete_task(core, review, people.contract_manager, outcome="improvement_needed", note="Missed two visits")
    assert open_tasks(yearly) == {("contract_review", date(2026, 10, 10))}  # its follow-up, on the start's day
    with db.unit_of_work() as session:  # its KPI assessment went overdue and was escalated, as if long ago
        session.execute(update(Task).where(Task.kind == "kpi_assessment").values(escalated_at=core.engine.clock()))

    # (A start a month earlier would put its procurement's commencement before the Act, and its KPIs with it.)
    correct_contract(core, big, people.officer, {"start_date": "2025-07-20"}, reason="As the contract says")
    assert open_tasks(big) == {("kpi_assessment", date(2026, 7, 20)), ("contract_review", date(2026, 7, 20))}
    with db.reading() as session:
        assessment = session.scalars(select(Task).where(Task.kind == "kpi_assessment")).one()
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "correct_contract")).one()
    assert (assessment.detail, assessment.milestone_on, assessment.escalated_at) == (
        "Every 12 months; due 20 July 2026", date(2026, 7, 20), None,
    )  # fmt: skip
    assert sorted(event.data["reviews_moved"]) == [
        ["contract_review", "2026-07-10", "2026-07-20"], ["kpi_assessment", "2026-07-10", "2026-07-20"],
    ]  # fmt: skip
    assert sorted(corrections_said(event.data)) == [
        "the KPI assessment due 10 July 2026: due 20 July 2026 now",
        "the contract review due 10 July 2026: due 20 July 2026 now",
        "the start date: 10 July 2025 → 20 July 2025",
    ]

    correct_contract(core, yearly, people.officer, {"start_date": "2024-07-20"}, reason="As the contract says")
    assert open_tasks(yearly) == {("contract_review", date(2026, 10, 10))}

    correct_contract(core, ending, people.officer, {"start_date": "2025-04-20"}, reason="As the contract says")
    with db.reading() as session:  # 20 July falls after its last day, 15 July
        moot = session.scalars(select(Task).where(Task.contract_id == ending)).one()
    assert (moot.status, moot.outcome, moot.due_on) == ("done", "start_date_moved", date(2026, 7, 10))

    correct_contract(core, big, people.officer, {"value": "4000000"}, reason="Typed a digit wrong")
    assert open_tasks(big) == {("contract_review", date(2026, 7, 20))}  # still over 1,000,000: quarterly
    with db.reading() as session:
        assert session.scalar(select(Task.outcome).where(Task.kind == "kpi_assessment")) == "kpis_not_owed"


def test_reviews_a_correction_or_a_new_risk_brings_are_raised_though_the_last_run_looked_past_them(
    core, db, clock, schedule
):
    """The sweep's last run looked 14 days ahead. A start date corrected to make an anniversary fall in those
    days, or a risk raised to make the quarterly one fall in them, is raised by the next run, as for a
    contract just added; the runs after raise nothing again."""
    from provision_cycle.scheduling.sweeps import raise_reviews
    from provision_cycle.services.contract_record import correct_contract
    from provision_cycle.services.contract_risk import set_contract_risk

    people = hub_people(db)
    corrected = _contract(core, people, value="30000", starts=date(2024, 8, 30), ends=date(2028, 8, 29), risk="low")
    riskier = _contract(core, people, value="30000", starts=date(2024, 4, 10), ends=date(2028, 4, 9), risk="low")
    clock.set(date(2026, 7, 1))
    assert raise_reviews(core, schedule, clock.today).changed == 0  # it looked to 15 July: nothing yearly in it
    correct_contract(core, corrected, people.officer, {"start_date": "2024-07-12"}, reason="As the contract says")
    set_contract_risk(core, riskier, people.contract_manager, risk="high", reason="Two complaints this month")
    clock.set(date(2026, 7, 2))
    assert raise_reviews(core, schedule, clock.today).changed == 2
    assert _tasks(db) == [(riskier, date(2026, 7, 10)), (corrected, date(2026, 7, 12))]
    assert raise_reviews(core, schedule, clock.today).changed == 0
    clock.set(date(2026, 7, 3))
    assert raise_reviews(core, schedule, clock.today).changed == 0


def test_a_variation_that_makes_a_contract_worth_over_a_million_brings_its_quarterly_review_at_once(
    core, db, clock, schedule
):
    """Worth 1,000,000 or less, a medium-risk contract is reviewed yearly; varied to be worth more, quarterly.
    The quarterly review falling within the days the last run looked past is raised by the next."""
    from provision_cycle.scheduling.sweeps import raise_reviews

    from .factories import approve_open_steps, propose_variation

    people = hub_people(db)
    contract = register_contract(core, people, value="900000", starts=date(2024, 4, 10), ends=date(2028, 4, 9))
    clock.set(date(2026, 7, 1))
    assert raise_reviews(core, schedule, clock.today).changed == 0  # it looked to 15 July: its next is 10 April
    change = {"variation_description": "Two more depots", "new_value": "1200000", "new_end_date": "2028-04-09"}
    propose_variation(core.engine, contract.case_id, people.contract_manager, change)
    approve_open_steps(core.engine, db, people, contract.case_id)
    with db.reading() as session:
        assert session.get(Contract, contract.id).value == Decimal("1200000")
    clock.set(date(2026, 7, 2))
    assert raise_reviews(core, schedule, clock.today).changed == 1
    assert _tasks(db) == [(contract.id, date(2026, 7, 10))]


def test_a_start_date_typed_two_thousand_years_out_does_not_stop_the_review_sweep(core, db, clock, schedule):
    """'0026' for '2026' in a register loaded before imports were checked (they refuse it now): every quarter
    since then is a start-date range to look in, more than SQLite takes in one statement (an OR chain over a
    thousand deep), so they go a few hundred at a time."""
    from provision_cycle.scheduling.sweeps import RANGES_PER_QUERY, raise_reviews, review_start_ranges

    people = hub_people(db)
    typo = _contract(core, people, value="50000", starts=date(2026, 3, 9), ends=date(2029, 3, 8), risk="high")
    with db.unit_of_work() as session:
        session.get(Contract, typo).start_date = date(26, 3, 9)
    assert len(review_start_ranges(3, date(26, 3, 9), clock.today, clock.today)) > 20 * RANGES_PER_QUERY
    assert raise_reviews(core, schedule, clock.today).changed == 1  # 2 March 2026: its quarterly 9 March one
    assert _tasks(db) == [(typo, date(2026, 3, 9))]


@settings(max_examples=300, deadline=None)
@given(
    start=st.dates(date(2015, 1, 1), date(2030, 12, 31)),
    every=st.sampled_from([1, 3, 6, 12, 18, 24]),
    after=st.dates(date(2020, 1, 1), date(2032, 12, 31)),
    days=st.integers(1, 400),
)
def test_a_review_in_a_window_is_found_and_dated_by_the_plain_rule(start, every, after, days):
    """The sweep's index ranges hold every contract with an occurrence in the window, and the latest
    occurrence is the one the rule gives: ``start + k * every`` months (k >= 1), clamped to month ends."""
    from provision_cycle.governance.calendar import latest_occurrence
    from provision_cycle.scheduling.sweeps import review_start_ranges

    until = after + timedelta(days=days)
    occurrences = []
    k = 1
    while (day := add_months(start, k * every)) <= until:
        occurrences.append(day)
        k += 1
    assert latest_occurrence(start, every, until) == (occurrences[-1] if occurrences else None)
    if any(after < day <= until for day in occurrences):
        assert any(low <= start <= high for low, high in review_start_ranges(every, start, after, until))


def test_council_duties_payments_compliance_and_pipeline_once_each(core, db, clock, schedule):
    from provision_cycle.scheduling.sweeps import raise_council_duties
    from provision_cycle.services.tasks import complete_task

    from .factories import create_user

    people = hub_people(db)
    analyst = create_user(db, ("intelligence_analyst", "OCC"), full_name="Zoe Turner")
    clock.set(date(2026, 3, 30))  # before the first reporting period ends: nothing
    assert raise_council_duties(core, schedule, clock.today).changed == 0
    clock.set(date(2026, 4, 2))
    # OCC: payments and pipeline, and the report of the key decisions taken under special urgency in 2025/26
    assert raise_council_duties(core, schedule, clock.today).changed == 3
    assert raise_council_duties(core, schedule, clock.today).changed == 0
    with db.reading() as session:
        tasks = {t.kind: t for t in session.scalars(select(Task))}
    payments, pipeline = tasks["payments_compliance_notice"], tasks["pipeline_notice"]
    assert (payments.assignee_id, payments.due_on, payments.case_id) == (people.s151, date(2026, 4, 29), None)
    assert (pipeline.assignee_id, pipeline.due_on) == (analyst, date(2026, 5, 26))
    report = tasks["special_urgency_report"]
    assert (report.assignee_id, report.due_on, report.milestone_on) == (
        people.monitoring,
        date(2026, 5, 30),
        date(2026, 3, 31),
    )
    complete_task(core, payments.id, people.s151, outcome="not_owed", note="Nothing paid under a public contract")
    with db.reading() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "complete_task")).one()
        assert event.stream == "system" and event.comment == "Nothing paid under a public contract"


def test_the_report_of_key_decisions_taken_under_special_urgency_is_owed_at_the_council_s_intervals(
    core, db, clock, schedule, app, monkeypatch
):
    """2012 regs reg 19: OCC reports each financial year within 60 days of its end, and the task links to the
    year's report; a council that reports every quarter is asked each quarter. Raised until the report's day:
    a period that ended before the system ran is not asked for."""
    from dataclasses import replace

    from provision_cycle.scheduling.sweeps import raise_council_duties
    from tests.web.conftest import Browser

    people = hub_people(db)
    clock.set(date(2026, 3, 2))  # 2024/25's report was due on 30 May 2025: not asked for now
    raise_council_duties(core, schedule, clock.today)
    clock.set(date(2026, 5, 30))  # 2025/26's, on its last day (the scheduler was down until then)
    raise_council_duties(core, schedule, clock.today)
    clock.set(date(2026, 5, 31))
    raise_council_duties(core, schedule, clock.today)
    with db.reading() as session:
        [report] = session.scalars(select(Task).where(Task.kind == "special_urgency_report")).all()
    assert (report.title, report.due_on) == (
        "OCC: Report the key decisions taken under special urgency to the council",
        date(2026, 5, 30),
    )
    assert (
        "from 1 April 2025 to 31 March 2026 (or that none was), reported to the council within 60 days" in report.detail
    )
    page = Browser(app, db).sign_in(people.monitoring).get(f"/tasks/{report.id}").text
    assert (
        "/contracts/special-urgency/OCC?since=1&amp;since=4&amp;since=2025&amp;until=31&amp;until=3&amp;until=2026"
        in page
    )
    assert "Reported to the council" in page

    rules = core.governance.rules["OCC"]
    quarterly = replace(
        rules.key_decision, special_urgency_reports_every_months=3, special_urgency_reports_within_days=30
    )
    monkeypatch.setitem(core.governance.rules, "OCC", replace(rules, key_decision=quarterly))
    clock.set(date(2026, 7, 1))
    raise_council_duties(core, schedule, clock.today)
    with db.reading() as session:
        latest = session.scalars(select(Task).where(Task.kind == "special_urgency_report").order_by(Task.id)).all()[-1]
    assert (latest.milestone_on, latest.due_on) == (date(2026, 6, 30), date(2026, 7, 30))


def test_after_downtime_every_council_duty_that_fell_due_meanwhile_is_raised_late_but_once(
    core, db, clock, schedule, caplog
):
    """The scheduler is down from 30 March to 2 October 2026: the pipeline notice's window (1 April to 26 May)
    and the special urgency report's day (30 May) both passed meanwhile, and two payments notices and two
    payments compliance notices fell due. The next run raises each of them, overdue, once. CDC had nobody to
    give its duties to: they are not lost, but raised once it has an administrator."""
    from provision_cycle.scheduling.sweeps import raise_council_duties

    from .factories import create_user

    people = hub_people(db)
    analyst = create_user(db, ("intelligence_analyst", "OCC"), full_name="Zoe Turner")
    clock.set(date(2026, 3, 30))
    assert raise_council_duties(core, schedule, clock.today).changed == 0
    clock.set(date(2026, 10, 2))
    with caplog.at_level("WARNING", logger="provision_cycle.scheduling.sweeps"):
        assert raise_council_duties(core, schedule, clock.today).changed == 6
    assert "CDC has nobody to give 'Publish the payments compliance notice' to" in caplog.text
    assert raise_council_duties(core, schedule, clock.today).changed == 0
    clock.set(date(2026, 10, 3))
    assert raise_council_duties(core, schedule, clock.today).changed == 0
    with db.reading() as session:
        owed = session.execute(select(Task.kind, Task.due_on, Task.assignee_id).order_by(Task.due_on, Task.kind)).all()
    assert [tuple(row) for row in owed] == [
        ("payments_compliance_notice", date(2026, 4, 29), people.s151),
        ("pipeline_notice", date(2026, 5, 26), analyst),
        ("special_urgency_report", date(2026, 5, 30), people.monitoring),
        ("payments_notice", date(2026, 7, 29), analyst),
        ("payments_compliance_notice", date(2026, 10, 29), people.s151),
        ("payments_notice", date(2026, 10, 29), analyst),
    ]

    # CDC (expected spend under 100m: no pipeline notice) owes the same but the pipeline notice, since the day
    # it first had a duty nobody could take.
    admin = create_user(db, ("administrator", "CDC"), full_name="Ada Admin")
    clock.set(date(2026, 10, 5))
    assert raise_council_duties(core, schedule, clock.today).changed == 5
    with db.reading() as session:
        cherwell = session.execute(
            select(Task.kind, Task.due_on).where(Task.assignee_id == admin).order_by(Task.due_on, Task.kind)
        ).all()
    assert [tuple(row) for row in cherwell] == [
        ("payments_compliance_notice", date(2026, 4, 29)),
        ("special_urgency_report", date(2026, 5, 30)),
        ("payments_notice", date(2026, 7, 29)),
        ("payments_compliance_notice", date(2026, 10, 29)),
        ("payments_notice", date(2026, 10, 29)),
    ]
    assert raise_council_duties(core, schedule, clock.today).changed == 0


def test_the_payments_notice_is_owed_each_quarter_from_the_one_to_30_june_2026(core, db, clock, schedule, app):
    from provision_cycle.scheduling.sweeps import raise_council_duties
    from tests.web.conftest import Browser

    from .factories import create_user

    hub_people(db)
    analyst = create_user(db, ("intelligence_analyst", "OCC"), full_name="Zoe Turner")
    clock.set(date(2026, 6, 30))  # the first quarter owing one has not ended
    raise_council_duties(core, schedule, clock.today)
    clock.set(date(2026, 7, 1))
    raise_council_duties(core, schedule, clock.today)
    clock.set(date(2026, 7, 20))  # the same quarter's: nothing new
    raise_council_duties(core, schedule, clock.today)
    clock.set(date(2026, 10, 1))
    raise_council_duties(core, schedule, clock.today)
    with db.reading() as session:
        owed = session.scalars(select(Task).where(Task.kind == "payments_notice").order_by(Task.due_on)).all()
    assert [(t.assignee_id, t.due_on, t.title) for t in owed] == [
        (analyst, date(2026, 7, 29), "OCC: Publish the payments notice"),
        (analyst, date(2026, 10, 29), "OCC: Publish the payments notice"),
    ]
    assert "PA23 s70: within 30 days beginning with 30 June 2026" in owed[0].detail
    assert owed[0].detail.endswith("under a public contract procured since 1 April 2026")

    # The task links to the quarter's list, which the analyst may download.
    page = Browser(app, db).sign_in(analyst).get(f"/tasks/{owed[0].id}").text
    listed = "/contracts/transparency/OCC/2026-04/payments-notice.csv"
    assert "in April to June 2026 (2026/27 quarter 1) under a public contract under the Act procured since" in page
    assert listed in page
    assert "A duty of Oxfordshire County Council itself, not of one case or contract." in page


def test_a_council_duty_with_nobody_in_its_role_goes_to_the_councils_administrator(core, db, clock, schedule, caplog):
    from dataclasses import replace

    from provision_cycle.scheduling.sweeps import raise_council_duties
    from provision_cycle.services.people import set_active

    cherwell = hub_people(db, authority="CDC")  # CDC's staff, with an S151 officer but no intelligence analyst
    admin = create_user(db, ("administrator", "CDC"), full_name="Ada Admin")
    spending = replace(schedule, expected_annual_spend={"CDC": 150_000_000})
    clock.set(date(2026, 4, 2))
    raise_council_duties(core, spending, clock.today)
    with db.reading() as session:
        pipeline = session.scalars(select(Task).where(Task.kind == "pipeline_notice")).one()
    assert (pipeline.assignee_id, pipeline.title) == (admin, "CDC: Publish the procurement pipeline notice")
    assert pipeline.detail.startswith("Nobody holds Intelligence Analyst for CDC, so this comes to you")

    # Overdue, with no Monitoring Officer for CDC to escalate to (theirs has left): the administrator hears,
    # told why.
    set_active(core, cherwell.monitoring, False, actor_id=admin)
    clock.set(date(2026, 5, 27))
    with caplog.at_level("WARNING", logger="provision_cycle.scheduling.sweeps"):
        assert escalate_overdue_tasks(core, spending, clock.today).changed == 2  # the pipeline's and the payments'
    assert [r.getMessage() for r in caplog.records if "Nobody holds" in r.getMessage()] == [
        "Nobody holds Monitoring Officer for CDC: overdue tasks go to its administrators"  # once, not per task
    ]
    with db.reading() as session:
        ((recipient, subject, body),) = session.execute(
            select(OutboxMessage.recipient_id, OutboxMessage.subject, OutboxMessage.body).where(
                OutboxMessage.kind == "task_overdue"
            )
        )
    assert (recipient, subject) == (admin, "2 overdue tasks with no Monitoring Officer to escalate to")
    assert body.startswith("Nobody holds Monitoring Officer for the council these tasks belong to")


def test_people_who_chose_a_digest_get_one_email_a_day(core, db, clock, schedule, app):
    from provision_cycle.scheduling.sweeps import send_digests
    from tests.web.conftest import Browser

    people = hub_people(db)
    Browser(app, db).sign_in(people.manager).post("/notifications", {"email": "digest"})
    for _ in range(2):
        case_id = new_request(core.engine, people.requester, value="18000")
        act(core.engine, case_id, "submit", people.requester)
    with _smtp_sink() as (inbox, port):
        mailer = Mailer("127.0.0.1", port, "hub@example.gov.uk")
        assert deliver_notifications(core, schedule, mailer).changed == 0  # not one by one
        assert send_digests(core, schedule, mailer).changed == 1
        assert send_digests(core, schedule, mailer).changed == 0
    [envelope] = inbox.messages
    email = message_from_bytes(envelope.content, policy=default)
    assert email["Subject"] == "Your daily summary: 2 notifications"
    assert email.get_content().count("your approval is needed") == 2
    assert email.get_content().count("/cases/") == 2  # each leads to its case


def test_a_tender_period_and_a_standstill_end_through_the_engine_the_day_after_their_last(core, db, clock, schedule):
    """Tenders close on 6 April: on that day nothing moves; on the 7th the system closes the tender period (the
    case goes to evaluation, as its officer would have moved it), once. Its award notice published, standstill
    ends the same way, the day after its last day; the other procurement, whose tenders its officer closed, is
    left alone."""
    from tests.factories import (
        AWARD_INPUTS,
        award_open_procedure,
        publish_tender_notice,
        ready_for_the_market,
        ready_to_recommend,
    )

    people = hub_people(db)
    case_id = ready_for_the_market(core.engine, people, value="250000")
    publish_tender_notice(core.engine, case_id, people.officer, closes="2026-04-06")
    clock.set(date(2026, 4, 6))
    assert end_periods(core, schedule, clock.today).changed == 0
    clock.set(date(2026, 4, 7))
    assert end_periods(core, schedule, clock.today).changed == 1
    assert end_periods(core, schedule, clock.today).changed == 0
    with db.reading() as session:
        closed = session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.action == "close_tenders")
        ).one()
        assert session.get(Case, case_id).state == "evaluation"
        system = session.scalars(select(User.id).where(User.username == "system")).one()
        assert closed.actor_id == system and closed.comment == "The tender period set in the tender notice has ended"
    ready_to_recommend(core.engine, case_id, people)
    act(core.engine, case_id, "recommend_award", people.officer, inputs=AWARD_INPUTS)

    awarded = award_open_procedure(core.engine, clock, people)  # its notice out on 8 April: standstill to the 17th
    with db.reading() as session:
        last_day = session.scalars(
            select(CaseDeadline.due_on).where(CaseDeadline.case_id == awarded, CaseDeadline.kind == "standstill_end")
        ).one()
    clock.set(last_day)
    assert end_periods(core, schedule, clock.today).changed == 0
    clock.set(last_day + timedelta(days=1))
    assert end_periods(core, schedule, clock.today).changed == 1
    with db.reading() as session:
        assert session.get(Case, awarded).state == "contract_signature"
        # Its category officer is told each time the scheduler moved a case on (not when a person did).
        told = session.execute(
            select(OutboxMessage.case_id, OutboxMessage.recipient_id, OutboxMessage.subject, OutboxMessage.body)
            .where(OutboxMessage.kind == "period_ended")
            .order_by(OutboxMessage.id)
        ).all()
    references = {case_id: f"PRC-{case_id:06d}" for case_id in (case_id, awarded)}
    assert [(c, r, subject) for c, r, subject, _ in told] == [
        (case_id, people.officer, f"{references[case_id]}: the tender period has ended"),
        (awarded, people.officer, f"{references[awarded]}: standstill has ended"),
    ]
    assert told[0].body.endswith("the tender period has ended. Record the tenders received, and evaluate them.")


def test_a_case_the_engine_cannot_move_does_not_hold_up_the_others(core, db, clock, schedule, caplog):
    """A row the engine cannot read (here a closing date damaged outside the app) fails on its own: logged
    with its case, the sweep goes on to the next, and the next run tries it again."""
    from tests.factories import publish_tender_notice, ready_for_the_market

    people = hub_people(db)
    damaged, sound = (ready_for_the_market(core.engine, people, value="250000") for _ in range(2))
    for case_id in (damaged, sound):
        publish_tender_notice(core.engine, case_id, people.officer, closes="2026-04-06")
    with db.unit_of_work() as session:
        case = session.get(Case, damaged)
        case.details = {**case.details, "tenders_close_on": "2026-04-0"}
    clock.set(date(2026, 4, 7))
    with caplog.at_level("ERROR", logger="provision_cycle.scheduling.sweeps"):
        assert end_periods(core, schedule, clock.today).changed == 1
    assert f"close_tenders on case {damaged} failed, and is tried again at the next run" in caplog.text
    with db.reading() as session:
        assert [session.get(Case, c).state for c in (damaged, sound)] == ["tendering", "evaluation"]


def test_a_closed_participation_period_asks_the_procurement_team_to_invite_tenders(core, db, clock, schedule):
    """Requests to participate close on Friday 27 March 2026: nothing moves by itself (whom to invite is the
    team's choice), but from the 28th the first of its procurement team has a task, once, due 10 UK working
    days after (Good Friday and Easter Monday not counted: 14 April). Inviting tenders completes it;
    terminating the procurement in its participation period closes it."""
    from provision_cycle.services.teams import add_team_member
    from tests.factories import in_participation

    people = hub_people(db)
    invited, terminated = in_participation(core.engine, people), in_participation(core.engine, people)
    add_team_member(core, invited, people.officer, user_id=people.manager, part="procurement")
    clock.set(date(2026, 3, 27))
    assert end_periods(core, schedule, clock.today).changed == 0
    clock.set(date(2026, 3, 28))
    assert end_periods(core, schedule, clock.today).changed == 2
    assert end_periods(core, schedule, clock.today).changed == 0
    with db.reading() as session:
        tasks = session.scalars(select(Task).where(Task.kind == "invite_tenders").order_by(Task.case_id)).all()
        assert [(t.case_id, t.assignee_id, t.due_on, t.milestone_on) for t in tasks] == [
            (invited, people.manager, date(2026, 4, 14), date(2026, 3, 27)),  # named on its team
            (terminated, people.officer, date(2026, 4, 14), date(2026, 3, 27)),  # nobody named: the category officer
        ]
        assert tasks[0].title == f"PRC-{invited:06d}: Requests to participate have closed: invite tenders"
        assert "closed on 27 March 2026. Assess them against the conditions of participation" in tasks[0].detail
        assert session.get(Case, invited).state == "participation"
        told = session.scalars(select(OutboxMessage.recipient_id).where(OutboxMessage.kind == "tasks_raised")).all()
        assert sorted(told) == sorted([people.manager, people.officer])

    clock.set(date(2026, 3, 30))
    inputs = {"tenders_invited_on": "2026-03-30", "tenders_close_on": "2026-04-27", "invited_suppliers": "Acme Ltd"}
    act(core.engine, invited, "invite_tenders", people.officer, inputs=inputs)
    act(core.engine, terminated, "terminate_procurement", people.officer, reason="The need has gone")
    with db.reading() as session:
        done = session.scalars(select(Task).where(Task.case_id == invited)).one()
        assert (done.status, done.outcome, done.completed_by_id) == ("done", "tenders_invited", people.officer)
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == invited, AuditEvent.action == "invite_tenders")
        ).one()
        assert event.data["tasks_closed"] == ["invite_tenders"]
        closed = session.scalars(select(Task).where(Task.case_id == terminated)).one()
        assert (closed.status, closed.outcome, closed.completed_by_id) == ("done", "case_closed", people.officer)
    assert end_periods(core, schedule, clock.today).changed == 0


@pytest.mark.postgres_only
def test_two_schedulers_racing_expire_end_periods_and_deliver_each_thing_once(core, db, clock, schedule):
    from tests.factories import publish_tender_notice, ready_for_the_market

    people = hub_people(db)
    for n in range(6):
        _contract(core, people, value="50000", ends=clock.today - timedelta(days=1 + n))
    for _ in range(5):
        case_id = new_request(core.engine, people.requester, value="18000")
        act(core.engine, case_id, "submit", people.requester)
    for _ in range(3):  # tenders closing on 6 April
        publish_tender_notice(core.engine, ready_for_the_market(core.engine, people), people.officer)
    clock.set(date(2026, 4, 7))
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    mailer = Mailer("127.0.0.1", port, "hub@example.gov.uk")
    barrier = threading.Barrier(2)
    results = []

    def scheduler():
        barrier.wait()
        results.append(
            (
                expire_contracts(core, clock.today).changed,
                end_periods(core, schedule, clock.today).changed,
                deliver_notifications(core, schedule, mailer, batch=2).changed,
            )
        )
        results.append((0, 0, deliver_notifications(core, schedule, mailer).changed))

    try:
        threads = [threading.Thread(target=scheduler) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        controller.stop()
    assert sum(e for e, _, _ in results) == 6 and sum(ended for _, ended, _ in results) == 3
    with db.reading() as session:
        expiries = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "expire"))
        closings = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "close_tenders")
        )
        messages = session.scalars(select(OutboxMessage)).all()
    assert expiries == 6 and closings == 3
    assert all(m.status == "sent" for m in messages) and len(inbox.messages) == len(messages) == sum(
        d for _, _, d in results
    )


def test_notice_dates_become_tasks_ahead_once_and_follow_a_new_end_date(core, db, clock, schedule):
    from provision_cycle.scheduling.sweeps import raise_notice_tasks

    people = hub_people(db)
    contract_id = _contract(core, people, value="50000", ends=clock.today + timedelta(days=110))  # 90 days' notice
    with db.reading() as session:
        assert session.get(Contract, contract_id).notice_by == clock.today + timedelta(days=20)
    assert raise_notice_tasks(core, schedule, clock.today).changed == 1  # within 30 days
    assert raise_notice_tasks(core, schedule, clock.today).changed == 0
    with core.db.unit_of_work() as session:  # a variation moves the end date (the ORM keeps notice_by in step)
        session.get(Contract, contract_id).end_date = clock.today + timedelta(days=200)
    assert raise_notice_tasks(core, schedule, clock.today).changed == 0  # the new notice date is 110 days away
    clock.advance(days=85)
    assert raise_notice_tasks(core, schedule, clock.today).changed == 1
    with db.reading() as session:
        dues = sorted(t.due_on for t in session.scalars(select(Task).where(Task.kind == "notice_date")))
    assert dues == [date(2026, 3, 22), date(2026, 6, 20)]


def test_stalled_approvals_can_escalate_to_a_named_fallback(core, db, clock, schedule):
    from dataclasses import replace

    from provision_cycle.models import User

    people = hub_people(db)
    with db.reading() as session:
        director = session.get(User, people.director).username
    named = replace(schedule, escalate_to_person={"OCC": director})
    case_id = new_request(core.engine, people.requester, value="18000")
    act(core.engine, case_id, "submit", people.requester)
    clock.set(date(2026, 3, 9))  # 5 working days
    assert chase_approvals(core, named, clock.today).changed == 1
    assert [r for r, _ in _outbox(db, "approval_chase")] == [people.director]


def test_assignees_hear_about_new_tasks_in_one_message_per_sweep(core, db, clock, schedule):
    people = hub_people(db)
    for n in range(3):
        _contract(core, people, value="50000", ends=clock.today + timedelta(days=10 + n))
    raise_renewal_tasks(core, schedule, clock.today)
    [(recipient, subject)] = _outbox(db, "tasks_raised")
    # The subject says what they are: a run's notice dates, told at the same moment, are not the same message.
    assert recipient == people.contract_manager and subject == "3 new tasks for you: renewal decisions"
    with db.reading() as session:
        listed = session.scalar(select(OutboxMessage.body).where(OutboxMessage.kind == "tasks_raised"))
    assert listed.count("\n- Renewal decision: CON-") == 2 and listed.startswith("- Renewal decision: CON-")
    # One task alone: the subject names it and the message says when it is due, not a list of one.
    _contract(core, people, value="50000", ends=clock.today + timedelta(days=40))
    clock.advance(days=10)
    raise_renewal_tasks(core, schedule, clock.today)
    with db.reading() as session:
        alone = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "tasks_raised").order_by(OutboxMessage.id.desc())
        ).first()
    assert alone.subject.startswith("Renewal decision: CON-") and alone.body == "Due 11 March 2026."


def test_an_incremental_run_tells_each_assignee_once_of_all_it_raised(core, db, clock, schedule):
    # The incremental run looks in several places (each lead time that came, contracts added, end dates
    # moved): what it raises for one person is still one message.
    people = hub_people(db)
    _contract(core, people, value="50000", ends=clock.today + timedelta(days=200))
    assert raise_renewal_tasks(core, schedule, clock.today).changed == 0  # 6/3/1 months: none come yet
    coming = _contract(core, people, value="50000", ends=add_months(clock.today + timedelta(days=1), 6))
    assert raise_renewal_tasks(core, schedule, clock.today).changed == 0  # its 6 months come tomorrow
    clock.advance(days=1)
    added = _contract(core, people, value="50000", ends=clock.today + timedelta(days=20))
    assert raise_renewal_tasks(core, schedule, clock.today).changed == 2
    assert {contract for contract, _ in _tasks(db)} == {coming, added}
    assert _outbox(db, "tasks_raised") == [(people.contract_manager, "2 new tasks for you: renewal decisions")]


def test_lead_times_from_a_month_end_clamp_to_the_shorter_month(core, db, clock, schedule):
    # 31 March less one month is 28 February on both databases (SQLite's own date arithmetic would say 3 March).
    people = hub_people(db)
    ends = date(2027, 3, 31)
    contract = _contract(core, people, value="50000", ends=ends)  # lead times 6/3/1 months
    assert raise_renewal_tasks(core, schedule, date(2027, 3, 1)).changed == 1
    assert _tasks(db) == [(contract, date(2027, 2, 28))]


def test_new_lead_times_in_the_schedule_reach_contracts_the_incremental_sweep_has_passed(core, db, clock, schedule):
    from dataclasses import replace

    from provision_cycle.scheduling.config import LeadTimes

    people = hub_people(db)
    today = clock.today
    big = _contract(core, people, value="6000000", ends=add_months(today, 20))  # beyond 18 months: nothing yet
    assert raise_renewal_tasks(core, schedule, today).changed == 0
    assert raise_renewal_tasks(core, schedule, today).changed == 0  # incremental from here on

    # The council adds a 24-month lead time for contracts over 5m: its date has passed for this one.
    longer = replace(schedule, lead_times=(LeadTimes(Decimal(5_000_000), (24, 18, 12, 9, 6, 3)), *schedule.lead_times))
    assert raise_renewal_tasks(core, longer, today).changed == 1
    assert _tasks(db) == [(big, add_months(add_months(today, 20), -24))]
    assert raise_renewal_tasks(core, longer, today).changed == 0


def test_states_newly_reminded_of_their_renewal_reach_contracts_the_incremental_sweep_has_passed(
    core, db, clock, schedule, monkeypatch
):
    """A release that raises renewal tasks in more states (an opened renewal decision, in this one): the next
    run looks at the whole register again, as for new lead times, not only at lead times that came since."""
    from provision_cycle.scheduling import sweeps

    people = hub_people(db)
    today = clock.today
    opened = _contract(core, people, value="50000", ends=add_months(today, 2), state="renewal_decision")
    every_state = sweeps._renewal_states
    monkeypatch.setattr(sweeps, "_renewal_states", lambda core, *stands: ("live", "extended"))  # as released before
    assert raise_renewal_tasks(core, schedule, today).changed == 0
    assert raise_renewal_tasks(core, schedule, today).changed == 0  # incremental from here on
    monkeypatch.setattr(sweeps, "_renewal_states", every_state)
    assert raise_renewal_tasks(core, schedule, today).changed == 1  # its 3-month lead time came a month ago
    assert _tasks(db) == [(opened, add_months(add_months(today, 2), -3))]
    assert raise_renewal_tasks(core, schedule, today).changed == 0


def test_an_end_date_a_variation_brings_within_a_lead_time_gets_its_renewal_task_at_the_next_run(
    core, db, clock, schedule
):
    """Shortened to end in two months, a contract over 1,000,000 has no lead time left to come (18, 12, 9, 6 and
    3 months): the next run raises the 3-month one that came a month ago, as for a contract just added, rather
    than none before it expires. One with a lead time still to come waits for it."""
    from tests.factories import approve_open_steps, propose_variation

    people = hub_people(db)
    today = clock.today
    contract = register_contract(core, people, value="2000000", ends=add_months(today, 10))
    assert raise_renewal_tasks(core, schedule, today).changed == 1  # its 12-month lead time
    shorter = {"variation_description": "Ends with the depot's closure", "new_value": "2000000",
               "new_end_date": add_months(today, 2).isoformat()}  # fmt: skip
    propose_variation(core.engine, contract.case_id, people.contract_manager, shorter)
    approve_open_steps(core.engine, db, people, contract.case_id)
    with db.reading() as session:
        assert session.scalars(select(Task.outcome).where(Task.contract_id == contract.id)).all() == ["end_date_moved"]
    assert raise_renewal_tasks(core, schedule, today).changed == 1
    assert _tasks(db)[-1] == (contract.id, add_months(add_months(today, 2), -3))
    assert raise_renewal_tasks(core, schedule, today).changed == 0

    # Extended to end in 14 months: its 18-month lead time came four months ago, but its 12-month one is still
    # to come. It waits for that: a decision just taken is not a renewal task overdue at once.
    longer = {**shorter, "new_end_date": add_months(today, 14).isoformat()}
    propose_variation(core.engine, contract.case_id, people.contract_manager, longer)
    approve_open_steps(core.engine, db, people, contract.case_id)
    assert raise_renewal_tasks(core, schedule, today).changed == 0
    assert raise_renewal_tasks(core, schedule, add_months(today, 2)).changed == 1  # when the 12-month one comes


def test_the_head_of_category_hears_of_many_overdue_tasks_in_one_message(core, db, clock, schedule):
    from provision_cycle.services.tasks import NewTask, raise_task

    people = hub_people(db)
    contracts = [_contract(core, people, value="50000", ends=clock.today + timedelta(days=60 + n)) for n in range(3)]
    with core.db.unit_of_work() as session:
        for n, contract in enumerate(contracts):
            new = NewTask("renewal_decision", f"Decide {n}", clock.today + timedelta(days=n), people.contract_manager,
                          contract_id=contract)  # fmt: skip
            raise_task(core, session, new, actor_id=people.officer)
    clock.advance(days=10)
    assert escalate_overdue_tasks(core, schedule, clock.today).changed == 3
    assert _outbox(db, "task_overdue") == [(people.head, "3 overdue tasks in your team")]
    with db.reading() as session:
        body = session.scalar(select(OutboxMessage.body).where(OutboxMessage.kind == "task_overdue"))
    assert body.splitlines()[1:] == [
        f"- Decide {n}, with Cora Contracts (due {clock.today - timedelta(days=10 - n):%-d %B %Y})" for n in range(3)
    ]
    with db.reading() as session:  # it leads to the team's tasks, where the three are
        assert session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "task_overdue")).one().page == (
            "/tasks/?whose=team"
        )


def test_a_council_s_own_duty_overdue_goes_to_its_monitoring_officer_who_is_told_whose_it_is(
    core, db, clock, schedule, app
):
    """The payments compliance notice for the half year to 31 March is due on 29 April; on 30 April it is
    still open with the S151 officer. The Monitoring Officer, who reports the council's breaches of the law,
    hears once, told whose it is; nobody in a category team does, as it is no team's."""
    from provision_cycle.scheduling.sweeps import raise_council_duties

    people = hub_people(db)
    clock.set(date(2026, 4, 2))
    raise_council_duties(core, schedule, clock.today)  # the payments compliance notice (and the pipeline's)
    clock.set(date(2026, 4, 30))
    assert escalate_overdue_tasks(core, schedule, clock.today).changed == 1  # the pipeline's is due 26 May
    assert escalate_overdue_tasks(core, schedule, clock.today).changed == 0  # once
    assert _outbox(db, "task_overdue") == [(people.monitoring, "Overdue: OCC: Publish the payments compliance notice")]
    with db.reading() as session:
        body = session.scalar(select(OutboxMessage.body).where(OutboxMessage.kind == "task_overdue"))
    assert body.splitlines() == [
        "The council's own statutory duties, still not done after their due date:",
        "- OCC: Publish the payments compliance notice, with Sam S151 (due 29 April 2026)",
    ]

    # The message leads to the notice's task, which they see (whose it is), but which is not theirs to do.
    from tests.web.conftest import Browser

    with db.reading() as session:
        page = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "task_overdue")).one().page
    monitoring = Browser(app, db).sign_in(people.monitoring)
    task = monitoring.get(page).text
    assert "This is Sam S151's task." in task and "Or snooze it" not in task and "Complete the task" not in task
    theirs = " ".join(Browser(app, db).sign_in(people.s151).get(page).text.split())  # and whose it is knows
    assert "On 30 April 2026, as it was overdue, Mo Monitoring (Monitoring Officer) was told of it" in theirs
    assert re.match(r"/tasks/\d+$", page)
    until = {"snooze-until": ["30", "5", "2026"]}
    refused = monitoring.post(
        page, {**until, "snooze-reason": "Later", "snooze-submit": "1"}, 200, offered=False, follow_redirects=True
    )  # the page offers them no snooze: a POST made up to be refused
    assert "Only the person the task is assigned to" in refused.text
    with db.reading() as session:
        assert session.scalar(select(Task.snoozed_until).where(Task.kind == "payments_compliance_notice")) is None
    # Their councils' notices list it, with whose it is and that it is overdue.
    listed = " ".join(monitoring.get("/tasks/?whose=council").text.split())
    row = listed[listed.index("OCC: Publish the payments compliance notice</a>") :].split("</tr>")[0]
    assert "Sam S151" in row and "29 April 2026" in row and "Overdue" in row
    assert "still open after its date goes to the council's Monitoring Officer" in listed

    # Once the S151 officer has dealt with it, the Monitoring Officer's notification of it shows as done.
    from provision_cycle.services.tasks import complete_task

    def told() -> str:
        text = monitoring.get("/notifications").text
        return re.search(r"Overdue: OCC: Publish the payments compliance notice</a>(.*?)</li>", text, re.S)[1]

    assert "Done" not in told()
    late = " ".join(monitoring.get("/my-work").text.split())  # and their My work says so, at a glance
    assert "1 of your council's own statutory notices and reports is past its date and not yet done" in late
    complete_task(core, int(page.rsplit("/", 1)[1]), people.s151, outcome="not_owed", note="Nothing paid")
    assert "Done" in told()
    assert 'id="notices-late"' not in monitoring.get("/my-work").text


def test_people_whose_account_is_deactivated_are_not_emailed(core, db, clock, schedule, app):
    from provision_cycle.services.people import set_active
    from tests.web.conftest import Browser

    people = hub_people(db)
    admin = create_user(db, ("administrator", "OCC"))
    case_id = new_request(core.engine, people.requester, value="18000")
    act(core.engine, case_id, "submit", people.requester)  # tells the category manager an approval is needed
    set_active(core, people.manager, False, actor_id=admin)  # then they leave
    assert _delivered(core, schedule) == []
    with db.reading() as session:
        message = session.scalars(select(OutboxMessage)).one()
        assert (message.status, message.last_error) == ("withheld", "Not sent: the recipient's account is deactivated")
    page = Browser(app, db).sign_in(admin).get("/admin/deliveries").text
    assert "1 message for people whose account is deactivated was not sent" in " ".join(page.split())
    assert "Every message so far has been delivered" in page  # withheld on purpose is not a failure


def test_the_email_page_says_when_messages_wait_long_past_their_time_to_be_sent(core, db, clock, schedule, app):
    """Mail waiting far longer than the delivery sweep's interval says the scheduler is not running: nor then are
    any tasks being raised, so an administrator is told."""
    from tests.web.conftest import Browser

    people = hub_people(db)
    admin = Browser(app, db).sign_in(create_user(db, ("administrator", "OCC")))
    case_id = new_request(core.engine, people.requester, value="18000")
    act(core.engine, case_id, "submit", people.requester)  # a message for the category manager, due at once
    assert schedule.delivery_late_after == timedelta(minutes=5)  # every 30 seconds: five minutes at least
    assert 'id="stalled"' not in admin.get("/admin/deliveries").text  # just queued
    health = admin.client.get("/healthz")
    assert health.get_json() == {"status": "ok", "email": "sending"}
    clock.advance(minutes=6)
    page = " ".join(admin.get("/admin/deliveries").text.split())
    assert "A message has waited to be sent since 2 March 2026 at 10:00am" in page  # when it was queued
    assert "seems not to be running" in page
    # Monitoring hears it too, from the health check, which still passes: the web host is not at fault.
    health = admin.client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["email"] == "stalled"
    assert health.get_json()["email_due_since"].startswith("2026-03-02T10:00")
    _delivered(core, schedule)  # the scheduler runs again
    assert 'id="stalled"' not in admin.get("/admin/deliveries").text
    assert admin.client.get("/healthz").get_json()["email"] == "sending"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.dates(date(2015, 1, 1), date(2030, 12, 31)), months=st.sampled_from([1, 3, 6, 12, 18, 24]))
def test_months_added_in_sql_agree_with_python(core, start, months):
    from sqlalchemy import Date, literal

    from provision_cycle.scheduling.sweeps import _add_months

    with core.db.reading() as session:
        day = literal(start, Date)
        shifted, back = session.execute(
            select(_add_months(core, day, literal(months)), _add_months(core, day, -literal(months)))
        ).one()
    assert _as_date(shifted) == add_months(start, months) and _as_date(back) == add_months(start, -months)


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)  # SQLite gives text


def test_overdue_tasks_of_a_team_with_no_head_of_category_go_to_its_administrators_not_nowhere(
    core, db, clock, schedule, app
):
    from provision_cycle.services.tasks import NewTask, raise_task

    people = hub_people(db)
    contract = _contract(core, people, value="50000", ends=clock.today + timedelta(days=60))
    with core.db.unit_of_work() as session:
        new = NewTask("renewal_decision", "Decide A", clock.today, people.contract_manager, contract_id=contract)
        task = raise_task(core, session, new, actor_id=people.officer)
    with db.unit_of_work() as session:  # the only Head of Category has left, and there is no administrator
        session.execute(update(User).where(User.id == people.head).values(is_active=False))
    clock.advance(days=10)

    assert escalate_overdue_tasks(core, schedule, clock.today).changed == 0  # nobody to tell: it waits
    with db.reading() as session:
        assert session.get(Task, task).escalated_at is None

    admin = create_user(db, ("administrator", "OCC"), full_name="Abe Admin")
    assert escalate_overdue_tasks(core, schedule, clock.today).changed == 1
    assert escalate_overdue_tasks(core, schedule, clock.today).changed == 0
    assert _outbox(db, "task_overdue") == [(admin, "Overdue, and no Head of Category to escalate to: Decide A")]
    with db.reading() as session:
        body = session.scalar(select(OutboxMessage.body).where(OutboxMessage.kind == "task_overdue"))
    assert body.startswith("Nobody holds Head of Category for the team these tasks belong to")
    from tests.web.conftest import Browser  # the task's page says who was told, and why them

    page = " ".join(Browser(app, db).sign_in(people.contract_manager).get(f"/tasks/{task}").text.split())
    assert "as it was overdue and nobody held Head of Category, Abe Admin (Administrator) was told of it." in page
    with db.unit_of_work() as session:  # one escalated before whom it told was kept: the role, not the people
        session.execute(update(Task).where(Task.id == task).values(escalated_role=None, escalated_to=None))
    page = " ".join(Browser(app, db).sign_in(people.contract_manager).get(f"/tasks/{task}").text.split())
    assert "the Head of Category was told of it (or the council's administrators, where nobody held that role)." in page
    with db.unit_of_work() as session:  # told as a role the configuration has since dropped: named by its code
        session.execute(update(Task).where(Task.id == task).values(escalated_role="area_lead", escalated_to=[admin]))
    page = " ".join(Browser(app, db).sign_in(people.contract_manager).get(f"/tasks/{task}").text.split())
    assert "Abe Admin (Area lead) was told of it." in page


def test_a_contract_with_no_notice_period_recorded_has_no_notice_date_task(core, db, clock, schedule):
    from provision_cycle.scheduling.sweeps import raise_notice_tasks

    people = hub_people(db)
    soon = clock.today + timedelta(days=20)
    register_contract(core, people, value="50000", ends=soon, notice_period_days=0)
    with_notice = register_contract(core, people, value="50000", ends=soon + timedelta(days=10), notice_period_days=14)
    assert raise_notice_tasks(core, schedule, clock.today).changed == 1
    assert [contract for contract, _ in _tasks(db)] == [with_notice.id]


def test_notice_dates_still_come_once_the_council_has_decided_to_let_the_contract_end(core, db, clock, schedule):
    """Notice to end a contract is most needed once its renewal decision was to let it end or re-commission:
    the contract runs on to its end date meanwhile, and a rolling one runs on past it without notice."""
    from provision_cycle.scheduling.sweeps import raise_notice_tasks

    people = hub_people(db)
    ends = clock.today + timedelta(days=110)  # 90 days' notice: the last day to give it within the next 30
    decided = {state: _contract(core, people, value="50000", ends=ends, state=state)
               for state in ("live", "renewal_decision", "expiring", "recommissioning")}  # fmt: skip
    extendable = register_contract(core, people, value="50000", ends=ends, extension_months_available=12).id
    assert raise_notice_tasks(core, schedule, clock.today).changed == 5
    with db.reading() as session:
        details = dict(session.execute(select(Task.contract_id, Task.detail).where(Task.kind == "notice_date")).all())
    assert details.keys() == {*decided.values(), extendable}
    # The day to give notice is also the last to take up an extension option, where one is left.
    assert details[decided["live"]] == "Give notice by this date if the contract is to end, or to renegotiate it"
    assert details[extendable] == (
        "Give notice by this date if the contract is to end, to take up an extension option, or to renegotiate it"
    )


def test_the_sweeps_run_with_what_start_up_made_set_aside_from_the_garbage_collector(core):
    """``gc.freeze`` while sweeps run (a large register's rows set off full collections, which then skip the
    start-up objects), given back after the run, and after a failure too: the process goes on."""
    before = gc.get_freeze_count()
    with pytest.raises(RuntimeError, match="a sweep failed"), start_up_set_aside():
        assert gc.get_freeze_count() > before
        raise RuntimeError("a sweep failed")
    assert gc.get_freeze_count() == before
    run_once(core)
    assert gc.get_freeze_count() == before
