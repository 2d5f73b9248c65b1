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
from ..errors import InvalidInput, NotFound
from ..governance import statutory
from ..governance.calendar import implausible
from ..governance.statutory import Route, commenced_before, ppon, regime_for
from ..models import Case, Contract
from ..models.contracts import CONTRACT_RISKS, LONGEST_NOTICE_DAYS, LONGEST_TERM_MONTHS
from ..models.suppliers import supplier_given
from ..workflow.context import contract_in_law_commenced, owe_deadline

END_BEFORE_START = "The end date is before the start date"


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
    supplier_is_supported_employment: bool | None = None  # PA23 s32; None where the register does not say
    supplier_is_public_service_mutual: bool | None = None  # PA23 s33
    supplier_registration: str = ""  # Companies House or charity number
    supplier_ppon: str = ""  # its unique identifier on the Central Digital Platform (``statutory.PPON``)
    irrecoverable_vat: Decimal = Decimal(0)
    route: str | None = None  # how it was procured, where the register knows
    state: str = "live"
    # The longest it could run as awarded, its extension options included, where the register knows: what a
    # change of term is weighed against (PA23 s74(3)(a)); else its term now with the options left.
    maximum_term_months: int | None = None

    @property
    def commenced(self) -> date:
        """When its procurement commenced, as near as the register can say."""
        return commenced_before(self.start_date)

    @property
    def regime(self) -> str:
        return regime_for(self.commenced).value


def import_contract(core: Core, session: Session, existing: ExistingContract, *, actor_id: int) -> Contract:
    """Add one existing contract and its case, inside the caller's unit of work. Refused, with every problem
    named by field, before anything is written, if the contract does not make sense."""
    if problems := check_existing(core, existing):
        raise InvalidInput(problems)
    pillar = core.governance.organisation.categories[existing.category].pillar
    months = max(1, round((existing.end_date - existing.start_date).days / 30.44))
    case_id = core.engine.insert_case(
        session,
        stage="contract",
        actor_id=actor_id,
        requester_id=existing.contract_manager_id,
        now=core.engine.clock(),
        **_case_fields(existing),
        vat_treatment="standard",
        duration_months=months,
        regime=existing.regime,
        commencement_date=existing.commenced,
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
        supplier_is_supported_employment=existing.supplier_is_supported_employment,
        supplier_is_public_service_mutual=existing.supplier_is_public_service_mutual,
        supplier_registration=existing.supplier_registration,
        supplier_ppon=ppon(existing.supplier_ppon) or "",
        value=existing.value,
        irrecoverable_vat=existing.irrecoverable_vat,
        route=existing.route,
        signed_on=existing.signed_on or existing.start_date - timedelta(days=14),
        start_date=existing.start_date,
        end_date=existing.end_date,
        extension_months_available=existing.extension_months_available,
        maximum_term_months=existing.maximum_term_months,  # None: worked out on insert (``Contract``)
        notice_period_days=existing.notice_period_days,
        risk=existing.risk,
        contract_manager_id=existing.contract_manager_id,
        created_at=core.engine.clock(),  # the engine's clock, like every other timestamp it writes
    )
    session.add(contract)
    session.flush()
    _owe_a_recent_contract_s_copy(core, session, contract, existing.signed_on, actor_id)
    return contract


def _owe_a_recent_contract_s_copy(
    core: Core, session: Session, contract: Contract, signed_on: date | None, actor_id: int
) -> None:
    """A contract entered into under the Act worth more than 5m is published within 90 days (PA23 s53(3)):
    one loaded while those days still run is owed its copy, which its contract manager records when it is
    out (or already was). Only on the date the register gives: a guessed one would raise a duty on a guess."""
    if signed_on is None:
        return
    public, _ = contract_in_law_commenced(contract, None)
    if not statutory.contract_copy_required(public, contract.value, contract.vat_treatment, contract.contract_type):
        return
    copy = statutory.contract_copy(signed_on)
    if copy.due_on < core.engine.today():
        return
    owed = owe_deadline(session, contract.case_id, copy)
    core.engine.note_case_event(
        session,
        session.get(Case, contract.case_id),
        actor_id=actor_id,
        action="owe_contract_copy",
        data={"deadlines": {copy.kind: owed.isoformat()}},
    )


def _case_fields(existing: ExistingContract) -> dict[str, object]:
    """The request fields of the contract's case."""
    return {
        "title": existing.title,
        "description": existing.description,
        "authority": existing.authority,
        "category": existing.category,
        "contract_type": existing.contract_type,
        "estimated_value": existing.value,
    }


def check_existing(core: Core, existing: ExistingContract) -> dict[str, str]:
    """What is wrong with an existing contract (field -> message); empty if it makes sense."""
    # A contract's case has a request's fields: the engine's own checks for them, with the contract's names.
    wrong = core.engine.check_case_fields(**_case_fields(existing))
    problems = {"value" if name == "estimated_value" else name: text for name, text in wrong.items()}
    if "title" in problems and not existing.title.strip():  # not "a title for the request"
        problems["title"] = "Enter the contract's title"
    problems |= supplier_given(existing.supplier_name, existing.supplier_registration, existing.supplier_ppon).problems
    if existing.value < 0:
        problems["value"] = "The value cannot be negative"
    if existing.irrecoverable_vat < 0:
        problems["irrecoverable_vat"] = "The irrecoverable VAT cannot be negative"
    if existing.route is not None and Route.of(existing.route) is None:
        problems["route"] = "Choose a procurement route: " + ", ".join(route.label for route in Route)
    for name in ("start_date", "end_date", "signed_on"):
        day = getattr(existing, name)
        if day is not None and (problem := implausible(day)):
            problems[name] = problem
    if "start_date" not in problems and "end_date" not in problems and existing.end_date < existing.start_date:
        problems["end_date"] = END_BEFORE_START
    if existing.risk not in CONTRACT_RISKS:
        problems["risk"] = "Choose low, medium or high"
    for name, most, unit in (
        ("notice_period_days", LONGEST_NOTICE_DAYS, "days"),
        ("extension_months_available", LONGEST_TERM_MONTHS, "months"),
    ):
        if not 0 <= getattr(existing, name) <= most:
            problems[name] = f"Enter a whole number of {unit}, 0 to {most:,}"
    longest = existing.maximum_term_months
    if longest is not None and not 1 <= longest <= LONGEST_TERM_MONTHS:
        problems["maximum_term_months"] = (
            f"Enter the longest it could run as awarded, in whole months, 1 to {LONGEST_TERM_MONTHS:,}"
        )
    elif longest is not None and longest < existing.extension_months_available:
        problems["maximum_term_months"] = (
            f"The longest it could run as awarded ({longest} months) is shorter than the extension options left "
            f"({existing.extension_months_available} months)"
        )
    return problems


def lock_contract(core: Core, session: Session, contract_id: int) -> tuple[Contract, Case]:
    """A contract and its case, the case locked (one change to a contract at a time) and the contract read
    again under the lock."""
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise NotFound(f"There is no contract {contract_id}")
    case = core.engine.lock_case(session, contract.case_id, None)
    session.refresh(contract)
    return contract, case
