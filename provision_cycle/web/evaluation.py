"""A procurement's evaluation: its award criteria, a competitive flexible procedure's requests to participate,
the tenders received, the panel's scores and each supplier's assessment summary. Thin: each page reads through
``reading`` and changes through ``services.evaluation``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import Blueprint, flash, redirect, request, url_for

from ..errors import DomainError, NotFound
from ..models import Case, CriterionKind, ParticipationRequest
from ..models.suppliers import supplier_key
from ..services import evaluation, periods, reading
from ..services.evaluation import CRITERION_KINDS, MAX_CRITERIA, RequestGiven, TenderGiven
from ..services.spreadsheet import FileRefused, Layout
from ..workflow.evaluation import SCORE_MEANINGS, TOP_SCORE, Evaluation, Standing, evaluation_of
from ..workflow.reservations import Reservation
from .common import as_seen, core, csv_download, me, render, yes_no, yes_no_or_none
from .forms import (
    CRITERION_PARTS,
    ClosingDateForm,
    InvitationsForm,
    LoadFileForm,
    ParticipationRequestForm,
    TenderForm,
    answered_yes,
    apply_errors,
    award_criteria_form_class,
    award_criteria_rows,
    change_from,
    pressed,
    scores_form_class,
    supplier_answers,
)
from .loading import confirmation, confirmed_file, uploaded_file
from .security import signed_in

tenders = Blueprint("tenders", __name__, url_prefix="/cases")


def _case_evaluated(case_id: int, allowed, what: str) -> tuple[Case, Evaluation]:
    """The case and its evaluation, if the person may ``allowed(session, case)``; otherwise not found (``what``
    ends the sentence saying what there is not)."""
    with core().db.reading() as session:
        case = reading.get_case_for(session, me(), case_id)
        if case.stage != "procurement" or not allowed(session, case):
            raise NotFound(f"There is no procurement {case_id} {what}")
        found = evaluation_of(session, case.id)
        session.expunge_all()
    return case, found


def _evaluating(session, case) -> bool:
    return evaluation.may_evaluate(session, me(), case)


@tenders.route("/<id:case_id>/award-criteria", methods=["GET", "POST"])
@signed_in
def criteria(case_id: int):
    """Set the award criteria and their weightings, before suppliers are invited (PA23 s23)."""
    case, found = _case_evaluated(
        case_id,
        lambda session, case: _evaluating(session, case) and evaluation.criteria_open(core().workflows, case),
        "whose award criteria you can set now",
    )
    form_class = award_criteria_form_class(MAX_CRITERIA, CRITERION_KINDS)
    current = {
        f"criterion_{c.position}_{part}": "" if value is None else str(value)
        for c in found.criteria
        for part, value in zip(CRITERION_PARTS, (c.name, c.kind, c.weighting, c.minimum_score), strict=True)
    }
    current["opened_on"] = evaluation.criteria_as_seen(found)
    form = form_class(data=current) if request.method == "GET" else form_class()

    def save() -> str:
        rows = award_criteria_rows(form)
        evaluation.set_award_criteria(core(), case_id, me().id, rows, seen=as_seen(form.opened_on.data))
        return f"The award criteria for {case.reference} are saved"

    if done := change_from(form, save, back=url_for("cases.show", case_id=case_id, _anchor="evaluation")):
        return done
    return render("evaluation/criteria.html", case=case, form=form, rows=MAX_CRITERIA, top_score=TOP_SCORE)


def _tenders_open(session, case) -> bool:
    return _evaluating(session, case) and evaluation.tenders_open(core().workflows, case)


@tenders.route("/<id:case_id>/tenders/new", methods=["GET", "POST"])
@tenders.route("/<id:case_id>/tenders/<id:tender_id>", methods=["GET", "POST"])
@signed_in
def tender(case_id: int, tender_id: int | None = None):
    """Record a tender received, or correct one."""
    case, found = _case_evaluated(case_id, _tenders_open, "whose tenders you can record now")
    standing = found.standing_of(tender_id) if tender_id is not None else None
    if tender_id is not None and standing is None:
        raise NotFound(f"There is no tender {tender_id} on {case.reference}")
    form = TenderForm()
    if request.method == "GET" and standing is not None:
        form.process(data=_tender_data(standing.tender))
    reservation = _reservation_asked(form, case)

    def save() -> str:
        given = TenderGiven(
            **supplier_answers(form),
            price=form.price.data,
            received_on=form.received_on.data,
            not_assessed_because=form.not_assessed_because.data or "",
            supplier_within_reservation=answered_yes(form.supplier_within_reservation.data),
        )
        seen = as_seen(form.opened_on.data) if tender_id is not None else None  # a correction, of the one shown
        evaluation.record_tender(core(), case_id, me().id, given, tender_id=tender_id, seen=seen)
        return f"{given.supplier_name.strip()}'s tender is {'recorded' if tender_id is None else 'corrected'}"

    if done := change_from(form, save, back=url_for("cases.show", case_id=case_id, _anchor="evaluation")):
        return done
    tendered = standing.tender if standing else None
    invited = evaluation.invited_names(case.details)
    return render(
        "evaluation/tender.html", case=case, form=form, tender=tendered, invited=invited, reservation=reservation
    )


def _requests_open(session, case) -> bool:
    return _evaluating(session, case) and evaluation.requests_open(core().workflows, case)


@tenders.route("/<id:case_id>/requests-to-participate/new", methods=["GET", "POST"])
@tenders.route("/<id:case_id>/requests-to-participate/<id:request_id>", methods=["GET", "POST"])
@signed_in
def participation_request(case_id: int, request_id: int | None = None):
    """Record a request to participate received, or correct one (set it aside, saying why)."""
    case, _ = _case_evaluated(case_id, _requests_open, "whose requests to participate you can record now")
    made = None
    if request_id is not None:
        with core().db.reading() as session:
            made = session.get(ParticipationRequest, request_id)
            session.expunge_all()
        if made is None or made.case_id != case.id:
            raise NotFound(f"There is no request to participate {request_id} on {case.reference}")
    form = ParticipationRequestForm()
    if request.method == "GET" and made is not None:
        form.process(data=_request_data(made))
    reservation = _reservation_asked(form, case)

    def save() -> str:
        given = RequestGiven(
            **supplier_answers(form),
            received_on=form.received_on.data,
            set_aside_because=form.set_aside_because.data or "",
            exclusions_checked_on=form.exclusions_checked_on.data,
            supplier_within_reservation=answered_yes(form.supplier_within_reservation.data),
        )
        seen = as_seen(form.opened_on.data) if request_id is not None else None  # a correction, of the one shown
        evaluation.record_request(core(), case_id, me().id, given, request_id=request_id, seen=seen)
        return f"{given.supplier_name.strip()}'s request to participate is {'recorded' if made is None else 'saved'}"

    if done := change_from(form, save, back=url_for("cases.show", case_id=case_id, _anchor="requests")):
        return done
    return render("evaluation/participation_request.html", case=case, form=form, made=made, reservation=reservation)


def _reservation_asked(form: TenderForm | ParticipationRequestForm, case: Case) -> Reservation | None:
    """The competition's reservation, if it has one: the form then asks its question about the supplier."""
    if (reservation := Reservation.of(case.details)) and reservation.asks:
        form.supplier_within_reservation.label.text = reservation.question
    return reservation


