"""A whole provision cycle through the API alone: commission, procure with two gates, award, standstill,
contract, and the renewal decision."""

from __future__ import annotations

from datetime import date

from tests.factories import BUSINESS_CASE, hub_people

DECLARED = {"has_conflict": False}


def test_a_whole_provision_cycle_through_the_api(api, core, db, clock):
    p = hub_people(db)
    requester, officer, head, finance = api(p.requester), api(p.officer), api(p.head), api(p.finance)

    # Commissioning: the need, the options, the business case, the commissioning gate.
    created = requester.post(
        "/cases",
        {
            "stage": "commissioning",
            "title": "Case management system",
            "description": "Replace the social care case management system",
            "authority": "OCC",
            "category": "ict",
            "contract_type": "services",
            "estimated_value": "250000",
            "proposed_start": "2026-09-01",
            "duration_months": 36,
            "funding": "Capital programme line 14",
        },
        status=201,
    )
    case = created.get_json()
    assert created.headers["ETag"] == '"v1"' and created.headers["Location"] == f"/api/v1/cases/{case['id']}"
    assert case["state"] == "need_identified" and case["estimated_value"] == "250000.00"
    cid = case["id"]
    requester.post(f"/cases/{cid}/actions", {"trigger": "start_options_appraisal"}, headers={"If-Match": '"v1"'})
    requester.post(
        f"/cases/{cid}/actions",
        {"trigger": "prepare_business_case", "inputs": {**BUSINESS_CASE, "preferred_option": "Buy a SaaS"}},
    )
    requester.post(f"/cases/{cid}/actions", {"trigger": "submit"})
    pending = head.get("/approvals").get_json()["items"]
    assert [item["case"]["id"] for item in pending] == [cid]
    decided = head.post(f"/approvals/{cid}/decision", {"outcome": "approve", "declaration": DECLARED}).get_json()
    assert decided["to_state"] == "commissioned"
    handed = requester.post(f"/cases/{cid}/actions", {"trigger": "hand_to_procurement"}).get_json()
    [procurement] = handed["opened_cases"]

    # Procurement: two gates, tender, award, standstill, contract.
    requester.post(f"/cases/{procurement}/actions", {"trigger": "submit"})
    head.post(f"/approvals/{procurement}/decision", {"outcome": "approve", "declaration": DECLARED})
    officer.post(f"/cases/{procurement}/actions", {"trigger": "complete_conflicts_assessment", "declaration": DECLARED})
    officer.post(
        f"/cases/{procurement}/actions",
        {
            "trigger": "publish_tender_notice",
            "inputs": {
                "tender_notice_published_on": "2026-03-02",
                "tenders_close_on": "2026-04-06",
                "market_engaged": False,  # PA23 s17: no preliminary market engagement to account for
            },
        },
    )
    clock.set(date(2026, 4, 7))
    officer.post(f"/cases/{procurement}/actions", {"trigger": "close_tenders"})
    checked = {"exclusions_checked_on": "2026-04-07"}  # the tenderers, for exclusion and debarment first
    officer.post(f"/cases/{procurement}/actions", {"trigger": "record_exclusion_check", "inputs": checked})
    reviewed = {"conflicts_review_findings": "None with the tenderers"}  # and the conflicts assessment (s83)
    officer.post(f"/cases/{procurement}/actions", {"trigger": "review_conflicts_assessment", "inputs": reviewed})
    officer.post(
        f"/cases/{procurement}/actions",
        {
            "trigger": "recommend_award",
            "inputs": {
                "supplier_name": "Acme Systems Ltd",
                "supplier_is_sme": True,
                "supplier_is_vcse": False,
                "supplier_is_supported_employment": False,
                "supplier_is_public_service_mutual": True,
                "supplier_registration": "01234567",
                "supplier_ppon": "PABC-1234-DEFG",
                "award_value": "240000",
            },
        },
    )
    # The award's approvers see what they decide.
    assert head.get(f"/cases/{procurement}").get_json()["award"] == {
        "approved": False,
        "supplier": "Acme Systems Ltd",
        "registration": "01234567",
        "ppon": "PABC-1234-DEFG",
        "sme": True,
        "vcse": False,
        "supported_employment": False,
        "public_service_mutual": True,
        "value": "240000.00",
        "estimated_value": "250000.00",
        "exclusions_checked_on": "2026-04-07",
        "key_decision": "",
        "over_threshold": "",
        "evaluation": "",
    }
    head.post(f"/approvals/{procurement}/decision", {"outcome": "approve"})  # declared already on this case
    finance.post(f"/approvals/{procurement}/decision", {"outcome": "approve", "declaration": DECLARED})
    # The award is over OCC's figure for an officer's decision that matters to its finances: its record is made.
    [record] = officer.get(f"/cases/{procurement}").get_json()["decision_records"]
    assert (record["by_executive"], record["urgency"], record["value"], record["conflicts"]) == (
        False,
        None,
        "240000.00",
        "None declared",
    )
    assert record["decision"].endswith("to Acme Systems Ltd, worth £240,000.00 excluding VAT.")
    summaries = {"assessment_summaries_sent_on": "2026-04-07"}  # to each assessed supplier first (PA23 s50(3))
    officer.post(f"/cases/{procurement}/actions", {"trigger": "record_assessment_summaries", "inputs": summaries})
    officer.post(
        f"/cases/{procurement}/actions",
        {"trigger": "publish_award_notice", "inputs": {"award_notice_published_on": "2026-04-08"}},
    )
    shown = officer.get(f"/cases/{procurement}").get_json()
    dates = {d["kind"]: d["due_on"] for d in shown["key_dates"]}
    assert dates["standstill_end"] == "2026-04-17"
    actions = {a["trigger"]: a for a in shown["available_actions"]}
    assert actions["end_standstill"]["not_yet"] == [
        "Standstill runs to the end of 17 April 2026 (Procurement Act 2023 s51)"
    ]
    assert actions["terminate_procurement"]["not_yet"] == []
    early = officer.post(f"/cases/{procurement}/actions", {"trigger": "end_standstill"}, status=422).get_json()
    assert early["missing"] and "standstill" in early["missing"][0].lower()
    clock.set(date(2026, 4, 20))
    officer.post(f"/cases/{procurement}/actions", {"trigger": "end_standstill"})
    officer.post(
        f"/cases/{procurement}/actions",
        {
            "trigger": "sign_contract",
            "inputs": {
                "signed_on": "2026-04-20",
                "start_date": "2026-05-01",
                "end_date": "2029-04-30",
                "extension_months": 24,
            },
        },
    )
    done = officer.post(
        f"/cases/{procurement}/actions",
        {"trigger": "publish_contract_details", "inputs": {"contract_details_published_on": "2026-04-22"}},
    ).get_json()
    assert done["to_state"] == "handed_over"
    [contract_case] = done["opened_cases"]
    contract_id = officer.get(f"/cases/{procurement}").get_json()["linked"]["contract_id"]
    contract = officer.get(f"/contracts/{contract_id}").get_json()
    assert contract["supplier_name"] == "Acme Systems Ltd" and contract["value"] == "240000.00"
    kinds = ("sme", "vcse", "supported_employment", "public_service_mutual")
    assert [contract[f"supplier_is_{kind}"] for kind in kinds] == [True, False, False, True]
    assert (contract["supplier_registration"], contract["supplier_ppon"]) == ("01234567", "PABC-1234-DEFG")
    assert contract["irrecoverable_vat"] == "0.00"
    notices = officer.get(f"/cases/{procurement}/ocds").get_json()
    assert [r["tender"]["documents"][0]["noticeType"] for r in notices["releases"]] == ["UK4", "UK6", "UK7"]
    assert notices["releases"][-1]["contracts"][0]["status"] == "active"

    # Contract management and the renewal decision.
    officer.post(f"/cases/{contract_case}/actions", {"trigger": "go_live"})
    officer.post(f"/cases/{contract_case}/actions", {"trigger": "open_renewal_decision"})
    officer.post(f"/cases/{contract_case}/actions", {"trigger": "propose_recommission"})
    final = head.post(
        f"/approvals/{contract_case}/decision", {"outcome": "approve", "declaration": DECLARED}
    ).get_json()
    assert final["to_state"] == "recommissioning"

    trail = officer.get(f"/cases/{procurement}/audit").get_json()
    assert trail["chain_verified"] and trail["items"][0]["action"] == "open"
    assert [e["seq"] for e in trail["items"]] == list(range(1, len(trail["items"]) + 1))


