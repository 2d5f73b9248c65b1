"""A procurement's notices as OCDS 1.1 releases: valid against the official 1.1.5 schemas (offline), and
carrying what each notice published."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema_rs
import pytest
from sqlalchemy import select

from provision_cycle.errors import InvalidInput, NotFound
from provision_cycle.models import Case, Contract
from provision_cycle.services import markets
from provision_cycle.services.ocds import case_release_package, market_release_package

from .factories import (
    AWARD_INPUTS,
    act,
    approve_gate,
    award_recommended,
    contract_from_open_procedure,
    create_user,
    declare,
    enter_into_contract,
    hub_people,
    new_request,
    open_market,
    ready_for_the_market,
    ready_to_recommend,
)

SCHEMAS = Path(__file__).parent / "data" / "ocds-1.1.5"
RELEASE_SCHEMA_URL = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"


def _package_errors(package: dict) -> list[str]:
    release_schema = json.loads((SCHEMAS / "release-schema.json").read_text())
    validator = jsonschema_rs.Draft4Validator(
        json.loads((SCHEMAS / "release-package-schema.json").read_text()),
        registry=jsonschema_rs.Registry([(RELEASE_SCHEMA_URL, release_schema)]),
        validate_formats=True,
    )
    return [f"{list(error.instance_path)}: {error.message}" for error in validator.iter_errors(package)]


def _package(core, db, person, case_id):
    with db.reading() as session:
        return case_release_package(core, session, core.engine.actor(session, person), case_id)


def test_a_procurement_from_tender_to_contract_details_is_three_valid_releases(core, db, clock):
    people = hub_people(db)
    # Tender notice 2 March, award notice 8 April, contract details notice 24 April.
    case_id = contract_from_open_procedure(core.engine, clock, people)

    package = _package(core, db, people.head, case_id)
    assert _package_errors(package) == []
    tender, award, details = package["releases"]
    reference = f"PRC-{case_id:06d}"
    assert {r["ocid"] for r in package["releases"]} == {f"ocds-dev000-{reference}"}
    assert [(r["tag"], r["tender"]["documents"][0]["noticeType"]) for r in package["releases"]] == [
        (["tender"], "UK4"),
        (["award", "contract"], "UK6"),
        (["award", "contract"], "UK7"),
    ]
    assert tender["buyer"] == {"id": "OCC", "name": "Oxfordshire County Council"}
    assert tender["tender"]["procurementMethod"] == "open" and tender["tender"]["mainProcurementCategory"] == "services"
    assert tender["tender"]["legalBasis"] == {"scheme": "UKPGA", "id": "2023/54"}
    # Without VAT, and with it (the UK profile's amountGross): above the threshold, as the route plan found.
    assert tender["tender"]["value"] == {"amount": 250000.0, "currency": "GBP", "amountGross": 300000.0}
    assert tender["tender"]["aboveThreshold"] is True
    assert "items" not in tender["tender"]  # its notice's CPV code not recorded
    # Days are UK days: 6 April 2026 ends at 23:59:59 British Summer Time.
    assert tender["tender"]["tenderPeriod"] == {"startDate": "2026-03-02T00:00:00Z", "endDate": "2026-04-06T22:59:59Z"}
    supplier = award["parties"][-1]
    assert supplier == {  # by its PPON, which an award above the threshold gives, its company number beside it
        "name": "Acme Ltd",
        "roles": ["supplier"],
        "id": "GB-PPON-PACM-1234-LTDA",
        "identifier": {"scheme": "GB-PPON", "id": "PACM-1234-LTDA", "legalName": "Acme Ltd"},
        "additionalIdentifiers": [{"scheme": "GB-COH", "id": "01234567", "legalName": "Acme Ltd"}],
        "details": {
            "scale": "sme",
            "vcse": False,
            "shelteredWorkshop": False,
            "publicServiceMissionOrganization": False,
        },
    }
    assert award["awards"][0]["status"] == "pending" and award["awards"][0]["value"]["amount"] == 240000.0
    assert award["awards"][0]["standstillPeriod"]["endDate"] == "2026-04-17T22:59:59Z"  # 8 working days
    assert award["awards"][0]["assessmentSummariesDateSent"] == "2026-04-06T23:00:00Z"  # 7 April, before it
    contract = details["contracts"][0]
    assert contract["status"] == "active" and contract["awardID"] == award["awards"][0]["id"]
    assert contract["period"] == {"startDate": "2026-04-30T23:00:00Z", "endDate": "2029-04-30T22:59:59Z"}
    assert contract["dateSigned"] == "2026-04-20T23:00:00Z"


def test_a_supplier_registered_on_the_central_digital_platform_is_identified_by_its_ppon(core, db, clock):
    """PR24 regs 27 and 32: the award and contract details notices give the supplier's unique identifier, its
    PPON, as Find a Tender's data does (scheme GB-PPON; its Companies House number beside it)."""
    people = hub_people(db)
    with pytest.raises(InvalidInput) as refused:
        award_recommended(core.engine, clock, people, supplier_ppon="PABC-12345-DEFG")
    assert refused.value.fields == {
        "supplier_ppon": "Give the PPON as four letters, four digits and four letters, like PABC-1234-DEFG"
    }
    # However it is typed: any case, with or without the scheme's prefix.
    case_id = contract_from_open_procedure(core.engine, clock, people, supplier_ppon=" gb-ppon-pabc-1234-defg ")

    package = _package(core, db, people.head, case_id)
    assert _package_errors(package) == []
    _, award, details = package["releases"]
    for release in (award, details):
        assert release["parties"][-1] == {
            "name": "Acme Ltd",
            "roles": ["supplier"],
            "id": "GB-PPON-PABC-1234-DEFG",
            "identifier": {"scheme": "GB-PPON", "id": "PABC-1234-DEFG", "legalName": "Acme Ltd"},
            "additionalIdentifiers": [{"scheme": "GB-COH", "id": "01234567", "legalName": "Acme Ltd"}],
            "details": {
                "scale": "sme",
                "vcse": False,
                "shelteredWorkshop": False,
                "publicServiceMissionOrganization": False,
            },
        }
        assert release["awards"][0]["suppliers"] == [{"id": "GB-PPON-PABC-1234-DEFG", "name": "Acme Ltd"}]
    with db.reading() as session:  # the contract keeps it, for the notices that follow (UK9-UK11)
        contract = session.scalars(select(Contract).where(Contract.procurement_case_id == case_id)).one()
    assert contract.supplier_ppon == "PABC-1234-DEFG"


