"""Settings from environment variables, with safe defaults for development.

One object holds every setting the application reads; nothing else looks at ``os.environ``. Production
(``PC_ENV=production``) refuses to start while a development default that would be unsafe is still in place.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-secret-key-change-me"


class SettingsError(RuntimeError):
    """A setting is missing or unsafe; the message names the variable and what to do."""


def _default_database_url() -> str:
    return f"sqlite:///{PROJECT_ROOT / 'instance' / 'provision-cycle.sqlite3'}"


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _whole_number(env: Mapping[str, str], name: str, default: Any, *, least: int = 1) -> Any:
    """The setting ``name``, a whole number of at least ``least``; ``default`` (a number, or None) when unset."""
    value = (env.get(name) or "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < least:
        like = 1 if default is None else default
        raise SettingsError(f"{name} must be a whole number of at least {least}, like {like}, not {value!r}")
    return int(value)


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = field(default_factory=_default_database_url)
    secret_key: str = DEV_SECRET_KEY
    debug: bool = True
    config_dir: Path = PROJECT_ROOT / "config"
    workflows_dir: Path = PROJECT_ROOT / "workflows"
    instance_dir: Path = PROJECT_ROOT / "instance"
    timezone: str = "Europe/London"
    sql_echo: bool = False
    # Email (the scheduler's delivery sweep). No host: messages wait in the outbox, shown in the app; in
    # development they are written to files in instance/mail (``scheduling.runner.mailer_for``).
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = "Procurement Hub <procurement-hub@example.gov.uk>"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    base_url: str = "http://127.0.0.1:5000"  # for links in emails
    # The council's OCDS prefix (from the Open Contracting Partnership): the open-data ids of its procurements.
    ocds_prefix: str = "ocds-dev000"
    # A sign-in session ends after this long unused (as long as a CSRF token lives: a long form filled in over
    # a morning still submits), and after this long whatever happens (a working day).
    session_idle_minutes: int = 240
    session_hours: int = 12
    # Single sign-on (OpenID Connect) with the council's identity provider, beside passwords: off without an
    # issuer. The issuer is the council's own (for Microsoft Entra ID, its tenant's), never a shared one.
    sso_issuer: str = ""
    sso_client_id: str = ""
    sso_client_secret: str = ""
    sso_name: str = "your council account"  # the sign-in button says "Sign in with" this
    sso_only: bool = False  # everyone signs in with the identity provider: no passwords, links or resets
    # Security codes from an authenticator app after the password: "optional" (each person turns them on),
    # or "required" (everyone signing in with a password sets them up first). Single sign-on brings its own.
    two_factor: str = "optional"
    # How many proxies in front of the service add themselves to X-Forwarded-For (the one that ends TLS: 1), so
    # that a request's address is its client's, not the proxy's; None: not said, refused in production.
    trusted_proxies: int | None = None
    # Password sign-ins that may fail from one address in 15 minutes before that address is refused for a
    # while, whichever accounts it tried (password spraying); 0 turns it off. A whole office behind one address
    # shares it, so it is well above what people mistyping there would reach.
    sign_in_address_limit: int = 50
    # The key secrets the service reads back are sealed under (services.sealed); SECRET_KEY when unset. Set it to
    # keep those secrets readable when SECRET_KEY is rotated (to the old SECRET_KEY, if it was unset before).
    data_key: str = ""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        settings = cls(
            env=env.get("PC_ENV", "development"),
            database_url=env.get("DATABASE_URL") or _default_database_url(),
            secret_key=env.get("SECRET_KEY", DEV_SECRET_KEY),
            debug=_flag(env.get("PC_DEBUG"), default=env.get("PC_ENV", "development") != "production"),
            config_dir=Path(env.get("PC_CONFIG_DIR", PROJECT_ROOT / "config")),
            workflows_dir=Path(env.get("PC_WORKFLOWS_DIR", PROJECT_ROOT / "workflows")),
            instance_dir=Path(env.get("PC_INSTANCE_DIR", PROJECT_ROOT / "instance")),
            sql_echo=_flag(env.get("PC_SQL_ECHO"), default=False),
            smtp_host=env.get("PC_SMTP_HOST", ""),
            smtp_port=int(env.get("PC_SMTP_PORT") or 25),
            smtp_sender=env.get("PC_SMTP_SENDER", cls.smtp_sender),
            smtp_username=env.get("PC_SMTP_USERNAME", ""),
            smtp_password=env.get("PC_SMTP_PASSWORD", ""),
            smtp_starttls=_flag(env.get("PC_SMTP_STARTTLS"), default=False),
            base_url=env.get("PC_BASE_URL", cls.base_url).rstrip("/"),
            ocds_prefix=env.get("PC_OCDS_PREFIX", cls.ocds_prefix),
            session_idle_minutes=_whole_number(env, "PC_SESSION_IDLE_MINUTES", cls.session_idle_minutes),
            session_hours=_whole_number(env, "PC_SESSION_HOURS", cls.session_hours),
            sso_issuer=env.get("PC_SSO_ISSUER", "").strip().rstrip("/"),
            sso_client_id=env.get("PC_SSO_CLIENT_ID", "").strip(),
            sso_client_secret=env.get("PC_SSO_CLIENT_SECRET", ""),
            sso_name=env.get("PC_SSO_NAME", "").strip() or cls.sso_name,
            sso_only=_flag(env.get("PC_SSO_ONLY"), default=False),
            two_factor=(env.get("PC_TWO_FACTOR") or cls.two_factor).strip().lower(),
            trusted_proxies=_whole_number(env, "PC_TRUSTED_PROXIES", None, least=0),
            sign_in_address_limit=_whole_number(env, "PC_SIGN_IN_ADDRESS_LIMIT", cls.sign_in_address_limit, least=0),
            data_key=env.get("PC_DATA_KEY", ""),
        )
        if not re.fullmatch(r"ocds-[a-z0-9]{6}", settings.ocds_prefix):
            raise SettingsError(
                f"PC_OCDS_PREFIX must be 'ocds-' and six lower-case letters or digits, not {settings.ocds_prefix!r}"
            )
        if settings.two_factor not in ("optional", "required"):
            raise SettingsError(f"PC_TWO_FACTOR must be 'optional' or 'required', not {settings.two_factor!r}")
        settings.check_single_sign_on()
        settings.check()
        return settings

    @property
    def sealing_key(self) -> str:
        return self.data_key or self.secret_key

    @property
    def passwords_in_use(self) -> bool:
        return not self.sso_only

    def check_single_sign_on(self) -> None:
        if self.sso_only and not self.sso_issuer:
            raise SettingsError("PC_SSO_ONLY is on, so PC_SSO_ISSUER must name the identity provider to sign in with")
        if not self.sso_issuer:
            return
        if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", self.sso_issuer):
            raise SettingsError(f"PC_SSO_ISSUER must be the identity provider's issuer URL, not {self.sso_issuer!r}")
        if self.is_production and not self.sso_issuer.startswith("https://"):
            raise SettingsError("PC_SSO_ISSUER must be an https:// URL in production")
        missing = [name for name, value in [("PC_SSO_CLIENT_ID", self.sso_client_id),
                                            ("PC_SSO_CLIENT_SECRET", self.sso_client_secret)] if not value]  # fmt: skip
        if missing:
            raise SettingsError(
                f"PC_SSO_ISSUER is set, so {' and '.join(missing)} must be too: the identity provider gives them "
                "when the service is registered with it"
            )

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def check(self) -> None:
        """Refuse production start-up with development defaults left in place."""
        if not self.is_production:
            return
        problems = []
        if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
            problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
        if self.data_key and len(self.data_key) < 32:
            problems.append("PC_DATA_KEY, where it is set, must be a random value of at least 32 characters")
        if self.debug:
            problems.append("PC_DEBUG must be off in production")
        if self.database_url == _default_database_url():
            problems.append("DATABASE_URL must be set (the embedded SQLite file is for development)")
        if self.trusted_proxies is None:
            problems.append(
                "PC_TRUSTED_PROXIES must say how many proxies pass requests on to the service (1 for the one that "
                "ends TLS; 0 if none), so that sign-ins are counted by the address each came from"
            )
        if problems:
            raise SettingsError("Refusing to start in production: " + "; ".join(problems) + ".")

    def with_overrides(self, **changes) -> Settings:
        return replace(self, **changes)
