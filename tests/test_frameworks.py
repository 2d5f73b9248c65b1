"""The frameworks register: frameworks kept by the category teams, a call-off made only under one running for
its council, keeping the law that framework was procured under, and awarded only while it runs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from provision_cycle.errors import ChangedMeanwhile, GuardFailed, InvalidInput, NotFound, NotPermitted
from provision_cycle.governance import statutory
from provision_cycle.models import AuditEvent, Case, Contract, Framework, OutboxMessage, Task
from provision_cycle.models.outbox import TASKS_RAISED
from provision_cycle.scheduling.config import schedule_for
from provision_cycle.scheduling.sweeps import remind_deadlines, remind_framework_reopenings
from provision_cycle.services import evaluation, frameworks, notifications, reading
from provision_cycle.services.evaluation import TenderGiven
from provision_cycle.services.frameworks import CallOff, FrameworkGiven
from provision_cycle.workflow.context import case_deadline
from provision_cycle.workflow.evaluation import evaluation_of

from .factories import (
    AWARD_INPUTS_UNDER_THE_PCR,
    act,
    approve_open_steps,
    called_off,
    create_user,
    hub_people,
    ready_for_the_market,
)
from .test_ocds import _package, _package_errors

TECHNOLOGY = FrameworkGiven(
    "Crown Commercial Service", "RM6098", "1", "Technology Products 2", "PCR2015", date(2021, 7, 1),
    date(2026, 12, 31), "JOINT", direct_award=True,
)  # fmt: skip


@pytest.fixture
def people(db):
    return hub_people(db)


def _given(**changes) -> FrameworkGiven:
    return FrameworkGiven(**{**TECHNOLOGY.__dict__, **changes})


def test_the_register_is_kept_by_the_category_teams_with_each_framework_s_law(core, db, people):
    with pytest.raises(InvalidInput) as refused:
        frameworks.record_framework(core, people.officer, _given(provider=" ", ends_on=date(2021, 6, 1), regime="x"))
    assert refused.value.fields == {
        "provider": "Enter who established it",
        "regime": "Choose the law it was procured under",
    }
    with pytest.raises(InvalidInput, match="It ends after it starts"):
        frameworks.record_framework(core, people.officer, _given(ends_on=date(2021, 6, 1)))
    with pytest.raises(InvalidInput) as refused:  # the service's own check, whoever calls it
        frameworks.record_framework(core, people.officer, _given(ends_on=date(9999, 12, 31)))
    assert refused.value.fields == {"ends_on": "9999-12-31 is not a plausible date: check the year"}
    with pytest.raises(InvalidInput, match="started before 24 February 2025 was procured under the Public Contracts"):
        frameworks.record_framework(core, people.officer, _given(regime="PA2023"))
    for outsider in (people.requester, people.finance):
        with pytest.raises(NotPermitted, match="Only a category team or an administrator"):
            frameworks.record_framework(core, outsider, TECHNOLOGY)
    framework_id = frameworks.record_framework(core, people.officer, TECHNOLOGY)
    with pytest.raises(InvalidInput, match="Crown Commercial Service RM6098 is in the register already"):
        frameworks.record_framework(core, people.officer, _given(title="Again"))
    frameworks.record_framework(
        core, people.officer, _given(ends_on=date(2027, 6, 30)), framework_id=framework_id, expected_version=1
    )
    with pytest.raises(ChangedMeanwhile, match="Someone corrected Crown Commercial Service RM6098 after you opened"):
        frameworks.record_framework(  # a second correction of what the first changed
            core, people.officer, _given(ends_on=date(2028, 6, 30)), framework_id=framework_id, expected_version=1
        )
    cdc = hub_people(db, "CDC")
    with db.reading() as session:
        [listed] = frameworks.frameworks_for(session, core.engine.actor(session, people.finance))
        assert listed.ends_on == date(2027, 6, 30) and listed.version == 2
        actions = [e.action for e in session.query(AuditEvent).filter(AuditEvent.stream == "system")]
        assert actions[-2:] == ["add_framework", "correct_framework"]
        assert frameworks.frameworks_for(session, core.engine.actor(session, cdc.finance)) == [listed]  # joint


def test_a_framework_s_term_is_as_long_as_its_law_allows(core, db, people):
    """Under the Act a framework runs four years at most (s47), an open framework eight (s49); under the PCR 2015
    a longer term is allowed in exceptional cases (reg 33(3)), so it is recorded and flagged."""
    under_the_act = _given(reference="YPO 1201", regime="PA2023", starts_on=date(2025, 4, 1), ends_on=date(2029, 4, 1))
    with pytest.raises(InvalidInput) as refused:
        frameworks.record_framework(core, people.officer, under_the_act)
    assert refused.value.fields == {
        "ends_on": "Under the Procurement Act 2023 a framework runs four years at most (s47): one that started on "
        "1 April 2025 ends by 31 March 2029"
    }
    with pytest.raises(
        InvalidInput, match="an open framework runs eight years at most .s49.: .* ends by 31 March 2033"
    ):
        frameworks.record_framework(core, people.officer, _given(**{**under_the_act.__dict__, "open_framework": True,
                                                                    "ends_on": date(2033, 4, 1)}))  # fmt: skip
    with pytest.raises(InvalidInput, match="An open framework is the Procurement Act 2023's"):
        frameworks.record_framework(core, people.officer, _given(open_framework=True))
    ids = [
        frameworks.record_framework(core, people.officer, given)
        for given in (
            _given(**{**under_the_act.__dict__, "ends_on": date(2029, 3, 31)}),
            _given(
                **{
                    **under_the_act.__dict__,
                    "reference": "YPO 1202",
                    "open_framework": True,
                    "ends_on": date(2033, 3, 31),
                }
            ),  # fmt: skip
            TECHNOLOGY,  # five and a half years, under the PCR 2015
            _given(reference="RM6099", starts_on=date(2022, 1, 1), ends_on=date(2025, 12, 31)),
        )
    ]
    with db.reading() as session:
        flagged = [frameworks.runs_past_the_usual_term(session.get(Framework, framework_id)) for framework_id in ids]
    assert flagged == [False, False, True, False]


def test_a_framework_s_fee_is_a_percentage_of_the_call_offs_awarded(core, db, people):
    """PA23 s45(7): a framework may charge a fee at a fixed percentage of each call-off's value."""
    for wrong in ("0", "12.345", "150", "one percent"):
        with pytest.raises(InvalidInput, match="Give the fee as a percentage of each call-off's value"):
            frameworks.record_framework(core, people.officer, _given(fee_percent=wrong))
    charging = frameworks.record_framework(core, people.officer, _given(fee_percent=" 1.5% "))
    free = frameworks.record_framework(core, people.officer, _given(reference="RM1", fee_percent=""))
    call_offs = [CallOff(None, "Handed over", Decimal("240000"), True), CallOff(None, "Evaluation", Decimal(9), False)]
    with db.reading() as session:
        charging, free = session.get(Framework, charging), session.get(Framework, free)
    assert (charging.fee_percent, frameworks.fee_as_written(charging)) == (Decimal("1.50"), "1.5")
    assert frameworks.fees_on(charging, call_offs) == Decimal("3600.00")  # on those awarded alone
    assert (free.fee_percent, frameworks.fees_on(free, call_offs)) == (None, None)


