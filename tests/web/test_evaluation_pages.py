"""A procurement's evaluation through its pages: the award criteria, the tenders, the panel's scores, the award
recommendation filled in from the evaluation, and each supplier's assessment summary."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html import unescape

from provision_cycle.services import evaluation
from provision_cycle.workflow.evaluation import evaluation_of
from tests.factories import act, declare, hub_people, publish_tender_notice, ready_for_the_market
from tests.test_evaluation import CRITERIA, _to_evaluation
from tests.web.conftest import csrf_from
from tests.web.helpers import evaluated_procurement, page_text


def _criteria_form(rows) -> dict:
    data = {}
    for n, (name, kind, weighting) in enumerate(rows, start=1):
        data |= {f"criterion_{n}_name": name, f"criterion_{n}_kind": kind, f"criterion_{n}_weighting": weighting}
    return data


def _tender_form(name, price, *, sme="yes", not_assessed="") -> dict:
    return {
        "supplier_name": name,
        "supplier_is_sme": sme,
        "supplier_is_vcse": "no",
        "price": price,
        "received_on": ["6", "4", "2026"],
        "not_assessed_because": not_assessed,
    }


def test_the_team_sets_criteria_records_and_scores_tenders_and_recommends_the_most_advantageous(
    core, db, browser, clock
):
    people = hub_people(db)
    case_id = ready_for_the_market(core.engine, people, value="250000")
    officer = browser(people.officer)
    page = officer.get(f"/cases/{case_id}").text
    assert "No award criteria are set: set them before suppliers are invited" in page_text(page)

    url = f"/cases/{case_id}/award-criteria"
    refused = officer.post(url, _criteria_form([("Quality", "quality", "40"), ("Price", "price", "50")]), status=400)
    assert "The weightings must add up to 100%; these add up to 90%" in refused.text
    officer.post(url, _criteria_form(CRITERIA))
    assert "Delivery and mobilisation" in officer.get(url).text  # the form shows what is set
    page = page_text(officer.get(f"/cases/{case_id}").text)
    assert "Delivery and mobilisation Quality 40%" in page and "Price Price 50%" in page

    _to_evaluation(core, clock, people, case_id)
    new = f"/cases/{case_id}/tenders/new"
    refused = officer.post(new, _tender_form("Acme Ltd", "nothing"), status=400)
    assert "Enter the price tendered in pounds" in refused.text
    refused = officer.post(new, _tender_form("Acme Ltd", "240000") | {"supplier_ppon": "ACME"}, status=400)
    assert "Give the PPON as four letters, four digits and four letters" in refused.text
    officer.post(new, _tender_form("Acme Ltd", "240000") | {"supplier_ppon": "pacm-1234-ltdx"})
    officer.post(new, _tender_form("Brightwork CIC", "200000", sme="no"))
    officer.post(new, _tender_form("Late Co", "150000", not_assessed="Received after the deadline"))
    refused = officer.post(new, _tender_form("ACME LIMITED", "1"), status=400)
    assert "A tender from Acme Ltd is recorded already" in refused.text

    early = page_text(officer.get(f"/cases/{case_id}/actions/recommend_award").text)
    assert "This cannot be done yet: Score every tender assessed against each award criterion first" in early

    with db.reading() as session:
        found = evaluation_of(session, case_id)
    ids = {s.tender.supplier_name: s.tender.id for s in found.standings}
    quality, social, _price = (c.id for c in found.criteria)
    scores_url = f"/cases/{case_id}/tenders/{ids['Acme Ltd']}/scores"
    form = officer.get(scores_url).text
    assert "5: Excellent" in form and "Price is scored by formula" in form
    refused = officer.post(scores_url, {f"score_{quality}": "5", f"score_{social}": "4"}, status=400)
    assert "Give the reasons for the score on &#39;Delivery and mobilisation&#39;" in refused.text
    officer.post(
        scores_url,
        {
            f"score_{quality}": "5",
            f"reasons_{quality}": "A week-by-week plan",
            f"score_{social}": "4",
            f"reasons_{social}": "Ten apprenticeships",
        },
    )
    brightwork = f"/cases/{case_id}/tenders/{ids['Brightwork CIC']}/scores"
    officer.post(
        brightwork,
        {
            f"score_{quality}": "3",
            f"reasons_{quality}": "A plan, thin on risks",
            f"score_{social}": "5",
            f"reasons_{social}": "Local supply chain",
        },
    )

    page = page_text(officer.get(f"/cases/{case_id}").text)
    assert "3 tenders received, 2 assessed: the most advantageous is Acme Ltd's." in page
    assert "1 Acme Ltd SME £240,000.00 40.00 (scored 5) 8.00 (scored 4) 41.67 89.67" in page
    assert "Late Co SME Not assessed: Received after the deadline £150,000.00" in page
    assert "Score tender Olive Officer, 7 April 2026 at 10:00am Brightwork CIC" in page  # the history says whose

    matrix = officer.get(f"/cases/{case_id}/evaluation.csv").text.splitlines()
    assert matrix[0].startswith("Rank,Supplier,Registration,PPON,SME,VCSE,Price excluding VAT,Received,Not assessed")
    assert matrix[1] == "1,Acme Ltd,,PACM-1234-LTDX,yes,no,240000.00,2026-04-06,,5,40.00,4,8.00,,41.67,89.67,"
    assert matrix[3] == ",Late Co,,,yes,no,150000.00,2026-04-06,Received after the deadline,,,,,,,,"  # no rank

    form = officer.get(f"/cases/{case_id}/actions/recommend_award").text
    assert 'value="Acme Ltd"' in form and 'value="240000.00"' in form and 'value="PACM-1234-LTDX"' in form
    assert "Filled in from the evaluation: Acme Ltd&#39;s is the most advantageous tender." in form

    summary = page_text(officer.get(f"/cases/{case_id}/tenders/{ids['Brightwork CIC']}/assessment-summary").text)
    assert "Assessment summary: Brightwork CIC" in summary and "To Brightwork CIC: how your tender" in summary
    assert "Yours earned 84.00 points out of 100, and the most advantageous tender 89.67." in summary
    assert "A plan, thin on risks" in summary and "A week-by-week plan" in summary
    officer.get(f"/cases/{case_id}/tenders/{ids['Late Co']}/assessment-summary", status=404)

    overview = page_text(browser(people.head).get("/overview").text)
    assert "3 tenders recorded for 1 procurement; 66.7% from small and medium-sized enterprises" in overview
    assert "0 of the 1 (0.0%) received a single tender" in overview


def test_a_requester_sees_how_many_tenders_came_in_but_not_their_prices(core, db, browser, clock):
    people = hub_people(db)
    case_id = ready_for_the_market(core.engine, people, value="250000")
    evaluation.set_award_criteria(core, case_id, people.officer, CRITERIA)
    _to_evaluation(core, clock, people, case_id)
    tender = evaluation.TenderGiven("Acme Ltd", "", True, False, "240000", clock.today, "")
    tender_id = evaluation.record_tender(core, case_id, people.officer, tender)

    requester = browser(people.requester)
    page = page_text(requester.get(f"/cases/{case_id}").text)
    assert "1 tender received, 1 assessed; 1 still to be scored." in page
    assert "£240,000.00" not in page and "Record a tender" not in page
    urls = ("award-criteria", "tenders/new", f"tenders/{tender_id}", f"tenders/{tender_id}/scores", "evaluation.csv")
    for url in urls:
        requester.get(f"/cases/{case_id}/{url}", status=404)
    requester.post(f"/cases/{case_id}/tenders/{tender_id}/remove", form_page=f"/cases/{case_id}")
    with db.reading() as session:
        assert len(evaluation_of(session, case_id).standings) == 1


def test_a_tender_out_of_the_running_is_shown_so_and_told_why(core, db, browser):
    from tests.web.helpers import procurement_in_evaluation

    people = hub_people(db)
    threshold = [("Delivery", "quality", "50", "3"), ("Price", "price", "50", "")]
    case_id = procurement_in_evaluation(core, people, criteria=threshold)
    with db.reading() as session:
        delivery = evaluation_of(session, case_id).criteria[0].id
    received = core.engine.today()
    for name, price, score in (("Acme Ltd", "240000", "4"), ("Cheap Co", "100000", "2")):
        tender = evaluation.TenderGiven(name, "", True, False, price, received, "")
        tender_id = evaluation.record_tender(core, case_id, people.officer, tender)
        evaluation.score_tender(core, case_id, people.officer, tender_id, {delivery: (score, "As tendered")})
    officer = browser(people.officer)
    page = page_text(officer.get(f"/cases/{case_id}").text)
    assert "Delivery Quality 50% 3" in page and "Price Price 50% None" in page
    assert "Cheap Co SME Out of the running: below the minimum score on Delivery £100,000.00 20.00 (scored 2)" in page
    summary = page_text(officer.get(f"/cases/{case_id}/tenders/{tender_id}/assessment-summary").text)
    assert "Your tender scored below the minimum the tender documents set on Delivery, so it was out of the" in summary
    assert "scored 2 of 5 (at least 3 needed): 20.00 points" in summary and "Out of the running" in summary
    officer.get(f"/cases/{case_id}/award-criteria", status=404)  # the criteria are fixed once tenders are in


def test_the_overview_names_the_procurements_that_drew_a_single_tender(core, db, browser):
    from tests.web.helpers import procurement_in_evaluation

    people = hub_people(db)
    case_id = procurement_in_evaluation(core, people, title="Grit bins")
    tender = evaluation.TenderGiven("Only Ltd", "", False, False, "9000", core.engine.today(), "")
    evaluation.record_tender(core, case_id, people.officer, tender)
    overview = browser(people.head).get("/overview").text
    assert "1 of the 1\n  (100.0%) received a single tender" in overview
    assert f'href="/cases/{case_id}#evaluation">PRC-{case_id:06d}</a> Grit bins' in overview


def test_an_evaluator_marks_alone_and_the_category_team_moderates_with_the_marks_in_view(core, db, browser):
    from provision_cycle.services.teams import add_team_member
    from tests.factories import create_user, declare
    from tests.test_evaluation import CRITERIA
    from tests.web.helpers import procurement_in_evaluation

    people = hub_people(db)
    case_id = procurement_in_evaluation(core, people, criteria=CRITERIA)
    pat = create_user(db, ("requester", "OCC"), full_name="Pat Panel")
    tender = evaluation.TenderGiven("Acme Ltd", "", True, False, "240000", core.engine.today(), "")
    tender_id = evaluation.record_tender(core, case_id, people.officer, tender)
    with db.reading() as session:
        quality, social, _ = (c.id for c in evaluation_of(session, case_id).criteria)

    evaluator = browser(people.officer)  # the panel is named and declares: its member marks from the case page
    add_team_member(core, case_id, people.officer, user_id=pat, part="evaluation")
    declare(core.engine, case_id, pat)
    panel = browser(pat)
    assert "Your marks" in panel.get(f"/cases/{case_id}").text
    url = f"/cases/{case_id}/tenders/{tender_id}/marks"
    assert "Nobody else on the panel sees them until they have marked" in page_text(panel.get(url).text)
    marks = {f"score_{quality}": "4", f"reasons_{quality}": "A week-by-week plan", f"score_{social}": "2",
             f"reasons_{social}": "Little beyond the requirement"}  # fmt: skip
    panel.post(url, marks)
    assert 'value="4" checked' in panel.get(url).text  # the form shows their marks again

    moderation = page_text(evaluator.get(f"/cases/{case_id}/tenders/{tender_id}/scores").text)
    assert "The evaluators' own marks" in moderation
    assert "Pat Panel 4 A week-by-week plan 2 Little beyond the requirement" in moderation
    agreed = {f"score_{quality}": "3", f"reasons_{quality}": "Agreed plan", f"score_{social}": "2",
              f"reasons_{social}": "Agreed"}  # fmt: skip
    evaluator.post(f"/cases/{case_id}/tenders/{tender_id}/scores", agreed)
    after = page_text(panel.get(url).text)  # their marks now stand as given: shown, not offered to change
    assert "your marks stand as you gave them" in after and "4 A week-by-week plan" in after
    assert 'name="score_' not in panel.get(url).text


def test_scores_saved_by_someone_else_after_the_form_opened_are_not_overwritten(core, db, browser):
    """The second of two people moderating one tender at once is shown the form again as it now stands, told
    why, with nothing of theirs saved."""
    people = hub_people(db)
    case_id, tenders = evaluated_procurement(core, people)
    url = f"/cases/{case_id}/tenders/{tenders['Acme Ltd']}/scores"
    with db.reading() as session:
        quality, social, _price = (c.id for c in evaluation_of(session, case_id).criteria)
    officer, manager = browser(people.officer), browser(people.manager)
    declare(core.engine, case_id, people.manager)
    opened = manager.client.get(url).text  # the manager opens the form first
    officer.post(
        url,
        {f"score_{quality}": "1", f"reasons_{quality}": "Thin", f"score_{social}": "1", f"reasons_{social}": "None"},
    )
    late = {
        f"score_{quality}": "5",
        f"reasons_{quality}": "Full",
        f"score_{social}": "5",
        f"reasons_{social}": "Lots",
        "opened_on": re.search(r'name="opened_on" type="hidden" value="([^"]+)"', opened).group(1),
        "csrf_token": csrf_from(opened),
    }
    response = manager.client.post(url, data=late)
    assert response.status_code == 302 and response.location.endswith(url)
    again = page_text(manager.get(url).text)
    assert "Someone saved the scores for Acme Ltd's tender after you opened this page" in unescape(again)
    with db.reading() as session:
        assert evaluation_of(session, case_id).standing_of(tenders["Acme Ltd"]).scores[quality].score == 1


def test_requests_to_participate_are_recorded_set_aside_and_fill_in_the_invitation(core, db, browser, clock):
    """The team records each request as it arrives, sets aside one that fails a condition of participation,
    and the invitation to tender is filled in with the rest; a requester sees how many there are, not who."""
    from datetime import date

    from tests.factories import in_participation

    people = hub_people(db)
    case_id = in_participation(core.engine, people)
    clock.set(date(2026, 3, 20))
    officer = browser(people.officer)
    page = officer.get(f"/cases/{case_id}").text
    section = page.split('id="requests"')[1].split('id="evaluation"')[0]
    assert "0 requests to participate received." in page_text(section)
    new = f"/cases/{case_id}/requests-to-participate/new"
    assert f'href="{new}">Record a request to participate</a>' in section
    request = {"supplier_is_sme": "yes", "supplier_is_vcse": "no", "received_on": ["12", "3", "2026"]}
    refused = officer.post(
        new, {**request, "supplier_name": "Acme Ltd", "received_on": ["21", "3", "2026"]}, status=400
    )
    assert "The date the request was received cannot be in the future" in refused.text
    assert "Supplier&#39;s PPON (optional)" in officer.get(new).text
    refused = officer.post(new, {**request, "supplier_name": "Acme Ltd", "supplier_ppon": "ACME"}, status=400)
    assert "Give the PPON as four letters, four digits and four letters" in refused.text
    for name, ppon in (("Acme Ltd", "pacm-1234-ltdx"), ("Brightwater Services", ""), ("Careless Contracting", "")):
        officer.post(new, {**request, "supplier_name": name, "supplier_ppon": ppon})
    acme, careless = (r.id for r in _requests(db, case_id) if r.supplier_name != "Brightwater Services")
    assert 'value="PACM-1234-LTDX"' in officer.get(f"/cases/{case_id}/requests-to-participate/{acme}").text
    change = f"/cases/{case_id}/requests-to-participate/{careless}"
    form = officer.get(change).text
    assert 'value="Careless Contracting"' in form and "Take off Careless Contracting's request" in form
    opened = re.search(r'name="opened_on" type="hidden" value="([^"]+)"', form).group(1)
    officer.post(change, {**request, "supplier_name": "Careless Contracting", "opened_on": opened,
                          "set_aside_because": "No public liability insurance"})  # fmt: skip
    section = officer.get(f"/cases/{case_id}").text.split('id="requests"')[1].split('id="evaluation"')[0]
    assert "3 requests to participate received, 1 set aside." in page_text(section)
    assert "Set aside: No public liability insurance" in section
    assert page_text(section).count("To be checked against the exclusion grounds and the debarment list") == 2

    requester = browser(people.requester)
    theirs = requester.get(f"/cases/{case_id}").text.split('id="requests"')[1].split('id="linked"')[0]
    assert "3 requests to participate received, 1 set aside." in page_text(theirs) and "Acme" not in theirs
    requester.get(new, status=404)

    clock.set(date(2026, 3, 30))
    invite = officer.get(f"/cases/{case_id}/actions/invite_tenders").text
    assert "Filled in from the requests to participate: the 2 not set aside." in invite
    assert ">Acme Ltd\nBrightwater Services</textarea>" in invite
    officer.post(f"/cases/{case_id}/requests-to-participate/{careless}/remove", {}, form_page=change)
    assert [r.supplier_name for r in _requests(db, case_id)] == ["Acme Ltd", "Brightwater Services"]
    history = page_text(officer.get(f"/cases/{case_id}").text.split('id="timeline"')[1])
    assert "Correct participation request" in history and "Set aside: No public liability insurance" in history
    assert "Remove participation request" in history


def _requests(db, case_id):
    from provision_cycle.workflow.participation import requests_to_participate

    with db.reading() as session:
        return requests_to_participate(session, case_id)


def test_a_request_set_aside_in_error_is_put_right_once_the_tenders_are_in(core, db, browser, clock):
    from datetime import date

    from provision_cycle.services.evaluation import RequestGiven
    from tests.factories import act, in_participation

    people = hub_people(db)
    case_id = in_participation(core.engine, people)
    clock.set(date(2026, 3, 10))
    wrongly = RequestGiven("Careless Contracting", "", True, False, date(2026, 3, 9), "No insurance")
    request_id = evaluation.record_request(core, case_id, people.officer, wrongly)
    evaluation.record_request(
        core, case_id, people.officer, RequestGiven("Acme Ltd", "", True, False, date(2026, 3, 9), "", date(2026, 3, 9))
    )
    clock.set(date(2026, 3, 30))
    invite = {"tenders_invited_on": "2026-03-30", "tenders_close_on": "2026-04-27", "invited_suppliers": "Acme Ltd"}
    act(core.engine, case_id, "invite_tenders", people.officer, inputs=invite)
    officer = browser(people.officer)
    change = f"/cases/{case_id}/requests-to-participate/{request_id}"
    officer.get(change, status=404)  # tenders are out: nothing to put right yet
    clock.set(date(2026, 4, 28))
    act(core.engine, case_id, "close_tenders", people.officer)
    section = officer.get(f"/cases/{case_id}").text.split('id="requests"')[1].split('id="evaluation"')[0]
    assert "A request set aside in error is put right here" in page_text(section) and f'href="{change}"' in section
    opened = re.search(r'name="opened_on" type="hidden" value="([^"]+)"', officer.get(change).text).group(1)
    answers = {"supplier_name": "Careless Contracting", "supplier_is_sme": "yes", "supplier_is_vcse": "no",
               "received_on": ["9", "3", "2026"], "exclusions_checked_on": ["28", "4", "2026"],
               "set_aside_because": "", "opened_on": opened}  # fmt: skip
    officer.post(change, answers)
    history = page_text(officer.get(f"/cases/{case_id}").text.split('id="timeline"')[1])
    assert "Checked against the exclusion grounds and the debarment list on 28 April 2026" in history
    fix = f"/cases/{case_id}/invitations"
    officer.post(fix, {"invited_suppliers": "Acme Ltd\nCareless Contracting", "reason": "Insured after all"})
    assert "Only the 2 suppliers invited" in " ".join(officer.get(f"/cases/{case_id}").text.split())


def test_the_team_extends_a_closing_date_from_the_case_s_key_dates(core, db, browser, clock):
    from datetime import date

    from tests.factories import publish_tender_notice, ready_for_the_market

    people = hub_people(db)
    case_id = ready_for_the_market(core.engine, people, value="250000")
    publish_tender_notice(core.engine, case_id, people.officer)  # tenders close 6 April 2026
    clock.set(date(2026, 4, 1))
    officer = browser(people.officer)
    extend = f"/cases/{case_id}/closing-dates/tenders"
    dates = officer.get(f"/cases/{case_id}").text.split('id="dates"')[1].split("</dl>")[0]
    assert f'href="{extend}">Extend<span class="govuk-visually-hidden"> the date tenders close</span>' in dates
    assert "/closing-dates/" not in browser(people.requester).get(f"/cases/{case_id}").text
    browser(people.requester).get(extend, status=404)
    form = officer.get(extend).text
    assert "Tenders close: 6 April 2026." in page_text(form)
    answers = {"closes_on": ["6", "4", "2026"], "revised_notice_on": ["1", "4", "2026"], "reason": "Late answer"}
    refused = officer.post(extend, answers, status=400).text
    assert "An extension is later than the closing date now, 6 April 2026" in refused
    answers["notice_id"] = "012345-2026"  # Find a Tender's, for the revised notice
    done = officer.post(extend, {**answers, "closes_on": ["20", "4", "2026"]}, follow_redirects=True, status=200)
    assert "Extended: tenders close on 20 April 2026" in done.text
    page = officer.get(f"/cases/{case_id}").text
    assert re.search(r"Tenders close</dt>\s*<dd[^>]*>20 April 2026", page)
    history = page_text(page.split('id="timeline"')[1])
    assert (
        "Extend closing date" in history
        and "Tenders close: 6 April 2026 → 20 April 2026, by a revised tender notice published 1 April 2026 "
        "(012345-2026)"
        in history
        and "“Late answer”" in history
    )


def test_requests_to_participate_are_loaded_from_a_portal_s_file(core, db, browser, clock):
    import html as html_text
    from datetime import date
    from io import BytesIO

    from tests.factories import in_participation

    people = hub_people(db)
    case_id = in_participation(core.engine, people)
    clock.set(date(2026, 3, 30))
    officer = browser(people.officer)
    load = f"/cases/{case_id}/requests-to-participate/load"
    assert f'href="{load}">load them from a file</a>' in officer.get(f"/cases/{case_id}").text
    browser(people.requester).get(load, status=404)

    def upload(data: bytes, status: int):
        sent = {"register": (BytesIO(data), "requests.csv")}
        return officer.post(load, sent, status=status, content_type="multipart/form-data").text

    wrong = upload(b"Supplier,Received\nAcme Ltd,31/02/2026\n", status=400)
    assert "1 problem in the file" in wrong and "&#39;31/02/2026&#39; is not a date" in wrong
    checked = upload(b"Supplier,Received,SME\nAcme Ltd,20/03/2026,yes\nBrightwork CIC,2026-03-21,no\n", status=200)
    assert "2 requests to participate ready to record" in checked and "20 March 2026" in checked
    assert _requests(db, case_id) == []  # nothing until confirmed
    content = html_text.unescape(re.search(r'name="content" type="hidden" value="([^"]*)"', checked).group(1))
    done = officer.post(
        f"{load}/confirm", {"content": content, "filename": "requests.csv"}, form_page=load, offered=False, follow_redirects=True,
        status=200,
    )  # fmt: skip
    assert "2 requests to participate from requests.csv recorded" in done.text
    assert [(r.supplier_name, r.supplier_is_sme) for r in _requests(db, case_id)] == [
        ("Acme Ltd", True),
        ("Brightwork CIC", False),
    ]
    history = page_text(done.text.split('id="timeline"')[1])
    assert "Load participation requests" in history and "From a file: Acme Ltd, Brightwork CIC" in history


def test_a_below_threshold_tender_reserved_to_local_smes_through_its_pages(core, db, browser, clock):
    """The 2026 Order: the tender notice's step records the reservation, the tender form asks
    whether each supplier is based there, and the case page and its history say what was reserved."""
    people = hub_people(db)
    case_id = ready_for_the_market(core.engine, people, value="100000")
    officer = browser(people.officer)
    url = f"/cases/{case_id}/actions/publish_tender_notice"
    form = officer.get(url).text
    assert "Is the competition reserved to suppliers based in one place? (optional)" in (page_text(form))
    assert 'value="Oxfordshire"' in form and 'value="uk"' in form
    notice = {
        "tender_notice_published_on": ["2", "3", "2026"],
        "tenders_close_on": ["20", "3", "2026"],
        "reserved": "yes",
        "reserved_to_suppliers_in": "Oxfordshire",
    }
    refused = officer.post(url, notice, status=400).text
    assert "Answer yes or no: Is it reserved to SMEs and VCSEs as well?" in refused
    assert "Enter why it is reserved" in refused
    officer.post(url, notice | {"reserved_to_smes_and_vcses": "yes", "reserved_because": "Local jobs and skills"})

    page = page_text(officer.get(f"/cases/{case_id}").text)
    assert (
        "Reserved to SMEs and VCSEs based in Oxfordshire (the Local Government (Exclusion of Non-commercial Considerations) (England) Order 2026): a tender from any other "
        "supplier is not assessed." in page
    )
    assert "Reserved to suppliers based in: Oxfordshire" in page and "Why it is reserved: Local jobs and skills" in page

    clock.set(date(2026, 4, 7))
    act(core.engine, case_id, "close_tenders", people.officer)
    new = f"/cases/{case_id}/tenders/new"
    question = "Is the supplier based or established in Oxfordshire, with substantive business operations there?"
    assert question in page_text(officer.get(new).text)
    loading = page_text(officer.get(f"/cases/{case_id}/tenders/load").text)  # a portal's file answers it too
    assert (
        "(the Local Government (Exclusion of Non-commercial Considerations) (England) Order 2026): a column Based in Oxfordshire says, yes or no, whether each"
        in loading
    )
    refused = officer.post(new, _tender_form("Banbury Care Ltd", "90000"), status=400).text
    assert "Say whether the supplier is based in Oxfordshire" in refused
    officer.post(new, _tender_form("Banbury Care Ltd", "90000") | {"supplier_within_reservation": "yes"})
    officer.post(new, _tender_form("Reading Care Ltd", "80000") | {"supplier_within_reservation": "no"})
    page = page_text(officer.get(f"/cases/{case_id}").text)
    assert (
        "Not assessed: Not among the SMEs and VCSEs based in Oxfordshire the competition is reserved to "
        "(the Local Government (Exclusion of Non-commercial Considerations) (England) Order 2026)" in page
    )
    with db.reading() as session:
        standings = evaluation_of(session, case_id).standings
        reading = {s.tender.supplier_name: s.tender.supplier_within_reservation for s in standings}
    assert reading == {"Banbury Care Ltd": True, "Reading Care Ltd": False}
    matrix = officer.get(f"/cases/{case_id}/evaluation.csv").text.splitlines()
    assert matrix[0].startswith("Rank,Supplier,Registration,PPON,SME,VCSE,Based in Oxfordshire,Price excluding VAT")
    assert [row.split(",")[1:7] for row in matrix[1:]] == [
        ["Banbury Care Ltd", "", "", "yes", "no", "yes"],
        ["Reading Care Ltd", "", "", "yes", "no", "no"],
    ]


def test_a_tender_in_a_competition_open_to_all_is_not_asked_where_its_supplier_is(core, db, browser, clock):
    people = hub_people(db)
    case_id = ready_for_the_market(core.engine, people, value="100000")
    publish_tender_notice(core.engine, case_id, people.officer)
    clock.set(date(2026, 4, 7))
    act(core.engine, case_id, "close_tenders", people.officer)
    page = browser(people.officer).get(f"/cases/{case_id}/tenders/new").text
    assert 'name="supplier_within_reservation"' not in page and "Order 2026" not in page


def test_a_below_threshold_competitive_flexible_procedure_is_asked_the_policy_note_s_reservation(core, db, browser):
    """Works below their threshold: the tender notice's form asks the 2026 Order's question, in its
    words, with the places under its "Yes", and not the Act's s32 and s33."""
    from tests.test_reservations import _flexible

    people = hub_people(db)
    case_id = _flexible(core, db, people, value="1000000", contract_type="works")
    form = page_text(browser(people.officer).get(f"/cases/{case_id}/actions/publish_tender_notice").text)
    assert "Is the competition reserved to suppliers based in one place? (optional)" in form
    assert "Reserved to suppliers based in" in form and "Oxfordshire" in form
    assert "supported employment providers" not in form


