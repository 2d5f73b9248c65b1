"""The Transparency Code files on the web: a council's publishers list the quarters and download each file."""

from __future__ import annotations

import csv
import io
from datetime import date
from io import BytesIO

from provision_cycle.services.documents import attach_document
from tests.factories import (
    act,
    approve_gate,
    approve_open_steps,
    award_recommended,
    create_user,
    hub_people,
    new_request,
)
from tests.web.helpers import page_text, payments_compliance_due, seed_contracts


def test_an_analyst_downloads_their_councils_files_by_quarter(core, db, browser):
    people = hub_people(db)
    seed_contracts(core, people, 2)  # started 400 days ago, ending in 30 and 60 days: in force this quarter
    analyst = browser(create_user(db, ("intelligence_analyst", "OCC")))
    assert "Transparency Code files" in analyst.get("/contracts/").text
    page = analyst.get("/contracts/transparency").text
    assert "Oxfordshire County Council</caption>" in page and "Cherwell District Council</caption>" not in page
    assert "January to March 2026 (2025/26 quarter 4) (so far)" in page  # the test clock: 2 March 2026
    assert page.count("/contracts/transparency/OCC/") == 24  # 8 quarters, 3 files each
    assert page.count("Not owed") == 8  # the Act's payments notice: from the quarter to 30 June 2026
    download = analyst.get("/contracts/transparency/OCC/2026-01/contracts.csv")
    assert download.mimetype == "text/csv"
    assert download.headers["Content-Disposition"] == 'attachment; filename="OCC-contracts-2026-01.csv"'
    lines = download.text.splitlines()
    assert lines[0].startswith("Reference,Title,Department responsible") and len(lines) == 3
    assert analyst.get("/contracts/transparency/OCC/2026-01/tenders.csv").text.startswith("Reference,Title,")


def test_an_analyst_downloads_the_payments_notice_from_the_quarter_to_30_june_2026(core, db, browser, clock):
    from datetime import date

    hub_people(db)
    analyst = browser(create_user(db, ("intelligence_analyst", "OCC")))
    clock.set(date(2026, 10, 5))
    page = analyst.get("/contracts/transparency").text
    assert "/contracts/transparency/OCC/2026-07/payments-notice.csv" in page
    assert "/contracts/transparency/OCC/2026-04/payments-notice.csv" in page
    assert "/contracts/transparency/OCC/2026-01/payments-notice.csv" not in page and page.count("Not owed") == 5
    download = analyst.get("/contracts/transparency/OCC/2026-07/payments-notice.csv")
    assert download.headers["Content-Disposition"] == 'attachment; filename="OCC-payments-notice-2026-07.csv"'
    assert download.text.splitlines() == [
        "Date paid,Transaction number,Amount excluding VAT,Amount with VAT,Supplier,Contract reference,"
        "Contract title,Purpose"
    ]


