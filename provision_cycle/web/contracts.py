"""The contract register: search, filter, sort, page, export; and a contract's own page."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, request, url_for

from ..errors import DomainError, InvalidInput, NotFound
from ..governance import statutory
from ..governance.organisation import FINANCE_OFFICER, JOINT
from ..models import Case, Contract
from ..models.suppliers import supplier_key
from ..scheduling.config import schedule_for
from ..services import payments_compliance, performance, pipeline, reading, spend, suppliers, transparency
from ..services.contract_managers import (
    assign_contract_manager,
    contracts_managed_by,
    hand_over_all,
    manager_choices,
    may_assign_contract_manager,
    takers_of_all,
)
from ..services.contract_record import AS_LOADED, correct_contract, may_keep_contract
from ..services.contract_risk import set_contract_risk
from ..services.tasks import contract_tasks, may_see_task, next_review
from ..wording import counted, listed
from ..workflow.context import MANAGER_ROLE
from ..workflow.frameworks import framework_named_by
from .common import as_shown, core, csv_download, me, render, yes_no, yes_no_or_none
from .forms import (
    ApproveNoticeForm,
    ContractManagerForm,
    ContractRecordForm,
    ContractRiskForm,
    ReportPeriodForm,
    assessment_form_class,
    change_from,
    colleague_options,
    kpi_form_data,
    kpi_rows,
    kpis_form_class,
    options,
)
from .security import roles_required, signed_in

contracts = Blueprint("contracts", __name__, url_prefix="/contracts")
CSV_COLUMNS = (
    "Reference",
    "Title",
    "Supplier",
    "Supplier registration number",
    "Supplier PPON",
    "SME",
    "VCSE",
    "Supported employment provider",
    "Public service mutual",
    "Authority",
    "Pillar",
    "Category",
    "Contract type",
    "Regime",
    "Route",
    "Framework",
    "Value excluding VAT",
    "Irrecoverable VAT",
    "Start date",
    "End date",
    "Extension months available",
    "Maximum term in months",
    "Notice period days",
    "Risk",
    "Status",
    "Contract manager",
)


def _query() -> tuple[reading.RegisterQuery, dict[str, str]]:
    args = request.args
    problems = {}
    within = args.get("expiring_within", "").strip()
    if within and not (within.isdigit() and 0 < int(within) <= 3650):
        problems["expiring_within"] = "Enter a number of days between 1 and 3650, like 90"
    # An end-date window, as ISO dates: the overview's renewal pipeline links each of its bands so.
    window: dict[str, date | None] = {}
    for name in ("ends_from", "ends_by"):
        text = args.get(name, "").strip()
        try:
            window[name] = date.fromisoformat(text) if text else None
        except ValueError:
            window[name] = None
            problems["window"] = f"The end dates must be given as year-month-day, like 2027-03-31, not '{text[:20]}'"
    if window["ends_from"] and window["ends_by"] and window["ends_from"] > window["ends_by"]:
        problems["window"] = "The last end date must be on or after the first"
    page = args.get("page", "1")
    # A contract manager starts with the contracts they manage; "All contracts" shows the whole register.
    manages = me().holds(MANAGER_ROLE, JOINT)  # in either council
    mine = args.get("show", "mine" if manages else "all") == "mine"
    # The register starts with the contracts that have not ended (years of expired ones would come first by
    # their end dates); "Any" status shows those too.
    status = args.get("status", reading.CURRENT)
    return (
        reading.RegisterQuery(
            text=args.get("q", "").strip()[:100],
            pillar=args.get("pillar", ""),
            category=args.get("category", ""),
            risk=args.get("risk", ""),
            authority=args.get("authority", ""),
            **reading.register_status(core(), status),
            expiring_within=int(within) if within and "expiring_within" not in problems else None,
            ends_from=None if "window" in problems else window["ends_from"],
            ends_by=None if "window" in problems else window["ends_by"],
            manager_id=me().id if mine else None,
            sort=args.get("sort", "end_date"),
            page=int(page) if page.isdigit() else 1,
        ),
        problems,
    )


@contracts.get("/")
@signed_in
def register():
    query, problems = _query()
    with core().db.reading() as session:
        page = reading.register_page(session, me(), query, core().engine.today())
        # A name recorded as one supplier's: its contracts under the others are found too, and the page says why;
        # so are the contracts of the suppliers a number searched for is recorded with (a tender may give it).
        supplier_names = suppliers.names_of(session, supplier_key(query.text)) if query.text else ()
        numbered = suppliers.names_numbered(session, me(), query.text) if query.text else {}
    states = core().workflows.for_stage("contract").states
    return render(
        "contracts/register.html",
        page=page,
        ended=page.left_out,
        ended_as=" or ".join(state.label.lower() for state in states.values() if state.final),
        query=query,
        problems=problems,
        states=states,
        status_choices=[
            (reading.CURRENT, "Current (not ended)"),
            *((state.name, state.label) for state in states.values()),
        ],
        may_publish=bool(transparency.publishing_councils(me())),
        found_under_other_names=supplier_names[0] if len(supplier_names) > 1 else None,
        numbered=sorted(numbered.items(), key=lambda item: item[1].casefold()),
        status=400 if problems else 200,
    )


@contracts.get("/export.csv")
@signed_in
def export():
    query, _ = _query()
    actor, today, org = me(), core().engine.today(), core().governance.organisation
    states = core().workflows.for_stage("contract").states

    def rows():
        with core().db.reading() as session:
            for contract, case, manager, framework in reading.register_rows(session, actor, query, today):
                yield [
                    contract.reference,
                    contract.title,
                    contract.supplier_name,
                    contract.supplier_registration,
                    contract.supplier_ppon,
                    yes_no(contract.supplier_is_sme),
                    yes_no(contract.supplier_is_vcse),
                    yes_no_or_none(contract.supplier_is_supported_employment),
                    yes_no_or_none(contract.supplier_is_public_service_mutual),
                    org.authority_name(contract.authority),
                    org.pillars[contract.pillar].name,
                    org.categories[contract.category].name,
                    contract.contract_type,
                    contract.regime,
                    contract.route or "",
                    framework or "",
                    f"{contract.value:.2f}",
                    f"{contract.irrecoverable_vat:.2f}",
                    contract.start_date.isoformat(),
                    contract.end_date.isoformat(),
                    contract.extension_months_available,
                    contract.maximum_term_months,
                    contract.notice_period_days,
                    contract.risk,
                    states[case.state].label if case.state in states else case.state,
                    manager or "",
                ]

    return csv_download(CSV_COLUMNS, rows(), f"contract-register-{today.isoformat()}.csv")


@contracts.get("/<id:contract_id>")
@signed_in
def show(contract_id: int):
    with core().db.reading() as session:
        contract = reading.get_contract_for(session, me(), contract_id)
        page = reading.case_page(core(), session, me(), contract.case_id)
        tasks = contract_tasks(session, contract.id)
        review = next_review(core(), contract, page.case, tasks)
        manager = reading.user_names(session, {contract.contract_manager_id} if contract.contract_manager_id else set())
        paid, payments = spend.contract_spend(session, contract.id)
        latest = spend.contract_payments(session, contract.id)
        kpis = performance.kpis_of(session, contract.id)
        assessments = performance.assessments_of(session, contract.id)
        kpis_required = performance.kpis_required(session, contract)
        procurement = session.get(Case, contract.procurement_case_id) if contract.procurement_case_id else None
        framework = framework_named_by(session, procurement.details or {}) if procurement else None
        procurement_seen = procurement is not None and reading.may_see_case(session, me(), procurement)
    return render(
        "contracts/show.html",
        framework=framework,
        procurement=procurement,
        procurement_seen=procurement_seen,
        kpis=kpis,
        assessments=assessments,
        kpis_required=kpis_required,
        ratings={code: label for code, (label, _) in performance.RATINGS.items()},
        may_manage_performance=performance.may_manage_performance(me(), page.case),
        paid=paid,
        payments=payments,
        latest_payments=latest,
        contract=contract,
        page=page,
        tasks=tasks,
        review=review,
        # Someone who sees the contract only as its manager sees its tasks listed, not linked to a 404.
        tasks_openable={task.id for task in tasks if may_see_task(me(), task, page.case)},
        manager=manager.get(contract.contract_manager_id, "Not assigned"),
        may_change_manager=may_assign_contract_manager(me(), contract),
        may_keep=may_keep_contract(me(), contract),
        may_rate_risk=may_keep_contract(me(), contract) and review.running,
        today=core().engine.today(),
    )


@contracts.route("/<id:contract_id>/manager", methods=["GET", "POST"])
@signed_in
def change_manager(contract_id: int):
    """Hand the contract to another contract manager (and its open tasks with it)."""
    with core().db.reading() as session:
        contract = reading.get_contract_for(session, me(), contract_id)
        if not may_assign_contract_manager(me(), contract):
            raise NotFound(f"There is no contract {contract_id} whose manager you can change")
        choices = manager_choices(core(), session, contract)
        current = reading.user_names(session, {contract.contract_manager_id} if contract.contract_manager_id else set())
        session.expunge(contract)
    form = ContractManagerForm()
    form.manager_id.choices = colleague_options([p for p in choices if p.id != contract.contract_manager_id])

    def hand_over() -> str:
        moved = assign_contract_manager(
            core(), contract_id, me().id, manager_id=int(form.manager_id.data), reason=form.reason.data or ""
        )
        name = next(person.full_name for person in choices if person.id == int(form.manager_id.data))
        handed = f", with {counted(moved, 'open task')}" if moved else ""
        return f"{name} now manages {contract.reference}{handed}"

    if done := change_from(form, hand_over, back=url_for(".show", contract_id=contract_id)):
        return done
    return render(
        "contracts/manager.html",
        contract=contract,
        others=_others_managed(contract.contract_manager_id),
        form=form,
        current=current.get(contract.contract_manager_id, "Nobody is named yet (its tasks go to its requester)"),
    )


def _kept_by_me(contract_id: int, what: str) -> tuple[Contract, int]:
    """The contract (detached) and its case's version, for the signed-in person who keeps it (its manager, its
    category team): for anyone else there is no such contract ``what`` (404)."""
    with core().db.reading() as session:
        contract = reading.get_contract_for(session, me(), contract_id)
        if not may_keep_contract(me(), contract):
            raise NotFound(f"There is no contract {contract_id} {what}")
        version = session.get(Case, contract.case_id).version
        session.expunge(contract)
    return contract, version


@contracts.route("/<id:contract_id>/risk", methods=["GET", "POST"])
@signed_in
def change_risk(contract_id: int):
    """Rate the contract's risk again, saying why: it sets how often the contract is reviewed."""
    contract, _ = _kept_by_me(contract_id, "whose risk you can change")
    schedule = schedule_for(core())
    form = ContractRiskForm(data={"risk": contract.risk} if request.method == "GET" else None)

    def cadence(risk: str) -> str:  # each choice says what it would mean for the contract's reviews
        return counted(schedule.review_every(contract.value, risk), "month")

    form.risk.choices = options((c.value, f"{c.label}: reviewed every {cadence(c.value)}") for c in form.risk.choices)

    def change() -> str:
        every = set_contract_risk(core(), contract_id, me().id, risk=form.risk.data, reason=form.reason.data or "")
        return f"{contract.reference} is now {form.risk.data} risk: reviewed every {counted(every, 'month')}"

    if done := change_from(form, change, back=url_for(".show", contract_id=contract_id)):
        return done
    return render("contracts/risk.html", contract=contract, form=form)


