"""Search box text parsed into a small engine-neutral query (pure Python; the engine's syntax stays hidden).

Forgiving: `parse` never raises; what it cannot make sense of degrades to plain words.
    canteen coffee  "night shift"  -word  -"a phrase"  coffee OR "hot cocoa"  kantin*
    status:adopted  dept:sales  in:"lunch club"  kind:post kind:thread  -status:declined
Words keep their case (the engine lowercases and stems); punctuation, stray `*` and `-` around
them are dropped. An unclosed quote runs to the end. At most MAX_CHARS characters, MAX_TERMS terms.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

MAX_CHARS = 500
MAX_TERMS = 20
FILTER_FIELDS = ("status", "department", "in", "kind")
ALIASES = {"group": "in", "dept": "department", "type": "kind"}
PUNCT = ",.;:!?()[]{}"
_TRIM = PUNCT + "*-"  # also trimmed from words: a stray star or dash means nothing there
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_FIELD = re.compile(r"([A-Za-z]+):(.*)", re.DOTALL)
_OR = object()  # the OR operator, as a token


@dataclass(frozen=True)
class Word:
    text: str
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]  # 2+ words: a 1-word phrase is parsed as a Word


@dataclass(frozen=True)
class AnyOf:
    options: tuple[Word | Phrase, ...]  # 2+ options, any of which may match


Clause = Word | Phrase | AnyOf
Filters = dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Query:
    required: tuple[Clause, ...] = ()
    excluded: tuple[Word | Phrase, ...] = ()
    filters: Filters = field(default_factory=dict, hash=False)  # field -> any of these values
    excluded_filters: Filters = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:  # a private copy, without empty fields: equal queries compare equal
        for name in ("filters", "excluded_filters"):
            object.__setattr__(self, name, {k: tuple(v) for k, v in getattr(self, name).items() if v})

    def filter(self, name: str) -> tuple[str, ...]:
        return self.filters.get(_field_name(name) or name, ())

    def excluded_filter(self, name: str) -> tuple[str, ...]:
        return self.excluded_filters.get(_field_name(name) or name, ())

    @property
    def has_text(self) -> bool:
        return bool(self.required)

    @property
    def is_empty(self) -> bool:
        return not (self.required or self.filters or self.excluded_filters)

    def words(self) -> list[str]:
        """Every positive word, in order (for "did you mean" and highlighting)."""
        out: list[str] = []
        for clause in self.required:
            for option in clause.options if isinstance(clause, AnyOf) else (clause,):
                out.extend(option.words if isinstance(option, Phrase) else (option.text,))
        return out

    def replace_words(self, mapping: dict[str, str]) -> Query:
        """The same query with its positive words swapped, e.g. {"kantien": "kantine"}."""

        def swap(item: Word | Phrase) -> Word | Phrase:
            if isinstance(item, Phrase):
                return Phrase(tuple(mapping.get(w, w) for w in item.words))
            return replace(item, text=mapping.get(item.text, item.text))

        required = (
            AnyOf(tuple(map(swap, c.options))) if isinstance(c, AnyOf) else swap(c) for c in self.required
        )
        return replace(self, required=tuple(required))

    def with_filter(self, name: str, value: str) -> Query:
        key = _field_name(name)
        if key is None:
            raise ValueError(f"unknown search filter {name!r}")
        item = _filter(key, value)
        if item is None or item[1] in self.filter(key):
            return self
        return replace(self, filters={**self.filters, key: self.filter(key) + (item[1],)})

    def without_filter(self, name: str, value: str | None = None) -> Query:
        """Without that filter: all its values, or only `value`."""
        key = _field_name(name) or name
        kept = tuple(v for v in self.filter(key) if value is not None and v != value)
        return replace(self, filters={**self.filters, key: kept})

    def __str__(self) -> str:
        """The canonical text: parse(str(q)) == q."""
        parts = [
            " OR ".join(map(_text, c.options)) if isinstance(c, AnyOf) else _text(c) for c in self.required
        ]
        parts += [f"{k}:{_value(v)}" for k, values in self.filters.items() for v in values]
        parts += [f"-{_text(c)}" for c in self.excluded]
        parts += [f"-{k}:{_value(v)}" for k, values in self.excluded_filters.items() for v in values]
        return " ".join(parts)


def parse(text: str) -> Query:
    required: list[Clause] = []
    excluded: list[Word | Phrase] = []
    filters: dict[bool, Filters] = {False: {}, True: {}}
    joinable = pending_or = False  # joinable: the last term was a positive word or phrase
    for negated, item in _tokens(text or ""):
        if item is _OR:
            pending_or = joinable
            continue
        if isinstance(item, tuple):
            name, value = item
            values = filters[negated].setdefault(name, ())
            filters[negated][name] = values if value in values else values + (value,)
        elif negated:
            if item not in excluded:
                excluded.append(item)
        elif pending_or:
            required[-1] = _either(required[-1], item)
        else:
            required.append(item)
        joinable, pending_or = not negated and not isinstance(item, tuple), False
    return Query(tuple(required), tuple(excluded), filters[False], filters[True])


def _tokens(text: str) -> Iterator[tuple[bool, object]]:
    """(negated, Word | Phrase | (field, value) | _OR) for each meaningful whitespace-separated token."""
    text = _CONTROL.sub(" ", text[:MAX_CHARS])
    i, n, terms = 0, len(text), 0
    while i < n and terms < MAX_TERMS:
        if text[i].isspace():
            i += 1
            continue
        negated = text[i] == "-"
        i += negated
        item: object = None
        if i < n and text[i] == '"':
            raw, i = _quoted(text, i)
            item = _words(raw)
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] != '"':
                i += 1
            chunk = text[start:i]
            known = _field_of(chunk)
            if known and not known[1] and i < n and text[i] == '"':  # in:"group name"
                raw, i = _quoted(text, i)
                item = _filter(known[0], raw)
            elif known:
                item = _filter(known[0], known[1].strip(PUNCT))
            elif chunk == "OR" and not negated:
                item = _OR
            elif word := chunk.strip(_TRIM):
                prefix = chunk.rstrip(PUNCT).endswith("*") and len(word) >= 2
                item = Word(word, prefix)
        if item is not None:
            terms += item is not _OR
            yield negated, item


def _quoted(text: str, i: int) -> tuple[str, int]:
    """The text inside the quote at text[i], and where it ends; an unclosed quote runs to the end."""
    end = text.find('"', i + 1)
    return (text[i + 1 :], len(text)) if end < 0 else (text[i + 1 : end], end + 1)


def _words(raw: str) -> Word | Phrase | None:
    words = tuple(w for w in (part.strip(_TRIM) for part in raw.split()) if w)
    return None if not words else Word(words[0]) if len(words) == 1 else Phrase(words)


def _either(clause: Clause, option: Word | Phrase) -> Clause:
    options = clause.options if isinstance(clause, AnyOf) else (clause,)
    return clause if option in options else AnyOf((*options, option))


def _field_name(name: str) -> str | None:
    name = ALIASES.get(name.lower(), name.lower())
    return name if name in FILTER_FIELDS else None


def _text(item: Word | Phrase) -> str:
    if isinstance(item, Phrase):
        return '"' + " ".join(item.words) + '"'
    if item.prefix:
        return item.text + "*"
    needs_quotes = item.text == "OR" or item.text != item.text.strip(_TRIM) or _field_of(item.text)
    return f'"{item.text}"' if needs_quotes else item.text


def _value(value: str) -> str:
    return f'"{value}"' if value.split() != [value] or value != value.strip(PUNCT) else value


def _field_of(chunk: str) -> tuple[str, str] | None:
    """(field, the rest) if the chunk starts with a known filter's name and a colon."""
    match = _FIELD.fullmatch(chunk.lstrip(_TRIM))
    name = match and _field_name(match.group(1))
    return (name, match.group(2)) if match and name else None


def _filter(name: str, value: str) -> tuple[str, str] | None:
    value = " ".join(value.replace('"', " ").split())  # a quote could not be written back
    return (name, value) if value else None