def test_a_call_off_follows_its_framework_s_law_and_is_awarded_while_it_runs(core, db, clock, people):
    """A call-off commenced in 2026 under a framework procured under the PCR 2015 stays under the PCR 2015
    (Find a Tender's notice rules): its case's regime follows the framework's. The Act's award duties for a
    public contract (the exclusion check, s57) then do not apply."""
    case_id = ready_for_the_market(core.engine, people, value="250000", route="framework_call_off")
    assert core.engine.not_yet(case_id, people.officer, ["start_call_off"])["start_call_off"] == (
        "No framework in the register is running today for this council: add the framework to the register "
        "(Contracts, Frameworks) before starting the call-off",
    )
    ended = frameworks.record_framework(core, people.officer, _given(reference="RM6068", ends_on=date(2026, 3, 1)))
    cdc_officer = hub_people(db, "CDC").officer
    for_cdc = frameworks.record_framework(core, cdc_officer, _given(reference="RM9999", authority="CDC"))
    running = frameworks.record_framework(core, people.officer, TECHNOLOGY)
    offer = core.engine.offers(case_id, people.officer, ["start_call_off"])["start_call_off"]
    choice = next(spec for spec in offer.inputs if spec.name == "framework")
    assert [code for code, _ in choice.options] == [str(running)]  # not the ended one, nor CDC's
    assert choice.options[0][1] == (
        "Crown Commercial Service RM6098 lot 1: Technology Products 2 (calls off to 31 December 2026; a direct award "
        "allowed)"
    )
    with pytest.raises(InvalidInput):
        act(
            core.engine,
            case_id,
            "start_call_off",
            people.officer,
            inputs={"framework": str(ended), "direct_call_off": True},
        )
    with pytest.raises(InvalidInput):
        act(
            core.engine,
            case_id,
            "start_call_off",
            people.officer,
            inputs={"framework": str(for_cdc), "direct_call_off": True},
        )
    act(
        core.engine,
        case_id,
        "start_call_off",
        people.officer,
        inputs={"framework": str(running), "direct_call_off": True},
    )
    with db.reading() as session:
        case = session.get(Case, case_id)
        assert (case.regime, case.route_plan["regime"]) == ("PCR2015", "PCR2015")
        assert case.route_plan["statutory_summary"].endswith(
            "As a call-off under Crown Commercial Service RM6098, procured under the Public Contracts "
            "Regulations 2015, it follows that framework's law."
        )
        [called_off] = frameworks.call_offs_under(session, session.get(frameworks.Framework, running))
        assert called_off.id == case_id

    act(core.engine, case_id, "complete_call_off_selection", people.officer)
    # No exclusion check is asked (a PCR 2015 call-off is no public contract under the Act); the award waits
    # only for the framework to be running.
    clock.set(date(2027, 1, 4))
    with pytest.raises(GuardFailed, match="RM6098 ended on 31 December 2026: no call-off can be awarded under it"):
        act(core.engine, case_id, "recommend_award", people.officer, inputs=AWARD_INPUTS_UNDER_THE_PCR)
    clock.set(date(2026, 12, 31))
    assert act(core.engine, case_id, "recommend_award", people.officer, inputs=AWARD_INPUTS_UNDER_THE_PCR).to_state == (
        "award_approval"
    )
    # Approved, it goes straight to signature: a call-off under a PCR 2015 framework needs no award notice of
    # its own (PCR 2015 reg 50(4)), and no standstill.
    approve_open_steps(core.engine, db, people, case_id)
    with db.reading() as session:
        case = session.get(Case, case_id)
        assert case.state == "contract_signature"
        assert case.details["for_approvers"].endswith(  # the approvers were told which framework
            "Called off under Crown Commercial Service RM6098 lot 1: Technology Products 2."
        )
    signature = {"signed_on": "2026-12-31", "start_date": "2027-01-04", "end_date": "2029-01-03"}
    act(core.engine, case_id, "sign_contract", people.officer, inputs=signature)
    # What it owes then is the PCR 2015's: the award on Contracts Finder, within a reasonable time (reg 108(1)(b)),
    # no contract award notice of its own (reg 50(4)); its reminder says so.
    with db.reading() as session:
        owed = case_deadline(session, case_id, "contract_details_notice")
        assert (owed.due_on, statutory.deadline_name(owed.kind, "PCR2015")) == (
            date(2027, 3, 31),
            "Contract award notice (PCR 2015)",
        )
        assert owed.basis.startswith("PCR 2015 reg 108(1)(b), a call-off under a framework agreement: the award on")
    remind_deadlines(core, schedule_for(core), date(2027, 3, 30))
    with db.reading() as session:
        task = session.scalars(select(Task).where(Task.case_id == case_id)).one()
        assert task.title.endswith(": Publish the contract award notice (PCR 2015)")
    details = {"contract_details_published_on": "2026-12-31"}
    assert act(core.engine, case_id, "publish_contract_details", people.officer, inputs=details).to_state == (
        "handed_over"
    )
    with db.reading() as session:
        contract = session.scalars(select(Contract).where(Contract.procurement_case_id == case_id)).one()
        assert contract.regime == "PCR2015"
        under_it = frameworks.call_offs_under(session, session.get(Framework, running))
        [call_off] = frameworks.what_was_called_off(under_it, core.workflows)  # what it is worth, for any fee
    assert (call_off.now_at, call_off.value, call_off.awarded) == ("Handed to contract management", 240000, True)
    # Its notice, as open data: under the PCR 2015 (no UK profile notice type), naming its framework.
    package = _package(core, db, people.head, case_id)
    assert _package_errors(package) == []
    [release] = package["releases"]
    assert release["relatedProcesses"] == [
        {
            "id": "framework",
            "relationship": ["framework"],
            "title": "Crown Commercial Service RM6098 lot 1: Technology Products 2",
            "identifier": "RM6098",
        }
    ]
    [document] = release["tender"]["documents"]
    assert (document.get("noticeType"), document["documentType"], document["title"]) == (
        None,
        "awardNotice",
        "Contract award notice (Public Contracts Regulations 2015)",
    )
    assert release["tender"]["legalBasis"] == {"scheme": "CELEX", "id": "32014L0024"}


