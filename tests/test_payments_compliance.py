"""The payments compliance notice (PA23 s69; Procurement Regulations 2024, reg 38): how promptly a council paid
under its public contracts over a six-month reporting period, from the spend it loaded, approved by its S151
officer with the figures kept."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from provision_cycle.errors import InvalidAction, InvalidInput, NotPermitted
from provision_cycle.models import AuditEvent, Task, TaskStatus
from provision_cycle.scheduling.config import schedule_for
from provision_cycle.scheduling.sweeps import raise_council_duties
from provision_cycle.services.payments_compliance import (
    ReportingPeriod,
    approve_notice,
    notice_rows,
    payment_rows,
    payments_compliance,
    period_of_task,
)
from provision_cycle.services.spend import load_spend
from provision_cycle.services.spreadsheet import FileRefused
from provision_cycle.services.tasks import complete_task
from provision_cycle.services.transparency import Quarter

from .factories import hub_people, register_contract

HEADINGS = "Council,Transaction number,Date paid,Supplier,Amount,Contract reference,Invoice received\n"
PERIOD = ReportingPeriod.parse("2026-04")  # 1 April to 30 September 2026


def _contract(core, people, title: str, value: str, starts: date) -> str:
    contract = register_contract(
        core, people, value=value, starts=starts, ends=date(2029, 3, 31), title=title, supplier_name=f"{title} Ltd"
    )
    return contract.reference


@pytest.fixture
def council(core, db):
    """OCC's people, a public contract under the Act, one let under the 2015 Regulations and one below the
    threshold, with the half-year's payments loaded."""
    people = hub_people(db)
    roads = _contract(core, people, "Roads", "3000000", date(2025, 7, 1))
    legacy = _contract(core, people, "Legacy", "3000000", date(2024, 7, 1))
    small = _contract(core, people, "Small", "50000", date(2025, 7, 1))
    data = (
        HEADINGS
        + f"OCC,P-01,2026-04-10,Roads Ltd,1000,{roads},2026-04-10\n"  # on the invoice day: days 1 to 30
        + f"OCC,P-02,2026-05-31,Roads Ltd,1000,{roads},2026-05-01\n"  # day 30
        + f"OCC,P-03,2026-06-01,Roads Ltd,1000,{roads},2026-05-01\n"  # day 31
        + f"OCC,P-04,2026-06-30,Roads Ltd,1000,{roads},2026-05-01\n"  # day 60
        + f"OCC,P-05,2026-05-01,Roads Ltd,1000,{roads},2026-03-01\n"  # day 61, invoiced before the period
        + f"OCC,P-06,2026-09-30,Roads Ltd,1000,{roads},\n"  # no invoice day loaded: not counted
        + f"OCC,P-07,2026-10-02,Roads Ltd,1000,{roads},2026-09-20\n"  # payable in the period, paid after it
        + f"OCC,P-08,2026-07-01,Roads Ltd,-500,{roads},2026-06-20\n"  # a credit note: not a payment
        + f"OCC,P-09,2026-07-01,Legacy Ltd,1000,{legacy},2026-01-01\n"  # 2015 Regulations: not counted
        + f"OCC,P-10,2026-07-01,Small Ltd,1000,{small},2026-01-01\n"  # below threshold: not counted
        + "OCC,P-11,2026-07-01,Nobody Ltd,1000,,2026-01-01\n"  # under no contract: not counted
        + f"OCC,P-12,2026-03-31,Roads Ltd,1000,{roads},2026-03-30\n"  # the period before
        + f"OCC,P-13,2025-12-31,Roads Ltd,1000,{roads},2025-12-01\n"  # before s69 came into force
    ).encode()
    load_spend(core, data, actor_id=people.system, apply=True)
    return people


