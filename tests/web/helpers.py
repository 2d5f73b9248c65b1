"""Helpers for the web tests: contracts in the register, without going through a whole procurement."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from provision_cycle.services.register import ExistingContract, import_contract


def seed_contracts(core, people, count: int, authority: str = "OCC") -> list[int]:
    today = core.engine.today()
    ids = []
    with core.db.unit_of_work() as session:
        for n in range(count):
            contract = import_contract(
                core,
                session,
                ExistingContract(
                    title=f"Contract {n}",
                    authority=authority,
                    category="corporate_supplies",
                    contract_type="goods",
                    supplier_name=f"Supplier {n}",
                    value=Decimal(10000 + n * 1000),
                    start_date=today - timedelta(days=400),
                    end_date=today + timedelta(days=30 * (n + 1)),
                    contract_manager_id=people.contract_manager,
                ),
                actor_id=people.officer,
            )
            ids.append(contract.id)
    return ids
