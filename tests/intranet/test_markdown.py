"""Markdown people write: no script survives, ordinary Markdown does, mentions outside code only."""

import re
from html.parser import HTMLParser

import pytest
from flask import Flask, render_template_string
from markupsafe import Markup

from intranet.markdown import mentioned_names, render_markdown

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x]: javascript:alert(1)\n\n[y][x]",
    "![x](javascript:alert(1))",
    "<javascript:alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=//evil.example></iframe>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<div style="color:red" onclick="alert(1)">x</div>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    '[x](https://ok.example "t\\" onmouseover=\\"alert(1)")',
    "<details open ontoggle=alert(1)>",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "<!-- <script>alert(1)</script> -->",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]

ALLOWED_SCHEMES = {"http", "https", "mailto"}


class Elements(HTMLParser):
    """The real elements and attributes of an HTML fragment (escaped text is only text)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


@pytest.mark.parametrize("source", XSS)
def test_render_markdown_removes_scripts_handlers_and_dangerous_urls(source):
    html = str(render_markdown(source))
    assert "<script" not in html.lower()
    for tag, attrs in Elements(html).elements:
        assert tag not in {"script", "iframe", "svg", "img", "math", "style", "details", "div"}, tag
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        assert "style" not in attrs, (tag, attrs)
        href = attrs.get("href")
        if href is not None:
            scheme = href.split(":", 1)[0].lower() if ":" in href else None
            assert scheme is None or scheme in ALLOWED_SCHEMES, href
            assert "javascript" not in href.lower(), href


def test_render_markdown_returns_markup_and_handles_empty_text():
    assert isinstance(render_markdown("x"), Markup)
    assert render_markdown("") == ""
    assert render_markdown(None) == ""  # type: ignore[arg-type]


def test_render_markdown_renders_ordinary_markdown():
    html = str(
        render_markdown(
            "# Title\n\n*em* **strong** `code`\n\n- a\n- b\n\n3. three\n\n> quoted\n\n```\nblock\n```\n"
        )
    )
    assert "<h1>Title</h1>" in html
    assert "<em>em</em>" in html and "<strong>strong</strong>" in html
    assert "<code>code</code>" in html
    assert "<ul>\n<li>a</li>\n<li>b</li>\n</ul>" in html
    assert '<ol start="3">' in html
    assert "<blockquote>" in html
    assert "<pre><code>block\n</code></pre>" in html


def test_render_markdown_escapes_html_as_text():
    assert str(render_markdown("a <b>bold</b> & c")) == "<p>a &lt;b&gt;bold&lt;/b&gt; &amp; c</p>\n"


@pytest.mark.parametrize("url", ["https://example.com/x?a=1", "/groups/sales", "mailto:someone@example.com"])
def test_render_markdown_links_get_rel_noopener(url):
    ((tag, attrs),) = Elements(str(render_markdown(f"[link]({url})"))).elements[1:]
    assert tag == "a" and attrs["href"] == url
    assert {"noopener", "noreferrer"} <= set(attrs["rel"].split())


def test_render_markdown_renders_tables():
    html = str(render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n"))
    for tag in ("<table>", "<thead>", "<tbody>", "<th>a</th>", "<td>2</td>"):
        assert tag in html


def test_render_markdown_keeps_strikethrough():
    assert re.search(r"<(s|del)>gone</(s|del)>", str(render_markdown("~~gone~~")))


def test_render_markdown_mentions_become_spans():
    html = str(render_markdown("Thanks @alice and @bob.smith."))
    assert '<span class="mention">@alice</span>' in html
    assert '<span class="mention">@bob.smith</span>.' in html  # the full stop ends the sentence, not the name


@pytest.mark.parametrize(
    "source",
    [
        "`@alice`",
        "```\n@alice\n```",
        "    @alice in an indented block",
        "alice@example.com",
        "a@b.com",
        "<alice@example.com>",
        "\\@alice",
    ],
)
def test_render_markdown_no_mention_in_code_or_addresses(source):
    html = str(render_markdown(source))
    assert "mention" not in html
    assert "@" in html  # the text itself stays


def test_mentioned_names_are_lower_cased_and_distinct():
    assert mentioned_names("@Alice, @alice and @bob!") == {"alice", "bob"}


def test_mentioned_names_ignore_code_and_email_addresses():
    text = "Ask @carol (not `@dave`), mail a@b.com or <erin@example.com>.\n\n```\n@frank\n```\n\n    @gina\n"
    assert mentioned_names(text) == {"carol"}


def test_mentioned_names_in_quotes_lists_tables_and_links():
    text = "> @quoted\n\n- @listed\n\n| @cell |\n|---|\n| @row |\n\n[@linked](/x)\n"
    assert mentioned_names(text) == {"quoted", "listed", "cell", "row", "linked"}


def test_mentioned_names_of_nothing():
    assert mentioned_names("") == set()
    assert mentioned_names("no names here @ all") == set()


@pytest.mark.parametrize(
    "source",
    [
        ">" * 500 + " deep",
        "> " * 2000 + "deep",
        "- " * 500 + "deep",
        "  " * 1000 + "- deep",
        "*" * 5000 + "x",
        "[" * 5000 + "x" + "]" * 5000,
        "`" * 5000,
        "@a " * 2000,
    ],
)
def test_render_markdown_survives_deep_or_long_input(source):
    html = str(render_markdown(source))
    assert "<script" not in html
    mentioned_names(source)


def test_markdown_template_filter_renders_safely(app: Flask):
    with app.test_request_context():
        out = render_template_string("{{ text|markdown }}", text="**hi** @ann <script>x</script>")
    assert (
        out == '<p><strong>hi</strong> <span class="mention">@ann</span> &lt;script&gt;x&lt;/script&gt;</p>\n'
    )
