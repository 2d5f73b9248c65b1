"""Correcting a contract's record (a PPON learnt since, a notice period mistyped when the register was loaded):
by its manager or its category team, saying why, all or nothing, each detail's before and after on its case's
chain; never its value, dates or supplier, which change by a variation."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from provision_cycle.errors import ChangedMeanwhile, InvalidAction, InvalidInput, NotPermitted
from provision_cycle.governance.calendar import add_months
from provision_cycle.models import AuditEvent, Case, Contract, OutboxMessage, Task
from provision_cycle.models.tasks import NOTICE_DETAIL, NOTICE_DETAIL_WITH_EXTENSION
from provision_cycle.scheduling.sweeps import raise_notice_tasks, raise_renewal_tasks
from provision_cycle.services.contract_record import correct_contract, corrections_said
from provision_cycle.workflow import reservations
from tests.factories import hub_people, new_request, register_contract


def _record(db, contract_id: int) -> Contract:
    with db.reading() as session:
        contract = session.get(Contract, contract_id)
        session.expunge(contract)
        return contract


def test_a_contract_s_record_is_corrected_saying_why_all_or_nothing(core, db):
    people = hub_people(db)
    today = core.engine.today()
    contract = register_contract(core, people, value="50000", ends=today + timedelta(days=700))
    with db.reading() as session:
        version = session.get(Case, contract.case_id).version

    def correct(actor: int, reason: str = "The supplier registered on Find a Tender", **corrections) -> list[str]:
        return correct_contract(core, contract.id, actor, corrections, reason=reason)

    # Not what a correction changes: what changes the contract itself, and where.
    with pytest.raises(InvalidInput) as refused:
        correct(people.contract_manager, supplier_name="Roads Ltd", colour="blue")
    assert refused.value.fields == {
        "supplier_name": "A new supplier is a novation, a variation proposed on its case; a name spelt two ways is "
        "one supplier on the supplier's page",
        "colour": "Not a detail of a contract's record",
    }
    with pytest.raises(NotPermitted):
        correct(people.requester, supplier_ppon="PABC-1234-DEFG")
    # Every problem at once, and nothing saved.
    with pytest.raises(InvalidInput) as refused:
        correct(
            people.contract_manager, reason=" ", supplier_ppon="1234", notice_period_days="ninety",
            irrecoverable_vat="-5", extension_months_available="700", supplier_registration="12345678",
        )  # fmt: skip
    assert refused.value.fields == {
        "supplier_ppon": "Give the PPON as four letters, four digits and four letters, like PABC-1234-DEFG",
        "notice_period_days": "Enter a whole number of days, like 90",
        "irrecoverable_vat": "Enter the amount in pounds, like 1250 or 1250.50 (0 if the council recovers it all)",
        "extension_months_available": "Enter a whole number of months, 0 to 600",
        "reason": "Say what was wrong, and where the right details come from",
    }
    assert _record(db, contract.id).supplier_registration == ""
    with pytest.raises(InvalidInput) as refused:
        correct(people.contract_manager, title="  ")
    assert refused.value.fields == {"title": "Enter the contract's title"}
    with pytest.raises(InvalidInput) as refused:  # more options left than it could ever run
        correct(people.contract_manager, extension_months_available=40)
    longest = _record(db, contract.id).maximum_term_months
    assert refused.value.fields == {
        "extension_months_available": f"The longest it could run as awarded ({longest} months) is shorter than the "
        "extension options left (40 months)"
    }
    with db.unit_of_work() as session:  # as a text area sends it back, its lines ended as a browser ends them
        session.get(Contract, contract.id).description = "Resurfacing.\nGritting."
    with pytest.raises(InvalidInput) as refused:
        correct(
            people.contract_manager, title=" Highways maintenance ", notice_period_days=90,
            description="Resurfacing.\r\nGritting.\r\n",
        )  # fmt: skip
    assert refused.value.fields == {"details": "Nothing is corrected: every detail is as the record has it"}

    # Its manager: the supplier's identifiers, learnt since; nobody else to tell.
    corrected = correct(
        people.contract_manager, supplier_ppon="gb-ppon-pabc-1234-defg", supplier_registration=" 01234567 ",
        supplier_is_sme=True, supplier_is_public_service_mutual=False,
    )  # fmt: skip
    assert corrected == [
        "the supplier's PPON", "the supplier's Companies House or charity number", "whether the supplier is an SME",
        "whether the supplier is a public service mutual",
    ]  # fmt: skip
    record = _record(db, contract.id)
    assert (record.supplier_ppon, record.supplier_registration, record.supplier_is_sme) == (
        "PABC-1234-DEFG", "01234567", True,
    )  # fmt: skip
    assert record.supplier_is_public_service_mutual is False and record.supplier_is_supported_employment is None
    # The category team: the title and the VAT; the case is named for the contract still, and the manager hears.
    correct(people.officer, reason="Typed wrong when loaded", title="Highway maintenance", irrecoverable_vat="1250.5")
    with db.reading() as session:
        case = session.get(Case, contract.case_id)
        assert (case.title, case.version) == ("Highway maintenance", version + 2)
        assert session.get(Contract, contract.id).irrecoverable_vat == Decimal("1250.50")
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "correct_contract")).all()
        told = session.execute(
            select(OutboxMessage.recipient_id, OutboxMessage.subject, OutboxMessage.body).where(
                OutboxMessage.kind == "contract_corrected"
            )
        ).all()
    assert [(e.case_id, e.data["corrected"], e.comment) for e in events] == [
        (
            contract.case_id,
            {
                "supplier_ppon": ["", "PABC-1234-DEFG"],
                "supplier_registration": ["", "01234567"],
                "supplier_is_sme": [False, True],
                "supplier_is_public_service_mutual": [None, False],
            },
            "The supplier registered on Find a Tender",
        ),
        (
            contract.case_id,
            {"title": ["Highways maintenance", "Highway maintenance"], "irrecoverable_vat": ["0.00", "1250.50"]},
            "Typed wrong when loaded",
        ),
    ]
    assert told == [
        (
            people.contract_manager,
            f"{contract.reference} Highway maintenance has had its record corrected",
            "Olive Officer corrected the contract's record: the title and the VAT that cannot be recovered.\n\n"
            "Why: Typed wrong when loaded",
        )
    ]
    # A page opened before that correction does not undo it.
    with pytest.raises(ChangedMeanwhile, match="has changed since you read it"):
        correct_contract(
            core, contract.id, people.officer, {"title": "Highways"}, reason="Shorter", expected_version=version
        )


def test_a_notice_period_corrected_moves_the_task_before_the_last_day_to_give_notice(core, db, schedule):
    people = hub_people(db)
    today = core.engine.today()
    contract = register_contract(core, people, value="50000", ends=today + timedelta(days=100))  # 90 days' notice
    raise_notice_tasks(core, schedule, today)

    def notice_tasks() -> list[tuple]:
        with db.reading() as session:
            tasks = session.scalars(select(Task).where(Task.kind == "notice_date").order_by(Task.due_on))
            return [(t.due_on - today, t.status, t.outcome, t.detail) for t in tasks]

    assert notice_tasks() == [(timedelta(days=10), "open", "", NOTICE_DETAIL)]

    def correct(**corrections) -> None:
        correct_contract(core, contract.id, people.contract_manager, corrections, reason="As the contract says")

    # 60 days' notice: the day to give it is 40 days off, not 10; its task comes when that day is near.
    correct(notice_period_days=60)
    assert notice_tasks() == [(timedelta(days=10), "done", "notice_date_moved", NOTICE_DETAIL)]
    assert raise_notice_tasks(core, schedule, today).changed == 0  # 40 days: not within the 30 yet
    with db.reading() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "correct_contract")).one()
        assert event.data["notice_by"] == (today + timedelta(days=40)).isoformat()
    # Corrected back (the 60 was the mistake): the task for its day is open again, and an extension option
    # found in the contract is one its notice can take up.
    correct(notice_period_days=90, extension_months_available=12)
    assert notice_tasks() == [(timedelta(days=10), "open", "", NOTICE_DETAIL_WITH_EXTENSION)]
    assert raise_notice_tasks(core, schedule, today).changed == 0


def test_a_supplier_awarded_a_reserved_competition_is_of_the_kind_it_was_reserved_to(core, db):
    """PA23 s32: only supported employment providers' tenders were assessed, so the contract's supplier is one."""
    people = hub_people(db)
    reserved = new_request(core.engine, people.requester)
    with db.unit_of_work() as session:
        case = session.get(Case, reserved)
        case.details = {
            **(case.details or {}),
            reservations.RESERVED: True,
            reservations.KIND: reservations.SupplierKind.SUPPORTED_EMPLOYMENT.value,
        }
    contract = register_contract(core, people, value="50000", ends=core.engine.today() + timedelta(days=700))
    with db.unit_of_work() as session:
        session.get(Contract, contract.id).procurement_case_id = reserved
    with pytest.raises(InvalidInput) as refused:
        correct_contract(
            core, contract.id, people.officer, {"supplier_is_supported_employment": False}, reason="Not one after all"
        )
    assert refused.value.fields == {
        "supplier_is_supported_employment": "Its competition was reserved to supported employment providers "
        "(Procurement Act 2023 s32), and only their tenders were assessed: the supplier it was awarded to is one"
    }
    correct_contract(
        core, contract.id, people.officer, {"supplier_is_supported_employment": True}, reason="Its tender said so"
    )
    assert _record(db, contract.id).supplier_is_supported_employment is True


def test_a_loaded_contract_s_value_and_dates_typed_wrong_are_corrected_by_its_category_team(core, db, schedule):
    """Not by a variation, which would weigh a change the contract never had (and might owe a change notice
    for it): its category team corrects them, its law following its start date, and its renewal task follows
    its end date. A contract procured here has them from its award: a variation changes them."""
    people = hub_people(db)
    today = core.engine.today()
    contract = register_contract(core, people, value="50000", starts=date(2025, 12, 1), ends=add_months(today, 2))
    raise_renewal_tasks(core, schedule, today)  # the 3-month lead time came a month ago
    typed = {"value": "500000", "start_date": "2024-03-01", "end_date": add_months(today, 14).isoformat()}
    with pytest.raises(NotPermitted, match="Only its category team corrects the value and dates"):
        correct_contract(core, contract.id, people.contract_manager, typed, reason="Typed wrong")
    with pytest.raises(InvalidInput) as refused:
        correct_contract(
            core, contract.id, people.officer, {"end_date": "2024-02-30", "start_date": "2029-01-01", "value": "lots"},
            reason="Typed wrong",
        )  # fmt: skip
    assert refused.value.fields == {
        "end_date": "Enter a real date, like 2027-03-31",
        "value": "Enter the whole-life value in pounds, excluding VAT, like 250000",
        "start_date": f"The start date is after its end date, {add_months(today, 2):%-d %B %Y}",  # as it has it
    }
    corrected = correct_contract(core, contract.id, people.officer, typed, reason="As the signed contract says")
    assert corrected == ["the value", "the start date", "the end date"]
    with db.reading() as session:
        record, case = session.get(Contract, contract.id), session.get(Case, contract.case_id)
        assert (record.value, record.start_date, record.regime, case.regime) == (
            Decimal("500000"), date(2024, 3, 1), "PCR2015", "PCR2015",  # its procurement commenced before the Act
        )  # fmt: skip
        assert case.estimated_value == Decimal("500000") and record.end_date_moved_at is not None
        renewal = session.scalars(select(Task).where(Task.kind == "renewal_decision")).one()
        assert (renewal.status, renewal.outcome) == ("done", "end_date_moved")
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "correct_contract")).one()
    assert corrections_said(event.data) == [
        "the value: £50,000.00 → £500,000.00",
        "the start date: 1 December 2025 → 1 March 2024",
        f"the end date: {add_months(today, 2):%-d %B %Y} → {add_months(today, 14):%-d %B %Y}",
        "the law it is under, from its start date: Procurement Act 2023 → Public Contracts Regulations 2015",
    ]
    # Its new end date's 18-month lead time (over 100,000: 9, 6, 3) has not come; nothing raised yet.
    assert raise_renewal_tasks(core, schedule, today).changed == 0
    with db.unit_of_work() as session:  # once it has ended, it ended on the dates it had
        session.get(Case, contract.case_id).state = "expired"
    with pytest.raises(InvalidAction, match="The contract has ended, on the dates it had"):
        correct_contract(core, contract.id, people.officer, {"end_date": "2030-01-01"}, reason="Late")

    procured = register_contract(core, people, value="50000", ends=add_months(today, 20))
    with db.unit_of_work() as session:
        session.get(Contract, procured.id).procurement_case_id = new_request(core.engine, people.requester)
    with pytest.raises(InvalidInput) as refused:
        correct_contract(core, procured.id, people.officer, {"value": "60000"}, reason="More")
    assert refused.value.fields == {
        "value": "Its value and dates are its award's: they change by a variation, proposed on its case"
    }
