"""The Local Government Transparency Code's quarterly procurement files: which contracts and invitations each
council's file holds for a quarter, with the fields the Code names."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import update

from provision_cycle.app import create_app
from provision_cycle.errors import InvalidInput, NotFound, NotPermitted
from provision_cycle.governance.calendar import add_months, next_occurrence
from provision_cycle.models import Case, Contract
from provision_cycle.services.register import ExistingContract, import_contract
from provision_cycle.services.tasks import NewTask
from provision_cycle.services.transparency import Quarter, quarterly_file

from .factories import act, approve_gate, create_user, declare, hub_people, new_request, publish_tender_notice

Q1_2026 = Quarter.parse("2026-01")  # January to March 2026: the test clock's day, 2 March 2026, is in it


def test_a_quarter_is_named_by_its_first_month_and_labelled_in_the_financial_year():
    assert Quarter.parse("2026-04").label == "April to June 2026 (2026/27 quarter 1)"
    assert Quarter.parse("2027-01").label == "January to March 2027 (2026/27 quarter 4)"
    assert Quarter.containing(date(2026, 3, 2)) == Q1_2026 and Q1_2026.ends == date(2026, 3, 31)
    assert Q1_2026.previous == Quarter.parse("2025-10") and Q1_2026.code == "2026-01"
    for wrong in ("2026-05", "2026", "April 2026", "0026-04"):
        with pytest.raises(InvalidInput, match="is not a quarter: name its first month, like 2026-04"):
            Quarter.parse(wrong)


@given(
    start=st.dates(date(2000, 1, 1), date(2040, 12, 31)),
    every=st.sampled_from([1, 3, 6, 12, 24]),
    days=st.integers(-400, 6000),
)
def test_the_next_review_is_the_first_anniversary_at_the_cadence_after_the_day(start, every, days):
    after = start + timedelta(days=days)
    found = next_occurrence(start, every, after)
    k = next(k for k in range(1, 10_000) if add_months(start, k * every) > after)  # the plain rule
    assert found == add_months(start, k * every)


def _contract(core, people, title, *, authority="OCC", value="48000", start, end, **extra) -> int:
    with core.db.unit_of_work() as session:
        existing = ExistingContract(
            title=title,
            authority=authority,
            category="corporate_supplies",
            contract_type="goods",
            supplier_name=f"{title} Ltd",
            value=Decimal(value),
            start_date=start,
            end_date=end,
            contract_manager_id=people.contract_manager,
            **extra,
        )
        return import_contract(core, session, existing, actor_id=people.officer).id


def _file(core, kind, authority, quarter=Q1_2026, actor=None):
    with core.db.reading() as session:
        return list(quarterly_file(core, session, kind, authority, quarter, actor=actor))


def test_the_contracts_file_holds_each_contract_over_5000_in_force_in_the_quarter(core, db):
    people = hub_people(db)
    _contract(core, people, "Stationery", start=date(2025, 4, 1), end=date(2028, 3, 31), supplier_is_sme=True,
              supplier_registration="04567890", route="quotations", irrecoverable_vat=Decimal("12.50"))  # fmt: skip
    _contract(core, people, "Laptops", authority="JOINT", value="250000", start=date(2026, 3, 31),
              end=date(2027, 3, 30), route="open_procedure", risk="high")  # fmt: skip
    _contract(core, people, "Taxis", value="5000.01", start=date(2024, 1, 1), end=date(2026, 1, 1),
              supplier_is_vcse=True, route="direct_award")  # fmt: skip
    _contract(core, people, "Exactly five thousand", value="5000", start=date(2025, 1, 1), end=date(2027, 1, 1))
    _contract(core, people, "Ended in December", start=date(2023, 1, 1), end=date(2025, 12, 31))
    _contract(core, people, "Starts in April", start=date(2026, 4, 1), end=date(2027, 3, 31))
    _contract(core, people, "Cherwell only", authority="CDC", start=date(2025, 1, 1), end=date(2027, 1, 1))
    terminated = _contract(core, people, "Terminated in 2025", start=date(2024, 1, 1), end=date(2027, 1, 1))
    with db.unit_of_work() as session:  # a contract terminated early: its case closed before the quarter
        case_id = session.get(Contract, terminated).case_id
        session.execute(update(Case).where(Case.id == case_id).values(state="terminated", closed_at=_day(2025, 11)))

    rows = {row[1]: row for row in _file(core, "contracts", "OCC")}
    assert sorted(rows) == ["Laptops", "Stationery", "Taxis"]
    assert rows["Stationery"][2:] == [
        "Corporate and Commercial",
        "Existing contract loaded from the register.",
        "Stationery Ltd",
        "04567890",
        "Yes",
        "No",
        "48000.00",
        "12.50",
        "2025-04-01",
        "2028-03-31",
        "2026-04-01",  # reviewed yearly on the anniversary of its start: the next after the quarter
        "Invitation to quote",
    ]
    assert rows["Laptops"][2] == "Joint (Oxfordshire and Cherwell): Corporate and Commercial"
    assert rows["Laptops"][12:] == ["2026-06-30", "Published invitation to tender"]  # high risk: quarterly
    assert rows["Taxis"][6:8] == ["No", "Yes"] and rows["Taxis"][12:] == ["", "Neither: direct award"]
    cherwell = [row[1] for row in _file(core, "contracts", "CDC")]
    assert cherwell == ["Laptops", "Cherwell only"]  # by reference: the joint one is in both files


def test_a_follow_up_review_brings_the_contracts_file_s_review_date_forward(core, db):
    from provision_cycle.services.tasks import complete_task, raise_task

    people = hub_people(db)
    stationery = _contract(core, people, "Stationery", start=date(2025, 9, 1), end=date(2028, 8, 31))
    with db.unit_of_work() as session:  # reviewed yearly, next on 1 September 2026
        review = NewTask("contract_review", "Review", date(2026, 3, 2), people.contract_manager, contract_id=stationery)
        task_id = raise_task(core, session, review, actor_id=people.officer)
    complete_task(core, task_id, people.contract_manager, outcome="improvement_needed", note="Late deliveries")
    [row] = _file(core, "contracts", "OCC")
    assert row[12] == "2026-06-02"  # three months after the review on 2 March
    # The quarter before had ended when it was brought forward: its file keeps the yearly date.
    assert _file(core, "contracts", "OCC", Quarter.parse("2025-10"))[0][12] == "2026-09-01"


def _day(year, month):
    from datetime import UTC, datetime

    return datetime(year, month, 15, 12, tzinfo=UTC)


def test_the_tenders_file_holds_each_invitation_issued_in_the_quarter(core, db, clock):
    people = hub_people(db)
    tender = new_request(core.engine, people.requester, value="250000", title="Case management system")
    act(core.engine, tender, "submit", people.requester)
    approve_gate(core.engine, tender, [people.head])
    declare(core.engine, tender, people.officer)
    act(core.engine, tender, "complete_conflicts_assessment", people.officer)
    # Recorded in April, but the notice was published on 31 March: it belongs to January to March.
    clock.set(date(2026, 4, 2))
    publish_tender_notice(core.engine, tender, people.officer, published="2026-03-31", closes="2026-05-11")

    quotes = new_request(core.engine, people.requester, value="18000", title="Printer paper", route="quotations")
    act(core.engine, quotes, "submit", people.requester)
    approve_gate(core.engine, quotes, [people.manager])
    declare(core.engine, quotes, people.officer)
    act(core.engine, quotes, "complete_conflicts_assessment", people.officer)
    act(core.engine, quotes, "invite_quotations", people.officer)  # on 2 April: the next quarter

    first = _file(core, "tenders", "OCC")
    assert [row[:2] + row[4:] for row in first] == [
        [f"PRC-{tender:06d}", "Case management system", "Published invitation to tender", "2026-03-31",
         "250000.00", "2026-09-01", "2029-08-31"],
    ]  # fmt: skip
    second = _file(core, "tenders", "OCC", Quarter.parse("2026-04"))
    assert [row[1] for row in second] == ["Printer paper"] and second[0][4:6] == ["Invitation to quote", "2026-04-02"]
    assert _file(core, "tenders", "CDC") == []


def test_only_a_councils_publishers_get_its_files(core, db):
    people = hub_people(db)
    analyst = core.engine.actor
    with db.reading() as session:
        cdc_analyst = analyst(session, create_user(db, ("intelligence_analyst", "CDC")))
        requester = analyst(session, people.requester)
        head = analyst(session, people.head)
    assert (
        _file(core, "contracts", "CDC", actor=cdc_analyst) == [] and _file(core, "contracts", "OCC", actor=head) == []
    )
    for actor, council in ((cdc_analyst, "OCC"), (requester, "OCC")):
        with pytest.raises(NotPermitted, match=f"Only {council}'s intelligence team"):
            _file(core, "contracts", council, actor=actor)
    with pytest.raises(NotFound):
        _file(core, "salaries", "OCC")
    with pytest.raises(NotFound):
        _file(core, "contracts", "JOINT")


def test_the_command_writes_each_file(core, db, tmp_path):
    people = hub_people(db)
    _contract(core, people, "Stationery", start=date(2025, 4, 1), end=date(2028, 3, 31))
    runner = create_app(core.settings, core=core).test_cli_runner()
    result = runner.invoke(args=["transparency-files", "OCC", "2026-01", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "OCC-contracts-2026-01.csv: 1 row, January to March 2026 (2025/26 quarter 4)" in result.output
    contracts = (tmp_path / "OCC-contracts-2026-01.csv").read_text().splitlines()
    assert contracts[0].startswith("Reference,Title,Department responsible") and "Stationery" in contracts[1]
    assert (tmp_path / "OCC-tenders-2026-01.csv").read_text().startswith("Reference,Title,Description")
    assert (tmp_path / "OCC-spend-2026-01.csv").read_text().startswith("Body,Date paid,Transaction number")
    assert (tmp_path / "OCC-payments-notice-2026-01.csv").read_text().startswith("Date paid,Transaction number")
    assert (tmp_path / "OCC-decisions-2026-01.csv").read_text().startswith("Case reference,Decided on,Decision by")
    refused = runner.invoke(args=["transparency-files", "OCC", "2026-02", "-o", str(tmp_path)])
    assert refused.exit_code == 1 and "'2026-02' is not a quarter" in refused.stderr
