"""``config/schedule.yaml``: which sweeps run how often, renewal lead times, delivery retries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config_files import Node, Problems
from ..governance.calendar import next_occurrence
from ..models.contracts import CONTRACT_RISKS

if TYPE_CHECKING:
    from ..core import Core

SWEEPS = (
    "raise_renewal_tasks",
    "expire_contracts",
    "end_periods",
    "deliver_notifications",
    "chase_approvals",
    "escalate_overdue_tasks",
    "remind_deadlines",
    "raise_reviews",
    "raise_council_duties",
    "send_digests",
    "raise_notice_tasks",
    "remind_market_applications",
    "remind_framework_reopenings",
)


@dataclass(frozen=True)
class LeadTimes:
    value_over: Decimal
    months_before: tuple[int, ...]
    pillars: frozenset[str] | None = None

    def applies(self, value: Decimal, pillar: str) -> bool:
        above = value > self.value_over or self.value_over == 0
        return above and (self.pillars is None or pillar in self.pillars)


@dataclass(frozen=True)
class ReviewRule:
    every_months: int
    risk: str | None = None
    value_over: Decimal | None = None


@dataclass(frozen=True)
class Schedule:
    every_seconds: dict[str, int]
    lead_times: tuple[LeadTimes, ...]
    max_attempts: int
    first_retry_minutes: int
    remind_after: int = 3
    escalate_after: int = 5
    escalate_to: str = "head_of_category"
    overdue_escalate_to: str = "head_of_category"
    # A council's own statutory duty still open after its due date goes to this role in the council: the
    # Monitoring Officer reports the council's breaches of the law (Local Government and Housing Act 1989 s5).
    duty_escalate_to: str = "monitoring_officer"
    # A named fallback per council (username), tried before the role: the person who takes stalled approvals.
    escalate_to_person: dict[str, str] = field(default_factory=dict)
    deadline_warning_days: int = 7
    review_lead_days: int = 14
    review_rules: tuple[ReviewRule, ...] = (ReviewRule(12),)
    # How often the contracts whose KPIs the Act asks for are assessed: at least every 12 months (PA23 s71).
    # Which contracts those are is the Act's to say (s52), not this file's.
    kpi_every_months: int = 12
    # A contract review that finds improvement needed brings the contract back this many months later, for a
    # follow-up review, unless its next periodic review comes first.
    review_follow_up_months: int = 3
    expected_annual_spend: dict[str, int] = field(default_factory=dict)  # council -> pounds (pipeline duty)
    notice_lead_days: int = 30
    # A dynamic market's application still undecided this many UK working days after it was made: its
    # category team is reminded, once ("within a reasonable period", PA23 s36, is the council's to judge).
    market_remind_after: int = 10
    # An open framework the councils established is due to be re-opened within this many days: its keeper and
    # the councils' heads of category are reminded, once for each date (PA23 s49(2)(a)).
    reopening_remind_before: int = 90
    # A competitive flexible procedure's participation period has closed: its procurement team assesses the
    # requests to participate and invites the suppliers chosen to tender, a task due this many UK working days
    # after the closing date (the Act sets no time; a task left untouched past it is escalated).
    invite_within: int = 10

    @property
    def delivery_late_after(self) -> timedelta:
        """How long a message due to be sent may wait before the wait says the delivery sweep is not running:
        three of its intervals, and at least five minutes (a sweep with much to send takes a while); no time at
        all where the schedule does not run it."""
        every = self.every_seconds.get("deliver_notifications")
        return timedelta(seconds=max(300, 3 * every)) if every else timedelta(0)

    def review_every(self, value: Decimal, risk: str) -> int:
        """Months between a contract's reviews: the first rule that matches its risk and value."""
        for rule in self.review_rules:
            if (rule.risk is None or rule.risk == risk) and (rule.value_over is None or value > rule.value_over):
                return rule.every_months
        return 12  # pragma: no cover - validated: the last rule matches every contract

    def next_review_after(self, contract: Any, day: date) -> date:
        """A contract's (or a row with its start_date, value and risk) first periodic review after ``day``: the
        anniversaries of its start at its cadence."""
        return next_occurrence(contract.start_date, self.review_every(contract.value, contract.risk), day)

    def lead_times_for(self, value: Decimal, pillar: str) -> tuple[int, ...]:
        return next((row.months_before for row in self.lead_times if row.applies(value, pillar)), ())