def test_a_procedure_reserved_to_supported_employment_providers_asks_each_request(core, db, browser):
    """PA23 s32 through the pages: the tender notice reserves the procedure, the request form asks its question,
    and a request from outside the reservation is set aside as it is recorded."""
    from tests.test_reservations import SUPPORTED, _flexible, _reserved_notice

    people = hub_people(db)
    case_id = _flexible(core, db, people)
    officer = browser(people.officer)
    form = page_text(officer.get(f"/cases/{case_id}/actions/publish_tender_notice").text)
    assert "Is the procedure reserved to supported employment providers or public service mutuals? (optional)" in form
    _reserved_notice(core, people, case_id, "supported_employment_providers")
    new = f"/cases/{case_id}/requests-to-participate/new"
    page = page_text(officer.get(new).text)
    assert "Reserved to supported employment providers (Procurement Act 2023 s32): a request from any other" in page
    assert "Is the supplier a supported employment provider" in page
    request = {
        "supplier_name": "Ordinary Office Ltd",
        "supplier_is_sme": "yes",
        "supplier_is_vcse": "no",
        "received_on": ["2", "3", "2026"],
    }
    refused = officer.post(new, request, status=400).text
    assert "Say whether the supplier is a supported employment provider" in refused
    officer.post(new, request | {"supplier_within_reservation": "no"})
    page = page_text(officer.get(f"/cases/{case_id}").text)
    assert f"Set aside: {SUPPORTED}" in page


