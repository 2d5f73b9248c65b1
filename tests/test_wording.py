"""How the service words numbers and lists for people."""

from __future__ import annotations

from decimal import Decimal

import pytest

from provision_cycle.wording import counted, duration, listed, pounds


@pytest.mark.parametrize(
    ("number", "noun", "said"),
    [
        (1, "month", "1 month"),
        (3, "month", "3 months"),
        (0, "day", "0 days"),
        (1250, "working day", "1,250 working days"),
    ],
)
def test_a_count_says_its_noun_in_the_singular_only_for_one(number, noun, said):
    assert counted(number, noun) == said


def test_a_noun_whose_plural_is_not_an_s_is_given_it():
    assert [counted(n, "breach", "breaches") for n in (1, 2)] == ["1 breach", "2 breaches"]


def test_lengths_of_time_and_lists_read_as_sentences():
    assert [duration(m) for m in (7 * 24 * 60, 60, 90, 45)] == [
        "7 days",
        "1 hour",
        "1 hour and 30 minutes",
        "45 minutes",
    ]
    assert [listed(items) for items in ([], ["A"], ["A", "B"], ["A", "B", "C"])] == ["", "A", "A and B", "A, B and C"]
    assert listed(["A", "B"], "or") == "A or B"


def test_sums_of_money_are_written_in_pounds_wherever_they_are_said():
    assert [pounds(Decimal(v)) for v in ("1250", "207720", "-80", "0.5")] == [
        "£1,250.00",
        "£207,720.00",
        "-£80.00",
        "£0.50",
    ]
    assert pounds(2_000_000, pence=False) == "£2,000,000"
