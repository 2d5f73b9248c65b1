"""Database engine and sessions. The services own transactions; nothing else commits.

SQLite is the embedded default and PostgreSQL production. Both run the same Alembic-migrated schema.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

from .driver import DriverStatements

# How a row is locked to change it: FOR NO KEY UPDATE on PostgreSQL (``key_share``). It keeps out every other
# change of the row, as FOR UPDATE does, but not the KEY SHARE lock an insert elsewhere takes on the row its
# foreign key names: so the scheduler raising thousands of tasks in one transaction neither waits for nor holds
# up an action on their cases (with FOR UPDATE the action waited for the whole sweep). No key is changed under
# these locks, and a DELETE takes the stronger lock itself. SQLite has no row locks: BEGIN IMMEDIATE (below).
CHANGE_LOCK: dict[str, Any] = {"key_share": True}


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):  # pragma: no cover - exercised by every SQLite test
        # The driver's own transaction handling is switched off so that BEGIN is ours (below):
        # BEGIN IMMEDIATE takes the write lock at the start of a unit of work, so two writers queue
        # behind busy_timeout instead of failing half-way with "database is locked".
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB page cache: register scans stay in memory
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):  # pragma: no cover - exercised by every SQLite test
        # Straight on the driver: through SQLAlchemy's execution layer this one statement cost about a tenth of
        # a SQLite transition's CPU.
        writing = connection.get_execution_options().get("writing", False)
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE" if writing else "BEGIN")


# A pooled connection that sat idle this long is pinged before use (see _ping_when_idle).
PING_AFTER_IDLE_SECONDS = 10.0


def _ping_when_idle(engine: Engine, after_seconds: float) -> None:
    """Check a pooled connection is alive before handing it out, but only if it sat idle a while.

    Pinging on every checkout (``pool_pre_ping``) costs a round trip per unit of work, about a tenth of a
    transition. Connections in steady use are not pinged: if the server restarted meanwhile, the first
    statement on one fails, SQLAlchemy sees the disconnect and replaces the whole pool, so one request
    fails instead of every one. Idle connections, the ones a firewall or restart overnight leaves dead,
    are pinged and quietly replaced.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        if time.monotonic() - record.info.get("idle_since", time.monotonic()) < after_seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error:
            alive = False
        if not alive:
            raise exc.DisconnectionError("the connection was closed while idle")  # the pool retries


def make_engine(url: str, *, echo: bool = False, ping_after_idle: float = PING_AFTER_IDLE_SECONDS) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo)
        _configure_sqlite(engine)
        return engine
    # JIT compilation off: our statements are short OLTP ones, and on a sweep whose row estimate is large it
    # spends a few hundred milliseconds compiling what then runs in less.
    engine = create_engine(
        url,
        echo=echo,
        pool_size=10,
        max_overflow=10,
        pool_recycle=3600,
        connect_args={"options": "-c jit=off"},
    )
    _ping_when_idle(engine, ping_after_idle)
    return engine


class Database:
    """An engine and its session factory. One per process and database URL."""

    def __init__(self, url: str, *, echo: bool = False, ping_after_idle: float = PING_AFTER_IDLE_SECONDS) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo, ping_after_idle=ping_after_idle)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writing_engine = self.engine.execution_options(writing=True)
        self._writing_sessions = sessionmaker(self._writing_engine, expire_on_commit=False)

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error: all or nothing."""
        with self._writing_sessions.begin() as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """A unit of work for the engine's door: all or nothing like ``unit_of_work``, without the ORM's
        bookkeeping unless something asks for ``session``.

        On PostgreSQL the transaction is begun and committed by the door's own statements (``DriverStatements``:
        the BEGIN rides with the first statement, the COMMIT with the last writes); psycopg finds it open, or
        ended, and sends neither. (Not in the AUTOCOMMIT isolation level, as it once was: SQLAlchemy switched
        each connection into it and back, which cost about 70 us of client CPU an action.)"""
        with self._writing_engine.connect() as connection, connection.begin():
            transaction = Transaction(connection)
            try:
                yield transaction
                transaction.flush()  # ORM work joins the commit
                transaction.statements.commit()  # on PostgreSQL, with the held writes in one round trip
            finally:
                transaction.close()

    @contextmanager
    def looking(self) -> Iterator[Transaction]:
        """A transaction that only reads, with the door's statements and an ORM session like ``transaction``'s,
        rolled back at the end: for asking the engine's rules a question without acting (no write lock on
        SQLite, no row locks on PostgreSQL)."""
        with self.engine.connect() as connection, connection.begin() as begun:
            transaction = Transaction(connection, hold_writes=False)
            try:
                yield transaction
            finally:
                transaction.close()
                begun.rollback()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads; it never commits."""
        with self.sessions() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


class Transaction:
    """A begun transaction on one connection: the engine's prebuilt statements run on its driver cursor
    (``rows``, ``execute``, ``write``, ...), and an ORM ``session`` in the same transaction is there for the
    rarer work that wants one. It commits when the ``Database.transaction`` block ends, and rolls back on error.

    In the door's transaction writes are held (see ``DriverStatements``): whatever runs on the connection
    through SQLAlchemy, the ORM included, sends them first, so every statement still reaches the database in
    the order it was given."""

    def __init__(self, connection: Connection, *, hold_writes: bool = True) -> None:
        self._connection = connection
        self.statements = DriverStatements(connection, hold_writes=hold_writes)
        self.rows = self.statements.rows
        self.rows_together = self.statements.rows_together
        self.first = self.statements.first
        self.scalar = self.statements.scalar
        self.execute = self.statements.execute
        self.insert_returning = self.statements.insert_returning
        self.write = self.statements.write
        self._session: Session | None = None
        self._sqlalchemy_in_use = False

    def connection(self) -> Connection:
        if not self._sqlalchemy_in_use:  # most actions never ask: the listener is set up for those that do
            event.listen(self._connection, "before_cursor_execute", self._send_held)
            self._sqlalchemy_in_use = True
        return self._connection

    def _send_held(self, *_: Any, **__: Any) -> None:
        self.statements.send_held()

    @property
    def session(self) -> Session:
        if self._session is None:
            # Joins the connection's transaction: the session's own commit would not end it; the block does.
            self._session = Session(bind=self.connection(), expire_on_commit=False)
        return self._session

    def flush(self) -> None:
        if self._session is not None:
            self._session.flush()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()


def statements_of(unit: Session | Transaction) -> DriverStatements:
    """The driver-level statement runner of a unit of work, whichever kind it is."""
    return unit.statements if isinstance(unit, Transaction) else DriverStatements(unit.connection())
