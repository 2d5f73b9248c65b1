"""B3: a committee signs off a gate: k of its n members approve at once, on SQLite and PostgreSQL.

N procurement cases (default 1,000) wait at route approval, whose one step is a committee: any 3 of its 5
directors (an ``n_of_m`` step). The five sign every case together: five client processes, one per director,
each approving the cases in the same order, so that the five sign-offs on a case arrive at the same moment.
Each sign-off is one transaction. The first two approvals on a case are recorded; the third also passes the
gate and moves the case on; the fourth and fifth are refused, the gate having passed. Two paths:

- ``engine``: ``Engine.act(approve)`` with no version expected (as an API client without ``If-Match``): the
  case's row lock queues the five, and each is checked, recorded and audited as any decision is;
- ``raw_floor``: hand-written SQL for the same rule: lock the case, read its open step's approvals, insert the
  decision and an audit row, and with the third close the step and move the case; commit.

Correctness, every run: on every case exactly one transition out of the gate, exactly three approvals
recorded and three accepted sign-offs (none lost, none extra), two refused because the gate had passed, and an
audit row for every accepted sign-off. The cases are set up once per database (through the engine: opened,
five declarations of interest, submitted) and copied for each run; the setting up is not timed.

The committee is this benchmark's own governance (a copy of ``config/`` whose route approval is the one
committee step): the shipped rules have a two-director board at the commissioning gate, behind a head of
category.

Usage: ``python -m benchmarks.signoff [--cases 1000] [--db sqlite,postgresql] [--rounds 3]``
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml
from sqlalchemy import create_engine, text

from provision_cycle.core import build_core
from provision_cycle.errors import InvalidAction
from provision_cycle.services.people import Grant, create_user
from provision_cycle.settings import PROJECT_ROOT, Settings
from provision_cycle.workflow.engine import ActionRequest

from . import transitions
from .transitions import _connect, _median, drop_database, fresh_database, machine_record, open_request, percentile

MEMBERS, NEEDED = 5, 3
GATE, PASSED = "route_approval", "conflicts_assessment"


# --- the cases, set up once per database ----------------------------------------------------------
def committee_config(workdir: Path) -> Path:
    """A copy of ``config/`` in which OCC's route approval is one step: any NEEDED of its MEMBERS directors."""
    config = workdir / "config"
    shutil.copytree(PROJECT_ROOT / "config", config)
    occ = config / "governance" / "occ.yaml"
    rules = yaml.safe_load(occ.read_text())
    rules["approvals"] = [rule for rule in rules["approvals"] if rule["gate"] != GATE] + [
        {
            "gate": GATE,
            "steps": [{"role": "director", "mode": "n_of_m", "required": NEEDED, "label": "Procurement Board"}],
        }
    ]
    occ.write_text(yaml.safe_dump(rules, sort_keys=False))
    return config


def set_up(url: str, config: Path, cases: int) -> dict:
    """The committee, a requester, and ``cases`` procurement cases waiting for the committee at the gate."""
    core = build_core(Settings(database_url=url, config_dir=config))
    requester = create_user(
        core, username="req", full_name="R", email="r@x.gov.uk", password=None, grants=[Grant("requester", "OCC")]
    )
    members = [
        create_user(
            core,
            username=f"director{n}",
            full_name=f"Director {n}",
            email=f"d{n}@x.gov.uk",
            password=None,
            grants=[Grant("director", "OCC")],
        )
        for n in range(MEMBERS)
    ]
    ids = []
    for _ in range(cases):
        case_id = open_request(core, requester)
        for member in members:
            core.engine.declare_interests(case_id, member, has_conflict=False)
        core.engine.act(ActionRequest(case_id, "submit", requester))
        ids.append(case_id)
    core.db.dispose()
    return {"members": members, "ids": ids}


