"""The scheduler's sweeps. Each is safe to run twice, late, or in two processes at once:

- raising tasks is one set-based ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` per lead time, kept unique
  by the database (``uq_tasks_raise_once``: subject, kind and due date), so a rerun or a racing scheduler
  raises nothing twice; after downtime the next run raises what fell due meanwhile, once;
- expiring a contract goes through the engine door, which locks the case; a racing scheduler finds it
  already expired and moves on;
- delivering email claims a batch of outbox rows first (``FOR NO KEY UPDATE SKIP LOCKED`` on PostgreSQL), so two
  deliverers never send the same message.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import secrets
import smtplib
from collections import namedtuple
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy import case as sql_case
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import aliased

from ..core import Core
from ..db import CHANGE_LOCK
from ..errors import DomainError
from ..governance import statutory
from ..governance.calendar import (
    add_months,
    add_working_days_beginning_with,
    is_working_day,
    latest_occurrence,
    next_working_day,
)
from ..governance.organisation import ADMINISTRATOR, HEAD_OF_CATEGORY, Role
from ..models import (
    ApprovalStep,
    Case,
    CaseDeadline,
    Contract,
    Decision,
    DynamicMarket,
    Framework,
    MarketMembership,
    OutboxMessage,
    StepStatus,
    SweepRun,
    Task,
    TaskStatus,
    User,
    deadline_task_kind,
)
from ..models.outbox import TASK_OVERDUE, TASKS_RAISED, naming_step, page_of
from ..models.tasks import (
    CONTRACT_ENDED,
    CONTRACT_REVIEW,
    COUNCIL_DUTIES,
    COUNCIL_SUBJECT,
    DEADLINE_TASK,
    ENDED_WITH_THE_CONTRACT,
    FRAMEWORK_REOPENING,
    INVITE_TENDERS,
    NOTICE_DATE,
    NOTICE_DETAIL,
    NOTICE_DETAIL_WITH_EXTENSION,
    RENEWAL_DECISION,
    SUPERSEDED,
)
from ..services import performance
from ..services.frameworks import reopening_due, reopenings_by_framework
from ..services.links import LIFETIME, issue_action_link
from ..services.markets import APPLICATION_WAITING, category_team
from ..services.passwords import AT_ONCE, PASSWORD_LINK, WELCOME, issue_password_link
from ..services.reading import open_forward_plan, waiting_on_approvers_since
from ..services.tasks import NewTask, raise_task, tell_each
from ..wording import counted, duration, listed
from ..workflow.engine import SYSTEM_USERNAME, ActionRequest, behind_the_proposal
from ..workflow.frameworks import framework_name, framework_reference, ours_to_reopen
from ..workflow.markets import ceased
from .config import LeadTimes, Schedule

log = logging.getLogger(__name__)


def _renewal_states(core: Core, *stands: str) -> tuple[str, ...]:
    """The contract states whose renewal is ``stands`` ("pending": still to be decided; "deciding": before its
    approvers; "decided": to end, or be re-commissioned, at its end date), as the contract workflow marks them."""
    return core.workflows.states_where("contract", "renewal", *stands)


def _add_months(core: Core, column, months):
    """``column`` plus ``months`` (an SQL integer; negative goes back) calendar months in the database's own
    date arithmetic, clamped to the end of a shorter month as PostgreSQL and ``add_months`` do (31 May less
    3 months is 28 February; SQLite on its own would say 3 March)."""
    if core.db.is_postgresql:
        return cast(column + func.make_interval(0, months), Contract.end_date.type)
    shift = cast(months, String) + literal(" months")  # "6 months", "-6 months"
    return func.min(func.date(column, shift), func.date(column, "start of month", shift, "+1 month", "-1 day"))


def _review_every_sql(schedule: Schedule):
    """``Schedule.review_every`` in SQL: the months between reviews of the first rule matching each contract."""
    rules = [
        (
            and_(
                Contract.risk == rule.risk if rule.risk is not None else true(),
                Contract.value > rule.value_over if rule.value_over is not None else true(),
            ),
            _months(rule.every_months),
        )
        for rule in schedule.review_rules
    ]
    return sql_case(*rules, else_=_months(12))


@dataclass
class SweepResult:
    name: str
    changed: int
    seconds: float = 0.0


@contextmanager
def _skipped_if_it_fails(what: str) -> Iterator[None]:
    """One item of a sweep (a case to move on, a reminder to raise), in its own transaction. One that may not
    happen now (another scheduler or a person got there first) is skipped quietly; one that fails unexpectedly
    (a row the engine cannot read) is logged with what it was and skipped, so that it cannot hold up the items
    after it run after run. A database that cannot be reached stops the sweep: the next run retries it."""
    try:
        yield
    except DomainError as error:
        log.info("%s skipped: %s", what, error.message)
    except IntegrityError as error:  # most likely raised at the same moment by another scheduler
        log.warning("%s skipped: %s", what, error.orig)
    except OperationalError:
        raise
    except Exception:
        log.exception("%s failed, and is tried again at the next run", what)


def raise_renewal_tasks(core: Core, schedule: Schedule, today: date, *, full: bool = False) -> SweepResult:
    """A renewal-decision task for each contract whose most recent lead time has come, once per lead time.

    For lead times L1 > L2 > ... > Ln (months), a contract ending in (today + L(i+1), today + Li] is due its
    Li task; one ending within Ln months its Ln task. Earlier lead times that were missed (downtime, a new
    import) are moot by then, so only the latest due one is raised.

    The whole register is one statement: one pass over the end-date index, which works out each contract's
    lead time in SQL. After its first run the sweep is incremental: it looks only at contracts whose lead
    time came since the last run, and at contracts added, or whose end date moved, since; ``full`` looks at
    the whole register again.
    """
    now = core.engine.clock()
    lead = _lead_time_due(schedule, today)
    longest = max(months for row in schedule.lead_times for months in row.months_before)
    window = [Contract.end_date >= today, Contract.end_date <= add_months(today, longest), lead.is_not(None)]
    states = _renewal_states(core, "pending")
    run_name = _renewal_run_name(schedule, states)
    with core.db.unit_of_work() as session:
        last = _last_run(session, run_name, full)
        passes = [window]
        if last is not None:
            # Incremental: contracts whose lead time came since the last run (a narrow range of end dates for
            # each lead time, with a margin for month ends, each its own index range), and those added, or
            # whose end date moved, since. Anything seen twice is absorbed by the unique key.
            since = last.last_run_on - RESCAN_MARGIN
            passes = [
                [
                    Contract.end_date > max(add_months(since, months), today - timedelta(days=1)),
                    Contract.end_date <= add_months(today, months),
                    lead.is_not(None),
                ]
                for months in sorted({m for row in schedule.lead_times for m in row.months_before})
            ]
            # An end date a variation, an extension or a correction moved since within its shortest lead time
            # is swept as a contract just added is: no lead time of it is still to come to raise its task.
            # (One with a lead time still to come waits for it: an extension just approved is not a renewal
            # task overdue at once.) Found by its own index: usually none.
            moved_since = select(Contract.id).where(Contract.end_date_moved_at >= last.last_run_at)
            passes.append([*window, Contract.id.in_(moved_since), _within_shortest_lead_time(schedule, today)])
            if (added := _added_since(session, last)) is not None:
                passes.append([*window, added])
        new = []
        for conditions in passes:
            new += _raised(session.connection().execute(_renewal_insert(core, lead, conditions, states, now)))
        raised = len(new)
        _announce_tasks(session, new, now)  # one message for each assignee, whichever pass raised their tasks
        _record_run(core, session, run_name, today, now)
        if raised:
            data = {"raised": raised, "on": today.isoformat()}
            if superseded := _supersede_renewal_tasks(session, now):
                data["superseded"] = superseded
            system = _system_user(session)
            core.engine.system_event(session, actor_id=system, action="raise_renewal_tasks", data=data)
    return SweepResult("raise_renewal_tasks", raised)


def _supersede_renewal_tasks(session, now) -> int:
    """Close each open renewal task that one just raised (at ``now``) for the same contract, at a later lead
    time, takes the place of: one renewal task a contract at a time, the latest, rather than the same decision
    listed again at each lead time, each falling overdue and escalating in its turn. One pass over the tasks
    (only a run that raised some); each open renewal task looks for its successor by the case index."""
    later = aliased(Task)
    overtaken = exists().where(
        later.case_id == Task.case_id,
        later.kind == RENEWAL_DECISION,
        later.created_at == now,
        later.due_on > Task.due_on,
    )
    closing = Task.closing(
        Task.kind == RENEWAL_DECISION, Task.created_at < now, overtaken, outcome=SUPERSEDED[0], at=now, by=None
    )
    return session.execute(closing).rowcount


def _renewal_run_name(schedule: Schedule, states: tuple[str, ...]) -> str:
    """The sweep's bookkeeping row, named for the lead times it ran with and the contract states it raises
    tasks in. Editing either (schedule.yaml; a state's ``renewal`` stand in the contract workflow) makes the
    next run a full one, so contracts whose lead time has already come get their task."""
    lead_times = [(str(row.value_over), row.months_before, sorted(row.pillars or ())) for row in schedule.lead_times]
    key = repr((lead_times, sorted(states)))
    return f"raise_renewal_tasks:{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def _lead_time_due(schedule: Schedule, today: date):
    """SQL for the lead time (months) whose task each contract is due today, or NULL if none has come yet.

    The first row of the schedule that matches the contract's value and pillar applies, as in the file; of its
    lead times, the shortest one that has come (the contract ends within that many months) is the one due.
    """
    bands = []
    for row in schedule.lead_times:
        come = [(Contract.end_date <= add_months(today, months), _months(months)) for months in row.months_before[::-1]]
        bands.append((_lead_times_apply(row), sql_case(*come)))
    return sql_case(*bands)


def _lead_times_apply(row: LeadTimes):
    """SQL: the schedule's lead-time ``row`` matches the contract's value and pillar (the first that does
    applies, as in the file)."""
    return and_(
        Contract.value > row.value_over if row.value_over > 0 else true(),
        Contract.pillar.in_(row.pillars) if row.pillars is not None else true(),
    )


def _within_shortest_lead_time(schedule: Schedule, today: date):
    """SQL: the contract ends within the shortest lead time of the schedule's row that applies to it (as
    ``_lead_time_due`` matches them), so none of its lead times is still to come."""
    shortest = [
        (_lead_times_apply(row), Contract.end_date <= add_months(today, min(row.months_before)))
        for row in schedule.lead_times
    ]
    return sql_case(*shortest, else_=false())


def _months(months: int):
    # Inlined, not bound: a validated whole number, and the database then knows it is an integer.
    return literal_column(str(int(months)), Integer)


def expire_contracts(core: Core, today: date) -> SweepResult:
    """Contracts past their end date expire through the engine (which raises the termination notice duty)."""
    with core.db.reading() as session:
        system = _system_user(session)
        due = (
            session.execute(
                select(Contract.case_id)
                .join(Case, Case.id == Contract.case_id)
                .where(Contract.end_date <= today, _at_a_source_of(core, "expire"))
                .order_by(Contract.end_date, Contract.id)
            )
            .scalars()
            .all()
        )
    expired = 0
    for case_id in due:
        with _skipped_if_it_fails(f"expire on case {case_id}"):
            core.engine.act(ActionRequest(case_id, "expire", system, comment="Reached its end date"))
            expired += 1
    return SweepResult("expire_contracts", expired + _close_tasks_of_ended_contracts(core, system))


def _close_tasks_of_ended_contracts(core: Core, system: int) -> int:
    """The open renewal, notice-date and review tasks of contracts that have ended, closed as the contract
    ended. Its end closes them itself (``close_contract_tasks``): this finds those left by a contract that ended
    before it did, or raised by a second scheduler as the contract ended."""
    ended = exists().where(Case.id == Task.case_id, Case.closed_at.is_not(None))
    now = core.engine.clock()
    with core.db.unit_of_work() as session:
        closing = Task.closing(
            Task.kind.in_(ENDED_WITH_THE_CONTRACT), ended, outcome=CONTRACT_ENDED[0], at=now, by=None
        )
        closed = session.execute(closing).rowcount
        if closed:
            data = {"closed": closed, "outcome": CONTRACT_ENDED[0]}
            core.engine.system_event(session, actor_id=system, action="close_tasks_of_ended_contracts", data=data)
    return closed


def end_periods(core: Core, schedule: Schedule, today: date) -> SweepResult:
    """Periods that end by the calendar end through the engine, as its system user, the day after their last
    day: a tender period closes (the case goes to evaluation and its panel is asked, ``close_tenders``), and a
    standstill ends (the contract may then be signed, ``end_standstill``). Each only where the case's
    workflow lets the system take that action from where the case is; its guards decide, as for a person.

    A competitive flexible procedure's participation period does not move on by itself: which suppliers are
    invited to tender is the team's choice. Its close raises a task for them instead (``invite_tenders``)."""
    with core.db.reading() as session:
        system = _system_user(session)
        closing = session.scalars(
            select(Case.id).where(
                _at_a_source_of(core, "close_tenders"), Case.details["tenders_close_on"].as_string() < today.isoformat()
            )
        ).all()
        standstill_over = session.scalars(
            select(Case.id)
            .join(CaseDeadline, CaseDeadline.case_id == Case.id)
            .where(
                _at_a_source_of(core, "end_standstill"),
                CaseDeadline.kind == "standstill_end",
                CaseDeadline.met_at.is_(None),
                CaseDeadline.due_on < today,
            )
        ).all()
    ended = 0
    for trigger, case_ids, why in (
        ("close_tenders", closing, "The tender period set in the tender notice has ended"),
        ("end_standstill", standstill_over, "The standstill period has ended"),
    ):
        for case_id in sorted(case_ids):
            with _skipped_if_it_fails(f"{trigger} on case {case_id}"):
                core.engine.act(ActionRequest(case_id, trigger, system, comment=why))
                ended += 1
    raised = _raise_invitation_tasks(core, schedule, today, system)
    return SweepResult("end_periods", ended + raised)