# The record's yes-or-no details a form asks as such, and those the register may not have an answer to.
YES_OR_NO = ("supplier_is_sme", "supplier_is_vcse")
YES_NO_OR_NOT_RECORDED = ("supplier_is_supported_employment", "supplier_is_public_service_mutual")
AS_TYPED = ("title", "description", "supplier_registration", "supplier_ppon")


@contracts.route("/<id:contract_id>/details", methods=["GET", "POST"])
@signed_in
def correct_record(contract_id: int):
    """Correct what the register holds of the contract (not the contract itself: that is a variation)."""
    contract, version = _kept_by_me(contract_id, "whose record you can correct")
    form = ContractRecordForm()
    as_loaded = contract.procurement_case_id is None and me().runs_category(contract.authority, contract.pillar)
    if not as_loaded:
        for name in AS_LOADED:
            delattr(form, name)
    if request.method == "GET":
        shown = {name: getattr(contract, name) for name in AS_TYPED}
        shown |= {name: yes_no(getattr(contract, name)) for name in YES_OR_NO}
        shown |= {name: yes_no_or_none(getattr(contract, name)) or "not_recorded" for name in YES_NO_OR_NOT_RECORDED}
        shown |= {
            "notice_period_days": str(contract.notice_period_days),
            "irrecoverable_vat": f"{contract.irrecoverable_vat:.2f}",
        }
        shown |= {"extension_months_available": str(contract.extension_months_available), "version": version}
        if as_loaded:
            shown |= {
                "value": f"{contract.value:.2f}",
                "start_date": contract.start_date,
                "end_date": contract.end_date,
            }
            shown["maximum_term_months"] = str(contract.maximum_term_months or "")
        form.process(data=shown)

    def correct() -> str:
        typed = (*AS_TYPED, "notice_period_days", "extension_months_available", "irrecoverable_vat")
        typed += AS_LOADED if as_loaded else ()
        given = {name: form[name].data or "" for name in typed}  # read by the service, as people write them
        given |= {name: form[name].data == "yes" for name in YES_OR_NO}
        said = {"yes": True, "no": False}
        given |= {name: said.get(form[name].data) for name in YES_NO_OR_NOT_RECORDED}
        shown_at = as_shown(form.version.data)
        corrected = correct_contract(
            core(), contract_id, me().id, given, reason=form.reason.data or "", expected_version=shown_at
        )
        return f"{contract.reference}'s record is corrected: {listed(corrected)}"

    if done := change_from(form, correct, back=url_for(".show", contract_id=contract_id)):
        return done
    return render("contracts/record.html", contract=contract, form=form)


