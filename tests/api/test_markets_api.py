"""Dynamic markets through the API: what a portal reads of the councils' markets, and the applications to join
that it sends."""

from __future__ import annotations

from datetime import date

from provision_cycle.services import markets
from provision_cycle.services.markets import MarketGiven
from tests.factories import hub_people


def _application(name: str, applied_on: str = "2026-02-20") -> dict:
    return {"supplier_name": name, "supplier_is_sme": True, "supplier_is_vcse": False, "applied_on": applied_on}


def test_markets_and_their_applications_through_the_api(api, core, db):
    people = hub_people(db)
    given = MarketGiven("Home to school transport", "Taxis", "An operator's licence", "OCC", "ict", date(2026, 2, 2))
    market_id = markets.open_market(core, people.officer, given)
    markets.establish_market(core, market_id, people.officer, date(2026, 2, 16))
    officer = api(people.officer)

    officer.post(f"/markets/{market_id}/applications", _application("Acme Cabs", "2026-03-09"), status=422)
    with_ppon = _application("Acme Cabs") | {"supplier_ppon": "PACM-1234"}
    refused = officer.post(f"/markets/{market_id}/applications", with_ppon, status=422).json
    assert "Give the PPON as four letters, four digits and four letters" in str(refused)
    with_ppon["supplier_ppon"] = "pacm-1234-cabs"
    body = officer.post(f"/markets/{market_id}/applications", with_ppon, status=201).json
    assert body["applications"][0]["supplier_ppon"] == "PACM-1234-CABS"
    assert (body["reference"], body["status"], body["members"], body["applications_waiting"]) == (
        f"DM-{market_id:06d}",
        "UK14",
        0,
        1,
    )
    assert [n["kind"] for n in body["notices"]] == ["UK13", "UK14"]
    [application] = body["applications"]
    markets.admit(core, market_id, application["id"], people.officer, date(2026, 2, 23), date(2026, 2, 23))
    body = officer.get(f"/markets/{market_id}").json
    assert (body["applications"][0]["status"], body["applications"][0]["exclusions_checked_on"]) == (
        "member",
        "2026-02-23",
    )
    assert body["conditions"] == "An operator's licence" and body["procurements"] == []
    assert [m["reference"] for m in officer.get("/markets").json["items"]] == [f"DM-{market_id:06d}"]

    api(people.finance).post(f"/markets/{market_id}/applications", _application("Bodge"), status=403)
    cdc = hub_people(db, "CDC")
    api(cdc.head).get(f"/markets/{market_id}", status=404)
    assert api(cdc.head).get("/markets").json["items"] == []