def test_a_variation_through_the_api_shows_what_it_changes_and_waits_for_its_notice(api, core, db, clock):
    from tests.test_notices import _public_contract

    p = hub_people(db)
    contract = _public_contract(core, p)  # 500,000 to 30 June 2028, let under the Act
    manager, head = api(p.contract_manager), api(p.head)
    inputs = {"variation_description": "Two more depots", "new_value": "650000", "new_end_date": "2028-06-30"}
    action = {"trigger": "propose_variation", "inputs": inputs}
    # PA23 s74: the basis in law, one of those the case's actions offer.
    [asked] = [
        i
        for a in manager.get(f"/cases/{contract.case_id}").get_json()["available_actions"]
        if a["trigger"] == "propose_variation"
        for i in a["inputs"]
        if i["name"] == "modification_basis"
    ]
    assert asked["type"] == "choice" and "additional" in {o["code"] for o in asked["options"]}
    refused = manager.post(
        f"/cases/{contract.case_id}/actions", {**action, "inputs": {**inputs, "modification_basis": "whim"}}, status=422
    )
    assert "modification_basis" in {e["field"] for e in refused.get_json()["errors"]}
    inputs["modification_basis"] = "additional"
    manager.post(f"/cases/{contract.case_id}/actions", action)
    proposal = head.get(f"/cases/{contract.case_id}").get_json()["proposal"]
    assert proposal == {
        "kind": "variation",
        "approved": False,
        "description": "Two more depots",
        "value_now": "500000.00",
        "value_proposed": "650000.00",
        "end_date_now": "2028-06-30",
        "end_date_proposed": "2028-06-30",
        "change_notice_needed": True,
        "change_notice": "value changes by 30.0%, more than 10% (PA23 s75)",
        "voluntary_standstill": False,
        "key_decision": "",  # it adds 150,000: OCC's figure for a variation is 1,000,000
        "basis": "Additional goods, services or works that a change of supplier could not provide without serious "
        "disadvantage, adding no more than 50% to the value (Schedule 8)",
        "new_supplier": "",  # the supplier stays the same
    }
    head.post(f"/approvals/{contract.case_id}/decision", {"outcome": "approve", "declaration": DECLARED})
    shown = manager.get(f"/cases/{contract.case_id}").get_json()
    assert shown["state"] == "change_notice_pending" and shown["proposal"]["approved"] is True
    [owed] = shown["key_dates"]
    assert (owed["kind"], owed["name"]) == ("contract_change_notice", "Contract change notice (UK10)")
    actions = {a["trigger"]: a for a in shown["available_actions"]}
    assert actions["make_variation"]["not_yet"][0].startswith("Record the contract change notice as published first")
    manager.post(
        f"/cases/{contract.case_id}/notices",
        {"kind": "contract_change_notice", "published_on": clock.today.isoformat()},
    )
    made = manager.post(f"/cases/{contract.case_id}/actions", {"trigger": "make_variation"}).get_json()
    assert made["to_state"] == "live"
    assert manager.get(f"/contracts/{contract.id}").get_json()["value"] == "650000.00"
    assert manager.get(f"/cases/{contract.case_id}").get_json()["proposal"] is None


