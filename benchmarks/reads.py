"""B7: the reads people wait on, over a large register of many councils, on SQLite and PostgreSQL.

Loads straight into a fresh database (bulk, not timed) N contracts (default 1,000,000) shared among 400
councils, each with its contract-management case (expired where its end date has passed, one in twenty), E
audit events per case (default 10: 10,000,000 rows), an open task per contract (1,000,000) and two done, an
open approval step on one case in ten and two decided ones (with their decisions) on every other case
(1,100,000 steps, most decided, as in a working register),
three tenders on one case in ten (300,000: its contract's supplier's and the next two contracts', received
over the last ten years, this financial year's among them), two requests to participate on another case in
ten (200,000, one set aside), a dynamic market per council with an application admitted from the supplier
of one contract in ten (100,000), and two payments to each contract's supplier (one naming the contract, one
not); each supplier with a Companies House number that one other name shares (its page names it). Then, for
people picked at random, it times the functions the pages and the API call (``services.reading``), each with
its own session as a request has, and beside each its peer: the same rows by hand-written SQL on a bare
connection. Rounds alternate which goes first. It asserts, for each read, that the engine's rows are the
peer's, and that no statement the engine's path sends needs to read a whole large table (each is captured
as it runs and EXPLAINed, on PostgreSQL with sequential scans made a last resort); and it names the large
tables PostgreSQL's chosen plans read whole at this size, by a sequential scan or a whole index (a
misestimate the first check cannot see).

Reads: a case's timeline (its audit events, in order); the whole case page and the overview (every read each
makes, no peer); the approvals queue of a head of category; a contract manager's tasks, and a category team's;
the register's first page of current contracts (by end date, as the page first shows them), a search of it
by a word of the title or supplier and one by a supplier's Companies House number (as any record gives it:
no peer); a search for a supplier, a supplier's page, the names sharing a registration number, the names
that look alike and the suppliers paid off contract this year (no peer); the cases page (the pipeline).

Usage: ``python -m benchmarks.reads [--contracts 1000000] [--events 10] [--samples 50] [--db sqlite,postgresql]``
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import event, text

from provision_cycle.core import Core, build_core
from provision_cycle.services import names_alike, overview, reading, suppliers
from provision_cycle.settings import Settings

from .transitions import drop_database, fresh_database, machine_record, percentile

TODAY = date(2026, 11, 25)
COUNCILS = 400
PILLARS = ("heasc", "eni", "cnc")
MANAGERS = 25  # contract managers per council: each manages about N / 10,000 contracts
REQUESTERS = 5
PER_COUNCIL = len(PILLARS) + MANAGERS + REQUESTERS  # users per council: heads of category first
LARGE_TABLES = (
    "cases",
    "contracts",
    "audit_events",
    "tasks",
    "approval_steps",
    "decisions",
    "payments",
    "tenders",
    "participation_requests",
    "market_memberships",
)
# Titles and suppliers are made of these words, so a search for one finds about one contract in 50.
_WORDS = """
    adult care highways waste school transport library leisure housing ict cleaning catering energy parks fleet
    legal audit payroll print security grounds lighting bridges drainage flood youth respite fostering advocacy
    meals telecare equipment software hosting network devices insurance banking property estates planning
    licensing markets events museums archives registrars coroners trading standards