def _raise_invitation_tasks(core: Core, schedule: Schedule, today: date, system: int) -> int:
    """A task for the procurement team of each case whose participation period closed before today and whose
    tenders are still to be invited, once; due ``invite_within`` UK working days after the closing date.
    Inviting tenders completes it (``close_invitation_task``), and terminating the procurement closes it
    (``drop_invitation_task``): both by the engine, in the action's transaction."""
    with core.db.reading() as session:
        waiting = session.scalars(
            select(Case).where(
                _at_a_source_of(core, "invite_tenders"),
                Case.details["participation_closes_on"].as_string() < today.isoformat(),
                ~exists().where(Task.case_id == Case.id, Task.kind == INVITE_TENDERS),  # raised already
            )
        ).all()
        owners = {case.id: _case_owner(core, session, case) for case in waiting}
    raised = 0
    for case in sorted(waiting, key=lambda c: c.id):
        closed = date.fromisoformat(case.details["participation_closes_on"])
        new = NewTask(
            kind=INVITE_TENDERS,
            title=f"{case.reference}: Requests to participate have closed: invite tenders",
            due_on=add_working_days_beginning_with(next_working_day(closed), schedule.invite_within),
            assignee_id=owners[case.id],
            case_id=case.id,
            milestone_on=closed,
            detail=(
                f"Requests to participate in '{case.title}' closed on {closed:%-d %B %Y}. Assess them against the "
                "conditions of participation, then invite the suppliers chosen to tender from the case's page "
                "(Invite tenders): the tender period runs from the invitation."
            ),
        )
        with _skipped_if_it_fails(f"the task to invite tenders on case {case.id}"), core.db.unit_of_work() as session:
            raised += raise_task(core, session, new, actor_id=system) is not None
    return raised


def _at_a_source_of(core: Core, trigger: str) -> ColumnElement[bool]:
    """A case at a state its workflow's ``trigger`` starts from (the workflow file says which); its stage named
    too, so that the cases' index on stage and state finds them in a large register."""
    return or_(
        false(),
        *(
            and_(
                Case.stage == core.workflows.get(name, version).stage,
                Case.state.in_(states),
                Case.workflow == name,
                Case.workflow_version == version,
            )
            for (name, version), states in core.workflows.sources_of(trigger).items()
            if states
        ),
    )


