"""The browser face: GOV.UK Frontend pages over the core services. Views parse, authorise, call one
service and render; they never commit or set a state themselves."""

from __future__ import annotations

from flask import Flask
from flask_wtf import CSRFProtect
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import BytecodeCache, ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from jinja2.bccache import Bucket

from ..diagrams import in_words
from ..services.people import session_person
from ..services.single_sign_on import ways_to_sign_in
from . import filters
from .errors import register_error_handlers
from .forms import error_summary
from .security import init_security


def init_web(app: Flask) -> None:
    from ..app import core_of

    _templates(app)
    CSRFProtect(app)
    WTFormsHelpers(app)
    init_security(app, lambda key: session_person(core_of(app), key))
    filters.register(app)
    app.add_template_global(error_summary)
    # Every page names the service and the councils it is for, from configuration (organisation.yaml).
    app.add_template_global(core_of(app).governance.organisation, "organisation")
    app.add_template_global(in_words, "diagram_in_words")  # for the workflow_in_words macro
    app.add_template_global(lambda: ways_to_sign_in(core_of(app).settings), "ways_to_sign_in")
    register_error_handlers(app)
    _blueprints(app)


def _templates(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(app.template_folder),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.bytecode_cache = _COMPILED_IN_THIS_PROCESS


class _CompiledTemplates(BytecodeCache):
    """Templates compiled once for every application this process makes. A server makes one, and it gains
    nothing; the tests make one per test, and compiling each page's templates afresh for each was most of the
    time a page test took (1,755 tests: 15.6 minutes on two workers). Every application here sets the
    environment up the same way (``_templates``), so one's compiled code is right for another; a template
    changed since it was compiled is compiled again (its bucket checks the source's checksum)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if (code := self._code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED_IN_THIS_PROCESS = _CompiledTemplates()


def _blueprints(app: Flask) -> None:
    from .admin import admin
    from .approvals import approvals
    from .auth import auth
    from .cases import cases
    from .contracts import contracts
    from .evaluation import tenders
    from .frameworks import frameworks
    from .links import links
    from .loading import loading
    from .markets import markets
    from .public import public
    from .requests import requests
    from .suppliers import suppliers
    from .tasks import tasks
    from .work import work

    for blueprint in (
        public,
        auth,
        work,
        requests,
        cases,
        tenders,
        approvals,
        contracts,
        suppliers,
        markets,
        frameworks,
        loading,
        tasks,
        admin,
        links,
    ):
        app.register_blueprint(blueprint)