"""
WORDS = tuple(_WORDS.split())


def council(index: int) -> str:
    return f"C{index + 1:03d}"


def _head_id(c: int, pillar: int) -> int:
    return 2 + c * PER_COUNCIL + pillar


def _manager_id(c: int, m: int) -> int:
    return 2 + c * PER_COUNCIL + len(PILLARS) + m


# --- loading -------------------------------------------------------------------------------------------
class _Dialect:
    """The few expressions SQLite and PostgreSQL write differently."""

    def __init__(self, postgresql: bool):
        self.postgresql = postgresql

    def day(self, days: str) -> str:
        return (
            f"(DATE '{TODAY}' + CAST({days} AS integer))"
            if self.postgresql
            else f"date('{TODAY}', ({days}) || ' days')"
        )

    def moment(self, minutes: str) -> str:
        if self.postgresql:
            return f"(TIMESTAMP '{TODAY} 00:00:00' - ({minutes}) * INTERVAL '1 minute')"
        return f"datetime('{TODAY} 00:00:00', '-' || ({minutes}) || ' minutes')"


def load(core: Core, count: int, events: int) -> None:
    """Every row by INSERT ... SELECT over a table of numbers: the councils' people, then per contract number
    n its case (id n), its contract (id n), its task, its audit events and, for one in ten, an approval step.
    Contract n belongs to council (n - 1) % 400, its pillar turns every 400, its manager every 1,200."""
    d = _Dialect(core.db.is_postgresql)
    users, roles = [(1, "system", "Scheduler")], []
    for c in range(COUNCILS):
        for p, pillar in enumerate(PILLARS):
            users.append((_head_id(c, p), f"head-{c}-{pillar}", f"Head of {pillar}, {council(c)}"))
            roles.append((_head_id(c, p), "head_of_category", council(c), pillar))
        for m in range(MANAGERS):
            users.append((_manager_id(c, m), f"manager-{c}-{m}", f"Contract manager {m}, {council(c)}"))
            roles.append((_manager_id(c, m), "contract_manager", council(c), None))
        for r in range(REQUESTERS):
            users.append((_manager_id(c, MANAGERS + r), f"requester-{c}-{r}", f"Requester {r}, {council(c)}"))
            roles.append((_manager_id(c, MANAGERS + r), "requester", council(c), None))
    # The columns every statement below reads for contract n.
    authority = f"'C' || substr('00' || ((n - 1) % {COUNCILS} + 1), -3)"
    if d.postgresql:
        authority = f"'C' || lpad(((n - 1) % {COUNCILS} + 1)::text, 3, '0')"
    base = f"(2 + ((n - 1) % {COUNCILS}) * {PER_COUNCIL})"
    pillar = f"CASE (n / {COUNCILS}) % 3 WHEN 0 THEN 'heasc' WHEN 1 THEN 'eni' ELSE 'cnc' END"
    manager = f"({base} + {len(PILLARS)} + (n / {COUNCILS * 3}) % {MANAGERS})"
    requester = f"({base} + {len(PILLARS) + MANAGERS} + n % {REQUESTERS})"
    end = d.day("(n * 7919) % 3650 - 180")
    state = "CASE WHEN (n * 7919) % 3650 < 180 THEN 'expired' ELSE 'live' END"
    title = "w1.w || ' ' || w2.w || ' services'"
    words = "JOIN words w1 ON w1.i = n % 50 JOIN words w2 ON w2.i = (n / 50) % 50 JOIN words w3 ON w3.i = (n / 7) % 50"
    statements = [
        "INSERT INTO cases (id, reference, stage, workflow, workflow_version, state, version, title, description,"
        " authority, pillar, category, contract_type, estimated_value, vat_treatment, key_decision, requester_id,"
        " details, created_at, updated_at, audit_seq, audit_head)"
        # The contracts past their end date have expired (one in twenty): the register's first view leaves them out.
        f" SELECT n, 'CMG-' || n, 'contract', 'contract', 1, {state}, 1, {title}, '', {authority}, {pillar}, 'ict',"
        f" 'services', (n * 104729) % 2000000 + 1000, 'standard', FALSE, {requester}, '{{}}',"
        f" {d.moment('n % 500000 + 500000')}, {d.moment('(n * 31) % 500000')}, {events}, '' FROM numbers {words}",
        "INSERT INTO contracts (id, reference, case_id, title, description, authority, pillar, category,"
        " contract_type, regime, supplier_name, supplier_key, supplier_registration, supplier_is_sme,"
        " supplier_is_vcse, value, vat_treatment, start_date, end_date, extension_months_available,"
        " notice_period_days, risk, contract_manager_id, created_at)"
        f" SELECT n, 'CON-' || n, n, {title}, '', {authority}, {pillar}, 'ict', 'services', 'PA2023',"
        f" w3.w || ' Partners ' || (n % 5000) || ' Ltd', w3.w || ' partners ' || (n % 5000),"
        # Each supplier's Companies House number, shared with one other supplier's name (its first word the
        # next of the list): the supplier page's other names under the same number.
        " '0' || (1000000 + (n % 5000) * 25 + ((n / 7) % 50) / 2), FALSE, FALSE,"
        " (n * 104729) % 2000000 + 1000, 'standard',"
        f" {d.day('(n * 7919) % 3650 - 1275')}, {end}, 0, 90, 'medium', {manager}, {d.moment('n % 500000 + 500000')}"
        f" FROM numbers {words}",
        "INSERT INTO tasks (subject_key, kind, title, detail, contract_id, case_id, assignee_id, due_on,"
        " milestone_on, status, snooze_reason, outcome, outcome_note, outcome_data, created_at)"
        f" SELECT 'contract:' || n, 'renewal_decision', 'Renewal decision: CON-' || n, '6 months before the end"
        f" date', n, n, {manager}, {d.day('(n * 7919) % 3650 - 360')}, {end}, 'open', '', '', '', '{{}}',"
        f" {d.moment('n % 1000')} FROM numbers",
        # Two reviews of each contract done over the last two years: most of the tasks a working register holds
        # are done.
        "INSERT INTO tasks (subject_key, kind, title, detail, contract_id, case_id, assignee_id, due_on,"
        " milestone_on, status, snooze_reason, outcome, outcome_note, outcome_data, created_at, completed_at,"
        " completed_by_id)"
        f" SELECT 'contract:' || n, 'contract_review', 'Contract review: CON-' || n, '', n, n, {manager},"
        f" {d.day('-(k * 300 + n % 60)')}, NULL, 'done', '', 'reviewed', '', '{{}}',"
        f" {d.moment('(k * 300 + n % 60 + 30) * 1440')}, {d.moment('(k * 300 + n % 60) * 1440')}, {manager}"
        " FROM numbers JOIN steps ON k <= 2",
        "INSERT INTO approval_steps (case_id, gate, gate_order, round, position, role, authority, pillar, mode,"
        " required, status, reason, opened_at)"
        f" SELECT n, 'variation_gate', 0, 2, 1, 'head_of_category', {authority}, {pillar}, 'any', 1, 'open',"
        f" 'Head of Category', {d.moment('(n * 13) % 40000')} FROM numbers WHERE (n / {COUNCILS}) % 10 = 0",
        # A variation decided earlier on every other case (its Head of Category's step, then Finance's, each
        # approved): most of the steps a working register holds are decided, and so are its decisions.
        "INSERT INTO approval_steps (case_id, gate, gate_order, round, position, role, authority, pillar, mode,"
        " required, status, reason, opened_at, closed_at)"
        f" SELECT n, 'variation_gate', 0, 1, k, CASE k WHEN 1 THEN 'head_of_category' ELSE 'finance' END,"
        f" {authority}, CASE k WHEN 1 THEN {pillar} END, 'any', 1, 'approved', 'Variation',"
        f" {d.moment('(n * 13) % 40000 + 100000 - k * 1440')}, {d.moment('(n * 13) % 40000 + 99000 - k * 1440')}"
        " FROM numbers JOIN steps ON k <= 2 WHERE n % 2 = 1",
        "INSERT INTO decisions (step_id, case_id, actor_id, principal_id, outcome, reason, at)"
        f" SELECT id, n, {manager}, {manager}, 'approve', '', closed_at FROM (SELECT id, case_id AS n, closed_at"
        " FROM approval_steps WHERE status = 'approved') AS decided",
        "INSERT INTO audit_events (id, stream, seq, case_id, at, actor_id, action, from_state, to_state, comment,"
        " data, prev_hash, hash)"
        f" SELECT (n - 1) * {events} + k, 'case:' || n, k, n, {d.moment(f'({events} - k) * 1440 + n % 1000')},"
        f" {manager}, 'note', 'live', 'live', '', '{{}}', '{'0' * 64}', '{'0' * 64}' FROM numbers JOIN steps"
        " ON TRUE",
        # Two payments to each contract's supplier over the last three years, the second naming no contract.
        "INSERT INTO payments (authority, transaction_number, paid_on, invoice_received_on, supplier_name,"
        " supplier_key, amount, irrecoverable_vat, expense_type, department, purpose, contract_id, to_individual,"
        " loaded_at)"
        f" SELECT {authority}, 'T' || n || '-' || k, {d.day('-((n * 13 + k * 97) % 1000)')},"
        f" {d.day('-((n * 13 + k * 97) % 1000) - 20')}, w3.w || ' Partners ' || (n % 5000) || ' Ltd',"
        " w3.w || ' partners ' || (n % 5000), n % 9000 + 100, 0, '', '', '', CASE WHEN k = 1 THEN n END, FALSE,"
        f" {d.moment('0')} FROM numbers JOIN steps ON k <= 2 JOIN words w3 ON w3.i = (n / 7) % 50",
        # Three tenders on one case in ten: from its contract's supplier and the next two contracts' (a
        # supplier's page, a search for it and the names that look alike read them too).
        "INSERT INTO tenders (case_id, supplier_name, supplier_key, supplier_registration, supplier_is_sme,"
        " supplier_is_vcse, price, received_on, not_assessed_because, recorded_by_id, recorded_at)"
        " SELECT n, w.w || ' Partners ' || ((n + k) % 5000) || ' Ltd', w.w || ' partners ' || ((n + k) % 5000),"
        f" '', FALSE, FALSE, (n * 104729 + k) % 2000000 + 1000, {d.day('-((n * 7919) % 3650)')}, '',"
        f" {manager}, {d.moment('n % 500000 + 500000')}"
        " FROM numbers JOIN (SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2) AS three ON TRUE"
        " JOIN words w ON w.i = ((n + k) / 7) % 50 WHERE n % 10 = 0",
        # Two requests to participate on one case in ten (another tenth than the tenders'), the second set aside
        # (a supplier's page and a search for it read them too).
        "INSERT INTO participation_requests (case_id, supplier_name, supplier_key, supplier_registration,"
        " supplier_is_sme, supplier_is_vcse, received_on, set_aside_because, recorded_by_id, recorded_at)"
        " SELECT n, w.w || ' Partners ' || ((n + k) % 5000) || ' Ltd', w.w || ' partners ' || ((n + k) % 5000),"
        f" '', FALSE, FALSE, {d.day('-((n * 7919) % 3650) - 30')},"
        " CASE WHEN k = 1 THEN 'A condition of participation not met' ELSE '' END,"
        f" {manager}, {d.moment('n % 500000 + 500000')}"
        " FROM numbers JOIN (SELECT 0 AS k UNION ALL SELECT 1) AS two ON TRUE"
        " JOIN words w ON w.i = ((n + k) / 7) % 50 WHERE n % 10 = 3",
        # A dynamic market for each council, and an admitted application to it from the supplier of one of its
        # contracts in ten (a supplier's page, a search and the names that look alike read them too).
        "INSERT INTO dynamic_markets (id, reference, title, description, conditions, authority, pillar, category,"
        " parts, created_by_id, created_at, version)"
        f" SELECT n, 'DM-' || n, 'Passenger transport', '', '', {authority}, 'cnc', 'ict', '[]', 1,"
        f" {d.moment('0')}, 1 FROM numbers WHERE n <= {COUNCILS}",
        "INSERT INTO market_memberships (market_id, applied_on, supplier_name, supplier_key, supplier_registration,"
        " supplier_is_sme, supplier_is_vcse, parts, recorded_by_id, recorded_at, decided_on, admitted,"
        " exclusions_checked_on, refused_because, decided_by_id, removed_because)"
        f" SELECT (n - 1) % {COUNCILS} + 1, {d.day('-400')}, w3.w || ' Partners ' || (n % 5000) || ' Ltd',"
        " w3.w || ' partners ' || (n % 5000), '', FALSE, FALSE, '[]', 1,"
        f" {d.moment('0')}, {d.day('-390')}, TRUE, {d.day('-391')}, '', 1, ''"
        " FROM numbers JOIN words w3 ON w3.i = (n / 7) % 50 WHERE n % 10 = 5",
    ]
    with core.db.engine.begin() as conn:
        raw = conn.connection.driver_connection
        cursor = raw.cursor()
        cursor.executemany(
            "INSERT INTO users (id, username, full_name, email, job_title, is_active, failed_sign_ins, created_at)"
            " VALUES (%s, %s, %s, %s, '', TRUE, 0, '2026-01-01')".replace("%s", "%s" if d.postgresql else "?"),
            [(*user, f"{user[1]}@bench.invalid") for user in users],
        )
        cursor.executemany(
            "INSERT INTO role_assignments (user_id, role, authority, pillar) VALUES (%s, %s, %s, %s)".replace(
                "%s", "%s" if d.postgresql else "?"
            ),
            roles,
        )
        if d.postgresql:
            conn.exec_driver_sql(f"CREATE TEMP TABLE numbers AS SELECT n FROM generate_series(1, {count}::bigint) AS n")
            conn.exec_driver_sql(f"CREATE TEMP TABLE steps AS SELECT k FROM generate_series(1, {events}) AS k")
        else:
            for name, column, top in (("numbers", "n", count), ("steps", "k", events)):
                conn.exec_driver_sql(
                    f"CREATE TEMP TABLE {name} AS WITH RECURSIVE s({column}) AS (SELECT 1 UNION ALL"
                    f" SELECT {column} + 1 FROM s WHERE {column} < {top}) SELECT {column} FROM s"
                )
        conn.exec_driver_sql("CREATE TEMP TABLE words (i INTEGER PRIMARY KEY, w TEXT)")
        conn.exec_driver_sql(
            "INSERT INTO words (i, w) VALUES " + ", ".join(f"({i}, '{w}')" for i, w in enumerate(WORDS))
        )
        for statement in statements:  # psycopg reads a lone % as a placeholder
            conn.exec_driver_sql(statement.replace("%", "%%") if d.postgresql else statement)
    if core.db.is_postgresql:
        with core.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with core.db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


# --- what is timed --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Read:
    name: str
    who: str  # "head" (a head of category) or "manager" (a contract manager)
    engine: Callable  # (core, session, actor, case_id) -> comparable rows
    hand: str | None  # SQL with :actor, :authority, :pillar, :case_id, or None: no peer


def _supplier_of(n: int) -> str:
    """The key of contract n's supplier, as the loader names it."""
    return f"{WORDS[(n // 7) % 50]} partners {n % 5000}"


