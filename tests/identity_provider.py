"""A council's identity provider for the single sign-on tests: a small OpenID Connect provider on a real HTTP
port, with a real RSA key, speaking the parts of the protocol the service uses (discovery, the authorisation
endpoint, the token endpoint with PKCE, the published keys). Like Microsoft Entra ID for someone already
signed in to their council's Microsoft account, its authorisation endpoint sends the browser straight back
with a code for whoever ``person`` is.

A test makes it misbehave as a provider or an attacker might (``token_changes``, ``signing_key``) and reads
what it was asked (``asked``)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

CLIENT_ID = "provision-cycle-test"
CLIENT_SECRET = "a secret the provider gave when the service was registered"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class IdentityProvider:
    person: dict[str, Any] = field(default_factory=lambda: {"sub": "entra-subject-1", "email": "kate@example.gov.uk"})
    token_changes: dict[str, Any] = field(default_factory=dict)  # claims to add, change or (None) remove
    key: rsa.RSAPrivateKey = field(default_factory=new_key)  # the key it publishes
    signing_key: rsa.RSAPrivateKey | None = None  # the key it signs with, when not the one it publishes
    # Each provider's key is named afresh: a later test's provider on a port an earlier one used must not
    # find its key name in the service's cache of the earlier one's keys (a real provider names each new key).
    kid: str = field(default_factory=lambda: secrets.token_hex(8))
    asked: list[dict[str, str]] = field(default_factory=list)  # each authorisation request's query
    discovered: int = 0  # how many times its discovery document was read
    _codes: dict[str, dict[str, str]] = field(default_factory=dict)

    def start(self, port: int = 0) -> IdentityProvider:
        """Serve on ``port`` (0: any free one)."""
        from provision_cycle.services import single_sign_on

        self._server = make_server("127.0.0.1", port, self._wsgi, threaded=True)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}/tenant"
        # The service forgets what it learnt of an earlier provider that a test left on this port: it would
        # take this one for it, and not fetch its new key (PyJWT refetches keys for an unknown key name only
        # 30 s after its last fetch), refusing the sign-in ("Unable to find a signing key").
        for known in [provider for provider in single_sign_on._discovered if provider.issuer == self.issuer]:
            del single_sign_on._discovered[known]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()  # the port is free for another

    # --- the protocol ---------------------------------------------------------------------------------
    def _wsgi(self, environ, start_response):
        request = Request(environ)
        path = request.path.removeprefix("/tenant")
        routes = {
            "/.well-known/openid-configuration": self._discovery,
            "/authorize": self._authorize,
            "/token": self._token,
            "/keys": self._keys,
        }
        handler = routes.get(path)
        response = handler(request) if handler else Response("not found", status=404)
        return response(environ, start_response)

    def _discovery(self, request: Request) -> Response:
        self.discovered += 1
        return _json(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/keys",
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    def _authorize(self, request: Request) -> Response:
        query = dict(request.args)
        self.asked.append(query)
        code = secrets.token_urlsafe(16)
        self._codes[code] = query
        back = {"code": code, "state": query.get("state", "")}
        return Response(status=302, headers={"Location": f"{query['redirect_uri']}?{urlencode(back)}"})

    def _token(self, request: Request) -> Response:
        form = request.form
        asked = self._codes.pop(form.get("code", ""), None)  # a code works once
        if asked is None:
            return _json({"error": "invalid_grant", "error_description": "The code is not valid"}, 400)
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return _json({"error": "invalid_client"}, 401)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
        if (
            challenge.rstrip(b"=").decode() != asked["code_challenge"]
            or form.get("redirect_uri") != asked["redirect_uri"]
        ):
            return _json({"error": "invalid_grant", "error_description": "PKCE or redirect_uri mismatch"}, 400)
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 3600, "nonce": asked["nonce"]}
        claims |= self.person | self.token_changes
        claims = {name: value for name, value in claims.items() if value is not None}
        signed = jwt.encode(claims, self.signing_key or self.key, algorithm="RS256", headers={"kid": self.kid})
        return _json({"access_token": "unused", "token_type": "Bearer", "id_token": signed})

    def _keys(self, request: Request) -> Response:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return _json({"keys": [public | {"kid": self.kid, "use": "sig", "alg": "RS256"}]})


def _json(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")
