"""The notices owed once something has happened (PA23): a contract change notice (UK10) before an approved
modification that needs one, a contract termination notice (UK11) when a public contract ends, a procurement
termination notice (UK12) when an advertised procurement is abandoned. Each is a deadline; the scheduler
raises its task, late if it must; recording the notice meets it, closes the task, goes on the case's chain
and into the case's open data."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from provision_cycle.audit import verify_chains
from provision_cycle.errors import GuardFailed, InvalidAction, InvalidInput, NotPermitted
from provision_cycle.models import AuditEvent, Case, CaseDeadline, Contract, OutboxMessage, Task, TaskStatus
from provision_cycle.scheduling.sweeps import expire_contracts, remind_deadlines
from provision_cycle.services.notices import record_notice
from provision_cycle.services.tasks import complete_task
from provision_cycle.web.filters import variation_made
from provision_cycle.workflow.rules import FOR_APPROVERS

from .factories import (
    act,
    approve_gate,
    approve_open_steps,
    award_open_procedure,
    award_recommended,
    contract_from_open_procedure,
    create_user,
    declare,
    enter_into_contract,
    hub_people,
    propose_variation,
    register_contract,
)
from .test_ocds import _package, _package_errors


def _public_contract(
    core, people, *, value="500000", starts=date(2025, 7, 1), ends=date(2028, 6, 30), **fields
) -> Contract:
    """A contract procured under the Act (it commenced after 24 February 2025) and above threshold."""
    return register_contract(core, people, value=value, starts=starts, ends=ends, registration="01234567", **fields)


def _deadline(db, case_id: int, kind: str) -> CaseDeadline | None:
    with db.reading() as session:
        return session.scalar(select(CaseDeadline).where(CaseDeadline.case_id == case_id, CaseDeadline.kind == kind))


def _breach_recorded(db, case_id: int) -> AuditEvent:
    """The case's one recorded supplier breach, as its history keeps it."""
    with db.reading() as session:
        return session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.action == "record_supplier_breach")
        ).one()


def _vary(core, people, case_id: int, *, value: str, ends: str, **more) -> None:
    inputs = {"variation_description": "More roads", "new_value": value, "new_end_date": ends, **more}
    propose_variation(core.engine, case_id, people.contract_manager, inputs)
    approve_gate(core.engine, case_id, [people.head])


def test_a_termination_notice_missed_by_the_scheduler_is_raised_late_then_recorded(core, db, clock, schedule):
    people = hub_people(db)
    contract = _public_contract(core, people, ends=date(2026, 3, 1), supplier_ppon="PRDW-4321-LTDX")
    assert expire_contracts(core, clock.today).changed == 1
    assert _deadline(db, contract.case_id, "termination_notice").due_on == date(2026, 3, 30)

    # The scheduler was down for the whole warning period and past the due date: the next run still raises
    # the notice's task (overdue), once.
    clock.set(date(2026, 4, 2))
    assert remind_deadlines(core, schedule, clock.today).changed == 1
    assert remind_deadlines(core, schedule, clock.today).changed == 0
    with db.reading() as session:
        task = session.scalars(select(Task).where(Task.case_id == contract.case_id)).one()
        assert task.kind == "deadline:termination_notice" and task.assignee_id == people.contract_manager
        assert task.title.endswith("Publish the contract termination notice") and "PA23 s80" in task.detail
    # The task is done by recording the notice, not by ticking it off.
    with pytest.raises(InvalidAction, match="Record the contract termination notice as published on its case"):
        complete_task(core, task.id, people.contract_manager, outcome="done")

    record = dict(kind="termination_notice", published_on=date(2026, 4, 2), notice_id="012345-2026")
    with pytest.raises(NotPermitted, match="category team for OCC or its contract managers"):
        record_notice(core, contract.case_id, people.requester, **record)
    cherwell = create_user(db, ("contract_manager", "CDC", "cnc"))
    with pytest.raises(NotPermitted):
        record_notice(core, contract.case_id, cherwell, **record)
    with pytest.raises(InvalidInput) as refused:
        record_notice(core, contract.case_id, people.contract_manager, **{**record, "published_on": date(2026, 4, 3)})
    assert refused.value.fields == {"published_on": "The date the notice was published cannot be in the future"}
    with pytest.raises(InvalidInput) as refused:
        record_notice(core, contract.case_id, people.contract_manager, **{**record, "published_on": date(26, 4, 2)})
    assert refused.value.fields == {"published_on": "0026-04-02 is not a plausible date: check the year"}
    with pytest.raises(InvalidInput, match="There is no notice 'award_notice'"):
        record_notice(core, contract.case_id, people.contract_manager, **{**record, "kind": "award_notice"})
    with pytest.raises(InvalidAction, match="owes no contract change notice"):
        record_notice(core, contract.case_id, people.contract_manager, **{**record, "kind": "contract_change_notice"})

    record_notice(core, contract.case_id, people.contract_manager, **record)
    with db.reading() as session:
        assert session.get(Task, task.id).status == "done" and session.get(Task, task.id).outcome == "met"
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == contract.case_id, AuditEvent.action == "record_notice")
        ).one()
        assert event.actor_id == people.contract_manager
        assert event.data == {
            "deadline": "termination_notice",
            "notice_type": "UK11",
            "published_on": "2026-04-02",
            "due_on": "2026-03-30",
            "late": True,
            "notice_id": "012345-2026",
            "tasks_closed": 1,
            "contract": {
                "value": "500000.00",
                "end_date": "2026-03-01",
                "change": "",
                "change_basis": "",
                # the supplier it named, kept with it: one that takes the contract over later is not this notice's
                "supplier": {
                    "supplier_name": "Roadworks Ltd",
                    "supplier_registration": "01234567",
                    "supplier_ppon": "PRDW-4321-LTDX",
                    "supplier_is_sme": False,
                    "supplier_is_vcse": False,
                    "supplier_is_supported_employment": None,
                    "supplier_is_public_service_mutual": None,
                },
            },
        }
        assert verify_chains(session).ok
    assert _deadline(db, contract.case_id, "termination_notice").met_at is not None
    with pytest.raises(InvalidAction, match="is already recorded"):
        record_notice(core, contract.case_id, people.contract_manager, **record)

    # Its open data: the contract terminated, the notice on it.
    [release] = _package(core, db, people.head, contract.case_id)["releases"]
    assert release["tag"] == ["contractTermination"]
    entry = release["contracts"][0]
    assert entry["status"] == "terminated" and entry["period"]["endDate"] == "2026-03-01T23:59:59Z"
    assert entry["documents"][0]["noticeType"] == "UK11"
    assert entry["documents"][0]["documentType"] == "contractTerminationNotice"
    assert entry["documents"][0]["description"] == "Find a Tender notice 012345-2026"
    assert release["parties"][-1]["id"] == "GB-PPON-PRDW-4321-LTDX"  # the register's, as the award gave it
    assert release["parties"][-1]["additionalIdentifiers"][0]["id"] == "01234567"
    assert _package_errors(_package(core, db, people.head, contract.case_id)) == []


def _contract_now(db, contract: Contract) -> tuple[str, Decimal, date]:
    """The contract's case state, and its value and end date in the register."""
    with db.reading() as session:
        row = session.execute(
            select(Case.state, Contract.value, Contract.end_date)
            .join(Contract, Contract.case_id == Case.id)
            .where(Contract.id == contract.id)
        ).one()
    return row.state, row.value, row.end_date


