"""The migrations are the schema: migrated to head, each database matches the models exactly, and every
migration can be undone and redone (a release can be rolled back)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select, text

from provision_cycle.db import Database
from provision_cycle.migrate import downgrade, upgrade
from provision_cycle.models import Base


def _differences(engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)


def test_the_migrated_schema_is_the_models(db):
    assert _differences(db.engine) == []


def test_every_migration_downgrades_and_upgrades_again(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'schema.sqlite3'}")
    upgrade(engine)
    downgrade(engine, "base")
    upgrade(engine)
    assert _differences(engine) == []
    engine.dispose()


def test_a_migration_that_rebuilds_a_referenced_table_keeps_its_rows_on_sqlite(tmp_path):
    """SQLite rebuilds a table to drop a column; with foreign keys enforced, as the application has them,
    dropping the old contracts table under its tasks would fail. 0014 does this to a register in use."""
    database = Database(f"sqlite:///{tmp_path / 'live.sqlite3'}")
    upgrade(database.engine, "0013")
    with database.engine.begin() as conn:
        for statement in (
            "INSERT INTO users (id, username, full_name, email, job_title, is_active, failed_sign_ins, created_at)"
            " VALUES (1, 'cm', 'C M', 'cm@x.gov.uk', '', 1, 0, '2026-11-01')",
            "INSERT INTO cases (id, stage, workflow, workflow_version, state, version, title, description,"
            " authority, pillar, category, contract_type, estimated_value, vat_treatment, key_decision,"
            " requester_id, details, created_at, updated_at, audit_seq, audit_head) VALUES (1, 'contract',"
            " 'contract', 1, 'live', 1, 'Care', '', 'OCC', 'cnc', 'ict', 'services', 1000, 'standard', 0, 1, '{}',"
            " '2026-11-01', '2026-11-01', 0, '')",
            "INSERT INTO contracts (id, reference, case_id, title, description, authority, pillar, category,"
            " contract_type, regime, supplier_name, supplier_is_sme, supplier_is_vcse, value, vat_treatment,"
            " start_date, end_date, extension_months_available, notice_period_days, risk, created_at,"
            " next_review_on) VALUES (1, 'CON-1', 1, 'Care', '', 'OCC', 'cnc', 'ict', 'services', 'PA2023', 'S',"
            " 0, 0, 1000, 'standard', '2026-01-01', '2028-12-31', 0, 90, 'medium', '2026-11-01', '2027-01-01')",
            "INSERT INTO tasks (subject_key, kind, title, detail, contract_id, case_id, assignee_id, due_on,"
            " status, snooze_reason, outcome, outcome_note, created_at) VALUES ('contract:1', 'contract_review',"
            " 'Review', '', 1, 1, 1, '2027-01-01', 'open', '', '', '', '2026-11-01')",
        ):
            conn.execute(text(statement))
    upgrade(database.engine)
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tasks WHERE contract_id = 1")).scalar() == 1
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1  # enforced again afterwards
    assert _differences(database.engine) == []
    database.dispose()


def test_contract_cases_take_their_contracts_value_on_upgrade(core, db):
    """0018: a case whose contract a variation changed before its value followed the contract's."""
    from provision_cycle.models import Case

    from .factories import hub_people, register_contract

    people = hub_people(db)
    contract = register_contract(core, people, value="400000", ends=date(2028, 6, 30))
    downgrade(db.engine, "0017")
    with db.engine.begin() as conn:  # as a variation made before 0018 left it
        conn.execute(text("UPDATE contracts SET value = 480000 WHERE id = :id"), {"id": contract.id})
    upgrade(db.engine)
    with db.reading() as session:
        assert session.get(Case, contract.case_id).estimated_value == Decimal("480000")


def test_suppliers_are_keyed_on_upgrade(core, db):
    """0020: the contracts and payments already there get their suppliers' keys."""
    from provision_cycle.services.spend import load_spend

    from .factories import hub_people, register_contract

    people = hub_people(db)
    register_contract(core, people, value="400000", ends=date(2028, 6, 30), supplier_name="The ACME Ltd.")
    spend = "Council,Transaction number,Date paid,Supplier,Amount\nOCC,T-1,2026-01-05,Acme Limited,100\n"
    load_spend(core, spend.encode(), actor_id=people.system, apply=True)
    downgrade(db.engine, "0019")
    upgrade(db.engine)
    with db.engine.connect() as conn:
        keys = conn.execute(text("SELECT supplier_key FROM contracts UNION ALL SELECT supplier_key FROM payments"))
        assert [key for (key,) in keys] == ["acme", "acme"]


def test_documents_move_from_their_folder_into_the_database_on_upgrade(core, db, tmp_path, monkeypatch):
    """0024: each document's file is read into the database, its checksum checked; one whose file is missing
    is left without content (its download says so), and the upgrade goes on."""
    from io import BytesIO

    from provision_cycle.errors import NotFound
    from provision_cycle.services.documents import attach_document, open_document

    from .factories import hub_people, new_request

    monkeypatch.setenv("PC_INSTANCE_DIR", str(tmp_path))  # where the migrations find the documents folder
    people = hub_people(db)
    case_id = new_request(core.engine, people.requester, value="18000")
    kept, lost = (
        attach_document(core, case_id, people.requester, name, BytesIO(b"%PDF-1.7 " + name.encode()))
        for name in ("spec.pdf", "lost.pdf")
    )
    downgrade(db.engine, "0023")  # as 0023 kept them: files under random names
    with db.engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT id, stored_name FROM documents")).all())
    assert (tmp_path / "documents" / stored[kept]).read_bytes() == b"%PDF-1.7 spec.pdf"
    (tmp_path / "documents" / stored[lost]).unlink()
    upgrade(db.engine)
    assert open_document(core, case_id, kept, people.requester)[1] == b"%PDF-1.7 spec.pdf"
    with pytest.raises(NotFound, match="The file of lost.pdf is missing"):
        open_document(core, case_id, lost, people.requester)


