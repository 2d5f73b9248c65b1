"""Approvals: the queue, the decision page (with the conflict-of-interest declaration), bulk approval
that still runs every per-item check, and out-of-office cover."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import Blueprint, flash, redirect, request, url_for
from sqlalchemy import and_, false, or_

from ..errors import DomainError, InvalidInput, StaleCase
from ..models import ConflictDeclaration, RoleAssignment, User
from ..models.people import colleagues
from ..services import aggregation, reading, teams
from ..services.decisions import Declaration, act_declaring
from ..services.performance import TrackRecord, track_record
from ..wording import listed
from ..workflow.engine import ActionRequest
from .common import as_shown, core, me, render
from .forms import ActionForm, DecisionForm, DelegationForm, apply_errors, colleague_options, pressed
from .security import signed_in

approvals = Blueprint("approvals", __name__, url_prefix="/approvals")


@approvals.get("/")
@signed_in
def queue():
    pillar = request.args.get("pillar", "")
    authority = request.args.get("authority", "")
    with core().db.reading() as session:
        waiting = reading.approvals_waiting(core(), session, me(), pillar=pillar or None, authority=authority or None)
    return render(
        "approvals/queue.html",
        waiting=waiting,
        pillar=pillar,
        authority=authority,
        form=ActionForm(),
    )


@approvals.route("/cases/<id:case_id>", methods=["GET", "POST"])
@signed_in
def decide(case_id: int):
    waiting = _decision_waiting(case_id)
    if isinstance(waiting, str):
        flash(waiting, "error")
        return redirect(url_for("cases.show", case_id=case_id))
    form = DecisionForm()
    page = waiting.page
    if not page.asks_the_requester_alone:
        form.asking(listed([page.names[person] for person in page.behind_the_proposal]))
    gate = page.definition.gate_at(page.case.state)
    if gate is not None and gate.records_its_decisions:
        form.recorded()
    if request.method == "GET":
        form.seen_through.data = str(waiting.page.case.audit_seq)
    if form.validate_on_submit():
        try:
            _record_decision(form, case_id, waiting.declaration)
        except InvalidInput as error:
            apply_errors(form, error.fields)
        except StaleCase as error:
            # Something the person has not seen happened meanwhile (a question asked, a document added, the
            # gate decided): the case is shown as it now is, with what they chose and wrote kept, to check and
            # send again. Other committee members' decisions on the same step do not count (the door's rule).
            flash(error.message, "error")
            waiting = _decision_waiting(case_id)
            if isinstance(waiting, str):
                return redirect(url_for("cases.show", case_id=case_id))
            form.seen_through.data = str(waiting.page.case.audit_seq)
        except DomainError as error:
            apply_errors(form, {"outcome": error.message})
        else:
            return redirect(url_for("cases.show", case_id=case_id))
    return render(
        "approvals/decide.html",
        page=waiting.page,
        form=form,
        declaration=waiting.declaration,
        one_requirement=waiting.one_requirement,
        track_record=waiting.track_record,
    )


@dataclass(frozen=True)
class DecisionWaiting:
    """What the person deciding sees: the case's page, their latest declaration on it, and the council's
    other procurements that may be one requirement with it."""

    page: reading.CasePage
    declaration: ConflictDeclaration | None
    one_requirement: aggregation.PerhapsOneRequirement | None
    track_record: TrackRecord | None  # how a contract has gone, where its renewal or variation is decided


def _decision_waiting(case_id: int) -> DecisionWaiting | str:
    """What the person sees to decide the case, or why no decision waits for them."""
    with core().db.reading() as session:
        page = reading.case_page(core(), session, me(), case_id)
        if not any(action.decision for action in page.actions):
            at_a_gate = page.definition.gate_at(page.case.state) is not None
            if at_a_gate and me().id in page.behind_the_proposal:
                return "You cannot decide on a case you requested, nor on what you put forward (segregation of duties)."
            return "There is no decision waiting for you on this case."
        declaration = teams.latest_declaration(session, case_id, me().id)
        contract = page.contract if page.case.stage == "contract" else None
        return DecisionWaiting(
            page,
            declaration,
            aggregation.of_case(core(), session, me(), page.case),
            track_record(session, contract) if contract else None,
        )


def _record_decision(form: DecisionForm, case_id: int, declaration) -> None:
    declaring = None
    if declaration is None or form.has_conflict.data:  # asked once; answered again only if it changed
        if form.has_conflict.data not in ("yes", "no"):
            raise InvalidInput({"has_conflict": "Say whether you have a conflict of interest in this case"})
        declaring = Declaration(
            form.has_conflict.data == "yes", form.conflict_details.data or "", form.mitigation.data or ""
        )
    seen = as_shown(form.seen_through.data)
    request = ActionRequest(case_id, form.outcome.data, me().id, reason=form.reason.data or "", seen_through=seen)
    flash(act_declaring(core(), request, declaring).message)


@approvals.post("/bulk")
@signed_in
def bulk_approve():
    """Approve the ticked cases one by one through the engine: each runs every check on its own."""
    form = ActionForm()
    if not form.validate_on_submit():
        return redirect(url_for(".queue"))
    done, refused = [], []
    for raw in request.form.getlist("case_id")[:100]:
        if not raw.isdigit():
            continue
        try:
            result = core().engine.act(ActionRequest(int(raw), "approve", me().id))
            done.append(result.message)
        except DomainError as error:
            refused.append(f"Case {raw}: {error.message}")
    if done:
        flash(f"Approved {len(done)}: " + "; ".join(done))
    if refused:
        flash(f"Not approved {len(refused)}: " + "; ".join(refused), "error")
    if not done and not refused:
        flash("Tick the cases you want to approve.", "error")
    return redirect(url_for(".queue"))


@approvals.route("/cover", methods=["GET", "POST"])
@signed_in
def cover():
    actor = me()
    form = DelegationForm()
    covering = core().engine.covering_roles(actor)
    with core().db.reading() as session:
        could_cover = [
            and_(RoleAssignment.authority == authority, RoleAssignment.role.in_(roles))
            for authority, roles in covering.items()
        ]  # only those who could decide some of the person's approvals
        people = colleagues(session, User.id != actor.id, or_(false(), *could_cover))
        current = reading.delegations_of(session, actor)
    form.delegate.choices = colleague_options(people)
    if request.method == "GET":
        today = core().engine.today()
        form.starts_on.data = form.starts_on.data or today
        form.ends_on.data = form.ends_on.data or today + timedelta(days=7)
    if form.validate_on_submit():
        try:
            core().engine.delegate(
                actor.id, int(form.delegate.data), form.starts_on.data, form.ends_on.data, form.reason.data or ""
            )
        except InvalidInput as error:
            apply_errors(
                form, {{"delegate_id": "delegate", "ends_on": "ends_on"}.get(k, k): v for k, v in error.fields.items()}
            )
        else:
            flash("Your cover is set up.")
            return redirect(url_for(".cover"))
    return render("approvals/cover.html", form=form, current=current, revoke=ActionForm(), approves=bool(covering))


@approvals.post("/cover/<id:delegation_id>/end")
@signed_in
def end_cover(delegation_id: int):
    def end() -> str:
        core().engine.revoke_delegation(delegation_id, me().id)
        return "The cover has ended."

    return pressed(end, back=url_for(".cover"))
