"""Administration: people and their roles, the governance rules as readable tables, the workflows with
their diagrams, and a check of the configuration files as they are on disk now."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import select

from ..config_files import ConfigError
from ..core import load_definitions
from ..models import RoleAssignment, User
from .common import core, render
from .security import ADMIN_ROLES, OVERSIGHT_ROLES, roles_required

admin = Blueprint("admin", __name__, url_prefix="/admin")


@admin.get("/")
@roles_required(*OVERSIGHT_ROLES)
def index():
    return render("admin/index.html")


@admin.get("/users")
@roles_required(*ADMIN_ROLES)
def users():
    with core().db.reading() as session:
        people = session.scalars(select(User).order_by(User.full_name)).all()
        grants: dict[int, list[RoleAssignment]] = {}
        for grant in session.scalars(select(RoleAssignment).order_by(RoleAssignment.authority, RoleAssignment.role)):
            grants.setdefault(grant.user_id, []).append(grant)
    return render("admin/users.html", people=people, grants=grants, organisation=core().governance.organisation)


@admin.get("/governance")
@roles_required(*OVERSIGHT_ROLES)
def governance():
    gov = core().governance
    gates = sorted({g for d in core().workflows.definitions.values() for g in d.gates})
    tables = {
        authority: {gate: gov.approvers_table(authority, gate, "services") for gate in gates}
        for authority in gov.organisation.authorities
    }
    return render("admin/governance.html", tables=tables, governance=gov, organisation=gov.organisation)


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
