"""Spend: a council's payments loaded from its finance system's CSV export, all or nothing; a contract's spend
to date; and the Transparency Code's quarterly file of expenditure over £500."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from provision_cycle.app import create_app
from provision_cycle.errors import NotPermitted
from provision_cycle.models import AuditEvent, Payment
from provision_cycle.services.register import ExistingContract, import_contract
from provision_cycle.services.spend import contract_spend, load_spend
from provision_cycle.services.spreadsheet import FileRefused
from provision_cycle.services.transparency import Quarter, quarterly_file

from .factories import create_user, hub_people

HEADINGS = "Council,Transaction number,Date paid,Supplier,Amount,Expense type,Purpose,Contract reference,Individual\n"


def _contract(core, people, title: str, authority: str = "OCC") -> tuple[int, str]:
    with core.db.unit_of_work() as session:
        existing = ExistingContract(
            title=title,
            authority=authority,
            category="corporate_supplies",
            contract_type="goods",
            supplier_name="Paper Co",
            value=Decimal("48000"),
            start_date=date(2025, 4, 1),
            end_date=date(2028, 3, 31),
            contract_manager_id=people.contract_manager,
        )
        contract = import_contract(core, session, existing, actor_id=people.officer)
        return contract.id, contract.reference


def _count(db) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(Payment))


def test_payments_are_checked_then_loaded_and_count_against_their_contract(core, db):
    people = hub_people(db)
    contract_id, reference = _contract(core, people, "Stationery")
    _, joint = _contract(core, people, "Joint print", authority="JOINT")
    data = (
        HEADINGS
        + f'Oxfordshire County Council,T-1001,05/01/2026,Paper Co,"£1,250.00",Stationery,Paper,{reference},no\n'
        + f"OCC,T-1002,2026-02-10,Paper Co,(250.00),Stationery,Credit note,{reference.lower()},\n"
        + f"Cherwell,C-77,2026-03-01,Print Ltd,600,Printing,Leaflets,{joint},\n"
        + "OCC,T-1003,2026-03-31,Jo Bloggs,700,Care,Direct payment,,yes\n"
    ).encode()
    checked = load_spend(core, data, actor_id=people.system)
    assert not checked.loaded and _count(db) == 0
    assert checked.by_council == {"OCC": 3, "CDC": 1} and checked.total == Decimal("2300.00")
    loaded = load_spend(core, data, actor_id=people.system, apply=True)
    assert loaded.loaded and _count(db) == 4
    with db.reading() as session:
        assert contract_spend(session, contract_id) == (Decimal("1000.00"), 2)  # the credit note nets off
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "load_spend"))
    assert event.data["payments"] == 4 and event.data["total"] == "2300.00"

    with pytest.raises(FileRefused) as refused:  # the same file again: nothing counted twice
        load_spend(core, data, actor_id=people.system)
    assert [str(p) for p in refused.value.problems][:2] == [
        "line 2, Transaction number: Transaction T-1001 is already loaded",
        "line 3, Transaction number: Transaction T-1002 is already loaded",
    ]


def test_every_problem_is_named_and_nothing_is_loaded(core, db):
    people = hub_people(db)
    _, reference = _contract(core, people, "Stationery")
    data = (
        HEADINGS
        + "OCC,T-1,2026-01-05,Paper Co,100,,,,\n"
        + "JOINT,T-2,31/02/2026,,lots,,,,perhaps\n"
        + f"CDC,T-3,2026-01-05,Paper Co,100,,,{reference},\n"
        + "OCC,T-1,2026-01-06,Paper Co,100,,,CON-999999,\n"
        + "OCC,T-6,2026-01-06,Paper Co,lots,,,CON-888888,\n"  # both said at once
    ).encode()
    with pytest.raises(FileRefused) as refused:
        load_spend(core, data, actor_id=people.system, apply=True)
    assert [str(p) for p in refused.value.problems] == [
        "line 3, Council: 'JOINT' is not a council: a payment is made by one council, not jointly",
        "line 3, Date paid: '31/02/2026' is not a date: write it like 2026-04-01 or 01/04/2026",
        "line 3, Supplier: Enter the supplier",
        "line 3, Amount: 'lots' is not an amount in pounds, like 1250.00, -1250.00 or (1,250.00)",
        "line 3, Individual: 'perhaps': write yes or no",
        f"line 4, Contract reference: {reference} is not a contract in Cherwell District Council's register",
        "line 5, Contract reference: CON-999999 is not a contract in Oxfordshire County Council's register",
        "line 5, Transaction number: Transaction T-1 is also on line 2",
        "line 6, Amount: 'lots' is not an amount in pounds, like 1250.00, -1250.00 or (1,250.00)",
        "line 6, Contract reference: CON-888888 is not a contract in Oxfordshire County Council's register",
    ]
    assert _count(db) == 0
    with pytest.raises(FileRefused) as refused:
        load_spend(core, data, actor_id=people.system, councils=["CDC"])
    assert str(refused.value.problems[0]) == "line 2, Council: You can load spend for CDC only"
    with pytest.raises(NotPermitted):
        load_spend(core, data, actor_id=people.officer, councils=[])


def test_the_spend_file_has_each_payment_over_500_in_the_quarter_with_personal_names_withheld(core, db):
    people = hub_people(db)
    _, reference = _contract(core, people, "Stationery")
    data = (
        HEADINGS
        + f"OCC,T-1,2026-01-05,Paper Co,1250.00,Stationery,Paper,{reference},\n"
        + "OCC,T-2,2026-01-06,Paper Co,500.00,Stationery,Exactly 500: not over it,,\n"
        + "OCC,T-3,2026-02-10,Paper Co,-750.00,Stationery,Credit note,,\n"
        + "OCC,T-4,2026-03-31,Jo Bloggs,700,Care,Direct payment,,yes\n"
        + "OCC,T-5,2026-04-01,Paper Co,900,Stationery,Next quarter,,\n"
        + "CDC,C-1,2026-01-05,Print Ltd,900,Printing,Cherwell's,,\n"
    ).encode()
    load_spend(core, data, actor_id=people.system, apply=True)
    with db.reading() as session:
        rows = list(quarterly_file(core, session, "spend", "OCC", Quarter.parse("2026-01")))
    assert [(row[2], row[3], row[5], row[9]) for row in rows] == [
        ("T-1", "1250.00", "Paper Co", reference),
        ("T-3", "-750.00", "Paper Co", ""),
        ("T-4", "700.00", "Redacted: personal data", ""),
    ]
    assert rows[0][0] == "Oxfordshire County Council"


def test_the_command_checks_then_loads(core, db, tmp_path):
    hub_people(db)
    create_user(db, ("administrator", "OCC"))
    spend = tmp_path / "spend.csv"
    spend.write_text(HEADINGS + "OCC,T-1,2026-01-05,Paper Co,1250.00,,,,\n")
    runner = create_app(core.settings, core=core).test_cli_runner()
    checked = runner.invoke(args=["load-spend", str(spend)])
    assert checked.exit_code == 0 and "spend.csv: 1 payment (OCC 1; £1,250.00 excluding VAT in all)" in checked.output
    assert _count(db) == 0
    loaded = runner.invoke(args=["load-spend", str(spend), "--apply"])
    assert loaded.exit_code == 0 and "Loaded 1 payment (" in loaded.output and _count(db) == 1
    again = runner.invoke(args=["load-spend", str(spend), "--apply"])
    assert again.exit_code == 1 and "spend.csv, line 2, Transaction number: Transaction T-1 is already loaded" in (
        again.stderr
    )


def test_the_payments_notice_lists_each_payment_over_30000_with_vat_under_a_public_contract(core, db, clock):
    """PA23 s70: the quarter's payments of more than 30,000 under contracts let under the Act above threshold,
    procured since s70 came into force (1 April 2026)."""
    from sqlalchemy import update

    from provision_cycle.models import Contract

    from .factories import contract_from_open_procedure

    people = hub_people(db)

    def contract(title: str, value: str, starts: date) -> tuple[int, str]:
        with core.db.unit_of_work() as session:
            existing = ExistingContract(
                title=title, authority="OCC", category="corporate_supplies", contract_type="services",
                supplier_name=f"{title} Ltd", value=Decimal(value), start_date=starts, end_date=date(2029, 3, 31),
                contract_manager_id=people.contract_manager,
            )  # fmt: skip
            loaded = import_contract(core, session, existing, actor_id=people.officer)
            return loaded.id, loaded.reference

    # Loaded from the register, a contract's procurement is dated 120 days before its start: 1 April 2026 for these.
    _, roads = contract("Roads", "3000000", date(2026, 7, 30))  # under the Act, standard-rated
    care_id, care = contract("Care", "3000000", date(2026, 7, 30))
    with db.unit_of_work() as session:
        session.execute(update(Contract).where(Contract.id == care_id).values(vat_treatment="exempt"))
    _, legacy = contract("Legacy", "3000000", date(2024, 7, 1))  # let under the 2015 Regulations
    _, small = contract("Small", "100000", date(2026, 7, 30))  # 120,000 with VAT: below threshold
    _, before = contract("Before", "3000000", date(2026, 7, 29))  # procured from 31 March 2026: before s70
    procured = contract_from_open_procedure(core.engine, clock, people)  # 240,000, commenced March 2026: before s70
    with db.reading() as session:
        procured = session.scalars(select(Contract.reference).where(Contract.procurement_case_id == procured)).one()
    data = (
        HEADINGS
        + f"OCC,T-01,2026-08-01,Roads Ltd,25000.01,Works,Resurfacing,{roads},\n"  # 30,000.01 with VAT
        + f"OCC,T-02,2026-08-01,Roads Ltd,25000.00,Works,Exactly 30000 with VAT: not over it,{roads},\n"
        + f"OCC,T-03,2026-08-02,Care Ltd,29999.99,Care,Exempt: no VAT to add,{care},\n"
        + f"OCC,T-04,2026-08-03,Care Ltd,30000.01,Care,Residential places,{care},\n"
        + f"OCC,T-05,2026-08-04,Legacy Ltd,50000,Works,Not under the Act,{legacy},\n"
        + f"OCC,T-06,2026-08-05,Small Ltd,40000,Works,Not a public contract,{small},\n"
        + "OCC,T-07,2026-08-06,Nobody Ltd,60000,Works,No contract named,,\n"
        + f"OCC,T-08,2026-08-07,Roads Ltd,-40000,Works,Credit note,{roads},\n"
        + f"OCC,T-09,2026-09-01,Jo Bloggs,35000,Care,Direct payment,{care},yes\n"
        + f"OCC,T-10,2026-09-30,Acme Ltd,26000,ICT,Case management,{procured},\n"
        + f"OCC,T-11,2026-10-01,Roads Ltd,50000,Works,Next quarter,{roads},\n"
        + f"OCC,T-12,2026-09-02,Before Ltd,50000,Works,Procured before s70,{before},\n"
    ).encode()
    load_spend(core, data, actor_id=people.system, apply=True)
    with db.reading() as session:
        rows = list(quarterly_file(core, session, "payments-notice", "OCC", Quarter.parse("2026-07")))
    assert [(row[1], row[2], row[3], row[4], row[5]) for row in rows] == [
        ("T-01", "25000.01", "30000.01", "Roads Ltd", roads),
        ("T-04", "30000.01", "30000.01", "Care Ltd", care),
        ("T-09", "35000.00", "35000.00", "Redacted: personal data", care),
    ]  # not T-10 nor T-12: their contracts' procurements commenced before 1 April 2026
    assert rows[0][0] == "2026-08-01" and rows[0][6] == "Roads" and rows[0][7] == "Resurfacing"
