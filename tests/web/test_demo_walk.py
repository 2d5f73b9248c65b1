"""Every demo person can open every page they are shown, with the varied cases the demo drives."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from provision_cycle.demo import seed
from provision_cycle.models import Case, Task, User
from provision_cycle.workflow.evaluation import evaluation_of
from tests.web.conftest import Browser
from tests.web.helpers import page_faults


@pytest.mark.sqlite_only
def test_every_demo_person_can_open_their_pages(app, core, db):
    seed(core, cases=12, contracts=20)
    with db.reading() as session:
        people = session.scalars(select(User.id).where(User.username != "system")).all()
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
        for page in ("/approvals/", "/contracts/", "/tasks/", "/notifications", "/requests/new", "/overview"):
            response = browser.client.get(page)
            if response.status_code == 403:  # the overview is for those who oversee
                continue
            assert response.status_code == 200, (page, response.status_code)
            faults += [f"{page}: {problem}" for problem in page_faults(response.text)]
            opened += 1
        # And the pages those link to, a step further: a link a person is shown is one they may open (a
        # requester's call-off names its framework, the register's tasks are the team's, unlinked for others).
        seen: set[str] = set()
        for page in sorted(_record_links(home))[:5]:
            for further in {page} | set(sorted(_record_links(browser.get(page).text) - seen)[:8]):
                if further not in seen:
                    seen.add(further)
                    faults += [f"{further}: {problem}" for problem in page_faults(browser.get(further).text)]
                    opened += 1
    assert opened > len(people) * 5
    assert not faults, "\n".join(sorted(set(faults)))  # ragged tables, duplicate ids


def _record_links(html: str) -> set[str]:
    """The links on a page to a case, task, contract, framework, market or supplier."""
    pattern = r'href="(/(?:cases|approvals/cases|tasks|contracts|frameworks|markets)/\d+|/suppliers/[^"/?]+)"'
    return set(re.findall(pattern, html))
