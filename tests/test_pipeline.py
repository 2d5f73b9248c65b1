"""The procurement pipeline notice (UK1, PA23 s93): the draft drawn from the cases in progress and the contracts
ending, at the edges of its value, its period and what it leaves out."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from provision_cycle.app import create_app
from provision_cycle.errors import InvalidInput, NotFound, NotPermitted
from provision_cycle.models import Case
from provision_cycle.services.pipeline import CONTRACT_ENDING, PROCUREMENT, FinancialYear, pipeline_rows

from .factories import act, create_user, hub_people, new_request, register_contract

YEAR = FinancialYear(date(2026, 4, 1))  # the pipeline runs to 30 September 2027


def test_a_financial_year_and_the_one_being_prepared():
    assert FinancialYear.parse("2027") == FinancialYear.parse("2027-28") == FinancialYear(date(2027, 4, 1))
    assert FinancialYear.parse("2099-00").starts == date(2099, 4, 1)
    for wrong in ("2027-29", "27", "2027/28", "1999"):
        with pytest.raises(InvalidInput):
            FinancialYear.parse(wrong)
    assert YEAR.period_ends == date(2027, 9, 30) and YEAR.publish_by == date(2026, 5, 26)
    assert (YEAR.code, YEAR.label) == ("2026-27", "2026 to 2027")
    # Drawn up for this year until its notice's window closes on 26 May, then for the next.
    assert FinancialYear.to_prepare(date(2026, 5, 26)) == YEAR
    assert FinancialYear.to_prepare(date(2026, 5, 27)) == YEAR.next
    assert FinancialYear.to_prepare(date(2026, 3, 2)) == YEAR


def _draft(core, db, council="OCC", actor=None):
    with db.reading() as session:
        return {e.reference: e for e in pipeline_rows(core, session, council, YEAR, actor=actor)}


def test_procurements_in_progress_over_two_million_with_vat_yet_to_be_advertised(core, db):
    people = hub_people(db)
    engine, requester = core.engine, people.requester

    def case(value, **fields):
        case_id = new_request(engine, requester, value=value, **fields)
        with db.reading() as session:
            return session.get(Case, case_id).reference

    listed = case("2000000")  # 2.4m with VAT
    just_over = case("1666666.68")  # 2,000,000.02 with VAT
    exactly = case("1666666.67")  # 2,000,000.00 with VAT: not more than 2m
    zero_rated = case("1900000", vat_treatment="zero")
    works = case("3000000", contract_type="works")  # under the works threshold: not a public contract
    call_off = case("3000000", route="framework_call_off")  # a call-off publishes no tender notice
    too_late = case("3000000", proposed_start=date(2027, 10, 1))  # starts after the period
    no_start = case("3000000", proposed_start=None)
    joint = case("3000000", authority="JOINT")
    commissioning = case("5000000", stage="commissioning")
    withdrawn = new_request(engine, requester, value="3000000")
    act(engine, withdrawn, "withdraw", requester, reason="Not needed")
    advertised = new_request(engine, requester, value="3000000")
    with core.db.unit_of_work() as session:  # its tender notice is out (as the workflow records it)
        session.get(Case, advertised).details = {"tender_notice_published_on": "2026-02-20"}

    draft = _draft(core, db)
    assert set(draft) == {listed, just_over, no_start, joint, commissioning}
    assert {exactly, zero_rated, works, call_off, too_late} & set(draft) == set()
    entry = draft[listed]
    assert (entry.source, entry.council, entry.value_with_vat, entry.expected_start) == (
        PROCUREMENT,
        "OCC",
        2400000,
        date(2026, 9, 1),
    )
    assert entry.where_now == "Procurement: Draft" and entry.route == "Not chosen yet"
    assert draft[no_start].note == "No start date given yet: confirm it falls in the period"
    assert entry.cells()[8:10] == ["2000000.00", "2400000.00"]
    assert set(_draft(core, db, "CDC")) == {joint}  # a joint case is in both councils' drafts


def test_contracts_ending_whose_successor_would_be_advertised_in_the_period(core, db):
    people = hub_people(db)

    def contract(ends, value="3000000", **fields):
        return register_contract(core, people, value=value, starts=date(2025, 7, 1), ends=ends, **fields).reference

    due = contract(date(2027, 6, 30))
    late = contract(date(2026, 11, 30))  # running on 1 April 2026, its successor due out nine months before
    last_in = contract(date(2028, 6, 30))  # advertised nine months before: 30 September 2027, the last day
    too_late = contract(date(2028, 7, 1))
    already_ended = contract(date(2026, 3, 31))  # ended before 1 April
    small = contract(date(2027, 6, 30), value="1500000")
    extendable = contract(date(2027, 6, 30), extension_months_available=12)

    draft = _draft(core, db)
    assert set(draft) == {due, late, last_in}
    assert {too_late, already_ended, small, extendable} & set(draft) == set()
    entry = draft[due]
    assert entry.source == CONTRACT_ENDING and entry.expected_start == date(2027, 7, 1)
    assert entry.where_now == "Contract: Live"
    assert entry.note == (
        "Ends 30 June 2027 with no extension left: its successor would be advertised by about "
        "30 September 2026. Confirm it will be re-procured"
    )
    assert draft[late].note == (
        "Ends 30 November 2026 with no extension left: its successor would have been advertised by about "
        "28 February 2026, before the period. List it only if its notice is still to come on or after 1 April 2026"
    )


def test_the_draft_is_for_those_who_oversee_the_council(core, db):
    people = hub_people(db)
    analyst = create_user(db, ("intelligence_analyst", "OCC"))
    cherwell = create_user(db, ("intelligence_analyst", "CDC"))
    with db.reading() as session:
        as_analyst, as_cherwell, as_requester = (
            core.engine.actor(session, person) for person in (analyst, cherwell, people.requester)
        )
    assert _draft(core, db, actor=as_analyst) == {}
    for actor in (as_cherwell, as_requester):
        with pytest.raises(NotPermitted, match="Only OCC's intelligence team"):
            _draft(core, db, actor=actor)
    with pytest.raises(NotFound, match="There is no council JOINT"):
        _draft(core, db, "JOINT")


def test_the_page_the_download_and_the_command(core, db, app, tmp_path):
    from tests.web.conftest import Browser

    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="2000000", title="Waste collection fleet")
    analyst = Browser(app, db).sign_in(create_user(db, ("intelligence_analyst", "OCC")))
    page = analyst.get("/contracts/pipeline").text
    assert "Financial year 2026 to 2027" in page and "Waste collection fleet" in page
    assert "it must publish a pipeline notice" in page  # OCC's expected spend is configured over 100m
    assert "2027-28" in page  # the next year is a link away
    download = analyst.get("/contracts/pipeline/OCC/2026-27.csv")
    assert download.headers["Content-Disposition"] == 'attachment; filename="OCC-pipeline-2026-27.csv"'
    lines = download.text.splitlines()
    assert lines[0].startswith("Council,Source,Reference,Title") and "Waste collection fleet" in lines[1]
    analyst.get("/contracts/pipeline/OCC/2026-29.csv", status=404)
    analyst.get("/contracts/pipeline/CDC/2026-27.csv", status=403)
    assert "is not a financial year" in analyst.get("/contracts/pipeline?year=next", follow_redirects=True).text
    Browser(app, db).sign_in(people.requester).get("/contracts/pipeline", status=403)

    runner = create_app(core.settings, core=core).test_cli_runner()
    out = tmp_path / "occ.csv"
    result = runner.invoke(args=["pipeline-notice", "OCC", "--year", "2026", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{out}: 1 contract, financial year 2026 to 2027" in result.output
    with db.reading() as session:
        reference = session.scalar(select(Case.reference).where(Case.id == case_id))
    assert reference in out.read_text()
    refused = runner.invoke(args=["pipeline-notice", "OCC", "--year", "2026/27"])
    assert refused.exit_code == 1 and "is not a financial year" in refused.stderr