def raise_notice_tasks(core: Core, schedule: Schedule, today: date) -> SweepResult:
    """A task before each contract's last day to give notice (end date less its notice period), so notice to
    end or renew is given in time. Raised once per notice date, ``notice_lead_days`` ahead; a variation or
    extension that moves the end date moves the notice date, and the new date gets its own task."""
    horizon = today + timedelta(days=schedule.notice_lead_days)
    with core.db.unit_of_work() as session:
        candidates = select(
            Contract.id,
            Contract.case_id,
            Contract.contract_manager_id,
            Contract.end_date,
            Contract.notice_by,
            Contract.extension_months_available,
        ).where(
            Contract.notice_by >= today,
            Contract.notice_by <= horizon,
            Contract.notice_period_days > 0,  # none recorded: no day to give notice by (it would be the end date)
        )
        statement = _contract_task_insert(
            core,
            candidates,
            kind=NOTICE_DATE,
            title="Last day to give notice: ",
            # Where the contract has an extension option left, notice of taking it up is given by the same day.
            detail=lambda c: sql_case(
                (c.extension_months_available > 0, literal(NOTICE_DETAIL_WITH_EXTENSION)), else_=literal(NOTICE_DETAIL)
            ),
            due_on=lambda c: c.notice_by,
            # Until the contract ends: notice is most needed once the council has decided to let it end.
            states=_renewal_states(core, "pending", "deciding", "decided"),
            now=core.engine.clock(),
        )
        new = _raised(session.connection().execute(statement))
        raised = len(new)
        _announce_tasks(session, new, core.engine.clock())
        if raised:
            core.engine.system_event(
                session, actor_id=_system_user(session), action="raise_notice_tasks", data={"raised": raised}
            )
    return SweepResult("raise_notice_tasks", raised)


# --- periodic reviews and KPI assessments ---------------------------------------------------------------
RANGES_PER_QUERY = 200
ADDED_BY_ID = 10_000
REVIEW_KINDS = {
    CONTRACT_REVIEW: "Contract review",
    performance.TASK_KIND: "KPI assessment (contract performance notice)",
}


def raise_reviews(core: Core, schedule: Schedule, today: date) -> SweepResult:
    """A review task, and for contracts whose KPIs the Act asks for a KPI-assessment task, a lead time before
    each falls due.

    A contract's reviews fall on the anniversaries of its start date at its cadence (``Schedule.review_every``; KPI
    assessments every ``schedule.kpi_every_months``, at most 12, for the public contracts under the Act worth
    over 5,000,000 with VAT that must have KPIs: PA23 s52, s71), so nothing about them is stored on the contract:
    each run raises the occurrences that came within the lead time since the last run, (last run + lead,
    today + lead], and for contracts added since, or whose reviews moved since (``Contract.reviews_moved_at``),
    those in (today, today + lead]. The first run looks ahead
    from today. After downtime a contract gets one task, for its latest occurrence in the window. The
    contracts whose occurrences can fall in a window have start dates in a few narrow ranges (one for each
    multiple of the cadence), found with an index range each; the task's unique key makes a rerun, or a
    second scheduler, raise nothing.
    """
    now = core.engine.clock()
    horizon = today + timedelta(days=schedule.review_lead_days)
    raised = 0
    # A contract is reviewed, and its KPIs assessed, for as long as it runs (PA23 s71(2): every 12 months "during
    # which the contract is being performed"), its renewal still to decide, being decided or decided alike.
    running = _renewal_states(core, "pending", "deciding", "decided")
    run_name = _reviews_run_name(schedule, running)
    with core.db.unit_of_work() as session:
        last = _last_run(session, run_name, False)
        oldest = session.scalar(select(func.min(Contract.start_date)))
        # Each window: the day it starts after (it ends on the horizon), and which contracts it is for.
        if last is None:
            windows = [(today, [])]
        else:
            since = last.last_run_on + timedelta(days=schedule.review_lead_days)  # the last run's horizon
            windows = [(since, [])]
            # Contracts added since, and those whose reviews moved since (a start date or value corrected, a new
            # risk rating), from today: the last run looked past the days before its horizon without them.
            for stamp in (Contract.created_at, Contract.reviews_moved_at):
                if (added := _added_since(session, last, stamp)) is not None:
                    windows.append((today, [added]))
        due: dict[tuple[int, str], tuple[date, int, Any]] = {}  # (contract, kind): (when, cadence, contract)
        for after, conditions in windows:
            if oldest is None or after >= horizon:
                continue
            for kind, every, matches in _review_cadences(schedule):
                ranges = review_start_ranges(every, oldest, after, horizon)
                # At most RANGES_PER_QUERY ranges a statement: SQLite parses an OR chain as a tree as deep
                # as it is long and refuses one over a thousand deep, which one start date typed as 0026 for
                # 2026 would otherwise bring about.
                for first in range(0, len(ranges), RANGES_PER_QUERY):
                    some = ranges[first : first + RANGES_PER_QUERY]
                    candidates = session.execute(_review_candidates(some, matches, conditions, running)).all()
                    if kind == performance.TASK_KIND:  # the SQL's filter is a coarse one: the Act's test, exactly
                        owing = performance.contracts_owing_kpis(session, candidates)
                        candidates = [c for c in candidates if c.id in owing]
                    for c in candidates:
                        when = latest_occurrence(c.start_date, every, horizon)
                        if when is None or when <= after or when <= due.get((c.id, kind), (date.min,))[0]:
                            continue
                        # Not on or after its last day: a review of a contract then over is moot, and the Act's
                        # last KPI assessment is the one on termination (its own task, when the contract ends).
                        if when < c.end_date:
                            due[(c.id, kind)] = (when, every, c)
        tasks = [
            {
                "subject_key": f"contract:{c.id}", "kind": kind,
                "title": f"{REVIEW_KINDS[kind]}: {c.reference} {c.title}",
                "detail": f"Every {counted(every, 'month')}; due {when:%-d %B %Y}", "contract_id": c.id,
                "case_id": c.case_id, "assignee_id": c.contract_manager_id or c.requester_id, "due_on": when,
                "milestone_on": when, "status": TaskStatus.OPEN.value, "snooze_reason": "", "outcome": "",
                "outcome_note": "", "created_at": now,
            }
            for (_, kind), (when, every, c) in sorted(due.items(), key=lambda item: item[0])
        ]  # fmt: skip
        if tasks:
            new = _insert_tasks(core, session, tasks)
            raised = len(new)
            _announce_tasks(session, new, now)
        _record_run(core, session, run_name, today, now)
        if raised:
            core.engine.system_event(
                session, actor_id=_system_user(session), action="raise_reviews", data={"raised": raised}
            )
    return SweepResult("raise_reviews", raised)


def _added_since(session, last: SweepRun, stamp=Contract.created_at):
    """SQL for the contracts added since a sweep's ``last`` run (or with another ``stamp`` since then: their
    reviews moved); None where there are none (counted from its index: usually none). By id from that index
    where they are few: a planner would rather walk the sweep's own index ranges (end dates, start dates) and
    test each row's stamp, which is right only for a bulk import."""
    added_since = stamp >= last.last_run_at
    added = session.scalar(select(func.count()).where(added_since))
    if not added:
        return None
    return Contract.id.in_(select(Contract.id).where(added_since)) if added <= ADDED_BY_ID else added_since


def _review_cadences(schedule: Schedule):
    """(task kind, months between, which contracts have that cadence) for each cadence in the schedule."""
    for every in sorted({rule.every_months for rule in schedule.review_rules}):
        yield CONTRACT_REVIEW, every, _review_every_sql(schedule) == _months(every)
    yield performance.TASK_KIND, schedule.kpi_every_months, _may_owe_kpis()


def _may_owe_kpis():
    """The contracts that may have to have KPIs (PA23 s52): under the Act, not light-touch, worth over 5,000,000
    with VAT. ``performance.contracts_owing_kpis`` then applies the rest of the test (above the threshold when
    the procurement commenced, no exemption) to the few that fall due."""
    rates = [(Contract.vat_treatment == vat.value, float(1 + vat.rate)) for vat in statutory.VatTreatment if vat.rate]
    with_vat = Contract.value * sql_case(*rates, else_=1.0)
    return and_(
        Contract.regime == statutory.Regime.PA2023.value,
        Contract.contract_type != statutory.ContractType.LIGHT_TOUCH.value,
        with_vat > float(statutory.KPI_THRESHOLD) - 1,  # a pound's slack for rounding: the exact test follows
    )


def review_start_ranges(every: int, oldest: date, after: date, until: date) -> list[tuple[date, date]]:
    """The start dates (ranges, inclusive) of the contracts reviewed every ``every`` months that may have an
    occurrence in (``after``, ``until``]: those starting ``k * every`` months before it, for each k back to
    the ``oldest`` start, with three days' slack for month ends (31 August plus three months is 30 November);
    ``latest_occurrence`` then says exactly."""
    ranges, months = [], every
    while (high := add_months(until, -months) + timedelta(days=3)) >= oldest:
        ranges.append((add_months(after, -months), high))
        months += every
    return ranges


