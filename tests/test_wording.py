"""How the service words numbers and lists for people."""

from __future__ import annotations

import pytest

from provision_cycle.wording import counted, duration, listed


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


def test_lengths_of_time_and_lists_read_as_sentences():
    assert [duration(m) for m in (7 * 24 * 60, 60, 90, 45)] == [
        "7 days",
        "1 hour",
        "1 hour and 30 minutes",
        "45 minutes",
    ]
    assert [listed(items) for items in ([], ["A"], ["A", "B"], ["A", "B", "C"])] == ["", "A", "A and B", "A, B and C"]
    assert listed(["A", "B"], "or") == "A or B"
