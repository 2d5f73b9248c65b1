"""B1/B2: persisted transitions per second through the engine door, against its anchors, in one run.

Three paths move the same number of cases through the same eight steps (request, two approval gates, a
quotation round, award, signature and hand-over), each step one transaction with one audit row:

- ``engine``: ``Engine.act`` — locking, authority and declaration checks, guards, the shared transitions
  machine, the hash-chained audit event and outbox rows;
- ``raw_floor``: hand-written SQL, one UPDATE + one INSERT + COMMIT per transition (the floor);
- ``spiff``: SpiffWorkflow 3.2 running the same procurement as a BPMN process (``procurement.bpmn``: a user
  task per step, exclusive gateways after the approvals), its state loaded, deserialised, the ready task
  completed with its data, serialised and saved (UPDATE + audit INSERT + COMMIT) per step.

Usage: ``python -m benchmarks.transitions [--cases 300] [--db sqlite,postgresql] [--clients 1,4] [--rtt-ms 0]``
PostgreSQL: ``PC_BENCH_POSTGRES_URL`` (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres);
a scratch database ``provision_cycle_bench_<run>_<pid>`` is created and dropped. Correctness is asserted in every run.
``--rtt-ms 0.5`` puts a link with that round-trip time between the clients and PostgreSQL (``link.py``),
as a database on another host would be; by default they talk over loopback.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import multiprocessing
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, func, make_url, select, text

from benchmarks.link import DelayedLink
from provision_cycle.core import Core, build_core
from provision_cycle.migrate import upgrade
from provision_cycle.models import AuditEvent, Case
from provision_cycle.settings import Settings
from provision_cycle.workflow.engine import ActionRequest

PG_ADMIN = os.environ.get("PC_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DB = "provision_cycle_bench"
STEPS = 8
# The award recommendation: the supplier, its size, sector and kind (for the Transparency Code and the Act's
# notices), and the value.
AWARD = {
    "supplier_name": "Acme Ltd",
    "supplier_is_sme": True,
    "supplier_is_vcse": False,
    "supplier_is_supported_employment": False,
    "supplier_is_public_service_mutual": False,
    "award_value": "17500",
}


# --- databases -----------------------------------------------------------------------------------
def fresh_database(kind: str, workdir: Path, tag: str) -> str:
    if kind == "sqlite":
        url = f"sqlite:///{workdir / f'{tag}.sqlite3'}"
    else:
        name = f"{PG_DB}_{tag}_{os.getpid()}"  # two runs at once (the test suite's workers) never share one
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def drop_database(url: str) -> None:
    if url.startswith("postgresql"):
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
        admin.dispose()


def sequences_past_loaded_ids(url: str) -> None:
    """A bulk load wrote its own ids: PostgreSQL's sequences are moved past them, for the rows made next (a
    table the load left empty keeps its sequence)."""
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            for table in ("users", "cases", "contracts", "audit_events"):
                conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
        engine.dispose()


# --- engine path ---------------------------------------------------------------------------------
def _script(people: dict) -> list[tuple[str, int, dict]]:
    officer, manager, requester = people["officer"], people["manager"], people["requester"]
    return [
        ("submit", requester, {}),
        ("approve", manager, {}),
        ("complete_conflicts_assessment", officer, {}),
        ("invite_quotations", officer, {}),
        ("close_quotations", officer, {}),
        ("recommend_award", officer, AWARD),
        ("approve", manager, {}),
        (
            "sign_contract",
            officer,
            {"signed_on": date.today().isoformat(), "start_date": "2027-01-01", "end_date": "2029-12-31"},
        ),
    ]


def open_request(core: Core, requester: int) -> int:
    """A request for office chairs, 18,000: quotations, a category manager's sign-off (OCC's rules)."""
    return core.engine.open_case(
        stage="procurement",
        actor_id=requester,
        title="Office chairs",
        description="Replace chairs",
        authority="OCC",
        category="corporate_supplies",
        contract_type="goods",
        estimated_value="18000",
        proposed_start=date(2027, 1, 1),
        duration_months=36,
    )


def engine_setup(url: str, cases: int) -> tuple[dict, list[int]]:
    from provision_cycle.services.people import Grant, create_user

    core = build_core(Settings(database_url=url))
    people = {
        "requester": create_user(
            core, username="req", full_name="R", email="r@x.gov.uk", password=None, grants=[Grant("requester", "OCC")]
        ),
        "officer": create_user(
            core,
            username="off",
            full_name="O",
            email="o@x.gov.uk",
            password=None,
            grants=[Grant("category_officer", "OCC", "cnc")],
        ),
        "manager": create_user(
            core,
            username="man",
            full_name="M",
            email="m@x.gov.uk",
            password=None,
            grants=[Grant("category_manager", "OCC", "cnc")],
        ),
    }
    ids = []
    for _ in range(cases):
        case_id = open_request(core, people["requester"])
        for person in (people["officer"], people["manager"]):
            core.engine.declare_interests(case_id, person, has_conflict=False)
        ids.append(case_id)
    core.db.dispose()
    return people, ids


def engine_worker(url: str, people: dict, case_ids: list[int]) -> tuple[list[float], float, float]:
    core = build_core(Settings(database_url=url))  # start-up is not part of the measurement
    latencies = []
    wall, cpu = time.perf_counter(), time.process_time()
    for trigger, actor, inputs in _script(people):  # step-major, as a day of real work arrives
        for case_id in case_ids:
            started = time.perf_counter()
            core.engine.act(ActionRequest(case_id, trigger, actor, inputs=inputs))
            latencies.append(time.perf_counter() - started)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    core.db.dispose()
    return latencies, wall, cpu


def engine_check(url: str, case_ids: list[int]) -> None:
    engine = create_engine(url)
    with engine.connect() as conn:
        states = conn.execute(select(Case.state, func.count()).where(Case.id.in_(case_ids)).group_by(Case.state))
        assert dict(states.all()) == {"handed_over": len(case_ids)}, "every case must reach its final state"
        moves = conn.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.case_id.in_(case_ids), AuditEvent.action != "open", AuditEvent.action != "declare_interests"
            )
        )
        assert moves == len(case_ids) * STEPS, f"audit rows {moves} != transitions {len(case_ids) * STEPS}"
    engine.dispose()


# --- raw SQL floor -------------------------------------------------------------------------------
def _connect(url: str):
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        return conn, "?"
    return psycopg.connect(url.replace("postgresql+psycopg", "postgresql")), "%s"


def raw_setup(url: str, cases: int) -> list[int]:
    conn, p = _connect(url)
    cur = conn.cursor()
    cur.execute(
        "INSERT INTO users (username, full_name, email, job_title, is_active, failed_sign_ins, created_at) "
        f"VALUES ('raw', 'Raw', 'raw@x', '', {'1' if url.startswith('sqlite') else 'true'}, 0, "
        "CURRENT_TIMESTAMP)"
    )
    ids = []
    for _ in range(cases):
        cur.execute(
            "INSERT INTO cases (stage, workflow, workflow_version, state, version, title, description, authority, "
            "pillar, category, contract_type, estimated_value, vat_treatment, key_decision, requester_id, details, "
            "created_at, updated_at, audit_seq, audit_head) VALUES ('procurement', 'procurement', 1, 'draft', 1, "
            f"'t', '', 'OCC', 'cnc', 'ict', 'goods', 18000, 'standard', {'0' if url.startswith('sqlite') else 'false'},"
            " 1, '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0, '') RETURNING id"
        )
        ids.append(cur.fetchone()[0])
    conn.commit()
    conn.close()
    return ids


def _timed_steps(url: str, case_ids: list[int], step_work, setup=None) -> tuple[list[float], float, float]:
    """Run STEPS transitions per case, step-major, each one transaction: ``step_work`` + one audit row + COMMIT."""
    conn, p = _connect(url)
    context = setup() if setup else None
    latencies = []
    wall, cpu = time.perf_counter(), time.process_time()
    for step in range(STEPS):
        for case_id in case_ids:
            started = time.perf_counter()
            cur = conn.cursor()
            if url.startswith("sqlite"):
                cur.execute("BEGIN")
            step_work(cur, p, step, case_id, context)
            cur.execute(
                "INSERT INTO audit_events (stream, seq, case_id, at, action, from_state, to_state, comment, "
                f"data, prev_hash, hash) VALUES ({p}, {p}, {p}, CURRENT_TIMESTAMP, 'step', {p}, {p}, '', "
                f"'{{}}', '', '')",
                (f"case:{case_id}", step + 1, case_id, f"s{step}", f"s{step + 1}"),
            )
            conn.commit()
            latencies.append(time.perf_counter() - started)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    conn.close()
    return latencies, wall, cpu


def _raw_step(cur, p: str, step: int, case_id: int, _context) -> None:
    cur.execute(
        f"UPDATE cases SET state = {p}, version = version + 1, audit_seq = audit_seq + 1 WHERE id = {p}",
        (f"s{step + 1}", case_id),
    )


def raw_worker(url: str, case_ids: list[int]) -> tuple[list[float], float, float]:
    return _timed_steps(url, case_ids, _raw_step)


# --- SpiffWorkflow ---------------------------------------------------------------------------------
# The same procurement as a BPMN process (benchmarks/procurement.bpmn): a user task per engine transition,
# exclusive gateways after the two approvals, the award's data on the task. Each step loads the workflow's
# JSON from the database, deserialises it, completes the ready user task with its data, runs the engine
# steps (the gateway), serialises it and saves it, in one transaction with the audit row: how a
# SpiffWorkflow application (SpiffArena, for one) persists a process between users' actions.
SPIFF_DATA = [
    {},
    {"decision": "approve"},
    {"has_conflict": False},
    {},
    {},
    {"supplier_name": "Acme Ltd", "award_value": 17500},
    {"decision": "approve"},
    {"signed_on": "2026-11-25", "start_date": "2027-01-01", "end_date": "2029-12-31"},
]


def _spiff_spec():
    from SpiffWorkflow.bpmn.parser import BpmnParser

    parser = BpmnParser()
    parser.add_bpmn_file(str(Path(__file__).with_name("procurement.bpmn")))
    return parser.get_spec("procurement")


def spiff_setup(url: str, cases: int) -> list[int]:
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer

    ids = raw_setup(url, cases)
    workflow = BpmnWorkflow(_spiff_spec())
    workflow.do_engine_steps()
    state = BpmnWorkflowSerializer().serialize_json(workflow)
    conn, p = _connect(url)
    cur = conn.cursor()
    cur.execute("CREATE TABLE spiff_state (case_id INTEGER PRIMARY KEY, state TEXT NOT NULL)")
    for case_id in ids:
        cur.execute(f"INSERT INTO spiff_state VALUES ({p}, {p})", (case_id, state))
    conn.commit()
    conn.close()
    return ids


def _spiff_step(cur, p: str, step: int, case_id: int, serializer) -> None:
    from SpiffWorkflow.util.task import TaskState

    cur.execute(f"SELECT state FROM spiff_state WHERE case_id = {p}", (case_id,))
    workflow = serializer.deserialize_json(cur.fetchone()[0])
    task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
    task.data.update(SPIFF_DATA[step])
    task.run()
    workflow.do_engine_steps()
    state = serializer.serialize_json(workflow)
    cur.execute(f"UPDATE spiff_state SET state = {p} WHERE case_id = {p}", (state, case_id))


def spiff_worker(url: str, case_ids: list[int]) -> tuple[list[float], float, float]:
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer

    return _timed_steps(url, case_ids, _spiff_step, setup=BpmnWorkflowSerializer)


def spiff_check(url: str, case_ids: list[int]) -> None:
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer

    serializer = BpmnWorkflowSerializer()
    engine = create_engine(url)
    with engine.connect() as conn:
        states = conn.execute(text("SELECT state FROM spiff_state")).scalars().all()
    engine.dispose()
    assert len(states) == len(case_ids), "every case has its process"
    assert all(serializer.deserialize_json(s).is_completed() for s in states), "every process must complete"


# --- running ---------------------------------------------------------------------------------------
def run_path(
    path: str, kind: str, cases: int, clients: int, workdir: Path, tag: str, link: DelayedLink | None = None
) -> dict:
    url = fresh_database(kind, workdir, tag)
    clients_url = _through(url, link) if link and kind == "postgresql" else url  # setting up is not timed
    try:
        if path == "engine":
            people, ids = engine_setup(url, cases)
            work = [(engine_worker, (clients_url, people, chunk)) for chunk in _split(ids, clients)]
        elif path == "raw_floor":
            ids = raw_setup(url, cases)
            work = [(raw_worker, (clients_url, chunk)) for chunk in _split(ids, clients)]
        else:
            ids = spiff_setup(url, cases)
            work = [(spiff_worker, (clients_url, chunk)) for chunk in _split(ids, clients)]
        # Each client is a fresh process (spawned, not forked), so no path runs on a heap another one left.
        server_before = server_cpu_seconds() if kind == "postgresql" else None
        with ProcessPoolExecutor(clients, mp_context=multiprocessing.get_context("spawn")) as pool:
            outcomes = [f.result() for f in [pool.submit(fn, *args) for fn, args in work]]
        server_after = server_cpu_seconds() if server_before is not None else None
        latencies = [x for lat, _, _ in outcomes for x in lat]
        elapsed = max(wall for _, wall, _ in outcomes)  # clients start together; the slowest sets the pace
        cpu = sum(c for _, _, c in outcomes)
        if path == "engine":
            engine_check(url, ids)
        elif path == "spiff":
            spiff_check(url, ids)
        transitions = len(ids) * STEPS
        assert len(latencies) == transitions
        latencies.sort()
        return {
            "tps": transitions / elapsed,
            "transitions": transitions,
            "seconds": elapsed,
            "p50": latencies[len(latencies) // 2] * 1000,
            "p99": percentile(latencies, 0.99) * 1000,
            "cpu_us": cpu / transitions * 1e6,
            "server_cpu_us": (server_after - server_before) / transitions * 1e6 if server_after is not None else None,
        }
    finally:
        drop_database(url)


def server_cpu_seconds() -> float | None:
    """CPU time used so far by every PostgreSQL process on this machine (backends, the WAL writer and the
    rest; backends that have exited are counted in the postmaster's children's time), or None where no
    server runs here. Read before and after a path's run: its server side, beside the clients' CPU (the
    clients' start-up, connecting included, falls inside it, a few milliseconds against seconds)."""
    total, found = 0, False
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                name, fields = stat.read().split(" (", 1)[1].rsplit(") ", 1)
        except OSError:
            continue  # gone, or not ours to read
        if name == "postgres":
            found = True
            total += sum(int(value) for value in fields.split()[11:15])  # utime, stime, cutime, cstime
    return total / os.sysconf("SC_CLK_TCK") if found else None


def _through(url: str, link: DelayedLink) -> str:
    return make_url(url).set(host="127.0.0.1", port=link.port).render_as_string(hide_password=False)


def _round_trip_ms(url: str, times: int = 300) -> float:
    """The median time of a ``SELECT 1`` round trip on ``url``."""
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        samples = []
        for _ in range(times):
            started = time.perf_counter()
            conn.execute("SELECT 1").fetchone()
            samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def _split(ids: list[int], parts: int) -> list[list[int]]:
    return [ids[i::parts] for i in range(parts)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--clients", default="1,4")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rtt-ms", type=float, default=0.0, help="round-trip time to add to PostgreSQL's link")
    args = parser.parse_args(argv)
    print(machine_record(args.db.split(",")))
    link = None
    if args.rtt_ms > 0 and "postgresql" in args.db:
        server = make_url(PG_ADMIN)
        link = DelayedLink((server.host or "127.0.0.1", server.port or 5432), args.rtt_ms / 2000)
        direct, linked = _round_trip_ms(PG_ADMIN), _round_trip_ms(_through(PG_ADMIN, link))
        print(
            f"PostgreSQL clients go through a link adding {args.rtt_ms} ms per round trip: SELECT 1 takes "
            f"{linked:.2f} ms through it, {direct:.2f} ms on loopback"
        )
    print(f"{args.cases} cases x {STEPS} transitions, median of {args.rounds} rounds (paths rotated each round)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for kind in args.db.split(","):
            for clients in [int(c) for c in args.clients.split(",")]:
                if kind == "sqlite" and clients > 1:
                    continue  # one writer at a time by design; SQLite is the embedded single-user default
                results: dict[str, list[dict]] = {"engine": [], "raw_floor": [], "spiff": []}
                paths = list(results)
                for round_ in range(args.rounds):
                    for path in paths[round_ % 3 :] + paths[: round_ % 3]:
                        tag = f"{path}_{round_}"
                        results[path].append(run_path(path, kind, args.cases, clients, workdir, tag, link))
                median = {p: _median(r) for p, r in results.items()}
                rows.append((kind, clients, median, results))
    print()
    print(
        f"{'database':<11}{'clients':>8}{'path':>11}{'tr/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'CPU us/tr':>11}"
        f"{'server us/tr':>14}{'vs raw':>8}{'vs spiff':>10}"
    )
    for kind, clients, median, _ in rows:
        for path, m in median.items():
            server = "-" if m["server_cpu_us"] is None else f"{m['server_cpu_us']:.0f}"
            print(
                f"{kind:<11}{clients:>8}{path:>11}{m['tps']:>9.0f}{m['p50']:>9.2f}{m['p99']:>9.2f}"
                f"{m['cpu_us']:>11.0f}{server:>14}{m['tps'] / median['raw_floor']['tps']:>8.2f}"
                f"{m['tps'] / median['spiff']['tps']:>10.2f}"
            )
    print("\nThe engine's ratios round by round (each round runs the three paths back to back):")
    for kind, clients, _, results in rows:
        rounds = list(zip(results["engine"], results["raw_floor"], results["spiff"], strict=True))
        vs_raw = ", ".join(f"{e['tps'] / r['tps']:.2f}" for e, r, _ in rounds)
        vs_spiff = ", ".join(f"{e['tps'] / sp['tps']:.2f}" for e, _, sp in rounds)
        print(f"  {kind}, {clients} client(s): vs raw {vs_raw}; vs spiff {vs_spiff}")
    print("\nTargets (PostgreSQL, 1 client): engine >= 0.6 x raw_floor and >= 2.5 x spiff.")
    return 0


def machine_record(kinds: list[str]) -> str:
    """What the figures were measured on: they are only comparable across runs of the same machine."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    libraries = ("SQLAlchemy", "psycopg", "transitions", "SpiffWorkflow")
    versions = ", ".join(f"{name} {importlib.metadata.version(name)}" for name in libraries)
    lines = [
        f"Machine: {cpu}, {os.cpu_count()} CPUs; Python {platform.python_version()}; {versions}",
        f"SQLite {sqlite3.sqlite_version} (WAL, synchronous=FULL: a flush per commit)",
    ]
    if "postgresql" in kinds:
        with psycopg.connect(PG_ADMIN.replace("postgresql+psycopg", "postgresql")) as conn:
            server = conn.execute("SHOW server_version").fetchone()[0]
            settings = dict(
                conn.execute(
                    "SELECT name, setting FROM pg_settings WHERE name IN "
                    "('synchronous_commit', 'fsync', 'wal_sync_method', 'shared_buffers')"
                ).fetchall()
            )
        where = PG_ADMIN.split("@", 1)[-1].rsplit("/", 1)[0]
        lines.append(
            f"PostgreSQL {server} at {where} (TCP); "
            + ", ".join(f"{name}={value}" for name, value in sorted(settings.items()))
        )
    return "\n".join(lines)


def percentile(values: list[float], share: float) -> float:
    """The value ``share`` of the way up ``values`` (0.99: the p99), by rank, no interpolation."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _median(runs: list[dict]) -> dict:
    return {key: None if runs[0][key] is None else statistics.median(r[key] for r in runs) for key in runs[0]}


if __name__ == "__main__":
    sys.exit(main())
