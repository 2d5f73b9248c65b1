"""Tasks, documents, bulk approval, cover while away, and the administration pages, through the forms."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

from sqlalchemy import select

from provision_cycle.models import AuditEvent, Case, Contract, Document, OutboxMessage, Task, TaskStatus, User
from tests.factories import act, create_user, declare, hub_people, new_request
from tests.web.conftest import PASSWORD
from tests.web.helpers import page_text, public_contract_that_ended, renewal_task, seed_contracts


def _task(core, people):
    [contract_id] = seed_contracts(core, people, 1)
    return renewal_task(core, people, contract_id, "Decide the renewal of Contract 0")


def test_contract_manager_completes_a_renewal_task(core, db, browser):
    people = hub_people(db)
    task_id = _task(core, people)
    manager = browser(people.contract_manager)
    assert "Decide the renewal of Contract 0" in manager.get("/my-work").text
    # What a renewal decision needs, on the task: the contract's dates, its options, and where to act on it.
    shown = manager.get(f"/tasks/{task_id}").text
    with db.reading() as session:
        contract = session.get(Task, task_id).contract
    # Listed with its contract's end, how soon it matters (its due date is when its lead time came).
    listed = page_text(manager.get("/tasks/").text)
    assert f"Decide the renewal of Contract 0 The contract ends {contract.end_date:%-d %B %Y}" in listed
    with db.reading() as session:
        facts = {
            "Contract": f"{contract.reference} Contract 0",
            "Supplier": "Supplier 0",
            "Ends": f"{contract.end_date.day} {contract.end_date:%B %Y}",
            "Last day to give notice": f"{contract.notice_by.day} {contract.notice_by:%B %Y}",
            "Extension options": "None left",
            "Its case": "Live",
        }
    for key, value in facts.items():
        assert re.search(rf"{key}</dt><dd[^>]*>.*?{value}", shown), key
    assert "Make the renewal decision" in shown and f'/cases/{contract.case_id}#actions"' in shown
    assert "proposing it completes this task" in shown and "Or record a decision taken another way" in shown
    # and how the contract has gone, which the decision weighs (as its approvers will see it)
    assert "How the contract has gone" in shown
    for key, value in (
        ("Paid under it so far, excluding VAT", "Nothing recorded yet"),
        ("Supplier breaches recorded", "None"),
    ):
        assert re.search(rf"{key}</dt><dd[^>]*>{value}</dd>", shown), key
    page = manager.post(f"/tasks/{task_id}", {"complete-submit": "1"}, status=400).text
    assert "Choose what was decided or done" in page
    # No extension options left: extending is not offered, and refused if posted anyway.
    assert "Extend the contract" not in shown and "Re-commission: start a new procurement" in shown
    manager.post(f"/tasks/{task_id}", {"complete-outcome": "extend", "complete-submit": "1"}, status=400)
    manager.post(
        f"/tasks/{task_id}",
        {"complete-outcome": "recommission", "complete-note": "Market has moved", "complete-submit": "1"},
    )
    with db.reading() as session:
        task = session.get(Task, task_id)
        assert task.status == TaskStatus.DONE and task.outcome == "recommission"
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "complete_task")).one()
        assert event.comment == "Market has moved" and event.case_id == task.case_id
    assert "You have no open tasks" in manager.get("/tasks/").text


def test_a_renewal_task_is_done_by_proposing_the_decision_on_the_contract_s_case(core, db, browser):
    people = hub_people(db)
    task_id = _task(core, people)
    with db.reading() as session:
        case_id = session.get(Task, task_id).case_id
    manager = browser(people.contract_manager)
    manager.post(f"/cases/{case_id}/actions/open_renewal_decision", {}, form_page=f"/cases/{case_id}")
    manager.post(f"/cases/{case_id}/actions/propose_recommission", {})
    assert "You have no open tasks" in manager.get("/tasks/").text
    done = "Re-commissioning proposed on the contract's case, for approval"
    assert f"Completed on {core.engine.today():%-d %B %Y}: {done}." in page_text(manager.get(f"/tasks/{task_id}").text)
    assert f"Decide the renewal of Contract 0 – due {core.engine.today():%-d %B %Y} (Done: {done})" in page_text(
        manager.get(f"/cases/{case_id}").text
    )


def test_a_contract_review_is_escalated_from_its_page_and_its_head_of_category_reads_it_there(core, db, browser):
    from provision_cycle.services.tasks import NewTask, raise_task

    people = hub_people(db)
    [contract_id] = seed_contracts(core, people, 1)
    with core.db.unit_of_work() as session:
        new = NewTask("contract_review", "Review Contract 0", core.engine.today(), people.contract_manager,
                      contract_id=contract_id)  # fmt: skip
        task_id = raise_task(core, session, new, actor_id=people.officer)
    manager = browser(people.contract_manager)
    asked = {"complete-outcome": "escalated", "complete-submit": "1"}
    page = manager.post(f"/tasks/{task_id}", asked, status=400).text
    assert "Say what the Head of Category needs to know about the contract" in page and 'href="#complete-note"' in page
    manager.post(f"/tasks/{task_id}", asked | {"complete-note": "Deliveries late three months running"})
    head = browser(people.head)
    assert "Contract review escalated to you: Review Contract 0" in head.get("/my-work").text
    shown = page_text(head.get(f"/tasks/{task_id}").text)
    assert (
        "Escalated to the Head of Category (“Deliveries late three months running”): it went to Hana Head "
        "(Head of Category). It was Cora Contracts's task." in shown
    )


def test_a_contract_review_that_needs_improvement_says_when_its_follow_up_is_due(core, db, browser):
    from provision_cycle.governance.calendar import add_months
    from provision_cycle.services.tasks import NewTask, raise_task

    people = hub_people(db)
    [contract_id] = seed_contracts(core, people, 1)
    with core.db.unit_of_work() as session:
        session.get(Contract, contract_id).end_date = core.engine.today() + timedelta(days=400)
        new = NewTask("contract_review", "Review Contract 0", core.engine.today(), people.contract_manager,
                      contract_id=contract_id)  # fmt: skip
        task_id = raise_task(core, session, new, actor_id=people.officer)
    manager = browser(people.contract_manager)
    today = core.engine.today()
    assert f"Reviews Every 12 months; next due {today:%-d %B %Y}" in page_text(
        manager.get(f"/contracts/{contract_id}").text
    )
    assert (
        "Needed when improvement is needed (what must improve: the contract comes back for a follow-up review in 3 "
        "months, unless its next review comes sooner)" in page_text(manager.get(f"/tasks/{task_id}").text)
    )
    asked = {"complete-outcome": "improvement_needed", "complete-submit": "1"}
    page = manager.post(f"/tasks/{task_id}", asked, status=400).text
    assert "Say what needs to improve, for the follow-up review" in page and 'href="#complete-note"' in page
    follow_up = f"a follow-up review is due on {add_months(core.engine.today(), 3):%-d %B %Y}"
    done = manager.post(
        f"/tasks/{task_id}", asked | {"complete-note": "Late deliveries"}, follow_redirects=True, status=200
    )
    listed = page_text(done.text)
    assert f"Task completed: Review Contract 0; {follow_up}" in listed
    assert "Follow-up contract review: " in listed
    shown = page_text(manager.get(f"/tasks/{task_id}").text)
    assert f"Improvement needed (“Late deliveries”): {follow_up}." in shown
    # The contract's page gives it as its next review, where it gave the one now done.
    due = add_months(core.engine.today(), 3)
    assert f"Reviews Every 12 months; a follow-up review is due {due:%-d %B %Y}" in page_text(
        manager.get(f"/contracts/{contract_id}").text
    )


def test_a_contract_s_record_is_corrected_from_its_page(core, db, browser):
    """The form shows the record as it is; a problem is shown on its field and nothing is saved; the page then
    shows the correction, and its history what changed and why. Someone who may not correct it has no link."""
    people = hub_people(db)
    [contract_id] = seed_contracts(core, people, 1)
    manager = browser(people.contract_manager)
    address = f"/contracts/{contract_id}/details"
    shown = manager.get(f"/contracts/{contract_id}").text
    assert f'href="{address}">Correct the contract' in shown
    assert "Came into the register Loaded from the council's register" in page_text(shown)
    form = manager.get(address).text
    assert 'name="title" type="text" value="Contract 0"' in form and 'value="90"' in form
    with db.reading() as session:
        description = session.get(Contract, contract_id).description
    answers = {
        "title": "Contract 0", "description": description, "supplier_registration": "", "supplier_ppon": "PABC-1234",
        "supplier_is_sme": "no", "supplier_is_vcse": "yes", "supplier_is_supported_employment": "not_recorded",
        "supplier_is_public_service_mutual": "no", "notice_period_days": "90", "extension_months_available": "0",
        "irrecoverable_vat": "0.00", "reason": "",
    }  # fmt: skip
    refused = manager.post(address, answers, status=400).text
    assert 'href="#supplier_ppon"' in refused and "Give the PPON as four letters" in refused
    assert 'href="#reason"' in refused
    with db.reading() as session:
        assert session.get(Contract, contract_id).supplier_is_vcse is False  # nothing saved
    answers |= {"supplier_ppon": "pabc-1234-defg", "reason": "From the supplier's Find a Tender record"}
    done = page_text(manager.post(address, answers, follow_redirects=True, status=200).text)
    assert (
        "record is corrected: the supplier's PPON, whether the supplier is a VCSE and whether the supplier is a "
        "public service mutual" in done
    )
    assert "Supplier PPON (unique identifier) PABC-1234-DEFG" in done and "Supplier is an SME or VCSE VCSE" in done
    assert (
        "Correct contract – Cora Contracts" in done
        and "“From the supplier's Find a Tender record” the supplier's PPON: not recorded → PABC-1234-DEFG; "
        "whether the supplier is a VCSE: no → yes; whether the supplier is a public service mutual: not recorded → no"
        in done
    )
    assert 'name="value"' not in form  # its value and dates, as loaded, are its category team's to correct
    finance = browser(people.finance)
    assert address not in finance.get(f"/contracts/{contract_id}").text
    finance.get(address, status=404)

    # Its category team corrects an end date typed wrong when it was loaded.
    officer = browser(people.officer)
    form = officer.get(address).text
    assert "Its value and dates, as loaded" in form and 'name="value"' in form
    with db.reading() as session:
        loaded = session.get(Contract, contract_id)
        ends = loaded.end_date
    later = ends.replace(year=ends.year + 1)
    answers |= {
        "supplier_ppon": "PABC-1234-DEFG", "supplier_is_vcse": "yes", "supplier_is_public_service_mutual": "no",
        "value": f"{loaded.value:.2f}", "start_date": [str(n) for n in (loaded.start_date.day,
        loaded.start_date.month, loaded.start_date.year)], "end_date": [str(later.day), str(later.month),
        str(later.year)],
        "maximum_term_months": str(loaded.maximum_term_months), "reason": "The year was typed wrong",
    }  # fmt: skip
    done = page_text(officer.post(address, answers, follow_redirects=True, status=200).text)
    assert "record is corrected: the end date" in done and f"Ends {later:%-d %B %Y}" in done

    # A start date corrected moves its open review to the same anniversary of the new start, as its history says.
    from provision_cycle.governance.calendar import add_months, months_between, next_occurrence
    from provision_cycle.services.tasks import NewTask, raise_task

    due = next_occurrence(loaded.start_date, 12, core.engine.today())
    with db.unit_of_work() as session:
        review = NewTask("contract_review", "Review it", due, people.contract_manager, contract_id=contract_id)
        raise_task(core, session, review, actor_id=people.officer)
    starts = loaded.start_date + timedelta(days=3)
    moved = add_months(starts, months_between(loaded.start_date, due))
    answers |= {"start_date": [str(starts.day), str(starts.month), str(starts.year)], "reason": "A day typo"}
    done = page_text(officer.post(address, answers, follow_redirects=True, status=200).text)
    assert f"the start date: {loaded.start_date:%-d %B %Y} → {starts:%-d %B %Y}" in done
    assert f"the contract review due {due:%-d %B %Y}: due {moved:%-d %B %Y} now" in done
    assert f"Reviews Every 12 months; next due {moved:%-d %B %Y}" in done


def test_a_contracts_manager_rates_its_risk_again_from_its_page(core, db, browser):
    """Each choice says how often the contract would then be reviewed; the page then shows the new rating and
    reviews; someone who may not change it has no link, and the form is not found for them."""
    people = hub_people(db)
    [contract_id] = seed_contracts(core, people, 1)
    manager = browser(people.contract_manager)
    shown = manager.get(f"/contracts/{contract_id}").text
    assert f'href="/contracts/{contract_id}/risk">Change<span class="govuk-visually-hidden"> risk rating' in shown
    form = page_text(manager.get(f"/contracts/{contract_id}/risk").text)
    assert "High: reviewed every 3 months" in form and "Medium: reviewed every 12 months" in form
    refused = manager.post(f"/contracts/{contract_id}/risk", {"risk": "high", "reason": ""}, status=400).text
    assert "Say why its risk is now this" in refused
    done = manager.post(
        f"/contracts/{contract_id}/risk", {"risk": "high", "reason": "Two missed visits"}, follow_redirects=True,
        status=200,
    ).text  # fmt: skip
    assert "CON-" in done and "is now high risk: reviewed every 3 months" in page_text(done)
    assert "Risk High Change risk rating Reviews Every 3 months;" in page_text(done)
    assert "Set contract risk – Cora Contracts" in page_text(done)  # its history, with why
    finance = browser(people.finance)
    assert f"/contracts/{contract_id}/risk" not in finance.get(f"/contracts/{contract_id}").text
    finance.get(f"/contracts/{contract_id}/risk", status=404)


def test_a_notice_date_that_has_passed_says_so_on_the_task_and_the_contract(core, db, browser):
    """Read in December, a contract ending in January with 90 days' notice can no longer be ended by notice
    before its end: its task and its page say the day has passed; one with time left says only the day."""
    from tests.factories import register_contract

    people = hub_people(db)
    today = core.engine.today()
    late = register_contract(core, people, value="50000", ends=today + timedelta(days=30), notice_period_days=90)
    in_time = register_contract(core, people, value="50000", ends=today + timedelta(days=200), notice_period_days=90)
    manager = browser(people.contract_manager)
    for contract, said in ((late, " (passed)"), (in_time, "<")):
        notice = f"{contract.notice_by.day} {contract.notice_by:%B %Y}{said}"
        task_id = renewal_task(core, people, contract.id, f"Decide {contract.reference}")
        assert re.search(
            rf"Last day to give notice</dt><dd[^>]*>{re.escape(notice)}", manager.get(f"/tasks/{task_id}").text
        )
        assert f"90 days: notice by {notice}" in manager.get(f"/contracts/{contract.id}").text


def test_a_task_is_passed_to_a_colleague_from_its_page(core, db, browser):
    people = hub_people(db)
    task_id = _task(core, people)
    colleague = create_user(db, ("contract_manager", "OCC", "cnc"), full_name="Nia Newcomer")
    manager = browser(people.contract_manager)
    shown = manager.get(f"/tasks/{task_id}").text
    assert "Or pass it to someone else" in shown and "To a colleague who could do it: they are told." in shown
    assert re.search(rf'<option value="{colleague}">Nia Newcomer</option>', shown)
    assert f'<option value="{people.requester}">' not in shown  # could not do it
    page = manager.post(f"/tasks/{task_id}", {"pass-assignee_id": "", "pass-submit": "1"}, status=400).text
    assert "Choose who to pass the task to" in page and 'href="#pass-assignee_id"' in page  # the summary leads to it
    done = manager.post(
        f"/tasks/{task_id}",
        {"pass-assignee_id": str(colleague), "pass-reason": "Nia runs the site", "pass-submit": "1"},
        follow_redirects=True,
        status=200,
    ).text
    assert "Nia Newcomer has the task now: Decide the renewal of Contract 0" in done
    assert "Decide the renewal of Contract 0" in browser(colleague).get("/tasks/").text
    # The category team covers: the page says whose it is, and that they will hear.
    shown = browser(people.officer).get(f"/tasks/{task_id}").text
    assert "To a colleague who could do it instead of Nia Newcomer, who is told, as they are." in shown
    # Someone who may only see it has no form to pass it on.
    legal = create_user(db, ("legal", "OCC"))
    assert "Or pass it to someone else" not in browser(legal).get(f"/tasks/{task_id}").text


def test_an_administrator_passes_on_a_leavers_tasks_from_their_page(core, db, browser):
    """Their person page lists what they leave; the council's administrator may pass each on (not complete it),
    as they may hand over who manages a contract; another council's may not."""
    from provision_cycle.services.people import set_active

    people = hub_people(db)
    task_id = _task(core, people)
    admin = create_user(db, ("administrator", "OCC"), full_name="Ada Admin")
    cdc_admin = create_user(db, ("administrator", "CDC"))
    person = browser(admin).get(f"/admin/users/{people.contract_manager}").text
    assert "Their open tasks" in person and f'href="/tasks/{task_id}">Decide the renewal of Contract 0</a>' in person
    assert "Before closing their account, pass each to a colleague from its page" in page_text(person)
    set_active(core, people.contract_manager, False, actor_id=admin)  # and once it is closed
    person = page_text(browser(admin).get(f"/admin/users/{people.contract_manager}").text)
    assert (
        "Pass each to a colleague from its page (handing over their contracts takes those on them): left with "
        "an account that is closed, a task waits" in person
    )
    shown = browser(admin).get(f"/tasks/{task_id}").text
    assert "This is Cora Contracts's task: you may pass it to a colleague." in shown
    assert "Complete the task" not in shown and "Or snooze it" not in shown
    browser(cdc_admin).get(f"/tasks/{task_id}", status=404)
    browser(admin).post(
        f"/tasks/{task_id}", {"pass-assignee_id": str(people.officer), "pass-submit": "1"}, follow_redirects=True,
        status=200,
    )  # fmt: skip
    with db.reading() as session:
        assert session.get(Task, task_id).assignee_id == people.officer
    assert "Their open tasks" not in browser(admin).get(f"/admin/users/{people.contract_manager}").text


