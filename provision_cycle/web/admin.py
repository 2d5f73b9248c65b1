"""Administration: people and their roles, the governance rules as readable tables, the workflows with
their diagrams, and a check of the configuration files as they are on disk now."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from sqlalchemy import func, select

from ..config_files import ConfigError
from ..core import load_definitions
from ..errors import DomainError, InvalidInput
from ..models import OutboxMessage
from ..scheduling.config import schedule_for
from ..scheduling.runner import mailer_for
from ..services import passwords, reading, tokens, two_factor
from ..services import people as people_service
from ..services.account_activity import account_activity
from ..services.contract_managers import contracts_managed_by
from ..services.tasks import open_tasks_seen_by, passable_tasks
from ..wording import at_time, listed
from .common import core, csv_download, id_asked_for, me, render
from .forms import ActionForm, GrantRoleForm, NewUserForm, PersonDetailsForm, apply_errors, change_from, pressed
from .security import ADMIN_ROLES, OVERSIGHT_ROLES, roles_required

admin = Blueprint("admin", __name__, url_prefix="/admin")
RECENT = 10  # account events on a person's page; the rest on the activity page


@admin.get("/")
@roles_required(*OVERSIGHT_ROLES)
def index():
    return render("admin/index.html")


def _people_page() -> tuple[people_service.PeoplePage, bool]:
    """The people this administrator looks after; ``?unused=1``: only the accounts unused for a while."""
    unused = request.args.get("unused") == "1"
    since = core().engine.clock() - people_service.UNUSED_FOR if unused else None
    with core().db.reading() as session:
        return people_service.people_looked_after(session, me(), unused_since=since), unused


@admin.get("/users")
@roles_required(*ADMIN_ROLES)
def users():
    page, unused = _people_page()
    return render("admin/users.html", page=page, unused=unused, unused_days=people_service.UNUSED_FOR.days)


@admin.get("/users.csv")
@roles_required(*ADMIN_ROLES)
def users_csv():
    """Who has access to what, for a council's periodic access review: the list as the page shows it."""
    page, unused = _people_page()
    org = core().governance.organisation
    rows = (
        [
            person.full_name,
            person.username,
            person.email,
            person.job_title,
            "Active" if person.is_active else "Deactivated",
            "; ".join(org.role_held(g.role, g.authority, g.pillar) for g in page.roles.get(person.id, [])),
            at_time(person.last_signed_in_at) if person.last_signed_in_at else "Never",
            "Yes" if person.single_sign_on_subject else "No",
            "Yes" if person.password_hash else "No",
            "On" if person.two_factor_since else "Off",
        ]
        for person in page.people
    )
    header = ["Name", "Username", "Email", "Job title", "Account", "Roles", "Last signed in",
              "Linked to single sign-on", "Password set", "Security codes"]  # fmt: skip
    return csv_download(header, rows, "people-unused.csv" if unused else "people.csv")


@admin.route("/users/new", methods=["GET", "POST"])
@roles_required(*ADMIN_ROLES)
def new_user():
    form = NewUserForm()
    form.fill_choices(core(), people_service.administered_by(me()))
    if form.validate_on_submit():
        try:
            user_id = people_service.create_user(
                core(),
                username=form.username.data.strip(),
                full_name=form.full_name.data.strip(),
                email=form.email.data.strip(),
                job_title=(form.job_title.data or "").strip(),
                password=None,  # they set their own, from the link emailed to them
                grants=[people_service.Grant(form.role.data, form.authority.data, form.pillar.data or None)],
                actor_id=me().id,
                invite=True,
            )
        except InvalidInput as error:
            apply_errors(form, error.fields)
        except DomainError as error:
            flash(error.message, "error")
        else:
            what = (
                f"with a link to set their password; it works for {passwords.PURPOSES['invitation'].lasts}"
                if core().settings.passwords_in_use
                else "to say where to sign in"
            )
            flash(
                f"{form.full_name.data.strip()} is added as {form.username.data.strip()}. An email is on its way to "
                f"{form.email.data.strip()} {what}."
            )
            return redirect(url_for(".user", user_id=user_id))
    return render("admin/new_user.html", form=form, lasts=passwords.PURPOSES["invitation"].lasts)


