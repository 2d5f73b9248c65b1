"""Work for a person with a due date: renewal decisions, notice dates, reviews, statutory notices.

The scheduler raises tasks from the contract register and the case deadlines; people complete them with an
outcome or snooze them with a reason. Raising is idempotent: one task per contract (or case), kind and due
date, kept by a unique key in the database so two schedulers racing cannot raise a duplicate.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    Update,
    and_,
    func,
    or_,
    text,
    update,
)
from sqlalchemy import case as sql_case
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..governance.organisation import FINANCE_OFFICER, MONITORING_OFFICER
from .base import Base, utcnow

# A task raised after its due date (after downtime, or for a newly loaded contract) has this long to be picked
# up before it counts as overdue and escalates.
OVERDUE_GRACE = timedelta(days=7)


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


# The task raised for a dated duty on a case (a CaseDeadline) is of this kind: the prefix and the deadline's.
DEADLINE_TASK = "deadline:"


def deadline_task_kind(deadline_kind: str) -> str:
    return DEADLINE_TASK + deadline_kind


# The councils' own statutory duties (PA23 s69 payments compliance, s70 payments and s93 pipeline notices; the
# 2012 regs' reg 19 report), raised without a case, each for the holders of a role in the council (who may all
# act on it).
COUNCIL_DUTIES = {
    "payments_compliance_notice": FINANCE_OFFICER,
    "payments_notice": "intelligence_analyst",
    "pipeline_notice": "intelligence_analyst",
    # The report to the council of its key decisions taken under special urgency (2012 regs reg 19), which its
    # monitoring officer prepares for the executive leader.
    "special_urgency_report": MONITORING_OFFICER,
}
# A council-wide duty's task is about the council: its subject key is this and the council's code.
COUNCIL_SUBJECT = "authority:"


def council_subject(code: str) -> str:
    return COUNCIL_SUBJECT + code


# A contract coming up to its end date, at one of its renewal lead times: its manager decides whether to extend,
# re-commission or let it end (done by proposing it on the contract's case: the outcome is what was proposed).
RENEWAL_DECISION = "renewal_decision"
RENEWAL_PROPOSED = {
    "extend": ("extension_proposed", "An extension proposed on the contract's case, for approval"),
    "recommission": ("recommission_proposed", "Re-commissioning proposed on the contract's case, for approval"),
    "exit": ("exit_proposed", "Letting the contract end proposed on the contract's case, for approval"),
}
NOTICE_DATE = "notice_date"  # the last day to give notice under a contract (its end date less its notice period)
NOTICE_DETAIL = "Give notice by this date if the contract is to end, or to renegotiate it"
NOTICE_DETAIL_WITH_EXTENSION = (  # notice of taking up an extension option is given by the same day
    "Give notice by this date if the contract is to end, to take up an extension option, or to renegotiate it"
)
CONTRACT_REVIEW = "contract_review"
# A report to the council that its scrutiny committee required on a decision not taken as a key decision (2012
# regs reg 18: services.key_decision_reports).
KEY_DECISION_REPORT = "key_decision_report"
KPI_ASSESSMENT = "kpi_assessment"  # the yearly one the Act asks of some contracts (services.performance)
# The tasks falling on anniversaries of a contract's start while it runs: none falls on or after its last day (the
# KPI assessment on termination is a deadline of its own).
WHILE_IT_RUNS = (CONTRACT_REVIEW, KPI_ASSESSMENT)
# The tasks worked out from a contract's end date, which close when it moves (the new one's come in their turn).
FROM_THE_END_DATE = (RENEWAL_DECISION, NOTICE_DATE)
# The tasks about running a contract that its ending leaves nothing to do for (a notice still owed, or a KPI
# assessment, is another matter: the Act asks for those after it ends too).
ENDED_WITH_THE_CONTRACT = (RENEWAL_DECISION, NOTICE_DATE, CONTRACT_REVIEW)
CONTRACT_ENDED = ("contract_ended", "The contract ended")
SUPERSEDED = ("superseded", "The renewal task of a later lead time took its place")
REVIEWED_ON_THE_CASE = ("reviewed", "Reviewed on the contract's case")
END_DATE_MOVED = ("end_date_moved", "The contract's end date moved: its tasks come again for the new one")
PAST_ITS_END = ("past_its_end", "The contract's end date was brought before it: it ends before this falls due")
START_DATE_MOVED = (
    "start_date_moved",
    "The contract's start date was corrected: on the new anniversary it has ended, or has this task already",
)
# A yearly KPI assessment (PA23 s71) of a contract whose corrected start date or value no longer bring the duty.
KPIS_NOT_OWED = ("kpis_not_owed", "The contract's record was corrected: it no longer owes KPI assessments")
NOTICE_DATE_MOVED = ("notice_date_moved", "The contract's notice period was corrected: its task comes for the new day")
# An open framework the councils established, due to be re-opened (PA23 s49(2)(a)): a task about the framework.
FRAMEWORK_REOPENING = "framework_reopening"
# A competitive flexible procedure whose participation period has closed: its team assesses the requests to
# participate and invites the suppliers chosen to tender (done by inviting them on the case: invite_tenders).
INVITE_TENDERS = "invite_tenders"
# The kinds of task whose date the law sets, besides a case's deadlines.
STATUTORY_KINDS = (*COUNCIL_DUTIES, FRAMEWORK_REOPENING)


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("subject_key", "kind", "due_on", name="uq_tasks_raise_once"),
        Index("ix_tasks_assignee", "assignee_id", "status", "due_on"),
        Index("ix_tasks_contract", "contract_id"),
        Index("ix_tasks_case", "case_id"),  # a case's page lists its tasks
        # A framework's re-opening closes its task; the few tasks about a framework alone are indexed.
        Index(
            "ix_tasks_framework",
            "framework_id",
            sqlite_where=text("framework_id IS NOT NULL"),
            postgresql_where=text("framework_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the task is about, as one key ("contract:<id>", "case:<id>", "framework:<id>" or COUNCIL_SUBJECT and
    # its code for a council's own statutory duties), so one unique key covers them all.
    subject_key: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))  # renewal_decision, notice_date, contract_review, ...
    title: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(Text, default="")
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))
    # The case whose audit chain records the task; none for a council-wide duty or a framework's (the system
    # chain records those).
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    framework_id: Mapped[int | None] = mapped_column(ForeignKey("frameworks.id"))  # a framework's re-opening
    assignee_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    due_on: Mapped[date]
    milestone_on: Mapped[date | None]  # the date the task leads up to (an end date, a notice date)
    status: Mapped[str] = mapped_column(String(20), default=TaskStatus.OPEN)
    snoozed_until: Mapped[date | None]
    snooze_reason: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(40), default="")
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    # What the outcome rests on, where it is more than a word: a payments compliance notice's approved figures.
    outcome_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    escalated_at: Mapped[datetime | None]
    # Whom the overdue escalation told: the role it went to (or "administrator", standing in where nobody held
    # it) and the people who held it then, as the task's page says.
    escalated_role: Mapped[str | None] = mapped_column(String(40))
    escalated_to: Mapped[list[Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    assignee = relationship("User", foreign_keys=[assignee_id])
    contract = relationship("Contract", foreign_keys=[contract_id])
    # The contract the task is about: the one whose case it is on. A task naming its contract is raised on the
    # contract's case, and so is a statutory notice the contract owes, which names none. (By the unique key of
    # a contract's case, one lookup for either.) For reading: the lists show when it ends.
    about_contract = relationship(
        "Contract",
        primaryjoin="remote(Contract.case_id) == foreign(Task.case_id)",
        viewonly=True,
        uselist=False,
    )
    framework = relationship("Framework", foreign_keys=[framework_id])

    @hybrid_property
    def statutory(self) -> bool:
        """A date the law sets (a notice due, a standstill's end), not the hub's own planning: first in a list."""
        return self.kind.startswith(DEADLINE_TASK) or self.kind in STATUTORY_KINDS

    @statutory.inplace.expression
    @classmethod
    def _statutory(cls) -> ColumnElement[bool]:
        return or_(cls.kind.startswith(DEADLINE_TASK), cls.kind.in_(STATUTORY_KINDS))

    @hybrid_property
    def council(self) -> str | None:
        """The council whose own duty the task is (``COUNCIL_DUTIES``); None for a task about something else."""
        return self.subject_key.removeprefix(COUNCIL_SUBJECT) if self.subject_key.startswith(COUNCIL_SUBJECT) else None

    @council.inplace.expression
    @classmethod
    def _council(cls) -> ColumnElement[str | None]:
        return sql_case(
            (cls.subject_key.startswith(COUNCIL_SUBJECT), func.substr(cls.subject_key, len(COUNCIL_SUBJECT) + 1))
        )

    @staticmethod
    def closing(*where: ColumnElement[bool], outcome: str, at: datetime, by: int | None) -> Update:
        """The UPDATE that marks the open tasks ``where`` selects as done, with ``outcome``, by ``by`` (None: the
        scheduler): for a task done by doing something else (recording a notice, an assessment)."""
        return (
            update(Task)
            .where(Task.status == TaskStatus.OPEN, *where)
            .values(status=TaskStatus.DONE, outcome=outcome, completed_at=at, completed_by_id=by)
            .execution_options(synchronize_session=False)
        )

    @staticmethod
    def raised_again(at: datetime) -> dict[str, Any]:
        """The columns of a done task opened again as if raised ``at``: nothing kept of its completion, of an
        escalation or of a snooze (it has its week to be picked up before it counts as overdue once more)."""
        return {
            "status": TaskStatus.OPEN, "outcome": "", "outcome_note": "", "completed_at": None, "completed_by_id": None,
            "escalated_at": None, "escalated_role": None, "escalated_to": None, "snoozed_until": None,
            "snooze_reason": "", "created_at": at,
        }  # fmt: skip

    def is_overdue(self, today: date) -> bool:
        """Past its due date, not snoozed beyond today, and raised long enough ago to have been picked up (a
        task raised late is due now until then): what is shown, counted and escalated as overdue."""
        snoozed = self.snoozed_until is not None and self.snoozed_until >= today
        return (
            self.status == TaskStatus.OPEN
            and self.due_on < today
            and not snoozed
            and self.created_at < _raised_by(today)
        )

    def overdue_from(self) -> date:
        """The day it counts as overdue (and is escalated), unless it is done or snoozed first: the day after
        its due date, or, for a task raised on or after its due date (a register loaded, a scheduler that was
        down), ``OVERDUE_GRACE`` after the day it was raised: as ``is_overdue`` has it."""
        return max(self.due_on + timedelta(days=1), self.created_at.date() + OVERDUE_GRACE)

    def raised_late(self) -> bool:
        """Raised on or after its due date: due at once, with a week to be picked up (``overdue_from``)."""
        return self.created_at.date() >= self.due_on

    @classmethod
    def overdue(cls, today: date) -> ColumnElement[bool]:
        """``is_overdue`` in SQL."""
        return and_(
            cls.status == TaskStatus.OPEN,
            cls.due_on < today,
            or_(cls.snoozed_until.is_(None), cls.snoozed_until < today),
            cls.created_at < _raised_by(today),
        )


def _raised_by(today: date) -> datetime:
    """A task raised before this has had its grace by ``today``: raised on or before OVERDUE_GRACE ago."""
    return datetime.combine(today - OVERDUE_GRACE + timedelta(days=1), time(), UTC)


class SweepRun(Base):
    """When a sweep last completed, so the next one looks only at what came due since (plus a margin).

    Its row is also what two schedulers queue on: each sweep locks it first."""

    __tablename__ = "sweep_runs"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_run_on: Mapped[date]
    last_run_at: Mapped[datetime]
