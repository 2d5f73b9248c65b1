"""Text that goes out to spreadsheets as CSV, and comes back from them."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator, Sequence

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
