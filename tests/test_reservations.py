"""A below-threshold competition reserved to suppliers based in one place, and perhaps to SMEs and VCSEs too
(the Local Government (Exclusion of Non-commercial Considerations) (England) Order 2026): asked where the Order
allows it, recorded with its reasons, and a tender from a supplier it leaves out not assessed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from provision_cycle.errors import InvalidInput
from provision_cycle.models import AuditEvent, Case, Contract, ParticipationRequest, Tender
from provision_cycle.services import evaluation
from provision_cycle.services.evaluation import RequestGiven, TenderGiven
from provision_cycle.services.ocds import case_release_package
from provision_cycle.services.reading import award_recommendation
from provision_cycle.services.spreadsheet import FileRefused
from provision_cycle.workflow.reservations import POLICY, Reservation
from tests.web.conftest import Browser
from tests.web.helpers import forms_on

from .factories import (
    AWARD_INPUTS,
    act,
    approve_open_steps,
    declare,
    hub_people,
    invite_tenders,
    new_request,
    publish_tender_notice,
    ready_for_the_market,
    ready_to_recommend,
)

LOCAL_SMES = {
    "reserved": True,
    "reserved_to_suppliers_in": "Oxfordshire",
    "reserved_to_smes_and_vcses": True,
    "reserved_because": "Local jobs and apprenticeships; six Oxfordshire SMEs run this service today",
}
# The county council's wider local area, as config/organisation.yaml draws it.
OXFORDSHIRE_AND_BORDERING = (
    "Oxfordshire or an area bordering it (Berkshire, Buckinghamshire, Gloucestershire, Northamptonshire, Warwickshire "
    "or Wiltshire)"
)
LEFT_OUT = "Not among the SMEs and VCSEs based in Oxfordshire the competition is reserved to (the Local Government (Exclusion of Non-commercial Considerations) (England) Order 2026)"


@pytest.fixture
def people(db):
    return hub_people(db)


def _offered(core, case_id, actor, trigger):
    return {spec.name: spec for spec in core.engine.offers(case_id, actor, [trigger])[trigger].inputs}


def _tender(name, *, within, sme=False, vcse=False, not_assessed=""):
    """A tender of 90,000 received 20 March 2026, its supplier within the reservation (based in its place, or of
    its kind) or not."""
    given = TenderGiven(name, "", sme, vcse, "90000", date(2026, 3, 20), not_assessed)
    return replace(given, supplier_within_reservation=within)


def _tenders(db, case_id):
    with db.reading() as session:
        rows = session.scalars(select(Tender).where(Tender.case_id == case_id).order_by(Tender.id))
        return {t.supplier_name: (t.supplier_within_reservation, t.not_assessed_because) for t in rows}


def _reserved_to_local_smes(core, clock, people, value="100000"):
    """A below-threshold tender (``value``), its notice reserving it to Oxfordshire's SMEs and VCSEs, closed."""
    case_id = ready_for_the_market(core.engine, people, value=value)
    publish_tender_notice(core.engine, case_id, people.officer, **LOCAL_SMES)
    clock.set(date(2026, 4, 7))
    act(core.engine, case_id, "close_tenders", people.officer)
    return case_id


def test_a_below_threshold_tender_may_be_reserved_to_local_smes_and_vcses(core, db, clock, people):
    case_id = ready_for_the_market(core.engine, people, value="100000")  # 120,000 with VAT: below the threshold
    asked = _offered(core, case_id, people.officer, "publish_tender_notice")
    assert asked["reserved"].optional  # unanswered, open to all
    assert asked["reserved_to_suppliers_in"].options == (
        ("uk", "The United Kingdom"),
        ("Oxfordshire", "Oxfordshire"),
        (OXFORDSHIRE_AND_BORDERING, OXFORDSHIRE_AND_BORDERING),
        ("anywhere", "Anywhere: SMEs and VCSEs alone, wherever they are based"),
    )
    assert asked["reserved_to_suppliers_in"].under == "reserved"
    publish_tender_notice(core.engine, case_id, people.officer, **LOCAL_SMES)
    with db.reading() as session:
        case = session.get(Case, case_id)
        reservation = Reservation.of(case.details)
        assert (reservation.place, reservation.smes_and_vcses, reservation.kind) == ("Oxfordshire", True, None)
        assert (
            reservation.described
            == "Reserved to SMEs and VCSEs based in Oxfordshire (the Local Government (Exclusion of Non-commercial Considerations) (England) Order 2026)"
        )
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq.desc())
        ).first()
    assert event.action == "publish_tender_notice"
    assert event.data["reserved_because"] == LOCAL_SMES["reserved_because"]
    assert event.data["reserved_to_suppliers_in_label"] == "Oxfordshire"

    clock.set(date(2026, 4, 7))
    act(core.engine, case_id, "close_tenders", people.officer)
    for given in (
        _tender("Banbury Care Ltd", within=True, sme=True),
        _tender("Oxford Community Transport", within=True, vcse=True),
        _tender("Big County Services plc", within=True),  # neither an SME nor a VCSE
        _tender("Swindon Small Ltd", within=False, sme=True),  # an SME, but not based in Oxfordshire
    ):
        evaluation.record_tender(core, case_id, people.officer, given)
    assert _tenders(db, case_id) == {
        "Banbury Care Ltd": (True, ""),
        "Oxford Community Transport": (True, ""),
        "Big County Services plc": (True, LEFT_OUT),
        "Swindon Small Ltd": (False, LEFT_OUT),
    }


