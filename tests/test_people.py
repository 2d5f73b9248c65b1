"""Administrators look after their own council's people: roles are given, taken and accounts closed only by an
administrator of the council concerned, and nobody gives themselves a role."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from provision_cycle.errors import NotPermitted
from provision_cycle.models import AuditEvent, RoleAssignment, User
from provision_cycle.services.people import Grant, create_user, grant_role, revoke_role, set_active
from tests.factories import create_user as make_person


def _roles(db, user_id: int) -> set[tuple]:
    with db.reading() as session:
        return {
            (r.role, r.authority, r.pillar) for r in session.scalars(select(RoleAssignment).filter_by(user_id=user_id))
        }


def test_an_administrator_gives_and_takes_roles_only_in_their_own_council(core, db):
    occ_admin = make_person(db, ("administrator", "OCC"), full_name="Ada Oxford")
    cdc_admin = make_person(db, ("administrator", "CDC"), full_name="Carl Cherwell")
    hub_officer = make_person(db, ("category_officer", "OCC", "cnc"), ("category_officer", "CDC", "cnc"))

    grant_role(core, hub_officer, Grant("requester", "OCC"), actor_id=occ_admin)
    with pytest.raises(NotPermitted, match="Only an administrator of CDC can change its roles: you administer OCC"):
        grant_role(core, hub_officer, Grant("s151_officer", "CDC"), actor_id=occ_admin)
    with db.reading() as session:
        cdc_role = session.scalars(
            select(RoleAssignment).filter_by(user_id=hub_officer, authority="CDC", role="category_officer")
        ).one()
    with pytest.raises(NotPermitted, match="Only an administrator of CDC"):
        revoke_role(core, hub_officer, cdc_role.id, actor_id=occ_admin)
    revoke_role(core, hub_officer, cdc_role.id, actor_id=cdc_admin)
    assert _roles(db, hub_officer) == {("category_officer", "OCC", "cnc"), ("requester", "OCC", None)}

    # A new person's first roles follow the same rule (the CLI, run on the server, sets councils up).
    with pytest.raises(NotPermitted, match="Only an administrator of CDC"):
        create_user(
            core, username="x.y", full_name="X Y", email="x@example.gov.uk", password=None,
            grants=[Grant("requester", "CDC")], actor_id=occ_admin,
        )  # fmt: skip
    with db.reading() as session:
        assert session.scalar(select(User.id).filter_by(username="x.y")) is None
        granted = session.scalars(select(AuditEvent.action).where(AuditEvent.stream == "system")).all()
    assert granted.count("grant_role") == 1 and granted.count("revoke_role") == 1  # nothing refused left a trace


def test_nobody_gives_themselves_a_role(core, db):
    admin = make_person(db, ("administrator", "OCC"))
    with pytest.raises(NotPermitted, match="You cannot give yourself a role"):
        grant_role(core, admin, Grant("s151_officer", "OCC"), actor_id=admin)
    assert _roles(db, admin) == {("administrator", "OCC", None)}


def test_either_council_can_close_the_account_of_someone_who_works_for_both_but_not_of_the_others_staff(core, db):
    occ_admin = make_person(db, ("administrator", "OCC"))
    hub_officer = make_person(db, ("category_officer", "OCC", "cnc"), ("category_officer", "CDC", "cnc"))
    cherwell_only = make_person(db, ("finance", "CDC"), full_name="Raj Cherwell")
    with pytest.raises(NotPermitted, match="Only an administrator of CDC can change whether Raj Cherwell can sign in"):
        set_active(core, cherwell_only, False, actor_id=occ_admin)
    set_active(core, hub_officer, False, actor_id=occ_admin)
    with db.reading() as session:
        assert session.get(User, cherwell_only).is_active and not session.get(User, hub_officer).is_active


def test_an_administrator_sees_their_own_councils_people_and_those_with_no_role_not_the_others_staff(core, db):
    from provision_cycle.errors import NotFound
    from provision_cycle.services.people import people_looked_after, person_looked_after

    occ_admin = make_person(db, ("administrator", "OCC"), full_name="Ada Oxford")
    cdc_admin = make_person(db, ("administrator", "CDC"), full_name="Carl Cherwell")
    occ_officer = make_person(db, ("category_officer", "OCC", "cnc"), full_name="Olive OCC")
    cdc_officer = make_person(db, ("category_officer", "CDC", "cnc"), full_name="Cyril CDC")
    hub_officer = make_person(
        db, ("category_officer", "OCC", "cnc"), ("category_officer", "CDC", "cnc"), full_name="Hana Hub"
    )
    leaver = make_person(db, ("requester", "CDC"), full_name="Lee Leaver")
    with db.reading() as session:
        last_role = session.scalars(select(RoleAssignment).filter_by(user_id=leaver)).one()
    revoke_role(core, leaver, last_role.id, actor_id=cdc_admin)

    with db.reading() as session:
        occ = people_looked_after(session, core.engine.actor(session, occ_admin))
        cdc = people_looked_after(session, core.engine.actor(session, cdc_admin))
        assert [p.full_name for p in occ.people] == ["Ada Oxford", "Hana Hub", "Lee Leaver", "Olive OCC"]
        assert [p.full_name for p in cdc.people] == ["Carl Cherwell", "Cyril CDC", "Hana Hub", "Lee Leaver"]
        assert occ.councils == ["OCC"]
        # The joint officer's roles in both councils are shown: they are one person working for both.
        assert {(r.role, r.authority) for r in occ.roles[hub_officer]} == {
            ("category_officer", "OCC"),
            ("category_officer", "CDC"),
        }
        assert person_looked_after(session, core.engine.actor(session, occ_admin), occ_officer).id == occ_officer
        with pytest.raises(NotFound, match="among the people you administer"):
            person_looked_after(session, core.engine.actor(session, occ_admin), cdc_officer)


def test_passwords_are_hashed_with_argon2id_at_full_cost():
    # The tests' people sign in with a cheaply hashed password (tests/web/conftest.py); the service never does.
    from provision_cycle.services.people import check_password, hash_password

    hashed = hash_password("correct horse battery staple")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert check_password(hashed, "correct horse battery staple")


def test_someone_given_an_approving_role_hears_of_the_approvals_already_waiting_in_it(core, db):
    """Each step asked its deciders when it opened; whoever takes the role on later (given it, or taken on with
    it) is told what already waits for them in it: one approval with its action link, several as a list."""
    from provision_cycle.models import OutboxMessage
    from tests.factories import act, hub_people, new_request

    admin = make_person(db, ("administrator", "OCC"), full_name="Ada Oxford")
    people = hub_people(db)  # no Head of Category for Health, Education and Social Care
    care = new_request(core.engine, people.requester, value="250000", category="adult_social_care", title="Care")
    act(core.engine, care, "submit", people.requester)
    other_pillar = new_request(core.engine, people.requester, value="250000")  # Corporate and Commercial's head
    act(core.engine, other_pillar, "submit", people.requester)

    def told(user_id: int) -> list[OutboxMessage]:
        with db.reading() as session:
            return list(session.scalars(select(OutboxMessage).filter_by(recipient_id=user_id).order_by("id")))

    grant_role(core, people.manager, Grant("head_of_category", "OCC", "heasc"), actor_id=admin)
    [message] = told(people.manager)
    assert (message.kind, message.subject) == ("approval_needed", f"PRC-{care:06d}: your approval is needed")
    assert message.body.startswith(
        "You now hold the role of Head of Category for OCC, Health, Education and Social Care. 'Care' needs your "
        "decision. Head of Category:"
    )
    assert message.payload == {"case_id": care, "step": {"gate": "route_approval", "round": 1, "position": 1}}
    grant_role(core, people.manager, Grant("requester", "OCC"), actor_id=admin)  # nothing waits in that role
    assert len(told(people.manager)) == 1

    second = new_request(core.engine, people.requester, value="250000", category="adult_social_care", title="More")
    act(core.engine, second, "submit", people.requester)
    newcomer = create_user(core, username="hana.heasc", full_name="Hana Heasc", email="hana@example.gov.uk",
                           password=None, grants=[Grant("head_of_category", "OCC", "heasc")], actor_id=admin)  # fmt: skip
    [listed] = told(newcomer)
    assert (listed.kind, listed.subject, listed.payload) == ("approvals_waiting", "2 approvals wait for you",
                                                             {"open": "/approvals/"})  # fmt: skip
    intro, *lines = listed.body.splitlines()
    assert intro == (
        "You now hold the role of Head of Category for OCC, Health, Education and Social Care. These approvals in "
        "that role wait for a decision, the longest waiting first:"
    )
    assert sorted(lines) == [
        f"- PRC-{care:06d} Care: {_reason(db, care)}",
        f"- PRC-{second:06d} More: {_reason(db, second)}",
    ]


def _reason(db, case_id: int) -> str:
    from provision_cycle.models import ApprovalStep

    with db.reading() as session:
        return session.scalars(select(ApprovalStep.reason).filter_by(case_id=case_id, status="open")).one()
