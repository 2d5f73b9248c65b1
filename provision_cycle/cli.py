"""Flask CLI commands: thin wrappers that parse arguments, call one service and print the outcome."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .audit import verify_chains
from .config_files import ConfigError
from .core import Core, NotUpgraded, load_definitions, refuse_unless_upgraded
from .diagrams import to_dot, to_svg
from .errors import DomainError
from .migrate import upgrade
from .wording import counted, pounds
from .workflow import versions


def _core() -> Core:
    return current_app.extensions["provision_cycle"]


def _fail(message: str) -> None:
    click.secho(message, fg="red", err=True)
    sys.exit(1)


def _user_id(username: str) -> int:
    """The id of the person with ``username``; the command stops if there is none."""
    from sqlalchemy import select

    from .models import User

    with _core().db.reading() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        _fail(f"There is no user {username!r}")
    return user_id


@click.command("upgrade-db")
@with_appcontext
def upgrade_db() -> None:
    """Apply the Alembic migrations to DATABASE_URL, then check that no workflow version's graph changed
    under the cases on it (``workflow.versions``): in production that stops the release; elsewhere it is said,
    and the new graph recorded (the cases on it are demo or test cases). Creates the user the scheduler acts
    as, where there is none yet."""
    from .services.people import ensure_system_user

    core = _core()
    upgrade(core.db.engine)
    click.echo(f"Database is at the latest schema: {core.db.engine.url.render_as_string(hide_password=True)}")
    with core.db.unit_of_work() as session:
        changed = versions.record_versions(session, core.workflows, now=core.engine.clock())
        if changed and not core.settings.is_production:
            versions.accept(session, changed, now=core.engine.clock())
    if changed and core.settings.is_production:
        _fail("Refusing the release: " + "; ".join(change.problem for change in changed) + ".")
    if ensure_system_user(core):
        click.echo("Created the 'system' user the scheduler acts as (no roles, no password: nobody signs in as it)")
    for change in changed:
        click.secho(f"Warning: {change.problem} (in production this stops the release).", fg="yellow", err=True)


@click.command("validate")
@with_appcontext
def validate() -> None:
    """Validate config/ and workflows/, listing every problem with its file and item."""
    try:
        governance, workflows = load_definitions(_core().settings)
    except ConfigError as exc:
        _fail(str(exc))
        return
    for definition in workflows.definitions.values():
        click.echo(
            f"{definition.file}: {len(definition.states)} states, {len(definition.transitions)} "
            f"transitions, gates: {', '.join(definition.gates) or 'none'}"
        )
    for rules in governance.rules.values():
        click.echo(f"{rules.file}: {len(rules.bands)} bands, {len(rules.approvals)} approval rules")
    click.echo("Configuration and workflows are valid.")


@click.command("seed-demo")
@with_appcontext
@click.option("--cases", default=50, show_default=True, help="How many cases to drive through the workflows.")
@click.option("--contracts", default=200, show_default=True, help="How many register contracts to load.")
def seed_demo(cases: int, contracts: int) -> None:
    """Load demo people, cases and contracts once (does nothing if people already exist)."""
    from .demo import seed

    report = seed(_core(), cases=cases, contracts=contracts)
    click.echo(report)


@click.command("create-user")
@with_appcontext
@click.option("--username", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--email", required=True)
@click.option("--role", "roles", multiple=True, help="role:AUTHORITY or role:AUTHORITY:pillar, repeatable")
@click.option(
    "--invite", is_flag=True, help="Email them a link to set their own password, instead of setting one here."
)
@click.option(
    "--password",
    help="At least 12 characters; asked for (twice) if not given, unless --invite, or everyone signs in with the "
    "identity provider (PC_SSO_ONLY).",
)
def create_user_command(
    username: str, full_name: str, email: str, roles: tuple[str, ...], invite: bool, password: str | None
) -> None:
    """Create a person with roles, and a password or an emailed link to set their own."""
    from .services.people import create_user, parse_grant

    passwords_in_use = _core().settings.passwords_in_use
    if invite and password:
        _fail("Give a password or --invite, not both")
        return
    if password and not passwords_in_use:
        _fail("Everyone signs in with the identity provider here (PC_SSO_ONLY): give no password")
        return
    if not invite and password is None and passwords_in_use:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user_id = create_user(
            _core(),
            username=username,
            full_name=full_name,
            email=email,
            password=None if invite else password,
            grants=[parse_grant(r) for r in roles],
            invite=invite,
        )
    except DomainError as exc:
        _fail(exc.message)
        return
    what = "a link to set their password" if passwords_in_use else "to say where to sign in"
    told = f" They are emailed {what} (when the scheduler next sends email)." if invite else ""
    click.echo(f"Created {username} (id {user_id}).{told}")


@click.command("create-token")
@with_appcontext
@click.option("--username", required=True, help="Whose token: it acts with exactly their roles.")
@click.option("--name", required=True, help="What will use it, like 'Finance system'.")
def create_token_command(username: str, name: str) -> None:
    """Create a personal API token for someone and print it (once: only its hash is kept)."""
    from .services.tokens import create_token

    user_id = _user_id(username)
    try:
        _, secret = create_token(_core(), user_id, name, actor_id=user_id)
    except DomainError as error:
        _fail(error.message)
    click.echo(secret)


@click.command("turn-off-security-codes")
@with_appcontext
@click.option("--username", required=True, help="Whose: someone who lost their phone and recovery codes.")
def turn_off_security_codes_command(username: str) -> None:
    """Turn off someone's security codes (an administrator with no other administrator to do it on the web);
    they are emailed, and set them up again."""
    from .services.two_factor import turn_off_for

    try:
        turn_off_for(_core(), _user_id(username), actor=None)
    except DomainError as error:
        _fail(error.message)
    click.echo(f"The security codes of {username} are off; they can sign in with their password and set them up again.")


@click.command("scheduler")
@with_appcontext
@click.option("--once", is_flag=True, help="Run every sweep once and exit (for cron, or to catch up by hand).")
def scheduler_command(once: bool) -> None:
    """Run the scheduler: renewal tasks, contract expiry, email delivery (its own process, never the web's)."""
    import logging

    from .scheduling.runner import run_forever, run_once

    core = _core()
    try:  # no sweep moves cases on a database this release has not upgraded (checked before the sweeps' logging)
        refuse_unless_upgraded(core)
    except NotUpgraded as refused:
        _fail(str(refused))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if once:
        for result in run_once(core):
            click.echo(f"{result.name}: {result.changed} in {result.seconds:.3f} s")
        return
    run_forever(core)


@click.command("verify-audit")
@with_appcontext
def verify_audit() -> None:
    """Recompute every audit hash chain; exit 1 on any break."""
    with _core().db.reading() as session:
        report = verify_chains(session)
    for problem in report.problems:
        click.secho(problem, fg="red")
    click.echo(f"{report.events} events in {report.streams} chains: {'intact' if report.ok else 'BROKEN'}.")
    if not report.ok:
        sys.exit(1)


@click.command("migrate-cases")
@with_appcontext
@click.argument("workflow")
@click.option("--from", "from_version", type=int, required=True)
@click.option("--to", "to_version", type=int, required=True)
@click.option("--map", "mappings", multiple=True, help="old_state=new_state, repeatable")
@click.option("--apply", is_flag=True, help="Make the change (without it, a dry run).")
@click.option("--actor", "actor_username", default="system", show_default=True)
def migrate_cases_command(workflow, from_version, to_version, mappings, apply, actor_username) -> None:
    """Move open cases to a new workflow version. Dry run unless --apply."""

    from .workflow.migration import migrate_cases

    mapping = {}
    for item in mappings:
        if "=" not in item:
            _fail(f"Write a mapping as old_state=new_state, not {item!r}")
        old, new = item.split("=", 1)
        mapping[old.strip()] = new.strip()
    actor_id = _user_id(actor_username)
    try:
        plan = migrate_cases(
            _core().engine,
            workflow=workflow,
            from_version=from_version,
            to_version=to_version,
            mapping=mapping,
            actor_id=actor_id,
            apply=apply,
        )
    except DomainError as exc:
        _fail("Cannot migrate: " + exc.message)
        return
    click.echo("\n".join(plan.describe()))
    if not apply:
        click.echo("Dry run: nothing changed. Run again with --apply to move them.")


def _file_options(what: str) -> Callable:
    """A loading command's file argument and options: check only, unless --apply; the audit's actor."""

    def decorate(command: Callable) -> Callable:
        for option in reversed(
            (
                click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path)),
                click.option("--apply", is_flag=True, help=f"Load the {what} (without it, only check the file)."),
                click.option(
                    "--actor", "actor_username", default="system", show_default=True, help="Who the audit names."
                ),
            )
        ):
            command = option(command)
        return command

    return decorate