def _others_managed(person_id: int | None) -> int:
    """How many contracts the signed-in person could hand over from ``person_id`` at once."""
    if person_id is None:
        return 0
    with core().db.reading() as session:
        return len(contracts_managed_by(core(), session, person_id, me()))


@contracts.route("/handover/<id:person_id>", methods=["GET", "POST"])
@signed_in
def hand_over_all_of(person_id: int):
    """Hand every contract someone manages (someone leaving, or moving post) to another contract manager at
    once: those the signed-in person may hand over (running, or ended with work still open), with their open
    tasks."""
    with core().db.reading() as session:
        handed = contracts_managed_by(core(), session, person_id, me())
        if not handed:
            raise NotFound("They manage no contract that you can hand over")
        current = reading.user_names(session, {person_id})[person_id]
        takers = {person.id: person for person in takers_of_all(core(), session, handed, person_id)}
        session.expunge_all()  # each with its case, whose state the page shows
    form = ContractManagerForm()
    form.manager_id.label.text = "Who manages them now?"
    form.submit.label.text = f"Hand over all {len(handed)}"
    form.manager_id.choices = colleague_options(list(takers.values()))

    def hand_over() -> str:
        count, moved = hand_over_all(
            core(), person_id, me().id, manager_id=int(form.manager_id.data), reason=form.reason.data or ""
        )
        name = takers[int(form.manager_id.data)].full_name
        tasks = f", with {counted(moved, 'open task')}" if moved else ""
        return f"{name} now manages the {counted(count, 'contract')} {current} managed{tasks}."

    if done := change_from(form, hand_over, back=url_for(".register", show="all")):
        return done
    return render(
        "contracts/handover.html",
        form=form,
        contracts=handed,
        workflows=core().workflows,
        current=current,
        person_id=person_id,
    )


