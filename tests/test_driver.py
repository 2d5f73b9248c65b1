"""The engine's statements run on the driver's cursor read and write exactly what SQLAlchemy would.

``provision_cycle.driver`` skips SQLAlchemy's execution layer for speed, so these tests hold it to the
same results: the same rows and Python types (aware UTC datetimes, dicts from JSON, Decimals), the same
rows written, and SQLAlchemy's exceptions when the database refuses. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, date, datetime
from decimal import Decimal
from select import POLLOUT

import pytest
from sqlalchemy import bindparam, func, insert, literal_column, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError, StatementError

from provision_cycle import driver
from provision_cycle.driver import DriverStatements
from provision_cycle.models import AuditEvent, AwardCriterion, Case, Tender, User
from provision_cycle.workflow import statements as sql

from .factories import act, declare, hub_people, new_request


def _both_ways(db, statement, params):
    """The statement's rows through SQLAlchemy and through the driver, in one transaction each."""
    with db.engine.connect() as conn, conn.begin():
        through_sqlalchemy = [tuple(row) for row in conn.execute(statement, params)]
    with db.transaction() as tx:
        through_driver = [tuple(row) for row in tx.rows(statement, params)]
    return through_sqlalchemy, through_driver


def test_the_locked_case_read_gives_the_same_row_and_types(engine, db):
    people = hub_people(db)
    case_id = new_request(engine, people.requester, value="250000")
    act(engine, case_id, "submit", people.requester)
    declare(engine, case_id, people.manager)

    expected, got = _both_ways(db, sql.LOCK_CASE_WITH_ACTOR, {"case_id": case_id, "actor_id": people.manager})
    assert got == expected
    with db.transaction() as tx:
        case = tx.first(sql.LOCK_CASE_WITH_ACTOR, {"case_id": case_id, "actor_id": people.manager})
    assert case.state == "route_approval"
    assert case.created_at.tzinfo is UTC  # UtcDateTime's own processing
    assert case.estimated_value == Decimal("250000.00")
    assert isinstance(case.route_plan, dict) and case.route_plan["regime"] == "PA2023"
    assert case.proposed_start == date(2026, 9, 1)
    assert case.actor_full_name == "Max Manager" and case.actor_conflict is False
    assert [tuple(role) for role in case.actor_roles] == [("category_manager", "OCC", "cnc")]


def test_the_locked_read_is_one_row_however_many_roles_the_actor_holds(engine, db):
    """The hub's staff hold their role in both councils, and request for both: the case is read once, with
    every role beside it (a join would repeat the case's row, its JSON among it, once per role)."""
    from .factories import create_user

    people = hub_people(db)
    case_id = new_request(engine, people.requester, value="250000")
    act(engine, case_id, "submit", people.requester)
    grants = [("head_of_category", "OCC", "cnc"), ("head_of_category", "CDC", "cnc"), ("requester", "OCC"),
              ("requester", "CDC")]  # fmt: skip
    hub_head = create_user(db, *grants, full_name="Hub Head")
    roleless = create_user(db, full_name="Nobody Yet")
    for actor, roles in ((hub_head, grants), (roleless, [])):
        with db.transaction() as tx:
            [case] = tx.rows(sql.LOCK_CASE_WITH_ACTOR, {"case_id": case_id, "actor_id": actor})
        assert sorted(tuple(role) for role in case.actor_roles or ()) == sorted(
            (*grant, None) if len(grant) == 2 else grant for grant in roles
        )
    declare(engine, case_id, hub_head)
    act(engine, case_id, "approve", hub_head)  # as OCC's Head of Category, one of the four


def test_gate_steps_with_their_decisions_read_the_same(engine, db):
    people = hub_people(db)
    case_id = new_request(engine, people.requester, value="250000")
    act(engine, case_id, "submit", people.requester)
    expected, got = _both_ways(
        db, sql.GATE_STEPS_IN_PLAY_WITH_DECISIONS, {"case_id": case_id, "gate": "route_approval"}
    )
    assert got == expected and got  # the gate's steps, in order, with NULL decisions


