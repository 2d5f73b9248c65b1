"""Single sign-on with the council's identity provider (OpenID Connect), against a real provider on a real
port (``tests.identity_provider``): the person is the account with the address the provider vouches for,
bound to the provider's subject from then on; anything the provider or an attacker gets wrong is refused,
saying why, with nobody signed in."""

from __future__ import annotations

import http.client
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from provision_cycle.errors import NotPermitted
from provision_cycle.models import AuditEvent, OutboxMessage, PasswordLink, User
from provision_cycle.services import passwords
from provision_cycle.services.people import authenticate
from provision_cycle.settings import Settings, SettingsError
from tests.factories import create_user
from tests.identity_provider import CLIENT_ID, CLIENT_SECRET, IdentityProvider, new_key
from tests.web.conftest import PASSWORD, Browser, csrf_from, give_password
from tests.web.helpers import page_text
from tests.web.test_passwords import _emails


@pytest.fixture
def provider(app, core):
    identity_provider = IdentityProvider().start()
    core.settings = core.settings.with_overrides(
        sso_issuer=identity_provider.issuer,
        sso_client_id=CLIENT_ID,
        sso_client_secret=CLIENT_SECRET,
        sso_name="your Oxfordshire account",
    )
    yield identity_provider
    identity_provider.stop()


def _kate(db, **changes) -> int:
    kate = create_user(db, ("requester", "OCC"), username="kate", full_name="Kate Dunn")
    with db.unit_of_work() as session:
        session.execute(update(User).where(User.id == kate).values(email="Kate@Example.gov.uk", **changes))
    return kate


def _at_provider(address: str) -> str:
    """Open the provider's authorisation address as a browser would; where it sends the browser back."""
    parts = urlsplit(address)
    connection = http.client.HTTPConnection(parts.netloc, timeout=5)
    connection.request("GET", f"{parts.path}?{parts.query}")
    response = connection.getresponse()
    assert response.status == 302
    return response.getheader("Location")


def _sign_in(client, start: str = "/sign-in/single-sign-on"):
    """The whole journey: to the provider and back; the service's last answer."""
    leaving = client.get(start)
    assert leaving.status_code == 302
    back = urlsplit(_at_provider(leaving.location))
    return client.get(f"{back.path}?{back.query}")


def _signed_in(client) -> bool:
    return client.get("/my-work").status_code == 200


def _signs_in(client) -> bool:
    """The whole journey, which must end signed in; if it does not, the test fails with what the sign-in page
    then said (a refusal names its reason there)."""
    arrived = _sign_in(client)
    assert arrived.status_code == 302 and _signed_in(client), page_text(client.get(arrived.location).text)
    return True


def _refusal(client, response) -> str:
    assert response.status_code == 302 and response.location.endswith("/sign-in")
    assert not _signed_in(client)
    return client.get("/sign-in").text


def test_a_person_signs_in_with_their_council_account_and_stays_bound_to_it(app, core, db, provider):
    kate = _kate(db)
    client = app.test_client()
    page = client.get("/sign-in?next=/cases/").text
    assert "Sign in with your Oxfordshire account" in page and "Or sign in with a password" in page
    leaving = client.get("/sign-in/single-sign-on?next=/cases/")
    asked = parse_qs(urlsplit(leaving.location).query)
    assert leaving.location.startswith(f"{provider.issuer}/authorize?")
    assert asked["client_id"] == [CLIENT_ID] and asked["scope"] == ["openid email profile"]
    assert asked["redirect_uri"] == [f"{core.settings.base_url}/sign-in/single-sign-on/return"]
    assert asked["code_challenge_method"] == ["S256"] and len(asked["state"][0]) >= 40
    back = urlsplit(_at_provider(leaving.location))
    arrived = client.get(f"{back.path}?{back.query}")
    assert arrived.status_code == 302 and arrived.location == "/cases/"  # where they were going
    assert "Kate Dunn" in client.get("/cases/").text
    with db.reading() as session:
        assert session.get(User, kate).single_sign_on_subject == f"{provider.issuer} entra-subject-1"
        assert session.get(User, kate).last_signed_in_at is not None  # for an access review, as a password's
        bound = session.scalars(select(AuditEvent).where(AuditEvent.action == "bind_single_sign_on")).one()
        assert bound.data == {"user_id": kate, "email": "kate@example.gov.uk"}

    # The return cannot be replayed: its state was spent with it.
    fresh = app.test_client()
    assert "not begun in this browser" in _refusal(fresh, fresh.get(f"{back.path}?{back.query}"))

    # Her address changes at the provider: she is still herself. Someone else given her old address is not her.
    provider.person = {"sub": "entra-subject-1", "email": "kate.dunn@example.gov.uk"}
    again = app.test_client()
    assert _sign_in(again).location == "/my-work" and _signed_in(again)
    provider.person = {"sub": "entra-subject-2", "email": "kate@example.gov.uk"}
    stranger = app.test_client()
    assert "signs in as another person at your Oxfordshire account" in _refusal(stranger, _sign_in(stranger))

    # Her account at the provider was replaced: her administrator unlinks the old one, and the new one binds.
    admin = create_user(db, ("administrator", "OCC"), full_name="Ada Admin")
    ada = Browser(app, db).sign_in(admin)
    assert "Signs in with it" in ada.get(f"/admin/users/{kate}").text
    ada.post(f"/admin/users/{kate}/single-sign-on/unlink", form_page=f"/admin/users/{kate}")
    assert "Has not signed in with it yet" in ada.get(f"/admin/users/{kate}").text
    replaced = app.test_client()
    assert _signs_in(replaced)
    with db.reading() as session:
        assert session.get(User, kate).single_sign_on_subject == f"{provider.issuer} entra-subject-2"
    assert "Unlinked the account from single sign-on" in ada.get(f"/admin/users/{kate}").text


