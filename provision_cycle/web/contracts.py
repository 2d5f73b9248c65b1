"""The contract register: search, filter, sort, page, export; and a contract's own page."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, flash, redirect, request, stream_with_context, url_for
from sqlalchemy import select

from ..errors import DomainError, InvalidInput, NotFound
from ..governance.organisation import JOINT
from ..models import Task
from ..services import documents, people, reading, register_file, spend, transparency
from ..services.contract_managers import (
    MANAGER_ROLE,
    assign_contract_manager,
    manager_choices,
    may_assign_contract_manager,
)
from ..services.spreadsheet import FileRefused, csv_lines
from .common import core, me, render
from .filters import day, money
from .forms import ContractManagerForm, LoadRegisterForm, RegisterFileForm, apply_errors, colleague_options
from .security import ADMIN_ROLES, roles_required, signed_in

contracts = Blueprint("contracts", __name__, url_prefix="/contracts")
CSV_COLUMNS = (
    "Reference",
    "Title",
    "Supplier",
    "Supplier registration number",
    "SME",
    "VCSE",
    "Authority",
    "Pillar",
    "Category",
    "Contract type",
    "Regime",
    "Route",
    "Value excluding VAT",
    "Irrecoverable VAT",
    "Start date",
    "End date",
    "Extension months available",
    "Notice period days",
    "Risk",
    "Status",
    "Contract manager",
)


def _query() -> tuple[reading.RegisterQuery, dict[str, str]]:
    args = request.args
    problems = {}
    within = args.get("expiring_within", "").strip()
    if within and not (within.isdigit() and 0 < int(within) <= 3650):
        problems["expiring_within"] = "Enter a number of days between 1 and 3650, like 90"
    page = args.get("page", "1")
    # A contract manager starts with the contracts they manage; "All contracts" shows the whole register.
    manages = me().holds(MANAGER_ROLE, JOINT)  # in either council
    mine = args.get("show", "mine" if manages else "all") == "mine"
    return (
        reading.RegisterQuery(
            text=args.get("q", "").strip()[:100],
            pillar=args.get("pillar", ""),
            authority=args.get("authority", ""),
            status=args.get("status", ""),
            expiring_within=int(within) if within and not problems else None,
            manager_id=me().id if mine else None,
            sort=args.get("sort", "end_date"),
            page=int(page) if page.isdigit() else 1,
        ),
        problems,
    )


@contracts.get("/")
@signed_in
def register():
    query, problems = _query()
    with core().db.reading() as session:
        page = reading.register_page(session, me(), query, core().engine.today())
    states = core().workflows.for_stage("contract").states
    return render(
        "contracts/register.html",
        page=page,
        query=query,
        problems=problems,
        organisation=core().governance.organisation,
        states=states,
        status_choices=[(state.name, state.label) for state in states.values()],
        may_publish=bool(transparency.publishing_councils(me())),
        status=400 if problems else 200,
    )


@contracts.get("/export.csv")
@signed_in
def export():
    query, _ = _query()
    actor, today, org = me(), core().engine.today(), core().governance.organisation
    states = core().workflows.for_stage("contract").states

    def rows():
        with core().db.reading() as session:
            for contract, case, manager in reading.register_rows(session, actor, query, today):
                yield [
                    contract.reference,
                    contract.title,
                    contract.supplier_name,
                    contract.supplier_registration,
                    "yes" if contract.supplier_is_sme else "no",
                    "yes" if contract.supplier_is_vcse else "no",
                    org.authority_name(contract.authority),
                    org.pillars[contract.pillar].name,
                    org.categories[contract.category].name,
                    contract.contract_type,
                    contract.regime,
                    contract.route or "",
                    f"{contract.value:.2f}",
                    f"{contract.irrecoverable_vat:.2f}",
                    contract.start_date.isoformat(),
                    contract.end_date.isoformat(),
                    contract.extension_months_available,
                    contract.notice_period_days,
                    contract.risk,
                    states[case.state].label if case.state in states else case.state,
                    manager or "",
                ]

    return Response(
        stream_with_context(csv_lines(CSV_COLUMNS, rows())),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="contract-register-{today.isoformat()}.csv"'},
    )


@contracts.get("/<id:contract_id>")
@signed_in
def show(contract_id: int):
    with core().db.reading() as session:
        contract = reading.get_contract_for(session, me(), contract_id)
        page = reading.case_page(core(), session, me(), contract.case_id)
        tasks = list(session.scalars(select(Task).where(Task.contract_id == contract.id).order_by(Task.due_on)))
        manager = reading.user_names(session, {contract.contract_manager_id} if contract.contract_manager_id else set())
        paid, payments = spend.contract_spend(session, contract.id)
        latest = spend.contract_payments(session, contract.id)
    return render(
        "contracts/show.html",
        paid=paid,
        payments=payments,
        latest_payments=latest,
        contract=contract,
        page=page,
        tasks=tasks,
        manager=manager.get(contract.contract_manager_id, "Not assigned"),
        may_change_manager=may_assign_contract_manager(me(), contract),
        organisation=core().governance.organisation,
        today=core().engine.today(),
    )


@contracts.route("/<id:contract_id>/manager", methods=["GET", "POST"])
@signed_in
def change_manager(contract_id: int):
    """Hand the contract to another contract manager (and its open tasks with it)."""
    with core().db.reading() as session:
        contract = reading.get_contract_for(session, me(), contract_id)
        if not may_assign_contract_manager(me(), contract):
            raise NotFound(f"There is no contract {contract_id} whose manager you can change")
        choices = manager_choices(core(), session, contract)
        current = reading.user_names(session, {contract.contract_manager_id} if contract.contract_manager_id else set())
        session.expunge(contract)
    form = ContractManagerForm()
    form.manager_id.choices = colleague_options([p for p in choices if p.id != contract.contract_manager_id])
    if form.validate_on_submit():
        try:
            moved = assign_contract_manager(
                core(), contract_id, me().id, manager_id=int(form.manager_id.data), reason=form.reason.data or ""
            )
            name = next(person.full_name for person in choices if person.id == int(form.manager_id.data))
            handed = f", with {moved} open task{'' if moved == 1 else 's'}" if moved else ""
            flash(f"{name} now manages {contract.reference}{handed}")
            return redirect(url_for(".show", contract_id=contract_id))
        except InvalidInput as error:
            apply_errors(form, error.fields)
        except DomainError as error:
            flash(error.message, "error")
            return redirect(url_for(".show", contract_id=contract_id))
    return render(
        "contracts/manager.html",
        contract=contract,
        form=form,
        current=current.get(contract.contract_manager_id, "Nobody is named yet (its tasks go to its requester)"),
    )


MAX_LOADED_FILE = 5 * 1024 * 1024  # base64 in the confirmation form, it stays under the request limit


@dataclass(frozen=True)
class Loading:
    """A kind of file an administrator loads: checked first, then confirmed (the register, spend)."""

    kind: str
    title: str
    noun: str  # one of what it holds: "contract", "payment"
    intro: str  # the template that says what the file holds
    load: Callable[..., Any]  # the service: (core, data, actor_id=, councils=, apply=)
    items: Callable[[Any], list]  # what a checked file holds
    total: Callable[[Any], Decimal]
    preview: tuple[str, ...]  # the headings of the table of what it holds
    row: Callable[[Any, Any], list[str]]  # (organisation, item) -> that table's row
    loaded: Callable[[Any], str]  # what to say once loaded
    then: str  # where to go once loaded


LOADINGS = {
    "register": Loading(
        kind="register",
        title="Load contracts from a spreadsheet",
        noun="contract",
        intro="contracts/load_register_intro.html",
        load=register_file.load_register,
        items=lambda load: load.contracts,
        total=lambda load: load.total_value,
        preview=("Title", "Supplier", "Council", "Category", "Value", "Starts", "Ends"),
        row=lambda org, c: [
            c.title,
            c.supplier_name,
            c.authority,
            org.categories[c.category].name,
            money(c.value),
            day(c.start_date),
            day(c.end_date),
        ],  # fmt: skip
        loaded=lambda load: f"{load.references[0]} to {load.references[-1]}. The scheduler raises their tasks next.",
        then="contracts.register",
    ),
    "spend": Loading(
        kind="spend",
        title="Load payments from the finance system",
        noun="payment",
        intro="contracts/load_spend_intro.html",
        load=spend.load_spend,
        items=lambda load: load.payments,
        total=lambda load: load.total,
        preview=("Council", "Date paid", "Transaction", "Supplier", "Amount", "Contract"),
        row=lambda org, p: [
            p.authority,
            day(p.paid_on),
            p.transaction_number,
            p.supplier_name,
            money(p.amount),
            "yes" if p.contract_id else "",
        ],  # fmt: skip
        loaded=lambda load: "Each contract's page shows what has been paid under it.",
        then="contracts.register",
    ),
}


@contracts.route("/load", methods=["GET", "POST"], defaults={"kind": "register"})
@contracts.route("/payments/load", methods=["GET", "POST"], defaults={"kind": "spend"})
@roles_required(*ADMIN_ROLES)
def load(kind: str):
    """Load a file (the council's existing register, its payments): check it first, then confirm."""
    loading, form = LOADINGS[kind], RegisterFileForm()
    if form.validate_on_submit():
        file = request.files.get("register")
        data = file.read(MAX_LOADED_FILE + 1) if file is not None and file.filename else b""
        if not data:
            apply_errors(form, {"register": "Select the CSV file"})
        elif len(data) > MAX_LOADED_FILE:
            apply_errors(form, {"register": "The file must be 5 MB or smaller: split it into parts"})
        else:
            return _checked(loading, form, data, documents.safe_filename(file.filename))
    return render("contracts/load.html", form=form, loading=loading, problems=[], status=400 if form.errors else 200)


@contracts.post("/load/confirm", defaults={"kind": "register"})
@contracts.post("/payments/load/confirm", defaults={"kind": "spend"})
@roles_required(*ADMIN_ROLES)
def load_confirm(kind: str):
    loading, form = LOADINGS[kind], LoadRegisterForm()
    try:
        data = base64.b64decode(form.content.data or "", validate=True)
    except ValueError:
        data = b""
    if not form.validate_on_submit() or not data:
        flash("Upload the file again: the form had expired or the file did not come with it", "error")
        return redirect(url_for(".load", kind=kind))
    return _checked(loading, RegisterFileForm(formdata=None), data, form.filename.data or "", apply=True)


def _checked(loading: Loading, upload: RegisterFileForm, data: bytes, filename: str, *, apply: bool = False):
    """Check (or load) ``data``: its problems on the upload page, or what it holds for confirmation."""
    try:
        checked = loading.load(core(), data, actor_id=me().id, councils=people.administered_by(me()), apply=apply)
    except FileRefused as refused:
        apply_errors(upload, {"register": f"{filename}: {refused.message}"})
        return render("contracts/load.html", form=upload, loading=loading, problems=refused.problems, status=400)
    items = loading.items(checked)
    count = f"{len(items):,} {loading.noun}{'' if len(items) == 1 else 's'}"
    if checked.loaded:
        flash(f"{count} from {filename} loaded: {loading.loaded(checked)}")
        return redirect(url_for(loading.then, sort="newest"))
    confirm = LoadRegisterForm(formdata=None, content=base64.b64encode(data).decode("ascii"), filename=filename)
    confirm.submit.label.text = f"Load {count}"
    org = core().governance.organisation
    return render(
        "contracts/load_check.html",
        form=None,
        confirm=confirm,
        loading=loading,
        by_council=checked.by_council,
        total=loading.total(checked),
        preview=[loading.row(org, item) for item in items[:50]],
        more=len(items) > 50,
        count=count,
        filename=filename,
        organisation=org,
    )


QUARTERS_LISTED = 8


@contracts.get("/transparency")
@roles_required(*transparency.PUBLISHERS)
def transparency_files():
    """The Transparency Code's quarterly files for each council the person publishes for."""
    latest = transparency.Quarter.containing(core().engine.today())
    quarters = [latest]
    while len(quarters) < QUARTERS_LISTED:
        quarters.append(quarters[-1].previous)
    return render(
        "contracts/transparency.html",
        councils=transparency.publishing_councils(me()),
        quarters=quarters,
        organisation=core().governance.organisation,
    )


@contracts.get("/transparency/<authority>/<quarter>/<kind>.csv")
@roles_required(*transparency.PUBLISHERS)
def transparency_file(authority: str, quarter: str, kind: str):
    try:
        period = transparency.Quarter.parse(quarter)
    except InvalidInput as error:
        raise NotFound(error.message) from None
    actor = me()

    def rows():
        with core().db.reading() as session:
            yield from transparency.quarterly_file(core(), session, kind, authority, period, actor=actor)

    with core().db.reading() as session:  # refused before the download starts, not halfway through it
        transparency.quarterly_file(core(), session, kind, authority, period, actor=actor)
    return Response(
        stream_with_context(csv_lines(transparency.FILES[kind], rows())),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{authority}-{kind}-{period.code}.csv"'},
    )
