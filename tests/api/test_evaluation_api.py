"""A procurement's evaluation through the API, as an e-tendering portal would send it: the award criteria, the
tenders received, the panel's scores; and who may see the prices."""

from __future__ import annotations

from datetime import date

from tests.factories import create_user, hub_people, ready_for_the_market, register_contract
from tests.test_evaluation import _to_evaluation

CRITERIA = [
    {"name": "Delivery and mobilisation", "kind": "quality", "weighting": 40},
    {"name": "Social value", "kind": "social_value", "weighting": 10},
    {"name": "Price", "kind": "price", "weighting": 50},
]


def _tender(name: str, price: str, **more) -> dict:
    return {
        "supplier_name": name,
        "supplier_is_sme": True,
        "supplier_is_vcse": False,
        "price": price,
        "received_on": "2026-03-02",
        **more,
    }


def test_criteria_tenders_and_scores_through_the_api(api, core, db, clock):
    people = hub_people(db)
    stranger = create_user(db, ("category_officer", "CDC", "cnc"))
    case_id = ready_for_the_market(core.engine, people, value="250000")
    base = f"/cases/{case_id}/evaluation"
    officer = api(people.officer)

    refused = officer.call("PUT", f"{base}/criteria", {"criteria": CRITERIA[:2]}, status=422).json
    assert "The weightings must add up to 100%; these add up to 50%" in str(refused)
    api(people.requester).call("PUT", f"{base}/criteria", {"criteria": CRITERIA}, status=403)
    api(stranger).call("PUT", f"{base}/criteria", {"criteria": CRITERIA}, status=404)
    criteria = officer.call("PUT", f"{base}/criteria", {"criteria": CRITERIA}, status=200).json["criteria"]
    assert [(c["position"], c["name"], c["weighting"]) for c in criteria] == [
        (1, "Delivery and mobilisation", 40),
        (2, "Social value", 10),
        (3, "Price", 50),
    ]
    officer.post(f"{base}/tenders", _tender("Acme Ltd", "240000"), status=409)  # not before the tenders close

    _to_evaluation(core, clock, people, case_id)
    officer.post(f"{base}/tenders", _tender("Acme Ltd", "a lot"), status=422)
    officer.post(f"{base}/tenders", _tender("Acme Ltd", "240000") | {"supplier_ppon": "PACM-12"}, status=422)
    officer.post(
        f"{base}/tenders", _tender("Acme Ltd", "240000") | {"supplier_ppon": "GB-PPON-pacm-1234-ltdx"}, status=201
    )
    body = officer.post(f"{base}/tenders", _tender("Brightwork CIC", "200000"), status=201).json
    acme, brightwork = body["tenders"]
    assert (acme["supplier_ppon"], brightwork["supplier_ppon"]) == ("PACM-1234-LTDX", "")
    assert (acme["supplier_name"], acme["price"], acme["points"], acme["total"]) == (
        "Acme Ltd",
        "240000.00",
        {str(criteria[2]["id"]): "41.67"},
        None,
    )
    quality, social = criteria[0]["id"], criteria[1]["id"]
    for tender, marks in ((acme, (5, 4)), (brightwork, (3, 5))):
        scores = [
            {"criterion_id": quality, "score": marks[0], "reasons": "A clear plan"},
            {"criterion_id": social, "score": marks[1], "reasons": "Local jobs"},
        ]
        officer.call("PUT", f"{base}/tenders/{tender['id']}/marks", {"scores": scores}, status=200)  # own marks
        body = officer.call("PUT", f"{base}/tenders/{tender['id']}/scores", {"scores": scores}, status=200).json
    assert body["complete"] and body["most_advantageous"] == [acme["id"]]
    assert [(t["supplier_name"], t["total"], t["rank"]) for t in body["tenders"]] == [
        ("Acme Ltd", "89.67", 1),
        ("Brightwork CIC", "84.00", 2),
    ]

    # The requester learns how many tenders came in, not their prices.
    seen = api(people.requester).get(base).json
    assert seen["tenders_received"] == 2 and seen["tenders"] is None
    late = officer.call(
        "PUT",
        f"{base}/tenders/{brightwork['id']}",
        _tender("Brightwork CIC", "200000", not_assessed_because="Late"),
        status=200,
    ).json
    assert late["tenders"][1]["scores"] == [] and late["most_advantageous"] == [acme["id"]]
    assert officer.post(f"{base}/tenders/{brightwork['id']}/remove").json["tenders_received"] == 1

    # The supplier's own record lists its tender and how it fared.
    register_contract(core, people, value="9000", ends=date(2028, 3, 31), supplier_name="Acme Ltd")
    tenders = officer.get("/suppliers/acme").json["tenders"]
    assert [(t["case_id"], t["price"], t["outcome"]) for t in tenders] == [
        (case_id, "240000.00", "Being evaluated, ranked 1 of 1")
    ]


