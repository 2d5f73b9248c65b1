"""Assembling the core from settings: database, governance, workflows, engine. No Flask here.

Loading validates configuration and workflows together (a gate with no approval rule is an error that
names the file), and the scheduler's file with them (its pages read it too), so a bad file stops start-up
with every problem listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from .config_files import ConfigError, Problems
from .db import Database
from .governance.rules import Governance, check_gate_coverage, load_governance
from .scheduling.config import load_schedule
from .settings import Settings
from .workflow.definitions import WorkflowRegistry, load_workflows
from .workflow.engine import Engine, utc_now


@dataclass
class Core:
    settings: Settings
    db: Database
    governance: Governance
    workflows: WorkflowRegistry
    engine: Engine


def load_definitions(settings: Settings) -> tuple[Governance, WorkflowRegistry]:
    """Load ``config/`` and ``workflows/``, validating each against the other; raise ConfigError listing all."""
    problems = Problems()
    governance = load_governance(settings.config_dir, problems)
    workflows = load_workflows(settings.workflows_dir, set(governance.organisation.roles), problems)
    if not problems.items:
        check_gate_coverage(governance, workflows.all_gates, problems)
        organisation = governance.organisation
        try:  # read again when it changes (``schedule_for``); checked here so that start-up refuses a bad one
            load_schedule(settings.config_dir, set(organisation.pillars), set(organisation.roles))
        except ConfigError as error:
            problems.items.extend(error.problems)
    problems.raise_if_any()
    return governance, workflows


def build_core(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Core:
    governance, workflows = load_definitions(settings)
    db = Database(settings.database_url, echo=settings.sql_echo)
    engine = Engine(db, workflows, governance, clock=clock, timezone=settings.timezone)
    return Core(settings, db, governance, workflows, engine)


class NotUpgraded(RuntimeError):
    """The database is not ready for this release: a process that would serve it, or run its schedule, stops."""


def refuse_unless_upgraded(core: Core) -> None:
    """Stop a web server or scheduler starting on a database this release's ``flask upgrade-db`` has not run
    on (its schema behind, a workflow version not recorded) or whose workflows changed under running cases:
    each problem named, nothing served."""
    from .migrate import schema_behind
    from .workflow.versions import not_recorded_or_changed

    if behind := schema_behind(core.db.engine):
        raise NotUpgraded(behind)
    with core.db.reading() as session:
        problems = not_recorded_or_changed(session, core.workflows)
    if problems:
        raise NotUpgraded("Refusing to start: " + "; ".join(problems))
