"""Statutory rules: the same for every authority, and no configuration may relax them.

They live in code, not in ``config/``, on purpose: a council edits its local rules in YAML, while a
change here is a reviewed code change that cites its source. Sources and confidence are in
``docs/uk-procurement-rules.md`` (a copy of the shared research notes).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ..wording import pounds
from .calendar import (
    MonthsOfTheYear,
    add_months,
    add_working_days_beginning_with,
    days_beginning_with,
    financial_year_starts,
    is_working_day,
    next_working_day,
)


class Regime(enum.StrEnum):
    PCR2015 = "PCR2015"  # Public Contracts Regulations 2015: procurements commenced before 24 Feb 2025
    PA2023 = "PA2023"  # Procurement Act 2023

    @property
    def full_name(self) -> str:
        return {"PCR2015": "Public Contracts Regulations 2015", "PA2023": "Procurement Act 2023"}[self.value]


PA2023_COMMENCEMENT = date(2025, 2, 24)


def regime_for(commencement: date) -> Regime:
    """The legal regime of a procurement, fixed by the day it commenced and kept until its contract ends."""
    return Regime.PA2023 if commencement >= PA2023_COMMENCEMENT else Regime.PCR2015


# A contract in the register with no procurement case of ours: its procurement commenced some months before it
# started, as near as its start date can tell (the regime and the threshold follow from that day).
PROCUREMENT_LEAD = timedelta(days=120)


def commenced_before(start: date) -> date:
    return start - PROCUREMENT_LEAD


class ContractType(enum.StrEnum):
    GOODS = "goods"
    SERVICES = "services"
    WORKS = "works"
    LIGHT_TOUCH = "light_touch"  # social, health, education and similar services (PA23 s9, Sch 1)

    @property
    def label(self) -> str:
        return {"light_touch": "Light touch services"}.get(self.value, self.value.capitalize())


class VatTreatment(enum.StrEnum):
    STANDARD = "standard"
    REDUCED = "reduced"
    ZERO = "zero"
    EXEMPT = "exempt"

    @property
    def rate(self) -> Decimal:
        return {"standard": Decimal("0.20"), "reduced": Decimal("0.05")}.get(self.value, Decimal(0))


def value_including_vat(value_ex_vat: Decimal, vat: VatTreatment | str) -> Decimal:
    """Statutory thresholds are VAT-inclusive (PA23 Sch 1 as amended): compare this figure with them."""
    return (value_ex_vat * (1 + VatTreatment(vat).rate)).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class ThresholdTable:
    effective_from: date
    source: str
    goods_services: Decimal  # sub-central authorities (OCC and CDC are sub-central)
    works: Decimal
    light_touch: Decimal

    def for_type(self, contract_type: ContractType | str) -> Decimal:
        kind = ContractType(contract_type)
        if kind is ContractType.WORKS:
            return self.works
        if kind is ContractType.LIGHT_TOUCH:
            return self.light_touch
        return self.goods_services


# Chosen by the procurement's COMMENCEMENT date, never by today's date. All VAT-inclusive.
THRESHOLD_TABLES: tuple[ThresholdTable, ...] = (
    ThresholdTable(
        date(2024, 1, 1),
        "PA23 Sch 1 / PCR 2015 reg 5 as set for 1 Jan 2024",
        Decimal("214904"),
        Decimal("5372609"),
        Decimal("663540"),
    ),
    ThresholdTable(
        date(2026, 1, 1),
        "Procurement Act 2023 (Threshold Amounts) (Amendment) Regulations 2025, SI 2025/1200",
        Decimal("207720"),
        Decimal("5193000"),
        Decimal("663540"),
    ),
)

# PA23 s86-88: a below-threshold contract for a sub-central authority is "notifiable" from 30,000 incl. VAT.
NOTIFIABLE_BELOW_THRESHOLD = Decimal("30000")
# The Procurement (Amendment) Regulations 2026: from 1 April 2026 the supplier awarded a notifiable below-threshold
# contract is registered on the Central Digital Platform, with its unique identifier, by the award, as a supplier
# taking part in an above-threshold procurement under the Act already was.
SUPPLIER_REGISTERED_BELOW_THRESHOLD_FROM = date(2026, 4, 1)
KPI_THRESHOLD = Decimal("5000000")  # PA23 s52: at least 3 KPIs; contract performance notices
# PA23 s53(3), s77: a public contract worth more than this (with VAT) is published, and so is each modification
# of it, within 90 days beginning with the day it is entered into or modified.
PUBLISHED_CONTRACT_THRESHOLD = Decimal("5000000")
CONTRACT_COPY_DAYS = 90
STANDSTILL_WORKING_DAYS = 8  # PA23 s51
PCR_STANDSTILL_DAYS = 10  # PCR 2015 reg 87(2)(a): days after the decision notices are sent electronically
TENDER_PERIOD_DAYS = 25  # PA23 s54: above threshold, tenders submitted electronically
SHORT_TENDER_PERIOD_DAYS = 10  # after a qualifying planned procurement notice, or in a state of urgency
CONTRACT_DETAILS_NOTICE_DAYS = 30  # PA23 s53: within 30 days beginning with the day the contract is entered into
LIGHT_TOUCH_CONTRACT_DETAILS_NOTICE_DAYS = 120  # PA23 s53(2): a light-touch contract's, within 120 days
# Under the PCR 2015 the award is published instead: above the threshold a contract award notice "not later than
# 30 days after the award" (reg 50(1)); on Contracts Finder, a call-off under a framework agreement (reg 108(1)(b))
# or a below-threshold contract (reg 112) "within a reasonable time" (reg 108(4)), which the Cabinet Office's
# guidance (PPN 07/21, kept for procurements under the PCR 2015 by PPN 019) puts at 90 days for a council.
PCR_AWARD_NOTICE_DAYS = 30
PCR_CONTRACTS_FINDER_DAYS = 90
# A dynamic purchasing system established under the PCR 2015 runs on under them to this day at the latest (the
# Act's transitional and saving provisions: four years from the Act's commencement).
PCR_DPS_LAST_DAY = date(2029, 2, 23)
TERMINATION_NOTICE_DAYS = 30  # PA23 s80: within 30 days beginning with the day the contract ends
BREACH_NOTICE_DAYS = 30  # PA23 s71(5): within 30 days of the day it first applies to a breach (counted inclusively)
# s71 (assessing contract performance, UK9) came into force on 1 January 2026 (the Procurement Act 2023
# (Commencement No. 4) Regulations 2025, SI 2025/1316): a contract that ended, or a breach that applied, before
# then owes no contract performance notice.
CONTRACT_PERFORMANCE_FROM = date(2026, 1, 1)
# Local Authorities (Executive Arrangements) (Meetings and Access to Information) (England) Regulations 2012
# reg 9: a key decision is on the forward plan at least 28 *clear* days before it is taken.
FORWARD_PLAN_NOTICE_DAYS = 28

# Find a Tender's notices classify what is bought by the Common Procurement Vocabulary (Regulation (EC)
# 2195/2002): eight digits, often written with a check digit after a hyphen.
CPV_CODE = re.compile(r"(?P<code>\d{8})(?:-\d)?")


def cpv_code(given: str) -> str | None:
    """The eight digits of a CPV code as someone wrote it (``72000000`` or ``72000000-5``), None if it is not one."""
    found = CPV_CODE.fullmatch(given.strip())
    return found["code"] if found else None


# A supplier's unique identifier (PR24 reg 32(2)(g)(iii) and the other notices' regulations): its Public
# Procurement Organisation Number, which the Central Digital Platform gives it when it registers, four letters,
# four digits and four letters (``PZPR-8554-XHNX``). Find a Tender's data gives it under the scheme GB-PPON.
PPON = re.compile(r"(?:GB-PPON-)?(?P<ppon>[A-Z]{4}-\d{4}-[A-Z]{4})")
PPON_EXPECTED = "Give the PPON as four letters, four digits and four letters, like PABC-1234-DEFG"


def ppon(given: str) -> str | None:
    """A supplier's PPON as someone wrote it (any case, with or without ``GB-PPON-``), None if it is not one."""
    found = PPON.fullmatch(given.strip().upper())
    return found["ppon"] if found else None


