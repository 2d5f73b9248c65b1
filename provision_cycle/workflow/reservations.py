"""A competition reserved to certain suppliers: a tender (or request to participate) from any other supplier is
not assessed (or is set aside).

Two kinds of reservation are recorded by the step that publishes the tender notice (or invites quotations),
which is where suppliers learn of it; its answers are kept in the case's details and read back here.

- **By place** (the Local Government (Exclusion of Non-commercial Considerations) (England) Order 2026, in force
  from 4 February 2026), below the threshold: to suppliers based in the UK or in the council's local area (its
  county; its own area, a district's; or its area with the counties and London boroughs bordering it, as
  ``Organisation.local_areas_of`` words them from configuration), and with that, if the council chooses, to
  small and medium-sized enterprises (SMEs) and voluntary, community and social enterprises (VCSEs). A
  supplier's place is where it is based or established and has substantive business operations, not where its
  owners are. Or, with no place, to SMEs and VCSEs alone, wherever they are based (``ANYWHERE``). The place is
  kept as the words it was advertised in, so a later change to the configuration leaves it as it was. Before
  the Order the Local Government Act 1988 s17(5)(e) barred a council from weighing where a contractor's business
  is: a competition advertised before 4 February 2026 is not reserved by place (``rules.place_reservable_then``).
  (Procurement Policy Note 005, central government's, which this reservation was first built on, never lets SMEs
  and VCSEs go alone.)
- **By kind of supplier** (Procurement Act 2023 s32, s33), for a public contract by the competitive flexible
  procedure: to supported employment providers (at least 30% of the workforce disabled or disadvantaged people,
  s32(4)), or, for reservable light-touch services with a term of five years at most, to qualifying public
  service mutuals (s33(1), (6)): a mutual that has entered into a comparable contract (the same kind of services,
  the same council, reserved under s33) in the three years before is not one (s33(5)).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..governance.calendar import add_months
from ..models import Case
from ..models.suppliers import supplier_key

# The power a council reserves a below-threshold competition by place under (in force 4 February 2026, SI 2026/94:
# it lifts the Local Government Act 1988 s17(5)(e) for below-threshold contracts). Procurement Policy Note 005,
# which the same reservation followed before, is central government's.
POLICY = "the Local Government (Exclusion of Non-commercial Considerations) (England) Order 2026"
# Before it, s17(5)(e) (where contractors' business activities are) barred a council from reserving by place.
POLICY_IN_FORCE = date(2026, 2, 4)
# The workflow's inputs, as the case's details keep them.
RESERVED = "reserved"  # yes or no
PLACE = "reserved_to_suppliers_in"  # UK, a local area in words (``places``), or ANYWHERE
SMES_AND_VCSES = "reserved_to_smes_and_vcses"  # yes or no
KIND = "reserved_for"  # a SupplierKind
UK = "uk"
# No place: the competition is reserved to SMEs and VCSEs alone, wherever they are based (the 2026 Order allows it
# "with or without the area reservation"; Procurement Policy Note 005 did not).
ANYWHERE = "anywhere"
# s33(1)(b): a public contract reserved to public service mutuals has a maximum term of five years or less.
MUTUALS_LONGEST_TERM_MONTHS = 60
# s33(5): a mutual that entered into a comparable contract in the three years ending with the award is not a
# qualifying one.
MUTUALS_COMPARABLE_YEARS = 3


class SupplierKind(enum.StrEnum):
    SUPPORTED_EMPLOYMENT = "supported_employment_providers"
    PUBLIC_SERVICE_MUTUALS = "public_service_mutuals"

    @property
    def label(self) -> str:
        return {
            SupplierKind.SUPPORTED_EMPLOYMENT: "Supported employment providers (Procurement Act 2023 s32)",
            SupplierKind.PUBLIC_SERVICE_MUTUALS: (
                "Qualifying public service mutuals (Procurement Act 2023 s33: reservable light-touch services only)"
            ),
        }[self]

    @property
    def answer(self) -> str:
        """The award recommendation's input saying whether its supplier is of this kind (PR24 reg 27(2)(e)(v),
        reg 32(2)(g)(iv): the award and contract details notices say it)."""
        return {
            SupplierKind.SUPPORTED_EMPLOYMENT: "supplier_is_supported_employment",
            SupplierKind.PUBLIC_SERVICE_MUTUALS: "supplier_is_public_service_mutual",
        }[self]


def places(local_areas: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """Where a council's competition may be reserved to, as (code, label) choices: the UK, each of its local
    areas (``Organisation.local_areas_of``: their words are the code), or no place (to SMEs and VCSEs alone)."""
    local = ((area, area) for area in dict.fromkeys(local_areas) if area)
    return ((UK, "The United Kingdom"), *local, (ANYWHERE, "Anywhere: SMEs and VCSEs alone, wherever they are based"))


def kinds(*, light_touch: bool, term_months: int | None) -> tuple[tuple[str, str], ...]:
    """The kinds of supplier a public contract's competitive flexible procedure may be reserved to, as (code,
    label) choices: supported employment providers always (s32), public service mutuals for light-touch
    services with a term of five years at most (s33(1))."""
    mutuals = light_touch and term_months is not None and term_months <= MUTUALS_LONGEST_TERM_MONTHS
    return tuple(
        (kind.value, kind.label) for kind in SupplierKind if mutuals or kind is not SupplierKind.PUBLIC_SERVICE_MUTUALS
    )


@dataclass(frozen=True)
class Reservation:
    """Who alone may tender, in words, and the question each tender (or request) answers about its supplier."""

    law: str
    suppliers: str  # who may tender: "SMEs and VCSEs based in Oxfordshire"
    question: str  # asked of each supplier: yes, it is within the reservation ("": nothing to ask, see ``asks``)
    unanswered: str  # said when the question is not answered
    heading: str  # the answer's, in a table: "Based in Oxfordshire"
    codes: tuple[str, ...] = ()  # the OCDS reservedParticipation codes
    place: str = ""  # by place: UK, a local area in words, or ANYWHERE
    smes_and_vcses: bool = False  # by place: and only SMEs and VCSEs
    kind: SupplierKind | None = None  # by kind of supplier

    @staticmethod
    def of(details: Mapping[str, Any]) -> Reservation | None:
        """The reservation a case's details record; None for a competition open to all."""
        if details.get(RESERVED) is not True:
            return None
        if place := details.get(PLACE):
            return _by_place(place, details.get(SMES_AND_VCSES) is True)
        if kind := SupplierKind._value2member_map_.get(details.get(KIND)):
            return _by_kind(SupplierKind(kind))
        return None

    @property
    def described(self) -> str:
        return f"Reserved to {self.suppliers} ({self.law})"

    @property
    def left_out(self) -> str:
        """Why a tender (or request) from a supplier outside the reservation is not assessed (or set aside)."""
        return f"Not among the {self.suppliers} the competition is reserved to ({self.law})"

    @property
    def mutuals(self) -> bool:
        return self.kind is SupplierKind.PUBLIC_SERVICE_MUTUALS

    @property
    def asks(self) -> bool:
        """Whether each tender (or request) answers a question of its own about its supplier: not for one
        reserved to SMEs and VCSEs alone, which every tender already says."""
        return bool(self.question)

    def admits(self, *, within: bool | None, is_sme: bool, is_vcse: bool) -> bool:
        return (within or not self.asks) and (not self.smes_and_vcses or is_sme or is_vcse)

    def open_data(self) -> dict[str, Any]:
        """As the OCDS ``tender.otherRequirements`` (the otherRequirements extension, and the UK profile's)."""
        requirements: dict[str, Any] = {"reservedParticipation": list(self.codes) or None}
        if self.place and self.place != ANYWHERE:
            requirements["reservedParticipationLocation"] = {
                "description": "United Kingdom" if self.place == UK else self.place
            }
        return requirements