def test_only_a_procurement_or_contract_that_published_a_notice_has_a_package(core, db):
    people = hub_people(db)
    draft = new_request(core.engine, people.requester, value="250000")
    with pytest.raises(NotFound, match="has published no notices yet"):
        _package(core, db, people.head, draft)
    commissioning = new_request(core.engine, people.requester, value="40000", stage="commissioning")
    with pytest.raises(NotFound, match="is a commissioning case"):
        _package(core, db, people.head, commissioning)
    cherwell = create_user(db, ("head_of_category", "CDC", "cnc"))
    with pytest.raises(NotFound, match="There is no case"):  # another council's, as if it did not exist
        _package(core, db, cherwell, draft)


def test_a_joint_direct_award_names_both_councils_and_its_transparency_notice(core, db):
    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="250000", authority="JOINT", route="direct_award")
    core.engine.set_detail(case_id, people.requester, "direct_award_ground", "single_supplier")
    core.engine.set_detail(case_id, people.requester, "direct_award_justification", "It holds the licence")
    act(core.engine, case_id, "submit", people.requester)
    with db.reading() as session:
        steps = session.get(Case, case_id).route_plan["gates"]["route_approval"]
    for step in steps:  # whoever the joint route names for each step
        scope = (step["role"], step["authority"], *([step["pillar"]] if step.get("pillar") else []))
        approver = create_user(db, scope)
        approve_gate(core.engine, case_id, [approver])
    declare(core.engine, case_id, people.officer)
    act(core.engine, case_id, "complete_conflicts_assessment", people.officer)
    notice = {"transparency_notice_published_on": "2026-03-02", "transparency_notice_id": "012345-2026",
              "notified_supplier": "Acme Ltd", "notified_supplier_registration": "1234567"}  # fmt: skip
    act(core.engine, case_id, "publish_transparency_notice", people.officer, inputs=notice)
    # The notice says to whom the contract is to be awarded (PR24 reg 26), before the award is recommended.
    [release] = _package(core, db, people.head, case_id)["releases"]
    assert release["awards"][0]["status"] == "pending" and release["parties"][2] == {
        "name": "Acme Ltd",
        "roles": ["supplier"],
        "id": "GB-CHC-1234567",
        "identifier": {"scheme": "GB-CHC", "id": "1234567", "legalName": "Acme Ltd"},
    }  # its size and sector are asked at the award
    ready_to_recommend(core.engine, case_id, people)
    with pytest.raises(InvalidInput) as refused:  # the supplier the notice named, and no other (PA23 s44)
        act(
            core.engine, case_id, "recommend_award", people.officer, inputs={**AWARD_INPUTS, "supplier_name": "Bob Ltd"}
        )
    assert refused.value.fields == {
        "supplier_name": "The transparency notice said the contract is to be awarded to Acme Ltd: award it to them, "
        "or terminate the procurement and publish a new notice"
    }
    act(core.engine, case_id, "recommend_award", people.officer,
        inputs={**AWARD_INPUTS, "supplier_name": "ACME LIMITED", "supplier_registration": "1234567",
                "supplier_is_vcse": True})  # fmt: skip

    [release] = _package(core, db, people.head, case_id)["releases"]
    assert "buyer" not in release and [p["id"] for p in release["parties"]] == ["OCC", "CDC", "GB-PPON-PACM-1234-LTDA"]
    [supplier] = [party for party in release["parties"] if "supplier" in party["roles"]]
    assert supplier["additionalIdentifiers"] == [{"scheme": "GB-CHC", "id": "1234567", "legalName": "ACME LIMITED"}]
    assert release["tender"]["procurementMethod"] == "direct"
    assert release["tender"]["procurementMethodRationale"] == (
        "Only one supplier can supply it: an artistic work, exclusive rights, or no competition for technical "
        "reasons (Procurement Act 2023 s41 and Schedule 5): It holds the licence"
    )
    assert release["tender"]["documents"][0]["noticeType"] == "UK5"
    assert release["tender"]["documents"][0]["description"] == "Find a Tender notice 012345-2026"  # as the team gave it
    # The notice names the supplier the council means to award to directly, a charity here.
    assert release["parties"][2]["details"] == {
        "scale": "sme", "vcse": True, "shelteredWorkshop": False, "publicServiceMissionOrganization": False
    }  # fmt: skip
    assert release["awards"][0]["suppliers"] == [{"id": "GB-PPON-PACM-1234-LTDA", "name": "ACME LIMITED"}]
    assert _package_errors(_package(core, db, people.head, case_id)) == []