QUARTERS_LISTED = 8


@contracts.get("/transparency")
@roles_required(*transparency.PUBLISHERS)
def transparency_files():
    """The Transparency Code's quarterly files for each council the person publishes for."""
    latest = transparency.Quarter.containing(core().engine.today())
    quarters = [latest]
    while len(quarters) < QUARTERS_LISTED:
        quarters.append(quarters[-1].previous)
    return render(
        "contracts/transparency.html",
        councils=transparency.publishing_councils(me()),
        quarters=quarters,
        payments_notice_from=statutory.PAYMENTS_NOTICE_FIRST_QUARTER_END,
        payments_notice_procured_from=statutory.PAYMENTS_NOTICE_PROCURED_FROM,
        compliance_periods=payments_compliance.ReportingPeriod.owed_so_far(core().engine.today()),
    )


@contracts.get("/transparency/<authority>/<quarter>/<kind>.csv")
@roles_required(*transparency.PUBLISHERS)
def transparency_file(authority: str, quarter: str, kind: str):
    try:
        period = transparency.Quarter.parse(quarter)
    except InvalidInput as error:
        raise NotFound(error.message) from None
    actor = me()

    def rows():
        with core().db.reading() as session:
            yield from transparency.quarterly_file(core(), session, kind, authority, period, actor=actor)

    with core().db.reading() as session:  # refused before the download starts, not halfway through it
        transparency.quarterly_file(core(), session, kind, authority, period, actor=actor)
    return csv_download(transparency.FILES[kind], rows(), f"{authority}-{kind}-{period.code}.csv")


