"""Web-security plumbing: response headers and safe redirects (TRUST.md §3)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, abort, request

CSP = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def is_safe_next(target: str | None) -> bool:
    """True only for a local path: no scheme, no host, no `//` or `/\\` tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ch == "\\" or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str) -> str:
    return target if target and is_safe_next(target) else default


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # Not "no-referrer": Flask-WTF's HTTPS referrer check would then refuse every POST.
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.endpoint != "static":
        # Pages show what only this user may see: keep them out of shared caches and history.
        headers.setdefault("Cache-Control", "no-store")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def refuse_undecodable_query() -> None:
    """A query string of raw bytes that are not UTF-8 is a 400, before anything reads it.

    Browsers percent-encode, but a raw byte such as 0xFF (curl, scanners) made Werkzeug's
    ``request.args`` raise UnicodeDecodeError wherever a view read it: a 500.
    """
    try:
        request.query_string.decode()
    except UnicodeDecodeError:
        abort(400)


def init_security(app: Flask) -> None:
    # First of all the hooks: CSRF, rate limits and views may all read the query string.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_undecodable_query)
    app.after_request(add_security_headers)
