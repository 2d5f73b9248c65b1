"""The engine door: illegal actions, authority, segregation of duties, delegation, declarations, rounds."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from provision_cycle.audit import canonical_time, verify_chains
from provision_cycle.core import load_definitions
from provision_cycle.errors import GuardFailed, InvalidAction, InvalidInput, NotPermitted, StaleCase
from provision_cycle.models import (
    ApprovalStep,
    AuditEvent,
    Case,
    ConflictDeclaration,
    Decision,
    Delegation,
    OutboxMessage,
)
from provision_cycle.models.outbox import NOBODY_MAY_DECIDE
from provision_cycle.services import notifications
from provision_cycle.settings import PROJECT_ROOT, Settings
from provision_cycle.workflow.engine import Engine

from .factories import (
    BUSINESS_CASE,
    act,
    approve_gate,
    approve_open_steps,
    commissioning_at_its_gate,
    create_user,
    declare,
    hub_people,
    new_request,
    publish_tender_notice,
    tender_to_evaluation,
)


@pytest.fixture
def people(db):
    return hub_people(db)


@pytest.fixture
def submitted(engine, people):
    case_id = new_request(engine, people.requester, value="250000")
    act(engine, case_id, "submit", people.requester)
    return case_id


@pytest.mark.parametrize(
    ("trigger", "message"),
    [
        (
            "approve",
            "You cannot take the 'approve' while the case is at 'Draft'. Actions available now: "
            "Submit for approval, Withdraw the request.",
        ),
        (
            "publish_award_notice",
            "You cannot take the 'publish award notice' while the case is at 'Draft'. "
            "Actions available now: Submit for approval, Withdraw the request.",
        ),
        (
            "fly_to_the_moon",
            "You cannot take the unknown action 'fly_to_the_moon' while the case is at 'Draft'. "
            "Actions available now: Submit for approval, Withdraw the request.",
        ),
    ],
)
def test_illegal_transitions_from_draft_say_what_is_possible(engine, people, trigger, message):
    case_id = new_request(engine, people.requester)
    with pytest.raises(InvalidAction) as error:
        act(engine, case_id, trigger, people.requester)
    assert error.value.message == message


@pytest.mark.parametrize("trigger", ["submit", "resubmit", "sign_contract", "expire", "go_live"])
def test_illegal_transitions_at_a_gate(engine, people, submitted, trigger):
    with pytest.raises(InvalidAction, match="while the case is at 'Route approval'"):
        act(engine, submitted, trigger, people.requester)


def test_nothing_is_saved_when_an_action_is_refused(engine, db, people, submitted):
    with db.reading() as s:
        before = (s.get(Case, submitted).version, s.scalar(select(func.count()).select_from(AuditEvent)))
    with pytest.raises(NotPermitted):
        act(engine, submitted, "approve", people.head)  # no declaration yet
    with db.reading() as s:
        assert (s.get(Case, submitted).version, s.scalar(select(func.count()).select_from(AuditEvent))) == before


def test_only_the_requester_submits(engine, people):
    case_id = new_request(engine, people.requester)
    with pytest.raises(NotPermitted, match="Only the requester can submit for approval on this case"):
        act(engine, case_id, "submit", people.head)


def test_another_requester_of_the_same_council_cannot_act_as_the_requester(engine, db, people, submitted):
    """``by: [requester]`` means the case's own requester, not anyone who holds the requester role there."""
    from .factories import create_user

    colleague = create_user(db, ("requester", "OCC"), full_name="Carl Colleague")
    for trigger in ("withdraw", "submit"):
        case_id = submitted if trigger == "withdraw" else new_request(engine, people.requester)
        with pytest.raises(NotPermitted, match="Only the requester can"):
            act(engine, case_id, trigger, colleague, reason="Not mine to stop")


def test_an_action_that_does_not_apply_to_the_case_says_so(engine, people, submitted):
    """A forward-plan entry on a case that is no key decision: not offered, and refused by name if asked."""
    assert engine.not_yet(submitted, people.officer, ["record_forward_plan"]) == {"record_forward_plan": None}
    with pytest.raises(
        InvalidAction, match="^'Record the forward plan entry or urgency notice' does not apply to this case$"
    ):
        act(
            engine, submitted, "record_forward_plan", people.officer, inputs={"forward_plan_published_on": "2026-03-02"}
        )


def test_a_route_not_open_to_the_request_is_refused_when_it_is_saved(engine, db, people):
    """Not only at submission: the request is not saved with a route its value does not allow, nor a draft
    changed so that its chosen route no longer fits, and the message names the routes open to it."""
    with pytest.raises(InvalidInput) as unknown:
        new_request(engine, people.requester, value="18000", route="cheapest_quote")
    assert unknown.value.fields["route"].startswith("Choose one of the routes: Low-value purchase, Quotations")
    with pytest.raises(InvalidInput) as closed:
        new_request(engine, people.requester, value="250000", route="quotations")
    assert closed.value.fields["route"].startswith("Quotations is not open to this case: Services worth £300,000.00")
    assert "Choose one of: Open procedure" in closed.value.fields["route"]
    case_id = new_request(engine, people.requester, value="18000", route="quotations")
    with pytest.raises(InvalidInput, match="Quotations is not open to this case"):
        engine.edit_case(case_id, people.requester, 1, estimated_value="250000")
    with db.reading() as session:
        case = session.get(Case, case_id)
        assert (case.version, case.estimated_value) == (1, 18000)  # nothing half-saved


def test_a_request_missing_details_cannot_be_submitted(engine, people):
    case_id = new_request(engine, people.requester, description="", proposed_start=None)
    with pytest.raises(GuardFailed) as error:
        act(engine, case_id, "submit", people.requester)
    assert error.value.missing == ["The request needs a description of the need, a proposed start date"]


def test_approval_needs_a_declaration(engine, people, submitted):
    with pytest.raises(NotPermitted, match="^Approval needs a conflict-of-interest declaration$"):
        act(engine, submitted, "approve", people.head)


def test_only_staff_of_the_cases_council_can_declare_on_it(engine, db, submitted):
    outsider = create_user(db, ("category_manager", "CDC", "cnc"), full_name="Carl Cherwell")
    with pytest.raises(NotPermitted, match="council you work for"):
        engine.declare_interests(submitted, outsider, has_conflict=False)
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(ConflictDeclaration)) == 0


def test_a_declared_unmitigated_conflict_blocks_the_decision(engine, people, submitted):
    engine.declare_interests(submitted, people.head, has_conflict=True, details="My brother bids for this")
    with pytest.raises(NotPermitted, match="no mitigation recorded"):
        act(engine, submitted, "approve", people.head)
    engine.declare_interests(
        submitted,
        people.head,
        has_conflict=True,
        details="My brother bids for this",
        mitigation="He is not on the bid team; the Director has reviewed this",
    )
    assert act(engine, submitted, "approve", people.head).to_state == "conflicts_assessment"


def test_only_holders_of_the_step_role_decide(engine, people, submitted):
    declare(engine, submitted, people.manager)
    with pytest.raises(NotPermitted, match="This step needs a Head of Category for OCC, Corporate and Commercial"):
        act(engine, submitted, "approve", people.manager)


def test_nobody_approves_their_own_request(engine, db, people):
    # A Head of Category raising a request in their own pillar still cannot approve it.
    case_id = new_request(engine, people.head)
    act(engine, case_id, "submit", people.head)
    declare(engine, case_id, people.head)
    with pytest.raises(NotPermitted, match="segregation of duties"):
        act(engine, case_id, "approve", people.head)


