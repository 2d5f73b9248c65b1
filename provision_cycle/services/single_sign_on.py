"""Single sign-on with the council's identity provider (OpenID Connect: Microsoft Entra ID, Google Workspace,
Okta and the like), beside passwords.

The authorisation code flow with PKCE. The browser is sent to the provider with a one-off state, nonce and
code challenge, which its session keeps (``Journey``); when it comes back, the code is exchanged server to
server for an ID token, whose signature (by the keys the provider publishes), issuer, audience, expiry and
nonce are checked before a word of it is believed. The person is the active account whose email address the
token gives; their first sign-in binds the account to the provider's subject, so that a later change of
address at the provider, or the address given to someone else, does not move it.

Nobody is signed up by it: an administrator adds people and gives them their roles, as before.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from time import monotonic
from typing import Any, NamedTuple

import jwt
from sqlalchemy import func, select

from ..core import Core
from ..db import CHANGE_LOCK
from ..errors import NotPermitted
from ..models import User
from ..settings import Settings
from .people import session_key

log = logging.getLogger(__name__)

SCOPES = "openid email profile"
TIMEOUT_SECONDS = 10  # the provider answers a server-to-server call within this, or the sign-in fails
CLOCK_SKEW_SECONDS = 60  # between the provider's clock and ours, in a token's times
SIGNING_ALGORITHMS = ["RS256", "PS256", "ES256"]  # asymmetric only: a token signed with the secret is refused


@dataclass(frozen=True)
class Provider:
    issuer: str  # the council's own, e.g. https://login.microsoftonline.com/<tenant id>/v2.0
    client_id: str
    client_secret: str
    name: str  # "your council account": the sign-in page's button says "Sign in with" it

    @property
    def at_start(self) -> str:
        """The name to begin a sentence with: "Your Oxfordshire account" (not str.capitalize's "oxfordshire")."""
        return self.name[:1].upper() + self.name[1:]

    @classmethod
    def configured(cls, settings: Settings) -> Provider | None:
        """The provider the settings name (checked when they were read), or None: passwords only."""
        if not settings.sso_issuer:
            return None
        return cls(settings.sso_issuer, settings.sso_client_id, settings.sso_client_secret, settings.sso_name)


class WaysToSignIn(NamedTuple):
    passwords: bool
    provider: Provider | None


def ways_to_sign_in(settings: Settings) -> WaysToSignIn:
    """How people sign in here: with a password, with the council's identity provider, or both."""
    return WaysToSignIn(settings.passwords_in_use, Provider.configured(settings))


@dataclass(frozen=True)
class Journey:
    """What the browser's session keeps between leaving for the provider and coming back."""

    state: str
    nonce: str
    verifier: str
    next: str  # the page to go on to

    def to_session(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_session(cls, kept: Any) -> Journey | None:
        try:
            return cls(**kept)
        except TypeError:
            return None


@dataclass(frozen=True)
class _Endpoints:
    authorization: str
    token: str
    keys: jwt.PyJWKClient


def _fetch_json(request: urllib.request.Request | str, provider: Provider) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (https in production)
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            said = json.loads(error.read())
            detail = said.get("error_description") or said.get("error") or ""
        except ValueError:
            detail = ""
        raise NotPermitted(
            f"{provider.at_start} refused to sign you in ({error.code}{': ' + detail if detail else ''}): start again"
        ) from error
    except (OSError, ValueError) as error:
        raise NotPermitted(f"{provider.at_start} could not be reached just now: try again in a few minutes") from error


# The provider's discovery document is read again after this long, so that a provider that moves its endpoints
# (or its keys' address) is followed without a restart.
DISCOVERY_HOURS = 24
_discovered: dict[Provider, tuple[float, _Endpoints]] = {}


def _endpoints(provider: Provider) -> _Endpoints:
    """The provider's endpoints from its discovery document, read at most once every ``DISCOVERY_HOURS`` (its
    signing keys are fetched as they are needed, and again when a token names one not seen before). A provider
    that cannot be reached when the document is due again goes on being used as last read."""
    read_at, endpoints = _discovered.get(provider, (0.0, None))
    if endpoints is not None and monotonic() - read_at < DISCOVERY_HOURS * 3600:
        return endpoints
    try:
        endpoints = _discover(provider)
    except NotPermitted:
        if endpoints is None:
            raise
        log.warning("%s's discovery document could not be read again: the endpoints read before stand", provider.issuer)
        return endpoints
    _discovered[provider] = (monotonic(), endpoints)
    return endpoints


def _discover(provider: Provider) -> _Endpoints:
    found = _fetch_json(f"{provider.issuer}/.well-known/openid-configuration", provider)
    if found.get("issuer", "").rstrip("/") != provider.issuer:
        raise NotPermitted(f"{provider.at_start} is not set up as this service expects: tell an administrator")
    return _Endpoints(
        found["authorization_endpoint"], found["token_endpoint"], jwt.PyJWKClient(found["jwks_uri"], timeout=10)
    )


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def begin(provider: Provider, return_to: str, next_page: str) -> tuple[str, Journey]:
    """Where to send the browser to sign in with ``provider`` (which sends it back to ``return_to``), and
    what its session keeps meanwhile."""
    journey = Journey(secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48), next_page)
    query = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": return_to,
        "scope": SCOPES,
        "state": journey.state,
        "nonce": journey.nonce,
        "code_challenge": _challenge(journey.verifier),
        "code_challenge_method": "S256",
    }
    return f"{_endpoints(provider).authorization}?{urllib.parse.urlencode(query)}", journey