def test_a_council_s_decision_records_are_read_by_quarter_and_downloaded_to_publish(core, db, browser, clock):
    """An award of £240,000 approved on 7 April 2026, over OCC's figure for an officer's decision that matters
    to its finances: its record is on the council's page for the quarter, in its file, and on its case's page."""
    people = hub_people(db)
    case_id = award_recommended(core.engine, clock, people)
    attach_document(core, case_id, people.officer, "Evaluation report.pdf", BytesIO(b"%PDF-1.4 report"))
    approve_gate(core.engine, case_id, [people.head])
    core.engine.declare_interests(case_id, people.finance, has_conflict=False)
    act(core.engine, case_id, "approve", people.finance, reason="Funded from the ICT capital budget")
    analyst = browser(create_user(db, ("intelligence_analyst", "OCC")))
    assert "/contracts/decision-records/OCC/2026-04" in analyst.get("/contracts/transparency").text

    page = page_text(analyst.get("/contracts/decision-records/OCC/2026-04").text)
    assert "Oxfordshire County Council, April to June 2026 (2026/27 quarter 1) Decision records" in page
    assert (
        "Decided on 7 April 2026 Decision by An officer, under powers delegated to them Taken by Hana Head (Head of "
        "Category) Fred Finance (Finance Business Partner) Decision To award the contract for Case management "
        "system to Acme Ltd, worth £240,000.00 excluding VAT. What it awards or commits, excluding VAT £240,000.00 Reasons Procured by "
        "open procedure. Fred Finance: Funded from the ICT capital budget Alternatives considered and rejected No "
        "other tender is recorded. Conflicts of interest declared None declared Documents on the case when it was "
        "taken Evaluation report.pdf"
    ) in page
    assert (
        "No decision that the law has the council record" in analyst.get("/contracts/decision-records/OCC/2026-01").text
    )

    download = analyst.get("/contracts/transparency/OCC/2026-04/decisions.csv")
    assert download.headers["Content-Disposition"] == 'attachment; filename="OCC-decisions-2026-04.csv"'
    header, row = csv.reader(io.StringIO(download.text))  # a record's several lines kept in its cells
    assert header == [
        "Case reference", "Decided on", "Decision by", "Key decision taken", "Decision taken by", "Subject", "Decision",
        "Value excluding VAT", "Reasons", "Alternatives considered and rejected", "Conflicts of interest declared",
        "Documents on the case when it was taken",
    ]  # fmt: skip
    assert row[0].startswith("PRC-") and row[1:5] == [
        "2026-04-07", "An officer", "", "Hana Head (Head of Category); Fred Finance (Finance Business Partner)"
    ]  # fmt: skip
    assert row[8] == "Procured by open procedure.\nFred Finance: Funded from the ICT capital budget"
    assert row[10:] == ["None declared", "Evaluation report.pdf"]

    shown = page_text(browser(people.requester).get(f"/cases/{case_id}").text)
    assert "Decision record The written record of each decision taken on the case" in shown
    assert "Award of the contract for Case management system Decided on 7 April 2026" in shown
    cherwell = browser(create_user(db, ("intelligence_analyst", "CDC")))
    cherwell.get("/contracts/decision-records/OCC/2026-04", status=403)
    browser(people.requester).get("/contracts/decision-records/OCC/2026-04", status=403)
    analyst.get("/contracts/decision-records/OCC/2026-05", status=404)


def test_other_people_and_wrong_addresses_get_nothing(core, db, browser):
    people = hub_people(db)
    requester = browser(people.requester)
    requester.get("/contracts/transparency", status=403)
    requester.get("/contracts/transparency/OCC/2026-01/contracts.csv", status=403)
    assert "Transparency Code files" not in requester.get("/contracts/").text
    cherwell = browser(create_user(db, ("intelligence_analyst", "CDC")))
    refused = cherwell.get("/contracts/transparency/OCC/2026-01/contracts.csv", status=403).text
    assert "Only OCC&#39;s intelligence team and its senior officers publish its files" in refused
    cherwell.get("/contracts/transparency/CDC/2026-02/contracts.csv", status=404)
    cherwell.get("/contracts/transparency/CDC/2026-01/salaries.csv", status=404)


def test_a_contract_page_shows_what_has_been_paid_under_it(core, db, browser):
    from provision_cycle.models import Contract
    from provision_cycle.services.spend import load_spend

    people = hub_people(db)
    [contract_id] = seed_contracts(core, people, 1)
    officer = browser(people.officer)
    assert "No payments loaded against it" in officer.get(f"/contracts/{contract_id}").text
    with db.reading() as session:
        reference = session.get(Contract, contract_id).reference
    spend = f"Council,Transaction number,Date paid,Supplier,Amount,Contract reference\nOCC,T-1,2026-01-05,S,1250,{reference}\n"
    load_spend(core, spend.encode(), actor_id=people.system, apply=True)
    page = officer.get(f"/contracts/{contract_id}").text
    assert "£1,250.00 in 1 payment<" in page and ">1 payment</caption>" in page and ">T-1<" in page
    officer.get("/contracts/transparency/OCC/2026-01/spend.csv", status=403)  # an officer does not publish it