def _request_data(made) -> dict:
    return {
        **_supplier_data(made),
        "received_on": made.received_on,
        "set_aside_because": made.set_aside_because,
        "exclusions_checked_on": made.exclusions_checked_on,
        "supplier_within_reservation": yes_no_or_none(made.supplier_within_reservation),
    }


@dataclass(frozen=True)
class SuppliersFile:
    """A kind of file of suppliers' rows a procurement's page loads (a portal's export): how it is checked and
    loaded, its columns, the words for it, where its rows go on the case page, and what the confirmation shows."""

    load: Callable  # evaluation.load_requests or load_tenders
    layout: Layout
    noun: str  # "request to participate"
    nouns: str  # "requests to participate"
    anchor: str  # its section of the case page
    page: str  # the upload page's endpoint, and its confirmation's with "_confirm"
    shown: tuple[tuple[str, str, str], ...]  # the confirmation's table: (heading, field, the filter it takes)

    @property
    def required(self) -> list[str]:
        """The headings a file must have, as the page names them."""
        return [self.layout.headings[name][0] for name in self.layout.required]

    @property
    def optional(self) -> list[str]:
        """The others, but a reserved competition's answer (whose page says what it is headed)."""
        left = set(self.layout.required) | {"supplier_within_reservation"}
        return [headings[0] for name, headings in self.layout.headings.items() if name not in left]


