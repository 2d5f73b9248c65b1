"""Tokens, the authorisation matrix, idempotency, ETags and If-Match, and problem+json for bad input."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta

import pytest

from provision_cycle.scheduling.sweeps import expire_contracts
from provision_cycle.services.tokens import create_token, revoke_token
from tests.factories import BUSINESS_CASE, act, create_user, declare, hub_people, new_request, register_contract
from tests.test_notices import _public_contract
from tests.web.conftest import Browser
from tests.web.helpers import payments_compliance_due, renewal_task, seed_contracts

DRAFT = {
    "title": "Grit bins",
    "description": "Replace 400 grit bins",
    "authority": "OCC",
    "category": "corporate_supplies",
    "contract_type": "goods",
    "estimated_value": "18000",
    "proposed_start": "2027-01-01",
    "duration_months": 12,
}


def _submitted(core, p, **extra):
    case_id = new_request(core.engine, p.requester, value="18000", **extra)
    act(core.engine, case_id, "submit", p.requester)
    return case_id


def test_tokens_are_needed_revocable_and_session_cookies_do_not_count(app, api, core, db):
    p = hub_people(db)
    assert api(None).get("/me", status=401).get_json()["title"] == "Authentication required"
    anonymous = api(None)
    anonymous.headers["Authorization"] = "Bearer pc_not-a-token"
    anonymous.get("/me", status=401)
    token_id, secret = create_token(core, p.officer, "Finance system", actor_id=p.officer)
    client = api(None)
    client.headers["Authorization"] = f"Bearer {secret}"
    me = client.get("/me").get_json()
    assert me["id"] == p.officer and me["roles"][0]["role"] == "category_officer"
    revoke_token(core, p.officer, token_id, actor_id=p.officer)
    client.get("/me", status=401)
    signed_in = Browser(app, db).sign_in(p.officer).client  # a browser session is not an API credential
    assert signed_in.get("/api/v1/me").status_code == 401


def test_authorisation_matrix(api, core, db):
    occ, cdc = hub_people(db, "OCC"), hub_people(db, "CDC")
    case_id = _submitted(core, occ)
    [contract_id] = seed_contracts(core, occ, 1)
    requester, manager, outsider, other_requester = (
        api(occ.requester),
        api(occ.manager),
        api(cdc.head),
        api(cdc.requester),
    )
    for client in (requester, manager):
        client.get(f"/cases/{case_id}")
        client.get(f"/cases/{case_id}/audit")
    for client in (outsider, other_requester):
        client.get(f"/cases/{case_id}", status=404)
        client.get(f"/cases/{case_id}/audit", status=404)
        client.post(f"/approvals/{case_id}/decision", {"outcome": "approve"}, status=404)
        client.post(f"/cases/{case_id}/actions", {"trigger": "withdraw", "reason": "x"}, status=404)
    # 27 January 2025 to 1 April 2026, no options: 15 months at most, as a change of term is weighed
    assert manager.get(f"/contracts/{contract_id}").get_json()["maximum_term_months"] == 15
    outsider.get(f"/contracts/{contract_id}", status=404)
    assert outsider.get("/contracts").get_json()["total"] == 0
    assert outsider.get("/cases").get_json()["total"] == 0
    # Segregation of duties and authority, from the engine, with their reasons.
    problem = requester.post(f"/approvals/{case_id}/decision", {"outcome": "approve"}, status=403).get_json()
    assert (
        problem["detail"] == "This step needs a Category Manager for OCC, Corporate and Commercial, or their delegate"
    )
    own = new_request(core.engine, occ.manager, value="18000")
    act(core.engine, own, "submit", occ.manager)
    problem = manager.post(f"/approvals/{own}/decision", {"outcome": "approve"}, status=403).get_json()
    assert "segregation of duties" in problem["detail"]
    problem = manager.post(f"/approvals/{case_id}/decision", {"outcome": "approve"}, status=403).get_json()
    assert problem["detail"] == "Approval needs a conflict-of-interest declaration"
    other_requester.post("/cases", DRAFT, status=403)  # a CDC requester cannot raise an OCC case
    assert [i["case"]["id"] for i in manager.get("/approvals").get_json()["items"]] == [case_id]  # not their own
    assert requester.get("/approvals").get_json()["items"] == []
    waiting = manager.get("/cases?waiting_on_me=true").get_json()
    assert [c["id"] for c in waiting["items"]] == [case_id]
    listed = manager.get("/cases?stage=procurement&per_page=1").get_json()
    assert listed["total"] >= 2 and len(listed["items"]) == 1 and listed["page"] == 1
    assert [c["id"] for c in manager.get(f"/cases?q=PRC-{case_id:06d}&open_only=true").get_json()["items"]] == [case_id]
    past_the_end = manager.get("/cases?stage=procurement&page=50").get_json()  # empty, not the last page again
    assert past_the_end["items"] == [] and past_the_end["page"] == 50 and past_the_end["total"] == listed["total"]


def test_idempotent_posts_replay_and_refuse_a_different_body(api, core, db):
    p = hub_people(db)
    requester = api(p.requester)
    key = {"Idempotency-Key": "3f1c8f52-create-grit-bins"}
    first = requester.post("/cases", DRAFT, status=201, headers=key)
    again = requester.post("/cases", DRAFT, status=201, headers=key)
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert requester.get("/cases").get_json()["total"] == 1  # one case, not two
    different = requester.post("/cases", {**DRAFT, "title": "Something else"}, status=422, headers=key)
    assert different.get_json()["title"] == "Idempotency-Key reused"
    # A refused action is kept too: the retry gets the same refusal, not a second attempt.
    case_id = first.get_json()["id"]
    bad = requester.post(
        f"/cases/{case_id}/actions", {"trigger": "approve"}, status=409, headers={"Idempotency-Key": "k2"}
    )
    assert (
        requester.post(
            f"/cases/{case_id}/actions", {"trigger": "approve"}, status=409, headers={"Idempotency-Key": "k2"}
        ).get_json()
        == bad.get_json()
    )


def test_etag_and_if_match(api, core, db):
    p = hub_people(db)
    requester = api(p.requester)
    created = requester.post("/cases", DRAFT, status=201).get_json()
    case_id = created["id"]
    read = requester.get(f"/cases/{case_id}")
    assert read.headers["ETag"] == '"v1"'
    assert (
        requester.client.get(
            f"/api/v1/cases/{case_id}", headers={**requester.headers, "If-None-Match": '"v1"'}
        ).status_code
        == 304
    )
    core.engine.edit_case(case_id, p.requester, None, title="Grit bins (changed meanwhile)")
    stale = requester.post(f"/cases/{case_id}/actions", {"trigger": "submit"}, headers={"If-Match": '"v1"'}, status=409)
    body = stale.get_json()
    assert body["current_version"] == 2 and body["current_state"] == "Draft"
    requester.post(f"/cases/{case_id}/actions", {"trigger": "submit"}, headers={"If-Match": "banana"}, status=400)
    ok = requester.post(f"/cases/{case_id}/actions", {"trigger": "submit"}, headers={"If-Match": '"v2"'})
    assert ok.headers["ETag"] == '"v3"'


@pytest.mark.postgres_only
def test_racing_decisions_one_wins_the_other_hears_409(api, core, db):
    p = hub_people(db)
    case_id = _submitted(core, p)
    core.engine.declare_interests(case_id, p.manager, has_conflict=False)
    clients = [api(p.manager), api(p.manager)]
    version = clients[0].get(f"/cases/{case_id}").headers["ETag"]
    statuses = []
    barrier = threading.Barrier(2)

    def decide(client):
        barrier.wait()
        response = client.call(
            "POST", f"/approvals/{case_id}/decision", {"outcome": "approve"}, headers={"If-Match": version}
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=decide, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409]


def test_a_committee_member_decides_what_they_were_shown_though_another_signed_meanwhile(api, core, db):
    """Two directors read the case at once; one approves. The other's approval, sent with the case's
    `last_event` as they read it, still counts; after a question asked meanwhile, it is a 409."""
    from tests.factories import approve_gate, commissioning_at_its_gate, declare

    p = hub_people(db)
    case_id = commissioning_at_its_gate(core.engine, p.requester)
    approve_gate(core.engine, case_id, [p.head])
    declare(core.engine, case_id, p.director, p.director2)
    second = api(p.director2)
    seen = second.get(f"/cases/{case_id}").get_json()["last_event"]
    api(p.director).post(f"/approvals/{case_id}/decision", {"outcome": "request_info", "reason": "Which option?"})
    body = {"outcome": "approve", "seen_through": seen}
    problem = second.post(f"/approvals/{case_id}/decision", body, status=409).get_json()
    assert "This case has changed since you opened it" in problem["detail"]
    act(core.engine, case_id, "provide_info", p.requester, reason="Option B")
    seen = second.get(f"/cases/{case_id}").get_json()["last_event"]
    api(p.director).post(f"/approvals/{case_id}/decision", {"outcome": "approve"})  # meanwhile
    decided = second.post(f"/approvals/{case_id}/decision", {**body, "seen_through": seen}).get_json()
    assert decided["to_state"] == "commissioned"


def test_a_requester_reads_the_question_waiting_for_them_and_why_their_request_came_back(api, core, db):
    """The case says what waits on its requester: an approver's question, until it is answered; after a
    return for rework, the return (by whom and why), until it is submitted again."""
    p = hub_people(db)
    case_id = new_request(core.engine, p.requester, value="18000")
    act(core.engine, case_id, "submit", p.requester)
    declare(core.engine, case_id, p.manager)
    requester = api(p.requester)
    assert requester.get(f"/cases/{case_id}").get_json()["question"] is None
    api(p.manager).post(f"/approvals/{case_id}/decision", {"outcome": "request_info", "reason": "Which budget?"})
    question = requester.get(f"/cases/{case_id}").get_json()["question"]
    assert (question["action"], question["actor_id"], question["comment"]) == (
        "request_info",
        p.manager,
        "Which budget?",
    )
    requester.post(f"/cases/{case_id}/actions", {"trigger": "provide_info", "reason": "CS-330"})
    assert requester.get(f"/cases/{case_id}").get_json()["question"] is None
    api(p.manager).post(f"/approvals/{case_id}/decision", {"outcome": "return", "reason": "Get a second quote"})
    returned = requester.get(f"/cases/{case_id}").get_json()["returned"]
    assert (returned["outcome"], returned["actor_id"], returned["reason"]) == (
        "return",
        p.manager,
        "Get a second quote",
    )
    requester.post(f"/cases/{case_id}/actions", {"trigger": "resubmit"})
    assert requester.get(f"/cases/{case_id}").get_json()["returned"] is None


def test_a_case_says_when_nobody_may_decide_its_step(api, core, db):
    """The pillar's only Category Manager raised the request their role approves: nobody may decide it. The
    case says so, and so does the list of cases; a case its approver may decide says nothing."""
    p = hub_people(db)
    case_id = new_request(core.engine, p.manager, value="18000")
    act(core.engine, case_id, "submit", p.manager)
    decidable = new_request(core.engine, p.requester, value="18000")
    act(core.engine, decidable, "submit", p.requester)
    officer = api(p.officer)
    why = officer.get(f"/cases/{case_id}").get_json()["nobody_may_decide"]
    assert why.startswith(
        "Nobody else holds the role of Category Manager for OCC, Corporate and Commercial to decide this step"
    )
    listed = {item["id"]: item["nobody_may_decide"] for item in officer.get("/cases").get_json()["items"]}
    assert listed == {case_id: why, decidable: None}
    create_user(db, ("category_manager", "OCC", "cnc"))
    assert officer.get(f"/cases/{case_id}").get_json()["nobody_may_decide"] is None
    assert [item["nobody_may_decide"] for item in officer.get("/cases").get_json()["items"]] == [None, None]


def test_a_key_decision_on_the_forward_plan_is_pending_from_the_day_it_can_be_taken(api, core, db):
    from tests.factories import key_decision_on_the_forward_plan

    p = hub_people(db)
    case_id = key_decision_on_the_forward_plan(core.engine, p)
    [pending] = api(p.executive).get("/approvals").get_json()["items"]
    assert (pending["case"]["id"], pending["waited_days"], pending["decidable_from"]) == (case_id, 0, "2026-03-31")


def test_a_key_decision_s_forward_plan_notice_is_drafted_for_its_team(api, core, db):
    p = hub_people(db)
    case_id = new_request(core.engine, p.requester, value="1200000", title="Case management system")
    act(core.engine, case_id, "submit", p.requester)
    notice = api(p.officer).get(f"/cases/{case_id}/forward-plan-notice").get_json()
    assert notice["councils"] == ["Oxfordshire County Council"] and notice["earliest"] == "2026-03-31"
    assert notice["matter"].startswith("The procurement of Case management system")
    assert notice["decision_makers"] == [{"name": "Eve Executive", "title": "", "council": ""}]
    # Not for the requester, who does not record it; not for a case with no key decision ahead.
    api(p.requester).get(f"/cases/{case_id}/forward-plan-notice", status=409)
    small = new_request(core.engine, p.requester, value="18000")
    api(p.officer).get(f"/cases/{small}/forward-plan-notice", status=409)


def test_a_key_decision_taken_under_an_urgency_rule_has_its_notices_drafted(api, core, db):
    p = hub_people(db)
    case_id = new_request(core.engine, p.requester, value="1200000", title="Case management system")
    act(core.engine, case_id, "submit", p.requester)
    api(p.officer).get(f"/cases/{case_id}/urgency-notice", status=404)  # on no urgency rule
    urgency = {
        "key_decision_urgency": "special_urgency",
        "urgency_agreed_by": "Cllr Jo Smith",
        "urgency_reasons": "Now",
    }
    entry = {"forward_plan_published_on": "2026-03-02", **urgency}
    api(p.officer).post(f"/cases/{case_id}/actions", {"trigger": "record_forward_plan", "inputs": entry})
    notice = api(p.requester).get(f"/cases/{case_id}/urgency-notice").get_json()
    assert notice == {
        "urgency": "special_urgency",
        "councils": ["Oxfordshire County Council"],
        "matter": notice["matter"],
        "decision_makers": [{"name": "Eve Executive", "title": "", "council": ""}],
        "decidable_from": "2026-03-02",
        "given_on": "2026-03-02",
        "agreed_by": "Cllr Jo Smith",
        "reasons": "Now",
    }
    assert notice["matter"].startswith("The procurement of Case management system")
    api(hub_people(db, authority="CDC").requester).get(f"/cases/{case_id}/urgency-notice", status=404)


def test_a_council_s_decision_records_and_its_special_urgency_ones_are_listed(api, core, db):
    from tests.factories import approve_open_steps

    p = hub_people(db)
    urgent = new_request(core.engine, p.requester, value="1200000", title="Bridge repairs")
    act(core.engine, urgent, "submit", p.requester)
    entry = {
        "forward_plan_published_on": "2026-03-02", "key_decision_urgency": "special_urgency",
        "urgency_agreed_by": "Cllr Jo Smith", "urgency_reasons": "The bridge is closed",
    }  # fmt: skip
    act(core.engine, urgent, "record_forward_plan", p.officer, inputs=entry)
    approve_open_steps(core.engine, db, p, urgent)
    monitoring = api(p.monitoring)
    listed = monitoring.get("/councils/OCC/decision-records").get_json()
    assert (listed["since"], listed["until"]) == ("2025-04-01", "2026-03-02")
    [record] = listed["items"]
    assert (record["case_id"], record["urgency"], record["by_executive"]) == (urgent, "special_urgency", True)
    assert record["subject"] == "Procurement of Bridge repairs" and record["value"] == "1200000.00"
    only = monitoring.get("/councils/OCC/decision-records?special_urgency=true").get_json()["items"]
    assert [r["case_id"] for r in only] == [urgent]
    assert monitoring.get("/councils/OCC/decision-records?since=2026-03-03&until=2026-12-31").get_json()["items"] == []
    wrong = monitoring.get("/councils/OCC/decision-records?since=2026-03-03&until=2026-03-01", status=422).get_json()
    assert "must be on or after since" in str(wrong)
    monitoring.get("/councils/OCC/decision-records?since=2026-03-03", status=422)  # to today, before it
    monitoring.get("/councils/XYZ/decision-records", status=404)
    api(p.requester).get("/councils/OCC/decision-records", status=403)
    api(hub_people(db, authority="CDC").monitoring).get("/councils/OCC/decision-records", status=403)


def test_bad_input_is_a_4xx_problem_never_a_500(api, core, db):
    p = hub_people(db)
    requester = api(p.requester)
    client = requester.client
    malformed = client.post(
        "/api/v1/cases", data="{not json", content_type="application/json", headers=requester.headers
    )
    assert malformed.status_code == 400 and malformed.mimetype == "application/problem+json"
    assert (
        client.post("/api/v1/cases", data="x=1", content_type="text/plain", headers=requester.headers).status_code
        == 415
    )
    wrong = requester.post("/cases", {**DRAFT, "duration_months": "twelve", "colour": "blue"}, status=422).get_json()
    fields = {e["field"]: e["message"] for e in wrong["errors"]}
    assert "duration_months" in fields and fields["colour"] == "This field is not recognised"
    money = requester.post("/cases", {**DRAFT, "estimated_value": "lots"}, status=422).get_json()
    assert money["errors"] == [
        {"field": "estimated_value", "message": "Enter an estimated value in pounds, like 25000 or 25000.50"}
    ]
    huge = client.post(
        "/api/v1/cases",
        data=json.dumps({**DRAFT, "description": "x" * 300_000}),
        content_type="application/json",
        headers=requester.headers,
    )
    assert huge.status_code == 413
    assert requester.post("/cases", [1, 2], status=422).get_json()["detail"] == "The body must be a JSON object"
    requester.get("/cases?page=0", status=422)
    requester.get("/cases/999999", status=404)
    requester.get("/nowhere", status=404)
    assert requester.call("DELETE", "/cases").status_code == 405


def test_a_category_team_lists_each_other_s_tasks(api, core, db):
    p = hub_people(db)
    [contract_id] = seed_contracts(core, p, 1)
    task_id = renewal_task(core, p, contract_id, "Decide")
    team = api(p.officer).get("/tasks?whose=team").get_json()["items"]
    assert [(task["id"], task["assignee_id"]) for task in team] == [(task_id, p.contract_manager)]
    assert api(p.officer).get("/tasks").get_json()["items"] == []  # none of their own
    refused = api(p.requester).get("/tasks?whose=team", status=422).get_json()
    assert "You are in no category team" in str(refused)
    api(p.officer).get("/tasks?whose=everyone", status=422)
    assert api(p.officer).get(f"/tasks?whose=team&assignee_id={p.contract_manager}").get_json()["items"] == team
    assert api(p.officer).get(f"/tasks?whose=team&assignee_id={p.manager}").get_json()["items"] == []
    mine = api(p.officer).get(f"/tasks?assignee_id={p.manager}", status=422).get_json()
    assert "only with whose=team" in str(mine)


def test_a_council_s_own_notices_are_listed_for_those_who_publish_or_oversee_them(api, core, db, clock):
    """The payments compliance notice is the S151 officer's to publish: the Monitoring Officer, who hears
    when it is overdue, lists and reads it, but may not complete it; someone with no part in it lists none."""
    people = hub_people(db)
    payments_compliance_due(core, people, clock)
    monitoring = api(people.monitoring)
    [listed] = monitoring.get("/tasks?whose=council").get_json()["items"]
    assert (listed["kind"], listed["assignee_id"]) == ("payments_compliance_notice", people.s151)
    assert monitoring.get(f"/tasks/{listed['id']}").get_json()["title"] == listed["title"]
    refused = monitoring.post(f"/tasks/{listed['id']}/complete", {"outcome": "not_owed"}, status=403).get_json()
    assert "Only the person the task is assigned to" in refused["detail"]
    assert api(people.s151).get("/tasks?whose=council").get_json()["items"] == [listed]
    nobody = api(people.officer).get("/tasks?whose=council", status=422).get_json()
    assert "no council's own notices" in str(nobody)


def test_tasks_complete_and_snooze(api, core, db):
    from datetime import timedelta

    p = hub_people(db)
    [contract_id] = seed_contracts(core, p, 1)
    task_id = renewal_task(core, p, contract_id, "Decide")
    manager = api(p.contract_manager)
    [task] = manager.get("/tasks").get_json()["items"]
    assert {o["code"] for o in task["outcomes"]} == {"extend", "recommission", "let_expire"}
    assert task["outcome_label"] == ""
    # Raised on its due date: due now, with a week before it counts as overdue.
    today = core.engine.today()
    assert task["raised_at"].startswith(today.isoformat())
    assert task["overdue_from"] == (today + timedelta(days=7)).isoformat()
    coming = renewal_task(core, p, contract_id, "Decide later", today + timedelta(days=30))
    assert manager.get(f"/tasks/{coming}").get_json()["overdue_from"] == (today + timedelta(days=31)).isoformat()
    later = (core.engine.today() + timedelta(days=10)).isoformat()
    manager.post(f"/tasks/{task_id}/snooze", {"until": later, "reason": ""}, status=422)
    assert (
        manager.post(f"/tasks/{task_id}/snooze", {"until": later, "reason": "Budget meeting"}).get_json()[
            "snoozed_until"
        ]
        == later
    )
    manager.post(f"/tasks/{task_id}/complete", {"outcome": "teleport"}, status=422)
    problem = manager.post(f"/tasks/{task_id}/complete", {"outcome": "extend"}, status=422).get_json()
    assert problem["errors"][0]["message"].startswith("This contract has no extension options left")
    done = manager.post(f"/tasks/{task_id}/complete", {"outcome": "recommission"}).get_json()
    assert (done["status"], done["outcome_label"]) == ("done", "Re-commission: start a new procurement")
    manager.post(f"/tasks/{task_id}/complete", {"outcome": "recommission"}, status=409)
    api(p.requester).get(f"/tasks/{task_id}", status=404)


def test_a_leavers_tasks_pass_to_one_colleague_at_once(api, core, db):
    p = hub_people(db)
    first, second = seed_contracts(core, p, 2)
    tasks = [renewal_task(core, p, contract, f"Decide {n}") for n, contract in enumerate((first, second))]
    admin = create_user(db, ("administrator", "OCC"))
    client = api(admin)
    problem = client.post(f"/tasks/of/{p.contract_manager}/pass", {"assignee_id": p.requester}, status=422).get_json()
    assert problem["errors"][0] == {
        "field": "assignee_id", "message": "Choose someone who could do every one of these tasks"
    }  # fmt: skip
    passed = client.post(f"/tasks/of/{p.contract_manager}/pass", {"assignee_id": p.officer, "reason": "Left"})
    assert [(t["id"], t["assignee_id"]) for t in passed.get_json()["items"]] == [(t, p.officer) for t in tasks]
    client.post(f"/tasks/of/{p.contract_manager}/pass", {"assignee_id": p.officer}, status=404)  # none left
    api(p.requester).post(f"/tasks/of/{p.officer}/pass", {"assignee_id": p.manager}, status=404)  # not theirs


def test_the_monitoring_officer_records_a_report_scrutiny_requires_on_an_officer_s_decision(api, core, db, clock):
    """2012 regs reg 18 by the API: the decision record's id from the case, the requirement recorded as the
    monitoring officer's task (201, where it is); a problem named by its field; anyone else refused (403), and
    a record not on the case not found."""
    from tests.factories import approve_gate, award_recommended

    p = hub_people(db)
    case_id = award_recommended(core.engine, clock, p)
    approve_gate(core.engine, case_id, [p.head, p.finance])
    monitoring = api(p.monitoring)
    [record] = monitoring.get(f"/cases/{case_id}").get_json()["decision_records"]
    address = f"/cases/{case_id}/decision-records/{record['id']}/report-required"
    today = clock.today
    body = {
        "committee": "Performance Scrutiny Committee", "resolved_on": today.isoformat(),
        "report_by": today.isoformat(), "why": "It commits over £240,000",
    }  # fmt: skip
    problem = monitoring.post(address, body, status=422).get_json()
    assert problem["errors"] == [
        {"field": "report_by", "message": "The report is due after the day the committee required it"}
    ]
    api(p.head).post(address, body | {"report_by": "2026-05-05"}, status=403)
    monitoring.post(f"/cases/{case_id}/decision-records/{record['id'] + 1}/report-required", body, status=404)
    made = monitoring.post(address, body | {"report_by": "2026-05-05"}, status=201)
    task = made.get_json()
    assert made.headers["Location"] == f"/api/v1/tasks/{task['id']}"
    assert (task["kind"], task["assignee_id"], task["due_on"], task["case_id"]) == (
        "key_decision_report", p.monitoring, "2026-05-05", case_id,
    )  # fmt: skip


def test_a_contracts_risk_is_rated_again(api, core, db):
    p = hub_people(db)
    [contract_id] = seed_contracts(core, p, 1)
    manager = api(p.contract_manager)
    problem = manager.post(f"/contracts/{contract_id}/risk", {"risk": "high", "reason": ""}, status=422).get_json()
    assert problem["errors"][0]["field"] == "reason"
    rated = manager.post(f"/contracts/{contract_id}/risk", {"risk": "high", "reason": "Missed visits"}).get_json()
    assert (rated["risk"], rated["reviews"]["every_months"]) == ("high", 3)
    api(p.finance).post(f"/contracts/{contract_id}/risk", {"risk": "low", "reason": "No"}, status=403)


def test_a_contracts_record_is_corrected_detail_by_detail(api, core, db):
    """Only the details given change; its supplier is not one (a novation's); a correction since the case's
    ETag was read is refused."""
    p = hub_people(db)
    [contract_id] = seed_contracts(core, p, 1)
    manager = api(p.contract_manager)
    address = f"/contracts/{contract_id}/details"
    case = manager.get(f"/cases/{manager.get(f'/contracts/{contract_id}').get_json()['case_id']}")
    problem = manager.call("PATCH", address, {"supplier_name": "X", "reason": "Typo"}, status=422).get_json()
    assert problem["errors"][0]["field"] == "supplier_name"  # a novation's, not a correction's: no such field
    problem = manager.call("PATCH", address, {"supplier_ppon": "PABC", "reason": ""}, status=422).get_json()
    assert {e["field"] for e in problem["errors"]} == {"supplier_ppon", "reason"}
    corrected = manager.call(
        "PATCH", address, {"supplier_ppon": "pabc-1234-defg", "supplier_is_public_service_mutual": None,
                           "notice_period_days": 60, "reason": "From the contract"},
        headers={"If-Match": case.headers["ETag"]}, status=200,
    )  # fmt: skip
    shown = corrected.get_json()
    assert (shown["supplier_ppon"], shown["notice_period_days"], shown["supplier_is_public_service_mutual"]) == (
        "PABC-1234-DEFG", 60, None,
    )  # fmt: skip
    assert corrected.headers["ETag"] != case.headers["ETag"]
    manager.call(
        "PATCH", address, {"title": "Renamed", "reason": "Stale"}, headers={"If-Match": case.headers["ETag"]},
        status=409,
    )  # fmt: skip
    api(p.finance).call("PATCH", address, {"title": "Mine", "reason": "No"}, status=403)
    # Its end date as loaded, typed a year out: its category team corrects it, its manager may not.
    assert manager.get(f"/contracts/{contract_id}").get_json()["procurement_case_id"] is None  # loaded, not let here
    later = {"end_date": "2031-01-31", "reason": "Typed wrong when loaded"}
    manager.call("PATCH", address, later, status=403)
    assert api(p.officer).call("PATCH", address, later, status=200).get_json()["end_date"] == "2031-01-31"


def test_a_review_that_needs_improvement_gives_its_follow_up_task(api, core, db):
    from datetime import timedelta

    from provision_cycle.governance.calendar import add_months
    from provision_cycle.models import Contract
    from provision_cycle.services.tasks import NewTask, raise_task

    p = hub_people(db)
    [contract_id] = seed_contracts(core, p, 1)
    with core.db.unit_of_work() as session:
        session.get(Contract, contract_id).end_date = core.engine.today() + timedelta(days=400)
        new = NewTask("contract_review", "Review", core.engine.today(), p.contract_manager, contract_id=contract_id)
        task_id = raise_task(core, session, new, actor_id=p.officer)
    manager = api(p.contract_manager)
    problem = manager.post(f"/tasks/{task_id}/complete", {"outcome": "improvement_needed"}, status=422).get_json()
    assert problem["errors"][0] == {"field": "note", "message": "Say what needs to improve, for the follow-up review"}
    done = manager.post(f"/tasks/{task_id}/complete", {"outcome": "improvement_needed", "note": "Late"}).get_json()
    assert done["came_of_it"] == f"a follow-up review is due on {add_months(core.engine.today(), 3):%-d %B %Y}"
    follow_up_on = add_months(core.engine.today(), 3).isoformat()
    reviews = {"every_months": 12, "next_due_on": follow_up_on, "follow_up": True}
    assert manager.get(f"/contracts/{contract_id}").get_json()["reviews"] == reviews
    assert manager.get("/contracts").get_json()["items"][0]["reviews"] is None  # one contract's answer only
    follow_up = manager.get(f"/tasks/{done['follow_up_task_id']}").get_json()
    assert (follow_up["kind"], follow_up["status"], follow_up["follow_up_task_id"]) == ("contract_review", "open", None)
    assert follow_up["title"].startswith("Follow-up contract review: ")


def test_a_task_is_passed_to_a_colleague(api, core, db):
    p = hub_people(db)
    [contract_id] = seed_contracts(core, p, 1)
    task_id = renewal_task(core, p, contract_id, "Decide")
    colleague = create_user(db, ("contract_manager", "OCC", "cnc"))
    manager = api(p.contract_manager)
    problem = manager.post(f"/tasks/{task_id}/pass", {"assignee_id": p.requester}, status=422).get_json()
    assert problem["errors"][0] == {"field": "assignee_id", "message": "Choose someone who could do this task"}
    passed = manager.post(f"/tasks/{task_id}/pass", {"assignee_id": colleague, "reason": "Her site"}).get_json()
    assert passed["assignee_id"] == colleague
    assert [t["id"] for t in api(colleague).get("/tasks").get_json()["items"]] == [task_id]
    api(p.requester).post(f"/tasks/{task_id}/pass", {"assignee_id": p.contract_manager}, status=404)
    api(p.finance).post(f"/tasks/{task_id}/pass", {"assignee_id": p.contract_manager}, status=403)  # sees, not acts


def test_tasks_sort_by_when_their_contracts_end(api, core, db):
    p = hub_people(db)
    sooner, later = seed_contracts(core, p, 2)  # ending in 30 and in 60 days
    today = core.engine.today()
    renewal_task(core, p, later, "Decide the later one", today - timedelta(days=30))
    renewal_task(core, p, sooner, "Decide the sooner one", today - timedelta(days=10))
    manager = api(p.contract_manager)
    titles = [t["title"] for t in manager.get("/tasks").get_json()["items"]]
    assert titles == ["Decide the later one", "Decide the sooner one"]
    by_end = [t["title"] for t in manager.get("/tasks?sort=contract_end").get_json()["items"]]
    assert by_end == ["Decide the sooner one", "Decide the later one"]
    manager.get("/tasks?sort=nonsense", status=422)


def test_a_task_says_when_it_was_escalated_and_to_whom(api, core, db, clock, schedule):
    from datetime import timedelta

    from provision_cycle.scheduling.sweeps import escalate_overdue_tasks

    p = hub_people(db)
    [contract_id] = seed_contracts(core, p, 1)
    task_id = renewal_task(core, p, contract_id, "Decide", core.engine.today() + timedelta(days=1))
    manager = api(p.contract_manager)
    task = manager.get(f"/tasks/{task_id}").get_json()
    assert (task["escalated_at"], task["escalated_to"]) == (None, [])
    clock.advance(days=10)
    assert escalate_overdue_tasks(core, schedule, clock.today).changed == 1
    task = manager.get(f"/tasks/{task_id}").get_json()
    assert task["escalated_at"] is not None and task["escalated_to"] == [p.head]


def test_route_preview_and_reference(api, core, db):
    p = hub_people(db)
    client = api(p.requester)
    preview = client.post(
        "/route-preview",
        {
            "authority": "OCC",
            "category": "ict",
            "contract_type": "services",
            "value": "250000",
            "commencement": "2026-03-02",
        },
    ).get_json()
    assert (
        preview["regime"] == "PA2023"
        and preview["above_threshold"]
        and preview["recommended_route"] == "open_procedure"
    )
    assert any("Head of Category" in step["reason"] for step in preview["steps"])
    client.post(
        "/route-preview", {"authority": "XXX", "category": "ict", "contract_type": "services", "value": "1"}, status=422
    )
    reference = client.get("/reference").get_json()
    assert {a["code"] for a in reference["authorities"]} == {"OCC", "CDC"}
    workflows = client.get("/workflows").get_json()["items"]
    assert {w["name"] for w in workflows} == {"commissioning", "procurement", "contract"}
    client.get("/workflows/procurement/1")
    client.get("/workflows/procurement/9", status=404)
    assert api(None).get("/openapi.json").get_json()["openapi"].startswith("3.")


def test_a_contract_is_handed_to_another_contract_manager(api, core, db):
    people = hub_people(db)
    newcomer = create_user(db, ("contract_manager", "OCC", "cnc"))
    stranger = create_user(db, ("requester", "CDC"))
    [contract_id] = seed_contracts(core, people, 1)
    path = f"/contracts/{contract_id}/contract-manager"
    api(people.contract_manager).post(path, {"manager_id": newcomer}, status=403)
    problem = api(people.officer).post(path, {"manager_id": people.finance}, status=422).json
    assert "Contract Manager role" in json.dumps(problem)
    api(people.officer).post(path, {"manager_id": newcomer, "reasons": "typo"}, status=422)  # an unknown field
    body = api(people.officer).post(path, {"manager_id": newcomer, "reason": "New post holder"}).json
    assert body["contract_manager_id"] == newcomer
    api(stranger).post(path, {"manager_id": people.contract_manager}, status=404)  # one they cannot see
    managed = {who: api(who).get("/contracts?managed_by_me=true").json["total"] for who in (newcomer, people.officer)}
    assert managed == {newcomer: 1, people.officer: 0}
    by_category = {
        c: api(people.officer).get(f"/contracts?category={c}").json["total"] for c in ("corporate_supplies", "waste")
    }
    assert by_category == {"corporate_supplies": 1, "waste": 0}
    by_risk = {r: api(people.officer).get(f"/contracts?risk={r}").json["total"] for r in ("medium", "high")}
    assert by_risk == {"medium": 1, "high": 0}
    api(people.officer).get("/contracts?risk=severe", status=422)


def test_the_register_lists_the_current_contracts_or_those_of_any_status(api, core, db):
    """As its page does, the API's register can leave out the contracts that have ended; unlike the page, it
    lists every status unless asked (a client reading the register whole wants it whole)."""
    people = hub_people(db)
    [live] = seed_contracts(core, people, 1)
    ended = register_contract(core, people, value="9000", ends=date(2025, 3, 31), state="expired").id
    officer = api(people.officer)
    listed = {s: {c["id"] for c in officer.get(f"/contracts?status={s}").json["items"]} for s in ("", "current")}
    assert listed == {"": {live, ended}, "current": {live}}
    assert [c["id"] for c in officer.get("/contracts?status=expired").json["items"]] == [ended]


def test_the_register_lists_the_contracts_ending_in_a_window_and_a_council_s_with_the_joint_ones(api, core, db):
    people = hub_people(db)
    today = core.engine.today()
    ending = {
        (days, authority): register_contract(
            core, people, value="9000", ends=today + timedelta(days=days), authority=authority
        ).id
        for days, authority in ((10, "OCC"), (40, "JOINT"), (80, "OCC"))
    }
    officer = api(people.officer)

    def listed(query: str) -> set[int]:
        return {c["id"] for c in officer.get(f"/contracts?{query}").json["items"]}

    window = f"ends_from={(today + timedelta(days=30)).isoformat()}&ends_by={(today + timedelta(days=80)).isoformat()}"
    assert listed(window) == {ending[40, "JOINT"], ending[80, "OCC"]}  # both ends of the window included
    assert listed(f"ends_by={(today + timedelta(days=39)).isoformat()}") == {ending[10, "OCC"]}
    assert listed("authority=OCC") == set(ending.values())  # its own and the joint one
    assert listed("authority=JOINT") == {ending[40, "JOINT"]}
    problem = officer.get(f"/contracts?ends_from={today.isoformat()}&ends_by=2020-01-01", status=422).json
    assert "ends_by" in json.dumps(problem) and "on or after ends_from" in json.dumps(problem)
    assert "ends_from" in json.dumps(officer.get("/contracts?ends_from=31/03/2027", status=422).json)


def test_a_procurements_team_is_named_and_declares_through_the_api(api, core, db):
    people = hub_people(db)
    stranger = create_user(db, ("category_officer", "CDC", "cnc"))
    case_id = new_request(core.engine, people.requester, value="250000")
    team, members = f"/cases/{case_id}/team", f"/cases/{case_id}/team/members"
    api(people.requester).post(members, {"user_id": people.legal, "part": "evaluation"}, status=403)
    api(people.officer).post(members, {"user_id": people.legal, "part": "caterer"}, status=422)
    api(people.officer).post(members, {"user_id": stranger, "part": "evaluation"}, status=422)
    api(stranger).post(members, {"user_id": people.legal, "part": "evaluation"}, status=404)  # one they cannot see
    body = api(people.officer).post(members, {"user_id": people.legal, "part": "evaluation"}).json
    assert body["members"] == [
        {"user_id": people.legal, "name": "Lena Legal", "part": "evaluation", "active": True, "declaration": "none"}
    ]

    declared = (
        api(people.legal)
        .post(f"/cases/{case_id}/declarations", {"has_conflict": True, "details": "I own shares in a bidder"})
        .json
    )
    assert declared == {"case_id": case_id, "has_conflict": True, "blocks": True}
    assert api(people.requester).get(team).json["members"][0]["declaration"] == "blocked"
    api(stranger).post(f"/cases/{case_id}/declarations", {"has_conflict": False}, status=404)

    assert api(people.officer).call("DELETE", f"{members}/{people.legal}", status=200).json["members"] == []
    api(people.officer).call("DELETE", f"{members}/{people.legal}", status=404)


def test_a_contracts_payments_newest_first_with_personal_names_withheld(api, core, db):
    from provision_cycle.models import Contract
    from provision_cycle.services.spend import load_spend

    people = hub_people(db)
    [contract_id] = seed_contracts(core, people, 1)
    with db.reading() as session:
        reference = session.get(Contract, contract_id).reference
    spend = (
        "Council,Transaction number,Date paid,Supplier,Amount,Contract reference,Individual,Invoice received\n"
        f"OCC,T-1,2026-01-05,Supplier 0,1250,{reference},no,2026-01-02\n"
        f"OCC,T-2,2026-02-05,Jo Bloggs,(50),{reference},yes\n"
        f"OCC,T-3,2026-02-20,Supplier 0,700,{reference},no\n"
    )
    load_spend(core, spend.encode(), actor_id=people.system, apply=True)
    officer = api(people.officer)
    first = officer.get(f"/contracts/{contract_id}/payments?per_page=2").get_json()
    assert (first["total"], first["paid"]) == (3, "1900.00")
    assert [(p["transaction_number"], p["amount"], p["supplier_name"]) for p in first["items"]] == [
        ("T-3", "700.00", "Supplier 0"),
        ("T-2", "-50.00", "Redacted: personal data"),
    ]
    second = officer.get(f"/contracts/{contract_id}/payments?per_page=2&page=2").get_json()
    assert [(p["transaction_number"], p["invoice_received_on"]) for p in second["items"]] == [("T-1", "2026-01-02")]
    api(create_user(db, ("category_officer", "CDC", "cnc"))).get(f"/contracts/{contract_id}/payments", status=404)


def test_the_payments_compliance_notice_is_read_and_approved_through_the_api(api, core, db, clock):
    people = hub_people(db)
    payments_compliance_due(core, people, clock)
    address = "/councils/OCC/payments-compliance/2026-04"

    notice = api(people.head).get(f"{address}?still_unpaid=2").get_json()
    assert notice["period"] == {"code": "2026-04", "label": "1 April to 30 September 2026", "starts": "2026-04-01",
                                "ends": "2026-09-30", "due_on": "2026-10-29"}  # fmt: skip
    assert (notice["average_days"], notice["paid_within_days_1_to_30_percent"]) == ("34.5", "50.0")
    assert (notice["payable"], notice["payable_not_paid"], notice["payable_not_paid_percent"]) == (4, 2, "50.0")
    assert notice["without_invoice_day"] == 1 and notice["approval"] is None and notice["owed"]
    assert notice["finance_officers"] == [{"name": "Sam S151", "job_title": ""}]
    api(people.head).get(f"{address}?still_unpaid=-1", status=422)
    api(people.head).post(f"{address}/approval", {"still_unpaid": 2}, status=403)  # not the S151 officer
    api(people.officer).get(address, status=403)  # a category officer does not publish the council's notices
    api(people.head).get("/councils/OCC/payments-compliance/2026-05", status=404)
    api(people.head).get("/councils/XYZ/payments-compliance/2026-04", status=404)

    approved = api(people.s151).post(f"{address}/approval", {"still_unpaid": 2, "note": "Checked"}).get_json()
    assert approved["approval"]["name"] == "Sam S151" and approved["payable_not_paid_percent"] == "50.0"
    assert api(people.head).get(address).get_json()["still_unpaid"] == 2  # as approved
    api(people.s151).post(f"{address}/approval", {}, status=409)  # approved already


def test_a_notice_is_recorded_through_the_api(api, core, db, clock):
    people = hub_people(db)
    contract = _public_contract(core, people, ends=date(2026, 3, 1))
    expire_contracts(core, clock.today)
    manager = api(people.contract_manager)
    path = f"/cases/{contract.case_id}/notices"
    problem = manager.post(path, {"kind": "termination_notice", "published_on": "2026-03-03"}, status=422).get_json()
    assert [(e["field"], e["message"]) for e in problem["errors"]] == [
        ("published_on", "The date the notice was published cannot be in the future")
    ]
    manager.post(path, {"kind": "contract_change_notice", "published_on": "2026-03-02"}, status=409)
    api(people.requester).post(path, {"kind": "termination_notice", "published_on": "2026-03-02"}, status=404)
    api(people.finance).post(path, {"kind": "termination_notice", "published_on": "2026-03-02"}, status=403)
    met = manager.post(path, {"kind": "termination_notice", "published_on": "2026-03-02", "notice_id": "0123-2026"})
    assert met.get_json()["kind"] == "termination_notice" and met.get_json()["met_at"] is not None
    package = manager.get(f"/cases/{contract.case_id}/ocds").get_json()
    assert package["releases"][0]["contracts"][0]["documents"][0]["noticeType"] == "UK11"


def test_a_note_is_added_to_a_case_s_history_through_the_api(api, core, db):
    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="18000")
    officer = api(people.officer)
    problem = officer.post(f"/cases/{case_id}/notes", {"note": " "}, status=422).get_json()
    assert [(e["field"], e["message"]) for e in problem["errors"]] == [("note", "Enter the note")]
    api(create_user(db, ("requester", "CDC"))).post(f"/cases/{case_id}/notes", {"note": "Hi"}, status=404)
    added = officer.post(f"/cases/{case_id}/notes", {"note": "Budget holder agreed by phone"}, status=201)
    note = added.get_json()
    assert (note["action"], note["comment"], note["actor_id"]) == (
        "note",
        "Budget holder agreed by phone",
        people.officer,
    )
    assert added.headers["Location"] == f"/api/v1/cases/{case_id}/audit"
    trail = officer.get(f"/cases/{case_id}/audit").get_json()
    assert trail["items"][-1] == note and trail["chain_verified"]


def test_a_contracts_kpis_and_assessments_through_the_api(api, core, db, clock):
    from tests.test_performance import KPIS, _big

    people = hub_people(db)
    contract = _big(core, people)
    manager = api(people.contract_manager)
    path = f"/contracts/{contract.id}"
    shown = manager.get(f"{path}/performance").get_json()
    assert shown["kpis_required"] and shown["kpis"] == [] and "PA23 s52" in shown["basis"]
    problem = manager.post(f"{path}/kpis", {"kpis": [{"name": "Repairs on time"}]}, status=422).get_json()
    assert "needs at least 3 KPIs" in problem["errors"][0]["message"]
    api(people.finance).post(f"{path}/kpis", {"kpis": [{"name": n, "target": t} for n, t in KPIS]}, status=403)
    kpis = manager.post(f"{path}/kpis", {"kpis": [{"name": n, "target": t} for n, t in KPIS]}).get_json()["kpis"]
    assert [k["name"] for k in kpis] == [n for n, _ in KPIS]

    clock.set(date(2026, 7, 3))
    body = {
        "period_starts": "2025-07-01",
        "period_ends": "2026-06-30",
        "ratings": [{"kpi_id": k["id"], "rating": "good"} for k in kpis[:2]],
        "published_on": "2026-07-03",
    }
    problem = manager.post(f"{path}/kpi-assessments", body, status=422).get_json()
    assert [e["message"] for e in problem["errors"]] == ["Rate the supplier against 'Social value'"]
    body["ratings"].append({"kpi_id": kpis[2]["id"], "rating": "inadequate", "comment": "None taken on"})
    [assessment] = manager.post(f"{path}/kpi-assessments", body, status=201).get_json()["assessments"]
    assert assessment["ratings"][2] == {
        "name": "Social value",
        "target": "12 apprenticeships a year",
        "rating": "inadequate",
        "comment": "None taken on",
    }
    api(people.requester).get(f"{path}/performance", status=404)


def test_a_procurements_contract_kpis_through_the_api(api, core, db, clock):
    from tests.factories import award_open_procedure
    from tests.test_performance import KPIS

    people = hub_people(db)
    case_id = award_open_procedure(core.engine, clock, people, value="5000000", award_value="5000000")
    officer = api(people.officer)
    path = f"/cases/{case_id}/kpis"
    problem = officer.post(path, {"kpis": [{"name": "Repairs on time"}]}, status=422).get_json()
    assert "needs at least 3 KPIs (PA23 s52)" in problem["errors"][0]["message"]
    out = officer.post(path, {"kpis": [{"name": n, "target": t} for n, t in KPIS]}).get_json()
    assert out["details"]["kpis"][2] == ["Social value", "12 apprenticeships a year"]
    exempt = officer.post(path, {"kpis": [], "exemption": "A one-off delivery"}).get_json()
    assert exempt["details"]["kpis"] == [] and exempt["details"]["kpis_exemption"] == "A one-off delivery"
    api(people.finance).post(path, {"kpis": []}, status=403)


def test_a_route_the_value_does_not_allow_is_refused_before_anything_is_saved(api, core, db):
    requester = api(hub_people(db).requester)
    refused = requester.post("/cases", {**DRAFT, "estimated_value": "250000", "route": "quotations"}, status=422)
    [error] = refused.get_json()["errors"]
    assert error["field"] == "route" and error["message"].startswith("Quotations is not open to this case")
    assert requester.get("/cases").get_json()["total"] == 0


def test_a_direct_award_is_raised_with_its_ground_and_reasons(api, core, db):
    p = hub_people(db)
    requester = api(p.requester)
    direct = {**DRAFT, "route": "direct_award", "submit": True}
    refused = requester.post("/cases", {**direct, "direct_award_ground": "cheapest"}, status=422).get_json()
    assert [e["field"] for e in refused["errors"]] == ["direct_award_ground"]
    # Without its ground the request is kept as a draft: the problem says so, what is missing, and where it is.
    unjustified = requester.post("/cases", direct, status=422).get_json()
    assert unjustified["title"] == "Saved as a draft, not submitted"
    assert unjustified["detail"].endswith(
        "is saved as a draft, but it could not be submitted: A direct award needs its ground recorded on the "
        "request (Procurement Act 2023 s41 and Schedule 5)"
    )
    draft = requester.get(unjustified["location"].removeprefix("/api/v1")).get_json()
    assert draft["id"] == unjustified["case_id"] and draft["state"] == "draft"
    commissioning = {**DRAFT, "stage": "commissioning", "submit": True}
    assert [e["field"] for e in requester.post("/cases", commissioning, status=422).get_json()["errors"]] == ["submit"]
    assert requester.get("/cases").get_json()["total"] == 1  # the refused commissioning case was never saved
    case = requester.post(
        "/cases",
        {**direct, "direct_award_ground": "single_supplier", "direct_award_justification": "Only its maker"},
        status=201,
    ).get_json()
    assert case["state"] == "route_approval" and case["route"] == "direct_award"
    assert case["details"]["direct_award_ground"] == "single_supplier"
    assert case["details"]["direct_award_justification"] == "Only its maker"


def test_a_supplier_is_found_and_read_through_the_api(api, core, db):
    from provision_cycle.services.spend import load_spend
    from tests.factories import register_contract

    people = hub_people(db)
    contract = register_contract(core, people, value="48000", ends=date(2028, 3, 31), supplier_name="Acme Ltd")
    spend = (
        "Council,Transaction number,Date paid,Supplier,Amount,Contract reference\n"
        f"OCC,T-1,2026-02-01,ACME LIMITED,1000,{contract.reference}\n"
        "OCC,T-2,2026-02-15,Acme Ltd.,250,\n"
    )
    load_spend(core, spend.encode(), actor_id=people.system, apply=True)
    officer = api(people.officer)
    found = officer.get("/suppliers?q=ACME+ltd").get_json()["items"]
    assert found == [{"key": "acme", "name": "Acme Ltd", "contracts": 1, "paid_this_year": "1250.00", "found_as": ""}]
    page = officer.get("/suppliers/acme").get_json()
    assert [c["reference"] for c in page["contracts"]] == [contract.reference]
    assert page["contracts"][0]["supplier_key"] == "acme"
    assert page["years"][0] == {"label": "2025/26", "starts": "2025-04-01", "under_contract": "1000.00",
                                "off_contract": "250.00", "by_council": {"OCC": "1250.00"}, "invoices_timed": 0,
                                "paid_within_term_percent": None}  # fmt: skip
    assert page["registrations"] == [] and page["ppons"] == []
    assert [p["transaction_number"] for p in page["latest_payments"]] == ["T-2", "T-1"]
    officer.get("/suppliers", status=422)  # words to look for are needed
    api(people.requester).get("/suppliers/acme", status=404)


def test_the_intelligence_team_records_two_names_as_one_supplier_through_the_api(api, core, db):
    from tests.factories import register_contract

    people = hub_people(db)
    for name, value in (("Acme Ltd", "48000"), ("APT Holdings Ltd", "9000")):
        register_contract(core, people, value=value, ends=date(2028, 3, 31), supplier_name=name,
                          registration="01234567")  # fmt: skip
    analyst = api(create_user(db, ("intelligence_analyst", "OCC")))
    assert analyst.get("/suppliers/sharing-a-number").get_json()["items"] == [
        {"registration": "01234567", "names": [{"key": "acme", "name": "Acme Ltd"},
                                               {"key": "apt holdings", "name": "APT Holdings Ltd"}]}
    ]  # fmt: skip
    api(people.officer).get("/suppliers/sharing-a-number", status=403)
    said = {"same_as": "acme", "reason": "Companies House 01234567"}
    api(people.officer).post("/suppliers/apt%20holdings/same-as", said, status=403)
    refused = analyst.post("/suppliers/apt%20holdings/same-as", {**said, "reason": ""}, status=422).get_json()
    assert [e["field"] for e in refused["errors"]] == ["reason"]
    page = analyst.post("/suppliers/apt%20holdings/same-as", said).get_json()
    [other] = page["other_names"]
    assert (page["key"], other["key"], other["name"], other["reason"]) == (
        "acme", "apt holdings", "APT Holdings Ltd", "Companies House 01234567"
    )  # fmt: skip
    assert len(page["contracts"]) == 2
    assert analyst.get("/suppliers/apt%20holdings").get_json()["key"] == "acme"  # its other name reads as it
    assert analyst.get("/suppliers/sharing-a-number").get_json()["items"] == []  # recorded as one
    [found] = analyst.get("/suppliers?q=holdings").get_json()["items"]
    assert (found["key"], found["name"], found["found_as"]) == ("acme", "Acme Ltd", "APT Holdings Ltd")
    register = analyst.get("/contracts?q=APT+Holdings").get_json()  # the register, under either name
    assert sorted(c["supplier_name"] for c in register["items"]) == ["APT Holdings Ltd", "Acme Ltd"]
    alone = analyst.post("/suppliers/apt%20holdings/separate", {"reason": "Sold"}).get_json()
    assert (alone["key"], alone["other_names"], len(alone["contracts"])) == ("apt holdings", [], 1)


def test_the_intelligence_team_judges_names_that_look_alike_through_the_api(api, core, db):
    from provision_cycle.services.spend import load_spend
    from tests.factories import register_contract

    people = hub_people(db)
    register_contract(core, people, value="9000", ends=date(2028, 3, 31), supplier_name="Acme Group Ltd")
    spend = "Council,Transaction number,Date paid,Supplier,Amount\nOCC,T-1,2026-02-01,ACME UK LTD,40\n"
    load_spend(core, spend.encode(), actor_id=people.system, apply=True)
    analyst = api(create_user(db, ("intelligence_analyst", "OCC")))
    assert analyst.get("/suppliers/names-alike").get_json()["items"] == [
        {"names": [{"key": "acme group", "name": "Acme Group Ltd", "contracts": 1, "paid_this_year": "0.00"},
                   {"key": "acme uk", "name": "ACME UK LTD", "contracts": 0, "paid_this_year": "40.00"}],
         "cut_short": False}
    ]  # fmt: skip
    api(people.officer).get("/suppliers/names-alike", status=403)
    said = {"keys": ["acme uk", "acme group"], "reason": "Different Companies House numbers"}
    api(people.officer).post("/suppliers/record-as-different", said, status=403)
    refused = analyst.post("/suppliers/record-as-different", {**said, "keys": ["acme uk"]}, status=422).get_json()
    assert [e["field"] for e in refused["errors"]] == ["keys"]
    refused = analyst.post("/suppliers/record-as-different", {**said, "reason": ""}, status=422).get_json()
    assert [e["field"] for e in refused["errors"]] == ["reason"]
    assert analyst.post("/suppliers/record-as-different", said).get_json() == {"keys": ["acme group", "acme uk"]}
    assert analyst.get("/suppliers/names-alike").get_json()["items"] == []


def test_procurements_that_may_be_one_requirement_through_the_api(api, core, db):
    p = hub_people(db)
    earlier = []
    for title in ("Laptops", "Docking stations"):  # 18,000 each: 21,600 with VAT
        earlier.append(new_request(core.engine, p.requester, value="18000", title=title))
        act(core.engine, earlier[-1], "submit", p.requester)
    requester = api(p.requester)
    proposed = {"authority": "OCC", "category": "ict", "contract_type": "services", "value": "18000"}
    found = requester.post("/route-preview", proposed).get_json()["perhaps_one_requirement"]
    assert [other["id"] for other in found["others"]] == [earlier[1], earlier[0]]
    assert (found["more"], found["together_inc_vat"], found["line"]) == (0, "64800.00", "30000.00")
    assert found["others"][0]["estimated_value"] == "18000.00" and found["others"][0]["title"] == "Docking stations"
    alone = requester.post("/route-preview", {**proposed, "category": "hr_recruitment"}).get_json()
    assert alone["perhaps_one_requirement"] is None

    third = new_request(core.engine, p.requester, value="18000", title="Monitors")
    act(core.engine, third, "submit", p.requester)
    checked = api(p.manager).get(f"/cases/{third}/one-requirement").get_json()["perhaps_one_requirement"]
    assert checked["together_inc_vat"] == "64800.00" and len(checked["others"]) == 2
    assert api(p.manager).get(f"/cases/{earlier[0]}/one-requirement").get_json()["perhaps_one_requirement"]
    api(create_user(db, ("requester", "CDC"))).get(f"/cases/{third}/one-requirement", status=404)
    said = "Headsets for the contact centre, on its own budget"
    new = {"title": "Headsets", "description": "For the contact centre", "authority": "OCC", "category": "ict",
           "contract_type": "services", "estimated_value": "18000", "proposed_start": "2027-01-01",
           "duration_months": 12, "one_requirement_explained": f" {said} ", "submit": True}  # fmt: skip
    made = requester.post("/cases", new, status=201).get_json()
    assert made["details"]["one_requirement_explained"] == said and made["state"] == "route_approval"


def test_a_request_is_changed_by_its_requester_while_a_draft_or_back_for_rework(api, core, db):
    """PUT /cases/{id}/request takes all the answers, as the change page does: checked as POST /cases checks
    them, If-Match honoured, for the requester only and only while it may be changed. Raised to a higher band
    while back for rework, its resubmission goes to that band's approvers."""
    p = hub_people(db)
    requester = api(p.requester)
    case_id = requester.post("/cases", DRAFT, status=201).get_json()["id"]
    answers = {key: DRAFT[key] for key in DRAFT if key not in ("stage", "submit")}
    changed = {**answers, "estimated_value": "45000", "funding": " Highways revenue ", "justification": "Worn out"}
    put = requester.call("PUT", f"/cases/{case_id}/request", changed, headers={"If-Match": '"v1"'}, status=200)
    assert put.headers["ETag"] == '"v2"' and put.get_json()["estimated_value"] == "45000.00"
    assert put.get_json()["details"]["funding"] == "Highways revenue"
    stale = requester.call("PUT", f"/cases/{case_id}/request", changed, headers={"If-Match": '"v1"'}, status=409)
    assert stale.get_json()["current_version"] == 2
    refused = requester.call("PUT", f"/cases/{case_id}/request", {**changed, "title": " "}, status=422).get_json()
    assert refused["errors"] == [{"field": "title", "message": "Enter a title for the request"}]
    moved = requester.call("PUT", f"/cases/{case_id}/request", {**changed, "authority": "CDC"}, status=403)
    assert "You can only move a request to an authority you work for" in moved.get_json()["detail"]
    api(p.officer).call("PUT", f"/cases/{case_id}/request", changed, status=403)  # sees it; not theirs
    api(create_user(db, ("requester", "CDC"))).call("PUT", f"/cases/{case_id}/request", changed, status=404)

    requester.post(f"/cases/{case_id}/actions", {"trigger": "submit"})
    requester.call("PUT", f"/cases/{case_id}/request", changed, status=409)  # at its route approval
    declare(core.engine, case_id, p.manager)
    act(core.engine, case_id, "return", p.manager, reason="Is that all of it?")
    requester.call("PUT", f"/cases/{case_id}/request", {**changed, "estimated_value": "150000"}, status=200)
    requester.post(f"/cases/{case_id}/actions", {"trigger": "resubmit"})
    steps = requester.get(f"/cases/{case_id}").get_json()["steps"]
    assert [(step["round"], step["role"], step["status"]) for step in steps] == [
        (1, "category_manager", "returned"),
        (2, "head_of_category", "open"),
    ]


def test_a_business_case_back_for_rework_is_changed_with_the_request(api, core, db):
    """A commissioning case's business case, asked on its way to Business case, is changed there with
    ``answers``: all of them, checked as ``prepare_business_case`` checks them; left out, they stay."""
    p = hub_people(db)
    requester = api(p.requester)
    case_id = requester.post("/cases", {**DRAFT, "stage": "commissioning"}, status=201).get_json()["id"]
    answers = {key: DRAFT[key] for key in DRAFT if key not in ("stage", "submit")}
    refused = requester.call("PUT", f"/cases/{case_id}/request", {**answers, "answers": BUSINESS_CASE}, status=422)
    assert {e["field"] for e in refused.get_json()["errors"]} == set(BUSINESS_CASE)  # not asked yet
    requester.post(f"/cases/{case_id}/actions", {"trigger": "start_options_appraisal"})
    requester.post(f"/cases/{case_id}/actions", {"trigger": "prepare_business_case", "inputs": BUSINESS_CASE})
    missing = {**BUSINESS_CASE, "outcomes": ""}
    refused = requester.call("PUT", f"/cases/{case_id}/request", {**answers, "answers": missing}, status=422)
    assert refused.get_json()["errors"] == [
        {"field": "outcomes", "message": "Enter the outcomes it should achieve, and how they will be measured"}
    ]
    better = {**BUSINESS_CASE, "preferred_option": "C", "risks": "Few suppliers"}
    put = requester.call("PUT", f"/cases/{case_id}/request", {**answers, "answers": better}, status=200).get_json()
    assert {key: put["details"][key] for key in better} == better
    kept = requester.call("PUT", f"/cases/{case_id}/request", {**answers, "title": "Grit"}, status=200).get_json()
    assert kept["details"]["preferred_option"] == "C"  # no answers given: they stay as they were
