"""Who is asking, and may they: sign-in sessions, an access rule on every route, security headers.

Every view declares who may reach it with one of the decorators below. A request for an endpoint with no
declared rule is refused (fail closed), and a test walks the URL map to prove every route has one.
Finer rules (this case, this step) are checked by the core services the views call, which raise
``NotPermitted``; the error handlers turn that into a 403 page.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any, NamedTuple

from flask import Flask, Response, abort, current_app, flash, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_login import LoginManager, UserMixin, current_user, logout_user

from ..core import Core
from ..governance.organisation import OVERSIGHT_ROLES
from ..wording import duration
from ..workflow.engine import Actor
from .common import core

PUBLIC = "public"
SIGNED_IN = "signed_in"

ADMIN_ROLES = ("administrator",)


class SignedIn(UserMixin):
    """The person behind a session: their id, name and roles (the engine's Actor), read once per request,
    and the session's key (``people.session_key``: it ends when their password is set again)."""

    def __init__(self, actor: Actor, key: str) -> None:
        self.actor = actor
        self.key = key

    def get_id(self) -> str:
        return self.key

    @property
    def id(self) -> int:
        return self.actor.id

    @property
    def full_name(self) -> str:
        return self.actor.full_name

    def has_role(self, *roles: str) -> bool:
        return any(r in roles for r, _, _ in self.actor.roles)

    @property
    def oversees(self) -> bool:
        """Holds a role that answers for the cycle as a whole (the overview, administration pages)."""
        return self.has_role(*OVERSIGHT_ROLES)

    @property
    def authorities(self) -> set[str]:
        return {a for _, a, _ in self.actor.roles}


def _access(rule: str, roles: tuple[str, ...] = ()) -> Callable:
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any):
            if rule != PUBLIC:
                if not current_user.is_authenticated:
                    return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
                if roles and not current_user.has_role(*roles):
                    abort(403)
            return view(*args, **kwargs)

        guarded.access_rule = (rule, roles)  # type: ignore[attr-defined]
        return guarded

    return decorate


def public(view: Callable) -> Callable:
    """Anyone, signed in or not (sign-in page, health check, static diagrams of the workflows)."""
    return _access(PUBLIC)(view)


def signed_in(view: Callable) -> Callable:
    """Any signed-in person; the service the view calls checks the case, step or task itself."""
    return _access(SIGNED_IN)(view)


def roles_required(*roles: str) -> Callable:
    """Signed in and holding one of ``roles`` in some authority."""
    return _access(SIGNED_IN, roles)


class _SessionNotWrittenByFiles(SecureCookieSessionInterface):
    """The session cookie, never written by a static file's response. The browser fetches a file (the page's
    icon, its styles) beside a request that changes the session (single sign-on keeping its journey while the
    browser is away at the provider), and Flask-Login marks an anonymous session changed on every request: the
    file's answer, made from the cookie as it was, could arrive last and put the old session back (seen once
    in CI, as a single sign-on that "was not begun in this browser")."""

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if request.endpoint == "static":
            return
        super().save_session(app, session, response)