def test_a_leavers_tasks_pass_to_one_colleague_at_once(core, db, browser):
    """From their person page (their administrator) or their team's tasks (a colleague covering): every one
    of theirs the person may pass goes to someone who could do each, in one go."""
    people = hub_people(db)
    first, second = seed_contracts(core, people, 2)
    tasks = [renewal_task(core, people, contract, f"Decide {n}") for n, contract in enumerate((first, second))]
    admin = create_user(db, ("administrator", "OCC"), full_name="Ada Admin")
    person = page_text(browser(admin).get(f"/admin/users/{people.contract_manager}").text)
    assert "pass each to a colleague from its page, or pass all 2 to one colleague (handing over" in person
    team = browser(people.officer).get(f"/tasks/?whose=team&colleague={people.contract_manager}").text
    assert f'href="/tasks/of/{people.contract_manager}?back=team">Pass' in team
    # Its way back is the way it came.
    back = browser(admin).get(f"/tasks/of/{people.contract_manager}?back=person").text
    assert (
        f'<a href="/admin/users/{people.contract_manager}" class="govuk-back-link">Back to Cora Contracts</a>' in back
    )

    url = f"/tasks/of/{people.contract_manager}"
    page = browser(admin).get(url).text
    assert "Cora Contracts has 2 open tasks that you can pass on." in page_text(page)
    assert "Cora Contracts still manages 2 contracts you can hand over" in page_text(page)
    assert f'href="/contracts/handover/{people.contract_manager}">Hand them over</a>' in page
    assert all(f'href="/tasks/{task}">Decide {n}</a>' in page for n, task in enumerate(tasks))
    refused = browser(admin).post(url, {"assignee_id": "", "reason": "", "submit": "1"}, status=400).text
    assert "Choose who to pass the task to" in refused
    done = browser(admin).post(
        url, {"assignee_id": str(people.officer), "reason": "Cora has left", "submit": "1"}, follow_redirects=True,
        status=200,
    ).text  # fmt: skip
    assert "Olive Officer has the 2 tasks Cora Contracts had." in page_text(done)
    with db.reading() as session:
        assert {session.get(Task, task).assignee_id for task in tasks} == {people.officer}
    browser(admin).get(url, status=404)  # none left
    browser(people.requester).get(f"/tasks/of/{people.officer}", status=404)  # none theirs to pass


