"""B2's second half: concurrent transitions when some cases are hot, several clients acting on them at once.

``benchmarks.transitions`` gives each client its own cases. Here each client also spends a share of its actions
(``--hot-share``, 10% by default) on a few cases every client works on (``--hot-cases``): at each of the eight
steps it reads a hot case first (as a person opens its page) and moves it on with the version it read, as the
decision page and the API's If-Match do. Only one of the clients racing for a step can win: the others are
refused as stale (the engine's ``StaleCase``; the raw floor's ``UPDATE … WHERE version = ?`` changing no row),
read the case again and find the step done (a conflict lost) or, where they ran ahead of the others, do the
step still missing first (a catch-up, counted as a transition like any other).

Two paths, as B2 asks: the engine door, and the raw SQL floor (one UPDATE with its version check, one audit
INSERT, COMMIT). Each is measured with no hot cases and with them, so what contention costs each is read
from the same run. Printed: aggregate transitions per second, p50 and p99 per transition, the share of tries
at a hot case's step refused as stale (conflicts) and of visits to a hot case refused at least once, so read
again (retries). Correctness, every run: every case at its end with one audit row a transition, however many
clients raced for it.

Usage: ``python -m benchmarks.hot [--db postgresql,sqlite] [--clients 4] [--cases 300] [--hot-cases 10]
[--hot-share 0.1] [--rounds 3]``. SQLite runs two writers at most (one writes at a time; the others wait on
its lock, ``busy_timeout``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from sqlalchemy import create_engine, select

from provision_cycle.core import build_core
from provision_cycle.errors import StaleCase
from provision_cycle.models import Case
from provision_cycle.settings import Settings
from provision_cycle.workflow.engine import ActionRequest

from .transitions import (
    STEPS,
    _connect,
    _median,
    _script,
    drop_database,
    engine_check,
    engine_setup,
    fresh_database,
    machine_record,
    percentile,
    raw_setup,
)


def _plan(own: list[int], hot: list[int], share: float) -> list[tuple[int, bool]]:
    """A client's actions in one step: its own cases, with a hot case every so often (``share`` of them). Every
    client takes the hot cases in the same order, so that they meet on them."""
    every = max(1, round((1 - share) / share)) if share else 0
    plan, turn = [], 0
    for n, case_id in enumerate(own, 1):
        plan.append((case_id, False))
        if every and n % every == 0:
            plan.append((hot[turn % len(hot)], True))
            turn += 1
    return plan


class _Tally:
    """A client's timings, and how its visits to hot cases went: each visit reads the case and tries its next
    step until the step it came for is done; a try refused as stale (someone moved the case since the read)
    is a conflict, and a visit with one or more is retried."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.visits = self.tries = self.conflicts = self.retried = self.found_done = 0

    def result(self, wall: float, cpu: float) -> dict:
        return {"latencies": self.latencies, "wall": wall, "cpu": cpu, "visits": self.visits, "tries": self.tries,
                "conflicts": self.conflicts, "retried": self.retried, "found_done": self.found_done}  # fmt: skip


def _hot_step(tally: _Tally, step: int, case_id: int, done_of, attempt) -> None:
    """Bring a hot case past ``step``: read how many steps it has done; if ``step`` is among them another client
    won; else do the next step with the version read (a catch-up first, where this client ran ahead), and on a
    stale refusal read again."""
    tally.visits += 1
    refused = False
    done = done_of(case_id)
    tally.found_done += done > step  # another client had moved it on before this one came
    while done <= step:
        tally.tries += 1
        started = time.perf_counter()
        if attempt(case_id, done):
            tally.latencies.append(time.perf_counter() - started)
            done += 1  # the step it made, as an action's answer says
        else:
            tally.conflicts += 1
            refused = True
            done = done_of(case_id)
    tally.retried += refused