def test_a_variation_that_needs_a_change_notice_is_made_only_after_it_each_time(core, db, clock):
    people = hub_people(db)
    contract = _public_contract(core, people)
    _vary(core, people, contract.case_id, value="520000", ends="2028-06-30")  # +4%: within s75's limits
    assert _deadline(db, contract.case_id, "contract_change_notice") is None
    assert _contract_now(db, contract) == ("live", Decimal("520000"), date(2028, 6, 30))  # made on approval

    _vary(core, people, contract.case_id, value="650000", ends="2028-06-30")  # +25%: the notice comes first
    owed = _deadline(db, contract.case_id, "contract_change_notice")
    assert owed.due_on == clock.today and "PA23 s75(1)" in owed.basis and owed.met_at is None
    assert _contract_now(db, contract) == ("change_notice_pending", Decimal("520000"), date(2028, 6, 30))
    with pytest.raises(GuardFailed, match="Record the contract change notice as published first"):
        act(core.engine, contract.case_id, "make_variation", people.contract_manager)
    record_notice(core, contract.case_id, people.officer, kind="contract_change_notice", published_on=clock.today)
    act(core.engine, contract.case_id, "make_variation", people.contract_manager)  # no standstill chosen
    assert _contract_now(db, contract) == ("live", Decimal("650000"), date(2028, 6, 30))

    clock.advance(days=30)
    _vary(core, people, contract.case_id, value="650000", ends="2029-12-31")  # the term grows by 18 of 36 months
    again = _deadline(db, contract.case_id, "contract_change_notice")
    assert again.due_on == clock.today and again.met_at is None  # owed afresh
    with pytest.raises(GuardFailed, match="Record the contract change notice as published first"):
        act(core.engine, contract.case_id, "make_variation", people.contract_manager)
    record_notice(core, contract.case_id, people.officer, kind="contract_change_notice", published_on=clock.today)
    act(core.engine, contract.case_id, "make_variation", people.contract_manager)
    assert _contract_now(db, contract) == ("live", Decimal("650000"), date(2029, 12, 31))
    with db.reading() as session:  # the case's value is its contract's, in the approvals queue and the pipeline
        assert session.get(Case, contract.case_id).estimated_value == Decimal("650000")

    package = _package(core, db, people.head, contract.case_id)
    assert _package_errors(package) == []
    first, second = package["releases"]
    assert first["ocid"] == f"ocds-dev000-CMG-{contract.case_id:06d}"  # no procurement of ours: its own
    assert [r["tag"] for r in package["releases"]] == [["contractAmendment"], ["contractAmendment"]]
    # Each notice says what the contract becomes, though it went out before the change was made.
    assert first["contracts"][0]["value"]["amount"] == 650000.0
    assert first["contracts"][0]["period"]["endDate"] == "2028-06-30T22:59:59Z"
    assert second["contracts"][0]["period"]["endDate"] == "2029-12-31T23:59:59Z"
    [amendment] = first["contracts"][0]["amendments"]
    assert amendment["description"] == "More roads" and "more than 10% (PA23 s75)" in amendment["rationale"]


def test_a_small_change_that_could_have_been_made_with_an_earlier_one_is_weighed_with_it(core, db, clock):
    """PA23 s75(4)-(5): 500,000 of services. A first change adds 30,000 (6%) and a second, a month later, 25,000
    (4.7% of 530,000): each alone within s75(2)'s 10%, so neither needs a notice. Where the council considers
    the second could reasonably have been made with the first, the two are one change of 55,000 (11%): a notice.
    The form asks only once there is an earlier change made without one, and offers each."""
    people = hub_people(db)
    contract = _public_contract(core, people)
    offer = core.engine.offers(contract.case_id, people.contract_manager, ["propose_variation"])["propose_variation"]
    assert not offer.asks("made_together_with")  # no earlier change to weigh it with
    _vary(core, people, contract.case_id, value="530000", ends="2028-06-30")
    assert _deadline(db, contract.case_id, "contract_change_notice") is None  # made on approval
    clock.advance(days=30)

    offer = core.engine.offers(contract.case_id, people.contract_manager, ["propose_variation"])["propose_variation"]
    [asked] = [spec for spec in offer.inputs if spec.name == "made_together_with"]
    assert [label for _, label in asked.options] == [
        "No",
        "Yes, with the change made on 2 March 2026 (its value from £500,000.00 to £530,000.00)",
    ]
    _vary(core, people, contract.case_id, value="555000", ends="2028-06-30", made_together_with="0")
    with db.reading() as session:
        details = session.get(Case, contract.case_id).details
    assert details["change_notice_required"] is True
    assert details["change_notice_basis"].startswith(
        "taken together with the change made on 2 March 2026 (PA23 s75(4)): value changes by 11.0%"
    )
    assert _deadline(db, contract.case_id, "contract_change_notice").met_at is None  # owed before it is made


def test_a_term_change_is_weighed_against_the_maximum_term_with_its_options(core, db):
    """PA23 s75(2)(b): 10% "of the maximum term provided for on award". Three years, 1 July 2025 to 30 June 2028,
    moved by 5 months: 14% of 36 months needs a notice; with 24 months of extension options, 8% of 60 does not."""
    people = hub_people(db)
    plain = _public_contract(core, people)
    optioned = register_contract(core, people, value="500000", starts=date(2025, 7, 1), ends=date(2028, 6, 30),
                                 registration="01234567", extension_months_available=24)  # fmt: skip
    for contract in (plain, optioned):
        _vary(core, people, contract.case_id, value="500000", ends="2028-11-30", modification_basis="provided_for")
    assert _deadline(db, plain.case_id, "contract_change_notice") is not None
    assert _deadline(db, optioned.case_id, "contract_change_notice") is None
    assert _contract_now(db, optioned)[2] == date(2028, 11, 30)  # made on approval

    # The maximum is the award's, whatever changes since: shortened by 6 months, then lengthened by 6 again, each
    # is 10% of 60 (not 6 of the 59 the term and options would come to after the first).
    _vary(core, people, optioned.case_id, value="500000", ends="2028-05-31", modification_basis="provided_for")
    _vary(core, people, optioned.case_id, value="500000", ends="2028-11-30", modification_basis="provided_for")
    assert _deadline(db, optioned.case_id, "contract_change_notice") is None
    assert _contract_now(db, optioned)[2] == date(2028, 11, 30)


def test_a_small_change_the_council_says_could_not_have_been_made_earlier_stands_alone(core, db, clock):
    people = hub_people(db)
    contract = _public_contract(core, people)
    _vary(core, people, contract.case_id, value="530000", ends="2028-06-30")
    _vary(core, people, contract.case_id, value="555000", ends="2028-06-30", made_together_with="no")
    assert _contract_now(db, contract) == ("live", Decimal("555000"), date(2028, 6, 30))  # made: no notice owed
    with db.reading() as session:
        kept = session.get(Case, contract.case_id).details["modifications_without_notice"]
    assert [made["value"] for made in kept] == [["500000.00", "530000.00"], ["530000.00", "555000.00"]]


def test_a_voluntary_standstill_holds_the_modification_for_8_working_days_after_its_notice(core, db, clock, schedule):
    people = hub_people(db)
    contract = _public_contract(core, people)
    clock.set(date(2026, 12, 17))  # a Thursday: the standstill crosses Christmas
    _vary(core, people, contract.case_id, value="700000", ends="2028-06-30", voluntary_standstill=True)
    record_notice(core, contract.case_id, people.officer, kind="contract_change_notice", published_on=clock.today)
    # 17, 18, 21, 22, 23, 24, 29, 30 December (Christmas Day and Boxing Day's substitute, the 28th, are not
    # working days): the change can be made from 31 December.
    standstill = _deadline(db, contract.case_id, "change_standstill_end")
    assert standstill.due_on == date(2026, 12, 30) and "made from 31 December 2026" in standstill.basis
    with pytest.raises(GuardFailed, match="runs to the end of 30 December 2026 .*made from 31 December 2026"):
        act(core.engine, contract.case_id, "make_variation", people.contract_manager)
    clock.set(date(2026, 12, 30))
    assert remind_deadlines(core, schedule, clock.today).changed == 1  # its end comes: the manager is told
    with pytest.raises(GuardFailed, match="voluntary standstill"):
        act(core.engine, contract.case_id, "make_variation", people.contract_manager)
    clock.set(date(2026, 12, 31))
    act(core.engine, contract.case_id, "make_variation", people.contract_manager)
    assert _contract_now(db, contract) == ("live", Decimal("700000"), date(2028, 6, 30))
    remind_deadlines(core, schedule, clock.today)
    with db.reading() as session:
        reminder = session.scalars(select(Task).where(Task.kind == "deadline:change_standstill_end")).one()
        assert (reminder.status, reminder.outcome, reminder.assignee_id) == ("done", "met", people.contract_manager)

    # The next variation asks again: its standstill is not carried over from this one.
    _vary(core, people, contract.case_id, value="900000", ends="2028-06-30")
    record_notice(core, contract.case_id, people.officer, kind="contract_change_notice", published_on=clock.today)
    act(core.engine, contract.case_id, "make_variation", people.contract_manager)
    assert _contract_now(db, contract)[1] == Decimal("900000")