def _load(file: Path, apply: bool, load: Callable[[bytes], Any], held: Callable[[Any], str]) -> Any:
    """Run a check-then-load service on ``file``: every problem on stderr and exit 1, or what it holds."""
    from .services.spreadsheet import FileRefused

    try:
        loaded = load(file.read_bytes())
    except FileRefused as refused:
        for problem in refused.problems:
            click.secho(f"{file.name}, {problem}", fg="red", err=True)
        _fail(refused.message)
        return None
    if not apply:
        click.echo(
            f"{file.name}: {held(loaded)}, ready to load. Nothing was loaded: run again with --apply to load them."
        )
    return loaded


def _held(count: int, noun: str, by_council: dict[str, int], total: Any) -> str:
    councils = ", ".join(f"{code} {number:,}" for code, number in sorted(by_council.items()))
    return f"{counted(count, noun)} ({councils}; {pounds(total)} excluding VAT in all)"


@click.command("load-register")
@with_appcontext
@_file_options("contracts")
def load_register_command(file: Path, apply: bool, actor_username: str) -> None:
    """Check a council's contract register (CSV) and, with --apply, load it: all of it, or nothing."""
    from .services.register_file import load_register

    core, actor_id = _core(), _user_id(actor_username)

    def held(load) -> str:
        return _held(len(load.contracts), "contract", load.by_council, load.total_value)

    load = _load(file, apply, lambda data: load_register(core, data, actor_id=actor_id, apply=apply), held)
    if apply:
        click.echo(f"Loaded {held(load)}: {load.references[0]} to {load.references[-1]}.")
        click.echo("The scheduler raises their renewal and review tasks on its next run.")


