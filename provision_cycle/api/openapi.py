"""The OpenAPI 3.1 document, generated from the declared operations and their pydantic models."""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from .framework import OPERATIONS, Operation

ERRORS = {
    400: "Malformed request (bad JSON, a bad header, a NUL character anywhere in it)",
    401: "No valid API token",
    403: "Not permitted for you (role, authority, segregation of duties, a conflict of interest)",
    404: "Not found, or not yours to see",
    409: "Not possible in the case's current state, or the case changed (If-Match) since you read it",
    413: "Request body too large",
    415: "Body is not application/json",
    422: "Invalid data: each problem names its field; a missing precondition lists what is missing",
}


def openapi_document() -> dict[str, Any]:
    models = {m for op in OPERATIONS for m in (op.body, op.response) if m is not None}
    _, definitions = models_json_schema(
        [(m, "validation" if any(op.body is m for op in OPERATIONS) else "serialization") for m in models],
        ref_template="#/components/schemas/{model}",
    )
    schemas = definitions.get("$defs", {})
    schemas["Problem"] = {
        "type": "object",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object"}},
            "missing": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["title", "status"],
    }
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "provision-cycle API",
            "version": "1",
            "description": "Commissioning, procurement and contract management for UK councils: the same services "
            "as the web app. Authenticate with a personal API token: 'Authorization: Bearer pc_...'. POSTs accept an "
            "Idempotency-Key header; case reads return an ETag that writes may send as If-Match.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer", "description": "A personal API token"}},
        },
        "security": [{"token": []}],
    }


def _operation(op: Operation) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": kind, **({"minimum": 1} if kind == "integer" else {})},
        }
        for name, kind in op.path_params.items()
    ]
    if op.query is not None:
        schema = op.query.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, prop in schema.get("properties", {}).items():
            parameters.append(
                {"name": name, "in": "query", "required": name in schema.get("required", []), "schema": prop}
            )
    if op.method == "post":
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 200},
            }
        )
    if op.if_match:
        parameters.append(
            {
                "name": "If-Match",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "pattern": '^"v[0-9]+"$'},
            }
        )
    success: dict[str, Any] = {"description": "OK" if op.status == 200 else "Created"}
    if op.response is not None:
        success["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{op.response.__name__}"}}}
    if op.etag or op.if_match or op.status == 201:
        success["headers"] = {"ETag": {"schema": {"type": "string"}, "description": "The case's version"}}
    responses: dict[str, Any] = {str(op.status): success}
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    # Any request may be malformed: a NUL character in its path or query is refused before it is read.
    codes = set(op.errors) | {400} | ({401} if not op.public else set()) | ({413, 415, 422} if op.body else set())
    codes |= {422} if op.query else set()
    codes |= {409} if op.method == "post" and not op.public else set()
    if op.etag:
        responses["304"] = {"description": "Not modified (If-None-Match matched)"}
    for code in sorted(codes):
        responses[str(code)] = {"description": ERRORS[code], "content": problem}
    result: dict[str, Any] = {
        "operationId": op.endpoint.split(".")[-1],
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": parameters,
        "responses": responses,
    }
    if op.body is not None:
        result["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{op.body.__name__}"}}},
        }
    if op.public:
        result["security"] = []
    return result
