"""Loading existing contracts into the register (a council's contracts that predate the system).

Each one gets a contract-management case, opened at the state the register says it stands in today and
with its route frozen, so it is managed, reviewed and renewed like a contract the system procured.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from ..core import Core
from ..models import Contract

PA2023_COMMENCED = date(2025, 2, 24)


@dataclass(frozen=True)
class ExistingContract:
    title: str
    authority: str
    category: str
    contract_type: str
    supplier_name: str
    value: Decimal  # total, excluding VAT
    start_date: date
    end_date: date
    contract_manager_id: int
    description: str = "Existing contract loaded from the register."
    signed_on: date | None = None
    extension_months_available: int = 0
    notice_period_days: int = 90
    risk: str = "medium"
    supplier_is_sme: bool = False
    supplier_is_vcse: bool = False
    state: str = "live"

    @property
    def regime(self) -> str:
        # The procurement commenced some months before the contract started: PCR 2015 before 24 Feb 2025.
        return "PCR2015" if self.start_date - timedelta(days=120) < PA2023_COMMENCED else "PA2023"


def import_contract(core: Core, session: Session, existing: ExistingContract, *, actor_id: int) -> Contract:
    """Add one existing contract and its case, inside the caller's unit of work."""
    pillar = core.governance.organisation.categories[existing.category].pillar
    months = max(1, round((existing.end_date - existing.start_date).days / 30.44))
    case_id = core.engine.insert_case(
        session,
        stage="contract",
        actor_id=actor_id,
        requester_id=existing.contract_manager_id,
        now=core.engine.clock(),
        title=existing.title,
        description=existing.description,
        authority=existing.authority,
        category=existing.category,
        contract_type=existing.contract_type,
        estimated_value=existing.value,
        vat_treatment="standard",
        duration_months=months,
        regime=existing.regime,
        commencement_date=existing.start_date - timedelta(days=120),
        freeze=True,
        state=existing.state,
    )
    contract = Contract(
        reference=f"CON-{case_id:06d}",
        case_id=case_id,
        title=existing.title,
        description=existing.description,
        authority=existing.authority,
        pillar=pillar,
        category=existing.category,
        contract_type=existing.contract_type,
        regime=existing.regime,
        supplier_name=existing.supplier_name,
        supplier_is_sme=existing.supplier_is_sme,
        supplier_is_vcse=existing.supplier_is_vcse,
        value=existing.value,
        signed_on=existing.signed_on or existing.start_date - timedelta(days=14),
        start_date=existing.start_date,
        end_date=existing.end_date,
        extension_months_available=existing.extension_months_available,
        notice_period_days=existing.notice_period_days,
        risk=existing.risk,
        contract_manager_id=existing.contract_manager_id,
        created_at=core.engine.clock(),  # the engine's clock, like every other timestamp it writes
    )
    session.add(contract)
    session.flush()
    return contract