def load_schedule(config_dir: Path, pillars: set[str], roles: set[str] | None = None) -> Schedule:
    problems = Problems()
    root = Node.load(config_dir / "schedule.yaml", problems, root=config_dir.parent)
    every: dict[str, int] = {}
    rows: list[LeadTimes] = []
    attempts, first_retry = 6, 5
    remind, escalate, escalate_to, overdue_to = 3, 5, "head_of_category", "head_of_category"
    duty_to = "monitoring_officer"
    warning_days = 7
    review_lead, review_rules, kpi_every, follow_up = 14, [], 12, 3
    spend: dict[str, int] = {}
    notice_lead = 30
    market_remind = 10
    reopening_remind = 90
    invite_within = 10
    fallback: dict[str, str] = {}
    if root is not None and root.is_mapping():
        root.reject_unknown(
            "sweeps",
            "renewal_lead_times",
            "delivery",
            "approval_sla",
            "overdue_tasks_escalate_to",
            "overdue_council_duties_escalate_to",
            "deadline_warning_days",
            "reviews",
            "kpi_assessment",
            "expected_annual_spend",
            "notice_lead_days",
            "market_applications",
            "framework_reopenings",
            "participation_closed",
        )
        notice_lead = root.integer("notice_lead_days", 30, minimum=1)
        applications = root.get("market_applications", {})
        if applications.is_mapping():
            applications.reject_unknown("remind_after_working_days")
            market_remind = applications.integer("remind_after_working_days", 10, minimum=1)
        reopenings = root.get("framework_reopenings", {})
        if reopenings.is_mapping():
            reopenings.reject_unknown("remind_before_days")
            reopening_remind = reopenings.integer("remind_before_days", 90, minimum=1)
        participation = root.get("participation_closed", {})
        if participation.is_mapping():
            participation.reject_unknown("invite_within_working_days")
            invite_within = participation.integer("invite_within_working_days", 10, minimum=1)
        spend_node = root.get("expected_annual_spend", {})
        if spend_node.is_mapping():
            for code, amount in spend_node.value.items():
                if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
                    spend_node.child(code, amount).error("expected a whole number of pounds, like 450000000")
                else:
                    spend[code] = amount
        warning_days = root.integer("deadline_warning_days", 7, minimum=1)
        reviews = root.get("reviews", {})
        if reviews.is_mapping():
            reviews.reject_unknown("lead_days", "rules", "follow_up_months")
            review_lead = reviews.integer("lead_days", 14, minimum=1)
            follow_up = reviews.integer("follow_up_months", 3, minimum=1)
            for node in reviews.get("rules", []).items():
                if node.is_mapping():
                    node.reject_unknown("risk", "value_over", "every_months")
                    risk = node.text("risk", None)
                    if risk is not None and risk not in CONTRACT_RISKS:
                        node.error(f"risk must be low, medium or high, not '{risk}'")
                    months = node.integer("every_months", minimum=1)
                    review_rules.append(ReviewRule(months, risk, node.money("value_over", None)))
            if not review_rules or review_rules[-1].risk is not None or review_rules[-1].value_over is not None:
                reviews.error("rules must end with a rule for every contract (only every_months)")
        kpi = root.get("kpi_assessment", {})
        if kpi.is_mapping():
            if "value_over" in kpi.value:
                kpi.get("value_over").error(
                    "the Act says which contracts have their KPIs assessed (PA23 s52: public contracts worth over "
                    "5,000,000 with VAT): remove this"
                )
            kpi.reject_unknown("value_over", "every_months")
            kpi_every = kpi.integer("every_months", 12, minimum=1)
            if kpi_every > 12:
                kpi.get("every_months").error(
                    f"must be at most 12 (PA23 s71: at least every 12 months), found {kpi_every}"
                )
        sweeps = root.get("sweeps")
        if sweeps.is_mapping():
            for name, value in sweeps.value.items():
                node = sweeps.child(name, value)
                if name not in SWEEPS:
                    node.error(f"unknown sweep (expected one of: {', '.join(SWEEPS)})")
                    continue
                if node.is_mapping():
                    node.reject_unknown("every_seconds", "every_minutes")
                    seconds = node.integer("every_seconds", None, minimum=1)
                    minutes = node.integer("every_minutes", None, minimum=1)
                    if (seconds is None) == (minutes is None):
                        node.error("give exactly one of every_seconds or every_minutes")
                    else:
                        every[name] = seconds if seconds is not None else minutes * 60
        for node in root.get("renewal_lead_times").items():
            if not node.is_mapping():
                continue
            node.reject_unknown("value_over", "months_before", "pillars")
            months = node.get("months_before")
            values = months.value if isinstance(months.value, list) else None
            if not values or not all(isinstance(m, int) and 0 < m <= 120 for m in values):
                months.error("expected a list of whole months between 1 and 120, like [6, 3, 1]")
                values = []
            chosen = node.text_list("pillars", None)
            for pillar in chosen or []:
                if pillar not in pillars:
                    node.error(f"unknown pillar '{pillar}'")
            rows.append(
                LeadTimes(
                    node.money("value_over") or Decimal(0),
                    tuple(sorted(set(values), reverse=True)),
                    frozenset(chosen) if chosen else None,
                )
            )
        if not rows or rows[-1].value_over != 0 or rows[-1].pillars is not None:
            root.error("renewal_lead_times must end with a row for every pillar with value_over: 0")
        delivery = root.get("delivery", {})
        if delivery.is_mapping():
            delivery.reject_unknown("max_attempts", "first_retry_minutes")
            attempts = delivery.integer("max_attempts", 6, minimum=1)
            first_retry = delivery.integer("first_retry_minutes", 5, minimum=1)
        sla = root.get("approval_sla", {})
        if sla.is_mapping():
            sla.reject_unknown(
                "remind_after_working_days", "escalate_after_working_days", "escalate_to", "escalate_to_person"
            )
            named = sla.get("escalate_to_person", {})
            if named.is_mapping():
                for code, username in named.value.items():
                    if not isinstance(username, str) or not username.strip():
                        named.child(code, username).error("expected a username, like claire.holt.occ")
                    else:
                        fallback[code] = username.strip()
            remind = sla.integer("remind_after_working_days", 3, minimum=1)
            escalate = sla.integer("escalate_after_working_days", 5, minimum=1)
            escalate_to = sla.text("escalate_to", "head_of_category")
            if escalate <= remind:
                sla.error("escalate_after_working_days must come after remind_after_working_days")
            if roles is not None and escalate_to not in roles:
                sla.error(f"unknown role '{escalate_to}' to escalate to")
        overdue_to = root.text("overdue_tasks_escalate_to", "head_of_category")
        duty_to = root.text("overdue_council_duties_escalate_to", "monitoring_officer")
        for key, role in (("overdue_tasks_escalate_to", overdue_to), ("overdue_council_duties_escalate_to", duty_to)):
            if roles is not None and role not in roles:
                root.error(f"{key}: unknown role '{role}'")
    problems.raise_if_any()
    return Schedule(
        every_seconds=every,
        lead_times=tuple(rows),
        max_attempts=attempts,
        first_retry_minutes=first_retry,
        remind_after=remind,
        escalate_after=escalate,
        escalate_to=escalate_to,
        overdue_escalate_to=overdue_to,
        duty_escalate_to=duty_to,
        escalate_to_person=fallback,
        deadline_warning_days=warning_days,
        review_lead_days=review_lead,
        review_rules=tuple(review_rules) or (ReviewRule(12),),
        kpi_every_months=kpi_every,
        review_follow_up_months=follow_up,
        expected_annual_spend=spend,
        notice_lead_days=notice_lead,
        market_remind_after=market_remind,
        reopening_remind_before=reopening_remind,
        invite_within=invite_within,
    )


# Pages read the schedule as well as the sweeps (My work: whom overdue council notices go to), so it is parsed
# again only when schedule.yaml has changed, not on every request: by file, its last reading and what it says.
_READ: dict[Path, tuple[tuple, Schedule]] = {}


def schedule_for(core: Core) -> Schedule:
    """The schedule as ``schedule.yaml`` says now, checked against the organisation's pillars and roles."""
    org = core.governance.organisation
    path = core.settings.config_dir / "schedule.yaml"
    try:
        stat = path.stat()
    except OSError:  # not there: loading it says so, naming the file
        return load_schedule(core.settings.config_dir, set(org.pillars), set(org.roles))
    version = (stat.st_mtime_ns, stat.st_size, frozenset(org.pillars), frozenset(org.roles))
    read = _READ.get(path)
    if read is None or read[0] != version:
        read = _READ[path] = (version, load_schedule(core.settings.config_dir, set(org.pillars), set(org.roles)))
    return read[1]