def threshold_table(commencement: date) -> ThresholdTable:
    applicable = [t for t in THRESHOLD_TABLES if t.effective_from <= commencement]
    if not applicable:
        return THRESHOLD_TABLES[0]
    return applicable[-1]


@dataclass(frozen=True)
class StatutoryPosition:
    """Where a proposed contract stands in law: which regime, which threshold, and whether it is above it."""

    regime: Regime
    contract_type: ContractType
    value_inc_vat: Decimal
    threshold: Decimal
    threshold_source: str
    above_threshold: bool
    notifiable: bool  # needs notices on the Central Digital Platform even below threshold
    # Whether suppliers may be chosen by their suitability before they tender (a competitive flexible procedure's
    # requests to participate): above the threshold, and below it only for works or light-touch services worth
    # at least the goods and services threshold (PA23 s85(2)-(3), whose figures are that threshold's).
    may_assess_suitability_first: bool

    @property
    def summary(self) -> str:
        side = "above" if self.above_threshold else "below"
        return (
            f"{self.contract_type.label} worth {pounds(self.value_inc_vat)} including VAT is {side} the "
            f"{pounds(self.threshold)} threshold ({self.threshold_source}); {self.regime.value} applies"
        )


def statutory_position(
    value_ex_vat: Decimal, vat: VatTreatment | str, contract_type: ContractType | str, commencement: date
) -> StatutoryPosition:
    gross = value_including_vat(value_ex_vat, vat)
    table = threshold_table(commencement)
    limit = table.for_type(contract_type)
    above = gross >= limit
    kind = ContractType(contract_type)
    s85_exception = kind in (ContractType.WORKS, ContractType.LIGHT_TOUCH) and gross >= table.goods_services
    return StatutoryPosition(
        regime=regime_for(commencement),
        contract_type=ContractType(contract_type),
        value_inc_vat=gross,
        threshold=limit,
        threshold_source=table.source,
        above_threshold=above,
        notifiable=above or gross >= NOTIFIABLE_BELOW_THRESHOLD,
        may_assess_suitability_first=above or s85_exception,
    )


def line_crossed_together(alone: StatutoryPosition, together_inc_vat: Decimal) -> tuple[Decimal, str] | None:
    """The statutory line that purchases crossing it only together cross (``alone`` the position of one of
    them; ``together_inc_vat`` all of them, with VAT): the threshold, else the value from which a
    below-threshold contract is notifiable (PA23 s86-88); None where together they cross none it is under.
    Whether they are one requirement, and so valued together (PA23 s4, Sch 3), is for people to judge."""
    if not alone.above_threshold and together_inc_vat >= alone.threshold:
        return alone.threshold, f"the {pounds(alone.threshold)} threshold (Procurement Act 2023 Schedule 1)"
    if not alone.notifiable and together_inc_vat >= NOTIFIABLE_BELOW_THRESHOLD:
        return NOTIFIABLE_BELOW_THRESHOLD, (
            f"the {pounds(NOTIFIABLE_BELOW_THRESHOLD)} from which a below-threshold contract is notifiable "
            "(Procurement Act 2023 sections 86 to 88)"
        )
    return None


# --- Procurement routes -------------------------------------------------------------------------
class Route(enum.StrEnum):
    LOW_VALUE_PURCHASE = "low_value_purchase"
    QUOTATIONS = "quotations"
    BELOW_THRESHOLD_TENDER = "below_threshold_tender"
    OPEN_PROCEDURE = "open_procedure"
    COMPETITIVE_FLEXIBLE = "competitive_flexible"
    DIRECT_AWARD = "direct_award"
    FRAMEWORK_CALL_OFF = "framework_call_off"

    @property
    def label(self) -> str:
        return ROUTE_LABELS[self]

    @classmethod
    def of(cls, value: str | None) -> Route | None:
        """The route a stored code names, or None for none or a code this version does not know."""
        return cls(value) if value in cls._value2member_map_ else None

    @classmethod
    def label_of(cls, value: str | None, unknown: str = "not chosen") -> str:
        """The label of a stored route code, or ``unknown`` for none or a code this version does not know."""
        route = cls.of(value)
        return route.label if route else (unknown if value is None else value)

    @property
    def is_tender(self) -> bool:
        return self in (Route.BELOW_THRESHOLD_TENDER, Route.OPEN_PROCEDURE, Route.COMPETITIVE_FLEXIBLE)


def minimum_tender_period(published: date, planned_procurement_notice: date | None, urgent: bool) -> tuple[int, str]:
    """PA23 s54: the shortest tender period above threshold, in days, and why: 25, or 10 after a planned
    procurement notice published 40 days to a year before the tender notice, or in a state of urgency."""
    if planned_procurement_notice is not None:
        ahead = (published - planned_procurement_notice).days
        if 40 <= ahead <= 365:
            return (
                SHORT_TENDER_PERIOD_DAYS,
                f"after the planned procurement notice of {planned_procurement_notice:%-d %B %Y}",
            )
        if not urgent:
            return TENDER_PERIOD_DAYS, (
                f"the planned procurement notice of {planned_procurement_notice:%-d %B %Y} shortens it only when "
                "published 40 days to a year before the tender notice"
            )
    if urgent:
        return SHORT_TENDER_PERIOD_DAYS, "in a state of urgency"
    return TENDER_PERIOD_DAYS, "with electronic submission"


