"""The frameworks register through the API: added, corrected and read, with the call-offs made under each."""

from __future__ import annotations

from tests.factories import act, called_off, hub_people, ready_for_the_market

FRAMEWORK = {
    "provider": "Crown Commercial Service",
    "reference": "RM6098",
    "title": "Technology Products 2",
    "regime": "PCR2015",
    "starts_on": "2021-07-01",
    "ends_on": "2026-12-31",
    "authority": "OCC",
}


def test_frameworks_through_the_api(api, core, db):
    people = hub_people(db)
    officer = api(people.officer)
    refused = officer.post("/frameworks", {**FRAMEWORK, "regime": "PA2023"}, status=422).json
    assert "procured under the Public Contracts Regulations 2015" in str(refused)
    refused = officer.post("/frameworks", {**FRAMEWORK, "ends_on": "9999-12-31"}, status=422).json
    assert "9999-12-31 is not a plausible date: check the year" in str(refused)
    api(people.finance).post("/frameworks", FRAMEWORK, status=403)
    body = officer.post("/frameworks", FRAMEWORK, status=201).json
    assert (body["running"], body["call_offs"], body["lot"]) == (True, [], "")
    assert (body["open_framework"], body["runs_past_the_usual_term"]) == (False, True)  # 5.5 years, PCR 2015
    under_the_act = {**FRAMEWORK, "reference": "YPO 1", "regime": "PA2023", "starts_on": "2025-04-01"}
    refused = officer.post("/frameworks", {**under_the_act, "ends_on": "2033-03-31"}, status=422).json
    assert "a framework runs four years at most (s47)" in str(refused)
    opened = officer.post("/frameworks", {**under_the_act, "ends_on": "2033-03-31", "open_framework": True}, status=201)
    assert (opened.json["open_framework"], opened.json["runs_past_the_usual_term"]) == (True, False)
    assert (body["suppliers"], opened.json["suppliers"]) == ([], [])  # not recorded: anyone may be called off
    named = {**under_the_act, "reference": "YPO 2", "ends_on": "2029-03-31", "suppliers": ["Acme Ltd", "Bodge IT"]}
    assert officer.post("/frameworks", named, status=201).json["suppliers"] == ["Acme Ltd", "Bodge IT"]
    charging = {**named, "reference": "YPO 3", "fee_percent": "1.25"}
    assert officer.post("/frameworks", charging, status=201).json["fee_percent"] == "1.25"
    officer.post("/frameworks", {**charging, "reference": "YPO 4", "fee_percent": "1.255"}, status=422)
    corrected = officer.call(
        "PUT", f"/frameworks/{body['id']}/details", {**FRAMEWORK, "ends_on": "2027-06-30"}, status=200
    )
    assert corrected.json["ends_on"] == "2027-06-30"

    case_id = ready_for_the_market(core.engine, people, value="250000", route="framework_call_off")
    act(
        core.engine,
        case_id,
        "start_call_off",
        people.officer,
        inputs={"framework": str(body["id"]), "direct_call_off": False},
    )
    listed = api(people.finance).get("/frameworks").json["items"]
    assert [framework["call_offs"] for framework in listed] == [[], [], [], [f"PRC-{case_id:06d}"]]  # longest first
    by_reference = {framework["reference"]: framework for framework in listed}
    charging, called_off_under = by_reference["YPO 3"], by_reference["RM6098"]
    assert (charging["fee_percent"], charging["value_awarded"], charging["fees_on_awarded"]) == ("1.25", "0.00", "0.00")
    assert (called_off_under["call_offs_awarded"], called_off_under["fees_on_awarded"]) == (0, None)  # not yet
    assert called_off_under["call_offs_not_seen"] == 0
    cdc = hub_people(db, "CDC")
    api(cdc.head).get(f"/frameworks/{body['id']}", status=404)
    api(cdc.officer).call("PUT", f"/frameworks/{body['id']}/details", {**FRAMEWORK, "authority": "CDC"}, status=404)