def test_what_the_provider_gets_wrong_is_refused_with_nobody_signed_in(app, core, db, provider):
    _kate(db)
    cases = {
        "another key signed it": (lambda: setattr(provider, "signing_key", new_key()), "could not be verified"),
        "for another service": (lambda: provider.token_changes.update(aud="someone-else"), "could not be verified"),
        "from another issuer": (
            lambda: provider.token_changes.update(iss="https://login.example.com/other"),
            "could not be verified",
        ),
        "expired": (lambda: provider.token_changes.update(exp=1_000_000_000), "could not be verified"),
        "no nonce": (lambda: provider.token_changes.update(nonce=None), "could not be verified"),
        "another browser's nonce": (
            lambda: provider.token_changes.update(nonce="not this one"),
            "not begun in this browser",
        ),
        "an unverified address only": (
            lambda: provider.token_changes.update(email_verified=False),
            "did not give an email address to know you by",
        ),
        "an address with no account": (
            lambda: provider.token_changes.update(email="nobody@example.gov.uk"),
            "There is no account in this service for nobody@example.gov.uk",
        ),
    }
    for name, (misbehave, said) in cases.items():
        provider.token_changes.clear()
        provider.signing_key = None
        misbehave()
        client = app.test_client()
        assert said in _refusal(client, _sign_in(client)), name
    with db.reading() as session:  # nothing was bound by any of it
        assert session.scalar(select(User.single_sign_on_subject).where(User.username == "kate")) is None

    # The person turned down the provider's consent page: it sends them back saying so.
    client = app.test_client()
    leaving = client.get("/sign-in/single-sign-on")
    state = parse_qs(urlsplit(leaving.location).query)["state"][0]
    answer = client.get(f"/sign-in/single-sign-on/return?error=access_denied&error_description=Declined&state={state}")
    assert "did not sign you in (Declined)" in _refusal(client, answer)


def test_a_deactivated_account_cannot_sign_in_with_the_provider(app, db, provider):
    _kate(db, is_active=False)
    client = app.test_client()
    assert "Your account in this service is deactivated" in _refusal(client, _sign_in(client))


def test_a_provider_that_cannot_be_reached_leaves_the_password_to_sign_in_with(app, core, db, provider):
    _kate(db)
    provider.stop()
    client = app.test_client()
    response = client.get("/sign-in/single-sign-on")
    assert "Your Oxfordshire account could not be reached just now: try again" in _refusal(client, response)
    assert 'type="password"' in client.get("/sign-in").text  # and the password is there to sign in with


def test_a_new_provider_at_an_address_an_earlier_one_used_is_not_taken_for_it(app, core, db, provider):
    """Tests start many providers, and one may get a port an earlier one had: its key is fetched, not looked
    for among the earlier one's (PyJWT refetches keys for an unknown key name only 30 s after its last fetch,
    which once failed a sign-in in a full run)."""
    _kate(db)
    assert _signs_in(app.test_client())
    provider.stop()
    successor = IdentityProvider().start(port=int(provider.issuer.split(":")[2].split("/")[0]))
    try:
        assert successor.issuer == provider.issuer and successor.kid != provider.kid
        assert _signs_in(app.test_client())
    finally:
        successor.stop()


def test_the_provider_s_discovery_document_is_read_again_each_day(app, core, db, provider, monkeypatch):
    """A provider that moves its endpoints is followed without a restart: its discovery document is read once,
    kept a day, then read again."""
    from provision_cycle.services import single_sign_on

    _kate(db)
    for _ in range(2):
        client = app.test_client()
        assert _signed_in(client) is False and _signs_in(client)
    assert provider.discovered == 1
    later = single_sign_on.monotonic() + single_sign_on.DISCOVERY_HOURS * 3600 + 1
    monkeypatch.setattr(single_sign_on, "monotonic", lambda: later)
    client = app.test_client()
    _sign_in(client)
    assert _signed_in(client) and provider.discovered == 2