def test_the_notice_counts_payments_under_public_contracts_from_their_invoice_day(core, db, council):
    with db.reading() as session:
        figures = payments_compliance(core, session, "OCC", PERIOD)
        payments = {row[0]: row for row in payment_rows(session, "OCC", PERIOD)}
    assert figures.paid == 5 and figures.undated == 1 and figures.owed
    assert figures.average_days == Decimal("36.4")  # (0 + 30 + 31 + 60 + 61) / 5
    assert figures.by_band == (Decimal("40.0"), Decimal("40.0"), Decimal("20.0"))
    # Invoices received in the period (P-01 to P-04, and P-07 paid after it): one of five not paid in it.
    assert (figures.payable, figures.payable_not_paid, figures.not_paid_percent) == (5, 1, Decimal("20.0"))
    assert sorted(payments) == ["P-01", "P-02", "P-03", "P-04", "P-05", "P-06", "P-07"]
    assert payments["P-03"][4:] == ["2026-05-01", "2026-06-01", "31", "Paid in the period"]
    assert payments["P-06"][6:] == ["", "Not counted: no invoice day loaded"]
    assert payments["P-07"][7] == "Payable in the period, paid after it"
    items = dict(notice_rows(figures, "Oxfordshire County Council"))
    assert items["Average number of days taken to pay"] == "36.4"
    assert items["Percentage of payments made day 61 or later"] == "20.0"
    assert items["Percentage of sums payable in the period not paid in it"] == "20.0"
    assert items["Approved by (the officer responsible for the finances)"] == ""


def test_invoices_still_unpaid_count_as_not_paid_in_the_period(core, db, council):
    with db.reading() as session:
        figures = payments_compliance(core, session, "OCC", PERIOD, still_unpaid=3)
        assert (figures.payable, figures.payable_not_paid, figures.not_paid_percent) == (8, 4, Decimal("50.0"))
        with pytest.raises(InvalidInput) as refused:
            payments_compliance(core, session, "OCC", PERIOD, still_unpaid=-1)
    assert "still_unpaid" in refused.value.fields


def test_a_period_with_nothing_paid_under_a_public_contract_owes_no_notice(core, db, council):
    with db.reading() as session:
        figures = payments_compliance(core, session, "OCC", ReportingPeriod.parse("2026-01"))
        cherwell = payments_compliance(core, session, "CDC", PERIOD)
    # P-12, on 31 March 2026; not P-13 in December 2025: the first period began when s69 came into force.
    assert figures.paid == 1 and figures.owed
    assert dict(notice_rows(figures, "OCC"))["First day of the reporting period"] == "2026-01-01"
    assert not cherwell.owed and cherwell.average_days is None and cherwell.by_band == (None, None, None)
    assert cherwell.not_paid_percent is None


def test_only_the_s151_officer_approves_and_the_figures_approved_are_kept(core, db, council, clock):
    people = council
    clock.set(date(2026, 10, 5))
    raise_council_duties(core, schedule_for(core), core.engine.today())
    with db.reading() as session:
        task = session.scalars(select(Task).where(Task.kind == "payments_compliance_notice")).one()
    assert task.assignee_id == people.s151 and period_of_task(task) == PERIOD
    with pytest.raises(NotPermitted, match="Only OCC's S151 officer"):
        approve_notice(core, "OCC", PERIOD, people.director, still_unpaid=2)
    # The task's own form cannot record the approval: only "not owed".
    with pytest.raises(InvalidInput):
        complete_task(core, task.id, people.s151, outcome="approved_published")

    approve_notice(core, "OCC", PERIOD, people.s151, still_unpaid=2, note="Checked against the ledger")
    with db.reading() as session:
        done = session.get(Task, task.id)
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "complete_task")).one()
        assert done.status == TaskStatus.DONE and done.outcome == "approved_published"
        assert done.completed_by_id == people.s151 and done.outcome_note == "Checked against the ledger"
        assert event.data["not_paid_percent"] == "42.9" and event.data["still_unpaid"] == 2  # 3 of 7
        assert event.data["outcome_label"] == "Approved and published on the Central Digital Platform"
    # Spend loaded afterwards does not change what was approved.
    load_spend(core, f"{HEADINGS}OCC,P-20,2026-09-01,Roads Ltd,1000,,2026-04-01\n".encode(), actor_id=people.s151,
               apply=True)  # fmt: skip
    with db.reading() as session:
        figures = payments_compliance(core, session, "OCC", PERIOD)
    assert figures.approval.name == "Sam S151" and figures.approval.on.date() == date(2026, 10, 5)
    assert (figures.payable, figures.payable_not_paid, figures.still_unpaid) == (7, 3, 2)
    assert figures.by_band == (Decimal("40.0"), Decimal("40.0"), Decimal("20.0"))
    assert dict(notice_rows(figures, "OCC"))["Approved by (the officer responsible for the finances)"] == "Sam S151"
    with pytest.raises(InvalidAction, match="already been completed"):
        approve_notice(core, "OCC", PERIOD, people.s151)


