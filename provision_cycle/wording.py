"""How the service words things for people."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from .governance.calendar import LONDON


def humanise(value: str | None) -> str:
    """A code in words, where it has none of its own: "contract_review" is "Contract review"."""
    return (value or "").replace("_", " ").capitalize()


def listed(items: Sequence[str], conjunction: str = "and") -> str:
    """``items`` as a sentence lists them: "A", "A and B", "A, B and C" (or with "or")."""
    return f" {conjunction} ".join(filter(None, [", ".join(items[:-1]), items[-1]])) if items else ""


def one_to_a_line(text: str) -> list[str]:
    """The items of an answer given one to a line (the suppliers invited to tender), blank lines left out."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``number`` of ``noun`` as people say it: "1 month", "3 months", "12 working days" (``plural`` where
    it is not the noun and an s: "2 breaches")."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


def pounds(amount: Decimal | int, pence: bool = True) -> str:
    """A sum of money as the councils write it: "£1,250.00", "£2,000,000" (``pence`` False), "-£80.00" (a
    credit note)."""
    figure = f"{abs(amount):,.2f}" if pence else f"{abs(amount):,.0f}"
    return f"-£{figure}" if amount < 0 else f"£{figure}"


def duration(minutes: int) -> str:
    """A length of time as people say it: "7 days", "4 hours", "1 hour and 30 minutes", "45 minutes"."""
    days, rest = divmod(minutes, 24 * 60)
    if days and not rest:
        return counted(days, "day")
    hours, minutes = divmod(minutes, 60)
    parts = [counted(hours, "hour")] if hours else []
    parts += [counted(minutes, "minute")] if minutes else []
    return " and ".join(parts)


def at_time(moment: datetime) -> str:
    """A moment as the councils' officers read it, in their own time: "09:05 on 4 December 2026"."""
    return moment.astimezone(LONDON).strftime("%H:%M on %-d %B %Y")