def finish(core: Core, provider: Provider, journey: Journey | None, returned: Mapping[str, str], return_to: str) -> str:
    """The session key of the person ``provider`` has signed in, from the query string it sent the browser
    back with; ``NotPermitted`` saying why not."""
    if journey is None or not secrets.compare_digest(returned.get("state", ""), journey.state):
        raise NotPermitted("That sign-in was not begun in this browser, or has been used: start again")
    if error := returned.get("error"):
        why = returned.get("error_description") or error
        raise NotPermitted(f"{provider.at_start} did not sign you in ({why[:200]})")
    endpoints = _endpoints(provider)
    form = {
        "grant_type": "authorization_code",
        "code": returned.get("code", ""),
        "redirect_uri": return_to,
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "code_verifier": journey.verifier,
    }
    exchange = urllib.request.Request(
        endpoints.token, data=urllib.parse.urlencode(form).encode(), headers={"Accept": "application/json"}
    )
    claims = _verified_claims(provider, endpoints, _fetch_json(exchange, provider).get("id_token", ""), journey)
    return _person_signed_in(core, provider, claims)


def _verified_claims(provider: Provider, endpoints: _Endpoints, id_token: str, journey: Journey) -> dict[str, Any]:
    try:
        key = endpoints.keys.get_signing_key_from_jwt(id_token)
        claims = jwt.decode(
            id_token,
            key.key,
            algorithms=SIGNING_ALGORITHMS,
            audience=provider.client_id,
            issuer=provider.issuer,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["iss", "aud", "sub", "exp", "iat", "nonce"]},
        )
    except (jwt.PyJWTError, jwt.PyJWKClientError) as error:
        raise NotPermitted(
            f"The identity {provider.name} gave could not be verified ({error}): start again, or tell an administrator"
        ) from error
    if not secrets.compare_digest(str(claims["nonce"]), journey.nonce):
        raise NotPermitted("That sign-in was not begun in this browser: start again")
    return claims


def _email_of(claims: Mapping[str, Any]) -> str | None:
    """The address the token vouches for: ``email`` unless the provider says it is unverified; else Entra ID's
    ``preferred_username`` or ``upn``, the work address its administrators set."""
    if claims.get("email") and claims.get("email_verified", True) is not False:
        return str(claims["email"]).strip().lower()
    for name in ("preferred_username", "upn"):
        if "@" in str(claims.get(name, "")):
            return str(claims[name]).strip().lower()
    return None


def _person_signed_in(core: Core, provider: Provider, claims: Mapping[str, Any]) -> str:
    subject = f"{provider.issuer} {claims['sub']}"
    email = _email_of(claims)
    with core.db.unit_of_work() as session:
        user = session.scalar(select(User).where(User.single_sign_on_subject == subject).with_for_update(**CHANGE_LOCK))
        if user is None:
            if email is None:
                raise NotPermitted(f"{provider.at_start} did not give an email address to know you by")
            user = session.scalar(select(User).where(func.lower(User.email) == email).with_for_update(**CHANGE_LOCK))
            if user is None:
                raise NotPermitted(
                    f"There is no account in this service for {email}: ask your council's administrator to add you"
                )
            if user.single_sign_on_subject is not None:  # the address now names someone else at the provider
                raise NotPermitted(
                    f"The account for {email} signs in as another person at {provider.name}: ask your council's "
                    "administrator"
                )
            user.single_sign_on_subject = subject
            core.engine.system_event(
                session, actor_id=user.id, action="bind_single_sign_on", data={"user_id": user.id, "email": email}
            )
        if not user.is_active:
            raise NotPermitted("Your account in this service is deactivated: ask your council's administrator")
        return session_key(user)
