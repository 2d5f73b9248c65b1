"""A procurement's team and evaluation panel declare before the conflicts assessment, the notice and the
award recommendation (Procurement Act 2023 s81-83). On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from provision_cycle.errors import GuardFailed, InvalidInput, NotFound, NotPermitted
from provision_cycle.models import AuditEvent, Case, OutboxMessage, User
from provision_cycle.services.teams import add_team_member, conflicts_assessment_dates, remove_team_member, team_of

from .factories import act, approve_gate, create_user, declare, hub_people, new_request, publish_tender_notice

S83 = "Everyone on the procurement team must declare first (Procurement Act 2023 s83): "


@pytest.fixture
def people(db):
    return hub_people(db)


@pytest.fixture
def assessing(core, people):
    """A 250,000 procurement whose route is approved: the officer is to complete the conflicts assessment."""
    case_id = new_request(core.engine, people.requester, value="250000")
    act(core.engine, case_id, "submit", people.requester)
    approve_gate(core.engine, case_id, [people.head])
    declare(core.engine, case_id, people.officer)
    return case_id


def _team(db, case_id):
    with db.reading() as session:
        return [(m.name, m.part, m.declaration) for m in team_of(session, case_id)]


def test_the_assessment_waits_for_everyone_named_on_the_team_to_declare(core, db, people, assessing):
    evaluator = create_user(db, ("requester", "OCC"), full_name="Eva Evaluator")
    add_team_member(core, assessing, people.officer, user_id=people.manager, part="procurement")
    add_team_member(core, assessing, people.officer, user_id=evaluator, part="evaluation")
    assert _team(db, assessing) == [("Eva Evaluator", "evaluation", "none"), ("Max Manager", "procurement", "none")]

    with pytest.raises(GuardFailed) as refused:
        act(core.engine, assessing, "complete_conflicts_assessment", people.officer)
    assert refused.value.missing == [S83 + "Eva Evaluator and Max Manager have not declared their interests yet"]

    declare(core.engine, assessing, people.manager)
    core.engine.declare_interests(assessing, evaluator, has_conflict=True, details="My sister works for a bidder")
    with pytest.raises(GuardFailed) as refused:
        act(core.engine, assessing, "complete_conflicts_assessment", people.officer)
    assert refused.value.missing == [S83 + "Eva Evaluator declared a conflict of interest with no mitigation recorded"]

    core.engine.declare_interests(
        assessing, evaluator, has_conflict=True, details="My sister works for a bidder", mitigation="Not scoring lot 2"
    )
    assert _team(db, assessing) == [
        ("Eva Evaluator", "evaluation", "mitigated"),
        ("Max Manager", "procurement", "no_conflict"),
    ]
    act(core.engine, assessing, "complete_conflicts_assessment", people.officer)


def test_someone_named_after_the_assessment_must_declare_before_the_notice(core, db, people, assessing):
    act(core.engine, assessing, "complete_conflicts_assessment", people.officer)
    add_team_member(core, assessing, people.officer, user_id=people.finance, part="evaluation")
    with pytest.raises(GuardFailed, match="Fred Finance has not declared"):
        publish_tender_notice(core.engine, assessing, people.officer)
    declare(core.engine, assessing, people.finance)
    publish_tender_notice(core.engine, assessing, people.officer)


def test_a_member_who_has_left_does_not_hold_the_case_up(core, db, people, assessing):
    add_team_member(core, assessing, people.officer, user_id=people.legal, part="procurement")
    with db.unit_of_work() as session:
        session.execute(update(User).where(User.id == people.legal).values(is_active=False))
    act(core.engine, assessing, "complete_conflicts_assessment", people.officer)


def test_a_new_member_is_asked_to_declare_and_the_change_is_on_the_cases_audit_chain(core, db, people, assessing):
    add_team_member(core, assessing, people.manager, user_id=people.legal, part="procurement")
    remove_team_member(core, assessing, people.manager, user_id=people.legal)
    assert _team(db, assessing) == []
    with db.reading() as session:
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "team_member_added")).one()
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == assessing)).all()
    assert message.recipient_id == people.legal and message.subject.endswith("declare your interests")
    assert "procurement team" in message.body and "s81-83" in message.body
    assert actions[-2:] == ["add_team_member", "remove_team_member"]


def test_who_may_change_the_team_and_who_may_be_on_it(core, db, people, assessing):
    outsider = create_user(db, ("category_officer", "CDC", "cnc"), full_name="Carl Cherwell")
    with pytest.raises(NotPermitted, match="category team for OCC, or an administrator"):
        add_team_member(core, assessing, people.requester, user_id=people.legal, part="procurement")
    with pytest.raises(InvalidInput) as refused:
        add_team_member(core, assessing, people.officer, user_id=outsider, part="procurement")
    assert refused.value.fields == {"user_id": "Choose someone who works for OCC"}
    with pytest.raises(InvalidInput) as refused:
        add_team_member(core, assessing, people.officer, user_id=people.legal, part="caterer")
    assert refused.value.fields == {"part": "Choose the procurement team or the evaluation panel"}
    add_team_member(core, assessing, people.officer, user_id=people.legal, part="procurement")
    with pytest.raises(InvalidInput) as refused:
        add_team_member(core, assessing, people.officer, user_id=people.legal, part="evaluation")
    assert refused.value.fields == {"user_id": "They are already on the team"}
    with pytest.raises(NotFound):
        remove_team_member(core, assessing, people.officer, user_id=people.finance)


def test_someone_named_on_the_team_sees_the_case_while_they_are_on_it(core, db, people, assessing):
    """A service manager on the evaluation panel holds no role beyond raising requests: being named on the
    team is what lets them open the case, declare and evaluate; taken off, it is not theirs to see again."""
    from provision_cycle.models import Case
    from provision_cycle.services.reading import get_case_for, visible_cases

    manager = create_user(db, ("requester", "OCC"), full_name="Sue Service")

    def sees() -> tuple[bool, bool]:
        with db.reading() as session:
            actor = core.engine.actor(session, manager)
            listed = session.scalar(select(Case.id).where(Case.id == assessing, visible_cases(actor))) is not None
            try:
                get_case_for(session, actor, assessing)
            except NotFound:
                return listed, False
            return listed, True

    assert sees() == (False, False)
    add_team_member(core, assessing, people.officer, user_id=manager, part="evaluation")
    assert sees() == (True, True)
    remove_team_member(core, assessing, people.officer, user_id=manager)
    assert sees() == (False, False)


def test_the_conflicts_assessment_is_said_as_prepared_and_last_reviewed():
    """What a contract details notice under the Act confirms (s83); nothing where no assessment was made."""
    assert conflicts_assessment_dates(Case(details={})) == ""
    prepared = {"conflicts_assessment_completed_on": "2026-03-02"}
    assert conflicts_assessment_dates(Case(details=prepared)) == "prepared on 2 March 2026 and not reviewed since"
    reviewed = prepared | {"conflicts_assessment_reviewed_on": "2026-04-07"}
    assert conflicts_assessment_dates(Case(details=reviewed)) == (
        "prepared on 2 March 2026 and last reviewed on 7 April 2026"
    )
