"""The JSON API under /api/v1: the core's services for integrations (finance systems, e-tendering portals,
reporting). Token authentication, idempotent POSTs, ETags and If-Match, problem+json errors, OpenAPI."""

from __future__ import annotations

from flask import Flask, Response, json, render_template

from .framework import operation
from .openapi import openapi_document
from .views import api


@operation(api, "GET", "/openapi.json", summary="This document", tag="Reference", public=True)
def openapi_json():
    return Response(json.dumps(openapi_document()), mimetype="application/json")


@api.get("/docs")
def docs():
    """A readable page of the OpenAPI document, served by the app itself (no CDN)."""
    return render_template("api/docs.html", doc=openapi_document())


docs.access_rule = ("public", ())  # type: ignore[attr-defined]


def init_api(app: Flask) -> None:
    from flask_wtf.csrf import CSRFProtect

    app.register_blueprint(api)
    csrf = app.extensions.get("csrf")
    (csrf or CSRFProtect(app)).exempt(api)  # tokens, not cookies: no cross-site request can carry one