def test_delegate_decides_on_behalf_of_an_absent_approver(engine, db, clock, people, submitted):
    cover = create_user(db, ("head_of_category", "OCC", "heasc"), full_name="Cover Head")
    engine.delegate(people.head, cover, date(2026, 3, 1), date(2026, 3, 10), "Annual leave")
    declare(engine, submitted, cover)
    result = act(engine, submitted, "approve", cover)
    assert result.to_state == "conflicts_assessment"
    with db.reading() as s:
        decision = s.scalar(select(Decision))
        assert (decision.actor_id, decision.principal_id) == (cover, people.head)
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "approve"))
        assert (event.actor_id, event.on_behalf_of_id) == (cover, people.head)


def test_the_delegate_is_told_of_the_cover_and_of_its_early_end(engine, db, people):
    cover = create_user(db, ("head_of_category", "OCC", "heasc"), full_name="Cover Head")
    delegation = engine.delegate(people.head, cover, date(2026, 3, 2), date(2026, 3, 6), "Annual leave")
    engine.revoke_delegation(delegation, people.head)
    with db.reading() as s:
        told = s.execute(select(OutboxMessage.recipient_id, OutboxMessage.subject, OutboxMessage.body)
                         .where(OutboxMessage.kind == "cover").order_by(OutboxMessage.id)).all()  # fmt: skip
    assert [(person, subject) for person, subject, _ in told] == [
        (cover, "You cover Hana Head's approvals from 2 March 2026"),
        (cover, "Your cover for Hana Head has ended"),
    ]
    assert told[0].body.startswith("Hana Head is away (Annual leave) from 2 March 2026 to 6 March 2026")


def test_an_approval_opening_while_its_approver_is_away_is_announced_to_their_delegate(engine, db, clock, people):
    """Told as its approvers are, with an action link (the step in its payload): not a delegate who could not
    decide it, nor one whose cover is over."""
    cover = create_user(db, ("head_of_category", "OCC", "heasc"), full_name="Cover Head")
    junior = create_user(db, ("category_manager", "OCC", "cnc"), full_name="Junior Manager")
    both = create_user(db, ("head_of_category", "OCC", "cnc"), ("category_manager", "OCC", "cnc"))
    engine.delegate(people.head, cover, clock.today, clock.today)
    engine.delegate(both, junior, clock.today, clock.today)  # may cover a manager's steps, not this one
    other_head = create_user(db, ("head_of_category", "OCC", "cnc"), full_name="Hal Head")
    engine.delegate(other_head, cover, clock.today, clock.today)  # covering for two of its approvers: told once
    lapsed = create_user(db, ("head_of_category", "OCC", "heasc"))
    engine.delegate(people.head, lapsed, clock.today - timedelta(days=9), clock.today - timedelta(days=2))
    case_id = new_request(engine, people.requester, value="250000")
    act(engine, case_id, "submit", people.requester)
    with db.reading() as s:
        announced = list(s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "approval_needed")))
    told = {m.recipient_id: m for m in announced}
    assert set(told) == {people.head, both, other_head, cover} and len(announced) == len(told)  # each once
    assert told[cover].body.startswith("You cover for Hana Head while they are away. 'Case management system' needs")
    assert told[cover].payload["step"] == told[people.head].payload["step"]


def test_the_answer_to_a_question_a_delegate_asked_reaches_the_delegate(engine, db, clock, people):
    """Whoever covers for an approver away and asked the requester a question hears the answer, as the
    approvers do (it reached the role's holders alone)."""
    cover = create_user(db, ("director", "OCC"), full_name="Dee Director")
    engine.delegate(people.head, cover, clock.today, clock.today + timedelta(days=9))
    case_id = new_request(engine, people.requester, value="250000")
    act(engine, case_id, "submit", people.requester)
    declare(engine, case_id, cover)
    act(engine, case_id, "request_info", cover, reason="Which budget?")
    act(engine, case_id, "provide_info", people.requester, reason="Corporate ICT capital")
    with db.reading() as s:
        told = s.scalars(select(OutboxMessage.recipient_id).where(OutboxMessage.kind == "info_provided")).all()
    assert cover in told and people.head in told and len(told) == len(set(told))


def test_delegation_outside_its_dates_gives_no_authority(engine, db, people, submitted):
    cover = create_user(db, ("head_of_category", "OCC", "heasc"))
    engine.delegate(people.head, cover, date(2026, 4, 1), date(2026, 4, 10))
    declare(engine, submitted, cover)
    with pytest.raises(NotPermitted, match="or their delegate"):
        act(engine, submitted, "approve", cover)


def test_a_delegate_must_hold_authority_for_the_value(engine, db, people, submitted):
    # A manager may cover for someone who approves as a head of category and as a manager, for the steps a
    # manager may decide: each decision checks the step it is on.
    both = create_user(db, ("head_of_category", "OCC", "cnc"), ("category_manager", "OCC", "cnc"))
    manager = create_user(db, ("category_manager", "OCC", "cnc"), full_name="Mo Manager")
    engine.delegate(both, manager, date(2026, 3, 1), date(2026, 3, 10))
    declare(engine, submitted, manager)
    with pytest.raises(NotPermitted, match="a delegate must hold Head of Category or a more senior role in OCC"):
        act(engine, submitted, "approve", manager)


def test_cover_goes_only_to_someone_who_could_decide_some_of_the_approvals(engine, db, people):
    """Refused when it is set up, not when the delegate first tries to decide: a junior officer could decide
    none of a head of category's approvals, another council's head none of this council's, and someone who
    approves nothing has nothing to cover."""
    junior = create_user(db, ("category_officer", "OCC", "cnc"), full_name="Junior Officer")
    elsewhere = create_user(db, ("head_of_category", "CDC", "cnc"), full_name="Other Head")
    for delegate in (junior, elsewhere):
        with pytest.raises(InvalidInput) as refused:
            engine.delegate(people.head, delegate, date(2026, 3, 1), date(2026, 3, 10))
        assert refused.value.fields["delegate_id"].endswith(
            "could decide none of your approvals: a delegate must hold Head of Category or a more senior role in OCC"
        )
    with pytest.raises(InvalidInput, match="You approve nothing, so there are no approvals to cover"):
        engine.delegate(people.requester, people.head, date(2026, 3, 1), date(2026, 3, 10))
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(Delegation)) == 0
    with db.reading() as s:
        head = engine.actor(s, people.head)
    assert engine.covering_roles(head) == {"OCC": {"head_of_category", "finance", "legal", "director", "s151_officer",
                                                   "monitoring_officer", "executive_member"}}  # fmt: skip


def test_the_requester_cannot_decide_as_a_delegate(engine, db, people, submitted):
    create_user(db)  # keep ids distinct from the fixture's
    with db.unit_of_work() as s:
        from provision_cycle.models import RoleAssignment

        s.add(RoleAssignment(user_id=people.requester, role="director", authority="OCC"))
    engine.delegate(people.head, people.requester, date(2026, 3, 1), date(2026, 3, 10))
    declare(engine, submitted, people.requester)
    with pytest.raises(NotPermitted, match="segregation of duties"):
        act(engine, submitted, "approve", people.requester)


