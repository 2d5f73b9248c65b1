"""B8: a mixed day: people's actions arriving at a steady rate while the scheduler sweeps a large register, on
SQLite and PostgreSQL.

Loads N contracts (default 1,000,000) as ``benchmarks.sweep`` does, and the procurement cases to act on (not
timed). Then two processes start together: a client acting through the engine door at a fixed arrival rate
(default 50 actions a second, the eight steps of ``benchmarks.transitions``'s procurement, step after step),
each action due at its time, so that one kept waiting counts its wait; and a scheduler running the renewal
sweep's first run a few seconds in, then, a few seconds later, its rerun (what runs every hour). Each action's
latency, from when it was due to when it returned, is reported for those due while no sweep ran (after the
client's first second, warming up) and for those due during each run, with each run's own time.
Correctness: every case reaches its final state, and the sweep raises what ``benchmarks.sweep`` computes,
then nothing.

Usage: ``python -m benchmarks.mixed [--contracts 1000000] [--rate 50] [--cases 100] [--db sqlite,postgresql]``
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from provision_cycle.core import build_core
from provision_cycle.scheduling.config import schedule_for
from provision_cycle.scheduling.sweeps import raise_renewal_tasks
from provision_cycle.settings import Settings
from provision_cycle.workflow.engine import ActionRequest

from . import sweep
from .transitions import (
    _script,
    drop_database,
    engine_check,
    engine_setup,
    fresh_database,
    machine_record,
    percentile,
    sequences_past_loaded_ids,
)

WARMING_UP_S = 1.0  # the client's first second (its statements prepared and cached) is not reported


def acting(url: str, people: dict, case_ids: list[int], rate: float, start: float) -> list[tuple[float, float]]:
    """The client: each action due at ``start + n / rate`` (wall clock), acted on then or, if the one before
    held it up, at once; for each, when it was due and how long after that it returned."""
    core = build_core(Settings(database_url=url))
    done = []
    steps = [(trigger, actor, inputs, case_id) for trigger, actor, inputs in _script(people) for case_id in case_ids]
    for n, (trigger, actor, inputs, case_id) in enumerate(steps):
        due = start + n / rate
        time.sleep(max(0.0, due - time.time()))
        core.engine.act(ActionRequest(case_id, trigger, actor, inputs=inputs))
        done.append((due, time.time() - due))
    core.db.dispose()
    return done


def sweeping(url: str, start: float, pause: float) -> list[tuple[float, float, int]]:
    """The scheduler: ``pause`` seconds after the client's start the renewal sweep's first run, and ``pause``
    seconds after it ends its rerun, each as (began, ended, tasks raised)."""
    core = build_core(Settings(database_url=url), clock=lambda: datetime(2026, 11, 25, 6, 0, tzinfo=UTC))
    schedule, runs = schedule_for(core), []
    time.sleep(max(0.0, start + pause - time.time()))
    for _ in range(2):
        began = time.time()
        raised = raise_renewal_tasks(core, schedule, sweep.TODAY).changed
        runs.append((began, time.time(), raised))
        time.sleep(pause)
    core.db.dispose()
    return runs


def _figures(latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    return {
        "actions": len(ordered),
        "p50": statistics.median(ordered) * 1000 if ordered else None,
        "p99": percentile(ordered, 0.99) * 1000 if ordered else None,
        "max": ordered[-1] * 1000 if ordered else None,
    }


def run(kind: str, count: int, cases: int, rate: float, pause: float, workdir: Path) -> dict:
    url = fresh_database(kind, workdir, "mixed")
    try:
        started = time.perf_counter()
        sweep.load(url, count)
        sequences_past_loaded_ids(url)
        people, ids = engine_setup(url, cases)
        loaded = time.perf_counter() - started
        want = sweep.expected(count, schedule_for(build_core(Settings(database_url=url))))
        start = time.time() + 2.0  # both processes up by then
        with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
            client = pool.submit(acting, url, people, ids, rate, start)
            scheduler = pool.submit(sweeping, url, start, pause)
            done, runs = client.result(), scheduler.result()
        engine_check(url, ids)
        assert [raised for _, _, raised in runs] == [want, 0], (runs, want)
        assert runs[-1][1] < done[-1][0], "the client must still be acting when the rerun ends: raise --cases"

        def during(began: float, ended: float) -> list[float]:
            return [latency for due, latency in done if began <= due <= ended]

        quiet = [
            latency
            for due, latency in done
            if due >= start + WARMING_UP_S and not any(began <= due <= ended for began, ended, _ in runs)
        ]
        return {
            "loaded_s": loaded,
            "raised": want,
            "quiet": _figures(quiet),
            "first": {**_figures(during(*runs[0][:2])), "run_s": runs[0][1] - runs[0][0]},
            "rerun": {**_figures(during(*runs[1][:2])), "run_s": runs[1][1] - runs[1][0]},
        }
    finally:
        drop_database(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=100, help="procurement cases acted on (8 actions each)")
    parser.add_argument("--rate", type=float, default=50.0, help="actions due per second")
    parser.add_argument("--pause", type=float, default=4.0, help="seconds before the first run, and between runs")
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    kinds = args.db.split(",")
    print(machine_record(kinds))
    print(
        f"\n{args.cases * 8} actions due at {args.rate:g} a second while the renewal sweep runs over"
        f" {args.contracts:,} contracts (its first run, then its rerun); latency from when each was due, ms\n"
    )
    print(f"{'database':<12}{'while':<22}{'actions':>8}{'p50':>9}{'p99':>9}{'max':>9}{'sweep s':>9}{'tasks':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            r = run(kind, args.contracts, args.cases, args.rate, args.pause, Path(tmp))
            for label, key in (("no sweep ran", "quiet"), ("the first run", "first"), ("the rerun", "rerun")):
                f = r[key]
                figures = f"{f['p50']:>9.1f}{f['p99']:>9.1f}{f['max']:>9.1f}" if f["actions"] else f"{'—':>9}" * 3
                took = f"{f['run_s']:>9.2f}" if "run_s" in f else f"{'':>9}"
                raised = f"{r['raised'] if key == 'first' else 0:>9,}" if key != "quiet" else ""
                print(f"{kind:<12}{label:<22}{f['actions']:>8}{figures}{took}{raised}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