def init_security(app: Flask, session_person: Callable[[str], tuple[Actor, str] | None]) -> None:
    app.session_interface = _SessionNotWrittenByFiles()
    login = LoginManager(app)
    login.login_view = "auth.sign_in"
    login.login_message = "Sign in to continue"
    login.session_protection = "strong"

    @login.user_loader
    def _load(key: str) -> SignedIn | None:
        person = session_person(key)
        return SignedIn(*person) if person else None

    @app.before_request
    def _fail_closed():
        view = app.view_functions.get(request.endpoint or "")
        if view is not None and request.endpoint != "static" and not hasattr(view, "access_rule"):
            abort(403)  # a route someone forgot to guard is closed, not open
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.before_request
    def _refuse_nul_characters():
        # No text a person sends holds a NUL character, and PostgreSQL can neither store nor compare one: a
        # request with one anywhere (its address, query, form or JSON) is refused before anything reads it. A
        # file's bytes are the loader's to judge (``services.spreadsheet``).
        if any(NUL in text for text in _texts_sent()):
            abort(400)

    @app.before_request
    def _end_stale_sessions():
        if request.endpoint == "static" or not current_user.is_authenticated:
            return None
        if why := session_over(core(), counts_as_use=request.endpoint != "auth.session_status"):
            logout_user()
            session.clear()
            flash(why, "error")  # shown under "Important"
            return redirect(
                url_for("auth.sign_in", next=request.full_path.rstrip("?") if request.method == "GET" else None)
            )
        return None

    @app.after_request
    def _headers(response):
        nonce = g.get("csp_nonce", "")
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self'; img-src 'self' data:; font-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if current_app.config.get("SESSION_COOKIE_SECURE"):
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        # Case data, and a page opened by a secret link (an approval's, a password's), must not sit in a cache;
        # a response that says how it may be cached (the calendar feed, static files) says so itself.
        private = (current_user and current_user.is_authenticated) or "secret" in (request.view_args or {})
        if private and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response

    app.jinja_env.globals["csp_nonce"] = lambda: g.get("csp_nonce", "")
    app.jinja_env.globals["session_left"] = lambda: session_left(core())


NUL = "\x00"


def _texts_sent() -> Iterator[str]:
    """Every piece of text the request sends: its path, the names and values of its query and form, and the
    strings of a JSON body, however deep."""
    yield request.path
    for values in (request.args, request.form):
        for name, value in values.items(multi=True):
            yield name
            yield value
    if request.is_json:
        yield from _strings(request.get_json(silent=True))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


# --- how long a session lasts ------------------------------------------------------------------------------
SEEN_EVERY = 60  # seconds: the session cookie is rewritten at most this often to say it was used


# How the session's person proved who they are: their password alone, with a security code, or through the
# council's identity provider. A council that comes to require codes ends the sessions begun on a password.
PROVED = "proved"
PASSWORD_ALONE, WITH_A_CODE, SINGLE_SIGN_ON = "password", "code", "single_sign_on"


def begin_session(core: Core, *, proved: str) -> None:
    """A sign-in session starts now (called on sign-in, after the session is cleared)."""
    now = core.engine.clock().timestamp()
    session["signed_in_at"] = session["seen_at"] = now
    session[PROVED] = proved


class SessionLeft(NamedTuple):
    """Seconds until the signed-in person's session ends: if they go on doing nothing (``unused``; using the
    service puts it back), and whatever they do (``at_most``)."""

    unused: int
    at_most: int

    def as_json(self) -> dict[str, int]:
        return {"unused_ends_in": self.unused, "ends_in": self.at_most}


def session_left(core: Core) -> SessionLeft:
    settings, now = core.settings, core.engine.clock().timestamp()
    started, seen = session.get("signed_in_at", now), session.get("seen_at", now)
    return SessionLeft(
        max(0, round(seen + settings.session_idle_minutes * 60 - now)),
        max(0, round(started + settings.session_hours * 3600 - now)),
    )


def session_over(core: Core, *, counts_as_use: bool = True) -> str | None:
    """Why the signed-in person's session has ended (unused for too long, simply too long, or begun on a password
    alone where the council now requires security codes), or None; a session still running is marked as used
    now, unless the request was only asking how long it has left."""
    settings, now = core.settings, core.engine.clock().timestamp()
    started, seen = session.setdefault("signed_in_at", now), session.setdefault("seen_at", now)
    if now - seen > settings.session_idle_minutes * 60:
        return (
            f"You were signed out after {duration(settings.session_idle_minutes)} without using the service. "
            "Sign in again to carry on."
        )
    if now - started > settings.session_hours * 3600:
        return (
            f"You were signed out: a session lasts {duration(settings.session_hours * 60)}. Sign in again to carry on."
        )
    if settings.two_factor == "required" and session.get(PROVED, PASSWORD_ALONE) == PASSWORD_ALONE:
        # Begun before the council required codes (a session from before then says nothing of how it began).
        return "You were signed out: signing in now asks for a security code. Sign in again to carry on."
    if counts_as_use and now - seen > SEEN_EVERY:
        session["seen_at"] = now
    return None
