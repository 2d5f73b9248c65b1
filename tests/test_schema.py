"""The migrations are the schema: migrated to head, each database matches the models exactly, and every
migration can be undone and redone (a release can be rolled back)."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from provision_cycle.migrate import alembic_config, upgrade
from provision_cycle.models import Base


def _differences(engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)


def test_the_migrated_schema_is_the_models(db):
    assert _differences(db.engine) == []


def test_every_migration_downgrades_and_upgrades_again(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'schema.sqlite3'}")
    upgrade(engine)
    config = alembic_config(str(engine.url))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    upgrade(engine)
    assert _differences(engine) == []
    engine.dispose()
