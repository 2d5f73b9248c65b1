"""Prebuilt SQLAlchemy statements run straight on the database driver's cursor.

The engine's door runs the same dozen statements for every action. Through SQLAlchemy's execution layer a
prebuilt Core statement still costs, on the 2-core reference box, about 370-460 us of client CPU for the
case's locked read (building an execution context, processing parameters, a result object, the driver's
column descriptions) against 80-130 us for the same SQL on psycopg's cursor: the difference is most of a
transition's time. So those statements are compiled once per dialect (SQL text, bind order, type
processing, all from SQLAlchemy) and executed on the driver's cursor of a SQLAlchemy connection, inside
that connection's transaction. Everything else keeps using SQLAlchemy as usual.

What stays the same as going through SQLAlchemy: the SQL, the parameter and result type processing (the
dialect's own processors, so a ``UtcDateTime`` comes back aware, JSON is encoded the same way), and
errors, which are raised as SQLAlchemy's exceptions (``IntegrityError`` and the rest), the connection
invalidated when the driver says it was lost. ``tests/test_driver.py`` checks that every engine statement
reads and writes the same through both paths, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

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
        # A positional driver (sqlite3) takes a tuple: each slot's name, default and processor, in order.
        self.slots = (
            tuple((name, self.defaults.get(name), processors.get(name)) for name in compiled.positiontup)
            if dialect.positional
            else None
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
    """Run prebuilt statements on the driver cursor of ``connection``, in its transaction.

    ``connection`` is a SQLAlchemy ``Connection`` whose transaction has begun (on SQLite the door's
    ``BEGIN IMMEDIATE`` is sent when it begins; psycopg opens the transaction with the first statement).

    With ``hold_writes`` (the door's transaction) on PostgreSQL, a ``write`` is not sent at once: held writes
    go in one pipeline (psycopg's pipeline mode) with the next statement whose answer is needed, or with the
    COMMIT (``commit``). The server runs them in the order they were given, as ever, but the client waits for
    the network once per pipeline instead of once per statement. The BEGIN goes in the first pipeline too
    (psycopg would send its own and wait for it: so the driver connection must be in autocommit mode, and
    this class opens and commits the transaction; a rollback is psycopg's, which SQLAlchemy asks for on any
    error). A transition with no gate thus makes two round trips, its locked read and its writes with the
    COMMIT, where it made four. An error in a held write is raised when the pipeline is sent, as
    SQLAlchemy's exception, and nothing commits: the server skips the rest of a pipeline after an error,
    COMMIT included. Anything run on ``connection`` through SQLAlchemy (the ORM, a Core statement) must send
    the held writes, and the BEGIN, first (``send_held``; ``Database.transaction`` sees to it).
    """

    def __init__(self, connection: Connection, *, hold_writes: bool = False) -> None:
        self.connection = connection
        self.dialect = connection.dialect
        self._cursor = connection.connection.cursor()
        driver_connection = connection.connection.dbapi_connection
        pipelines = hold_writes and self.dialect.driver == "psycopg"
        if pipelines and not driver_connection.autocommit:
            raise ValueError("holding writes needs the driver connection in autocommit mode: BEGIN is sent here")
        self._pipeline = driver_connection.pipeline if pipelines else None
        self._begun = not pipelines  # where writes are held, the BEGIN goes with the first statement
        self._held: list[_Sending] = []

    def rows(self, statement: ClauseElement, params: Params | None = None) -> list[Any]:
        params = params or {}
        compiled = _compiled(statement, self.dialect, tuple(params))
        cursor = self._run(compiled, compiled.bind(params))
        make = compiled.row_maker(cursor)
        return [make(values) for values in cursor.fetchall()]

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
        if self._pipeline is None:
            self._run(*self._bound(statement, params))
        else:
            compiled, bound, many = self._bound(statement, params)
            self._held.append(_Sending(compiled.sql, bound, many))

    def insert_returning(self, statement: ClauseElement, params: Params) -> Any:
        """Run an INSERT ... RETURNING for one row; the returned row."""
        compiled = _compiled(statement, self.dialect, tuple(params))
        cursor = self._run(compiled, compiled.bind(params))
        return compiled.row_maker(cursor)(cursor.fetchone())

    def send_held(self) -> None:
        """Send the held writes now (and the BEGIN, if nothing has been sent yet), before something that does
        not go through here runs on the connection."""
        if self._held or not self._begun:
            self._send([])

    def commit(self) -> None:
        """Where writes are held, COMMIT with them in one round trip (SQLAlchemy's commit, which follows,
        finds the transaction ended and sends nothing). Elsewhere SQLAlchemy's commit does it all."""
        if self._pipeline is not None and (self._held or self._begun):
            self._send([_COMMIT])

    def _bound(self, statement: ClauseElement, params: Params | Sequence[Params]) -> tuple[_Compiled, Any, bool]:
        many = not isinstance(params, Mapping)
        compiled = _compiled(statement, self.dialect, tuple(params[0] if many else params))
        return compiled, [compiled.bind(p) for p in params] if many else compiled.bind(params), many

    def _run(self, compiled: _Compiled, bound: Any, many: bool = False) -> Any:
        return self._send([_Sending(compiled.sql, bound, many)])

    def _send(self, statements: list[_Sending]) -> Any:
        """Run the held writes and then ``statements``; the cursor, holding the last one's result."""
        cursor = self._cursor
        statements, self._held = [*self._held, *statements], []
        if not self._begun:
            statements.insert(0, _BEGIN)
            self._begun = True
        try:
            if len(statements) == 1:  # a pipeline costs client CPU: only where it saves a round trip
                statements[0].run(cursor)
            else:
                with self._pipeline():
                    for statement in statements:
                        statement.run(cursor)
        except self.dialect.loaded_dbapi.Error as error:
            lost = self.dialect.is_disconnect(error, self.connection.connection.dbapi_connection, cursor)
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
        return cursor


class _Sending(NamedTuple):
    """A statement on its way to the driver, with its parameters bound."""

    sql: str
    bound: Any
    many: bool = False

    def run(self, cursor: Any) -> None:
        if self.many:
            cursor.executemany(self.sql, self.bound)
        elif self.bound is None:
            cursor.execute(self.sql, prepare=False)  # BEGIN or COMMIT: nothing to prepare
        else:
            cursor.execute(self.sql, self.bound)


_BEGIN = _Sending("BEGIN", None)
_COMMIT = _Sending("COMMIT", None)