def test_a_variation_withdrawn_or_overtaken_before_it_is_made_owes_no_change_notice(core, db, clock, schedule):
    people = hub_people(db)
    contract = _public_contract(core, people)
    _vary(core, people, contract.case_id, value="800000", ends="2028-06-30")
    assert remind_deadlines(core, schedule, clock.today).changed == 1  # its task is raised
    with pytest.raises(InvalidInput):
        act(core.engine, contract.case_id, "withdraw_variation", people.contract_manager)  # a reason is needed
    act(core.engine, contract.case_id, "withdraw_variation", people.contract_manager, reason="Budget cut")
    assert _deadline(db, contract.case_id, "contract_change_notice") is None
    assert _contract_now(db, contract) == ("live", Decimal("500000"), date(2028, 6, 30))
    with db.reading() as session:
        task = session.scalars(select(Task).where(Task.case_id == contract.case_id)).one()
        assert (task.status, task.outcome, task.completed_by_id) == ("done", "withdrawn", people.contract_manager)
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == contract.case_id).order_by(AuditEvent.seq.desc())
        ).first()
        assert event.action == "withdraw_variation" and event.data["deadlines_withdrawn"] == ["contract_change_notice"]
        assert event.comment == "Budget cut"
    with pytest.raises(InvalidAction, match="owes no contract change notice"):
        record_notice(core, contract.case_id, people.officer, kind="contract_change_notice", published_on=clock.today)

    # A contract terminated while a variation waits for its notice: the variation will never be made.
    _vary(core, people, contract.case_id, value="800000", ends="2028-06-30")
    act(core.engine, contract.case_id, "terminate", people.contract_manager, reason="Supplier insolvent",
        inputs={"terminated_on": clock.today.isoformat()})  # fmt: skip
    assert _deadline(db, contract.case_id, "contract_change_notice") is None
    assert _deadline(db, contract.case_id, "termination_notice") is not None


def test_contracts_outside_the_act_owe_no_change_notice(core, db):
    people = hub_people(db)
    legacy = _public_contract(core, people, starts=date(2023, 3, 1), ends=date(2028, 2, 28))  # PCR 2015
    small = _public_contract(core, people, value="60000")  # below threshold
    # Doubled, each is approved at the level of its new value: 1m needs a director too, 120,000 a head of category.
    for contract, why, approvers in (
        (legacy, "Public Contracts Regulations 2015", [people.head, people.director]),
        (small, "below the £214,904.00 threshold", [people.head]),
    ):
        value = str(contract.value * 2)
        inputs = {"variation_description": "Double it", "new_value": value, "new_end_date": "2028-06-30"}
        propose_variation(core.engine, contract.case_id, people.contract_manager, inputs)
        with db.reading() as session:
            event = session.scalars(
                select(AuditEvent).where(
                    AuditEvent.case_id == contract.case_id, AuditEvent.action == "propose_variation"
                )
            ).one()
        assert (
            event.data["change_notice"].startswith("no contract change notice") and why in event.data["change_notice"]
        )
        approve_gate(core.engine, contract.case_id, approvers)
        assert _deadline(db, contract.case_id, "contract_change_notice") is None


def test_a_below_threshold_procurement_abandoned_after_its_tender_notice_owes_no_termination_notice(core, db, clock):
    """PA23 s55 is for a public contract; below the threshold the Act asks a tender and a contract details notice
    (s86-87) and nothing on abandoning it."""
    people = hub_people(db)
    case_id = award_recommended(
        core.engine, clock, people, value="90000", award_value="85000", closes=date(2026, 3, 16)
    )
    act(core.engine, case_id, "terminate_procurement", people.officer, reason="The need has gone")
    assert _deadline(db, case_id, "procurement_termination_notice") is None
    with db.reading() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "terminate_procurement")).one()
    assert event.data["termination_notice"] == "not required: not a public contract under the Procurement Act 2023"


def test_an_advertised_procurement_abandoned_owes_a_procurement_termination_notice(core, db, clock):
    people = hub_people(db)
    case_id = award_open_procedure(core.engine, clock, people)  # its tender notice went out on 2 March
    act(core.engine, case_id, "terminate_procurement", people.officer, reason="The need has gone")
    owed = _deadline(db, case_id, "procurement_termination_notice")
    assert owed.due_on == clock.today and "PA23 s55" in owed.basis
    record_notice(core, case_id, people.officer, kind="procurement_termination_notice", published_on=clock.today)

    package = _package(core, db, people.head, case_id)
    assert _package_errors(package) == []
    cancelled = package["releases"][-1]
    assert cancelled["tag"] == ["tenderCancellation"] and cancelled["tender"]["status"] == "cancelled"
    assert cancelled["tender"]["documents"][0]["noticeType"] == "UK12"
    assert {r["ocid"] for r in package["releases"]} == {f"ocds-dev000-PRC-{case_id:06d}"}


def test_a_procured_contracts_notices_share_its_procurements_ocid(core, db, clock):
    people = hub_people(db)
    case_id = contract_from_open_procedure(core.engine, clock, people)
    with db.reading() as session:
        contract = session.scalars(select(Contract).where(Contract.procurement_case_id == case_id)).one()
    clock.set(date(2026, 6, 1))
    act(core.engine, contract.case_id, "terminate", people.officer, reason="Supplier insolvent",
        inputs={"terminated_on": "2026-05-29"})  # fmt: skip
    owed = _deadline(db, contract.case_id, "termination_notice")
    assert owed.due_on == date(2026, 5, 29) + timedelta(days=29)
    record_notice(core, contract.case_id, people.officer, kind="termination_notice", published_on=clock.today)

    [release] = _package(core, db, people.head, contract.case_id)["releases"]
    awarded = _package(core, db, people.head, case_id)["releases"][-1]
    assert release["ocid"] == awarded["ocid"] == f"ocds-dev000-PRC-{case_id:06d}"
    assert release["contracts"][0]["id"] == awarded["contracts"][0]["id"]  # the same contract, now ended
    assert release["contracts"][0]["period"]["endDate"] == "2026-05-29T22:59:59Z"
    assert release["tender"]["legalBasis"] == {"scheme": "UKPGA", "id": "2023/54"}


BREACH = {
    "breach_description": "Bins missed on six weeks' rounds; service credits of 40,000 agreed in settlement",
    "breach_applies_from": "2026-02-20",
}


def test_a_suppliers_breach_owes_a_contract_performance_notice_within_30_days(core, db, clock):
    people = hub_people(db)
    contract = _public_contract(core, people)
    for day, refused in (("2026-03-03", "cannot be in the future"), ("2025-06-30", "on or after the contract's start")):
        with pytest.raises(GuardFailed, match=refused):
            act(core.engine, contract.case_id, "record_supplier_breach", people.contract_manager,
                inputs={**BREACH, "breach_applies_from": day})  # fmt: skip
    act(core.engine, contract.case_id, "record_supplier_breach", people.contract_manager, inputs=BREACH)
    owed = _deadline(db, contract.case_id, "breach_performance_notice")
    assert owed.due_on == date(2026, 3, 21) and "PA23 s71(5)" in owed.basis  # 30 days beginning with 20 February
    assert _contract_now(db, contract)[0] == "live"  # the contract runs on
    record_notice(core, contract.case_id, people.contract_manager, kind="breach_performance_notice",
                  published_on=clock.today, notice_id="045678-2026")  # fmt: skip

    [release] = _package(core, db, people.head, contract.case_id)["releases"]
    assert release["tag"] == ["implementation"]
    [document] = release["contracts"][0]["implementation"]["documents"]
    assert document["noticeType"] == "UK9" and document["documentType"] == "implementationNotice"
    assert "s71(5) applies): Bins missed on six weeks' rounds" in document["description"]
    assert _package_errors(_package(core, db, people.head, contract.case_id)) == []

    # A later breach owes a notice of its own.
    clock.advance(days=40)
    act(core.engine, contract.case_id, "record_supplier_breach", people.contract_manager,
        inputs={**BREACH, "breach_applies_from": clock.today.isoformat()})  # fmt: skip
    again = _deadline(db, contract.case_id, "breach_performance_notice")
    assert again.due_on == clock.today + timedelta(days=29) and again.met_at is None


def test_a_breach_that_applied_before_s71_came_into_force_owes_no_notice(core, db):
    # PA23 s71 came into force on 1 January 2026 (SI 2025/1316): a breach recorded now that applied before then
    # is on the contract's history, but owes no contract performance notice.
    people = hub_people(db)
    contract = _public_contract(core, people)
    act(core.engine, contract.case_id, "record_supplier_breach", people.contract_manager,
        inputs={**BREACH, "breach_applies_from": "2025-12-31"})  # fmt: skip
    assert _deadline(db, contract.case_id, "breach_performance_notice") is None
    assert _breach_recorded(db, contract.case_id).data["breach_performance_notice"] == (
        "not required: 31 December 2025 was before PA23 s71 came into force, on 1 January 2026 (SI 2025/1316)"
    )


