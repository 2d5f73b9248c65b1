"""A below-threshold competition reserved (Procurement Policy Note 005): to suppliers based in the UK or in one
county, and with that, if the council chooses, to small and medium-sized enterprises (SMEs) and voluntary,
community and social enterprises (VCSEs).

The note is the Cabinet Office's for central government; other contracting authorities "may apply" its
approach. It covers regulated below-threshold contracts other than special regime contracts. A location is one
county (or London borough) or the whole UK, never one of its nations, and a supplier's is where it is based or
established and has substantive business operations, not where its owners are. A reservation to SMEs and VCSEs
never goes alone: the location reservation "must always apply" with it. A tender from a supplier the
reservation leaves out is not assessed.

The step that publishes the tender notice (or invites quotations) records the reservation, in the case's
details, with its reasons: the notice is where suppliers learn of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

POLICY = "Procurement Policy Note 005"
# The workflow's inputs, as the case's details keep them.
RESERVED = "reserved"  # yes or no
PLACE = "reserved_to_suppliers_in"  # UK, or a county's name
SMES_AND_VCSES = "reserved_to_smes_and_vcses"  # yes or no
UK = "uk"


def places(counties: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """Where a council's competition may be reserved to, as (code, label) choices: the UK, and the county (or
    counties, for a joint case) its councils are in."""
    return ((UK, "The United Kingdom"), *((county, county) for county in dict.fromkeys(counties) if county))


@dataclass(frozen=True)
class Reservation:
    place: str  # UK, or a county's (or London borough's) name
    smes_and_vcses: bool

    @classmethod
    def of(cls, details: Mapping[str, Any]) -> Reservation | None:
        """The reservation a case's details record; None for a competition open to all."""
        if details.get(RESERVED) is not True or not details.get(PLACE):
            return None
        return cls(details[PLACE], details.get(SMES_AND_VCSES) is True)

    @property
    def where(self) -> str:
        return "the UK" if self.place == UK else self.place

    @property
    def suppliers(self) -> str:
        """Who may tender, in words: "SMEs and VCSEs based in Oxfordshire"."""
        return f"{'SMEs and VCSEs' if self.smes_and_vcses else 'suppliers'} based in {self.where}"

    @property
    def described(self) -> str:
        return f"Reserved to {self.suppliers} ({POLICY})"

    @property
    def location_question(self) -> str:
        return f"Is the supplier based or established in {self.where}, with substantive business operations there?"

    @property
    def left_out(self) -> str:
        """Why a tender from a supplier outside the reservation is not assessed."""
        return f"Not among the {self.suppliers} the competition is reserved to ({POLICY})"

    def admits(self, *, based_there: bool, is_sme: bool, is_vcse: bool) -> bool:
        return based_there and (not self.smes_and_vcses or is_sme or is_vcse)

    def open_data(self) -> dict[str, Any]:
        """As the OCDS ``tender.otherRequirements`` of the UK profile: the place, and ``smeVcse``."""
        location = {"description": "United Kingdom" if self.place == UK else self.place}
        return {
            "reservedParticipation": ["smeVcse"] if self.smes_and_vcses else None,
            "reservedParticipationLocation": location,
        }