def test_a_competition_may_be_reserved_to_smes_and_vcses_alone_wherever_they_are_based(app, core, db, clock, people):
    """The 2026 Order lets a council reserve a below-threshold competition to SMEs and VCSEs without a place
    (Procurement Policy Note 005 did not): each tender's SME and VCSE answers decide, with no question of its own;
    a reservation to no place that is not to SMEs and VCSEs is refused."""
    case_id = ready_for_the_market(core.engine, people, value="100000")
    alone = {**LOCAL_SMES, "reserved_to_suppliers_in": "anywhere"}
    with pytest.raises(InvalidInput) as refused:
        publish_tender_notice(core.engine, case_id, people.officer, **{**alone, "reserved_to_smes_and_vcses": False})
    assert refused.value.fields == {
        "reserved_to_smes_and_vcses": "Reserved to no place, it is reserved to SMEs and VCSEs alone: answer yes, or "
        "choose a place"
    }
    publish_tender_notice(core.engine, case_id, people.officer, **alone)
    with db.reading() as session:
        reservation = Reservation.of(session.get(Case, case_id).details)
    assert reservation.described.startswith("Reserved to SMEs and VCSEs (the Local Government") and not reservation.asks
    assert reservation.open_data() == {"reservedParticipation": ["smeVcse"]}  # no place to give

    clock.set(date(2026, 4, 7))
    act(core.engine, case_id, "close_tenders", people.officer)
    for given in (
        _tender("Swindon Small Ltd", within=None, sme=True),  # an SME wherever it is: nothing else to ask
        _tender("Big County Services plc", within=None),  # neither
    ):
        evaluation.record_tender(core, case_id, people.officer, given)
    left_out = "Not among the SMEs and VCSEs the competition is reserved to (" + POLICY + ")"
    assert _tenders(db, case_id) == {"Swindon Small Ltd": (None, ""), "Big County Services plc": (None, left_out)}
    officer = Browser(app, db).sign_in(people.officer)
    form = officer.get(f"/cases/{case_id}/tenders/new").text
    assert 'name="supplier_within_reservation"' not in form and "Reserved to SMEs and VCSEs (the Local" in form


def test_a_competition_may_be_reserved_to_the_council_s_area_and_the_counties_bordering_it(core, db, clock, people):
    """The 2026 Order's wider local area: the council's area with the counties (and London boroughs) bordering
    it, named in the notice as configured, and kept in those words; each tender says whether its supplier is
    based there, in a file under the heading *Based in Oxfordshire or an area bordering it*."""
    case_id = ready_for_the_market(core.engine, people, value="100000")
    wider = {**LOCAL_SMES, "reserved_to_suppliers_in": OXFORDSHIRE_AND_BORDERING, "reserved_to_smes_and_vcses": False}
    publish_tender_notice(core.engine, case_id, people.officer, **wider)
    with db.reading() as session:
        reservation = Reservation.of(session.get(Case, case_id).details)
    assert reservation.described == f"Reserved to suppliers based in {OXFORDSHIRE_AND_BORDERING} ({POLICY})"
    assert reservation.question == (
        f"Is the supplier based or established in {OXFORDSHIRE_AND_BORDERING}, with substantive business operations "
        "there?"
    )
    assert reservation.heading == "Based in Oxfordshire or an area bordering it"
    assert reservation.open_data() == {
        "reservedParticipation": None,
        "reservedParticipationLocation": {"description": OXFORDSHIRE_AND_BORDERING},
    }

    clock.set(date(2026, 4, 7))
    act(core.engine, case_id, "close_tenders", people.officer)
    tenders = (
        b"Supplier,SME,Price,Received,Based in Oxfordshire or an area bordering it\n"
        b"Swindon Small Ltd,yes,85000,2026-03-20,yes\nBristol Services Ltd,no,80000,2026-03-20,no\n"
    )
    evaluation.load_tenders(core, case_id, people.officer, tenders, apply=True)
    assert _tenders(db, case_id) == {
        "Swindon Small Ltd": (True, ""),  # Wiltshire borders Oxfordshire
        "Bristol Services Ltd": (False, f"Not among the suppliers based in {OXFORDSHIRE_AND_BORDERING} the competition "
                                        f"is reserved to ({POLICY})"),
    }  # fmt: skip