def test_whether_an_evaluation_is_on_record_reads_the_same(engine, db):
    """The award's guards read an evaluation only where criteria or tenders are on record: the case's read says."""
    people = hub_people(db)
    nothing, criteria, tenders = (new_request(engine, people.requester, value="18000") for _ in range(3))
    with db.unit_of_work() as session:
        session.add(AwardCriterion(case_id=criteria, position=1, name="Price", kind="price", weighting=100))
        tender = Tender(case_id=tenders, supplier_name="Acme Ltd", supplier_key="acme", supplier_is_sme=True,
                        supplier_is_vcse=False, price=Decimal("17000"), received_on=date(2026, 3, 2),
                        recorded_by_id=people.officer)  # fmt: skip
        session.add(tender)
    for case_id, recorded in ((nothing, False), (criteria, True), (tenders, True)):
        params = {"case_id": case_id, "actor_id": people.officer}
        expected, got = _both_ways(db, sql.CASE_WITH_ACTOR, params)
        assert got == expected
        with db.transaction() as tx:
            assert bool(tx.first(sql.LOCK_CASE_WITH_ACTOR, params).evaluation_recorded) is recorded


def test_a_cases_steps_at_every_gate_read_the_same(engine, db):
    people = hub_people(db)
    case_id = new_request(engine, people.requester, value="250000")
    act(engine, case_id, "submit", people.requester)
    expected, got = _both_ways(db, sql.CASE_STEPS_IN_PLAY_WITH_DECISIONS, {"case_id": case_id})
    gate = list(sql.CASE_STEPS_IN_PLAY_WITH_DECISIONS.selected_columns.keys()).index("gate")
    assert got == expected and {row[gate] for row in got} == {"route_approval"}


def test_writes_through_the_driver_are_read_back_by_sqlalchemy(db):
    at = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
    with db.transaction() as tx:
        count = tx.execute(
            insert(User.__table__),
            [
                {"username": name, "full_name": name.title(), "email": f"{name}@x.gov.uk", "created_at": at}
                for name in ("ann", "bob")
            ],
        )
        assert count == 2
    with db.reading() as session:
        users = session.scalars(select(User).order_by(User.username)).all()
    assert [(u.username, u.created_at, u.is_active, u.failed_sign_ins) for u in users] == [
        ("ann", at, True, 0),  # constant column defaults are applied, as SQLAlchemy applies them
        ("bob", at, True, 0),
    ]


def _new_case_and_its_opening_event(engine, db) -> tuple[int, dict]:
    """A new request, and its first audit event's columns (to write again where they are refused)."""
    case_id = new_request(engine, hub_people(db).requester)
    with db.reading() as session:
        opened = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)).one()
    return case_id, {column: getattr(opened, column) for column in sql.EVENT_COLUMNS}


def test_a_refusal_by_the_database_is_sqlalchemys_integrity_error_and_nothing_is_saved(engine, db):
    case_id, duplicate = _new_case_and_its_opening_event(engine, db)
    with pytest.raises(IntegrityError), db.transaction() as tx:
        tx.execute(sql.UPDATE_CASE, {"b_id": case_id, "b_version": 1, "title": "Changed"})
        tx.insert_returning(sql.INSERT_AUDIT_EVENT, duplicate)  # the same position in the case's chain
    with db.reading() as session:
        assert session.get(Case, case_id).title == "Case management system"


def _person(name: str) -> dict:
    return {"username": name, "full_name": name.title(), "email": f"{name}@x.gov.uk", "created_at": datetime.now(UTC)}


def test_held_writes_reach_the_database_in_order_before_whatever_runs_next(db):
    """The door holds its writes back (on PostgreSQL, to send them in one round trip with what follows):
    a later read through the driver, SQLAlchemy or the ORM still finds them, in the order given."""
    users = User.__table__
    count = select(func.count()).select_from(users)
    with db.transaction() as tx:
        tx.write(insert(users), _person("ann"))
        assert tx.scalar(count) == 1  # the driver's next read carries the held write
        tx.write(insert(users), [_person("bob"), _person("cat")])
        assert tx.session.scalar(select(func.count(User.id))) == 3  # so does the ORM
        rename = update(users).where(users.c.username == "ann").values(full_name=bindparam("b_name"))
        tx.write(rename, {"b_name": "Ann A"})
        tx.write(rename, {"b_name": "Ann B"})
        assert tx.connection().scalar(select(users.c.full_name).where(users.c.username == "ann")) == "Ann B"
        tx.write(update(users), {"job_title": "Buyer"})
        retire = update(users).where(users.c.job_title == bindparam("b_job")).values(is_active=False)  # a literal
        assert tx.execute(retire, {"b_job": "Buyer"}) == 3  # the held write went first
        tx.write(insert(users), _person("dan"))  # held until the COMMIT
    with db.reading() as session:
        people = session.execute(select(User.username, User.full_name, User.is_active).order_by(User.username))
        assert people.all() == [
            ("ann", "Ann B", False),
            ("bob", "Bob", False),
            ("cat", "Cat", False),
            ("dan", "Dan", True),
        ]