def test_a_market_is_run_through_the_api(api, core, db):
    """What a portal that runs the market sends: the market opened, established and modified, an application
    admitted, another refused, a member removed; each refused with the service's own reasons where it must."""
    people = hub_people(db)
    officer = api(people.officer)
    market = {
        "title": "Home to school transport",
        "conditions": "An operator's licence",
        "authority": "OCC",
        "category": "ict",
        "intention_published_on": "2026-02-02",
    }
    refused = officer.post("/markets", {**market, "category": "kettles"}, status=422).json
    assert "Choose the category of what the market is for" in str(refused)
    api(people.finance).post("/markets", market, status=403)
    body = officer.post("/markets", market, status=201).json
    base = f"/markets/{body['id']}"
    assert body["status"] == "UK13"
    officer.post(f"{base}/notices", {"kind": "UK15", "published_on": "2026-02-10", "summary": "x"}, status=409)
    officer.post(f"{base}/notices", {"kind": "UK13", "published_on": "2026-02-10"}, status=422)
    assert (
        officer.post(
            f"{base}/notices", {"kind": "UK14", "published_on": "2026-02-16", "notice_id": "004321-2026"}, status=201
        ).json["status"]
        == "UK14"
    )
    for name in ("Acme Cabs", "Bodge Transport"):
        body = officer.post(f"{base}/applications", _application(name), status=201).json
    acme, bodge = (a["id"] for a in body["applications"])
    admission = {"decided_on": "2026-02-23", "exclusions_checked_on": "2026-02-24"}
    officer.post(f"{base}/applications/{acme}/admit", admission, status=422)  # checked after admitting
    admission["exclusions_checked_on"] = "2026-02-22"
    assert officer.post(f"{base}/applications/{acme}/admit", admission).json["members"] == 1
    officer.post(f"{base}/applications/{bodge}/refuse", {"on": "2026-02-24", "because": " "}, status=422)
    officer.post(f"{base}/applications/{bodge}/refuse", {"on": "2026-02-24", "because": "No licence"})
    officer.post(f"{base}/applications/{bodge}/admit", admission, status=409)  # decided already
    body = officer.post(f"{base}/applications/{acme}/remove", {"on": "2026-02-27", "because": "Excluded"}).json
    assert [(a["supplier_name"], a["status"]) for a in body["applications"]] == [
        ("Acme Cabs", "removed"),
        ("Bodge Transport", "refused"),
    ]
    cessation = {"kind": "UK16", "published_on": "2026-03-02", "summary": "Replaced"}
    assert officer.post(f"{base}/notices", cessation, status=201).json["status"] == "UK16"
    assert [n["notice_id"] for n in officer.get(base).json["notices"]] == ["", "004321-2026", ""]
    package = officer.get(f"{base}/ocds").json
    assert [(r["tag"], r["tender"]["status"]) for r in package["releases"]] == [
        (["tender"], "active"),
        (["tenderUpdate"], "active"),
        (["tenderUpdate"], "complete"),
    ]
    api(people.requester).get(f"{base}/ocds", status=404)


def test_a_market_in_parts_through_the_api(api, core, db):
    people = hub_people(db)
    officer = api(people.officer)
    market = {"title": "Home care", "authority": "OCC", "category": "ict", "intention_published_on": "2026-02-02"}
    body = officer.post("/markets", {**market, "parts": ["North", "South"]}, status=201).json
    base = f"/markets/{body['id']}"
    assert body["parts"] == ["North", "South"]
    officer.post(f"{base}/applications", _application("Acme Cabs"), status=422)  # which parts?
    body = officer.post(f"{base}/applications", {**_application("Acme Cabs"), "parts": ["North", "South"]}, status=201)
    [application] = body.json["applications"]
    admission = {"decided_on": "2026-02-23", "exclusions_checked_on": "2026-02-23", "parts": ["North"]}
    body = officer.post(f"{base}/applications/{application['id']}/admit", admission).json
    assert (body["applications"][0]["status"], body["applications"][0]["parts"]) == ("member", ["North"])

    officer.post(f"{base}/notices", {"kind": "UK14", "published_on": "2026-02-24"}, status=201)
    modification = {"kind": "UK15", "published_on": "2026-03-01", "summary": "Routes to the east"}
    refused = officer.post(f"{base}/notices", {**modification, "kind": "UK16", "parts_added": ["East"]}, status=422)
    assert "Only a modification adds parts to a market" in str(refused.json)
    body = officer.post(f"{base}/notices", {**modification, "parts_added": ["East"]}, status=201).json
    assert body["parts"] == ["North", "South", "East"] and body["notices"][-1]["parts_added"] == ["East"]
    more = officer.post(f"{base}/applications", {**_application("Acme Cabs"), "parts": ["East"]}, status=201).json
    assert (more["applications"][-1]["status"], more["applications"][-1]["extends"]) == ("waiting", application["id"])
    admission["parts"] = ["East"]
    body = officer.post(f"{base}/applications/{more['applications'][-1]['id']}/admit", admission).json
    assert [(a["status"], a["parts"]) for a in body["applications"]] == [
        ("member", ["North", "East"]),
        ("extended", ["East"]),
    ]