def _drive(plan: list[tuple[int, bool]], hot: list[int], own_step, done_of, attempt) -> dict:
    """A client's run, step-major as a day's work arrives: its own cases moved on (no version expected), the
    hot ones raced for; at the end, any hot case no client came back to in the last step is brought to its
    end, by whichever client finishes first."""
    tally = _Tally()
    wall, cpu = time.perf_counter(), time.process_time()
    for step in range(STEPS):
        for case_id, is_hot in plan:
            if is_hot:
                _hot_step(tally, step, case_id, done_of, attempt)
            else:
                started = time.perf_counter()
                own_step(case_id, step)
                tally.latencies.append(time.perf_counter() - started)
    for case_id in hot:
        _hot_step(tally, STEPS - 1, case_id, done_of, attempt)
    return tally.result(time.perf_counter() - wall, time.process_time() - cpu)


def engine_worker(url: str, people: dict, plan: list[tuple[int, bool]], hot: list[int], base: int) -> dict:
    core = build_core(Settings(database_url=url))  # start-up is not part of the measurement
    script = _script(people)

    def act(case_id: int, done: int, expected: int | None) -> None:
        trigger, actor, inputs = script[done]
        core.engine.act(ActionRequest(case_id, trigger, actor, inputs=inputs, expected_version=expected))

    def done_of(case_id: int) -> int:
        with core.db.reading() as session:
            return session.scalar(select(Case.version).where(Case.id == case_id)) - base

    def attempt(case_id: int, done: int) -> bool:
        try:
            act(case_id, done, base + done)
        except StaleCase:
            return False
        return True

    outcome = _drive(plan, hot, lambda case_id, step: act(case_id, step, None), done_of, attempt)
    core.db.dispose()
    return outcome


def raw_worker(url: str, plan: list[tuple[int, bool]], hot: list[int], base: int) -> dict:
    conn, p = _connect(url)
    sqlite = url.startswith("sqlite")
    if sqlite:
        conn.execute("PRAGMA busy_timeout = 30000")

    def move(case_id: int, step: int, expected: int | None) -> bool:
        cur = conn.cursor()
        if sqlite:
            cur.execute("BEGIN IMMEDIATE")
        checked = "" if expected is None else f" AND version = {p}"
        cur.execute(
            f"UPDATE cases SET state = {p}, version = version + 1, audit_seq = audit_seq + 1 WHERE id = {p}{checked}",
            (f"s{step + 1}", case_id, *(() if expected is None else (expected,))),
        )
        if cur.rowcount != 1:
            conn.rollback()
            return False
        cur.execute(
            "INSERT INTO audit_events (stream, seq, case_id, at, action, from_state, to_state, comment, "
            f"data, prev_hash, hash) VALUES ({p}, {p}, {p}, CURRENT_TIMESTAMP, 'step', {p}, {p}, '', '{{}}', '', '')",
            (f"case:{case_id}", step + 1, case_id, f"s{step}", f"s{step + 1}"),
        )
        conn.commit()
        return True

    def done_of(case_id: int) -> int:
        cur = conn.cursor()
        cur.execute(f"SELECT version FROM cases WHERE id = {p}", (case_id,))
        version = cur.fetchone()[0]
        conn.commit()
        return version - base

    outcome = _drive(
        plan, hot, lambda case_id, step: move(case_id, step, None), done_of, lambda c, d: move(c, d, base + d)
    )
    conn.close()
    return outcome


def _raw_check(url: str, ids: list[int]) -> None:
    conn, p = _connect(url)
    cur = conn.cursor()
    marks = ", ".join([p] * len(ids))
    cur.execute(f"SELECT count(*) FROM cases WHERE id IN ({marks}) AND state = {p}", (*ids, f"s{STEPS}"))
    assert cur.fetchone()[0] == len(ids), "every case must reach its final state"
    cur.execute(f"SELECT count(*) FROM audit_events WHERE case_id IN ({marks})", tuple(ids))
    assert cur.fetchone()[0] == len(ids) * STEPS, "one audit row a transition"
    conn.close()