REQUESTS_FILE = SuppliersFile(
    evaluation.load_requests, evaluation.REQUESTS_LAYOUT, "request to participate", "requests to participate",
    "requests", "tenders.load_participation_requests",
    (("Supplier", "supplier_name", ""), ("PPON", "supplier_ppon", ""), ("Received", "received_on", "day"),
     ("Checked against the exclusion grounds", "exclusions_checked_on", "day"),
     ("Set aside because", "set_aside_because", "")),
)  # fmt: skip
TENDERS_FILE = SuppliersFile(
    evaluation.load_tenders, evaluation.TENDERS_LAYOUT, "tender", "tenders", "evaluation", "tenders.load_tenders",
    (("Supplier", "supplier_name", ""), ("PPON", "supplier_ppon", ""), ("Price excluding VAT", "price", "money"),
     ("Received", "received_on", "day"), ("Not assessed because", "not_assessed_because", "")),
)  # fmt: skip


@tenders.route("/<id:case_id>/requests-to-participate/load", methods=["GET", "POST"])
@signed_in
def load_participation_requests(case_id: int):
    """Record the requests to participate an e-tendering portal exported, from its file: checked whole first,
    its problems listed by line and column, then loaded once the person confirms."""
    case, _ = _case_evaluated(case_id, _requests_open, "whose requests to participate you can record now")
    return _upload(case, REQUESTS_FILE)


@tenders.post("/<id:case_id>/requests-to-participate/load/confirm")
@signed_in
def load_participation_requests_confirm(case_id: int):
    case, _ = _case_evaluated(case_id, _requests_open, "whose requests to participate you can record now")
    return _confirmed(case, REQUESTS_FILE)


@tenders.route("/<id:case_id>/tenders/load", methods=["GET", "POST"])
@signed_in
def load_tenders(case_id: int):
    """Record the tenders an e-tendering portal's opening report lists, from its file: checked whole first, its
    problems listed by line and column, then loaded once the person confirms."""
    case, _ = _case_evaluated(case_id, _tenders_open, "whose tenders you can record now")
    return _upload(case, TENDERS_FILE)


@tenders.post("/<id:case_id>/tenders/load/confirm")
@signed_in
def load_tenders_confirm(case_id: int):
    case, _ = _case_evaluated(case_id, _tenders_open, "whose tenders you can record now")
    return _confirmed(case, TENDERS_FILE)


def _upload(case, kind: SuppliersFile):
    form = LoadFileForm()
    form.register.label.text = f"Upload the {kind.nouns}"
    if (uploaded := uploaded_file(form)) is not None:
        return _suppliers_checked(case, kind, form, *uploaded)
    return _upload_page(case, kind, form, [], status=400 if form.errors else 200)