def test_nobody_decides_what_they_put_forward_nor_for_someone_who_did(core, engine, db, clock, people):
    """Four eyes on every proposal, not only on a request: a Head of Category who proposes a contract's
    variation cannot approve it, nor can whoever covers for them while they are away; neither is asked to,
    nor offered it, and another Head of Category for the pillar decides it."""
    from provision_cycle.services.reading import approvals_waiting
    from tests.factories import propose_variation, register_contract

    contract = register_contract(core, people, value="400000", ends=date(2028, 3, 31))
    cover = create_user(db, ("head_of_category", "OCC", "heasc"), full_name="Cover Head")  # not of this pillar
    other_head = create_user(db, ("head_of_category", "OCC", "cnc"), full_name="Other Head")
    engine.delegate(people.head, cover, clock.today, clock.today + timedelta(days=10), "Annual leave")
    propose_variation(engine, contract.case_id, people.head,
                      {"variation_description": "More sites", "new_value": "420000", "new_end_date": "2028-03-31"})  # fmt: skip
    declare(engine, contract.case_id, people.head, cover, other_head)
    with pytest.raises(NotPermitted, match=r"^You cannot decide on what you put forward \(segregation of duties\)$"):
        act(engine, contract.case_id, "approve", people.head)
    with pytest.raises(NotPermitted, match="segregation of duties"):
        act(engine, contract.case_id, "approve", cover)  # only for the Head away, who proposed it
    with db.reading() as s:
        asked = s.scalars(select(OutboxMessage.recipient_id).where(OutboxMessage.kind == "approval_needed")).all()
        case = s.get(Case, contract.case_id)
        offered = {person: [a.trigger for a in engine.available_actions(s, case, engine.actor(s, person))]
                   for person in (people.head, cover, other_head)}  # fmt: skip
        queued = {person: len(approvals_waiting(core, s, engine.actor(s, person)))
                  for person in (people.head, cover, other_head)}  # fmt: skip
    assert asked == [other_head]
    assert [("approve" in triggers) for triggers in offered.values()] == [False, False, True]
    assert list(queued.values()) == [0, 0, 1]
    assert act(engine, contract.case_id, "approve", other_head).to_state == "live"  # the variation made


def test_a_step_nobody_may_decide_says_why_on_its_case(core, engine, db, clock, people, submitted):
    """Its sole Head of Category put the variation forward, so nobody may decide it until an administrator
    gives the role to someone else; a request in a pillar with no Head of Category at all waits for one."""
    from tests.factories import propose_variation, register_contract

    admin = create_user(db, ("administrator", "OCC"), full_name="Ada Admin")
    contract = register_contract(core, people, value="400000", ends=date(2028, 3, 31))
    propose_variation(engine, contract.case_id, people.head,
                      {"variation_description": "More sites", "new_value": "420000", "new_end_date": "2028-03-31"})  # fmt: skip
    elsewhere = new_request(engine, people.requester, value="250000", category="adult_social_care")
    act(engine, elsewhere, "submit", people.requester)
    with db.reading() as s:  # the council's administrators hear as each such step opens, not days later
        told = s.execute(select(OutboxMessage.recipient_id, OutboxMessage.case_id, OutboxMessage.subject,
                                OutboxMessage.body).where(OutboxMessage.kind == NOBODY_MAY_DECIDE)).all()  # fmt: skip
    assert [(who, case) for who, case, _, _ in told] == [(admin, contract.case_id), (admin, elsewhere)]
    assert told[1].subject.endswith(": an approval nobody may decide")
    assert told[1].body.startswith("'Case management system' waits for a decision that nobody may take: Head of")
    assert told[1].body.endswith(
        "Nobody holds the role of Head of Category for OCC, Health, Education and Social Care to decide this step. "
        "An administrator can give someone the role."
    )
    with db.reading() as s:
        why = {case_id: engine.why_nobody_may_decide(s, s.get(Case, case_id))
               for case_id in (contract.case_id, elsewhere, submitted)}  # fmt: skip
    assert why == {
        contract.case_id: "Nobody else holds the role of Head of Category for OCC, Corporate and Commercial to "
        "decide this step: who requested the case, or put forward what it decides, may not (segregation of "
        "duties). An administrator can give the role to someone else.",
        elsewhere: "Nobody holds the role of Head of Category for OCC, Health, Education and Social Care to "
        "decide this step. An administrator can give someone the role.",
        submitted: None,  # its Head of Category may
    }
    with db.reading() as s:  # a list of cases at once (the cases list, the overview): the same answers
        assert engine.nobody_may_decide(s, [s.get(Case, case_id) for case_id in why]) == {
            case_id: reason for case_id, reason in why.items() if reason
        }
    other_head = create_user(db, ("head_of_category", "OCC", "cnc"), full_name="Other Head")

    def warnings_done() -> list[bool]:  # on the administrator's notifications, in the order they were sent
        with db.reading() as s:
            warnings = s.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == NOBODY_MAY_DECIDE).order_by(OutboxMessage.id)
            ).all()
            done = notifications.answered(engine, s, engine.actor(s, admin), warnings)
            return [warning.id in done for warning in warnings]

    with db.reading() as s:
        assert engine.why_nobody_may_decide(s, s.get(Case, contract.case_id)) is None
    assert warnings_done() == [True, False]  # someone may decide the variation now; the other still waits
    declare(engine, contract.case_id, other_head)
    assert act(engine, contract.case_id, "approve", other_head).to_state == "live"
    assert warnings_done() == [True, False]  # and its step is over
    with db.reading() as s:
        assert engine.why_nobody_may_decide(s, s.get(Case, contract.case_id)) is None  # at no gate
    # A director's own commissioning case: the Commissioning Board needs two directors, and one is left.
    board = commissioning_at_its_gate(engine, people.director)
    approve_gate(engine, board, [people.head])  # its first step
    with db.reading() as s:
        assert engine.why_nobody_may_decide(s, s.get(Case, board)).startswith(
            "Too few others hold the role of Director for OCC to decide this step, which needs 2 more approvals: "
            "who requested the case"
        )


def test_reject_needs_a_reason_and_ends_the_request(engine, db, people, submitted):
    declare(engine, submitted, people.head)
    with pytest.raises(InvalidInput, match="Give a reason to reject"):
        act(engine, submitted, "reject", people.head)
    result = act(engine, submitted, "reject", people.head, reason="Use the existing corporate contract")
    assert result.to_state == "rejected"
    with db.reading() as s:
        assert s.get(Case, submitted).closed_at is not None
        told = s.execute(
            select(OutboxMessage.kind, OutboxMessage.subject, OutboxMessage.body).where(
                OutboxMessage.recipient_id == people.requester, OutboxMessage.case_id == submitted
            )
        ).all()
        # Told once, with the reason: not a second time that it is now 'Rejected'.
        assert s.scalar(select(AuditEvent.comment).where(AuditEvent.action == "reject")) == (
            "Use the existing corporate contract"
        )
    # Told once, with the reason: not a second time that it is now 'Rejected'.
    assert [tuple(m) for m in told] == [
        ("case_rejected", f"PRC-{submitted:06d}: rejected", "Hana Head: Use the existing corporate contract")
    ]


