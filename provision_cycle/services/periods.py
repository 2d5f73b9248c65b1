"""A procurement's market periods extended: the closing date for tenders, or for a competitive flexible
procedure's requests to participate, moved later by a revised tender notice before it passes (PA23 s31: a
procurement may be modified before that deadline; the council then publishes the revised notice and considers
whether to give suppliers longer). Councils extend for a clarification that came late, a change to the tender
documents, or too few suppliers able to respond in time.

The closing date is the case detail the period's notice set; the scheduler closes the period the day after
it (``sweeps.end_periods``), so an extension recorded here is one the scheduler keeps to. Each extension is an
event on the case's chain with the dates before and after, and a release in its open data (a revised tender
notice, ``services.ocds``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..core import Core
from ..errors import ChangedMeanwhile, InvalidAction, InvalidInput, NotPermitted
from ..governance.calendar import implausible
from ..models import Case
from ..workflow.definitions import WorkflowRegistry
from .evaluation import MAX_REASONS, may_evaluate
from .notices import notice_id_data, notice_id_given

ACTION = "extend_closing_date"  # the event's action; the open data's revised tender notice


@dataclass(frozen=True)
class ClosingDate:
    """A period a procurement's notice opens, closing on the date a case detail holds: while the case is at a
    state the action that ends the period starts from (the workflow file says which), the date may move."""

    detail: str
    ended_by: str  # the action that ends the period, once the date has passed
    label: str  # the date's name, as the case's key dates say it
    slug: str  # in the web address of its form


CLOSING_DATES = {
    closing.slug: closing
    for closing in (
        ClosingDate("participation_closes_on", "invite_tenders", "Requests to participate close", "participation"),
        ClosingDate("tenders_close_on", "close_tenders", "Tenders close", "tenders"),
    )
}


def extendable(workflows: WorkflowRegistry, case: Case, today: date) -> list[ClosingDate]:
    """The closing dates of the case that can be extended today: set by its notice, not yet passed, and the
    case waiting for the period to end."""
    details = case.details or {}
    if case.stage != "procurement" or case.closed_at is not None:
        return []
    definition = workflows.get(case.workflow, case.workflow_version)
    return [
        closing
        for closing in CLOSING_DATES.values()
        if details.get(closing.detail)
        and date.fromisoformat(details[closing.detail]) >= today
        and definition.candidates(case.state, closing.ended_by)
    ]


def extend_closing_date(
    core: Core,
    case_id: int,
    actor_id: int,
    slug: str,
    closes_on: date | None,
    revised_notice_on: date | None,
    reason: str,
    *,
    seen: str | None = None,
    notice_id: str = "",
) -> None:
    """Move the case's closing date ``slug`` (``CLOSING_DATES``) to ``closes_on``, by the revised tender notice
    published on ``revised_notice_on`` (Find a Tender's ``notice_id`` for it, if given), saying why. ``seen``:
    the closing date the form showed."""
    closing, reason = CLOSING_DATES.get(slug), (reason or "").strip()
    if closing is None:
        raise InvalidAction(f"'{slug}' is no closing date a procurement's notice sets")
    today = core.engine.today()
    errors = {}
    if closes_on is None:
        errors["closes_on"] = "Enter the new closing date"
    elif problem := implausible(closes_on):
        errors["closes_on"] = problem
    if revised_notice_on is None:
        errors["revised_notice_on"] = "Enter the date the revised tender notice was published"
    elif revised_notice_on > today:
        errors["revised_notice_on"] = "The revised tender notice cannot be published in the future"
    if not reason:
        errors["reason"] = "Say why the closing date is extended"
    elif len(reason) > MAX_REASONS:
        errors["reason"] = f"Keep the reason to {MAX_REASONS} characters"
    notice_id = notice_id_given(notice_id, errors)
    if errors:
        raise InvalidInput(errors)
    with core.db.unit_of_work() as session:
        case = core.engine.lock_case(session, case_id, None)
        actor = core.engine.actor(session, actor_id)
        if not may_evaluate(session, actor, case):
            raise NotPermitted(
                "Only the procurement's category team, or someone on its team, can extend its closing dates"
            )
        details = case.details or {}
        if closing not in extendable(core.workflows, case, today):
            passed = details.get(closing.detail)
            raise InvalidAction(
                f"{closing.label} on {date.fromisoformat(passed):%-d %B %Y} has passed: the period is over"
                if passed and date.fromisoformat(passed) < today
                else f"{case.reference} has no open period whose closing date is '{closing.label.lower()}'"
            )
        before = date.fromisoformat(details[closing.detail])
        if seen is not None and seen != before.isoformat():
            raise ChangedMeanwhile(
                f"Someone moved the closing date to {before:%-d %B %Y} after you opened this page, so yours was "
                "not saved: extend it again if it still needs to be later"
            )
        notice_on = date.fromisoformat(details.get("tender_notice_published_on") or before.isoformat())
        if closes_on <= before:
            errors["closes_on"] = f"An extension is later than the closing date now, {before:%-d %B %Y}"
        if revised_notice_on < notice_on:
            errors["revised_notice_on"] = f"The revised notice follows the tender notice of {notice_on:%-d %B %Y}"
        if errors:
            raise InvalidInput(errors)
        case.details = {**details, closing.detail: closes_on.isoformat()}
        case.version += 1
        data = {
            "period": closing.detail,
            "before": before.isoformat(),
            "closes_on": closes_on.isoformat(),
            "revised_notice_published_on": revised_notice_on.isoformat(),
        } | notice_id_data(notice_id)
        core.engine.note_case_event(session, case, actor_id=actor_id, action=ACTION, data=data, comment=reason)
