"""A small, explicit layer for the JSON API: each operation declares its path, its request and response
models (pydantic) and who may call it; the same declaration validates the request, serialises the
response and writes the OpenAPI document. Errors are ``application/problem+json`` (RFC 9457)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, Response, g, request
from pydantic import BaseModel, ValidationError

from ..errors import (
    ChangedMeanwhile,
    DomainError,
    GuardFailed,
    InvalidAction,
    InvalidInput,
    NotFound,
    NotPermitted,
    StaleCase,
)

PROBLEM = "application/problem+json"
MAX_BODY = 256 * 1024


class ApiProblem(Exception):
    def __init__(self, status: int, title: str, detail: str = "", **extra: Any) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


def problem(status: int, title: str, detail: str = "", **extra: Any) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, **({"detail": detail} if detail else {}), **extra}
    return Response(json.dumps(body, default=str), status=status, mimetype=PROBLEM)


def error_response(exc: Exception) -> Response:
    """A domain error or an API problem as problem+json, with the status that says what kind it is."""
    if isinstance(exc, ApiProblem):
        return problem(exc.status, exc.title, exc.detail, **exc.extra)
    if isinstance(exc, StaleCase):
        return problem(
            409,
            "The case has changed",
            exc.message,
            current_version=exc.current_version,
            current_state=exc.current_state_label,
        )
    if isinstance(exc, ChangedMeanwhile):  # someone saved what the client read since it read it
        return problem(409, "Changed meanwhile", exc.message)
    if isinstance(exc, GuardFailed):
        return problem(422, "Something is missing", exc.message, missing=exc.missing)
    if isinstance(exc, InvalidInput):
        return problem(
            422,
            "Invalid data",
            exc.message,
            errors=[{"field": name, "message": message} for name, message in exc.fields.items()],
        )
    if isinstance(exc, NotPermitted):
        return problem(403, "Not permitted", exc.message)
    if isinstance(exc, NotFound):
        return problem(404, "Not found", exc.message)
    if isinstance(exc, InvalidAction):
        return problem(409, "Not possible now", exc.message)
    assert isinstance(exc, DomainError)
    return problem(422, "Not possible", exc.message)


def json_response(model: BaseModel | None, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    payload = "" if model is None else model.model_dump_json()
    return Response(payload, status=status, mimetype="application/json" if model is not None else None, headers=headers)


@dataclass
class Operation:
    method: str
    path: str  # OpenAPI style: /cases/{case_id}
    summary: str
    tag: str
    endpoint: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    public: bool = False
    idempotent_post: bool = False
    etag: bool = False
    if_match: bool = False
    errors: tuple[int, ...] = ()
    path_params: dict[str, str] = field(default_factory=dict)


OPERATIONS: list[Operation] = []


def _field_errors(error: ValidationError, where: str) -> list[dict[str, str]]:
    out = []
    for item in error.errors(include_url=False):
        location = ".".join(str(p) for p in item["loc"]) or where
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "This field is not recognised"
        elif item["type"] == "missing":
            message = "This field is required"
        out.append({"field": f"{where}.{location}" if where == "query" else location, "message": message})
    return out


def read_json(model: type[BaseModel]) -> BaseModel:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise ApiProblem(413, "Request body too large", f"Send at most {MAX_BODY // 1024} KB")
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY:
        raise ApiProblem(413, "Request body too large", f"Send at most {MAX_BODY // 1024} KB")
    if not request.mimetype or request.mimetype != "application/json":
        raise ApiProblem(415, "Unsupported media type", "Send the body as application/json")
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiProblem(400, "Malformed JSON", f"The body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiProblem(422, "Invalid request body", "The body must be a JSON object", errors=[])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiProblem(
            422, "Invalid request body", "Some fields are not right", errors=_field_errors(exc, "body")
        ) from None


def read_query(model: type[BaseModel]) -> BaseModel:
    values: dict[str, Any] = {}
    for key in request.args:
        items = request.args.getlist(key)
        values[key] = items if len(items) > 1 else items[0]
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise ApiProblem(
            422, "Invalid query", "Some query parameters are not right", errors=_field_errors(exc, "query")
        ) from None


def operation(
    blueprint: Blueprint,
    method: str,
    path: str,
    *,
    summary: str,
    tag: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    public: bool = False,
    etag: bool = False,
    if_match: bool = False,
    errors: tuple[int, ...] = (),
) -> Callable:
    """Declare an operation. The view receives path parameters and, by name, ``body`` and ``query``."""
    flask_path = path.replace("{", "<").replace("}", ">")
    for name in _path_names(path):
        flask_path = flask_path.replace(f"<{name}>", f"<id:{name}>") if name.endswith("_id") else flask_path

    def decorate(view: Callable) -> Callable:
        endpoint = view.__name__

        def respond(kwargs: dict[str, Any]) -> Response:
            try:
                if body is not None:
                    kwargs["body"] = read_json(body)
                if query is not None:
                    kwargs["query"] = read_query(query)
                return view(**kwargs)
            except (ApiProblem, DomainError) as exc:
                return error_response(exc)

        @wraps(view)
        def handler(**kwargs: Any):
            if public:
                return respond(kwargs)
            from .auth import authenticate
            from .idempotency import run_once

            try:
                authenticate()
                if method == "POST":
                    return run_once(g.api_actor.id, lambda: respond(kwargs))
            except ApiProblem as exc:
                return error_response(exc)
            return respond(kwargs)

        handler.access_rule = ("public" if public else "api_token", ())  # type: ignore[attr-defined]
        blueprint.add_url_rule(flask_path, endpoint, handler, methods=[method])
        OPERATIONS.append(
            Operation(
                method=method.lower(),
                path=path,
                summary=summary,
                tag=tag,
                endpoint=f"{blueprint.name}.{endpoint}",
                body=body,
                query=query,
                response=response,
                status=status,
                public=public,
                idempotent_post=method == "POST",
                etag=etag,
                if_match=if_match,
                errors=errors,
                path_params={name: "integer" if name.endswith("_id") else "string" for name in _path_names(path)},
            )
        )
        return handler

    return decorate


def _path_names(path: str) -> list[str]:
    import re

    return re.findall(r"{(\w+)}", path)


def current_actor():
    return g.api_actor
