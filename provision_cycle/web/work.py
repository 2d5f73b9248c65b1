"""My work: the home page of a signed-in person."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_login import current_user

from ..errors import InvalidInput
from ..models import User
from ..scheduling.config import schedule_for
from ..services import markets, passwords, reading, suppliers, teams, transparency, two_factor
from ..services import overview as overview_service
from ..services.contract_managers import contracts_managed_by
from ..services.notifications import shown
from ..services.people import set_email_digest
from ..services.tasks import CouncilDuty, council_duties, passable_tasks
from ..services.tokens import create_token, revoke_token, tokens_of
from ..workflow.definitions import STAGES
from .common import core, csv_download, me, render
from .forms import ActionForm, EmailChoiceForm, TokenForm, apply_errors, pressed
from .security import OVERSIGHT_ROLES, roles_required, signed_in

# Where the council's identity provider signs everyone in, a token is made this soon after signing in there.
TOKEN_SIGN_IN_MINUTES = 15

work = Blueprint("work", __name__)

REQUESTS_SHOWN = 20  # on My work, the most recently changed; the Cases page lists them all


@work.get("/my-work")
@signed_in
def my_work():
    actor, today = me(), core().engine.today()
    with core().db.reading() as session:
        notes = reading.my_notifications(session, actor)
        requests = reading.my_requests(session, actor, limit=REQUESTS_SHOWN)
        return render(
            "work/my_work.html",
            today=today,
            requests=requests,
            requests_shown=REQUESTS_SHOWN,
            asked=reading.asking_their_requester(session, (case.id for case in requests)),
            undecidable=core().engine.nobody_may_decide(session, requests),
            questions=reading.questions_for_the_proposer(session, actor),
            approvals=reading.approvals_waiting(core(), session, actor),
            team_cases=reading.team_cases_waiting(core(), session, actor),
            declarations=teams.declarations_owed(session, actor.id),
            applications=markets.applications_waiting_for(session, actor),
            tasks=reading.open_tasks_of(session, actor.id, today=today, include_snoozed=False),
            notifications=notes,
            shown=shown(core().engine, session, actor, notes),
            workflows=core().workflows,
            overseeing=current_user.oversees,
            records_suppliers=suppliers.may_record_same_supplier(actor),
            notices_late=_council_notices_late(session, actor, today),
            keeps_records_for=transparency.record_keeping_councils(actor),
            quarter=transparency.Quarter.containing(today),
        )


def _council_notices_late(session, actor, today) -> list[CouncilDuty]:
    """For whoever overdue council notices escalate to (the Monitoring Officer), those of their councils
    still unpublished after their date: what they would be told of, at a glance."""
    overseer = schedule_for(core()).duty_escalate_to
    councils = sorted({council for role, council, _ in actor.roles if role == overseer})
    return [duty for duty in council_duties(session, councils) if duty.task.due_on < today] if councils else []


@work.get("/account")
@signed_in
def account():
    """The person's own account: who the service knows them as, the roles they hold (and so what they may
    do), the cover they have arranged, and where to change their password, emails, calendar and tokens."""
    with core().db.reading() as session:
        person = session.get(User, me().id)
        session.expunge(person)
        cover = reading.delegations_of(session, me())
    approves = bool(core().engine.covering_roles(me()))
    return render("work/account.html", person=person, roles=me().roles, cover=cover, approves=approves)


@work.route("/notifications", methods=["GET", "POST"])
@signed_in
def notifications():
    form = EmailChoiceForm()
    if form.validate_on_submit():
        set_email_digest(core(), me().id, form.email.data == "digest")
        flash("Your email choice is saved.")
        return redirect(url_for(".notifications"))
    with core().db.reading() as session:
        digest = session.get(User, me().id).email_digest
        form.email.data = "digest" if digest else "each"
        notes = reading.my_notifications(session, me(), limit=100)
        return render(
            "work/notifications.html",
            notifications=notes,
            shown=shown(core().engine, session, me(), notes),
            choice=form,
        )


@work.route("/account/api-tokens", methods=["GET", "POST"])
@signed_in
def tokens():
    """Personal API tokens: the secret is shown once, on the page that creates it, and never stored. A token
    acts as its owner without signing in, so only they make one, proving it afresh: their password (and a
    security code, if they use them) or, where the council's identity provider signs everyone in, a sign-in
    there within the last few minutes."""
    form, secret = TokenForm(), None
    if not core().settings.passwords_in_use:
        del form.password  # None from here on
    if not two_factor.uses_codes(core(), me().id):
        del form.code
    signed_in_lately = _signed_in_within(TOKEN_SIGN_IN_MINUTES)
    if form.validate_on_submit():
        try:
            _prove_it_is_them(form, signed_in_lately)
            _, secret = create_token(core(), me().id, form.name.data, actor_id=me().id)
        except InvalidInput as error:
            apply_errors(form, error.fields)
    return render(
        "work/tokens.html",
        form=form,
        secret=secret,
        tokens=tokens_of(core(), me().id),
        revoke=ActionForm(),
        signed_in_lately=signed_in_lately,
        minutes=TOKEN_SIGN_IN_MINUTES,
    )


def _prove_it_is_them(form: TokenForm, signed_in_lately: bool) -> None:
    """``InvalidInput`` unless the password (and the code) given are right, or, with neither asked, the person
    signed in with the identity provider lately."""
    address = request.remote_addr or ""
    if form.password is not None:
        passwords.confirm_password(core(), me().id, form.password.data or "", address)
    elif not signed_in_lately:
        raise InvalidInput({"name": f"Sign in again to create a token: it is made within {TOKEN_SIGN_IN_MINUTES} "
                                   "minutes of signing in"})  # fmt: skip
    if form.code is not None:
        two_factor.check_code(core(), me().id, form.code.data or "", address)


def _signed_in_within(minutes: int) -> bool:
    return core().engine.clock().timestamp() - session.get("signed_in_at", 0) <= minutes * 60


@work.post("/account/api-tokens/<id:token_id>/revoke")
@signed_in
def revoke(token_id: int):
    def revoke_mine() -> str:
        revoke_token(core(), me().id, token_id, actor_id=me().id)
        return "The token is revoked: it no longer works."

    return pressed(revoke_mine, back=url_for(".tokens"))


@work.get("/overview")
@roles_required(*OVERSIGHT_ROLES)
def overview():
    """The cycle at a glance: open cases by stage and state, the renewal pipeline, approvals and tasks waiting."""
    org = core().governance.organisation
    # As on the Cases page: someone who works in one pillar starts with it; "Any" (empty) shows them all.
    pillars = {pillar for _, _, pillar in me().roles if pillar}
    pillar = request.args.get("pillar", next(iter(pillars)) if len(pillars) == 1 else "")
    pillar = pillar if pillar in org.pillars else ""
    authority = _council_asked()
    today = core().engine.today()
    with core().db.reading() as session:
        summary = overview_service.pipeline_overview(core(), session, me(), today, pillar=pillar, authority=authority)
        # Whose left-behind contracts this person may hand over themselves (a link), rather than only see.
        handing = {
            left.manager_id
            for left in summary.left_behind
            if contracts_managed_by(core(), session, left.manager_id, me())
        }
        # And whose left-behind tasks they may pass on themselves.
        passing = {
            left.person_id for left in summary.tasks_left if passable_tasks(core(), session, left.person_id, me())
        }
    return render(
        "work/overview.html",
        overview=summary,
        handing=handing,
        passing=passing,
        stages={stage: core().workflows.for_stage(stage).title for stage in STAGES},
        pillar=pillar,
        authority=authority,
        today=today,
    )


def _council_asked() -> str:
    """The council the overview's filter names: a code the service knows, or empty for all of them."""
    authority = request.args.get("authority", "")
    return authority if authority in core().governance.organisation.authorities else ""


# The columns of the download of every supplier paid this financial year with no contract named by the payments.
OFF_CONTRACT_COLUMNS = (
    "Council",
    "Supplier",
    "Payments",
    "Last paid",
    "Paid excluding VAT",
    "Contract in the register",
)


@work.get("/overview/off-contract.csv")
@roles_required(*OVERSIGHT_ROLES)
def off_contract_file():
    """Every supplier the overview's short list is the top of, for the intelligence team's spreadsheet."""
    authority = _council_asked()
    today = core().engine.today()
    with core().db.reading() as session:
        suppliers = overview_service.off_contract_suppliers(session, me(), today, authority=authority)
    rows = [
        (
            s.authority,
            s.supplier,
            s.payments,
            s.last_paid_on.isoformat(),
            f"{s.paid:.2f}",
            "Yes" if s.in_register else "No",
        )
        for s in suppliers
    ]
    return csv_download(OFF_CONTRACT_COLUMNS, rows, f"paid-with-no-contract-{today.isoformat()}.csv")
