"""The pages anyone may read: the accessibility statement and the cookies page, linked from every page's
footer, and the service's name and councils, which come from configuration."""

from __future__ import annotations

import dataclasses
import re

from provision_cycle.app import create_app
from provision_cycle.core import Core
from provision_cycle.governance.organisation import Service


def test_the_accessibility_statement_and_cookies_page_are_linked_from_every_page(app, core):
    core.settings = core.settings.with_overrides(session_hours=12, session_idle_minutes=240)  # the defaults
    client = app.test_client()
    home = client.get("/").text
    assert 'href="/accessibility">Accessibility statement</a>' in home and 'href="/cookies">Cookies</a>' in home
    assert "Privacy notice" not in home  # none configured: no link to nowhere
    statement = client.get("/accessibility")
    assert statement.status_code == 200  # signed out: the statement is for anyone
    text = statement.text
    assert "Accessibility statement for Procurement and Contract Management Hub" in text
    assert "run by the joint Procurement and Contract Management Hub for" in text
    assert "partially compliant with" in text and "Equality Advisory and Support Service" in text
    words = " ".join(text.split())
    assert "Apart from the limit on a session's length below, we know of no part of it that fails" in words
    assert "you cannot extend it, as success criterion 2.2.1 (timing adjustable) asks" in words  # said, not hidden
    assert "A session ends 12 hours after you sign in" in words and "ends after 4 hours without using" in words
    # No contact address is configured: the statement says whom to tell, not an address nobody reads.
    assert "mailto:" not in text and "tell the joint Procurement and Contract Management Hub" in text
    cookies = client.get("/cookies").text
    assert "uses one cookie" in cookies and '<td class="govuk-table__cell">session</td>' in cookies


def test_the_statement_follows_the_session_settings(app, core):
    """A council that lets a session run 20 hours or more (WCAG 2.2.1's exception) declares no failure."""
    core.settings = core.settings.with_overrides(session_hours=24, session_idle_minutes=90)
    words = " ".join(app.test_client().get("/accessibility").text.split())
    assert "ends after 1 hour and 30 minutes without using" in words
    assert "A session ends 1 day after you sign in, which success criterion 2.2.1" in words
    assert "Apart from the limit" not in words and "you cannot extend it" not in words


def test_another_council_s_service_is_named_by_its_configuration(app, core):
    """Nothing in the pages or the emails names Oxfordshire or the hub: it comes from organisation.yaml."""
    organisation = dataclasses.replace(
        core.governance.organisation,
        service=Service(
            "Buying for Barsetshire",
            "the county's buying team",
            "buying@barsetshire.example.gov.uk",
            "https://www.barsetshire.example.gov.uk/privacy/buying",
        ),  # fmt: skip
    )
    governance = dataclasses.replace(core.governance, organisation=organisation)
    other = create_app(core.settings, core=Core(core.settings, core.db, governance, core.workflows, core.engine))
    client = other.test_client()
    home = client.get("/").text
    assert "<title>Home – Buying for Barsetshire</title>" in home
    assert "Run by the county&#39;s buying team for Oxfordshire County Council and Cherwell District Council." in home
    assert "Procurement and Contract Management Hub" not in home
    assert 'href="https://www.barsetshire.example.gov.uk/privacy/buying">Privacy notice</a>' in home
    statement = client.get("/accessibility").text
    assert 'href="mailto:buying@barsetshire.example.gov.uk"' in statement


def test_each_workflow_is_given_in_words_beside_its_diagram(app, core, db):
    from tests.factories import hub_people, new_request
    from tests.web.conftest import Browser

    client = app.test_client()
    page = client.get("/workflows/procurement/v1")
    assert page.status_code == 200  # for anyone, like the diagram it describes
    words = page.text[page.text.index("In words") :]
    assert re.search(
        r"Route approval</dt>\s*<dd[^>]*>\s*<ul class=\"govuk-list\"><li>Withdraw the request: to Withdrawn</li>"
        r"<li>Approve: to Executive decision \(key decision\) or Conflicts assessment</li>",
        words,
    )
    assert re.search(r"Handed to contract management</dt>\s*<dd[^>]*>\s*The end: nothing follows", words)
    assert 'alt="Diagram of the procurement workflow, given in words below"' in page.text
    assert client.get("/workflows/procurement/v9").status_code == 404
    assert "The contract management workflow in words" in client.get("/").text  # and on the front page
    # A case's page links to its workflow's words, at the version the case runs on.
    people = hub_people(db)
    case_id = new_request(core.engine, people.requester)
    case_page = Browser(app, db).sign_in(people.requester).get(f"/cases/{case_id}").text
    assert 'href="/workflows/procurement/v1">read the procurement workflow in words</a>' in case_page
