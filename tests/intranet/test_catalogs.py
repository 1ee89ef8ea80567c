"""The translation catalogs: complete, current, and faithful to each message's placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from intranet.config import DEFAULTS

TRANSLATIONS = Path(__file__).resolve().parents[2] / "intranet" / "translations"
LOCALES = [code for code in DEFAULTS["LANGUAGES"] if code != "en"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")
# A few words are the same in English and some of these languages ("Status", "Logo"…).
MAX_SAME_AS_ENGLISH = 0.06


def _read(path: Path):  # noqa: ANN202 - babel's Catalog
    with path.open("rb") as handle:
        return read_po(handle)


def _placeholders(text: str) -> set[str]:
    return {m.group(0) for m in PLACEHOLDER.finditer(text)}


def _messages(catalog) -> list:  # noqa: ANN001
    return [m for m in catalog if m.id]


def test_the_languages_offered_are_english_and_the_four_nordic_and_dutch() -> None:
    assert DEFAULTS["LANGUAGES"] == ["en", "nb", "da", "nl", "sv"]


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_holds_exactly_the_messages_of_the_template(locale: str) -> None:
    template = {
        m.id if isinstance(m.id, str) else m.id[0] for m in _messages(_read(TRANSLATIONS / "messages.pot"))
    }
    catalog = _read(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po")
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in _messages(catalog)}
    assert sorted(template - ids) == [], "run `make translations` and translate the new messages"
    assert sorted(ids - template) == []


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated_and_none_is_fuzzy(locale: str) -> None:
    catalog = _read(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po")
    untranslated = [
        m.id for m in _messages(catalog) if not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    fuzzy = [m.id for m in _messages(catalog) if m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders(locale: str) -> None:
    catalog = _read(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po")
    wrong = []
    for m in _messages(catalog):
        if isinstance(m.id, tuple):
            wanted = _placeholders(m.id[1])
            forms = list(m.string)
            # The singular may spell out "one" instead of the number.
            if any(_placeholders(f) - wanted for f in forms) or _placeholders(forms[-1]) != wanted:
                wrong.append(m.id[0])
        elif _placeholders(m.id) != _placeholders(m.string):
            wrong.append(m.id)
    assert wrong == []
    assert [str(e) for _message, errors in catalog.check() for e in errors] == []


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_are_not_english_copied_over(locale: str) -> None:
    messages = [
        m
        for m in _messages(_read(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"))
        if isinstance(m.id, str)
    ]
    same = [m.id for m in messages if m.string == m.id and re.search(r"[^\W\d_]{3,}", m.id)]
    assert len(same) <= MAX_SAME_AS_ENGLISH * len(messages), same