def test_a_tender_in_a_reserved_competition_says_whether_its_supplier_is_within(core, db, clock, people):
    case_id = _reserved_to_local_smes(core, clock, people)
    with pytest.raises(InvalidInput) as refused:
        evaluation.record_tender(core, case_id, people.officer, _tender("Acme Ltd", within=None, sme=True))
    assert refused.value.fields == {"supplier_within_reservation": "Say whether the supplier is based in Oxfordshire"}
    assert _tenders(db, case_id) == {}

    # Corrected once it turns out the supplier is based there after all: assessed, the team's own reason kept.
    tender_id = evaluation.record_tender(core, case_id, people.officer, _tender("Acme Ltd", within=False, sme=True))
    assert _tenders(db, case_id) == {"Acme Ltd": (False, LEFT_OUT)}
    with db.reading() as session:
        seen = evaluation.supplier_row_as_seen(session.get(Tender, tender_id))
    corrected = _tender("Acme Ltd", within=True, sme=True)
    evaluation.record_tender(core, case_id, people.officer, corrected, tender_id=tender_id, seen=seen)
    assert _tenders(db, case_id) == {"Acme Ltd": (True, "")}
    with db.reading() as session:
        seen = evaluation.supplier_row_as_seen(session.get(Tender, tender_id))
    late = _tender("Acme Ltd", within=True, sme=True, not_assessed="Received after the deadline")
    evaluation.record_tender(core, case_id, people.officer, late, tender_id=tender_id, seen=seen)
    assert _tenders(db, case_id) == {"Acme Ltd": (True, "Received after the deadline")}


def test_a_reservation_says_where_for_whom_and_why(core, db, people):
    case_id = ready_for_the_market(core.engine, people, value="100000")
    with pytest.raises(InvalidInput) as refused:
        publish_tender_notice(core.engine, case_id, people.officer, reserved=True)
    assert set(refused.value.fields) == {"reserved_to_suppliers_in", "reserved_to_smes_and_vcses", "reserved_because"}
    with pytest.raises(InvalidInput) as refused:  # one county: the councils' own, never a nation
        publish_tender_notice(
            core.engine, case_id, people.officer, **(LOCAL_SMES | {"reserved_to_suppliers_in": "Wales"})
        )
    assert "choose one of uk, Oxfordshire" in refused.value.fields["reserved_to_suppliers_in"]
    with pytest.raises(InvalidInput) as refused:  # the details of a reservation not made
        publish_tender_notice(core.engine, case_id, people.officer, **(LOCAL_SMES | {"reserved": False}))
    assert set(refused.value.fields) == {"reserved_to_suppliers_in", "reserved_to_smes_and_vcses", "reserved_because"}
    with db.reading() as session:
        assert session.get(Case, case_id).state == "conflicts_assessment"


def test_a_competition_open_to_all_asks_nothing_of_its_tenders(core, db, clock, people):
    case_id = ready_for_the_market(core.engine, people, value="100000")
    publish_tender_notice(core.engine, case_id, people.officer, reserved=False)
    clock.set(date(2026, 4, 7))
    act(core.engine, case_id, "close_tenders", people.officer)
    evaluation.record_tender(core, case_id, people.officer, _tender("Anywhere Ltd", within=False))
    assert _tenders(db, case_id) == {"Anywhere Ltd": (None, "")}


