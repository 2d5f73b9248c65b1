"""The Flask application factory: a list of named steps, each short. Importing this module does nothing."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from .core import Core, build_core, refuse_unless_upgraded
from .models.base import MAX_ID
from .settings import PROJECT_ROOT, Settings


def serve(settings: Settings | None = None) -> Flask:
    """The application as a web server runs it (gunicorn ``"provision_cycle.app:serve()"``): refused, every
    problem named, on a database this release has not upgraded or whose workflows changed under running cases
    (``core.refuse_unless_upgraded``). ``create_app`` does not check: it also serves the CLI that upgrades."""
    app = create_app(settings)
    refuse_unless_upgraded(app.extensions["provision_cycle"])
    return app


def create_app(settings: Settings | None = None, *, core: Core | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__, template_folder=str(PROJECT_ROOT / "templates"), instance_path=str(settings.instance_dir))
    _configure(app, settings)
    _attach_core(app, core or build_core(settings))
    _register_blueprints(app)
    _register_cli(app)
    return app


class IdConverter(IntegerConverter):
    """A row id in a URL: 1 to the largest 32-bit integer, so an absurd id is a 404, not a database error."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's parameter name
        super().__init__(map, min=1, max=MAX_ID)


def _configure(app: Flask, settings: Settings) -> None:
    app.url_map.converters["id"] = IdConverter
    app.config.update(
        SECRET_KEY=settings.secret_key,
        DEBUG=settings.debug,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        MAX_CONTENT_LENGTH=11 * 1024 * 1024,  # a 10 MB document plus the form around it
        WTF_CSRF_TIME_LIMIT=4 * 3600,  # a long form filled in over a morning still submits
    )
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    if settings.trusted_proxies:  # the client's address, as the proxies in front of the service passed it on
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]


def _attach_core(app: Flask, core: Core) -> None:
    app.extensions["provision_cycle"] = core


def _register_blueprints(app: Flask) -> None:
    from .api import init_api
    from .web import init_web

    init_web(app)
    init_api(app)


def _register_cli(app: Flask) -> None:
    from .cli import register

    register(app)


def core_of(app: Flask) -> Core:
    return app.extensions["provision_cycle"]