@admin.route("/users/<id:user_id>", methods=["GET", "POST"])
@roles_required(*ADMIN_ROLES)
def user(user_id: int):
    with core().db.reading() as session:  # another council's staff are not found, to look at or to change
        person = people_service.person_looked_after(session, me(), user_id)
        grants = list(person.roles)
        recent = account_activity(session, core().governance.organisation, me(), person_id=user_id, per_page=RECENT)
        managed = len(contracts_managed_by(core(), session, user_id, me()))
        their_tasks = open_tasks_seen_by(core(), session, user_id, me())
        passable = len(passable_tasks(core(), session, user_id, me())) if their_tasks else 0
        short = people_service.roles_left_short_without(core(), session, user_id)
    form = GrantRoleForm()
    form.fill_choices(core(), people_service.administered_by(me()))

    def grant() -> str:  # refused if not theirs to give, or to themselves
        grant = people_service.Grant(form.role.data, form.authority.data, form.pillar.data or None)
        people_service.grant_role(core(), user_id, grant, actor_id=me().id)
        return "The role is added."

    if done := change_from(form, grant, back=url_for(".user", user_id=user_id)):
        return done
    return render(
        "admin/user.html",
        person=person,
        grants=grants,
        councils=people_service.administered_by(me()),
        form=form,
        button=ActionForm(),
        recent=recent,
        tokens=tokens.tokens_of(core(), user_id),
        managed=managed,
        their_tasks=their_tasks,
        passable=passable,
        short=short,
        today=core().engine.today(),
    )


@admin.route("/users/<id:user_id>/details", methods=["GET", "POST"])
@roles_required(*ADMIN_ROLES)
def details(user_id: int):
    """Correct someone's name, email address or job title (the username, which they sign in with, stays)."""
    with core().db.reading() as session:
        person = people_service.person_looked_after(session, me(), user_id)
    form = PersonDetailsForm(obj=person)

    def change() -> str:
        changed = people_service.change_details(
            core(),
            user_id,
            full_name=form.full_name.data,
            email=form.email.data,
            job_title=form.job_title.data or "",
            actor=me(),
        )
        return (
            f"Their {listed(changed)} {'are' if len(changed) > 1 else 'is'} changed."
            if changed
            else "Nothing was changed."
        )

    if done := change_from(form, change, back=url_for(".user", user_id=user_id)):
        return done
    return render("admin/details.html", form=form, person=person)


@admin.post("/users/<id:user_id>/single-sign-on/unlink")
@roles_required(*ADMIN_ROLES)
def unlink_single_sign_on(user_id: int):
    def unlink() -> str:
        people_service.unlink_single_sign_on(core(), user_id, actor=me())
        return (
            "Their account is unlinked: the next time they sign in with their council account, it finds them by "
            "email address."
        )

    return pressed(unlink, back=url_for(".user", user_id=user_id))


@admin.post("/users/<id:user_id>/security-codes/off")
@roles_required(*ADMIN_ROLES)
def turn_off_security_codes(user_id: int):
    """For someone who lost their phone and their recovery codes: they are emailed, and set codes up again."""

    def turn_off() -> str:
        two_factor.turn_off_for(core(), user_id, actor=me())
        return "Their security codes are off, and they are emailed to say so. They can set them up again."

    return pressed(turn_off, back=url_for(".user", user_id=user_id))


@admin.get("/activity")
@roles_required(*ADMIN_ROLES)
def activity():
    """What happened to the accounts this administrator looks after (or to one person's), newest first."""
    person_id = id_asked_for("person")
    page = request.args.get("page", "1")
    with core().db.reading() as session:
        person = people_service.person_looked_after(session, me(), person_id) if person_id is not None else None
        events = account_activity(
            session,
            core().governance.organisation,
            me(),
            person_id=person.id if person else None,
            page=int(page) if page.isdigit() else 1,
        )
    return render("admin/activity.html", events=events, person=person)


