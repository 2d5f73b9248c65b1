"""Declarative base and the column types every model shares."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, MetaData, Numeric, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.functions import FunctionElement

# The largest row id: an integer column's on every database. An id given beyond it (a URL's, a query
# string's, an API body's) is of no row, and would overflow the column it is compared with.
MAX_ID = 2**31 - 1

# Stable constraint names so that Alembic migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Json = JSON().with_variant(JSONB(), "postgresql")
Money = Numeric(14, 2, asdecimal=True)


class UtcDateTime(TypeDecorator):
    """A UTC timestamp stored without zone; always handed back as an aware datetime in UTC.

    SQLite keeps no zone and PostgreSQL ``timestamptz`` converts on the way out; storing naive UTC in
    both keeps values (and so audit hashes) identical whichever database wrote them.
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: dict[Any, Any] = {
        datetime: UtcDateTime,
        Decimal: Money,
        dict[str, Any]: Json,
        list[Any]: Json,
    }


class days_between(FunctionElement):  # noqa: N801 - used as a SQL function, like func.*
    """``days_between(later, earlier)``: the whole days from one date column to another, in SQL, on either
    database (PostgreSQL subtracts dates; SQLite counts Julian days)."""

    type = Integer()
    name = "days_between"
    inherit_cache = True


@compiles(days_between)
def _days_between(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({later} - {earlier})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


class json_rows(FunctionElement):  # noqa: N801 - used as a SQL function, like func.*
    """``json_rows(a, b, ...)``, an aggregate: the rows' values as a JSON array of arrays (``[[a, b], ...]``),
    on either database; NULL (PostgreSQL) or ``[]`` (SQLite) over no rows. For a few child rows read beside
    their parent in one row, where a join would repeat the parent's columns once per child."""

    type = JSON()
    name = "json_rows"
    inherit_cache = True


@compiles(json_rows)
def _json_rows(element: json_rows, compiler: Any, **kw: Any) -> str:
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows, "sqlite")
def _json_rows_sqlite(element: json_rows, compiler: Any, **kw: Any) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"