def test_snoozing_needs_a_reason_and_a_date_in_the_next_90_days(core, db, browser):
    people = hub_people(db)
    task_id = _task(core, people)
    manager = browser(people.contract_manager)
    later = core.engine.today() + timedelta(days=200)
    page = manager.post(
        f"/tasks/{task_id}",
        {
            "snooze-until": [str(later.day), str(later.month), str(later.year)],
            "snooze-reason": "",
            "snooze-submit": "1",
        },
        status=400,
    ).text
    assert "Give a reason for snoozing the task" in page
    page = manager.post(
        f"/tasks/{task_id}",
        {
            "snooze-until": [str(later.day), str(later.month), str(later.year)],
            "snooze-reason": "Awaiting budget",
            "snooze-submit": "1",
        },
        status=400,
    ).text
    assert "A task can be snoozed for up to 90 days" in page
    soon = core.engine.today() + timedelta(days=14)
    manager.post(
        f"/tasks/{task_id}",
        {
            "snooze-until": [str(soon.day), str(soon.month), str(soon.year)],
            "snooze-reason": "Awaiting budget",
            "snooze-submit": "1",
        },
    )
    with db.reading() as session:
        assert session.get(Task, task_id).snoozed_until == soon


def test_someone_elses_task_is_not_theirs(core, db, browser):
    people = hub_people(db)
    task_id = _task(core, people)
    browser(people.requester).get(f"/tasks/{task_id}", status=404)


def test_a_case_page_links_its_tasks_for_those_who_may_open_them(core, db, browser):
    """The council's staff open a case's task from its page; its requester, who may not, sees it listed."""
    from provision_cycle.services.tasks import NewTask, raise_task

    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="18000")
    with core.db.unit_of_work() as session:
        task = NewTask("standstill_ends", "Check the standstill", date(2026, 3, 9), people.officer, case_id=case_id)
        task_id = raise_task(core, session, task, actor_id=people.officer)
    link = f'<a class="govuk-link" href="/tasks/{task_id}">Check the standstill</a>'
    for person in (people.officer, people.manager):  # its assignee, and a colleague who may cover for them
        assert link in browser(person).get(f"/cases/{case_id}").text
    page = browser(people.requester).get(f"/cases/{case_id}").text
    assert "<li>Check the standstill – due 9 March 2026" in page and link not in page
    browser(people.requester).get(f"/tasks/{task_id}", status=404)


def test_a_note_goes_on_the_case_s_history_for_everyone_who_may_see_it(core, db, browser):
    """Someone working on a case puts something on the record without moving it: the note is in the history
    with who wrote it and when, on the approver's decision page too; an empty one is refused with the
    reason, and nothing is recorded."""
    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="18000")
    act(core.engine, case_id, "submit", people.requester)
    officer = browser(people.officer)
    page = f"/cases/{case_id}"
    refused = officer.post(f"/cases/{case_id}/notes", {"note": "  "}, status=400, form_page=page).text
    assert "There is a problem" in refused and "Enter the note" in refused
    with db.reading() as session:
        version = session.get(Case, case_id).version
    officer.post(f"/cases/{case_id}/notes", {"note": "Rang two suppliers: lead times are 6 weeks"}, form_page=page)
    history = browser(people.requester).get(page).text
    assert re.search(r"<strong>Note</strong>\s*<br><span[^>]*>Olive Officer, 2 March 2026 at 10:00am", history)
    assert "“Rang two suppliers: lead times are 6 weeks”" in history
    with db.reading() as session:
        assert session.get(Case, case_id).version == version  # nothing a form on the case holds changed
    declare(core.engine, case_id, people.manager)
    decision_page = browser(people.manager).get(f"/approvals/cases/{case_id}").text
    assert "Olive Officer, 2 March 2026 at 10:00am: “Rang two suppliers: lead times are 6 weeks”" in decision_page
    with db.reading() as session:
        notes = session.scalars(select(AuditEvent.comment).where(AuditEvent.case_id == case_id,
                                                                 AuditEvent.action == "note")).all()  # fmt: skip
    assert notes == ["Rang two suppliers: lead times are 6 weeks"]
    outsider = create_user(db, ("requester", "CDC"))
    browser(outsider).post(f"/cases/{case_id}/notes", {"note": "Hello"}, status=404, form_page="/my-work")


def test_a_returned_request_says_why_at_its_head_and_its_approver_sees_what_was_said_before(core, db, browser):
    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="18000")
    act(core.engine, case_id, "submit", people.requester)
    declare(core.engine, case_id, people.manager)
    act(core.engine, case_id, "return", people.manager, reason="Add the quotes you had")
    returned = browser(people.requester).get(f"/cases/{case_id}").text
    assert "Returned for rework on 2 March 2026 by Max Manager: “Add the quotes you had”</div>" in returned
    act(core.engine, case_id, "resubmit", people.requester)
    page = browser(people.manager).get(f"/approvals/cases/{case_id}").text
    assert "Round 1, 2 March 2026: Max Manager: Return – “Add the quotes you had”" in page
    with db.reading() as session:
        asked = session.scalars(
            select(OutboxMessage.body).where(OutboxMessage.kind == "approval_needed").order_by(OutboxMessage.id)
        ).all()
    assert "back after rework" not in asked[0] and "It is back after rework (round 2)" in asked[-1]
    case_page = browser(people.requester).get(f"/cases/{case_id}").text  # back at its gate: in the route only
    assert (
        "Max Manager: Return – “Add the quotes you had”<br>" in case_page and "Returned for rework on" not in case_page
    )


def test_documents_are_checked_stored_and_downloaded(core, db, browser, app):
    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="18000")
    requester = browser(people.requester)
    url = f"/cases/{case_id}/documents"
    page = f"/cases/{case_id}"
    from io import BytesIO

    bad = requester.post(
        url,
        {"document": (BytesIO(b"MZ\x90\x00"), "setup.exe")},
        status=400,
        form_page=page,
        content_type="multipart/form-data",
    ).text
    assert "The selected file must be a PDF, Word, Excel" in bad
    fake = requester.post(
        url,
        {"document": (BytesIO(b"not a pdf"), "report.pdf")},
        status=400,
        form_page=page,
        content_type="multipart/form-data",
    ).text
    assert "The selected file is not a real .pdf file" in fake
    big = requester.post(
        url,
        {"document": (BytesIO(b"%PDF-" + b"x" * (10 * 1024 * 1024)), "big.pdf")},
        status=400,
        form_page=page,
        content_type="multipart/form-data",
    ).text
    assert "smaller than 10 MB" in big
    requester.post(
        url,
        {"document": (BytesIO(b"%PDF-1.7 spec"), "../../Spec v2.pdf")},
        form_page=page,
        content_type="multipart/form-data",
    )
    with db.reading() as session:
        document = session.scalars(select(Document)).one()
        assert document.filename == "Spec v2.pdf" and document.size == 13
    download = requester.get(f"/cases/{case_id}/documents/{document.id}")
    assert download.data == b"%PDF-1.7 spec" and "attachment" in download.headers["Content-Disposition"]
    # Its approver reads it from the decision page.
    act(core.engine, case_id, "submit", people.requester)
    decision_page = browser(people.manager).get(f"/approvals/cases/{case_id}").text
    assert f'href="/cases/{case_id}/documents/{document.id}">Spec v2.pdf</a>' in decision_page


def test_bulk_approval_runs_every_check_per_case(core, db, browser):
    people = hub_people(db)
    declared, undeclared = (new_request(core.engine, people.requester, value="18000") for _ in range(2))
    for case_id in (declared, undeclared):
        act(core.engine, case_id, "submit", people.requester)
    declare(core.engine, declared, people.manager)
    manager = browser(people.manager)
    response = manager.post("/approvals/bulk", {"case_id": [str(declared), str(undeclared)]}, form_page="/approvals/")
    page = manager.get(response.location).text
    assert (
        "Approved 1" in page
        and "Not approved 1" in page
        and "Approval needs a conflict-of-interest declaration" in page
    )
    with db.reading() as session:
        assert session.get(Case, declared).state != "route_approval"
        assert session.get(Case, undeclared).state == "route_approval"


def test_a_committee_member_who_has_approved_is_no_longer_asked_and_sees_how_many_have(core, db, browser):
    """The Commissioning Board (any 2 of the directors): once one has approved, the step waits for the others,
    who see how many have; the one who approved is not asked again, anywhere."""
    from tests.factories import approve_gate, commissioning_at_its_gate

    people = hub_people(db)
    case_id = commissioning_at_its_gate(core.engine, people.requester)
    approve_gate(core.engine, case_id, [people.head, people.director])
    first, other = browser(people.director), browser(people.director2)
    for page in ("/approvals/", "/my-work"):
        assert f"/approvals/cases/{case_id}" not in first.get(page).text, page
        assert "Commissioning gate: Director (1 of 2 approved)" in other.get(page).text, page
    assert "Make your decision" not in first.get(f"/cases/{case_id}").text
    case_page = other.get(f"/cases/{case_id}").text
    assert "Make your decision" in case_page and re.search(
        r"Open\s*</strong><br>1 of 2 approvals: Dora Director", case_page
    )
    assert "<br>1 of 2 approvals: Dora Director" in other.get(f"/approvals/cases/{case_id}").text


def test_board_members_deciding_at_once_each_decide_what_they_were_shown(core, db, browser):
    """Two directors open the Board's decision page together; one declares and approves first. The other's
    approval still counts (only a fellow member's decision came between) and passes the gate."""
    from tests.factories import approve_gate, commissioning_at_its_gate

    people = hub_people(db)
    case_id = commissioning_at_its_gate(core.engine, people.requester)
    approve_gate(core.engine, case_id, [people.head])
    second = browser(people.director2)
    opened = second.get(f"/approvals/cases/{case_id}").text
    seen = re.search(r'name="seen_through" type="hidden" value="(\d+)"', opened).group(1)
    approve_gate(core.engine, case_id, [people.director])  # meanwhile
    said = {"outcome": "approve", "reason": "Sound business case", "seen_through": seen, "has_conflict": "no"}
    second.post(f"/approvals/cases/{case_id}", said)
    with db.reading() as session:
        assert session.get(Case, case_id).state == "commissioned"


