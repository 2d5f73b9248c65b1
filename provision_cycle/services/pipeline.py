"""The procurement pipeline notice (UK1, PA23 s93), drawn up from what the hub holds.

A council that expects to pay more than £100m under public contracts in a financial year publishes, between
1 April and 26 May, the public contracts worth more than £2m for which it means to publish a tender or
transparency notice in the 18 months from 1 April. The list here is the draft its intelligence analysts check
and publish, from two sources:

- **procurements in progress**: commissioning and procurement cases not yet at an end whose tender or
  transparency notice is still to come, for a public contract (above threshold) worth more than £2m including
  VAT, by a route that advertises (a framework call-off does not), to start before the period ends (or with
  no start given yet);
- **contracts ending**: register contracts worth more than £2m still running on 1 April whose successor would
  be advertised in the period (about ``REPROCUREMENT_LEAD_MONTHS`` before the contract ends), with no extension
  option left, and not already being re-commissioned (that case is in the first source) or left to end.

The Act's values include VAT, as its thresholds do. A joint case or contract is in both councils' lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import not_, select
from sqlalchemy.orm import Session

from ..core import Core
from ..errors import InvalidInput, NotFound, NotPermitted
from ..governance.calendar import add_months, days_beginning_with, financial_year_starts
from ..governance.organisation import OVERSIGHT_ROLES
from ..governance.statutory import (
    PIPELINE_DAYS,
    PIPELINE_SPEND_THRESHOLD,
    ContractType,
    Route,
    statutory_position,
    value_including_vat,
)
from ..models import Case, Contract
from ..workflow.engine import Actor
from .reading import at_an_end, of_council

PIPELINE_VALUE = Decimal("2000000")  # s93: public contracts with an estimated value of more than £2 million
PIPELINE_MONTHS = 18  # the 18 months beginning with the first day of the financial year
# When a contract's successor is advertised, as near as the register can say: this long before it ends.
REPROCUREMENT_LEAD_MONTHS = 9
# A contract in one of these states is not being re-procured by a notice still to come: the renewal decision
# re-commissioned it (the new case is listed instead) or let it end.
NOT_REPROCURED = ("recommissioning", "expiring")
# The details that say a case is past planning: its tender or transparency notice is out, or (a user-choice
# contract, which has no notice) the people it serves have chosen its supplier.
ADVERTISED = ("tender_notice_published_on", "transparency_notice_published_on", "user_choice_recorded_on")

COLUMNS = (
    "Council",
    "Source",
    "Reference",
    "Title",
    "Description",
    "Pillar",
    "Category",
    "Contract type",
    "Estimated value excluding VAT",
    "Estimated value including VAT",
    "Route",
    "Expected contract start",
    "Duration in months",
    "Where it is now",
    "Note",
)
PROCUREMENT, CONTRACT_ENDING = "Procurement in progress", "Contract ending"


@dataclass(frozen=True)
class PipelineEntry:
    """One contract the council means to advertise, as the draft lists it (the fields of ``COLUMNS``)."""

    council: str
    source: str  # PROCUREMENT or CONTRACT_ENDING
    reference: str
    title: str
    description: str
    pillar: str
    category: str
    contract_type: str
    value: Decimal  # excluding VAT
    value_with_vat: Decimal
    route: str
    expected_start: date | None
    duration_months: int | None
    where_now: str
    note: str

    def cells(self) -> list[str]:
        return [
            self.council,
            self.source,
            self.reference,
            self.title,
            self.description,
            self.pillar,
            self.category,
            self.contract_type,
            f"{self.value:.2f}",
            f"{self.value_with_vat:.2f}",
            self.route,
            self.expected_start.isoformat() if self.expected_start else "",
            str(self.duration_months or ""),
            self.where_now,
            self.note,
        ]


@dataclass(frozen=True)
class FinancialYear:
    starts: date  # 1 April

    @classmethod
    def parse(cls, text: str) -> FinancialYear:
        """``2027`` or ``2027-28``: the financial year starting 1 April 2027."""
        match = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", text.strip())
        if not match or (match[2] and int(match[2]) != (int(match[1]) + 1) % 100):
            raise InvalidInput({"year": f"'{text}' is not a financial year: write it as 2027 or 2027-28"})
        if not 2000 <= int(match[1]) <= 2100:
            raise InvalidInput({"year": f"'{text}' is not a financial year this system plans for"})
        return cls(date(int(match[1]), 4, 1))

    @classmethod
    def to_prepare(cls, today: date) -> FinancialYear:
        """The year whose notice is being drawn up on ``today``: this financial year's until its publishing
        window closes (26 May), then the next one's."""
        this = cls(financial_year_starts(today))
        return this if today <= this.publish_by else this.next

    @property
    def next(self) -> FinancialYear:
        return FinancialYear(date(self.starts.year + 1, 4, 1))

    @property
    def publish_by(self) -> date:
        return days_beginning_with(self.starts, PIPELINE_DAYS)

    @property
    def period_ends(self) -> date:
        return add_months(self.starts, PIPELINE_MONTHS) - timedelta(days=1)

    @property
    def code(self) -> str:
        return f"{self.starts.year}-{(self.starts.year + 1) % 100:02d}"

    @property
    def label(self) -> str:
        return f"{self.starts.year} to {self.starts.year + 1}"