def test_the_doors_transaction_is_one_whoever_speaks_first_and_psycopg_adds_no_begin_or_commit(db):
    """The door sends its own BEGIN and COMMIT on a connection psycopg also talks on (not in autocommit mode):
    where the ORM speaks first, the door's BEGIN still goes first, psycopg sends no second one (the server
    would warn of a transaction already in progress), and everything commits, or nothing does."""
    users = User.__table__
    notices: list[str] = []
    with db.transaction() as tx:
        driver_connection = tx.connection().connection.driver_connection
        if db.is_postgresql:
            driver_connection.add_notice_handler(lambda notice: notices.append(notice.message_primary))
        assert tx.session.scalar(select(func.count(User.id))) == 0  # the ORM first
        tx.write(insert(users), _person("ann"))
        began = "(SELECT xact_start < statement_timestamp() FROM pg_stat_activity WHERE pid = pg_backend_pid())"
        if db.is_postgresql:  # one transaction, begun before this statement
            assert tx.scalar(select(literal_column(began))) is True
    assert notices == []
    with pytest.raises(RuntimeError), db.transaction() as tx:
        tx.session.add(User(**_person("bob")))
        tx.session.flush()
        tx.write(insert(users), _person("cat"))
        assert tx.scalar(select(func.count()).select_from(users)) == 3
        raise RuntimeError("the action fails after its writes")
    with db.reading() as session:
        assert session.scalars(select(User.username)).all() == ["ann"]
    if db.is_postgresql:
        assert driver_connection.info.transaction_status.name == "IDLE"


def test_questions_asked_together_each_get_their_own_rows(db):
    """``rows_together``: one round trip on PostgreSQL for several questions, the held writes first."""
    users = User.__table__
    names = select(users.c.username).order_by(users.c.username)
    with db.transaction() as tx:
        tx.write(insert(users), [_person("ann"), _person("bob")])
        added, listed, counted = tx.rows_together(
            (insert(users).returning(users.c.username), _person("cat")),
            (names, {}),
            (select(func.count()).select_from(users).where(users.c.username != bindparam("b_not")), {"b_not": "ann"}),
        )
    assert [row.username for row in added] == ["cat"]
    assert [row.username for row in listed] == ["ann", "bob", "cat"]
    assert [tuple(row) for row in counted] == [(2,)]


def test_a_refusal_of_a_held_write_is_sqlalchemys_error_and_nothing_is_saved(engine, db):
    case_id, duplicate = _new_case_and_its_opening_event(engine, db)
    with pytest.raises(IntegrityError), db.transaction() as tx:  # raised by the write or by the COMMIT
        tx.write(sql.UPDATE_CASE, {"b_id": case_id, "b_version": 1, "title": "Changed"})
        tx.write(sql.INSERT_AUDIT_EVENT, duplicate)
        tx.write(insert(User.__table__), _person("eve"))  # after the refusal: the server skips it
    with db.reading() as session:
        assert session.get(Case, case_id).title == "Case management system"
        assert session.scalar(select(User).where(User.username == "eve")) is None


@pytest.mark.postgres_only(reason="the case's move, its event and its messages are one PostgreSQL statement")
def test_a_case_that_moved_during_the_action_refuses_the_whole_transaction(engine, db):
    """The door does not wait for the answer to its write before the COMMIT, so the version check is the
    database's own: a stale version fails the statement and nothing of the transaction is saved."""
    case_id, opened = _new_case_and_its_opening_event(engine, db)
    event = opened | {"seq": 2, "action": "submit"}
    params = {"b_id": case_id, "b_version": 7, "b_refusal": "REQ changed while 'submit' was being taken"}
    params |= {"u_state": "route_approval"} | {f"e_{name}": value for name, value in event.items()}
    with pytest.raises(OperationalError, match="changed while 'submit' was being taken"), db.transaction() as tx:
        tx.write(insert(User.__table__), _person("fay"))
        tx.write(sql.move_and_record(("state",)), params)
    with db.reading() as session:
        assert session.get(Case, case_id).state == "draft"
        assert session.scalar(select(User).where(User.username == "fay")) is None
        assert session.scalar(select(func.count()).where(AuditEvent.case_id == case_id)) == 1


