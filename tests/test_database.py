"""Connections to PostgreSQL survive the server closing them: an idle pooled connection is pinged and
replaced before use; a busy one fails once, and the pool is replaced behind it."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, literal_column, select, text
from sqlalchemy.exc import DBAPIError

from provision_cycle.db import Database


def _close_every_connection_but_this(url: str) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    admin.dispose()


def _select_one(database: Database) -> int:
    with database.reading() as session:
        return session.scalar(text("SELECT 1"))


def test_an_idle_connection_closed_by_the_server_is_replaced_unseen(postgres_url):
    database = Database(postgres_url, ping_after_idle=0)  # every checkout counts as idle
    try:
        assert _select_one(database) == 1
        _close_every_connection_but_this(postgres_url)
        assert _select_one(database) == 1
    finally:
        database.dispose()


def test_a_busy_connection_closed_by_the_server_fails_once_then_the_pool_recovers(postgres_url):
    database = Database(postgres_url, ping_after_idle=3600)  # never idle long enough to be pinged
    try:
        assert _select_one(database) == 1
        _close_every_connection_but_this(postgres_url)
        with pytest.raises(DBAPIError) as failure:
            _select_one(database)
        assert failure.value.connection_invalidated
        assert _select_one(database) == 1
    finally:
        database.dispose()


def test_the_doors_connection_is_pinged_and_replaced_too(postgres_url):
    """The door's connections (it sends its own BEGIN) come from the same pool and
    are pinged the same way; a ping leaves no transaction open for the door's BEGIN to trip over."""
    database = Database(postgres_url, ping_after_idle=0)
    try:
        with database.transaction() as tx:
            assert tx.scalar(select(literal_column("1"))) == 1
        _close_every_connection_but_this(postgres_url)
        with database.transaction() as tx:
            assert tx.scalar(select(literal_column("1"))) == 1
            # Still one transaction: it began (with the BEGIN the door sent) before this statement did.
            began_earlier = "(SELECT xact_start < query_start FROM pg_stat_activity WHERE pid = pg_backend_pid())"
            assert tx.scalar(select(literal_column(began_earlier))) is True
    finally:
        database.dispose()