def test_each_breach_owes_its_own_notice_though_another_is_still_owed(core, db, clock, schedule):
    """A case owes one deadline of a kind at a time: a second breach's notice waits in line, the soonest due
    first, and is owed once the one before it is recorded. Nothing is lost, and each notice says its breach."""
    people = hub_people(db)
    contract = _public_contract(core, people)
    case_id = contract.case_id

    def breach(description: str, day: str) -> None:
        act(core.engine, case_id, "record_supplier_breach", people.contract_manager,
            inputs={"breach_description": description, "breach_applies_from": day})  # fmt: skip

    def publish() -> date | None:
        return record_notice(core, case_id, people.contract_manager, kind="breach_performance_notice",
                             published_on=clock.today)  # fmt: skip

    breach("Damages awarded for missed rounds", "2026-02-25")  # due 26 March
    remind_deadlines(core, schedule, date(2026, 3, 20))  # its reminder is out
    breach("Partial termination of the east depot", "2026-03-01")  # due 30 March: waits behind it
    breach("Settlement for the winter backlog", "2026-02-10")  # due 11 March: sooner, so it goes first
    owed = _deadline(db, case_id, "breach_performance_notice")
    assert owed.due_on == date(2026, 3, 11) and "10 February 2026" in owed.basis
    remind_deadlines(core, schedule, date(2026, 3, 5))  # a reminder for the sooner one; the other's stays

    def reminded() -> list[date]:
        with db.reading() as session:
            open_ = select(Task.due_on).where(Task.case_id == case_id, Task.status == TaskStatus.OPEN)
            return sorted(session.scalars(open_))

    assert reminded() == [date(2026, 3, 11), date(2026, 3, 26)]
    assert publish() == date(2026, 3, 26)
    assert reminded() == [date(2026, 3, 26)]  # its notice is owed now, and its reminder still open
    assert publish() == date(2026, 3, 30)
    assert reminded() == []
    remind_deadlines(core, schedule, date(2026, 3, 25))
    assert reminded() == [date(2026, 3, 30)]
    assert publish() is None
    assert reminded() == []
    assert _deadline(db, case_id, "breach_performance_notice").met_at is not None
    with pytest.raises(InvalidAction, match="already recorded"):
        publish()
    releases = _package(core, db, people.head, case_id)["releases"]
    said = [r["contracts"][0]["implementation"]["documents"][0]["description"] for r in releases]
    assert [s.split(": ", 1)[1] for s in said] == [
        "Settlement for the winter backlog", "Damages awarded for missed rounds", "Partial termination of the east depot"
    ]  # fmt: skip


def test_two_breaches_of_one_day_each_have_a_reminder(core, db, clock, schedule):
    """The second breach's notice is owed for the same day as the first's: that day's reminder, done when the
    first was recorded, opens again (the raise-once key would refuse a second)."""
    people = hub_people(db)
    contract = _public_contract(core, people)
    for description in ("Damages for missed rounds", "Settlement for the depot fire"):
        act(core.engine, contract.case_id, "record_supplier_breach", people.contract_manager,
            inputs={"breach_description": description, "breach_applies_from": "2026-02-25"})  # fmt: skip
    remind_deadlines(core, schedule, date(2026, 3, 20))
    record_notice(core, contract.case_id, people.contract_manager, kind="breach_performance_notice",
                  published_on=clock.today)  # fmt: skip

    def reminders() -> list[tuple[str, str]]:
        with db.reading() as session:
            tasks = session.scalars(select(Task).where(Task.case_id == contract.case_id))
            return [(t.status, t.outcome) for t in tasks]

    assert reminders() == [(TaskStatus.DONE, "met")]
    remind_deadlines(core, schedule, date(2026, 3, 20))
    assert reminders() == [(TaskStatus.OPEN, "")]
    record_notice(core, contract.case_id, people.contract_manager, kind="breach_performance_notice",
                  published_on=clock.today)  # fmt: skip
    remind_deadlines(core, schedule, date(2026, 3, 20))
    assert reminders() == [(TaskStatus.DONE, "met")]  # met, and not opened again


def test_a_contract_ended_by_the_suppliers_breach_says_so_in_its_termination_notice(core, db, clock):
    people = hub_people(db)
    contract = _public_contract(core, people)
    act(core.engine, contract.case_id, "terminate", people.contract_manager, reason="Repeated failures",
        inputs={"terminated_on": clock.today.isoformat(), "ended_for_breach": True})  # fmt: skip
    owed = _deadline(db, contract.case_id, "termination_notice")
    assert "s71(5) applies" in owed.basis and "reg 41(2)(h)" in owed.basis
    assert _deadline(db, contract.case_id, "breach_performance_notice") is None  # one notice for one event

    # Months later the court awards damages for the breach: that owes a performance notice, the case closed or not.
    clock.advance(days=120)
    act(core.engine, contract.case_id, "record_supplier_breach", people.contract_manager,
        inputs={**BREACH, "breach_applies_from": clock.today.isoformat()})  # fmt: skip
    assert _deadline(db, contract.case_id, "breach_performance_notice").due_on == clock.today + timedelta(days=29)
    assert _contract_now(db, contract)[0] == "terminated"


def test_a_breach_of_a_contract_outside_the_act_owes_no_notice(core, db):
    people = hub_people(db)
    legacy = _public_contract(core, people, starts=date(2023, 3, 1), ends=date(2028, 2, 28))  # PCR 2015
    act(core.engine, legacy.case_id, "record_supplier_breach", people.contract_manager, inputs=BREACH)
    assert _deadline(db, legacy.case_id, "breach_performance_notice") is None
    event = _breach_recorded(db, legacy.case_id)
    assert event.data["breach_performance_notice"].startswith("not required: procured under the Public Contracts")
    assert event.data["breach_description"].startswith("Bins missed")


@pytest.mark.parametrize(
    ("basis", "value", "ends", "refusal"),
    [
        ("unforeseeable", "800000", "2028-06-30", "at most 50% to the contract's value, and this adds 60.0%"),
        ("additional", "760000", "2028-06-30", "at most 50% to the contract's value, and this adds 52.0%"),
        ("below_threshold", "560000", "2028-06-30", "by at most 10%, and this changes it by 12.0%"),
        ("not_substantial", "500000", "2029-06-30", "term by at most 10%, and this changes it by 33.3%"),
        (None, "500000", "2028-06-30", "Choose one: On what basis may the contract be modified"),
        ("whim", "500000", "2028-06-30", "choose one of provided_for, urgency, unforeseeable"),
        (["provided_for"], "500000", "2028-06-30", "choose one of provided_for"),  # not a code: a list
    ],
)
def test_a_public_contract_is_modified_only_on_a_basis_the_act_gives_and_within_it(
    core, db, basis, value, ends, refusal
):
    """PA23 s74 and Schedule 8: a permitted modification (some with a limit of their own), one that is not
    substantial, or a below-threshold modification; anything else is a new procurement."""
    people = hub_people(db)
    contract = _public_contract(core, people)  # 500,000, 1 July 2025 to 30 June 2028
    inputs = {"variation_description": "More roads", "new_value": value, "new_end_date": ends}
    with pytest.raises((GuardFailed, InvalidInput), match=refusal):
        act(core.engine, contract.case_id, "propose_variation", people.contract_manager,
            inputs={**inputs, **({"modification_basis": basis} if basis else {})})  # fmt: skip
    assert _contract_now(db, contract)[0] == "live"