def test_the_s151_officer_checks_and_approves_the_payments_compliance_notice(core, db, browser, clock):
    """PA23 s69 and reg 38: the notice's figures from the spend loaded, the unpaid invoices the officer gives,
    the approval recorded on the page by the council's S151 officer, and its task completed."""
    people = hub_people(db)
    payments_compliance_due(core, people, clock)
    address = "/contracts/payments-compliance/OCC/2026-04"

    analyst = browser(create_user(db, ("intelligence_analyst", "OCC")))
    assert f'href="{address}"' in analyst.get("/contracts/transparency").text
    page = analyst.get(address).text
    assert "Payments compliance notice" in page and "to publish on the Central Digital Platform" in page
    assert "34.5 days" in page and "50.0%" in page  # 19 and 50 days: one in days 1 to 30, one in 31 to 60
    assert "The council's S151 officer approves the notice here" in page and "Record the approval" not in page
    assert "1 payment under public contracts in the period" in page and "has no invoice day loaded and is" in page
    refused = analyst.get(f"{address}?still_unpaid=some", status=400).text
    assert "Enter the number of invoices still unpaid as a whole number" in refused
    notice = analyst.get(f"{address}/notice.csv?still_unpaid=2")
    assert notice.headers["Content-Disposition"] == 'attachment; filename="OCC-payments-compliance-notice-2026-04.csv"'
    assert "Percentage of sums payable in the period not paid in it,50.0" in notice.text  # 2 of 4
    assert analyst.get(f"{address}/payments.csv").text.count("Paid in the period") == 2
    analyst.post(
        address, {"still_unpaid": "2"}, form_page="/contracts/transparency", offered=False
    )  # not theirs to approve
    assert "Not yet approved" in analyst.get(address).text
    assert 'id="past-its-date"' not in analyst.get(address).text  # due by 29 October; today is 5 October

    s151 = browser(people.s151)
    [task_id] = [line.split('href="/tasks/')[1].split('"')[0] for line in s151.get("/tasks/").text.splitlines()
                 if 'href="/tasks/' in line and "payments compliance" in line]  # fmt: skip
    assert f'href="{address}"' in s151.get(f"/tasks/{task_id}").text
    assert "Record the approval" in s151.get(f"{address}?still_unpaid=2").text
    clock.set(date(2026, 10, 30))  # the day after its last day
    assert 'id="past-its-date"' in s151.get(f"{address}?still_unpaid=2").text
    s151.post(address, {"still_unpaid": "2", "note": "Checked"}, form_page=f"{address}?still_unpaid=2")
    page = s151.get(address).text
    assert "approved: its task is complete" in page and "Sam S151" in page and "counting 2 invoices" in page
    assert 'id="past-its-date"' not in page  # published, if late
    assert "Record the approval" not in page and "Invoices still unpaid" not in page
    assert "publish the payments compliance notice" not in s151.get("/tasks/").text.lower()
    cherwell = browser(create_user(db, ("intelligence_analyst", "CDC")))
    cherwell.get(address, status=403)
    cherwell.get(f"{address}/payments.csv", status=403)
    cherwell.get("/contracts/payments-compliance/CDC/2026-05", status=404)
    cherwell.get("/contracts/payments-compliance/CDC/2026-04/salaries.csv", status=404)


