"""Importing existing contracts into the register: a contract that does not make sense is refused with
every problem named by field, and nothing of it is written."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from provision_cycle.errors import InvalidInput
from provision_cycle.models import Case, Contract
from provision_cycle.services.register import ExistingContract, import_contract

from .factories import hub_people


def test_an_import_that_makes_no_sense_is_refused_field_by_field_and_writes_nothing(core, db):
    people = hub_people(db)
    nonsense = ExistingContract(
        title="",
        authority="XYZ",
        category="pencils",
        contract_type="goods",
        supplier_name=" ",
        value=Decimal("-5"),
        start_date=date(26, 3, 9),  # 0026 for 2026
        end_date=date(2028, 3, 8),
        contract_manager_id=people.contract_manager,
        risk="extreme",
        notice_period_days=-1,
        extension_months_available=999_999,  # would overflow the dates worked out from it
        maximum_term_months=10_000,
        irrecoverable_vat=Decimal("-1"),
        route="handshake",
    )
    with pytest.raises(InvalidInput) as refused, core.db.unit_of_work() as session:
        import_contract(core, session, nonsense, actor_id=people.officer)
    assert refused.value.fields == {
        "title": "Enter the contract's title",
        "authority": "Choose OCC, CDC or JOINT",
        "category": "Choose a category from the list",
        "supplier_name": "Enter the supplier's name",
        "value": "The value cannot be negative",
        "start_date": "0026-03-09 is not a plausible date: check the year",
        "risk": "Choose low, medium or high",
        "notice_period_days": "Enter a whole number of days, 0 to 3,650",
        "extension_months_available": "Enter a whole number of months, 0 to 600",
        "maximum_term_months": "Enter the longest it could run as awarded, in whole months, 1 to 600",
        "irrecoverable_vat": "The irrecoverable VAT cannot be negative",
        "route": "Choose a procurement route: Low-value purchase, Quotations, Below-threshold tender, Open procedure,"
        " Competitive flexible procedure, Direct award, Framework call-off",
    }
    backwards = ExistingContract(
        title="Care",
        authority="OCC",
        category="corporate_supplies",
        contract_type="services",
        supplier_name="Care Ltd",
        value=Decimal("1000"),
        start_date=date(2026, 3, 9),
        end_date=date(2025, 3, 8),
        contract_manager_id=people.contract_manager,
    )
    with pytest.raises(InvalidInput, match="The end date is before the start date"), core.db.unit_of_work() as s:
        import_contract(core, s, backwards, actor_id=people.officer)
    long_winded = dataclasses.replace(backwards, title="Care " * 41, end_date=date(2027, 3, 8))  # 205 characters
    with pytest.raises(InvalidInput) as refused, core.db.unit_of_work() as s:
        import_contract(core, s, long_winded, actor_id=people.officer)
    assert refused.value.fields == {"title": "The title must be 200 characters or fewer"}  # not "Enter" it
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Contract)) == 0
        assert session.scalar(select(func.count()).select_from(Case)) == 0