def _market_package(core, db, person, market_id):
    with db.reading() as session:
        return market_release_package(core, session, core.engine.actor(session, person), market_id)


def test_a_dynamic_market_s_notices_are_the_releases_of_a_process_of_its_own(core, db):
    """UK13 to UK16 (PA23 s39): the intention opens the process, the establishment updates it, a modification
    amends it (here adding a part), the cessation completes it."""
    people = hub_people(db)
    market_id = open_market(core, people, parts=("North", "South"))
    reference = f"DM-{market_id:06d}"
    markets.establish_market(core, market_id, people.officer, date(2026, 2, 16), notice_id=" 004321-2026 ")
    markets.modify_market(core, market_id, people.officer, date(2026, 2, 20), "Routes in the east", ["East"])
    markets.cease_market(core, market_id, people.officer, date(2026, 3, 1), "Replaced by a framework")

    package = _market_package(core, db, people.head, market_id)
    assert _package_errors(package) == []
    assert package["uri"].endswith(f"/markets/{market_id}/ocds.json")
    intention, established, modified, ceased = package["releases"]
    assert {r["ocid"] for r in package["releases"]} == {f"ocds-dev000-{reference}"}
    assert [
        (r["tag"], r["tender"]["documents"][0]["noticeType"], r["tender"]["status"]) for r in package["releases"]
    ] == [
        (["tender"], "UK13", "active"),
        (["tenderUpdate"], "UK14", "active"),
        (["tenderAmendment"], "UK15", "active"),
        (["tenderUpdate"], "UK16", "complete"),
    ]
    tender = intention["tender"]
    assert intention["buyer"] == {"id": "OCC", "name": "Oxfordshire County Council"}
    assert tender["id"] == reference and tender["title"] == "Home to school transport"
    assert tender["eligibilityCriteria"].startswith("An operator's licence")  # the conditions for membership
    assert tender["techniques"]["hasDynamicPurchasingSystem"] is True
    assert tender["legalBasis"] == {"scheme": "UKPGA", "id": "2023/54"}
    assert tender["documents"][0]["datePublished"] == "2026-02-02T00:00:00Z"
    # The parts the intention named, then the one the modification added, kept in their order.
    assert [lot["title"] for lot in established["tender"]["lots"]] == ["North", "South"]
    assert [(lot["id"], lot["title"]) for lot in modified["tender"]["lots"]] == [
        ("1", "North"),
        ("2", "South"),
        ("3", "East"),
    ]
    [amendment] = modified["tender"]["amendments"]
    assert amendment["rationale"] == "Routes in the east" and amendment["description"] == "Parts added: East"
    assert amendment["amendsReleaseID"] == established["id"] and amendment["releaseID"] == modified["id"]
    assert ceased["tender"]["documents"][0]["description"] == "Replaced by a framework"
    assert established["tender"]["documents"][0]["description"] == "Find a Tender notice 004321-2026"
    assert {lot["status"] for lot in ceased["tender"]["lots"]} == {"complete"}

    cherwell = create_user(db, ("head_of_category", "CDC", "cnc"))
    with pytest.raises(NotFound, match="There is no dynamic market"):  # another council's
        _market_package(core, db, cherwell, market_id)