def test_a_decision_overtaken_by_a_question_is_shown_again_with_what_was_written(core, db, browser):
    """A director opens the Board's decision page; the other asks the requester a question first. Theirs is
    not recorded on a case that changed in a way they have not seen: the page shows the case as it now is,
    keeps their choice and words, and sending it again records it."""
    from tests.factories import approve_gate, commissioning_at_its_gate

    people = hub_people(db)
    case_id = commissioning_at_its_gate(core.engine, people.requester)
    approve_gate(core.engine, case_id, [people.head])
    declare(core.engine, case_id, people.director, people.director2)
    second = browser(people.director2)
    with db.reading() as session:
        opened_at = session.get(Case, case_id).audit_seq
    act(core.engine, case_id, "request_info", people.director, reason="Which option did the market test favour?")
    said = {"outcome": "approve", "reason": "Sound business case", "seen_through": str(opened_at)}
    page = second.post(f"/approvals/cases/{case_id}", said, status=200).text
    assert "This case has changed since you opened it" in page
    assert "Dora Director asked on 2 March 2026: “Which option did the market test favour?”" in page
    assert "Sound business case</textarea>" in page and re.search(r'value="approve"[^>]*checked', page)
    with db.reading() as session:
        now = session.get(Case, case_id).audit_seq
    assert f'name="seen_through" type="hidden" value="{now}"' in page
    second.post(f"/approvals/cases/{case_id}", {**said, "seen_through": str(now)})
    assert "1 of 2 approvals: Dan Director" in second.get(f"/cases/{case_id}").text


def test_the_question_a_step_waits_on_is_shown_where_it_is_answered_and_decided(core, db, browser):
    """The requester answering, and the approvers deciding, see the question asked, by whom and when, not only
    that information was requested; once answered, the approvers see the answer beside it."""
    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="18000")
    act(core.engine, case_id, "submit", people.requester)
    declare(core.engine, case_id, people.manager)
    act(core.engine, case_id, "request_info", people.manager, reason="Who uses it & how often?")
    asked = "Max Manager asked on 2 March 2026: “Who uses it &amp; how often?”"
    requester = browser(people.requester)
    listed = re.search(r"more information needed(.*?)</li>", requester.get("/notifications").text, re.S)
    assert listed and "Done" not in listed[1]
    assert asked in requester.get(f"/cases/{case_id}").text
    assert re.search(
        r"Route approval</strong> <strong[^>]*>A question for you</strong>", requester.get("/my-work").text
    )
    assert asked in requester.get(f"/cases/{case_id}/actions/provide_info").text
    assert f"{asked}<br>Waiting for the answer" in browser(people.manager).get(f"/approvals/cases/{case_id}").text
    act(core.engine, case_id, "provide_info", people.requester, reason="Forty staff, daily")
    with db.reading() as session:  # the approvers hear the question beside its answer
        told = session.scalars(select(OutboxMessage.body).where(OutboxMessage.kind == "info_provided")).all()
    assert told == ["To the question “Who uses it & how often?”, Rita Requester answers: Forty staff, daily"]
    assert 'Route approval: Category Manager <strong class="govuk-tag govuk-tag--green">Question answered</strong>' in (
        browser(people.manager).get("/approvals/").text
    )
    assert "asked on" not in requester.get(f"/cases/{case_id}").text
    assert "A question for you" not in requester.get("/my-work").text
    # The email that asked it shows as done on their list of notifications.
    listed = re.search(r"more information needed(.*?)</li>", requester.get("/notifications").text, re.S)
    assert listed and "Done" in listed[1]
    answered = "Rita Requester answered on 2 March 2026: “Forty staff, daily”"
    assert f"{asked}<br>{answered}" in browser(people.manager).get(f"/approvals/cases/{case_id}").text


def test_cover_while_away_lets_a_delegate_decide(core, db, browser):
    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="18000")
    act(core.engine, case_id, "submit", people.requester)
    manager = browser(people.manager)
    today = core.engine.today()
    back = today + timedelta(days=5)
    # The dates offered are written as people write them (3 12 2026, not 03 12 2026).
    offered = manager.get("/approvals/cover").text
    week = today + timedelta(days=7)
    for name, day in (("starts_on", today), ("ends_on", week)):
        for part, value in (("day", day.day), ("month", day.month), ("year", day.year)):
            assert re.search(rf'id="{name}-{part}"[^>]*value="{value}"', offered), (name, part)
    manager.post(
        "/approvals/cover",
        {
            "delegate": str(people.head),
            "starts_on": [str(today.day), str(today.month), str(today.year)],
            "ends_on": [str(back.day), str(back.month), str(back.year)],
            "reason": "Leave",
        },
    )
    head = browser(people.head)
    assert "covering for Max Manager" in head.get("/approvals/").text
    head.post(f"/approvals/cases/{case_id}", {"has_conflict": "no", "outcome": "approve"})
    assert "on behalf of Max Manager" in head.get(f"/cases/{case_id}").text


def test_cover_is_offered_only_to_those_who_could_decide_some_of_the_approvals(core, db, browser):
    people = hub_people(db)
    offered = browser(people.head).get("/approvals/cover").text
    for senior in ("Dora Director", "Fred Finance", "Sam S151"):
        assert f">{senior}" in offered
    for could_not in ("Olive Officer", "Max Manager", "Cora Contracts", "Rita Requester"):
        assert f">{could_not}" not in offered  # none of a head of category's approvals is theirs to decide
    refused = browser(people.head).post("/approvals/cover", {"delegate": str(people.officer)}, status=400).text
    assert "Choose a colleague from the list" in refused  # not one of those offered
    nothing = browser(people.requester).get("/approvals/cover").text
    assert "None of your roles approves anything, so there are no approvals to cover" in nothing
    assert 'name="delegate"' not in nothing


def test_administration_pages(core, db, browser):
    from tests.factories import create_user

    admin = create_user(db, ("administrator", "OCC"), full_name="Ada Admin")
    people = hub_people(db)
    client = browser(admin)
    assert "Ada Admin" in client.get("/admin/users").text
    governance = client.get("/admin/governance").text
    assert "Oxfordshire County Council" in governance and "Head of Category" in governance
    oxfordshire = governance[: governance.index("Cherwell District Council</h2>")]
    captions = re.findall(r'<caption class="govuk-table__caption govuk-table__caption--m">([^<]+)<', oxfordshire)
    # In the order a need meets them, not the alphabet's.
    assert captions == ["Commissioning gate", "Route approval", "Executive decision", "Award approval",
                        "Variation gate", "Renewal gate"]  # fmt: skip
    assert (
        "those taken under special urgency are reported to the council every 12 months, within 60 days of each "
        "period's end." in page_text(oxfordshire)
    )
    assert (
        "Decision records: an officer's decision awarding or committing over £100,000.00, and every Executive "
        "decision, has its written record made and published." in page_text(oxfordshire)
    )
    executive = oxfordshire[oxfordshire.index(">Executive decision<") :].split("</caption>")[0]
    assert "Only for a key decision" in executive and oxfordshire.count("Only for a key decision") == 1
    # The roles the rules call on that nobody holds: OCC's people here work in Corporate and Commercial only.
    unheld = page_text(oxfordshire.split('id="unheld-occ">')[1].split("</div>")[0])
    assert "Warning Nobody holds these roles that the rules below call on, so a step that needs one would" in unheld
    assert "Category Manager, Environment and Infrastructure; " in unheld and "Corporate and Commercial" not in unheld
    assert "Director" not in unheld and "Give them to someone under People" in unheld
    cherwell = page_text(governance.split('id="unheld-cdc">')[1].split("</div>")[0])
    assert "; Director; " in cherwell and cherwell.endswith("Its administrators can give them to someone.")
    assert "Procurement" in client.get("/admin/workflows").text
    assert "The configuration and workflow files are valid" in client.get("/admin/configuration").text
    assert people


def test_my_work_lists_the_latest_requests_and_links_to_all_of_them_on_the_cases_page(core, db, browser):
    """A category officer who raises requests too: My work lists their 20 latest, and links to the Cases page
    listing every one of theirs (and nobody else's, where the pipeline would show the team's too)."""
    officer = create_user(db, ("category_officer", "OCC", "cnc"), ("requester", "OCC"), full_name="Rae Raiser")
    theirs = [new_request(core.engine, officer, value="18000", title=f"Request {n}") for n in range(21)]
    someone_elses = new_request(core.engine, create_user(db, ("requester", "OCC")), value="18000", title="Not mine")
    client = browser(officer)
    work = client.get("/my-work").text
    assert "Request 20" in work and "Request 0<" not in work  # the latest 20
    link = re.search(r'href="(/cases/[^"]*whose=mine[^"]*)">All your requests</a>', work)
    assert link is not None
    listed = client.get(unescape(link.group(1))).text
    assert "21 cases" in listed and "Request 0<" in listed and "Not mine" not in listed
    assert '<option value="mine" selected>Me</option>' in listed
    assert "Not mine" in client.get("/cases/?pillar=").text  # the pipeline: the team's cases, theirs among them
    assert len(theirs) == 21 and someone_elses