def test_without_a_provider_there_is_no_single_sign_on(app):
    client = app.test_client()
    assert "Sign in with" not in client.get("/sign-in").text
    assert client.get("/sign-in/single-sign-on").status_code == 404
    assert client.get("/sign-in/single-sign-on/return?code=x&state=y").status_code == 404


def test_where_everyone_signs_in_with_the_provider_no_password_is_used(app, core, db, provider, schedule, clock):
    core.settings = core.settings.with_overrides(sso_only=True)
    kate = _kate(db)
    admin = create_user(db, ("administrator", "OCC"), username="ada", full_name="Ada Admin")
    give_password(db, kate, admin)
    client = app.test_client()
    page = client.get("/sign-in").text
    assert "Sign in with your Oxfordshire account" in page and "There are no passwords here" in page
    assert 'type="password"' not in page and "Forgotten your password?" not in page
    assert client.post("/sign-in", data={"username": "kate", "password": PASSWORD}).status_code in (400, 404)
    with pytest.raises(NotPermitted, match="Everyone signs in with your Oxfordshire account here"):
        authenticate(core, "kate", PASSWORD)  # whatever asks: the web, the command line
    with pytest.raises(NotPermitted):
        passwords.ask_for_reset(core, "kate")
    for page in ("/sign-in/forgotten-password", "/password/any-link-at-all"):
        assert client.get(page).status_code == 404
    assert not _signed_in(client)

    # Kate signs in with the provider; her account page speaks of no password.
    assert _signs_in(client)
    account = client.get("/account").text
    assert "With your Oxfordshire account" in account and "Change<span" not in account.split("Emails")[0]
    assert client.get("/account/password").status_code == 404
    assert client.get("/account/security-codes").status_code == 404  # the provider asks for its own second step

    # With no password to ask again, a token is made only soon after signing in with the provider.
    def make_token(name: str) -> str:
        page = client.get("/account/api-tokens").text
        assert 'type="password"' not in page
        return client.post("/account/api-tokens", data={"name": name, "csrf_token": csrf_from(page)}).text

    assert 'id="new-token"' in make_token("Finance system")
    clock.advance(minutes=16)
    late = make_token("Another")
    assert 'id="new-token"' not in late and "Sign in again to create a token" in late

    # An administrator adds someone: they are told where to sign in, with no link to set a password.
    provider.person = {"sub": "entra-ada", "email": "ada@example.gov.uk"}
    ada = Browser(app, db)
    assert _sign_in(ada.client).status_code == 302
    assert "They sign in with your Oxfordshire account" in ada.get("/admin/users/new").text
    added = ada.post(
        "/admin/users/new",
        {"full_name": "Nia New", "username": "nia.new", "email": "nia@example.gov.uk", "role": "requester",
         "authority": "OCC", "pillar": ""},
    )  # fmt: skip
    assert "An email is on its way to nia@example.gov.uk to say where to sign in" in ada.get(added.location).text
    assert "Email them a link to set their password" not in ada.get(added.location).text
    (email,) = _emails(core, schedule)
    assert email["Subject"] == "Your account" and "Sign in: http://hub/sign-in" in email.get_content()
    assert "You sign in with your Oxfordshire account: there is no password to set" in email.get_content()
    with db.reading() as session:
        assert session.scalar(select(PasswordLink.id)) is None
        assert session.scalar(select(OutboxMessage.kind).where(OutboxMessage.recipient_id != kate)) == "welcome"


def test_single_sign_on_settings_are_checked_when_read():
    with pytest.raises(SettingsError, match="PC_SSO_CLIENT_ID and PC_SSO_CLIENT_SECRET must be too"):
        Settings.from_env({"PC_SSO_ISSUER": "https://login.microsoftonline.com/tenant/v2.0"})
    with pytest.raises(SettingsError, match="PC_SSO_ISSUER must be the identity provider's issuer URL"):
        Settings.from_env({"PC_SSO_ISSUER": "login.microsoftonline.com", "PC_SSO_CLIENT_ID": "x"})
    production = {
        "PC_ENV": "production",
        "SECRET_KEY": "x" * 40,
        "DATABASE_URL": "postgresql://db/hub",
        "PC_TRUSTED_PROXIES": "1",
        "PC_SSO_ISSUER": "http://login.example.com/tenant",
        "PC_SSO_CLIENT_ID": "x",
        "PC_SSO_CLIENT_SECRET": "y",
    }
    with pytest.raises(SettingsError, match="PC_SSO_ISSUER must be an https:// URL in production"):
        Settings.from_env(production)
    with pytest.raises(SettingsError, match="PC_SSO_ONLY is on, so PC_SSO_ISSUER must name the identity provider"):
        Settings.from_env({"PC_SSO_ONLY": "yes"})
    production["PC_SSO_ISSUER"] = "https://login.example.com/tenant/"
    settings = Settings.from_env(production)
    assert settings.sso_issuer == "https://login.example.com/tenant" and settings.sso_name == "your council account"
    assert settings.passwords_in_use and not Settings.from_env(production | {"PC_SSO_ONLY": "1"}).passwords_in_use
