"""Handing a contract to another contract manager: its open tasks go with it, both people hear, the case's
audit chain records it; only the category team or an administrator may do it, and only to someone who
holds the Contract Manager role for the contract's council and pillar."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from provision_cycle.errors import InvalidInput, NotPermitted
from provision_cycle.models import AuditEvent, Contract, OutboxMessage, Task, TaskStatus
from provision_cycle.services.contract_managers import assign_contract_manager, manager_choices
from provision_cycle.services.tasks import NewTask, complete_task, raise_task
from tests.factories import create_user, hub_people
from tests.web.helpers import seed_contracts


def _tasks(core, people, contract_id: int) -> dict[str, int]:
    """Three review tasks on the contract: one open for its manager, one they completed, one for someone else."""
    today = core.engine.today()
    ids = {}
    with core.db.unit_of_work() as session:
        for n, (name, assignee) in enumerate(
            (("open", people.contract_manager), ("done", people.contract_manager), ("covering", people.head))
        ):
            new = NewTask("contract_review", f"Review ({name})", today + timedelta(days=10 + n), assignee,
                          contract_id=contract_id)  # fmt: skip
            ids[name] = raise_task(core, session, new, actor_id=people.officer)
    complete_task(core, ids["done"], people.contract_manager, outcome="satisfactory")
    return ids


def test_handing_a_contract_over_takes_its_open_tasks_and_tells_both_people(core, db):
    people = hub_people(db)
    newcomer = create_user(db, ("contract_manager", "OCC", "cnc"), full_name="Nia Newcomer")
    [contract_id] = seed_contracts(core, people, 1)
    tasks = _tasks(core, people, contract_id)
    with core.db.unit_of_work() as session:  # a statutory notice its case owes, raised on the case
        case_id = session.get(Contract, contract_id).case_id
        owed = NewTask("deadline:contract_change_notice", "Publish the contract change notice", core.engine.today(),
                       people.contract_manager, case_id=case_id)  # fmt: skip
        tasks["owed"] = raise_task(core, session, owed, actor_id=people.officer)

    moved = assign_contract_manager(
        core, contract_id, people.officer, manager_id=newcomer, reason="Cora has moved post"
    )

    assert moved == 2
    with db.reading() as session:
        assert session.get(Contract, contract_id).contract_manager_id == newcomer
        owners = {name: session.get(Task, task_id) for name, task_id in tasks.items()}
        assert owners["open"].assignee_id == newcomer and owners["owed"].assignee_id == newcomer
        assert owners["done"].assignee_id == people.contract_manager and owners["done"].status == TaskStatus.DONE
        assert owners["covering"].assignee_id == people.head  # someone else's task is not the manager's to pass on
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "assign_contract_manager")).one()
        assert event.actor_id == people.officer and event.comment == "Cora has moved post"
        assert event.data == {"contract_id": contract_id, "from": people.contract_manager, "to": newcomer,
                              "tasks_handed_over": 2}  # fmt: skip
        told = dict(
            session.execute(
                select(OutboxMessage.recipient_id, OutboxMessage.subject).where(
                    OutboxMessage.kind == "contract_manager_changed"
                )
            ).all()
        )
    assert told[newcomer].startswith("You now manage CON-")
    assert told[people.contract_manager].endswith("is now managed by Nia Newcomer")


def test_only_the_category_team_or_an_administrator_may_hand_a_contract_over(core, db):
    people = hub_people(db)
    newcomer = create_user(db, ("contract_manager", "OCC", "cnc"))
    admin = create_user(db, ("administrator", "OCC"))
    [contract_id] = seed_contracts(core, people, 1)
    for outsider in (people.requester, people.contract_manager, people.finance):
        with pytest.raises(NotPermitted, match="category team for OCC, or an administrator"):
            assign_contract_manager(core, contract_id, outsider, manager_id=newcomer)
    with db.reading() as session:
        assert session.get(Contract, contract_id).contract_manager_id == people.contract_manager
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "assign_contract_manager")) is None
    assign_contract_manager(core, contract_id, admin, manager_id=newcomer)
    with db.reading() as session:
        assert session.get(Contract, contract_id).contract_manager_id == newcomer


def test_the_new_manager_must_hold_the_role_for_the_contracts_council_and_pillar(core, db):
    people = hub_people(db)
    other_pillar = create_user(db, ("contract_manager", "OCC", "eni"))
    other_council = create_user(db, ("contract_manager", "CDC", "cnc"))
    gone = create_user(db, ("contract_manager", "OCC", "cnc"), active=False)
    [contract_id] = seed_contracts(core, people, 1)
    for person in (other_pillar, other_council, gone, people.officer):
        with pytest.raises(InvalidInput) as refused:
            assign_contract_manager(core, contract_id, people.officer, manager_id=person)
        assert refused.value.fields == {
            "manager_id": "Choose someone who holds the Contract Manager role for this council and pillar"
        }
    with pytest.raises(InvalidInput, match="already manages this contract"):
        assign_contract_manager(core, contract_id, people.officer, manager_id=people.contract_manager)

    # A joint contract can go to a contract manager of either council.
    [joint_id] = seed_contracts(core, people, 1, authority="JOINT")
    with db.reading() as session:
        choices = {person.id for person in manager_choices(core, session, session.get(Contract, joint_id))}
    assert other_council in choices and people.contract_manager in choices and other_pillar not in choices
    assign_contract_manager(core, joint_id, people.officer, manager_id=other_council)


def test_a_manager_who_has_left_is_not_told_of_the_handover(core, db):
    from provision_cycle.services.people import set_active

    people = hub_people(db)
    admin = create_user(db, ("administrator", "OCC"))
    newcomer = create_user(db, ("contract_manager", "OCC", "cnc"))
    [contract_id] = seed_contracts(core, people, 1)
    set_active(core, people.contract_manager, False, actor_id=admin)
    assign_contract_manager(core, contract_id, people.officer, manager_id=newcomer, reason="Cora has left")
    with db.reading() as session:
        told = session.scalars(
            select(OutboxMessage.recipient_id).where(OutboxMessage.kind == "contract_manager_changed")
        ).all()
    assert told == [newcomer]


def test_a_leavers_running_contracts_go_to_one_manager_at_once_with_their_open_tasks(core, db):
    from provision_cycle.services.contract_managers import contracts_managed_by, hand_over_all

    people = hub_people(db)
    newcomer = create_user(db, ("contract_manager", "OCC", "cnc"), full_name="Nia Newcomer")
    first, second = seed_contracts(core, people, 2)
    _tasks(core, people, first)
    with db.reading() as session:
        actor = core.engine.actor(session, people.officer)
        assert [c.id for c in contracts_managed_by(core, session, people.contract_manager, actor)] == [first, second]
        outsider = core.engine.actor(session, people.requester)
        assert contracts_managed_by(core, session, people.contract_manager, outsider) == []  # not theirs to move

    # Someone who cannot take every one of them takes none.
    other_pillar = create_user(db, ("contract_manager", "OCC", "eni"))
    with pytest.raises(InvalidInput, match="for the council and pillar of every one of these contracts"):
        hand_over_all(core, people.contract_manager, people.officer, manager_id=other_pillar)
    with db.reading() as session:
        assert {session.get(Contract, c).contract_manager_id for c in (first, second)} == {people.contract_manager}

    assert hand_over_all(
        core, people.contract_manager, people.officer, manager_id=newcomer, reason="Cora has left"
    ) == (2, 1)
    with db.reading() as session:
        assert {session.get(Contract, c).contract_manager_id for c in (first, second)} == {newcomer}
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "assign_contract_manager")).all()
        assert sorted(e.case_id for e in events) == sorted(session.get(Contract, c).case_id for c in (first, second))
        told = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "contract_manager_changed")).one()
        assert told.recipient_id == newcomer and told.subject == "You now manage 2 more contracts"
        assert "1 open task came to you with them" in told.body and "Reason: Cora has left" in told.body


def test_a_contract_handed_over_ends_for_its_new_manager_too(core, db, clock):
    """Its case was opened for the manager it was loaded with: the expiry is told to the one managing it now."""
    from datetime import date

    from provision_cycle.scheduling.sweeps import expire_contracts
    from tests.factories import register_contract

    people = hub_people(db)
    newcomer = create_user(db, ("contract_manager", "OCC", "cnc"))
    contract = register_contract(core, people, value="40000", ends=date(2026, 3, 31))
    assign_contract_manager(core, contract.id, people.officer, manager_id=newcomer)
    clock.set(date(2026, 4, 1))
    assert expire_contracts(core, clock.today).changed == 1
    with db.reading() as session:
        told = session.execute(
            select(OutboxMessage.recipient_id, OutboxMessage.body).where(OutboxMessage.kind == "case_closed")
        ).all()
    assert sorted(told) == sorted((person, "'Highways maintenance' is now 'Expired'.")
                                  for person in (people.contract_manager, newcomer))  # fmt: skip


def test_the_contract_manager_is_named_when_the_contract_is_signed(core, db, clock, app):
    """Offered those who hold the Contract Manager role for its council and pillar, by name; the contract is
    theirs from handover (its requester's, where nobody is named); anyone else is refused, and nothing moves."""
    from datetime import date

    from provision_cycle.errors import InvalidInput
    from provision_cycle.models import Case
    from tests.factories import act, award_open_procedure
    from tests.web.conftest import Browser

    people = hub_people(db)
    case_id = award_open_procedure(core.engine, clock, people)
    clock.set(date(2026, 4, 21))
    act(core.engine, case_id, "end_standstill", people.officer)
    form = Browser(app, db).sign_in(people.officer).get(f"/cases/{case_id}/actions/sign_contract").text
    assert "Who will manage the contract?" in form
    assert re.search(rf'value="{people.contract_manager}"[^>]*>\s*<label[^>]*>\s*Cora Contracts', form)
    assert f'value="{people.requester}"' not in form  # not a contract manager
    signature = {"signed_on": "2026-04-21", "start_date": "2026-05-01", "end_date": "2029-04-30"}
    with pytest.raises(InvalidInput, match="Who will manage the contract"):
        act(core.engine, case_id, "sign_contract", people.officer,
            inputs={**signature, "contract_manager": str(people.requester)})  # fmt: skip
    act(core.engine, case_id, "sign_contract", people.officer,
        inputs={**signature, "contract_manager": str(people.contract_manager)})  # fmt: skip
    act(core.engine, case_id, "publish_contract_details", people.officer,
        inputs={"contract_details_published_on": "2026-04-24"})  # fmt: skip
    with db.reading() as session:
        contract = session.scalars(select(Contract).where(Contract.procurement_case_id == case_id)).one()
        assert contract.contract_manager_id == people.contract_manager
        assert session.get(Case, contract.case_id).requester_id == people.requester  # who asked for it
        told = session.execute(
            select(OutboxMessage.recipient_id, OutboxMessage.subject).where(
                OutboxMessage.kind == "contract_manager_named"
            )
        ).all()
    assert told == [(people.contract_manager, "You now manage the contract for Case management system")]
    # Whoever asked for it still sees the contract their request let (as they see its case), in the register too.
    requester = Browser(app, db).sign_in(people.requester)
    assert "Cora Contracts" in requester.get(f"/contracts/{contract.id}").text
    assert contract.reference in requester.get("/contracts/").text
    stranger = Browser(app, db).sign_in(create_user(db, ("requester", "OCC")))
    stranger.get(f"/contracts/{contract.id}", status=404)
    assert contract.reference not in stranger.get("/contracts/").text


def test_a_re_commissioning_is_taken_forward_by_whoever_proposed_it(core, db):
    """Its commissioning case is theirs (to prepare its business case and submit it), not the person the
    contract's case was opened for, who handed the contract over."""
    from datetime import date

    from provision_cycle.models import Case
    from tests.factories import act, approve_gate, register_contract

    people = hub_people(db)
    newcomer = create_user(db, ("contract_manager", "OCC", "cnc"), full_name="Nia Newcomer")
    contract = register_contract(core, people, value="40000", ends=date(2027, 3, 31))
    assign_contract_manager(core, contract.id, people.officer, manager_id=newcomer)
    act(core.engine, contract.case_id, "open_renewal_decision", newcomer)
    act(core.engine, contract.case_id, "propose_recommission", newcomer)
    [opened] = approve_gate(core.engine, contract.case_id, [people.manager]).opened_cases
    with db.reading() as session:
        commissioning = session.get(Case, opened)
        assert (commissioning.stage, commissioning.requester_id) == ("commissioning", newcomer)
    act(core.engine, opened, "start_options_appraisal", newcomer)  # theirs to take forward


def test_a_contract_s_case_page_names_who_manages_it_now(core, db, app):
    """Its summary is the contract as it stands (its value and term, not the case's estimate and proposed
    start), and names the person the case was opened for beside its contract manager only once that is
    someone else."""
    from datetime import date

    from tests.factories import register_contract
    from tests.web.conftest import Browser

    people = hub_people(db)
    newcomer = create_user(db, ("contract_manager", "OCC", "cnc"), full_name="Nia Newcomer")
    contract = register_contract(core, people, value="40000", starts=date(2025, 4, 1), ends=date(2028, 3, 31))
    officer = Browser(app, db).sign_in(people.officer)
    page = officer.get(f"/cases/{contract.case_id}").text
    assert "Requested by" not in page and re.search(r"Contract manager</dt>\s*<dd[^>]*>Cora Contracts</dd>", page)
    assert re.search(r"Total value excluding VAT</dt>\s*<dd[^>]*>£40,000.00</dd>", page)
    assert re.search(r"Runs</dt>\s*<dd[^>]*>1 April 2025 to 31 March 2028</dd>", page)
    assert "Estimated total value" not in page and "Proposed start" not in page
    assign_contract_manager(core, contract.id, people.officer, manager_id=newcomer)
    page = officer.get(f"/cases/{contract.case_id}").text
    assert re.search(r"Contract manager</dt>\s*<dd[^>]*>Nia Newcomer</dd>", page)
    assert re.search(r"Requested by</dt>\s*<dd[^>]*>Cora Contracts</dd>", page)


def test_a_leavers_ended_contract_still_owing_its_termination_notice_goes_with_the_rest(core, db, clock, schedule, app):
    """An expired public contract owes its termination notice (PA23 s80) to the manager it ended with: handing
    over all a leaver's contracts takes it too, or the task would wait on them until it fell overdue. An ended
    contract that owes them nothing keeps who managed it."""
    from datetime import date

    from provision_cycle.scheduling.sweeps import expire_contracts, remind_deadlines
    from provision_cycle.services.contract_managers import contracts_managed_by, hand_over_all
    from tests.factories import register_contract
    from tests.web.conftest import Browser

    people = hub_people(db)
    newcomer = create_user(db, ("contract_manager", "OCC", "cnc"), full_name="Nia Newcomer")
    ended_on = clock.today - timedelta(days=1)
    owing = register_contract(core, people, value="500000", starts=date(2025, 7, 1), ends=ended_on).id
    done_with = register_contract(core, people, value="50000", starts=date(2025, 7, 1), ends=ended_on,
                                  title="Grounds maintenance").id  # fmt: skip  # below threshold: no notice
    [running] = seed_contracts(core, people, 1)
    assert expire_contracts(core, clock.today).changed == 2
    clock.set(ended_on + timedelta(days=25))  # the notice falls due within the week
    assert remind_deadlines(core, schedule, clock.today).changed == 1
    with db.reading() as session:
        notice = session.scalars(select(Task).where(Task.kind == "deadline:termination_notice")).one()
        assert notice.assignee_id == people.contract_manager
        actor = core.engine.actor(session, people.officer)
        handed = contracts_managed_by(core, session, people.contract_manager, actor)
        assert sorted(c.id for c in handed) == sorted([owing, running])
    # The page says which of them has ended.
    page = Browser(app, db).sign_in(people.officer).get(f"/contracts/handover/{people.contract_manager}").text
    assert "manages 2 contracts that you can hand over" in page and "Grounds maintenance" not in page
    assert re.search(
        r"Highways maintenance</td>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*><strong[^>]*govuk-tag--grey[^>]*>Expired</strong>",
        page,
    )

    assert hand_over_all(core, people.contract_manager, people.officer, manager_id=newcomer) == (2, 1)
    with db.reading() as session:
        assert session.get(Task, notice.id).assignee_id == newcomer
        assert session.get(Contract, owing).contract_manager_id == newcomer
        assert session.get(Contract, done_with).contract_manager_id == people.contract_manager
