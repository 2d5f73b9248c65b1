"""The frameworks register: the frameworks the councils call off from, each with the law it was procured under
and the call-offs made under it. Thin: each page reads and changes through ``services.frameworks``."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for

from ..errors import ChangedMeanwhile, InvalidInput, NotFound, NotPermitted
from ..governance.statutory import Regime
from ..models.suppliers import supplier_key
from ..services import frameworks as service
from ..services.frameworks import FrameworkGiven
from ..services.reading import staff_authorities
from ..workflow.frameworks import allows_direct_award, running_on
from .common import as_shown, core, csv_download, me, render, yes_no
from .forms import FrameworkForm, ReopeningForm, apply_errors
from .security import signed_in

frameworks = Blueprint("frameworks", __name__, url_prefix="/frameworks")


@frameworks.get("/")
@signed_in
def index():
    with core().db.reading() as session:
        found = service.frameworks_for(session, me())
        session.expunge_all()
    today = core().engine.today()
    return render(
        "frameworks/index.html",
        frameworks=found,
        today=today,
        may_add=service.may_keep_register(me()),
        regimes={regime.value: regime.full_name for regime in Regime},
    )


CSV_COLUMNS = (
    "Provider",
    "Reference",
    "Lot",
    "Title",
    "Procured under",
    "Starts",
    "Last call-off date",
    "Councils",
    "Open framework",
    "Dynamic purchasing system",
    "Councils established it",
    "Next re-opening due by",
    "Direct award allowed",
    "Fee on each call-off (%)",
    "Suppliers listed",
    "Call-offs",
    "Call-offs awarded",
    "Awarded value excluding VAT",
    "Fee on those awarded",
)


@frameworks.get("/export.csv")
@signed_in
def export():
    """The register as the person sees it, with how much each framework is used: for the intelligence team."""
    organisation, workflows = core().governance.organisation, core().workflows

    def rows():
        with core().db.reading() as session:
            call_offs = service.call_offs_by_framework(session)
            reopened = service.reopenings_by_framework(session)
            for framework in service.frameworks_for(session, me()):
                due = service.reopening_due(framework, reopened.get(framework.id, []))
                made = service.what_was_called_off(call_offs.get(framework.id, []), workflows)
                fees = service.fees_on(framework, made)
                yield [
                    framework.provider,
                    framework.reference,
                    framework.lot,
                    framework.title,
                    Regime(framework.regime).full_name,
                    framework.starts_on.isoformat(),
                    framework.ends_on.isoformat(),
                    organisation.authority_name(framework.authority),
                    yes_no(framework.open_framework),
                    yes_no(framework.dps),
                    yes_no(framework.council_established),
                    due.due_on.isoformat() if due else "",
                    yes_no(allows_direct_award(framework)),
                    service.fee_as_written(framework),
                    len(framework.suppliers),
                    len(made),
                    sum(call_off.awarded for call_off in made),
                    f"{service.value_awarded(made):.2f}",
                    "" if fees is None else f"{fees:.2f}",
                ]

    return csv_download(CSV_COLUMNS, rows(), f"frameworks-{core().engine.today().isoformat()}.csv")


@frameworks.get("/<id:framework_id>")
@signed_in
def show(framework_id: int):
    with core().db.reading() as session:
        framework = service.framework_for(session, me(), framework_id)
        call_offs = service.what_was_called_off(service.call_offs_under(session, framework), core().workflows)
        seen, not_seen = service.call_offs_seen(session, me(), call_offs)
        fees = service.fees_on(framework, call_offs)
        reopenings = service.reopenings_of(session, framework.id)
        session.expunge_all()
    return render(
        "frameworks/show.html",
        framework=framework,
        call_offs=call_offs,
        seen=seen,
        not_seen=not_seen,
        running=running_on(framework, core().engine.today()),
        runs_long=service.runs_past_the_usual_term(framework),
        fees=fees,
        awarded=service.value_awarded(call_offs),
        fee=service.fee_as_written(framework),
        scheme=service.scheme_of(framework, reopenings),
        reopening_due=service.reopening_due(framework, [r.awarded_on for r in reopenings]),
        today=core().engine.today(),
        direct_award=allows_direct_award(framework),
        suppliers=[(name, supplier_key(name)) for name in framework.suppliers],  # each linked to its page
        may_change=service.may_keep_register(me(), framework.authority),
        regime=Regime(framework.regime).full_name,
        organisation=core().governance.organisation,
    )


@frameworks.route("/new", methods=["GET", "POST"])
@frameworks.route("/<id:framework_id>/edit", methods=["GET", "POST"])
@signed_in
def edit(framework_id: int | None = None):
    """Add a framework to the register, or correct one."""
    framework = None
    if framework_id is not None:
        with core().db.reading() as session:
            framework = service.framework_for(session, me(), framework_id)
            session.expunge_all()
    if not service.may_keep_register(me(), framework.authority if framework else None):
        raise NotFound("Only a category team or an administrator keeps the frameworks register")
    form = FrameworkForm()
    form.fill_choices(core(), staff_authorities(me()))
    if request.method == "GET" and framework is not None:
        shown = {name: getattr(framework, name) for name in FrameworkGiven.__dataclass_fields__}
        shown["open_framework"] = yes_no(framework.open_framework)
        shown["direct_award"] = yes_no(framework.direct_award)
        shown["council_established"] = yes_no(framework.council_established)
        shown["dps"] = yes_no(framework.dps)
        shown["fee_percent"] = service.fee_as_written(framework)
        shown["suppliers"] = "\n".join(framework.suppliers)
        form.process(data=shown | {"version": framework.version})
    if form.validate_on_submit():
        texts = {name: form[name].data or "" for name in ("provider", "reference", "lot", "title", "regime", "notes")}
        dates = {"starts_on": form.starts_on.data, "ends_on": form.ends_on.data}
        given = FrameworkGiven(
            **texts,
            **dates,
            authority=form.authority.data or "",
            open_framework=form.open_framework.data == "yes",
            direct_award=form.direct_award.data == "yes",
            council_established=form.council_established.data == "yes",
            dps=form.dps.data == "yes",
            fee_percent=form.fee_percent.data or "",
            suppliers=(form.suppliers.data or "").splitlines(),
        )
        version = as_shown(form.version.data) if framework is not None else None  # a new one has none yet
        try:
            saved = service.record_framework(
                core(), me().id, given, framework_id=framework_id, expected_version=version
            )
        except InvalidInput as error:
            apply_errors(form, error.fields)
        except ChangedMeanwhile as error:  # the form again, as it stands after the other person's save
            flash(error.message, "error")
            return redirect(request.full_path)
        except NotPermitted as error:  # a council the person does not work for
            apply_errors(form, {"authority": error.message})
        else:
            flash(f"{given.provider.strip()} {given.reference.strip()} is {'corrected' if framework else 'added'}")
            return redirect(url_for("frameworks.show", framework_id=saved))
    return render("frameworks/edit.html", form=form, framework=framework)


@frameworks.route("/<id:framework_id>/reopenings/new", methods=["GET", "POST"])
@signed_in
def reopen(framework_id: int):
    """Record an open framework's re-opening: the next framework of its scheme awarded, and to whom."""
    with core().db.reading() as session:
        framework = service.framework_for(session, me(), framework_id)
        session.expunge_all()
    if not service.may_keep_register(me(), framework.authority) or not framework.open_framework:
        raise NotFound("Only an open framework's category team records its re-openings")
    form = ReopeningForm()
    if request.method == "GET":
        form.process(data={"suppliers": "\n".join(framework.suppliers), "version": framework.version})
    if form.validate_on_submit():
        version = as_shown(form.version.data)
        suppliers = (form.suppliers.data or "").splitlines()
        try:
            service.record_reopening(
                core(), framework_id, me().id, form.awarded_on.data, suppliers, expected_version=version
            )
        except InvalidInput as error:
            apply_errors(form, error.fields)
        except ChangedMeanwhile as error:
            flash(error.message, "error")
            return redirect(request.full_path)
        else:
            flash(f"The re-opening of {framework.provider} {framework.reference} is recorded")
            return redirect(url_for("frameworks.show", framework_id=framework_id, _anchor="reopenings"))
    return render("frameworks/reopen.html", form=form, framework=framework)
