"""A procurement's evaluation on the record: award criteria set before the tender notice (PA23 s23), the tenders
received, the panel's scores, and an award that follows the evaluation (s19). On SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from provision_cycle.errors import ChangedMeanwhile, GuardFailed, InvalidAction, InvalidInput, NotPermitted
from provision_cycle.models import AuditEvent, Case, TenderScore
from provision_cycle.services import evaluation
from provision_cycle.services.evaluation import TenderGiven
from provision_cycle.services.teams import add_team_member
from provision_cycle.workflow.evaluation import evaluation_of

from .factories import (
    AWARD_INPUTS,
    act,
    approve_open_steps,
    create_user,
    declare,
    hub_people,
    publish_tender_notice,
    ready_for_the_market,
    ready_to_recommend,
)

CRITERIA = [
    ("Delivery and mobilisation", "quality", "40"),
    ("Social value", "social_value", "10"),
    ("Price", "price", "50"),
]


@pytest.fixture
def people(db):
    return hub_people(db)


@pytest.fixture
def assessed(core, people):
    """A 250,000 OCC open procedure (above threshold, under the Act), its route approved and conflicts assessed:
    ready for its tender notice."""
    return ready_for_the_market(core.engine, people, value="250000")


def _to_evaluation(core, clock, people, case_id):
    publish_tender_notice(core.engine, case_id, people.officer)
    clock.set(date(2026, 4, 7))
    act(core.engine, case_id, "close_tenders", people.officer)
    ready_to_recommend(core.engine, case_id, people)


def _tender(name, price, *, sme=True, not_assessed="", received=date(2026, 3, 2)):
    return TenderGiven(name, "", sme, False, price, received, not_assessed)


@pytest.fixture
def evaluating(core, clock, people, assessed):
    """``assessed`` with its criteria set, through its tender period to evaluation with three tenders in: Acme
    (240,000), Brightwork (200,000) and Late Co (not assessed)."""
    evaluation.set_award_criteria(core, assessed, people.officer, CRITERIA)
    _to_evaluation(core, clock, people, assessed)
    ids = {
        name: evaluation.record_tender(core, assessed, people.officer, _tender(name, price, not_assessed=why))
        for name, price, why in [
            ("Acme Ltd", "240000", ""),
            ("Brightwork CIC", "200,000", ""),
            ("Late Co", "150000", "Received after the deadline"),
        ]
    }
    return assessed, ids


def _criteria_ids(db, case_id):
    with db.reading() as session:
        return [c.id for c in evaluation_of(session, case_id).criteria]


def _score(core, db, people, case_id, tender_id, *scores):
    quality, social = _criteria_ids(db, case_id)[:2]
    given = {quality: (str(scores[0]), "Clear plan"), social: (str(scores[1]), "Local apprenticeships")}
    evaluation.score_tender(core, case_id, people.officer, tender_id, given)


def test_the_criteria_are_set_before_the_tender_notice_and_add_up_to_100(core, db, people, assessed):
    with pytest.raises(InvalidInput) as refused:
        evaluation.set_award_criteria(core, assessed, people.officer, [("Quality", "quality", "60"), ("", "", "")])
    assert refused.value.fields == {"criteria": "The weightings must add up to 100%; these add up to 60%"}
    with pytest.raises(InvalidInput) as refused:
        evaluation.set_award_criteria(
            core, assessed, people.officer, [("", "quality", "60"), ("Price", "cost", "forty")]
        )
    assert refused.value.fields == {
        "criterion_1_name": "Name criterion 1, or clear its weighting too",
        "criterion_2_kind": "Choose whether criterion 2 is quality, social value or price",
        "criterion_2_weighting": "Give criterion 2's weighting as a whole per cent, from 1 to 100",
    }
    with pytest.raises(InvalidInput, match="Price is one criterion"):
        evaluation.set_award_criteria(
            core, assessed, people.officer, [("Price", "price", "50"), ("Cost", "price", "50")]
        )
    with pytest.raises(NotPermitted):
        evaluation.set_award_criteria(core, assessed, people.requester, CRITERIA)

    evaluation.set_award_criteria(core, assessed, people.officer, CRITERIA)
    with db.reading() as session:
        criteria = evaluation_of(session, assessed).criteria
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == assessed).order_by(AuditEvent.seq.desc())
        ).first()
    assert [(c.position, c.name, c.kind, c.weighting) for c in criteria] == [
        (1, "Delivery and mobilisation", "quality", 40),
        (2, "Social value", "social_value", 10),
        (3, "Price", "price", 50),
    ]
    assert event.action == "set_award_criteria"
    assert event.data["criteria"] == ["Delivery and mobilisation (40%)", "Social value (10%)", "Price (50%)"]

    publish_tender_notice(core.engine, assessed, people.officer)
    with pytest.raises(InvalidAction, match="before suppliers are invited"):
        evaluation.set_award_criteria(core, assessed, people.officer, CRITERIA)


def test_tenders_are_recorded_once_per_supplier_in_evaluation(core, db, clock, people, evaluating):
    case_id, ids = evaluating
    with pytest.raises(InvalidInput) as refused:
        evaluation.record_tender(core, case_id, people.officer, _tender("ACME LIMITED", "1"))
    assert refused.value.fields == {"supplier_name": "A tender from Acme Ltd is recorded already"}
    with pytest.raises(InvalidInput) as refused:
        evaluation.record_tender(
            core, case_id, people.officer, TenderGiven("", "", False, False, "0", date(2027, 1, 1))
        )
    assert set(refused.value.fields) == {"supplier_name", "price", "received_on"}

    # Corrected: its price was mistyped.
    evaluation.record_tender(core, case_id, people.officer, _tender("Acme Ltd", "250000"), tender_id=ids["Acme Ltd"])
    name = evaluation.remove_tender(core, case_id, people.officer, ids["Late Co"])
    assert name == "Late Co"
    with db.reading() as session:
        standings = evaluation_of(session, case_id).standings
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq)
        ).all()
    assert [(s.tender.supplier_name, s.tender.price) for s in standings] == [
        ("Acme Ltd", Decimal("250000.00")),
        ("Brightwork CIC", Decimal("200000.00")),
    ]
    assert actions[-5:] == ["record_tender", "record_tender", "record_tender", "correct_tender", "remove_tender"]


def test_tenders_wait_for_the_tender_period_to_close(core, people, assessed):
    publish_tender_notice(core.engine, assessed, people.officer)
    with pytest.raises(InvalidAction, match="in evaluation, once the tenders are in"):
        evaluation.record_tender(core, assessed, people.officer, _tender("Acme Ltd", "1000"))


def test_the_panel_scores_with_reasons_and_price_is_scored_by_formula(core, db, people, evaluating):
    case_id, ids = evaluating
    quality, social, price = _criteria_ids(db, case_id)
    with pytest.raises(InvalidInput) as refused:
        evaluation.score_tender(
            core, case_id, people.officer, ids["Acme Ltd"], {quality: ("6", "Great"), social: ("3", "")}
        )
    assert refused.value.fields == {
        f"score_{quality}": "Score 'Delivery and mobilisation' from 0 to 5",
        f"reasons_{social}": "Give the reasons for the score on 'Social value': the supplier's assessment summary "
        "tells them (Procurement Act 2023 s50(3))",
    }
    with pytest.raises(InvalidAction, match="was not assessed"):
        _score(core, db, people, case_id, ids["Late Co"], 3, 3)

    _score(core, db, people, case_id, ids["Acme Ltd"], 5, 4)  # 40 + 8 + 50 x 200,000 / 240,000 = 41.67
    with db.reading() as session:
        partway = evaluation_of(session, case_id)
    assert [s.tender.supplier_name for s in partway.unscored] == ["Brightwork CIC"]
    assert partway.leaders == []

    _score(core, db, people, case_id, ids["Brightwork CIC"], 3, 5)  # 24 + 10 + 50
    with db.reading() as session:
        done = evaluation_of(session, case_id)
    table = [
        (s.tender.supplier_name, s.points.get(quality), s.points.get(price), s.total, s.rank) for s in done.standings
    ]
    assert table == [
        ("Acme Ltd", Decimal("40.00"), Decimal("41.67"), Decimal("89.67"), 1),
        ("Brightwork CIC", Decimal("24.00"), Decimal("50.00"), Decimal("84.00"), 2),
        ("Late Co", None, None, None, None),  # not assessed: last, with no points
    ]
    assert done.complete and [s.tender.supplier_name for s in done.leaders] == ["Acme Ltd"]


def test_only_someone_who_declared_without_a_conflict_scores(core, db, people, evaluating):
    case_id, ids = evaluating
    panellist = create_user(db, ("requester", "OCC"), full_name="Pat Panel")
    add_team_member(core, case_id, people.officer, user_id=panellist, part="evaluation")
    quality, social, _ = _criteria_ids(db, case_id)
    scores = {quality: ("4", "Good"), social: ("3", "Fine")}
    with pytest.raises(NotPermitted, match="Declare your interests"):
        evaluation.score_tender(core, case_id, panellist, ids["Acme Ltd"], scores)
    core.engine.declare_interests(case_id, panellist, has_conflict=True, details="I advised Acme last year")
    with pytest.raises(NotPermitted, match="no mitigation"):
        evaluation.score_tender(core, case_id, panellist, ids["Acme Ltd"], scores)
    core.engine.declare_interests(
        case_id, panellist, has_conflict=True, details="I advised Acme last year", mitigation="Moderated by two others"
    )
    evaluation.score_tender(core, case_id, panellist, ids["Acme Ltd"], scores)
    with pytest.raises(NotPermitted):  # neither on the team nor in the category team
        evaluation.score_tender(core, case_id, people.requester, ids["Acme Ltd"], scores)
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(TenderScore)) == 2


def test_the_award_follows_the_evaluation(core, db, people, evaluating):
    case_id, ids = evaluating
    _score(core, db, people, case_id, ids["Acme Ltd"], 5, 4)
    with pytest.raises(GuardFailed) as refused:
        act(core.engine, case_id, "recommend_award", people.officer, inputs=AWARD_INPUTS)
    assert refused.value.missing == [
        "Score every tender assessed against each award criterion first: Brightwork CIC still to be scored"
    ]
    assert (
        list(core.engine.not_yet(case_id, people.officer, ["recommend_award"])["recommend_award"])
        == refused.value.missing
    )

    _score(core, db, people, case_id, ids["Brightwork CIC"], 3, 5)
    with pytest.raises(GuardFailed) as refused:
        act(
            core.engine,
            case_id,
            "recommend_award",
            people.officer,
            inputs={**AWARD_INPUTS, "supplier_name": "Brightwork"},
        )
    assert refused.value.missing == [
        "The award goes to the most advantageous tender (Procurement Act 2023 s19): the evaluation ranks Acme Ltd first"
    ]
    with db.reading() as session:
        answers = evaluation.recommendation_answers(session, case_id)
    assert answers == {
        "supplier_name": "Acme Ltd",
        "supplier_registration": "",
        "supplier_is_sme": True,
        "supplier_is_vcse": False,
        "supplier_ppon": "",
        "award_value": "240000.00",
    }
    act(
        core.engine,
        case_id,
        "recommend_award",
        people.officer,
        inputs={**AWARD_INPUTS, "supplier_name": "ACME LIMITED"},
    )
    with db.reading() as session:
        case = session.get(Case, case_id)
    assert case.state == "award_approval"
    # Its approvers are told how the evaluation ranked the tenders, on the decision page and in their email.
    ranked = "3 tenders received, 2 assessed: the evaluation ranks Acme Ltd first, with 89.67 points of 100 (next, Brightwork CIC, 84.00)"
    assert case.details["award_evaluation"] == ranked
    assert case.details["for_approvers"].endswith(f" {ranked}.")
    with pytest.raises(InvalidAction, match="in evaluation"):
        _score(core, db, people, case_id, ids["Acme Ltd"], 1, 1)


def test_with_criteria_set_the_award_waits_for_the_tenders(core, db, clock, people, assessed):
    evaluation.set_award_criteria(core, assessed, people.officer, CRITERIA)
    _to_evaluation(core, clock, people, assessed)
    with pytest.raises(GuardFailed) as refused:
        act(core.engine, assessed, "recommend_award", people.officer, inputs=AWARD_INPUTS)
    assert refused.value.missing == [
        "Record the tenders received and score them against the award criteria before recommending the award"
    ]


def test_without_criteria_the_award_goes_to_a_tender_assessed(core, db, clock, people, assessed):
    _to_evaluation(core, clock, people, assessed)
    evaluation.record_tender(core, assessed, people.officer, _tender("Brightwork CIC", "200000"))
    evaluation.record_tender(core, assessed, people.officer, _tender("Late Co", "1000", not_assessed="Late"))
    with pytest.raises(GuardFailed) as refused:
        act(core.engine, assessed, "recommend_award", people.officer, inputs=AWARD_INPUTS)
    assert refused.value.missing == ["The award goes to a supplier whose tender was assessed: Brightwork CIC"]
    act(
        core.engine,
        assessed,
        "recommend_award",
        people.officer,
        inputs={**AWARD_INPUTS, "supplier_name": "Brightwork CIC"},
    )


def test_tied_tenders_may_either_be_recommended(core, db, people, evaluating):
    case_id, ids = evaluating
    evaluation.record_tender(core, case_id, people.officer, _tender("Acme Ltd", "200000"), tender_id=ids["Acme Ltd"])
    _score(core, db, people, case_id, ids["Acme Ltd"], 4, 4)
    _score(core, db, people, case_id, ids["Brightwork CIC"], 4, 4)
    with db.reading() as session:
        done = evaluation_of(session, case_id)
        assert [s.rank for s in done.assessed] == [1, 1]
        assert evaluation.recommendation_answers(session, case_id) == {}  # the team chooses, by its tie-break
    act(
        core.engine,
        case_id,
        "recommend_award",
        people.officer,
        inputs={**AWARD_INPUTS, "supplier_name": "Brightwork CIC"},
    )
    with db.reading() as session:
        said = session.get(Case, case_id).details["award_evaluation"]
    assert said == (
        "3 tenders received, 2 assessed: the evaluation ranks Acme Ltd and Brightwork CIC equal first, "
        "with 90.00 points of 100"
    )


def test_the_notices_open_data_give_the_criteria_and_every_tenderer(core, db, clock, people, evaluating):
    """Every tenderer a party; the supplier awarded one party with its tender, identified as the award
    identifies it (by its PPON, which an award above the threshold gives: its tender gave its Companies House
    number)."""
    from .test_ocds import _package, _package_errors

    ppon = "PABC-1234-DEFG"
    case_id, ids = evaluating
    evaluation.record_tender(
        core,
        case_id,
        people.officer,
        TenderGiven("Acme Ltd", "01234567", True, False, "240000", date(2026, 3, 2)),
        tender_id=ids["Acme Ltd"],
    )
    _score(core, db, people, case_id, ids["Acme Ltd"], 5, 4)
    _score(core, db, people, case_id, ids["Brightwork CIC"], 3, 5)
    act(core.engine, case_id, "recommend_award", people.officer, inputs={**AWARD_INPUTS, "supplier_ppon": ppon})
    approve_open_steps(core.engine, db, people, case_id)
    act(
        core.engine,
        case_id,
        "record_assessment_summaries",
        people.officer,
        inputs={"assessment_summaries_sent_on": "2026-04-07"},
    )
    act(
        core.engine, case_id, "publish_award_notice", people.officer, inputs={"award_notice_published_on": "2026-04-08"}
    )

    package = _package(core, db, people.head, case_id)
    assert _package_errors(package) == []
    tender, award = package["releases"]
    for release in (tender, award):
        assert release["tender"]["awardCriteria"] == "ratedCriteria"
        assert (
            release["tender"]["awardCriteriaDetails"] == "Delivery and mobilisation: 40%; Social value: 10%; Price: 50%"
        )
    assert "tenderers" not in tender["tender"]  # the tender notice went out before any tender came in
    assert award["tender"]["numberOfTenderers"] == 3
    assert award["tender"]["tenderers"] == [
        {"id": f"GB-PPON-{ppon}", "name": "Acme Ltd"},
        {"id": "supplier-brightwork-cic", "name": "Brightwork CIC"},
        {"id": "supplier-late-co", "name": "Late Co"},
    ]
    roles = {party["name"]: party["roles"] for party in award["parties"]}
    assert roles["Acme Ltd"] == ["supplier", "tenderer"] and roles["Late Co"] == ["tenderer"]


def test_a_tender_gives_its_supplier_s_ppon_which_fills_in_the_award_and_identifies_the_tenderer(
    core, db, clock, people, evaluating
):
    """A tender may give its supplier's PPON (however typed; a number of another shape refused): the award
    recommendation is filled in with it, and the award notice's open data identify that tenderer by it."""
    from provision_cycle.governance.statutory import PPON_EXPECTED

    from .test_ocds import _package, _package_errors

    case_id, ids = evaluating
    brightwork = _tender("Brightwork CIC", "200000")
    with pytest.raises(InvalidInput) as refused:
        evaluation.record_tender(core, case_id, people.officer, replace(brightwork, supplier_ppon="PBRT-12-CICX"),
                                 tender_id=ids["Brightwork CIC"])  # fmt: skip
    assert refused.value.fields == {"supplier_ppon": PPON_EXPECTED}
    evaluation.record_tender(core, case_id, people.officer, replace(brightwork, supplier_ppon=" gb-ppon-pbrt-1234-cicx "),
                             tender_id=ids["Brightwork CIC"])  # fmt: skip
    _score(core, db, people, case_id, ids["Acme Ltd"], 3, 3)
    _score(core, db, people, case_id, ids["Brightwork CIC"], 5, 5)
    with db.reading() as session:
        answers = evaluation.recommendation_answers(session, case_id)
    assert (answers["supplier_name"], answers["supplier_ppon"]) == ("Brightwork CIC", "PBRT-1234-CICX")
    award = {**AWARD_INPUTS, **answers, "supplier_is_vcse": True}
    act(core.engine, case_id, "recommend_award", people.officer, inputs=award)
    approve_open_steps(core.engine, db, people, case_id)
    act(core.engine, case_id, "record_assessment_summaries", people.officer,
        inputs={"assessment_summaries_sent_on": "2026-04-07"})  # fmt: skip
    act(core.engine, case_id, "publish_award_notice", people.officer,
        inputs={"award_notice_published_on": "2026-04-08"})  # fmt: skip
    package = _package(core, db, people.head, case_id)
    assert _package_errors(package) == []
    assert package["releases"][-1]["tender"]["tenderers"] == [
        {"id": "GB-PPON-PBRT-1234-CICX", "name": "Brightwork CIC"},  # ranked first, awarded: one party
        {"id": "supplier-acme-ltd", "name": "Acme Ltd"},
        {"id": "supplier-late-co", "name": "Late Co"},
    ]