def test_a_requester_who_withdraws_their_request_is_not_told_it_is_withdrawn(engine, db, people, submitted):
    """They ended it themselves (a case ended by someone else, its expiry or a termination, they hear of)."""
    act(engine, submitted, "withdraw", people.requester, reason="Not needed after all")
    with db.reading() as s:
        told = s.scalars(select(OutboxMessage.kind).where(OutboxMessage.case_id == submitted)).all()
    assert "case_closed" not in told and told  # the approvers were asked before; nothing since


def test_return_for_rework_then_resubmit_runs_a_new_round_of_the_frozen_route(engine, db, people, submitted):
    declare(engine, submitted, people.head)
    assert act(engine, submitted, "return", people.head, reason="Add the market analysis").to_state == "rework"
    engine.edit_case(submitted, people.requester, None, description="Now with the market analysis")
    assert act(engine, submitted, "resubmit", people.requester).to_state == "route_approval"
    with db.reading() as s:
        steps = s.scalars(select(ApprovalStep).order_by(ApprovalStep.id)).all()
        assert [(st.round, st.status) for st in steps] == [(1, "returned"), (2, "open")]
        assert steps[0].reason == steps[1].reason


def test_a_request_raised_to_a_higher_band_in_rework_goes_to_that_band_s_approvers(engine, db, people):
    """Submitted at 45,000 (a below-threshold tender: OCC's category manager approves its route) and returned;
    its requester makes it 150,000, the same route still open to it: the approvers frozen at 45,000 no longer
    fit, so the resubmission resolves the route afresh (the head of category's), and the edit says so. Above
    the threshold its route is refused outright. A resubmission with nothing the route depends on changed
    keeps the frozen route."""
    case_id = new_request(engine, people.requester, value="45000")
    act(engine, case_id, "submit", people.requester)
    declare(engine, case_id, people.manager)
    act(engine, case_id, "return", people.manager, reason="Is this the whole of it?")
    with pytest.raises(InvalidInput, match="Below-threshold tender is not open to this case"):
        engine.edit_case(case_id, people.requester, None, estimated_value="250000")
    engine.edit_case(case_id, people.requester, None, estimated_value="150000")
    act(engine, case_id, "resubmit", people.requester)
    with db.reading() as s:
        case = s.get(Case, case_id)
        steps = s.scalars(select(ApprovalStep).where(ApprovalStep.case_id == case_id).order_by(ApprovalStep.id)).all()
        edited = s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.action == "edit")).one()
        first_submitted = s.scalars(
            select(AuditEvent.at).where(AuditEvent.case_id == case_id, AuditEvent.action == "submit")
        ).one()
    assert [(step.round, step.role, step.status) for step in steps] == [
        (1, "category_manager", "returned"),
        (2, "head_of_category", "open"),
    ]
    assert case.route == "below_threshold_tender" and case.submitted_at == first_submitted
    assert edited.data["route_unfrozen"] is True

    declare(engine, case_id, people.head)
    act(engine, case_id, "return", people.head, reason="Add the market analysis")
    engine.edit_case(case_id, people.requester, None, description="With the market analysis")
    act(engine, case_id, "resubmit", people.requester)
    with db.reading() as s:
        roles = s.scalars(select(ApprovalStep.role).where(ApprovalStep.case_id == case_id).order_by(ApprovalStep.id))
        assert list(roles)[-1] == "head_of_category"


def test_a_commissioning_case_raised_to_a_higher_band_after_its_gate_returned_it_is_routed_afresh(engine, db, people):
    """80,000 at the commissioning gate (OCC's category manager), returned to its business case and made
    700,000: its next submission goes to the head of category and a director."""
    case_id = new_request(engine, people.requester, value="80000", stage="commissioning")
    for trigger in ("start_options_appraisal", "prepare_business_case", "submit"):
        inputs = BUSINESS_CASE if trigger == "prepare_business_case" else {}
        act(engine, case_id, trigger, people.requester, inputs=inputs)
    declare(engine, case_id, people.manager)
    act(engine, case_id, "return", people.manager, reason="Cost the second option too")
    engine.edit_case(case_id, people.requester, None, estimated_value="700000")
    act(engine, case_id, "submit", people.requester)
    with db.reading() as s:
        steps = s.execute(
            select(ApprovalStep.round, ApprovalStep.role)
            .where(ApprovalStep.case_id == case_id)
            .order_by(ApprovalStep.id)
        ).all()
    assert [tuple(step) for step in steps] == [(1, "category_manager"), (2, "head_of_category"), (2, "director")]


def test_a_business_case_returned_for_rework_is_changed_with_the_request_then_resubmitted(engine, db, people):
    """Asked of it on its way to Business case, its business case is changed there (all of it, each answer
    checked as the action checks it; an optional one left out is cleared), and only there: before it is
    prepared, nothing of it can be given."""
    case_id = new_request(engine, people.requester, value="80000", stage="commissioning")
    with pytest.raises(InvalidInput) as refused:
        engine.edit_case(case_id, people.requester, None, answers={"preferred_option": "B"})
    assert refused.value.fields == {
        "preferred_option": "'preferred_option' is not asked for by a request's change at 'Need identified'"
    }
    act(engine, case_id, "start_options_appraisal", people.requester)
    act(engine, case_id, "prepare_business_case", people.requester, inputs={**BUSINESS_CASE, "risks": "Late supply"})
    act(engine, case_id, "submit", people.requester)
    declare(engine, case_id, people.manager)
    act(engine, case_id, "return", people.manager, reason="Cost the second option too")
    with pytest.raises(InvalidInput) as refused:
        engine.edit_case(case_id, people.requester, None, answers={**BUSINESS_CASE, "outcomes": " "})
    assert refused.value.fields == {"outcomes": "Enter the outcomes it should achieve, and how they will be measured"}
    costed = "A: do nothing (£0); B: buy one from the market (£80,000); C: build it in-house (£120,000)"
    engine.edit_case(case_id, people.requester, None, answers={**BUSINESS_CASE, "options_considered": costed})
    with db.reading() as s:
        case = s.get(Case, case_id)
        edited = s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.action == "edit")).one()
    assert case.details["options_considered"] == costed and case.details["risks"] == ""
    assert edited.data["changed"] == {
        "options_considered": [BUSINESS_CASE["options_considered"], costed],
        "risks": ["Late supply", ""],
    }
    assert act(engine, case_id, "submit", people.requester).to_state == "commissioning_gate"
    with db.reading() as s:  # its approvers' email says what it prefers and expects, as it stands now
        asked = s.scalars(
            select(OutboxMessage.body).where(OutboxMessage.kind == "approval_needed").order_by(OutboxMessage.id)
        ).all()
    assert asked[-1].endswith(
        "It is back after rework (round 2): its decision page shows what was said before. The business case "
        "prefers: B. Outcomes: Cases closed within a week, measured monthly."
    )


def test_a_request_is_moved_only_to_a_council_its_requester_works_for(engine, db, people, submitted):
    """OCC's requester may make their request a joint one (they work for one of its councils), not Cherwell's
    alone: refused, the request as it was."""
    declare(engine, submitted, people.head)
    act(engine, submitted, "return", people.head, reason="Is this for both councils?")
    with pytest.raises(NotPermitted, match="You can only move a request to an authority you work for"):
        engine.edit_case(submitted, people.requester, None, authority="CDC")
    engine.edit_case(submitted, people.requester, None, authority="JOINT")
    with db.reading() as s:
        assert s.get(Case, submitted).authority == "JOINT"


