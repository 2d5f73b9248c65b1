"""A procurement's closing dates extended by a revised tender notice before they pass (PA23 s31): the scheduler
keeps to the new date, the history and the open data say what changed, and nothing is half saved."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from provision_cycle.errors import ChangedMeanwhile, InvalidAction, InvalidInput, NotPermitted
from provision_cycle.models import AuditEvent, Case, Task
from provision_cycle.scheduling.config import schedule_for
from provision_cycle.scheduling.sweeps import end_periods
from provision_cycle.services.periods import extend_closing_date
from tests.test_ocds import _package, _package_errors

from .factories import hub_people, in_participation, publish_tender_notice, ready_for_the_market


@pytest.fixture
def people(db):
    return hub_people(db)


def _case(db, case_id) -> Case:
    with db.reading() as session:
        case = session.get(Case, case_id)
        session.expunge(case)
        return case


def test_a_tender_period_extended_closes_on_its_new_date(core, db, clock, people):
    """Tenders close on 6 April; on 1 April a clarification answered late moves the date to 20 April."""
    case_id = ready_for_the_market(core.engine, people, value="250000")
    publish_tender_notice(core.engine, case_id, people.officer)  # 2 March, closing 6 April
    clock.set(date(2026, 4, 1))

    def extend(actor=people.officer, closes=date(2026, 4, 20), notice=date(2026, 4, 1), why="A late clarification",
               **kw):  # fmt: skip
        extend_closing_date(core, case_id, actor, "tenders", closes, notice, why, **kw)

    with pytest.raises(InvalidInput) as refused:
        extend(closes=None, notice=date(2026, 4, 2), why=" ", notice_id="x" * 41)
    assert refused.value.fields == {
        "closes_on": "Enter the new closing date",
        "revised_notice_on": "The revised tender notice cannot be published in the future",
        "reason": "Say why the closing date is extended",
        "notice_id": "Keep the notice identifier to 40 characters",
    }
    with pytest.raises(InvalidInput) as refused:
        extend(closes=date(2026, 4, 6), notice=date(2026, 3, 1))
    assert refused.value.fields == {
        "closes_on": "An extension is later than the closing date now, 6 April 2026",
        "revised_notice_on": "The revised notice follows the tender notice of 2 March 2026",
    }
    with pytest.raises(InvalidInput) as refused:
        extend(closes=date(9999, 12, 31))
    assert refused.value.fields == {"closes_on": "9999-12-31 is not a plausible date: check the year"}
    with pytest.raises(NotPermitted):
        extend(actor=people.requester)
    with pytest.raises(InvalidAction, match="no open period whose closing date is 'requests to participate close'"):
        extend_closing_date(core, case_id, people.officer, "participation", date(2026, 4, 20), date(2026, 4, 1), "x")
    assert _case(db, case_id).details["tenders_close_on"] == "2026-04-06"  # nothing saved

    extend(seen="2026-04-06")
    with pytest.raises(ChangedMeanwhile, match="Someone moved the closing date to 20 April 2026"):
        extend(closes=date(2026, 4, 27), seen="2026-04-06")
    case = _case(db, case_id)
    assert case.details["tenders_close_on"] == "2026-04-20"
    with db.reading() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "extend_closing_date")).one()
    assert (event.comment, event.data) == (
        "A late clarification",
        {
            "period": "tenders_close_on",
            "before": "2026-04-06",
            "closes_on": "2026-04-20",
            "revised_notice_published_on": "2026-04-01",
        },
    )

    # The scheduler keeps to the new date: not closed the day after the old one, closed the day after the new.
    schedule = schedule_for(core)
    for day in (date(2026, 4, 7), date(2026, 4, 20)):
        clock.set(day)
        end_periods(core, schedule, day)
        assert _case(db, case_id).state == "tendering"
    clock.set(date(2026, 4, 21))
    end_periods(core, schedule, date(2026, 4, 21))
    assert _case(db, case_id).state == "evaluation"
    with pytest.raises(InvalidAction, match="20 April 2026 has passed"):  # in evaluation: nothing to extend
        extend(closes=date(2026, 5, 1))


def test_a_closing_date_passed_is_not_extended(core, db, clock, people):
    case_id = ready_for_the_market(core.engine, people, value="250000")
    publish_tender_notice(core.engine, case_id, people.officer)
    clock.set(date(2026, 4, 7))  # the day after tenders closed; the scheduler has not run yet
    with pytest.raises(InvalidAction, match="Tenders close on 6 April 2026 has passed: the period is over"):
        extend_closing_date(core, case_id, people.officer, "tenders", date(2026, 4, 20), date(2026, 4, 7), "Late")


def test_requests_to_participate_extended_raise_the_invitation_task_after_the_new_date(core, db, clock, people):
    case_id = in_participation(core.engine, people)  # requests close 27 March
    clock.set(date(2026, 3, 20))
    extend_closing_date(
        core, case_id, people.officer, "participation", date(2026, 4, 3), date(2026, 3, 20), "Few requests so far"
    )
    schedule = schedule_for(core)
    clock.set(date(2026, 3, 30))
    end_periods(core, schedule, date(2026, 3, 30))
    with db.reading() as session:
        assert session.scalars(select(Task).where(Task.case_id == case_id)).all() == []
    clock.set(date(2026, 4, 6))
    end_periods(core, schedule, date(2026, 4, 6))
    with db.reading() as session:
        [task] = session.scalars(select(Task).where(Task.case_id == case_id)).all()
    assert task.kind == "invite_tenders"


def test_the_revised_tender_notice_is_a_release_in_the_open_data(core, db, clock, people):
    case_id = ready_for_the_market(core.engine, people, value="250000")
    publish_tender_notice(core.engine, case_id, people.officer)
    clock.set(date(2026, 4, 1))
    given = (date(2026, 4, 20), date(2026, 4, 1), "Late answer")
    extend_closing_date(core, case_id, people.officer, "tenders", *given, notice_id=" 012345-2026 ")
    package = _package(core, db, people.head, case_id)
    assert _package_errors(package) == []
    tender, revised = package["releases"]
    assert tender["tender"]["tenderPeriod"]["endDate"] == "2026-04-06T22:59:59Z"  # as the first notice said
    assert revised["tag"] == ["tenderUpdate"] and revised["tender"]["status"] == "active"
    assert revised["tender"]["tenderPeriod"] == {"startDate": "2026-03-02T00:00:00Z", "endDate": "2026-04-20T22:59:59Z"}
    [document] = revised["tender"]["documents"]
    assert (document["noticeType"], document["title"], document["datePublished"]) == (
        "UK4",
        "Revised tender notice",
        "2026-03-31T23:00:00Z",
    )
    assert document["description"] == "Find a Tender notice 012345-2026"