def test_a_key_decision_variation_through_the_api(api, core, db, clock):
    """The proposal says why the Executive takes it; the forward plan entry and the wait are the API's too."""
    from tests.factories import register_contract

    p = hub_people(db, "CDC")
    contract = register_contract(core, p, value="400000", ends=date(2027, 6, 30), authority="CDC")
    manager, head, executive = api(p.contract_manager), api(p.head), api(p.executive)
    inputs = {"variation_description": "More depots", "new_value": "480000", "new_end_date": "2027-06-30"}
    inputs["modification_basis"] = "unforeseeable"  # PCR 2015 regulation 72(1)(c): 20% more
    manager.post(f"/cases/{contract.case_id}/actions", {"trigger": "propose_variation", "inputs": inputs})
    proposal = manager.get(f"/cases/{contract.case_id}").get_json()["proposal"]
    assert proposal["key_decision"].startswith("key decision for CDC: the variation adds £80,000.00")
    entry = {"forward_plan_published_on": clock.today.isoformat()}
    manager.post(f"/cases/{contract.case_id}/actions", {"trigger": "record_forward_plan", "inputs": entry})
    head.post(f"/approvals/{contract.case_id}/decision", {"outcome": "approve", "declaration": DECLARED})
    shown = executive.get(f"/cases/{contract.case_id}").get_json()
    assert shown["state"] == "variation_executive_decision"
    assert {d["kind"] for d in shown["key_dates"]} == {"forward_plan"}
    refused = executive.post(
        f"/approvals/{contract.case_id}/decision", {"outcome": "approve", "declaration": DECLARED}, status=422
    ).get_json()
    assert (
        refused["detail"]
        == "A key decision cannot be taken before 31 March 2026: it is on the forward plan for 28 clear days first"
    )