def test_request_and_provide_information(engine, db, people, submitted):
    declare(engine, submitted, people.head)
    act(engine, submitted, "request_info", people.head, reason="What is the current annual spend?")
    with pytest.raises(NotPermitted):
        act(engine, submitted, "provide_info", people.officer, reason="About 80,000 a year")
    act(engine, submitted, "provide_info", people.requester, reason="About 80,000 a year")
    assert act(engine, submitted, "approve", people.head).to_state == "conflicts_assessment"


def test_whoever_put_a_proposal_forward_hears_the_approver_s_question_and_may_answer_it(core, engine, db, people):
    """A contract's variation put forward by its category team, not by the contract manager the case was
    opened for: the approver's question, and the return, go to both, and the officer may answer it."""
    from tests.factories import propose_variation, register_contract

    contract = register_contract(core, people, value="400000", ends=date(2028, 3, 31))
    propose_variation(engine, contract.case_id, people.officer,
                      {"variation_description": "More sites", "new_value": "420000", "new_end_date": "2028-03-31"})  # fmt: skip
    declare(engine, contract.case_id, people.head, people.officer)
    act(engine, contract.case_id, "request_info", people.head, reason="Which sites?")
    act(engine, contract.case_id, "provide_info", people.officer, reason="The two depots")
    with pytest.raises(NotPermitted, match="Only the requester or a Contract Manager for OCC or the Corporate"):
        act(engine, contract.case_id, "provide_info", people.requester, reason="Not mine to answer")
    act(engine, contract.case_id, "return", people.head, reason="Price the second depot")
    with db.reading() as s:
        told = s.execute(select(OutboxMessage.kind, OutboxMessage.recipient_id).where(
            OutboxMessage.kind.in_(["info_requested", "case_returned"]))).all()  # fmt: skip
    assert sorted(told) == sorted(
        (kind, person)
        for kind in ("info_requested", "case_returned")
        for person in (people.contract_manager, people.officer)
    )


def test_a_gate_passed_is_told_to_the_requester_and_whoever_put_it_forward(engine, db, people, submitted):
    declare(engine, submitted, people.head)
    act(engine, submitted, "approve", people.head)
    with db.reading() as s:
        told = s.execute(select(OutboxMessage.recipient_id, OutboxMessage.subject, OutboxMessage.body).where(
            OutboxMessage.kind == "case_approved")).all()  # fmt: skip
    [(person, subject, body)] = told
    assert person == people.requester and subject.endswith(": approved at Route approval")
    assert (
        body
        == "'Case management system' is approved at Route approval, Hana Head deciding last. It is now at 'Conflicts assessment'."
    )


def test_committee_step_needs_n_of_m(engine, db, people):
    case_id = commissioning_at_its_gate(engine, people.requester, details={"funding": "ICT capital programme"})
    approve_gate(engine, case_id, [people.head])
    assert approve_gate(engine, case_id, [people.director]).to_state == "commissioning_gate"
    with pytest.raises(InvalidAction, match="already has a decision"):
        act(engine, case_id, "approve", people.director)
    assert approve_gate(engine, case_id, [people.director2]).to_state == "commissioned"
    result = act(engine, case_id, "hand_to_procurement", people.requester)
    with db.reading() as s:
        procurement = s.get(Case, result.opened_cases[0])
        assert (procurement.stage, procurement.state, procurement.parent_case_id) == ("procurement", "draft", case_id)
        assert procurement.details == {"funding": "ICT capital programme"}  # carried over, to check, not retype


def test_stale_version_is_refused_with_the_current_state(engine, people, submitted):
    declare(engine, submitted, people.head)
    from provision_cycle.workflow.engine import ActionRequest

    with pytest.raises(StaleCase) as error:
        engine.act(ActionRequest(submitted, "approve", people.head, expected_version=1))
    assert "This case has changed since you opened it" in error.value.message
    assert "'Route approval'" in error.value.message


def _last_event_seen(db, case_id: int) -> int:
    with db.reading() as s:
        return s.get(Case, case_id).audit_seq


def test_a_committee_member_s_decision_stands_though_other_members_decided_since_they_looked(engine, db, people):
    """A Board's directors deciding at once (at the meeting): each decides what they were shown. Another
    member's declaration and approval on the same step since do not make theirs stale."""
    from provision_cycle.workflow.engine import ActionRequest

    case_id = commissioning_at_its_gate(engine, people.requester)
    approve_gate(engine, case_id, [people.head])
    declare(engine, case_id, people.director2)
    looked = _last_event_seen(db, case_id)
    approve_gate(engine, case_id, [people.director])  # declared and approved meanwhile
    result = engine.act(ActionRequest(case_id, "approve", people.director2, seen_through=looked))
    assert result.to_state == "commissioned"


@pytest.mark.parametrize(
    "meanwhile",
    [
        pytest.param(lambda e, c, p: act(e, c, "request_info", p.director, reason="Which option?"), id="a question"),
        pytest.param(lambda e, c, p: act(e, c, "return", p.director2, reason="Cost option B"), id="a return"),
    ],
)
def test_a_decision_is_stale_when_anything_else_happened_since_the_person_looked(engine, db, people, meanwhile):
    from provision_cycle.workflow.engine import ActionRequest

    case_id = commissioning_at_its_gate(engine, people.requester)
    approve_gate(engine, case_id, [people.head])
    declare(engine, case_id, people.director, people.director2)
    looked = _last_event_seen(db, case_id)
    meanwhile(engine, case_id, people)
    with pytest.raises(StaleCase, match="This case has changed since you opened it"):
        engine.act(ActionRequest(case_id, "approve", people.director, seen_through=looked, reason="Fine"))


def _document_added(core, case_id, people) -> None:
    from io import BytesIO

    from provision_cycle.services.documents import attach_document

    attach_document(core, case_id, people.requester, "costs.csv", BytesIO(b"option,cost\nB,1500000\n"))


def _note_added(core, case_id, people) -> None:
    from provision_cycle.services.case_notes import add_note

    add_note(core, case_id, people.requester, "Option B's costs are attached")


@pytest.mark.parametrize("meanwhile", [_document_added, _note_added], ids=["a document", "a note"])
def test_a_decision_is_stale_when_something_was_added_since_the_person_looked(core, db, people, meanwhile):
    from provision_cycle.workflow.engine import ActionRequest

    case_id = commissioning_at_its_gate(core.engine, people.requester)
    approve_gate(core.engine, case_id, [people.head])
    declare(core.engine, case_id, people.director)
    looked = _last_event_seen(db, case_id)
    meanwhile(core, case_id, people)
    with pytest.raises(StaleCase):
        core.engine.act(ActionRequest(case_id, "approve", people.director, seen_through=looked))


def test_an_action_that_is_no_decision_is_stale_after_a_decision_since_it_was_seen(engine, db, people, submitted):
    from provision_cycle.workflow.engine import ActionRequest

    looked = _last_event_seen(db, submitted)
    declare(engine, submitted, people.head)  # would not count on its own
    act(engine, submitted, "request_info", people.head, reason="Which budget?")  # the requester has not seen
    with pytest.raises(StaleCase):
        engine.act(ActionRequest(submitted, "withdraw", people.requester, seen_through=looked, reason="No need"))