def test_a_statement_whose_default_python_computes_is_refused_with_the_column_named(db):
    with pytest.raises(ValueError, match=r"give cases\.\w+ a value"), db.transaction() as tx:
        tx.execute(insert(Case.__table__), {"title": "No defaults"})


def test_an_expanding_in_list_is_refused_with_what_to_write_instead(db):
    statement = select(Case.id).where(Case.state.in_(bindparam("states", expanding=True)))
    with pytest.raises(ValueError, match="literal"), db.transaction() as tx:
        tx.rows(statement, {"states": ["draft"]})


@pytest.mark.postgres_only(reason="terminates its own PostgreSQL backend")
def test_a_connection_lost_under_the_driver_is_invalidated(db):
    with pytest.raises(OperationalError), db.transaction() as tx:
        tx.rows(text("SELECT pg_terminate_backend(pg_backend_pid())").columns())
    with db.transaction() as tx:  # the pool hands out a live connection next
        assert DriverStatements(tx.connection()).scalar(select(text("1"))) == 1


@pytest.mark.postgres_only(reason="psycopg's cache of PostgreSQL's prepared statements")
def test_the_doors_prepared_statements_are_made_again_after_psycopg_deallocates_them(db):
    """The door prepares its statements through psycopg's own cache, so when psycopg drops every prepared
    statement of the connection (it does after a rollback), the door prepares them again instead of asking
    for ones the server has forgotten."""
    count = select(func.count()).select_from(User.__table__)
    with db.transaction() as tx:
        connection = tx.connection().connection.dbapi_connection
        assert tx.scalar(count) == 0
    assert connection._prepared._names  # the statement is prepared on the connection
    with pytest.raises(LookupError), db.transaction() as tx:  # rolled back: psycopg deallocates them all
        assert tx.connection().connection.dbapi_connection is connection
        assert tx.scalar(count) == 0
        raise LookupError("something the action could not find")
    assert not connection._prepared._names
    with db.transaction() as tx:
        assert tx.connection().connection.dbapi_connection is connection
        tx.write(insert(User.__table__), _person("gus"))
        assert tx.scalar(count) == 1


@pytest.mark.postgres_only(reason="psycopg's cache of PostgreSQL's prepared statements")
def test_a_read_only_transaction_prepares_as_psycopg_would(db):
    """Only the door prepares a statement on first use: a read-only transaction ends in a rollback, after which
    psycopg would deallocate it again (a round trip more for nothing), so there psycopg counts uses first."""
    with db.looking() as tx:
        assert tx.scalar(select(func.count()).select_from(User.__table__)) == 0
        assert not tx.connection().connection.dbapi_connection._prepared._names


def test_a_value_the_driver_cannot_send_is_sqlalchemys_error_and_the_connection_stays_usable(db):
    rename = update(User.__table__).values(full_name=bindparam("b_name"))
    with pytest.raises(StatementError), db.transaction() as tx:
        tx.write(insert(User.__table__), _person("hal"))
        tx.execute(rename, {"b_name": object()})
    with db.transaction() as tx:
        assert tx.scalar(select(func.count()).select_from(User.__table__)) == 0


@pytest.mark.postgres_only(reason="libpq's sending of a batch the socket cannot take at once")
def test_a_batch_longer_than_the_socket_takes_at_once_arrives_whole(db, monkeypatch):
    waits = []
    wait = driver._wait
    monkeypatch.setattr(driver, "_wait", lambda socket_, event: waits.append(event) or wait(socket_, event))
    people = [_person(f"p{n:05}") | {"job_title": "x" * 200} for n in range(3000)]  # about 1 MB
    with db.transaction() as tx:
        fd = tx.connection().connection.dbapi_connection.pgconn.socket
        with socket.socket(fileno=os.dup(fd)) as same_socket:  # a small send buffer: it fills, so libpq waits
            same_socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        tx.write(insert(User.__table__), people)  # held, then sent with the COMMIT
    assert POLLOUT in waits
    with db.reading() as session:
        assert session.scalar(select(func.count(User.id))) == 3000