def minimum_participation_period(urgent: bool) -> tuple[int, str]:
    """PA23 s54: the shortest period for requests to participate in a competitive flexible procedure above
    threshold, in days, and why: 25, or 10 in a state of urgency."""
    return (SHORT_TENDER_PERIOD_DAYS, "in a state of urgency") if urgent else (TENDER_PERIOD_DAYS, "above threshold")


class DirectAwardGround(enum.StrEnum):
    """Why a contract may be awarded directly, without competition: a justification in Schedule 5 (PA23 s41),
    or switching to a direct award after a competitive tendering procedure failed (s43)."""

    PROTOTYPES = "prototypes"
    SINGLE_SUPPLIER = "single_supplier"
    ADDITIONAL_OR_REPEAT = "additional_or_repeat"
    COMMODITIES = "commodities"
    ADVANTAGEOUS_TERMS = "advantageous_terms"
    URGENCY = "urgency"
    # Schedule 5, paragraph 15: light-touch services for particular people, from the supplier they chose.
    USER_CHOICE = "user_choice"
    SWITCHING = "switching"

    @classmethod
    def of(cls, value: str | None) -> DirectAwardGround | None:
        return cls(value) if value in cls._value2member_map_ else None

    @property
    def label(self) -> str:
        return {
            "prototypes": "Prototypes and development: a novel product or service, bought to research or test it",
            "single_supplier": "Only one supplier can supply it: an artistic work, exclusive rights, or no "
            "competition for technical reasons",
            "additional_or_repeat": "Additional or repeat goods, services or works from the existing supplier, "
            "where a change of supplier would cause disproportionate difficulty",
            "commodities": "Goods bought on a commodity market",
            "advantageous_terms": "Particularly advantageous terms from a supplier that is winding up its business",
            "urgency": "Extreme and unavoidable urgency that the council did not cause and could not have "
            "foreseen (no standstill is required)",
            "user_choice": "User choice: light-touch services for particular people, from the supplier they (or "
            "someone on their behalf) prefer (no transparency notice, award notice or standstill)",
            "switching": "A competitive tendering procedure had no suitable tenders or requests to participate "
            "(switching to a direct award)",
        }[self.value]

    @property
    def notices_required(self) -> bool:
        """A user-choice contract is awarded without a transparency notice (PA23 s44) or a contract award
        notice (s50(6)(b)), and so without the standstill that notice starts; every other ground owes both."""
        return self is not DirectAwardGround.USER_CHOICE

    @property
    def standstill_required(self) -> bool:
        """PA23 s51(3): a direct award for extreme and unavoidable urgency (Schedule 5, paragraph 13) need not
        wait a standstill; the council may still choose to. A user-choice award has no notice to start one."""
        return self.notices_required and self is not DirectAwardGround.URGENCY

    def refused_for(self, contract_type: ContractType | str) -> str | None:
        """Why this ground cannot justify a contract of ``contract_type``, or None if it may."""
        kind = ContractType(contract_type)
        if self is DirectAwardGround.USER_CHOICE and kind is not ContractType.LIGHT_TOUCH:
            return (
                "A user-choice direct award (Procurement Act 2023 Schedule 5, paragraph 15) is for light-touch "
                f"services only; this request's contract type is {kind.label.lower()}"
            )
        return None

    @classmethod
    def open_to(cls, contract_type: ContractType | str | None) -> list[DirectAwardGround]:
        """The grounds that may justify a contract of ``contract_type`` (every ground while it is unknown)."""
        return [ground for ground in cls if contract_type is None or ground.refused_for(contract_type) is None]


ROUTE_LABELS = {
    Route.LOW_VALUE_PURCHASE: "Low-value purchase",
    Route.QUOTATIONS: "Quotations",
    Route.BELOW_THRESHOLD_TENDER: "Below-threshold tender",
    Route.OPEN_PROCEDURE: "Open procedure",
    Route.COMPETITIVE_FLEXIBLE: "Competitive flexible procedure",
    Route.DIRECT_AWARD: "Direct award",
    Route.FRAMEWORK_CALL_OFF: "Framework call-off",
}

# PA23 s20: above threshold, the only competitive procedures are open and competitive flexible.
ABOVE_THRESHOLD_COMPETITIVE = (Route.OPEN_PROCEDURE, Route.COMPETITIVE_FLEXIBLE)
# Always open to choose, on a recorded justification (s41-43 direct award) or a framework reference (s45-49).
EXCEPTIONAL_ROUTES = (Route.DIRECT_AWARD, Route.FRAMEWORK_CALL_OFF)


# --- Frameworks ---------------------------------------------------------------------------------
FRAMEWORK_MAX_YEARS = 4  # PA23 s47(1) (eight for defence and security or utilities frameworks); PCR 2015 reg 33(3)
OPEN_FRAMEWORK_MAX_YEARS = 8  # PA23 s49(2)(c): an open framework, the whole scheme
# PA23 s49(2)(a): an open framework awards a framework at least once in the three years beginning with its first
# award, then at least once in each five years beginning with the award of the second.
OPEN_FRAMEWORK_FIRST_REOPENING_YEARS = 3
OPEN_FRAMEWORK_REOPENING_YEARS = 5


def framework_last_day(starts_on: date, open_framework: bool = False) -> date:
    """The last day a framework's term may run to: four years beginning with the day it starts, eight for an
    open framework. Under the Act that is the limit (s47, s49); under the PCR 2015 a longer term is allowed
    "in exceptional cases duly justified" (reg 33(3)), so it is flagged there, not refused."""
    years = OPEN_FRAMEWORK_MAX_YEARS if open_framework else FRAMEWORK_MAX_YEARS
    return add_months(starts_on, 12 * years) - timedelta(days=1)


def open_framework_reopening(first_award: date, reopenings: Sequence[date], scheme_ends: date) -> Deadline | None:
    """When an open framework must next be re-opened (the next framework awarded under its scheme, PA23
    s49(2)(a)): by the last day of the three years beginning with the first framework's award; after that, by
    the last day of the five years beginning with the latest award, so that no framework after the first lasts
    longer. None where the scheme ends first (eight years beginning with the first award, s49(2)(c)): a period
    it does not outlast asks nothing of it."""
    awards = sorted(reopenings)
    if not awards:
        last = add_months(first_award, 12 * OPEN_FRAMEWORK_FIRST_REOPENING_YEARS) - timedelta(days=1)
        basis = (
            f"PA23 s49(2)(a)(i): a framework awarded under the scheme within the {OPEN_FRAMEWORK_FIRST_REOPENING_YEARS}"
            f" years beginning with {first_award:%-d %B %Y}, the first framework's award"
        )
    else:
        last = add_months(awards[-1], 12 * OPEN_FRAMEWORK_REOPENING_YEARS) - timedelta(days=1)
        basis = (
            f"PA23 s49(2)(a)(ii): a framework awarded under the scheme within the {OPEN_FRAMEWORK_REOPENING_YEARS} "
            f"years beginning with {awards[-1]:%-d %B %Y}, the latest award"
        )
    return None if last > scheme_ends else Deadline("open_framework_reopening", last, basis)