def copy_database(url: str, workdir: Path, tag: str) -> str:
    """A copy of the set-up database at ``url`` for one run (PostgreSQL: a database made from it as a template)."""
    if url.startswith("sqlite"):
        copy = workdir / f"{tag}.sqlite3"
        source = sqlite3.connect(url.removeprefix("sqlite:///"))
        with sqlite3.connect(copy) as target:
            source.backup(target)
        source.close()
        return f"sqlite:///{copy}"
    name = f"{url.rsplit('/', 1)[1]}_{tag}"
    admin = create_engine(transitions.PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{url.rsplit("/", 1)[1]}"'))
    admin.dispose()
    return url.rsplit("/", 1)[0] + f"/{name}"


# --- the two paths: each client is one member signing every case ---------------------------------
def _together(barrier) -> float:
    """Wait until every member's client is up (connected, its start-up done), so that all five begin signing at
    once; when this one began."""
    barrier.wait()
    return time.time()


Signed = tuple[float, list[tuple[bool, float]], float]  # when it began, (accepted, seconds) per case, when done


def engine_member(url: str, config: Path, member: int, ids: list[int], together) -> Signed:
    core = build_core(Settings(database_url=url, config_dir=config))
    signed, started = [], _together(together)
    for case_id in ids:
        began = time.perf_counter()
        try:
            core.engine.act(ActionRequest(case_id, "approve", member))
            accepted = True
        except InvalidAction:  # the gate has passed: the committee's other members were quicker
            accepted = False
        signed.append((accepted, time.perf_counter() - began))
    done = time.time()
    core.db.dispose()
    return started, signed, done


def raw_member(url: str, _config: Path, member: int, ids: list[int], together) -> Signed:
    conn, p = _connect(url)
    sqlite = url.startswith("sqlite")
    if sqlite:
        conn.execute("PRAGMA busy_timeout=10000")
    signed, started = [], _together(together)
    for case_id in ids:
        began = time.perf_counter()
        cur = conn.cursor()
        if sqlite:
            cur.execute("BEGIN IMMEDIATE")
        cur.execute(
            f"SELECT state, audit_seq FROM cases WHERE id = {p}" + ("" if sqlite else " FOR NO KEY UPDATE"), (case_id,)
        )
        state, seq = cur.fetchone()
        accepted = state == GATE
        if accepted:
            cur.execute(
                "SELECT s.id, s.required, (SELECT count(*) FROM decisions d WHERE d.step_id = s.id "
                f"AND d.outcome = 'approve') FROM approval_steps s WHERE s.case_id = {p} AND s.gate = {p} "
                "AND s.status = 'open'",
                (case_id, GATE),
            )
            step_id, required, approvals = cur.fetchone()
            cur.execute(
                "INSERT INTO decisions (step_id, case_id, actor_id, principal_id, outcome, reason, at) "
                f"VALUES ({p}, {p}, {p}, {p}, 'approve', '', CURRENT_TIMESTAMP)",
                (step_id, case_id, member, member),
            )
            passes = approvals + 1 >= required
            to_state = PASSED if passes else GATE
            cur.execute(
                "INSERT INTO audit_events (stream, seq, case_id, actor_id, at, action, from_state, to_state, "
                f"comment, data, prev_hash, hash) VALUES ({p}, {p}, {p}, {p}, CURRENT_TIMESTAMP, 'approve', {p}, "
                f"{p}, '', '{{}}', '', '')",
                (f"case:{case_id}", seq + 1, case_id, member, GATE, to_state),
            )
            if passes:
                cur.execute(
                    f"UPDATE approval_steps SET status = 'approved', closed_at = CURRENT_TIMESTAMP WHERE id = {p}",
                    (step_id,),
                )
            cur.execute(
                f"UPDATE cases SET state = {p}, version = version + 1, audit_seq = audit_seq + 1 WHERE id = {p}",
                (to_state, case_id),
            )
        conn.commit() if accepted else conn.rollback()
        signed.append((accepted, time.perf_counter() - began))
    done = time.time()
    conn.close()
    return started, signed, done


PATHS = {"engine": engine_member, "raw_floor": raw_member}


def check(url: str, ids: list[int], signed: list[list[tuple[bool, float]]]) -> None:
    """Exactly one transition out of the gate and exactly NEEDED approvals on every case; none lost."""
    accepted = [sum(ok for ok, _ in member) for member in signed]
    assert sum(accepted) == NEEDED * len(ids), f"accepted sign-offs {sum(accepted)} != {NEEDED} x {len(ids)}"
    engine = create_engine(url)
    with engine.connect() as conn:
        per_case = conn.execute(
            text(
                "SELECT c.id, c.state, "
                "(SELECT count(*) FROM decisions d WHERE d.case_id = c.id AND d.outcome = 'approve'), "
                "(SELECT count(*) FROM audit_events a WHERE a.case_id = c.id AND a.action = 'approve'), "
                "(SELECT count(*) FROM audit_events a WHERE a.case_id = c.id AND a.from_state = :gate "
                "AND a.to_state <> :gate) FROM cases c"
            ),
            {"gate": GATE},
        ).all()
    engine.dispose()
    assert len(per_case) == len(ids)
    for case_id, state, approvals, audited, moves in per_case:
        assert state == PASSED, f"case {case_id} is at {state}, not past the gate"
        assert approvals == NEEDED, f"case {case_id} has {approvals} approvals recorded, not {NEEDED}"
        assert audited == NEEDED, f"case {case_id} has {audited} approvals audited, not {NEEDED}"
        assert moves == 1, f"case {case_id} left the gate {moves} times"


def run_path(path: str, url: str, config: Path, setup: dict) -> dict:
    ids, members = setup["ids"], setup["members"]
    spawning = multiprocessing.get_context("spawn")
    with spawning.Manager() as manager, ProcessPoolExecutor(MEMBERS, mp_context=spawning) as pool:
        together = manager.Barrier(MEMBERS)
        futures = [pool.submit(PATHS[path], url, config, member, ids, together) for member in members]
        outcomes = [f.result() for f in futures]
    signed = [member for _, member, _ in outcomes]
    elapsed = max(done for _, _, done in outcomes) - min(began for began, _, _ in outcomes)
    check(url, ids, signed)
    every = [latency for member in signed for _, latency in member]
    accepted = [latency for member in signed for ok, latency in member if ok]
    return {
        "per_s": len(every) / elapsed,
        "accepted_per_s": len(accepted) / elapsed,
        "gates_per_s": len(ids) / elapsed,
        "p50": statistics.median(every) * 1000,
        "p99": percentile(every, 0.99) * 1000,
        "accepted_p99": percentile(accepted, 0.99) * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    kinds = args.db.split(",")
    print(machine_record(kinds))
    print(
        f"\n{args.cases:,} gates, each a committee of {MEMBERS} needing {NEEDED} approvals, all {MEMBERS} signing"
        f" every gate at once ({args.cases * MEMBERS:,} sign-offs); median of {args.rounds} rounds\n"
    )
    print(
        f"{'database':<12}{'path':<11}{'sign-offs/s':>12}{'gates/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'accepted p99':>14}{'vs raw':>8}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        config = committee_config(workdir)
        for kind in kinds:
            template = fresh_database(kind, workdir, "signoff")
            copies = []
            try:
                setup = set_up(template, config, args.cases)
                results: dict[str, list[dict]] = {path: [] for path in PATHS}
                for round_ in range(args.rounds):
                    for path in list(PATHS)[round_ % 2 :] + list(PATHS)[: round_ % 2]:
                        copies.append(copy_database(template, workdir, f"{path}_{round_}"))
                        results[path].append(run_path(path, copies[-1], config, setup))
            finally:
                for url in [*copies, template]:
                    drop_database(url)
            median = {path: _median(runs) for path, runs in results.items()}
            for path, m in median.items():
                print(
                    f"{kind:<12}{path:<11}{m['per_s']:>12.0f}{m['gates_per_s']:>9.0f}{m['p50']:>9.2f}{m['p99']:>9.2f}"
                    f"{m['accepted_p99']:>14.2f}{m['per_s'] / median['raw_floor']['per_s']:>8.2f}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
