"""Moving in-flight cases to a new workflow version: explicit, mapped, dry-run first, and audited.

A case keeps the version it started on. When a new version changes states, an administrator maps each
old state that has open cases to a state of the new version (unchanged names map to themselves). Closed
cases stay on the version they finished on: their history must read as it happened.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select

from ..db import CHANGE_LOCK
from ..errors import InvalidInput
from ..models import Case
from .engine import Engine


@dataclass
class MigrationPlan:
    workflow: str
    from_version: int
    to_version: int
    moves: Counter = field(default_factory=Counter)  # (old state, new state) -> number of cases
    case_ids: list[int] = field(default_factory=list)
    applied: bool = False

    def describe(self) -> list[str]:
        verb = "Moved" if self.applied else "Would move"
        lines = [
            f"{verb} {len(self.case_ids)} open {self.workflow} cases from v{self.from_version} to v{self.to_version}"
        ]
        for (old, new), n in sorted(self.moves.items()):
            lines.append(f"  {n:>5} at '{old}' -> '{new}'")
        return lines


def migrate_cases(
    engine: Engine,
    *,
    workflow: str,
    from_version: int,
    to_version: int,
    mapping: dict[str, str],
    actor_id: int | None,
    apply: bool = False,
) -> MigrationPlan:
    try:
        old = engine.workflows.get(workflow, from_version)
        new = engine.workflows.get(workflow, to_version)
    except KeyError as exc:
        raise InvalidInput({"version": f"No such workflow version: {exc}"}) from exc
    errors = {}
    for source, dest in mapping.items():
        if source not in old.states:
            errors[source] = f"'{source}' is not a state of {old.key}"
        if dest not in new.states:
            errors[f"{source}->"] = f"'{dest}' is not a state of {new.key}"
    plan = MigrationPlan(workflow, from_version, to_version, applied=apply)
    with engine.db.unit_of_work() as session:
        cases = session.scalars(
            select(Case)
            .where(Case.workflow == workflow, Case.workflow_version == from_version, Case.closed_at.is_(None))
            .order_by(Case.id)
            .with_for_update(**CHANGE_LOCK)
        ).all()
        for case in cases:
            target = mapping.get(case.state, case.state)
            if target not in new.states:
                errors[case.state] = (
                    f"{case.reference} is at '{case.state}', which {new.key} does not have: "
                    f"map it with {case.state}=<new state>"
                )
                continue
            plan.moves[(case.state, target)] += 1
            plan.case_ids.append(case.id)
        if errors:
            raise InvalidInput(errors)
        if not apply:
            session.rollback()
            return plan
        now = engine.clock()
        for case in cases:
            target = mapping.get(case.state, case.state)
            before = case.state
            case.state, case.workflow_version = target, to_version
            case.version += 1
            engine.append_case_event(
                session,
                case,
                actor_id=actor_id,
                action="migrate_workflow",
                from_state=before,
                to_state=target,
                now=now,
                data={"from": old.key, "to": new.key, "mapping": mapping},
            )
        engine.system_event(
            session,
            actor_id=actor_id,
            action="migrate_workflow",
            data={"from": old.key, "to": new.key, "cases": len(cases), "mapping": mapping},
        )
    return plan