@admin.post("/users/<id:user_id>/roles/<id:assignment_id>/remove")
@roles_required(*ADMIN_ROLES)
def remove_role(user_id: int, assignment_id: int):
    def remove() -> str:
        people_service.revoke_role(core(), user_id, assignment_id, actor_id=me().id)
        return "The role is removed."

    return pressed(remove, back=url_for(".user", user_id=user_id))


@admin.post("/users/<id:user_id>/password-link")
@roles_required(*ADMIN_ROLES)
def send_password_link(user_id: int):
    """Email someone a new link to set their password: for a new account whose first link lapsed, or someone
    who cannot sign in. The administrator never learns the password."""

    def send() -> str:
        address = passwords.send_invitation(core(), user_id, actor=me())
        lasts = passwords.PURPOSES["invitation"].lasts
        return f"An email is on its way to {address} with a link to set their password; it works for {lasts}."

    return pressed(send, back=url_for(".user", user_id=user_id))


@admin.post("/users/<id:user_id>/api-tokens/<id:token_id>/revoke")
@roles_required(*ADMIN_ROLES)
def revoke_token(user_id: int, token_id: int):
    """Revoke an API token of someone this administrator looks after; they are emailed to say so."""

    def revoke() -> str:
        tokens.revoke_token(core(), user_id, token_id, actor_id=me().id)
        told = "" if user_id == me().id else ", and its owner is emailed to say so"
        return f"The token is revoked: it no longer works{told}."

    return pressed(revoke, back=url_for(".user", user_id=user_id))


@admin.post("/users/<id:user_id>/active")
@roles_required(*ADMIN_ROLES)
def toggle_active(user_id: int):
    # The page's two buttons send yes or no; anything else is not a choice it offered (not "deactivate").
    if (choice := request.form.get("active")) not in ("yes", "no"):
        abort(400)
    active = choice == "yes"

    def switch() -> str:
        people_service.set_active(core(), user_id, active, actor_id=me().id)
        return "The account is active again." if active else "The account is deactivated: they can no longer sign in."

    return pressed(switch, back=url_for(".user", user_id=user_id))


@admin.get("/deliveries")
@roles_required(*ADMIN_ROLES)
def deliveries():
    """Email that could not be delivered (given up, or still being retried), newest first."""
    with core().db.reading() as session:
        troubled = reading.undelivered(session, people_service.administered_by(me()))
        waiting, withheld = session.execute(
            select(
                func.count().filter(OutboxMessage.status == "pending"),
                func.count().filter(OutboxMessage.status == "withheld"),
            ).where(OutboxMessage.status.in_(("pending", "withheld")))
        ).one()
        stalled_since = reading.email_stalled_since(
            session, core().engine.clock(), schedule_for(core()).delivery_late_after
        )
    return render(
        "admin/deliveries.html",
        troubled=troubled,
        waiting=waiting,
        withheld=withheld,
        mail=mailer_for(core()),
        stalled_since=stalled_since,
    )


@admin.get("/governance")
@roles_required(*OVERSIGHT_ROLES)
def governance():
    gov = core().governance
    gates = core().workflows.gates_in_cycle_order()
    tables = {
        authority: {gate: gov.approvers_table(authority, gate, "services") for gate in gates}
        for authority in gov.organisation.authorities
    }
    # The Executive's gate is entered only by a key decision, whatever the band its table lists.
    key_decisions_only = core().workflows.gates_only_on_a_condition()
    with core().db.reading() as session:
        unheld = people_service.approver_roles_nobody_holds(core(), session)
    return render(
        "admin/governance.html",
        tables=tables,
        governance=gov,
        key_decisions_only=key_decisions_only,
        unheld=unheld,
        administers=people_service.administered_by(me()),
    )


@admin.get("/workflows")
@roles_required(*OVERSIGHT_ROLES)
def workflows():
    return render(
        "admin/workflows.html", definitions=sorted(core().workflows.definitions.values(), key=lambda d: d.key)
    )


@admin.get("/configuration")
@roles_required(*ADMIN_ROLES)
def configuration():
    """Validate the files on disk now (what the next start-up would load), without changing the running app."""
    try:
        load_definitions(core().settings)
        problems: list[str] = []
    except ConfigError as error:
        problems = [str(p) for p in error.problems]
    return render("admin/configuration.html", problems=problems, settings=core().settings)