def test_a_person_s_page_warns_their_administrator_of_an_approving_role_too_few_others_hold(core, db, browser):
    """Before deactivating someone, or taking a role away, their administrator learns which approvals would
    then wait for nobody: a role only they hold that the council's rules call on (and how many approvals wait
    on it now), or one a committee needs more of than the others who hold it."""
    admin = browser(create_user(db, ("administrator", "OCC"), full_name="Ada Admin"))
    people = hub_people(db)
    act(core.engine, new_request(core.engine, people.requester, value="18000"), "submit", people.requester)
    manager = page_text(admin.get(f"/admin/users/{people.manager}").text)
    assert (
        "Warning Give the role to someone else before you deactivate Max Manager or remove it: otherwise the "
        "approvals that need it wait with nobody to decide them. Nobody else holds the role of Category Manager "
        "for OCC, Corporate and Commercial, which Oxfordshire County Council's approval rules call on; 1 approval "
        "waits on it now." in manager
    )
    # The Commissioning Board needs two of OCC's directors at once, and there are two.
    assert (
        "Only 1 other holds the role of Director for OCC, where Oxfordshire County Council's approval rules need 2 "
        "of its holders at once." in page_text(admin.get(f"/admin/users/{people.director}").text)
    )
    assert 'id="roles-left-short"' not in admin.get(f"/admin/users/{people.contract_manager}").text  # no approver
    other = create_user(db, ("category_manager", "OCC", "cnc"), full_name="Other Manager")
    assert 'id="roles-left-short"' not in admin.get(f"/admin/users/{people.manager}").text
    admin.post(f"/admin/users/{people.manager}/active", {"active": "no"}, form_page=f"/admin/users/{people.manager}")
    admin.post(f"/admin/users/{other}/active", {"active": "no"}, form_page=f"/admin/users/{other}")
    left = page_text(admin.get(f"/admin/users/{other}").text)  # the last of them gone: why the approval waits
    assert (
        "Warning Until you give the role to someone, the approvals that need it wait with nobody to decide them. "
        "Nobody else holds the role of Category Manager for OCC, Corporate and Commercial" in left
    )


def test_an_administrator_adds_a_person_grants_and_removes_roles_and_deactivates(core, db, browser):
    from provision_cycle.models import RoleAssignment, User
    from tests.factories import create_user

    admin = create_user(db, ("administrator", "OCC"), full_name="Ada Admin")
    client = browser(admin)
    page = client.post(
        "/admin/users/new",
        {
            "full_name": "Nia New",
            "username": "Nia New",
            "email": "nia@example.gov.uk",
            "role": "category_officer",
            "authority": "OCC",
            "pillar": "",
        },
        status=400,
    ).text
    assert "Enter a username of lower-case letters" in page or "held for a pillar" in page
    response = client.post(
        "/admin/users/new",
        {
            "full_name": "Nia New",
            "username": "nia.new",
            "email": "nia@example.gov.uk",
            "role": "category_officer",
            "authority": "OCC",
            "pillar": "cnc",
        },
    )
    with db.reading() as session:
        nia = session.scalars(select(User).where(User.username == "nia.new")).one()
        nia_id = nia.id
    assert response.location.endswith(f"/admin/users/{nia_id}")
    client.post(f"/admin/users/{nia_id}", {"role": "requester", "authority": "OCC", "pillar": ""})
    page = client.post(
        f"/admin/users/{nia_id}", {"role": "requester", "authority": "OCC", "pillar": ""}, status=400
    ).text
    assert "already holds this role" in page
    # Cherwell's roles are for Cherwell's administrators: not offered, and refused if posted anyway.
    assert '<option value="CDC"' not in page
    refused = client.post(f"/admin/users/{nia_id}", {"role": "s151_officer", "authority": "CDC"}, status=400).text
    assert "Choose a council" in refused
    with db.reading() as session:
        grant = session.scalars(
            select(RoleAssignment).where(RoleAssignment.user_id == nia_id, RoleAssignment.role == "requester")
        ).one()
    client.post(f"/admin/users/{nia_id}/roles/{grant.id}/remove", form_page=f"/admin/users/{nia_id}")
    # The button sends yes or no: anything else is not taken to mean "deactivate".
    client.post(f"/admin/users/{nia_id}/active", {"active": "x"}, status=400, form_page=f"/admin/users/{nia_id}")
    with db.reading() as session:
        assert session.get(User, nia_id).is_active
    client.post(f"/admin/users/{nia_id}/active", {"active": "no"}, form_page=f"/admin/users/{nia_id}")
    with db.reading() as session:
        nia = session.get(User, nia_id)
        assert not nia.is_active and [r.role for r in nia.roles] == ["category_officer"]
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.stream == "system")).all()
        assert {"create_user", "grant_role", "revoke_role", "deactivate_user"} <= set(actions)
    # An administrator cannot lock themselves out.
    with db.reading() as session:
        own = session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == admin)).one()
    response = client.post(f"/admin/users/{admin}/roles/{own.id}/remove", form_page=f"/admin/users/{admin}")
    assert "You cannot remove your own administrator role" in client.get(response.location).text


def test_a_person_creates_sees_once_and_revokes_an_api_token(core, db, browser, app):
    from provision_cycle.models import ApiToken

    people = hub_people(db)
    client = browser(people.officer)
    page = client.post("/account/api-tokens", {"name": "", "password": PASSWORD}, status=400).text
    assert "Give the token a name that says what uses it" in page
    # A token acts as them without signing in: made only with their password, asked again.
    assert 'type="password"' in client.get("/account/api-tokens").text
    wrong = client.post("/account/api-tokens", {"name": "Finance system", "password": "guess"}, status=400).text
    assert "Your password is not right" in wrong and "new-token" not in wrong
    with db.reading() as session:
        assert session.scalar(select(User.failed_sign_ins).where(User.id == people.officer)) == 1
        assert session.scalar(select(ApiToken.id)) is None
    response = client.post("/account/api-tokens", {"name": "Finance system", "password": PASSWORD}, status=200)
    secret = re.search(r'<code id="new-token">(pc_[^<]+)</code>', response.text).group(1)
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert secret not in client.get("/account/api-tokens").text  # shown once only
    with db.reading() as session:
        token = session.scalars(select(ApiToken)).one()
        assert token.secret_hash != secret and secret.startswith(token.prefix)
    client.post(f"/account/api-tokens/{token.id}/revoke", form_page="/account/api-tokens")
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_someone_who_uses_security_codes_gives_one_to_create_a_token(core, db, browser, clock):
    from provision_cycle.models import ApiToken
    from provision_cycle.services import two_factor

    people = hub_people(db)
    client = browser(people.officer)  # signed in, then turns codes on
    two_factor.start_setting_up(core, people.officer)
    _, key = two_factor.key_being_set_up(core, people.officer)
    two_factor.turn_on(core, people.officer, two_factor.code_at(key, two_factor.step_of(clock())))
    clock.advance(seconds=60)
    asked = {"name": "Finance system", "password": PASSWORD}
    refused = client.post("/account/api-tokens", {**asked, "code": "000000"}, status=400).text
    assert "security code" in refused.lower() and "new-token" not in refused
    clock.advance(seconds=60)  # a code not used before
    code = two_factor.code_at(key, two_factor.step_of(clock()))
    made = client.post("/account/api-tokens", {**asked, "code": code}, status=200).text
    assert 'id="new-token"' in made
    with db.reading() as session:
        assert session.scalars(select(ApiToken.name)).all() == ["Finance system"]


def test_an_administrator_revokes_a_token_of_someone_they_look_after_who_is_told(core, db, browser, app):
    from provision_cycle.models import ApiToken, OutboxMessage
    from provision_cycle.services.tokens import REVOKED_FOR_THEM, create_token

    people = hub_people(db)
    admin = create_user(db, ("administrator", "OCC"), full_name="Ada Admin")
    cherwell_admin = create_user(db, ("administrator", "CDC"))
    token_id, secret = create_token(core, people.officer, "Finance system", actor_id=people.officer)
    bearer = {"Authorization": f"Bearer {secret}"}

    # Another council's administrator cannot, nor can a colleague; nor can anyone by naming another owner.
    browser(cherwell_admin).post(
        f"/admin/users/{people.officer}/api-tokens/{token_id}/revoke", form_page="/admin/users"
    )
    browser(people.manager).post(
        f"/admin/users/{people.officer}/api-tokens/{token_id}/revoke", form_page="/my-work", status=403
    )
    client = browser(admin)
    client.post(f"/admin/users/{admin}/api-tokens/{token_id}/revoke", form_page="/admin/users")
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 200

    page = client.get(f"/admin/users/{people.officer}").text
    assert "Finance system" in page and "never used" not in page  # the call above used it
    done = client.post(f"/admin/users/{people.officer}/api-tokens/{token_id}/revoke", form_page="/admin/users")
    assert "its owner is emailed to say so" in client.get(done.location).text
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 401
    with db.reading() as session:
        told = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == REVOKED_FOR_THEM)).one()
        assert told.recipient_id == people.officer and "revoked by Ada Admin, an administrator" in told.body
        assert session.get(ApiToken, token_id).revoked_at is not None
    page = client.get(f"/admin/users/{people.officer}").text
    assert "revoked" in page and 'Revoked the API token "Finance system"' in page.replace("&#34;", '"')
    client.post(f"/admin/users/{people.officer}/api-tokens/{token_id}/revoke", form_page="/admin/users")
    with db.reading() as session:  # revoking it again changes nothing and tells nobody twice
        assert len(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == REVOKED_FOR_THEM)).all()) == 1


def test_an_administrator_corrects_the_details_of_someone_they_look_after(core, db, browser):
    from provision_cycle.models import User

    admin = create_user(db, ("administrator", "OCC"), full_name="Ada Admin")
    nia = create_user(db, ("requester", "OCC"), username="nia", full_name="Nia Jones", job_title="Officer")
    create_user(db, ("requester", "OCC"), username="taken")
    client = browser(admin)
    assert f'href="/admin/users/{nia}/details"' in client.get(f"/admin/users/{nia}").text
    form = client.get(f"/admin/users/{nia}/details").text
    assert 'value="Nia Jones"' in form and 'value="nia@example.gov.uk"' in form
    details = {"full_name": "Nia Jones", "email": "nia.jones@example", "job_title": "Officer"}
    page = client.post(f"/admin/users/{nia}/details", details, status=400).text
    assert "Enter an email address in the correct format" in page
    details["email"] = "Taken@example.gov.uk"
    page = client.post(f"/admin/users/{nia}/details", details, status=400).text
    assert "Someone else already has the email address Taken@example.gov.uk" in page
    details |= {"email": "nia.jones@example.gov.uk", "job_title": "Senior Officer"}
    done = client.post(f"/admin/users/{nia}/details", details)
    assert "Their email address and job title are changed." in client.get(done.location).text
    with db.reading() as session:
        person = session.get(User, nia)
        assert (person.email, person.job_title, person.username) == (
            "nia.jones@example.gov.uk",
            "Senior Officer",
            "nia",
        )
    page = client.get(f"/admin/users/{nia}").text.replace("&#34;", '"')
    assert 'Changed the email address from "nia@example.gov.uk" to "nia.jones@example.gov.uk"; the job title' in page
    browser(create_user(db, ("administrator", "CDC"))).get(f"/admin/users/{nia}/details", status=404)
    browser(nia).get(f"/admin/users/{nia}/details", status=403)


