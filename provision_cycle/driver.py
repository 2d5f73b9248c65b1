"""Prebuilt SQLAlchemy statements run straight on the database driver.

The engine's door runs the same dozen statements for every action. Through SQLAlchemy's execution layer a
prebuilt Core statement still costs, on the 2-core reference box, about 370-460 us of client CPU for the
case's locked read (building an execution context, processing parameters, a result object, the driver's
column descriptions) against 80-130 us for the same SQL on psycopg's cursor: the difference is most of a
transition's time. So those statements are compiled once per dialect (SQL text, bind order, type
processing, all from SQLAlchemy) and executed on the driver connection of a SQLAlchemy connection, inside
that connection's transaction: on SQLite on its sqlite3 cursor, on PostgreSQL in batches straight to libpq
(``_Pipeline``: psycopg's cursor costs as much again in its own Python and system calls). Everything else
keeps using SQLAlchemy as usual.

What stays the same as going through SQLAlchemy: the SQL, the parameter and result type processing (the
dialect's own processors, so a ``UtcDateTime`` comes back aware, JSON is encoded the same way), and
errors, which are raised as SQLAlchemy's exceptions (``IntegrityError`` and the rest), the connection
invalidated when the driver says it was lost. ``tests/test_driver.py`` checks that every engine statement
reads and writes the same through both paths, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
import select
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import psycopg
from psycopg import pq
from psycopg._preparing import Prepare  # psycopg's prepared statement cache, shared with its cursors
from psycopg.adapt import PyFormat, Transformer
from sqlalchemy import Connection, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

Params = Mapping[str, Any]
_NONE: Params = {}


class _Compiled:
    """One statement compiled for one dialect and one set of column keys, with its type processing."""

    def __init__(self, statement: ClauseElement, dialect: Dialect, column_keys: Sequence[str] | None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        if "POSTCOMPILE" in compiled.string:
            raise ValueError("write IN lists as literal() values: an expanding parameter needs SQLAlchemy to run it")
        if compiled.escaped_bind_names:  # pragma: no cover - the engine's bind names are plain identifiers
            raise ValueError(f"bind names need escaping: {sorted(compiled.escaped_bind_names)}")
        self.sql = compiled.string
        # Values the statement binds itself (literals such as the statuses of an IN list), by bind name,
        # and the columns' constant defaults. A default computed in Python (a clock, a factory) is left to
        # SQLAlchemy's execution context, which this path skips: such a column must be given a value.
        self.defaults = compiled.construct_params(_check=False)
        for column in (*compiled.insert_prefetch, *compiled.update_prefetch):
            default = column.default if column in compiled.insert_prefetch else column.onupdate
            if not default.is_scalar:
                raise ValueError(f"give {column.table.name}.{column.name} a value: its default is computed in Python")
            self.defaults[column.key] = default.arg
        processors = {  # by the name the SQL uses (an anonymous bind's, param_1, is not its key)
            name: processor
            for bind, name in compiled.bind_names.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        self.bind_processors = tuple(processors.items())
        # A positional driver (sqlite3) takes a tuple: each slot's name, default and processor, in order. So
        # does libpq, which psycopg's statements are sent to straight (``_Pipeline``), numbered as PostgreSQL
        # numbers them ($1, $2, ...), not in psycopg's own placeholders.
        self.numbered: bytes | None = None
        if dialect.driver == "psycopg":
            self.numbered, order = _numbered(self.sql)
        else:
            order = compiled.positiontup if dialect.positional else None
        self.slots = (
            None if order is None else tuple((name, self.defaults.get(name), processors.get(name)) for name in order)
        )
        self.column_types = [column.type for column in getattr(statement, "exported_columns", ())]
        self.dialect = dialect
        self._make_row: Callable[[Sequence[Any]], Any] | None = None

    def bind(self, params: Params) -> Any:
        if self.slots is not None:
            get = params.get
            return tuple(
                [
                    processor(get(name, default)) if processor else get(name, default)
                    for name, default, processor in self.slots
                ]
            )
        values = {**self.defaults, **params}
        for name, processor in self.bind_processors:
            values[name] = processor(values[name])
        return values

    def row_maker(self, cursor: Any) -> Callable[[Sequence[Any]], Any]:
        """Rows as named tuples (read-only, attribute access like SQLAlchemy's ``Row``), typed as SQLAlchemy
        would. Built from the first result's description; the driver builds a description afresh each time
        it is asked, which for the case's forty columns costs more than reading the row."""
        if self._make_row is None:
            description = cursor.description
            cls = namedtuple("Row", [column[0] for column in description], rename=True)  # type: ignore[misc]
            processors = [
                (index, processor)
                for index, (type_, column) in enumerate(zip(self.column_types, description, strict=False))
                if (processor := type_.dialect_impl(self.dialect).result_processor(self.dialect, column[1]))
            ]
            if not processors:
                self._make_row = cls._make
            else:

                def make(values: Sequence[Any]) -> Any:
                    values = list(values)
                    for index, processor in processors:
                        values[index] = processor(values[index])
                    return cls._make(values)

                self._make_row = make
        return self._make_row


# Keyed by the statement's id; each entry keeps its statement alive, so an id is never reused for another.
# Meant for statements built once (the engine's are module constants or cached builders).
_COMPILED: dict[tuple[int, str, tuple[str, ...] | None], tuple[ClauseElement, _Compiled]] = {}


def _compiled(statement: ClauseElement, dialect: Dialect, keys: tuple[str, ...] | None) -> _Compiled:
    """``statement`` compiled for ``dialect``; an INSERT or UPDATE for the columns its parameters name (the
    SET clause of the engine's case UPDATE, for one, is whatever the action changed), as SQLAlchemy does."""
    column_keys = keys if getattr(statement, "is_dml", False) else None
    key = (id(statement), dialect.name, column_keys)
    found = _COMPILED.get(key)
    if found is None:
        found = _COMPILED[key] = (statement, _Compiled(statement, dialect, column_keys))
    return found[1]


class DriverStatements:
    """Run prebuilt statements on the driver connection of ``connection``, in its transaction.

    ``connection`` is a SQLAlchemy ``Connection`` whose transaction has begun (on SQLite the door's
    ``BEGIN IMMEDIATE`` is sent when it begins). On SQLite the statements run on the sqlite3 cursor; on
    PostgreSQL they go to libpq (``_Pipeline``), a BEGIN in front of the first where psycopg would have sent
    one.

    With ``hold_writes`` (the door's transaction) on PostgreSQL, a ``write`` is not sent at once: held writes
    go with the next statement whose answer is needed, or with the COMMIT (``commit``). The server runs them
    in the order they were given, as ever, but the client waits for the network once per batch instead of
    once per statement. The door's BEGIN goes in the first batch too, and its COMMIT in the last: this class
    opens and commits the transaction (psycopg sends a BEGIN only when its own cursor runs with no
    transaction open, and ``send_held`` sends ours first; its commit finds the transaction ended and sends
    nothing), and a rollback is psycopg's, which SQLAlchemy asks for on any error. A transition with no gate
    thus makes two round trips, its locked read and its writes with the COMMIT, where it made four. An error
    in a held write is raised when the batch is sent, as SQLAlchemy's exception, and nothing commits: the
    server skips the rest of a batch after an error, COMMIT included. Anything run on ``connection`` through
    SQLAlchemy (the ORM, a Core statement) must send the held writes, and the BEGIN, first (``send_held``;
    ``Database.transaction`` sees to it).
    """

    def __init__(self, connection: Connection, *, hold_writes: bool = False) -> None:
        self.connection = connection
        self.dialect = connection.dialect
        driver_connection = connection.connection.dbapi_connection
        psycopg_ = self.dialect.driver == "psycopg"
        self._pipeline = _Pipeline(driver_connection, prepare_at_once=hold_writes) if psycopg_ else None
        self._cursor = None if self._pipeline else connection.connection.cursor()
        self._holds = hold_writes and self._pipeline is not None
        self._begun = not self._holds  # where writes are held, the BEGIN goes with the first statement
        self._held: list[_Sending] = []

    def rows(self, statement: ClauseElement, params: Params | None = None) -> list[Any]:
        params = params or {}
        compiled = _compiled(statement, self.dialect, tuple(params))
        answer = self._run(compiled, compiled.bind(params))
        make = compiled.row_maker(answer)
        return [make(values) for values in answer.fetchall()]

    def rows_together(self, *queries: tuple[ClauseElement, Params]) -> list[list[Any]]:
        """The rows of each of ``queries``, asked in one round trip on PostgreSQL (with the held writes): for
        questions that do not wait on each other's answers. Each may be a write that returns rows."""
        sending = []
        for statement, params in queries:
            compiled = _compiled(statement, self.dialect, tuple(params))
            sending.append(_Sending(compiled, compiled.bind(params)))
        found = []
        for answer, query in zip(self._send(sending, answered=len(sending)), sending, strict=True):
            make = query.compiled.row_maker(answer)
            found.append([make(values) for values in answer.fetchall()])
        return found

    def first(self, statement: ClauseElement, params: Params | None = None) -> Any | None:
        rows = self.rows(statement, params)
        return rows[0] if rows else None

    def scalar(self, statement: ClauseElement, params: Params | None = None) -> Any:
        row = self.first(statement, params)
        return None if row is None else row[0]

    def execute(self, statement: ClauseElement, params: Params | Sequence[Params] = _NONE) -> int:
        """Run a statement whose rows are not needed (one parameter set, or many); the row count."""
        return self._run(*self._bound(statement, params)).rowcount

    def write(self, statement: ClauseElement, params: Params | Sequence[Params] = _NONE) -> None:
        """Run a statement whose answer the caller does not need, not even its row count: held back where
        writes are held (see the class), run at once elsewhere."""
        if not self._holds:
            self._run(*self._bound(statement, params))
        else:
            self._held.append(_Sending(*self._bound(statement, params)))

    def insert_returning(self, statement: ClauseElement, params: Params) -> Any:
        """Run an INSERT ... RETURNING for one row; the returned row."""
        compiled = _compiled(statement, self.dialect, tuple(params))
        answer = self._run(compiled, compiled.bind(params))
        return compiled.row_maker(answer)(answer.fetchone())

    def send_held(self) -> None:
        """Send the held writes now (and the BEGIN, if nothing has been sent yet), before something that does
        not go through here runs on the connection."""
        if self._held or not self._begun:
            self._send([])

    def commit(self) -> None:
        """Where writes are held, COMMIT with them in one round trip (SQLAlchemy's commit, which follows,
        finds the transaction ended and sends nothing). Elsewhere SQLAlchemy's commit does it all."""
        if self._holds and (self._held or self._begun):
            self._send([_COMMIT])

    def _bound(self, statement: ClauseElement, params: Params | Sequence[Params]) -> tuple[_Compiled, Any, bool]:
        many = not isinstance(params, Mapping)
        compiled = _compiled(statement, self.dialect, tuple(params[0] if many else params))
        return compiled, [compiled.bind(p) for p in params] if many else compiled.bind(params), many

    def _run(self, compiled: _Compiled, bound: Any, many: bool = False) -> Any:
        return self._send([_Sending(compiled, bound, many)])

    def _send(self, statements: list[_Sending], answered: int = 0) -> Any:
        """Run the held writes and then ``statements``; the last one's answer (the cursor on SQLite), or with
        ``answered``, the answers of that many last statements, in order."""
        statements, self._held = [*self._held, *statements], []
        if not self._begun:
            statements.insert(0, _BEGIN)
            self._begun = True
        try:
            if self._pipeline is not None:
                answers = self._pipeline.run(statements, begin=not self._holds)
            else:
                answers = []
                for index, statement in enumerate(statements):
                    statement.run(self._cursor)
                    if len(statements) - index <= answered:  # read before the cursor runs the next
                        answers.append(_Fetched(self._cursor.description, self._cursor.fetchall()))
                if not answered:
                    return self._cursor
            return answers[-answered:] if answered else answers[-1]
        except self.dialect.loaded_dbapi.Error as error:
            driver_connection = self.connection.connection.dbapi_connection
            lost = self.dialect.is_disconnect(error, driver_connection, self._cursor)
            if lost:
                self.connection.invalidate(error)
            raise exc.DBAPIError.instance(
                ";\n".join(s.sql for s in statements),
                statements[-1].bound if len(statements) == 1 else [s.bound for s in statements],
                error,
                self.dialect.loaded_dbapi.Error,
                dialect=self.dialect,
                connection_invalidated=lost,
                ismulti=statements[-1].many,
            ) from error


class _Fetched(NamedTuple):
    """A statement's rows read off the SQLite cursor, for when it runs another statement before they are wanted."""

    description: Any
    rows: list[Any]

    def fetchall(self) -> list[Any]:
        return self.rows


class _Sending(NamedTuple):
    """A statement on its way to the driver, with its parameters bound (None: BEGIN or COMMIT)."""

    compiled: _Compiled | bytes
    bound: Any
    many: bool = False

    @property
    def sql(self) -> str:
        return self.compiled.decode() if isinstance(self.compiled, bytes) else self.compiled.sql

    def run(self, cursor: Any) -> None:
        """On a DB-API cursor (sqlite3's)."""
        if self.many:
            cursor.executemany(self.sql, self.bound)
        else:
            cursor.execute(self.sql, self.bound)


_BEGIN = _Sending(b"BEGIN", None)
_COMMIT = _Sending(b"COMMIT", None)


class _Pipeline:
    """Statements sent to libpq in one batch, in pipeline mode, and their answers read back: one send and
    one wait for the network however many statements go, where psycopg's cursor flushes each statement
    on its own and, in its own pipeline mode, works through a few layers of Python per statement (together
    about half the door's client CPU). What psycopg's cursor would do otherwise stays psycopg's: its
    adapters dump the parameters and load the rows (the same types either way), its prepared statement
    cache names and forgets the prepared statements (so a DEALLOCATE ALL it sends after a rollback forgets
    these too), its exceptions are raised.

    ``prepare_at_once``: prepare each statement the first time it is sent (the door's, which run on every
    action and commit); otherwise once psycopg has seen it often enough on the connection, as its cursor
    does (a read-only transaction ends in a rollback, after which psycopg deallocates them all, so preparing
    there would cost a round trip more). ``begin`` (``run``): start a transaction where psycopg would (a
    connection not in autocommit mode, with no transaction open), as the cursor does before its first
    statement.
    """

    def __init__(self, connection: Any, *, prepare_at_once: bool) -> None:
        self.connection = connection
        self.prepare_at_once = True if prepare_at_once else None  # psycopg's "prepare": None leaves it to count
        self.pgconn = connection.pgconn
        self.encoding = connection.info.encoding
        self.adapt = Transformer.from_context(connection)
        self.prepared = connection._prepared  # psycopg's own cache of the connection's prepared statements

    def run(self, statements: list[_Sending], *, begin: bool) -> list[_Answer]:
        """Each statement's answer, in order."""
        connection, pgconn = self.connection, self.pgconn
        with connection.lock:
            if begin and not connection.autocommit and pgconn.transaction_status == _IDLE:
                statements = [_BEGIN, *statements]
            sent: list[list[_Query]] = []
            pgconn.enter_pipeline_mode()
            try:
                for statement in statements:
                    sent.append(self._send(statement))
            finally:  # even after a parameter psycopg could not dump: what was queued goes, so libpq is left idle
                answers = iter(self._sync())
            failed, outcomes = None, []
            for queries in sent:
                outcome: list[Any] = []
                outcomes.append(outcome)
                for query in queries:
                    results = next(answers)
                    if query.cached is not None:  # newly prepared: psycopg forgets it if it failed
                        self.prepared.validate(*query.cached, results)
                    if failed is None:
                        failed = next((result for result in results if result.status == _FAILED), None)
                    if query.answers:
                        outcome.extend(results)
            if self.prepared._to_flush:  # statements psycopg wants deallocated (its cache is full)
                connection.wait(self.prepared.maintain_gen(connection))
        if failed is not None:
            raise psycopg.errors.error_from_result(failed, encoding=self.encoding)
        return [_Answer(self.adapt, self.encoding, outcome) for outcome in outcomes]

    def _send(self, statement: _Sending) -> list[_Query]:
        """Queue ``statement`` (each of its parameter sets, prepared as psycopg's cache says); what it sent."""
        pgconn = self.pgconn
        if statement.bound is None:
            pgconn.send_query_params(statement.compiled, None)
            return [_Query(answers=True)]
        assert isinstance(statement.compiled, _Compiled) and statement.compiled.numbered is not None
        query = statement.compiled.numbered
        queries = []
        for bound in statement.bound if statement.many else (statement.bound,):
            values = self.adapt.dump_sequence(bound, (_AUTO,) * len(bound))
            key = _Key(query, self.adapt.types or ())
            prepare, name = self.prepared.get(key, self.prepare_at_once)
            if prepare is Prepare.NO:  # preparing switched off on the connection
                pgconn.send_query_params(query, values, key.types, self.adapt.formats)
            else:
                if prepare is Prepare.SHOULD:
                    pgconn.send_prepare(name, query, key.types)
                    queries.append(_Query(answers=False))
                pgconn.send_query_prepared(name, values, self.adapt.formats)
            cached = self.prepared.maybe_add_to_cache(key, prepare, name)
            queries.append(_Query(answers=True, cached=None if cached is None else (cached, prepare, name)))
        return queries

    def _sync(self) -> list[list[Any]]:
        """Send what is queued and the pipeline's sync; the results of each query, in the order sent."""
        pgconn = self.pgconn
        pgconn.pipeline_sync()
        while pgconn.flush():  # the socket did not take it all at once (a long batch)
            _wait(pgconn.socket, select.POLLOUT)
        answers: list[list[Any]] = []
        results: list[Any] = []
        while True:
            while pgconn.is_busy():
                _wait(pgconn.socket, select.POLLIN)
                pgconn.consume_input()
            result = pgconn.get_result()
            if result is None:  # the end of one query's results
                answers.append(results)
                results = []
            elif result.status == _SYNC:
                pgconn.exit_pipeline_mode()
                return answers
            else:
                results.append(result)


class _Query(NamedTuple):
    """A query sent in a pipeline: whether its results are the statement's answer (a PREPARE's are not), and
    the entry psycopg's prepared statement cache made for it, to be validated by its results."""

    answers: bool
    cached: tuple[Any, Any, bytes] | None = None


class _Key(NamedTuple):
    """What psycopg's prepared statement cache keys a statement by (the parts of its own query object it reads)."""

    query: bytes
    types: tuple[int, ...]


class _Answer:
    """A statement's results from libpq, read as a cursor's: its rows as psycopg loads them, the names and
    types of its columns, its row count."""

    def __init__(self, adapt: Transformer, encoding: str, results: list[Any]) -> None:
        self._adapt = adapt
        self._encoding = encoding
        self._results = results

    @property
    def rowcount(self) -> int:
        results = self._results
        if len(results) == 1 and results[0].status == _ROWS:
            return results[0].ntuples
        counts = [result.command_tuples for result in results]
        return -1 if counts == [None] else sum(count or 0 for count in counts)

    @property
    def description(self) -> list[tuple[str, int]]:
        result = self._results[-1]
        return [(result.fname(i).decode(self._encoding), result.ftype(i)) for i in range(result.nfields)]

    def fetchall(self) -> list[tuple[Any, ...]]:
        result = self._results[-1]
        self._adapt.set_pgresult(result)
        return self._adapt.load_rows(0, result.ntuples, tuple)

    def fetchone(self) -> tuple[Any, ...] | None:
        rows = self.fetchall()
        return rows[0] if rows else None


def _wait(socket: int, event: int) -> None:
    poll = select.poll()
    poll.register(socket, event)
    poll.poll()


# psycopg's query placeholders, %(name)s, with %% for a literal %.
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


def _numbered(sql: str) -> tuple[bytes, tuple[str, ...]]:
    """``sql`` compiled for psycopg, with PostgreSQL's numbered placeholders instead of psycopg's; the
    parameters' names in their numbers' order. A name used twice keeps its number. (UTF-8: the encoding
    of our databases.)"""
    names: list[str] = []

    def number(placeholder: re.Match[str]) -> str:
        name = placeholder[1]
        if name is None:
            return "%"
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _PLACEHOLDER.sub(number, sql).encode(), tuple(names)


_IDLE = pq.TransactionStatus.IDLE
_ROWS = pq.ExecStatus.TUPLES_OK
_FAILED = pq.ExecStatus.FATAL_ERROR
_SYNC = pq.ExecStatus.PIPELINE_SYNC
_AUTO = PyFormat.AUTO
