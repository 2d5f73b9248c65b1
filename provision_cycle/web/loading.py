"""Loading a file an administrator brings (the council's existing register, its payments, the invoices it has
yet to pay), or the intelligence team (its table of suppliers' names): checked whole,
its problems listed by line and column, and loaded only once they confirm. One view for every kind of file;
the services do the checking (``services/register_file``, ``services/spend``)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from ..services import documents, people, register_file, spend, suppliers, unpaid_invoices
from ..services.spreadsheet import FileRefused
from ..services.suppliers import SAME_SUPPLIER_ROLE
from ..wording import counted
from .common import core, me, render
from .filters import day, money
from .forms import ConfirmLoadForm, LoadFileForm, apply_errors
from .security import ADMIN_ROLES, roles_required

loading = Blueprint("loading", __name__, url_prefix="/contracts")


MAX_LOADED_FILE = 5 * 1024 * 1024  # base64 in the confirmation form, it stays under the request limit


@dataclass(frozen=True)
class Loading:
    """A kind of file an administrator loads: checked first, then confirmed (the register, spend)."""

    kind: str
    title: str
    noun: str  # one of what it holds: "contract", "payment"
    upload: str  # the file field's label
    intro: str  # the template that says what the file holds
    load: Callable[..., Any]  # the service: (core, data, actor_id=, councils=, apply=)
    items: Callable[[Any], list]  # what a checked file holds
    total: Callable[[Any], Decimal]
    preview: tuple[str, ...]  # the headings of the table of what it holds
    row: Callable[[Any, Any], list[str]]  # (organisation, item) -> that table's row
    loaded: Callable[[Any], str]  # what to say once loaded
    then: str  # where to go once loaded
    also: Callable[[Any], str] = lambda checked: ""  # what else it changes, after its count: " and ..."
    roles: tuple[str, ...] = ADMIN_ROLES  # who loads it
    by_council: Callable[[Any], dict[str, int]] = lambda checked: checked.by_council  # how many, council by council


LOADINGS = {
    "register": Loading(
        kind="register",
        title="Load contracts from a spreadsheet",
        noun="contract",
        upload="Upload the register",
        intro="loading/register_intro.html",
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
        upload="Upload the payments file",
        intro="loading/spend_intro.html",
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
        also=lambda load: (
            f" and the invoice day of {len(load.invoice_days):,} loaded before" if load.invoice_days else ""
        ),
    ),
    "unpaid": Loading(
        kind="unpaid",
        title="Load the invoices still unpaid",
        noun="unpaid invoice",
        upload="Upload the list of unpaid invoices",
        intro="loading/unpaid_intro.html",
        load=unpaid_invoices.load_unpaid_invoices,
        items=lambda load: load.invoices,
        total=lambda load: load.total,
        preview=("Council", "Invoice", "Received", "Supplier", "Amount", "Contract"),
        row=lambda org, i: [
            i.authority,
            i.invoice_number,
            day(i.invoice_received_on),
            i.supplier_name,
            money(i.amount),
            "yes" if i.contract_id else "",
        ],  # fmt: skip
        loaded=lambda load: "The payments compliance notices count those received in their periods.",
        then="contracts.transparency_files",
        also=lambda load: f", as at {day(load.as_at)}, in place of the list before",
    ),
    "names": Loading(
        kind="names",
        title="Load a table of suppliers' names",
        noun="supplier name",
        upload="Upload the table of names",
        intro="loading/names_intro.html",
        load=lambda core, data, *, actor_id, councils, apply: suppliers.load_supplier_names(
            core, data, actor_id=actor_id, apply=apply
        ),  # a supplier is one company to both councils
        items=lambda load: load.pairs,
        total=lambda load: None,
        preview=("Name", "Same supplier as"),
        row=lambda org, pair: list(pair),
        loaded=lambda load: "Each supplier's page lists its other names.",
        then="suppliers.find",
        roles=(SAME_SUPPLIER_ROLE,),
        by_council=lambda load: {},
    ),
}


def _upload_form(loading: Loading, **kwargs: Any) -> LoadFileForm:
    form = LoadFileForm(**kwargs)
    form.register.label.text = loading.upload
    return form


@loading.route("/load", methods=["GET", "POST"], defaults={"kind": "register"})
@loading.route("/payments/load", methods=["GET", "POST"], defaults={"kind": "spend"})
@loading.route("/payments/unpaid/load", methods=["GET", "POST"], defaults={"kind": "unpaid"})
@loading.route("/supplier-names/load", methods=["GET", "POST"], defaults={"kind": "names"})
@roles_required(*ADMIN_ROLES, SAME_SUPPLIER_ROLE)
def load(kind: str):
    """Load a file (the council's existing register, its payments, the suppliers' names): check it first, then
    confirm."""
    loading = _loading(kind)
    form = _upload_form(loading)
    if (uploaded := uploaded_file(form)) is not None:
        return _checked(loading, form, *uploaded)
    return render("loading/load.html", form=form, loading=loading, problems=[], status=400 if form.errors else 200)


@loading.post("/load/confirm", defaults={"kind": "register"})
@loading.post("/payments/load/confirm", defaults={"kind": "spend"})
@loading.post("/payments/unpaid/load/confirm", defaults={"kind": "unpaid"})
@loading.post("/supplier-names/load/confirm", defaults={"kind": "names"})
@roles_required(*ADMIN_ROLES, SAME_SUPPLIER_ROLE)
def load_confirm(kind: str):
    loading = _loading(kind)
    if (confirmed := confirmed_file()) is None:
        return redirect(url_for(".load", kind=kind))
    return _checked(loading, _upload_form(loading, formdata=None), *confirmed, apply=True)


def uploaded_file(form: LoadFileForm) -> tuple[bytes, str] | None:
    """The CSV file sent with ``form`` and its name, once the form is valid; else None, with what is wrong with
    the file on the form."""
    if not form.validate_on_submit():
        return None
    file = request.files.get("register")
    data = file.read(MAX_LOADED_FILE + 1) if file is not None and file.filename else b""
    if not data:
        apply_errors(form, {"register": "Select the CSV file"})
    elif len(data) > MAX_LOADED_FILE:
        apply_errors(form, {"register": "The file must be 5 MB or smaller: split it into parts"})
    else:
        return data, documents.safe_filename(file.filename)
    return None


def confirmed_file() -> tuple[bytes, str] | None:
    """The file a confirmation carries back, checked before (``confirmation``), and its name; None, and a
    message to upload it again, where the form expired or came without it."""
    form = ConfirmLoadForm()
    try:
        data = base64.b64decode(form.content.data or "", validate=True)
    except ValueError:
        data = b""
    if not form.validate_on_submit() or not data:
        flash("Upload the file again: the form had expired or the file did not come with it", "error")
        return None
    return data, form.filename.data or ""


def confirmation(data: bytes, filename: str, button: str) -> ConfirmLoadForm:
    """The form that loads a checked file once the person confirms, carrying it (base64)."""
    confirm = ConfirmLoadForm(formdata=None, content=base64.b64encode(data).decode("ascii"), filename=filename)
    confirm.submit.label.text = button
    return confirm


def _loading(kind: str) -> Loading:
    """The kind of file, for someone who loads it (the route's roles are every kind's together)."""
    loading = LOADINGS[kind]
    if not current_user.has_role(*loading.roles):
        abort(403)
    return loading


def _checked(loading: Loading, upload: LoadFileForm, data: bytes, filename: str, *, apply: bool = False):
    """Check (or load) ``data``: its problems on the upload page, or what it holds for confirmation."""
    try:
        checked = loading.load(core(), data, actor_id=me().id, councils=people.administered_by(me()), apply=apply)
    except FileRefused as refused:
        apply_errors(upload, {"register": f"{filename}: {refused.message}"})
        return render("loading/load.html", form=upload, loading=loading, problems=refused.problems, status=400)
    items = loading.items(checked)
    count = f"{counted(len(items), loading.noun)}{loading.also(checked)}"
    if checked.loaded:
        flash(f"{count} from {filename} loaded: {loading.loaded(checked)}")
        return redirect(url_for(loading.then, sort="newest"))
    confirm = confirmation(data, filename, f"Load {count}")
    org = core().governance.organisation
    return render(
        "loading/check.html",
        form=None,
        confirm=confirm,
        loading=loading,
        by_council=loading.by_council(checked),
        total=loading.total(checked),
        preview=[loading.row(org, item) for item in items[:50]],
        more=len(items) > 50,
        count=count,
        filename=filename,
    )
