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
    body = officer.post(f"/markets/{market_id}/applications", _application("Acme Cabs"), status=201).json
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