def test_another_supplier_takes_a_contract_over_on_a_restructuring_and_the_register_names_it(core, db, clock):
    """A novation (PA23 Schedule 8): for a public contract only on a corporate restructuring, with a contract
    change notice whatever the sums; once the variation is made, the register names the new supplier."""
    people = hub_people(db)
    contract = _public_contract(core, people, supplier_ppon="PRDW-4321-LTDX")  # Roadworks Ltd, 500,000
    _vary(core, people, contract.case_id, value="650000", ends="2028-06-30")  # +30%: a change notice, then made
    record_notice(core, contract.case_id, people.officer, kind="contract_change_notice", published_on=clock.today)
    act(core.engine, contract.case_id, "make_variation", people.contract_manager)
    same = {"variation_description": "Roadworks Ltd was bought by Kerb Group", "new_value": "650000",
            "new_end_date": "2028-06-30"}  # fmt: skip
    successor = {"new_supplier": True, "new_supplier_name": "Kerb Group Ltd", "new_supplier_ppon": "pkrb-1111-grpx",
                 "new_supplier_registration": "07654321", "new_supplier_is_sme": True}  # fmt: skip
    for inputs, refusal in (
        ({**successor, "modification_basis": "provided_for"}, "may take the contract over only on the basis"),
        ({"modification_basis": "new_supplier"}, "Answer yes or no: Does another supplier take the contract over"),
        ({"new_supplier": True, "modification_basis": "new_supplier"}, "Enter supplier taking the contract over"),
        ({**successor, "new_supplier_name": "ROADWORKS LIMITED", "modification_basis": "new_supplier"},
         "Roadworks Ltd has the contract already"),
        ({**successor, "new_supplier_ppon": "kerb", "modification_basis": "new_supplier"}, "Give the PPON as four"),
    ):  # fmt: skip
        with pytest.raises(InvalidInput, match=refusal):
            act(core.engine, contract.case_id, "propose_variation", people.contract_manager, inputs={**same, **inputs})
    propose_variation(
        core.engine,
        contract.case_id,
        people.contract_manager,
        {**same, **successor, "modification_basis": "new_supplier"},
    )
    with db.reading() as session:
        from provision_cycle.services.reading import contract_proposal

        case = session.get(Case, contract.case_id)
        state = core.workflows.state_of(case)
        assert contract_proposal(state, case, session.get(Contract, contract.id)).new_supplier == "Kerb Group Ltd"
        assert "Kerb Group Ltd takes the contract over." in case.details[FOR_APPROVERS]  # the approvers' emails
    approve_gate(core.engine, contract.case_id, [people.head])
    owed = _deadline(db, contract.case_id, "contract_change_notice")  # nothing else changes: still one
    assert owed is not None and owed.met_at is None
    record_notice(core, contract.case_id, people.officer, kind="contract_change_notice", published_on=clock.today)
    act(core.engine, contract.case_id, "make_variation", people.contract_manager)
    with db.reading() as session:
        made = session.get(Contract, contract.id)
        assert (made.supplier_name, made.supplier_key, made.supplier_ppon, made.supplier_registration) == (
            "Kerb Group Ltd", "kerb group", "PKRB-1111-GRPX", "07654321",
        )  # fmt: skip
        assert (made.supplier_is_sme, made.supplier_is_vcse, made.supplier_is_public_service_mutual) == (
            True,
            False,
            None,
        )
        event = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.case_id == contract.case_id, AuditEvent.action == "make_variation")
            .order_by(AuditEvent.seq.desc())
        ).first()
        assert event.data["variation"]["supplier"] == ["Roadworks Ltd", "Kerb Group Ltd"]
        # Its history says what changed, and only that (its value and end date stay).
        assert variation_made(event.data["variation"]) == "supplier Roadworks Ltd → Kerb Group Ltd"
        assert "new_supplier_taking_over" not in session.get(Case, contract.case_id).details
    # The next variation names no new supplier: the last one's does not carry over.
    _vary(core, people, contract.case_id, value="560000", ends="2028-06-30", modification_basis="provided_for")
    with db.reading() as session:
        assert session.get(Contract, contract.id).supplier_name == "Kerb Group Ltd"
    # Its change notice named the supplier taking it over, before it had; each notice keeps the one it named.
    record_notice(core, contract.case_id, people.officer, kind="contract_change_notice", published_on=clock.today)
    package = _package(core, db, people.head, contract.case_id)
    assert _package_errors(package) == []
    named = [(r["awards"][0]["suppliers"][0]["name"], r["parties"][-1]["id"]) for r in package["releases"]]
    assert named == [
        ("Roadworks Ltd", "GB-PPON-PRDW-4321-LTDX"),  # before the novation: not rewritten by it
        ("Kerb Group Ltd", "GB-PPON-PKRB-1111-GRPX"),
        ("Kerb Group Ltd", "GB-PPON-PKRB-1111-GRPX"),
    ]


def test_a_below_threshold_contract_passes_to_another_supplier_without_a_basis_in_law(core, db):
    """No modification rules bind it, so no basis is needed (asked only in case a change takes it over the
    threshold), and no contract change notice is owed."""
    people = hub_people(db)
    contract = register_contract(core, people, value="50000", ends=date(2028, 6, 30))
    inputs = {"variation_description": "Taken over", "new_value": "50000", "new_end_date": "2028-06-30",
              "new_supplier": True, "new_supplier_name": "Kerb Group Ltd"}  # fmt: skip
    act(core.engine, contract.case_id, "propose_variation", people.contract_manager, inputs=inputs)
    approve_gate(core.engine, contract.case_id, [people.manager])
    assert _deadline(db, contract.case_id, "contract_change_notice") is None
    with db.reading() as session:
        assert session.get(Contract, contract.id).supplier_name == "Kerb Group Ltd"


def test_below_threshold_modifications_count_together_from_the_value_before_the_first(core, db):
    """PA23 s74: a below-threshold modification changes the value by no more than 10% with the earlier ones;
    a modification on another basis is not one of them."""
    people = hub_people(db)
    contract = _public_contract(core, people)  # 500,000
    below = {"modification_basis": "below_threshold"}
    _vary(core, people, contract.case_id, value="530000", ends="2028-06-30", **below)  # +30,000: 6%
    _vary(core, people, contract.case_id, value="560000", ends="2028-06-30", modification_basis="provided_for")
    with pytest.raises(GuardFailed, match=r"this changes it by 11.0%, with the earlier below-threshold modifications"):
        _vary(core, people, contract.case_id, value="585000", ends="2028-06-30", **below)  # 30,000 + 25,000
    _vary(core, people, contract.case_id, value="580000", ends="2028-06-30", **below)  # 30,000 + 20,000: 10%
    assert _contract_now(db, contract)[1] == Decimal("580000")
    with db.reading() as session:
        assert session.get(Case, contract.case_id).details["below_threshold_modifications"] == ["500000.00", "50000.00"]


def test_a_below_threshold_contract_that_a_change_takes_over_the_threshold_needs_a_change_notice(core, db):
    """PA23 s74-75: a convertible contract (one the modification makes a public contract) is modified as one."""
    people = hub_people(db)
    contract = _public_contract(core, people, value="150000")  # 180,000 with VAT: below the threshold
    _vary(core, people, contract.case_id, value="160000", ends="2028-06-30")  # 192,000: still below
    with db.reading() as session:
        details = session.get(Case, contract.case_id).details
    assert details["change_notice_required"] is False and "not a public contract" in details["change_notice_basis"]
    citywide = {"variation_description": "Citywide", "new_value": "250000", "new_end_date": "2028-06-30"}
    # Modified as a public contract, it must stand on a basis the Act gives (s74, Schedule 8).
    with pytest.raises(InvalidInput) as refused:
        propose_variation(core.engine, contract.case_id, people.contract_manager, citywide)
    assert refused.value.fields == {
        "modification_basis": "Choose one: On what basis may the contract be modified without a new procurement?"
    }
    with pytest.raises(GuardFailed, match="at most 50% to the contract's value, and this adds 56.2%"):
        propose_variation(core.engine, contract.case_id, people.contract_manager,
                          {**citywide, "modification_basis": "unforeseeable"})  # fmt: skip
    propose_variation(core.engine, contract.case_id, people.contract_manager,
                      {**citywide, "modification_basis": "provided_for"})  # fmt: skip
    with db.reading() as session:
        details = session.get(Case, contract.case_id).details
    assert details["change_notice_required"] is True and details["modification_basis"] == "provided_for"
    assert details["change_notice_basis"].startswith(
        "this change makes it a public contract (a convertible contract, PA23 s74): value changes by 56.2%"
    )


def test_a_supplier_changed_on_a_restructuring_needs_a_change_notice_whatever_the_sums(core, db):
    people = hub_people(db)
    contract = _public_contract(core, people)
    inputs = {"variation_description": "Novated to Acme Holdings", "new_value": "500000", "new_end_date": "2028-06-30"}
    acme = {"new_supplier": True, "new_supplier_name": "Acme Holdings Ltd"}
    propose_variation(
        core.engine, contract.case_id, people.contract_manager, {**inputs, **acme, "modification_basis": "new_supplier"}
    )
    with db.reading() as session:
        details = session.get(Case, contract.case_id).details
    assert details["change_notice_required"] is True
    assert (
        details["change_notice_basis"]
        == "another supplier takes the contract over on a corporate restructuring (PA23 s75)"
    )


def test_the_basis_of_a_modification_is_asked_only_where_the_law_binds_it(core, db):
    """A light-touch contract may be modified freely under the Act, and a below-threshold one is no public
    contract until a change takes it over the threshold; a contract let under PCR 2015 stands on regulation
    72's grounds (none for urgency)."""
    people = hub_people(db)
    ends = date(2028, 6, 30)
    light = register_contract(
        core, people, value="800000", ends=ends, starts=date(2025, 7, 1), contract_type="light_touch"
    )
    small = register_contract(core, people, value="90000", ends=ends, starts=date(2025, 7, 1))
    legacy = register_contract(core, people, value="500000", ends=ends, starts=date(2024, 1, 1))  # under PCR 2015
    asked = {
        name: {i.name: i for i in offer.inputs}.get("modification_basis")
        for name, contract in (("light", light), ("small", small), ("legacy", legacy))
        if (
            offer := core.engine.offers(contract.case_id, people.contract_manager, ["propose_variation"])[
                "propose_variation"
            ]
        )
    }
    assert asked["light"] is None and not asked["legacy"].optional
    # A contract under the Act below the threshold: asked, and required only of a change that takes it over.
    assert asked["small"].optional and asked["small"].required_when == ("modification_rules_apply",)
    assert "urgency" not in dict(asked["legacy"].options)
    assert dict(asked["legacy"].options)["unforeseeable"].endswith("(regulation 72(1)(c))")


