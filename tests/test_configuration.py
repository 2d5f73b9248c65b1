"""Invalid configuration and workflow files refuse to load, naming the file, the item and the problem."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from provision_cycle.config_files import ConfigError
from provision_cycle.core import load_definitions
from provision_cycle.settings import PROJECT_ROOT, Settings, SettingsError


@pytest.fixture
def tree(tmp_path) -> Path:
    shutil.copytree(PROJECT_ROOT / "config", tmp_path / "config")
    shutil.copytree(PROJECT_ROOT / "workflows", tmp_path / "workflows")
    return tmp_path


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def problems(tree: Path) -> list[str]:
    with pytest.raises(ConfigError) as error:
        load_definitions(Settings(config_dir=tree / "config", workflows_dir=tree / "workflows"))
    return error.value.problems


def test_shipped_configuration_is_valid():
    load_definitions(Settings())


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["bands"][2].update({"from": 40000}),
            "config/governance/occ.yaml: bands: gap between band 5k_to_30k (to 30,000.00) and 30k_to_100k (from 40,000.00)",
        ),
        (
            lambda d: d["bands"][2].update({"from": 20000}),
            "config/governance/occ.yaml: bands: bands 5k_to_30k and 30k_to_100k overlap (20,000.00 to 30,000.00)",
        ),
        (
            lambda d: d["bands"][4].update({"to": None}),
            "config/governance/occ.yaml: bands: exactly one band must be open-ended ('to: null'), found 2: 500k_to_1m, over_1m",
        ),
        (
            lambda d: d["bands"][0].update({"from": 100}),
            "config/governance/occ.yaml: bands: the lowest band must start at 0, but starts at 100.00",
        ),
        (
            lambda d: d["approvals"][0]["steps"][0].update({"role": "chief_wizard"}),
            "config/governance/occ.yaml: approvals[0].steps[0].role: unknown role 'chief_wizard'",
        ),
        (
            lambda d: d["approvals"][0].update({"bands": ["tiny"]}),
            "config/governance/occ.yaml: approvals[0].bands: unknown band 'tiny'",
        ),
        (
            lambda d: d["bands"][1].update({"to": "lots"}),
            "config/governance/occ.yaml: bands[1].to: expected an amount in pounds, like 25000 or 25000.50, found 'lots'",
        ),
        (
            lambda d: d.update({"approvals": [a for a in d["approvals"] if a["gate"] != "award_approval"]}),
            "config/governance/occ.yaml: no approval rule for gate 'award_approval'",
        ),
        (
            lambda d: d["key_decision"].update({"variation_increase_over": -5}),
            "config/governance/occ.yaml: key_decision.variation_increase_over: expected pounds and pence no less than 0",
        ),
        (
            lambda d: d["decision_records"].update({"officer_decisions_over": "material"}),
            "config/governance/occ.yaml: decision_records.officer_decisions_over: expected an amount in pounds, like 25000 or 25000.50, found 'material'",
        ),
        (
            lambda d: d["decision_records"].update({"executive_decisions_over": 1}),
            "config/governance/occ.yaml: decision_records: unknown key 'executive_decisions_over'",
        ),
        (
            lambda d: d["key_decision"].update({"special_urgency_reports": {"every_months": 18, "within_days": 60}}),
            "config/governance/occ.yaml: key_decision.special_urgency_reports.every_months: expected one of 1, 2, 3, "
            "4, 6, 12: months that divide the financial year, at most 12 (reg 19: at least one report a year)",
        ),
        (
            lambda d: d["key_decision"].update({"special_urgency_reports": 12}),
            "config/governance/occ.yaml: key_decision.special_urgency_reports: expected a mapping of keys to values, "
            "found int 12",
        ),
    ],
)
def test_invalid_governance_is_refused_with_file_item_and_problem(tree, change, expected):
    edit(tree / "config/governance/occ.yaml", change)
    found = problems(tree)
    assert any(p.startswith(expected) for p in found), found


def test_a_band_with_no_approval_rule_is_refused(tree):
    edit(
        tree / "config/governance/cdc.yaml",
        lambda d: d.update({"approvals": [a for a in d["approvals"] if a.get("bands") != ["100k_to_500k"]]}),
    )
    assert any("gate 'route_approval' has no approval rule for band 100k_to_500k" in p for p in problems(tree))


# Where the award recommendation sits in the procurement workflow's transitions, as errors name it.
RECOMMEND_AWARD = next(
    f"transitions[{index}]"
    for index, transition in enumerate(
        yaml.safe_load((PROJECT_ROOT / "workflows/procurement.v1.yaml").read_text())["transitions"]
    )
    if transition["trigger"] == "recommend_award"
)


PUBLISH_TENDER_NOTICE = next(
    f"transitions[{index}]"
    for index, transition in enumerate(
        yaml.safe_load((PROJECT_ROOT / "workflows/procurement.v1.yaml").read_text())["transitions"]
    )
    if transition["trigger"] == "publish_tender_notice"
)


def _award_inputs(definition: dict) -> dict:
    return next(t for t in definition["transitions"] if t["trigger"] == "recommend_award")["inputs"]


def _tender_notice_inputs(definition: dict) -> dict:
    return next(t for t in definition["transitions"] if t["trigger"] == "publish_tender_notice")["inputs"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["transitions"][0].update({"dest": "nowhere"}),
            "workflows/procurement.v1.yaml: transitions[0]: transition 'submit' names unknown state 'nowhere'",
        ),
        (
            lambda d: d["transitions"][0].update({"guards": ["has_a_good_feeling"]}),
            "workflows/procurement.v1.yaml: transitions[0].guards: unknown guard 'has_a_good_feeling'",
        ),
        (
            lambda d: d["states"].update({"limbo": {"label": "Limbo", "final": True}}),
            "workflows/procurement.v1.yaml: states.limbo: unreachable from the initial state 'draft'",
        ),
        (
            lambda d: d["states"]["award_approval"].update({"gate": "mystery_gate"}),
            "config/governance/occ.yaml: no approval rule for gate 'mystery_gate'",
        ),
        (
            lambda d: d["transitions"][0].update({"by": ["wizard"]}),
            "workflows/procurement.v1.yaml: transitions[0].by: unknown actor 'wizard'",
        ),
        (
            lambda d: d["states"]["rework"].update({"final": True}),
            "workflows/procurement.v1.yaml: transitions[1]: 'rework' is final: no transition may leave it",
        ),
        (
            lambda d: _award_inputs(d)["award_value"].update({"max_length": 10}),
            f"workflows/procurement.v1.yaml: {RECOMMEND_AWARD}.inputs.award_value.max_length: max_length is for a text "
            "input",
        ),
        (
            lambda d: d["states"]["award_approval"]["approved"][1].update({"effects": ["open_champagne"]}),
            "workflows/procurement.v1.yaml: states.award_approval.approved[1].effects: unknown effect 'open_champagne'",
        ),
        (
            lambda d: d["states"]["executive_decision"].update({"applies_when": "full_moon"}),
            "workflows/procurement.v1.yaml: states.executive_decision.applies_when: expected one of key_decision, "
            "variation_key_decision, award_key_decision, extension_key_decision, found 'full_moon'",
        ),
        (
            lambda d: _tender_notice_inputs(d)["urgent"].update({"when": ["stars_align"]}),
            f"workflows/procurement.v1.yaml: {PUBLISH_TENDER_NOTICE}.inputs.urgent.when: unknown condition 'stars_align'",
        ),
        (
            lambda d: _tender_notice_inputs(d)["market_engagement_notice_on"].update({"under": "tenders_close_on"}),
            f"workflows/procurement.v1.yaml: {PUBLISH_TENDER_NOTICE}.inputs.market_engagement_notice_on.under: "
            "'tenders_close_on' is not a yes-or-no input asked before this one",
        ),
        (
            lambda d: _tender_notice_inputs(d)["market_engagement_notice_on"].update({"when": []}),
            f"workflows/procurement.v1.yaml: {PUBLISH_TENDER_NOTICE}.inputs.market_engagement_notice_on.under: a "
            "follow-up question is asked only when 'market_engaged' is",
        ),
        (
            lambda d: _tender_notice_inputs(d)["market_engaged"].update({"required_when": ["statutory_tender_period"]}),
            f"workflows/procurement.v1.yaml: {PUBLISH_TENDER_NOTICE}.inputs.market_engaged.required_when: required_when "
            "makes an optional input required on some cases: mark the input optional",
        ),
        (
            lambda d: _tender_notice_inputs(d)["urgent"].update({"hint_when": ["under_the_pcr"]}),
            f"workflows/procurement.v1.yaml: {PUBLISH_TENDER_NOTICE}.inputs.urgent.hint_when: hint_when says when "
            "the hint is said: give the input a hint",
        ),
        (
            lambda d: _tender_notice_inputs(d)["urgent"].update(
                {"wordings": [{"when": ["stars_align"], "label": "?"}]}
            ),
            f"workflows/procurement.v1.yaml: {PUBLISH_TENDER_NOTICE}.inputs.urgent.wordings[0].when: unknown "
            "condition 'stars_align'",
        ),
        (
            lambda d: _tender_notice_inputs(d)["urgent"].update({"wordings": [{"when": [], "label": "?"}]}),
            f"workflows/procurement.v1.yaml: {PUBLISH_TENDER_NOTICE}.inputs.urgent.wordings[0].when: a wording is for "
            "some cases",
        ),
        (
            lambda d: _tender_notice_inputs(d)["urgent"].update({"wordings": [{"when": ["urgent"], "lable": "?"}]}),
            f"workflows/procurement.v1.yaml: {PUBLISH_TENDER_NOTICE}.inputs.urgent.wordings[0]: unknown key 'lable' "
            "(expected one of: when, label, hint)",
        ),
        (
            lambda d: _tender_notice_inputs(d)["urgent"].update({"required_when": ["stars_align"]}),
            f"workflows/procurement.v1.yaml: {PUBLISH_TENDER_NOTICE}.inputs.urgent.required_when: unknown "
            "condition 'stars_align'",
        ),
        (
            lambda d: _tender_notice_inputs(d)["market_engagement_notice_on"].update({"optional": False}),
            f"workflows/procurement.v1.yaml: {PUBLISH_TENDER_NOTICE}.inputs.market_engagement_notice_on.under: a "
            "follow-up question is optional",
        ),
        (
            lambda d: _award_inputs(d)["supplier_name"].update({"type": "choice"}),
            f"workflows/procurement.v1.yaml: {RECOMMEND_AWARD}.inputs.supplier_name: a choice input names its list of "
            "answers",
        ),
        (
            lambda d: _award_inputs(d)["supplier_name"].update({"type": "choice", "choices": "favourite_suppliers"}),
            f"workflows/procurement.v1.yaml: {RECOMMEND_AWARD}.inputs.supplier_name.choices: unknown list of answers "
            "'favourite_suppliers' (known: contract_managers, dynamic_markets, frameworks, key_decision_urgencies, "
            "modification_bases, reservable_kinds, reservable_places, unnoticed_modifications)",
        ),
        (
            lambda d: _award_inputs(d)["supplier_name"].update({"suggestions": "favourite_suppliers"}),
            f"workflows/procurement.v1.yaml: {RECOMMEND_AWARD}.inputs.supplier_name.suggestions: unknown list of "
            "suggested answers 'favourite_suppliers' (known: framework_suppliers)",
        ),
        (
            lambda d: _award_inputs(d)["award_value"].update({"suggestions": "framework_suppliers"}),
            f"workflows/procurement.v1.yaml: {RECOMMEND_AWARD}.inputs.award_value.suggestions: suggested answers are "
            "for a line input",
        ),
        (
            lambda d: _award_inputs(d)["supplier_name"].update({"check": "sounds_reliable"}),
            f"workflows/procurement.v1.yaml: {RECOMMEND_AWARD}.inputs.supplier_name.check: unknown check "
            "'sounds_reliable' (known: a_new_supplier_on_a_lawful_basis, a_public_service_mutual_if_reserved, "
            "a_supported_employment_provider_if_reserved, cpv_code, cpv_codes, may_be_invited, "
            "months_a_contract_may_run, not_the_supplier_already, place_reservable_then, ppon, smes_and_vcses_where_no_place, "
            "the_supplier_notified, with_an_urgency_rule, with_special_urgency)",
        ),
        (
            lambda d: _award_inputs(d)["supplier_name"].update({"max_length": 201}),
            f"workflows/procurement.v1.yaml: {RECOMMEND_AWARD}.inputs.supplier_name.max_length: max_length is for a text "
            "input",
        ),
    ],
)
def test_invalid_workflow_is_refused_with_file_item_and_problem(tree, change, expected):
    edit(tree / "workflows/procurement.v1.yaml", change)
    found = problems(tree)
    assert any(p.startswith(expected) for p in found), found


def test_a_contract_state_says_where_its_renewal_stands_while_it_runs_and_not_once_it_has_ended(tree):
    """The scheduler raises a contract's renewal, notice-date and review tasks by it: a running state without
    one would silently get none."""

    def mistakes(d):
        del d["states"]["live"]["renewal"]
        d["states"]["expired"]["renewal"] = "decided"

    edit(tree / "workflows/contract.v1.yaml", mistakes)
    found = problems(tree)
    assert (
        "workflows/contract.v1.yaml: states.live: a contract's state says where its renewal stands (renewal: "
        "pending, deciding, decided)" in found
    ), found
    assert (
        "workflows/contract.v1.yaml: states.expired: a final state has no renewal to decide: the contract has ended"
        in found
    )


def test_malformed_yaml_names_the_line(tree):
    (tree / "config/organisation.yaml").write_text("authorities:\n  - code: OCC\n   name: [broken\n")
    assert any(p.startswith("config/organisation.yaml: is not valid YAML at line") for p in problems(tree))


def test_a_bad_schedule_stops_start_up_as_a_bad_governance_file_does(tree):
    """The scheduler's file is read by the pages as well as the scheduler: a mistake in it is found when the
    app loads its configuration (and by ``flask validate`` and the administrators' configuration page), not
    when someone first opens My work."""

    def mistakes(d):
        d["participation_closed"] = {"invite_within_working_days": 0}
        d["overdue_tasks_escalate_to"] = "chief_wizard"

    edit(tree / "config/schedule.yaml", mistakes)
    found = problems(tree)
    assert "config/schedule.yaml: participation_closed.invite_within_working_days: must be at least 1, found 0" in found
    assert "config/schedule.yaml: overdue_tasks_escalate_to: unknown role 'chief_wizard'" in found


def test_adding_a_pillar_is_configuration_only(tree):
    def add_pillar(d):
        d["pillars"].append(
            {
                "code": "place",
                "name": "Place and Communities",
                "categories": [{"code": "libraries", "name": "Libraries"}],
            }
        )

    edit(tree / "config/organisation.yaml", add_pillar)
    governance, _ = load_definitions(Settings(config_dir=tree / "config", workflows_dir=tree / "workflows"))
    assert governance.organisation.categories["libraries"].pillar == "place"


def test_production_refuses_development_defaults():
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"PC_ENV": "production"})
    assert "SECRET_KEY must be set" in str(error.value) and "DATABASE_URL must be set" in str(error.value)
    # Behind a proxy every request would come from the proxy's address: the sign-in throttle needs to know.
    assert "PC_TRUSTED_PROXIES must say how many proxies pass requests on" in str(error.value)
    production = {"PC_ENV": "production", "SECRET_KEY": "x" * 40, "DATABASE_URL": "postgresql+psycopg://db/pc"}
    settings = Settings.from_env(production | {"PC_TRUSTED_PROXIES": "1"})
    assert settings.is_production and not settings.debug and settings.trusted_proxies == 1
    assert Settings.from_env(production | {"PC_TRUSTED_PROXIES": "0"}).trusted_proxies == 0
    with pytest.raises(SettingsError, match="PC_SIGN_IN_ADDRESS_LIMIT must be a whole number of at least 0"):
        Settings.from_env({"PC_SIGN_IN_ADDRESS_LIMIT": "-1"})


def test_a_gate_entered_on_several_conditions_is_resolved_at_submission_on_the_request_s_own(definitions):
    """The Executive's gate: on a procurement's own key decision (resolved when it is submitted) and on its
    award's (put in when the award is recommended); on a contract's variation or extension, only when one is
    proposed."""
    _, workflows = definitions
    assert workflows.get("procurement", 1).conditional_gates == {
        "executive_decision": {"key_decision", "award_key_decision"}
    }
    assert workflows.get("contract", 1).conditional_gates == {
        "executive_decision": {"variation_key_decision", "extension_key_decision"}
    }


def test_the_service_is_named_from_configuration_and_a_bad_contact_is_refused(tree):
    def rename(data):
        data["service"] = {"name": "Buying for Barsetshire", "run_by": "the county's procurement team",
                           "contact_email": "buying@barsetshire.example.gov.uk"}  # fmt: skip

    edit(tree / "config/organisation.yaml", rename)
    governance, _ = load_definitions(Settings(config_dir=tree / "config", workflows_dir=tree / "workflows"))
    service = governance.organisation.service
    assert (service.name, service.run_by, service.contact_email) == (
        "Buying for Barsetshire", "the county's procurement team", "buying@barsetshire.example.gov.uk"
    )  # fmt: skip
    assert governance.organisation.councils == "Oxfordshire County Council and Cherwell District Council"
    edit(tree / "config/organisation.yaml", lambda d: d["service"].update({"contact_email": "the buying team"}))
    edit(tree / "config/organisation.yaml", lambda d: d["service"].update({"privacy_notice_url": "http://x.gov.uk"}))
    assert problems(tree) == [
        "config/organisation.yaml: service.contact_email: expected an email address, found 'the buying team'",
        "config/organisation.yaml: service.privacy_notice_url: expected an https:// address, found 'http://x.gov.uk'",
    ]


def test_the_councils_are_named_as_a_sentence_names_them():
    from provision_cycle.wording import listed

    assert [listed([]), listed(["A"]), listed(["A", "B"]), listed(["A", "B", "C"], "or")] == [
        "", "A", "A and B", "A, B or C"
    ]  # fmt: skip


def test_production_refuses_a_short_data_key():
    from provision_cycle.settings import Settings, SettingsError

    environment = {
        "PC_ENV": "production",
        "SECRET_KEY": "k" * 40,
        "DATABASE_URL": "postgresql+psycopg://hub@db/hub",
        "PC_TRUSTED_PROXIES": "1",
        "PC_DATA_KEY": "too-short",
    }
    with pytest.raises(SettingsError, match="PC_DATA_KEY, where it is set, must be a random value of at least 32"):
        Settings.from_env(environment)
    assert Settings.from_env({**environment, "PC_DATA_KEY": "d" * 32}).sealing_key == "d" * 32


def test_each_council_s_county_is_where_its_competitions_may_be_reserved_to(tree):
    """The 2026 Order: one county (or London borough) a council's below-threshold competition may
    be reserved to, besides the UK; a joint case's two councils in one county offer it once."""

    def move_cherwell(data):
        data["authorities"][1]["county"] = "Northamptonshire"

    governance, _ = load_definitions(Settings(config_dir=tree / "config", workflows_dir=tree / "workflows"))
    assert governance.organisation.counties_of("JOINT") == ("Oxfordshire",)
    edit(tree / "config/organisation.yaml", move_cherwell)
    governance, _ = load_definitions(Settings(config_dir=tree / "config", workflows_dir=tree / "workflows"))
    assert governance.organisation.counties_of("JOINT") == ("Oxfordshire", "Northamptonshire")
    assert governance.organisation.counties_of("CDC") == ("Northamptonshire",)

    def uk_alone(data):  # a council with no place of its own configured
        for key in ("county", "bordering"):
            data["authorities"][0].pop(key)

    edit(tree / "config/organisation.yaml", uk_alone)
    governance, _ = load_definitions(Settings(config_dir=tree / "config", workflows_dir=tree / "workflows"))
    assert governance.organisation.counties_of("OCC") == ()  # the UK alone, then
    edit(tree / "config/organisation.yaml", lambda d: d["authorities"][0].update({"county": ["Oxfordshire"]}))
    assert problems(tree) == ["config/organisation.yaml: authorities[0].county: expected text, found a list"]


def test_a_council_s_local_area_takes_in_its_own_area_and_those_bordering_it(tree):
    """The 2026 Order's local area: the county a council is in; a district's own area; and the council's area
    with the counties and London boroughs bordering it. A joint case's area is its councils' combined (Cherwell
    is in Oxfordshire), with whatever borders either."""
    governance, _ = load_definitions(Settings(config_dir=tree / "config", workflows_dir=tree / "workflows"))
    local = governance.organisation.local_areas_of
    oxfordshire_and_bordering = (
        "Oxfordshire or an area bordering it (Berkshire, Buckinghamshire, Gloucestershire, Northamptonshire, "
        "Warwickshire or Wiltshire)"
    )
    assert local("OCC") == ("Oxfordshire", oxfordshire_and_bordering)
    assert local("CDC") == (
        "Oxfordshire",
        "Cherwell",
        "Cherwell or an area bordering it (Buckinghamshire, Northamptonshire or Warwickshire)",
    )
    assert local("JOINT") == ("Oxfordshire", oxfordshire_and_bordering)

    def two_districts(data):  # two councils side by side, in no county configured: both areas, and around them
        data["authorities"][0].update({"county": "", "area": "West Oxfordshire", "bordering": ["Gloucestershire"]})
        data["authorities"][1].update({"county": ""})

    edit(tree / "config/organisation.yaml", two_districts)
    governance, _ = load_definitions(Settings(config_dir=tree / "config", workflows_dir=tree / "workflows"))
    assert governance.organisation.local_areas_of("JOINT") == (
        "West Oxfordshire",
        "Cherwell",
        "West Oxfordshire and Cherwell or an area bordering them (Gloucestershire, Buckinghamshire, "
        "Northamptonshire or Warwickshire)",
    )

    def one_district_alone(data):  # a council with no place configured takes nothing from its partner's
        data["authorities"][0].update({"county": "", "area": "", "bordering": []})

    edit(tree / "config/organisation.yaml", one_district_alone)
    governance, _ = load_definitions(Settings(config_dir=tree / "config", workflows_dir=tree / "workflows"))
    assert governance.organisation.local_areas_of("JOINT") == (
        "Cherwell",
        "Cherwell or an area bordering it (Buckinghamshire, Northamptonshire or Warwickshire)",
    )

    def nowhere(data):
        data["authorities"][1].update({"county": "", "area": "", "bordering": "Warwickshire"})

    edit(tree / "config/organisation.yaml", nowhere)
    assert problems(tree) == [
        "config/organisation.yaml: authorities[1].bordering: name the council's own area (area, or county) that "
        "these border"
    ]
    edit(
        tree / "config/organisation.yaml",
        lambda d: d["authorities"][1].update({"area": "Cherwell", "bordering": [" "]}),
    )
    assert problems(tree) == [
        "config/organisation.yaml: authorities[1].bordering: each bordering county or London borough needs its name"
    ]


def test_what_makes_an_officer_s_decision_material_is_each_council_s_to_say(tree):
    """The figure over which an officer's decision is recorded and published (Openness of Local Government
    Bodies Regulations 2014 reg 7); a council that sets none has every such decision recorded."""
    settings = Settings(config_dir=tree / "config", workflows_dir=tree / "workflows")
    governance, _ = load_definitions(settings)
    assert governance.rules["OCC"].officer_decisions_recorded_over == 100000
    edit(tree / "config" / "governance" / "occ.yaml", lambda d: d.pop("decision_records"))
    governance, _ = load_definitions(settings)
    assert governance.rules["OCC"].officer_decisions_recorded_over == 0