def test_an_access_review_finds_the_accounts_nobody_has_signed_in_to(core, db, browser, clock):
    import csv
    import io

    from sqlalchemy import update

    from provision_cycle.models import User

    admin = create_user(db, ("administrator", "OCC"), full_name="Ada Admin")
    used, idle, closed = (
        create_user(db, ("requester", "OCC"), full_name=name, active=name != "Closed Person")
        for name in ("Used Person", "Idle Person", "Closed Person")
    )
    with db.unit_of_work() as session:  # all three added long ago
        session.execute(
            update(User).where(User.id.in_([used, idle, closed])).values(created_at=clock() - timedelta(days=200))
        )
    browser(used)  # signs in today
    client = browser(admin)
    everyone = client.get("/admin/users").text
    assert "Last signed in" in everyone and f"{clock().day} March 2026" in everyone and "Never" in everyone
    assert "Security codes</th>" in everyone  # whose are on, for a council bringing them in
    unused = client.get("/admin/users?unused=1").text
    assert "Idle Person" in unused and "Used Person" not in unused and "Closed Person" not in unused
    assert ">Ada Admin</a>" not in unused  # added today: not yet a question for the review
    download = client.get("/admin/users.csv?unused=1")
    assert 'filename="people-unused.csv"' in download.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [(r["Name"], r["Roles"], r["Last signed in"]) for r in rows] == [
        ("Idle Person", "Requester (Oxfordshire County Council)", "Never")
    ]
    everyone = list(csv.DictReader(io.StringIO(client.get("/admin/users.csv").text)))
    assert {r["Name"]: r["Account"] for r in everyone}["Closed Person"] == "Deactivated"
    assert {r["Security codes"] for r in everyone} == {"Off"}
    assert "Last signed in" in client.get(f"/admin/users/{used}").text


def test_a_task_raised_late_is_due_now_not_overdue_until_its_grace_ends(core, db, browser, clock):
    people = hub_people(db)
    [contract_id] = seed_contracts(core, people, 1)
    late = renewal_task(core, people, contract_id, "Raised late", clock.today - timedelta(days=30))
    on_time = renewal_task(core, people, contract_id, "Raised in time", clock.today + timedelta(days=30))
    manager = browser(people.contract_manager)
    page = manager.get("/tasks/").text
    assert "Due now" in page and "Overdue" not in page
    # Its page says why a task due a month ago is only due now, and from when it counts as overdue.
    raised, grace_ends = clock.today, clock.today + timedelta(days=7)
    said = page_text(manager.get(f"/tasks/{late}").text)
    assert (
        f"Open since {raised:%-d %B %Y}, after the day it was due. It counts as overdue, and is escalated, from"
        f" {grace_ends:%-d %B %Y}, unless it is done or snoozed before then." in said
    )
    assert "after the day it was due" not in manager.get(f"/tasks/{on_time}").text
    clock.advance(days=8)
    assert "Overdue" in manager.get("/tasks/").text
    assert f"It has counted as overdue since {grace_ends:%-d %B %Y}." in page_text(manager.get(f"/tasks/{late}").text)


def test_a_statutory_task_raised_after_its_date_says_the_date_has_passed(core, db, browser, clock):
    """The payments compliance notice for the half year to 30 September is due on 29 October; a scheduler first
    run on 5 December raises it late. Its grace before it escalates runs, but the law's date has passed: the
    S151 officer's list says so, not "Due now"."""
    from provision_cycle.scheduling.config import schedule_for
    from provision_cycle.scheduling.sweeps import raise_council_duties

    people = hub_people(db)
    clock.set(date(2026, 12, 5))
    raise_council_duties(core, schedule_for(core), clock.today)
    page = browser(people.s151).get("/tasks/").text
    assert "OCC: Publish the payments compliance notice" in page
    assert "Past its date" in page and "Due now" not in page and "Overdue" not in page
    # Published before the system was used: closed as such, saying when.
    task_id = int(re.search(r'href="/tasks/(\d+)">OCC: Publish the payments compliance notice', page)[1])
    s151 = browser(people.s151)
    shown = page_text(s151.get(f"/tasks/{task_id}").text)
    assert "if the notice was published before this system was used" in shown
    assert "after the day it was due (the law's date has passed: do it as soon as you can)." in shown
    asked = {"complete-outcome": "published_before", "complete-submit": "1"}
    refused = s151.post(f"/tasks/{task_id}", asked, status=400).text
    assert "Say when it was published, and where, for the record" in refused
    s151.post(f"/tasks/{task_id}", asked | {"complete-note": "On the Central Digital Platform, 27 October"})
    with db.reading() as session:
        task = session.get(Task, task_id)
        assert (task.status, task.outcome) == ("done", "published_before")


def test_the_category_team_hands_a_contract_to_another_contract_manager(core, db, browser):
    people = hub_people(db)
    newcomer = create_user(db, ("contract_manager", "OCC", "cnc"), full_name="Nia Newcomer")
    task_id = _task(core, people)
    with db.reading() as session:
        contract_id = session.get(Task, task_id).contract_id
    url = f"/contracts/{contract_id}/manager"

    cora = browser(people.contract_manager)
    assert url not in cora.get(f"/contracts/{contract_id}").text  # the manager cannot hand it on themselves
    cora.get(url, status=404)

    officer = browser(people.officer)
    assert url in officer.get(f"/contracts/{contract_id}").text
    form = officer.get(url).text
    assert "Nia Newcomer" in form and "Cora Contracts" in form
    assert "Choose who manages the contract now" in officer.post(url, {}, status=400).text
    page = officer.post(url, {"manager_id": str(newcomer), "reason": "Cora has moved post"}, follow_redirects=True,
                        status=200).text  # fmt: skip
    assert "Nia Newcomer now manages CON-" in page and "with 1 open task" in page
    with db.reading() as session:
        assert session.get(Task, task_id).assignee_id == newcomer
    assert "Decide the renewal of Contract 0" in browser(newcomer).get("/tasks/").text


def test_an_administrator_hands_over_a_leavers_contracts_before_closing_their_account(core, db, browser):
    people = hub_people(db)
    admin = create_user(db, ("administrator", "OCC"))
    newcomer = create_user(db, ("contract_manager", "OCC", "cnc"), full_name="Nia Newcomer")
    contract_ids = seed_contracts(core, people, 3)
    client = browser(admin)
    person = client.get(f"/admin/users/{people.contract_manager}").text
    assert "They manage 3 contracts you can hand over" in person
    url = f"/contracts/handover/{people.contract_manager}"
    form = client.get(url).text
    assert (
        form.count('<td class="govuk-table__cell"><a class="govuk-link" href="/contracts/') == 3
        and "Nia Newcomer" in form
    )
    assert "Choose who manages" in client.post(url, {}, status=400).text
    done = client.post(url, {"manager_id": str(newcomer), "reason": "Cora has left"}, follow_redirects=True,
                       status=200).text  # fmt: skip
    assert "Nia Newcomer now manages the 3 contracts Cora Contracts managed." in done
    with db.reading() as session:
        from provision_cycle.models import Contract

        assert {session.get(Contract, c).contract_manager_id for c in contract_ids} == {newcomer}
    assert "you can hand over" not in client.get(f"/admin/users/{people.contract_manager}").text
    client.get(url, status=404)  # nothing left to hand over
    browser(people.requester).get(f"/contracts/handover/{newcomer}", status=404)  # not theirs to move
    assert (
        "Hand over all 3 contracts Nia Newcomer manages"
        in browser(people.officer).get(f"/contracts/{contract_ids[0]}/manager").text
    )


def test_the_category_team_names_who_works_on_a_procurement_and_each_declares(core, db, browser):
    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="250000")
    act(core.engine, case_id, "submit", people.requester)
    officer = browser(people.officer)

    officer.post(f"/cases/{case_id}/team", {"user_id": str(people.legal), "part": "evaluation"})
    page = officer.get(f"/cases/{case_id}/team").text
    assert "Lena Legal is on the team, and has been asked to declare their interests" in page
    assert "Not declared yet" in page and "Evaluation panel" in page
    refused = officer.post(f"/cases/{case_id}/team", {"user_id": "", "part": "evaluation"}, status=400).text
    assert "Choose who to add" in refused

    legal = browser(people.legal)
    assert "Declarations waiting for me" in legal.get("/my-work").text
    assert "Declare your interests in this case" in legal.get(f"/cases/{case_id}").text
    assert "Change the team" not in legal.get(f"/cases/{case_id}").text  # not in the category team
    legal.get(f"/cases/{case_id}/team", status=404)
    unsaid = legal.post(f"/cases/{case_id}/declaration", {"has_conflict": "yes"}, status=400).text
    assert 'href="#conflict_details">Describe the conflict of interest you are declaring' in unsaid  # by its field
    legal.post(f"/cases/{case_id}/declaration", {"has_conflict": "no"})
    assert "No conflict" in officer.get(f"/cases/{case_id}").text
    assert "Declarations waiting for me" not in legal.get("/my-work").text

    officer.post(f"/cases/{case_id}/team/{people.legal}/remove", form_page=f"/cases/{case_id}/team")
    assert "Lena Legal is no longer on the team" in officer.get(f"/cases/{case_id}/team").text


def test_a_person_picker_tells_apart_people_who_would_read_the_same(core, db, browser):
    people = hub_people(db)
    twins = [
        create_user(db, ("finance", "OCC"), username=f"sam.smith{n}", full_name="Sam Smith", job_title="Accountant")
        for n in (1, 2)
    ]
    create_user(db, ("finance", "OCC"), full_name="Pat Jones", job_title="Accountant")
    create_user(db, ("finance", "CDC"), full_name="Cy Cherwell")  # works for the other council
    case_id = new_request(core.engine, people.requester, value="250000")
    act(core.engine, case_id, "submit", people.requester)

    page = browser(people.officer).get(f"/cases/{case_id}/team").text
    shown = re.findall(r'<option value="(\d*)"[^>]*>\s*([^<]*?)\s*</option>', page)
    assert shown[0] == ("", "Choose a colleague")
    labels = {label for _, label in shown}
    assert {f"Sam Smith (Accountant), sam.smith{n}@example.gov.uk" for n in (1, 2)} <= labels
    assert "Pat Jones (Accountant)" in labels and "Lena Legal" in labels and "Cy Cherwell" not in labels
    assert {str(twin) for twin in twins} <= {value for value, _ in shown}
    assert 'data-hub-autocomplete="person"' in page