def test_quotations_may_be_reserved_to_suppliers_in_the_uk(core, db, clock, people):
    case_id = new_request(core.engine, people.requester, value="20000")  # the rules' route: quotations
    act(core.engine, case_id, "submit", people.requester)
    approve_open_steps(core.engine, db, people, case_id)
    declare(core.engine, case_id, people.officer)
    act(core.engine, case_id, "complete_conflicts_assessment", people.officer)
    uk_wide = {"reserved": True, "reserved_to_suppliers_in": "uk", "reserved_to_smes_and_vcses": False}
    act(core.engine, case_id, "invite_quotations", people.officer, inputs=uk_wide | {"reserved_because": "Resilience"})
    clock.set(date(2026, 4, 7))
    act(core.engine, case_id, "close_quotations", people.officer)
    for given in (_tender("Leeds Ltd", within=True), _tender("Lyon SARL", within=False)):
        evaluation.record_tender(core, case_id, people.officer, given)
    assert _tenders(db, case_id) == {
        "Leeds Ltd": (True, ""),
        "Lyon SARL": (
            False,
            "Not among the suppliers based in the UK the competition is reserved to (the Local Government (Exclusion of Non-commercial Considerations) (England) Order 2026)",
        ),
    }


def test_no_competition_advertised_before_the_order_came_into_force_is_reserved_by_place(core, db, clock, people):
    """Before 4 February 2026 the Local Government Act 1988 s17(5)(e) barred a council from weighing where its
    contractors' business is: a tender notice published, or quotations invited, before then is not reserved to
    a place (a record made later, of a notice published then, included). To SMEs and VCSEs alone it may be."""
    refused_then = {
        "reserved_to_suppliers_in": "A competition advertised before 4 February 2026, when the Order came into force, "
        "could not be reserved by where its suppliers are based (Local Government Act 1988 s17(5)(e)): choose no "
        "place, for SMEs and VCSEs alone, or leave it open to all"
    }
    clock.set(date(2026, 1, 26))
    tender = ready_for_the_market(core.engine, people, value="100000")
    alone = ready_for_the_market(core.engine, people, value="100000")
    quotations = new_request(core.engine, people.requester, value="20000")
    act(core.engine, quotations, "submit", people.requester)
    approve_open_steps(core.engine, db, people, quotations)
    declare(core.engine, quotations, people.officer)
    act(core.engine, quotations, "complete_conflicts_assessment", people.officer)

    clock.set(date(2026, 2, 6))
    for published in ("2026-02-03", "2026-02-02"):
        with pytest.raises(InvalidInput) as refused:
            publish_tender_notice(core.engine, tender, people.officer, published, "2026-03-06", **LOCAL_SMES)
        assert refused.value.fields == refused_then
    no_place = {**LOCAL_SMES, "reserved_to_suppliers_in": "anywhere"}
    publish_tender_notice(core.engine, alone, people.officer, "2026-02-03", "2026-03-06", **no_place)
    publish_tender_notice(core.engine, tender, people.officer, "2026-02-04", "2026-03-06", **LOCAL_SMES)

    uk_wide = {"reserved": True, "reserved_to_suppliers_in": "uk", "reserved_to_smes_and_vcses": False}
    uk_wide["reserved_because"] = "Resilience"
    clock.set(date(2026, 2, 3))
    with pytest.raises(InvalidInput) as refused:
        act(core.engine, quotations, "invite_quotations", people.officer, inputs=uk_wide)
    assert refused.value.fields == refused_then
    clock.set(date(2026, 2, 4))
    act(core.engine, quotations, "invite_quotations", people.officer, inputs=uk_wide)
    with db.reading() as session:
        reserved = [Reservation.of(session.get(Case, case).details) for case in (tender, alone, quotations)]
    assert [reservation.place for reservation in reserved] == ["Oxfordshire", "anywhere", "uk"]


def test_only_a_regulated_below_threshold_contract_may_be_reserved(core, people):
    """Above the threshold a public contract is open to suppliers from the treaty states: no place reserved."""
    case_id = ready_for_the_market(core.engine, people, value="250000")
    assert "reserved" not in _offered(core, case_id, people.officer, "publish_tender_notice")
    with pytest.raises(InvalidInput) as refused:
        publish_tender_notice(core.engine, case_id, people.officer, **LOCAL_SMES)
    assert "is not asked for by 'Publish the tender notice' on this case" in refused.value.fields["reserved"]