# --- Deadlines ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Deadline:
    kind: str
    due_on: date
    basis: str


def standstill(award_notice_published: date, regime: Regime | str = Regime.PA2023) -> Deadline:
    """PA23 s51: 8 working days beginning with the day the contract award notice is published. Under the PCR
    2015 (``regime``), reg 87's instead (``pcr_standstill``)."""
    if Regime(regime) is Regime.PCR2015:
        return pcr_standstill(award_notice_published)
    last = add_working_days_beginning_with(award_notice_published, STANDSTILL_WORKING_DAYS)
    return Deadline(
        "standstill_end",
        last,
        f"PA23 s51: {STANDSTILL_WORKING_DAYS} working days beginning with {award_notice_published:%-d %B %Y} "
        f"(award notice published); the contract may be entered into from {next_working_day(last):%-d %B %Y}",
    )


def pcr_standstill(letters_sent: date) -> Deadline:
    """PCR 2015 reg 87(2)(a): the decision notices (reg 86) sent electronically, the standstill period ends at
    midnight at the end of the 10th day after the day the last was sent; one that would end on a day that is
    not a working day runs to the end of the next working day."""
    last = letters_sent + timedelta(days=PCR_STANDSTILL_DAYS)
    if not is_working_day(last):
        last = next_working_day(last)
    return Deadline(
        "standstill_end",
        last,
        f"PCR 2015 reg 87(2)(a): to midnight at the end of the {PCR_STANDSTILL_DAYS}th day after "
        f"{letters_sent:%-d %B %Y} (the decision notices sent electronically, reg 86), or the next working day; "
        f"the contract may be entered into from {next_working_day(last):%-d %B %Y}",
    )


def contract_details_notice(
    entered_into: date,
    contract_type: ContractType | str,
    *,
    above_threshold: bool = True,
    regime: Regime | str = Regime.PA2023,
    call_off: bool = False,
    dps: bool = False,
) -> Deadline:
    """PA23 s53(1): within 30 days beginning with the day the contract is entered into; 120 for a light-touch
    contract (s53(2)). A notifiable below-threshold contract's, as soon as reasonably practicable (s87(3)):
    the same 30 days serve as the hub's target for it. Under the PCR 2015 (a legacy procurement, or a
    call-off under a framework procured under them), the award's publication instead (``pcr_award_notice``)."""
    if Regime(regime) is Regime.PCR2015:
        return pcr_award_notice(entered_into, above_threshold=above_threshold, call_off=call_off, dps=dps)
    if not above_threshold:
        return Deadline(
            "contract_details_notice",
            days_beginning_with(entered_into, CONTRACT_DETAILS_NOTICE_DAYS),
            f"PA23 s87(3): as soon as reasonably practicable after {entered_into:%-d %B %Y} (contract entered into), "
            f"a notifiable below-threshold contract; the hub's target is {CONTRACT_DETAILS_NOTICE_DAYS} days",
        )
    light_touch = ContractType(contract_type) is ContractType.LIGHT_TOUCH
    days = LIGHT_TOUCH_CONTRACT_DETAILS_NOTICE_DAYS if light_touch else CONTRACT_DETAILS_NOTICE_DAYS
    return Deadline(
        "contract_details_notice",
        days_beginning_with(entered_into, days),
        f"PA23 s53{'(2)' if light_touch else '(1)'}: within {days} days beginning with {entered_into:%-d %B %Y} "
        f"(contract entered into{', a light-touch contract' if light_touch else ''})",
    )


def pcr_award_notice(entered_into: date, *, above_threshold: bool, call_off: bool, dps: bool = False) -> Deadline:
    """The PCR 2015's counterpart of a contract details notice: the award published. A call-off under a
    framework agreement owes no contract award notice of its own (reg 50(4)), but is published on Contracts
    Finder (reg 108(1)(b)), as a below-threshold contract is (reg 112), within a reasonable time (90 days in
    the Cabinet Office's guidance); a contract under a dynamic purchasing system owes its award notice within 30
    days after the award, or grouped with the quarter's within 30 days of its end (reg 50(5)); any other
    above-threshold contract's is due not later than 30 days after the award (reg 50(1)); both then go on
    Contracts Finder (reg 108(1)(a), (5))."""
    entered = f"{entered_into:%-d %B %Y} (contract entered into)"
    if call_off and dps:
        return Deadline(
            "contract_details_notice",
            entered_into + timedelta(days=PCR_AWARD_NOTICE_DAYS),
            f"PCR 2015 reg 50(5)(a): a contract award notice on Find a Tender within {PCR_AWARD_NOTICE_DAYS} days "
            f"after {entered}, a contract under a dynamic purchasing system (or grouped with the quarter's within "
            f"{PCR_AWARD_NOTICE_DAYS} days of its end, reg 50(5)(b)), and the award on Contracts Finder after it "
            "(reg 108(1)(a))",
        )
    if above_threshold and not call_off:
        return Deadline(
            "contract_details_notice",
            entered_into + timedelta(days=PCR_AWARD_NOTICE_DAYS),
            f"PCR 2015 reg 50(1): a contract award notice on Find a Tender not later than {PCR_AWARD_NOTICE_DAYS} "
            f"days after {entered}, and the award on Contracts Finder after it (reg 108(1)(a))",
        )
    where = "reg 108(1)(b), a call-off under a framework agreement" if call_off else "reg 112, below the threshold"
    return Deadline(
        "contract_details_notice",
        entered_into + timedelta(days=PCR_CONTRACTS_FINDER_DAYS),
        f"PCR 2015 {where}: the award on Contracts Finder within a reasonable time after {entered}, which the "
        f"Cabinet Office's guidance puts at {PCR_CONTRACTS_FINDER_DAYS} days for a council (PPN 019)",
    )


def contract_copy_required(
    public: bool, value_ex_vat: Decimal, vat: VatTreatment | str, contract_type: ContractType | str
) -> bool:
    """PA23 s53(3): a public contract worth more than 5m (with VAT) is itself published, redacted where s94
    allows; a light-touch contract is not (s53(5)). The same test decides whether its modifications are (s77)."""
    return (
        public
        and ContractType(contract_type) is not ContractType.LIGHT_TOUCH
        and value_including_vat(value_ex_vat, vat) > PUBLISHED_CONTRACT_THRESHOLD
    )