def test_a_variation_is_approved_at_the_level_of_what_the_contract_becomes(core, db):
    from provision_cycle.models import ApprovalStep

    people = hub_people(db)
    contract = _public_contract(core, people)  # 500,000: its case's route asked a head of category
    inputs = {"variation_description": "Citywide", "new_value": "1200000", "new_end_date": "2028-06-30"}
    propose_variation(core.engine, contract.case_id, people.contract_manager, inputs)
    with db.reading() as session:
        steps = session.scalars(
            select(ApprovalStep).where(ApprovalStep.case_id == contract.case_id).order_by(ApprovalStep.position)
        ).all()
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == contract.case_id, AuditEvent.action == "propose_variation")
        ).one()
    assert [s.role for s in steps] == ["head_of_category", "director"]
    assert "value £1,200,000.00 is in band" in steps[0].reason
    assert event.data["approvers"] == [s.reason for s in steps]
    with pytest.raises(NotPermitted):
        approve_gate(core.engine, contract.case_id, [people.head, people.manager])  # a director must sign too
    approve_gate(core.engine, contract.case_id, [people.director])
    assert _contract_now(db, contract)[0] == "change_notice_pending"
    # Each approver's email said what they were approving, the director's (sent when the head approved) too.
    with db.reading() as session:
        asked = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == "approval_needed", OutboxMessage.case_id == contract.case_id
            )
        ).all()
    said = (
        "Proposed variation: Citywide. Value £500,000.00 to £1,200,000.00 excluding VAT; end date 30 June 2028 "
        "(unchanged). Basis: Provided for unambiguously in the contract and its tender or transparency notice, "
        "without changing its overall nature (Schedule 8, paragraph 1). A contract change notice is needed before it "
        "is made: value changes by 140.0%"
    )
    assert {m.recipient_id for m in asked} >= {people.head, people.director} and all(said in m.body for m in asked)


def test_a_variation_adding_more_than_the_key_decision_figure_goes_to_the_executive(core, db, clock, schedule):
    """CDC: spending over 50,000 more is a key decision: 28 clear days on the forward plan, then the Executive."""
    from provision_cycle.models import ApprovalStep

    people = hub_people(db, "CDC")
    contract = register_contract(core, people, value="400000", ends=date(2027, 6, 30), authority="CDC")
    case_id = contract.case_id

    def propose(value: str) -> None:
        inputs = {"variation_description": "More depots", "new_value": value, "new_end_date": "2027-06-30"}
        propose_variation(core.engine, case_id, people.contract_manager, inputs)

    def executive_steps() -> list:
        with db.reading() as session:
            return session.scalars(
                select(ApprovalStep).where(ApprovalStep.case_id == case_id, ApprovalStep.gate == "executive_decision")
            ).all()

    propose("480000")  # adds 80,000
    # Published on the forward plan while the officers sign it off, so that the 28 clear days run meanwhile.
    published = clock.today
    act(core.engine, case_id, "record_forward_plan", people.contract_manager,
        inputs={"forward_plan_published_on": published.isoformat()})  # fmt: skip
    assert approve_gate(core.engine, case_id, [people.head]).to_state == "variation_executive_decision"
    [step] = executive_steps()
    assert step.role == "executive_member" and "the variation adds £80,000.00 to the contract's value" in step.reason
    declare(core.engine, case_id, people.executive)
    with pytest.raises(GuardFailed, match="cannot be taken before"):
        act(core.engine, case_id, "approve", people.executive)
    assert _contract_now(db, contract) == ("variation_executive_decision", Decimal("400000"), date(2027, 6, 30))
    with db.reading() as session:
        asked = session.scalar(
            select(OutboxMessage.body).where(
                OutboxMessage.kind == "approval_needed", OutboxMessage.recipient_id == people.executive
            )
        )
    assert "It is a key decision for CDC: the variation adds £80,000.00" in asked

    clock.set(published + timedelta(days=28))  # 27 clear days between: a day short
    with pytest.raises(GuardFailed, match="cannot be taken before"):
        act(core.engine, case_id, "approve", people.executive)
    clock.set(published + timedelta(days=29))
    act(core.engine, case_id, "approve", people.executive)
    # A loaded contract let under PCR 2015 owes no change notice: the change is made on the Executive's word.
    assert _contract_now(db, contract) == ("live", Decimal("480000"), date(2027, 6, 30))
    assert _deadline(db, case_id, "forward_plan").met_at is not None

    # The next key decision needs its own forward plan entry: the last one's does not count.
    propose("560000")
    approve_gate(core.engine, case_id, [people.head])
    with pytest.raises(GuardFailed, match="forward plan entry recorded first"):
        act(core.engine, case_id, "approve", people.executive)
    act(core.engine, case_id, "record_forward_plan", people.contract_manager,
        inputs={"forward_plan_published_on": clock.today.isoformat()})  # fmt: skip
    remind_deadlines(core, schedule, clock.today + timedelta(days=22))  # its reminder is raised (7 days ahead)...
    act(core.engine, case_id, "reject", people.executive, reason="Re-tender instead")
    # ...and goes with the decision it reminded of.
    assert _contract_now(db, contract) == ("live", Decimal("480000"), date(2027, 6, 30))
    assert _deadline(db, case_id, "forward_plan") is None
    with db.reading() as session:
        reminder = session.scalars(
            select(Task).where(Task.case_id == case_id, Task.kind.contains("forward_plan"))
        ).one()
    assert (reminder.status, reminder.outcome) == (TaskStatus.DONE, "withdrawn")

    # A smaller change is the officers' alone, and the Executive's step is not in its route.
    propose("500000")
    assert approve_gate(core.engine, case_id, [people.head]).to_state == "live"
    assert _contract_now(db, contract) == ("live", Decimal("500000"), date(2027, 6, 30))
    with pytest.raises(InvalidAction):
        act(core.engine, case_id, "record_forward_plan", people.contract_manager,
            inputs={"forward_plan_published_on": clock.today.isoformat()})  # fmt: skip
    with db.reading() as session:
        events = session.scalars(
            select(AuditEvent.data).where(AuditEvent.case_id == case_id, AuditEvent.action == "propose_variation")
        ).all()
    assert [e["key_decision"].split(":")[0] for e in events] == [
        "key decision for CDC", "key decision for CDC", "not a key decision"
    ]  # fmt: skip
    with db.reading() as session:
        assert verify_chains(session).ok