def test_notifications_keep_their_lines_and_new_tasks_lead_to_the_task_list(core, db, browser):
    from provision_cycle.scheduling.config import schedule_for
    from provision_cycle.scheduling.sweeps import raise_renewal_tasks

    people = hub_people(db)
    seed_contracts(core, people, 2)  # ending in 30 and 60 days: both due their renewal decision
    assert raise_renewal_tasks(core, schedule_for(core), core.engine.today()).changed == 2

    page = browser(people.contract_manager).get("/notifications").text
    listed = re.search(
        r'<a class="govuk-link" href="([^"]+)">2 new tasks for you: renewal decisions</a>.*?<div class="hub-message">(.*?)</div>',
        page,
        re.S,
    )
    assert listed and listed[1] == "/tasks/"
    lines = listed[2].strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("- Renewal decision: CON-") for line in lines)
    assert (
        'href="/tasks/">2 new tasks for you: renewal decisions' in browser(people.contract_manager).get("/my-work").text
    )


def test_a_notification_of_one_new_task_leads_to_it_and_shows_as_done_once_completed(core, db, browser):
    from provision_cycle.scheduling.config import schedule_for
    from provision_cycle.scheduling.sweeps import raise_renewal_tasks
    from provision_cycle.services.tasks import complete_task

    people = hub_people(db)
    seed_contracts(core, people, 1)
    assert raise_renewal_tasks(core, schedule_for(core), core.engine.today()).changed == 1
    with db.reading() as session:
        task = session.scalars(select(Task)).one()
    manager = browser(people.contract_manager)

    def shown(page: str) -> str:
        line = re.search(
            rf'href="/tasks/{task.id}">{re.escape(task.title)}</a>(.*?)</li>', manager.get(page).text, re.S
        )
        assert line, page
        return line[1]

    assert all("Done" not in shown(page) for page in ("/my-work", "/notifications"))
    assert task.title in manager.get(f"/tasks/{task.id}").text
    complete_task(core, task.id, people.contract_manager, outcome="recommission", note="")
    assert all("Done" in shown(page) for page in ("/my-work", "/notifications"))


def test_a_notification_of_a_task_since_handed_to_someone_else_is_done_and_leads_to_whose_it_is_now(core, db, browser):
    """The task is now its new manager's: the notification stays, as a record, marked done, and the task's
    page (which the council's staff may see) says whose it is, with nothing for the one before to do."""
    from provision_cycle.scheduling.config import schedule_for
    from provision_cycle.scheduling.sweeps import raise_renewal_tasks
    from provision_cycle.services.contract_managers import assign_contract_manager

    people = hub_people(db)
    newcomer = create_user(db, ("contract_manager", "OCC", "cnc"), full_name="Nia Newcomer")
    [contract_id] = seed_contracts(core, people, 1)
    raise_renewal_tasks(core, schedule_for(core), core.engine.today())
    with db.reading() as session:
        task = session.scalars(select(Task)).one()
    assign_contract_manager(core, contract_id, people.officer, manager_id=newcomer, reason="Cora has moved post")

    manager = browser(people.contract_manager)
    page = manager.get(f"/tasks/{task.id}").text
    assert "This is Nia Newcomer's task." in page and "Snooze the task" not in page
    for page in ("/my-work", "/notifications"):
        text = manager.get(page).text
        line = re.search(rf"{re.escape(task.title)}(.*?)</li>", text, re.S)
        assert line and "Done" in line[1], page
    assert f'href="/tasks/{task.id}"' in browser(newcomer).get("/my-work").text


def test_a_request_for_my_approval_shows_as_done_once_it_no_longer_waits_for_me(core, db, browser):
    people = hub_people(db)
    decided, waiting = (new_request(core.engine, people.requester, title=title) for title in ("Decided", "Waiting"))
    for case_id in (decided, waiting):
        act(core.engine, case_id, "submit", people.requester)
    declare(core.engine, decided, people.head)
    act(core.engine, decided, "approve", people.head)
    with db.reading() as session:
        references = {case_id: session.get(Case, case_id).reference for case_id in (decided, waiting)}

    for page in ("/my-work", "/notifications"):
        text = browser(people.head).get(page).text
        for case_id, done in ((decided, True), (waiting, False)):
            line = re.search(rf">{references[case_id]}: your approval is needed</a>(.*?)</", text, re.S)
            assert line and ("Done" in line[1]) is done, (page, case_id)


def test_a_request_to_declare_or_to_decide_an_application_shows_as_done_once_answered(core, db, browser, clock):
    """Asked to declare their interests on a procurement's team, or to decide a supplier's application to a
    dynamic market (as it came, and as the scheduler reminds them of it), a person sees the notification
    marked done once it no longer waits for them, and the market's leads to the market's page."""
    from provision_cycle.scheduling.config import schedule_for
    from provision_cycle.scheduling.sweeps import remind_market_applications
    from provision_cycle.services import markets
    from provision_cycle.services.markets import ApplicationGiven, MarketGiven
    from provision_cycle.services.teams import add_team_member

    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="250000")
    act(core.engine, case_id, "submit", people.requester)
    add_team_member(core, case_id, people.manager, user_id=people.officer, part="procurement")
    market_id = markets.open_market(core, people.manager, MarketGiven("Taxis", "", "", "OCC", "ict", date(2026, 2, 2)))
    applied = [
        markets.record_application(core, market_id, people.manager, ApplicationGiven(name, "", True, False, on))
        for name, on in (("Acme Cabs", date(2026, 2, 3)), ("Bodge Cars", date(2026, 2, 4)))
    ]
    clock.advance(30)
    remind_market_applications(core, schedule_for(core), core.engine.today())
    with db.reading() as session:
        reference = session.get(Case, case_id).reference

    def lines(page: str) -> dict[str, str]:
        text = browser(people.officer).get(page).text
        found = re.findall(
            r'<li>\s*(?:<strong>)?<a class="govuk-link" href="([^"]+)">([^<]+)</a>(.*?)</li>', text, re.S
        )
        return {unescape(subject): ("done" if "Done" in after else "waiting", href) for href, subject, after in found}

    asked, reference = f"{reference}: declare your interests", f"DM-{market_id:06d}"
    received = {f"{name} applied to join {reference} Taxis" for name in ("Acme Cabs", "Bodge Cars")}
    reminded = {f"{name}'s application to {reference} has waited" for name in ("Acme Cabs", "Bodge Cars")}

    def applications(shown) -> dict[str, tuple[str, str]]:
        return {re.sub(r" \d+ working days$", "", subject): shown[subject] for subject in shown if reference in subject}

    market = f"/markets/{market_id}#applications"
    for page in ("/my-work", "/notifications"):
        shown = lines(page)
        assert shown[asked] == ("waiting", f"/cases/{case_id}")
        assert applications(shown) == dict.fromkeys(received | reminded, ("waiting", market)), page
    declare(core.engine, case_id, people.officer)
    markets.refuse(
        core, market_id, applied[0], people.manager, core.engine.today(), "It does not hold the licence required"
    )
    for page in ("/my-work", "/notifications"):
        shown = lines(page)
        assert shown[asked][0] == "done"
        assert {subject: state for subject, (state, _) in applications(shown).items()} == {
            subject: "done" if subject.startswith("Acme") else "waiting" for subject in received | reminded
        }, page


def test_my_work_lists_the_cases_waiting_for_my_category_team(core, db, browser):
    from tests.factories import approve_gate

    people = hub_people(db)
    draft = new_request(core.engine, people.requester, title="Still a draft")
    at_a_gate = new_request(core.engine, people.requester, title="Waiting for approval")
    act(core.engine, at_a_gate, "submit", people.requester)
    ours = new_request(core.engine, people.requester, title="Ready for the conflicts assessment")
    act(core.engine, ours, "submit", people.requester)
    approve_gate(core.engine, ours, [people.head])
    other_pillar = new_request(
        core.engine, people.requester, title="Someone else's pillar", category="adult_social_care"
    )
    act(core.engine, other_pillar, "submit", people.requester)

    page = browser(people.officer).get("/my-work").text
    waiting = page.split('id="team-cases"', 1)[1].split("<h2", 1)[0]
    assert "Ready for the conflicts assessment" in waiting and "Conflicts assessment" in waiting
    for elsewhere in ("Still a draft", "Waiting for approval", "Someone else&#39;s pillar"):
        assert elsewhere not in waiting  # the requester's, an approver's, another team's
    assert draft and other_pillar
    assert 'id="team-cases"' not in browser(people.requester).get("/my-work").text  # in no category team


def test_a_case_waiting_for_a_date_is_not_waiting_for_the_team(core, db, browser, clock):
    """Tenders still coming in, or requests to participate, wait for their closing date, not for the team; the
    day after it the team closes them (or invites tenders)."""
    from tests.factories import award_open_procedure, publish_tender_notice, ready_for_the_market

    people = hub_people(db)
    tender = ready_for_the_market(core.engine, people, value="250000", title="Open tender")
    publish_tender_notice(core.engine, tender, people.officer, closes="2026-04-06")
    flexible = ready_for_the_market(core.engine, people, value="250000", title="Flexible", route="competitive_flexible")
    notice = {
        "tender_notice_published_on": "2026-03-02",
        "participation_closes_on": "2026-03-27",
        "market_engaged": False,
    }
    act(core.engine, flexible, "publish_tender_notice", people.officer, inputs=notice)

    def waiting() -> str:
        page = browser(people.officer).get("/my-work").text
        return page.split('id="team-cases"', 1)[1].split("<h2", 1)[0]

    clock.set(date(2026, 3, 27))  # the last day for requests to participate
    assert "Open tender" not in waiting() and "Flexible" not in waiting()
    clock.set(date(2026, 3, 28))
    assert "Flexible" in waiting() and "Open tender" not in waiting()
    clock.set(date(2026, 4, 7))
    assert "Open tender" in waiting()

    # A standstill runs to the end of its last day (PA23 s51): the contract can be signed the day after.
    in_standstill = award_open_procedure(core.engine, clock, people)  # award notice of 8 April 2026
    with db.reading() as session:
        reference = session.get(Case, in_standstill).reference
    clock.set(date(2026, 4, 17))
    assert reference not in waiting()
    clock.set(date(2026, 4, 18))
    assert reference in waiting()