@contracts.get("/decision-records/<authority>/<quarter>")
@roles_required(*transparency.RECORD_KEEPERS)
def decision_records(authority: str, quarter: str):
    """A council's decision records for a quarter, each in full, for checking before they are published (the
    file to publish is the quarter's ``decisions`` CSV)."""
    try:
        period = transparency.Quarter.parse(quarter)
    except InvalidInput as error:
        raise NotFound(error.message) from None
    transparency.may_keep_records_for(core(), authority, me())
    with core().db.reading() as session:
        records = transparency.decision_records(session, authority, period)
    return render(
        "contracts/decision_records.html",
        authority=authority,
        quarter=period,
        records=records,
        may_publish=authority in transparency.publishing_councils(me()),
    )


@contracts.get("/special-urgency/<authority>")
@roles_required(*transparency.RECORD_KEEPERS)
def special_urgency_report(authority: str):
    """The report to the council of its key decisions taken under special urgency (reg 19), over the days
    asked: by default, this financial year so far."""
    transparency.may_keep_records_for(core(), authority, me())
    since, until = transparency.records_asked_for(core().engine.today())
    form = ReportPeriodForm(formdata=request.args or None, since=since, until=until)
    records = None
    if not request.args or form.validate():  # unasked, the default days
        with core().db.reading() as session:
            records = transparency.special_urgency_decisions(session, authority, form.since.data, form.until.data)
    return render("contracts/special_urgency.html", authority=authority, form=form, records=records)


def _compliance_asked(
    authority: str, period: str, still_unpaid: str
) -> tuple[payments_compliance.ReportingPeriod, int | None, dict[str, str]]:
    """The reporting period in the address and the invoices still unpaid that the officer preparing the notice
    gave (None until they do: the council's list of unpaid invoices counts them)."""
    try:
        reporting_period = payments_compliance.ReportingPeriod.parse(period)
    except InvalidInput as error:
        raise NotFound(error.message) from None
    text, problems = still_unpaid.strip(), {}
    if text and not (text.isdigit() and int(text) <= 1_000_000):
        problems["still_unpaid"] = "Enter the number of invoices still unpaid as a whole number, like 0 or 12"
    return reporting_period, int(text) if text and not problems else None, problems


