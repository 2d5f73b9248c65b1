"""Who approves what: band edges, most-restrictive rule, joint cases, key decisions, statutory thresholds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from provision_cycle.governance import statutory
from provision_cycle.governance.calendar import add_working_days_beginning_with, is_working_day
from provision_cycle.governance.rules import GovernanceError, Proposal, StepRule, _step_words

GATES = ["route_approval", "executive_decision", "award_approval"]
CONDITIONAL = {"executive_decision": frozenset({"key_decision"})}


@pytest.fixture(scope="module")
def governance(definitions):
    return definitions[0]


def plan_for(
    governance,
    value,
    authority="OCC",
    category="ict",
    contract_type="services",
    commencement=date(2026, 3, 2),
    route=None,
    vat="standard",
):
    proposal = Proposal(authority, category, contract_type, Decimal(value), vat, commencement, route)
    return governance.resolve(proposal, GATES, conditional=CONDITIONAL)


@pytest.mark.parametrize(
    ("value", "band", "roles"),
    [
        ("99999.99", "30k_to_100k", ["category_manager"]),
        ("100000.00", "100k_to_500k", ["head_of_category"]),
        ("100000.01", "100k_to_500k", ["head_of_category"]),
    ],
)
def test_route_approval_at_the_100k_band_edge(governance, value, band, roles):
    plan = plan_for(governance, value)
    assert plan.bands == {"OCC": band}
    assert [s.role for s in plan.gates["route_approval"]] == roles


def test_each_step_says_why_it_applies(governance):
    plan = plan_for(governance, "250000")
    assert plan.gates["route_approval"][0].reason == (
        "Head of Category: value £250,000.00 is in band £100,000 to £500,000, Corporate and Commercial, OCC"
    )


def test_most_restrictive_matching_rule_wins_for_works(governance):
    services = plan_for(governance, "750000", category="construction_works", contract_type="services")
    works = plan_for(governance, "750000", category="construction_works", contract_type="works")
    assert [s.role for s in services.gates["award_approval"]] == ["head_of_category", "legal", "director"]
    assert [s.role for s in works.gates["award_approval"]][-1] == "monitoring_officer"
    assert "most restrictive of 2 matching rules" in works.gates["award_approval"][0].reason


def test_committee_step_needs_two_of_the_directors(governance):
    plan = governance.resolve(Proposal("OCC", "ict", "services", Decimal("1500000")), ["commissioning_gate"])
    board = plan.gates["commissioning_gate"][1]
    assert (board.role, board.mode, board.required, board.label) == (
        "director",
        "n_of_m",
        2,
        "Commissioning Board (2 directors)",
    )


def test_the_administration_page_words_who_approves(governance):
    """A committee named by its label as it is; otherwise its role and how many of its holders."""
    table = dict((band.code, row) for band, row in governance.approvers_table("OCC", "commissioning_gate", "services"))
    assert table["over_1m"]["cnc"] == "Head of Category, then Commissioning Board (2 directors)"
    assert _step_words("Head of Category", StepRule("head_of_category", "all")) == "every Head of Category"
    assert _step_words("Head of Category", StepRule("head_of_category", "n_of_m", 2)) == "Head of Category (any 2)"


def test_joint_case_passes_both_authorities(governance):
    plan = plan_for(governance, "250000", authority="JOINT")
    assert [(s.authority, s.role) for s in plan.gates["route_approval"]] == [
        ("OCC", "head_of_category"),
        ("CDC", "head_of_category"),
    ]


@pytest.mark.parametrize(
    ("authority", "value", "key"),
    [("CDC", "500000.00", False), ("CDC", "500000.01", True), ("OCC", "999999.99", False), ("OCC", "1000000.01", True)],
)
def test_key_decision_thresholds_add_the_executive_gate(governance, authority, value, key):
    plan = plan_for(governance, value, authority=authority)
    assert plan.key_decision is key
    assert ("executive_decision" in plan.gates) is key
    if key:
        assert plan.gates["executive_decision"][0].role == "executive_member"
        assert "28 clear days on the forward plan" in plan.gates["executive_decision"][0].reason


@pytest.mark.parametrize(
    ("authority", "value", "new_value", "key"),
    [
        ("CDC", "400000", "450000.00", False),  # adds 50,000: CDC's revenue figure is "over 50,000"
        ("CDC", "400000", "450000.01", True),
        ("CDC", "2000000", "2000000", False),  # a contract that was a key decision: its variation need not be
        ("CDC", "700000", "600000", False),  # a saving is not spending more
        ("OCC", "400000", "1400000.00", False),  # OCC sets no figure of its own: its contract one, 1,000,000
        ("OCC", "400000", "1400000.01", True),
        ("JOINT", "100000", "200000", True),  # joint: CDC's figure is passed, OCC's is not
    ],
)
def test_a_variation_adding_more_than_the_key_decision_figure_is_one(governance, authority, value, new_value, key):
    found = governance.spending_key_decisions(authority, Decimal(new_value) - Decimal(value), "the variation")
    assert bool(found) is key
    if key:
        code = "CDC" if authority != "OCC" else "OCC"
        assert list(found) == [code]
        added = Decimal(new_value) - Decimal(value)
        assert f"the variation adds £{added:,.2f} to the contract's value" in found[code]
        steps = governance.key_decision_steps(
            Proposal(authority, "ict", "services", Decimal(new_value), "standard", date(2026, 3, 2), None),
            "executive_decision",
            found,
        )
        assert [(s.role, s.authority) for s in steps] == [("executive_member", code)]
        assert steps[0].reason.endswith(found[code])


def test_a_key_decision_waits_its_councils_clear_days_after_the_forward_plan(governance):
    """Neither the day the entry is published nor the day of the decision counts; a council may ask for more
    than the 28 the regulations do, and a joint case waits for the longer."""
    from dataclasses import replace

    from provision_cycle.governance.rules import Governance

    assert statutory.earliest_key_decision(date(2026, 3, 2)).due_on == date(2026, 3, 31)
    assert statutory.earliest_key_decision(date(2026, 3, 2), 35).due_on == date(2026, 4, 7)
    with pytest.raises(ValueError, match="at least 28 clear days"):
        statutory.earliest_key_decision(date(2026, 3, 2), 20)
    occ = governance.rules["OCC"]
    slower = Governance(
        governance.organisation,
        {**governance.rules, "OCC": replace(occ, key_decision=replace(occ.key_decision, forward_plan_days=35))},
    )
    assert [slower.forward_plan_days(a) for a in ("OCC", "CDC", "JOINT")] == [35, 28, 35]


# --- statutory layer --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("today", "every", "period"),
    [
        (date(2026, 4, 1), 12, (date(2025, 4, 1), date(2026, 3, 31))),
        (date(2027, 3, 31), 12, (date(2025, 4, 1), date(2026, 3, 31))),
        (date(2026, 1, 15), 3, (date(2025, 10, 1), date(2025, 12, 31))),
        (date(2026, 10, 1), 6, (date(2026, 4, 1), date(2026, 9, 30))),
        (date(2026, 5, 2), 1, (date(2026, 4, 1), date(2026, 4, 30))),
    ],
)
def test_the_special_urgency_report_covers_the_council_s_last_period_from_1_april(today, every, period):
    """2012 regs reg 19: the period that ended most recently, of the council's months counted from 1 April."""
    assert statutory.special_urgency_report_period(today, every) == period