def test_a_below_threshold_competitive_flexible_procedure_may_be_reserved_by_place(core, db, clock, people):
    """Works below their threshold (the s85 exception allows the procedure there) are a regulated below-threshold
    contract: the 2026 Order's reservation, not the Act's s32 and s33 (public contracts only), and a
    request to participate from outside the place is set aside, so never invited."""
    case_id = _flexible(core, db, people, value="1000000", contract_type="works")  # 1.2m with VAT, below 5.4m
    asked = _offered(core, case_id, people.officer, "publish_tender_notice")
    assert asked["reserved"].label == ("Is the competition reserved to suppliers based in one place?")
    assert (
        "based in the UK or in its area (the Local Government (Exclusion of Non-commercial Considerations) (England) Order 2026)"
        in asked["reserved"].hint
    )
    assert "reserved_for" not in asked  # s32 and s33 are for public contracts
    assert set(asked) >= {"reserved_to_suppliers_in", "reserved_to_smes_and_vcses", "reserved_because"}
    notice = {"tender_notice_published_on": "2026-03-02", "participation_closes_on": "2026-03-20", **LOCAL_SMES}
    act(core.engine, case_id, "publish_tender_notice", people.officer, inputs=notice)

    _request(core, case_id, people, "Witney Builders Ltd", True)  # a VCSE, as _request makes every supplier
    _request(core, case_id, people, "Swindon Construction Ltd", False)
    assert _requests(db, case_id) == {"Witney Builders Ltd": (True, ""), "Swindon Construction Ltd": (False, LEFT_OUT)}
    clock.set(date(2026, 3, 23))
    with pytest.raises(InvalidInput, match="Swindon Construction Ltd"):
        invite_tenders(core.engine, case_id, people.officer, "Witney Builders Ltd\nSwindon Construction Ltd",
                       on="2026-03-23", closes="2026-04-20")  # fmt: skip
    with db.reading() as session:
        release = case_release_package(core, session, core.engine.actor(session, people.head), case_id)["releases"][0]
    assert release["tender"]["otherRequirements"] == {
        "reservedParticipation": ["smeVcse"],
        "reservedParticipationLocation": {"description": "Oxfordshire"},
    }


def test_light_touch_services_below_their_threshold_may_be_reserved_by_place(core, db, clock, people):
    """The 2026 Order reaches every contract below its Schedule 1 threshold, light-touch services below theirs
    among them (Procurement Policy Note 005, central government's, left special regime contracts out): home care
    for Oxfordshire's own providers. By place alone: no public contract, so no s32 or s33 reservation by kind."""
    case_id = ready_for_the_market(core.engine, people, value="100000", contract_type="light_touch")
    asked = _offered(core, case_id, people.officer, "publish_tender_notice")
    assert {"reserved", "reserved_to_suppliers_in", "reserved_to_smes_and_vcses", "reserved_because"} <= set(asked)
    publish_tender_notice(core.engine, case_id, people.officer, **LOCAL_SMES)
    clock.set(date(2026, 4, 7))
    act(core.engine, case_id, "close_tenders", people.officer)
    evaluation.record_tender(core, case_id, people.officer, _tender("Banbury Care Ltd", within=True, sme=True))
    evaluation.record_tender(core, case_id, people.officer, _tender("Swindon Care Ltd", within=False, sme=True))
    assert _tenders(db, case_id) == {"Banbury Care Ltd": (True, ""), "Swindon Care Ltd": (False, LEFT_OUT)}

    flexible = _flexible(core, db, people, value="300000", contract_type="light_touch")  # 360,000 with VAT
    asked = _offered(core, flexible, people.officer, "publish_tender_notice")
    assert "reserved_to_suppliers_in" in asked and "reserved_for" not in asked


# --- by kind of supplier: PA23 s32 (supported employment providers) and s33 (public service mutuals) ----------
def _flexible(core, db, people, *, value="250000", contract_type="services", duration_months=36):
    """A competitive flexible procedure (a public contract), its route approved and conflicts assessed."""
    case_id = new_request(
        core.engine, people.requester, value=value, route="competitive_flexible", contract_type=contract_type,
        duration_months=duration_months,
    )  # fmt: skip
    act(core.engine, case_id, "submit", people.requester)
    approve_open_steps(core.engine, db, people, case_id)
    declare(core.engine, case_id, people.officer)
    act(core.engine, case_id, "complete_conflicts_assessment", people.officer)
    return case_id


def _reserved_notice(core, people, case_id, kind):
    notice = {
        "tender_notice_published_on": "2026-03-02",
        "participation_closes_on": "2026-03-27",
        "market_engaged": False,
        "reserved": True,
        "reserved_for": kind,
        "reserved_because": "Employment for people furthest from work",
    }
    if _offered(core, case_id, people.officer, "publish_tender_notice").get("by_dynamic_market"):
        notice["by_dynamic_market"] = False  # a market is established: the notice asks, and it is not
    act(core.engine, case_id, "publish_tender_notice", people.officer, inputs=notice)


