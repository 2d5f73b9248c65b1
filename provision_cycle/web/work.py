"""My work: the home page of a signed-in person."""

from __future__ import annotations

from flask import Blueprint

from ..services import reading
from .common import core, me, render
from .security import signed_in

work = Blueprint("work", __name__)


@work.get("/my-work")
@signed_in
def my_work():
    actor = me()
    with core().db.reading() as session:
        return render(
            "work/my_work.html",
            requests=reading.my_requests(session, actor, limit=20),
            approvals=reading.approvals_waiting(core(), session, actor),
            tasks=reading.my_tasks(session, actor, today=core().engine.today(), include_snoozed=False),
            notifications=reading.my_notifications(session, actor),
            workflows=core().workflows,
        )


@work.get("/notifications")
@signed_in
def notifications():
    with core().db.reading() as session:
        return render("work/notifications.html", notifications=reading.my_notifications(session, me(), limit=100))
