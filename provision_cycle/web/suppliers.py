"""Suppliers: find one by name, see the contracts the councils hold with it and what they have paid it, and (the
intelligence team) record that names whose keys differ are one supplier, or not."""

from __future__ import annotations

from contextlib import suppress

from flask import Blueprint, flash, redirect, request, url_for

from ..errors import InvalidInput, NotFound
from ..models.suppliers import supplier_key
from ..services import names_alike as alike
from ..services import performance
from ..services import suppliers as service
from ..wording import listed
from .common import core, me, render
from .forms import DifferentSuppliersForm, SameSupplierForm, SeparateSupplierForm, apply_errors
from .security import signed_in

suppliers = Blueprint("suppliers", __name__, url_prefix="/suppliers")


@suppliers.get("/")
@signed_in
def find():
    text = request.args.get("q", "").strip()[:100]
    with core().db.reading() as session:
        found = service.find_suppliers(session, me(), text, core().engine.today()) if text else []
    return render(
        "suppliers/find.html",
        text=text,
        found=found,
        most=service.FOUND_AT_MOST,
        may_record=service.may_record_same_supplier(me()),
    )


@suppliers.get("/sharing-a-number")
@signed_in
def sharing_a_number():
    """For the intelligence team: names recorded with one registration number, not yet recorded as one supplier."""
    _intelligence_team_only()
    with core().db.reading() as session:
        shared = service.names_sharing_a_number(session, me())
    return render("suppliers/sharing_a_number.html", shared=shared, most=service.FOUND_AT_MOST)


@suppliers.get("/names-alike")
@signed_in
def names_alike():
    """For the intelligence team: names spelt so alike they may be one supplier, not yet recorded either way."""
    _intelligence_team_only()
    with core().db.reading() as session:
        found = alike.names_alike(session, me(), core().engine.today())
    return render("suppliers/names_alike.html", found=found, most=service.FOUND_AT_MOST)


@suppliers.route("/record-as-different", methods=["GET", "POST"])  # a hyphen: no supplier key has one
@signed_in
def different():
    """Record the suppliers named by ``?key=`` (two or more) as different companies, no longer suggested as
    one; ``?from=number``: from the names sharing a registration number or PPON, where it goes back to."""
    _intelligence_team_only()
    keys = list(dict.fromkeys(request.args.getlist("key")))[: alike.MAX_NAMES + 1]  # one more: the service says so
    if len(keys) < 2:
        raise NotFound("Choose two or more suppliers to record as different")
    back = url_for(".sharing_a_number" if request.args.get("from") == "number" else ".names_alike")
    with core().db.reading() as session:  # each one the person may see, else NotFound
        named = service.suppliers_in_brief(session, me(), keys, core().engine.today())
    form = DifferentSuppliersForm()
    if form.validate_on_submit():
        try:
            alike.record_different_suppliers(core(), me().id, keys, form.reason.data)
        except InvalidInput as error:
            apply_errors(form, error.fields)
        else:
            flash(f"{listed([supplier.name for supplier in named])} are recorded as different suppliers")
            return redirect(back)
    return render("suppliers/different.html", form=form, suppliers=named, back=back)


@suppliers.get("/<key>")
@signed_in
def show(key: str):
    with core().db.reading() as session:
        own = service.names_of(session, key)[0]
        if own != key:  # a name recorded as another supplier's: that supplier's page
            return redirect(url_for(".show", key=own))
        supplier = service.supplier(session, me(), key, core().engine.today(), core().workflows)
        states = {  # each contract's state, in its own workflow's words
            contract.id: core()
            .workflows.get(contract.case.workflow, contract.case.workflow_version)
            .label(contract.case.state)
            for contract in supplier.contracts
        }
    references = {contract.id: contract.reference for contract in supplier.contracts}
    return render(
        "suppliers/show.html",
        supplier=supplier,
        states=states,
        references=references,
        ratings=performance.RATINGS,
        may_record=service.may_record_same_supplier(me()),
    )


def _supplier_to_record(key: str) -> service.Supplier:
    """The supplier whose names are recorded, for someone who may record them (else, as for anyone who may see
    nothing of it, NotFound)."""
    _intelligence_team_only()
    with core().db.reading() as session:
        return service.supplier(session, me(), key, core().engine.today(), core().workflows)


@suppliers.route("/<key>/same-as", methods=["GET", "POST"])
@signed_in
def same_as(key: str):
    """Record the supplier as another's name: ``?as=`` a key, to start from a supplier its page suggested."""
    supplier = _supplier_to_record(key)
    form = SameSupplierForm()
    if request.method == "GET" and (suggested := request.args.get("as")):
        with core().db.reading() as session, suppress(NotFound):  # one they cannot see is not suggested
            form.same_as.data = service.supplier(session, me(), suggested, core().engine.today(), core().workflows).name
    if form.validate_on_submit():
        try:
            target = service.record_same_supplier(
                core(), me().id, key, supplier_key(form.same_as.data), form.reason.data
            )
        except InvalidInput as error:
            apply_errors(form, error.fields)
        else:
            flash(f"{supplier.name} is recorded as a name of {form.same_as.data.strip()}: seen together here")
            return redirect(url_for(".show", key=target, _anchor="names"))
    return render("suppliers/same_as.html", form=form, supplier=supplier)


@suppliers.route("/<key>/names/<name>/separate", methods=["GET", "POST"])
@signed_in
def separate(key: str, name: str):
    """Record one of the supplier's names (``name``, a key) as a supplier of its own again."""
    supplier = _supplier_to_record(key)
    spelt = next((other.name for other in supplier.also if other.key == name), None)
    if spelt is None:
        raise NotFound(f"{supplier.name} has no other name recorded as that")
    form = SeparateSupplierForm()
    if form.validate_on_submit():
        try:
            service.separate_supplier(core(), me().id, name, form.reason.data)
        except InvalidInput as error:
            apply_errors(form, error.fields)
        else:
            flash(f"{spelt} is recorded as a supplier of its own again, not {supplier.name}")
            return redirect(url_for(".show", key=key, _anchor="names"))
    return render("suppliers/separate.html", form=form, supplier=supplier, name=spelt)


def _intelligence_team_only() -> None:
    """Its pages are not there for anyone else (as a supplier they see nothing of is not)."""
    if not service.may_record_same_supplier(me()):
        raise NotFound(service.ONLY_THE_INTELLIGENCE_TEAM)
