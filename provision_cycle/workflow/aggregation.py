"""Procurements that may be one requirement with others (PA23 s4, Sch 3): the rule, for the engine (which records
it when a request is submitted, and tells the route's approvers) and the pages (``services.aggregation``).

A procurement under a statutory line on its own (the threshold, or the 30,000 from which a below-threshold
contract is notifiable) is flagged where its council's others for the same category and type of contract,
submitted within a year either side of it, take the total with VAT over that line. Counted: submitted, not
ended without a contract, not a framework's call-off (valued as the framework). Summed in SQL, by VAT
treatment, on the index of a council's procurements of a kind (``ix_cases_of_a_kind``): a submission reads
its own kind's year of procurements, not its council's. The overview weighs its running ones at once
(``of_each_its_kind``)."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    column,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from ..db import Transaction, statements_of
from ..driver import DriverStatements
from ..governance import statutory
from ..governance.organisation import JOINT
from ..governance.rules import Proposal
from ..governance.statutory import Route
from ..models import Case
from ..models.cases import Stage

if TYPE_CHECKING:  # definitions import the rules, which import this
    from .definitions import WorkflowRegistry

WITHIN = timedelta(days=365)  # the year either side of a request in which others may be one requirement with it
LATEST = 20  # the others named, the latest first
_LISTED = ("case_id", "council", "authority", "category", "contract_type", "since", "until")  # of_each_its_kind's


@dataclass(frozen=True)
class Crossing:
    """The others that, with a procurement, cross a statutory line it is under alone."""

    council: str  # whose procurements they are (with the joint ones it is party to)
    count: int
    together_inc_vat: Decimal  # it and every other, with VAT
    line: Decimal
    line_name: str  # "the 207,720.00 threshold (...)"


def of_its_kind(
    unit: Session | Transaction,
    workflows: WorkflowRegistry,
    proposal: Proposal,
    around: datetime,
    case_id: int | None,
    *,
    councils: tuple[str, ...],
) -> Crossing | None:
    """The other procurements of ``proposal``'s kind within a year of ``around`` (when it was made) that, with
    it, cross a line it is under alone (``case_id``: itself, once saved, not counted); None where there are
    none, or they cross none. Each council's are its own and the joint ones it is party to; a joint proposal
    is weighed for each of its ``councils`` (the one whose total is greatest said). ``proposal.commencement``
    sets its thresholds (else ``around``'s day). One prebuilt statement a council, on the driver's cursor
    (``driver``): the door runs this on every submission."""
    alone = _under_a_line(proposal, around)
    if alone is None:
        return None
    sums, _ = _statements(_ended_without_a_contract(workflows))
    return _greatest(
        _crossing(alone, council, statements_of(unit).rows(sums, _params(proposal, council, around, case_id)))
        for council in councils
    )


@dataclass(frozen=True)
class Saved:
    """A saved procurement to weigh against the others of its kind (``of_each_its_kind``)."""

    case_id: int
    proposal: Proposal
    around: datetime  # when it was made
    councils: tuple[str, ...]  # for whom it is weighed: its council, or each party to a joint one


def of_each_its_kind(
    unit: Session | Transaction, workflows: WorkflowRegistry, saved: Sequence[Saved]
) -> dict[int, Crossing]:
    """``of_its_kind`` for each of many saved procurements (the overview's running ones), by case id. On
    PostgreSQL one statement sums them all (``_sums_of_each``): a statement each would cost a round trip
    each. SQLite, in the process, runs ``of_its_kind``'s statement for each about as fast as it would one."""
    statements = statements_of(unit)
    if statements.dialect.name == "postgresql":
        each = _weighed_at_once(statements, workflows, saved)
    else:
        each = (
            (one.case_id, of_its_kind(unit, workflows, one.proposal, one.around, one.case_id, councils=one.councils))
            for one in saved
        )
    return {case_id: crossing for case_id, crossing in each if crossing is not None}


def _weighed_at_once(
    statements: DriverStatements, workflows: WorkflowRegistry, saved: Sequence[Saved]
) -> Iterator[tuple[int, Crossing | None]]:
    """Each of ``saved`` under a line alone with what its others of its kind come to (``_sums_of_each``)."""
    weighed = [(one, alone) for one in saved if (alone := _under_a_line(one.proposal, one.around)) is not None]
    listed = [
        (
            one.case_id,
            council,
            authority,
            one.proposal.category,
            one.proposal.contract_type,
            one.around - WITHIN,
            one.around + WITHIN,
        )
        for one, _ in weighed
        for council in one.councils
        for authority in (council, JOINT)  # its council's own, then the joint ones: one index range each
    ]
    counted: dict[tuple[int, str], list[Any]] = defaultdict(list)
    if listed:  # the list as a column each (arrays)
        arrays = dict(zip(_LISTED, map(list, zip(*listed, strict=True)), strict=True))
        for row in statements.rows(_sums_of_each(_ended_without_a_contract(workflows)), arrays):
            counted[row.case_id, row.council].append(row)
    for one, alone in weighed:
        yield (
            one.case_id,
            _greatest(_crossing(alone, council, counted[one.case_id, council]) for council in one.councils),
        )


def _under_a_line(proposal: Proposal, around: datetime) -> statutory.StatutoryPosition | None:
    """Where ``proposal`` stands alone (its thresholds from its commencement, else ``around``'s day), if it is
    under the threshold and not a framework's call-off (valued as the framework): else nothing to weigh."""
    if proposal.route == Route.FRAMEWORK_CALL_OFF:
        return None
    commenced = proposal.commencement or around.date()
    alone = statutory.statutory_position(proposal.value, proposal.vat_treatment, proposal.contract_type, commenced)
    return None if alone.above_threshold else alone


def _crossing(alone: statutory.StatutoryPosition, council: str, counted: list[Any]) -> Crossing | None:
    """The line that a procurement (``alone``) and ``council``'s others of its kind (``counted``: how many and
    their total, by VAT treatment) cross together, if any."""
    count = sum(row.count for row in counted)
    together = alone.value_inc_vat + sum(
        (statutory.value_including_vat(Decimal(row.total), row.vat_treatment) for row in counted), Decimal(0)
    )
    crossed = statutory.line_crossed_together(alone, together) if count else None
    return None if crossed is None else Crossing(council, count, together, *crossed)


def _greatest(crossings: Iterable[Crossing | None]) -> Crossing | None:
    """Of a joint procurement's crossings (one a council), the greatest total, the one said."""
    return max(filter(None, crossings), key=lambda crossing: crossing.together_inc_vat, default=None)


def latest_of_its_kind(
    unit: Session | Transaction,
    workflows: WorkflowRegistry,
    proposal: Proposal,
    around: datetime,
    case_id: int | None,
    *,
    council: str,
) -> list[int]:
    """The ids of the latest (at most LATEST) of the others ``of_its_kind`` counts for ``council``, the latest
    first: for a page to name them (the door records only how many, and the total)."""
    _, latest = _statements(_ended_without_a_contract(workflows))
    return [row.id for row in statements_of(unit).rows(latest, _params(proposal, council, around, case_id))]


def _params(proposal: Proposal, council: str, around: datetime, case_id: int | None) -> dict[str, object]:
    return {
        "council": council,
        "category": proposal.category,
        "contract_type": proposal.contract_type,
        "since": around - WITHIN,
        "until": around + WITHIN,
        "case_id": case_id or 0,  # ids start at 1: none is left out
    }


@functools.cache
def _statements(ended: frozenset[tuple[str, str]]) -> tuple[Select, Select]:
    """The sums of a council's procurements of a kind in a window, by VAT treatment, and the latest of them:
    built once for the workflows' states that end a procurement without a contract."""
    cases = Case.__table__
    of_the_kind = (
        # The council's own and the joint ones it is party to: two ranges of ix_cases_of_a_kind, in its order.
        or_(cases.c.authority == bindparam("council"), cases.c.authority == literal(JOINT)),
        cases.c.category == bindparam("category"),
        cases.c.contract_type == bindparam("contract_type"),
        cases.c.created_at.between(
            bindparam("since", type_=cases.c.created_at.type), bindparam("until", type_=cases.c.created_at.type)
        ),
        cases.c.id != bindparam("case_id"),
        *_counted(ended),
    )
    sums = (
        select(cases.c.vat_treatment, func.count().label("count"), func.sum(cases.c.estimated_value).label("total"))
        .where(*of_the_kind)
        .group_by(cases.c.vat_treatment)
    )
    latest = select(cases.c.id).where(*of_the_kind).order_by(cases.c.created_at.desc(), cases.c.id.desc()).limit(LATEST)
    return sums, latest


@functools.cache
def _sums_of_each(ended: frozenset[tuple[str, str]]) -> Select:
    """``_statements``' sums for a list (PostgreSQL arrays, ``_LISTED``) of procurements, each row one of them
    and a council it is weighed for, and an authority whose procurements count for that council (the
    council's own, or the joint ones): each row joins one range of ix_cases_of_a_kind."""
    cases = Case.__table__
    when = cases.c.created_at.type
    types = (Integer(), String(), String(), String(), String(), when, when)
    listed = (
        func.unnest(*(bindparam(name, type_=ARRAY(type_)) for name, type_ in zip(_LISTED, types, strict=True)))
        .table_valued(*(column(name, type_) for name, type_ in zip(_LISTED, types, strict=True)))
        .render_derived(name="weighed")
    )
    of_the_kind = and_(
        cases.c.authority == listed.c.authority,
        cases.c.category == listed.c.category,
        cases.c.contract_type == listed.c.contract_type,
        cases.c.created_at.between(listed.c.since, listed.c.until),
        cases.c.id != listed.c.case_id,
    )
    return (
        select(
            listed.c.case_id,
            listed.c.council,
            cases.c.vat_treatment,
            func.count().label("count"),
            func.sum(cases.c.estimated_value).label("total"),
        )
        .select_from(listed.join(cases, of_the_kind))
        .where(*_counted(ended))
        .group_by(listed.c.case_id, listed.c.council, cases.c.vat_treatment)
    )


def _counted(ended: frozenset[tuple[str, str]]) -> tuple[ColumnElement[bool], ...]:
    """Which procurements count among the others: submitted, not a framework's call-off (valued as the
    framework), not ``ended`` without a contract."""
    cases = Case.__table__
    return (
        cases.c.stage == literal(Stage.PROCUREMENT.value),
        cases.c.submitted_at.is_not(None),
        or_(cases.c.route.is_(None), cases.c.route != literal(Route.FRAMEWORK_CALL_OFF.value)),
        *(
            not_(and_(cases.c.workflow == literal(workflow), cases.c.state == literal(state)))
            for workflow, state in sorted(ended)
        ),
    )


def _ended_without_a_contract(workflows: WorkflowRegistry) -> frozenset[tuple[str, str]]:
    """The states that end a procurement with no contract signed (rejected, withdrawn, terminated), each with
    its workflow: nothing was bought."""
    return frozenset(
        (definition.name, state.name)
        for definition in workflows.definitions.values()
        if definition.stage == Stage.PROCUREMENT
        for state in definition.states.values()
        if state.final and state.award != "signed"
    )