def test_the_suppliers_invited_to_tender_are_corrected_through_the_api(api, core, db, clock):
    """A competitive flexible procedure's invitation left a supplier out: the list is corrected, saying why,
    and its tender, recorded as not invited, is assessed."""
    from tests.factories import act, in_participation

    people = hub_people(db)
    case_id = in_participation(core.engine, people)
    clock.set(date(2026, 3, 30))
    invite = {"tenders_invited_on": "2026-03-30", "tenders_close_on": "2026-04-27", "invited_suppliers": "Acme Ltd"}
    act(core.engine, case_id, "invite_tenders", people.officer, inputs=invite)
    clock.set(date(2026, 4, 28))
    act(core.engine, case_id, "close_tenders", people.officer)
    base = f"/cases/{case_id}/evaluation"
    officer = api(people.officer)
    body = officer.post(f"{base}/tenders", _tender("Brightwork CIC", "200000"), status=201).json
    assert body["tenders"][0]["not_assessed_because"].startswith("Not invited to tender")
    fixed = {"invited_suppliers": ["Acme Ltd", "Brightwork CIC"], "reason": "Brightwork was left out"}
    api(people.requester).call("PUT", f"{base}/invitations", fixed, status=403)
    refused = officer.call("PUT", f"{base}/invitations", {**fixed, "reason": " "}, status=422).json
    assert "Say why the list is corrected" in str(refused)
    body = officer.call("PUT", f"{base}/invitations", fixed, status=200).json
    assert body["tenders"][0]["not_assessed_because"] == ""


def test_requests_to_participate_are_recorded_and_set_aside_through_the_api(api, core, db, clock):
    """A portal records each request to participate as it arrives; the team sets one aside; the invitation
    names no other supplier; a requester sees how many came in, not who."""
    from tests.factories import act, in_participation

    people = hub_people(db)
    case_id = in_participation(core.engine, people)
    clock.set(date(2026, 3, 20))
    base = f"/cases/{case_id}/evaluation/requests-to-participate"
    officer = api(people.officer)
    made = {
        "supplier_name": "Acme Ltd",
        "supplier_is_sme": True,
        "supplier_is_vcse": False,
        "received_on": "2026-03-12",
        "exclusions_checked_on": "2026-03-13",
    }
    refused = officer.post(base, {**made, "supplier_ppon": "PACM-12"}, status=422).json
    assert "Give the PPON as four letters, four digits and four letters" in str(refused)
    body = officer.post(base, {**made, "supplier_ppon": "gb-ppon-pacm-1234-ltdx"}, status=201).json
    [acme] = body["requests_to_participate"]
    assert (acme["supplier_name"], acme["set_aside_because"], body["requests_to_participate_received"]) == (
        "Acme Ltd",
        "",
        1,
    )
    assert acme["supplier_ppon"] == "PACM-1234-LTDX"
    refused = officer.post(base, {**made, "supplier_name": "ACME LIMITED"}, status=422).json
    assert "A request to participate from Acme Ltd is recorded already" in str(refused)
    brightwork = officer.post(base, {**made, "supplier_name": "Brightwork CIC"}, status=201).json
    brightwork_id = brightwork["requests_to_participate"][1]["id"]
    api(people.requester).call("PUT", f"{base}/{brightwork_id}", made, status=403)
    set_aside = {**made, "supplier_name": "Brightwork CIC", "set_aside_because": "Failed the financial standing test"}
    body = officer.call("PUT", f"{base}/{brightwork_id}", set_aside, status=200).json
    assert body["requests_to_participate"][1]["set_aside_because"] == "Failed the financial standing test"
    seen = api(people.requester).get(f"/cases/{case_id}/evaluation").json
    assert seen["requests_to_participate_received"] == 2 and seen["requests_to_participate"] is None

    clock.set(date(2026, 3, 30))
    invite = {"tenders_invited_on": "2026-03-30", "tenders_close_on": "2026-04-27"}
    refused = officer.post(
        f"/cases/{case_id}/actions",
        {"trigger": "invite_tenders", "inputs": {**invite, "invited_suppliers": "Acme Ltd\nBrightwork CIC"}},
        status=422,
    ).json
    assert "Brightwork CIC's request to participate was set aside" in str(refused)
    act(core.engine, case_id, "invite_tenders", people.officer, inputs={**invite, "invited_suppliers": "Acme Ltd"})
    officer.post(f"{base}/{brightwork_id}/remove", status=409)  # tenders are invited: the requests are kept


