"""Markdown for everything people write: HTML off, then nh3's allow-list (TRUST.md §3).

markdown-it-py passes raw HTML through by default, so it runs with ``html=False``
and its output is sanitised again by nh3: a bug in either still leaves the other.
``@username`` becomes a mention (outside code), shown as a highlighted name.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markupsafe import Markup

#: A mention: `@` at a word start, then a directory login name.
MENTION_RE = re.compile(r"(?<![\w@.])@([a-z0-9][a-z0-9._-]{0,63})", re.IGNORECASE)

ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "a", "span",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
ALLOWED_CLASSES = {"span": {"mention"}}
URL_SCHEMES = {"http", "https", "mailto"}


def _mention_rule(state: StateInline, silent: bool) -> bool:
    # The pattern's look-behind sees the text before ``pos``: "a@b.com" is no mention.
    match = MENTION_RE.match(state.src, state.pos) if state.src[state.pos] == "@" else None
    if not match:
        return False
    name = match.group(1).rstrip("._-")
    if not silent:
        token = state.push("mention", "", 0)
        token.content = name
    state.pos += 1 + len(name)
    return True


def _render_mention(self, tokens, idx, options, env) -> str:  # noqa: ANN001
    name = tokens[idx].content
    return f'<span class="mention">@{Markup.escape(name)}</span>'


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.inline.ruler.before("emphasis", "mention", _mention_rule)
    md.add_render_rule("mention", _render_mention)
    return md


def render_markdown(text: str) -> Markup:
    """Safe HTML for ``text``: no raw HTML, no scripts, no event handlers, links with rel=noopener."""
    return _rendered(text or "")


@lru_cache(maxsize=4096)
def _rendered(text: str) -> Markup:
    """Rendering is a pure function of the text, and a thread page renders 50 posts: each worker
    keeps the latest few thousand (a cache only: every host renders the same HTML)."""
    html = _parser().render(text)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


def mentioned_names(text: str) -> set[str]:
    """Lower-cased login names mentioned in ``text``, as rendered: not inside code."""
    names = set()
    for block in _parser().parse(text or ""):
        for token in block.children or ():
            if token.type == "mention":
                names.add(token.content.lower())
    return names


def plain_text(text: str) -> str:
    """The words of ``text`` without Markdown syntax (for search snippets)."""
    parts: list[str] = []
    for block in _parser().parse(text or ""):
        if block.type in ("fence", "code_block"):
            parts.append(block.content)
        for token in block.children or ():
            if token.type in ("text", "code_inline"):
                parts.append(token.content)
            elif token.type == "mention":
                parts.append("@" + token.content)
            elif token.type in ("softbreak", "hardbreak"):
                parts.append(" ")
        if block.type.endswith("_close") and block.block:
            parts.append("\n")
    return re.sub(r"[ \t]+", " ", "".join(parts)).strip()
