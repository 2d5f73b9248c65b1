"""A key decision's notice on the forward plan (2012 Access to Information Regulations reg 9(1)), drafted from
its case: on whose behalf, the matter and why it is key, who decides, from when, the documents and where they
may be had."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from provision_cycle.services.documents import attach_document
from provision_cycle.services.forward_plan import forward_plan_notice
from provision_cycle.services.people import set_active
from provision_cycle.services.reading import case_page

from .factories import act, award_over_the_key_decision_figure, create_user, hub_people, new_request


def _notice(core, db, case_id, person):
    with db.reading() as session:
        page = case_page(core, session, core.engine.actor(session, person), case_id)
        return forward_plan_notice(core, session, page, core.engine.today())


def test_a_procurement_that_is_a_key_decision_from_its_request(core, db):
    """On 2 March 2026: OCC's request for 1,200,000 of ICT, its report attached, at its route approval."""
    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="1200000", title="Case management system")
    attach_document(core, case_id, people.requester, "Business case.pdf", BytesIO(b"%PDF-1.4 report"))
    act(core.engine, case_id, "submit", people.requester)

    notice = _notice(core, db, case_id, people.officer)
    assert notice.councils == ("Oxfordshire County Council",)
    assert notice.matter.startswith("The procurement of Case management system: ")
    assert notice.matter.endswith("(estimated at £1,200,000.00 excluding VAT over 36 months)")
    assert notice.why_key.startswith("key decision for OCC: a contract worth £1,200,000.00 is over £1,000,000.00")
    assert [(m.name, m.council) for m in notice.decision_makers] == [("Eve Executive", "")]
    assert (notice.earliest, notice.clear_days) == (date(2026, 3, 31), 28)  # 28 clear days from today
    assert notice.documents == ("Business case.pdf",)
    assert notice.documents_from == ("Democratic Services, Oxfordshire County Council, County Hall, New Road, "
                                     "Oxford OX1 1ND",)  # fmt: skip


def test_an_award_that_is_a_key_decision_where_its_request_was_not(core, db, clock):
    people = hub_people(db, authority="CDC")
    case_id = award_over_the_key_decision_figure(core.engine, clock, people)  # 520,000 to Acme Ltd
    notice = _notice(core, db, case_id, people.officer)
    assert notice.matter.startswith("The award of the contract for ")
    assert notice.matter.endswith(" to Acme Ltd, for £520,000.00 excluding VAT")
    assert notice.why_key.startswith("key decision for CDC: a contract worth £520,000.00 is over £500,000.00")
    assert [m.name for m in notice.decision_makers] == ["Eve Executive"]


def test_a_joint_decision_names_each_council_s_decision_maker_and_one_with_nobody_says_whose_role(core, db):
    people = hub_people(db)
    create_user(db, ("executive_member", "CDC"), full_name="Cllr Adam Nell", job_title="Leader")
    case_id = new_request(core.engine, people.requester, value="1200000", authority="JOINT")
    act(core.engine, case_id, "submit", people.requester)
    notice = _notice(core, db, case_id, people.officer)
    assert notice.councils == ("Oxfordshire County Council", "Cherwell District Council")
    assert [(m.name, m.title, m.council) for m in notice.decision_makers] == [
        ("Cllr Adam Nell", "Leader", "Cherwell District Council"),
        ("Eve Executive", "", "Oxfordshire County Council"),
    ]
    assert len(notice.documents_from) == 2

    alone = new_request(core.engine, people.requester, value="1200000")  # OCC's alone
    act(core.engine, alone, "submit", people.requester)
    admin = create_user(db, ("administrator", "OCC"))
    set_active(core, people.executive, False, actor_id=admin)  # they have left
    notice = _notice(core, db, alone, people.officer)
    assert (notice.decision_makers, notice.deciding_role) == ((), "Executive or Cabinet Member")
