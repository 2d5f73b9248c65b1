"""Where a procurement's evaluation stands: each tender's points against the award criteria, its total and its
rank. Read by the award recommendation's guard (the award follows the evaluation) and by the pages that show it.

Quality and social value criteria are scored by the evaluation panel from 0 to ``TOP_SCORE``; a criterion's
points are its weighting times the score over ``TOP_SCORE``. Price is scored by formula, as councils commonly
do: the lowest price among the tenders assessed earns the criterion's whole weighting, and each other tender
the weighting times the lowest price over its own (a tender twice the price earns half).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AwardCriterion, CriterionKind, Tender, TenderScore

TOP_SCORE = 5
# What each score means, for the panel scoring and the suppliers reading their assessment summaries.
SCORE_MEANINGS = {
    0: "Unacceptable: does not meet the requirement, or no response",
    1: "Poor: meets little of the requirement, with serious reservations",
    2: "Weak: meets some of the requirement, with reservations",
    3: "Satisfactory: meets the requirement",
    4: "Good: meets the requirement fully, with some added value",
    5: "Excellent: exceeds the requirement, with clear added value",
}
POINT = Decimal("0.01")


@dataclass(frozen=True)
class Standing:
    """One tender's place in the evaluation."""

    tender: Tender
    scores: dict[int, TenderScore]  # the panel's, by criterion id
    points: dict[int, Decimal]  # by criterion id: each criterion scored so far (price as soon as it is assessed)
    total: Decimal | None  # once every criterion is scored, unless it fell short of a minimum
    rank: int | None  # 1 for the most advantageous; tenders with equal totals share one
    scored: bool = False  # the panel has scored it against every criterion it scores
    short_of: tuple[str, ...] = ()  # the criteria whose minimum score it missed: it is out of the running

    @property
    def assessed(self) -> bool:
        return not self.tender.not_assessed_because


@dataclass(frozen=True)
class Evaluation:
    criteria: list[AwardCriterion]
    standings: list[Standing]  # assessed tenders by rank (then name), then those not assessed

    @property
    def assessed(self) -> list[Standing]:
        return [s for s in self.standings if s.assessed]

    @property
    def unscored(self) -> list[Standing]:
        """Assessed tenders still to be scored against a criterion."""
        return [s for s in self.assessed if not s.scored] if self.criteria else []

    @property
    def complete(self) -> bool:
        """Every tender assessed is scored against every criterion (there being at least one of each)."""
        return bool(self.criteria) and bool(self.assessed) and not self.unscored

    @property
    def leaders(self) -> list[Standing]:
        """The most advantageous tender (or those tied for it), once the evaluation is complete."""
        return [s for s in self.assessed if s.rank == 1] if self.complete else []

    def standing_of(self, tender_id: int) -> Standing | None:
        return next((s for s in self.standings if s.tender.id == tender_id), None)


def evaluation_of(session: Session, case_id: int) -> Evaluation:
    return evaluations_of(session, [case_id])[case_id]


def evaluations_of(session: Session, case_ids: Collection[int]) -> dict[int, Evaluation]:
    """Each case's evaluation, read in three queries whatever their number (a supplier's page lists how each
    of its tenders fared)."""
    if not case_ids:
        return {}
    criteria: dict[int, list[AwardCriterion]] = {case_id: [] for case_id in case_ids}
    tenders: dict[int, list[Tender]] = {case_id: [] for case_id in case_ids}
    query = select(AwardCriterion).where(AwardCriterion.case_id.in_(case_ids)).order_by(AwardCriterion.position)
    for criterion in session.scalars(query):
        criteria[criterion.case_id].append(criterion)
    for tender in session.scalars(select(Tender).where(Tender.case_id.in_(case_ids)).order_by(Tender.supplier_name)):
        tenders[tender.case_id].append(tender)
    scores: dict[int, dict[int, TenderScore]] = {}
    scored = [tender.id for case_id in case_ids if criteria[case_id] for tender in tenders[case_id]]
    if scored:
        for score in session.scalars(select(TenderScore).where(TenderScore.tender_id.in_(scored))):
            scores.setdefault(score.tender_id, {})[score.criterion_id] = score
    return {case_id: _ranked(criteria[case_id], tenders[case_id], scores) for case_id in case_ids}


def _ranked(
    criteria: list[AwardCriterion], tenders: list[Tender], scores: dict[int, dict[int, TenderScore]]
) -> Evaluation:
    panel_scores = [c for c in criteria if c.kind != CriterionKind.PRICE]
    assessed = [t for t in tenders if not t.not_assessed_because]
    # A tender below a criterion's minimum score is out of the running, and price is scored among the rest.
    short = {t.id: _short_of(panel_scores, scores.get(t.id, {})) for t in assessed}
    lowest = min((t.price for t in assessed if not short[t.id]), default=None)
    standings = []
    for tender in tenders:
        given = scores.get(tender.id, {})
        points = {}
        for criterion in criteria if not tender.not_assessed_because else ():
            if criterion.kind == CriterionKind.PRICE:
                if not short[tender.id]:
                    points[criterion.id] = _points(criterion.weighting * lowest / tender.price)
            elif criterion.id in given:
                points[criterion.id] = _points(Decimal(criterion.weighting * given[criterion.id].score) / TOP_SCORE)
        scored = all(c.id in given for c in panel_scores)
        running = not tender.not_assessed_because and not short[tender.id]
        total = sum(points.values(), Decimal(0)) if criteria and scored and running else None
        standings.append((tender, given, points, total, scored, short.get(tender.id, ())))
    totals = sorted({total for _, _, _, total, _, _ in standings if total is not None}, reverse=True)
    ranked = [
        Standing(tender, given, points, total, None if total is None else totals.index(total) + 1, scored, short_of)
        for tender, given, points, total, scored, short_of in standings
    ]
    ranked.sort(key=lambda s: (not s.assessed, s.rank is None, s.rank or 0, s.tender.supplier_name.casefold()))
    return Evaluation(criteria, ranked)


def _short_of(criteria: list[AwardCriterion], given: dict[int, TenderScore]) -> tuple[str, ...]:
    return tuple(
        c.name
        for c in criteria
        if c.minimum_score is not None and c.id in given and given[c.id].score < c.minimum_score
    )


def _points(value: Decimal) -> Decimal:
    return value.quantize(POINT, rounding=ROUND_HALF_UP)