def test_a_step_answered_before_the_upgrade_is_back_with_its_approvers_from_the_answer(core, db, clock):
    """0046: an open step whose requester answered a question before it takes the answer's time from the
    audit trail; one never asked keeps none."""
    from provision_cycle.models import ApprovalStep

    from .factories import act, declare, hub_people, new_request

    people = hub_people(db)
    asked, quiet = (new_request(core.engine, people.requester, value="18000") for _ in range(2))
    for case_id in (asked, quiet):
        act(core.engine, case_id, "submit", people.requester)
    declare(core.engine, asked, people.manager)
    act(core.engine, asked, "request_info", people.manager, reason="Which budget?")
    clock.set(date(2026, 3, 16))
    act(core.engine, asked, "provide_info", people.requester, reason="CS-330")
    downgrade(db.engine, "0045")
    upgrade(db.engine)
    with db.reading() as session:
        answered = dict(session.execute(select(ApprovalStep.case_id, ApprovalStep.answered_at)).all())
    assert answered[asked].date() == date(2026, 3, 16) and answered[quiet] is None


def test_contracts_take_their_maximum_term_on_upgrade(core, db):
    """0048: three years from 1 July 2025 to 30 June 2028 with two years of options run at most 60 months; one
    ending on the last day of February, 1 March 2024 to 28 February 2027, 36 with none. Each as the register
    would keep it for a contract loaded now (computed in Python, on insert)."""
    from provision_cycle.models import Contract

    from .factories import hub_people, register_contract

    people = hub_people(db)
    optioned = register_contract(core, people, value="500000", starts=date(2025, 7, 1), ends=date(2028, 6, 30),
                                 extension_months_available=24)  # fmt: skip
    leap = register_contract(core, people, value="50000", starts=date(2024, 3, 1), ends=date(2027, 2, 28))
    with db.reading() as session:
        kept = dict(session.execute(select(Contract.id, Contract.maximum_term_months)).all())
    assert (kept[optioned.id], kept[leap.id]) == (60, 36)
    downgrade(db.engine, "0047")
    upgrade(db.engine)
    with db.reading() as session:
        assert dict(session.execute(select(Contract.id, Contract.maximum_term_months)).all()) == kept


def test_authenticator_keys_are_sealed_on_upgrade(core, db, monkeypatch):
    """0028: a key set up before is sealed with the settings the upgrade runs with, and still makes the codes
    its app shows; undone, it is the plain key again."""
    from provision_cycle.services import two_factor
    from provision_cycle.services.sealed import SEALED

    from .factories import create_user

    monkeypatch.setenv("SECRET_KEY", core.settings.secret_key)  # the migration reads the service's settings
    person = create_user(db)
    two_factor.start_setting_up(core, person)
    _, key = two_factor.key_being_set_up(core, person)
    downgrade(db.engine, "0027")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT two_factor_secret FROM users WHERE id = :id"), {"id": person}).scalar() == key
    upgrade(db.engine)
    with db.engine.connect() as conn:
        stored = conn.execute(text("SELECT two_factor_secret FROM users WHERE id = :id"), {"id": person}).scalar()
    assert stored.startswith(SEALED) and key not in stored
    codes = two_factor.turn_on(core, person, two_factor.code_at(key, two_factor.step_of(core.engine.clock())))
    assert len(codes) == two_factor.RECOVERY_CODES


def test_cases_already_at_a_gate_learn_who_put_them_forward_on_upgrade(core, db, clock):
    """0066: the proposer, from the audit chain, of a case waiting at a gate: the officer who recommended an
    award, the requester who submitted a request; a case at no gate is left as it was."""
    from provision_cycle.models import Case

    from .factories import act, award_recommended, hub_people, new_request

    people = hub_people(db)
    award = award_recommended(core.engine, clock, people)
    request = new_request(core.engine, people.requester, value="18000")
    act(core.engine, request, "submit", people.requester)
    draft = new_request(core.engine, people.requester, value="18000")
    downgrade(db.engine, "0065")
    with db.reading() as session:
        assert all("proposed_by" not in session.get(Case, i).details for i in (award, request, draft))
    upgrade(db.engine)
    with db.reading() as session:
        found = {i: session.get(Case, i).details.get("proposed_by") for i in (award, request, draft)}
    assert found == {award: people.officer, request: people.requester, draft: None}


def test_decision_records_learn_the_urgency_rule_they_were_taken_under_on_upgrade(core, db):
    """0068: a key decision's record made before the upgrade takes its urgency rule from how its reasons open."""
    from provision_cycle.models import DecisionRecord

    from .factories import act, approve_open_steps, hub_people, new_request

    people = hub_people(db)
    taken = {}
    for how in ("special_urgency", "general_exception", None):
        case_id = new_request(core.engine, people.requester, value="1200000")
        act(core.engine, case_id, "submit", people.requester)
        answers = {"key_decision_urgency": how, "urgency_reasons": "It cannot wait"} if how else {}
        if how == "special_urgency":
            answers["urgency_agreed_by"] = "Cllr Jo Smith"
        published = "2026-02-20" if how else "2026-01-01"
        act(
            core.engine,
            case_id,
            "record_forward_plan",
            people.officer,
            inputs={"forward_plan_published_on": published, **answers},
        )
        approve_open_steps(core.engine, db, people, case_id)
        taken[case_id] = how
    downgrade(db.engine, "0067")
    upgrade(db.engine)
    with db.reading() as session:
        found = dict(session.execute(select(DecisionRecord.case_id, DecisionRecord.urgency)).all())
    assert found == taken
