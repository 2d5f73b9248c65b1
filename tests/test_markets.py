"""Dynamic markets (PA23 s34-39): opened with their intention notice, established, modified and ceased; suppliers
admitted (checked first against the exclusion grounds) or refused, and removed; and a competitive flexible
procedure restricted to a market's members, whose tenders alone are assessed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from provision_cycle.errors import InvalidAction, InvalidInput, NotFound, NotPermitted
from provision_cycle.governance.statutory import PPON_EXPECTED
from provision_cycle.models import AuditEvent, DynamicMarket, MarketMembership, MarketNoticeKind, OutboxMessage
from provision_cycle.scheduling.config import schedule_for
from provision_cycle.scheduling.sweeps import Mailer, deliver_notifications, remind_market_applications
from provision_cycle.services import evaluation, markets
from provision_cycle.services.evaluation import TenderGiven
from provision_cycle.services.markets import ApplicationGiven, MarketGiven
from provision_cycle.services.overview import pipeline_overview
from provision_cycle.workflow.evaluation import evaluation_of
from provision_cycle.workflow.markets import members_of, status_of

from .factories import act, hub_people, invite_tenders, open_market, ready_for_the_market, ready_to_recommend


@pytest.fixture
def people(db):
    return hub_people(db)


def _apply(core, people, market_id, name, applied=date(2026, 2, 9)) -> int:
    return markets.record_application(core, market_id, people.officer, ApplicationGiven(name, "", True, False, applied))


def _read(db, market_id) -> DynamicMarket:
    with db.reading() as session:
        options = (selectinload(DynamicMarket.notices), selectinload(DynamicMarket.memberships))
        market = session.get(DynamicMarket, market_id, options=options)
        session.expunge_all()
        return market


NOTICE = {
    "tender_notice_published_on": "2026-03-02",
    "participation_closes_on": "2026-03-27",
    "market_engaged": False,
    "by_dynamic_market": True,
}


EVERYONE = "Acme Cars\nBodge Transport\nCareful Coaches\nDodgy Minicabs"


def _restricted_to(core, clock, people, case_id, restriction: str) -> None:
    """A competitive flexible procedure restricted to ``restriction`` (a market, or "market/part"), its
    participation period over on 30 March 2026."""
    act(core.engine, case_id, "publish_tender_notice", people.officer, inputs={**NOTICE, "dynamic_market": restriction})
    clock.set(date(2026, 3, 30))


def _invite(core, people, case_id, invited: str) -> None:
    invite_tenders(core.engine, case_id, people.officer, invited)


def _to_evaluation(core, clock, people, case_id, invited: str) -> None:
    """Tenders invited from ``invited`` on 30 March 2026, the procedure at evaluation on 27 April."""
    _invite(core, people, case_id, invited)
    clock.set(date(2026, 4, 27))
    act(core.engine, case_id, "close_tenders", people.officer)


def test_a_market_lives_through_its_notices(core, db, clock, people):
    with pytest.raises(InvalidInput) as refused:
        open_market(
            core,
            people,
            title=" ",
            intention_published_on=date(2026, 3, 3),
            category="nope",
            intention_notice_id="x" * 41,
        )
    assert refused.value.fields == {
        "title": "Enter the market's title",
        "category": "Choose the category of what the market is for",
        "intention_published_on": "The date the intention notice was published cannot be in the future",
        "intention_notice_id": "Keep the notice identifier to 40 characters",
    }
    with pytest.raises(InvalidInput) as refused:
        open_market(core, people, intention_published_on=date(26, 3, 2))
    assert refused.value.fields == {"intention_published_on": "0026-03-02 is not a plausible date: check the year"}
    market_id = open_market(core, people, intention_notice_id="001234-2026")
    market = _read(db, market_id)
    assert market.reference == f"DM-{market_id:06d}" and market.pillar == "cnc"
    assert status_of(market) is MarketNoticeKind.INTENTION

    with pytest.raises(InvalidInput, match="cannot be before 2 February 2026"):
        markets.establish_market(core, market_id, people.officer, date(2026, 2, 1))
    with pytest.raises(InvalidAction, match="Only an established market is modified"):
        markets.modify_market(core, market_id, people.officer, date(2026, 2, 20), "Adds a lot for minibuses")
    with pytest.raises(InvalidInput, match="Keep the notice identifier to 40 characters"):
        markets.establish_market(core, market_id, people.officer, date(2026, 2, 16), notice_id="x" * 41)
    markets.establish_market(core, market_id, people.officer, date(2026, 2, 16))
    with pytest.raises(InvalidAction, match="is established already"):
        markets.establish_market(core, market_id, people.officer, date(2026, 2, 16))
    with pytest.raises(InvalidInput, match="Say what the modification changes"):
        markets.modify_market(core, market_id, people.officer, date(2026, 2, 20), " ")
    markets.modify_market(core, market_id, people.officer, date(2026, 2, 20), "Runs to 2030, not 2029")
    with pytest.raises(InvalidInput, match="cannot be before 20 February 2026"):  # the latest notice
        markets.modify_market(core, market_id, people.officer, date(2026, 2, 18), "Adds minibuses")
    markets.cease_market(core, market_id, people.officer, date(2026, 3, 2), "Replaced by a county-wide market")
    market = _read(db, market_id)
    assert status_of(market) is MarketNoticeKind.CESSATION
    assert [n.kind for n in market.notices] == ["UK13", "UK14", "UK15", "UK16"]
    assert [n.notice_id for n in market.notices] == ["001234-2026", "", "", ""]  # where the team gave one
    with pytest.raises(InvalidAction, match="ceased on 2 March 2026: it can no longer change"):
        _apply(core, people, market_id, "Late Cabs Ltd")
    with db.reading() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.stream == "system", AuditEvent.action.like("%dynamic_market%"))
        ).all()
    assert [(e.action, e.data.get("notice_id")) for e in events] == [
        ("open_dynamic_market", "001234-2026"),  # the notice's identifier on the record of the change
        ("establish_dynamic_market", None),
        ("modify_dynamic_market", None),
        ("cease_dynamic_market", None),
    ]


def test_only_the_category_team_runs_a_market(core, db, people):
    other_pillar = hub_people(db, pillar="hesc")
    with pytest.raises(NotPermitted, match="Only the Corporate and Commercial category team for OCC"):
        markets.open_market(
            core,
            other_pillar.officer,
            MarketGiven("Printing", "", "", "OCC", "ict", date(2026, 2, 2)),
        )
    market_id = open_market(core, people)
    for outsider in (other_pillar.officer, people.finance):  # staff of the council: they see it, and no more
        with pytest.raises(NotPermitted):
            markets.establish_market(core, market_id, outsider, date(2026, 2, 16))
    with pytest.raises(NotFound):  # someone who only raises requests does not see the councils' markets
        markets.establish_market(core, market_id, people.requester, date(2026, 2, 16))


def test_suppliers_are_admitted_once_checked_or_refused_and_members_removed(core, db, people):
    market_id = open_market(core, people)
    acme = _apply(core, people, market_id, "Acme Cars Ltd")
    with pytest.raises(InvalidInput, match="Acme Cars Ltd applied on 9 February 2026: decide that first"):
        _apply(core, people, market_id, "ACME CARS LIMITED")
    with pytest.raises(InvalidInput) as refused:
        markets.admit(core, market_id, acme, people.officer, date(2026, 2, 12), None)
    assert refused.value.fields == {"exclusions_checked_on": "Enter the date the supplier was checked"}
    with pytest.raises(InvalidInput, match="admitted after it is checked, not before"):
        markets.admit(core, market_id, acme, people.officer, date(2026, 2, 10), date(2026, 2, 11))
    assert markets.admit(core, market_id, acme, people.officer, date(2026, 2, 12), date(2026, 2, 11)) == "Acme Cars Ltd"
    with pytest.raises(InvalidAction, match="application was admitted on 12 February 2026"):
        markets.refuse(core, market_id, acme, people.officer, date(2026, 2, 13), "Second thoughts")
    with pytest.raises(InvalidInput, match="is a member already"):
        _apply(core, people, market_id, "Acme Cars")

    bodge = _apply(core, people, market_id, "Bodge Transport")
    with pytest.raises(InvalidInput, match="Say why the application is refused"):
        markets.refuse(core, market_id, bodge, people.officer, date(2026, 2, 13), "")
    markets.refuse(core, market_id, bodge, people.officer, date(2026, 2, 13), "No operator's licence")
    again = _apply(core, people, market_id, "Bodge Transport", applied=date(2026, 2, 20))  # may apply again

    markets.remove_member(core, market_id, acme, people.officer, date(2026, 2, 27), "Convicted of fraud (Sch 6)")
    with pytest.raises(InvalidAction, match="is not a member"):
        markets.remove_member(core, market_id, acme, people.officer, date(2026, 2, 27), "Again")
    market = _read(db, market_id)
    assert members_of(market) == []
    assert [(m.supplier_name, m.waiting, m.admitted) for m in market.memberships] == [
        ("Acme Cars Ltd", False, True),
        ("Bodge Transport", False, False),
        ("Bodge Transport", True, None),
    ]
    assert market.memberships[0].removed_because == "Convicted of fraud (Sch 6)" and again == market.memberships[2].id


def test_a_competitive_flexible_procedure_takes_tenders_from_the_market_s_members_alone(core, db, clock, people):
    """s34: the procedure may be restricted to the members of an established market of the council; a tender
    from anyone else is disregarded, once any application it made to join is decided."""
    market_id = open_market(core, people)
    case_id = ready_for_the_market(core.engine, people, value="250000", route="competitive_flexible")
    offer = core.engine.offers(case_id, people.officer, ["publish_tender_notice"])["publish_tender_notice"]
    assert not offer.asks("by_dynamic_market")  # no market is established yet
    markets.establish_market(core, market_id, people.officer, date(2026, 2, 16))
    for name in ("Acme Cars Ltd", "Bodge Transport", "Careful Coaches"):
        _apply(core, people, market_id, name)
    acme, bodge, careful = (m.id for m in _read(db, market_id).memberships)
    markets.admit(core, market_id, acme, people.officer, date(2026, 2, 12), date(2026, 2, 11))

    offer = core.engine.offers(case_id, people.officer, ["publish_tender_notice"])["publish_tender_notice"]
    choice = next(spec for spec in offer.inputs if spec.name == "dynamic_market")
    assert choice.options == ((f"DM-{market_id:06d}", f"DM-{market_id:06d}: Home to school transport"),)
    with pytest.raises(InvalidInput, match="Which dynamic market"):  # yes, but which?
        act(core.engine, case_id, "publish_tender_notice", people.officer, inputs=NOTICE)
    reference = f"DM-{market_id:06d}"
    _restricted_to(core, clock, people, case_id, reference)
    with pytest.raises(InvalidInput) as refused:  # s34(1), s34(4): members alone go on, applications decided
        _invite(core, people, case_id, EVERYONE)
    assert refused.value.fields == {
        "invited_suppliers": f"Dodgy Minicabs is not a member of the dynamic market {reference}, to whose members "
        "the procedure is restricted (Procurement Act 2023 s34(1)); decide the applications of Bodge Transport "
        "(applied 9 February 2026) and Careful Coaches (applied 9 February 2026) first (s34(4))"
    }
    markets.refuse(core, market_id, bodge, people.officer, date(2026, 3, 30), "No operator's licence")
    markets.admit(core, market_id, careful, people.officer, date(2026, 3, 30), date(2026, 3, 30))
    _to_evaluation(core, clock, people, case_id, "Acme Cars\nCAREFUL COACHES LIMITED")
    ready_to_recommend(core.engine, case_id, people)

    def tender(name):
        given = TenderGiven(name, "", True, False, "100000", date(2026, 4, 20))
        return evaluation.record_tender(core, case_id, people.officer, given)

    tender("Acme Cars")
    late = _apply(core, people, market_id, "Eager Express", applied=date(2026, 4, 1))  # since the invitation
    with pytest.raises(InvalidInput, match="Eager Express applied to join .* decide its application before its"):
        tender("Eager Express")
    markets.refuse(core, market_id, late, people.officer, date(2026, 4, 27), "No operator's licence")
    tender("Eager Express")
    tender("Bodge Transport")
    tender("Careful Coaches")
    tender("Dodgy Minicabs")  # never applied
    with pytest.raises(InvalidInput, match="Dodgy Minicabs is not a member of the dynamic market"):
        evaluation.correct_invitations(core, case_id, people.officer, "Acme Cars\nDodgy Minicabs", "Left out")
    with db.reading() as session:
        standings = {
            s.tender.supplier_name: s.tender.not_assessed_because for s in evaluation_of(session, case_id).standings
        }
    disregarded = f"Not a member of the dynamic market {reference} (Procurement Act 2023 s34(3))"
    assert standings == {
        "Acme Cars": "",
        "Eager Express": disregarded,
        "Bodge Transport": disregarded,
        "Careful Coaches": "",
        "Dodgy Minicabs": disregarded,
    }


def test_a_market_in_parts_admits_to_parts_and_a_procurement_may_take_one_part_s_members(core, db, clock, people):
    """s34(1)(b): a procurement may take part only the members of an appropriate part of a market."""
    with pytest.raises(InvalidInput, match="Give each part a name of its own"):
        open_market(core, people, parts=("North", "north "))
    market_id = open_market(core, people, parts=("North", "South"))
    markets.establish_market(core, market_id, people.officer, date(2026, 2, 16))

    def apply(name, *parts):
        given = ApplicationGiven(name, "", True, False, date(2026, 2, 20), parts)
        return markets.record_application(core, market_id, people.officer, given)

    with pytest.raises(InvalidInput, match="Choose the parts of DM-.* the supplier applies for"):
        apply("Acme Cars")
    with pytest.raises(InvalidInput, match="has no part 'East'"):
        apply("Acme Cars", "East")
    north, south = apply("Acme Cars", "North"), apply("Bodge Transport", "North", "South")
    with pytest.raises(InvalidInput, match="Acme Cars did not apply for 'South'"):
        markets.admit(core, market_id, north, people.officer, date(2026, 2, 23), date(2026, 2, 23), parts=["South"])
    markets.admit(core, market_id, north, people.officer, date(2026, 2, 23), date(2026, 2, 23))
    markets.admit(core, market_id, south, people.officer, date(2026, 2, 23), date(2026, 2, 23), parts=["South"])
    market = _read(db, market_id)
    assert [(m.supplier_name, m.parts) for m in market.memberships] == [
        ("Acme Cars", ["North"]),
        ("Bodge Transport", ["South"]),
    ]

    case_id = ready_for_the_market(core.engine, people, value="250000", route="competitive_flexible")
    offer = core.engine.offers(case_id, people.officer, ["publish_tender_notice"])["publish_tender_notice"]
    reference = f"DM-{market_id:06d}"
    assert next(spec for spec in offer.inputs if spec.name == "dynamic_market").options == (
        (reference, f"{reference}: Home to school transport (any part)"),
        (f"{reference}/1", f"{reference}: Home to school transport, part 1: North"),
        (f"{reference}/2", f"{reference}: Home to school transport, part 2: South"),
    )
    _restricted_to(core, clock, people, case_id, f"{reference}/2")
    with pytest.raises(
        InvalidInput, match=f"Acme Cars is not a member of part South of the dynamic market {reference},"
    ):
        _invite(core, people, case_id, "Acme Cars\nBodge Transport")
    _to_evaluation(core, clock, people, case_id, "Bodge Transport")
    for name in ("Acme Cars", "Bodge Transport"):
        given = TenderGiven(name, "", True, False, "100000", date(2026, 4, 20))
        evaluation.record_tender(core, case_id, people.officer, given)
    with db.reading() as session:
        why = {s.tender.supplier_name: s.tender.not_assessed_because for s in evaluation_of(session, case_id).standings}
        assert markets.procurements_by_reference_to(session, session.get(DynamicMarket, market_id))[0].id == case_id
    assert why == {
        "Acme Cars": f"Not a member of part South of the dynamic market {reference} (Procurement Act 2023 s34(3))",
        "Bodge Transport": "",
    }


def test_the_team_s_waiting_applications_are_those_of_running_markets(core, db, people):
    running, ceased = open_market(core, people), open_market(core, people, title="Old market")
    for market_id in (running, ceased):
        markets.establish_market(core, market_id, people.officer, date(2026, 2, 16))
        _apply(core, people, market_id, "Acme Cars")
    markets.cease_market(core, ceased, people.officer, date(2026, 3, 1), "Replaced")
    with db.reading() as session:
        waiting = markets.applications_waiting_for(session, core.engine.actor(session, people.officer))
        assert [m.market_id for m in waiting] == [running]
        assert markets.applications_waiting_for(session, core.engine.actor(session, people.finance)) == []


def test_the_category_team_is_emailed_an_application_it_did_not_record(core, db, tmp_path, people):
    """An application a portal sends (here under the manager's token) reaches the pillar's officers, with a link
    to the market; the one who records an application is not told of it."""
    market_id = open_market(core, people)
    markets.record_application(
        core, market_id, people.manager, ApplicationGiven("Acme Cars", "", True, False, date(2026, 2, 9))
    )
    _apply(core, people, market_id, "Bodge Transport")  # the officer's own
    with db.reading() as session:
        [message] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "market_application")).all()
    assert (message.recipient_id, message.subject) == (
        people.officer,
        f"Acme Cars applied to join DM-{market_id:06d} Home to school transport",
    )
    mailer = Mailer("localhost", 25, "hub@example.gov.uk", base_url="https://hub.example.gov.uk", drop_folder=tmp_path)
    deliver_notifications(core, schedule_for(core), mailer)
    [sent] = list(tmp_path.glob("*.eml"))
    text = sent.read_text()
    assert "within a reasonable period" in text
    assert f"Open it: https://hub.example.gov.uk/markets/{market_id}#applications" in text


def test_a_modification_adds_parts_and_members_apply_for_more_parts(core, db, clock, people):
    """A market in parts gains parts by a modification (UK15), numbered after its others; a member applies for
    the parts it is not a member of, and its tender for a procurement restricted to one of them waits for the
    decision (s34(4)), then counts once it is admitted to it. A member removed gains no parts."""
    whole = open_market(core, people, title="In one piece")
    markets.establish_market(core, whole, people.officer, date(2026, 2, 16))
    with pytest.raises(InvalidInput, match="is in one piece: a modification adds parts to a market in parts only"):
        markets.modify_market(core, whole, people.officer, date(2026, 3, 1), "Lots", ["North"])
    market_id = open_market(core, people, parts=("North", "South"))
    markets.establish_market(core, market_id, people.officer, date(2026, 2, 16))
    reference = f"DM-{market_id:06d}"

    def apply(name, *parts, on=date(2026, 2, 20)):
        given = ApplicationGiven(name, "", True, False, on, parts)
        return markets.record_application(core, market_id, people.officer, given)

    acme, bodge = apply("Acme Cars", "North"), apply("Bodge Transport", "South")
    for member in (acme, bodge):
        markets.admit(core, market_id, member, people.officer, date(2026, 2, 23), date(2026, 2, 23))
    with pytest.raises(InvalidInput, match="Give each part a name of its own"):
        markets.modify_market(core, market_id, people.officer, date(2026, 3, 2), "A new part", ["south"])
    with pytest.raises(InvalidInput, match="Only a modification adds parts"):
        markets.record_notice(core, market_id, people.officer, MarketNoticeKind.CESSATION, date(2026, 3, 2), "x", ["E"])
    markets.modify_market(core, market_id, people.officer, date(2026, 3, 2), "Routes to the east", [" East "])
    market = _read(db, market_id)
    assert market.parts == ["North", "South", "East"]
    assert [(n.kind, n.parts_added) for n in market.notices][-1] == (MarketNoticeKind.MODIFICATION, ["East"])

    with pytest.raises(InvalidInput, match="Acme Cars is a member of North already"):
        apply("ACME CARS LIMITED", "North", on=date(2026, 3, 2))
    more = apply("ACME CARS LIMITED", "North", "East", on=date(2026, 3, 2))  # for the part it lacks
    with pytest.raises(InvalidInput, match="applied on 2 March 2026: decide that first"):
        apply("Acme Cars", "East", on=date(2026, 3, 2))
    apply("Bodge Transport", "East", on=date(2026, 3, 2))
    market = _read(db, market_id)
    assert [(m.supplier_name, m.parts, m.extends_id, m.standing) for m in market.memberships[2:]] == [
        ("ACME CARS LIMITED", ["East"], acme, "waiting"),
        ("Bodge Transport", ["East"], bodge, "waiting"),
    ]

    case_id = ready_for_the_market(core.engine, people, value="250000", route="competitive_flexible")
    _restricted_to(core, clock, people, case_id, f"{reference}/3")
    with pytest.raises(InvalidInput, match=r"Decide the application of ACME CARS LIMITED \(applied 2 March 2026\)"):
        _invite(core, people, case_id, "Acme Cars")  # a member, not yet of the part named
    markets.admit(core, market_id, more, people.officer, date(2026, 3, 30), date(2026, 3, 30))
    _to_evaluation(core, clock, people, case_id, "Acme Cars")
    bodge_tender = TenderGiven("Bodge Transport", "", True, False, "90000", date(2026, 4, 20))
    with pytest.raises(InvalidInput, match=f"Bodge Transport applied for East of {reference} on 2 March 2026: decide"):
        evaluation.record_tender(core, case_id, people.officer, bodge_tender)
    markets.remove_member(core, market_id, bodge, people.officer, date(2026, 4, 27), "Licence revoked")
    evaluation.record_tender(core, case_id, people.officer, bodge_tender)
    acme_tender = TenderGiven("Acme Cars", "", True, False, "100000", date(2026, 4, 20))
    evaluation.record_tender(core, case_id, people.officer, acme_tender)
    market = _read(db, market_id)
    assert [(m.supplier_name, m.parts) for m in members_of(market)] == [("Acme Cars", ["North", "East"])]
    assert [(m.standing, m.refused_because) for m in market.memberships[2:]] == [
        ("extended", ""),
        ("refused", "Removed from the market on 27 April 2026: Licence revoked"),
    ]
    with db.reading() as session:
        standings = {
            s.tender.supplier_name: s.tender.not_assessed_because for s in evaluation_of(session, case_id).standings
        }
        assert standings == {
            "Bodge Transport": f"Not a member of part East of the dynamic market {reference} (Procurement Act 2023 s34(3))",
            "Acme Cars": "",
        }
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("%dynamic_market"))).all()
    assert actions.count("modify_dynamic_market") == 1 and actions.count("admit_to_dynamic_market") == 3


def test_the_overview_shows_the_markets_with_applications_waiting_and_since_when(core, db, people):
    """For the pillar's head: the running markets whose applications wait, the longest waiting first."""
    running, ceased, quiet = (open_market(core, people, title=title) for title in ("Taxis", "Old market", "Quiet"))
    for market_id in (running, ceased, quiet):
        markets.establish_market(core, market_id, people.officer, date(2026, 2, 16))
    _apply(core, people, running, "Acme Cars", applied=date(2026, 2, 20))
    _apply(core, people, running, "Bodge Transport", applied=date(2026, 2, 18))
    _apply(core, people, ceased, "Acme Cars")
    decided = _apply(core, people, quiet, "Acme Cars")
    markets.refuse(core, quiet, decided, people.officer, date(2026, 2, 23), "No licence")
    markets.cease_market(core, ceased, people.officer, date(2026, 3, 1), "Replaced")
    with db.reading() as session:
        head = core.engine.actor(session, people.head)
        found = pipeline_overview(core, session, head, date(2026, 3, 2)).applications_waiting
        other_pillar = pipeline_overview(core, session, head, date(2026, 3, 2), pillar="eni").applications_waiting
    assert [(w.market.title, w.waiting, w.oldest) for w in found] == [("Taxis", 2, date(2026, 2, 18))]
    assert other_pillar == []


def test_the_team_is_reminded_once_of_an_application_undecided_after_ten_working_days(core, db, people):
    """s36: decided within a reasonable period, which the schedule's file judges (10 UK working days here); one
    reminder per application, not for one decided meanwhile nor of a market that has ceased; safe to run twice."""
    schedule = schedule_for(core)
    running, ceased = open_market(core, people), open_market(core, people, title="Old market")
    for market_id in (running, ceased):
        markets.establish_market(core, market_id, people.officer, date(2026, 2, 9))
    waiting = _apply(core, people, running, "Acme Cars", applied=date(2026, 2, 9))  # a Monday
    decided = _apply(core, people, running, "Bodge Transport", applied=date(2026, 2, 9))
    markets.refuse(core, running, decided, people.officer, date(2026, 2, 10), "No licence")
    _apply(core, people, ceased, "Acme Cars", applied=date(2026, 2, 9))
    markets.cease_market(core, ceased, people.officer, date(2026, 2, 10), "Replaced")

    def reminders():
        with db.reading() as session:
            kind = OutboxMessage.kind == markets.APPLICATION_WAITING
            return [(m.recipient_id, m.subject) for m in session.scalars(select(OutboxMessage).where(kind))]

    assert remind_market_applications(core, schedule, date(2026, 2, 20)).changed == 0  # nine working days
    assert remind_market_applications(core, schedule, date(2026, 2, 23)).changed == 1
    assert remind_market_applications(core, schedule, date(2026, 2, 24)).changed == 0  # once
    assert reminders() == [
        (people.officer, f"Acme Cars's application to DM-{running:06d} has waited 10 working days"),
    ]
    with db.reading() as session:
        assert session.get(MarketMembership, waiting).reminded_at is not None


def test_only_a_public_contract_is_awarded_by_reference_to_a_market(core, db, people):
    """s34 is for public contracts: a light-touch contract below its threshold, whose competitive flexible
    procedure s85(2)-(3) allows (worth more than the goods and services threshold), may not take a market's
    members alone."""
    market_id = open_market(core, people)
    markets.establish_market(core, market_id, people.officer, date(2026, 2, 16))
    below = ready_for_the_market(
        core.engine, people, value="300000", route="competitive_flexible", contract_type="light_touch"
    )
    offer = core.engine.offers(below, people.officer, ["publish_tender_notice"])["publish_tender_notice"]
    assert not offer.asks("by_dynamic_market") and not offer.asks("dynamic_market")
    above = ready_for_the_market(core.engine, people, value="250000", route="competitive_flexible")
    assert core.engine.offers(above, people.officer, ["publish_tender_notice"])["publish_tender_notice"].asks(
        "by_dynamic_market"
    )


def test_an_application_gives_its_supplier_s_ppon_and_the_member_s_tenders_need_not_give_it_again(
    core, db, clock, people
):
    """An application to join may give the supplier's PPON (however typed; a number of another shape refused,
    nothing recorded); a tender in a procurement restricted to the market, recorded without one, takes it."""
    market_id = open_market(core, people)
    markets.establish_market(core, market_id, people.officer, date(2026, 2, 16))

    def apply(name, ppon):
        given = ApplicationGiven(name, "", True, False, date(2026, 2, 20), supplier_ppon=ppon)
        return markets.record_application(core, market_id, people.officer, given)

    with pytest.raises(InvalidInput) as refused:
        apply("Acme Cars Ltd", "PACM-12-CARS")
    assert refused.value.fields == {"supplier_ppon": PPON_EXPECTED}
    assert _read(db, market_id).memberships == []
    acme, bodge = apply("Acme Cars Ltd", " gb-ppon-pacm-1234-cars"), apply("Bodge Transport", "")
    for member in (acme, bodge):
        markets.admit(core, market_id, member, people.officer, date(2026, 2, 23), date(2026, 2, 23))
    assert [m.supplier_ppon for m in _read(db, market_id).memberships] == ["PACM-1234-CARS", ""]

    case_id = ready_for_the_market(core.engine, people, value="250000", route="competitive_flexible")
    _restricted_to(core, clock, people, case_id, f"DM-{market_id:06d}")
    _to_evaluation(core, clock, people, case_id, "Acme Cars\nBodge Transport")
    for name, ppon in (("ACME CARS", ""), ("Bodge Transport", "PBOD-1234-GETX")):
        given = TenderGiven(name, "", True, False, "100000", date(2026, 4, 20), supplier_ppon=ppon)
        evaluation.record_tender(core, case_id, people.officer, given)
    with db.reading() as session:
        tenders = {s.tender.supplier_name: s.tender.supplier_ppon for s in evaluation_of(session, case_id).standings}
        recorded = session.scalars(select(AuditEvent).where(AuditEvent.action == "record_tender")).all()
    assert tenders == {"ACME CARS": "PACM-1234-CARS", "Bodge Transport": "PBOD-1234-GETX"}
    assert [event.data.get("supplier_ppon") for event in recorded] == ["PACM-1234-CARS", "PBOD-1234-GETX"]
