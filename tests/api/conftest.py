"""An API client that authenticates with real personal tokens, created through the token service."""

from __future__ import annotations

import json

import pytest

from provision_cycle.services.tokens import create_token


class Api:
    def __init__(self, app, core, user_id: int | None) -> None:
        self.client = app.test_client()
        self.headers = {}
        if user_id is not None:
            _, secret = create_token(core, user_id, "tests", actor_id=user_id)
            self.headers["Authorization"] = f"Bearer {secret}"

    def call(self, method: str, path: str, body=None, status: int | None = None, headers=None, **kwargs):
        merged = {**self.headers, **(headers or {})}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        response = self.client.open(f"/api/v1{path}", method=method, headers=merged, **kwargs)
        if status is not None:
            assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text[:1500]}"
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json", response.text
        return response

    def get(self, path, status=200, **kwargs):
        return self.call("GET", path, status=status, **kwargs)

    def post(self, path, body=None, status=200, **kwargs):
        return self.call("POST", path, body if body is not None else {}, status=status, **kwargs)


@pytest.fixture
def api(app, core):
    return lambda user_id: Api(app, core, user_id)
