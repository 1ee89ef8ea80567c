"""Hostile requests the route fuzz cannot shape: oversized bodies, invalid UTF-8 in the URL itself,
NUL bytes that must not reach PostgreSQL, very long words, deeply nested Markdown."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.test import stream_encode_multipart

from groups.models import Post, Thread
from intranet.extensions import db
from intranet.markdown import _parser, mentioned_names, plain_text, render_markdown

from . import hostile
from .conftest import Site

ROOT = Path(__file__).resolve().parents[2]


def _group_id(site: Site) -> int:
    """Engineering's open group, where zoe (employee) posts."""
    from groups.models import Group, Visibility
    from intranet.models import Department

    with site.app.app_context():
        return db.session.scalar(
            select(Group.id)
            .join(Department, Group.department_id == Department.id)
            .where(Department.name == "Engineering", Group.visibility == Visibility.OPEN)
            .order_by(Group.id)
        )


def _post_thread(site: Site, title: str, body: bytes | str, **extra: str):  # noqa: ANN202
    data = hostile.urlencode(
        [("csrf_token", site.tokens["employee"]), ("title", title), ("body", body), *extra.items()]
    )
    return site.client("employee").post(
        f"/groups/{_group_id(site)}/threads/new", data=data, content_type="application/x-www-form-urlencoded"
    )


# -- oversized requests ---------------------------------------------------------------------------------


def test_limits_are_set(site: Site):
    assert site.app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert site.app.config["MAX_FORM_MEMORY_SIZE"] == 1024 * 1024


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data"])
def test_oversized_request_gets_a_friendly_413_and_writes_nothing(site: Site, content_type: str):
    with site.app.app_context():
        before = db.session.scalar(select(db.func.count()).select_from(Thread))
    big = "x" * (1024 * 1024 + 10)
    client = site.client("employee")
    if content_type.startswith("multipart"):
        # Encoded in memory: the test client would spool it to a temporary file it never closes.
        stream, length, boundary = stream_encode_multipart(
            {"csrf_token": site.tokens["employee"], "title": "Big", "body": big}, use_tempfile=False
        )
        response = client.post(
            f"/groups/{_group_id(site)}/threads/new",
            data=stream.read(),
            content_type=f"multipart/form-data; boundary={boundary}",
        )
    else:
        response = _post_thread(site, "Big", big)
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "larger than Ting accepts" in html and "Back to Ting" in html  # the friendly page, not Werkzeug's
    with site.app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Thread)) == before


def test_largest_legitimate_post_fits_under_the_limits(site: Site):
    """A post at POST_MAX_LENGTH in 4-byte characters, URL-encoded (12 bytes a character), is accepted."""
    limit = int(site.app.config["POST_MAX_LENGTH"])
    response = _post_thread(site, "Longest post", "\U0001f600" * limit)
    assert response.status_code == 302, response.status_code


def test_413_page_is_translated(site: Site):
    client = site.app.test_client()
    client.set_cookie("ting_language", "nb")
    response = client.post(
        "/login", data=b"x=" + b"y" * (1024 * 1024 + 10), headers={"Accept-Language": "nb"}
    )
    assert response.status_code == 413
    assert "larger than Ting accepts" not in response.get_data(as_text=True)


# -- invalid UTF-8 and NUL --------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["/groups/%FF", "/suggestions/%ED%A0%80", "/search/?q=%FF%FE", "/%C0%AF/x"])
def test_invalid_utf8_in_the_url_is_not_a_500(site: Site, raw: str):
    response = site.client("employee").get(raw)
    assert response.status_code in (200, 400, 404), response.status_code


@pytest.mark.parametrize("path", ["/search/", "/suggestions/", "/groups/", "/login", "/suggestions/new"])
def test_raw_invalid_utf8_in_the_query_string_is_a_400(site: Site, path: str):
    """Unescaped bytes that are not UTF-8 (a WSGI server passes them on as latin-1 text)."""
    for who in ("employee", "anonymous"):
        response = site.client(who).get(path, environ_overrides={"QUERY_STRING": "q=\xff\xfe&page=\xed\xa0"})
        assert response.status_code == 400, (path, who, response.status_code)
        assert "could not be understood" in response.get_data(as_text=True)