def test_a_call_off_takes_tenders_from_the_framework_s_suppliers_and_goes_to_one(core, db, clock, people):
    """Where the register lists a framework's suppliers, a call-off's tender from any other supplier is not
    assessed, and its award, with tenders recorded or without (a direct call-off), goes to one of them."""
    with pytest.raises(InvalidInput, match="'ACME LIMITED' is 'Acme Ltd' again: list each supplier once"):
        frameworks.record_framework(core, people.officer, _given(suppliers=["Acme Ltd", "Bodge IT", "ACME LIMITED"]))
    framework_id = frameworks.record_framework(core, people.officer, _given(suppliers=[" Acme Ltd ", "Bodge IT", ""]))
    with db.reading() as session:
        assert session.get(Framework, framework_id).suppliers == ["Acme Ltd", "Bodge IT"]

    competed = called_off(core.engine, people, framework_id, directly=False)  # a further competition
    for name in ("ACME LIMITED", "Cheapo Computers"):
        evaluation.record_tender(
            core, competed, people.officer, TenderGiven(name, "", True, False, "200000", date(2026, 3, 2))
        )
    with db.reading() as session:
        why = {
            s.tender.supplier_name: s.tender.not_assessed_because for s in evaluation_of(session, competed).standings
        }
    assert why == {
        "ACME LIMITED": "",
        "Cheapo Computers": "Not a supplier on the framework Crown Commercial Service RM6098 lot 1 (a call-off goes "
        "to one)",
    }
    cheapo = {**AWARD_INPUTS_UNDER_THE_PCR, "supplier_name": "Cheapo Computers"}
    with pytest.raises(
        GuardFailed, match="Cheapo Computers is not a supplier on Crown Commercial Service RM6098 lot 1"
    ):
        act(
            core.engine, called_off(core.engine, people, framework_id), "recommend_award", people.officer, inputs=cheapo
        )
    assert act(
        core.engine, competed, "recommend_award", people.officer, inputs=AWARD_INPUTS_UNDER_THE_PCR
    ).to_state == ("award_approval")


