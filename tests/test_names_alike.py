"""Names that look alike: suggested to the intelligence team as perhaps one supplier, with why, until recorded as
one or judged to be different companies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from provision_cycle.errors import InvalidInput, NotPermitted
from provision_cycle.models import AuditEvent, SupplierDistinction
from provision_cycle.models.suppliers import alike_key, supplier_key
from provision_cycle.services.names_alike import names_alike, record_different_suppliers
from provision_cycle.services.spend import load_spend
from provision_cycle.services.suppliers import names_sharing_a_number, record_same_supplier

from .factories import create_user, hub_people, register_contract


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Oxford Shire Care Ltd", "OXFORDSHIRE CARE LIMITED"),  # spacing
        ("A.C.M.E. Ltd", "Acme"),  # punctuation, then spacing
        ("Acme UK Ltd", "Acme Group PLC"),  # words that name no company
        ("Acme Svcs", "Acme Services"),  # an abbreviation
        ("Smith & Sons", "Smith Sons"),
        ("ACME SERVICES LIMI", "Acme Services Ltd"),  # cut short in its legal form
        ("ACME SERVICES LT", "Acme Services"),
    ],
)
def test_names_spelt_alike_share_an_alike_key(one, other):
    assert alike_key(supplier_key(one)) == alike_key(supplier_key(other))


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Acme Ltd", "Acme Facilities Ltd"),
        ("Acme Services", "Acme"),
        ("UK Power Networks", "Power Networks"),
        ("Lim", "Li"),  # a legal form cut short only at the end of a name with more to it
    ],
)
def test_names_a_word_apart_are_not_alike(one, other):
    # "UK" is set aside as a word: "UK Power Networks" is alike "Power Networks" (a suggestion, not a record).
    alike = alike_key(supplier_key(one)) == alike_key(supplier_key(other))
    assert alike == (one == "UK Power Networks")


SPEND = (
    "Council,Transaction number,Date paid,Supplier,Amount,Contract reference,Individual\n"
    "OCC,T-1,2026-02-01,OXFORD SHIRE CARE PARTNERSHIP,1000,,no\n"  # spelt apart
    "OCC,T-2,2026-02-02,OXFORDSHIRE CARE PARTNE,500,,no\n"  # cut short by the finance system
    "OCC,T-3,2026-02-03,Acme UK Ltd,40,,no\n"
    "OCC,T-4,2026-02-04,Oxfordshire County Council Pension Fund,900,,no\n"  # a whole word more: another body
    "OCC,T-5,2026-02-05,Oxfordshire County Council,800,,no\n"
    "OCC,T-6,2026-02-06,Acme Facilities,30,,no\n"
)


@pytest.fixture
def alike(core, db):
    people = hub_people(db)
    register_contract(
        core, people, value="48000", ends=date(2028, 3, 31), supplier_name="Oxfordshire Care Partnership Ltd"
    )
    register_contract(core, people, value="9000", ends=date(2028, 3, 31), supplier_name="Acme Group Ltd")
    load_spend(core, SPEND.encode(), actor_id=people.system, apply=True)
    return people, create_user(db, ("intelligence_analyst", "OCC"), full_name="Zoe Turner")


def _suggested(core, db, person: int) -> list[tuple[list[tuple[str, int, Decimal]], bool]]:
    with db.reading() as session:
        found = names_alike(session, core.engine.actor(session, person), core.engine.today())
    return [([(n.name, n.contracts, n.paid_this_year) for n in group.names], group.cut_short) for group in found]


def test_names_alike_are_suggested_with_why_the_most_paid_first(core, db, alike):
    """The care partnership's register name, a payment spelt apart and one cut short are one suggestion (the
    register's name first); Acme's two names another. Another body whose name is the council's and more,
    and a company a word apart, are not suggested."""
    people, analyst = alike
    assert _suggested(core, db, analyst) == [
        (
            [
                ("Oxfordshire Care Partnership Ltd", 1, Decimal(0)),
                ("OXFORD SHIRE CARE PARTNERSHIP", 0, Decimal("1000.00")),
                ("OXFORDSHIRE CARE PARTNE", 0, Decimal("500.00")),
            ],
            True,
        ),
        ([("Acme Group Ltd", 1, Decimal(0)), ("Acme UK Ltd", 0, Decimal("40.00"))], False),
    ]
    assert _suggested(core, db, create_user(db, ("category_officer", "CDC", "cnc"))) == []  # sees none of them


def test_names_recorded_as_one_or_judged_different_are_no_longer_suggested(core, db, alike):
    people, analyst = alike
    record_same_supplier(core, analyst, "oxford shire care partnership", "oxfordshire care partnership", "Invoices")
    [care, _] = _suggested(core, db, analyst)
    assert [name for name, _, _ in care[0]] == ["Oxfordshire Care Partnership Ltd", "OXFORDSHIRE CARE PARTNE"]
    assert care[0][0][2] == Decimal("1000.00")  # paid under its other name, now its own

    said = "Companies House: Acme UK is 09876543, Acme Group 01234567"
    assert record_different_suppliers(core, analyst, ["acme uk", "acme group"], said) == ["acme group", "acme uk"]
    assert [group[0][0][0] for group in _suggested(core, db, analyst)] == ["Oxfordshire Care Partnership Ltd"]
    with db.reading() as session:
        [pair] = session.scalars(select(SupplierDistinction)).all()
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "record_different_suppliers")).one()
    assert (pair.key, pair.other, pair.reason, pair.recorded_by_id) == ("acme group", "acme uk", said, analyst)
    assert (event.actor_id, event.comment, event.data) == (analyst, said, {"keys": ["acme group", "acme uk"]})

    # A third name alike comes up again, with the two judged apart, for the new one to be judged.
    load_spend(core, b"Council,Transaction number,Date paid,Supplier,Amount\nOCC,T-9,2026-02-09,ACME GRP,5\n",
               actor_id=people.system, apply=True)  # fmt: skip
    assert [name for name, _, _ in _suggested(core, db, analyst)[1][0]] == ["Acme Group Ltd", "Acme UK Ltd", "ACME GRP"]


def test_judging_names_different_says_what_is_wrong_and_saves_nothing(core, db, alike):
    people, analyst = alike
    with pytest.raises(NotPermitted, match="Only the intelligence team"):
        record_different_suppliers(core, people.head, ["acme uk", "acme group"], "Different numbers")
    with pytest.raises(InvalidInput) as refused:
        record_different_suppliers(core, analyst, ["acme uk", "nobody we know"], " ")
    assert refused.value.fields == {
        "reason": "Say how you know they are different companies (their registration numbers, addresses)",
        "keys": "No contract, payment, tender, request to participate, dynamic market or framework you can see is with that supplier",
    }
    with pytest.raises(InvalidInput, match="at least two suppliers"):
        record_different_suppliers(core, analyst, ["acme uk", "acme uk"], "Itself")
    record_same_supplier(core, analyst, "acme uk", "acme group", "One company")
    with pytest.raises(InvalidInput, match="these are recorded as one"):
        record_different_suppliers(core, analyst, ["acme uk", "acme group"], "Not after all")
    with db.reading() as session:
        assert session.scalars(select(SupplierDistinction)).all() == []
        assert not session.scalars(select(AuditEvent).where(AuditEvent.action == "record_different_suppliers")).all()


def test_names_sharing_a_number_judged_different_leave_the_list(core, db):
    people = hub_people(db)
    for name in ("Acme Ltd", "Bodge Ltd"):  # one number given for both: a mistake in the register, say
        register_contract(
            core, people, value="9000", ends=date(2028, 3, 31), supplier_name=name, registration="01234567"
        )
    analyst = create_user(db, ("intelligence_analyst", "OCC"))

    def numbers() -> list[str]:
        with db.reading() as session:
            return [shared.number for shared in names_sharing_a_number(session, core.engine.actor(session, analyst))]

    assert numbers() == ["01234567"]
    record_different_suppliers(core, analyst, ["acme", "bodge"], "Bodge is 07654321 at Companies House")
    assert numbers() == []