@click.command("load-spend")
@with_appcontext
@_file_options("payments")
def load_spend_command(file: Path, apply: bool, actor_username: str) -> None:
    """Check a council's payments (a CSV export of its finance system) and, with --apply, load them."""
    from .services.spend import load_spend

    core, actor_id = _core(), _user_id(actor_username)

    def held(load) -> str:
        added = f", and the invoice day of {len(load.invoice_days):,} loaded before" if load.invoice_days else ""
        return _held(len(load.payments), "payment", load.by_council, load.total) + added

    load = _load(file, apply, lambda data: load_spend(core, data, actor_id=actor_id, apply=apply), held)
    if apply:
        click.echo(f"Loaded {held(load)}.")


@click.command("load-unpaid-invoices")
@with_appcontext
@_file_options("invoices")
def load_unpaid_invoices_command(file: Path, apply: bool, actor_username: str) -> None:
    """Check a council's list of invoices received and not yet paid (its finance system's CSV) and, with
    --apply, load it in place of the list before."""
    from .services.unpaid_invoices import load_unpaid_invoices

    core, actor_id = _core(), _user_id(actor_username)

    def held(load) -> str:
        return _held(len(load.invoices), "invoice", load.by_council, load.total) + f", as at {load.as_at:%-d %B %Y}"

    load = _load(file, apply, lambda data: load_unpaid_invoices(core, data, actor_id=actor_id, apply=apply), held)
    if apply:
        click.echo(f"Loaded {held(load)}.")


@click.command("load-supplier-names")
@with_appcontext
@_file_options("names")
def load_supplier_names_command(file: Path, apply: bool, actor_username: str) -> None:
    """Check the intelligence team's table of suppliers' names (CSV: Name, Same supplier as, Reason) and, with
    --apply, record each name as that supplier's: all of it, or nothing. --actor: an intelligence analyst,
    whose view of the suppliers it is checked against."""
    from .services.suppliers import load_supplier_names

    core, actor_id = _core(), _user_id(actor_username)

    def held(load) -> str:
        return f"{counted(len(load.pairs), 'name')} of suppliers"

    try:
        load = _load(file, apply, lambda data: load_supplier_names(core, data, actor_id=actor_id, apply=apply), held)
    except DomainError as error:
        _fail(error.message)
        return
    if apply:
        click.echo(f"Recorded {held(load)}.")


@click.command("transparency-files")
@with_appcontext
@click.argument("council")
@click.argument("quarter")
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True)
def transparency_files_command(council: str, quarter: str, output: Path) -> None:
    """Write a council's Transparency Code files for a quarter (named by its first month: 2026-04)."""
    from .services.spreadsheet import csv_lines
    from .services.transparency import FILES, Quarter, quarterly_file

    core = _core()
    try:
        period = Quarter.parse(quarter)
        output.mkdir(parents=True, exist_ok=True)
        for kind, header in FILES.items():
            path = output / f"{council}-{kind}-{period.code}.csv"
            with core.db.reading() as session:
                rows = list(quarterly_file(core, session, kind, council, period))
            path.write_text("".join(csv_lines(header, rows)), encoding="utf-8")
            click.echo(f"{path}: {counted(len(rows), 'row')}, {period.label}")
    except DomainError as error:
        _fail(error.message)


