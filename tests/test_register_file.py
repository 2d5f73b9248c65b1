"""Loading a council's contract register from a CSV file: checked whole, every problem named by line and
column, and loaded all at once or not at all."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from provision_cycle.app import create_app
from provision_cycle.errors import NotPermitted
from provision_cycle.models import AuditEvent, Case, Contract, User
from provision_cycle.scheduling.config import schedule_for
from provision_cycle.scheduling.sweeps import raise_renewal_tasks
from provision_cycle.services.register_file import load_register
from provision_cycle.services.spreadsheet import FileRefused

from .factories import create_user, hub_people

# As a council keeps it: names rather than codes, UK dates, pounds with commas, headings in its own case,
# a joint contract, a light-touch care contract on an extension, blank optional cells.
COUNCIL_FILE = """\
Title,Supplier,Council,Category,Contract type,Value,Start date,End date,Contract manager,Risk,Status,SME,\
Company number,Route,Irrecoverable VAT,PPON,Supported employment provider,Public service mutual
Stationery,Paper Co Ltd,Oxfordshire County Council,Corporate supplies,Goods,"£48,000.00",01/04/2024,31/03/2027,\
{manager},low,,yes,04567890,Quotations,,,yes,no
Payroll system,Pay Ltd,JOINT,ICT,services,250000,2023-09-01,2026-08-31,{manager},,Live,no,,open_procedure,120.50,\
ppay-1234-ltdx,,
Agency staff,Temps plc,OCC,HR and recruitment,Services,"1,200,000",1/6/2022,31/5/2026,{manager},high,\
Live on an extension,,,,,,,
"""


def _count(db, model) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_councils_register_is_checked_then_loaded_with_a_case_each(core, db, clock):
    people = hub_people(db)
    data = COUNCIL_FILE.format(manager="Cora Contracts").encode("utf-8-sig")  # Excel's "CSV UTF-8"
    checked = load_register(core, data, actor_id=people.system)
    assert not checked.loaded and len(checked.contracts) == 3 and _count(db, Contract) == 0
    assert checked.by_council == {"OCC": 2, "JOINT": 1} and checked.total_value == Decimal("1498000.00")

    loaded = load_register(core, data, actor_id=people.system, apply=True)
    assert loaded.loaded and len(loaded.references) == 3
    with db.reading() as session:
        rows = session.execute(select(Contract, Case).join(Case, Case.id == Contract.case_id).order_by(Contract.id))
        got = [
            (k.title, k.authority, k.category, k.contract_type, k.value, k.start_date, k.end_date, k.risk, c.state,
             k.supplier_is_sme, k.supplier_registration, k.route, k.irrecoverable_vat, k.supplier_ppon,
             k.supplier_is_supported_employment, k.supplier_is_public_service_mutual)
            for k, c in rows
        ]  # fmt: skip
        load_event = session.scalar(select(AuditEvent).where(AuditEvent.action == "load_register"))
        openings = session.scalar(select(func.count()).where(AuditEvent.action == "open"))
    assert got == [
        ("Stationery", "OCC", "corporate_supplies", "goods", Decimal("48000.00"), date(2024, 4, 1),
         date(2027, 3, 31), "low", "live", True, "04567890", "quotations", Decimal("0.00"), "", True, False),
        ("Payroll system", "JOINT", "ict", "services", Decimal("250000.00"), date(2023, 9, 1), date(2026, 8, 31),
         "medium", "live", False, "", "open_procedure", Decimal("120.50"), "PPAY-1234-LTDX", None, None),
        ("Agency staff", "OCC", "hr_recruitment", "services", Decimal("1200000.00"), date(2022, 6, 1),
         date(2026, 5, 31), "high", "extended", False, "", None, Decimal("0.00"), "", None, None),
    ]  # fmt: skip
    assert openings == 3 and load_event.actor_id == people.system
    with db.reading() as session:  # each case's frozen plan is under the law its contract was procured under
        plans = [
            (c.regime, c.route_plan["regime"]) for c in session.scalars(select(Case).where(Case.stage == "contract"))
        ]
    assert plans == [("PCR2015", "PCR2015")] * 3
    assert load_event.data["contracts"] == 3 and load_event.data["references"] == " to ".join(loaded.references[::2])
    # The scheduler's next run picks them up: the agency contract (over 1m, ending in 3 months) and the
    # payroll system (ending within 6 months) are due their renewal decisions.
    assert raise_renewal_tasks(core, schedule_for(core), clock.today).changed == 2


def test_every_problem_is_named_by_line_and_column_and_nothing_is_loaded(core, db):
    people = hub_people(db)
    create_user(db, ("requester", "CDC"), full_name="Nina Nobody")
    data = (
        b"Title,Supplier,Council,Category,Contract type,Value,Start date,End date,Contract manager\n"
        b"Good one,Supplier A,OCC,ICT,goods,1000,2025-01-01,2027-01-01,Cora Contracts\n"
        b",Supplier B,Kent,Pencils,gadgets,lots,31/02/2025,2027-01-01,Cora Contracts\n"
        b"\n"  # a blank row is skipped, but still counts as a line
        b"Backwards,Supplier C,CDC,ICT,goods,-5,2027-01-01,2025-01-01,Nina Nobody\n"
        b"Short row,Supplier D,OCC\n"
        b"Unknown,Supplier E,OCC,ICT,goods,1000,2025-01-01,2027-01-01,Someone Else\n"
    )
    with pytest.raises(FileRefused) as refused:
        load_register(core, data, actor_id=people.system, apply=True)
    assert [str(p) for p in refused.value.problems] == [
        "line 3, Title: Enter the title",
        "line 3, Council: 'Kent' is not a council: OCC, CDC or JOINT",
        "line 3, Category: 'Pencils' is not a category the configuration lists",
        "line 3, Contract type: 'gadgets' is not goods, services, works or light-touch services",
        "line 3, Value: 'lots' is not an amount in pounds, like 25000 or £25,000.50",
        "line 3, Start date: '31/02/2025' is not a date: write it like 2026-04-01 or 01/04/2026",
        "line 5, Value: '-5' is not an amount in pounds, like 25000 or £25,000.50",
        # A row's every problem at once: the whole contract's checks run on its cells beside the one wrong
        # (on line 3 the end date is not weighed against a start date that is not one).
        "line 5, End date: The end date is before the start date",
        "line 5, Contract manager: Nina Nobody does not hold the Contract Manager role for Cherwell District "
        "Council (Corporate and Commercial): give them the role first, or name someone who holds it",
        "line 6, Category: Enter the category",
        "line 6, Contract type: Enter the contract type",
        "line 6, Value: Enter the value",
        "line 6, Start date: Enter the start date",
        "line 6, End date: Enter the end date",
        "line 6, Contract manager: Enter the contract manager",
        "line 7, Contract manager: Nobody active is called 'Someone Else' (give their username, email or full name)",
    ]
    assert "16 problems, so nothing was loaded" in refused.value.message
    assert _count(db, Contract) == _count(db, Case) == 0


def test_a_contract_that_makes_no_sense_is_refused_by_the_same_checks_as_one_loaded_alone(core, db):
    people = hub_people(db)
    data = (
        b"Title,Supplier,Council,Category,Contract type,Value,Start date,End date,Contract manager,Risk,PPON\n"
        b"Backwards,Supplier,OCC,ICT,goods,10,2027-01-01,2025-01-01,Cora Contracts,extreme,\n"
        b"Typo,Supplier,OCC,ICT,goods,10,01/01/0026,2027-01-01,Cora Contracts,,01234567\n"
        b",Supplier,OCC,ICT,goods,10,2025-01-01,2027-01-01,Cora Contracts,extreme,\n"  # said with its empty title
    )
    with pytest.raises(FileRefused) as refused:
        load_register(core, data, actor_id=people.system)
    assert [str(p) for p in refused.value.problems] == [
        "line 2, End date: The end date is before the start date",
        "line 2, Risk: Choose low, medium or high",
        "line 3, Start date: 0026-01-01 is not a plausible date: check the year",
        "line 3, PPON: Give the PPON as four letters, four digits and four letters, like PABC-1234-DEFG",
        "line 4, Title: Enter the title",
        "line 4, Risk: Choose low, medium or high",
    ]


@pytest.mark.parametrize(
    ("headings", "problems"),
    [
        ("", ["the file: The file is empty"]),
        (
            "Title,Supplier,Council,Category,Contract type,Value,Start date,End date,Contract manager\n",
            ["the file: The file has headings but no contracts"],
        ),
        (
            "Title,Supplier,Council,Category,Contract type,Value,Start date,End date,Contract manger,Value\n",
            [
                "line 1, Contract manger: Unknown column. The columns a register can have: Title, Supplier,",
                "line 1, Value: A second column for Value excluding VAT",
                "line 1: There is no Contract manager column",
            ],
        ),
        (
            'Title,Supplier,Council,Category,Contract type,Value,Start date,End date,Contract manager\n"Unclosed,x\ny\n',
            ["line 2: This row cannot be read as CSV (unexpected end of data): is a quote not closed?"],
        ),
        (
            "PK\x03\x04\x14\x00\x06\x00[Content_Types].xml",  # an Excel workbook, as it was saved
            ["the file: This is a spreadsheet workbook, not CSV: in the spreadsheet, save it as CSV UTF-8"],
        ),
        (
            "Title,Supplier,Council,Category,Contract type,Value,Start date,End date,Contract manager\nCare\x00,",
            ["the file: The file holds NUL characters, so it is not CSV text: in the spreadsheet, save it as CSV"],
        ),
    ],
)
def test_a_file_without_the_right_columns_says_which(core, db, headings, problems):
    people = hub_people(db)
    with pytest.raises(FileRefused) as refused:
        load_register(core, headings.encode(), actor_id=people.system)
    said = [str(p) for p in refused.value.problems]
    assert len(said) == len(problems) and all(s.startswith(p) for s, p in zip(said, problems, strict=True)), said


def test_loading_a_file_twice_or_a_contract_twice_is_refused(core, db):
    people = hub_people(db)
    with db.reading() as session:
        username = session.get(User, people.contract_manager).username  # a manager by username, too
    data = COUNCIL_FILE.format(manager=username).encode()
    loaded = load_register(core, data, actor_id=people.system, apply=True)
    stationery_again = data.splitlines(keepends=True)[1]
    with pytest.raises(FileRefused) as refused:
        load_register(core, data + stationery_again, actor_id=people.system)
    assert [str(p) for p in refused.value.problems] == [
        f"line 2, Title: Already in the register as {loaded.references[0]}",
        f"line 3, Title: Already in the register as {loaded.references[1]}",
        f"line 4, Title: Already in the register as {loaded.references[2]}",
        f"line 5, Title: Already in the register as {loaded.references[0]}",
    ]
    fresh = (
        "Title,Supplier,Council,Category,Contract type,Value,Start date,End date,Contract manager\n"
        f"Cleaning,Clean Ltd,OCC,ICT,services,1000,2025-01-01,2027-01-01,{username}\n"
        f"cleaning,CLEAN LTD,OCC,ICT,services,1000,01/01/2025,01/01/2027,{username}\n"
    ).encode()
    with pytest.raises(FileRefused) as refused:
        load_register(core, fresh, actor_id=people.system)
    assert [str(p) for p in refused.value.problems] == ["line 3, Title: The same contract as line 2"]


def test_an_administrator_loads_contracts_for_their_own_council_only(core, db):
    people = hub_people(db)
    cdc_admin = create_user(db, ("administrator", "CDC"))
    data = COUNCIL_FILE.format(manager="Cora Contracts").encode()
    with pytest.raises(FileRefused) as refused:
        load_register(core, data, actor_id=cdc_admin, councils=["CDC"])
    assert {(p.line, p.column) for p in refused.value.problems} == {(2, "Council"), (3, "Council"), (4, "Council")}
    assert refused.value.problems[0].message == "You can load contracts for CDC only: you do not administer OCC"
    with pytest.raises(NotPermitted):
        load_register(core, data, actor_id=people.officer, councils=[])


@pytest.fixture
def cli(core):
    runner = create_app(core.settings, core=core).test_cli_runner()  # stderr apart from stdout (click 8.2+)
    return lambda *args: runner.invoke(args=list(args))


def test_the_command_checks_then_loads(core, db, cli, tmp_path):
    hub_people(db)
    register = tmp_path / "register.csv"
    register.write_text(COUNCIL_FILE.format(manager="Cora Contracts"), encoding="cp1252")  # Excel's plain CSV
    checked = cli("load-register", str(register))
    assert checked.exit_code == 0, checked.output
    assert "register.csv: 3 contracts (JOINT 1, OCC 2; £1,498,000.00 excluding VAT in all), ready to load." in (
        checked.output
    )
    assert _count(db, Contract) == 0
    loaded = cli("load-register", str(register), "--apply")
    assert loaded.exit_code == 0 and "Loaded 3 contracts" in loaded.output and _count(db, Contract) == 3
    again = cli("load-register", str(register), "--apply")
    assert again.exit_code == 1 and "register.csv, line 2, Title: Already in the register as" in again.stderr
    assert "The file has 3 problems, so nothing was loaded" in again.stderr and _count(db, Contract) == 3
    assert "There is no user 'nobody'" in cli("load-register", str(register), "--actor", "nobody").stderr


def test_a_contract_s_maximum_term_is_loaded_where_the_register_knows_it(core, db):
    """A contract extended once already (to 2027) under an award of three years plus two: its maximum term
    is the five years the register gives, not its term now with the year of options left (four); one whose
    register does not say is given the latter. A change of term is weighed against it (PA23 s75)."""
    people = hub_people(db)
    data = (
        b"Title,Supplier,Council,Category,Contract type,Value,Start date,End date,Contract manager,"
        b"Extension months available,Maximum term in months\n"
        b"Extended,Paper Co,OCC,ICT,goods,48000,2024-04-01,2027-03-31,Cora Contracts,12,60\n"
        b"Unsaid,Pay Ltd,OCC,ICT,goods,48000,2024-04-01,2027-03-31,Cora Contracts,12,\n"
    )
    load_register(core, data, actor_id=people.system, apply=True)
    with db.reading() as session:
        terms = {
            title: months for title, months in session.execute(select(Contract.title, Contract.maximum_term_months))
        }
    assert terms == {"Extended": 60, "Unsaid": 48}

    wrong = (
        b"Title,Supplier,Council,Category,Contract type,Value,Start date,End date,Contract manager,"
        b"Extension months available,Maximum term\n"
        b"Words,Paper Co,OCC,ICT,goods,1,2024-04-01,2027-03-31,Cora Contracts,0,five years\n"
        b"None,Paper Co,OCC,ICT,goods,1,2024-04-01,2027-03-31,Cora Contracts,0,0\n"
        b"Short,Paper Co,OCC,ICT,goods,1,2024-04-01,2027-03-31,Cora Contracts,24,12\n"
    )
    with pytest.raises(FileRefused) as refused:
        load_register(core, wrong, actor_id=people.system)
    assert [str(p) for p in refused.value.problems] == [
        "line 2, Maximum term: 'five years' is not a whole number, 0 or more",
        "line 3, Maximum term: Enter the longest it could run as awarded, in whole months, 1 to 600",
        "line 4, Maximum term: The longest it could run as awarded (12 months) is shorter than the extension "
        "options left (24 months)",
    ]