def _request(core, case_id, people, name, within, received=date(2026, 3, 2)):
    given = RequestGiven(name, "", False, True, received, "", received, supplier_within_reservation=within)
    return evaluation.record_request(core, case_id, people.officer, given)


def _requests(db, case_id):
    with db.reading() as session:
        rows = session.scalars(select(ParticipationRequest).where(ParticipationRequest.case_id == case_id))
        return {made.supplier_name: (made.supplier_within_reservation, made.set_aside_because) for made in rows}


SUPPORTED = "Not among the supported employment providers the competition is reserved to (Procurement Act 2023 s32)"


def test_a_public_contract_may_be_reserved_to_supported_employment_providers(app, core, db, clock, people):
    case_id = _flexible(core, db, people)
    asked = _offered(core, case_id, people.officer, "publish_tender_notice")
    assert (
        asked["reserved"].label
        == "Is the procedure reserved to supported employment providers or public service mutuals?"
    )
    assert asked["reserved_for"].options == (
        ("supported_employment_providers", "Supported employment providers (Procurement Act 2023 s32)"),
    )  # services, not light touch: no public service mutuals
    assert "reserved_to_suppliers_in" not in asked  # no place above the threshold (PPN 005 is below it)
    _reserved_notice(core, people, case_id, "supported_employment_providers")

    with pytest.raises(InvalidInput) as refused:
        _request(core, case_id, people, "Abilities Works CIC", None)
    assert refused.value.fields == {
        "supplier_within_reservation": "Say whether the supplier is a supported employment provider"
    }
    _request(core, case_id, people, "Abilities Works CIC", True)
    _request(core, case_id, people, "Ordinary Office Ltd", False)
    assert _requests(db, case_id) == {
        "Abilities Works CIC": (True, ""),
        "Ordinary Office Ltd": (False, SUPPORTED),  # s32(1): excluded from participating
    }
    clock.set(date(2026, 3, 30))
    with pytest.raises(InvalidInput, match="Ordinary Office Ltd"):  # so it is not invited to tender
        invite_tenders(core.engine, case_id, people.officer, "Abilities Works CIC\nOrdinary Office Ltd")
    invite_tenders(core.engine, case_id, people.officer, "Abilities Works CIC")
    clock.set(date(2026, 4, 27))
    act(core.engine, case_id, "close_tenders", people.officer)
    evaluation.record_tender(core, case_id, people.officer, _tender("Abilities Works CIC", within=True, vcse=True))
    assert _tenders(db, case_id) == {"Abilities Works CIC": (True, "")}
    with db.reading() as session:
        tender = case_release_package(core, session, core.engine.actor(session, people.head), case_id)["releases"][0]
    assert tender["tender"]["otherRequirements"] == {"reservedParticipation": ["shelteredWorkshop"]}

    # Its award goes to a supported employment provider, as its notice says (PR24 reg 27(2)(e)(v)): the
    # evaluation fills that in, and a "no" is refused.
    ready_to_recommend(core.engine, case_id, people)
    with db.reading() as session:
        assert evaluation.reserved_answers(session, case_id) == {"supplier_is_supported_employment": True}
    page = Browser(app, db).sign_in(people.officer).get(f"/cases/{case_id}/actions/recommend_award").text
    assert "The supplier is of the kind the competition was reserved to: only their tenders were assessed." in page
    [form] = [form for form in forms_on(page) if form.method == "post" and not form.action]
    checked = {f.name: f.value for f in form.visible if f.kind == "radio" and f.value}
    assert checked == {"supplier_is_supported_employment": "yes"}  # the rest the officer answers
    award = {**AWARD_INPUTS, "supplier_name": "Abilities Works CIC", "supplier_registration": "", "supplier_is_sme": False,
             "award_value": "90000"}  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        act(core.engine, case_id, "recommend_award", people.officer, inputs=award | {"supplier_is_vcse": True})
    assert refused.value.fields == {
        "supplier_is_supported_employment": "The competition was reserved to supported employment providers "
        "(Procurement Act 2023 s32): its contract may go to one alone. If this supplier is not one, its tender "
        "should not have been assessed: correct the tender"
    }
    award |= {"supplier_is_vcse": True, "supplier_is_supported_employment": True}
    act(core.engine, case_id, "recommend_award", people.officer, inputs=award)
    with db.reading() as session:  # its approvers are told what it is
        case = session.get(Case, case_id)
        recommended = award_recommendation(core.workflows.get("procurement", 1).states[case.state], case)
    assert (recommended.supported_employment, recommended.public_service_mutual) == (True, False)
    assert "Abilities Works CIC (a VCSE and a supported employment provider)" in case.details["for_approvers"]
    approve_open_steps(core.engine, db, people, case_id)
    act(core.engine, case_id, "record_assessment_summaries", people.officer,
        inputs={"assessment_summaries_sent_on": "2026-04-27"})  # fmt: skip
    act(core.engine, case_id, "publish_award_notice", people.officer,
        inputs={"award_notice_published_on": "2026-04-27"})  # fmt: skip
    with db.reading() as session:
        awarded = case_release_package(core, session, core.engine.actor(session, people.head), case_id)["releases"][-1]
    assert awarded["tender"]["documents"][0]["noticeType"] == "UK6"
    assert awarded["parties"][-1]["details"] == {
        "scale": "large", "vcse": True, "shelteredWorkshop": True, "publicServiceMissionOrganization": False
    }  # fmt: skip
    clock.set(date(2026, 5, 8))  # standstill over: 8 working days from 27 April, the 4 May bank holiday skipped
    act(core.engine, case_id, "end_standstill", people.officer)
    signature = {"signed_on": "2026-05-08", "start_date": "2026-06-01", "end_date": "2029-05-31"}
    act(core.engine, case_id, "sign_contract", people.officer, inputs=signature)
    act(core.engine, case_id, "publish_contract_details", people.officer,
        inputs={"contract_details_published_on": "2026-05-08"})  # fmt: skip
    with db.reading() as session:  # the contract keeps it, for the notices of its life (UK9-UK11)
        contract = session.scalars(select(Contract).where(Contract.procurement_case_id == case_id)).one()
        assert (contract.supplier_is_supported_employment, contract.supplier_is_public_service_mutual) == (True, False)


