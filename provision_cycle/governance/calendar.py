"""Working days and statutory day counting, from an offline UK bank-holiday calendar.

Procurement Act 2023 s123: a "working day" is any day other than a Saturday, a Sunday, Christmas Day,
Good Friday, or a bank holiday in any part of the United Kingdom. So a Scottish-only holiday (2 January,
St Andrew's Day) or a Northern Irish one (St Patrick's Day, 12 July) stops the standstill clock in Oxfordshire too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import ClassVar, Self
from zoneinfo import ZoneInfo

import holidays

from ..errors import InvalidInput

UK_NATIONS = ("ENG", "NIR", "SCT", "WLS")
LONDON = ZoneInfo("Europe/London")  # the councils' days and times, as their officers read them
FINANCIAL_YEAR_STARTS = 4  # April


def financial_year_starts(day: date) -> date:
    """1 April of the financial year ``day`` is in."""
    return date(day.year if day.month >= FINANCIAL_YEAR_STARTS else day.year - 1, FINANCIAL_YEAR_STARTS, 1)


@dataclass(frozen=True, order=True)
class MonthsOfTheYear:
    """A run of ``MONTHS`` whole months that the financial year (from April) divides into: a quarter, a
    half-year. Named by its first month, ``2026-04``."""

    starts: date
    MONTHS: ClassVar[int]
    NAME: ClassVar[str]  # "quarter": for the message when a name is not one
    EXAMPLE: ClassVar[str]  # "2026-04 for April to June 2026"
    FIELD: ClassVar[str]  # the input it is read from, for that message

    @classmethod
    def parse(cls, text: str) -> Self:
        """``2026-04`` (its first month); the error says what to write."""
        match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
        year, month = (int(match[1]), int(match[2])) if match else (0, 0)
        if not 1900 <= year <= 2200 or not 1 <= month <= 12 or (month - FINANCIAL_YEAR_STARTS) % cls.MONTHS:
            raise InvalidInput({cls.FIELD: f"{text!r} is not a {cls.NAME}: name its first month, like {cls.EXAMPLE}"})
        return cls(date(year, month, 1))

    @classmethod
    def containing(cls, day: date) -> Self:
        into_year = (day.month - FINANCIAL_YEAR_STARTS) % 12
        return cls(add_months(date(day.year, day.month, 1), -(into_year % cls.MONTHS)))

    @property
    def ends(self) -> date:
        return add_months(self.starts, self.MONTHS) - timedelta(days=1)

    @property
    def previous(self) -> Self:
        return type(self)(add_months(self.starts, -self.MONTHS))

    @property
    def code(self) -> str:
        return f"{self.starts:%Y-%m}"


# The years of a date a person may give: one outside them is a slip of the keyboard (0206 for 2026, 9999 for
# "no end"), and the far future would overflow the dates worked out from it (its extensions, its working days).
PLAUSIBLE_YEARS = range(1900, 2201)


def implausible(day: date) -> str | None:
    """What is wrong with ``day`` as a date someone gave, if anything: a year outside ``PLAUSIBLE_YEARS``."""
    return None if day.year in PLAUSIBLE_YEARS else f"{day.isoformat()} is not a plausible date: check the year"


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months (negative goes back), clamped to the end of a shorter month:
    31 January plus one month is 28 (or 29) February."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def latest_occurrence(start: date, every_months: int, on_or_before: date) -> date | None:
    """The last of ``start + k * every_months`` (k >= 1) that falls on or before ``on_or_before``, if any:
    a contract's reviews fall on the anniversaries of its start at its cadence (clamped to month ends)."""
    months = (on_or_before.year - start.year) * 12 + on_or_before.month - start.month
    k = months // every_months
    while k >= 1 and add_months(start, k * every_months) > on_or_before:
        k -= 1
    return add_months(start, k * every_months) if k >= 1 else None


def next_occurrence(start: date, every_months: int, after: date) -> date:
    """The first of ``start + k * every_months`` (k >= 1) that falls after ``after``: a contract's next review."""
    months = (after.year - start.year) * 12 + after.month - start.month
    k = max(1, months // every_months)  # never past the first one after: k - 1 falls on or before ``after``
    while add_months(start, k * every_months) <= after:
        k += 1
    return add_months(start, k * every_months)


def months_between(start: date, end: date) -> int:
    """Whole calendar months from ``start``'s month to ``end``'s (the days left aside), never fewer than none."""
    return max(0, (end.year - start.year) * 12 + end.month - start.month)


def term_months(start: date, end: date) -> int:
    """A contract's term in whole months: one from 1 July 2025 to 30 June 2028 runs 36, its last day included."""
    return months_between(start, end + timedelta(days=1))


@lru_cache(maxsize=64)
def _non_working_days(year: int) -> frozenset[date]:
    days: set[date] = set()
    for nation in UK_NATIONS:
        days.update(holidays.UK(subdiv=nation, years=year, categories=("public",)).keys())
    days.add(date(year, 12, 25))  # named in s123 whatever the calendar says
    return frozenset(days)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _non_working_days(day.year)


def add_working_days_beginning_with(start: date, count: int) -> date:
    """The last day of a period of ``count`` working days beginning with ``start``.

    "Beginning with" counts ``start`` itself when it is a working day (the usual statutory reading,
    as in s51 standstill: eight working days beginning with the day the award notice is published).
    """
    if count < 1:
        raise ValueError("a period has at least one working day")
    day = start
    counted = 0
    while True:
        if is_working_day(day):
            counted += 1
            if counted == count:
                return day
        day += timedelta(days=1)


def next_working_day(after: date) -> date:
    day = after + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def days_beginning_with(start: date, count: int) -> date:
    """The last day of a period of ``count`` calendar days beginning with ``start`` (day 1 is ``start``)."""
    return start + timedelta(days=count - 1)
