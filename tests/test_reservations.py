"""A below-threshold competition reserved to suppliers based in one place, and perhaps to SMEs and VCSEs too
(Procurement Policy Note 005): asked where the policy allows it, recorded with its reasons, and a tender from a
supplier it leaves out not assessed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from provision_cycle.errors import InvalidInput
from provision_cycle.models import AuditEvent, Case, Tender
from provision_cycle.services import evaluation
from provision_cycle.services.evaluation import TenderGiven
from provision_cycle.workflow.reservations import Reservation

from .factories import (
    act,
    approve_open_steps,
    declare,
    hub_people,
    new_request,
    publish_tender_notice,
    ready_for_the_market,
)

LOCAL_SMES = {
    "reserved": True,
    "reserved_to_suppliers_in": "Oxfordshire",
    "reserved_to_smes_and_vcses": True,
    "reserved_because": "Local jobs and apprenticeships; six Oxfordshire SMEs run this service today",
}
LEFT_OUT = (
    "Not among the SMEs and VCSEs based in Oxfordshire the competition is reserved to (Procurement Policy Note 005)"
)


@pytest.fixture
def people(db):
    return hub_people(db)


def _offered(core, case_id, actor, trigger):
    return {spec.name: spec for spec in core.engine.offers(case_id, actor, [trigger])[trigger].inputs}


def _tender(name, *, based_there, sme=False, vcse=False, not_assessed=""):
    return TenderGiven(name, "", sme, vcse, "90000", date(2026, 3, 20), not_assessed, supplier_based_there=based_there)


def _tenders(db, case_id):
    with db.reading() as session:
        rows = session.scalars(select(Tender).where(Tender.case_id == case_id).order_by(Tender.id))
        return {t.supplier_name: (t.supplier_based_there, t.not_assessed_because) for t in rows}


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
    assert asked["reserved_to_suppliers_in"].options == (("uk", "The United Kingdom"), ("Oxfordshire", "Oxfordshire"))
    assert asked["reserved_to_suppliers_in"].under == "reserved"
    publish_tender_notice(core.engine, case_id, people.officer, **LOCAL_SMES)
    with db.reading() as session:
        case = session.get(Case, case_id)
        assert Reservation.of(case.details) == Reservation("Oxfordshire", smes_and_vcses=True)
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq.desc())
        ).first()
    assert event.action == "publish_tender_notice"
    assert event.data["reserved_because"] == LOCAL_SMES["reserved_because"]
    assert event.data["reserved_to_suppliers_in_label"] == "Oxfordshire"

    clock.set(date(2026, 4, 7))
    act(core.engine, case_id, "close_tenders", people.officer)
    for given in (
        _tender("Banbury Care Ltd", based_there=True, sme=True),
        _tender("Oxford Community Transport", based_there=True, vcse=True),
        _tender("Big County Services plc", based_there=True),  # neither an SME nor a VCSE
        _tender("Swindon Small Ltd", based_there=False, sme=True),  # an SME, but not based in Oxfordshire
    ):
        evaluation.record_tender(core, case_id, people.officer, given)
    assert _tenders(db, case_id) == {
        "Banbury Care Ltd": (True, ""),
        "Oxford Community Transport": (True, ""),
        "Big County Services plc": (True, LEFT_OUT),
        "Swindon Small Ltd": (False, LEFT_OUT),
    }


def test_a_tender_in_a_reserved_competition_says_whether_its_supplier_is_based_there(core, db, clock, people):
    case_id = _reserved_to_local_smes(core, clock, people)
    with pytest.raises(InvalidInput) as refused:
        evaluation.record_tender(core, case_id, people.officer, _tender("Acme Ltd", based_there=None, sme=True))
    assert refused.value.fields == {"supplier_based_there": "Say whether the supplier is based in Oxfordshire"}
    assert _tenders(db, case_id) == {}

    # Corrected once it turns out the supplier is based there after all: assessed, the team's own reason kept.
    tender_id = evaluation.record_tender(
        core, case_id, people.officer, _tender("Acme Ltd", based_there=False, sme=True)
    )
    assert _tenders(db, case_id) == {"Acme Ltd": (False, LEFT_OUT)}
    with db.reading() as session:
        seen = evaluation.supplier_row_as_seen(session.get(Tender, tender_id))
    corrected = _tender("Acme Ltd", based_there=True, sme=True)
    evaluation.record_tender(core, case_id, people.officer, corrected, tender_id=tender_id, seen=seen)
    assert _tenders(db, case_id) == {"Acme Ltd": (True, "")}
    with db.reading() as session:
        seen = evaluation.supplier_row_as_seen(session.get(Tender, tender_id))
    late = _tender("Acme Ltd", based_there=True, sme=True, not_assessed="Received after the deadline")
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
    evaluation.record_tender(core, case_id, people.officer, _tender("Anywhere Ltd", based_there=False))
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
    for given in (_tender("Leeds Ltd", based_there=True), _tender("Lyon SARL", based_there=False)):
        evaluation.record_tender(core, case_id, people.officer, given)
    assert _tenders(db, case_id) == {
        "Leeds Ltd": (True, ""),
        "Lyon SARL": (
            False,
            "Not among the suppliers based in the UK the competition is reserved to (Procurement Policy Note 005)",
        ),
    }


@pytest.mark.parametrize(
    ("request_fields", "why"),
    [
        ({"value": "250000"}, "above the threshold: a public contract, open to suppliers from the treaty states"),
        ({"value": "100000", "contract_type": "light_touch"}, "a light-touch contract: a special regime"),
    ],
)
def test_only_a_regulated_below_threshold_contract_may_be_reserved(core, people, request_fields, why):
    case_id = ready_for_the_market(core.engine, people, **request_fields)
    assert "reserved" not in _offered(core, case_id, people.officer, "publish_tender_notice"), why
    with pytest.raises(InvalidInput) as refused:
        publish_tender_notice(core.engine, case_id, people.officer, **LOCAL_SMES)
    assert "is not asked for by 'Publish the tender notice' on this case" in refused.value.fields["reserved"]