def test_key_decision_waits_28_clear_days_after_the_forward_plan(engine, db, clock, people):
    case_id = new_request(engine, people.requester, value="1200000")
    act(engine, case_id, "submit", people.requester)
    assert approve_gate(engine, case_id, [people.head, people.finance, people.director]).to_state == (
        "executive_decision"
    )
    declare(engine, case_id, people.executive)
    with pytest.raises(GuardFailed, match="forward plan entry recorded first"):
        act(engine, case_id, "approve", people.executive)
    act(engine, case_id, "record_forward_plan", people.officer, inputs={"forward_plan_published_on": "2026-03-02"})
    # Said before it is tried; rejecting or returning it is not held up.
    assert engine.not_yet(case_id, people.executive, ["approve", "reject", "return"]) == {
        "approve": (
            "A key decision cannot be taken before 31 March 2026: it is on the forward plan for 28 clear days first",
        )
    }
    with pytest.raises(GuardFailed, match="cannot be taken before 31 March 2026"):
        act(engine, case_id, "approve", people.executive)
    with db.reading() as s:  # the refused approval left no decision behind
        assert (
            s.scalar(select(func.count()).select_from(Decision).where(Decision.principal_id == people.executive)) == 0
        )
    # Published on 2 March: 3 to 30 March are its 28 clear days, neither that day nor the decision's counted.
    clock.set(date(2026, 3, 30))
    with pytest.raises(GuardFailed, match="cannot be taken before 31 March 2026"):
        act(engine, case_id, "approve", people.executive)
    clock.set(date(2026, 3, 31))
    assert act(engine, case_id, "approve", people.executive).to_state == "conflicts_assessment"


def test_the_forward_plan_entry_can_be_recorded_while_the_route_is_approved(engine, clock, people):
    """So that its 28 clear days run while the officers sign off; a case that is no key decision has none."""
    case_id = new_request(engine, people.requester, value="1200000")
    act(engine, case_id, "submit", people.requester)
    act(engine, case_id, "record_forward_plan", people.officer, inputs={"forward_plan_published_on": "2026-03-02"})
    clock.set(date(2026, 3, 31))
    approve_gate(engine, case_id, [people.head, people.finance, people.director])
    declare(engine, case_id, people.executive)
    assert act(engine, case_id, "approve", people.executive).to_state == "conflicts_assessment"

    # Returned for rework: the entry can go in meanwhile, and counts when the request comes back.
    reworked = new_request(engine, people.requester, value="1200000")
    act(engine, reworked, "submit", people.requester)
    declare(engine, reworked, people.head)
    act(engine, reworked, "return", people.head, reason="Say how it is funded")
    act(engine, reworked, "record_forward_plan", people.officer, inputs={"forward_plan_published_on": "2026-03-02"})
    act(engine, reworked, "resubmit", people.requester)
    approve_gate(engine, reworked, [people.head, people.finance, people.director])
    declare(engine, reworked, people.executive)
    assert act(engine, reworked, "approve", people.executive).to_state == "conflicts_assessment"

    small = new_request(engine, people.requester, value="250000")
    act(engine, small, "submit", people.requester)
    with pytest.raises(InvalidAction):
        act(engine, small, "record_forward_plan", people.officer, inputs={"forward_plan_published_on": "2026-03-31"})


def test_a_step_before_the_key_decision_is_not_held_up_by_the_forward_plan(db, clock, people, tmp_path):
    """A council whose executive decision has the director sign before the cabinet member: the 28 days after
    the forward plan hold up the decision itself, not the director's step, and ``not_yet`` (what the case
    page shows) says so."""
    shutil.copytree(PROJECT_ROOT / "config", tmp_path / "config")
    rules = tmp_path / "config" / "governance" / "occ.yaml"
    occ = rules.read_text()
    assert "  - gate: executive_decision\n    steps: [{role: executive_member}]" in occ
    rules.write_text(
        occ.replace(
            "  - gate: executive_decision\n    steps: [{role: executive_member}]",
            "  - gate: executive_decision\n    steps: [{role: director}, {role: executive_member}]",
        )
    )
    governance, workflows = load_definitions(Settings(config_dir=tmp_path / "config"))
    engine = Engine(db, workflows, governance, clock=clock)
    case_id = new_request(engine, people.requester, value="1200000")
    act(engine, case_id, "submit", people.requester)
    approve_gate(engine, case_id, [people.head, people.finance, people.director])
    act(engine, case_id, "record_forward_plan", people.officer, inputs={"forward_plan_published_on": "2026-03-02"})
    declare(engine, case_id, people.director2, people.executive)

    assert engine.not_yet(case_id, people.director2, ["approve"]) == {}  # nothing stops the director's step
    assert act(engine, case_id, "approve", people.director2).to_state == "executive_decision"
    assert engine.not_yet(case_id, people.executive, ["approve"]) == {
        "approve": (
            "A key decision cannot be taken before 31 March 2026: it is on the forward plan for 28 clear days first",
        )
    }
    with pytest.raises(GuardFailed, match="cannot be taken before 31 March 2026"):
        act(engine, case_id, "approve", people.executive)
    clock.set(date(2026, 3, 31))
    assert engine.not_yet(case_id, people.executive, ["approve"]) == {}
    assert act(engine, case_id, "approve", people.executive).to_state == "conflicts_assessment"


def test_conflicts_assessment_before_the_tender_notice(engine, people, submitted):
    approve_gate(engine, submitted, [people.head])
    with pytest.raises(GuardFailed, match=r"conflicts assessment must be completed .* \(Procurement Act 2023 s83\)"):
        publish_tender_notice(engine, submitted, people.officer)


def test_bad_inputs_name_each_field(engine, people, submitted):
    approve_gate(engine, submitted, [people.head])
    declare(engine, submitted, people.officer)
    act(engine, submitted, "complete_conflicts_assessment", people.officer)
    with pytest.raises(InvalidInput) as error:
        act(
            engine,
            submitted,
            "publish_tender_notice",
            people.officer,
            inputs={"tender_notice_published_on": "31/02/2026", "colour": "blue", "tenders_close_on": "  ",
                    "planned_procurement_notice_on": "0206-01-05"},
        )  # fmt: skip
    assert error.value.fields == {  # spaces alone are no answer
        "colour": "'colour' is not asked for by 'Publish the tender notice'",
        "tender_notice_published_on": "Date the tender notice was published must be a real date, like 2026-04-01",
        "tenders_close_on": "Enter closing date for tenders",
        # A real date, but a slip of the keyboard (and the far future would overflow the days worked out from it).
        "planned_procurement_notice_on": "Date of the planned procurement notice (UK3), where one went out 40 days "
        "to a year before the tender notice: 0206-01-05 is not a plausible date: check the year",
        "market_engaged": "Answer yes or no: Did the council engage with suppliers about this procurement before "
        "the tender notice (preliminary market engagement)?",
    }
    with pytest.raises(GuardFailed, match=r"at least 25 days \(Procurement Act 2023 s54, with electronic"):
        publish_tender_notice(engine, submitted, people.officer, closes="2026-03-20")
    too_late = {"planned_procurement_notice_on": "2026-02-20"}  # 10 days before: it does not count
    with pytest.raises(GuardFailed, match="shortens it only when published 40 days to a year before"):
        publish_tender_notice(engine, submitted, people.officer, closes="2026-03-20", **too_late)
    # After a planned procurement notice 40 days to a year before, 10 days will do (18 here).
    publish_tender_notice(
        engine, submitted, people.officer, closes="2026-03-20", planned_procurement_notice_on="2026-01-05"
    )