def duty_applies(expected_spend: int) -> bool:
    """Whether a council expecting to pay ``expected_spend`` in the year must publish a pipeline notice."""
    return expected_spend > PIPELINE_SPEND_THRESHOLD


def drafting_councils(actor: Actor) -> list[str]:
    """The councils whose pipeline ``actor`` may draw up: those they oversee the cycle for."""
    return sorted({authority for role, authority, _ in actor.roles if role in OVERSIGHT_ROLES})


def pipeline_rows(
    core: Core, session: Session, authority: str, year: FinancialYear, *, actor: Actor | None = None
) -> list[PipelineEntry]:
    """The council's draft pipeline for ``year``: procurements in progress by expected start, then contracts
    ending by end date. With ``actor`` (the web), only for a council they oversee; the command line's
    operator may draw up any."""
    if authority not in core.governance.organisation.authorities:
        raise NotFound(f"There is no council {authority}")
    if actor is not None and authority not in drafting_councils(actor):
        raise NotPermitted(f"Only {authority}'s intelligence team and its senior officers draw up its pipeline")
    return [*_procurements(core, session, authority, year), *_contracts_ending(core, session, authority, year)]


def _procurements(core: Core, session: Session, authority: str, year: FinancialYear) -> Iterator[PipelineEntry]:
    org = core.governance.organisation
    cases = session.scalars(
        select(Case)
        .where(
            of_council(Case.authority, authority),
            Case.stage.in_(["commissioning", "procurement"]),
            not_(at_an_end(core)),
            Case.route.is_distinct_from(Route.FRAMEWORK_CALL_OFF.value),
        )
        .order_by(Case.proposed_start, Case.id)
    )
    for case in cases:
        details = case.details or {}
        gross = value_including_vat(case.estimated_value, case.vat_treatment)
        if gross <= PIPELINE_VALUE or any(details.get(key) for key in ADVERTISED):
            continue
        if case.proposed_start and case.proposed_start > year.period_ends:
            continue
        position = statutory_position(case.estimated_value, case.vat_treatment, case.contract_type, year.starts)
        if not position.above_threshold:  # works under the works threshold: not a public contract
            continue
        definition = core.workflows.get(case.workflow, case.workflow_version)
        route = Route.of(case.route)
        yield PipelineEntry(
            council=authority,
            source=PROCUREMENT,
            reference=case.reference,
            title=case.title,
            description=case.description,
            pillar=org.pillars[case.pillar].name,
            category=org.categories[case.category].name,
            contract_type=ContractType(case.contract_type).label,
            value=case.estimated_value,
            value_with_vat=gross,
            route=route.label if route else "Not chosen yet",
            expected_start=case.proposed_start,
            duration_months=case.duration_months,
            where_now=f"{case.stage.capitalize()}: {definition.label(case.state)}",
            note="" if case.proposed_start else "No start date given yet: confirm it falls in the period",
        )


def _contracts_ending(core: Core, session: Session, authority: str, year: FinancialYear) -> Iterator[PipelineEntry]:
    org = core.governance.organisation
    latest_end = add_months(year.period_ends, REPROCUREMENT_LEAD_MONTHS)
    rows = session.execute(
        select(Contract, Case)
        .join(Case, Case.id == Contract.case_id)
        .where(
            of_council(Contract.authority, authority),
            Contract.end_date >= year.starts,
            Contract.end_date <= latest_end,
            Contract.extension_months_available == 0,
            not_(at_an_end(core)),
            Case.state.not_in(NOT_REPROCURED),
        )
        .order_by(Contract.end_date, Contract.id)
    )
    for contract, case in rows:
        gross = value_including_vat(contract.value, contract.vat_treatment)
        if gross <= PIPELINE_VALUE:
            continue
        advertise_by = add_months(contract.end_date, -REPROCUREMENT_LEAD_MONTHS)
        if advertise_by < year.starts:  # its successor was due out before the period: listed in case it is not yet
            successor = (
                f"would have been advertised by about {advertise_by:%-d %B %Y}, before the period. List it only if "
                f"its notice is still to come on or after {year.starts:%-d %B %Y}"
            )
        else:
            successor = f"would be advertised by about {advertise_by:%-d %B %Y}. Confirm it will be re-procured"
        definition = core.workflows.get(case.workflow, case.workflow_version)
        yield PipelineEntry(
            council=authority,
            source=CONTRACT_ENDING,
            reference=contract.reference,
            title=contract.title,
            description=contract.description,
            pillar=org.pillars[contract.pillar].name,
            category=org.categories[contract.category].name,
            contract_type=ContractType(contract.contract_type).label,
            value=contract.value,  # the successor's, as near as the register can say
            value_with_vat=gross,
            route="Not chosen yet",
            expected_start=contract.end_date + timedelta(days=1),
            duration_months=None,
            where_now=f"Contract: {definition.label(case.state)}",
            note=f"Ends {contract.end_date:%-d %B %Y} with no extension left: its successor {successor}",
        )