def test_the_evaluation_panel_is_told_when_the_tenders_are_in(core, db, clock, people, assessed):
    from provision_cycle.models import OutboxMessage

    panellist = create_user(db, ("requester", "OCC"), full_name="Pat Panel")
    add_team_member(core, assessed, people.officer, user_id=panellist, part="evaluation")
    add_team_member(core, assessed, people.officer, user_id=people.manager, part="procurement")
    declare(core.engine, assessed, panellist, people.manager)
    evaluation.set_award_criteria(core, assessed, people.officer, CRITERIA)
    _to_evaluation(core, clock, people, assessed)
    with db.reading() as session:
        told = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "tenders_in")).all()
    assert [(m.recipient_id, m.case_id) for m in told] == [(panellist, assessed)]  # the panel, not the team
    assert told[0].body == (
        "The tenders for 'Case management system' are in. Agree the panel's score for each tender against the "
        "award criteria (Delivery and mobilisation, Social value and Price), with the reasons, and record them on "
        "the case: each supplier's assessment summary gives them (Procurement Act 2023 s50(3))."
    )


def test_a_tender_below_a_minimum_score_is_out_of_the_running(core, db, clock, people, assessed):
    threshold = [("Delivery and mobilisation", "quality", "40", "3"), ("Social value", "social_value", "10", ""),
                 ("Price", "price", "50", "")]  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        evaluation.set_award_criteria(core, assessed, people.officer, [*threshold[:2], ("Price", "price", "50", "2")])
    assert refused.value.fields == {"criterion_3_minimum": "Price has no minimum score: leave criterion 3's empty"}
    evaluation.set_award_criteria(core, assessed, people.officer, threshold)
    _to_evaluation(core, clock, people, assessed)
    ids = {
        name: evaluation.record_tender(core, assessed, people.officer, _tender(name, price))
        for name, price in (("Acme Ltd", "240000"), ("Cheap Co", "100000"), ("Brightwork CIC", "200000"))
    }
    for name, marks in (("Acme Ltd", (4, 4)), ("Cheap Co", (2, 5)), ("Brightwork CIC", (3, 3))):
        _score(core, db, people, assessed, ids[name], *marks)
    with db.reading() as session:
        found = evaluation_of(session, assessed)
    price = found.criteria[2].id
    # Cheap Co fell short on delivery: out of the running, and price is scored among the other two.
    table = [(s.tender.supplier_name, s.rank, s.total, s.points.get(price), s.short_of) for s in found.standings]
    assert table == [
        ("Acme Ltd", 1, Decimal("81.67"), Decimal("41.67"), ()),
        ("Brightwork CIC", 2, Decimal("80.00"), Decimal("50.00"), ()),
        ("Cheap Co", None, None, None, ("Delivery and mobilisation",)),
    ]
    assert found.complete and [s.tender.supplier_name for s in found.leaders] == ["Acme Ltd"]
    with pytest.raises(GuardFailed, match="ranks Acme Ltd first"):
        act(
            core.engine,
            assessed,
            "recommend_award",
            people.officer,
            inputs={**AWARD_INPUTS, "supplier_name": "Cheap Co"},
        )


