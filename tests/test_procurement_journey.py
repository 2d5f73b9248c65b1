"""A whole procurement through the engine door: request, two gates, tender, award, standstill, contract."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from provision_cycle.audit import verify_chains
from provision_cycle.errors import ChangedMeanwhile, GuardFailed, InvalidInput
from provision_cycle.models import AuditEvent, Case, CaseDeadline, Contract, OutboxMessage
from provision_cycle.services import evaluation
from provision_cycle.services.evaluation import TenderGiven
from provision_cycle.workflow.context import case_deadline
from provision_cycle.workflow.evaluation import evaluation_of

from .factories import (
    AWARD_INPUTS,
    AWARD_INPUTS_UNDER_THE_PCR,
    CONFLICTS_REVIEWED,
    act,
    approve_gate,
    approve_open_steps,
    award_over_the_key_decision_figure,
    award_recommended,
    declare,
    hub_people,
    in_participation,
    new_request,
    publish_tender_notice,
    ready_for_the_market,
    ready_to_recommend,
)


def test_above_threshold_open_procedure_from_request_to_contract(engine, db, clock):
    p = hub_people(db)
    case_id = new_request(engine, p.requester, value="250000")  # 300,000 incl. VAT: above 207,720

    submitted = act(engine, case_id, "submit", p.requester)
    assert submitted.to_state == "route_approval"
    with db.reading() as s:
        case = s.get(Case, case_id)
        assert case.route == "open_procedure" and case.regime == "PA2023" and not case.key_decision
        reasons = [step["reason"] for step in case.route_plan["gates"]["route_approval"]]
    assert reasons == [
        "Head of Category: value £250,000.00 is in band £100,000 to £500,000, Corporate and Commercial, OCC"
    ]

    assert approve_gate(engine, case_id, [p.head]).to_state == "conflicts_assessment"
    declare(engine, case_id, p.officer)
    act(engine, case_id, "complete_conflicts_assessment", p.officer)
    publish_tender_notice(engine, case_id, p.officer)
    clock.set(date(2026, 4, 7))
    act(engine, case_id, "close_tenders", p.officer)
    # PA23 s26-28, s57: no award to an excluded or debarred supplier, so they are checked first.
    with pytest.raises(GuardFailed, match="Check the suppliers against the central debarment list"):
        act(engine, case_id, "recommend_award", p.officer, inputs=AWARD_INPUTS)
    act(engine, case_id, "record_exclusion_check", p.officer, inputs={"exclusions_checked_on": "2026-04-07"})
    # PA23 s83: and the conflicts assessment reviewed, now that the tenderers are known.
    with pytest.raises(GuardFailed, match="Review the conflicts assessment now that the suppliers are known"):
        act(engine, case_id, "recommend_award", p.officer, inputs=AWARD_INPUTS)
    act(engine, case_id, "review_conflicts_assessment", p.officer, inputs=CONFLICTS_REVIEWED)
    act(
        engine,
        case_id,
        "recommend_award",
        p.officer,
        inputs={**AWARD_INPUTS, "supplier_name": "Acme Systems Ltd"},
    )

    # Its approvers are asked knowing to whom the award would go, and for how much.
    with db.reading() as s:
        asked = s.scalars(select(OutboxMessage.body).where(OutboxMessage.kind == "approval_needed")).all()
    assert asked[-1].endswith(
        "Recommended award: Acme Systems Ltd (an SME), £240,000.00 excluding VAT (estimated £250,000.00)."
    )
    assert approve_gate(engine, case_id, [p.head]).to_state == "award_approval"  # step 1 of 2
    assert approve_gate(engine, case_id, [p.finance]).to_state == "award_notice"

    # PA23 s50(3): the assessed suppliers' summaries before the award notice.
    with pytest.raises(GuardFailed, match="Send an assessment summary to each supplier whose tender was assessed"):
        act(engine, case_id, "publish_award_notice", p.officer, inputs={"award_notice_published_on": "2026-04-08"})
    with pytest.raises(GuardFailed, match="cannot be in the future"):
        act(engine, case_id, "record_assessment_summaries", p.officer,
            inputs={"assessment_summaries_sent_on": "2026-04-08"})  # fmt: skip
    act(engine, case_id, "record_assessment_summaries", p.officer,
        inputs={"assessment_summaries_sent_on": "2026-04-07"})  # fmt: skip
    with pytest.raises(GuardFailed, match="cannot be dated before the assessment summaries it follows"):
        act(engine, case_id, "publish_award_notice", p.officer, inputs={"award_notice_published_on": "2026-04-06"})
    clock.set(date(2026, 4, 8))
    [asked, notice_id] = engine.offers(case_id, p.officer, ["publish_award_notice"])["publish_award_notice"].inputs
    assert asked.hint == ""  # the PCR 2015's words are for a procurement under them
    assert notice_id.optional  # Find a Tender's identifier for the notice, not asked under the PCR 2015 (below)
    act(engine, case_id, "publish_award_notice", p.officer, inputs={"award_notice_published_on": "2026-04-08"})
    with db.reading() as s:
        standstill = s.scalar(select(CaseDeadline).where(CaseDeadline.kind == "standstill_end"))
    # 8 working days beginning Wed 8 April 2026, skipping Good Friday (3 Apr is before) and Easter Monday (6 Apr
    # is before): 8, 9, 10, 13, 14, 15, 16, 17 April.
    assert standstill.due_on == date(2026, 4, 17)

    clock.set(date(2026, 4, 20))
    act(engine, case_id, "end_standstill", p.officer)
    signature = {"signed_on": "2026-04-20", "start_date": "2026-05-01", "end_date": "2029-04-30"}
    with pytest.raises(InvalidInput) as refused:  # options of a century: a typing error
        act(engine, case_id, "sign_contract", p.officer, inputs=signature | {"extension_months": 1200})
    assert refused.value.fields == {"extension_months": "Enter at most 600 months (50 years)"}
    act(engine, case_id, "sign_contract", p.officer, inputs=signature | {"extension_months": 24})
    result = act(
        engine, case_id, "publish_contract_details", p.officer, inputs={"contract_details_published_on": "2026-04-22"}
    )
    assert result.to_state == "handed_over"
    assert len(result.opened_cases) == 1

    with db.reading() as s:
        contract = s.scalar(select(Contract))
        assert contract.supplier_name == "Acme Systems Ltd" and contract.value == 240000
        # What the Transparency Code publishes of the supplier comes with the award.
        assert (contract.supplier_is_sme, contract.supplier_is_vcse, contract.supplier_registration) == (
            True,
            False,
            "01234567",
        )
        assert contract.case.state == "mobilisation" and contract.case.parent_case_id == case_id
        cdn = s.scalar(select(CaseDeadline).where(CaseDeadline.kind == "contract_details_notice"))
        assert cdn.due_on == date(2026, 5, 19) and cdn.met_at is not None  # 30 days beginning with 20 April
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) > 0
        events = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case_id))
        assert events == s.get(Case, case_id).audit_seq
        assert verify_chains(s).ok


def _direct_award(engine, db, clock, people, ground: str | None, why: str = "") -> int:
    """A 250,000 OCC direct award on ``ground``, submitted once its ground and justification are recorded."""
    case_id = new_request(engine, people.requester, value="250000", route="direct_award")
    if ground:
        engine.set_detail(case_id, people.requester, "direct_award_ground", ground)
    if why:
        engine.set_detail(case_id, people.requester, "direct_award_justification", why)
    return case_id


def _to_award_notice(engine, db, clock, people, case_id: int, award: dict = AWARD_INPUTS) -> None:
    act(engine, case_id, "submit", people.requester)
    approve_gate(engine, case_id, [people.head])
    declare(engine, case_id, people.officer)
    act(engine, case_id, "complete_conflicts_assessment", people.officer)
    act(engine, case_id, "publish_transparency_notice", people.officer,
        inputs={"transparency_notice_published_on": "2026-03-02", "notified_supplier": "Acme Ltd"})  # fmt: skip
    ready_to_recommend(engine, case_id, people)
    act(engine, case_id, "recommend_award", people.officer, inputs=award)
    approve_gate(engine, case_id, [people.head])
    approve_gate(engine, case_id, [people.finance])
    act(engine, case_id, "publish_award_notice", people.officer, inputs={"award_notice_published_on": "2026-03-02"})


def test_a_competitive_flexible_procedure_invites_tenders_after_its_participation_period(engine, db, clock):
    """PA23 s20(2)(b), s54: the tender notice opens a period for requests to participate (25 days above
    threshold, 10 in urgency); the suppliers chosen are invited to tender once it closes, and the tender period
    (25 days, or 10 after a planned procurement notice 40 days to a year before the tender notice) runs from
    the invitation."""
    p = hub_people(db)
    case_id = ready_for_the_market(engine, p, value="250000", route="competitive_flexible")
    offer = engine.offers(case_id, p.officer, ["publish_tender_notice"])["publish_tender_notice"]
    assert "participation_closes_on" in {i.name for i in offer.inputs} and "tenders_close_on" not in {
        i.name for i in offer.inputs
    }
    notice = {"tender_notice_published_on": "2026-03-02", "market_engaged": False}
    with pytest.raises(GuardFailed, match="participation period must be at least 25 days .* close on 27 March 2026"):
        act(
            engine,
            case_id,
            "publish_tender_notice",
            p.officer,
            inputs={**notice, "participation_closes_on": "2026-03-20"},
        )
    urgent = {**notice, "participation_closes_on": "2026-03-20", "urgent": True}  # 10 days will do
    assert act(engine, case_id, "publish_tender_notice", p.officer, inputs=urgent).to_state == "participation"

    invite = {"tenders_invited_on": "2026-03-20", "tenders_close_on": "2026-04-20", "invited_suppliers": INVITED}
    assert engine.not_yet(case_id, p.officer, ["invite_tenders"]) == {
        "invite_tenders": ("Requests to participate can be made until 20 March 2026",)
    }
    clock.set(date(2026, 3, 23))
    with pytest.raises(GuardFailed, match="Invitations to tender follow the participation period, which closed on 20"):
        act(engine, case_id, "invite_tenders", p.officer, inputs=invite)
    invite["tenders_invited_on"] = "2026-03-23"
    short = {**invite, "tenders_close_on": "2026-04-10"}
    with pytest.raises(GuardFailed, match="tender period must be at least 25 days .* close on 17 April 2026"):
        act(engine, case_id, "invite_tenders", p.officer, inputs=short)
    # A planned procurement notice counts by how long before the tender notice it went out: 41 days here.
    planned = {**short, "planned_procurement_notice_on": "2026-01-20"}
    with pytest.raises(InvalidInput, match="suppliers invited to tender"):
        act(engine, case_id, "invite_tenders", p.officer, inputs={**planned, "invited_suppliers": " "})
    assert act(engine, case_id, "invite_tenders", p.officer, inputs=planned).to_state == "tendering"
    assert engine.not_yet(case_id, p.officer, ["close_tenders"]) == {
        "close_tenders": ("The tender period is open until 10 April 2026",)
    }
    clock.set(date(2026, 4, 11))
    assert act(engine, case_id, "close_tenders", p.officer).to_state == "evaluation"


INVITED = "Acme Ltd\nThe Brightwater Partnership\n"


def test_a_tender_from_a_supplier_not_invited_after_the_participation_period_is_not_assessed(core, engine, db, clock):
    """PA23 s20(4)-(5): suppliers who failed the conditions of participation, or were not chosen, take no
    further part; the invited are known however their tender spells the name."""
    people = hub_people(db)
    case_id, officer = in_participation(engine, people), people.officer
    clock.set(date(2026, 3, 30))
    invite = {"tenders_invited_on": "2026-03-30", "tenders_close_on": "2026-04-27", "invited_suppliers": INVITED}
    act(engine, case_id, "invite_tenders", officer, inputs=invite)
    clock.set(date(2026, 4, 28))
    act(engine, case_id, "close_tenders", officer)
    for name in ("ACME LIMITED", "Brightwater Partnership", "Cheapo Co"):
        given = TenderGiven(name, "", True, False, "200000", date(2026, 4, 27))
        evaluation.record_tender(core, case_id, officer, given)
    with db.reading() as session:
        why = {s.tender.supplier_name: s.tender.not_assessed_because for s in evaluation_of(session, case_id).standings}
    not_invited = "Not invited to tender after the participation period (Procurement Act 2023 s20(4)-(5))"
    assert why == {"ACME LIMITED": "", "Brightwater Partnership": "", "Cheapo Co": not_invited}

    # Cheapo Co was invited, but left out when the invitation was recorded; Brightwater was not invited.
    with pytest.raises(InvalidInput) as refused:
        evaluation.correct_invitations(core, case_id, officer, " \n ", " ")
    assert refused.value.fields == {
        "invited_suppliers": "Give the suppliers invited to tender, one to a line",
        "reason": "Say why the list is corrected",
    }
    with db.reading() as session:
        seen = evaluation.invitations_as_seen(session.get(Case, case_id).details)
    fixed = "Acme Ltd\nCheapo Co\n"
    evaluation.correct_invitations(core, case_id, officer, fixed, "Cheapo Co was left out", seen=seen)
    with db.reading() as session:
        why = {s.tender.supplier_name: s.tender.not_assessed_because for s in evaluation_of(session, case_id).standings}
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.action == "correct_invitations")
        ).one()
    assert why == {"ACME LIMITED": "", "Brightwater Partnership": not_invited, "Cheapo Co": ""}
    assert event.comment == "Cheapo Co was left out" and event.data == {
        "invited_suppliers": ["Acme Ltd", "Cheapo Co"],
        "before": ["Acme Ltd", "The Brightwater Partnership"],
        "tenders_weighed_again": ["Brightwater Partnership", "Cheapo Co"],
    }
    with pytest.raises(ChangedMeanwhile):  # a second person on the form as it was before
        evaluation.correct_invitations(core, case_id, officer, "Acme Ltd", "Only Acme", seen=seen)


def test_a_competitive_flexible_procedure_ended_in_its_participation_period_owes_a_termination_notice(
    engine, db, clock
):
    p = hub_people(db)
    case_id = ready_for_the_market(engine, p, value="250000", route="competitive_flexible")
    notice = {
        "tender_notice_published_on": "2026-03-02",
        "participation_closes_on": "2026-03-27",
        "market_engaged": False,
    }
    act(engine, case_id, "publish_tender_notice", p.officer, inputs=notice)
    act(engine, case_id, "terminate_procurement", p.officer, reason="No requests to participate")
    with db.reading() as s:
        kinds = {d.kind for d in s.scalars(select(CaseDeadline).where(CaseDeadline.case_id == case_id))}
    assert "procurement_termination_notice" in kinds


def test_a_direct_award_is_submitted_only_on_a_ground_the_act_gives_and_why_it_applies(engine, db, clock):
    from provision_cycle.errors import InvalidInput

    people = hub_people(db)
    case_id = _direct_award(engine, db, clock, people, None)
    with pytest.raises(GuardFailed, match="A direct award needs its ground recorded on the request"):
        act(engine, case_id, "submit", people.requester)
    with pytest.raises(InvalidInput) as refused:
        engine.set_detail(case_id, people.requester, "direct_award_ground", "cheapest")
    assert refused.value.fields == {
        "direct_award_ground": "Choose one of the grounds for a direct award the Procurement Act gives"
    }
    engine.set_detail(case_id, people.requester, "direct_award_ground", "single_supplier")
    with pytest.raises(GuardFailed, match="A direct award needs a recorded justification"):
        act(engine, case_id, "submit", people.requester)
    engine.set_detail(case_id, people.requester, "direct_award_justification", "The maker holds the licence")
    act(engine, case_id, "submit", people.requester)
    # The route's approvers are asked knowing on what ground, and why.
    with db.reading() as session:
        [asked] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "approval_needed")).all()
    assert asked.body.endswith(
        "A direct award, without competition. Ground: Only one supplier can supply it: an artistic work, exclusive "
        "rights, or no competition for technical reasons. Why: The maker holds the licence."
    )


def test_standstill_follows_a_direct_award_unless_it_is_for_extreme_urgency(engine, db, clock):
    """PA23 s51(3): no mandatory standstill after a direct award for extreme and unavoidable urgency."""
    people = hub_people(db)
    single = _direct_award(engine, db, clock, people, "single_supplier", "The maker holds the licence")
    urgent = _direct_award(engine, db, clock, people, "urgency", "The care provider failed overnight")
    _to_award_notice(engine, db, clock, people, single)
    # An urgent award's supplier may not be registered on the platform yet: its PPON is not asked for.
    unregistered = {name: answer for name, answer in AWARD_INPUTS.items() if name != "supplier_ppon"}
    _to_award_notice(engine, db, clock, people, urgent, award=unregistered)
    with db.reading() as session:
        states = {case_id: session.get(Case, case_id).state for case_id in (single, urgent)}
        standstills = session.scalars(select(CaseDeadline.case_id).where(CaseDeadline.kind == "standstill_end"))
        assert set(standstills) == {single}
    assert states == {single: "standstill", urgent: "contract_signature"}


def test_a_notifiable_below_threshold_contract_is_notified_as_soon_as_reasonably_practicable(engine, db, clock):
    """PA23 s87(3): 40,000 (48,000 with VAT) is over the 30,000 a sub-central council notifies, under the
    Act's thresholds: its contract details notice has the hub's 30-day target, on the section that sets it."""
    from .factories import approve_open_steps

    people = hub_people(db)
    case_id = award_recommended(engine, clock, people, value="40000", award_value="38000", closes=date(2026, 3, 16))
    approve_open_steps(engine, db, people, case_id)
    signature = {"signed_on": "2026-03-17", "start_date": "2026-04-01", "end_date": "2027-03-31"}
    act(engine, case_id, "sign_contract", people.officer, inputs=signature)
    with db.reading() as session:
        owed = session.scalars(select(CaseDeadline).where(CaseDeadline.case_id == case_id)).one()
    assert owed.kind == "contract_details_notice" and owed.due_on == date(2026, 4, 15)
    assert owed.basis.startswith("PA23 s87(3): as soon as reasonably practicable after 17 March 2026")


def _user_choice(engine, people, contract_type: str = "light_touch") -> int:
    """A 700,000 OCC adult social care placement (VAT-exempt: above the 663,540 light-touch threshold) awarded
    to the provider its resident chose."""
    case_id = new_request(engine, people.requester, value="700000", category="adult_social_care",
                          contract_type=contract_type, vat_treatment="exempt", route="direct_award")  # fmt: skip
    engine.set_detail(case_id, people.requester, "direct_award_ground", "user_choice")
    why = "Mrs B and her family chose the home near her daughter; it can meet her assessed needs"
    engine.set_detail(case_id, people.requester, "direct_award_justification", why)
    return case_id


def test_a_user_choice_contract_goes_to_the_chosen_supplier_without_a_transparency_or_award_notice(engine, db, clock):
    """PA23 Sch 5 para 15: light-touch services for particular people, from the supplier they chose, with no
    transparency notice (s44), no award notice (s50(6)(b)) and so no standstill; the contract details notice
    is still owed, in the 120 days a light-touch contract has (s53(2))."""
    from .factories import approve_open_steps

    people = hub_people(db, pillar="heasc")
    case_id = _user_choice(engine, people)
    act(engine, case_id, "submit", people.requester)
    approve_open_steps(engine, db, people, case_id)
    declare(engine, case_id, people.officer)
    act(engine, case_id, "complete_conflicts_assessment", people.officer)
    # Only the user-choice way to the award is offered; the other is refused if asked for all the same.
    assert engine.not_yet(case_id, people.officer, ["publish_transparency_notice", "record_user_choice"]) == {
        "publish_transparency_notice": None
    }
    with pytest.raises(GuardFailed, match="A user-choice contract is awarded without a transparency notice"):
        act(engine, case_id, "publish_transparency_notice", people.officer,
            inputs={"transparency_notice_published_on": "2026-03-02", "notified_supplier": "Acme Ltd"})  # fmt: skip
    tomorrow = date.fromordinal(engine.today().toordinal() + 1).isoformat()
    with pytest.raises(GuardFailed, match="The date the supplier was chosen cannot be in the future"):
        act(engine, case_id, "record_user_choice", people.officer, inputs={"user_choice_recorded_on": tomorrow})
    chosen = act(engine, case_id, "record_user_choice", people.officer,
                 inputs={"user_choice_recorded_on": engine.today().isoformat()})  # fmt: skip
    assert chosen.to_state == "direct_award"
    ready_to_recommend(engine, case_id, people)  # above threshold under the Act: still owed (s26-28, s57)
    # The conflicts assessment may be reviewed (s83), though with the supplier known from the start it need not be.
    offered = engine.offers(case_id, people.officer, ["review_conflicts_assessment", "recommend_award"])
    assert offered["review_conflicts_assessment"] is not None and offered["recommend_award"].not_yet == ()
    act(engine, case_id, "recommend_award", people.officer, inputs={**AWARD_INPUTS, "award_value": "690000"})
    approve_open_steps(engine, db, people, case_id)
    with db.reading() as session:
        assert session.get(Case, case_id).state == "contract_signature"  # no award notice, no standstill
    signature = {"signed_on": engine.today().isoformat(), "start_date": "2026-04-01", "end_date": "2029-03-31"}
    act(engine, case_id, "sign_contract", people.officer, inputs=signature)
    with db.reading() as session:
        owed = {d.kind: d for d in session.scalars(select(CaseDeadline).where(CaseDeadline.case_id == case_id))}
    assert set(owed) == {"contract_details_notice"}  # nothing for a transparency or award notice
    assert (owed["contract_details_notice"].due_on - engine.today()).days == 119  # 120 days beginning with it


def test_a_user_choice_award_is_for_light_touch_services_only(engine, db, clock):
    people = hub_people(db)
    case_id = _user_choice(engine, people, contract_type="services")
    with pytest.raises(GuardFailed, match="is for light-touch services only; this request's contract type is services"):
        act(engine, case_id, "submit", people.requester)
    # Any other direct award goes on by its transparency notice, never by a user's choice.
    other = _direct_award(engine, db, clock, people, "single_supplier", "The maker holds the licence")
    act(engine, other, "submit", people.requester)
    approve_gate(engine, other, [people.head])
    declare(engine, other, people.officer)
    act(engine, other, "complete_conflicts_assessment", people.officer)
    assert engine.not_yet(other, people.officer, ["publish_transparency_notice", "record_user_choice"]) == {
        "record_user_choice": None
    }


def test_an_award_costing_more_than_the_estimate_is_approved_at_the_level_of_its_cost(engine, db, clock):
    """A 90,000 request (its award for the Head of Category alone) awarded at 120,000 goes to the approvers of
    100,000-500,000 (the Head of Category and Finance); one awarded under the estimate keeps its approvers.
    One awarded at 180,000 (216,000 with VAT) is over the threshold the estimate was under: its approvers are
    told to check the estimate, on which the procurement ran as a below-threshold one."""

    people = hub_people(db)
    reasons, briefs, audited = {}, {}, {}
    for award in ("120000", "85000", "180000"):
        clock.set(date(2026, 3, 2))
        case_id = award_recommended(engine, clock, people, value="90000", award_value=award, closes=date(2026, 3, 16))
        with db.reading() as session:
            case = session.get(Case, case_id)
            reasons[award] = [step["reason"] for step in case.route_plan["gates"]["award_approval"]]
            briefs[award] = case.details["for_approvers"]
            audited[award] = session.scalars(
                select(AuditEvent.data).where(AuditEvent.case_id == case_id, AuditEvent.action == "recommend_award")
            ).one()
    assert reasons["120000"] == [
        "Head of Category: value £120,000.00 is in band £100,000 to £500,000, Corporate and Commercial, OCC",
        "Finance Business Partner: value £120,000.00 is in band £100,000 to £500,000, Corporate and Commercial, OCC",
    ]
    assert reasons["85000"] == [
        "Head of Category: value £90,000.00 is in band £30,000 to £100,000, Corporate and Commercial, OCC"
    ]
    assert "approvers" not in audited["85000"]  # the 85,000 award kept the route it had
    assert "threshold" not in briefs["120000"]
    assert briefs["180000"].endswith(
        "At £216,000.00 with VAT the award is over the £207,720.00 threshold that the estimate was under, and the "
        "procurement ran as a below-threshold one: check that the estimate was a reasonable one (Procurement Act "
        "2023 Schedule 3)."
    )


def test_an_award_over_the_key_decision_figure_goes_to_the_executive_after_the_forward_plan(engine, db, clock):
    """CDC: awarding any contract over 500,000 is a key decision. A 450,000 request is not one; its award at
    520,000 is, so once its officers approve it the award goes to the Executive, no sooner than 28 clear days
    after it is published on the forward plan (recorded while the officers sign it off)."""
    people = hub_people(db, authority="CDC")
    case_id = award_over_the_key_decision_figure(engine, clock, people)
    with db.reading() as session:
        case = session.get(Case, case_id)
        assert not case.key_decision and case.details["award_key_decision"].startswith(
            "key decision for CDC: a contract worth £520,000.00 is over £500,000.00"
        )
        [asked] = session.scalars(
            select(OutboxMessage.body).where(OutboxMessage.kind == "approval_needed").order_by(OutboxMessage.id.desc())
        ).all()[:1]
    assert asked.endswith("It is a key decision for CDC: a contract worth £520,000.00 is over £500,000.00, so it "
                          "needs 28 clear days on the forward plan.")  # fmt: skip
    act(engine, case_id, "record_forward_plan", people.officer, inputs={"forward_plan_published_on": "2026-04-07"})
    # Its officers at the level of 520,000, then the Executive.
    result = approve_gate(engine, case_id, [people.head, people.legal, people.s151])
    assert result.to_state == "award_executive_decision"
    declare(engine, case_id, people.executive)
    with pytest.raises(GuardFailed, match="cannot be taken before 6 May 2026"):
        act(engine, case_id, "approve", people.executive)
    clock.set(date(2026, 5, 6))
    assert act(engine, case_id, "approve", people.executive).to_state == "award_notice"
    with db.reading() as session:
        plan = session.scalars(select(CaseDeadline).where(CaseDeadline.kind == "forward_plan")).one()
        assert plan.met_at is not None


def test_an_award_sent_back_from_the_executive_is_no_longer_on_the_forward_plan(engine, db, clock):
    people = hub_people(db, authority="CDC")
    case_id = award_over_the_key_decision_figure(engine, clock, people)
    act(engine, case_id, "record_forward_plan", people.officer, inputs={"forward_plan_published_on": "2026-04-07"})
    approve_gate(engine, case_id, [people.head, people.legal, people.s151])
    declare(engine, case_id, people.executive)
    returned = act(engine, case_id, "return", people.executive, reason="Negotiate the price down first")
    assert returned.to_state == "evaluation"
    with db.reading() as session:
        assert session.scalars(select(CaseDeadline).where(CaseDeadline.kind == "forward_plan")).all() == []
    # Recommended again under the figure: not a key decision now; the officers for 495,000 decide.
    act(engine, case_id, "recommend_award", people.officer, inputs={**AWARD_INPUTS, "award_value": "495000"})
    assert approve_gate(engine, case_id, [people.head, people.finance]).to_state == "award_notice"


def test_a_direct_award_below_the_threshold_goes_ahead_without_a_transparency_notice(engine, db, clock):
    """PA23 s44 asks a transparency notice before the direct award of a public contract (above the threshold);
    a 20,000 purchase from the only supplier goes ahead once its route is approved, and owes no notice at all
    (24,000 with VAT is under the 30,000 a contract details notice needs, s87)."""
    people = hub_people(db)
    case_id = new_request(engine, people.requester, value="20000", route="direct_award")
    engine.set_detail(case_id, people.requester, "direct_award_ground", "single_supplier")
    engine.set_detail(case_id, people.requester, "direct_award_justification", "Only its maker services it")
    act(engine, case_id, "submit", people.requester)
    approve_open_steps(engine, db, people, case_id)
    declare(engine, case_id, people.officer)
    act(engine, case_id, "complete_conflicts_assessment", people.officer)
    ways = ["publish_transparency_notice", "record_user_choice", "start_direct_award"]
    assert engine.not_yet(case_id, people.officer, ways) == {
        "publish_transparency_notice": None,
        "record_user_choice": None,
    }
    with pytest.raises(GuardFailed, match="A direct award below the threshold owes no transparency notice"):
        act(engine, case_id, "publish_transparency_notice", people.officer,
            inputs={"transparency_notice_published_on": "2026-03-02", "notified_supplier": "Acme Ltd"})  # fmt: skip
    assert act(engine, case_id, "start_direct_award", people.officer).to_state == "direct_award"
    act(engine, case_id, "recommend_award", people.officer, inputs={**AWARD_INPUTS, "award_value": "19500"})
    approve_open_steps(engine, db, people, case_id)
    signature = {"signed_on": "2026-03-02", "start_date": "2026-04-01", "end_date": "2027-03-31"}
    assert act(engine, case_id, "sign_contract", people.officer, inputs=signature).to_state == "handed_over"
    # Above the threshold it is the other way round.
    above = _direct_award(engine, db, clock, people, "single_supplier", "The maker holds the licence")
    act(engine, above, "submit", people.requester)
    approve_open_steps(engine, db, people, above)
    declare(engine, above, people.officer)
    act(engine, above, "complete_conflicts_assessment", people.officer)
    assert engine.not_yet(above, people.officer, ways) == {"record_user_choice": None, "start_direct_award": None}


def test_a_procurement_under_the_pcr_2015_stands_still_and_publishes_its_award_by_that_law(engine, db, clock):
    """A legacy open procedure commenced before 24 February 2025 stays under the PCR 2015 to its contract: no
    assessment summaries (its decision notices carry the reasons, reg 86(2)); the standstill runs to the end of
    the 10th day after the decision notices are sent (reg 87(2)(a)), here a Saturday and so to Monday; once
    signed, its contract award notice is due not later than 30 days after (reg 50(1))."""
    people = hub_people(db)
    clock.set(date(2025, 1, 6))
    case_id = new_request(engine, people.requester, value="250000", proposed_start=date(2025, 6, 2))
    act(engine, case_id, "submit", people.requester)
    approve_open_steps(engine, db, people, case_id)
    declare(engine, case_id, people.officer)
    act(engine, case_id, "complete_conflicts_assessment", people.officer)
    publish_tender_notice(engine, case_id, people.officer, published="2025-01-10", closes="2025-02-17")
    clock.set(date(2025, 2, 18))
    act(engine, case_id, "close_tenders", people.officer)
    with db.reading() as session:
        assert session.get(Case, case_id).regime == "PCR2015"
    # No notice of it goes to the Central Digital Platform: the supplier's PPON is not asked for, nor whether it
    # is a supported employment provider or a public service mutual (PR24 regs 27, 32).
    asked = {
        spec.name for spec in engine.offers(case_id, people.officer, ["recommend_award"])["recommend_award"].inputs
    }
    assert not asked & {"supplier_ppon", "supplier_is_supported_employment", "supplier_is_public_service_mutual"}
    act(engine, case_id, "recommend_award", people.officer, inputs=AWARD_INPUTS_UNDER_THE_PCR)
    approve_open_steps(engine, db, people, case_id)
    [asked] = engine.offers(case_id, people.officer, ["publish_award_notice"])["publish_award_notice"].inputs
    assert asked.hint.startswith("Under the Public Contracts Regulations 2015, the day the decision notices")
    clock.set(date(2025, 2, 26))
    act(engine, case_id, "publish_award_notice", people.officer, inputs={"award_notice_published_on": "2025-02-26"})
    with db.reading() as session:
        standstill = case_deadline(session, case_id, "standstill_end")
    assert standstill.due_on == date(2025, 3, 10)  # 10 days after: Saturday 8 March, so Monday
    assert standstill.basis.startswith("PCR 2015 reg 87(2)(a): to midnight at the end of the 10th day after 26 Feb")
    clock.set(date(2025, 3, 11))
    act(engine, case_id, "end_standstill", people.officer)
    signature = {"signed_on": "2025-03-11", "start_date": "2025-06-02", "end_date": "2028-06-01"}
    act(engine, case_id, "sign_contract", people.officer, inputs=signature)
    with db.reading() as session:
        owed = case_deadline(session, case_id, "contract_details_notice")
    assert owed.due_on == date(2025, 4, 10) and owed.basis.startswith("PCR 2015 reg 50(1): a contract award notice")


def test_a_contract_awarded_across_the_threshold_goes_to_contract_management_on_the_route_it_ran(engine, db, clock):
    """A contract's route is how it was procured, chosen at the estimate: a below-threshold tender awarded at
    180,000 (216,000 with VAT, over the threshold) is handed over as one, not refused at the last step because
    the route would not be open to a new request of that value (nor a competitive flexible procedure awarded
    under the threshold: tests/test_reservations)."""
    people = hub_people(db)
    clock.set(date(2026, 3, 2))
    case_id = award_recommended(engine, clock, people, value="90000", award_value="180000", closes=date(2026, 3, 16))
    approve_open_steps(engine, db, people, case_id)
    signature = {"signed_on": engine.today().isoformat(), "start_date": "2026-04-01", "end_date": "2028-03-31"}
    act(engine, case_id, "sign_contract", people.officer, inputs=signature)
    done = act(engine, case_id, "publish_contract_details", people.officer,
               inputs={"contract_details_published_on": engine.today().isoformat()})  # fmt: skip
    assert done.to_state == "handed_over"
    with db.reading() as session:
        contract = session.scalars(select(Contract).where(Contract.procurement_case_id == case_id)).one()
        managed = session.get(Case, contract.case_id)
    assert (contract.value, contract.route) == (Decimal("180000.00"), "below_threshold_tender")
    assert (managed.route, managed.estimated_value) == ("below_threshold_tender", Decimal("180000.00"))
