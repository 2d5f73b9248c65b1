"""Real-browser tests: the app served on a local port, Debian's Chromium driven by Playwright.

Without Chromium (or without the built GOV.UK assets) these tests skip with the reason, unless
PC_REQUIRE_BROWSER=1 (set by .ci/run), which turns the skip into a failure. A failing test leaves a
screenshot and the page's HTML in test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from werkzeug.serving import make_server

from provision_cycle.app import create_app
from provision_cycle.core import build_core
from provision_cycle.migrate import upgrade
from provision_cycle.settings import PROJECT_ROOT, Settings
from tests.factories import hub_people
from tests.web.conftest import PASSWORD, give_password

CHROMIUM = os.environ.get("PC_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("PC_REQUIRE_BROWSER") == "1"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
AXE = PROJECT_ROOT / "assets" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def _missing() -> str | None:
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        return f"Chromium not found at {CHROMIUM} (install Debian's chromium: make browser)"
    if not (PROJECT_ROOT / "provision_cycle" / "static" / "council.min.css").exists() or not AXE.exists():
        return "GOV.UK assets or axe-core not built (make assets)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright is not installed (make install)"
    return None


@pytest.fixture(scope="session")
def chromium():
    if reason := _missing():
        if REQUIRE_BROWSER:
            pytest.fail(reason + " (PC_REQUIRE_BROWSER=1)")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Site:
    """The app running on a local port over its own SQLite database, and the people in it."""

    def __init__(self, tmp: Path) -> None:
        url = f"sqlite:///{tmp / 'site.sqlite3'}"
        engine = create_engine(url)
        upgrade(engine)
        engine.dispose()
        self.core = build_core(Settings(database_url=url, instance_dir=tmp))
        self.people = hub_people(self.core.db)
        give_password(self.core.db, *[v for k, v in vars(self.people).items() if k != "system"])
        app = create_app(self.core.settings, core=self.core)
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def username(self, user_id: int) -> str:
        from provision_cycle.models import User

        with self.core.db.reading() as session:
            return session.get(User, user_id).username

    def close(self) -> None:
        self.server.shutdown()
        self.core.db.dispose()


@pytest.fixture
def site(tmp_path, chromium):
    site = Site(tmp_path)
    yield site
    site.close()


@pytest.fixture
def open_as(site, chromium, request):
    """``open_as(user_id)`` -> a signed-in page in its own browser context (its own cookies)."""
    contexts = []
    console_errors: list[str] = []

    def open_page(user_id: int):
        context = chromium.new_context(base_url=site.url, viewport={"width": 1200, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.goto("/sign-in")
        page.get_by_label("Username").fill(site.username(user_id))
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/my-work")
        return page

    yield open_page
    failed = getattr(request.node, "failed_call", False)
    for index, context in enumerate(contexts):
        for number, page in enumerate(context.pages):
            if failed:
                ARTIFACTS.mkdir(exist_ok=True)
                stem = f"{request.node.name}-{index}-{number}"
                page.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
                (ARTIFACTS / f"{stem}.html").write_text(page.content())
        context.close()
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        item.failed_call = True