def test_a_request_s_far_off_start_and_long_term_are_refused(engine, people):
    """A start in year 9999, or a term of a century, is a typing error that would overflow the dates the hub
    works out from it (its end, its renewal tasks): refused, naming each field, and no case opened."""
    with pytest.raises(InvalidInput) as refused:
        new_request(engine, people.requester, proposed_start="9999-12-01", duration_months="1200")
    assert refused.value.fields == {
        "proposed_start": "9999-12-01 is not a plausible date: check the year",
        "duration_months": "Enter the duration as a whole number of months, like 36",
    }
    with engine.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_an_input_asked_only_on_some_cases_is_neither_offered_nor_accepted_on_the_others(engine, people):
    """Below the threshold the Act sets no tender period (so nothing shortens one) and asks nothing about
    preliminary market engagement (s17 is for public contracts); the competition may be reserved instead
    (the Local Government (Exclusion of Non-commercial Considerations) (England) Order 2026)."""
    below = new_request(engine, people.requester, value="60000", title="Playground resurfacing")
    act(engine, below, "submit", people.requester)
    approve_open_steps(engine, engine.db, people, below)
    declare(engine, below, people.officer)
    act(engine, below, "complete_conflicts_assessment", people.officer)
    offer = engine.offers(below, people.officer, ["publish_tender_notice"])["publish_tender_notice"]
    assert [spec.name for spec in offer.inputs] == [
        "tender_notice_published_on",
        "tender_notice_id",
        "main_cpv_code",
        "other_cpv_codes",
        "tenders_close_on",
        "reserved",
        "reserved_to_suppliers_in",
        "reserved_to_smes_and_vcses",
        "reserved_because",
    ]
    asked_elsewhere = {"planned_procurement_notice_on": "2026-01-05", "market_engaged": True}
    with pytest.raises(InvalidInput) as error:
        publish_tender_notice(engine, below, people.officer, **asked_elsewhere)
    assert error.value.fields == {
        name: f"'{name}' is not asked for by 'Publish the tender notice' on this case" for name in asked_elsewhere
    }
    assert publish_tender_notice(engine, below, people.officer).to_state == "tendering"


@pytest.mark.parametrize(
    ("answers", "refusal"),
    [
        (
            {"market_engaged": True},
            r"in its own notice before the tender notice, or the tender notice gives the reasons",
        ),
        ({"market_engaged": True, "market_engagement_notice_on": "2026-03-03"}, "dated 3 March 2026, after the tender"),
        (
            {
                "market_engaged": True,
                "market_engagement_notice_on": "2026-02-02",
                "no_market_engagement_notice_because": "x",
            },
            "not both",
        ),
        ({"market_engaged": True, "market_engagement_notice_on": "2026-12-01"}, "cannot be in the future"),
    ],
)
def test_market_engagement_before_a_public_contract_s_tender_is_accounted_for(
    engine, people, submitted, answers, refusal
):
    """PA23 s17: engagement with the market comes out in a notice of its own before the tender notice, or the
    tender notice says why there was none."""
    approve_gate(engine, submitted, [people.head])
    declare(engine, submitted, people.officer)
    act(engine, submitted, "complete_conflicts_assessment", people.officer)
    with pytest.raises(GuardFailed, match=refusal):
        publish_tender_notice(engine, submitted, people.officer, **answers)
    # A follow-up question is for a yes only.
    with pytest.raises(InvalidInput) as error:
        publish_tender_notice(
            engine, submitted, people.officer, market_engaged=False, market_engagement_notice_on="2026-02-02"
        )
    assert error.value.fields == {
        "market_engagement_notice_on": "Date the preliminary market engagement notice (UK2) was published, if one "
        "was is asked only after the answer yes to: Did the council engage with suppliers about this procurement "
        "before the tender notice (preliminary market engagement)?"
    }
    because = "A supplier day held by the framework's owner, not by the council"
    engaged = {"market_engaged": True, "no_market_engagement_notice_because": because}
    publish_tender_notice(engine, submitted, people.officer, **engaged)
    with engine.db.reading() as s:
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.case_id == submitted).order_by(AuditEvent.seq.desc())
        ).first()
    assert event.data["market_engaged"] is True and event.data["no_market_engagement_notice_because"] == because


def test_approvers_are_notified_through_the_outbox(engine, db, people, submitted):
    with db.reading() as s:
        messages = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "approval_needed")).all()
        assert [m.recipient_id for m in messages] == [people.head]
        submit = s.scalars(
            select(AuditEvent).where(AuditEvent.case_id == submitted, AuditEvent.action == "submit")
        ).one()
        # Written with the event that caused it, and ready to send.
        assert messages[0].audit_event_id == submit.id and messages[0].case_id == submitted
        assert (messages[0].status, messages[0].attempts, messages[0].last_error) == ("pending", 0, "")
        assert messages[0].payload["case_id"] == submitted


def test_audit_trail_is_append_only_in_the_database(db, engine, people, submitted):
    with pytest.raises(DatabaseError, match="append-only"), db.unit_of_work() as s:
        s.execute(text("UPDATE audit_events SET comment = 'rewritten'"))
    with pytest.raises(DatabaseError, match="append-only"), db.unit_of_work() as s:
        s.execute(text("DELETE FROM audit_events"))


def test_verify_detects_a_forged_event(db, engine, people, submitted):
    with db.reading() as s:
        assert verify_chains(s).ok
    with db.unit_of_work() as s:  # an event slipped in by hand, bypassing the engine
        s.execute(
            text(
                "INSERT INTO audit_events (stream, seq, case_id, at, action, comment, data, prev_hash, hash) "
                "VALUES (:stream, 3, :case_id, '2026-03-02 10:00:00', 'approve', '', '{}', 'x', 'y')"
            ),
            {"stream": f"case:{submitted}", "case_id": submitted},
        )
    with db.reading() as s:
        report = verify_chains(s)
    assert not report.ok
    assert f"case:{submitted} event 3" in report.problems[0]


def test_details_cannot_be_changed_once_submitted(engine, people, submitted):
    with pytest.raises(InvalidAction, match="cannot be changed while it is at 'Route approval'"):
        engine.set_detail(submitted, people.requester, "direct_award_justification", "Rewritten after approval")
    with pytest.raises(InvalidAction, match="cannot be changed while it is at 'Route approval'"):
        engine.edit_case(submitted, people.requester, None, title="A different request")


