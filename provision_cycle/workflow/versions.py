"""A workflow version's graph is fixed once cases run on it: a case keeps the version it started on
(``Case.workflow_version``), so a release that edits ``procurement.v1.yaml`` in place, rather than adding
``procurement.v2.yaml`` and moving the cases (``flask migrate-cases``), would change the states and moves under
cases already part of the way through.

``flask upgrade-db`` records each version's fingerprint the first time a release runs it (``workflow_versions``)
and compares it on every release after. The fingerprint covers the graph: the states (and which are final,
editable, a gate) and each move (its trigger, from where, to where, who may make it, its guards and conditions).
Labels, hints, the questions an action asks and what its effects do may change within a version: they are how
a move is presented and carried out, not where a case can go.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import PurePosixPath

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Case, WorkflowVersion
from ..wording import counted
from .definitions import WorkflowDefinition, WorkflowRegistry


def fingerprint(definition: WorkflowDefinition) -> str:
    """The sha256 of ``definition``'s graph, in a canonical form: the same however its file is laid out."""
    graph = {
        "stage": definition.stage,
        "initial": definition.initial,
        "states": {
            state.name: [state.final, state.editable, state.gate.name if state.gate else None]
            for state in sorted(definition.states.values(), key=lambda s: s.name)
        },
        "moves": sorted(
            [t.trigger, sorted(t.sources), t.dest, sorted(t.by), list(t.guards), list(t.when)]
            for t in definition.transitions
        ),
    }
    return hashlib.sha256(json.dumps(graph, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class ChangedVersion:
    """A workflow version whose graph differs from the one recorded when a release first ran it."""

    definition: WorkflowDefinition
    running: int  # the cases on it not at an end

    @property
    def problem(self) -> str:
        d = self.definition
        successor = PurePosixPath(d.file).with_name(f"{d.name}.v{d.version + 1}.yaml")
        return (
            f"{d.file} changed the states or moves of {d.name} version {d.version}, on which "
            f"{counted(self.running, 'case')} still run: save the change as a new version ({successor}) "
            "and move them to it with flask migrate-cases"
        )


def record_versions(session: Session, workflows: WorkflowRegistry, *, now) -> list[ChangedVersion]:
    """Record the fingerprint of each version not yet recorded, and of each changed one that no running case
    is on (nothing runs on it to change under); return the changed ones that cases still run on, their
    recorded fingerprint kept (the caller refuses them, or says so and records them: ``accept``)."""
    recorded = {(row.name, row.version): row for row in session.scalars(select(WorkflowVersion))}
    changed = []
    for definition in workflows.definitions.values():
        now_is = fingerprint(definition)
        row = recorded.get((definition.name, definition.version))
        if row is None:
            session.add(
                WorkflowVersion(name=definition.name, version=definition.version, fingerprint=now_is, recorded_at=now)
            )
        elif row.fingerprint != now_is:
            running = _running_on(session, definition)
            if running:
                changed.append(ChangedVersion(definition, running))
            else:
                row.fingerprint, row.recorded_at = now_is, now
    return changed


def accept(session: Session, changed: list[ChangedVersion], *, now) -> None:
    """Record the changed versions' new graphs as theirs (development: the cases on them are demo cases)."""
    for change in changed:
        row = session.get(WorkflowVersion, (change.definition.name, change.definition.version))
        row.fingerprint, row.recorded_at = fingerprint(change.definition), now


def _running_on(session: Session, definition: WorkflowDefinition) -> int:
    finals = [state.name for state in definition.states.values() if state.final]
    return session.scalar(
        select(func.count()).where(
            Case.workflow == definition.name,
            Case.workflow_version == definition.version,
            Case.state.not_in(finals),
        )
    )


def not_recorded_or_changed(session: Session, workflows: WorkflowRegistry) -> list[str]:
    """Read only, for a process about to serve or schedule: each version this release has that ``flask
    upgrade-db`` has not recorded (the release was not upgraded), and each whose graph changed under running
    cases (``record_versions`` would refuse it)."""
    recorded = {(row.name, row.version): row.fingerprint for row in session.scalars(select(WorkflowVersion))}
    problems = []
    for definition in workflows.definitions.values():
        was = recorded.get((definition.name, definition.version))
        if was is None:
            problems.append(f"{definition.file} is not recorded: run flask upgrade-db for this release")
        elif was != fingerprint(definition) and (running := _running_on(session, definition)):
            problems.append(ChangedVersion(definition, running).problem)
    return problems