def test_raw_invalid_utf8_in_a_form_body_is_refused_and_writes_nothing(site: Site):
    site.watch.start()
    body = b"csrf_token=" + site.tokens["employee"].encode() + b"&title=\xff\xfe\x00&body=\xed\xa0\x80"
    response = site.client("employee").post(
        "/suggestions/new", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in (400, 422) and not site.watch.committed


def test_invalid_utf8_and_nul_in_a_post_are_stored_cleaned(site: Site):
    """NUL is dropped (PostgreSQL refuses it in text); bytes that are not UTF-8 stay as their percent
    escapes (Werkzeug does not decode them); the words around them stay."""
    response = _post_thread(
        site, "Bytes \x00 title", b"before \xff\xfe\x00 after " + "\ud800".encode("utf-8", "surrogatepass")
    )
    assert response.status_code == 302, response.status_code
    with site.app.app_context():
        thread = db.session.scalar(select(Thread).order_by(Thread.id.desc()))
        body = db.session.scalar(select(Post.body).where(Post.thread_id == thread.id))
    assert thread.title == "Bytes  title"
    assert "\x00" not in body and body.startswith("before ") and " after " in body


def test_nul_in_search_and_filters_is_not_a_500(site: Site):
    client = site.client("employee")
    for url in ["/search/?q=a%00b", "/search/similar?title=%00", "/suggestions/?department=%00&category=%00"]:
        assert client.get(url).status_code in (200, 503), url


# -- very long words ----------------------------------------------------------------------------------------


def test_very_long_words_are_saved_searchable_and_wrap(site: Site):
    word = "Pneumono" + "x" * 19_000
    response = _post_thread(site, "W" * 200, f"findable {word} words")
    assert response.status_code == 302
    client = site.client("employee")
    found = client.get("/search/?q=findable")
    assert found.status_code == 200 and "W" * 50 in found.get_data(as_text=True)
    assert client.get("/search/", query_string={"q": word[:500]}).status_code == 200
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and word in page.get_data(as_text=True)


def test_text_people_write_wraps_however_long_its_words():
    """The layout does not break on a long word: every element inherits overflow-wrap from body."""
    css = (ROOT / "intranet" / "static" / "css" / "ting.css").read_text()
    body = re.search(r"(?m)^body\s*\{([^}]*)\}", css)
    assert body and re.search(r"overflow-wrap:\s*(anywhere|break-word)", body.group(1))


# -- deeply nested Markdown ---------------------------------------------------------------------------


class _Depth(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.depth = self.deepest = 0

    def handle_starttag(self, tag, attrs) -> None:  # noqa: ANN001
        if tag in ("blockquote", "ul", "ol", "li", "table"):
            self.depth += 1
            self.deepest = max(self.deepest, self.depth)

    def handle_endtag(self, tag) -> None:  # noqa: ANN001
        if tag in ("blockquote", "ul", "ol", "li", "table"):
            self.depth -= 1


@pytest.mark.parametrize("text", hostile._nested(9_999), ids=lambda t: repr(t[:6]))
def test_deeply_nested_markdown_renders_in_bounded_time_and_depth(text: str):
    text = text[:20_000]  # a post's limit
    started = time.perf_counter()
    html = str(render_markdown(text + " "))  # a new string: not from the render cache
    plain_text(text)
    mentioned_names(text)
    assert time.perf_counter() - started < 10, "quadratic somewhere"
    depth = _Depth()
    depth.feed(html)
    assert depth.deepest <= 2 * _parser().options["maxNesting"] + 2


def test_deeply_nested_markdown_page_renders(site: Site):
    response = _post_thread(site, "Nested", ">" * 19_999)
    assert response.status_code == 302
    assert site.client("lead").get(response.headers["Location"]).status_code == 200


# -- ids and pages past what a column holds --------------------------------------------------------------


def test_ids_past_their_column_are_not_found_and_real_ones_are(site: Site):
    """INTEGER ids stop at 2**31 - 1 (PostgreSQL refuses more: a 500 before); suggestion numbers
    are random BIGINTs (up to 2**48), so their routes take 64-bit ids."""
    from suggestions.models import Suggestion

    client = site.client("employee")
    for url in ["/groups/2147483648", "/groups/threads/9223372036854775807", "/groups/" + "9" * 30]:
        assert client.get(url).status_code == 404, url
    with site.app.app_context():
        numbers = db.session.scalars(select(Suggestion.id)).all()
    assert any(n > 2**31 for n in numbers)  # the demo's random numbers need the 64-bit routes
    for number in numbers[:5]:
        assert client.get(f"/suggestions/{number}").status_code == 200
    assert client.get("/suggestions/9223372036854775808").status_code == 404


@pytest.mark.parametrize("page", ["2147483648", "9223372036854775808", "1" + "0" * 30, "-3", "x"])
def test_pages_past_the_data_are_empty_or_not_found(site: Site, page: str):
    client = site.client("admin")
    for url in ["/groups/", "/departments", "/notifications", "/suggestions/", "/search/?q=coffee"]:
        sep = "&" if "?" in url else "?"
        assert client.get(f"{url}{sep}page={page}").status_code in (200, 404), url