def _review_candidates(ranges: list[tuple[date, date]], matches, conditions: list, running: tuple[str, ...]):
    """The contracts in the ``running`` states starting in one of ``ranges`` (an index range each) that
    ``matches``."""
    return (
        select(
            Contract.id,
            Contract.reference,
            Contract.title,
            Contract.case_id,
            Contract.start_date,
            Contract.end_date,
            Contract.contract_manager_id,
            Case.requester_id,
            # What the Act's test for KPIs reads (performance.contracts_owing_kpis).
            Contract.regime,
            Contract.value,
            Contract.vat_treatment,
            Contract.contract_type,
            Contract.procurement_case_id,
        )
        .join(Case, Case.id == Contract.case_id)
        .where(
            or_(*(Contract.start_date.between(low, high) for low, high in ranges)),
            matches,
            Case.state.in_(running),
            *conditions,
        )
    )


def _reviews_run_name(schedule: Schedule, states: tuple[str, ...]) -> str:
    """The sweep's bookkeeping row, named for its rules and the contract states it raises tasks in: editing
    either (schedule.yaml; the contract workflow's states) starts afresh from the day of the next run, which
    looks a lead time ahead for every contract (occurrences under the old rules are not raised late)."""
    rules = [(r.every_months, r.risk, str(r.value_over)) for r in schedule.review_rules]
    key = repr((rules, schedule.review_lead_days, "kpis: PA23 s52", schedule.kpi_every_months, sorted(states)))
    return f"raise_reviews:{hashlib.sha256(key.encode()).hexdigest()[:12]}"


# --- statutory deadlines ------------------------------------------------------------------------------
DEADLINE_TITLES = {
    "standstill_end": "Standstill ends: the contract may be entered into after it",
    "change_standstill_end": "Voluntary standstill ends: the modification may be made after it",
    "contract_details_notice": "Publish the contract details notice",
    "contract_copy": "Publish a copy of the contract",
    "modification_copy": "Publish a copy of the modified contract",
    "termination_notice": "Publish the contract termination notice",
    "contract_change_notice": "Publish the contract change notice",
    "breach_performance_notice": "Publish the contract performance notice on the supplier's breach",
    "procurement_termination_notice": "Publish the procurement termination notice",
    "final_kpi_assessment": "Assess the supplier against the KPIs on termination, and publish it",
    "forward_plan": "Key decision: the forward plan notice period ends",
}
PCR_DEADLINE_TITLES = {  # the same duties under the PCR 2015, where they differ (statutory.pcr_award_notice)
    "contract_details_notice": "Publish the contract award notice (PCR 2015)",
}


def deadline_title(kind: str, regime: str | None) -> str:
    """What a task reminding someone of a case's deadline asks them to do."""
    if regime == statutory.Regime.PCR2015 and kind in PCR_DEADLINE_TITLES:
        return PCR_DEADLINE_TITLES[kind]
    return DEADLINE_TITLES.get(kind, kind.replace("_", " "))


def remind_deadlines(core: Core, schedule: Schedule, today: date) -> SweepResult:
    """A task for each statutory deadline on a case (standstill end, the notices, the forward plan) as it
    comes within the warning period, once; closed when it is met. A notice still owed after its date (the
    scheduler was down, the duty arose on its last day) is raised late, overdue; a date that only informs
    (standstill end, forward plan) is not, once it has passed."""
    horizon = today + timedelta(days=schedule.deadline_warning_days)
    raised = 0
    # A reminder raised already is left alone (``raise_task`` would), unless it was done as met and the duty
    # is owed afresh for that day: looking only at the others keeps an hourly run light where many notices
    # are owed (each contract that ended owes its termination notice until it is recorded).
    reminded = exists().where(
        Task.case_id == CaseDeadline.case_id,
        Task.kind == literal(DEADLINE_TASK) + CaseDeadline.kind,
        Task.due_on == CaseDeadline.due_on,
        or_(Task.status != TaskStatus.DONE, Task.outcome != "met"),
    )
    with core.db.reading() as session:
        due = session.execute(
            select(CaseDeadline, Case)
            .join(Case, Case.id == CaseDeadline.case_id)
            .where(
                CaseDeadline.met_at.is_(None),
                CaseDeadline.due_on <= horizon,
                or_(CaseDeadline.due_on >= today, CaseDeadline.kind.in_(list(statutory.NOTICE_DUTIES))),
                ~reminded,
            )
        ).all()
        owners = {case.id: _case_owner(core, session, case) for _, case in due}
        system = _system_user(session)
    for deadline, case in due:
        reminder = f"the reminder of {deadline.kind} on case {case.id}"
        with _skipped_if_it_fails(reminder), core.db.unit_of_work() as session:
            new = NewTask(
                kind=deadline_task_kind(deadline.kind),
                title=f"{case.reference}: {deadline_title(deadline.kind, case.regime)}",
                due_on=deadline.due_on,
                assignee_id=owners[case.id],
                case_id=case.id,
                milestone_on=deadline.due_on,
                detail=deadline.basis,
            )
            # A duty owed afresh for a day already met (a second breach's notice) opens that day's reminder again.
            raised += raise_task(core, session, new, actor_id=system, reopen_met=True) is not None
    closed = _close_met_deadline_tasks(core)
    return SweepResult("remind_deadlines", raised + closed)


def _case_owner(core: Core, session, case: Case) -> int:
    """Who does the work the scheduler raises on a case (its notices, inviting tenders): its contract manager
    for a contract; else the first named of its procurement team still working here; else its council's
    category officer for its pillar; else its requester."""
    contract = session.scalar(select(Contract).where(Contract.case_id == case.id))
    if contract is not None and contract.contract_manager_id:
        return contract.contract_manager_id
    team = core.engine.procurement_team(session, case)
    return team[0] if team else case.requester_id


def _close_met_deadline_tasks(core: Core) -> int:
    """Close the tasks of deadlines the workflow met (a notice published as a step of it, a standstill ended),
    and of dates that only informed a case that has since closed (a standstill's end on a withdrawn
    procurement): left open, they would fall overdue and be escalated for nothing. A notice duty's task stays
    open until the notice is recorded, whatever became of the case."""
    deadline = and_(CaseDeadline.case_id == Task.case_id, Task.kind == literal(DEADLINE_TASK) + CaseDeadline.kind)
    met = exists().where(deadline, CaseDeadline.met_at.is_not(None))
    moot = exists().where(
        deadline,
        CaseDeadline.kind.not_in(list(statutory.NOTICE_DUTIES)),
        Case.id == Task.case_id,
        Case.closed_at.is_not(None),
    )
    now = core.engine.clock()
    with core.db.unit_of_work() as session:
        closed = session.execute(Task.closing(met, outcome="met", at=now, by=None)).rowcount
        return closed + session.execute(Task.closing(moot, outcome="case_closed", at=now, by=None)).rowcount


# --- council-wide duties -------------------------------------------------------------------------------
COUNCIL_DUTIES_RUN = "raise_council_duties"


@dataclass(frozen=True)
class _CouncilDuty:
    """A council's duty as it stood on ``day``: the deadline, the task's title and its milestone."""

    deadline: statutory.Deadline
    title: str
    milestone_on: date
    day: date


def _council_duties_on(core: Core, schedule: Schedule, code: str, day: date) -> Iterator[_CouncilDuty]:
    """The duties council ``code`` has on ``day`` (each function of the statutory module answers for one
    day: the period that ended most recently, the window the day is in)."""
    key_decisions = core.governance.rules[code].key_decision
    every = key_decisions.special_urgency_reports_every_months
    within = key_decisions.special_urgency_reports_within_days
    duties = [
        (statutory.payments_compliance_notice(day), "Publish the payments compliance notice"),
        (statutory.payments_notice(day), "Publish the payments notice"),
        (
            statutory.pipeline_notice(day, schedule.expected_annual_spend.get(code, 0)),
            "Publish the procurement pipeline notice",
        ),
        (
            statutory.special_urgency_report(day, every, within),
            "Report the key decisions taken under special urgency to the council",
        ),
    ]
    # A duty is raised once for its date; the report's, once for the last day of the period it covers.
    reported_to = statutory.special_urgency_report_period(day, every)[1]
    for deadline, title in duties:
        if deadline is not None:
            milestone = reported_to if deadline.kind == statutory.SPECIAL_URGENCY_REPORT else deadline.due_on
            yield _CouncilDuty(deadline, title, milestone, day)