def test_a_market_given_up_before_it_was_established_was_cancelled(core, db):
    people = hub_people(db)
    market_id = open_market(core, people)
    markets.cease_market(core, market_id, people.officer, date(2026, 2, 10), "No interest")
    intention, ceased = _market_package(core, db, people.head, market_id)["releases"]
    assert "lots" not in intention["tender"]
    assert ceased["tender"]["status"] == "cancelled"


def test_a_procurement_run_by_reference_to_a_market_names_it(core, db, clock):
    """PR24 regs 21 and 32(2)(e): the procurement's notices give the market's identifier, here one part's."""
    people = hub_people(db)
    market_id = open_market(core, people, parts=("North", "South"))
    markets.establish_market(core, market_id, people.officer, date(2026, 2, 16))
    reference = f"DM-{market_id:06d}"
    case_id = ready_for_the_market(core.engine, people, value="250000", route="competitive_flexible")
    notice = {
        "tender_notice_published_on": "2026-03-02",
        "participation_closes_on": "2026-03-27",
        "market_engaged": False,
        "by_dynamic_market": True,
        "dynamic_market": f"{reference}/2",
    }
    act(core.engine, case_id, "publish_tender_notice", people.officer, inputs=notice)

    package = _package(core, db, people.head, case_id)
    assert _package_errors(package) == []
    [release] = package["releases"]
    assert release["relatedProcesses"] == [
        {
            "id": "dynamic-market",
            "relationship": ["framework"],
            "title": "Home to school transport, part South",
            "scheme": "ocid",
            "identifier": f"ocds-dev000-{reference}",
        }
    ]


@pytest.mark.parametrize("exempt", [False, True], ids=["kpis", "exemption"])
def test_a_contract_over_5m_publishes_its_kpis_or_why_it_has_none_in_its_contract_details(core, db, clock, exempt):
    """PA23 s52: the KPIs set before the contract was entered into go out with the contract details notice
    (``agreedMetrics``); where performance cannot be assessed by KPIs, the notice says why (the UK profile's
    ``noAgreedMetricsRationale``)."""
    from provision_cycle.services.performance import set_procurement_kpis

    from .factories import award_open_procedure

    people = hub_people(db)
    case_id = award_open_procedure(core.engine, clock, people, value="5000000", award_value="5000000")
    kpis = [("Repairs on time", "95% of urgent repairs within 24 hours"), ("Satisfaction", "85% satisfied"),
            ("Social value", "12 apprenticeships a year")]  # fmt: skip
    if exempt:
        set_procurement_kpis(core, case_id, people.officer, [], exemption="A one-off delivery")
    else:
        set_procurement_kpis(core, case_id, people.officer, kpis)
    enter_into_contract(core.engine, clock, people, case_id)

    package = _package(core, db, people.head, case_id)
    assert _package_errors(package) == []
    award, details = package["releases"][-2:]
    assert "agreedMetrics" not in award["contracts"][0]  # the award notice comes before the contract
    contract = details["contracts"][0]
    if exempt:
        assert contract["noAgreedMetricsRationale"] == "A one-off delivery" and "agreedMetrics" not in contract
    else:
        assert "noAgreedMetricsRationale" not in contract
        assert [(m["id"], m["title"], m["observations"][0]["measure"]) for m in contract["agreedMetrics"]] == [
            (str(n), name, target) for n, (name, target) in enumerate(kpis, start=1)
        ]