def test_a_call_off_is_awarded_directly_only_where_its_framework_provides_for_it(core, db, clock, people):
    """PA23 s45(3)-(4): after a further competition among the framework's suppliers (its tenders recorded
    before the award), or directly where the framework sets out the core terms and an objective way to choose
    the supplier, or has a single supplier."""
    competing_only = frameworks.record_framework(core, people.officer, _given(reference="RM1", direct_award=False))
    one_supplier = frameworks.record_framework(
        core, people.officer, _given(reference="RM2", direct_award=False, suppliers=["Acme Ltd"])
    )
    case_id = ready_for_the_market(core.engine, people, value="250000", route="framework_call_off")
    offer = core.engine.offers(case_id, people.officer, ["start_call_off"])["start_call_off"]
    assert [label for _, label in next(s for s in offer.inputs if s.name == "framework").options] == [
        "Crown Commercial Service RM1 lot 1: Technology Products 2 (calls off to 31 December 2026)",
        "Crown Commercial Service RM2 lot 1: Technology Products 2 (calls off to 31 December 2026; a direct award "
        "allowed)",
    ]
    directly = {"framework": str(competing_only), "direct_call_off": True}
    with pytest.raises(GuardFailed, match="RM1 lot 1 does not provide for a call-off without a further competition"):
        act(core.engine, case_id, "start_call_off", people.officer, inputs=directly)
    act(core.engine, case_id, "start_call_off", people.officer, inputs={**directly, "direct_call_off": False})
    act(core.engine, case_id, "complete_call_off_selection", people.officer)
    with pytest.raises(GuardFailed, match="Record the tenders the framework's suppliers sent in the further compet"):
        act(core.engine, case_id, "recommend_award", people.officer, inputs=AWARD_INPUTS_UNDER_THE_PCR)
    evaluation.record_tender(
        core, case_id, people.officer, TenderGiven("Acme Ltd", "", True, False, "240000", clock().date())
    )
    assert (
        act(core.engine, case_id, "recommend_award", people.officer, inputs=AWARD_INPUTS_UNDER_THE_PCR).to_state
        == "award_approval"
    )

    single = called_off(core.engine, people, one_supplier)
    assert (
        act(core.engine, single, "recommend_award", people.officer, inputs=AWARD_INPUTS_UNDER_THE_PCR).to_state
        == "award_approval"
    )


