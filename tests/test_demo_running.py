"""The demo left running: the scheduler, run day after day over the demo's data, moves its cases on and raises
its tasks on the right days, once each, without a sweep failing."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlalchemy import func, select

from provision_cycle.audit import verify_chains
from provision_cycle.demo import seed
from provision_cycle.governance.calendar import add_working_days_beginning_with, next_working_day
from provision_cycle.models import AuditEvent, Case, Contract, Task, User
from provision_cycle.scheduling.runner import run_once

DAYS = 95  # from 2 March: past its competitive flexible procedure's participation and a contract's end


def test_the_demo_left_running_moves_on_and_raises_its_tasks_on_their_days(core, db, clock, tmp_path, caplog):
    core.settings = core.settings.with_overrides(instance_dir=tmp_path)  # development email goes to files here
    seed(core, cases=12, contracts=24)
    with db.reading() as session:
        flexible = session.scalars(
            select(Case).where(Case.state == "participation", Case.title == "Electric refuse collection vehicles")
        ).one()
        closes = date.fromisoformat(flexible.details["participation_closes_on"])
    run_once(core)  # what the seed's first run left is caught up with: from here on, a day at a time
    first_day, first_moment = clock.today, clock()
    seen_invitation_on = None
    with caplog.at_level(logging.ERROR, logger="provision_cycle.scheduling"):
        for _ in range(DAYS):
            clock.advance(days=1)
            today = clock.today
            run_once(core)
            with db.reading() as session:
                # Tender periods end the day after their closing date, through the engine.
                for case in session.scalars(select(Case).where(Case.state == "tendering")):
                    assert date.fromisoformat(case.details["tenders_close_on"]) >= today, case.reference
                # A contract reaches its end date and expires that day.
                sources = core.workflows.sources_of("expire")
                for contract, case in session.execute(
                    select(Contract, Case).join(Case, Case.id == Contract.case_id).where(Contract.end_date <= today)
                ):
                    assert case.state not in sources[(case.workflow, case.workflow_version)], contract.reference
                invitations = session.scalars(select(Task).where(Task.case_id == flexible.id)).all()
                if invitations and seen_invitation_on is None:
                    seen_invitation_on = today
            again = [result for result in run_once(core) if result.changed]  # a second run that day: nothing
            assert again == [], (today, again)
    assert not caplog.records, [record.getMessage() for record in caplog.records]
    assert first_day < closes < first_day + timedelta(days=DAYS)
    assert seen_invitation_on == closes + timedelta(days=1)  # the day after requests to participate close
    [invitation] = invitations
    assert invitation.due_on == add_working_days_beginning_with(next_working_day(closes), 10)
    # Its email went to its assignee (development mail is written to files), once.
    emails = [path.read_text() for path in (tmp_path / "mail").glob("*.eml")]
    told = [email for email in emails if f"Subject: {invitation.title}" in email]
    assert len(told) == 1 and "Assess them against the conditions of participation" in told[0]
    with db.reading() as session:
        assert verify_chains(session).problems == []
        moved = session.execute(
            select(AuditEvent.action, func.count())
            .join(User, User.id == AuditEvent.actor_id)
            .where(User.username == "system", AuditEvent.case_id.is_not(None), AuditEvent.at > first_moment)
            .group_by(AuditEvent.action)
        ).all()
        raised = session.execute(
            select(Task.kind, func.count()).where(Task.created_at > first_moment).group_by(Task.kind)
        ).all()
    # What the checks above watched happen, each at least once in the period: so that they are not empty.
    assert {"close_tenders", "expire"} <= dict(moved).keys(), moved
    assert {"renewal_decision", "contract_review", "invite_tenders"} <= dict(raised).keys(), raised
    assert dict(raised)["invite_tenders"] == 2  # its and the procedure reserved to supported employment's


def test_the_demo_has_someone_who_has_left_with_contracts_and_tasks_to_hand_over(core, db):
    """Paul Grey took over three OCC contracts of Environment and Infrastructure and has left, their tasks
    raised for him: the overview names both for the Head of Category, who may hand them over and pass them on."""
    from provision_cycle.services.overview import pipeline_overview

    seed(core, cases=2, contracts=200)
    with db.reading() as session:
        paul = session.scalars(select(User).where(User.username == "paul.grey.hub")).one()
        assert not paul.is_active
        managed = session.scalar(select(func.count()).where(Contract.contract_manager_id == paul.id))
        open_tasks = session.scalar(select(func.count()).where(Task.assignee_id == paul.id, Task.status == "open"))
        head = session.scalars(select(User.id).where(User.username == "owen.price.hub")).one()
        overview = pipeline_overview(core, session, core.engine.actor(session, head), core.engine.today())
    assert managed == 3 and open_tasks > 0
    assert [(left.manager, left.contracts) for left in overview.left_behind] == [("Paul Grey", 3)]
    assert [(left.person, left.tasks) for left in overview.tasks_left] == [("Paul Grey", open_tasks)]