def contract_copy(entered_into: date) -> Deadline:
    return Deadline(
        "contract_copy",
        days_beginning_with(entered_into, CONTRACT_COPY_DAYS),
        f"PA23 s53(3): a copy of the contract, which may be redacted (s94), within {CONTRACT_COPY_DAYS} days "
        f"beginning with {entered_into:%-d %B %Y} (contract entered into), as it is worth more than 5m with VAT",
    )


def modification_copy(modified_on: date) -> Deadline:
    return Deadline(
        "modification_copy",
        days_beginning_with(modified_on, CONTRACT_COPY_DAYS),
        f"PA23 s77: a copy of the modification or of the contract as modified, which may be redacted (s94), "
        f"within {CONTRACT_COPY_DAYS} days beginning with {modified_on:%-d %B %Y} (modification made), as the "
        "contract is worth more than 5m with VAT",
    )


def termination_notice(ended: date, *, for_breach: bool = False) -> Deadline:
    """PA23 s80. A contract ended by the supplier's breach owes a contract performance notice too (s71(3)); the
    termination notice may carry it instead, stating that s71(5) applies (Procurement Regulations 2024
    reg 41(2)(h)), so that one event is not published twice."""
    basis = f"PA23 s80: within {TERMINATION_NOTICE_DAYS} days beginning with {ended:%-d %B %Y} (contract ended)"
    if for_breach:
        basis += (
            "; the supplier's breach ended it, so the notice also states that s71(5) applies and what was breached "
            "(Procurement Regulations 2024 reg 41(2)(h)), in place of a separate contract performance notice"
        )
    return Deadline("termination_notice", days_beginning_with(ended, TERMINATION_NOTICE_DAYS), basis)


def breach_performance_notice(applies_from: date) -> Deadline:
    """PA23 s71(3)-(5): a supplier's breach that led to partial termination, damages or a settlement, or its
    failure to improve its performance when given the chance, is published in a contract performance notice
    within 30 days of the day s71(5) first applied."""
    return Deadline(
        "breach_performance_notice",
        days_beginning_with(applies_from, BREACH_NOTICE_DAYS),
        f"PA23 s71(5): a contract performance notice within {BREACH_NOTICE_DAYS} days of {applies_from:%-d %B %Y}, "
        "when the supplier's breach led to partial termination, damages or a settlement, or it failed to improve "
        "after being given the chance (s71(3)-(4))",
    )


def contract_change_notice(approved_on: date) -> Deadline:
    return Deadline(
        "contract_change_notice",
        approved_on,
        f"PA23 s75(1): publish a contract change notice before making the modification approved on "
        f"{approved_on:%-d %B %Y}; the modification waits for it",
    )


def change_standstill(change_notice_published: date) -> Deadline:
    """PA23 s76: a voluntary standstill after a contract change notice, 8 working days beginning with the day
    the notice is published; the modification may be made from the next working day."""
    last = add_working_days_beginning_with(change_notice_published, STANDSTILL_WORKING_DAYS)
    return Deadline(
        "change_standstill_end",
        last,
        f"PA23 s76: a voluntary standstill of {STANDSTILL_WORKING_DAYS} working days beginning with "
        f"{change_notice_published:%-d %B %Y} (contract change notice published); the modification may be made "
        f"from {next_working_day(last):%-d %B %Y}",
    )


def final_kpi_assessment(ended: date) -> Deadline:
    return Deadline(
        "final_kpi_assessment",
        ended,
        f"PA23 s71(2): the contract ended {ended:%-d %B %Y}; assess the supplier against its KPIs on termination "
        "and publish the assessment (a contract performance notice)",
    )


# The deadlines that are duties to publish a notice (or a document with one: a copy of the contract), with the
# notice's type on Find a Tender. Such a duty stays due until the publication is recorded: one missed (the
# scheduler down past its warning period) is raised late.
NOTICE_DUTIES = {
    "contract_details_notice": "UK7",
    "contract_copy": "UK7",  # a document of the contract's details notice
    "contract_change_notice": "UK10",
    "modification_copy": "UK10",  # a document of the modification's change notice
    "termination_notice": "UK11",
    "breach_performance_notice": "UK9",
    "final_kpi_assessment": "UK9",
    "procurement_termination_notice": "UK12",
}


# What officers call each dated duty or date on a case (notices with their Find a Tender type).
DEADLINE_NAMES = {
    "standstill_end": "Standstill ends",
    "change_standstill_end": "Voluntary standstill ends",
    "forward_plan": "Key decision can be taken from",  # its forward plan entry's clear days, or an urgency rule's
    "contract_details_notice": "Contract details notice (UK7)",
    "contract_copy": "Copy of the contract, with its details notice (UK7)",
    "modification_copy": "Copy of the modified contract, with its change notice (UK10)",
    "contract_change_notice": "Contract change notice (UK10)",
    "termination_notice": "Contract termination notice (UK11)",
    "breach_performance_notice": "Contract performance notice on the supplier's breach (UK9)",
    "final_kpi_assessment": "KPI assessment on termination (UK9)",
    "procurement_termination_notice": "Procurement termination notice (UK12)",
}


def conflicts_law(regime: Regime | str | None, sections: str = "sections 81 to 83") -> str:
    """Where a procurement's duty to find and keep its conflicts of interest in hand is written: the Act's
    ``sections`` (81 to 83: declarations, the conflicts assessment), or for a procurement under the PCR 2015
    (a legacy one, a call-off under a PCR framework) the Regulations' one, regulation 24."""
    if regime == Regime.PCR2015:
        return "Public Contracts Regulations 2015 reg 24"
    return f"Procurement Act 2023 {sections}"


# The same duties of a procurement or contract under the PCR 2015, where the name differs.
PCR_DEADLINE_NAMES = {"contract_details_notice": "Contract award notice (PCR 2015)"}


def deadline_name(kind: str, regime: Regime | str | None = None) -> str:
    """A dated duty on a case by the name officers use, with its notice type ("Contract change notice (UK10)");
    under the PCR 2015 (``regime``), by the Regulations' name where it differs."""
    if regime == Regime.PCR2015 and kind in PCR_DEADLINE_NAMES:
        return PCR_DEADLINE_NAMES[kind]
    return DEADLINE_NAMES.get(kind) or kind.replace("_", " ").capitalize()