def run(path: str, kind: str, clients: int, cases: int, hot_cases: int, share: float, workdir: Path, tag: str):
    url = fresh_database(kind, workdir, tag)
    try:
        total = cases + (hot_cases if share else 0)
        if path == "engine":
            people, ids = engine_setup(url, total)
        else:
            ids = raw_setup(url, total)
        engine = create_engine(url)
        with engine.connect() as conn:  # the version every case starts from (opened, its approvers declared)
            base = conn.scalar(select(Case.version).where(Case.id == ids[0]))
        engine.dispose()
        own, hot = (ids[:cases], ids[cases:]) if share else (ids, [])
        plans = [_plan(own[i::clients], hot, share) for i in range(clients)]
        work = [
            (engine_worker, (url, people, plan, hot, base))
            if path == "engine"
            else (raw_worker, (url, plan, hot, base))
            for plan in plans
        ]
        with ProcessPoolExecutor(clients, mp_context=multiprocessing.get_context("spawn")) as pool:
            outcomes = [f.result() for f in [pool.submit(fn, *args) for fn, args in work]]
        (engine_check if path == "engine" else _raw_check)(url, ids)
        latencies = sorted(x for o in outcomes for x in o["latencies"])
        transitions = len(ids) * STEPS
        assert len(latencies) == transitions, f"{len(latencies)} transitions timed, {transitions} made"
        visits, tries = (sum(o[key] for o in outcomes) for key in ("visits", "tries"))
        return {
            "tps": transitions / max(o["wall"] for o in outcomes),
            "p50": latencies[len(latencies) // 2] * 1000,
            "p99": percentile(latencies, 0.99) * 1000,
            "cpu_us": sum(o["cpu"] for o in outcomes) / transitions * 1e6,
            "conflict_rate": sum(o["conflicts"] for o in outcomes) / tries if tries else 0.0,
            "retry_rate": sum(o["retried"] for o in outcomes) / visits if visits else 0.0,
            "found_done": sum(o["found_done"] for o in outcomes) / visits if visits else 0.0,
        }
    finally:
        drop_database(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="postgresql,sqlite")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--cases", type=int, default=300, help="each client's own share of them, disjoint")
    parser.add_argument("--hot-cases", type=int, default=10)
    parser.add_argument("--hot-share", type=float, default=0.1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    print(machine_record(args.db.split(",")))
    print(
        f"{args.cases} cases of their own across the clients x {STEPS} steps; with hot cases, "
        f"{args.hot_share:.0%} of each client's actions go to {args.hot_cases} cases every client works on; "
        f"median of {args.rounds} rounds"
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.db.split(","):
            clients = min(args.clients, 2) if kind == "sqlite" else args.clients
            for share in (0.0, args.hot_share):
                for path in ("engine", "raw_floor"):
                    runs = [
                        run(
                            path,
                            kind,
                            clients,
                            args.cases,
                            args.hot_cases,
                            share,
                            Path(tmp),
                            f"{kind}_{path}_{round(share * 100)}_{n}",
                        )
                        for n in range(args.rounds)
                    ]
                    rows.append((kind, clients, share, path, _median(runs)))
    print()
    print(
        f"{'database':<11}{'clients':>8}{'hot':>6}{'path':>11}{'tr/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'CPU us/tr':>11}{'found done':>12}{'conflicts':>11}{'retries':>9}{'vs raw':>8}"
    )
    floor = {(k, s): m["tps"] for k, _, s, path, m in rows if path == "raw_floor"}
    for kind, clients, share, path, m in rows:
        print(
            f"{kind:<11}{clients:>8}{share:>6.0%}{path:>11}{m['tps']:>9.0f}{m['p50']:>9.2f}{m['p99']:>9.2f}"
            f"{m['cpu_us']:>11.0f}{m['found_done']:>12.1%}{m['conflict_rate']:>11.1%}{m['retry_rate']:>9.1%}"
            f"{m['tps'] / floor[kind, share]:>8.2f}"
        )
    print(
        "\nFound done: the share of visits to a hot case that found the step already done by another client."
        " Conflicts: the share of tries at a hot case's step refused as stale. Retries: the share of visits"
        " refused at least once, so read again."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
