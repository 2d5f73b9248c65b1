"""The frameworks register: the frameworks the councils call off from, with their terms and the law each was
procured under. A call-off (``start_call_off``) chooses its framework from here: only one running that day,
for its council, and the call-off keeps that framework's law (a framework procured under the Public Contracts
Regulations 2015 keeps its call-offs under them, whenever they start).

Kept by the councils' category teams (any pillar: a framework serves several) and administrators. Every
change is all or nothing and leaves an event on the audit trail's system chain.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import Core
from ..db import CHANGE_LOCK
from ..errors import ChangedMeanwhile, InvalidInput, NotFound, NotPermitted
from ..governance.calendar import implausible
from ..governance.organisation import JOINT
from ..governance.statutory import (
    PA2023_COMMENCEMENT,
    PCR_DPS_LAST_DAY,
    Deadline,
    Regime,
    framework_last_day,
    open_framework_reopening,
)
from ..models import Case, Framework, FrameworkReopening, Task, TaskStatus
from ..models.suppliers import supplier_key
from ..models.tasks import FRAMEWORK_REOPENING
from ..workflow.definitions import WorkflowRegistry
from ..workflow.engine import Actor
from ..workflow.frameworks import FRAMEWORK
from . import reading
from .tasks import REOPENED, finish_task

MAX_LINE, MAX_REFERENCE, MAX_TEXT, MAX_SUPPLIERS = 200, 60, 4000, 1000


@dataclass(frozen=True)
class FrameworkGiven:
    provider: str
    reference: str
    lot: str
    title: str
    regime: str
    starts_on: date | None
    ends_on: date | None
    authority: str
    notes: str = ""
    open_framework: bool = False  # an open framework (PA23 s49)
    suppliers: Sequence[str] = ()  # those party to it, as its provider lists them; none: not recorded
    direct_award: bool = False  # it provides for a call-off without a further competition (PA23 s45(4)(b))
    fee_percent: str | Decimal | None = None  # its fee on each call-off, as a percentage ("1", "0.5%"); none: none
    council_established: bool = False  # the councils' own (theirs the duty to re-open an open one, PA23 s49(2))
    dps: bool = False  # a dynamic purchasing system established under the PCR 2015 (reg 34)


def may_keep_register(actor: Actor, authority: str | None = None) -> bool:
    """In a category team, any pillar's, or an administrator, of ``authority`` (of either council for a joint
    framework, or with none given)."""
    return actor.runs_category(authority or JOINT, None)


def record_framework(
    core: Core,
    actor_id: int,
    given: FrameworkGiven,
    *,
    framework_id: int | None = None,
    expected_version: int | None = None,
) -> int:
    """Add a framework to the register, or correct one (``framework_id``, as it was at ``expected_version``
    where the caller read it: a correction after someone else's is refused); returns its id."""
    fields = _fields(core, given)
    with core.db.unit_of_work() as session:
        actor = core.engine.actor(session, actor_id)
        if not may_keep_register(actor, fields["authority"]):
            raise NotPermitted("Only a category team or an administrator of the council keeps its frameworks")
        same = select(Framework).where(
            Framework.provider == fields["provider"],
            Framework.reference == fields["reference"],
            Framework.lot == fields["lot"],
        )
        if (other := session.scalar(same)) is not None and other.id != framework_id:
            raise InvalidInput({"reference": f"{other.provider} {other.reference} is in the register already"})
        if framework_id is None:
            framework = Framework(recorded_by_id=actor_id, recorded_at=core.engine.clock(), **fields)
            session.add(framework)
            session.flush()
        else:
            framework = _to_change(
                session, actor, framework_id, expected_version, "corrected", "your changes were not saved", "make them"
            )
            if problems := _scheme_problems(fields, reopenings_of(session, framework.id)):
                raise InvalidInput(problems)
            for name, value in fields.items():
                setattr(framework, name, value)
            framework.version += 1
        action = "add_framework" if framework_id is None else "correct_framework"
        core.engine.system_event(
            session, actor_id=actor_id, action=action, data={"framework_id": framework.id, **fields}
        )
        return framework.id


def _fields(core: Core, given: FrameworkGiven) -> dict:
    lines = {name: getattr(given, name).strip() for name in ("provider", "reference", "lot", "title")}
    notes = given.notes.strip()
    errors: dict[str, str] = {}
    for name, what in (("provider", "who established it"), ("reference", "its reference"), ("title", "its title")):
        if not lines[name]:
            errors[name] = f"Enter {what}"
    for name, longest in (("provider", MAX_LINE), ("reference", MAX_REFERENCE), ("lot", MAX_LINE), ("title", MAX_LINE)):
        if len(lines[name]) > longest:
            errors[name] = f"Keep it to {longest} characters"
    if len(notes) > MAX_TEXT:
        errors["notes"] = f"Keep the notes to {MAX_TEXT} characters"
    suppliers, wrong = _suppliers(given.suppliers)
    if wrong:
        errors["suppliers"] = wrong
    fee, wrong = _fee(given.fee_percent)
    if wrong:
        errors["fee_percent"] = wrong
    if given.regime not in {regime.value for regime in Regime}:
        errors["regime"] = "Choose the law it was procured under"
    if not core.governance.organisation.is_authority_choice(given.authority):
        errors["authority"] = "Choose the council that may use it, or both"
    if given.starts_on is None:
        errors["starts_on"] = "Enter the date it started"
    elif problem := implausible(given.starts_on):
        errors["starts_on"] = problem
    if given.ends_on is None:
        errors["ends_on"] = "Enter the last date a call-off may be made under it"
    elif problem := implausible(given.ends_on):
        errors["ends_on"] = problem
    if not errors and given.ends_on <= given.starts_on:
        errors["ends_on"] = "It ends after it starts"
    if not errors and given.regime == Regime.PA2023 and given.starts_on < PA2023_COMMENCEMENT:
        errors["regime"] = (
            "A framework that started before 24 February 2025 was procured under the Public Contracts "
            "Regulations 2015 (or earlier law), not the Procurement Act 2023"
        )
    if not errors and given.open_framework and given.regime != Regime.PA2023:
        errors["open_framework"] = "An open framework is the Procurement Act 2023's (s49): not one under the PCR 2015"
    if (
        not errors
        and given.regime == Regime.PA2023
        and given.ends_on > (latest := framework_last_day(given.starts_on, given.open_framework))
    ):
        limit = (
            "an open framework runs eight years at most (s49)"
            if given.open_framework
            else "a framework runs four years at most (s47)"
        )
        errors["ends_on"] = (
            f"Under the Procurement Act 2023 {limit}: one that started on {given.starts_on:%-d %B %Y} "
            f"ends by {latest:%-d %B %Y}"
        )
    if not errors and given.dps:
        errors |= _dps_problems(given, fee)
    if not errors and given.open_framework and (problem := _single_supplier_problem(given.starts_on, suppliers,
                                                                                     given.ends_on)):  # fmt: skip
        errors["ends_on"] = problem
    if errors:
        raise InvalidInput(errors)
    return {**lines, "notes": notes, "regime": given.regime, "starts_on": given.starts_on, "ends_on": given.ends_on,
            "authority": given.authority, "open_framework": given.open_framework, "suppliers": suppliers,
            "direct_award": given.direct_award, "fee_percent": fee,
            "council_established": given.council_established, "dps": given.dps}  # fmt: skip


def _to_change(
    session: Session, actor: Actor, framework_id: int, expected_version: int | None, done: str, lost: str, redo: str
) -> Framework:
    """The framework ``actor`` is changing, its row locked: as the page they changed it from showed it
    (``expected_version``, where given), else ``ChangedMeanwhile`` saying someone ``done`` it, so ``lost``."""
    framework = session.get(Framework, framework_id, with_for_update=CHANGE_LOCK)
    if framework is None or not may_keep_register(actor, framework.authority):
        raise NotFound(f"There is no framework {framework_id} that you can change")
    if expected_version is not None and framework.version != expected_version:
        raise ChangedMeanwhile(
            f"Someone {done} {framework.provider} {framework.reference} after you opened this page, so {lost}. "
            f"This is how it stands now: {redo} again if still needed."
        )
    return framework


def record_reopening(
    core: Core,
    framework_id: int,
    actor_id: int,
    awarded_on: date | None,
    suppliers: Sequence[str],
    *,
    expected_version: int | None = None,
) -> int:
    """An open framework re-opened: the next framework of its scheme awarded on ``awarded_on`` to ``suppliers``
    (those party to it now, the ones already on it among them if they stay: PA23 s49(4)-(5)), which become the
    register's list; the framework before it expired on that award (s49(2)(b)). Returns the re-opening's id."""
    names, wrong = _suppliers(suppliers)
    errors = {"suppliers": wrong} if wrong else {}
    if awarded_on is None:
        errors["awarded_on"] = "Enter the date the framework was awarded on re-opening"
    elif awarded_on > core.engine.today():
        errors["awarded_on"] = "Record a re-opening once its framework is awarded: the date is in the future"
    with core.db.unit_of_work() as session:
        actor = core.engine.actor(session, actor_id)
        framework = _to_change(
            session, actor, framework_id, expected_version, "changed", "the re-opening was not recorded", "record it"
        )
        if not framework.open_framework:
            raise InvalidInput({"awarded_on": "Only an open framework is re-opened (Procurement Act 2023 s49)"})
        latest = max([framework.starts_on, *(r.awarded_on for r in reopenings_of(session, framework.id))])
        if awarded_on is not None and "awarded_on" not in errors:
            if awarded_on <= latest:
                errors["awarded_on"] = f"A re-opening comes after the framework's latest award, on {latest:%-d %B %Y}"
            elif awarded_on > framework.ends_on:
                errors["awarded_on"] = f"The scheme ended on {framework.ends_on:%-d %B %Y}: it cannot be re-opened"
        if not errors and (problem := _single_supplier_problem(awarded_on, names, framework.ends_on)):
            errors["suppliers"] = problem
        if errors:
            raise InvalidInput(errors)
        reopening = FrameworkReopening(
            framework_id=framework.id,
            awarded_on=awarded_on,
            suppliers=names,
            suppliers_before=list(framework.suppliers),
            recorded_by_id=actor_id,
            recorded_at=core.engine.clock(),
        )
        session.add(reopening)
        framework.suppliers, framework.version = names, framework.version + 1
        session.flush()
        data = {"framework_id": framework.id, "awarded_on": awarded_on, "suppliers": names}
        core.engine.system_event(session, actor_id=actor_id, action="reopen_framework", data=data)
        for task in session.scalars(
            select(Task).where(
                Task.framework_id == framework.id, Task.kind == FRAMEWORK_REOPENING, Task.status == TaskStatus.OPEN
            )
        ):  # the re-opening its keeper was asked for is done
            finish_task(core, session, task, None, actor_id, REOPENED, "")
        return reopening.id


def _single_supplier_problem(awarded_on: date, suppliers: Sequence[str], scheme_ends: date) -> str:
    """PA23 s49(6): a framework of an open framework awarded to one supplier expires, and the scheme with it,
    within the four years beginning with that award; what is wrong where it does not (empty if nothing)."""
    last = framework_last_day(awarded_on)
    if len(suppliers) != 1 or scheme_ends <= last:
        return ""
    return (
        f"An open framework's framework awarded to a single supplier ends, with the scheme, within four years of "
        f"that award (Procurement Act 2023 s49(6)): by {last:%-d %B %Y}, not {scheme_ends:%-d %B %Y}"
    )


def _scheme_problems(fields: dict, reopenings: Sequence[FrameworkReopening]) -> dict[str, str]:
    """What a correction of an open framework already re-opened would contradict (empty if nothing): it stays
    open, started before its first re-opening and runs past its latest."""
    if not reopenings:
        return {}
    first, latest = reopenings[0].awarded_on, reopenings[-1].awarded_on
    if not fields["open_framework"]:
        return {"open_framework": f"It was re-opened on {first:%-d %B %Y}: it is an open framework"}
    if fields["starts_on"] >= first:
        return {"starts_on": f"It was re-opened on {first:%-d %B %Y}: its first framework was awarded before that"}
    if fields["ends_on"] < latest:
        return {"ends_on": f"It was re-opened on {latest:%-d %B %Y}: it runs on past that"}
    return {}


def reopenings_of(session: Session, framework_id: int) -> list[FrameworkReopening]:
    """An open framework's re-openings, the earliest first."""
    query = select(FrameworkReopening).where(FrameworkReopening.framework_id == framework_id)
    return list(session.scalars(query.order_by(FrameworkReopening.awarded_on)))


@dataclass(frozen=True)
class SchemeAward:
    """One framework of an open framework's scheme: when it was awarded, to how many suppliers (None: not
    recorded), how many of them new to it (None for the first)."""

    awarded_on: date
    suppliers: int | None
    joined: int | None


def scheme_of(framework: Framework, reopenings: Sequence[FrameworkReopening]) -> list[SchemeAward]:
    """The frameworks awarded under an open framework's scheme, the first (its start) first."""
    first = reopenings[0].suppliers_before if reopenings else framework.suppliers
    awards = [SchemeAward(framework.starts_on, len(first) or None, None)]
    for reopening in reopenings:
        before = {supplier_key(name) for name in reopening.suppliers_before}
        joined = sum(supplier_key(name) not in before for name in reopening.suppliers)
        awards.append(SchemeAward(reopening.awarded_on, len(reopening.suppliers) or None, joined))
    return awards


def reopenings_by_framework(session: Session) -> dict[int, list[date]]:
    """When each open framework was re-opened, by the framework's id (one query, for the register's list)."""
    found: dict[int, list[date]] = {}
    rows = session.execute(select(FrameworkReopening.framework_id, FrameworkReopening.awarded_on))
    for framework_id, awarded_on in rows:
        found.setdefault(framework_id, []).append(awarded_on)
    return found


def reopening_due(framework: Framework, reopened: Sequence[date]) -> Deadline | None:
    """When an open framework must next be re-opened (``statutory.open_framework_reopening``); None for any
    other framework, or where its scheme ends first."""
    if not framework.open_framework:
        return None
    return open_framework_reopening(framework.starts_on, reopened, framework.ends_on)


def _dps_problems(given: FrameworkGiven, fee: Decimal | None) -> dict[str, str]:
    """What a dynamic purchasing system established under the PCR 2015 cannot be (empty if nothing)."""
    if given.regime != Regime.PCR2015:
        return {"dps": "Under the Procurement Act 2023 a dynamic purchasing system is a dynamic market: record it "
                       "under Dynamic markets"}  # fmt: skip
    if given.ends_on > PCR_DPS_LAST_DAY:
        return {"ends_on": f"A dynamic purchasing system under the PCR 2015 runs to {PCR_DPS_LAST_DAY:%-d %B %Y} at "
                           "the latest (the Procurement Act 2023's transitional provisions)"}  # fmt: skip
    if given.direct_award:
        return {"direct_award": "A dynamic purchasing system's contracts are awarded after a competition among its "
                                "admitted suppliers (PCR 2015 reg 34), not directly"}  # fmt: skip
    if fee is not None:
        return {"fee_percent": "No charge may be made to the suppliers of a dynamic purchasing system (PCR 2015 reg "
                               "34(29))"}  # fmt: skip
    return {}


def _fee(given: str | Decimal | None) -> tuple[Decimal | None, str]:
    """A fee as a percentage (of up to 2 decimal places, more than 0 and under 100; None for none given), and
    what is wrong with it (empty if nothing)."""
    text = str(given if given is not None else "").strip().removesuffix("%").strip()
    if not text:
        return None, ""
    if not re.fullmatch(r"\d{1,2}(\.\d{1,2})?", text) or Decimal(text) == 0:
        return None, "Give the fee as a percentage of each call-off's value, like 1 or 0.5, or leave it empty"
    return Decimal(text).quantize(Decimal("0.01")), ""


def fee_as_written(framework: Framework) -> str:
    """Its fee as a person writes it ("1", "0.75"); empty where it charges none."""
    return "" if framework.fee_percent is None else f"{framework.fee_percent.normalize():f}"


def fees_on(framework: Framework, call_offs: Sequence[CallOff]) -> Decimal | None:
    """What the framework's fee comes to on the call-offs awarded under it, to the penny; None where it charges
    none."""
    if framework.fee_percent is None:
        return None
    return (value_awarded(call_offs) * framework.fee_percent / 100).quantize(Decimal("0.01"))


def value_awarded(call_offs: Sequence[CallOff]) -> Decimal:
    """What the call-offs whose award was approved are worth, excluding VAT."""
    return sum((call_off.value for call_off in call_offs if call_off.awarded), Decimal(0))


def _suppliers(given: Sequence[str]) -> tuple[list[str], str]:
    """The suppliers party to a framework, in the order given, and what is wrong with them (empty if nothing):
    each named once, however it is spelt."""
    names = [name.strip() for name in given if name.strip()]
    if len(names) > MAX_SUPPLIERS:
        return names, f"List at most {MAX_SUPPLIERS} suppliers"
    if too_long := next((name for name in names if len(name) > MAX_LINE), None):
        return names, f"Keep each supplier's name to {MAX_LINE} characters: '{too_long[:40]}...' is longer"
    seen: dict[str, str] = {}
    for name in names:
        if (key := supplier_key(name)) in seen:
            return names, f"'{name}' is '{seen[key]}' again: list each supplier once"
        seen[key] = name
    return names, ""


def runs_past_the_usual_term(framework: Framework) -> bool:
    """A framework under the PCR 2015 whose term runs past four years: allowed only "in exceptional cases duly
    justified" (reg 33(3)), so worth a second look before calling off from it. (Under the Act, never recorded.)"""
    return framework.ends_on > framework_last_day(framework.starts_on, framework.open_framework)


# --- reading ---------------------------------------------------------------------------------------
def frameworks_for(session: Session, actor: Actor) -> list[Framework]:
    """The frameworks of the councils the person works for, those running longest first, then the ended."""
    query = (
        select(Framework)
        .where(reading.of_my_councils(actor, Framework.authority))
        .order_by(Framework.ends_on.desc(), Framework.provider)
    )
    return list(session.scalars(query))


def framework_for(session: Session, actor: Actor, framework_id: int) -> Framework:
    framework = session.get(Framework, framework_id)
    if framework is None or not reading.works_for(actor, framework.authority):
        raise NotFound(f"There is no framework {framework_id} that you can see")
    return framework


def call_offs_under(session: Session, framework: Framework) -> list[Case]:
    """The procurements called off under the framework, newest first."""
    return reading.procurements_naming(session, FRAMEWORK, str(framework.id))


def call_offs_by_framework(session: Session) -> dict[int, list[Case]]:
    """Every procurement called off under a framework, by the framework's id (one query, for the register's
    download), newest first."""
    named = Case.details[FRAMEWORK].as_string()
    query = select(Case).where(Case.stage == "procurement", named.is_not(None)).order_by(Case.id.desc())
    found: dict[int, list[Case]] = {}
    for case in session.scalars(query):
        if str(case.details[FRAMEWORK]).isdigit():
            found.setdefault(int(case.details[FRAMEWORK]), []).append(case)
    return found


@dataclass(frozen=True)
class CallOff:
    case: Case
    now_at: str  # its state, in words
    value: Decimal  # its award's, once one is recommended; before that, the request's estimate
    awarded: bool  # its award approved, or its contract signed


def call_offs_seen(session: Session, actor: Actor, call_offs: Sequence[CallOff]) -> tuple[list[CallOff], int]:
    """Of a framework's call-offs, those whose procurements the person may see (``reading.may_see_case``), and
    how many others: a joint framework's are both councils', whose staff each see their own council's cases.
    What the framework is used for, its awards and fees, counts them all."""
    seen = [call_off for call_off in call_offs if reading.may_see_case(session, actor, call_off.case)]
    return seen, len(call_offs) - len(seen)


def what_was_called_off(cases: Sequence[Case], workflows: WorkflowRegistry) -> list[CallOff]:
    """Each call-off with where it stands and what it is worth: how much of a framework the councils use (and
    what its fees, a percentage of each call-off's value (PA23 s45(7)), come to)."""
    found = []
    for case in cases:
        state = workflows.state_of(case)
        award_value = (case.details or {}).get("award_value")
        value = Decimal(award_value) if award_value else case.estimated_value
        found.append(CallOff(case, state.label, value, state.award in ("approved", "signed")))
    return found