@contracts.get("/payments-compliance/<authority>/<period>")
@roles_required(*transparency.PUBLISHERS)
def payments_compliance_notice(authority: str, period: str):
    """A council's payments compliance notice for a reporting period (PA23 s69, reg 38): its figures from
    the loaded spend, which its S151 officer approves here."""
    reporting_period, still_unpaid, problems = _compliance_asked(
        authority, period, request.args.get("still_unpaid", "")
    )
    with core().db.reading() as session:
        figures = payments_compliance.payments_compliance(
            core(), session, authority, reporting_period, still_unpaid=still_unpaid, actor=me()
        )
    approving = me().holds(FINANCE_OFFICER, authority) and figures.approval is None
    return render(
        "contracts/payments_compliance.html",
        figures=figures,
        bands=list(zip(payments_compliance.BANDS, figures.by_band, strict=True)),
        problems=problems,
        approve=ApproveNoticeForm(formdata=None, still_unpaid=still_unpaid) if approving and not problems else None,
        today=core().engine.today(),
        status=400 if problems else 200,
    )


@contracts.post("/payments-compliance/<authority>/<period>")
@roles_required(*transparency.PUBLISHERS)
def approve_payments_compliance_notice(authority: str, period: str):
    form = ApproveNoticeForm()
    reporting_period, still_unpaid, problems = _compliance_asked(authority, period, form.still_unpaid.data or "")
    back = url_for(".payments_compliance_notice", authority=authority, period=period)
    if not form.validate_on_submit() or problems:
        flash("The notice was not approved: " + (problems.get("still_unpaid") or "the form had expired"), "error")
        return redirect(back)
    try:
        payments_compliance.approve_notice(
            core(), authority, reporting_period, me().id, still_unpaid=still_unpaid, note=form.note.data or ""
        )
    except DomainError as error:
        flash(error.message, "error")
        return redirect(back)
    flash(f"Payments compliance notice for {reporting_period.label} approved: its task is complete")
    return redirect(back)


@contracts.get("/payments-compliance/<authority>/<period>/<kind>.csv")
@roles_required(*transparency.PUBLISHERS)
def payments_compliance_file(authority: str, period: str, kind: str):
    """The notice's items (``notice``) or the payments behind them (``payments``), as CSV."""
    reporting_period, still_unpaid, _ = _compliance_asked(authority, period, request.args.get("still_unpaid", ""))
    if kind not in ("notice", "payments"):
        raise NotFound(f"There is no {kind} file: the files are notice and payments")
    name = f"{authority}-payments-compliance-{kind}-{reporting_period.code}.csv"
    transparency.may_publish_for(core(), authority, me())
    with core().db.reading() as session:
        if kind == "payments":
            rows = list(payments_compliance.payment_rows(session, authority, reporting_period))
            return csv_download(payments_compliance.PAYMENT_COLUMNS, rows, name)
        figures = payments_compliance.payments_compliance(
            core(), session, authority, reporting_period, still_unpaid=still_unpaid
        )
    council = core().governance.organisation.authority_name(authority)
    return csv_download(payments_compliance.NOTICE_COLUMNS, payments_compliance.notice_rows(figures, council), name)


