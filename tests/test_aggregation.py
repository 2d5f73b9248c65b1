"""Procurements that may be one requirement (PA23 s4, Sch 3): a council's others for the same category and type of
contract within a year, which together cross a statutory line that each is under on its own, pointed out to
the requester, the approvers and on the case page."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from provision_cycle.governance import statutory
from provision_cycle.models import Case
from provision_cycle.services.aggregation import of_case

from .factories import act, create_user, hub_people, new_request


@pytest.mark.parametrize(
    ("alone", "together", "crossed"),
    [
        ("150000", "207720", Decimal("207720")),  # the threshold for services, from 1 January 2026
        ("150000", "207719.99", None),
        ("20000", "30000", Decimal("30000")),  # a below-threshold contract becomes notifiable
        ("20000", "250000", Decimal("207720")),  # the higher line is the one said
        ("210000", "900000", None),  # above the threshold already: nothing to avoid
        ("40000", "100000", None),  # notifiable already, and under the threshold together
    ],
)
def test_the_line_crossed_together_is_the_highest_one_each_is_under_alone(alone, together, crossed):
    position = statutory.statutory_position(Decimal(alone), "exempt", "services", date(2026, 3, 2))
    found = statutory.line_crossed_together(position, Decimal(together))
    assert (found[0] if found else None) == crossed


def _submitted(core, requester: int, value: str, **fields) -> int:
    case_id = new_request(core.engine, requester, value=value, **fields)
    act(core.engine, case_id, "submit", requester)
    return case_id


def _found(core, db, person: int, case_id: int):
    with db.reading() as session:
        return of_case(core, session, core.engine.actor(session, person), session.get(Case, case_id))


def test_a_councils_requests_for_one_category_within_a_year_are_pointed_out_together(core, db):
    """Three requests for ICT services at 70,000 (84,000 with VAT) each: under the threshold alone, over it
    together. Others are not counted: another category or type, another council, one withdrawn, one more than
    a year before, a draft not submitted, a call-off under a framework."""
    people = hub_people(db)
    first = _submitted(core, people.requester, "70000", title="Laptops")
    second = _submitted(core, people.requester, "70000", title="Docking stations")
    assert _found(core, db, people.officer, second) is None  # 168,000 together: under the threshold
    third = _submitted(core, people.requester, "70000", title="Monitors")
    for other in (
        _submitted(core, people.requester, "70000", category="hr_recruitment"),
        _submitted(core, people.requester, "70000", contract_type="goods"),
        _submitted(core, create_user(db, ("requester", "CDC")), "70000", authority="CDC"),
        new_request(core.engine, people.requester, value="70000"),  # a draft
    ):
        assert other
    withdrawn = _submitted(core, people.requester, "70000", title="Printers")
    act(core.engine, withdrawn, "withdraw", people.requester, reason="Not needed after all")
    old = _submitted(core, people.requester, "70000", title="Servers")
    call_off = _submitted(core, people.requester, "70000", title="Tablets")
    with db.unit_of_work() as session:
        session.get(Case, old).created_at -= timedelta(days=400)
        session.execute(update(Case).where(Case.id == call_off).values(route="framework_call_off"))

    found = _found(core, db, people.officer, third)
    assert [case.id for case in found.others] == [second, first]  # the latest first
    assert (found.more, found.together_inc_vat, found.line) == (0, Decimal("252000.00"), Decimal("207720"))
    assert found.line_name.startswith("the £207,720.00 threshold")
    assert [case.id for case in _found(core, db, people.officer, first).others] == [third, second]  # and back
    assert _found(core, db, people.officer, call_off) is None  # valued as its framework
    stranger = create_user(db, ("requester", "OCC"))  # sees none of the others: they are counted, not named
    found = _found(core, db, stranger, third)
    assert (found.others, found.more) == ([], 2)


def test_a_procurement_at_an_end_is_not_warned_of(core, db):
    people = hub_people(db)
    for title in ("Laptops", "Docking stations"):
        _submitted(core, people.requester, "70000", title=title)
    third = _submitted(core, people.requester, "70000", title="Monitors")
    assert _found(core, db, people.officer, third) is not None
    act(core.engine, third, "withdraw", people.requester, reason="Bought with the laptops")
    assert _found(core, db, people.officer, third) is None


def test_the_submission_records_it_and_the_route_approvers_are_told(core, db):
    """The third request's submission event records the others and the total; the approval email says so."""
    from sqlalchemy import select

    from provision_cycle.models import AuditEvent, OutboxMessage

    people = hub_people(db)
    _submitted(core, people.requester, "70000", title="Laptops")
    second = _submitted(core, people.requester, "70000", title="Docking stations")
    third = _submitted(core, people.requester, "70000", title="Monitors")
    with db.reading() as session:
        submitted = {
            event.case_id: event.data
            for event in session.scalars(select(AuditEvent).where(AuditEvent.action == "submit"))
        }
        asked = session.scalars(
            select(OutboxMessage.body).where(OutboxMessage.kind == "approval_needed").order_by(OutboxMessage.id)
        ).all()
    assert "perhaps_one_requirement" not in submitted[second]  # 168,000 with VAT: under the threshold
    assert submitted[third]["perhaps_one_requirement"] == {
        "council": "OCC",
        "others": 2,
        "together_inc_vat": "252000.00",
        "line": "207720.00",
    }
    assert "Perhaps one requirement" not in asked[-2]
    assert (
        "Perhaps one requirement with 2 other procurements of the council for the same category and type of "
        "contract within a year (listed on its page): together £252,000.00 with VAT, over the £207,720.00 threshold"
    ) in asked[-1]


