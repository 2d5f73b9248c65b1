"""Tables that go out to spreadsheets as CSV, and come back from them: guarded against formulas going out, and
read back with every problem named by line and column."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..errors import DomainError
from ..wording import counted
from ..workflow.engine import parse_money

FORMULA_STARTS = ("=", "+", "-", "@")


def guarded(text: str) -> str:
    """Neutralise a spreadsheet formula: a cell starting =, +, - or @ would run in Excel (CSV injection)."""
    return "'" + text if text[:1] in FORMULA_STARTS else text


def unguarded(text: str) -> str:
    """Undo ``guarded`` (a ' before =, +, - or @), for a file that comes back."""
    return text[1:] if text[:1] == "'" and text[1:2] in FORMULA_STARTS else text


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """CSV text a row at a time (a download streams it), every text cell guarded."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in itertools.chain([header], rows):
        writer.writerow([guarded(cell) if isinstance(cell, str) else cell for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


# --- reading a table a person made in a spreadsheet ------------------------------------------------------
# How a file heads the column of its suppliers' PPONs (their unique identifiers on the Central Digital Platform).
PPON_HEADINGS = ("Supplier PPON", "PPON", "Public Procurement Organisation Number")
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}
# How a workbook starts: a zip (.xlsx, .ods) or an OLE compound file (the old .xls).
WORKBOOK_STARTS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
SAVE_AS_CSV = "in the spreadsheet, save it as CSV UTF-8 (comma delimited) and load that"


@dataclass(frozen=True)
class FileProblem:
    line: int  # the file's line (the headings are line 1); 0 for the file as a whole
    column: str  # the column's heading as the file has it, or "" for the row or the file
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "the file"
        return f"{where}{', ' + self.column if self.column else ''}: {self.message}"


class FileRefused(DomainError):
    """The file has problems: all of them, and nothing was loaded."""

    status = 400

    def __init__(self, problems: list[FileProblem]) -> None:
        self.problems = problems
        count = counted(len(problems), "problem")
        them = "it" if len(problems) == 1 else "them"
        super().__init__(f"The file has {count}, so nothing was loaded: correct {them} and load it again")


@dataclass(frozen=True)
class Layout:
    """The columns a kind of file has: each field with the headings it may go by (compared without case or
    repeated spaces; the first is the one the documentation uses), which are required, and headings to skip."""

    headings: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    ignored: tuple[str, ...] = ()
    what: str = "file"  # "register", for "The columns a register can have"


@dataclass
class Table:
    """A file's columns (field -> its position and heading as the file has it) and its rows."""

    layout: Layout
    columns: dict[str, tuple[int, str]]
    rows: Iterator[tuple[int, list[str]]]  # (line, cells) of each row with anything in it

    def cell(self, cells: list[str], name: str) -> str:
        position = self.columns[name][0]
        return cells[position] if position < len(cells) else ""

    def heading(self, name: str) -> str:
        """The column's heading as the file has it, or as the documentation names it."""
        return self.columns[name][1] if name in self.columns else self.layout.headings.get(name, (name,))[0]

    def position(self, name: str) -> int:
        return self.columns[name][0] if name in self.columns else len(self.columns)


def read_table(data: bytes, layout: Layout, problems: list[FileProblem]) -> Table:
    """The file's headings checked against ``layout``: FileRefused if it is empty, cannot be read, or its
    columns are wrong (every row would report the same thing). Problems in rows are added to ``problems``."""
    if data.startswith(WORKBOOK_STARTS):
        raise FileRefused([FileProblem(0, "", f"This is a spreadsheet workbook, not CSV: {SAVE_AS_CSV}")])
    text = _decoded(data)
    if "\x00" in text:  # a database has no room for it, and no spreadsheet's CSV holds one
        raise FileRefused([FileProblem(0, "", f"The file holds NUL characters, so it is not CSV text: {SAVE_AS_CSV}")])
    rows = _rows(text, problems)
    header = next(rows, None)
    if header is None:
        raise FileRefused(problems or [FileProblem(0, "", "The file is empty")])
    line, headings = header
    known = {plain(name): field for field, names in layout.headings.items() for name in names}
    columns: dict[str, tuple[int, str]] = {}
    for position, heading in enumerate(headings):
        name = plain(heading)
        if not name or name in layout.ignored:
            continue
        if name not in known:
            expected = ", ".join(names[0] for names in layout.headings.values())
            problems.append(
                FileProblem(line, heading, f"Unknown column. The columns a {layout.what} can have: {expected}")
            )
        elif known[name] in columns:
            problems.append(FileProblem(line, heading, f"A second column for {layout.headings[known[name]][0]}"))
        else:
            columns[known[name]] = (position, heading)
    for name in layout.required:
        if name not in columns:
            problems.append(FileProblem(line, "", f"There is no {layout.headings[name][0]} column"))
    if problems:
        raise FileRefused(problems)
    return Table(layout, columns, rows)


def parsed_rows(
    table: Table, parse: Callable[[str, str], Any], problems: list[FileProblem], *, most: int, noun: str
) -> Iterator[tuple[int, dict[str, Any], dict[str, str]]]:
    """Each row of ``table`` as (line, values, wrong): an empty cell of a required column is wrong as it
    stands; every other cell is given to ``parse(field, text)``, whose ValueError says what is wrong with it.
    Past ``most`` rows, a problem and no more rows."""
    layout = table.layout
    for line, cells in table.rows:
        if line > most + 1:
            problems.append(FileProblem(line, "", f"A file can hold up to {most:,} {noun}: split it"))
            return
        values, wrong = {}, {}
        for name in table.columns:
            text = table.cell(cells, name)
            if name in layout.required and not text:
                heading = table.heading(name)  # as the file has it
                wrong[name] = f"Enter the {heading[:1].lower()}{heading[1:]}"
                continue
            try:
                values[name] = parse(name, text)
            except ValueError as error:
                wrong[name] = str(error)
        yield line, values, wrong


def problems_beside(
    check: Callable[[dict[str, Any]], dict[str, str]],
    values: dict[str, Any],
    wrong: dict[str, str],
    stand_ins: dict[str, Any],
    weighed_against: dict[str, str],
) -> dict[str, str]:
    """What the checks of a whole row (``check``, given the row's values, says what is wrong by field) find in
    the cells that are not already ``wrong``, with a stand-in (one that passes its own checks) for each cell
    wrong or missing: every problem of a row is named at once, not the rest only once its cells are put right.
    A problem found with a cell weighed against another (``weighed_against``: the cell against the one it is
    weighed against) that stood in is no problem of the file's."""
    standing_in = set(wrong) | {name for name in stand_ins if name not in values}
    given = {name: value for name, value in values.items() if name not in wrong}
    found = check({**stand_ins, **given})
    return {
        name: problem
        for name, problem in found.items()
        if name in given and weighed_against.get(name) not in standing_in
    }


def row_problems(table: Table, line: int, wrong: dict[str, str]) -> list[FileProblem]:
    """What is ``wrong`` on a row, column by column in the file's order."""
    return [FileProblem(line, table.heading(name), wrong[name]) for name in sorted(wrong, key=table.position)]


def plain(text: str) -> str:
    """Text as compared with what a person may have typed: without case, a byte-order mark or extra spaces."""
    return " ".join(text.replace("\ufeff", "").split()).casefold()


def yes_or_no(text: str) -> bool:
    if plain(text) in YES:
        return True
    if plain(text) in NO:
        return False
    raise ValueError(f"{text!r}: write yes or no")


def day(text: str) -> date:
    """A date as a spreadsheet writes it: 2026-04-01, or the UK's 1/4/2026 or 01/04/2026."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date: write it like 2026-04-01 or 01/04/2026")


def pounds(text: str) -> Decimal:
    """An amount as a finance system writes it: 1250.00, 1,250.00, and a credit's -1250.00 or (1,250.00)."""
    negative = text.startswith("-") or (text.startswith("(") and text.endswith(")"))
    value = parse_money(text.strip("-()"))
    if value is None:
        raise ValueError(f"{text!r} is not an amount in pounds, like 1250.00, -1250.00 or (1,250.00)")
    return -value if negative else value


def _decoded(data: bytes) -> str:
    # Excel saves "CSV UTF-8" with a byte-order mark, and plain "CSV" in Windows-1252.
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _rows(text: str, problems: list[FileProblem]) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of each row that has anything in it; the line is where the row starts."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        starts = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # a quote left open runs to the end of the file
            unreadable = f"This row cannot be read as CSV ({error}): is a quote not closed?"
            problems.append(FileProblem(starts, "", unreadable))
            return
        if any(cell.strip() for cell in cells):
            yield starts, [cell.strip() for cell in cells]
