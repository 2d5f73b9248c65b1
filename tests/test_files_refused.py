"""Files people make by hand (a contract register, a ledger's payments, its unpaid invoices, a portal's requests
to participate and its tenders), with any cell wrong in any way: each is loaded whole or refused whole, every problem named by its line, and never a crash."""

from __future__ import annotations

import csv
import io
import itertools

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from provision_cycle.models import AuditEvent, Contract, ParticipationRequest, Payment, Tender, UnpaidInvoice
from provision_cycle.services import evaluation, register_file, spend, unpaid_invoices
from provision_cycle.services.spreadsheet import FileRefused

from .factories import hub_people, in_participation

# A row each file accepts (hub_people's contract manager is Cora Contracts, OCC, Corporate and Commercial), by
# field; a row's reference-like fields take a number of their own, so that rows are not loaded twice.
ACCEPTED = {
    "title": "Office cleaning", "supplier_name": "Acme Ltd", "authority": "OCC", "category": "ict",
    "contract_type": "services", "value": "100000", "start_date": "2026-02-01", "end_date": "2028-01-31",
    "contract_manager": "Cora Contracts", "pillar": "cnc", "extension_months_available": "12",
    "maximum_term_months": "36", "notice_period_days": "30", "risk": "low", "state": "live",
    "description": "Daily cleaning", "signed_on": "2026-01-20", "supplier_is_sme": "yes", "supplier_is_vcse": "no",
    "supplier_is_supported_employment": "no", "supplier_is_public_service_mutual": "",
    "supplier_registration": "01234567", "supplier_ppon": "PACM-1234-LTDX", "irrecoverable_vat": "0",
    "route": "Open procedure",
    "transaction_number": "T", "paid_on": "2026-03-01", "invoice_received_on": "2026-02-20", "amount": "100.00",
    "expense_type": "Cleaning", "department": "Property", "purpose": "Cleaning", "contract_reference": "",
    "to_individual": "no", "invoice_number": "INV", "as_at": "2026-03-01", "received_on": "2026-03-02",
    "exclusions_checked_on": "2026-03-02", "set_aside_because": "", "supplier_within_reservation": "",
    "price": "100000", "not_assessed_because": "",
}  # fmt: skip
NUMBERED = ("title", "supplier_name", "transaction_number", "invoice_number")
# What a person (or a spreadsheet) may put in a cell instead: other councils' and categories' spellings, amounts
# and dates in every shape, a formula, nothing, far too much, and text of any kind.
CELLS = st.one_of(
    st.sampled_from([
        "", "CDC", "Joint", "occ", "Oxfordshire County Council", "ICT", "Corporate and Commercial", "works",
        "light touch services", "1,250.00", "(12.50)", "-5", "0", "1e400", "NaN", "inf", "9" * 30, "0.001",
        "01/04/2026", "31/02/2026", "0001-01-01", "9999-12-31", "2025-02-23", "yes", "Y", "maybe", "expired",
        "mobilisation", "high", "Direct award", "-3", "999999999", "=SUM(A1)", "'=1", "x" * 300, "x" * 6000,
        "Olive Officer", "\x00", "\u202e",
    ]),
    st.text(max_size=20),
)  # fmt: skip


def _by_the_hub(load):
    """A loader of a council's file, as the hub's head of category runs it."""
    return lambda core, people: lambda data: load(core, data, actor_id=people.head, apply=True)


def _by_the_case_team(core, people):
    """The requests loader of a competitive flexible procedure in its participation period, as its officer runs it."""
    case_id = in_participation(core.engine, people)
    return lambda data: evaluation.load_requests(core, case_id, people.officer, data, apply=True)


def _by_the_evaluators(core, people):
    """The tenders loader of an open procedure whose tenders are in, as its officer runs it."""
    from .web.helpers import procurement_in_evaluation

    case_id = procurement_in_evaluation(core, people)
    return lambda data: evaluation.load_tenders(core, case_id, people.officer, data, apply=True)


# Each kind of file: its columns, the table it loads into, and how it is loaded.
LOADERS = {
    "register": (register_file.LAYOUT, Contract, _by_the_hub(register_file.load_register)),
    "spend": (spend.LAYOUT, Payment, _by_the_hub(spend.load_spend)),
    "unpaid invoices": (unpaid_invoices.LAYOUT, UnpaidInvoice, _by_the_hub(unpaid_invoices.load_unpaid_invoices)),
    "requests to participate": (evaluation.REQUESTS_LAYOUT, ParticipationRequest, _by_the_case_team),
    "tenders": (evaluation.TENDERS_LAYOUT, Tender, _by_the_evaluators),
}
_numbers = itertools.count(1)


def _as_accepted(layout) -> bytes:
    """A file of every column the layout knows and one row accepted as it stands."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([layout.headings[name][0] for name in layout.headings])
    number = next(_numbers)
    writer.writerow([ACCEPTED[name] + (f" {number}" if name in NUMBERED else "") for name in layout.headings])
    return buffer.getvalue().encode()


@st.composite
def hand_made_files(draw, layout):
    """A file with every column the layout knows, or some of them in any order, of rows that are accepted as
    they stand, until cells are changed."""
    columns = list(layout.headings)
    if draw(st.booleans()):
        columns = draw(st.permutations(columns))[: draw(st.integers(1, len(columns)))]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([layout.headings[name][0] for name in columns])
    for _ in range(draw(st.integers(0, 3))):
        number = next(_numbers)
        row = [ACCEPTED[name] + (f" {number}" if name in NUMBERED else "") for name in columns]
        for _ in range(draw(st.integers(0, 2))):
            row[draw(st.integers(0, len(row) - 1))] = draw(CELLS)
        writer.writerow(row)
    return buffer.getvalue().encode()


@pytest.mark.parametrize("kind", LOADERS)
def test_a_hand_made_file_is_loaded_whole_or_refused_whole(core, db, kind):
    layout, model, opened = LOADERS[kind]
    load = opened(core, hub_people(db))
    outcomes = set()

    def counts():
        with db.reading() as session:
            return tuple(session.scalar(select(func.count()).select_from(table)) for table in (model, AuditEvent))

    @given(data=hand_made_files(layout))
    @example(data=_as_accepted(layout))  # loaded, and one refused, whatever is drawn
    @example(data=b"")
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def loaded_or_refused(data):
        before = counts()
        try:
            loaded = load(data)
        except FileRefused as refused:
            assert refused.problems and all(problem.message and problem.line >= 0 for problem in refused.problems)
            assert counts() == before  # nothing half-saved
            outcomes.add("refused")
        else:
            assert loaded.loaded and counts()[1] > before[1]  # and its audit event written
            outcomes.add("loaded")

    loaded_or_refused()
    assert outcomes == {"loaded", "refused"}