def test_the_special_urgency_report_is_asked_for_until_its_day():
    owed = statutory.special_urgency_report(date(2026, 4, 1), 12, 60)
    assert owed is not None and (owed.kind, owed.due_on) == ("special_urgency_report", date(2026, 5, 30))
    assert statutory.special_urgency_report(date(2026, 5, 30), 12, 60) == owed
    assert statutory.special_urgency_report(date(2026, 5, 31), 12, 60) is None  # the next year's from 1 April 2027


@pytest.mark.parametrize(
    ("commencement", "threshold"),
    [(date(2025, 12, 31), Decimal("214904")), (date(2026, 1, 1), Decimal("207720"))],
)
def test_threshold_is_chosen_by_commencement_date(commencement, threshold):
    assert statutory.threshold_table(commencement).goods_services == threshold


def test_a_contract_between_the_two_thresholds_changes_side_on_1_january_2026(governance):
    # 175,000 ex VAT = 210,000 incl. VAT: below 214,904 (2025) but above 207,720 (2026).
    before = plan_for(governance, "175000", commencement=date(2025, 12, 31))
    after = plan_for(governance, "175000", commencement=date(2026, 1, 1))
    assert (before.above_threshold, before.recommended_route) == (False, "below_threshold_tender")
    assert (after.above_threshold, after.recommended_route) == (True, "open_procedure")
    assert "quotations" not in after.allowed_routes


