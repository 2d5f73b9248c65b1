"""B4/B5: the scheduler's renewal sweep over a large register, on SQLite and PostgreSQL.

Loads N contracts (default 1,000,000) with their contract-management cases straight into a fresh database
(bulk load, not timed), then times ``raise_renewal_tasks`` (the engine's real code path) on the first run
and on an immediate rerun, which must raise nothing; and, in the same run, its peer: the same tasks raised
by one hand-written ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``. Rounds alternate which goes first.
Correctness is asserted for both: no duplicate tasks, the rerun raises zero, and the number raised equals
the number computed independently in Python.

Distribution: end dates uniform over the next 10 years (and 5% already ended); values 70% under 100,000,
25% from 100,000 to 1,000,000 and 5% over 1,000,000, so the lead times (6/3/1, 9/6/3 and 18/12/9/6/3 months
from ``config/schedule.yaml``) select about 6% of the register on the first run.

With ``--hourly`` it then runs each of the scheduler's other sweeps over the same register twice: the first
run catches up (it expires, through the engine, the 5% of contracts past their end date, and reminds of the
termination notices they then owe), the second is what runs every hour, and must change nothing.

With ``--breakdown`` it then shows, on PostgreSQL, where the hand-written first run's time goes: the same
INSERT without the tasks' foreign keys, without their indexes too, and its SELECT alone.

Usage: ``python -m benchmarks.sweep [--contracts 1000000] [--db sqlite,postgresql] [--hourly] [--breakdown]``
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
from sqlalchemy import func, select, text

from provision_cycle.core import build_core
from provision_cycle.governance import statutory
from provision_cycle.governance.calendar import add_months
from provision_cycle.models import Task
from provision_cycle.scheduling.config import LeadTimes, schedule_for
from provision_cycle.scheduling.runner import start_up_set_aside, sweeps
from provision_cycle.scheduling.sweeps import raise_renewal_tasks, raise_reviews
from provision_cycle.settings import Settings

from .transitions import drop_database, fresh_database

TODAY = date(2026, 11, 25)
LOADED_AT = datetime(2026, 11, 24, tzinfo=UTC)
PILLARS = ("heasc", "eni", "cnc")


def _rows(count: int, seed: int = 7):
    rng = random.Random(seed)
    for n in range(1, count + 1):
        end = TODAY + timedelta(days=rng.randint(-180, 3650))
        roll = rng.random()
        value = (
            rng.randint(1_000, 99_999)
            if roll < 0.7
            else (rng.randint(100_000, 999_999) if roll < 0.95 else rng.randint(1_000_000, 20_000_000))
        )
        yield n, end, value, PILLARS[n % 3], ("OCC", "CDC", "JOINT")[n % 3]


def load(url: str, count: int) -> None:
    now = LOADED_AT.replace(tzinfo=None)  # before the sweep's clock: these contracts were there already
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "INSERT INTO users (id, username, full_name, email, job_title, is_active, failed_sign_ins, created_at) "
            "VALUES (1, 'system', 'Scheduler', 's@x', '', 1, 0, ?)",
            (now,),
        )
        cases, contracts = [], []
        for n, end, value, pillar, authority in _rows(count):
            cases.append((n, f"CMG-{n:07d}", authority, pillar, value, now, now))
            contracts.append((n, f"CON-{n:07d}", n, authority, pillar, value, end - timedelta(days=1095), end, now))
        conn.executemany(
            "INSERT INTO cases (id, reference, stage, workflow, workflow_version, state, version, title, description,"
            " authority, pillar, category, contract_type, estimated_value, vat_treatment, key_decision, requester_id,"
            " details, created_at, updated_at, audit_seq, audit_head) VALUES (?, ?, 'contract', 'contract', 1, 'live',"
            " 1, 'Contract', '', ?, ?, 'ict', 'services', ?, 'standard', 0, 1, '{}', ?, ?, 0, '')",
            cases,
        )
        conn.executemany(
            "INSERT INTO contracts (id, reference, case_id, title, description, authority, pillar, category,"
            " contract_type, regime, supplier_name, supplier_is_sme, supplier_is_vcse, value, vat_treatment,"
            " start_date, end_date, extension_months_available, notice_period_days, risk, contract_manager_id,"
            " created_at) VALUES (?, ?, ?, 'Contract', '', ?, ?, 'ict', 'services', 'PA2023', 'Supplier', 0, 0, ?,"
            " 'standard', ?, ?, 0, 90, 'medium', 1, ?)",
            contracts,
        )
        conn.commit()
        conn.execute("ANALYZE")
        conn.close()
        return
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        conn.execute(
            "INSERT INTO users (id, username, full_name, email, job_title, is_active, failed_sign_ins, created_at) "
            "VALUES (1, 'system', 'Scheduler', 's@x', '', true, 0, '2026-11-24')"
        )
        cases, contracts = io.StringIO(), io.StringIO()
        for n, end, value, pillar, authority in _rows(count):
            cases.write(f"{n}\tCMG-{n:07d}\t{authority}\t{pillar}\t{value}\n")
            contracts.write(
                f"{n}\tCON-{n:07d}\t{n}\t{authority}\t{pillar}\t{value}\t{end - timedelta(days=1095)}\t{end}\n"
            )
        with conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE c_in (id int, reference text, authority text, pillar text, value numeric)")
            with cur.copy("COPY c_in FROM STDIN") as copy:
                copy.write(cases.getvalue())
            cur.execute(
                "INSERT INTO cases (id, reference, stage, workflow, workflow_version, state, version, title,"
                " description, authority, pillar, category, contract_type, estimated_value, vat_treatment,"
                " key_decision, requester_id, details, created_at, updated_at, audit_seq, audit_head)"
                " SELECT id, reference, 'contract', 'contract', 1, 'live', 1, 'Contract', '', authority, pillar, 'ict',"
                " 'services', value, 'standard', false, 1, '{}', '2026-11-24', '2026-11-24', 0, '' FROM c_in"
            )
            cur.execute(
                "CREATE TEMP TABLE k_in (id int, reference text, case_id int, authority text, pillar text,"
                " value numeric, start_date date, end_date date)"
            )
            with cur.copy("COPY k_in FROM STDIN") as copy:
                copy.write(contracts.getvalue())
            cur.execute(
                "INSERT INTO contracts (id, reference, case_id, title, description, authority, pillar, category,"
                " contract_type, regime, supplier_name, supplier_is_sme, supplier_is_vcse, value, vat_treatment,"
                " start_date, end_date, extension_months_available, notice_period_days, risk, contract_manager_id,"
                " created_at) SELECT id, reference, case_id, 'Contract', '', authority, pillar, 'ict', 'services',"
                " 'PA2023', 'Supplier', false, false, value, 'standard', start_date, end_date, 0, 90, 'medium', 1,"
                " '2026-11-24' FROM k_in"
            )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")


def expected(count: int, schedule) -> int:
    """How many tasks the first run should raise, computed without the database."""
    total = 0
    for _, end, value, pillar, _ in _rows(count):
        if end < TODAY:
            continue
        leads = schedule.lead_times_for(Decimal(value), pillar)
        if leads and end <= add_months(TODAY, leads[0]):
            total += 1
    return total


def expected_reviews(count: int, schedule) -> int:
    """How many review and KPI-assessment tasks the review sweep's first run should raise: the anniversaries
    of each contract's start at its cadence that fall in (today, today + lead days] and before its last day,
    counted without the database (every contract is live, its risk medium)."""
    horizon = TODAY + timedelta(days=schedule.review_lead_days)

    def falls_due(start: date, end: date, every: int) -> bool:
        near = ((TODAY.year - start.year) * 12 + TODAY.month - start.month) // every  # about today's k
        occurrences = (add_months(start, k * every) for k in range(max(1, near - 1), near + 3))
        return any(TODAY < day <= horizon and day < end for day in occurrences)

    total = 0
    for _, end, value, _, _ in _rows(count):
        start = end - timedelta(days=1095)  # as load() writes it
        total += falls_due(start, end, schedule.review_every(Decimal(value), "medium"))
        # load() writes every contract as a standard-rated services contract under the Act.
        kpis = statutory.kpis_required(True, Decimal(value), "standard", "services")
        total += kpis and falls_due(start, end, schedule.kpi_every_months)
    return total


def hand_sql(kind: str, schedule, today: date, states: tuple[str, ...]) -> str:
    """The peer: the same tasks raised by one hand-written ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``
    over the same schema (a join to the cases in ``states``, the lead time as a CASE written out from the
    schedule)."""
    bands = []
    for row in schedule.lead_times:
        test = [f"k.value > {row.value_over}"] if row.value_over > 0 else ["1 = 1"]
        if row.pillars is not None:
            test.append("k.pillar IN (" + ", ".join(f"'{p}'" for p in sorted(row.pillars)) + ")")
        came = " ".join(f"WHEN k.end_date <= '{add_months(today, m)}' THEN {m}" for m in row.months_before[::-1])
        bands.append(f"WHEN {' AND '.join(test)} THEN CASE {came} END")
    longest = max(m for row in schedule.lead_times for m in row.months_before)
    if kind == "sqlite":
        back = "'-' || k.lead || ' months'"
        due = f"min(date(k.end_date, {back}), date(k.end_date, 'start of month', {back}, '+1 month', '-1 day'))"
    else:
        due = "CAST(k.end_date - make_interval(0, k.lead) AS date)"
    return (
        "INSERT INTO tasks (subject_key, kind, title, detail, contract_id, case_id, assignee_id, due_on,"
        " milestone_on, status, snooze_reason, outcome, outcome_note, created_at)"
        " SELECT 'contract:' || k.id, 'renewal_decision', 'Renewal decision: ' || k.reference || ' ' || k.title,"
        " k.lead || ' months before the end date', k.id, k.case_id, coalesce(k.contract_manager_id,"
        f" c.requester_id), {due}, k.end_date, 'open', '', '', '', '{LOADED_AT + timedelta(days=1):%Y-%m-%d %H:%M:%S}'"
        f" FROM (SELECT k.*, CASE {' '.join(bands)} END AS lead FROM contracts k"
        f"  WHERE k.end_date >= '{today}' AND k.end_date <= '{add_months(today, longest)}') k"
        " JOIN cases c ON c.id = k.case_id"
        " WHERE k.lead IS NOT NULL AND c.state IN (" + ", ".join(f"'{state}'" for state in sorted(states)) + ")"
        " ON CONFLICT (subject_key, kind, due_on) DO NOTHING"
    )


def _clear(core) -> None:
    """Back to a register without tasks (the audit trail is append-only and stays)."""
    with core.db.engine.begin() as conn:
        for table in ("outbox", "tasks", "sweep_runs"):
            conn.execute(text(f"DELETE FROM {table}"))
    if core.db.is_postgresql:
        with core.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE tasks, outbox"))


def _engine_pass(core, schedule) -> tuple[float, float, int, int]:
    started = time.perf_counter()
    raised = raise_renewal_tasks(core, schedule, TODAY).changed
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = raise_renewal_tasks(core, schedule, TODAY).changed
    return first, time.perf_counter() - started, raised, again


def _hand_pass(core, schedule) -> tuple[float, float, int, int]:
    # The contract states whose renewal is still to be decided, as the workflow marks them (the sweep's own).
    pending = core.workflows.states_where("contract", "renewal", "pending")
    statement = hand_sql("postgresql" if core.db.is_postgresql else "sqlite", schedule, TODAY, pending)
    timings, counts = [], []
    for _ in range(2):
        started = time.perf_counter()
        with core.db.engine.begin() as conn:
            counts.append(conn.exec_driver_sql(statement).rowcount)
        timings.append(time.perf_counter() - started)
    return timings[0], timings[1], counts[0], counts[1]


def _breakdown(core, schedule) -> dict[str, float]:
    """Where the hand-written first run's time goes on PostgreSQL: the same INSERT (fastest of 3, each rolled
    back) as it is, without the tasks' foreign keys (dropped inside the transaction), without their secondary
    indexes too, and its SELECT alone. What the foreign keys cost is PostgreSQL's per-row check (a trigger
    that looks up and key-share-locks the contract, case and assignee of each new task), which any insert of
    these tasks pays."""
    pending = core.workflows.states_where("contract", "renewal", "pending")
    statement = hand_sql("postgresql", schedule, TODAY, pending)
    chosen = statement[statement.index(" SELECT ") : statement.index(" ON CONFLICT")]
    with core.db.engine.connect() as conn:
        keys = conn.scalars(
            text("SELECT conname FROM pg_constraint WHERE conrelid = 'tasks'::regclass AND contype = 'f'")
        )
        drop_keys = [f"ALTER TABLE tasks DROP CONSTRAINT {name}" for name in keys]
        indexes = conn.scalars(
            text("SELECT indexname FROM pg_indexes WHERE tablename = 'tasks' AND indexname LIKE 'ix_tasks_%'")
        )
        drop_indexes = [f"DROP INDEX {name}" for name in indexes]

    def fastest(sql: str, before: list[str] = ()) -> float:
        timings = []
        for _ in range(3):
            with core.db.engine.connect() as conn:
                transaction = conn.begin()
                for change in before:
                    conn.exec_driver_sql(change)
                started = time.perf_counter()
                result = conn.exec_driver_sql(sql)
                if result.returns_rows:
                    result.all()
                timings.append(time.perf_counter() - started)
                transaction.rollback()
        return min(timings)

    _clear(core)
    return {
        "insert": fastest(statement),
        "no foreign keys": fastest(statement, drop_keys),
        "no foreign keys or indexes": fastest(statement, [*drop_keys, *drop_indexes]),
        "select alone": fastest(chosen.strip()),
    }


# The sweeps --hourly times: every one but the two above and the email deliveries (no mail server here).
TIMED_ELSEWHERE = ("raise_renewal_tasks", "raise_reviews", "deliver_notifications", "send_digests")


def _hourly(core, schedule) -> dict[str, tuple[float, int, float]]:
    """Each other sweep's first run (seconds, what it changed) and its rerun (seconds), which changes nothing."""
    figures = {}
    for name, job in sweeps(core, schedule).items():
        if name in TIMED_ELSEWHERE:
            continue
        started = time.perf_counter()
        changed = job().changed
        first = time.perf_counter() - started
        started = time.perf_counter()
        again = job().changed
        figures[name] = (first, changed, time.perf_counter() - started)
        assert again == 0, (name, again)
    return figures