def test_a_call_off_s_award_suggests_its_framework_s_suppliers(api, core, db):
    people = hub_people(db)
    officer = api(people.officer)
    listed = {**FRAMEWORK, "suppliers": ["Acme Ltd", "Bodge IT"], "direct_award": True}
    framework_id = officer.post("/frameworks", listed, status=201).json["id"]
    case_id = called_off(core.engine, people, framework_id)
    [asked] = [
        i
        for a in officer.get(f"/cases/{case_id}").get_json()["available_actions"]
        if a["trigger"] == "recommend_award"
        for i in a["inputs"]
        if i["name"] == "supplier_name"
    ]
    assert (asked["type"], asked["suggestions"]) == ("line", ["Acme Ltd", "Bodge IT"])


def test_an_open_framework_s_re_openings_through_the_api(api, core, db):
    """An open framework says when it must next be re-opened (PA23 s49(2)(a)) and takes its re-openings."""
    people = hub_people(db)
    officer = api(people.officer)
    scheme = {**FRAMEWORK, "reference": "OCC-HC-01", "regime": "PA2023", "starts_on": "2025-06-02",
              "ends_on": "2033-06-01", "open_framework": True, "council_established": True,
              "suppliers": ["Acme Care", "Bright Homes"]}  # fmt: skip
    body = officer.post("/frameworks", scheme, status=201).json
    assert (body["council_established"], body["reopened_on"], body["reopening_due_by"]) == (True, [], "2028-06-01")
    closed = officer.post("/frameworks", FRAMEWORK, status=201).json
    assert (closed["reopening_due_by"], closed["dps"]) == (None, False)
    dps = {**FRAMEWORK, "reference": "OCC-DPS-7", "ends_on": "2028-03-31", "dps": True}
    assert officer.post("/frameworks", dps, status=201).json["dps"] is True
    refused = officer.post("/frameworks", {**dps, "reference": "OCC-DPS-8", "ends_on": "2030-03-31"}, status=422)
    assert "runs to 23 February 2029 at the latest" in str(refused.json)
    url = f"/frameworks/{body['id']}/reopenings"
    refused = officer.post(url, {"awarded_on": "2025-06-01", "suppliers": []}, status=422).json
    assert "A re-opening comes after the framework's latest award, on 2 June 2025" in str(refused)
    officer.post(f"/frameworks/{closed['id']}/reopenings", {"awarded_on": "2026-01-05", "suppliers": []}, status=422)
    api(people.finance).post(url, {"awarded_on": "2026-01-05", "suppliers": []}, status=404)
    reopened = officer.post(url, {"awarded_on": "2026-01-05", "suppliers": ["Acme Care", "Bright Homes"]}, status=201)
    assert (reopened.json["reopened_on"], reopened.json["reopening_due_by"]) == (["2026-01-05"], "2031-01-04")
    assert reopened.json["suppliers"] == ["Acme Care", "Bright Homes"]
    listed = {item["reference"]: item for item in api(people.finance).get("/frameworks").json["items"]}
    assert listed["OCC-HC-01"]["reopened_on"] == ["2026-01-05"]


def test_a_joint_framework_names_to_each_council_only_the_call_offs_it_may_see(api, core, db):
    people, cherwell = hub_people(db), hub_people(db, "CDC")
    framework_id = api(people.officer).post("/frameworks", {**FRAMEWORK, "authority": "JOINT"}, status=201).json["id"]
    case_id = called_off(core.engine, people, framework_id, directly=False)
    occ = api(people.officer).get(f"/frameworks/{framework_id}").json
    assert (occ["call_offs"], occ["call_offs_not_seen"]) == ([f"PRC-{case_id:06d}"], 0)
    cdc = api(cherwell.officer).get(f"/frameworks/{framework_id}").json  # OCC's call-off: counted, not named
    assert (cdc["call_offs"], cdc["call_offs_not_seen"]) == ([], 1)