@contracts.get("/pipeline")
@roles_required(*transparency.PUBLISHERS)
def pipeline_notice():
    """The draft procurement pipeline notice (UK1) of each council the person oversees, for a financial year."""
    today = core().engine.today()
    try:
        year = pipeline.FinancialYear.parse(request.args["year"]) if request.args.get("year") else None
    except InvalidInput as error:
        flash(error.message, "error")
        year = None
    year = year or pipeline.FinancialYear.to_prepare(today)
    spend_expected = schedule_for(core()).expected_annual_spend
    councils = []
    with core().db.reading() as session:
        for code in pipeline.drafting_councils(me()):
            rows = pipeline.pipeline_rows(core(), session, code, year, actor=me())
            councils.append((code, pipeline.duty_applies(spend_expected.get(code, 0)), rows))
    return render(
        "contracts/pipeline.html",
        year=year,
        years=[pipeline.FinancialYear.to_prepare(today), pipeline.FinancialYear.to_prepare(today).next],
        councils=councils,
        columns=pipeline.COLUMNS,
    )


@contracts.get("/pipeline/<authority>/<year>.csv")
@roles_required(*transparency.PUBLISHERS)
def pipeline_file(authority: str, year: str):
    try:
        period = pipeline.FinancialYear.parse(year)
    except InvalidInput as error:
        raise NotFound(error.message) from None
    with core().db.reading() as session:
        rows = pipeline.pipeline_rows(core(), session, authority, period, actor=me())
    return csv_download(pipeline.COLUMNS, [entry.cells() for entry in rows], f"{authority}-pipeline-{period.code}.csv")


def _performance_of(contract_id: int):
    """The contract, its case and its KPIs, for someone who manages its performance (else it is not there)."""
    with core().db.reading() as session:
        contract = reading.get_contract_for(session, me(), contract_id)
        case = session.get(Case, contract.case_id)
        if not performance.may_manage_performance(me(), case):
            raise NotFound(f"There is no contract {contract_id} whose performance you manage")
        kpis = performance.kpis_of(session, contract.id)
        required = performance.kpis_required(session, contract)
        session.expunge_all()
    return contract, kpis, required


@contracts.route("/<id:contract_id>/kpis", methods=["GET", "POST"])
@signed_in
def set_kpis(contract_id: int):
    """Set or change the contract's key performance indicators (PA23 s52)."""
    contract, kpis, required = _performance_of(contract_id)
    form_class = kpis_form_class(performance.MAX_KPIS)
    current = kpi_form_data((k.name, k.target) for k in kpis)
    form = form_class(data=current) if request.method == "GET" else form_class()

    def save() -> str:
        performance.set_kpis(core(), contract_id, me().id, kpi_rows(form))
        return f"The KPIs of {contract.reference} are saved"

    if done := change_from(form, save, back=url_for(".show", contract_id=contract_id, _anchor="performance")):
        return done
    return render("contracts/kpis.html", contract=contract, form=form, required=required, rows=performance.MAX_KPIS)


@contracts.route("/<id:contract_id>/kpi-assessment", methods=["GET", "POST"])
@signed_in
def assess(contract_id: int):
    """Record the assessment of the supplier against the KPIs, published as a contract performance notice."""
    contract, kpis, _ = _performance_of(contract_id)
    if not kpis:
        flash(f"{contract.reference} has no KPIs to assess: set them first", "error")
        return redirect(url_for(".set_kpis", contract_id=contract_id))
    ratings = [(code, label) for code, (label, _) in performance.RATINGS.items()]
    form = assessment_form_class(kpis, ratings)()

    def record() -> str:
        performance.record_assessment(
            core(),
            contract_id,
            me().id,
            period_starts=form.period_starts.data,
            period_ends=form.period_ends.data,
            ratings={
                k.id: performance.Rating(form[f"rating_{k.id}"].data, form[f"comment_{k.id}"].data or "") for k in kpis
            },
            published_on=form.published_on.data,
            notice_id=form.notice_id.data or "",
        )
        return f"The KPI assessment of {contract.reference} is recorded"

    if done := change_from(form, record, back=url_for(".show", contract_id=contract_id, _anchor="performance")):
        return done
    return render(
        "contracts/assessment.html", contract=contract, kpis=kpis, form=form, ratings=performance.RATINGS.values()
    )