def test_a_notice_with_no_task_raised_cannot_be_approved(core, db, council):
    with pytest.raises(InvalidAction, match="no task for OCC's notice for 1 April to 30 September 2026"):
        approve_notice(core, "OCC", PERIOD, council.s151)


def test_an_invoice_received_after_it_was_paid_is_refused_by_line_and_column(core, db, council):
    data = HEADINGS + "OCC,Q-1,2026-05-01,Roads Ltd,10,,2026-05-02\nOCC,Q-2,2026-05-01,Roads Ltd,10,,1 May\n"
    with pytest.raises(FileRefused) as refused:
        load_spend(core, data.encode(), actor_id=council.system, apply=True)
    assert [(p.line, p.column, p.message) for p in refused.value.problems] == [
        (2, "Invoice received", "The invoice was received after it was paid (01/05/2026)"),
        (3, "Invoice received", "'1 May' is not a date: write it like 2026-04-01 or 01/04/2026"),
    ]


def test_reporting_periods_run_from_april_and_october():
    assert PERIOD.ends == date(2026, 9, 30) and PERIOD.due_on == date(2026, 10, 29)
    assert PERIOD.label == "1 April to 30 September 2026"
    # The first began on 1 January 2026, when s69 came into force (s69(3)(a)), and is named by that month.
    assert PERIOD.previous.label == "1 January to 31 March 2026" and PERIOD.previous.code == "2026-01"
    assert PERIOD.previous.first_day == date(2026, 1, 1) and PERIOD.previous.due_on == date(2026, 4, 29)
    assert ReportingPeriod.parse("2026-01") == ReportingPeriod.parse("2025-10") == PERIOD.previous
    assert ReportingPeriod.parse("2026-10").label == "1 October 2026 to 31 March 2027"
    assert ReportingPeriod.containing(date(2027, 2, 1)) == ReportingPeriod.parse("2026-10")
    assert ReportingPeriod.owed_so_far(date(2026, 3, 31)) == []  # the first period has not ended
    assert ReportingPeriod.owed_so_far(date(2026, 12, 4)) == [PERIOD, PERIOD.previous]
    for wrong in ("2026-05", "April 2026", "2026-4"):
        with pytest.raises(InvalidInput, match="is not a reporting period"):
            ReportingPeriod.parse(wrong)


@given(st.dates(date(1990, 1, 1), date(2199, 12, 31)))
def test_every_day_falls_in_one_reporting_period_and_one_quarter(day):
    for kind in (ReportingPeriod, Quarter):
        span = kind.containing(day)
        assert span.starts <= day <= span.ends and span.starts.day == 1
        assert kind.parse(span.code) == span and span.previous.ends + timedelta(days=1) == span.starts


