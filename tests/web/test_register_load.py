"""An administrator loads their council's contract register from a spreadsheet: the file is checked, the
problems listed by line and column, and the contracts loaded only once they confirm."""

from __future__ import annotations

import base64
import html
import re
from datetime import date
from io import BytesIO

import pytest
from sqlalchemy import func, select, update

from provision_cycle.models import Contract
from provision_cycle.services.register_file import load_register
from provision_cycle.services.spreadsheet import FileRefused
from tests.factories import create_user, hub_people
from tests.web.helpers import seed_contracts

HEADINGS = "Title,Supplier,Authority,Category,Contract type,Value excluding VAT,Start date,End date,Contract manager\n"


def _upload(user, data: bytes, status: int, filename: str = "register.csv"):
    return user.post(
        "/contracts/load",
        {"register": (BytesIO(data), filename)},
        status=status,
        content_type="multipart/form-data",
    )


def _contracts(db) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(Contract))


def test_an_administrator_checks_the_file_then_loads_it(core, db, browser):
    hub_people(db)
    admin = browser(create_user(db, ("administrator", "OCC")))
    assert "Load contracts from a spreadsheet" in admin.get("/contracts/").text
    data = (
        HEADINGS
        + 'Stationery,Paper Co,OCC,Corporate supplies,goods,"£48,000",01/04/2025,31/03/2028,Cora Contracts\n'
        + "Laptops,Tech Ltd,OCC,ICT,goods,250000,2025-06-01,2027-05-31,Cora Contracts\n"
    ).encode()
    checked = _upload(admin, data, status=200).text
    assert "2 contracts ready to load" in checked and "£298,000.00" in checked and "Stationery" in checked
    assert _contracts(db) == 0  # nothing until confirmed
    content = html.unescape(re.search(r'name="content" type="hidden" value="([^"]*)"', checked).group(1))
    loaded = admin.post(
        "/contracts/load/confirm",
        {"content": content, "filename": "register.csv"},
        form_page="/contracts/load",
        offered=False,
    )
    assert loaded.headers["Location"].endswith("/contracts/?sort=newest")
    register = admin.get("/contracts/?sort=newest").text
    assert "2 contracts from register.csv loaded: CON-" in register
    assert register.index("Laptops") < register.index("Stationery")  # newest first
    assert _contracts(db) == 2
    # Confirming the same file again (a second tab, the back button) loads nothing twice.
    again = admin.post(
        "/contracts/load/confirm",
        {"content": content, "filename": "register.csv"},
        form_page="/contracts/load",
        offered=False,
        status=400,
    ).text
    assert "2 problems in the file" in again and "Already in the register as CON-" in again
    assert _contracts(db) == 2


def test_problems_are_listed_by_line_and_column_and_nothing_is_loaded(core, db, browser):
    hub_people(db)
    admin = browser(create_user(db, ("administrator", "OCC")))
    data = (HEADINGS + "Good,Supplier,OCC,ICT,goods,1000,2025-01-01,2027-01-01,Cora Contracts\n"
            + "Bad,Supplier,CDC,ICT,gadgets,1000,2025-01-01,2027-01-01,Cora Contracts\n").encode()  # fmt: skip
    page = _upload(admin, data, status=400).text
    assert "There is a problem" in page and "register.csv: The file has 2 problems, so nothing was loaded" in page
    rows = re.findall(r"<tr class=\"govuk-table__row\">\s*<td[^>]*>(\d+)</td>\s*<td[^>]*>([^<]*)</td>", page)
    assert rows == [("3", "Authority"), ("3", "Contract type")]
    assert "You can load contracts for OCC only: you do not administer CDC" in page
    assert _contracts(db) == 0
    empty = admin.post("/contracts/load", {}, status=400, content_type="multipart/form-data").text
    assert "Select the CSV file" in empty


def test_only_administrators_load_contracts_and_every_form_needs_its_token(core, db, browser, app):
    people = hub_people(db)
    officer = browser(people.officer)
    officer.get("/contracts/load", status=403)
    assert "Load contracts from a spreadsheet" not in officer.get("/contracts/").text
    admin = browser(create_user(db, ("administrator", "OCC")))
    data = (HEADINGS + "Laptops,Tech Ltd,OCC,ICT,goods,250000,2025-06-01,2027-05-31,Cora Contracts\n").encode()
    content = base64.b64encode(data).decode()
    forged = admin.client.post("/contracts/load/confirm", data={"content": content, "filename": "x.csv"})
    assert forged.status_code == 400 and _contracts(db) == 0
    tokenless = admin.client.post(
        "/contracts/load", data={"register": (BytesIO(data), "r.csv")}, content_type="multipart/form-data"
    )
    assert tokenless.status_code == 400 and _contracts(db) == 0
    garbled = admin.post(
        "/contracts/load/confirm", {"content": "%%%", "filename": "r.csv"}, form_page="/contracts/load", offered=False
    )
    assert garbled.headers["Location"].endswith("/contracts/load")
    assert "Upload the file again" in admin.get("/contracts/load").text and _contracts(db) == 0


def test_the_registers_own_download_reads_back(core, db, browser):
    """Every column of the download is understood: each row is found to be the contract it came from."""
    people = hub_people(db)
    seed_contracts(core, people, 3)
    download = browser(people.officer).get("/contracts/export.csv").data
    try:
        load_register(core, download, actor_id=people.system)
    except FileRefused as refused:
        problems = [(p.line, p.column, p.message) for p in refused.problems]
    with db.reading() as session:
        references = list(session.scalars(select(Contract.reference).order_by(Contract.end_date)))
    assert problems == [
        (line, "Title", f"Already in the register as {reference}") for line, reference in enumerate(references, 2)
    ]