def test_each_evaluator_marks_alone_and_the_moderation_sees_them_all(core, db, people, evaluating):
    case_id, ids = evaluating
    pat, sam = (create_user(db, ("requester", "OCC"), full_name=name) for name in ("Pat Panel", "Sam Second"))
    for evaluator in (pat, sam):
        add_team_member(core, case_id, people.officer, user_id=evaluator, part="evaluation")
    quality, social, _ = _criteria_ids(db, case_id)
    marks = {quality: ("4", "A clear plan"), social: ("2", "Little offered")}
    with pytest.raises(NotPermitted, match="Declare your interests"):
        evaluation.mark_tender(core, case_id, pat, ids["Acme Ltd"], marks)
    declare(core.engine, case_id, pat, sam)
    with pytest.raises(InvalidInput) as refused:
        evaluation.mark_tender(core, case_id, pat, ids["Acme Ltd"], {quality: ("9", "x")})
    assert set(refused.value.fields) == {f"score_{quality}", f"score_{social}", f"reasons_{social}"}
    evaluation.mark_tender(core, case_id, pat, ids["Acme Ltd"], marks)

    with db.reading() as session:
        case = session.get(Case, case_id)

        def seen_by(person):
            return evaluation.marks_of(session, core.engine.actor(session, person), case, ids["Acme Ltd"])

        assert seen_by(sam) is None  # Sam has not marked it yet: he marks without seeing Pat's
        assert {c: m.score for c, m in seen_by(pat)[pat].items()} == {quality: 4, social: 2}
        assert set(seen_by(people.officer)) == {pat}  # the category team moderates, seeing them all
    evaluation.mark_tender(core, case_id, sam, ids["Acme Ltd"], {quality: ("5", "Strong"), social: ("3", "Some")})
    with db.reading() as session:
        assert set(evaluation.marks_of(session, core.engine.actor(session, sam), case, ids["Acme Ltd"])) == {pat, sam}
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case_id)).all()
    assert actions.count("mark_tender") == 2
    with db.reading() as session:  # marks are not the score: the award still waits for the panel's
        assert [s.tender.supplier_name for s in evaluation_of(session, case_id).unscored] == [
            "Acme Ltd",
            "Brightwork CIC",
        ]
    # Once the panel has agreed its score, the marks it weighed stand as given.
    evaluation.score_tender(core, case_id, people.officer, ids["Acme Ltd"], {quality: ("4", "Agreed"),
                                                                             social: ("2", "Agreed")})  # fmt: skip
    with pytest.raises(InvalidAction, match="The panel has agreed its score for Acme Ltd's tender: the evaluators"):
        evaluation.mark_tender(core, case_id, pat, ids["Acme Ltd"], {quality: ("5", "Later"), social: ("5", "Later")})
    evaluation.mark_tender(core, case_id, pat, ids["Brightwork CIC"], marks)  # another tender, not yet agreed