def _upload_page(case, kind: SuppliersFile, form: LoadFileForm, problems: list, *, status: int):
    """The upload page, with a refused file's problems; a reserved competition's says which column its answer
    goes in."""
    reservation = Reservation.of(case.details)
    shown = {"case": case, "kind": kind, "form": form, "problems": problems, "reservation": reservation}
    return render("evaluation/suppliers_load.html", **shown, status=status)


def _confirmed(case, kind: SuppliersFile):
    if (confirmed := confirmed_file()) is None:
        return redirect(url_for(kind.page, case_id=case.id))
    return _suppliers_checked(case, kind, LoadFileForm(formdata=None), *confirmed, apply=True)


def _suppliers_checked(case, kind: SuppliersFile, upload: LoadFileForm, data: bytes, filename: str, *, apply=False):
    """Check (or load) a file of requests or tenders: its problems on the upload page, or what it holds to
    confirm."""
    try:
        checked = kind.load(core(), case.id, me().id, data, apply=apply)
    except FileRefused as refused:
        apply_errors(upload, {"register": f"{filename}: {refused.message}"})
        return _upload_page(case, kind, upload, refused.problems, status=400)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("cases.show", case_id=case.id, _anchor=kind.anchor))
    count = f"{len(checked.rows):,} {kind.noun if len(checked.rows) == 1 else kind.nouns}"
    if checked.loaded:
        flash(f"{count} from {filename} recorded")
        return redirect(url_for("cases.show", case_id=case.id, _anchor=kind.anchor))
    confirm = confirmation(data, filename, f"Record {count}")
    return render(
        "evaluation/suppliers_load.html", case=case, kind=kind, form=None, confirm=confirm, checked=checked,
        count=count, filename=filename,
    )  # fmt: skip


@tenders.post("/<id:case_id>/requests-to-participate/<id:request_id>/remove")
@signed_in
def remove_participation_request(case_id: int, request_id: int):
    """Take off a request to participate recorded in error."""

    def removed() -> str:
        name = evaluation.remove_request(core(), case_id, me().id, request_id)
        return f"{name}'s request to participate is taken off"

    return pressed(removed, back=url_for("cases.show", case_id=case_id, _anchor="requests"))


@tenders.route("/<id:case_id>/closing-dates/<slug>", methods=["GET", "POST"])
@signed_in
def closing_date(case_id: int, slug: str):
    """Extend a closing date the procurement's notice set, by a revised tender notice (PA23 s31)."""
    with core().db.reading() as session:
        case = reading.get_case_for(session, me(), case_id)
        open_now = periods.extendable(core().workflows, case, core().engine.today())
        closing = next((c for c in open_now if c.slug == slug), None)
        if closing is None or not _evaluating(session, case):
            raise NotFound(f"There is no closing date of {case.reference} you can extend now")
        session.expunge_all()
    closes = date.fromisoformat(case.details[closing.detail])
    form = ClosingDateForm()
    if request.method == "GET":
        form.opened_on.data = closes.isoformat()

    def save() -> str:
        given = (form.closes_on.data, form.revised_notice_on.data, form.reason.data or "")
        periods.extend_closing_date(
            core(), case_id, me().id, slug, *given, seen=as_seen(form.opened_on.data), notice_id=form.notice_id.data
        )
        return f"Extended: {closing.label.lower()} on {form.closes_on.data:%-d %B %Y}"

    if done := change_from(form, save, back=url_for("cases.show", case_id=case_id, _anchor="dates")):
        return done
    return render("evaluation/closing_date.html", case=case, form=form, closing=closing, closes=closes)


