"""Running the sweeps: once (``flask scheduler --once``, also what a cron job would call) or for ever on the
intervals in ``config/schedule.yaml``, with APScheduler. The schedule lists one job per sweep, each a tiny
body that calls the sweep; the state they act on lives in our tables, not in APScheduler's."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from apscheduler.schedulers.blocking import BlockingScheduler

from ..core import Core
from .config import Schedule, schedule_for
from .sweeps import (
    Mailer,
    SweepResult,
    chase_approvals,
    deliver_notifications,
    end_periods,
    escalate_overdue_tasks,
    expire_contracts,
    raise_council_duties,
    raise_notice_tasks,
    raise_renewal_tasks,
    raise_reviews,
    remind_deadlines,
    remind_framework_reopenings,
    remind_market_applications,
    send_digests,
)

log = logging.getLogger(__name__)


def mailer_for(core: Core) -> Mailer | None:
    """How email goes: through the mail server configured; with none, in development into files under
    ``instance/mail`` (a newcomer's demo can follow the links in them), and in production nowhere yet (it
    waits in the outbox, shown in the app and on the administrators' delivery page)."""
    settings = core.settings
    if not settings.smtp_host:
        if settings.is_production:
            return None
        return Mailer(
            "", 0, settings.smtp_sender, base_url=settings.base_url, drop_folder=settings.instance_dir / "mail"
        )
    return Mailer(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_sender,
        settings.smtp_username,
        settings.smtp_password,
        settings.smtp_starttls,
        settings.base_url,
    )


def sweeps(core: Core, schedule: Schedule) -> dict[str, Callable[[], SweepResult]]:
    mailer = mailer_for(core)
    jobs: dict[str, Callable[[], SweepResult]] = {
        "raise_renewal_tasks": lambda: raise_renewal_tasks(core, schedule, core.engine.today()),
        "expire_contracts": lambda: expire_contracts(core, core.engine.today()),
        "end_periods": lambda: end_periods(core, schedule, core.engine.today()),
        "chase_approvals": lambda: chase_approvals(core, schedule, core.engine.today()),
        "escalate_overdue_tasks": lambda: escalate_overdue_tasks(core, schedule, core.engine.today()),
        "remind_deadlines": lambda: remind_deadlines(core, schedule, core.engine.today()),
        "raise_reviews": lambda: raise_reviews(core, schedule, core.engine.today()),
        "raise_council_duties": lambda: raise_council_duties(core, schedule, core.engine.today()),
        "raise_notice_tasks": lambda: raise_notice_tasks(core, schedule, core.engine.today()),
        "remind_market_applications": lambda: remind_market_applications(core, schedule, core.engine.today()),
        "remind_framework_reopenings": lambda: remind_framework_reopenings(core, schedule, core.engine.today()),
    }
    if mailer is not None:
        jobs["deliver_notifications"] = lambda: deliver_notifications(core, schedule, mailer)
        jobs["send_digests"] = lambda: send_digests(core, schedule, mailer)
    return jobs


@contextmanager
def start_up_set_aside() -> Iterator[None]:
    """Sweeps run with what start-up made set aside from the garbage collector (``gc.freeze``): the
    configuration, the workflows, SQLAlchemy's mappings and compiled statements, some 120,000 objects that
    live as long as the process. A sweep that reads tens of thousands of rows sets off full collections, and
    each walked all of them: 0.1 s of a first renewal run over a register of a million contracts, nine
    tenths of its collecting. Given back at the end (``gc.unfreeze``), for a process that goes on."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def run_once(core: Core) -> list[SweepResult]:
    schedule = schedule_for(core)
    jobs = sweeps(core, schedule)
    with start_up_set_aside():
        return [_timed(name, job) for name, job in jobs.items()]


def run_forever(core: Core) -> None:
    schedule = schedule_for(core)
    scheduler = BlockingScheduler(timezone=core.settings.timezone)
    for name, job in sweeps(core, schedule).items():
        seconds = schedule.every_seconds.get(name)
        if seconds is None:
            continue
        scheduler.add_job(
            _timed,
            "interval",
            seconds=seconds,
            args=(name, job),
            id=name,
            coalesce=True,  # after downtime: one catch-up run, not one per missed interval
            max_instances=1,
            next_run_time=core.engine.clock(),  # each sweep also runs at start-up: catching up after downtime
        )
    log.info("scheduler started with %s", ", ".join(j.id for j in scheduler.get_jobs()))
    with start_up_set_aside():
        scheduler.start()


def _timed(name: str, job: Callable[[], SweepResult]) -> SweepResult:
    started = time.perf_counter()
    try:
        result = job()
    except Exception:  # one failing sweep must not stop the others; the next interval retries it
        log.exception("sweep %s failed", name)
        return SweepResult(name, 0, time.perf_counter() - started)
    result.seconds = time.perf_counter() - started
    log.info("sweep %s: %s changed in %.3f s", name, result.changed, result.seconds)
    return result
