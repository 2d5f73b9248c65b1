"""Starting a request: short question pages (about it; its value; for a procurement, how it will be bought;
its funding), then check your answers (with the route and the approvers it will need), then save as a draft
or submit. Answers wait in the session until then, so an abandoned request leaves nothing behind."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import Blueprint, flash, redirect, session, url_for

from ..errors import DomainError, GuardFailed, InvalidInput
from ..governance.rules import GovernanceError, Proposal
from ..services import aggregation
from ..services.aggregation import ONE_REQUIREMENT_EXPLAINED
from ..workflow.engine import DIRECT_AWARD_FACTS, REQUEST_FACTS, REQUEST_FIELDS, ActionRequest
from .common import core, me, render
from .forms import RECOMMENDED, AboutRequestForm, CheckAnswersForm, FundingForm, RouteForm, ValueForm, apply_errors
from .security import signed_in

requests = Blueprint("requests", __name__, url_prefix="/requests")
ANSWERS = "new_request"
# Each page, and the answer that shows it was answered.
PAGES = {"about": "title", "value": "estimated_value", "route": "route", "funding": "funding"}


def _answers() -> dict:
    return dict(session.get(ANSWERS, {}))


def _save(values: dict) -> None:
    session[ANSWERS] = {**_answers(), **values}


def _pages(answers: dict) -> list[str]:
    """The pages this request asks: how it will be bought only for a procurement."""
    return [page for page in PAGES if page != "route" or answers.get("stage") == "procurement"]


def _first_missing_page(answers: dict) -> str | None:
    return next((page for page in _pages(answers) if PAGES[page] not in answers), None)


def _question(answers: dict, page: str, form, heading: str) -> str:
    pages = _pages(answers)
    at = pages.index(page)
    back = url_for(f".{pages[at - 1]}") if at else None
    # How many steps there are depends on what is started (a procurement asks how it will be bought): no total
    # is said until that is chosen, rather than one that would change.
    steps = len(pages) if answers.get("stage") else None
    return render("requests/question.html", form=form, step=at + 1, steps=steps, back=back, heading=heading)


@requests.route("/new", methods=["GET", "POST"])
@signed_in
def about():
    answers = _answers()
    form = AboutRequestForm(data=answers)
    form.fill_choices(core(), {a for _, a, _ in me().roles})
    if form.validate_on_submit():
        _save({k: form[k].data for k in ("stage", "title", "description", "authority", "category")})
        return redirect(url_for(".value"))
    return _question({**answers, "stage": form.stage.data or answers.get("stage")}, "about", form, "About the request")


@requests.route("/new/value", methods=["GET", "POST"])
@signed_in
def value():
    answers = _answers()
    if "title" not in answers:
        return redirect(url_for(".about"))
    data = dict(answers)
    if data.get("proposed_start"):
        data["proposed_start"] = date.fromisoformat(data["proposed_start"])
    form = ValueForm(data=data)
    if form.is_submitted():
        valid = form.validate()
        # The core's own checks of the value and duration, so the messages match the API's and the engine's.
        problems = core().engine.check_case_fields(
            **{name: form[name].data for name in ("estimated_value", "duration_months") if form[name].data}
        )
        apply_errors(form, problems)
        if valid and not problems:
            _save(
                {
                    "estimated_value": form.estimated_value.data.strip().replace(",", "").lstrip("£"),
                    "vat_treatment": form.vat_treatment.data,
                    "contract_type": form.contract_type.data,
                    "proposed_start": form.proposed_start.data.isoformat(),
                    "duration_months": form.duration_months.data.strip(),
                }
            )
            return redirect(url_for(".route" if answers["stage"] == "procurement" else ".funding"))
    return _question(answers, "value", form, "Value and contract")


@requests.route("/new/route", methods=["GET", "POST"])
@signed_in
def route():
    answers = _answers()
    if (missing := _first_missing_page(answers)) in ("about", "value"):
        return redirect(url_for(f".{missing}"))
    if answers["stage"] != "procurement":
        return redirect(url_for(".funding"))
    plan, problem = _preview({**answers, "route": None})
    if plan is None:
        flash(f"The route cannot be worked out from these answers: {problem}", "error")
        return redirect(url_for(".value"))
    form = RouteForm(
        data={"route": answers.get("route") or RECOMMENDED, **{k: answers.get(k) for k in DIRECT_AWARD_FACTS}}
    )
    form.fill_route_choices(plan.recommended_route, plan.allowed_routes, answers["contract_type"])
    if form.validate_on_submit():
        _save(form.route_answers())
        return redirect(url_for(".funding"))
    return _question(answers, "route", form, "How it will be bought")


@requests.route("/new/funding", methods=["GET", "POST"])
@signed_in
def funding():
    answers = _answers()
    if (missing := _first_missing_page(answers)) not in (None, "funding"):
        return redirect(url_for(f".{missing}"))
    form = FundingForm(data=answers)
    if form.validate_on_submit():
        _save({"funding": form.funding.data.strip(), "justification": form.justification.data.strip()})
        return redirect(url_for(".check"))
    return _question(answers, "funding", form, "Funding and justification")


@requests.route("/new/check", methods=["GET", "POST"])
@signed_in
def check():
    from flask import request as http

    answers = _answers()
    if missing := _first_missing_page(answers):
        return redirect(url_for(f".{missing}"))
    form = CheckAnswersForm()
    if form.validate_on_submit():
        submit_now = http.form.get("intent") == "submit" and answers["stage"] == "procurement"
        try:
            facts = {k: answers[k] for k in REQUEST_FACTS if answers.get(k)}
            if explained := (form.one_requirement_explained.data or "").strip():
                facts[ONE_REQUIREMENT_EXPLAINED] = explained
            case_id = core().engine.open_case(
                stage=answers["stage"],
                actor_id=me().id,
                details=facts,
                route=answers.get("route"),
                **{k: answers[k] for k in REQUEST_FIELDS},
            )
        except InvalidInput as error:
            apply_errors(form, error.fields)
            return _check_page(form, answers)
        session.pop(ANSWERS, None)
        if not submit_now:
            flash("Your request is saved as a draft. You can change it and submit it from this page.")
            return redirect(url_for("cases.show", case_id=case_id))
        try:
            result = core().engine.act(ActionRequest(case_id, "submit", me().id))
            flash(result.message)
        except (GuardFailed, DomainError) as error:
            flash(f"Your request is saved as a draft, but it could not be submitted: {error.message}", "error")
        return redirect(url_for("cases.show", case_id=case_id))
    return _check_page(form, answers)


def _check_page(form, answers: dict):
    """The answers to check, with the route and approvers they would get; for a procurement, the council's
    others that may be one requirement with it."""
    plan, plan_problem = _preview(answers)
    one_requirement = None
    if plan is not None and answers["stage"] == "procurement":
        with core().db.reading() as session:
            one_requirement = aggregation.of_request(core(), session, me(), _proposal(answers), plan.recommended_route)
    return render(
        "requests/check.html",
        form=form,
        answers=answers,
        plan=plan,
        plan_problem=plan_problem,
        one_requirement=one_requirement,
    )


@requests.post("/new/cancel")
@signed_in
def cancel():
    session.pop(ANSWERS, None)
    flash("The request was not saved.")
    return redirect(url_for("work.my_work"))


def _proposal(answers: dict) -> Proposal:
    return Proposal(
        answers["authority"],
        answers["category"],
        answers["contract_type"],
        Decimal(answers["estimated_value"]),
        answers["vat_treatment"],
        route=answers.get("route"),
    )


def _preview(answers: dict):
    try:
        return core().engine.preview_route(_proposal(answers), stage=answers["stage"]), None
    except (GovernanceError, ArithmeticError, KeyError) as error:
        return None, str(error)