def _number_of(n: int) -> str:
    """Contract n's supplier's Companies House number, as the loader gives it."""
    return f"0{1000000 + (n % 5000) * 25 + ((n // 7) % 50) // 2}"


def _register(core: Core, session, actor, **fields) -> list[int]:
    """The register's page as it first shows it, the contracts not ended (and how many that have ended match
    too)."""
    query = reading.RegisterQuery(**fields, **reading.register_status(core, reading.CURRENT))
    return [row[0].id for row in reading.register_page(session, actor, query, TODAY).rows]


def _ids(rows) -> list[int]:
    return [row.id for row in rows]


READS = (
    Read(
        "case timeline",
        "head",
        lambda core, session, actor, case_id: _ids(reading.case_timeline(session, case_id)),
        "SELECT id FROM audit_events WHERE case_id = :case_id ORDER BY seq",
    ),
    Read(
        "case page (all its reads)",
        "head",
        lambda core, session, actor, case_id: len(reading.case_page(core, session, actor, case_id).timeline),
        None,
    ),
    Read(
        "overview (all its reads)",
        "head",
        lambda core, session, actor, case_id: sum(
            h.contracts for h in overview.pipeline_overview(core, session, actor, TODAY).horizons
        ),
        None,
    ),
    Read(
        "approvals queue",
        "head",
        lambda core, session, actor, case_id: sorted(
            w.step.id for w in reading.approvals_waiting(core, session, actor)
        ),
        "SELECT s.id FROM approval_steps s JOIN cases c ON c.id = s.case_id WHERE s.status = 'open'"
        " AND s.role = 'head_of_category' AND s.authority = :authority AND (s.pillar IS NULL OR s.pillar = :pillar)"
        " AND c.requester_id <> :actor ORDER BY s.id",
    ),
    Read(
        "my tasks",
        "manager",
        lambda core, session, actor, case_id: _ids(reading.open_tasks_of(session, actor.id, today=TODAY)),
        "SELECT id FROM tasks WHERE assignee_id = :actor AND status = 'open' ORDER BY due_on, id",
    ),
    Read(
        "my team's tasks",
        "head",
        lambda core, session, actor, case_id: [t.task.id for t in reading.team_tasks(session, actor)],
        "SELECT t.id FROM tasks t JOIN cases c ON c.id = t.case_id WHERE t.status = 'open'"
        " AND t.assignee_id <> :actor AND c.authority IN (:authority, 'JOINT') AND c.pillar = :pillar"
        f" ORDER BY t.due_on, t.id LIMIT {reading.TEAM_TASKS_SHOWN}",
    ),
    Read(
        "register, first page",
        "head",
        lambda core, session, actor, case_id: _register(core, session, actor),
        "SELECT c.id, count(*) OVER () FROM contracts c JOIN cases k ON k.id = c.case_id"
        " WHERE (c.authority IN (:authority, 'JOINT') OR c.contract_manager_id = :actor)"
        " AND k.state NOT IN ('expired', 'terminated') ORDER BY c.end_date, c.id LIMIT 25",
    ),
    Read(
        "register, search",
        "head",
        lambda core, session, actor, case_id: _register(core, session, actor, text=WORDS[case_id % 50]),
        "SELECT c.id, count(*) OVER () FROM contracts c JOIN cases k ON k.id = c.case_id"
        " WHERE (c.authority IN (:authority, 'JOINT') OR c.contract_manager_id = :actor)"
        " AND (lower(c.title) LIKE :like OR lower(c.supplier_name) LIKE :like OR lower(c.reference) LIKE :like)"
        " AND k.state NOT IN ('expired', 'terminated') ORDER BY c.end_date, c.id LIMIT 25",
    ),
    Read(
        "register, by a number",
        "head",
        lambda core, session, actor, case_id: _register(core, session, actor, text=_number_of(case_id)),
        None,
    ),
    Read(
        "supplier search",
        "head",
        lambda core, session, actor, case_id: len(
            suppliers.find_suppliers(session, actor, _supplier_of(case_id).split()[0], TODAY)
        ),
        None,
    ),
    Read(
        "supplier by its number",
        "head",
        lambda core, session, actor, case_id: len(suppliers.find_suppliers(session, actor, _number_of(case_id), TODAY)),
        None,
    ),
    Read(
        "supplier page",
        "head",
        lambda core, session, actor, case_id: len(
            suppliers.supplier(session, actor, _supplier_of(case_id), TODAY, core.workflows).contracts
        ),
        None,
    ),
    Read(
        "names sharing a number",
        "head",
        lambda core, session, actor, case_id: len(suppliers.names_sharing_a_number(session, actor)),
        None,
    ),
    Read(
        "names that look alike",
        "head",
        lambda core, session, actor, case_id: len(names_alike.names_alike(session, actor, TODAY)),
        None,
    ),
    Read(
        "suppliers paid off contract",
        "head",
        lambda core, session, actor, case_id: len(overview.off_contract_suppliers(session, actor, TODAY)),
        None,
    ),
    Read(
        "cases page",
        "head",
        lambda core, session, actor, case_id: [
            row[0].id for row in reading.cases_page(core, session, actor, reading.CaseQuery()).rows
        ],
        "SELECT id, count(*) OVER () FROM cases WHERE id IN (SELECT id FROM cases WHERE requester_id = :actor UNION ALL"
        " SELECT case_id FROM case_team_members WHERE user_id = :actor UNION ALL"
        " SELECT id FROM cases WHERE authority IN (:authority, 'JOINT')) ORDER BY updated_at DESC, id DESC LIMIT 25",
    ),
)


