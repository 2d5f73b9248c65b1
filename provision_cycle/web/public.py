"""Pages that show no case data: the service's front page, its workflows (drawn and in words), its accessibility
statement and cookies page, and a health check."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, render_template, url_for
from flask_login import current_user

from ..config_files import ConfigError
from ..diagrams import to_svg
from ..scheduling.config import schedule_for
from ..services import reading
from ..wording import duration
from ..workflow.definitions import STAGES, WorkflowDefinition
from .common import core
from .security import public as anyone

public = Blueprint("public", __name__)


@public.get("/")
@anyone
def home():
    if current_user.is_authenticated:
        return redirect(url_for("work.my_work"))
    definitions = sorted(core().workflows.definitions.values(), key=lambda d: STAGES.index(d.stage))
    return render_template("public/home.html", definitions=definitions)


@public.get("/workflows/<name>/v<id:version>.svg")
@anyone
def workflow_diagram(name: str, version: int):
    return Response(to_svg(_workflow(name, version)), mimetype="image/svg+xml")


@public.get("/workflows/<name>/v<id:version>")
@anyone
def workflow(name: str, version: int):
    """A workflow's diagram and the same in words (the diagram's text alternative)."""
    return render_template("public/workflow.html", definition=_workflow(name, version))


def _workflow(name: str, version: int) -> WorkflowDefinition:
    try:
        return core().workflows.get(name, version)
    except KeyError:
        abort(404)


@public.get("/accessibility")
@anyone
def accessibility():
    """What the statement says of a session's limits follows the settings: WCAG 2.2.1 lets a time limit stand
    when it is 20 hours or more, so a session that long is no failure to declare."""
    settings = core().settings
    return render_template(
        "public/accessibility.html",
        idle=duration(settings.session_idle_minutes),
        longest=duration(settings.session_hours * 60),
        longest_fails=settings.session_hours < WCAG_LONG_ENOUGH_HOURS,
    )


WCAG_LONG_ENOUGH_HOURS = 20  # WCAG 2.2 success criterion 2.2.1's "20 hour exception"


@public.get("/cookies")
@anyone
def cookies():
    settings = core().settings
    return render_template(
        "public/cookies.html",
        cookie=current_app.config["SESSION_COOKIE_NAME"],
        idle=duration(settings.session_idle_minutes),
        longest=duration(settings.session_hours * 60),
    )


@public.get("/healthz")
@anyone
def health():
    """The web host is healthy once the database answers (a proxy's check). Whether email goes out is said
    too, for monitoring: email due long since means the scheduler, which sends it and raises every task, is
    not running; that is no reason to take a web host out of service, so the answer stays 200."""
    with core().db.reading() as session:
        try:
            late_after = schedule_for(core()).delivery_late_after
        except ConfigError:  # the scheduler's file, changed since start-up and broken: its own run says how
            return {"status": "ok", "email": "unknown: config/schedule.yaml does not load"}
        stalled_since = reading.email_stalled_since(session, core().engine.clock(), late_after)
    if stalled_since is None:
        return {"status": "ok", "email": "sending"}
    return {"status": "ok", "email": "stalled", "email_due_since": stalled_since.isoformat()}
