"""Small helpers every view uses: the core, the signed-in person, rendering a form with its errors, and a CSV
or open data file to download."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from flask import Response, abort, current_app, render_template, request, stream_with_context
from flask_login import current_user

from ..core import Core
from ..models.base import MAX_ID
from ..services.spreadsheet import csv_lines
from ..workflow.engine import Actor


def core() -> Core:
    return current_app.extensions["provision_cycle"]


def me() -> Actor:
    return current_user.actor


def render(template: str, *, status: int = 200, **context):
    """Render a page; a form with errors is sent with status 400 so clients and tests can tell."""
    form = context.get("form")
    if form is not None and form.errors and status == 200:
        status = 400
    return render_template(template, **context), status


def as_shown(counter: str | None) -> int:
    """The counter a page sent back in a hidden field (the record's version it showed, the audit events it
    showed through), which catches a change made meanwhile. The page always sends one: anything but a whole
    number is a form the page did not make, refused (400) rather than read as "do not check"."""
    if not (counter or "").isdigit() or int(counter) > MAX_ID:
        abort(400)
    return int(counter)


def id_asked_for(name: str) -> int | None:
    """The record a page's query names by id (``?person=12``), or None where it names none. What no record's
    id could be (a word, a number past any id, which a database would refuse to compare) is not found (404),
    as an id no record has is."""
    raw = request.args.get(name, "")
    if not raw:
        return None
    if not raw.isdigit() or int(raw) > MAX_ID:
        abort(404)
    return int(raw)


def as_seen(fingerprint: str | None) -> str:
    """What a page sent back of the record as it showed it (a fingerprint in a hidden field, ``opened_on``),
    which catches a change made meanwhile: required, as ``as_shown``'s counter is."""
    if not fingerprint:
        abort(400)
    return fingerprint


def safe_next(target: str | None, default: str) -> str:
    """Only follow a ``next`` that stays on this site (no open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def release_package(package: dict) -> Response:
    """An OCDS release package as the JSON file its link downloads (readable, as open data is read)."""
    return Response(json.dumps(package, indent=2, ensure_ascii=False), mimetype="application/json")


def yes_no(answer: bool) -> str:
    """A yes-or-no answer as a form (or a file people load back) has it."""
    return "yes" if answer else "no"


def yes_no_or_none(answer: bool | None) -> str | None:
    """A yes-or-no question's answer as its form has it, None where it was not asked (or is not recorded)."""
    return None if answer is None else yes_no(answer)


def csv_download(header: Sequence[str], rows: Iterable[Sequence[object]], filename: str) -> Response:
    """``rows`` under ``header`` as a CSV file the browser saves as ``filename``, streamed as it is read."""
    return Response(
        stream_with_context(csv_lines(header, rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