def test_the_unpaid_invoices_an_administrator_loads_are_counted_in_the_notice_approved(core, db, browser, clock):
    import html
    import io
    import re

    from sqlalchemy import select

    from provision_cycle.models import AuditEvent, Contract

    people = hub_people(db)
    payments_compliance_due(core, people, clock)
    with db.reading() as session:
        reference = session.scalars(select(Contract.reference)).one()
    address = "/contracts/payments-compliance/OCC/2026-04"
    assert "No list of unpaid invoices taken since" in browser(people.s151).get(address).text

    admin = browser(create_user(db, ("administrator", "OCC")))
    assert 'href="/contracts/payments/unpaid/load"' in admin.get("/admin/").text
    listed = (
        "Council,Invoice number,Supplier,Amount,Invoice received,Contract reference\n"
        f"OCC,INV-1,S,900,2026-09-20,{reference}\nOCC,INV-2,S,900,2026-10-01,{reference}\n"
    )
    assert "aged creditors" in admin.get("/contracts/payments/unpaid/load").text
    checked = admin.post(
        "/contracts/payments/unpaid/load",
        {"register": (io.BytesIO(listed.encode()), "unpaid.csv")},
        status=200,
        content_type="multipart/form-data",
    ).text
    assert "Load 2 unpaid invoices, as at 5 October 2026, in place of the list before" in checked
    content = html.unescape(re.search(r'name="content" type="hidden" value="([^"]*)"', checked).group(1))
    loaded = admin.post(
        "/contracts/payments/unpaid/load/confirm",
        {"content": content, "filename": "unpaid.csv"},
        form_page="/contracts/payments/unpaid/load",
        offered=False,
    )
    assert loaded.location.endswith("/contracts/transparency?sort=newest")
    assert "2 unpaid invoices, as at 5 October 2026" in admin.get(loaded.location).text

    s151 = browser(people.s151)
    page = s151.get(address).text
    assert "1 of them still unpaid on the list of unpaid invoices as at 5 October 2026" in page  # INV-1
    s151.post(address, {"still_unpaid": "", "note": "From the ledger"}, form_page=address)
    with db.reading() as session:
        approved = session.scalars(select(AuditEvent).where(AuditEvent.action == "complete_task")).one()
    assert approved.data["still_unpaid"] == 1 and approved.data["unpaid_listed_on"] == "2026-10-05"


def test_the_monitoring_officer_reports_the_key_decisions_taken_under_special_urgency(core, db, browser):
    """Reg 19: from their home page, the council's monitoring officer reads its decision records and the report
    of its key decisions taken under special urgency, this financial year's by default or over the days asked."""
    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="1200000")
    act(core.engine, case_id, "submit", people.requester)
    act(
        core.engine, case_id, "record_forward_plan", people.officer,
        inputs={
            "forward_plan_published_on": "2026-03-02", "key_decision_urgency": "special_urgency",
            "urgency_agreed_by": "Cllr Jo Smith", "urgency_reasons": "The current contract ends on 31 March",
        },
    )  # fmt: skip
    approve_open_steps(core.engine, db, people, case_id)
    monitoring = browser(people.monitoring)
    home = monitoring.get("/my-work").text
    assert "/contracts/decision-records/OCC/2026-01" in home and "/contracts/special-urgency/OCC" in home
    assert "Procurement of Case management system" in monitoring.get("/contracts/decision-records/OCC/2026-01").text

    report = page_text(monitoring.get("/contracts/special-urgency/OCC").text)
    assert "From 1 April 2025 to 2 March 2026 1 key decision was taken under special urgency." in report
    assert "1. Procurement of Case management system" in report
    assert (
        "Taken under special urgency (2012 Access to Information Regulations, reg 11), agreed by Cllr Jo Smith, "
        "without 28 clear days on the forward plan: The current contract ends on 31 March." in report
    )
    asked = "/contracts/special-urgency/OCC?since=3&since=3&since=2026&until=31&until=3&until=2026"
    assert "No key decision was taken under special urgency in these days" in monitoring.get(asked).text
    wrong = monitoring.get(
        "/contracts/special-urgency/OCC?since=3&since=3&since=2026&until=2&until=3&until=2026", status=400
    )
    assert "The last day the report covers must be on or after its first" in wrong.text
    unreal = monitoring.get(
        "/contracts/special-urgency/OCC?since=31&since=2&since=2026&until=&until=&until=", status=400
    )
    assert "From must be a real date" in unreal.text and "Enter the last day the report covers" in unreal.text

    refused = browser(hub_people(db, authority="CDC").monitoring).get("/contracts/special-urgency/OCC", status=403)
    assert (
        "Only OCC&#39;s monitoring officer, intelligence team and senior officers read its decision records"
        in refused.text
    )
    browser(people.requester).get("/contracts/special-urgency/OCC", status=403)
    assert "Download them to publish" not in monitoring.get("/contracts/decision-records/OCC/2026-01").text
    monitoring.get("/contracts/transparency/OCC/2026-01/decisions.csv", status=403)  # they read, not publish

    # The file the council publishes says how each key decision was taken.
    analyst = browser(create_user(db, ("intelligence_analyst", "OCC")))
    header, *rows = csv.reader(io.StringIO(analyst.get("/contracts/transparency/OCC/2026-01/decisions.csv").text))
    assert [(row[2], row[header.index("Key decision taken")]) for row in rows] == [
        (
            "The Executive",
            "Without 28 clear days' notice, under special urgency (2012 Access to Information Regulations, reg 11)",
        )
    ]