def _by_place(place: str, smes_and_vcses: bool) -> Reservation:
    if place == ANYWHERE:
        return Reservation(
            law=POLICY, suppliers="SMEs and VCSEs", question="", unanswered="", heading="", codes=("smeVcse",),
            place=place, smes_and_vcses=True,
        )  # fmt: skip
    where = "the UK" if place == UK else place
    return Reservation(
        law=POLICY,
        suppliers=f"{'SMEs and VCSEs' if smes_and_vcses else 'suppliers'} based in {where}",
        question=f"Is the supplier based or established in {where}, with substantive business operations there?",
        unanswered=f"Say whether the supplier is based in {where}",
        heading=f"Based in {where.partition(' (')[0]}",  # a column's: a wider area's bordering ones left to the rest
        codes=("smeVcse",) if smes_and_vcses else (),
        place=place,
        smes_and_vcses=smes_and_vcses,
    )


def _by_kind(kind: SupplierKind) -> Reservation:
    if kind is SupplierKind.SUPPORTED_EMPLOYMENT:
        return Reservation(
            law="Procurement Act 2023 s32",
            suppliers="supported employment providers",
            question="Is the supplier a supported employment provider (disabled or disadvantaged people at least "
            "30% of the workforce that would perform the contract)?",
            unanswered="Say whether the supplier is a supported employment provider",
            heading="Supported employment provider",
            codes=("shelteredWorkshop",),
            kind=kind,
        )
    return Reservation(
        law="Procurement Act 2023 s33",
        suppliers="qualifying public service mutuals",
        question="Is the supplier a public service mutual (run to deliver public services, not for profit or for "
        "its members' profit only, and managed and controlled by its employees)?",
        unanswered="Say whether the supplier is a public service mutual",
        heading="Public service mutual",
        codes=("publicServiceMissionOrganization",),
        kind=kind,
    )


def comparable_contract(session: Session, case: Case, key: str, councils: Iterable[str], today: date) -> str | None:
    """Why the supplier whose name has ``key`` is not a qualifying public service mutual for ``case`` (PA23
    s33(5)), if it is not: it entered into a comparable contract in the three years ending today (the award's
    day is not known yet: today is the nearest), one for the same kind of services (the same category, here),
    awarded by the same council (one of ``councils``: the case's, and joint ones) in reliance on s33."""
    since = add_months(today, -12 * MUTUALS_COMPARABLE_YEARS)
    others = session.scalars(
        select(Case).where(
            Case.stage == "procurement",
            Case.route == "competitive_flexible",  # s33 is for that procedure alone
            Case.id != case.id,
            Case.category == case.category,
            Case.authority.in_(tuple(councils)),
        )
    )
    for other in others:
        details = other.details or {}
        signed = date.fromisoformat(details["signed_on"]) if details.get("signed_on") else None
        reserved = details.get(RESERVED) is True and details.get(KIND) == SupplierKind.PUBLIC_SERVICE_MUTUALS
        awarded_to = supplier_key(details.get("supplier_name") or "")
        if reserved and signed and since < signed <= today and awarded_to == key:
            return (
                f"Entered into a comparable contract, {other.reference}, on {signed:%-d %B %Y}: not a qualifying "
                "public service mutual (Procurement Act 2023 s33(5))"
            )
    return None
