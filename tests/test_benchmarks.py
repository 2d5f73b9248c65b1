"""The benchmarks still run and print their tables (issues 2 and 5 are done only when they do): each at a
tiny size, on SQLite and PostgreSQL, with the correctness checks they make on every run. Figures are not
judged here; `make bench` and `make bench-sweep` are for that."""

from __future__ import annotations

import re

import pytest

from benchmarks import growth, hot, mixed, reads, signoff, sweep, transitions

from .conftest import POSTGRES_ADMIN_URL

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "postgresql"])
def kind(request, monkeypatch) -> str:
    if request.param == "postgresql":
        request.getfixturevalue("postgres_url")  # skips without a server (fails where PostgreSQL is required)
        monkeypatch.setattr(transitions, "PG_ADMIN", POSTGRES_ADMIN_URL)
    return request.param


def test_the_transition_benchmark_prints_its_table(kind, capsys):
    assert transitions.main(["--cases", "4", "--rounds", "1", "--db", kind, "--clients", "1"]) == 0
    printed = capsys.readouterr().out
    for path in ("engine", "raw_floor", "spiff"):
        assert re.search(rf"^{kind}\s+1\s+{path}\s+\d+ ", printed, re.M), path
    assert "Targets (PostgreSQL, 1 client)" in printed


def test_the_sweep_benchmark_prints_its_table(kind, capsys):
    """With the other sweeps: each catches up once (the contracts past their end expire) and its rerun, as
    every hour, changes nothing."""
    assert sweep.main(["--contracts", "3000", "--rounds", "1", "--db", kind, "--hourly"]) == 0
    printed = capsys.readouterr().out
    assert re.search(rf"^{kind}\s+[\d.]+\s+[\d,]+\s+[\d.]+", printed, re.M)
    expired = re.search(rf"^{kind}\s+expire_contracts\s+[\d.]+\s+([\d,]+)\s+[\d.]+$", printed, re.M)
    assert expired and int(expired.group(1).replace(",", "")) > 0
    assert re.search(rf"^{kind}\s+remind_deadlines\s+", printed, re.M)


def test_the_sweep_benchmark_breaks_postgresql_s_first_run_down(kind, capsys):
    """On PostgreSQL: the same insert without the tasks' foreign keys and indexes, and its SELECT alone (each
    rolled back: the schema is as it was for the next run); nothing to break down on SQLite."""
    assert sweep.main(["--contracts", "3000", "--rounds", "1", "--db", kind, "--breakdown"]) == 0
    printed = capsys.readouterr().out
    parts = re.findall(r"^(insert|no foreign keys|no foreign keys or indexes|select alone)\s+[\d.]+ s$", printed, re.M)
    assert parts == (
        ["insert", "no foreign keys", "no foreign keys or indexes", "select alone"] if kind == "postgresql" else []
    )


def test_the_sweep_benchmark_runs_benchmarks_md_b5_window(kind, capsys):
    """One 3-month lead time for every contract: its own count of tasks, checked against Python's."""
    assert sweep.main(["--contracts", "3000", "--rounds", "1", "--db", kind, "--window-months", "3"]) == 0
    printed = capsys.readouterr().out
    assert "with one 3-month lead time" in printed and re.search(rf"^{kind}\s+[\d.]+\s+[\d,]+\s+", printed, re.M)


def test_the_reads_benchmark_prints_its_table(kind, capsys):
    """Every read's rows are its hand SQL's, and no statement the engine's path sends reads a whole large
    table (on PostgreSQL, with sequential scans made a last resort, so at this size too)."""
    assert reads.main(["--contracts", "2400", "--events", "3", "--samples", "3", "--db", kind]) == 0
    printed = capsys.readouterr().out
    for read in reads.READS:
        assert re.search(rf"^{kind}\s+{re.escape(read.name)}\s+\d+\s+[\d.]+\s+[\d.]+", printed, re.M), read.name


def test_the_reads_benchmark_sees_a_whole_table_read_and_not_a_lookup_by_an_index(core):
    """Its check names a table a statement needs to read whole (no index serves a word inside a name), on
    either database, and not one an index serves."""
    from sqlalchemy import text

    statements = reads.Statements(core)
    statements.on = True
    with core.db.engine.connect() as conn:
        conn.execute(text("SELECT id FROM tenders WHERE supplier_name LIKE '%care%'"))
        conn.execute(text("SELECT id FROM contracts WHERE supplier_key = 'care partners'"))
    no_index, chosen = statements.full_scans(core.db.is_postgresql)
    assert no_index == {"tenders"}
    assert "tenders" in chosen


def test_a_whole_index_read_in_its_order_is_a_whole_read_unless_the_index_is_partial():
    def scan(**node):
        return {"Node Type": "Index Scan", "Relation Name": "tenders", "Index Name": "ix_tenders_supplier_key"} | node

    assert reads._read_whole({"Node Type": "Limit", "Plans": [scan()]}, set()) == {"tenders"}
    assert reads._read_whole(scan(), {"ix_tenders_supplier_key"}) == set()
    assert reads._read_whole(scan(**{"Index Cond": "(case_id = 7)"}), set()) == set()
    assert reads._read_whole(scan(), None) == set()  # where no index serves: an index read is not counted
    assert reads._read_whole({"Node Type": "Seq Scan", "Relation Name": "tenders"}, None) == {"tenders"}


def test_the_mixed_day_benchmark_prints_its_table(kind, capsys):
    """Actions through the door while the sweep runs: every case at its end, the sweep's count checked."""
    # Cases enough that the client still acts when the rerun ends, on a machine slowed by the rest of the suite.
    assert mixed.main(["--contracts", "2000", "--cases", "40", "--rate", "80", "--pause", "0.4", "--db", kind]) == 0
    printed = capsys.readouterr().out
    for label in ("no sweep ran", "the first run", "the rerun"):
        assert re.search(rf"^{kind}\s+{label}\s+\d+\s", printed, re.M), label


def test_the_committee_benchmark_prints_its_table(kind, capsys):
    """Five members sign each gate at once: every gate passes once, on exactly three approvals, on both paths."""
    assert signoff.main(["--cases", "6", "--rounds", "1", "--db", kind]) == 0
    printed = capsys.readouterr().out
    for path in signoff.PATHS:
        assert re.search(rf"^{kind}\s+{path}\s+\d+\s+\d+\s+[\d.]+", printed, re.M), path


def test_the_growth_benchmark_prints_its_table(kind, capsys):
    """The door on an empty database and on a grown one (the reads benchmark's register), each round checked."""
    assert growth.main(["--contracts", "2400", "--events", "2", "--cases", "4", "--rounds", "1", "--db", kind]) == 0
    printed = capsys.readouterr().out
    for path in ("engine", "raw_floor"):
        assert re.search(rf"^{kind}\s+{path}\s+grown\s+\d+\s+[\d.]+\s+[\d.]+\s+\d+\s+[\d.]+$", printed, re.M), path


def test_the_hot_cases_benchmark_prints_its_table(kind, capsys):
    """Two clients race for a few shared cases: every case at its end, one audit row a transition, on both
    paths, with and without hot cases."""
    args = ["--cases", "18", "--hot-cases", "2", "--hot-share", "0.25", "--clients", "2", "--rounds", "1"]
    assert hot.main([*args, "--db", kind]) == 0
    printed = capsys.readouterr().out
    for share in ("0%", "25%"):
        for path in ("engine", "raw_floor"):
            assert re.search(rf"^{kind}\s+2\s+{share}\s+{path}\s+\d+\s", printed, re.M), (share, path)
