"""Database fixtures: every database test runs on SQLite and on PostgreSQL, against the migrated schema.

SQLite: a migrated template file is copied for each test (fast, isolated).
PostgreSQL (127.0.0.1:5432 or PC_TEST_POSTGRES_URL): one migrated database per run, tables truncated per
test. Without a server the PostgreSQL variants skip with a visible reason, unless PC_REQUIRE_POSTGRES=1
(set by .ci/run), which turns the missing server into a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from werkzeug.routing import Rule

from provision_cycle.core import Core, load_definitions
from provision_cycle.db import Database
from provision_cycle.migrate import upgrade
from provision_cycle.models import Base
from provision_cycle.scheduling.config import load_schedule
from provision_cycle.settings import PROJECT_ROOT, Settings
from provision_cycle.workflow.engine import Engine

from .factories import Clock


class _RuleSharingBuilders(Rule):
    """A URL rule whose builder functions (werkzeug writes two per rule as Python source and compiles them) are
    shared with every rule of the same shape that any application in this process made before. Each test
    makes its own application of some 200 rules: compiling their builders afresh took 0.1 s a test, most of
    the time it took to make one. A builder is a function of the rule's parts alone (it takes the rule as its
    first argument and finds its converters there), so rules alike in parts share one; a rule with defaults
    bakes their values in, and is left to compile its own. Tests only: a server makes one application."""

    _builders: dict[tuple, object] = {}

    def _compile_builder(self, append_unknown: bool = True):
        if self.defaults:
            return super()._compile_builder(append_unknown)
        key = (tuple(self._trace), append_unknown)
        if (builder := self._builders.get(key)) is None:
            builder = self._builders[key] = super()._compile_builder(append_unknown)
        return builder


Flask.url_rule_class = _RuleSharingBuilders

POSTGRES_ADMIN_URL = os.environ.get("PC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TEST_DB_NAME = f"provision_cycle_test_{os.getpid()}"
REQUIRE_POSTGRES = os.environ.get("PC_REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def definitions():
    return load_definitions(Settings())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _emptying_statement(sequences: list[str]) -> str:
    """Every table emptied and every id sequence restarted, as the freshly migrated database had them. DELETE,
    in an order the foreign keys allow, takes a quarter of the time TRUNCATE does on tables this small (it
    runs before every PostgreSQL test); the audit trail, whose rows the database refuses to delete, is
    truncated (with the outbox, which refers to it)."""
    tables = [table.name for table in reversed(Base.metadata.sorted_tables) if table.name != "audit_events"]
    statements = ["TRUNCATE audit_events CASCADE", *(f"DELETE FROM {table}" for table in tables)]
    return "; ".join([*statements, *(f"ALTER SEQUENCE {sequence} RESTART" for sequence in sequences)])


@pytest.fixture(scope="session")
def postgres_url():
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{TEST_DB_NAME}"'))
            conn.execute(text(f'CREATE DATABASE "{TEST_DB_NAME}"'))
    except OperationalError as exc:
        admin.dispose()
        message = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {str(exc).splitlines()[0]}"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " (PC_REQUIRE_POSTGRES=1)")
        pytest.skip(message)
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{TEST_DB_NAME}"
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{TEST_DB_NAME}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_emptying(postgres_url) -> str:
    """The statement that empties the migrated PostgreSQL test database (``_emptying_statement``)."""
    engine = create_engine(postgres_url)
    with engine.connect() as conn:
        sequences = conn.execute(text("SELECT sequence_name FROM information_schema.sequences")).scalars().all()
    engine.dispose()
    return _emptying_statement(sequences)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path, sqlite_template) -> Database:
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copy(sqlite_template, path)
        database = Database(f"sqlite:///{path}")
    else:
        if "sqlite_only" in request.keywords:
            pytest.skip("SQLite-only test")
        emptying = request.getfixturevalue("postgres_emptying")
        database = Database(request.getfixturevalue("postgres_url"))
        with database.engine.begin() as conn:
            conn.exec_driver_sql(emptying)
    if request.param == "sqlite" and (marker := request.node.get_closest_marker("postgres_only")):
        pytest.skip(marker.kwargs.get("reason", "needs PostgreSQL row locks"))
    yield database
    database.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def schedule(definitions):
    """The scheduler's configuration, as config/schedule.yaml sets it."""
    governance, _ = definitions
    org = governance.organisation
    return load_schedule(PROJECT_ROOT / "config", set(org.pillars), set(org.roles))


@pytest.fixture
def engine(db, definitions, clock) -> Engine:
    governance, workflows = definitions
    return Engine(db, workflows, governance, clock=clock)


@pytest.fixture
def core(db, definitions, engine) -> Core:
    governance, workflows = definitions
    return Core(Settings(database_url=db.url), db, governance, workflows, engine)


@pytest.fixture
def app(core, tmp_path):
    """The Flask app (web pages and API) over the test database, with documents under a temporary folder."""
    from provision_cycle.app import create_app

    # Tests that move the clock on by days between one person's requests keep their sessions: how long a
    # session lasts has tests of its own, which set the limits back.
    core.settings = core.settings.with_overrides(instance_dir=tmp_path, session_idle_minutes=10**7, session_hours=10**6)
    app = create_app(core.settings, core=core)
    app.config.update(TESTING=True)
    return app
