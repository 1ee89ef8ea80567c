"""Configuration: defaults, `instance/config.py`, then `INTRANET_*` environment variables.

Production (``INTRANET_ENV=production``) fails closed: it refuses to start with a
missing or weak secret key, the demo directory, or unverified or plaintext TLS to
the directory.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask

#: Secret keys that production refuses outright (seen in tutorials and templates).
WEAK_SECRET_KEYS = {"", "dev", "secret", "changeme", "change-me", "development", "test"}
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(RuntimeError):
    """Raised at start-up when the configuration is unsafe or incomplete."""


SEARCH_BACKENDS = ("whoosh", "postgresql")

# The languages Ting has a catalog for (intranet/translations).
SUPPORTED_LANGUAGES = ("en", "nb", "da", "nl", "sv")

DEFAULTS: dict[str, Any] = {
    "ENV": "development",
    "SECRET_KEY": None,
    "DATABASE_URL": None,
    # Offered in the language picker (a subset of SUPPORTED_LANGUAGES, comma-separated in the
    # environment); DEFAULT_LANGUAGE is for browsers asking for none of them, the CLI and mail.
    "LANGUAGES": ["en", "nb", "da", "nl", "sv"],
    "DEFAULT_LANGUAGE": "en",
    # Times on pages and in mail are shown in this zone (stored in UTC), e.g. "Europe/Oslo".
    "TIMEZONE": "UTC",
    "SESSION_HOURS": 8,
    "SESSION_COOKIE_SECURE": None,  # None: True in production, False otherwise
    # Login rate limits (Flask-Limiter syntax); below a typical AD lockout threshold.
    "LOGIN_LIMIT_PER_USER": "5 per 10 minutes",
    "LOGIN_LIMIT_PER_CLIENT": "30 per 10 minutes",
    # Shared state for several app hosts/workers: the limiter's store and the anonymous day key.
    # REDIS_URL (e.g. redis://127.0.0.1:6379/0) is the default for both; None: per-process memory.
    "REDIS_URL": None,
    "REDIS_KEY_PREFIX": "ting",  # Ting's own keys in that Redis (several installs may share one)
    "REDIS_TIMEOUT": 0.5,  # seconds a Redis that does not answer may cost a request (then the fallback)
    "RATELIMIT_STORAGE_URI": None,  # None: REDIS_URL, else memory:// (see intranet/shared_state.py)
    # The directory. Without LDAP_URL the embedded demo directory is used.
    "LDAP_URL": None,
    "LDAP_START_TLS": False,
    "LDAP_TLS_VERIFY": True,
    "LDAP_CA_FILE": None,
    "LDAP_TIMEOUT": 5,
    "LDAP_DIALECT": "openldap",
    "LDAP_BIND_DN": None,
    "LDAP_BIND_PASSWORD": None,
    "LDAP_USER_DN_TEMPLATE": None,
    "LDAP_USER_BASE": None,
    "LDAP_USER_FILTER": None,
    "LDAP_LOGIN_ATTR": None,
    "LDAP_ID_ATTR": None,
    "LDAP_DEPARTMENT_ATTR": None,
    "LDAP_GROUP_BASE": None,
    "LDAP_GROUP_FILTER": None,
    "LDAP_GROUP_NESTING_DEPTH": 10,
    "LDAP_PAGE_SIZE": 500,
    "LDAP_GROUP_MANAGEMENT": [],
    "LDAP_GROUP_ADMIN": [],
    "LDAP_LEAD_GROUPS": {},
    "LDAP_LEAD_GROUP_PATTERN": None,
    # Discussion groups.
    "GROUP_MAX_DEPTH": 5,
    "POST_MAX_LENGTH": 20_000,
    "GROUPS_PER_PAGE": 20,
    "THREADS_PER_PAGE": 25,
    "POSTS_PER_PAGE": 50,
    # Request size limits (Flask's): a whole request body, and one form field's text in memory.
    # The longest form (a status change with its adoption record) is about 30,000 characters,
    # under 400 kB even URL-encoded in 4-byte characters; larger requests get a 413.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "MAX_FORM_MEMORY_SIZE": 1024 * 1024,
    # The suggestion box.
    "SUGGESTION_RESPONSE_DAYS": 30,  # the promise: a first official response within this many days
    "SUGGESTIONS_PER_PAGE": 20,
    "ANON_MIN_GROUP_SIZE": 5,  # smaller departments are not offered as anonymous targets
    "ANON_DAILY_LIMIT": 5,  # anonymous suggestions per person and day (per process without Redis)
    "RECEIPT_LIMIT_PER_CLIENT": "20 per hour",  # receipt-code lookups
    # Search.
    # "whoosh": an index on this host's disk (INDEX_DIR); "postgresql": in the database, for several
    # app hosts sharing one PostgreSQL (run `flask search rebuild` after switching).
    "SEARCH_BACKEND": "whoosh",
    "INDEX_DIR": None,  # None: instance/index
    "SEARCH_LANGUAGES": ["en", "no", "da", "nl", "sv"],  # stemmed for; changing them needs a rebuild
    "SEARCH_LOCK_TIMEOUT": 0.2,  # seconds a request waits for the index; then the outbox keeps it
    "SEARCH_APPLY_BATCH": 200,  # outbox rows one request applies after its commit
    "SEARCH_LIMIT_MB": 128,  # Whoosh's indexing memory per writer (bounds a rebuild)
    "SEARCH_PER_PAGE": 20,
    # Mail. Without SMTP_URL, messages are written to the log instead of sent.
    "SMTP_URL": None,  # smtp://host:25, smtp+starttls://user:password@host:587, smtps://host:465
    "SMTP_TIMEOUT": 10,  # seconds
    "SMTP_CA_FILE": None,  # a CA bundle for the relay's certificate (default: the system's)
    "MAIL_FROM": "Ting <ting@localhost>",
    "BASE_URL": "http://127.0.0.1:5000",  # where people reach Ting: the links in mail and feeds
    # The monthly digest of adopted improvements.
    "DIGEST_TO": [],  # addresses and directory group DNs; a string is split on ";"
    "DIGEST_PUBLIC": False,  # True: every employee reads approved digests (management always does)
    "DIGEST_FEED_KEY": None,  # a secret the intranet portal adds to the Atom feed's URL (?key=…)
    "DIGEST_SEND_LEASE_MINUTES": 30,  # a send that crashed is retried after this long
    "DIGEST_REPORT_CACHE_SECONDS": 60,  # a worker reuses a month's figures this long (0: never)
    # Rendered fragments (post cards, list rows) a worker remembers; 0: none (see intranet/rendering.py).
    "FRAGMENT_CACHE_SIZE": 8192,
    # Cron jobs on several hosts (intranet/leases.py): a crashed run's lease ends after this long.
    "JOB_LEASE_MINUTES": 10,
}


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill ``app.config`` in order: defaults, instance file, environment, test config."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("INTRANET")
    if test_config is not None:
        app.config.from_mapping(test_config)
    _derive(app)
    validate(app.config)


def _derive(app: Flask) -> None:
    cfg = app.config
    production = is_production(cfg)
    if not cfg.get("SECRET_KEY") and not production:
        cfg["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))
    if not cfg.get("SQLALCHEMY_DATABASE_URI"):
        cfg["SQLALCHEMY_DATABASE_URI"] = cfg.get("DATABASE_URL") or (
            "sqlite:///" + os.path.join(app.instance_path, "intranet.sqlite")
        )
    cfg["SQLALCHEMY_DATABASE_URI"] = with_driver(cfg["SQLALCHEMY_DATABASE_URI"])
    # hide_parameters: a database error's message never quotes what someone wrote (TRUST.md A4).
    cfg.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True, "hide_parameters": True})
    if cfg.get("SESSION_COOKIE_SECURE") is None:
        cfg["SESSION_COOKIE_SECURE"] = production
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    cfg["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=int(cfg["SESSION_HOURS"]))
    cfg["REMEMBER_COOKIE_DURATION"] = 0
    cfg["WTF_CSRF_TIME_LIMIT"] = int(cfg["PERMANENT_SESSION_LIFETIME"].total_seconds())
    cfg["RATELIMIT_STORAGE_URI"] = cfg.get("RATELIMIT_STORAGE_URI") or cfg.get("REDIS_URL") or "memory://"
    if not cfg.get("INDEX_DIR"):
        cfg["INDEX_DIR"] = os.path.join(app.instance_path, "index")
    if isinstance(cfg.get("LANGUAGES"), str):
        cfg["LANGUAGES"] = [x.strip() for x in cfg["LANGUAGES"].split(",") if x.strip()]
    cfg["BABEL_DEFAULT_LOCALE"] = cfg["DEFAULT_LANGUAGE"]
    cfg["BABEL_DEFAULT_TIMEZONE"] = cfg["TIMEZONE"]
    if isinstance(cfg.get("SEARCH_LANGUAGES"), str):
        cfg["SEARCH_LANGUAGES"] = [x.strip() for x in cfg["SEARCH_LANGUAGES"].split(",") if x.strip()]
    if isinstance(cfg.get("DIGEST_TO"), str):
        cfg["DIGEST_TO"] = [x.strip() for x in cfg["DIGEST_TO"].split(";") if x.strip()]
    cfg["DIRECTORY"] = "ldap" if cfg.get("LDAP_URL") else "demo"
    if isinstance(cfg.get("LDAP_GROUP_MANAGEMENT"), str):
        cfg["LDAP_GROUP_MANAGEMENT"] = [cfg["LDAP_GROUP_MANAGEMENT"]]
    if isinstance(cfg.get("LDAP_GROUP_ADMIN"), str):
        cfg["LDAP_GROUP_ADMIN"] = [cfg["LDAP_GROUP_ADMIN"]]


def with_driver(url: str) -> str:
    """`postgresql://…` means psycopg 3 (the driver we install), not SQLAlchemy's psycopg2 default."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret_key(instance: Path) -> str:
    """Outside production, keep a random key in the instance folder so sessions survive restarts."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _validate_search_backend(cfg: Any) -> None:
    """PostgreSQL search keeps its documents in the app's database, so that must be PostgreSQL."""
    backend = str(cfg.get("SEARCH_BACKEND") or "").strip().lower()
    if backend not in SEARCH_BACKENDS:
        raise ConfigError(
            f"INTRANET_SEARCH_BACKEND must be one of {', '.join(SEARCH_BACKENDS)}, not {backend!r}."
        )
    cfg["SEARCH_BACKEND"] = backend
    if backend == "postgresql" and not str(cfg["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        raise ConfigError(
            "INTRANET_SEARCH_BACKEND=postgresql searches in the database, which must then be "
            "PostgreSQL: set INTRANET_DATABASE_URL to a postgresql:// URL, or use whoosh."
        )


def is_production(cfg: Any) -> bool:
    return str(cfg.get("ENV", "development")).lower() == "production"


def validate(cfg: Any) -> None:
    """Refuse unsafe settings; every production rule has a test."""
    unknown = [code for code in cfg["LANGUAGES"] if code not in SUPPORTED_LANGUAGES]
    if unknown or not cfg["LANGUAGES"]:
        raise ConfigError(
            f"INTRANET_LANGUAGES: Ting has catalogs for {', '.join(SUPPORTED_LANGUAGES)}"
            + (f"; not for {', '.join(unknown)}." if unknown else ".")
        )
    if cfg["DEFAULT_LANGUAGE"] not in cfg["LANGUAGES"]:
        raise ConfigError("INTRANET_DEFAULT_LANGUAGE must be one of INTRANET_LANGUAGES.")
    try:
        ZoneInfo(str(cfg["TIMEZONE"]))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError("INTRANET_TIMEZONE must be a time zone name such as Europe/Oslo.") from exc
    _validate_search_backend(cfg)
    if cfg.get("LDAP_DIALECT") not in ("openldap", "ad"):
        raise ConfigError("INTRANET_LDAP_DIALECT must be 'openldap' or 'ad'.")
    if cfg.get("LDAP_URL") and not (cfg.get("LDAP_USER_BASE") or cfg.get("LDAP_USER_DN_TEMPLATE")):
        raise ConfigError("Set INTRANET_LDAP_USER_BASE (or INTRANET_LDAP_USER_DN_TEMPLATE).")
    if not is_production(cfg):
        return
    key = cfg.get("SECRET_KEY") or ""
    if key.lower() in WEAK_SECRET_KEYS or len(key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            "Production needs INTRANET_SECRET_KEY: a random value of at least "
            f"{MIN_SECRET_KEY_LENGTH} characters (python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))')."
        )
    if not cfg.get("LDAP_URL"):
        raise ConfigError("Production refuses the demo directory: set INTRANET_LDAP_URL.")
    url = str(cfg["LDAP_URL"]).lower()
    if not (url.startswith("ldaps://") or cfg.get("LDAP_START_TLS")):
        raise ConfigError(
            "Production refuses plaintext LDAP: use an ldaps:// URL or INTRANET_LDAP_START_TLS=true."
        )
    if not cfg.get("LDAP_TLS_VERIFY"):
        raise ConfigError("Production refuses unverified TLS: INTRANET_LDAP_TLS_VERIFY must be true.")