def test_an_extension_adding_more_than_the_key_decision_figure_goes_to_the_executive(core, db, clock):
    """CDC: taking up an extension that costs over 50,000 is spending that much more, a key decision as a
    variation adding it would be; its approvers are those for the contract's value with the extension."""
    from provision_cycle.models import ApprovalStep

    people = hub_people(db, "CDC")
    contract = register_contract(
        core, people, value="400000", ends=date(2027, 3, 31), authority="CDC", extension_months_available=24
    )
    case_id = contract.case_id

    def propose(extend_to: str, cost: str) -> str:
        act(core.engine, case_id, "open_renewal_decision", people.contract_manager)
        inputs = {"extend_to": extend_to, "extension_value": cost}
        return act(core.engine, case_id, "propose_extension", people.contract_manager, inputs=inputs).to_state

    assert propose("2028-03-31", "200000") == "renewal_gate"
    with db.reading() as session:
        [officers] = session.scalars(
            select(ApprovalStep).where(ApprovalStep.case_id == case_id, ApprovalStep.gate == "renewal_gate")
        ).all()
        asked = session.scalar(select(OutboxMessage.body).where(OutboxMessage.kind == "approval_needed"))
    assert "value £600,000.00 is in band" in officers.reason  # 400,000 and the extension's 200,000
    assert (
        "Proposed: extend the contract to 31 March 2028 (it ends 31 March 2027 now), at a cost of £200,000.00 "
        "excluding VAT, which takes its value from £400,000.00 to £600,000.00. It is a key decision for CDC: the "
        "extension adds £200,000.00 to the contract's value"
    ) in asked
    published = clock.today
    act(core.engine, case_id, "record_forward_plan", people.contract_manager,
        inputs={"forward_plan_published_on": published.isoformat()})  # fmt: skip
    assert approve_gate(core.engine, case_id, [people.head]).to_state == "renewal_executive_decision"
    # Approved by the officers, the register has not moved: the Executive has still to decide.
    assert _contract_now(db, contract) == ("renewal_executive_decision", Decimal("400000"), date(2027, 3, 31))
    declare(core.engine, case_id, people.executive)
    with pytest.raises(GuardFailed, match="cannot be taken before"):
        act(core.engine, case_id, "approve", people.executive)
    clock.set(published + timedelta(days=29))
    act(core.engine, case_id, "approve", people.executive)
    assert _contract_now(db, contract) == ("extended", Decimal("600000"), date(2028, 3, 31))
    assert _deadline(db, case_id, "forward_plan").met_at is not None
    with db.reading() as session:
        assert session.get(Contract, contract.id).extension_months_available == 12
        assert session.get(Case, case_id).estimated_value == Decimal("600000")

    # A cheaper one is the officers' alone; one sent back is off the forward plan.
    assert propose("2028-09-30", "50000") == "renewal_gate"
    with pytest.raises(InvalidAction):
        act(core.engine, case_id, "record_forward_plan", people.contract_manager,
            inputs={"forward_plan_published_on": clock.today.isoformat()})  # fmt: skip
    act(core.engine, case_id, "return", people.head, reason="Ask the supplier for a better price")
    assert _contract_now(db, contract) == ("renewal_decision", Decimal("600000"), date(2028, 3, 31))
    assert act(core.engine, case_id, "propose_extension", people.contract_manager,
               inputs={"extend_to": "2028-09-30", "extension_value": "90000"}).to_state == "renewal_gate"  # fmt: skip
    act(core.engine, case_id, "record_forward_plan", people.contract_manager,
        inputs={"forward_plan_published_on": clock.today.isoformat()})  # fmt: skip
    act(core.engine, case_id, "reject", people.head, reason="Re-tender instead")
    assert _deadline(db, case_id, "forward_plan") is None
    with db.reading() as session:
        assert verify_chains(session).ok


def test_a_variation_before_its_approvers_can_be_withdrawn_and_the_contract_terminated(core, db, clock):
    from provision_cycle.models import ApprovalStep, StepStatus

    people = hub_people(db, "CDC")
    contract = register_contract(core, people, value="400000", ends=date(2027, 6, 30), authority="CDC")
    case_id = contract.case_id
    inputs = {"variation_description": "More depots", "new_value": "480000", "new_end_date": "2027-06-30"}

    def live_steps() -> list[str]:
        with db.reading() as session:
            live = select(ApprovalStep.gate).where(
                ApprovalStep.case_id == case_id, ApprovalStep.status.in_(StepStatus.live())
            )
            return list(session.scalars(live))

    propose_variation(core.engine, case_id, people.contract_manager, inputs)
    act(core.engine, case_id, "record_forward_plan", people.contract_manager,
        inputs={"forward_plan_published_on": clock.today.isoformat()})  # fmt: skip
    approve_gate(core.engine, case_id, [people.head])
    assert live_steps() == ["executive_decision"]
    with pytest.raises(InvalidInput):
        act(core.engine, case_id, "withdraw_variation", people.contract_manager)  # a reason is needed
    act(core.engine, case_id, "withdraw_variation", people.contract_manager, reason="The depot closed")
    assert _contract_now(db, contract) == ("live", Decimal("400000"), date(2027, 6, 30))
    assert live_steps() == [] and _deadline(db, case_id, "forward_plan") is None

    # The supplier fails while the next variation is before its approvers: the contract ends all the same.
    propose_variation(core.engine, case_id, people.contract_manager, inputs)
    act(core.engine, case_id, "record_forward_plan", people.contract_manager,
        inputs={"forward_plan_published_on": clock.today.isoformat()})  # fmt: skip
    act(core.engine, case_id, "terminate", people.contract_manager, reason="Supplier in administration",
        inputs={"terminated_on": clock.today.isoformat()})  # fmt: skip
    assert _contract_now(db, contract)[0] == "terminated" and live_steps() == []
    assert _deadline(db, case_id, "forward_plan") is None


def test_a_contract_expires_on_its_end_date_whatever_is_still_before_its_approvers(core, db, clock):
    """A variation (here a key decision, waiting for the Executive) not decided by the contract's end can no
    longer be made: the scheduler expires the contract, cancelling its steps and its forward plan date."""
    from provision_cycle.models import ApprovalStep, StepStatus

    people = hub_people(db, "CDC")
    contract = register_contract(core, people, value="400000", ends=date(2026, 3, 20), authority="CDC")
    case_id = contract.case_id
    inputs = {"variation_description": "Longer", "new_value": "480000", "new_end_date": "2027-03-20"}
    propose_variation(core.engine, case_id, people.contract_manager, inputs)
    act(core.engine, case_id, "record_forward_plan", people.contract_manager,
        inputs={"forward_plan_published_on": clock.today.isoformat()})  # fmt: skip
    approve_gate(core.engine, case_id, [people.head])
    clock.set(date(2026, 3, 19))
    assert expire_contracts(core, clock.today).changed == 0
    clock.set(date(2026, 3, 20))
    assert expire_contracts(core, clock.today).changed == 1
    assert _contract_now(db, contract) == ("expired", Decimal("400000"), date(2026, 3, 20))
    assert _deadline(db, case_id, "forward_plan") is None
    with db.reading() as session:
        statuses = session.scalars(select(ApprovalStep.status).where(ApprovalStep.case_id == case_id)).all()
    assert StepStatus.OPEN not in statuses and StepStatus.CANCELLED in statuses


def test_a_renewal_is_approved_at_the_level_of_the_contracts_value_now(core, db, clock):
    from provision_cycle.models import ApprovalStep

    people = hub_people(db)
    contract = _public_contract(core, people)  # 500,000 when its case opened
    inputs = {"variation_description": "Citywide", "new_value": "1100000", "new_end_date": "2028-06-30"}
    propose_variation(core.engine, contract.case_id, people.contract_manager, inputs)
    approve_gate(core.engine, contract.case_id, [people.head, people.director])
    record_notice(core, contract.case_id, people.officer, kind="contract_change_notice", published_on=clock.today)
    act(core.engine, contract.case_id, "make_variation", people.contract_manager)  # now worth 1,100,000
    act(core.engine, contract.case_id, "open_renewal_decision", people.contract_manager)
    act(core.engine, contract.case_id, "propose_exit", people.contract_manager)
    with db.reading() as session:
        roles = session.scalars(
            select(ApprovalStep.role).where(
                ApprovalStep.case_id == contract.case_id, ApprovalStep.gate == "renewal_gate"
            )
        ).all()
    assert sorted(roles) == ["director", "head_of_category"]
    with db.reading() as session:
        asked = session.scalars(
            select(OutboxMessage.body).where(OutboxMessage.kind == "approval_needed").order_by(OutboxMessage.id.desc())
        ).first()
    assert asked.endswith("Proposed: let the contract end on 30 June 2028.")


# --- Copies of a contract worth more than 5m, and of its modifications (PA23 s53(3), s77) ---------------------
def _contract_state(db, case_id: int) -> str:
    with db.reading() as session:
        return session.get(Case, case_id).state


def _modify(core, db, people, case_id: int, *, value: str) -> None:
    """A variation to ``value`` proposed, approved, its change notice recorded where owed, and made."""
    inputs = {"variation_description": "More roads", "new_value": value, "new_end_date": "2028-06-30"}
    propose_variation(core.engine, case_id, people.contract_manager, inputs)
    approve_open_steps(core.engine, db, people, case_id)
    if _contract_state(db, case_id) == "change_notice_pending":
        today = core.engine.today()
        record_notice(core, case_id, people.officer, kind="contract_change_notice", published_on=today)
        act(core.engine, case_id, "make_variation", people.contract_manager)
    assert _contract_state(db, case_id) == "live"


def _big_contract(core, db, clock, people) -> Contract:
    """A contract worth 5,000,000 (6,000,000 with VAT) let under the Act: signed 21 April 2026, its contract
    details notice published on 24 April."""
    from provision_cycle.services.performance import set_procurement_kpis

    case_id = award_open_procedure(core.engine, clock, people, value="5000000", award_value="5000000")
    set_procurement_kpis(core, case_id, people.officer, [], exemption="A one-off delivery: nothing to measure")
    enter_into_contract(core.engine, clock, people, case_id)
    with db.reading() as session:
        return session.scalars(select(Contract).where(Contract.procurement_case_id == case_id)).one()