def test_the_command_writes_the_notice_and_the_payments_behind_it(core, db, council, tmp_path):
    from provision_cycle.app import create_app

    runner = create_app(core.settings, core=core).test_cli_runner()
    result = runner.invoke(args=["payments-compliance", "OCC", "2026-04", "--still-unpaid", "3", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "1 April to 30 September 2026: 5 payments counted, not yet approved" in result.output
    notice = (tmp_path / "OCC-payments-compliance-notice-2026-04.csv").read_text().splitlines()
    assert notice[0] == "Item,Value" and "Percentage of sums payable in the period not paid in it,50.0" in notice
    payments = (tmp_path / "OCC-payments-compliance-payments-2026-04.csv").read_text().splitlines()
    assert payments[0].startswith("Transaction number,Supplier") and len(payments) == 8
    refused = runner.invoke(args=["payments-compliance", "OCC", "2026-05", "-o", str(tmp_path)])
    assert refused.exit_code == 1 and "'2026-05' is not a reporting period" in refused.stderr


def test_payments_loaded_without_their_invoice_day_are_completed_by_loading_them_again(core, db, council):
    """A finance team that adds the column to its export loads the period again: the invoice days are added to
    the payments it names, the same in every other respect; anything else already loaded is refused."""
    again = (
        HEADINGS + "OCC,P-06,2026-09-30,Roads Ltd,1000,,2026-09-01\n"  # the one loaded without its day
        "OCC,P-30,2026-09-15,Roads Ltd,1000,,2026-09-10\n"  # new
    )
    load = load_spend(core, again.encode(), actor_id=council.system, apply=True)
    assert [p.transaction_number for p in load.payments] == ["P-30"] and len(load.invoice_days) == 1
    with db.reading() as session:
        figures = payments_compliance(core, session, "OCC", PERIOD)
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "load_spend")).all()[-1]
    assert figures.undated == 0 and figures.paid == 6  # P-06 counted now, at 29 days; P-30 names no contract
    assert event.data["invoice_days_added"] == 1 and event.data["payments"] == 1
    for refused_row in (
        "OCC,P-06,2026-09-30,Roads Ltd,1000,,2026-09-02\n",  # its day is known now
        "OCC,P-01,2026-04-10,Roads Ltd,999,,2026-04-10\n",  # not the same payment
    ):
        with pytest.raises(FileRefused) as refused:
            load_spend(core, (HEADINGS + refused_row).encode(), actor_id=council.system)
        assert [p.message for p in refused.value.problems] == [f"Transaction {refused_row[4:8]} is already loaded"]


def test_a_council_with_no_s151_officer_when_the_duty_fell_due_has_it_approved_by_the_one_appointed(core, db, clock):
    """The duty went to Cherwell's administrator, saying why; the S151 officer appointed since approves it."""
    from .factories import create_user

    hub_people(db)
    admin = create_user(db, ("administrator", "CDC"))
    clock.set(date(2026, 10, 5))
    raise_council_duties(core, schedule_for(core), core.engine.today())
    with db.reading() as session:
        task = session.scalars(
            select(Task).where(Task.kind == "payments_compliance_notice", Task.subject_key == "authority:CDC")
        ).one()
    assert task.assignee_id == admin and "Nobody holds" in task.detail
    with pytest.raises(NotPermitted, match="Only CDC's S151 officer"):
        approve_notice(core, "CDC", PERIOD, admin)
    appointed = create_user(db, ("s151_officer", "CDC"))
    approve_notice(core, "CDC", PERIOD, appointed)
    with db.reading() as session:
        assert session.get(Task, task.id).completed_by_id == appointed


UNPAID = "Council,Invoice number,Supplier,Amount,Invoice received,Contract reference,As at\n"


def _references(db) -> dict[str, str]:
    from provision_cycle.models import Contract

    with db.reading() as session:
        return dict(session.execute(select(Contract.title, Contract.reference)).all())