def earliest_key_decision(forward_plan_published: date, clear_days: int = FORWARD_PLAN_NOTICE_DAYS) -> Deadline:
    """The first day a key decision may be taken: ``clear_days`` whole days between the day its forward plan
    entry was published and the day of the decision, neither counted (R v Swansea CC ex p Elitestone, 1993)."""
    if clear_days < FORWARD_PLAN_NOTICE_DAYS:
        raise ValueError(f"a key decision needs at least {FORWARD_PLAN_NOTICE_DAYS} clear days on the forward plan")
    earliest = forward_plan_published + timedelta(days=clear_days + 1)
    return Deadline(
        "forward_plan",
        earliest,
        f"Key decision: on the forward plan from {forward_plan_published:%-d %B %Y}, so taken on or after "
        f"{earliest:%-d %B %Y}, {clear_days} clear days later (2012 Access to Information Regulations, reg 9)",
    )


class KeyDecisionUrgency(enum.StrEnum):
    """How a key decision is taken without its 28 clear days on the forward plan (2012 Access to Information
    Regulations): under the general exception (reg 10), the chair of the relevant overview and scrutiny
    committee told in writing and the notice published at least 5 clear days before; or, where even that is
    impracticable, under special urgency (reg 11), the chair (or, failing one, the council's chair, then
    vice-chair) agreeing that it is urgent and cannot reasonably be deferred. Either way a notice of the
    reasons is published (regs 10(3), 11(2))."""

    GENERAL_EXCEPTION = "general_exception"
    SPECIAL_URGENCY = "special_urgency"

    @property
    def label(self) -> str:
        return {
            KeyDecisionUrgency.GENERAL_EXCEPTION: "The general exception: the scrutiny chair told and the notice "
            "published, 5 clear days before (reg 10)",
            KeyDecisionUrgency.SPECIAL_URGENCY: "Special urgency: the scrutiny chair agreed it is urgent and cannot "
            "reasonably be deferred (reg 11)",
        }[self]

    @property
    def short(self) -> str:
        """ "the general exception", where the regulations are named already."""
        return {
            KeyDecisionUrgency.GENERAL_EXCEPTION: "the general exception",
            KeyDecisionUrgency.SPECIAL_URGENCY: "special urgency",
        }[self]

    @property
    def named(self) -> str:
        """ "the general exception (reg 10)", as a sentence names it."""
        return {
            KeyDecisionUrgency.GENERAL_EXCEPTION: "the general exception (2012 Access to Information Regulations, "
            "reg 10)",
            KeyDecisionUrgency.SPECIAL_URGENCY: "special urgency (2012 Access to Information Regulations, reg 11)",
        }[self]


GENERAL_EXCEPTION_CLEAR_DAYS = 5  # reg 10(1)(c)


def urgent_key_decision(urgency: KeyDecisionUrgency, on: date) -> Deadline:
    """The first day a key decision may be taken under ``urgency``: 5 clear days after the general exception's
    notice was given and published (``on``), neither day counted; the day the special urgency was agreed."""
    if urgency is KeyDecisionUrgency.GENERAL_EXCEPTION:
        earliest, done = on + timedelta(days=GENERAL_EXCEPTION_CLEAR_DAYS + 1), "its notice given and published"
    else:
        earliest, done = on, "agreed as urgent"
    return Deadline(
        "forward_plan",
        earliest,
        f"Key decision under {urgency.named}: {done} on {on:%-d %B %Y}, so taken on or after {earliest:%-d %B %Y}",
    )


# --- Authority-wide duties (PA23 s69, s70, s93) --------------------------------------------------------
PAYMENT_TERM_DAYS = 30  # PA23 s68(2): a valid invoice is paid within 30 days of its receipt


def paid_within_term(days: Any) -> Any:
    """Whether a payment made ``days`` after its invoice day was within the s68(2) term: for a number of
    days, or, given a SQL expression of them, as SQL."""
    return days <= PAYMENT_TERM_DAYS


PAYMENTS_COMPLIANCE_DAYS = 30
# s69 came into force on 1 January 2026 (the Procurement Act 2023 (Commencement No. 4) Regulations 2025, SI
# 2025/1316; 1 April 2026 for procurements the Welsh Ministers regulate, which no English council's are): its
# first reporting period ran from then to 31 March 2026 (s69(3)(a)), not from 1 October 2025 as first trailed.
PAYMENTS_COMPLIANCE_BEGAN = date(2026, 1, 1)
PAYMENTS_NOTICE_DAYS = 30
PAYMENTS_NOTICE_THRESHOLD = Decimal("30000")  # PA23 s70: each payment of more than this, with VAT
PAYMENTS_NOTICE_FIRST_QUARTER_END = date(2026, 6, 30)  # s70 came into force on 1 April 2026 (SI 2025/1316)
# s70 reaches the payments under public contracts procured from its commencement: a contract whose procurement
# commenced before 1 April 2026 owes none, though paid under after it.
PAYMENTS_NOTICE_PROCURED_FROM = date(2026, 4, 1)
PIPELINE_SPEND_THRESHOLD = 100_000_000
PIPELINE_DAYS = 56


@dataclass(frozen=True, order=True)
class ReportingPeriod(MonthsOfTheYear):
    """PA23 s69(3): a payments compliance notice's six months, from 1 April or 1 October. ``starts`` names the
    half-year; the first period began later, on ``first_day`` (s69(3)(a): with the section's coming into force),
    and is named by that day's month, ``2026-01``."""

    MONTHS = 6
    NAME = "reporting period"
    EXAMPLE = "2026-04 for April to September 2026 or 2026-10 for October 2026 to March 2027"
    FIELD = "period"

    @classmethod
    def parse(cls, text: str) -> ReportingPeriod:
        if text.strip() == f"{PAYMENTS_COMPLIANCE_BEGAN:%Y-%m}":  # the first period, by the month it began
            return cls.containing(PAYMENTS_COMPLIANCE_BEGAN)
        return super().parse(text)

    @property
    def first_day(self) -> date:
        """The day the reporting period began: its half-year's first, but for the first period."""
        return PAYMENTS_COMPLIANCE_BEGAN if self.starts < PAYMENTS_COMPLIANCE_BEGAN <= self.ends else self.starts

    @property
    def code(self) -> str:
        return f"{self.first_day:%Y-%m}"

    @classmethod
    def owed_so_far(cls, today: date) -> list[ReportingPeriod]:
        """The periods that have ended since the duty began, latest first."""
        period, periods = cls.containing(today).previous, []
        while period.ends >= PAYMENTS_COMPLIANCE_BEGAN:  # the first ended 31 March 2026
            periods.append(period)
            period = period.previous
        return periods

    @property
    def due_on(self) -> date:
        return days_beginning_with(self.ends, PAYMENTS_COMPLIANCE_DAYS)

    @property
    def label(self) -> str:
        """ "1 April to 30 September 2026", "1 October 2026 to 31 March 2027"; the first, "1 January to 31
        March 2026"."""
        first = self.first_day
        starts = f"{first:%-d %B}" + (f" {first.year}" if first.year != self.ends.year else "")
        return f"{starts} to {self.ends:%-d %B %Y}"