def test_a_tender_below_the_threshold_says_so(core, db):
    """The UK profile's aboveThreshold, from the route plan: a 60,000 contract (72,000 with VAT) is below it; and
    the main CPV code its notice gave, as its item's classification, and its other codes as additional ones (each
    checked, none twice)."""
    from .factories import approve_open_steps, publish_tender_notice

    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="60000", title="Playground resurfacing")
    act(core.engine, case_id, "submit", people.requester)
    approve_open_steps(core.engine, db, people, case_id)
    declare(core.engine, case_id, people.officer)
    act(core.engine, case_id, "complete_conflicts_assessment", people.officer)
    with pytest.raises(InvalidInput) as refused:
        publish_tender_notice(core.engine, case_id, people.officer, main_cpv_code="4500")
    assert refused.value.fields == {
        "main_cpv_code": "Give the CPV code as eight digits, like 72000000, or with its check digit, like 72000000-5"
    }
    for others, problem in (
        ("45233000\nresurfacing", "Line 2 is not a CPV code: give each as eight digits, like 72200000, or 72200000-7"),
        ("45233000\n45000000-7", "Line 2, 45000000, is given already: give each code once, the main one above"),
    ):
        with pytest.raises(InvalidInput) as refused:
            publish_tender_notice(
                core.engine, case_id, people.officer, main_cpv_code="45000000", other_cpv_codes=others
            )
        assert refused.value.fields == {"other_cpv_codes": problem}
    with pytest.raises(InvalidInput, match="Give the main CPV code too"):
        publish_tender_notice(core.engine, case_id, people.officer, other_cpv_codes="45233000")
    publish_tender_notice(core.engine, case_id, people.officer, main_cpv_code="45000000-7",  # construction work
                          other_cpv_codes="45233000-9\n\n 37535200 ")  # fmt: skip
    package = _package(core, db, people.head, case_id)
    assert _package_errors(package) == []
    [release] = package["releases"]
    assert release["tender"]["items"] == [
        {
            "id": "1",
            "classification": {"scheme": "CPV", "id": "45000000"},
            "additionalClassifications": [{"scheme": "CPV", "id": "45233000"}, {"scheme": "CPV", "id": "37535200"}],
        }
    ]
    assert release["tender"]["aboveThreshold"] is False
    assert release["tender"]["value"] == {"amount": 60000.0, "currency": "GBP", "amountGross": 72000.0}
    assert "otherRequirements" not in release["tender"]  # open to all


@pytest.mark.parametrize(
    ("place", "smes_and_vcses", "requirements"),
    [
        (
            "Oxfordshire",
            True,
            {"reservedParticipation": ["smeVcse"], "reservedParticipationLocation": {"description": "Oxfordshire"}},
        ),
        ("uk", False, {"reservedParticipationLocation": {"description": "United Kingdom"}}),
    ],
)
def test_a_reserved_tender_says_to_whom_in_its_notice(core, db, place, smes_and_vcses, requirements):
    """The 2026 Order's reservation, as the UK profile's ``tender.otherRequirements``."""
    from .factories import publish_tender_notice

    people = hub_people(db)
    case_id = ready_for_the_market(core.engine, people, value="100000")
    reserved = {"reserved": True, "reserved_to_suppliers_in": place, "reserved_to_smes_and_vcses": smes_and_vcses}
    publish_tender_notice(core.engine, case_id, people.officer, **reserved, reserved_because="Local supply chains")
    package = _package(core, db, people.head, case_id)
    assert _package_errors(package) == []
    assert package["releases"][0]["tender"]["otherRequirements"] == requirements