def raise_council_duties(core: Core, schedule: Schedule, today: date) -> SweepResult:
    """Each council's own statutory duties: the half-yearly payments compliance notice (to its S151 officer),
    the quarterly payments notice (to its intelligence analysts, who download its list with the Transparency
    Code files), where its expected spend is configured over 100m, the pipeline notice (to its intelligence
    analysts), and the report to the council of its key decisions taken under special urgency, at the
    intervals its governance file sets (to its monitoring officer).

    Raised once per reporting period or year. After downtime, every duty that any day since the last run had
    is raised, late but once: a scheduler down from 1 April to 26 May still owes the pipeline notice, and one
    down for two quarters both payments notices. The first run ever looks at today only: the payments notices
    of the period that ended most recently are asked for, late if their day has passed (the council may not
    have published them: their tasks say the law's date has passed), but no earlier period's; the special
    urgency report and the pipeline notice only until their day (their records are not here). A council with
    nobody in the role gives
    the duty to its administrator, saying why; with no administrator either, the run does not count as done
    from that day, so the next run looks for the duty again."""
    raised = 0
    with core.db.unit_of_work() as session:
        system = _system_user(session)
        last = _last_run(session, COUNCIL_DUTIES_RUN, full=False)
        first_day = today if last is None else min(last.last_run_on + timedelta(days=1), today)
        days = [first_day + timedelta(days=n) for n in range((today - first_day).days + 1)]
        done_through = today
        for code in core.governance.organisation.authorities:
            owed: dict[tuple[str, date], _CouncilDuty] = {}
            for day in days:
                for duty in _council_duties_on(core, schedule, code, day):
                    owed.setdefault((duty.deadline.kind, duty.deadline.due_on), duty)
            for duty in owed.values():
                new = _council_duty_task(core, session, code, duty)
                if new is None:
                    done_through = min(done_through, duty.day - timedelta(days=1))
                    continue
                raised += raise_task(core, session, new, actor_id=system) is not None
        if last is None or done_through > last.last_run_on:
            _record_run(core, session, COUNCIL_DUTIES_RUN, done_through, core.engine.clock())
    return SweepResult("raise_council_duties", raised)


def _or_administrators(
    core: Core, session, people: list[int], authority: str, nobody: str, said: str
) -> tuple[list[int], str]:
    """``people`` and ``said``; with no one in ``people``, ``authority``'s administrators instead, and ``said``
    after why it comes to them (``nobody``: "Nobody holds S151 Officer for OCC"). Either may be empty."""
    if people:
        return people, said
    administrators = core.engine.holders(session, ADMINISTRATOR, authority, None)
    return administrators, f"{nobody}, so this comes to you as an administrator. {said}"


def _council_duty_task(core: Core, session, code: str, duty: _CouncilDuty) -> NewTask | None:
    """The task for council ``code``'s ``duty``, given to the holder of its role (or, with nobody in it, to an
    administrator, told why); None, and a warning, if there is nobody to give it to."""
    deadline, role = duty.deadline, COUNCIL_DUTIES[duty.deadline.kind]
    detail = deadline.basis
    # A statutory duty must reach someone: with nobody in the role, the council's administrator, told why.
    holders = core.engine.holders(session, role, code, None)
    nobody = f"Nobody holds {core.governance.organisation.role_for(role, code, None)}"
    people, detail = _or_administrators(core, session, holders, code, nobody, detail)
    if not people:
        log.warning("%s has nobody to give '%s' to: it is raised once someone holds %s", code, duty.title, role)
        return None
    return NewTask(
        kind=deadline.kind,
        title=f"{code}: {duty.title}",
        due_on=deadline.due_on,
        assignee_id=people[0],
        authority=code,
        milestone_on=duty.milestone_on,
        detail=detail,
    )


# --- chasing --------------------------------------------------------------------------------------------
def working_days_since(start: date, today: date) -> int:
    """UK working days after ``start`` up to and including ``today``."""
    count, day = 0, start
    while day < today:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


def chase_approvals(core: Core, schedule: Schedule, today: date) -> SweepResult:
    """Remind a step's approvers after N working days; escalate after M. Only open steps are looked at, so
    both stop the moment the step is decided or the case moves on; each is sent once per step. A key decision
    recorded on the forward plan cannot be taken before its clear days have run: its wait counts from then.
    A step that waited on its requester's answer to a question counts from the answer: the days the question
    was with the requester were not the approvers' to chase."""
    now = core.engine.clock()
    chased = 0
    forward_plan, on_forward_plan = open_forward_plan()
    with core.db.unit_of_work() as session:
        rows = session.execute(
            select(ApprovalStep, Case, forward_plan.due_on)
            .join(Case, Case.id == ApprovalStep.case_id)
            .outerjoin(forward_plan, on_forward_plan)
            .where(ApprovalStep.status == StepStatus.OPEN, ApprovalStep.escalated_at.is_(None))
            .with_for_update(skip_locked=True, of=ApprovalStep, **CHANGE_LOCK)
        ).all()
        for step, case, forward_plan_ends in rows:
            since = core.engine.today(waiting_on_approvers_since(core, step, case, forward_plan_ends))
            if since > today:
                continue
            waited = working_days_since(since, today)
            waiting = counted(waited, "working day")
            behind = behind_the_proposal(case.requester_id, case.details)  # no decision of theirs to chase
            payload = None
            covering: dict[int, int] = {}  # a reminder's delegates, and whom each covers for
            if waited >= schedule.escalate_after:
                people = [p for p in _escalation_people(core, session, schedule, step.authority, case.pillar)
                          if p not in behind]  # fmt: skip
                subject = f"{case.reference}: an approval has waited {waiting}"
                body = f"'{case.title}' has waited {waiting} for: {step.reason}. Please chase or reassign it."
                if why := core.engine.why_nobody_may_decide(session, case):
                    body = f"{body} {why}"
                # An escalation must reach someone: with nobody else in the role, the council's administrators.
                role = core.governance.organisation.roles[schedule.escalate_to]
                scoped = case.pillar if role.pillar_scoped else None
                nobody = f"Nobody else holds {core.governance.organisation.role_for(role.code, step.authority, scoped)}"
                people, body = _or_administrators(core, session, people, step.authority, nobody, body)
                if not people:
                    log.warning(
                        "%s: nobody to escalate its approval to; it is escalated once someone is", case.reference
                    )
                    continue
                step.escalated_at = now
            elif waited >= schedule.remind_after and step.reminded_at is None:
                # Not a committee's members who have decided already (nor their delegates): the step waits for
                # the others. Whoever covers for an approver away is reminded, as they were told it opened.
                decided = set(session.scalars(select(Decision.principal_id).where(Decision.step_id == step.id)))
                deciders = core.engine.step_deciders(session, step, behind, today)
                people = [person for person, away in deciders if not decided & {person, away}]
                covering = {person: away for person, away in deciders if away is not None}
                subject = f"Reminder: {case.reference} is waiting for your approval"
                body = f"'{case.title}' has waited {waiting} for your decision. {step.reason}"
                # The step, so that the reminder carries a fresh action link (the first may have expired).
                payload = {"case_id": case.id, "step": naming_step(step.gate, step.round, step.position)}
                step.reminded_at = now
            else:
                continue
            for person in dict.fromkeys(p for p in people if p not in behind):
                said = body
                if person in covering:
                    away = core.engine.actor(session, covering[person]).full_name
                    said = f"You cover for {away} while they are away. {body}"
                session.add(
                    OutboxMessage.queued("approval_chase", person, subject, said, now, case_id=case.id, payload=payload)
                )
            chased += 1
    return SweepResult("chase_approvals", chased)


def remind_market_applications(core: Core, schedule: Schedule, today: date) -> SweepResult:
    """Remind a dynamic market's category team of each application still undecided ``market_remind_after``
    UK working days after it was made (PA23 s36: "within a reasonable period"), once; one decided meanwhile,
    or of a market that has ceased, is not. Safe to run twice, or in two schedulers at once: each application
    is claimed with its row locked and marked as reminded in the same transaction."""
    now = core.engine.clock()
    reminded = 0
    with core.db.unit_of_work() as session:
        rows = session.execute(
            select(MarketMembership, DynamicMarket)
            .join(DynamicMarket)
            .where(MarketMembership.decided_on.is_(None), MarketMembership.reminded_at.is_(None), ~ceased())
            .order_by(MarketMembership.applied_on, MarketMembership.id)
            .with_for_update(skip_locked=True, of=MarketMembership, **CHANGE_LOCK)
        ).all()
        for membership, market in rows:
            waited = working_days_since(membership.applied_on, today)
            if waited < schedule.market_remind_after:
                continue
            waiting = counted(waited, "working day")
            subject = f"{membership.supplier_name}'s application to {market.reference} has waited {waiting}"
            body = (
                f"{membership.supplier_name} applied on {membership.applied_on:%-d %B %Y} to join the dynamic market "
                f"{market.reference} {market.title}, and its application still waits for a decision. Admit it if it "
                "meets the conditions for membership and is not excluded, or refuse it saying why: applications are "
                "decided within a reasonable period (Procurement Act 2023 s36), and a supplier waiting cannot take "
                "part in the market's procurements meanwhile."
            )
            payload = {"open": f"/markets/{market.id}#applications", "membership_id": membership.id}
            for person in sorted(category_team(core, session, market)):
                session.add(
                    OutboxMessage.queued(APPLICATION_WAITING, person, subject, body, now, case_id=None, payload=payload)
                )
            membership.reminded_at = now
            reminded += 1
    return SweepResult("remind_market_applications", reminded)


