"""A competitive flexible procedure's requests to participate (PA23 s20): recorded one by one while its
participation period runs, each to be invited to tender or set aside with the reason; the invitation holds to
them, and to the dynamic market the procedure may be restricted to (s34)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from provision_cycle.errors import ChangedMeanwhile, InvalidAction, InvalidInput, NotPermitted
from provision_cycle.governance.statutory import PPON_EXPECTED
from provision_cycle.models import AuditEvent, Case, ParticipationRequest, Tender
from provision_cycle.services import evaluation, markets
from provision_cycle.services.evaluation import RequestGiven, TenderGiven
from provision_cycle.services.markets import ApplicationGiven, MarketGiven
from provision_cycle.services.spreadsheet import FileRefused
from provision_cycle.workflow.evaluation import evaluation_of
from provision_cycle.workflow.participation import requests_to_participate, to_invite

from .factories import act, hub_people, in_participation, invite_tenders


@pytest.fixture
def people(db):
    return hub_people(db)


def _request(core, people, case_id, name, on=date(2026, 3, 10), set_aside="", checked=True) -> int:
    """A request received ``on``, checked against the exclusion grounds that day (unless not ``checked``)."""
    given = RequestGiven(name, "", True, False, on, set_aside, on if checked else None)
    return evaluation.record_request(core, case_id, people.officer, given)


def _invite(core, people, case_id, invited: str) -> None:
    invite_tenders(core.engine, case_id, people.officer, invited, closes="2026-04-27")


def _requests(db, case_id) -> list[tuple[str, str]]:
    with db.reading() as session:
        return [(r.supplier_name, r.set_aside_because) for r in requests_to_participate(session, case_id)]


def test_requests_are_recorded_assessed_and_the_invitation_holds_to_them(core, db, clock, people):
    case_id = in_participation(core.engine, people)
    clock.set(date(2026, 3, 12))
    with pytest.raises(InvalidInput) as refused:
        evaluation.record_request(core, case_id, people.officer, RequestGiven(" ", "", False, False, date(2026, 3, 13)))
    assert refused.value.fields == {
        "supplier_name": "Enter the supplier's name",
        "received_on": "The date the request was received cannot be in the future",
    }
    with pytest.raises(InvalidInput) as refused:  # 0026 for 2026: the service's own check, whoever calls it
        evaluation.record_request(
            core, case_id, people.officer, RequestGiven("Acme", "", False, False, date(26, 3, 11))
        )
    assert refused.value.fields == {"received_on": "0026-03-11 is not a plausible date: check the year"}
    acme = _request(core, people, case_id, "Acme Ltd")
    _request(core, people, case_id, "Brightwater Services", on=date(2026, 3, 11))
    careless = _request(core, people, case_id, "Careless Contracting")
    with pytest.raises(InvalidInput, match="A request to participate from Acme Ltd is recorded already"):
        _request(core, people, case_id, "ACME LIMITED")
    with pytest.raises(NotPermitted, match="Only the procurement's category team"):
        evaluation.record_request(core, case_id, people.finance, RequestGiven("Dee Ltd", "", 0, 0, date(2026, 3, 12)))

    # Assessed once requests close: one fails a condition of participation (s22).
    clock.set(date(2026, 3, 30))
    with db.reading() as session:
        seen = evaluation.supplier_row_as_seen(session.get(ParticipationRequest, careless))
    failed = RequestGiven("Careless Contracting", "", True, False, date(2026, 3, 10), "No public liability insurance")
    evaluation.record_request(core, case_id, people.officer, failed, request_id=careless, seen=seen)
    with pytest.raises(ChangedMeanwhile):  # a second person on the form as it was before
        evaluation.record_request(core, case_id, people.officer, failed, request_id=careless, seen=seen)
    assert _requests(db, case_id) == [
        ("Acme Ltd", ""),
        ("Careless Contracting", "No public liability insurance"),
        ("Brightwater Services", ""),
    ]  # in the order they arrived

    with pytest.raises(InvalidInput) as refused:
        _invite(core, people, case_id, "Acme Ltd\nCareless Contracting\nDodgy Minicabs")
    assert refused.value.fields == {
        "invited_suppliers": "No request to participate is recorded from Dodgy Minicabs; Careless Contracting's "
        "request to participate was set aside: No public liability insurance"
    }
    with db.reading() as session:
        assert session.get(Case, case_id).state == "participation"  # nothing half done
        assert to_invite(requests_to_participate(session, case_id)) == ["Acme Ltd", "Brightwater Services"]
    _invite(core, people, case_id, "ACME LIMITED\nBrightwater Services")
    with pytest.raises(
        InvalidAction, match="Requests to participate are recorded while .* in its participation period, and corrected"
    ):
        _request(core, people, case_id, "Late Ltd")
    with pytest.raises(InvalidAction):
        evaluation.remove_request(core, case_id, people.officer, acme)

    # The list corrected later holds to the requests too.
    clock.set(date(2026, 4, 28))
    act(core.engine, case_id, "close_tenders", people.officer)
    with pytest.raises(InvalidInput, match="Careless Contracting's request to participate was set aside"):
        evaluation.correct_invitations(core, case_id, people.officer, "Acme Ltd\nCareless Contracting", "Left out")
    # Its insurance was in order after all: the request is put right, then the list.
    insured = RequestGiven("Careless Contracting", "", True, False, date(2026, 3, 10), "", date(2026, 3, 10))
    evaluation.record_request(core, case_id, people.officer, insured, request_id=careless)
    evaluation.correct_invitations(core, case_id, people.officer, "Acme Ltd\nCareless Contracting", "Insured")
    with db.reading() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.case_id == case_id, AuditEvent.action.like("%participation%"))
        ).all()
    assert actions == ["record_participation_request"] * 3 + ["correct_participation_request"] * 2


def test_a_request_recorded_in_error_is_taken_off(core, db, clock, people):
    case_id = in_participation(core.engine, people)
    clock.set(date(2026, 3, 12))
    wrong = _request(core, people, case_id, "Acme Ltd")
    assert evaluation.remove_request(core, case_id, people.officer, wrong) == "Acme Ltd"
    assert _requests(db, case_id) == []
    with db.reading() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "remove_participation_request")).one()
    assert event.data == {"request_id": wrong, "supplier_name": "Acme Ltd"}
    clock.set(date(2026, 3, 30))
    _invite(core, people, case_id, "Anyone Ltd")  # none recorded: the team keeps its requests elsewhere


def test_in_a_procedure_restricted_to_a_market_non_members_are_set_aside_and_applications_decided_first(
    core, db, clock, people
):
    """s34(1): a request from a supplier that is not a member is set aside; s34(4): the application to join of
    a supplier that requested to participate is decided before tenders are invited, invited or not."""
    given = MarketGiven("Home to school transport", "", "", "OCC", "ict", date(2026, 2, 2))
    market_id = markets.open_market(core, people.officer, given)
    markets.establish_market(core, market_id, people.officer, date(2026, 2, 16))

    def apply(name):
        given = ApplicationGiven(name, "", True, False, date(2026, 2, 20))
        return markets.record_application(core, market_id, people.officer, given)

    acme, bodge = apply("Acme Cars"), apply("Bodge Transport")
    markets.admit(core, market_id, acme, people.officer, date(2026, 2, 23), date(2026, 2, 23))
    reference = f"DM-{market_id:06d}"
    case_id = in_participation(core.engine, people, market=reference)
    clock.set(date(2026, 3, 12))
    for name in ("Acme Cars", "Bodge Transport", "Dodgy Minicabs"):
        _request(core, people, case_id, name)
    # Careless applied to join too, but fails a condition of participation: its application need not wait.
    apply("Careless Coaches")
    _request(core, people, case_id, "Careless Coaches", set_aside="No operator's licence")
    outside = f"Not a member of the dynamic market {reference} (Procurement Act 2023 s34(1))"
    assert _requests(db, case_id) == [
        ("Acme Cars", ""),
        ("Bodge Transport", ""),
        ("Dodgy Minicabs", outside),
        ("Careless Coaches", "No operator's licence"),
    ]

    clock.set(date(2026, 3, 30))
    with pytest.raises(InvalidInput) as refused:
        _invite(core, people, case_id, "Acme Cars")
    assert refused.value.fields == {
        "invited_suppliers": "Decide the application of Bodge Transport (applied 20 February 2026) first (s34(4))"
    }
    markets.refuse(core, market_id, bodge, people.officer, date(2026, 3, 30), "No operator's licence")
    with pytest.raises(InvalidInput, match=f"Bodge Transport is not a member of the dynamic market {reference}"):
        _invite(core, people, case_id, "Acme Cars\nBodge Transport")
    _invite(core, people, case_id, "Acme Cars")


def test_a_supplier_is_invited_only_once_checked_against_the_exclusion_grounds(core, db, clock, people):
    """s27: an excluded supplier does not progress in a competitive flexible procedure (s57: nor one on the
    debarment list); the date it was checked is recorded on its request."""
    case_id = in_participation(core.engine, people)
    clock.set(date(2026, 3, 12))
    with pytest.raises(InvalidInput) as refused:
        given = RequestGiven("Acme Ltd", "", True, False, date(2026, 3, 10), "", date(2026, 3, 9))
        evaluation.record_request(core, case_id, people.officer, given)
    assert refused.value.fields == {
        "exclusions_checked_on": "Check the supplier once its request is received: this is before it"
    }
    with pytest.raises(InvalidInput, match="The date the supplier was checked cannot be in the future"):
        given = RequestGiven("Acme Ltd", "", True, False, date(2026, 3, 10), "", date(2026, 3, 13))
        evaluation.record_request(core, case_id, people.officer, given)
    acme = _request(core, people, case_id, "Acme Ltd", checked=False)
    _request(core, people, case_id, "Brightwater Services", checked=False)
    _request(core, people, case_id, "Careless Contracting", set_aside="No insurance", checked=False)
    clock.set(date(2026, 3, 30))
    with pytest.raises(InvalidInput) as refused:
        _invite(core, people, case_id, "Acme Ltd\nBrightwater Services")
    assert refused.value.fields == {
        "invited_suppliers": "Check Acme Ltd and Brightwater Services against the exclusion grounds and the "
        "debarment list first, and record the date on the request (Procurement Act 2023 s27, s57)"
    }
    checked = RequestGiven("Acme Ltd", "", True, False, date(2026, 3, 10), "", date(2026, 3, 27))
    evaluation.record_request(core, case_id, people.officer, checked, request_id=acme)
    _invite(core, people, case_id, "Acme Ltd")


def test_requests_are_loaded_from_a_portal_s_file_whole_or_not_at_all(core, db, clock, people):
    """An e-tendering portal's export of the requests: checked whole, each problem named by line and column,
    then recorded in one go; a supplier already recorded, or twice in the file, is refused."""
    case_id = in_participation(core.engine, people)
    clock.set(date(2026, 3, 30))
    _request(core, people, case_id, "Acme Ltd")
    refused_file = (
        b"Organisation name,Company number,SME,VCSE,Date submitted,Exclusions checked\n"
        b"ACME LIMITED,,yes,no,2026-03-20,\n"
        b"Brightwater Services,01234567,yes,no,21/03/2026,2026-03-23\n"
        b"Careless Contracting,,maybe,no,2026-03-22,\n"
        b"BRIGHTWATER SERVICES LTD,,no,no,2026-03-24,\n"
        b",,no,no,2026-03-25,\n"
        b"Dodgy Minicabs,,no,no,2026-04-01,\n"
    )
    with pytest.raises(FileRefused) as refused:
        evaluation.load_requests(core, case_id, people.officer, refused_file)
    assert [str(problem) for problem in refused.value.problems] == [
        "line 2, Organisation name: A request to participate from Acme Ltd is recorded already",
        "line 4, SME: 'maybe': write yes or no",
        "line 5, Organisation name: The same supplier as line 3: one request each",
        "line 6, Organisation name: Enter the organisation name",
        "line 7, Date submitted: The date the request was received cannot be in the future",
    ]
    assert len(_requests(db, case_id)) == 1  # nothing loaded
    good = (
        b"Organisation name,Company number,SME,VCSE,Date submitted,Exclusions checked\n"
        b"Brightwater Services,01234567,yes,no,21/03/2026,2026-03-23\n"
        b"Careless Contracting,,no,yes,2026-03-22,\n"
    )
    checked = evaluation.load_requests(core, case_id, people.officer, good)
    assert [fields["supplier_name"] for fields in checked.rows] == ["Brightwater Services", "Careless Contracting"]
    assert not checked.loaded and len(_requests(db, case_id)) == 1
    assert evaluation.load_requests(core, case_id, people.officer, good, apply=True).loaded
    with db.reading() as session:
        made = requests_to_participate(session, case_id)
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "load_participation_requests")).one()
    assert [(r.supplier_name, r.supplier_registration, r.supplier_is_vcse, r.exclusions_checked_on) for r in made] == [
        ("Acme Ltd", "", False, date(2026, 3, 10)),
        ("Brightwater Services", "01234567", False, date(2026, 3, 23)),
        ("Careless Contracting", "", True, None),
    ]
    assert event.data["names"] == ["Brightwater Services", "Careless Contracting"]
    with pytest.raises(NotPermitted):
        evaluation.load_requests(core, case_id, people.finance, good)


def test_a_file_s_row_has_every_problem_named_at_once(core, db, clock, people):
    """A row with a cell wrong or missing has its other cells checked too, as the request would be alone, so
    that the file is put right in one go; a check that weighs a cell against a missing one says nothing."""
    case_id = in_participation(core.engine, people)
    clock.set(date(2026, 3, 30))
    refused_file = (
        b"Organisation name,Supplier PPON,SME,VCSE,Date submitted,Exclusions checked\n"
        b",0123,yes,no,2026-04-02,\n"
        b"Careless Contracting,,maybe,no,2026-03-22,2026-03-20\n"
        b"Early Bird Ltd,,no,no,,2026-03-20\n"
    )
    with pytest.raises(FileRefused) as refused:
        evaluation.load_requests(core, case_id, people.officer, refused_file)
    assert [str(problem) for problem in refused.value.problems] == [
        "line 2, Organisation name: Enter the organisation name",
        f"line 2, Supplier PPON: {PPON_EXPECTED}",
        "line 2, Date submitted: The date the request was received cannot be in the future",
        "line 3, SME: 'maybe': write yes or no",
        "line 3, Exclusions checked: Check the supplier once its request is received: this is before it",
        "line 4, Date submitted: Enter the date submitted",
    ]
    assert _requests(db, case_id) == []


def test_a_request_gives_its_supplier_s_ppon_and_the_supplier_s_tender_need_not_give_it_again(core, db, clock, people):
    """A request to participate may give the supplier's PPON, however typed, by its form or a portal's file (a
    number of another shape refused, saying where); the supplier's tender, recorded without one (here from the
    portal's file), takes it, and a tender that gives its own keeps it."""
    case_id = in_participation(core.engine, people)
    clock.set(date(2026, 3, 12))
    acme = RequestGiven("Acme Ltd", "", True, False, date(2026, 3, 10), "", date(2026, 3, 10))
    with pytest.raises(InvalidInput) as refused:
        evaluation.record_request(core, case_id, people.officer, replace(acme, supplier_ppon="PACM-12"))
    assert refused.value.fields == {"supplier_ppon": PPON_EXPECTED}
    evaluation.record_request(core, case_id, people.officer, replace(acme, supplier_ppon="gb-ppon-pacm-1234-ltdx "))
    clock.set(date(2026, 3, 30))
    heading = b"Organisation name,SME,VCSE,Date submitted,Exclusions checked,Supplier PPON\n"
    brightwater = b"Brightwater Services,yes,no,2026-03-21,2026-03-23,PBRT-1234-SERV\n"
    with pytest.raises(FileRefused) as refused_file:
        evaluation.load_requests(
            core, case_id, people.officer, heading + brightwater + b"Careless,no,no,2026-03-22,,0123\n"
        )
    assert [str(problem) for problem in refused_file.value.problems] == [f"line 3, Supplier PPON: {PPON_EXPECTED}"]
    evaluation.load_requests(core, case_id, people.officer, heading + brightwater, apply=True)
    with db.reading() as session:
        made = {r.supplier_name: r.supplier_ppon for r in requests_to_participate(session, case_id)}
    assert made == {"Acme Ltd": "PACM-1234-LTDX", "Brightwater Services": "PBRT-1234-SERV"}

    _invite(core, people, case_id, "Acme Ltd\nBrightwater Services")
    clock.set(date(2026, 4, 28))
    act(core.engine, case_id, "close_tenders", people.officer)
    opened = b"Supplier,Price,Received\nACME LIMITED,200000,2026-04-20\n"  # a portal's opening report
    evaluation.load_tenders(core, case_id, people.officer, opened, apply=True)
    given = TenderGiven(
        "Brightwater Services", "", True, False, "200000", date(2026, 4, 20), supplier_ppon="PBRX-1234-SERV"
    )
    tender_id = evaluation.record_tender(core, case_id, people.officer, given)
    with db.reading() as session:
        tendered = {s.tender.supplier_name: s.tender.supplier_ppon for s in evaluation_of(session, case_id).standings}
        seen = evaluation.supplier_row_as_seen(session.get(Tender, tender_id))
    assert tendered == {"ACME LIMITED": "PACM-1234-LTDX", "Brightwater Services": "PBRX-1234-SERV"}
    # Its own was a slip: corrected without one, it takes its request's.
    evaluation.record_tender(
        core, case_id, people.officer, replace(given, supplier_ppon=""), tender_id=tender_id, seen=seen
    )
    with db.reading() as session:
        assert session.get(Tender, tender_id).supplier_ppon == "PBRT-1234-SERV"