def test_thresholds_compare_the_vat_inclusive_value(governance):
    # 180,000 ex VAT is 216,000 with standard VAT (above 207,720) but 180,000 when exempt (below).
    assert plan_for(governance, "180000", vat="standard").above_threshold
    assert not plan_for(governance, "180000", vat="exempt").above_threshold


def test_local_configuration_cannot_relax_the_statutory_route(governance):
    with pytest.raises(GovernanceError, match="Quotations is not open to this case"):
        plan_for(governance, "250000", route="quotations")


@pytest.mark.parametrize(
    ("value", "contract_type", "vat", "flexible"),
    [
        ("150000", "services", "standard", False),  # 180,000 with VAT: below the threshold, s85 applies
        ("150000", "works", "standard", False),  # works under 207,720 with VAT: s85 applies too
        ("180000", "works", "standard", True),  # 216,000: works over the goods and services figure (s85(2)-(3))
        ("250000", "light_touch", "exempt", True),  # light touch over it, below its own threshold
        ("200000", "light_touch", "exempt", False),
        ("250000", "services", "standard", True),  # above the threshold: a procedure of s20
    ],
)
def test_below_the_threshold_suppliers_are_not_chosen_by_suitability_before_they_tender(
    governance, value, contract_type, vat, flexible
):
    """PA23 s85: below the threshold no stage may choose suppliers by their suitability before they tender, as a
    competitive flexible procedure's requests to participate do; but for works or light-touch services worth at
    least the goods and services threshold (s85(2)-(3), its figures corrected to that threshold's, 207,720 for
    a council, by SI 2025/1200)."""
    plan = plan_for(governance, value, contract_type=contract_type, vat=vat)
    assert ("competitive_flexible" in plan.allowed_routes) is flexible
    assert "open_procedure" in plan.allowed_routes  # one stage: always open
    if not flexible:
        with pytest.raises(GovernanceError, match=r"below it suppliers may not be chosen by their suitability"):
            plan_for(governance, value, contract_type=contract_type, vat=vat, route="competitive_flexible")


@pytest.mark.parametrize(("commencement", "regime"), [(date(2025, 2, 23), "PCR2015"), (date(2025, 2, 24), "PA2023")])
def test_regime_follows_commencement(governance, commencement, regime):
    assert plan_for(governance, "50000", commencement=commencement).regime == regime


def test_notifiable_below_threshold_from_30000_including_vat(governance):
    assert not plan_for(governance, "24999.99").notifiable  # 29,999.99 incl. VAT
    assert plan_for(governance, "25000").notifiable  # 30,000.00 incl. VAT


# --- working days (PA23 s123) -----------------------------------------------------------------
def test_standstill_skips_christmas_and_boxing_day():
    # Award notice Tue 22 Dec 2026: 22, 23, 24, (25 Christmas, 26-27 weekend, 28 Boxing Day observed) 29, 30, 31,
    # (1 Jan New Year, 2-3 weekend, 4 Jan Scotland's 2 January holiday moved off the Saturday) 5, 6 January.
    standstill = statutory.standstill(date(2026, 12, 22))
    assert standstill.due_on == date(2027, 1, 6)
    # Dates in the reasons are written as officers write them: "7 January", not "07 January".
    assert standstill.basis.endswith("the contract may be entered into from 7 January 2027")


def test_a_scottish_only_bank_holiday_is_not_a_working_day():
    assert not is_working_day(date(2026, 11, 30))  # St Andrew's Day (Scotland)
    assert not is_working_day(date(2026, 3, 17))  # St Patrick's Day (Northern Ireland)
    # Standstill from Thu 26 Nov 2026: 26, 27, (28-29 weekend, 30 St Andrew's) 1, 2, 3, 4, 7, 8 December.
    assert add_working_days_beginning_with(date(2026, 11, 26), 8) == date(2026, 12, 8)