def test_a_title_that_looks_like_a_formula_is_guarded_in_the_download_and_read_back(core, db, browser):
    people = hub_people(db)
    seed_contracts(core, people, 1)
    with db.unit_of_work() as session:
        session.execute(update(Contract).values(title='=HYPERLINK("http://evil")'))
    download = browser(people.officer).get("/contracts/export.csv").text
    assert '"\'=HYPERLINK(""http://evil"")"' in download  # opens as text in a spreadsheet, not as a formula
    with pytest.raises(FileRefused) as refused:
        load_register(core, download.encode(), actor_id=people.system)
    assert refused.value.problems[0].message.startswith("Already in the register as CON-")


def test_an_administrator_loads_the_councils_payments(core, db, browser):
    from provision_cycle.models import Payment

    people = hub_people(db)
    [contract_id] = seed_contracts(core, people, 1)
    with db.reading() as session:
        reference = session.get(Contract, contract_id).reference
    admin = browser(create_user(db, ("administrator", "OCC")))
    assert "Load payments from the finance system" in admin.get("/admin/").text
    data = (
        "Council,Transaction number,Date paid,Supplier,Amount,Contract reference\n"
        f'OCC,T-1,05/01/2026,Supplier 0,"£1,250.00",{reference}\n'
        "OCC,T-2,2026-01-06,Jo Bloggs,(80.00),\n"
    ).encode()
    checked = _upload_payments(admin, data)
    assert "2 payments ready to load" in checked and "£1,170.00" in checked and "-£80.00" in checked
    _confirm_payments(admin, checked)
    assert "2 payments from payments.csv loaded" in admin.get("/contracts/").text
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 2
    cherwell = browser(create_user(db, ("administrator", "CDC")))
    refused = _upload_payments(cherwell, data.replace(b"T-", b"X-"), status=400)
    assert "You can load spend for CDC only" in refused
    # The finance team's export gains the invoice day: loaded again, it completes the payments loaded before.
    again = (
        "Council,Transaction number,Date paid,Supplier,Amount,Contract reference,Invoice received\n"
        f'OCC,T-1,05/01/2026,Supplier 0,"£1,250.00",{reference},02/01/2026\n'
        "OCC,T-3,2026-01-07,Supplier 0,10,,2026-01-01\n"
    ).encode()
    checked = _upload_payments(admin, again)
    assert "1 payment and the invoice day of 1 loaded before ready to load" in checked
    _confirm_payments(admin, checked)
    with db.reading() as session:
        assert session.scalar(select(Payment.invoice_received_on).where(Payment.transaction_number == "T-1")) == (
            date(2026, 1, 2)
        )


def _upload_payments(admin, data: bytes, status: int = 200) -> str:
    """The page that checks a payments file: what it holds, or its problems."""
    return admin.post(
        "/contracts/payments/load",
        {"register": (BytesIO(data), "payments.csv")},
        status=status,
        content_type="multipart/form-data",
    ).text


def _confirm_payments(admin, checked: str) -> None:
    content = html.unescape(re.search(r'name="content" type="hidden" value="([^"]*)"', checked).group(1))
    admin.post("/contracts/payments/load/confirm", {"content": content, "filename": "payments.csv"},
               form_page="/contracts/payments/load", offered=False)  # fmt: skip


def test_the_intelligence_team_loads_its_table_of_suppliers_names(core, db, browser):
    """Checked first, every problem listed by line and column; then, once confirmed, each name recorded as its
    supplier's. Only the intelligence team loads one; an administrator does not."""
    from tests.factories import register_contract

    people = hub_people(db)
    for name in ("Acme Ltd", "APT Holdings Ltd"):
        register_contract(core, people, value="9000", ends=date(2028, 3, 31), supplier_name=name)
    analyst = browser(create_user(db, ("intelligence_analyst", "OCC"), full_name="Zoe Turner"))
    assert 'href="/contracts/supplier-names/load"' in analyst.get("/suppliers/").text
    url = "/contracts/supplier-names/load"

    def upload(data: str, status: int = 200) -> str:
        sent = {"register": (BytesIO(data.encode()), "names.csv")}
        return analyst.post(url, sent, status=status, content_type="multipart/form-data").text

    refused = upload("Name,Same supplier as,Reason\nNobody,Acme Ltd,A guess\n", status=400)
    assert (
        "No contract, payment, tender, request to participate, dynamic market or framework you can see is with that supplier"
        in refused
    )
    checked = upload("Name,Same supplier as,Reason\nAPT Holdings,Acme Ltd,Companies House 01234567\n")
    assert "1 supplier name ready to load" in checked and "APT Holdings" in checked
    content = html.unescape(re.search(r'name="content" type="hidden" value="([^"]*)"', checked).group(1))
    done = analyst.post(f"{url}/confirm", {"content": content, "filename": "names.csv"}, form_page=url, offered=False)
    assert done.headers["Location"].startswith("/suppliers/")
    assert "1 supplier name from names.csv loaded" in analyst.get(done.headers["Location"]).text
    assert "APT Holdings Ltd: recorded by Zoe Turner" in analyst.get("/suppliers/acme").text
    browser(create_user(db, ("administrator", "OCC"))).get(url, status=403)
    browser(people.officer).get(url, status=403)
