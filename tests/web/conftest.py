"""Fixtures for the browser face: the Flask app over the test database, and signed-in clients."""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher
from sqlalchemy import update

from provision_cycle.models import User
from tests.web.helpers import forms_on

PASSWORD = "correct horse battery staple"
# The password the tests' people sign in with, hashed with argon2id at the cheapest cost: a hash carries its
# own parameters, so checking it at sign-in takes a millisecond, not the production cost's 160 (several
# hundred sign-ins a run). The service hashes every password it sets at full cost (tests/test_people.py).
_HASH = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)


def give_password(db, *user_ids: int) -> None:
    with db.unit_of_work() as session:
        session.execute(update(User).where(User.id.in_(user_ids)).values(password_hash=_HASH))


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "the page has no CSRF token"
    return match.group(1)


class Browser:
    """A test client that signs in through the real form and posts forms with their CSRF token."""

    def __init__(self, app, db) -> None:
        self.client = app.test_client()
        self.db = db

    def sign_in(self, user_id: int) -> Browser:
        give_password(self.db, user_id)
        from sqlalchemy import select

        with self.db.reading() as session:
            username = session.scalar(select(User.username).where(User.id == user_id))
        page = self.client.get("/sign-in")
        response = self.client.post(
            "/sign-in", data={"username": username, "password": PASSWORD, "csrf_token": csrf_from(page.text)}
        )
        assert response.status_code == 302, response.text
        return self

    def get(self, url: str, status: int = 200, **kwargs):
        response = self.client.get(url, **kwargs)
        assert response.status_code == status, f"GET {url}: {response.status_code}\n{response.text[:2000]}"
        return response

    def post(
        self,
        url: str,
        data: dict | None = None,
        status: int = 302,
        form_page: str | None = None,
        *,
        offered: bool = True,
        **kwargs,
    ):
        """POST ``data`` with the CSRF token from ``form_page`` (default: the same URL). Every answer posted must
        be a question that page asks, so a test cannot pass by posting what no person could send; but for a
        refusal (403, 404, 409), or a POST the page does not ``offered`` (one made up to be refused, or a
        confirmation whose hidden answers came in a page that answered an upload)."""
        page = self.client.get(form_page or url)
        if offered and status not in (403, 404, 409):
            unasked = [name for name in (data or {}) if f'name="{name}"' not in page.text]
            assert not unasked, f"POST {url}: {form_page or url} does not ask for {unasked}"
        # What a browser sends besides the answers: the form's hidden fields (the version of the case it
        # showed, ...), unless the test gives them, and the CSRF token.
        hidden = _hidden_fields(page.text, url, posted_to_itself=form_page in (None, url))
        data = {**hidden, **(data or {}), "csrf_token": csrf_from(page.text)}
        response = self.client.post(url, data=data, **kwargs)
        assert response.status_code == status, f"POST {url}: {response.status_code}\n" + (
            re.search(r"govuk-error-summary__list.*?</ul>", response.text, re.S)
            or re.search(r".{0,3000}", response.text, re.S)
        ).group(0)
        return response


def _hidden_fields(html: str, url: str, *, posted_to_itself: bool) -> dict[str, str]:
    """The hidden fields of the page's form that posts to ``url`` (its first, if several do)."""
    for form in forms_on(html):
        if form.method == "post" and (form.action == url or not form.action and posted_to_itself):
            return dict(form.hidden)
    return {}


@pytest.fixture
def browser(app, db):
    return lambda user_id: Browser(app, db).sign_in(user_id)