def test_contract_details_notice_is_due_30_days_beginning_with_signature():
    assert statutory.contract_details_notice(date(2026, 4, 20), "services").due_on == date(2026, 5, 19)


@pytest.mark.parametrize(
    ("planned", "urgent", "days"),
    [
        (None, False, 25),
        (date(2026, 1, 21), False, 10),  # 40 days before 2 March
        (date(2026, 1, 22), False, 25),  # 39 days: too late to count
        (date(2025, 3, 2), False, 10),  # a year before
        (date(2025, 3, 1), False, 25),  # more than a year: too early
        (date(2025, 3, 1), True, 10),  # urgency all the same
        (None, True, 10),
    ],
)
def test_the_tender_period_is_25_days_or_10_after_a_planned_procurement_notice_or_in_urgency(planned, urgent, days):
    assert statutory.minimum_tender_period(date(2026, 3, 2), planned, urgent)[0] == days


def test_a_below_threshold_contracts_details_notice_is_owed_as_soon_as_reasonably_practicable():
    due = statutory.contract_details_notice(date(2026, 4, 20), "goods", above_threshold=False)
    assert due.due_on == date(2026, 5, 19) and due.basis.startswith("PA23 s87(3): as soon as reasonably practicable")


def test_a_light_touch_contracts_details_notice_is_due_120_days_beginning_with_signature():
    due = statutory.contract_details_notice(date(2026, 4, 20), "light_touch")
    assert due.due_on == date(2026, 8, 17)
    assert due.basis.startswith("PA23 s53(2): within 120 days") and "light-touch" in due.basis


def test_under_the_pcr_2015_the_award_is_published_instead_of_a_contract_details_notice():
    """PCR 2015: a contract award notice not later than 30 days after the award above the threshold (reg 50(1));
    a call-off under a framework agreement (reg 108(1)(b)) or a below-threshold contract (reg 112) on Contracts
    Finder within a reasonable time, 90 days in the Cabinet Office's guidance."""
    signed = date(2026, 4, 20)
    above = statutory.contract_details_notice(signed, "services", regime="PCR2015")
    assert above.due_on == date(2026, 5, 20) and above.basis.startswith("PCR 2015 reg 50(1): a contract award notice")
    call_off = statutory.contract_details_notice(signed, "goods", regime="PCR2015", call_off=True)
    assert call_off.due_on == date(2026, 7, 19) and "reg 108(1)(b), a call-off under a framework agreement" in (
        call_off.basis
    )
    dps = statutory.contract_details_notice(signed, "goods", regime="PCR2015", call_off=True, dps=True)
    assert dps.due_on == date(2026, 5, 20) and dps.basis.startswith("PCR 2015 reg 50(5)(a)")
    below = statutory.contract_details_notice(signed, "goods", above_threshold=False, regime="PCR2015")
    assert below.due_on == date(2026, 7, 19) and below.basis.startswith("PCR 2015 reg 112, below the threshold")
    assert statutory.deadline_name("contract_details_notice", "PCR2015") == "Contract award notice (PCR 2015)"
    assert statutory.deadline_name("contract_details_notice", "PA2023") == "Contract details notice (UK7)"
    assert statutory.conflicts_law("PCR2015", "s83") == "Public Contracts Regulations 2015 reg 24"
    assert statutory.conflicts_law("PA2023", "s83") == "Procurement Act 2023 s83"


@pytest.mark.parametrize(
    ("sent", "last"),
    [
        (date(2026, 11, 23), date(2026, 12, 3)),  # a Monday: the Thursday week after
        (date(2026, 11, 25), date(2026, 12, 7)),  # the 10th day a Saturday: to Monday
        (date(2026, 12, 15), date(2026, 12, 29)),  # Christmas Day, then Boxing Day's substitute on the 28th
    ],
)
def test_under_the_pcr_2015_standstill_runs_to_the_end_of_the_10th_day_after_the_decision_notices(sent, last):
    due = statutory.standstill(sent, "PCR2015")
    assert (due.kind, due.due_on) == ("standstill_end", last)
    assert due.basis.startswith("PCR 2015 reg 87(2)(a)")
    assert statutory.standstill(sent).basis.startswith("PA23 s51: 8 working days")


