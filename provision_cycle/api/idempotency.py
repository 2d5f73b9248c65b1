"""Idempotent POSTs: the first response to a (person, ``Idempotency-Key``) is kept and replayed for a retry
with the same method, path and body; the same key with a different request is refused.

The key is reserved (a row with status 0) before the action runs, so a retry that arrives while the first
attempt is still running gets 409 rather than running the action twice."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import Response, current_app, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..models import IdempotentResponse
from .framework import ApiProblem

KEPT_HEADERS = ("ETag", "Location")


def _fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def run_once(user_id: int, respond: Callable[[], Response]) -> Response:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return respond()
    if not 1 <= len(key) <= 200:
        raise ApiProblem(400, "Invalid Idempotency-Key", "Use a key of 1 to 200 characters, such as a UUID")
    core = current_app.extensions["provision_cycle"]
    fingerprint = _fingerprint()
    with core.db.reading() as session:
        kept = session.scalar(
            select(IdempotentResponse).where(IdempotentResponse.user_id == user_id, IdempotentResponse.key == key)
        )
    if kept is None:
        try:
            with core.db.unit_of_work() as session:
                session.add(IdempotentResponse(user_id=user_id, key=key, request_hash=fingerprint, status=0))
        except IntegrityError:
            raise ApiProblem(
                409, "Request in progress", "A request with this Idempotency-Key is being processed"
            ) from None
        response = respond()
        with core.db.unit_of_work() as session:
            row = session.scalar(
                select(IdempotentResponse).where(IdempotentResponse.user_id == user_id, IdempotentResponse.key == key)
            )
            row.status = response.status_code
            row.body = response.get_data(as_text=True)
            row.headers = {h: response.headers[h] for h in (*KEPT_HEADERS, "Content-Type") if h in response.headers}
        return response
    if kept.request_hash != fingerprint:
        raise ApiProblem(
            422, "Idempotency-Key reused", "This Idempotency-Key was used for a different request: use a new key"
        )
    if kept.status == 0:
        raise ApiProblem(409, "Request in progress", "A request with this Idempotency-Key is being processed")
    headers = dict(kept.headers)
    content_type = headers.pop("Content-Type", "application/json")
    replay = Response(kept.body, status=kept.status, content_type=content_type, headers=headers)
    replay.headers["Idempotent-Replayed"] = "true"
    return replay