def payments_compliance_notice(today: date) -> Deadline | None:
    """PA23 s69 and reg 38: for the reporting period that ended most recently, a payments compliance notice
    within 30 days beginning with its last day; None before the first period has ended."""
    period = ReportingPeriod.containing(today).previous
    if period.ends < PAYMENTS_COMPLIANCE_BEGAN:
        return None
    return Deadline(
        "payments_compliance_notice",
        period.due_on,
        f"PA23 s69 and reg 38: within {PAYMENTS_COMPLIANCE_DAYS} days beginning with {period.ends:%-d %B %Y}, the "
        "last day of the reporting period; approved by the officer responsible for finances",
    )


def payments_notice(today: date) -> Deadline | None:
    """PA23 s70: for the quarter that ended most recently (to 31 March, 30 June, 30 September, 31 December),
    a payments notice within 30 days beginning with its last day, listing each payment of more than 30,000
    made in it under a public contract; None before the first quarter has ended."""
    quarter_end = date(today.year, today.month - (today.month - 1) % 3, 1) - timedelta(days=1)
    if quarter_end < PAYMENTS_NOTICE_FIRST_QUARTER_END:
        return None
    return Deadline(
        "payments_notice",
        days_beginning_with(quarter_end, PAYMENTS_NOTICE_DAYS),
        f"PA23 s70: within {PAYMENTS_NOTICE_DAYS} days beginning with {quarter_end:%-d %B %Y}, the last day of the "
        f"quarter; each payment of more than {pounds(PAYMENTS_NOTICE_THRESHOLD, pence=False)} (with VAT) made in "
        f"it under a public contract procured since {PAYMENTS_NOTICE_PROCURED_FROM:%-d %B %Y}",
    )


def pipeline_notice(today: date, expected_spend: int) -> Deadline | None:
    """PA23 s93: an authority expecting to pay over 100m in the financial year publishes its pipeline within
    56 days beginning with 1 April (by 26 May); None outside that window or below the threshold."""
    start = date(today.year, 4, 1)
    due = days_beginning_with(start, PIPELINE_DAYS)
    if expected_spend <= PIPELINE_SPEND_THRESHOLD or not start <= today <= due:
        return None
    return Deadline(
        "pipeline_notice",
        due,
        f"PA23 s93: expected spend over {pounds(PIPELINE_SPEND_THRESHOLD, pence=False)} this financial year; "
        f"publish within {PIPELINE_DAYS} days beginning with {start:%-d %B %Y}, listing contracts over "
        "£2,000,000 to be advertised in the next 18 months",
    )


# 2012 Access to Information Regulations reg 19: the executive leader reports to the council each key decision
# taken under special urgency since the last report, at intervals the council sets, and at least once a year.
SPECIAL_URGENCY_REPORT = "special_urgency_report"
REPORTING_INTERVALS = (1, 2, 3, 4, 6, 12)  # months that divide the financial year: its periods start on 1 April


