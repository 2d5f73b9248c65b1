"""Template filters: money, dates and times the way council officers write them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import Flask

from ..governance.calendar import LONDON
from ..governance.statutory import DirectAwardGround, Regime, Route, conflicts_law, deadline_name
from ..models import Task
from ..services.contract_record import corrections_said
from ..services.evaluation import CRITERION_KINDS
from ..services.periods import CLOSING_DATES
from ..services.tasks import outcome_label
from ..wording import counted, humanise, listed, pounds
from ..workflow.frameworks import framework_name, framework_reference


def money(value: Decimal | int | float | str | None) -> str:
    if value in (None, ""):
        return ""
    return pounds(Decimal(value))


def day(value: date | datetime | str | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(LONDON).date()
    return f"{value.day} {value:%B %Y}"


def day_by(value: date | None, today: date) -> str:
    """A last day to do something, said to have passed once it has (a notice date in June, read in December)."""
    if value is None:
        return ""
    return day(value) + (" (passed)" if value < today else " (today)" if value == today else "")


def moment(value: datetime | None) -> str:
    if not value:
        return ""
    local = value.astimezone(LONDON)
    return f"{local.day} {local:%B %Y} at {local:%-I:%M%p}".replace("AM", "am").replace("PM", "pm")


def task_outcome(task: Task) -> str:
    """A done task's outcome, in words ("An extension proposed on the contract's case, for approval")."""
    return outcome_label(task.kind, task.outcome)


def regime(value: str | None) -> str:
    """A legal regime by its name ("Procurement Act 2023"), as officers know it, not its code."""
    return Regime(value).full_name if value in set(Regime) else (value or "")


def route_label(value: str | None) -> str:
    """A procurement route by its name ("Competitive flexible procedure"); empty for none."""
    return Route.label_of(value, unknown="")


def direct_award_ground(value: str | None) -> str:
    """A direct award's ground in the Act, in words; a code this version does not know, as stored."""
    ground = DirectAwardGround.of(value)
    return ground.label if ground else (value or "")


def answer(value: object, kind: str) -> str:
    """An answer someone gave a workflow's question, as the question's type reads (``InputSpec.type``)."""
    if kind == "boolean":
        return "Yes" if value else "No"
    if kind == "date":
        return day(str(value))
    if kind == "money":
        return money(str(value))
    return str(value)


def criterion_kind(value: str) -> str:
    """What an award criterion assesses, as its form offers it ("Social value")."""
    return CRITERION_KINDS.get(value, value)


def variation_made(variation: dict) -> str:
    """What a variation made changed, from its audit event's ``variation`` ([before, after] of each): "value
    £500,000.00 → £650,000.00; supplier Roadworks Ltd → Kerb Group Ltd"."""
    shown = {"value": money, "end_date": day, "supplier": str}
    changes = [
        f"{name.replace('_', ' ')} {shown[name](before)} → {shown[name](after)}"
        for name, (before, after) in variation.items()
        if name in shown and before != after
    ]
    return "; ".join(changes)


def closing_label(detail: str) -> str:
    """A procurement's closing date by the name its key dates give it."""
    return next((c.label for c in CLOSING_DATES.values() if c.detail == detail), detail)


def register(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(answer)
    app.add_template_filter(day)
    app.add_template_filter(day_by)
    app.add_template_filter(moment)
    app.add_template_filter(humanise)
    app.add_template_filter(task_outcome)
    app.add_template_filter(listed)  # "A, B and C"
    app.add_template_filter(counted)  # "1 payment", "1,234 payments"
    app.add_template_filter(regime)
    app.add_template_filter(deadline_name)
    app.add_template_filter(conflicts_law)  # a procurement's regime: "Procurement Act 2023 sections 81 to 83"
    app.add_template_filter(route_label)
    app.add_template_filter(direct_award_ground)
    app.add_template_filter(criterion_kind)
    app.add_template_filter(framework_name)  # "Crown Commercial Service RM6098 lot 1: Technology Products"
    app.add_template_filter(framework_reference)  # "Crown Commercial Service RM6098 lot 1"
    app.add_template_filter(closing_label)  # "tenders_close_on": "Tenders close"
    app.add_template_filter(corrections_said)  # a contract's record corrected: each detail, before and after
    app.add_template_filter(variation_made)  # what a variation made changed: value, end date, supplier