def test_a_call_off_under_a_framework_procured_under_the_act_stays_under_it(core, db, people):
    case_id = ready_for_the_market(core.engine, people, value="250000", route="framework_call_off")
    under_the_act = _given(reference="YPO 1201", regime="PA2023", starts_on=date(2025, 6, 1), ends_on=date(2029, 5, 31))
    framework_id = frameworks.record_framework(core, people.officer, under_the_act)
    act(
        core.engine,
        case_id,
        "start_call_off",
        people.officer,
        inputs={"framework": str(framework_id), "direct_call_off": True},
    )
    with db.reading() as session:
        case = session.get(Case, case_id)
        assert case.regime == "PA2023" and "follows that framework" not in case.route_plan["statutory_summary"]


HOME_CARE = FrameworkGiven(
    "Oxfordshire County Council", "OCC-HC-01", "", "Home care", "PA2023", date(2025, 6, 2), date(2033, 6, 1), "OCC",
    open_framework=True, council_established=True, suppliers=("Acme Care", "Bright Homes"),
)  # fmt: skip


def test_an_open_framework_is_re_opened_and_its_keeper_given_the_task_in_time(core, db, clock, people):
    """An open framework the council established is re-opened within three years of its first award, then
    within five of the latest (PA23 s49(2)(a)): the person who recorded it is given the task 90 days before,
    once, a statutory one due on the last day; a re-opening records the next framework's award and its
    suppliers, who become the register's list, completes the task and moves the date on. A buying
    organisation's open framework is its own to re-open: nobody here is given a task for it."""
    framework_id = frameworks.record_framework(core, people.officer, HOME_CARE)
    theirs = frameworks.record_framework(core, people.officer, _given(**{**HOME_CARE.__dict__, "reference": "CCS-1",
                                                                         "council_established": False}))  # fmt: skip
    closed = frameworks.record_framework(core, people.officer, TECHNOLOGY)
    with pytest.raises(InvalidInput, match="Only an open framework is re-opened"):
        frameworks.record_reopening(core, closed, people.officer, date(2026, 1, 5), [])

    def remind(on: date) -> int:
        return remind_framework_reopenings(core, schedule_for(core), on).changed

    assert remind(date(2028, 3, 2)) == 0  # 91 days before 1 June 2028
    assert (remind(date(2028, 3, 3)), remind(date(2028, 3, 3))) == (1, 0)
    with db.reading() as session:
        task = session.scalars(select(Task).where(Task.kind == "framework_reopening")).one()
        sent = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == TASKS_RAISED)).all()
    assert (task.title, task.assignee_id, task.framework_id, task.due_on, task.case_id) == (
        "Re-open Oxfordshire County Council OCC-HC-01",
        people.officer,
        framework_id,
        date(2028, 6, 1),
        None,
    )
    assert "by 1 June 2028 (" in task.detail and "PA23 s49(2)(a)(i)" in task.detail and task.statutory
    assert [m.recipient_id for m in sent] == [people.officer]

    clock.set(date(2028, 5, 1))
    for awarded_on, refused in (
        (date(2028, 5, 2), "Record a re-opening once its framework is awarded: the date is in the future"),
        (date(2025, 6, 2), "A re-opening comes after the framework's latest award, on 2 June 2025"),
        (None, "Enter the date the framework was awarded on re-opening"),
    ):
        with pytest.raises(InvalidInput, match=refused):
            frameworks.record_reopening(core, framework_id, people.officer, awarded_on, ["Acme Care"])
    with pytest.raises(NotFound):
        frameworks.record_reopening(core, framework_id, people.requester, date(2028, 5, 1), ["Acme Care"])
    # Awarded to a single supplier, the framework and the scheme end within four years of that award (s49(6)).
    with pytest.raises(InvalidInput, match=r"within four years of that award \(Procurement Act 2023 s49\(6\)\): by 30"):
        frameworks.record_reopening(core, framework_id, people.officer, date(2028, 5, 1), ["Acme Care"])
    with pytest.raises(InvalidInput, match="by 1 June 2029, not 1 June 2033"):
        frameworks.record_framework(core, people.officer, _given(**{**HOME_CARE.__dict__, "reference": "ONE",
                                                                    "suppliers": ("Acme Care",)}))  # fmt: skip
    suppliers = ["Acme Care", "Bright Homes", "Carewell Ltd"]
    frameworks.record_reopening(core, framework_id, people.officer, date(2028, 5, 1), suppliers, expected_version=1)
    with pytest.raises(ChangedMeanwhile):
        frameworks.record_reopening(core, framework_id, people.officer, date(2028, 5, 1), suppliers, expected_version=1)
    with db.reading() as session:
        framework = session.get(Framework, framework_id)
        reopenings = frameworks.reopenings_of(session, framework_id)
        assert (framework.suppliers, framework.version) == (suppliers, 2)
        assert frameworks.scheme_of(framework, reopenings) == [
            frameworks.SchemeAward(date(2025, 6, 2), 2, None),
            frameworks.SchemeAward(date(2028, 5, 1), 3, 1),
        ]
        due = frameworks.reopening_due(framework, [r.awarded_on for r in reopenings])
        assert due.due_on == date(2033, 4, 30)
        # The task is done, and shows as done on its keeper's list of notifications.
        done = session.get(Task, task.id)
        assert (done.status, done.outcome, done.completed_by_id) == ("done", "reopened", people.officer)
        reader = core.engine.actor(session, people.officer)
        assert notifications.answered(core.engine, session, reader, sent) == {message.id for message in sent}
        assert frameworks.reopening_due(session.get(Framework, theirs), []).due_on == date(2028, 6, 1)
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(2)).all()
        assert [(e.action, e.data.get("awarded_on"), e.data.get("outcome")) for e in reversed(events)] == [
            ("reopen_framework", "2028-05-01", None),
            ("complete_task", None, "reopened"),
        ]
    # A correction cannot contradict the scheme's re-openings.
    for changes, refused in (
        ({"open_framework": False, "ends_on": date(2029, 6, 1)}, "It was re-opened on 1 May 2028: it is an open"),
        ({"starts_on": date(2028, 6, 1), "ends_on": date(2032, 5, 31)}, "its first framework was awarded before"),
        ({"ends_on": date(2028, 4, 30)}, "It was re-opened on 1 May 2028: it runs on past that"),
    ):
        with pytest.raises(InvalidInput, match=refused):
            given = _given(**{**HOME_CARE.__dict__, "suppliers": tuple(suppliers), **changes})
            frameworks.record_framework(core, people.officer, given, framework_id=framework_id)
    assert remind(date(2033, 2, 1)) == 1  # the next date, once; never the buying organisation's
    with db.reading() as session:
        raised = session.execute(select(Task.framework_id, Task.due_on).where(Task.kind == "framework_reopening"))
        assert sorted(raised) == [(framework_id, date(2028, 6, 1)), (framework_id, date(2033, 4, 30))]
    assert theirs != framework_id


