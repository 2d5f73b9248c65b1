"""A case: its page, its actions (buttons that POST through the engine door), its details and documents."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, Response, flash, redirect, request, send_file, url_for

from ..diagrams import to_svg
from ..errors import DomainError, GuardFailed, InvalidInput, NotFound, StaleCase
from ..governance.calendar import LONDON
from ..governance.statutory import Regime, Route, conflicts_law
from ..services import (
    aggregation,
    case_notes,
    documents,
    evaluation,
    forward_plan,
    key_decision_reports,
    notices,
    ocds,
    performance,
    reading,
    teams,
)
from ..services.aggregation import ONE_REQUIREMENT_EXPLAINED
from ..services.forward_plan import FORWARD_PLAN_ENTRY, forward_plan_notice
from ..services.tasks import may_see_task
from ..workflow.context import procurement_needs_kpis
from ..workflow.engine import (
    DIRECT_AWARD_FACTS,
    REQUEST_FACTS,
    REQUEST_FIELDS,
    STAGE_PREFIX,
    ActionRequest,
    AvailableAction,
)
from .common import as_shown, core, csv_download, me, release_package, render, yes_no
from .forms import (
    EVERY_ROUTE,
    RECOMMENDED,
    DeclarationForm,
    EditRequestForm,
    KeyDecisionReportForm,
    NoteForm,
    RecordNoticeForm,
    TeamMemberForm,
    UploadForm,
    action_form_class,
    action_inputs,
    apply_errors,
    change_from,
    colleague_options,
    input_field,
    kpi_form_data,
    kpi_rows,
    kpis_form_class,
)
from .security import signed_in

cases = Blueprint("cases", __name__, url_prefix="/cases")

# The step whose page says what the notice confirms of the conflicts assessment.
CONTRACT_DETAILS = "publish_contract_details"
CASE_SORTS = {"updated": "Last changed", "newest": "Newest first", "value": "Value, highest first"}


def _query() -> reading.CaseQuery:
    args = request.args
    page = args.get("page", "1")
    # Someone who works in one pillar starts with its cases; choosing "Any" (an empty pillar) shows them all.
    pillars = {pillar for _, _, pillar in me().roles if pillar}
    return reading.CaseQuery(
        text=args.get("q", "").strip()[:100],
        stage=args.get("stage", ""),
        pillar=args.get("pillar", next(iter(pillars)) if len(pillars) == 1 else ""),
        authority=args.get("authority", ""),
        requester_id=me().id if args.get("whose") == "mine" else None,  # "Requested by: Me", My work links to it
        open_only=args.get("show", "open") != "all",
        sort=args.get("sort", "updated") if args.get("sort") in CASE_SORTS else "updated",
        page=int(page) if page.isdigit() else 1,
    )


@cases.get("/")
@signed_in
def pipeline():
    """The cases a person can see: the pipeline for category staff, their own requests for a requester."""
    query = _query()
    with core().db.reading() as session:
        found = reading.cases_page(core(), session, me(), query)
        undecidable = core().engine.nobody_may_decide(session, (case for (case,) in found.rows))
    return render(
        "cases/list.html",
        page=found,
        undecidable=undecidable,
        query=query,
        sorts=CASE_SORTS,
        stages=[(stage, core().workflows.for_stage(stage).title) for stage in STAGE_PREFIX],
        workflows=core().workflows,
    )


@cases.get("/export.csv")
@signed_in
def export():
    """The cases listed (every page of them, with the list's filters), for the intelligence team's own analysis."""
    query, actor, org, workflows = _query(), me(), core().governance.organisation, core().workflows

    def rows():
        with core().db.reading() as session:
            for case, requester in reading.case_rows(core(), session, actor, query):
                states = workflows.get(case.workflow, case.workflow_version).states
                yield [
                    case.reference,
                    case.title,
                    workflows.for_stage(case.stage).title,
                    states[case.state].label if case.state in states else case.state,
                    org.authority_name(case.authority),
                    org.pillars[case.pillar].name if case.pillar in org.pillars else "",
                    org.categories[case.category].name if case.category in org.categories else "",
                    case.contract_type or "",
                    f"{case.estimated_value:.2f}" if case.estimated_value is not None else "",
                    Route.label_of(case.route, unknown="") if case.stage == "procurement" else "",
                    case.regime or "",
                    yes_no(bool(case.key_decision)),
                    requester or "",
                    _day(case.created_at),
                    _day(case.submitted_at),
                    _day(case.updated_at),
                ]

    header = [
        "Reference", "Title", "Stage", "Status", "Council", "Pillar", "Category", "Contract type",
        "Estimated value excluding VAT", "Route", "Regime", "Key decision", "Requester", "Opened", "Submitted",
        "Last changed",
    ]  # fmt: skip
    return csv_download(header, rows(), f"cases-{core().engine.today().isoformat()}.csv")


def _day(moment) -> str:
    """A timestamp's day in the councils' own time, for a spreadsheet."""
    return moment.astimezone(LONDON).date().isoformat() if moment else ""


@cases.get("/<id:case_id>")
@signed_in
def show(case_id: int):
    return _case_page(case_id)


def _case_page(case_id: int, *, upload: UploadForm | None = None, note: NoteForm | None = None, status: int = 200):
    """The case page; ``upload`` (the document form) or ``note`` (the note form) given with its errors after
    it was refused."""
    upload, note = upload or UploadForm(formdata=None), note or NoteForm(formdata=None)
    with core().db.reading() as session:
        page = reading.case_page(core(), session, me(), case_id)
        return render(
            "cases/show.html",
            page=page,
            one_requirement=aggregation.of_case(core(), session, me(), page.case),
            form=note if note.errors else upload,  # the page's error summary lists this form's errors
            upload=upload,
            note=note,
            status=status,
            today=core().engine.today(),
            notices=[e.event for e in page.timeline if ocds.publishes_a_notice(e.event)],
            conflicts_assessment=teams.conflicts_assessment_dates(page.case),
            # A requester or a team member from outside the council sees its tasks listed, not linked to a 404.
            tasks_openable={task.id for task in page.tasks if may_see_task(me(), task, page.case)},
            reports_requirable={
                record.id
                for record in page.decision_records
                if key_decision_reports.may_require_report(core(), me(), record)
            },
            reports_required=key_decision_reports.reports_required(session, case_id) if page.decision_records else {},
        )


@cases.get("/<id:case_id>/diagram.svg")
@signed_in
def diagram(case_id: int):
    with core().db.reading() as session:
        case = reading.get_case_for(session, me(), case_id)
        definition = core().workflows.get(case.workflow, case.workflow_version)
    return Response(to_svg(definition, current=case.state), mimetype="image/svg+xml")


@cases.get("/<id:case_id>/urgency-notice")
@signed_in
def urgency_notice(case_id: int):
    """The notices of a key decision to be taken under an urgency rule, drafted from the case to publish."""
    with core().db.reading() as session:
        notice = forward_plan.urgency_notice(core(), session, me(), case_id)
    return render("cases/urgency_notice.html", case=notice.case, urgent=notice)


@cases.get("/<id:case_id>/ocds.json")
@signed_in
def open_data(case_id: int):
    """The procurement's or contract's published notices as an OCDS release package."""
    with core().db.reading() as session:
        package = ocds.case_release_package(core(), session, me(), case_id)
    return release_package(package)


def _action(case_id: int, trigger: str) -> tuple[object, AvailableAction]:
    with core().db.reading() as session:
        page = reading.case_page(core(), session, me(), case_id)
    action = next((a for a in page.actions if a.trigger == trigger), None)
    return page, action


def _action_page(page, action: AvailableAction, form, **more):
    """An action's page; recording a key decision's forward plan entry shows the notice to publish first, and
    publishing a contract details notice under the Act what it confirms of the conflicts assessment."""
    if action.trigger == FORWARD_PLAN_ENTRY:
        with core().db.reading() as session:
            more["forward_plan"] = forward_plan_notice(core(), session, page, core().engine.today())
    if (
        action.trigger == CONTRACT_DETAILS
        and page.case.regime == Regime.PA2023
        and (assessed := teams.conflicts_assessment_dates(page.case))
    ):
        more["known"] = (
            f"The notice confirms the conflicts assessment ({conflicts_law(page.case.regime, 's83')}): {assessed}."
        )
    return render("cases/action.html", page=page, action=action, form=form, **more)


@cases.route("/<id:case_id>/actions/<trigger>", methods=["GET", "POST"])
@signed_in
def act(case_id: int, trigger: str):
    """Take an action. Actions with inputs or a reason show their form first; the rest act on POST."""
    page, action = _action(case_id, trigger)
    if action is None or action.decision:
        if action is not None:  # gate decisions have their own page, with the declaration
            return redirect(url_for("approvals.decide", case_id=case_id))
        flash(f"'{trigger.replace('_', ' ').capitalize()}' is not available to you on this case now.", "error")
        return redirect(url_for(".show", case_id=case_id))
    form = action_form_class(action)()
    if request.method == "GET":
        form.version.data = str(page.case.version)
        known, whence = _known_answers(case_id, trigger)
        for name, value in known.items():
            if name in form:
                form[name].data = yes_no(value) if isinstance(value, bool) else value
        return _action_page(page, action, form, known=whence)
    if not form.validate_on_submit():
        return _action_page(page, action, form)
    try:
        result = core().engine.act(
            ActionRequest(
                case_id,
                trigger,
                me().id,
                expected_version=as_shown(form.version.data),
                comment=form.comment.data or "",
                reason=form.reason.data if "reason" in form else "",
                inputs=action_inputs(form, action.inputs),
            )
        )
    except InvalidInput as error:
        apply_errors(form, error.fields)
        return _action_page(page, action, form)
    except StaleCase as error:
        flash(error.message, "error")
        return redirect(url_for(".show", case_id=case_id))
    except GuardFailed as error:
        return _action_page(page, action, form, missing=error.missing, status=409)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(".show", case_id=case_id))
    flash(result.message)
    return redirect(url_for(".show", case_id=case_id))


def _known_answers(case_id: int, trigger: str) -> tuple[dict[str, object], str]:
    """What the case already knows of an action's answers, filled in for the person to check, and whence: an
    award recommendation's supplier and price, from the evaluation (a direct award's supplier, from its
    transparency notice); the suppliers to invite to tender, from the requests to participate."""
    if trigger not in ("recommend_award", "invite_tenders"):
        return {}, ""
    with core().db.reading() as session:
        if trigger == "invite_tenders":
            known = evaluation.invitation_answers(session, case_id)
            count = len(str(known.get("invited_suppliers", "")).splitlines())
            whence = f"Filled in from the requests to participate: the {count} not set aside."
        elif known := evaluation.recommendation_answers(session, case_id):
            whence = f"Filled in from the evaluation: {known.get('supplier_name')}'s is the most advantageous tender."
        elif known := evaluation.notified_answers(session, case_id):
            to = known.get("supplier_name")
            whence = f"Filled in from the transparency notice, which said the contract is to go to {to}."
        else:
            whence = ""
        if trigger == "recommend_award" and (reserved := evaluation.reserved_answers(session, case_id)):
            known = {**known, **reserved}
            said = "The supplier is of the kind the competition was reserved to: only their tenders were assessed."
            whence = f"{whence} {said}".strip()
    return (known, whence) if known else ({}, "")


@cases.route("/<id:case_id>/team", methods=["GET", "POST"])
@signed_in
def team(case_id: int):
    """Who works on the procurement: add someone (they are asked to declare), or take someone off."""
    with core().db.reading() as session:
        case = reading.get_case_for(session, me(), case_id)
        if case.stage != "procurement" or not teams.may_manage_team(me(), case):
            raise NotFound(f"There is no procurement {case_id} whose team you can change")
        members = teams.team_of(session, case.id)
        choices = teams.team_choices(core(), session, case)
        session.expunge(case)
    form = TeamMemberForm()
    form.user_id.choices = colleague_options(choices)

    def add() -> str:
        teams.add_team_member(core(), case_id, me().id, user_id=int(form.user_id.data), part=form.part.data)
        name = next(person.full_name for person in choices if person.id == int(form.user_id.data))
        return f"{name} is on the team, and has been asked to declare their interests"

    back, refused = url_for(".team", case_id=case_id), url_for(".show", case_id=case_id)
    if done := change_from(form, add, back=back, refused_back=refused):
        return done
    return render("cases/team.html", case=case, members=members, form=form)


@cases.post("/<id:case_id>/team/<id:user_id>/remove")
@signed_in
def remove_from_team(case_id: int, user_id: int):
    with core().db.reading() as session:
        reading.get_case_for(session, me(), case_id)  # a case the person cannot see is not there
        name = reading.user_names(session, {user_id}).get(user_id, "They")
    try:
        teams.remove_team_member(core(), case_id, me().id, user_id=user_id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"{name} is no longer on the team")
    return redirect(url_for(".team", case_id=case_id))


@cases.route("/<id:case_id>/declaration", methods=["GET", "POST"])
@signed_in
def declare(case_id: int):
    """Declare your interests in a case (none, or a conflict and how it is mitigated), without acting on it."""
    with core().db.reading() as session:
        case = reading.get_case_for(session, me(), case_id)
        session.expunge(case)
    form = DeclarationForm()

    def declare() -> str:
        core().engine.declare_interests(
            case_id,
            me().id,
            has_conflict=form.has_conflict.data == "yes",
            details=form.conflict_details.data or "",
            mitigation=form.mitigation.data or "",
        )
        return f"Your declaration on {case.reference} is recorded"

    back = url_for(".show", case_id=case_id)
    if done := change_from(form, declare, back=back, fields={"details": "conflict_details"}):
        return done
    return render("cases/declaration.html", case=case, form=form)


@cases.route("/<id:case_id>/notices/<kind>", methods=["GET", "POST"])
@signed_in
def record_notice(case_id: int, kind: str):
    """Record that a notice the case owes (a contract change, contract termination or procurement termination
    notice) was published on Find a Tender."""
    with core().db.reading() as session:
        case = reading.get_case_for(session, me(), case_id)
        owed = dict((n.kind, (n, d)) for n, d in notices.notices_owed(session, me(), case))
        session.expunge_all()
    if kind not in owed:
        flash(f"There is no such notice for you to record on {case.reference}", "error")
        return redirect(url_for(".show", case_id=case_id, _anchor="dates"))
    notice, deadline = owed[kind]
    form = RecordNoticeForm()

    def record() -> str:
        published_on, notice_id = form.published_on.data, form.notice_id.data or ""
        next_owed = notices.record_notice(
            core(), case_id, me().id, kind=kind, published_on=published_on, notice_id=notice_id
        )
        recorded = f"The {notice.title.lower()} for {case.reference} is recorded"
        if next_owed:
            return f"{recorded}. The next breach's notice is owed by {next_owed:%-d %B %Y}."
        if kind != "contract_change_notice":
            return recorded
        # The variation waited for this notice: say whether it can be made now, or what it still waits for.
        waiting = core().engine.not_yet(case_id, me().id, ["make_variation"]).get("make_variation")
        return f"{recorded}. " + (waiting[0] if waiting else "The modification can now be made.")

    # After a change notice, back to the top of the case, where the modification is made.
    anchor = "actions" if kind == "contract_change_notice" else "dates"
    if done := change_from(form, record, back=url_for(".show", case_id=case_id, _anchor=anchor)):
        return done
    return render("cases/notice.html", case=case, notice=notice, deadline=deadline, form=form)


@cases.route("/<id:case_id>/kpis", methods=["GET", "POST"])
@signed_in
def set_kpis(case_id: int):
    """The KPIs of the contract a procurement will award, set before it is signed (PA23 s52)."""
    with core().db.reading() as session:
        case = reading.get_case_for(session, me(), case_id)
        commissioned = reading.outcomes_commissioned(session, case)
        session.expunge_all()
    if not (performance.procurement_kpis_open(case) and performance.may_manage_performance(me(), case)):
        raise NotFound(f"There is no procurement {case_id} whose contract's KPIs you can set")
    details = case.details or {}
    needed = procurement_needs_kpis(case, details, case.regime, core().engine.today())
    form_class = kpis_form_class(performance.MAX_KPIS, exemption=True)
    current = {"exemption": details.get("kpis_exemption", ""), **kpi_form_data(details.get("kpis") or [])}
    form = form_class(data=current) if request.method == "GET" else form_class()

    def save() -> str:
        exemption = form.exemption.data or ""
        performance.set_procurement_kpis(core(), case_id, me().id, kpi_rows(form), exemption=exemption)
        return f"The KPIs for {case.reference}'s contract are saved"

    if done := change_from(form, save, back=url_for(".show", case_id=case_id, _anchor="kpis")):
        return done
    return render(
        "cases/kpis.html", case=case, form=form, needed=needed, rows=performance.MAX_KPIS, commissioned=commissioned
    )


@cases.route("/<id:case_id>/decision-records/<id:record_id>/report", methods=["GET", "POST"])
@signed_in
def require_key_decision_report(case_id: int, record_id: int):
    """Record that the council's overview and scrutiny committee requires a report to the council on an officer's
    decision it holds should have been a key decision (2012 regs reg 18)."""
    with core().db.reading() as session:
        case = reading.get_case_for(session, me(), case_id)
        record = key_decision_reports.decision_record(session, case_id, record_id)
        if not key_decision_reports.may_require_report(core(), me(), record):
            raise NotFound(f"There is no decision record {record_id} on case {case_id} that you can ask a report on")
        session.expunge_all()
    form = KeyDecisionReportForm()

    def require() -> str:
        required = key_decision_reports.ReportRequired(
            form.committee.data or "", form.resolved_on.data, form.report_by.data, form.why.data or ""
        )
        key_decision_reports.require_report(core(), case_id, record_id, me().id, required)
        return f"The report on the decision is due by {form.report_by.data:%-d %B %Y}: it is in your tasks"

    if done := change_from(form, require, back=url_for(".show", case_id=case_id, _anchor="decision-records")):
        return done
    return render("cases/key_decision_report.html", case=case, record=record, form=form)


@cases.route("/<id:case_id>/edit", methods=["GET", "POST"])
@signed_in
def edit(case_id: int):
    with core().db.reading() as session:
        case = reading.get_case_for(session, me(), case_id)
        definition = core().workflows.get(case.workflow, case.workflow_version)
        mine = definition.states[case.state].editable and case.requester_id == me().id
        one_requirement = aggregation.of_case(core(), session, me(), case) if mine else None
    if not mine:
        flash("Only the requester can change a request, and only while it is a draft or returned for rework.", "error")
        return redirect(url_for(".show", case_id=case_id))
    # What it was asked on its way here (a commissioning case's business case), changed here too.
    kept = definition.answers_kept_at(case.state)
    facts = {key: case.details.get(key, "") for key in (*REQUEST_FACTS, ONE_REQUIREMENT_EXPLAINED)}
    asked = {spec.name: input_field(spec) for spec in kept}
    form_class = type("EditRequestAndAnswersForm", (EditRequestForm,), asked) if asked else EditRequestForm
    form = form_class(obj=case, **facts, **{spec.name: case.details.get(spec.name, "") for spec in kept})
    if kept:  # the answers under the state's name (Business case), apart from the request's own questions
        form.headings = {kept[0].name: definition.states[case.state].label}
    form.fill_choices(core(), {a for _, a, _ in me().roles})
    procurement = case.stage == "procurement"
    if procurement:  # every route and ground: which are open depend on the value and type, changeable here too
        form.fill_route_choices(None, EVERY_ROUTE, None)
    else:
        for name in ("route", *DIRECT_AWARD_FACTS):
            delattr(form, name)
    # asked where it may be one requirement with others, or was (so that what was said can be changed)
    explaining = bool(one_requirement or facts[ONE_REQUIREMENT_EXPLAINED])
    if not explaining:
        delattr(form, ONE_REQUIREMENT_EXPLAINED)
    if request.method == "GET":
        form.version.data = str(case.version)
        form.estimated_value.data = f"{case.estimated_value:.2f}"
        form.duration_months.data = str(case.duration_months or "")
        if procurement:
            form.route.data = case.route or RECOMMENDED
    if form.validate_on_submit():
        chosen = form.route_answers() if procurement else {}
        try:
            core().engine.edit_case(
                case_id,
                me().id,
                as_shown(form.version.data),
                details={"funding": form.funding.data, "justification": form.justification.data}
                | {key: chosen[key] for key in DIRECT_AWARD_FACTS if key in chosen}
                | ({ONE_REQUIREMENT_EXPLAINED: form.one_requirement_explained.data or ""} if explaining else {}),
                answers=action_inputs(form, kept) if kept else None,
                **({"route": chosen["route"]} if procurement else {}),
                **{name: form[name].data for name in REQUEST_FIELDS},
            )
        except InvalidInput as error:
            apply_errors(form, error.fields)
            return render("cases/edit.html", case=case, form=form, one_requirement=one_requirement)
        except StaleCase as error:
            flash(error.message, "error")
            return redirect(url_for(".show", case_id=case_id))
        with core().db.reading() as session:
            saved = reading.get_case_for(session, me(), case_id)
            unfrozen = saved.submitted_at is not None and not saved.route_plan  # see Engine.edit_case
        again = " Its route and approvers will be worked out again when you resubmit it." if unfrozen else ""
        flash(f"Your changes are saved.{again}")
        return redirect(url_for(".show", case_id=case_id))
    return render("cases/edit.html", case=case, form=form, one_requirement=one_requirement)


@cases.post("/<id:case_id>/documents")
@signed_in
def upload(case_id: int):
    form = UploadForm()
    if form.validate_on_submit():
        file = request.files.get("document")
        if file is None or not file.filename:
            apply_errors(form, {"document": "Select a file to upload"})
        else:
            try:
                documents.attach_document(core(), case_id, me().id, file.filename, file.stream)
                flash(f"{documents.safe_filename(file.filename)} is uploaded.")
                return redirect(url_for(".show", case_id=case_id, _anchor="documents"))
            except InvalidInput as error:
                apply_errors(form, error.fields)
    return _case_page(case_id, upload=form, status=400)


@cases.post("/<id:case_id>/notes")
@signed_in
def add_note(case_id: int):
    form = NoteForm()
    if form.validate_on_submit():
        try:
            case_notes.add_note(core(), case_id, me().id, form.note.data or "")
            flash("Your note is added to the case's history.")
            return redirect(url_for(".show", case_id=case_id, _anchor="timeline"))
        except InvalidInput as error:
            apply_errors(form, error.fields)
    return _case_page(case_id, note=form, status=400)


@cases.get("/<id:case_id>/documents/<id:document_id>")
@signed_in
def download(case_id: int, document_id: int):
    document, content = documents.open_document(core(), case_id, document_id, me().id)
    return send_file(
        BytesIO(content), mimetype=document.content_type, as_attachment=True, download_name=document.filename
    )
