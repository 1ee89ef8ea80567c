"""Every word a template shows goes through the translation layer.

The Jinja lexer splits each template into template text and code; the text parts are parsed
as HTML, and what a person reads there (text, and the title, alt, placeholder, aria-label and
button value attributes) must hold no words: words belong inside `_()` / `ngettext()`.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SHOWN_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "label", "summary"}
WORD = re.compile(r"[^\W\d_]{2,}")
# Names and codes that read the same in every language.
UNTRANSLATED = {"Ting", "CSV", "Atom", "PNG"}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.shown: list[tuple[int, str]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        names = dict(attrs)
        for name, value in attrs:
            if value and (
                name in SHOWN_ATTRIBUTES
                or (tag == "input" and name == "value" and names.get("type") in {"submit", "button"})
            ):
                self.shown.append((self.getpos()[0], value))

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.shown.append((self.getpos()[0], data))


JINJA = re.compile(r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


def _without_code(source: str) -> str:
    """The template with its Jinja code and comments blanked out (line numbers kept)."""
    return JINJA.sub(lambda m: "\n" * m.group().count("\n") + " ", source)


def _words_shown(path: Path) -> list[str]:
    text = _without_code(path.read_text(encoding="utf-8"))
    if path.suffix == ".txt":
        pieces = [(n, line) for n, line in enumerate(text.splitlines(), 1)]
    else:
        reader = _Reader()
        reader.feed(text)
        reader.close()
        pieces = reader.shown
    found: list[str] = []
    for line, piece in pieces:
        words = [w for w in WORD.findall(piece) if w not in UNTRANSLATED]
        if words:
            found.append(f"{path.name}:{line}: {' '.join(words)}")
    return found


TEMPLATE_FILES = sorted(p for p in TEMPLATES.rglob("*") if p.suffix in {".html", ".txt", ".xml"})


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_template_words_are_marked_for_translation(path: Path) -> None:
    assert _words_shown(path) == []


def test_the_check_finds_an_unmarked_word(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        '<p>{{ _("Fine") }}</p><p>Not marked</p><input type="submit" value="Send">'
        '<img alt="{{ _(\'ok\') }}"><a title="Plain title">{{ x }}</a>{# a comment #}',
        encoding="utf-8",
    )
    found = _words_shown(page)
    assert [f.split(": ", 1)[1] for f in found] == ["Not marked", "Send", "Plain title"]