def test_the_monitoring_officer_records_from_the_case_page_that_scrutiny_requires_a_report(core, db, browser, clock):
    """2012 regs reg 18, on the web: the link under the officer's decision record is the monitoring officer's
    alone; the form says what is wrong and where, saving nothing; then the task is theirs and the case's history
    says what the committee resolved."""
    from datetime import timedelta

    from sqlalchemy import select

    from provision_cycle.models import Task

    people = hub_people(db)
    case_id = award_recommended(core.engine, clock, people)
    approve_gate(core.engine, case_id, [people.head, people.finance])
    monitoring = browser(people.monitoring)
    shown = monitoring.get(f"/cases/{case_id}").text
    [address] = {part.split('"')[0] for part in shown.split('href="')[1:] if "/decision-records/" in part.split('"')[0]}
    assert "Record that scrutiny requires a report on it" in shown
    head = browser(people.head)
    assert address not in head.get(f"/cases/{case_id}").text
    head.get(address, status=404)

    form = monitoring.get(address).text
    assert "regulation 18" in form and "To award the contract for Case management system to Acme Ltd" in form
    today = clock.today
    due = today + timedelta(days=28)
    answers = {
        "committee": "Performance Scrutiny Committee",
        "resolved_on": [str(today.day), str(today.month), str(today.year)],
        "report_by": [str(today.day), str(today.month), str(today.year)],
        "why": "",
    }
    refused = monitoring.post(address, answers, status=400).text
    assert 'href="#why"' in refused and "Say why the committee holds it should have been a key decision" in refused
    answers["why"] = "It commits over £240,000"
    refused = monitoring.post(address, answers, status=400).text  # the same day: the service says so, on its field
    assert 'href="#report_by' in refused and "The report is due after the day the committee required it" in refused
    with db.reading() as session:
        assert session.scalar(select(Task.id).where(Task.kind == "key_decision_report")) is None  # nothing saved
    answers |= {"report_by": [str(due.day), str(due.month), str(due.year)], "why": "It commits over £240,000"}
    done = page_text(monitoring.post(address, answers, follow_redirects=True, status=200).text)
    assert f"The report on the decision is due by {due:%-d %B %Y}: it is in your tasks" in done
    assert (
        f"Performance Scrutiny Committee resolved on {today:%-d %B %Y} that a decision here should have been taken as "
        f"a key decision, and requires a report to the council by {due:%-d %B %Y} (regulation 18)" in done
    )  # the case's history
    work = page_text(monitoring.get("/my-work").text)
    assert "Report to the council: Award of the contract for Case management system (regulation 18)" in work
    # Under the record, while it is due: no second requirement offered meanwhile. Then, once it is made.
    said = f"Its scrutiny committee requires a report to the council on it (regulation 18): due by {due:%-d %B %Y}."
    shown = monitoring.get(f"/cases/{case_id}").text
    assert said in page_text(shown) and address not in shown
    assert said in page_text(head.get(f"/cases/{case_id}").text)  # the case's team see it too
    from provision_cycle.services.tasks import complete_task

    with db.reading() as session:
        task_id = session.scalar(select(Task.id).where(Task.kind == "key_decision_report"))
    complete_task(core, task_id, people.monitoring, outcome="reported_to_the_council", note="Council, 28 April")
    shown = monitoring.get(f"/cases/{case_id}").text
    assert f"(regulation 18): reported, as recorded on {today:%-d %B %Y}." in page_text(shown) and address in shown