@given(st.datetimes(min_value=datetime(1001, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.timezones()))
def test_event_times_hash_in_the_form_every_stored_chain_was_sealed_with(at):
    # The audit chain's hashes cover this string: a change of form would break every existing chain.
    assert canonical_time(at) == at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_what_stands_in_the_way_of_an_action_is_said_before_it_is_tried(engine, db, clock, people):
    """The case page shows why an action is not open yet instead of a button that can only be refused: the
    same guards the door runs, asked without acting (and without locking the case)."""
    from .factories import award_open_procedure

    case_id = award_open_procedure(engine, clock, people)  # standstill runs to Friday 17 April 2026
    clock.set(date(2026, 4, 9))
    assert engine.not_yet(case_id, people.officer, ["end_standstill", "terminate_procurement"]) == {
        "end_standstill": ("Standstill runs to the end of 17 April 2026 (Procurement Act 2023 s51)",)
    }
    with pytest.raises(GuardFailed, match="Standstill runs to the end of 17 April 2026"):
        act(engine, case_id, "end_standstill", people.officer)
    clock.set(date(2026, 4, 20))
    assert engine.not_yet(case_id, people.officer, ["end_standstill"]) == {}
    act(engine, case_id, "end_standstill", people.officer)

    # A declaration the actor has not made stands in the way of what needs one, and is said the same way.
    case_id = new_request(engine, people.requester, value="250000")
    act(engine, case_id, "submit", people.requester)
    approve_gate(engine, case_id, [people.head])
    with db.reading() as session:
        before = session.get(Case, case_id).version
    assert engine.not_yet(case_id, people.officer, ["complete_conflicts_assessment"]) == {
        "complete_conflicts_assessment": ("This needs a conflict-of-interest declaration from you first",)
    }
    # What the case's route rules out (quotations on a tender route) is not "not yet" but never: None.
    assert engine.not_yet(case_id, people.officer, ["publish_tender_notice", "invite_quotations"]) == {
        "publish_tender_notice": (
            "The conflicts assessment must be completed before a tender or transparency notice "
            "(Procurement Act 2023 s83)",
        ),
        "invite_quotations": None,
    }
    # Where no notice follows (a call-off, a direct award below the threshold, a user's choice), it says so.
    quoted = new_request(engine, people.requester, value="18000")
    act(engine, quoted, "submit", people.requester)
    approve_open_steps(engine, db, people, quoted)
    assert engine.not_yet(quoted, people.officer, ["invite_quotations"]) == {
        "invite_quotations": (
            "The conflicts assessment must be completed before the procurement goes on (Procurement Act 2023 s81-83)",
        )
    }
    declare(engine, case_id, people.officer)
    assert engine.not_yet(case_id, people.officer, ["complete_conflicts_assessment"]) == {}
    with db.reading() as session:  # asking changed nothing: the declaration is the only event since
        assert session.get(Case, case_id).version == before + 1


def test_an_award_recommendation_is_refused_what_would_not_fit_the_contract(engine, people, submitted, clock):
    """The supplier's name and registration go onto the contract, whose columns hold 200 and 40 characters:
    a longer answer is refused at the recommendation, not later when the signed contract is recorded."""
    tender_to_evaluation(engine, clock, people, submitted)
    too_long = {"supplier_name": "A" * 201, "supplier_is_sme": "yes", "supplier_registration": "1" * 41}
    with pytest.raises(InvalidInput) as error:
        act(engine, submitted, "recommend_award", people.officer, inputs=too_long)
    assert error.value.fields == {
        "supplier_name": "Recommended supplier must be 200 characters or fewer",
        "supplier_registration": "Supplier's Companies House or charity number must be 40 characters or fewer",
        "supplier_is_sme": "Answer yes or no: Is the supplier a small or medium-sized enterprise (SME)?",
        "supplier_is_vcse": "Answer yes or no: Is the supplier a voluntary, community or social enterprise (VCSE)?",
        "supplier_is_supported_employment": "Answer yes or no: Is the supplier a supported employment provider?",
        "supplier_is_public_service_mutual": "Answer yes or no: Is the supplier a public service mutual?",
        # Above the threshold under the Act the supplier takes part only once registered on the platform.
        "supplier_ppon": "Enter the supplier's Public Procurement Organisation Number (PPON)",
        "award_value": "Enter contract value excluding VAT",
    }


def test_a_notifiable_below_threshold_award_names_its_registered_supplier_from_1_april_2026(engine, db, people, clock):
    """The Procurement (Amendment) Regulations 2026: from 1 April 2026 the supplier awarded a notifiable
    below-threshold contract (30,000 or more with VAT) is registered on the Central Digital Platform by the award,
    so its PPON is asked; before then, and for a contract below 30,000 with VAT, it was not."""
    award = {"supplier_name": "Acme Ltd", "supplier_is_sme": True, "supplier_is_vcse": False,
             "supplier_is_supported_employment": False, "supplier_is_public_service_mutual": False}  # fmt: skip
    cases = []
    for value in ("26000", "26000", "18000"):  # quotations all: 31,200 with VAT, notifiable; 21,600, not
        cases.append(case_id := new_request(engine, people.requester, value=value))
        act(engine, case_id, "submit", people.requester)
        approve_open_steps(engine, db, people, case_id)
        declare(engine, case_id, people.officer)
        for step in ("complete_conflicts_assessment", "invite_quotations", "close_quotations"):
            act(engine, case_id, step, people.officer)
    before, after, small = cases
    clock.set(date(2026, 3, 31))
    act(engine, before, "recommend_award", people.officer, inputs={**award, "award_value": "25500"})
    clock.set(date(2026, 4, 1))
    with pytest.raises(InvalidInput) as refused:
        act(engine, after, "recommend_award", people.officer, inputs={**award, "award_value": "25500"})
    assert refused.value.fields == {
        "supplier_ppon": "Enter the supplier's Public Procurement Organisation Number (PPON)"
    }
    act(engine, small, "recommend_award", people.officer, inputs={**award, "award_value": "17500"})
    given = {**award, "award_value": "25500", "supplier_ppon": "PACM-1234-LTDA"}
    act(engine, after, "recommend_award", people.officer, inputs=given)
    with db.reading() as session:
        assert session.get(Case, after).details["supplier_ppon"] == "PACM-1234-LTDA"


def test_a_note_is_checked_and_kept_on_the_case_s_chain_for_those_who_may_see_it(core, db, people, submitted):
    from provision_cycle.errors import NotFound
    from provision_cycle.services.case_notes import MAX_NOTE, add_note

    from .factories import create_user

    for written, refused in (("", "Enter the note"), ("x" * (MAX_NOTE + 1), "Keep a note to 2,000 characters")):
        with pytest.raises(InvalidInput, match=refused):
            add_note(core, submitted, people.officer, written)
    stranger = create_user(db, ("requester", "CDC"))
    with pytest.raises(NotFound):
        add_note(core, submitted, stranger, "Hello")
    add_note(core, submitted, people.officer, "  Budget confirmed by Finance on the phone  ")
    with db.reading() as session:
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
        assert (event.action, event.actor_id) == ("note", people.officer)
        assert event.comment == "Budget confirmed by Finance on the phone"
        assert (event.from_state, event.to_state) == ("route_approval", "route_approval")
        assert verify_chains(session).ok


def test_the_actions_offered_at_once_read_the_contract_once(core, people):
    """A case page asks how every action it lists stands, all at once: the contract (and the deadlines) their
    guards read is read once for them all, not once an action."""
    from sqlalchemy import event as sqlalchemy_event

    from provision_cycle.services.reading import load_actor

    from .factories import register_contract

    contract = register_contract(core, people, value="90000", ends=date(2027, 9, 30))
    with core.db.reading() as session:
        case = session.get(Case, contract.case_id)
        triggers = [
            a.trigger for a in core.engine.available_actions(session, case, load_actor(core, people.contract_manager))
        ]
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    sqlalchemy_event.listen(core.db.engine, "before_cursor_execute", record)
    try:
        offers = core.engine.offers(contract.case_id, people.contract_manager, triggers)
    finally:
        sqlalchemy_event.remove(core.db.engine, "before_cursor_execute", record)
    assert {"propose_variation", "terminate"} <= {t for t, offer in offers.items() if offer}
    assert len([s for s in sent if "FROM contracts" in s]) == 1
    assert len([s for s in sent if "FROM case_deadlines" in s]) <= 1
