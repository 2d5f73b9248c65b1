"""Suppliers: find one by name, and see the contracts the councils hold with it and what they have paid it."""

from __future__ import annotations

from flask import Blueprint, request

from ..services import performance
from ..services import suppliers as service
from .common import core, me, render
from .security import signed_in

suppliers = Blueprint("suppliers", __name__, url_prefix="/suppliers")


@suppliers.get("/")
@signed_in
def find():
    text = request.args.get("q", "").strip()[:100]
    with core().db.reading() as session:
        found = service.find_suppliers(session, me(), text, core().engine.today()) if text else []
    return render("suppliers/find.html", text=text, found=found, most=service.FOUND_AT_MOST)


@suppliers.get("/<key>")
@signed_in
def show(key: str):
    with core().db.reading() as session:
        supplier = service.supplier(session, me(), key, core().engine.today(), core().workflows)
        states = {  # each contract's state, in its own workflow's words
            contract.id: core()
            .workflows.get(contract.case.workflow, contract.case.workflow_version)
            .label(contract.case.state)
            for contract in supplier.contracts
        }
    references = {contract.id: contract.reference for contract in supplier.contracts}
    return render(
        "suppliers/show.html", supplier=supplier, states=states, references=references, ratings=performance.RATINGS
    )
