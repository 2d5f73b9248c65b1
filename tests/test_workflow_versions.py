"""A workflow version's graph is fixed once cases run on it: ``flask upgrade-db`` records each version's and
stops a production release that changed one under running cases (to be saved as a new version instead)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select, update

from provision_cycle.app import create_app, serve
from provision_cycle.core import NotUpgraded, refuse_unless_upgraded
from provision_cycle.models import WorkflowVersion
from provision_cycle.workflow.versions import fingerprint

from .factories import act, hub_people, new_request

EDITED = "0" * 64  # the fingerprint of a graph since edited, as a release editing the file in place leaves it


def test_a_versions_fingerprint_is_its_graph_not_its_wording(definitions):
    procurement = definitions[1].get("procurement", 1)
    reworded = replace(
        procurement,
        states={name: replace(state, label=f"{state.label}!") for name, state in procurement.states.items()},
        transitions=[replace(t, label="Go", inputs=()) for t in procurement.transitions],
    )
    assert fingerprint(reworded) == fingerprint(procurement)
    fewer = replace(procurement, transitions=[t for t in procurement.transitions if t.trigger != "withdraw"])
    assert fingerprint(fewer) != fingerprint(procurement)
    elsewhere = [replace(t, dest="rejected") if t.trigger == "withdraw" else t for t in procurement.transitions]
    assert fingerprint(replace(procurement, transitions=elsewhere)) != fingerprint(procurement)


@pytest.fixture
def upgrade_db(core, tmp_path):
    def run(*, production: bool = False):
        core.settings = core.settings.with_overrides(
            instance_dir=tmp_path, env="production" if production else "development"
        )
        return create_app(core.settings, core=core).test_cli_runner().invoke(args=["upgrade-db"])

    return run


def _recorded(db) -> dict[tuple[str, int], str]:
    with db.reading() as session:
        return {(row.name, row.version): row.fingerprint for row in session.scalars(select(WorkflowVersion))}


def _edit_procurement_v1(db) -> None:
    with db.unit_of_work() as session:
        session.execute(
            update(WorkflowVersion)
            .where(WorkflowVersion.name == "procurement", WorkflowVersion.version == 1)
            .values(fingerprint=EDITED)
        )


def test_upgrade_db_records_each_version_then_refuses_one_changed_under_running_cases(core, db, upgrade_db):
    first = upgrade_db()
    assert first.exit_code == 0 and "Warning" not in first.output
    recorded = _recorded(db)
    assert set(recorded) == {(d.name, d.version) for d in core.workflows.definitions.values()}
    assert recorded["procurement", 1] == fingerprint(core.workflows.get("procurement", 1))

    _edit_procurement_v1(db)  # with no case on it, nothing runs to change under: its new graph is recorded
    assert upgrade_db().exit_code == 0 and _recorded(db) == recorded

    people = hub_people(db)
    case_id = new_request(core.engine, people.requester)
    act(core.engine, case_id, "submit", people.requester)
    new_request(core.engine, people.requester)  # a draft runs on it too
    _edit_procurement_v1(db)
    refused = upgrade_db(production=True)
    assert refused.exit_code == 1 and _recorded(db)["procurement", 1] == EDITED
    assert (
        "Refusing the release: workflows/procurement.v1.yaml changed the states or moves of procurement version 1, "
        "on which 2 cases still run: save the change as a new version (workflows/procurement.v2.yaml) and move them "
        "to it with flask migrate-cases."
    ) in refused.output
    warned = upgrade_db()  # in development the cases are demo or test cases: said, and the new graph recorded
    assert warned.exit_code == 0 and "Warning: workflows/procurement.v1.yaml changed" in warned.output
    assert "(in production this stops the release)" in warned.output and _recorded(db) == recorded

    act(core.engine, case_id, "withdraw", people.requester, reason="Not needed")
    assert upgrade_db(production=True).exit_code == 0  # nothing changed since


def test_a_server_or_scheduler_starts_only_on_a_database_this_release_upgraded(core, db, upgrade_db):
    """``serve`` (gunicorn's factory) and ``flask scheduler`` refuse a database ``flask upgrade-db`` has not run
    on for this release, or whose workflows changed under running cases; ``create_app`` (which also runs the
    upgrade) does not check."""
    with pytest.raises(NotUpgraded, match=r"workflows/procurement.v1.yaml is not recorded: run flask upgrade-db"):
        serve(core.settings)  # what gunicorn runs
    refused = create_app(core.settings, core=core).test_cli_runner().invoke(args=["scheduler", "--once"])
    assert refused.exit_code == 1 and "is not recorded: run flask upgrade-db for this release" in refused.output
    assert upgrade_db().exit_code == 0
    assert serve(core.settings).extensions["provision_cycle"].db.engine.url == db.engine.url  # ready
    people = hub_people(db)
    new_request(core.engine, people.requester)  # a draft: running on procurement version 1
    _edit_procurement_v1(db)
    with pytest.raises(NotUpgraded, match=r"changed the states or moves of procurement version 1, on which 1 case"):
        refuse_unless_upgraded(core)


@pytest.mark.sqlite_only
def test_a_server_refuses_a_database_whose_schema_is_behind_the_release(core, db, upgrade_db):
    from provision_cycle.migrate import downgrade

    assert upgrade_db().exit_code == 0
    downgrade(db.engine, "-1")
    with pytest.raises(NotUpgraded, match=r"The database is at migration \d{4}, and this release's schema is \d{4}"):
        refuse_unless_upgraded(core)
