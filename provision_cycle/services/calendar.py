"""A personal calendar feed (ICS) for Outlook and other calendars: contract end dates, notice dates and task
due dates. It lives behind a secret URL (only its hash is stored) that its owner can revoke."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar, Event
from sqlalchemy import select

from ..core import Core
from ..errors import NotFound
from ..models import CalendarFeed, Contract, Task, TaskStatus
from .handed_secrets import digest, new_secret


def create_feed(core: Core, user_id: int) -> str:
    """A new feed secret for ``user_id``; any earlier feed of theirs stops working."""
    secret = new_secret()
    with core.db.unit_of_work() as session:
        revoke_feeds(core, user_id, session=session)
        session.add(CalendarFeed(user_id=user_id, secret_hash=digest(secret)))
        core.engine.system_event(session, actor_id=user_id, action="create_calendar_feed", data={"user_id": user_id})
    return secret


def revoke_feeds(core: Core, user_id: int, session=None) -> None:
    if session is None:
        with core.db.unit_of_work() as own:
            return revoke_feeds(core, user_id, session=own)
    for feed in session.scalars(
        select(CalendarFeed).where(CalendarFeed.user_id == user_id, CalendarFeed.revoked_at.is_(None))
    ):
        feed.revoked_at = core.engine.clock()
    return None


def has_feed(core: Core, user_id: int) -> bool:
    with core.db.reading() as session:
        return (
            session.scalar(
                select(CalendarFeed.id).where(CalendarFeed.user_id == user_id, CalendarFeed.revoked_at.is_(None))
            )
            is not None
        )


def feed_ics(core: Core, secret: str) -> bytes:
    """The calendar behind a feed secret."""
    with core.db.reading() as session:
        feed = session.scalar(select(CalendarFeed).where(CalendarFeed.secret_hash == digest(secret)))
        if feed is None or feed.revoked_at is not None:
            raise NotFound("There is no such calendar feed")
        calendar = Calendar()
        calendar.add("prodid", f"-//{core.governance.organisation.service.name}//provision-cycle//EN")
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", "Contracts and tasks")
        contracts = session.scalars(
            select(Contract).where(
                Contract.contract_manager_id == feed.user_id, Contract.end_date >= core.engine.today()
            )
        )
        for contract in contracts:
            _day(
                calendar,
                f"contract-{contract.id}-end",
                contract.end_date,
                f"{contract.reference} ends: {contract.title}",
            )
            if contract.notice_period_days:  # none recorded: no day to give notice by
                _day(
                    calendar,
                    f"contract-{contract.id}-notice",
                    contract.notice_by,
                    f"{contract.reference}: last day to give {contract.notice_period_days} days' notice",
                )
        tasks = session.scalars(select(Task).where(Task.assignee_id == feed.user_id, Task.status == TaskStatus.OPEN))
        for task in tasks:
            _day(calendar, f"task-{task.id}", task.snoozed_until or task.due_on, f"Due: {task.title}")
        return calendar.to_ical()


def _day(calendar: Calendar, uid: str, day, summary: str) -> None:
    event = Event()
    event.add("uid", f"{uid}@provision-cycle")
    event.add("summary", summary)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("dtstamp", day)
    calendar.add_component(event)
