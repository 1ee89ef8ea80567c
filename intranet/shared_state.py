"""State several app hosts must share: the rate limits' store and the Redis that holds it.

Flask-Limiter's in-memory store counts per worker process: with four gunicorn
workers on two hosts, "5 failed logins per 10 minutes" becomes 40. Several hosts
share one Redis: ``INTRANET_REDIS_URL`` (also the limiter's store unless
``INTRANET_RATELIMIT_STORAGE_URI`` names another), which also holds the anonymous
quota's day key (``suggestions/anonymity.py``).

When the store does not answer, the limits fall back to each process's memory
(the same limits, counted per process; logged) and Redis is tried again with
backoff: a login never answers 500 because Redis is down, and is never unlimited.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from .config import is_production
from .extensions import limiter

log = logging.getLogger(__name__)

REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://", "unix://")


def is_redis(url: str | None) -> bool:
    return bool(url) and str(url).lower().startswith(REDIS_SCHEMES)


def redis_url(cfg: Any) -> str | None:
    """The Redis Ting keeps shared state in: REDIS_URL, else the limiter's store if that is a Redis."""
    if cfg.get("REDIS_URL"):
        return str(cfg["REDIS_URL"])
    uri = cfg.get("RATELIMIT_STORAGE_URI")
    return str(uri) if is_redis(uri) else None


def redis_client(app: Flask) -> Any | None:
    """One client (and connection pool) per app, or None without a Redis; short timeouts."""
    url = redis_url(app.config)
    if url is None:
        return None
    client = app.extensions.get("ting_redis")
    if client is None:
        import redis  # the `prod` extra: only needed when a Redis is configured

        timeout = float(app.config["REDIS_TIMEOUT"])
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        app.extensions["ting_redis"] = client
    return client


def redis_answers(app: Flask) -> bool | None:
    """For the health check: does the shared Redis answer (None: none configured)?"""
    client = redis_client(app)
    if client is None:
        return None
    import redis

    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def init_limits(app: Flask) -> None:
    """Bind the process-wide limiter to this app's store, and say so when it is per process."""
    cfg = app.config
    if is_redis(cfg["RATELIMIT_STORAGE_URI"]):
        timeout = float(cfg["REDIS_TIMEOUT"])
        cfg.setdefault(
            "RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": timeout, "socket_timeout": timeout}
        )
    _forget_previous_app()
    limiter.init_app(app)
    if is_production(cfg) and str(cfg["RATELIMIT_STORAGE_URI"]).startswith("memory://"):
        log.warning(
            "Rate limits and the anonymous daily quota are counted per worker process "
            "(INTRANET_REDIS_URL is not set): with several workers or hosts they allow that many times more."
        )


def _forget_previous_app() -> None:
    """Let each app's config win on the one limiter object of the process.

    Flask-Limiter keeps the first app's key prefix and options, and a "store is down"
    flag, on the limiter itself; a process that builds several apps (the tests, a
    shell) would otherwise count under the previous app's prefix or store.
    """
    limiter._key_prefix = ""
    limiter._storage_options = {}
    limiter._storage_dead = False
