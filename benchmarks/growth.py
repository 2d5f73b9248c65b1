"""B6: whether the door slows as the database grows: the transition benchmark's procurement on an empty
database and on one holding years of work, on SQLite and PostgreSQL.

The grown database is ``benchmarks.reads``'s register (bulk-loaded, not timed): a million cases and contracts
in 400 councils, ten audit events a case (ten million), a million open tasks, 100,000 open approval steps and
two million payments. On each database the engine door (``benchmarks.transitions``'s ``engine``: one client,
N cases through the eight steps, step-major) and, for scale, the raw SQL floor (an UPDATE and an audit INSERT a
transition) run round by round, the two databases taking turns, each round on its own new cases. What counts
is the ratio, grown to empty, of each path's transitions per second: the target is 0.9 or more for the engine.
A fall the floor shows too is the database's own (a larger audit table's indexes to keep); what the engine
loses beyond it is the engine's. Correctness, every round: every case at its end, an audit row a transition.

Usage: ``python -m benchmarks.growth [--contracts 1000000] [--cases 300] [--rounds 3] [--db sqlite,postgresql]``
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from sqlalchemy import create_engine

from provision_cycle.core import build_core
from provision_cycle.settings import Settings

from . import reads
from .transitions import (
    STEPS,
    _median,
    _split,
    drop_database,
    engine_check,
    engine_setup,
    engine_worker,
    fresh_database,
    machine_record,
    percentile,
    raw_setup,
    raw_worker,
    sequences_past_loaded_ids,
)

TARGET = 0.9


def prepare(kind: str, workdir: Path, grown: bool, contracts: int, events: int, cases: int) -> dict:
    """A database, grown or empty, with ``cases`` procurement cases for each path, set up through the door."""
    url = fresh_database(kind, workdir, "grown" if grown else "empty")
    started = time.perf_counter()
    if grown:
        reads.load(build_core(Settings(database_url=url)), contracts, events)
        sequences_past_loaded_ids(url)
    loaded_s = time.perf_counter() - started
    people, engine_ids = engine_setup(url, cases)
    raw_ids = raw_setup(url, cases)
    settle(url)
    return {"url": url, "people": people, "engine": engine_ids, "raw_floor": raw_ids, "load_s": loaded_s}


def settle(url: str) -> None:
    """Write out what the load left in memory and in the log (PostgreSQL: a checkpoint; SQLite: the WAL into the
    database), so that no round pays for flushing the load's pages while it is timed."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("CHECKPOINT" if url.startswith("postgresql") else "PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


def run_round(path: str, database: dict, ids: list[int]) -> dict:
    """One path over ``ids``, in a fresh client process (start-up not timed), checked."""
    url = database["url"]
    work = (engine_worker, (url, database["people"], ids)) if path == "engine" else (raw_worker, (url, ids))
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        latencies, wall, cpu = pool.submit(work[0], *work[1]).result()
    if path == "engine":
        engine_check(url, ids)
    transitions = len(ids) * STEPS
    assert len(latencies) == transitions
    return {
        "tps": transitions / wall,
        "p50": percentile(latencies, 0.5) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "cpu_us": cpu / transitions * 1e6,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contracts", type=int, default=1_000_000, help="the grown database's contracts (and cases)")
    parser.add_argument("--events", type=int, default=10, help="audit events per loaded case")
    parser.add_argument("--cases", type=int, default=300, help="cases through the eight steps, per path and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    kinds = args.db.split(",")
    print(machine_record(kinds))
    print(
        f"\n{args.cases} cases x {STEPS} transitions, 1 client, median of {args.rounds} rounds; the grown database"
        f" holds {args.contracts:,} cases and contracts, {args.contracts * args.events:,} audit events,"
        f" {args.contracts:,} open tasks and {args.contracts * 2:,} payments\n"
    )
    header = f"{'database':<12}{'path':<11}{'holding':<8}{'tr/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'CPU us/tr':>11}"
    print(f"{header}{'grown ÷ empty':>15}")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            databases = {}
            try:
                for grown in (False, True):
                    databases[grown] = prepare(
                        kind, Path(tmp), grown, args.contracts, args.events, args.cases * args.rounds
                    )
                results = {(path, grown): [] for path in ("engine", "raw_floor") for grown in (False, True)}
                for round_ in range(args.rounds):
                    for grown in (False, True) if round_ % 2 == 0 else (True, False):
                        for path in ("engine", "raw_floor"):
                            ids = _split(databases[grown][path], args.rounds)[round_]
                            results[path, grown].append(run_round(path, databases[grown], ids))
            finally:
                for database in databases.values():
                    drop_database(database["url"])
            print(f"{kind:<12}{'(bulk load of the grown database, not timed)':<47}{databases[True]['load_s']:>8.0f}s")
            for path in ("engine", "raw_floor"):
                empty, grown = _median(results[path, False]), _median(results[path, True])
                for label, m in (("empty", empty), ("grown", grown)):
                    ratio = f"{grown['tps'] / empty['tps']:>15.2f}" if label == "grown" else ""
                    print(
                        f"{kind:<12}{path:<11}{label:<8}{m['tps']:>8.0f}{m['p50']:>9.2f}{m['p99']:>9.2f}"
                        f"{m['cpu_us']:>11.0f}{ratio}"
                    )
            by_round = {
                path: ", ".join(
                    f"{g['tps'] / e['tps']:.2f}" for e, g in zip(results[path, False], results[path, True], strict=True)
                )
                for path in ("engine", "raw_floor")
            }
            print(f"{kind:<12}by round: engine {by_round['engine']}; raw floor {by_round['raw_floor']}")
    print(f"\nTarget: the engine's rate on the grown database >= {TARGET} x on the empty one.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
