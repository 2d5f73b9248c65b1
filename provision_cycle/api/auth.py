"""API authentication: a personal token in ``Authorization: Bearer pc_...``. Session cookies are ignored,
so a browser session can never be ridden by a cross-site request to the API."""

from __future__ import annotations

from flask import current_app, g, request

from ..errors import NotPermitted
from ..services.reading import load_actor
from ..services.tokens import user_for_token
from .framework import ApiProblem


def authenticate() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiProblem(401, "Authentication required", "Send a personal API token as 'Authorization: Bearer <token>'")
    core = current_app.extensions["provision_cycle"]
    try:
        user_id = user_for_token(core, secret.strip())
    except NotPermitted as error:
        raise ApiProblem(401, "Authentication failed", error.message) from None
    actor = load_actor(core, user_id)
    if actor is None:
        raise ApiProblem(401, "Authentication failed", "The token's owner is no longer active")
    g.api_actor = actor