def test_the_council_s_list_of_unpaid_invoices_counts_those_received_in_the_period(core, db, council, clock):
    from provision_cycle.services.unpaid_invoices import load_unpaid_invoices

    people, refs = council, _references(db)
    clock.set(date(2026, 10, 3))
    data = (
        UNPAID
        + f"OCC,U-1,Roads Ltd,400,2026-09-25,{refs['Roads']},2026-10-02\n"  # counted
        + f"OCC,U-2,ROADS LIMITED,300,25/08/2026,{refs['Roads']},02/10/2026\n"  # counted
        + f"OCC,U-3,Roads Ltd,300,2026-10-01,{refs['Roads']},2026-10-02\n"  # received after the period
        + f"OCC,U-4,Legacy Ltd,300,2026-08-01,{refs['Legacy']},2026-10-02\n"  # 2015 Regulations
        + "OCC,U-5,Nobody Ltd,300,2026-08-01,,2026-10-02\n"  # under no contract
    ).encode()
    checked = load_unpaid_invoices(core, data, actor_id=people.system)
    assert (len(checked.invoices), checked.as_at, checked.loaded) == (5, date(2026, 10, 2), False)
    with db.reading() as session:
        assert payments_compliance(core, session, "OCC", PERIOD).unpaid_listed_on is None  # checked, not loaded

    load_unpaid_invoices(core, data, actor_id=people.system, apply=True)
    with db.reading() as session:
        figures = payments_compliance(core, session, "OCC", PERIOD)
        given = payments_compliance(core, session, "OCC", PERIOD, still_unpaid=0)  # the officer's number first
    assert (figures.still_unpaid, figures.unpaid_listed_on) == (2, date(2026, 10, 2))
    assert (figures.payable, figures.payable_not_paid, figures.not_paid_percent) == (7, 3, Decimal("42.9"))
    assert (given.still_unpaid, given.unpaid_listed_on, given.payable) == (0, None, 5)

    # The next list replaces the council's list whole; one taken before the period ended cannot tell.
    load_unpaid_invoices(core, (UNPAID + f"OCC,U-1,Roads Ltd,400,2026-09-25,{refs['Roads']},\n").encode(),
                         actor_id=people.system, apply=True)  # fmt: skip
    with db.reading() as session:
        assert payments_compliance(core, session, "OCC", PERIOD).still_unpaid == 1  # as at the day it was loaded
        assert payments_compliance(core, session, "OCC", ReportingPeriod.parse("2026-10")).unpaid_listed_on is None
        loads = session.scalars(select(AuditEvent).where(AuditEvent.action == "load_unpaid_invoices")).all()
    assert [(e.data["invoices"], e.data["replaced"], e.data["as_at"]) for e in loads] == [
        (5, 0, "2026-10-02"), (1, 5, "2026-10-03"),
    ]  # fmt: skip


def test_a_list_of_unpaid_invoices_with_problems_is_refused_by_line_and_column_and_nothing_loads(
    core, db, council, clock
):
    from provision_cycle.models import UnpaidInvoice
    from provision_cycle.services.unpaid_invoices import load_unpaid_invoices

    clock.set(date(2026, 10, 3))
    data = (
        UNPAID
        + "OCC,U-1,Roads Ltd,400,2026-09-25,,2026-10-02\n"
        + "OCC,U-1,Roads Ltd,400,2026-09-25,,2026-10-02\n"
        + "OCC,U-2,Roads Ltd,lots,2026-09-25,CON-999998,2026-10-02\n"
        + "OCC,U-3,Roads Ltd,100,2026-10-05,,2026-10-02\n"
        + "Joint,U-4,Roads Ltd,100,2026-09-05,,2026-10-02\n"
        + "OCC,U-5,Roads Ltd,100,2026-09-05,CON-999999,2026-10-02\n"
        + "OCC,U-6,Roads Ltd,100,2026-09-05,,2026-10-01\n"
        + "OCC,U-7,Roads Ltd,100,,,2026-10-02\n"
    ).encode()
    with pytest.raises(FileRefused) as refused:
        load_unpaid_invoices(core, data, actor_id=council.system, apply=True)
    assert [str(problem) for problem in refused.value.problems] == [
        "the file, As at: A list is as at one day; this one has 01/10/2026, 02/10/2026",
        "line 3, Invoice number: Invoice U-1 is also on line 2",
        "line 4, Amount: 'lots' is not an amount in pounds, like 1250.00, -1250.00 or (1,250.00)",
        "line 4, Contract reference: CON-999998 is not a contract in Oxfordshire County Council's register",
        "line 5, Invoice received: Received after the list's day (02/10/2026): it cannot be on it",
        "line 6, Council: 'Joint' is not a council: an invoice is one council's, not jointly",
        "line 7, Contract reference: CON-999999 is not a contract in Oxfordshire County Council's register",
        "line 9, Invoice received: Enter the invoice received",
    ]
    with pytest.raises(NotPermitted):
        load_unpaid_invoices(core, data, actor_id=council.system, councils=[])
    with pytest.raises(FileRefused, match="1 problem"):
        load_unpaid_invoices(core, (UNPAID + "CDC,C-1,X,1,2026-09-01,,\n").encode(), actor_id=council.system,
                             councils=["OCC"])  # fmt: skip
    with db.reading() as session:
        assert session.scalars(select(UnpaidInvoice)).all() == []
