"""Which frameworks a call-off may be made under, and the law it then follows. Read by the procurement's
workflow (the frameworks ``start_call_off`` offers, the regime its effect gives the case, the guard on the
award) and by the pages and the service that keep the register."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from ..governance.organisation import JOINT
from ..models import Framework
from ..models.suppliers import supplier_key

# A procurement's detail: the id of the framework its call-off is made under (as ``start_call_off`` chose it).
FRAMEWORK = "framework"


def running_on(framework: Framework, day: date) -> bool:
    return framework.starts_on <= day <= framework.ends_on


def running(day: date) -> ColumnElement[bool]:
    """``running_on``, as SQL."""
    return and_(Framework.starts_on <= day, Framework.ends_on >= day)


def ours_to_reopen(day: date) -> ColumnElement[bool]:
    """The open frameworks the councils established themselves, running on ``day``, as SQL: theirs, then, to
    re-open in time (PA23 s49(2)(a))."""
    return and_(Framework.open_framework, Framework.council_established, running(day))


def frameworks_for_call_off(session: Session, case: Any, day: date) -> list[Framework]:
    """The frameworks the case's council may call off from on ``day`` (a joint procurement, from a framework
    both may use), running that day, by provider and reference."""
    query = (
        select(Framework)
        .where(Framework.authority.in_([case.authority, JOINT]), running(day))
        .order_by(Framework.provider, Framework.reference, Framework.lot)
    )
    return list(session.scalars(query))


def framework_named_by(session: Session, details: dict[str, Any]) -> Framework | None:
    """The framework a call-off's details name, if any."""
    chosen = details.get(FRAMEWORK)
    return session.get(Framework, int(chosen)) if chosen and str(chosen).isdigit() else None


def framework_name(framework: Framework) -> str:
    """``Crown Commercial Service RM6098 lot 1: Technology Products``."""
    return f"{framework_reference(framework)}: {framework.title}"


def framework_reference(framework: Framework) -> str:
    """``Crown Commercial Service RM6098 lot 1``."""
    lot = f" lot {framework.lot}" if framework.lot else ""
    return f"{framework.provider} {framework.reference}{lot}"


def allows_direct_award(framework: Framework) -> bool:
    """Whether a call-off under ``framework`` may be awarded without a further competition among its suppliers:
    it has one supplier, or it sets out the core terms and an objective way to choose the supplier (PA23
    s45(3)-(4); the PCR 2015 reg 33 likewise). Never under a dynamic purchasing system, whose contracts go
    to a competition among its admitted suppliers (PCR 2015 reg 34)."""
    return not framework.dps and (framework.direct_award or len(framework.suppliers) == 1)


def on_the_framework(framework: Framework, name: str) -> bool:
    """Whether a contract may be called off with ``name`` under ``framework``: one of its suppliers, however the
    name is spelt (PA23 s45(2): a framework provides for contracts with the suppliers party to it). Any supplier
    where its suppliers were not recorded, since then nobody here can tell."""
    return not framework.suppliers or supplier_key(name) in {supplier_key(party) for party in framework.suppliers}