def test_public_service_mutuals_only_for_light_touch_services_of_five_years_at_most(core, db, people):
    longer = _flexible(core, db, people, value="600000", contract_type="light_touch", duration_months=72)
    assert [
        code for code, _ in _offered(core, longer, people.officer, "publish_tender_notice")["reserved_for"].options
    ] == ["supported_employment_providers"]
    with pytest.raises(InvalidInput, match="choose one of supported_employment_providers"):
        _reserved_notice(core, people, longer, "public_service_mutuals")
    shorter = _flexible(core, db, people, value="600000", contract_type="light_touch", duration_months=60)
    options = _offered(core, shorter, people.officer, "publish_tender_notice")["reserved_for"].options
    assert [code for code, _ in options] == ["supported_employment_providers", "public_service_mutuals"]


def test_a_mutual_with_a_comparable_contract_in_the_last_three_years_is_not_a_qualifying_one(core, db, clock, people):
    """s33(5): a public service mutual that entered into a comparable contract (the same kind of services, the
    same council, reserved under s33) in the three years before is not a qualifying one."""
    first = _flexible(core, db, people, value="600000", contract_type="light_touch")
    _reserved_notice(core, people, first, "public_service_mutuals")
    _request(core, first, people, "Oxford Care Mutual", True)
    clock.set(date(2026, 3, 30))
    invite_tenders(core.engine, first, people.officer, "Oxford Care Mutual")
    clock.set(date(2026, 4, 27))
    act(core.engine, first, "close_tenders", people.officer)
    evaluation.record_tender(core, first, people.officer, _tender("Oxford Care Mutual", within=True, vcse=True))
    ready_to_recommend(core.engine, first, people)
    award = {**AWARD_INPUTS, "supplier_name": "Oxford Care Mutual", "supplier_is_sme": False, "supplier_is_vcse": True,
             "supplier_is_public_service_mutual": True}  # fmt: skip
    act(core.engine, first, "recommend_award", people.officer, inputs=award | {"award_value": "90000"})
    with db.reading() as session:  # the award's approvers read to whom the competition was reserved
        case = session.get(Case, first)
        recommended = award_recommendation(core.workflows.get("procurement", 1).states[case.state], case)
    mutuals = "Reserved to qualifying public service mutuals (Procurement Act 2023 s33)"
    assert recommended.reserved == mutuals and f" {mutuals}. " in case.details["for_approvers"]
    approve_open_steps(core.engine, db, people, first)
    act(core.engine, first, "record_assessment_summaries", people.officer,
        inputs={"assessment_summaries_sent_on": "2026-04-27"})  # fmt: skip
    act(core.engine, first, "publish_award_notice", people.officer, inputs={"award_notice_published_on": "2026-04-27"})
    signature = {"signed_on": "2026-04-28", "start_date": "2026-05-01", "end_date": "2029-04-30"}
    clock.set(date(2026, 4, 28))
    act(core.engine, first, "sign_contract", people.officer, inputs=signature)

    second = _flexible(core, db, people, value="600000", contract_type="light_touch")
    _reserved_notice(core, people, second, "public_service_mutuals")
    _request(core, second, people, "OXFORD CARE MUTUAL LIMITED", True, received=date(2026, 4, 28))
    _request(core, second, people, "Banbury Care Mutual", True, received=date(2026, 4, 28))
    _request(core, second, people, "Profitable Care plc", False, received=date(2026, 4, 28))
    with db.reading() as session:
        reference = session.get(Case, first).reference
    assert _requests(db, second) == {
        "OXFORD CARE MUTUAL LIMITED": (
            True,
            f"Entered into a comparable contract, {reference}, on 28 April 2026: not a qualifying public service "
            "mutual (Procurement Act 2023 s33(5))",
        ),
        "Banbury Care Mutual": (True, ""),
        "Profitable Care plc": (
            False,
            "Not among the qualifying public service mutuals the competition is reserved to (Procurement Act 2023 s33)",
        ),
    }