@dataclass(frozen=True)
class Sample:
    actor_id: int
    authority: str
    pillar: str
    case_id: int  # a case of the person's council (and pillar)


def samples(count: int, how_many: int, who: str, seed: int = 11) -> list[Sample]:
    rng = random.Random(seed)
    picked = []
    for _ in range(how_many):
        case_id = rng.randint(1, count)
        c, p = (case_id - 1) % COUNCILS, (case_id // COUNCILS) % 3
        person = _head_id(c, p) if who == "head" else _manager_id(c, (case_id // (COUNCILS * 3)) % MANAGERS)
        picked.append(Sample(person, council(c), PILLARS[p], case_id))
    return picked


class Statements:
    """What one read sends to the database, captured as it runs, to be EXPLAINed afterwards."""

    def __init__(self, core: Core):
        self.engine, self.seen, self.on = core.db.engine, [], False
        event.listen(self.engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if self.on and not executemany and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.seen.append((statement, parameters))

    def full_scans(self, postgresql: bool) -> tuple[set[str], set[str]]:
        """The large tables some captured statement reads whole, twice over. First where no index serves: on
        PostgreSQL with sequential scans made a last resort, so that one shows at any size of table (a join
        may then still read a table by its index in the index's order, where the planner costs that below
        probing it row by row; not counted here, as an index serves). Then in the plans the database chooses
        at this size, by a sequential scan or the whole of an index that is not partial: a misestimate shows
        there and in the timing only. (SQLite's chosen plan is the first.)"""
        if not postgresql:
            found: set[str] = set()
            with self.engine.connect() as conn:
                for statement, parameters in self.seen:
                    plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
                    scanned = re.findall(r"SCAN (\w+)", " ".join(str(row[-1]) for row in plan))
                    found |= {re.sub(r"_\d+$", "", table) for table in scanned}  # cases_1: an alias of cases
            return found & set(LARGE_TABLES), found & set(LARGE_TABLES)
        no_index: set[str] = set()
        chosen: set[str] = set()
        with self.engine.connect() as conn:
            partial = set(
                conn.exec_driver_sql("SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%% WHERE %%'").scalars()
            )
            for found, seqscan, whole_index in ((no_index, "off", False), (chosen, "on", True)):
                conn.exec_driver_sql(f"SET enable_seqscan = {seqscan}")
                for statement, parameters in self.seen:
                    [[plan]] = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).all()
                    found |= _read_whole(plan[0]["Plan"], partial if whole_index else None) & set(LARGE_TABLES)
        return no_index, chosen


def _read_whole(node: dict, partial_indexes: set[str] | None) -> set[str]:
    """The tables a PostgreSQL plan node and those under it read whole: by a sequential scan, or (given the
    partial indexes, which are not whole tables) by an index scan with no condition on the index."""
    whole = set()
    if node["Node Type"] == "Seq Scan" or (
        partial_indexes is not None
        and node["Node Type"] in ("Index Scan", "Index Only Scan")
        and "Index Cond" not in node
        and node["Index Name"] not in partial_indexes
    ):
        whole.add(node["Relation Name"])
    for child in node.get("Plans", ()):
        whole |= _read_whole(child, partial_indexes)
    return whole


def run(kind: str, count: int, events: int, how_many: int, workdir: Path) -> dict[str, dict]:
    url = fresh_database(kind, workdir, "reads")
    try:
        core = build_core(Settings(database_url=url), clock=lambda: datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
        started = time.perf_counter()
        load(core, count, events)
        figures: dict[str, dict] = {"_load": {"s": time.perf_counter() - started}}
        statements = Statements(core)
        for read in READS:
            engine_ms, hand_ms = [], []
            with core.db.reading() as session:  # once untimed: its statements compiled and cached, as in a server
                first = samples(count, 1, read.who, seed=0)[0]
                read.engine(core, session, reading.load_actor(core, first.actor_id), first.case_id)
            for number, sample in enumerate(samples(count, how_many, read.who)):
                actor = reading.load_actor(core, sample.actor_id)
                for path in ("engine", "hand") if number % 2 == 0 else ("hand", "engine"):
                    if path == "engine":
                        statements.on = number == 0  # one person's statements are EXPLAINed (not the peer's)
                        started = time.perf_counter()
                        with core.db.reading() as session:
                            got = read.engine(core, session, actor, sample.case_id)
                        engine_ms.append((time.perf_counter() - started) * 1000)
                        statements.on = False
                    elif read.hand is not None:
                        started = time.perf_counter()
                        with core.db.engine.connect() as conn:
                            wanted = (
                                conn.execute(
                                    text(read.hand),
                                    {
                                        "actor": sample.actor_id,
                                        "authority": sample.authority,
                                        "pillar": sample.pillar,
                                        "case_id": sample.case_id,
                                        "like": f"%{WORDS[sample.case_id % 50]}%",
                                    },
                                )
                                .scalars()
                                .all()
                            )
                        hand_ms.append((time.perf_counter() - started) * 1000)
                if read.hand is not None:
                    assert got == wanted, (read.name, sample, got[:5], wanted[:5])
            scans, chosen = statements.full_scans(core.db.is_postgresql)
            statements.seen.clear()
            assert not scans, f"{read.name}: reads the whole of {', '.join(sorted(scans))}"
            figures[read.name] = {
                "rows": len(got) if isinstance(got, list) else got,
                "p50": statistics.median(engine_ms),
                "p99": percentile(engine_ms, 0.99),
                "hand_p50": statistics.median(hand_ms) if hand_ms else None,
                "hand_p99": percentile(hand_ms, 0.99) if hand_ms else None,
                "reads_whole": sorted(chosen),
            }
        core.db.dispose()
        return figures
    finally:
        drop_database(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10, help="audit events per case")
    parser.add_argument("--samples", type=int, default=50, help="people (and their cases) each read is timed for")
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    kinds = args.db.split(",")
    print(machine_record(kinds))
    print(
        f"\nReads over {args.contracts:,} contracts in {COUNCILS} councils, {args.contracts * args.events:,} audit"
        f" events, {args.contracts:,} open tasks and {args.contracts * 2:,} done,"
        f" {args.contracts // 10:,} open approval steps and"
        f" {args.contracts:,} decided ones,"
        f" {args.contracts // 10 * 3:,} tenders, {args.contracts // 10 * 2:,} requests to participate,"
        f" {args.contracts // 10:,} market applications,"
        f" {args.contracts * 2:,} payments;"
        f" {args.samples} people each, ms (hand SQL: the same rows on a bare connection)\n"
    )
    print(f"{'database':<12}{'read':<28}{'rows':>6}{'p50':>9}{'p99':>9}{'hand p50':>10}{'hand p99':>10}{'÷ hand':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            figures = run(kind, args.contracts, args.events, args.samples, Path(tmp))
            print(f"{kind:<12}{'(bulk load, not timed)':<28}{'':>6}{figures.pop('_load')['s']:>8.0f}s")
            for name, f in figures.items():
                hand = (
                    f"{f['hand_p50']:>10.2f}{f['hand_p99']:>10.2f}{f['p50'] / f['hand_p50']:>8.1f}"
                    if f["hand_p50"] is not None
                    else f"{'—':>10}{'—':>10}{'—':>8}"
                )
                whole = f"  reads whole: {', '.join(f['reads_whole'])}" if f["reads_whole"] else ""
                print(f"{kind:<12}{name:<28}{f['rows']:>6}{f['p50']:>9.2f}{f['p99']:>9.2f}{hand}{whole}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