def test_a_form_saved_by_someone_else_meanwhile_is_refused_not_overwritten(core, db, people, evaluating):
    """Two of the panel moderating one tender at once, or correcting it: the second save is told, rather than
    undoing the first unseen. Saving what one opened goes through."""
    case_id, ids = evaluating
    quality, social = _criteria_ids(db, case_id)[:2]
    with db.reading() as session:
        found = evaluation_of(session, case_id)
        scores_opened = evaluation.scores_as_seen(found.standing_of(ids["Acme Ltd"]))
        tender_opened = evaluation.supplier_row_as_seen(found.standing_of(ids["Acme Ltd"]).tender)
    first = {quality: ("4", "Clear plan"), social: ("3", "Some apprentices")}
    evaluation.score_tender(core, case_id, people.officer, ids["Acme Ltd"], first, seen=scores_opened)
    second = {quality: ("2", "Thin plan"), social: ("3", "Some apprentices")}
    declare(core.engine, case_id, people.manager)
    with pytest.raises(ChangedMeanwhile, match="Someone saved the scores for Acme Ltd's tender after you opened"):
        evaluation.score_tender(core, case_id, people.manager, ids["Acme Ltd"], second, seen=scores_opened)
    with db.reading() as session:
        standing = evaluation_of(session, case_id).standing_of(ids["Acme Ltd"])
        assert standing.scores[quality].score == 4  # the first save stands
        scores_opened = evaluation.scores_as_seen(standing)
    evaluation.score_tender(core, case_id, people.officer, ids["Acme Ltd"], second, seen=scores_opened)

    corrected = _tender("Acme Ltd", "239000")
    evaluation.record_tender(core, case_id, people.officer, corrected, tender_id=ids["Acme Ltd"], seen=tender_opened)
    with pytest.raises(ChangedMeanwhile, match="Someone saved Acme Ltd's tender"):
        evaluation.record_tender(
            core, case_id, people.officer, corrected, tender_id=ids["Acme Ltd"], seen=tender_opened
        )