def test_statutory_tasks_come_first_and_say_so(core, db, browser, clock):
    people = hub_people(db)
    clock.set(date(2026, 12, 1))  # so that the contract below, which started 425 days ago, was let under the Act
    [contract_id] = seed_contracts(core, people, 1)
    renewal_task(core, people, contract_id, "Decide the renewal early", clock.today - timedelta(days=30))
    public_contract_that_ended(core, people, days_ago=25)  # its termination notice is due in 4 days
    manager = browser(people.contract_manager)
    for page in (manager.get("/tasks/").text, manager.get("/my-work").text):
        notice, renewal = page.index("Publish the contract termination notice"), page.index("Decide the renewal early")
        assert notice < renewal  # a duty in law before the hub's own planning date, though due later
        assert page.count("Statutory</strong>") == 1
    # Each task on a contract says when the contract ends (its own date is when its lead time came), or ended.
    ends = clock.today + timedelta(days=30)
    assert f"Decide the renewal early The contract ends {ends:%-d %B %Y}" in page_text(manager.get("/tasks/").text)
    clock.set(ends + timedelta(days=1))
    assert f"Decide the renewal early The contract ended {ends:%-d %B %Y}" in page_text(manager.get("/tasks/").text)


def test_a_contract_manager_sorts_their_tasks_by_when_the_contracts_end(core, db, browser, clock):
    """Renewal tasks raised late are due from when their lead times came: sorted by the contracts' ends, the
    contract ending sooner comes first, whatever its task's own date; a statutory duty stays at the top."""
    people = hub_people(db)
    clock.set(date(2026, 12, 1))
    sooner, later = seed_contracts(core, people, 2)  # ending in 30 and in 60 days
    renewal_task(core, people, later, "Decide the later one", clock.today - timedelta(days=30))
    renewal_task(core, people, sooner, "Decide the sooner one", clock.today - timedelta(days=10))
    public_contract_that_ended(core, people, days_ago=25)  # its termination notice, a duty in law
    manager = browser(people.contract_manager)

    def order(page: str) -> list[str]:
        titles = ("Publish the contract termination notice", "Decide the later one", "Decide the sooner one")
        return sorted(titles, key=page.index)

    by_due = manager.get("/tasks/").text
    assert order(by_due) == ["Publish the contract termination notice", "Decide the later one", "Decide the sooner one"]
    assert '<option value="due" selected>Due date</option>' in by_due
    by_end = manager.get("/tasks/?sort=contract_end").text
    assert order(by_end) == ["Publish the contract termination notice", "Decide the sooner one", "Decide the later one"]
    assert order(manager.get("/tasks/?sort=nonsense").text) == order(by_due)
    # The notice is raised on the contract's case, not on the contract: the list still says when it ended.
    ended = (clock.today - timedelta(days=25)).strftime("%-d %B %Y")
    assert re.search(rf"termination notice</a><br><span[^>]*>The contract ended {ended}</span>", by_end)


def test_a_person_sees_their_own_account_its_roles_and_cover(core, db, browser):
    from datetime import timedelta

    from tests.factories import create_user, hub_people

    people = hub_people(db)
    officer = create_user(db, ("category_officer", "OCC", "cnc"), ("requester", "CDC"), full_name="Olu Officer")
    client = browser(officer)
    today = core.engine.today()
    back = today + timedelta(days=7)
    client.post(
        "/approvals/cover",
        {"delegate": str(people.head), "starts_on": [str(today.day), str(today.month), str(today.year)],
         "ends_on": [str(back.day), str(back.month), str(back.year)], "reason": "Leave"},
    )  # fmt: skip
    page = client.get("/account").text
    # Under "Your account" in the header, not My work in the menu (their blueprint's own page).
    assert 'href="/account" aria-current="page">Your account' in page and 'aria-current="true"' not in page
    assert 'aria-current="true"' not in client.get("/account/api-tokens").text
    assert re.search(r'href="/my-work"\s+aria-current="true"', client.get("/my-work").text)
    for shown in (
        "Category Officer, Oxfordshire County Council, Corporate and Commercial",
        "Requester, Cherwell District Council",
        "Each notification as it happens",
        "Set when your account was made",
        "Hana Head decides for you from",
    ):
        assert shown in page, shown
    assert all(
        link in page for link in ('href="/account/password"', 'href="/notifications"', 'href="/account/api-tokens"')
    )
    # Someone who approves nothing has no approvals to cover: their account does not offer it.
    assert "Cover while you are away" not in browser(people.requester).get("/account").text


def test_a_category_team_sees_each_other_s_tasks_to_cover_for_someone_away(core, db, browser):
    """*My team's tasks*: the open tasks of the team's cases and contracts assigned to others, with whose each
    is, which the team may complete or snooze; not another pillar's, and nothing of it for someone in no team."""
    people = hub_people(db)
    task_id = _task(core, people)  # the contract manager's renewal decision
    another_pillar = create_user(db, ("category_officer", "OCC", "heasc"))
    officer = browser(people.officer)
    assert "See your team's tasks" in officer.get("/tasks/").text
    page = officer.get("/tasks/?whose=team").text
    rows = re.findall(  # each task, its contract's end under it, then whose it is
        r'href="/tasks/(\d+)">([^<]+)</a>(?:<br><span[^>]*>[^<]*</span>)?</td>\s*<td class="govuk-table__cell">([^<]+)</td>',
        page,
    )
    with db.reading() as session:
        from provision_cycle.models import User

        manager = session.get(User, people.contract_manager).full_name
    assert rows == [(str(task_id), "Decide the renewal of Contract 0", manager)]
    officer.get(f"/tasks/{task_id}")  # and may open it, to act for them
    assert "Nobody else in your team has an open task" in browser(another_pillar).get("/tasks/?whose=team").text
    requester = browser(people.requester)
    assert "team's tasks" not in requester.get("/tasks/").text
    assert "My tasks" in requester.get("/tasks/?whose=team").text  # someone in no team sees their own


def test_the_team_lists_one_colleague_s_tasks_to_cover_for_them(core, db, browser):
    from provision_cycle.models import User
    from provision_cycle.services.tasks import NewTask, raise_task

    people = hub_people(db)
    renewal = _task(core, people)  # the contract manager's
    with db.unit_of_work() as session:
        case_id = session.get(Task, renewal).case_id
        review = raise_task(core, session, NewTask("contract_review", "Review the contract", core.engine.today(),
                                                   people.manager, case_id=case_id), actor_id=people.officer)  # fmt: skip
        names = {i: session.get(User, i).full_name for i in (people.contract_manager, people.manager)}
    officer = browser(people.officer)
    page = officer.get("/tasks/?whose=team").text
    for person in (people.contract_manager, people.manager):
        assert f'<option value="{person}">{names[person]} (1 task)</option>' in page  # whose they are, by name
    theirs = officer.get(f"/tasks/?whose=team&colleague={people.manager}").text
    assert f'<option value="{people.manager}" selected>' in theirs
    assert f'href="/tasks/{review}"' in theirs and f'href="/tasks/{renewal}"' not in theirs
    assert "They have no open task of your team" in officer.get(f"/tasks/?whose=team&colleague={people.s151}").text
    for nonsense in ("someone", "99999999999999999999"):
        officer.get(f"/tasks/?whose=team&colleague={nonsense}", status=404)


def test_whoever_put_a_proposal_forward_finds_the_approver_s_question_on_my_work_and_answers_it(core, db, browser):
    from tests.factories import declare, propose_variation, register_contract

    people = hub_people(db)
    contract = register_contract(core, people, value="400000", ends=date(2028, 3, 31))
    case_id = contract.case_id
    propose_variation(core.engine, case_id, people.officer,
                      {"variation_description": "More sites", "new_value": "420000", "new_end_date": "2028-03-31"})  # fmt: skip
    declare(core.engine, case_id, people.head, people.officer)
    act(core.engine, case_id, "request_info", people.head, reason="Which sites?")
    officer = browser(people.officer)
    mine = officer.get("/my-work").text
    assert 'id="questions">Questions for me' in mine
    assert f'href="/cases/{case_id}/actions/provide_info">answer the question' in mine
    assert "Which sites?" in officer.get(f"/cases/{case_id}/actions/provide_info").text
    officer.post(f"/cases/{case_id}/actions/provide_info", {"reason": "The two depots"})
    assert 'id="questions"' not in officer.get("/my-work").text  # answered
    # A contract's manager proposing its variation: its case is theirs, but My requests lists no contract's case.
    other = register_contract(core, people, value="300000", ends=date(2028, 6, 30), title="Grounds")
    propose_variation(core.engine, other.case_id, people.contract_manager,
                      {"variation_description": "More parks", "new_value": "310000", "new_end_date": "2028-06-30"})  # fmt: skip
    declare(core.engine, other.case_id, people.head)
    act(core.engine, other.case_id, "request_info", people.head, reason="Which parks?")
    theirs = browser(people.contract_manager).get("/my-work").text
    assert f'href="/cases/{other.case_id}/actions/provide_info">answer' in theirs
    assert f'href="/cases/{case_id}/actions/provide_info">' not in theirs  # the officer's, answered
    # A request's own question is marked on My requests, not listed again.
    request = new_request(core.engine, people.requester, value="18000")
    act(core.engine, request, "submit", people.requester)
    declare(core.engine, request, people.manager)
    act(core.engine, request, "request_info", people.manager, reason="Which budget?")
    mine = browser(people.requester).get("/my-work").text
    assert "A question for you" in mine and 'id="questions"' not in mine