def special_urgency_report_period(today: date, every_months: int) -> tuple[date, date]:
    """The first and last days of the period of ``every_months`` months (counted from 1 April) that ended most
    recently before ``today``."""
    year_starts = financial_year_starts(today)
    into = (today.year - year_starts.year) * 12 + today.month - year_starts.month
    current = add_months(year_starts, into // every_months * every_months)  # the period today is in
    return add_months(current, -every_months), current - timedelta(days=1)


def special_urgency_report(today: date, every_months: int, within_days: int) -> Deadline | None:
    """Reg 19: the report of the key decisions taken under special urgency in the period that ended most
    recently, due ``within_days`` after its last day (when the council meets to receive it is its own
    timetable, as are the intervals: at least one report a year, ``every_months`` at most 12). None once that
    day has passed: a period that ended before the system was running is not asked for (its decisions were
    not recorded here); the scheduler asks about every day since its last run, so downtime loses none."""
    starts, ends = special_urgency_report_period(today, every_months)
    if today > ends + timedelta(days=within_days):
        return None
    return Deadline(
        SPECIAL_URGENCY_REPORT,
        ends + timedelta(days=within_days),
        f"2012 Access to Information Regulations reg 19: each key decision taken under special urgency from "
        f"{starts:%-d %B %Y} to {ends:%-d %B %Y} (or that none was), reported to the council within {within_days} "
        "days of the period's end, as the council's governance file sets; at least one report a year",
    )


def public_contract(
    regime: Regime | str,
    value_ex_vat: Decimal,
    vat: VatTreatment | str,
    contract_type: ContractType | str,
    commencement: date,
) -> tuple[bool, str]:
    """Whether a contract is a "public contract" under the Procurement Act 2023 (s2-3: procured under the Act,
    above threshold), the contracts whose change and termination notices the Act requires (s75, s80), and why.

    A contract procured under the Public Contracts Regulations 2015 stays under them to its end, and they ask
    for no such notice; a below-threshold contract is notified once, on award (s87), and changes under s74(4).
    """
    if Regime(regime) is not Regime.PA2023:
        return False, "procured under the Public Contracts Regulations 2015, which stay in force for it"
    position = statutory_position(value_ex_vat, vat, contract_type, commencement)
    if not position.above_threshold:
        return False, f"not a public contract under the Procurement Act 2023: {position.summary}"
    return True, f"a public contract under the Procurement Act 2023: {position.summary}"


def kpis_required(
    public: bool, value_ex_vat: Decimal, vat: VatTreatment | str, contract_type: ContractType | str
) -> bool:
    """PA23 s52: a public contract worth more than 5m (with VAT) has at least three key performance indicators,
    assessed and published at least every 12 months (s71). Light-touch contracts are exempt; so is a contract
    whose supplier's performance could not appropriately be assessed by KPIs, which the council decides."""
    return (
        public
        and ContractType(contract_type) is not ContractType.LIGHT_TOUCH
        and value_including_vat(value_ex_vat, vat) > KPI_THRESHOLD
    )


MIN_KPIS = 3  # PA23 s52(1): "at least three"


# --- Contract modifications (PA23 s74-75) ---------------------------------------------------------
class ModificationBasis(enum.StrEnum):
    """Why an above-threshold contract may be modified without a new procurement: under the Act (s74(1)), a
    permitted modification (Schedule 8), one that is not substantial, or a below-threshold modification; for a
    contract procured under the Public Contracts Regulations 2015, their regulation 72, which the Act's grounds
    largely carry over. Light-touch contracts under the Act may be modified freely."""

    PROVIDED_FOR = "provided_for"
    URGENCY = "urgency"
    UNFORESEEABLE = "unforeseeable"
    KNOWN_RISK = "known_risk"
    ADDITIONAL = "additional"
    NEW_SUPPLIER = "new_supplier"
    NOT_SUBSTANTIAL = "not_substantial"
    BELOW_THRESHOLD = "below_threshold"

    def label(self, regime: Regime | str) -> str:
        return MODIFICATION_BASES[Regime(regime)][self]

    @classmethod
    def offered(cls, regime: Regime | str) -> tuple[tuple[str, str], ...]:
        """The bases a contract under ``regime`` may be modified on, as (code, label) pairs."""
        return tuple((basis.value, label) for basis, label in MODIFICATION_BASES[Regime(regime)].items())

    def limits(self, contract_type: ContractType | str, value_change: Decimal, term_change: Decimal) -> str | None:
        """What the basis does not allow in a change of ``value_change`` and ``term_change`` (fractions of the
        contract's value and term), or None."""
        if self in (ModificationBasis.UNFORESEEABLE, ModificationBasis.ADDITIONAL) and value_change > ADDED_VALUE_LIMIT:
            return f"it may add at most 50% to the contract's value, and this adds {value_change:.1%}"
        if self is ModificationBasis.BELOW_THRESHOLD:
            limit = WORKS_CHANGE_LIMIT if ContractType(contract_type) is ContractType.WORKS else CHANGE_LIMIT
            if abs(value_change) > limit:
                return (
                    f"it may change the contract's value by at most {limit:.0%}, and this changes it by "
                    f"{abs(value_change):.1%}"
                )
        if self is ModificationBasis.NOT_SUBSTANTIAL and abs(term_change) > CHANGE_LIMIT:
            return f"it may change the contract's term by at most 10%, and this changes it by {abs(term_change):.1%}"
        return None


ADDED_VALUE_LIMIT = Decimal("0.5")  # unforeseeable circumstances and additional supplies: PA23 Sch 8, PCR reg 72
CHANGE_LIMIT = Decimal("0.10")  # goods and services; and any contract's term
WORKS_CHANGE_LIMIT = Decimal("0.15")
MODIFICATION_BASES: dict[Regime, dict[ModificationBasis, str]] = {
    # PA23 s74(1) and Schedule 8; paragraphs 1, 2, 4 and 5 as the Act numbers them.
    Regime.PA2023: {
        ModificationBasis.PROVIDED_FOR: "Provided for unambiguously in the contract and its tender or transparency "
        "notice, without changing its overall nature (Schedule 8, paragraph 1)",
        ModificationBasis.URGENCY: "Urgency or the protection of life: its purpose could otherwise be met by a direct "
        "award for extreme and unavoidable urgency (Schedule 8, paragraph 2)",
        ModificationBasis.UNFORESEEABLE: "Circumstances the council could not reasonably have foreseen before the "
        "award, without changing the contract's overall nature or adding more than 50% to its value (Schedule 8, "
        "paragraph 4)",
        ModificationBasis.KNOWN_RISK: "A known risk has materialised (Schedule 8, paragraph 5)",
        ModificationBasis.ADDITIONAL: "Additional goods, services or works that a change of supplier could not "
        "provide without serious disadvantage, adding no more than 50% to the value (Schedule 8)",
        ModificationBasis.NEW_SUPPLIER: "Another supplier takes the contract over on a corporate restructuring "
        "(Schedule 8; a contract change notice is needed whatever the sums)",
        ModificationBasis.NOT_SUBSTANTIAL: "Not a substantial modification: the term changes by no more than 10%, "
        "and neither the scope nor the economic balance changes materially in the supplier's favour (s74)",
        ModificationBasis.BELOW_THRESHOLD: "A below-threshold modification: the value changes by no more than 10% "
        "(15% for works), with any earlier such changes (s74)",
    },
    # PCR 2015 regulation 72.
    Regime.PCR2015: {
        ModificationBasis.PROVIDED_FOR: "Provided for in clear, precise and unequivocal review clauses in the "
        "procurement documents (regulation 72(1)(a))",
        ModificationBasis.ADDITIONAL: "Additional works, services or supplies a change of contractor cannot "
        "provide, adding no more than 50% to the value (regulation 72(1)(b))",
        ModificationBasis.UNFORESEEABLE: "Circumstances a diligent council could not have foreseen, without "
        "changing the contract's overall nature or adding more than 50% to its value (regulation 72(1)(c))",
        ModificationBasis.NEW_SUPPLIER: "A new contractor replaces the one the contract was awarded to "
        "(regulation 72(1)(d))",
        ModificationBasis.NOT_SUBSTANTIAL: "Not substantial (regulation 72(1)(e) and (8))",
        ModificationBasis.BELOW_THRESHOLD: "Below the threshold and under 10% of the value (15% for works), without "
        "changing the contract's overall nature (regulation 72(1)(f) and (5))",
    },
}


def change_notice_required(
    contract_type: ContractType | str,
    value_before: Decimal,
    value_after: Decimal,
    term_months_before: int,
    term_months_after: int,
    *,
    maximum_term_months: int | None = None,
    new_supplier: bool = False,
) -> tuple[bool, str]:
    """Whether a modification needs a contract change notice, and why (PA23 s75).

    Not needed when the value moves by no more than 10% (goods and services) or 15% (works), and the
    term by no more than 10% of the maximum term provided for on award (its extension options included:
    ``maximum_term_months``, else the term before), unless another supplier takes the contract over on a
    corporate restructuring. Light-touch contracts are exempt (s75(6)(b)).
    """
    kind = ContractType(contract_type)
    if kind is ContractType.LIGHT_TOUCH:
        return False, "light-touch contracts need no change notice (PA23 s75(6)(b))"
    if new_supplier:
        return True, "another supplier takes the contract over on a corporate restructuring (PA23 s75)"
    value_limit = WORKS_CHANGE_LIMIT if kind is ContractType.WORKS else CHANGE_LIMIT
    value_change = abs(value_after - value_before) / value_before if value_before else Decimal(1)
    term_basis = maximum_term_months or term_months_before
    term_change = (
        Decimal(abs(term_months_after - term_months_before)) / Decimal(term_basis) if term_basis else Decimal(0)
    )
    if value_change > value_limit:
        return True, f"value changes by {value_change:.1%}, more than {value_limit:.0%} (PA23 s75)"
    if term_change > CHANGE_LIMIT:
        return True, f"term changes by {term_change:.1%} of its maximum, more than 10% (PA23 s75)"
    return False, f"value change {value_change:.1%} and term change {term_change:.1%} are within PA23 s75 limits"
