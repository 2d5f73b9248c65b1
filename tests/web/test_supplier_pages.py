"""The supplier pages: found from the register, the contract page and the overview; what a person may see."""

from __future__ import annotations

from datetime import date

from provision_cycle.services.spend import load_spend
from tests.factories import create_user, hub_people, register_contract


def test_an_officer_finds_a_supplier_and_sees_its_contracts_and_payments(core, db, browser):
    people = hub_people(db)
    contract = register_contract(core, people, value="48000", ends=date(2028, 3, 31), supplier_name="Acme Ltd")
    spend = (
        "Council,Transaction number,Date paid,Supplier,Amount,Contract reference,Purpose\n"
        f"OCC,T-1,2026-02-01,ACME LIMITED,1000,{contract.reference},Paper\n"
        "OCC,T-2,2026-02-15,Acme Ltd.,250,,Toner\n"
    )
    load_spend(core, spend.encode(), actor_id=people.system, apply=True)
    officer = browser(people.officer)
    assert 'href="/suppliers/"' in officer.get("/contracts/").text
    found = officer.get("/suppliers/?q=ACME+ltd").text
    assert 'href="/suppliers/acme">Acme Ltd</a>' in found and "£1,250.00" in found
    assert 'href="/suppliers/acme"' in officer.get(f"/contracts/{contract.id}").text
    page = officer.get("/suppliers/acme").text
    assert f'href="/contracts/{contract.id}">{contract.reference} Highways maintenance</a>' in page
    assert "Also spelt: Acme Ltd.; ACME LIMITED." in page and "2025/26 (so far)" in page
    assert "Paid within 30 days of the invoice" in page and "No invoice days loaded" in page
    assert f">{contract.reference}</a>" in page and "None named" in page  # T-1's contract; T-2 named none
    assert "No supplier you can see" in officer.get("/suppliers/?q=nobody").text
    browser(people.requester).get("/suppliers/acme", status=404)
    cherwell = browser(create_user(db, ("category_officer", "CDC", "cnc")))
    cherwell.get("/suppliers/acme", status=404)  # neither its contracts nor its payments are Cherwell's