def test_tenders_are_loaded_from_a_portal_s_opening_report_whole_or_not_at_all(core, db, clock, people, assessed):
    """A portal's file of the tenders received: checked whole, each problem named by line and column (a price
    that is not one, a PPON of another shape, a supplier already recorded or twice in the file; a row's every
    problem at once), then recorded
    in one go, as if by hand, the case's history naming the file's suppliers."""
    from provision_cycle.services.spreadsheet import FileRefused

    evaluation.set_award_criteria(core, assessed, people.officer, CRITERIA)
    _to_evaluation(core, clock, people, assessed)
    evaluation.record_tender(core, assessed, people.officer, _tender("Acme Ltd", "240000"))
    heading = b"Supplier,Company number,Supplier PPON,SME,VCSE,Price,Date submitted,Not assessed because\n"
    refused_file = heading + (
        b"ACME LIMITED,,,yes,no,230000,2026-03-20,\n"
        b'Brightwork CIC,01234567,PBRT-12,no,yes,"200,000",2026-03-21,\n'
        b"Careless Co,,,perhaps,no,a lot,2026-03-22,\n"
        b"BRIGHTWORK,,,no,yes,199000,2026-03-23,\n"
    )
    with pytest.raises(FileRefused) as refused:
        evaluation.load_tenders(core, assessed, people.officer, refused_file)
    assert [str(problem) for problem in refused.value.problems] == [
        "line 2, Supplier: A tender from Acme Ltd is recorded already",
        "line 3, Supplier PPON: Give the PPON as four letters, four digits and four letters, like PABC-1234-DEFG",
        "line 4, SME: 'perhaps': write yes or no",
        "line 4, Price: Enter the price tendered in pounds, more than nothing, like 125000 or 125000.50",
    ]  # line 5 is Brightwork's only once line 3 is; line 4's cells all checked, whichever is wrong
    good = heading + (
        b'Brightwork CIC,01234567,gb-ppon-pbrt-1234-cicx,no,yes,"200,000",2026-03-21,\n'
        b"Late Co,,,yes,no,150000,2026-04-01,Received after the deadline\n"
    )
    checked = evaluation.load_tenders(core, assessed, people.officer, good)
    assert [(row["supplier_name"], row["price"]) for row in checked.rows] == [
        ("Brightwork CIC", Decimal("200000")),
        ("Late Co", Decimal("150000")),
    ]
    assert not checked.loaded
    with pytest.raises(NotPermitted):
        evaluation.load_tenders(core, assessed, people.finance, good, apply=True)
    assert evaluation.load_tenders(core, assessed, people.officer, good, apply=True).loaded
    with db.reading() as session:
        tenders = [
            (
                s.tender.supplier_name,
                s.tender.supplier_registration,
                s.tender.supplier_ppon,
                s.tender.not_assessed_because,
            )
            for s in evaluation_of(session, assessed).standings
        ]
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "load_tenders")).one()
    assert sorted(tenders) == [
        ("Acme Ltd", "", "", ""),
        ("Brightwork CIC", "01234567", "PBRT-1234-CICX", ""),
        ("Late Co", "", "", "Received after the deadline"),
    ]
    assert event.data["names"] == ["Brightwork CIC", "Late Co"]
    with pytest.raises(FileRefused) as again:  # loaded twice: refused whole
        evaluation.load_tenders(core, assessed, people.officer, good)
    assert [problem.message for problem in again.value.problems] == [
        "A tender from Brightwork CIC is recorded already",
        "A tender from Late Co is recorded already",
    ]