def test_tenders_are_loaded_from_a_portal_s_opening_report(core, db, browser, clock):
    from io import BytesIO

    from tests.web.helpers import procurement_in_evaluation

    people = hub_people(db)
    case_id = procurement_in_evaluation(core, people)
    officer = browser(people.officer)
    load = f"/cases/{case_id}/tenders/load"
    assert f'href="{load}">load them from a file</a>' in officer.get(f"/cases/{case_id}").text
    browser(people.requester).get(load, status=404)
    form = page_text(officer.get(load).text)
    assert "with columns Supplier , Price and Received , and if you have them" in form

    def upload(data: bytes, status: int):
        sent = {"register": (BytesIO(data), "opening-report.csv")}
        return officer.post(load, sent, status=status, content_type="multipart/form-data").text

    wrong = upload(b"Supplier,Price,Received\nAcme Ltd,lots,2026-02-20\n", status=400)
    assert "1 problem in the file" in wrong and "Enter the price tendered in pounds" in wrong
    checked = upload(b"Supplier,Price,Received,SME,PPON\nAcme Ltd,240000,20/02/2026,yes,pacm-1234-ltdx\nBrightwork CIC,\"200,000.50\",2026-02-21,no,\n", status=200)  # fmt: skip
    assert "2 tenders ready to record" in checked and "£200,000.50" in checked and "21 February 2026" in checked
    assert "PACM-1234-LTDX" in checked  # as it will be recorded
    content = unescape(re.search(r'name="content" type="hidden" value="([^"]*)"', checked).group(1))
    done = officer.post(
        f"{load}/confirm", {"content": content, "filename": "opening-report.csv"}, form_page=load, offered=False,
        follow_redirects=True, status=200,
    )  # fmt: skip
    assert "2 tenders from opening-report.csv recorded" in done.text
    history = page_text(done.text.split('id="timeline"')[1])
    assert "Load tenders" in history and "From a file: Acme Ltd, Brightwork CIC" in history
    with db.reading() as session:
        found = evaluation_of(session, case_id).standings
    assert sorted((s.tender.supplier_name, s.tender.price, s.tender.supplier_is_sme) for s in found) == [
        ("Acme Ltd", Decimal("240000"), True),
        ("Brightwork CIC", Decimal("200000.50"), False),
    ]