def test_a_closing_date_is_extended_through_the_api(api, core, db, clock):
    from tests.factories import publish_tender_notice, ready_for_the_market

    people = hub_people(db)
    case_id = ready_for_the_market(core.engine, people, value="250000")
    publish_tender_notice(core.engine, case_id, people.officer)  # tenders close 6 April 2026
    clock.set(date(2026, 4, 1))
    url = f"/cases/{case_id}/closing-dates/tenders"
    body = {"closes_on": "2026-04-20", "revised_notice_published_on": "2026-04-01", "reason": "A late answer"}
    api(people.requester).post(url, body, status=403)
    refused = api(people.officer).post(url, {**body, "closes_on": "2026-04-01"}, status=422).json
    assert "An extension is later than the closing date now" in str(refused)
    api(people.officer).post(url, {**body, "notice_id": "x" * 41}, status=422)
    case = api(people.officer).post(url, {**body, "notice_id": "012345-2026"}, status=200).json
    assert case["details"]["tenders_close_on"] == "2026-04-20"
    api(people.officer).post(f"/cases/{case_id}/closing-dates/lunch", body, status=409)


def test_a_reserved_competition_s_tenders_say_whether_their_supplier_is_within_it(api, core, db, clock):
    """The 2026 Order through the API: where the tender notice reserved the competition to
    suppliers based in one place, each tender says whether its supplier is based there."""
    from tests.factories import act, publish_tender_notice
    from tests.test_reservations import LEFT_OUT, LOCAL_SMES

    people = hub_people(db)
    case_id = ready_for_the_market(core.engine, people, value="100000")
    publish_tender_notice(core.engine, case_id, people.officer, **LOCAL_SMES)
    clock.set(date(2026, 4, 7))
    act(core.engine, case_id, "close_tenders", people.officer)
    officer, base = api(people.officer), f"/cases/{case_id}/evaluation"
    refused = officer.post(f"{base}/tenders", _tender("Banbury Care Ltd", "90000"), status=422).json
    assert "Say whether the supplier is based in Oxfordshire" in str(refused)
    officer.post(f"{base}/tenders", _tender("Banbury Care Ltd", "90000", supplier_within_reservation=True), status=201)
    body = officer.post(
        f"{base}/tenders", _tender("Reading Ltd", "80000", supplier_within_reservation=False), status=201
    ).json
    assert [
        (t["supplier_name"], t["supplier_within_reservation"], t["not_assessed_because"]) for t in body["tenders"]
    ] == [
        ("Banbury Care Ltd", True, ""),
        ("Reading Ltd", False, LEFT_OUT),
    ]


def test_a_reserved_procedure_s_requests_through_the_api_answer_its_question(api, core, db):
    """PA23 s32 through the API: a portal sends each request with the supplier's answer to the reservation."""
    from tests.test_reservations import SUPPORTED, _flexible, _reserved_notice

    people = hub_people(db)
    case_id = _flexible(core, db, people)
    _reserved_notice(core, people, case_id, "supported_employment_providers")
    officer, base = api(people.officer), f"/cases/{case_id}/evaluation/requests-to-participate"
    request = {"supplier_name": "Abilities Works CIC", "supplier_is_sme": False, "supplier_is_vcse": True,
               "received_on": "2026-03-02"}  # fmt: skip
    refused = officer.post(base, request, status=422).json
    assert "Say whether the supplier is a supported employment provider" in str(refused)
    officer.post(base, request | {"supplier_within_reservation": True}, status=201)
    body = officer.post(
        base, request | {"supplier_name": "Ordinary Office Ltd", "supplier_within_reservation": False}, status=201
    ).json
    assert [
        (r["supplier_name"], r["supplier_within_reservation"], r["set_aside_because"])
        for r in body["requests_to_participate"]
    ] == [("Abilities Works CIC", True, ""), ("Ordinary Office Ltd", False, SUPPORTED)]