def test_a_contract_worth_more_than_5m_is_itself_published_within_90_days(core, db, clock, schedule):
    people = hub_people(db)
    contract = _big_contract(core, db, clock, people)
    owed = _deadline(db, contract.case_id, "contract_copy")
    assert owed.due_on == date(2026, 7, 19) and owed.met_at is None  # 90 days beginning with 21 April
    assert "PA23 s53(3)" in owed.basis and "may be redacted (s94)" in owed.basis
    with db.reading() as session:
        signed = session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == contract.procurement_case_id).order_by(AuditEvent.seq.desc())
        ).first()
    assert signed.data["contract_copy_due"] == "2026-07-19"  # the procurement's record says what it left owed

    clock.set(date(2026, 7, 14))  # within the warning period: the contract manager's task
    assert remind_deadlines(core, schedule, clock.today).changed == 1
    with db.reading() as session:
        task = session.scalars(select(Task).where(Task.case_id == contract.case_id)).one()
    # Its contract manager (who asked for the procurement) has it.
    assert task.kind == "deadline:contract_copy" and task.assignee_id == people.requester
    assert task.title.endswith("Publish a copy of the contract") and task.due_on == date(2026, 7, 19)
    with pytest.raises(InvalidAction, match="Record the copy of the contract as published on its case"):
        complete_task(core, task.id, people.requester, outcome="done")

    record_notice(core, contract.case_id, people.officer, kind="contract_copy",
                  published_on=date(2026, 7, 9), notice_id="023456-2026")  # fmt: skip
    assert _deadline(db, contract.case_id, "contract_copy").met_at is not None
    with db.reading() as session:
        assert session.get(Task, task.id).status == TaskStatus.DONE
    with pytest.raises(InvalidAction, match="already recorded"):
        record_notice(core, contract.case_id, people.officer, kind="contract_copy", published_on=clock.today)

    package = _package(core, db, people.head, contract.case_id)
    assert _package_errors(package) == []
    [release] = package["releases"]
    assert release["tag"] == ["contractUpdate"]
    [document] = release["contracts"][0]["documents"]
    assert document["documentType"] == "contractSigned" and "noticeType" not in document  # a copy, not a notice
    assert document["datePublished"] == "2026-07-08T23:00:00Z" and document["description"].endswith("023456-2026")
    assert "amendments" not in release["contracts"][0]


def test_a_big_contract_loaded_into_the_register_within_its_90_days_is_owed_its_copy(core, db, clock):
    """The hub loads a contract entered into under the Act on 20 February 2026, worth 6m: its copy is due by
    20 May (PA23 s53(3)). Not one signed before the 90 days began, nor one whose signature the register does not
    give (a guessed date would raise a duty on a guess), nor a light-touch one (s53(5))."""
    people = hub_people(db)
    loaded = {
        signed: register_contract(
            core,
            people,
            value="6000000",
            starts=date(2026, 3, 1),
            ends=date(2029, 2, 28),
            signed_on=signed,
            contract_type=kind,
        )  # fmt: skip
        for signed, kind in (
            (date(2026, 2, 20), "services"),
            (date(2025, 11, 20), "services"),
            (None, "services"),
            (date(2026, 2, 19), "light_touch"),
        )
    }
    owed = _deadline(db, loaded[date(2026, 2, 20)].case_id, "contract_copy")
    assert owed.due_on == date(2026, 5, 20) and "20 February 2026 (contract entered into)" in owed.basis
    with db.reading() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == owed.case_id).order_by(AuditEvent.seq.desc())
        ).first()
    assert (event.action, event.data) == ("owe_contract_copy", {"deadlines": {"contract_copy": "2026-05-20"}})
    for signed in (date(2025, 11, 20), None, date(2026, 2, 19)):
        assert _deadline(db, loaded[signed].case_id, "contract_copy") is None


def test_a_contract_worth_5m_or_less_with_vat_is_not_itself_published(core, db, clock):
    people = hub_people(db)
    case_id = contract_from_open_procedure(core.engine, clock, people)  # 240,000
    with db.reading() as session:
        contract = session.scalars(select(Contract).where(Contract.procurement_case_id == case_id)).one()
    assert _deadline(db, contract.case_id, "contract_copy") is None


def test_a_modification_of_a_contract_worth_more_than_5m_is_published_within_90_days(core, db, clock):
    people = hub_people(db)
    contract = _public_contract(core, people, value="6000000")
    _modify(core, db, people, contract.case_id, value="6300000")  # +5%: within s75's limits, so not s77's
    assert _deadline(db, contract.case_id, "modification_copy") is None

    _modify(core, db, people, contract.case_id, value="7000000")  # +11%: a change notice, then the copy
    first = _deadline(db, contract.case_id, "modification_copy")
    assert first.due_on == clock.today + timedelta(days=89) and first.met_at is None and "PA23 s77" in first.basis

    # A second modification while the first's copy is owed: one copy of the contract as modified, published
    # after both, serves both, so the earlier date stands.
    clock.advance(days=20)
    _modify(core, db, people, contract.case_id, value="8000000")
    assert _deadline(db, contract.case_id, "modification_copy").due_on == first.due_on
    record_notice(core, contract.case_id, people.officer, kind="modification_copy", published_on=clock.today)

    clock.advance(days=30)  # the next modification owes its own copy
    _modify(core, db, people, contract.case_id, value="8900000")
    again = _deadline(db, contract.case_id, "modification_copy")
    assert again.due_on == clock.today + timedelta(days=89) and again.met_at is None

    package = _package(core, db, people.head, contract.case_id)
    assert _package_errors(package) == []
    copies = [r for r in package["releases"] if r["tag"] == ["contractUpdate"]]
    [copy] = copies
    assert copy["contracts"][0]["value"]["amount"] == 8000000.0 and "amendments" not in copy["contracts"][0]


def test_modifications_owe_no_copy_of_a_light_touch_contract_or_one_outside_the_act(core, db):
    people = hub_people(db)
    light_touch = register_contract(
        core, people, value="6000000", starts=date(2025, 7, 1), ends=date(2028, 6, 30), contract_type="light_touch"
    )
    legacy = register_contract(core, people, value="6000000", starts=date(2023, 7, 1), ends=date(2028, 6, 30))
    for contract in (light_touch, legacy):
        _modify(core, db, people, contract.case_id, value="7000000")  # +17%: no change notice for either
        assert _deadline(db, contract.case_id, "modification_copy") is None


def test_a_light_touch_contract_has_no_statutory_tender_period_or_standstill_and_120_days_for_its_notice(
    core, db, clock
):
    """PA23 s54(3), s51(3), s53(2) and s53(5): the Act's lighter touch after the award too."""
    from .factories import AWARD_INPUTS, new_request, tender_to_evaluation

    people, engine = hub_people(db), core.engine
    # Above the light-touch threshold (663,540 with VAT), so a public contract under the Act; over 5m too.
    case_id = new_request(engine, people.requester, value="6000000", contract_type="light_touch")
    act(engine, case_id, "submit", people.requester)
    # No statutory minimum tender period for a light-touch contract (s54(3)): 18 days here.
    tender_to_evaluation(engine, clock, people, case_id, closes=date(2026, 3, 20))
    clock.set(date(2026, 3, 23))
    act(engine, case_id, "recommend_award", people.officer, inputs={**AWARD_INPUTS, "award_value": "6000000"})
    approve_open_steps(engine, db, people, case_id)
    summaries = {"assessment_summaries_sent_on": "2026-03-23"}
    act(engine, case_id, "record_assessment_summaries", people.officer, inputs=summaries)
    act(engine, case_id, "publish_award_notice", people.officer, inputs={"award_notice_published_on": "2026-03-23"})
    assert _deadline(db, case_id, "standstill_end") is None  # voluntary for a light-touch contract
    clock.set(date(2026, 4, 20))
    signature = {"signed_on": "2026-04-20", "start_date": "2026-05-01", "end_date": "2029-04-30"}
    act(engine, case_id, "sign_contract", people.officer, inputs=signature)

    owed = _deadline(db, case_id, "contract_details_notice")
    assert owed.due_on == date(2026, 8, 17) and owed.basis.startswith("PA23 s53(2): within 120 days")
    clock.set(date(2026, 8, 3))
    act(engine, case_id, "publish_contract_details", people.officer,
        inputs={"contract_details_published_on": "2026-08-03"})  # fmt: skip
    with db.reading() as session:
        contract = session.scalars(select(Contract).where(Contract.procurement_case_id == case_id)).one()
    assert _deadline(db, contract.case_id, "contract_copy") is None  # though worth 7.2m with VAT (s53(5))