@tenders.route("/<id:case_id>/invitations", methods=["GET", "POST"])
@signed_in
def invitations(case_id: int):
    """Correct the list of suppliers a competitive flexible procedure invited to tender, saying why."""
    case, _ = _case_evaluated(
        case_id,
        lambda session, case: _tenders_open(session, case) and bool(evaluation.invited_names(case.details)),
        "whose invitations to tender you can correct now",
    )
    form = InvitationsForm()
    if request.method == "GET":
        listed = "\n".join(evaluation.invited_names(case.details))
        form.process(data={"invited_suppliers": listed, "opened_on": evaluation.invitations_as_seen(case.details)})

    def save() -> str:
        seen = as_seen(form.opened_on.data)
        given, why = form.invited_suppliers.data or "", form.reason.data or ""
        evaluation.correct_invitations(core(), case_id, me().id, given, why, seen=seen)
        return f"The suppliers invited to tender on {case.reference} are corrected"

    if done := change_from(form, save, back=url_for("cases.show", case_id=case_id, _anchor="evaluation")):
        return done
    return render("evaluation/invitations.html", case=case, form=form)


def _supplier_data(row) -> dict:
    """The supplier's fields of a form, as a row recorded them (a tender, a request to participate), and what
    the form was opened on."""
    return {
        "opened_on": evaluation.supplier_row_as_seen(row),
        "supplier_name": row.supplier_name,
        "supplier_registration": row.supplier_registration,
        "supplier_is_sme": yes_no(row.supplier_is_sme),
        "supplier_is_vcse": yes_no(row.supplier_is_vcse),
        "supplier_ppon": row.supplier_ppon,
    }


def _tender_data(tender) -> dict:
    return {
        **_supplier_data(tender),
        "price": f"{tender.price:.2f}",
        "received_on": tender.received_on,
        "not_assessed_because": tender.not_assessed_because,
        "supplier_within_reservation": yes_no_or_none(tender.supplier_within_reservation),
    }


@tenders.post("/<id:case_id>/tenders/<id:tender_id>/remove")
@signed_in
def remove(case_id: int, tender_id: int):
    """Take off a tender recorded in error."""

    def removed() -> str:
        return f"{evaluation.remove_tender(core(), case_id, me().id, tender_id)}'s tender is taken off"

    return pressed(removed, back=url_for("cases.show", case_id=case_id, _anchor="evaluation"))


@tenders.route("/<id:case_id>/tenders/<id:tender_id>/scores", methods=["GET", "POST"])
@signed_in
def scores(case_id: int, tender_id: int):
    """The panel's agreed (moderated) score for one tender against each quality and social value criterion,
    beside each evaluator's own marks."""
    return _scoring_page(case_id, tender_id, moderated=True)


@tenders.route("/<id:case_id>/tenders/<id:tender_id>/marks", methods=["GET", "POST"])
@signed_in
def marks(case_id: int, tender_id: int):
    """An evaluator's own marks for one tender, given alone before the panel agrees its score."""
    return _scoring_page(case_id, tender_id, moderated=False)


def _scoring_page(case_id: int, tender_id: int, *, moderated: bool):
    case, found = _case_evaluated(case_id, _tenders_open, "whose tenders you can record now")
    standing = found.standing_of(tender_id)
    if standing is None:
        raise NotFound(f"There is no tender {tender_id} on {case.reference}")
    with core().db.reading() as session:
        marks_seen = evaluation.marks_of(session, me(), case, tender_id)
        names = reading.user_names(session, set(marks_seen or ()))
    scored = [c for c in found.criteria if c.kind != CriterionKind.PRICE]
    given = standing.scores if moderated else (marks_seen or {}).get(me().id, {})
    form_class = scores_form_class(scored, SCORE_MEANINGS)
    current = {f"score_{c_id}": str(s.score) for c_id, s in given.items()} | {
        f"reasons_{c_id}": s.reasons for c_id, s in given.items()
    }
    current["opened_on"] = evaluation.scores_as_seen(standing)  # the moderation's; an evaluator's marks are theirs
    form = form_class(data=current) if request.method == "GET" else form_class()
    supplier = standing.tender.supplier_name

    def save() -> str:
        answers = {c.id: (form[f"score_{c.id}"].data or "", form[f"reasons_{c.id}"].data or "") for c in scored}
        if moderated:
            evaluation.score_tender(core(), case_id, me().id, tender_id, answers, seen=as_seen(form.opened_on.data))
        else:
            evaluation.mark_tender(core(), case_id, me().id, tender_id, answers)
        return f"{supplier}'s scores are saved" if moderated else f"Your marks for {supplier}'s tender are saved"

    if done := change_from(form, save, back=url_for("cases.show", case_id=case_id, _anchor="evaluation")):
        return done
    return render(
        "evaluation/scores.html",
        case=case,
        form=form,
        tender=standing.tender,
        criteria=scored,
        marks=marks_seen if moderated else None,
        names=names,
        moderated=moderated,
        # The panel has agreed its score: an evaluator's own marks stand as given (services.evaluation.mark_tender).
        agreed=not moderated and bool(standing.scores),
        mine=(marks_seen or {}).get(me().id, {}),
        top_score=TOP_SCORE,
    )