def test_a_framework_s_re_opening_goes_to_a_head_of_category_when_its_recorder_has_left_and_escalates(
    core, db, clock, people
):
    """Whoever recorded the framework has left: a head of category of its council is given the re-opening,
    told why; their colleagues in any pillar's category team may act on it, nobody outside; overdue, it is
    escalated to the council's heads of category; and it can be closed as not to be re-opened, saying so."""
    from provision_cycle.models import User
    from provision_cycle.scheduling.sweeps import escalate_overdue_tasks
    from provision_cycle.services.tasks import complete_task, may_act_on_task

    framework_id = frameworks.record_framework(core, people.officer, HOME_CARE)
    with db.unit_of_work() as session:
        session.get(User, people.officer).is_active = False
    clock.set(date(2028, 3, 3))
    assert remind_framework_reopenings(core, schedule_for(core), clock.today).changed == 1
    other_pillar = create_user(db, ("category_officer", "OCC", "eni"))
    cdc = create_user(db, ("category_officer", "CDC", "cnc"))
    with db.reading() as session:
        task = session.scalars(select(Task).where(Task.framework_id == framework_id)).one()
        assert task.assignee_id == people.head
        assert task.detail.startswith("Whoever recorded this framework no longer works here, so it comes to you as")
        assert may_act_on_task(core.engine.actor(session, other_pillar), task, None)
        assert not may_act_on_task(core.engine.actor(session, cdc), task, None)
        # ... and find it among their team's tasks, to cover for the head who has it.
        covering = reading.team_tasks(session, core.engine.actor(session, other_pillar))
        assert [(t.task.id, t.assignee) for t in covering] == [(task.id, "Hana Head")]
        assert reading.team_tasks(session, core.engine.actor(session, cdc)) == []
    clock.set(date(2028, 6, 9))  # a week past its due date, untouched
    assert escalate_overdue_tasks(core, schedule_for(core), clock.today).changed == 1
    with db.reading() as session:
        told = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "task_overdue")).all()
    assert [(m.recipient_id, m.subject) for m in told] == [
        (people.head, "Overdue: Re-open Oxfordshire County Council OCC-HC-01")
    ]
    complete_task(core, task.id, other_pillar, outcome="not_reopening", note="The service moves in-house in 2029")
    with db.reading() as session:
        done = session.get(Task, task.id)
        assert (done.status, done.outcome, done.outcome_note) == (
            "done",
            "not_reopening",
            "The service moves in-house in 2029",
        )
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
        assert (event.stream, event.action, event.data["task_id"]) == ("system", "complete_task", task.id)


