"""Every demo person can open every page they are shown, with the varied cases the demo drives."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import select

from provision_cycle.demo import seed
from provision_cycle.models import Case, Contract, Task, User
from provision_cycle.services.reading import may_see_case, may_see_contract
from provision_cycle.workflow.evaluation import evaluation_of
from tests.web.conftest import Browser
from tests.web.helpers import page_faults


@pytest.mark.sqlite_only
def test_every_demo_person_can_open_their_pages(app, core, db):
    seed(core, cases=12, contracts=20)
    with db.reading() as session:
        # Everyone who can sign in (the demo's leaver cannot: his account is closed).
        people = session.scalars(select(User.id).where(User.username != "system", User.is_active)).all()
        # One contract's approved variation waits for its change notice, whose task is its manager's.
        waiting = session.scalars(select(Case.id).where(Case.state == "change_notice_pending")).one()
        task = session.scalars(
            select(Task).where(Task.case_id == waiting, Task.kind == "deadline:contract_change_notice")
        ).one()
        assert task.status == "open"
        # One open procedure is in evaluation, its tenders scored against the criteria it set first.
        evaluating = session.scalars(select(Case.id).where(Case.title == "School transport route planning software"))
        found = evaluation_of(session, evaluating.one())
        assert found.complete and [(s.tender.supplier_name, s.total) for s in found.leaders] == [
            ("Routewise Ltd", Decimal("80.96"))
        ]
    opened, faults = 0, []
    for person in people:
        browser = Browser(app, db).sign_in(person)
        home = browser.get("/my-work").text
        faults += page_faults(home)
        shown = home  # the pages their navigation and these link to
        for page in ("/approvals/", "/contracts/", "/tasks/", "/notifications", "/requests/new", "/overview",
                     "/frameworks/"):  # fmt: skip
            response = browser.client.get(page)
            if response.status_code == 403:  # the overview is for those who oversee
                continue
            assert response.status_code == 200, (page, response.status_code)
            faults += [f"{page}: {problem}" for problem in page_faults(response.text)]
            shown += response.text
            opened += 1
        # And the pages those link to, further: a link a person is shown is one they may open (a requester's
        # call-off names its framework, the register's tasks are the team's, unlinked for others). Each kind
        # of page first (a case, a framework, a supplier, ...), then more of each; every case and contract
        # linked on them, opened or not, is one the person may see.
        walked, linked, count = _walk(browser, shown, budget=30)
        faults += walked
        opened += count
        with db.reading() as session:
            actor = core.engine.actor(session, person)
            for kind, record_id in linked:
                record = session.get(Case if kind == "cases" else Contract, record_id)
                may = may_see_case(session, actor, record) if kind == "cases" else may_see_contract(actor, record)
                assert may, f"{actor.username} is shown a link to /{kind}/{record_id}, which they may not open"
    assert opened > len(people) * 5
    assert not faults, "\n".join(sorted(set(faults)))  # ragged tables, duplicate ids


def _walk(browser: Browser, shown: str, *, budget: int) -> tuple[list[str], set[tuple[str, int]], int]:
    """Open up to ``budget`` pages linked from ``shown`` (pages' HTML) and from them, one of each kind of page
    before a second of any (each must open); their faults, the cases and contracts linked on them, how many
    opened."""
    faults, linked, seen, kinds = [], set(), set(), Counter()
    waiting = sorted(_record_links(shown))
    while waiting and len(seen) < budget:
        waiting.sort(key=lambda page: kinds[_kind(page)])
        page = waiting.pop(0)
        seen.add(page)
        kinds[_kind(page)] += 1
        html = browser.get(page).text
        faults += [f"{page}: {problem}" for problem in page_faults(html)]
        linked |= {(kind, int(found)) for kind, found in re.findall(r'href="/(cases|contracts)/(\d+)[/"#?]', html)}
        waiting += sorted(_record_links(html) - seen - set(waiting))
    return faults, linked, len(seen)


def _kind(page: str) -> str:
    """A page's kind: its path with the record's id or the supplier's key left out."""
    return re.sub(r"\d+|/suppliers/.*", "N", page)


def _record_links(html: str) -> set[str]:
    """The links on a page to a case, task, contract, framework, market or supplier."""
    pattern = r'href="(/(?:cases|approvals/cases|tasks|contracts|frameworks|markets)/\d+|/suppliers/[^"/?]+)"'
    return set(re.findall(pattern, html))