def test_an_open_framework_is_re_opened_within_three_years_of_its_first_award_then_every_five():
    """PA23 s49(2): a framework awarded under the scheme within the 3 years beginning with the first award, then
    within 5 years of the latest; the scheme ends 8 years after its first award, and a period it does not
    outlast asks nothing."""
    first, scheme_ends = date(2025, 6, 2), date(2033, 6, 1)
    due = statutory.open_framework_reopening(first, [], scheme_ends)
    assert (due.kind, due.due_on) == ("open_framework_reopening", date(2028, 6, 1))
    assert due.basis.startswith("PA23 s49(2)(a)(i): a framework awarded under the scheme within the 3 years")
    due = statutory.open_framework_reopening(first, [date(2026, 1, 5)], scheme_ends)
    assert due.due_on == date(2031, 1, 4) and due.basis.startswith("PA23 s49(2)(a)(ii)")
    assert statutory.open_framework_reopening(first, [date(2026, 1, 5), date(2029, 3, 1)], scheme_ends) is None
    assert statutory.open_framework_reopening(first, [], date(2027, 6, 1)) is None  # a short scheme


def test_a_copy_of_the_contract_or_its_modification_is_due_90_days_beginning_with_the_day():
    assert statutory.contract_copy(date(2026, 4, 20)).due_on == date(2026, 7, 18)
    assert statutory.modification_copy(date(2026, 12, 3)).due_on == date(2027, 3, 2)
    assert "PA23 s77" in statutory.modification_copy(date(2026, 12, 3)).basis


@pytest.mark.parametrize(
    ("public", "value", "vat", "kind", "required"),
    [
        (True, "5000000.01", "exempt", "services", True),
        (True, "5000000", "exempt", "services", False),  # "more than" 5m
        (True, "4200000", "standard", "services", True),  # 5,040,000 with VAT
        (True, "9000000", "standard", "light_touch", False),  # s53(5)
        (False, "9000000", "standard", "works", False),  # under the 2015 Regulations
    ],
)
def test_a_public_contract_over_5m_with_vat_is_itself_published(public, value, vat, kind, required):
    assert statutory.contract_copy_required(public, Decimal(value), vat, kind) is required


@pytest.mark.parametrize(
    ("kind", "before", "after", "months_after", "required"),
    [
        ("services", "100000", "110000", 36, False),
        ("services", "100000", "110000.01", 36, True),
        ("works", "100000", "115000", 36, False),
        ("works", "100000", "115001", 36, True),
        ("goods", "100000", "100000", 40, True),
        ("light_touch", "100000", "200000", 36, False),
    ],
)
def test_change_notice_rule(kind, before, after, months_after, required):
    needed, _why = statutory.change_notice_required(kind, Decimal(before), Decimal(after), 36, months_after)
    assert needed is required


def test_a_term_change_is_a_share_of_the_maximum_term_with_its_options():
    """PA23 s75(2)(b): 5 months on 36 is 13.9%; on a maximum of 60 (two years of options), 8.3%."""
    assert statutory.change_notice_required("services", Decimal(1), Decimal(1), 36, 41)[0] is True
    needed, why = statutory.change_notice_required("services", Decimal(1), Decimal(1), 36, 41, maximum_term_months=60)
    assert needed is False and "term change 8.3%" in why


def test_a_route_plan_is_frozen_as_plain_json_and_read_back_whole(governance):
    import dataclasses
    import json

    from provision_cycle.governance.rules import RoutePlan

    plan = plan_for(governance, "6000000", authority="JOINT")
    frozen = plan.to_json()
    assert frozen == dataclasses.asdict(plan)  # every field, however the plan grows
    assert RoutePlan.from_json(json.loads(json.dumps(frozen))) == plan


def test_every_dated_duty_has_a_name_and_a_task_title():
    from provision_cycle.governance.statutory import DEADLINE_NAMES, NOTICE_DUTIES
    from provision_cycle.scheduling.sweeps import DEADLINE_TITLES

    assert set(NOTICE_DUTIES) <= set(DEADLINE_NAMES) == set(DEADLINE_TITLES)
    assert all(f"({code})" in DEADLINE_NAMES[kind] for kind, code in NOTICE_DUTIES.items())