TRANSPORT_DPS = FrameworkGiven(
    "Oxfordshire County Council", "OCC-DPS-7", "", "Passenger transport", "PCR2015", date(2022, 4, 1),
    date(2028, 3, 31), "OCC", dps=True, suppliers=("Acme Travel", "Bodge Coaches"),
)  # fmt: skip


def test_a_contract_under_a_pcr_dynamic_purchasing_system_follows_reg_34(core, db, clock, people):
    """A dynamic purchasing system established under the PCR 2015 runs on under them to 23 February 2029 at
    the latest; its contracts go to a competition among its admitted suppliers, never directly, with no charge
    to them (reg 34); each is under the PCR 2015, with no standstill (reg 86(5)), and owes a contract award
    notice within 30 days after the award (reg 50(5)), not the 90 days of a framework call-off's publication."""
    for changes, field, refused in (
        ({"regime": "PA2023", "starts_on": date(2025, 4, 1)}, "dps", "is a dynamic market"),
        ({"ends_on": date(2029, 3, 1)}, "ends_on", "runs to 23 February 2029 at the latest"),
        ({"direct_award": True}, "direct_award", "after a competition among its admitted suppliers"),
        ({"fee_percent": "1"}, "fee_percent", "No charge may be made to the suppliers"),
    ):
        with pytest.raises(InvalidInput) as error:
            frameworks.record_framework(core, people.officer, _given(**{**TRANSPORT_DPS.__dict__, **changes}))
        assert refused in error.value.fields[field]
    dps_id = frameworks.record_framework(core, people.officer, TRANSPORT_DPS)
    case_id = ready_for_the_market(core.engine, people, value="250000", route="framework_call_off")
    with pytest.raises(GuardFailed, match="is a dynamic purchasing system: a contract under it goes to a competition"):
        act(core.engine, case_id, "start_call_off", people.officer,
            inputs={"framework": str(dps_id), "direct_call_off": True})  # fmt: skip
    act(core.engine, case_id, "start_call_off", people.officer,
        inputs={"framework": str(dps_id), "direct_call_off": False})  # fmt: skip
    act(core.engine, case_id, "complete_call_off_selection", people.officer)
    for supplier, price in (("Acme Travel", "230000"), ("Bodge Coaches", "240000")):
        given = TenderGiven(supplier, "", True, False, price, core.engine.today())
        evaluation.record_tender(core, case_id, people.officer, given)
    act(core.engine, case_id, "recommend_award", people.officer, inputs={**AWARD_INPUTS_UNDER_THE_PCR, "supplier_name": "Acme Travel",
                                                                          "award_value": "230000"})  # fmt: skip
    approve_open_steps(core.engine, db, people, case_id)
    with db.reading() as session:
        assert (session.get(Case, case_id).state, session.get(Case, case_id).regime) == (
            "contract_signature",  # no standstill (reg 86(5))
            "PCR2015",
        )
    signature = {"signed_on": "2026-03-02", "start_date": "2026-04-01", "end_date": "2028-03-31"}
    act(core.engine, case_id, "sign_contract", people.officer, inputs=signature)
    with db.reading() as session:
        owed = case_deadline(session, case_id, "contract_details_notice")
    assert owed.due_on == date(2026, 4, 1)
    assert owed.basis.startswith("PCR 2015 reg 50(5)(a): a contract award notice on Find a Tender within 30 days")