def test_a_councils_procurements_are_weighed_with_the_joint_ones_it_is_party_to(core, db):
    """An OCC request and a joint one of a kind: OCC's counts the joint one; Cherwell's the joint one too, not
    OCC's; the joint one is weighed for each council, and said for the one whose total is greater."""
    people = hub_people(db)
    cherwell = create_user(db, ("requester", "CDC"))
    joint = _submitted(core, people.requester, "70000", title="Shared laptops", authority="JOINT")
    occ = _submitted(core, people.requester, "70000", title="Laptops")
    assert _found(core, db, people.officer, occ) is None  # 168,000 with VAT: under the threshold
    cdc = _submitted(core, cherwell, "70000", title="Cherwell laptops", authority="CDC")
    occ_too = _submitted(core, people.requester, "70000", title="More laptops")
    found = _found(core, db, people.officer, occ_too)  # with OCC's and the joint one, not Cherwell's
    assert sorted(case.id for case in found.others) == sorted([joint, occ]) and found.together_inc_vat == 252000
    assert _found(core, db, people.officer, cdc) is None  # with the joint one only: 168,000
    with db.reading() as session:
        from provision_cycle.workflow import aggregation

        case = session.get(Case, joint)
        proposal = core.engine.proposal_of(case, route=case.route)
        crossing = aggregation.of_its_kind(
            session, core.workflows, proposal, case.created_at, joint, councils=("OCC", "CDC")
        )
    assert (crossing.council, crossing.count, crossing.together_inc_vat) == ("OCC", 2, Decimal("252000.00"))


def test_many_procurements_weighed_at_once_are_weighed_as_each_alone(core, db):
    """The overview weighs every running procurement at once (``of_each_its_kind``: on PostgreSQL one statement
    for all of them); each comes out as ``of_its_kind`` finds it alone. Sixty requests of two councils and
    joint ones, two categories and two types, two VAT treatments, spread over three years; some drafts, some
    withdrawn, some call-offs."""
    import random

    from provision_cycle.workflow import aggregation

    rng = random.Random(4)
    people = hub_people(db)
    cherwell = create_user(db, ("requester", "CDC"))
    made = []
    for index in range(60):
        authority = rng.choice(("OCC", "OCC", "CDC", "JOINT"))
        case_id = new_request(
            core.engine,
            cherwell if authority == "CDC" else people.requester,
            value=str(rng.randrange(5, 150) * 1000),
            authority=authority,
            category=rng.choice(("ict", "corporate_supplies")),
            contract_type=rng.choice(("services", "goods")),
            vat_treatment=rng.choice(("standard", "exempt")),
            title=f"Request {index}",
        )
        made.append(case_id)
        fate = rng.random()
        if fate < 0.85:
            act(core.engine, case_id, "submit", cherwell if authority == "CDC" else people.requester)
        if fate < 0.1:
            act(core.engine, case_id, "withdraw", cherwell if authority == "CDC" else people.requester, reason="No")
    with db.unit_of_work() as session:
        for case_id in made:
            session.get(Case, case_id).created_at -= timedelta(days=rng.randrange(0, 1000))
        session.execute(update(Case).where(Case.id.in_(made[::9])).values(route="framework_call_off"))

    authorities_of = core.governance.organisation.authorities_of
    with db.reading() as session:
        cases = [session.get(Case, case_id) for case_id in made]
        saved = [
            aggregation.Saved(
                case.id,
                core.engine.proposal_of(case, route=case.route),
                case.created_at,
                authorities_of(case.authority),
            )
            for case in cases
        ]
        together = aggregation.of_each_its_kind(session, core.workflows, saved)
        alone = {
            one.case_id: found
            for one in saved
            if (
                found := aggregation.of_its_kind(
                    session, core.workflows, one.proposal, one.around, one.case_id, councils=one.councils
                )
            )  # fmt: skip
        }
        assert aggregation.of_each_its_kind(session, core.workflows, []) == {}
    assert together == alone
    assert len(alone) >= 10 and {crossing.council for crossing in alone.values()} == {"OCC", "CDC"}
    assert any(session_case.authority == "JOINT" for session_case in cases if session_case.id in alone)
