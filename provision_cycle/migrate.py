"""Running the Alembic migrations from code (CLI, tests, benchmarks). The migrations are the schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from .settings import PROJECT_ROOT


def alembic_config(database_url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    with _migrating(engine) as config:
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    with _migrating(engine) as config:
        command.downgrade(config, revision)


class MigrationError(RuntimeError):
    pass


def schema_behind(engine: Engine) -> str | None:
    """What is wrong with the database's schema for this release, if anything: not at the migrations' head
    (a release not yet upgraded, or a database a later release upgraded)."""
    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current == head:
        return None
    at = f"at migration {current}" if current else "not migrated"
    return f"The database is {at}, and this release's schema is {head}: run flask upgrade-db"


@contextmanager
def _migrating(engine: Engine) -> Iterator[Config]:
    """The Alembic configuration bound to one connection, in one transaction.

    SQLite alters a table by rebuilding it (a copy, then the old table dropped and the copy renamed), and
    with foreign keys enforced, as the application's connections have them, dropping a table that other
    rows refer to fails. So on SQLite the keys are off while migrating (the pragma has no effect inside a
    transaction, so it is set before one begins), every reference is checked before the commit, and the
    setting is put back as it was afterwards."""
    config = alembic_config(str(engine.url.render_as_string(hide_password=False)))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        enforced = sqlite and driver.execute("PRAGMA foreign_keys").fetchone()[0]
        if enforced:
            driver.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                yield config
                if enforced and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").all()):
                    raise MigrationError(f"The migration left references to missing rows: {broken[:5]}")
        finally:
            if enforced:
                driver.execute("PRAGMA foreign_keys=ON")