def test_a_reserved_procedure_s_requests_file_answers_its_question(core, db, clock, people):
    """A portal's file of requests for a reserved procedure says, for each supplier, whether it is within the
    reservation (a column of its own); left empty, the row is refused, and nothing is loaded."""
    case_id = _flexible(core, db, people)
    _reserved_notice(core, people, case_id, "supported_employment_providers")
    clock.set(date(2026, 3, 30))
    unanswered = b"Supplier,Received\nAbilities Works CIC,2026-03-20\n"
    with pytest.raises(FileRefused) as refused:
        evaluation.load_requests(core, case_id, people.officer, unanswered)
    assert [str(p) for p in refused.value.problems] == [  # said once, of the file
        "line 1: There is no Supported employment provider column: the procedure is reserved to supported "
        "employment providers (Procurement Act 2023 s32), so each request says whether its supplier is one (yes or no)"
    ]
    answered = (
        b"Supplier,Received,Supported employment provider\n"
        b"Abilities Works CIC,2026-03-20,yes\nOrdinary Office Ltd,2026-03-21,no\nMaybe Ltd,2026-03-22,\n"
    )
    with pytest.raises(FileRefused) as refused:
        evaluation.load_requests(core, case_id, people.officer, answered)
    assert [str(p) for p in refused.value.problems] == [
        "line 4, Supported employment provider: Say whether the supplier is a supported employment provider"
    ]
    evaluation.load_requests(core, case_id, people.officer, answered.rsplit(b"Maybe", 1)[0], apply=True)
    assert _requests(db, case_id) == {"Abilities Works CIC": (True, ""), "Ordinary Office Ltd": (False, SUPPORTED)}


def test_a_reserved_competition_s_tenders_file_answers_its_question_under_its_own_heading(core, db, clock, people):
    """A portal's file of tenders for a competition reserved to Oxfordshire's SMEs and VCSEs says, for each
    supplier, whether it is based there: under the reservation's own heading, *Based in Oxfordshire*; without the
    column the file is refused, saying which it needs."""
    case_id = _reserved_to_local_smes(core, clock, people)
    unanswered = b"Supplier,SME,Price,Received\nBanbury Care Ltd,yes,90000,2026-03-20\n"
    with pytest.raises(FileRefused) as refused:
        evaluation.load_tenders(core, case_id, people.officer, unanswered)
    assert [str(p) for p in refused.value.problems] == [
        "line 1: There is no Based in Oxfordshire column: the procedure is reserved to SMEs and VCSEs based in "
        "Oxfordshire (the Local Government (Exclusion of Non-commercial Considerations) (England) Order 2026), so each tender says whether its supplier is one (yes or no)"
    ]
    answered = (
        b"Supplier,SME,Price,Received,Based in Oxfordshire\n"
        b"Banbury Care Ltd,yes,90000,2026-03-20,yes\nSwindon Small Ltd,yes,85000,2026-03-20,no\n"
    )
    evaluation.load_tenders(core, case_id, people.officer, answered, apply=True)
    assert _tenders(db, case_id) == {"Banbury Care Ltd": (True, ""), "Swindon Small Ltd": (False, LEFT_OUT)}
