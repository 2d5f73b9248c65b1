"""Pages that show no case data: the service's front page, workflow diagrams and a health check.

Signed-in pages (requests, approvals, the register) arrive with the web app (issue 3); until then nothing
here reveals a case, because nothing here knows who is asking.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template
from sqlalchemy import text

from ..diagrams import to_svg

public = Blueprint("public", __name__)


def _core():
    return current_app.extensions["provision_cycle"]


@public.get("/")
def home():
    core = _core()
    definitions = sorted(
        core.workflows.definitions.values(), key=lambda d: ["commissioning", "procurement", "contract"].index(d.stage)
    )
    return render_template("public/home.html", definitions=definitions, organisation=core.governance.organisation)


@public.get("/workflows/<name>/v<int:version>.svg")
def workflow_diagram(name: str, version: int):
    try:
        definition = _core().workflows.get(name, version)
    except KeyError:
        abort(404)
    return Response(to_svg(definition), mimetype="image/svg+xml")


@public.get("/healthz")
def health():
    with _core().db.reading() as session:
        session.execute(text("SELECT 1"))
    return {"status": "ok"}