def run(
    kind: str,
    count: int,
    workdir: Path,
    rounds: int,
    window_months: int | None = None,
    hourly: bool = False,
    breakdown: bool = False,
) -> dict:
    """Load once; then, over ``rounds`` rounds in alternating order, the engine's sweep and the hand-written
    peer each on a register without tasks: first run, then an immediate rerun."""
    url = fresh_database(kind, workdir, "sweep")
    try:
        started = time.perf_counter()
        load(url, count)
        loaded = time.perf_counter() - started
        core = build_core(Settings(database_url=url), clock=lambda: datetime(2026, 11, 25, 6, 0, tzinfo=UTC))
        schedule = schedule_for(core)
        if window_months:  # benchmarks.md's B5: one lead time for every contract, a window of this many months
            schedule = dataclasses.replace(schedule, lead_times=(LeadTimes(Decimal(0), (window_months,)),))
        # As the scheduler's process runs its sweeps (``start_up_set_aside``): what start-up made set aside
        # from the garbage collector.
        with start_up_set_aside():
            want = expected(count, schedule)
            passes = {"engine": _engine_pass, "hand": _hand_pass}
            figures: dict[str, list] = {"engine": [], "hand": []}
            for round_ in range(rounds):
                for variant in ("engine", "hand") if round_ % 2 == 0 else ("hand", "engine"):
                    _clear(core)
                    first, rerun, raised, again = passes[variant](core, schedule)
                    with core.db.reading() as session:
                        tasks = session.scalar(select(func.count()).select_from(Task))
                        distinct = session.scalar(select(func.count(func.distinct(Task.contract_id))))
                    assert raised == want == tasks == distinct, (variant, raised, want, tasks, distinct)
                    assert again == 0, (variant, again)
                    figures[variant].append((first, rerun))
            # The review sweep: its first run (reviews and KPI assessments falling due within the lead time) and
            # an immediate rerun, which raises nothing.
            reviews, counts = [], []
            for _ in range(2):
                started = time.perf_counter()
                counts.append(raise_reviews(core, schedule, TODAY).changed)
                reviews.append(time.perf_counter() - started)
            assert counts == [expected_reviews(count, schedule), 0], counts
            others = _hourly(core, schedule) if hourly else {}
            parts = _breakdown(core, schedule) if breakdown and core.db.is_postgresql else {}
        core.db.dispose()
        return {
            "loaded_s": loaded,
            "raised": want,
            **{f"{v}_{i}": statistics.median(f[i] for f in figures[v]) for v in figures for i in (0, 1)},
            "engine_first_max": max(f[0] for f in figures["engine"]),
            "reviews_first": reviews[0],
            "reviews_rerun": reviews[1],
            "hourly": others,
            "breakdown": parts,
        }
    finally:
        drop_database(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--window-months",
        type=int,
        default=None,
        help="one lead time of this many months for every contract (3: benchmarks.md's B5 90-day window) in place"
        " of config/schedule.yaml's, which reach 18 months ahead",
    )
    parser.add_argument(
        "--hourly", action="store_true", help="then time each of the scheduler's other sweeps: a first run, a rerun"
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="then, on PostgreSQL, where the hand-written first run's time goes (its foreign-key checks, indexes)",
    )
    args = parser.parse_args(argv)
    leads = f"one {args.window_months}-month lead time" if args.window_months else "the configured lead times"
    print(
        f"Renewal sweep over {args.contracts:,} contracts with {leads}, median of {args.rounds} rounds"
        " (target: first run and rerun each under 1 s)\n"
    )
    print(
        f"{'database':<12}{'load s':>8}{'raised':>9}{'first s':>9}{'(max)':>7}{'rerun s':>9}"
        f"{'hand SQL first s':>18}{'hand rerun s':>14}{'first ÷ hand':>14}{'reviews first/rerun s':>23}"
    )
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.db.split(","):
            r = run(kind, args.contracts, Path(tmp), args.rounds, args.window_months, args.hourly, args.breakdown)
            results[kind] = r
            print(
                f"{kind:<12}{r['loaded_s']:>8.1f}{r['raised']:>9,}{r['engine_0']:>9.3f}{r['engine_first_max']:>7.2f}"
                f"{r['engine_1']:>9.3f}{r['hand_0']:>18.3f}{r['hand_1']:>14.3f}{r['engine_0'] / r['hand_0']:>14.2f}"
                f"{r['reviews_first']:>16.2f} / {r['reviews_rerun']:.2f}"
            )
    for kind, r in results.items():
        if r["breakdown"]:
            print(f"\nWhere the hand-written first run's time goes on {kind} (fastest of 3, each rolled back)\n")
            for part, seconds in r["breakdown"].items():
                print(f"{part:<30}{seconds:>9.3f} s")
    if args.hourly:
        print("\nThe other sweeps over the same register: a first run (catching up), then the hourly rerun\n")
        print(f"{'database':<12}{'sweep':<30}{'first s':>9}{'changed':>9}{'rerun s':>9}")
        for kind, r in results.items():
            for name, (first, changed, rerun) in r["hourly"].items():
                print(f"{kind:<12}{name:<30}{first:>9.3f}{changed:>9,}{rerun:>9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