def remind_framework_reopenings(core: Core, schedule: Schedule, today: date) -> SweepResult:
    """A task for the keeper of each running open framework the councils established that is due to be
    re-opened (``services.frameworks.reopening_due``) within ``reopening_remind_before`` days, or overdue: the
    person who recorded it, if they still work here, else a head of category of its councils, else (told why)
    an administrator. Once for each due date (the task's raise-once key), so safe to run twice or in two
    schedulers at once; recording the re-opening completes it (``services.frameworks.record_reopening``)."""
    raised = 0
    with core.db.unit_of_work() as session:
        system = _system_user(session)
        owned = session.scalars(select(Framework).where(ours_to_reopen(today)).order_by(Framework.id)).all()
        reopened = reopenings_by_framework(session)
        for framework in owned:
            due = reopening_due(framework, reopened.get(framework.id, []))
            if due is None or (due.due_on - today).days > schedule.reopening_remind_before:
                continue
            keeper, why = _framework_keeper(core, session, framework)
            if keeper is None:
                log.warning("Nobody keeps framework %s: its re-opening task waits for someone", framework.id)
                continue
            detail = (
                f"{framework_name(framework)} is an open framework the councils established, so theirs to re-open: "
                f"the next framework of its scheme awarded by {due.due_on:%-d %B %Y} ({due.basis}). Re-open it to "
                "new suppliers in time, or let the scheme end; once the framework is awarded, record the "
                "re-opening on its page, which completes this task and lists its suppliers in the register."
            )
            new = NewTask(
                kind=FRAMEWORK_REOPENING,
                title=f"Re-open {framework_reference(framework)}",
                due_on=due.due_on,
                assignee_id=keeper,
                framework_id=framework.id,
                milestone_on=due.due_on,
                detail=f"{why}{detail}",
            )
            raised += raise_task(core, session, new, actor_id=system) is not None
    return SweepResult("remind_framework_reopenings", raised)


def _framework_keeper(core: Core, session, framework: Framework) -> tuple[int | None, str]:
    """Who keeps a framework, with why it came to them where that needs saying: whoever recorded it, if they
    still work here; else a head of category of its councils; else one of their administrators."""
    recorder = session.scalar(select(User.id).where(User.id == framework.recorded_by_id, User.is_active))
    if recorder is not None:
        return recorder, ""
    councils = core.governance.organisation.authorities_of(framework.authority)
    for role in (HEAD_OF_CATEGORY, ADMINISTRATOR):
        people = [person for council in councils for person in core.engine.holders(session, role, council, None)]
        if people:
            name = core.governance.organisation.roles[role].name
            return people[0], f"Whoever recorded this framework no longer works here, so it comes to you as {name}. "
    return None, ""


def _escalation_people(core: Core, session, schedule: Schedule, authority: str, pillar: str) -> list[int]:
    """The council's named fallback if one is configured and active, else the holders of the fallback role."""
    username = schedule.escalate_to_person.get(authority)
    if username:
        person = session.scalar(select(User.id).where(User.username == username, User.is_active.is_(True)))
        if person is not None:
            return [person]
        log.warning("named fallback %s for %s is unknown or inactive: escalating to the role", username, authority)
    role = core.governance.organisation.roles[schedule.escalate_to]
    return core.engine.holders(session, role.code, authority, pillar if role.pillar_scoped else None)


def escalate_overdue_tasks(core: Core, schedule: Schedule, today: date) -> SweepResult:
    """A task still open after its due date (not snoozed beyond today, and raised at least a week ago) goes to
    the Head of Category of its case's team (a framework's re-opening: of its councils, any pillar), once; a
    council's own statutory duty (``COUNCIL_DUTIES``) to its Monitoring Officer, whose duty it is to report
    the council's breaches of the law (Local Government and Housing Act 1989 s5). Each of them hears once per
    sweep, with the list, not once per task: loading a register can make thousands overdue at once.

    Where nobody holds that role, the council's administrators hear instead, told why, so that an overdue
    task is never dropped in silence; with no administrator either, the task stays unescalated and is picked
    up by a later sweep once someone holds one of the roles."""
    now = core.engine.clock()
    organisation = core.governance.organisation
    to_team, to_council = (
        organisation.roles[code] for code in (schedule.overdue_escalate_to, schedule.duty_escalate_to)
    )
    tasks = Task.__table__
    with core.db.unit_of_work() as session:
        rows = session.execute(
            select(
                tasks.c.id,
                tasks.c.title,
                tasks.c.due_on,
                tasks.c.case_id,
                # A framework's re-opening goes to the heads of category of its councils, any pillar's.
                func.coalesce(Case.authority, Framework.authority).label("authority"),
                Case.pillar,
                Task.council,
                User.full_name.label("assignee"),
            )
            .join(User, User.id == tasks.c.assignee_id)
            .outerjoin(Case, Case.id == tasks.c.case_id)
            .outerjoin(Framework, Framework.id == tasks.c.framework_id)
            .where(
                or_(
                    tasks.c.case_id.is_not(None),
                    tasks.c.framework_id.is_not(None),
                    tasks.c.subject_key.startswith(COUNCIL_SUBJECT),
                ),
                # Overdue as its assignee sees it: a task raised late (after downtime, or for a newly loaded
                # contract) has a week to be picked up before it counts as untouched.
                Task.overdue(today),
                tasks.c.escalated_at.is_(None),
            )
            .with_for_update(skip_locked=True, of=tasks, **CHANGE_LOCK)  # a second scheduler takes the others, or none
        ).all()

        found: dict[tuple[str, str, str | None], list[int]] = {}

        def holders(code: str, authority: str, pillar: str | None) -> list[int]:
            """The holders of ``code`` for the team (or council), looked up once a sweep; its absence logged once."""
            if (code, authority, pillar) not in found:
                scoped = pillar if organisation.roles[code].pillar_scoped else None
                councils = organisation.authorities_of(authority)
                found[code, authority, pillar] = list(
                    dict.fromkeys(p for a in councils for p in core.engine.holders(session, code, a, scoped))
                )
                if not found[code, authority, pillar] and code != ADMINISTRATOR:
                    where = " ".join(filter(None, (authority, pillar)))
                    name = organisation.roles[code].name
                    log.warning("Nobody holds %s for %s: overdue tasks go to its administrators", name, where)
            return found[code, authority, pillar]

        letters: dict[tuple[bool, bool], dict[int, list]] = {}  # by (a council's duty, to stand-ins), then person
        escalated: dict[tuple[str, tuple[int, ...]], list[int]] = {}  # the tasks, by whom they went to
        for row in rows:
            duty = row.council is not None
            role, team = (to_council, (row.council, None)) if duty else (to_team, (row.authority, row.pillar))
            told, people, standing_in = role.code, holders(role.code, *team), False
            if not people:
                told, people, standing_in = ADMINISTRATOR, holders(ADMINISTRATOR, *team), True
            if not people:
                continue  # nobody to tell yet: a later sweep escalates it
            for person in people:
                letters.setdefault((duty, standing_in), {}).setdefault(person, []).append(row)
            escalated.setdefault((told, tuple(people)), []).append(row.id)
        for (duty, standing_in), by_person in letters.items():
            one, many, intro = _overdue_letter(to_council if duty else to_team, duty, standing_in)
            # Many tasks lead to the list of them: the council's notices, or the team's (which an
            # administrator standing in is not in: theirs lead to the first task's case).
            listed = "/tasks/?whose=council" if duty else None if standing_in else "/tasks/?whose=team"
            tell_each(session, by_person, TASK_OVERDUE, one, many, intro, now, line=_overdue_line, listed=listed)
        by_role: dict[str, int] = {}
        for (told, people), ids in escalated.items():  # a team's tasks go to the same people: few updates
            for chunk in range(0, len(ids), 1000):
                session.execute(
                    update(tasks)
                    .where(tasks.c.id.in_(ids[chunk : chunk + 1000]))
                    .values(escalated_at=now, escalated_role=told, escalated_to=list(people))
                )
            by_role[told] = by_role.get(told, 0) + len(ids)
        if by_role:  # on the system chain, as the sweeps that raise tasks record how many they raised
            data = {"escalated": sum(by_role.values()), "to": by_role}
            core.engine.system_event(
                session, actor_id=_system_user(session), action="escalate_overdue_tasks", data=data
            )
    return SweepResult("escalate_overdue_tasks", sum(by_role.values()))