@click.command("payments-compliance")
@with_appcontext
@click.argument("council")
@click.argument("period")
@click.option("--still-unpaid", type=click.IntRange(min=0), default=None,
              help="Invoices received in the period and not yet paid (no payments file holds them); "
                   "counted from the council's list of unpaid invoices if not given.")  # fmt: skip
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True)
def payments_compliance_command(council: str, period: str, still_unpaid: int | None, output: Path) -> None:
    """Write a council's payments compliance notice for a reporting period (2026-04: April to September) and
    the payments behind it, as CSV; as approved, once its S151 officer has approved it."""
    from .services import payments_compliance as compliance
    from .services.spreadsheet import csv_lines

    core = _core()
    try:
        reporting_period = compliance.ReportingPeriod.parse(period)
        with core.db.reading() as session:
            figures = compliance.payments_compliance(
                core, session, council, reporting_period, still_unpaid=still_unpaid
            )
            payments = list(compliance.payment_rows(session, council, reporting_period))
        items = list(compliance.notice_rows(figures, core.governance.organisation.authority_name(council)))
    except DomainError as error:
        _fail(error.message)
        return
    output.mkdir(parents=True, exist_ok=True)
    files = (("notice", compliance.NOTICE_COLUMNS, items), ("payments", compliance.PAYMENT_COLUMNS, payments))
    for kind, header, rows in files:
        path = output / f"{council}-payments-compliance-{kind}-{reporting_period.code}.csv"
        path.write_text("".join(csv_lines(header, rows)), encoding="utf-8")
        click.echo(f"{path}: {counted(len(rows), 'row')}")
    approval = f"approved by {figures.approval.name}" if figures.approval else "not yet approved"
    click.echo(f"{reporting_period.label}: {figures.paid:,} payments counted, {approval}")


@click.command("pipeline-notice")
@with_appcontext
@click.argument("council")
@click.option("--year", default=None, help="The financial year, as 2027 or 2027-28. Default: the one being prepared.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None)
def pipeline_notice_command(council: str, year: str | None, output: Path | None) -> None:
    """Write a council's draft procurement pipeline notice (UK1) for a financial year, as CSV."""
    from .services.pipeline import COLUMNS, FinancialYear, pipeline_rows
    from .services.spreadsheet import csv_lines

    core = _core()
    try:
        period = FinancialYear.parse(year) if year else FinancialYear.to_prepare(core.engine.today())
        with core.db.reading() as session:
            entries = pipeline_rows(core, session, council, period)
    except DomainError as error:
        _fail(error.message)
        return
    path = output or Path(f"{council}-pipeline-{period.code}.csv")
    path.write_text("".join(csv_lines(COLUMNS, (entry.cells() for entry in entries))), encoding="utf-8")
    click.echo(f"{path}: {counted(len(entries), 'contract')}, financial year {period.label}")


@click.command("draw")
@with_appcontext
@click.argument("workflow")
@click.option("--version", type=int, default=None, help="Default: the latest.")
@click.option("--case", "case_id", type=int, default=None, help="Highlight this case's current state.")
@click.option("--format", "fmt", type=click.Choice(["svg", "dot"]), default="svg", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None)
def draw(workflow, version, case_id, fmt, output) -> None:
    """Draw a workflow as SVG (or DOT), with a case's current state highlighted."""
    from .models import Case

    core = _core()
    current = None
    if case_id is not None:
        with core.db.reading() as session:
            case = session.get(Case, case_id)
            if case is None:
                _fail(f"There is no case {case_id}")
            workflow, version, current = case.workflow, case.workflow_version, case.state
    try:
        definition = core.workflows.get(workflow, version) if version else core.workflows.latest(workflow)
    except KeyError:
        _fail(f"No workflow {workflow!r}" + (f" version {version}" if version else ""))
        return
    text = to_svg(definition, current) if fmt == "svg" else to_dot(definition, current)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}")
    else:
        click.echo(text)


COMMANDS = (
    upgrade_db,
    validate,
    seed_demo,
    create_user_command,
    create_token_command,
    turn_off_security_codes_command,
    scheduler_command,
    verify_audit,
    migrate_cases_command,
    load_register_command,
    load_spend_command,
    load_unpaid_invoices_command,
    load_supplier_names_command,
    transparency_files_command,
    payments_compliance_command,
    pipeline_notice_command,
    draw,
)


def register(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