@tenders.get("/<id:case_id>/evaluation.csv")
@signed_in
def matrix(case_id: int):
    """The evaluation as a spreadsheet: each tender's scores and points against each criterion, its total and
    rank, for the award report."""
    case, found = _case_evaluated(case_id, lambda session, case: reading.may_see_tenders(session, me(), case),
                                  "whose tenders you can see")  # fmt: skip
    reservation = Reservation.of(case.details)
    asking = reservation is not None and reservation.asks  # a column for the answer to its question
    header = [
        "Rank",
        "Supplier",
        "Registration",
        "PPON",
        "SME",
        "VCSE",
        *([reservation.heading] if asking else []),  # the answer to a reserved competition's question
        "Price excluding VAT",
        "Received",
        "Not assessed because",
    ]
    for criterion in found.criteria:
        header += [f"{criterion.name} ({criterion.weighting}%): score", f"{criterion.name}: points"]
    header += ["Total points", "Below the minimum score on"]

    def rows():
        for standing in found.standings:
            tender = standing.tender
            row: list[object] = [
                standing.rank or "",
                tender.supplier_name,
                tender.supplier_registration,
                tender.supplier_ppon,
                yes_no(tender.supplier_is_sme),
                yes_no(tender.supplier_is_vcse),
                *([yes_no(bool(tender.supplier_within_reservation))] if asking else []),
                f"{tender.price:.2f}",
                tender.received_on.isoformat(),
                tender.not_assessed_because,
            ]
            for criterion in found.criteria:
                score = standing.scores.get(criterion.id)
                row += [score.score if score else "", standing.points.get(criterion.id, "")]
            row += ["" if standing.total is None else standing.total, "; ".join(standing.short_of)]
            yield row

    return csv_download(header, rows(), f"{case.reference}-evaluation.csv")


@tenders.get("/<id:case_id>/tenders/<id:tender_id>/assessment-summary")
@signed_in
def summary(case_id: int, tender_id: int):
    """A supplier's assessment summary (PA23 s50(3)): how its tender was assessed against each criterion,
    beside the most advantageous tender, to print or save and send it."""
    case, found = _case_evaluated(case_id, _evaluating, "whose assessment summaries you can send")
    standing = found.standing_of(tender_id)
    if standing is None or not standing.assessed or not found.leaders:
        raise NotFound(f"There is no assessment summary for tender {tender_id} on {case.reference} yet")
    return render(
        "evaluation/summary.html",
        case=case,
        evaluation=found,
        standing=standing,
        leader=_most_advantageous(case, found),
        meanings=SCORE_MEANINGS,
        top_score=TOP_SCORE,
    )


def _most_advantageous(case: Case, found: Evaluation) -> Standing:
    """The tender ranked first; of tenders tied for first, the one recommended for the award."""
    recommended = supplier_key(case.details.get("supplier_name") or "")
    return next((s for s in found.leaders if s.tender.supplier_key == recommended), found.leaders[0])