def _overdue_letter(role: Role, duty: bool, standing_in: bool) -> tuple[Callable, Callable, str]:
    """An overdue escalation's subject (for one task, and for many) and introduction: to the role's holder, or
    to an administrator standing in for nobody holding it; about a team's tasks, or the council's own duties."""
    if standing_in:
        whose = "council" if duty else "team"
        return (
            lambda row: f"Overdue, and no {role.name} to escalate to: {row.title}",
            lambda count: f"{count} overdue tasks with no {role.name} to escalate to",
            f"Nobody holds {role.name} for the {whose} these tasks belong to, so they come to you as an "
            f"administrator. Give the role to someone, or see that the tasks are dealt with:",
        )
    if duty:
        return (
            lambda row: f"Overdue: {row.title}",
            lambda count: f"{count} of the council's statutory duties overdue",
            "The council's own statutory duties, still not done after their due date:",
        )
    return (
        lambda row: f"Overdue: {row.title}",
        lambda count: f"{count} overdue tasks in your team",
        "Still open after their due date (assigned to someone in your team):",
    )


def _overdue_line(row) -> str:
    return f"- {row.title}, with {row.assignee} (due {row.due_on:%-d %B %Y})"


# What a sweep's tasks are, as the subject of the message telling their assignee about several of them.
RAISED_AS = {
    RENEWAL_DECISION: "renewal decisions",
    NOTICE_DATE: "last days to give notice",
    CONTRACT_REVIEW: "contract reviews",
    performance.TASK_KIND: "KPI assessments",
}


def _announce_tasks(session, raised, now) -> None:
    """Tell each assignee about the tasks a sweep just raised for them: one message each, not one per task,
    in the same transaction that raised them. Its subject says what they are, so that two such messages at
    once (a run's renewal decisions and its notice dates) do not read as one sent twice."""
    by_person: dict[int, list] = {}
    for row in raised:
        by_person.setdefault(row.assignee_id, []).append(row)
    for person, rows in by_person.items():
        present = {row.kind for row in rows}
        kinds = listed([named for kind, named in RAISED_AS.items() if kind in present])
        about = f": {kinds}" if kinds else ""
        tell_each(
            session,
            {person: rows},
            TASKS_RAISED,
            lambda row: row.title,
            lambda count, about=about: f"{count} new tasks for you{about}",
            "",
            now,
            alone=lambda row: f"Due {row.due_on:%-d %B %Y}.",  # the subject names it: not a list of one
        )


# --- email -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mailer:
    host: str
    port: int
    sender: str
    username: str = ""
    password: str = ""
    starttls: bool = False
    base_url: str = "http://127.0.0.1:5000"
    # Development without a mail server: each email is written to a file here instead (and logged), so that
    # the links in them (an approval's, a password's) can be followed. Never in production.
    drop_folder: Path | None = None

    def send(self, message: EmailMessage) -> None:
        if self.drop_folder is not None:
            self.drop_folder.mkdir(parents=True, exist_ok=True)
            path = self.drop_folder / f"{datetime.now(UTC):%Y%m%d-%H%M%S-%f}-{secrets.token_hex(3)}.eml"
            readable = copy.deepcopy(message)  # the text as it reads, links unbroken (not quoted-printable)
            readable.set_content(message.get_content(), cte="8bit")
            path.write_bytes(readable.as_bytes())
            log.info("Email to %s, %r, written to %s", message["To"], message["Subject"], path)
            return
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)


NOT_SENT_TO_LEAVERS = "Not sent: the recipient's account is deactivated"
CLAIM_FOR = timedelta(minutes=10)  # a claimed batch is retried after this if its deliverer died


def deliver_notifications(core: Core, schedule: Schedule, mailer: Mailer, batch: int = 100) -> SweepResult:
    """Send due outbox messages by email (to people who want each as it happens); retry failures with
    doubling waits; give up after max_attempts."""
    claimed, emails = _claim(core, batch, digest=False)
    sent = 0
    for message in claimed:
        email = _email(
            mailer, message, emails.get(message.recipient_id, ""), _signature(core), _links(core, mailer, message)
        )
        sent += _send(core, schedule, mailer, [message], email)
    return SweepResult("deliver_notifications", sent)


def _links(core: Core, mailer: Mailer, message) -> list[str]:
    """The lines of an email that carry a personal link. Its secret is made now, as it is sent: the outbox
    never holds one, and only its hash is kept."""
    payload = message.payload or {}
    if message.kind in ("approval_needed", "approval_chase") and payload.get("step"):
        secret, later = issue_action_link(core, message.recipient_id, message.case_id, payload["step"])
        lasting = f"for {duration(LIFETIME.days * 24 * 60)}"
        when = (
            # The clear days of its forward plan entry, or of the general exception's notice, still to run.
            f"It is a key decision: it can be taken from {later:%-d %B %Y}, when the clear days of its notice have "
            f"run, and the link works from then, once, for you only, {lasting}."
            if later
            else f"The link works once, for you only, {lasting}."
        )
        return [
            f"Approve it (you will be asked to confirm): {mailer.base_url}/act/{secret}",
            f"{when} To reject or return it, open the case.",
        ]
    if message.kind == PASSWORD_LINK:
        secret, lasts = issue_password_link(core, message.recipient_id, payload["purpose"])
        return [
            f"Set your password: {mailer.base_url}/password/{secret}",
            f"The link works once, for {lasts}. Nobody from the council will ask you for your password.",
        ]
    if message.kind == WELCOME:
        return [f"Sign in: {mailer.base_url}/sign-in"]
    return []


def send_digests(core: Core, schedule: Schedule, mailer: Mailer) -> SweepResult:
    """One email a day for people who chose a digest: everything waiting for them, oldest first."""
    with core.db.reading() as session:
        people = session.scalars(
            select(OutboxMessage.recipient_id)
            .join(User, User.id == OutboxMessage.recipient_id)
            .where(User.email_digest.is_(True), OutboxMessage.status == "pending")
            .distinct()
        ).all()
    sent = 0
    for person in people:
        claimed, emails = _claim(core, 500, digest=True, only_for=person)
        if claimed:
            email = _digest_email(mailer, claimed, emails.get(person, ""), _signature(core))
            sent += _send(core, schedule, mailer, claimed, email)
    return SweepResult("send_digests", sent)


def _claim(core: Core, batch: int, *, digest: bool, only_for: int | None = None):
    """Mark a batch of due messages as being sent (so no other deliverer takes them), with their addresses."""
    now = core.engine.clock()
    with core.db.unit_of_work() as session:
        # Someone whose account was deactivated (a leaver) is not emailed council business any more: their
        # messages are withheld (counted on the administrators' delivery page), not failed.
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.status == "pending",
                OutboxMessage.recipient_id.in_(select(User.id).where(User.is_active.is_(False))),
            )
            .values(status="withheld", last_error=NOT_SENT_TO_LEAVERS)
        )
        due = (
            select(OutboxMessage.id)
            .join(User, User.id == OutboxMessage.recipient_id)
            .where(
                User.is_active.is_(True),
                OutboxMessage.status.in_(("pending", "sending")),
                OutboxMessage.next_attempt_at <= now,
                # An email about a password goes at once: in tomorrow's digest a link would have expired.
                and_(User.email_digest.is_(True), OutboxMessage.kind.not_in(AT_ONCE))
                if digest
                else or_(User.email_digest.is_(False), OutboxMessage.kind.in_(AT_ONCE)),
                *([OutboxMessage.recipient_id == only_for] if only_for is not None else []),
            )
            .order_by(OutboxMessage.id)
            .limit(batch)
            .with_for_update(skip_locked=True, of=OutboxMessage, **CHANGE_LOCK)
        )
        claimed = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(due.scalar_subquery()))
            .values(status="sending", next_attempt_at=now + CLAIM_FOR)
            .returning(
                OutboxMessage.id,
                OutboxMessage.kind,
                OutboxMessage.recipient_id,
                OutboxMessage.subject,
                OutboxMessage.body,
                OutboxMessage.case_id,
                OutboxMessage.payload,
                OutboxMessage.attempts,
            )
        ).all()
        emails = dict(
            session.execute(select(User.id, User.email).where(User.id.in_({c.recipient_id for c in claimed}))).all()
        )
    return claimed, emails


def _send(core: Core, schedule: Schedule, mailer: Mailer, messages, email: EmailMessage) -> int:
    """Send one email for ``messages``; record them as sent, or for retry with a doubling wait, or given up."""
    try:
        mailer.send(email)
        outcome: dict = {"status": "sent", "sent_at": core.engine.clock(), "last_error": ""}
        sent = 1
    except (OSError, smtplib.SMTPException) as error:
        attempts = max(m.attempts for m in messages) + 1
        wait = timedelta(minutes=schedule.first_retry_minutes * 2 ** (attempts - 1))
        outcome = {
            "status": "failed" if attempts >= schedule.max_attempts else "pending",
            "next_attempt_at": core.engine.clock() + wait,
            "last_error": f"{type(error).__name__}: {error}"[:500],
        }
        sent = 0
    with core.db.unit_of_work() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([m.id for m in messages]), OutboxMessage.status == "sending")
            .values(attempts=OutboxMessage.attempts + 1, **outcome)
        )
    return sent


def _signature(core: Core) -> list[str]:
    """An email's last lines: the service that sent it, by the name its users know (organisation.yaml)."""
    return ["", "-- ", core.governance.organisation.service.name]


def _digest_email(mailer: Mailer, messages, to: str, signature: list[str]) -> EmailMessage:
    email = EmailMessage()
    email["From"] = mailer.sender
    email["To"] = to
    email["Subject"] = f"Your daily summary: {counted(len(messages), 'notification')}"
    lines = []
    for message in messages:
        lines += [message.subject, message.body]
        if page := page_of(message):
            lines.append(f"{mailer.base_url}{page}")
        lines.append("")
    lines += ["You chose one email a day. Change it on your notifications page.", *signature]
    email.set_content("\n".join(lines))
    return email


def _email(mailer: Mailer, message, to: str, signature: list[str], links: list[str]) -> EmailMessage:
    email = EmailMessage()
    email["From"] = mailer.sender
    email["To"] = to
    email["Subject"] = message.subject
    lines = [message.body, "", *links]
    if page := page_of(message):
        lines.append(f"Open it: {mailer.base_url}{page}")
    email.set_content("\n".join(lines + signature))
    return email


RESCAN_MARGIN = timedelta(days=3)
TASK_COLUMNS = (
    "subject_key", "kind", "title", "detail", "contract_id", "case_id", "assignee_id", "due_on", "milestone_on",
    "status", "snooze_reason", "outcome", "outcome_note", "created_at",
)  # fmt: skip


LEAD_DETAIL = " before the end date: extend (where an extension option is left), re-commission or let it end"
RAISE_ONCE = {"index_elements": ["subject_key", "kind", "due_on"]}  # a task already raised is left as it is
# What was raised, to count it and to tell each assignee (drivers' row counts are unreliable here).
RAISED = (Task.id, Task.assignee_id, Task.case_id, Task.title, Task.due_on, Task.kind)
Raised = namedtuple("Raised", [column.key for column in RAISED])


def _raised(result) -> list[Raised]:
    """The tasks an ``INSERT ... SELECT ... RETURNING RAISED`` raised, read off the driver's cursor and typed
    as SQLAlchemy types them (a due date is text on SQLite). A first run over a large register raises tens
    of thousands, and SQLAlchemy's own rows cost three times the fetch, and as much again where they are read
    (``_announce_tasks``): on the reference box, for 58,000, 0.28 s against 0.13. Only for a statement run
    once: an executemany's RETURNING rows are SQLAlchemy's, gathered from each batch."""
    dialect = result.context.dialect
    due_on = Task.due_on.type.dialect_impl(dialect).result_processor(dialect, None)
    rows = result.cursor.fetchall()
    result.close()
    if due_on is None:
        return list(map(Raised._make, rows))
    return [
        Raised(task_id, assignee, case, title, due_on(due), kind) for task_id, assignee, case, title, due, kind in rows
    ]


def _renewal_insert(core: Core, lead, conditions: list, states: tuple[str, ...], now):
    """The renewal-decision task ``lead`` months before the end of each contract meeting ``conditions`` whose
    case is in one of ``states``."""
    # Only columns the end-date index carries (``ix_contracts_expiry`` covers the sweep): the scan never
    # visits the table itself.
    candidates = select(
        Contract.id, Contract.case_id, Contract.contract_manager_id, Contract.end_date, lead.label("lead")
    ).where(*conditions)
    return _contract_task_insert(
        core,
        candidates,
        kind=RENEWAL_DECISION,
        title="Renewal decision: ",
        detail=lambda c: (
            cast(c.lead, String) + sql_case((c.lead == 1, literal(" month")), else_=literal(" months")) + LEAD_DETAIL
        ),
        due_on=lambda c: _add_months(core, c.end_date, -c.lead),
        states=states,
        now=now,
    )


def _insert_tasks(core: Core, session, tasks: list[dict[str, Any]]) -> list[Any]:
    """Insert ``tasks`` (dicts of ``TASK_COLUMNS``) but those already raised (the raise-once key); the rows
    raised. On PostgreSQL one statement reads them from arrays (``unnest``): the server takes that in one
    pass, where the multi-row VALUES that an executemany becomes cost it several times as much per row."""
    if not core.db.is_postgresql:
        statement = sqlite_insert(Task).on_conflict_do_nothing(**RAISE_ONCE).returning(*RAISED)
        return session.connection().execute(statement, tasks).all()
    columns = Task.__table__.c
    arrays = [
        bindparam(f"a_{name}", [t[name] for t in tasks], type_=ARRAY(columns[name].type)) for name in TASK_COLUMNS
    ]
    rows = func.unnest(*arrays).table_valued(*TASK_COLUMNS).render_derived()
    statement = (
        pg_insert(Task)
        .from_select(list(TASK_COLUMNS), select(*(rows.c[name] for name in TASK_COLUMNS)))
        .on_conflict_do_nothing(**RAISE_ONCE)
        .returning(*RAISED)
    )
    return session.connection().execute(statement).all()


def _contract_task_insert(core: Core, candidates, *, kind, title, detail, due_on, states, now):
    """``INSERT INTO tasks ... SELECT`` a task for each of the ``candidates`` (a select of contracts with at
    least their id, case_id, contract_manager_id and end_date) whose case is in one of ``states``, due on
    ``due_on(candidate columns)``; ``ON CONFLICT DO NOTHING`` on the raise-once key."""
    # The contracts in the window first (an index range on their date), materialised; then each one's case
    # and title by primary key, in contract order so that each table page is read once, not once per row.
    c = candidates.order_by(Contract.id).cte("candidates").prefix_with("MATERIALIZED").c
    # Correlated look-ups by primary key, one per candidate (a join makes the planner walk every case).
    case_state = select(Case.state).where(Case.id == c.case_id).scalar_subquery()
    requester = select(Case.requester_id).where(Case.id == c.case_id).scalar_subquery()
    named = (
        select(literal(title) + Contract.reference + literal(" ") + Contract.title)
        .where(Contract.id == c.id)
        .scalar_subquery()
    )
    chosen = select(
        (literal("contract:") + cast(c.id, String)).label("subject_key"),
        literal(kind).label("kind"),
        named.label("title"),
        (detail(c) if callable(detail) else literal(detail)).label("detail"),
        c.id.label("contract_id"),
        c.case_id.label("case_id"),
        func.coalesce(c.contract_manager_id, requester).label("assignee_id"),
        due_on(c).label("due_on"),
        c.end_date.label("milestone_on"),
        literal(TaskStatus.OPEN.value).label("status"),
        literal("").label("snooze_reason"),
        literal("").label("outcome"),
        literal("").label("outcome_note"),
        literal(now, Task.created_at.type).label("created_at"),
    ).where(case_state.in_(states))
    insert_for = pg_insert if core.db.is_postgresql else sqlite_insert
    return (
        insert_for(Task).from_select(list(TASK_COLUMNS), chosen).on_conflict_do_nothing(**RAISE_ONCE).returning(*RAISED)
    )


def _last_run(session, name: str, full: bool) -> SweepRun | None:
    """The sweep's last run, locked: a second scheduler waits here, then finds today's run already done."""
    run = session.get(SweepRun, name, with_for_update=CHANGE_LOCK)
    return None if full else run


def _record_run(core: Core, session, name: str, today: date, now) -> None:
    """Upsert: on the very first run two schedulers may both find no row to lock, and both get here."""
    insert_for = pg_insert if core.db.is_postgresql else sqlite_insert
    statement = insert_for(SweepRun).values(name=name, last_run_on=today, last_run_at=now)
    session.connection().execute(
        statement.on_conflict_do_update(
            index_elements=["name"], set_={"last_run_on": statement.excluded.last_run_on, "last_run_at": now}
        )
    )


def _system_user(session) -> int:
    user_id = session.scalar(select(User.id).where(User.username == SYSTEM_USERNAME))
    if user_id is None:
        raise DomainError("There is no 'system' user for the scheduler to act as: flask upgrade-db creates it")
    return user_id
