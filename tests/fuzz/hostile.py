"""Hypothesis strategies for hostile input: what a careless, curious or malicious person could send.

Values are ``str`` (encoded as UTF-8 with lone surrogates passed through, which makes the bytes
invalid UTF-8) or ``bytes`` (sent as they are). Bodies and query strings are built by hand
(:func:`urlencode`) so that repeated keys, invalid UTF-8 and NUL reach the server unchanged.
"""

from __future__ import annotations

from urllib.parse import quote_from_bytes

from hypothesis import strategies as st

Value = str | bytes

#: Every Unicode category, lone surrogates (Cs) included.
ANY_CHAR = st.characters(codec=None, categories=None, exclude_categories=())

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e"]
BIDI = ["\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200f", "\u061c"]

SPECIAL_TEXT = [
    "",
    " ",
    "\t\r\n",
    "\x00",
    "a\x00b",
    "\x00" * 50,
    "\ufffd",
    "\ud800",  # a lone surrogate: invalid UTF-8 once encoded
    "\udfff\ud800",
    "".join(INVISIBLE),
    "".join(BIDI) + "txt.exe",
    "e\u0301" * 300,  # combining marks
    "\U0001f600\U0001f468\u200d\U0001f469\u200d\U0001f467",  # emoji with joiners
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "ǅ ß ﬁ İ ı",  # case mapping oddities
    "%",
    "_",
    "%_%",
    "\\",
    "\\%",
    "' OR '1'='1",
    "1; DROP TABLE users; --",
    '"; SELECT pg_sleep(5); --',
    "*",
    "?",
    "title:(a OR b) AND NOT c*",
    'kind:suggestion status:"',
    '"unterminated phrase',
    "a~2 b^3 [a TO z] {x TO y}",
    "body:* OR *:*",
    "((((((((((x",
    ")))))",
    "-",
    "--",
    "NOT",
    "OR OR AND",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{ 7*7 }}{% raw %}",
    "${jndi:ldap://x}",
    "../../etc/passwd",
    "//evil.example",
    "/\\evil.example",
    "@" * 300,
    "@zoe @bjorn @ingrid",
]

NUMBERS = [
    "0",
    "-1",
    "-0",
    "1",
    "+1",
    " 1 ",
    "1.5",
    "1e309",
    "-1e309",
    "NaN",
    "inf",
    "-inf",
    "0x10",
    "١٢٣",  # Arabic-Indic digits
    "²",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "9" * 40,
    "1" * 400,
    "1,000",
    "1_000",
    "00000000000000000000001",
]

DATES = [
    "2026-02-30",
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "99999-01-01",
    "2026-13-01",
    "2026-1-1",
    "today",
]

INVALID_UTF8 = [
    b"\xff",
    b"\xfe\xff",
    b"\xc3\x28",
    b"\xed\xa0\x80",
    b"\x80abc",
    b"\xf4\x90\x80\x80",
    b"\xc0\xaf",
]


def _nested(n: int) -> list[str]:
    return [
        ">" * n + " deep",
        "> " * n + "deep",
        "- " * n + "x",
        "\n".join("  " * i + "- item" for i in range(min(n, 400))),
        "\n".join("   " * i + "1. item" for i in range(min(n, 400))),
        "[" * n + "x" + "]" * n,
        "[" * n,
        "](" * n,
        "![" * n + "x",
        "*" * n + "a" + "*" * n,
        "**a " * n,
        "_a " * n + "_" * n,
        "`" * n + "x",
        "(" * n + "x",
        "<" * n,
        "&#" * n,
        "|" * n + "\n" + "|-" * n + "\n" + "|x" * n,
        "~~" * n + "x",
        "\\" * n,
    ]


NESTED_MARKDOWN = _nested(3000)

#: Words with no break: they must neither break the layout nor the index.
LONG_WORDS = ["x" * 20_000, "ä" * 5_000, "supercalifragilistic" * 400, "https://e.example/" + "a" * 3000]


def text(max_size: int = 60) -> st.SearchStrategy[str]:
    """Hostile text: special strings, Unicode of every category, huge values, nested Markdown."""
    small = st.text(alphabet=ANY_CHAR, max_size=max_size)
    return st.one_of(
        st.sampled_from(SPECIAL_TEXT),
        small,
        st.builds(lambda a, b: a + b, st.sampled_from(SPECIAL_TEXT), small),
        st.sampled_from(NESTED_MARKDOWN),
        st.sampled_from(LONG_WORDS),
        st.integers(min_value=0, max_value=60_000).map(lambda n: "a " * (n // 2)),
        st.sampled_from(INVISIBLE + BIDI).map(lambda c: c * 400),
    )


def number() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NUMBERS),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )


def value(valid: list[str] | None = None, numeric: bool = False) -> st.SearchStrategy[Value]:
    """Any hostile value for a field, sometimes a valid one so the fuzz gets past the first check;
    numbers out of range more often where a number is expected."""
    options: list[st.SearchStrategy[Value]] = [number()] * (4 if numeric else 0) + [
        text(),
        number(),
        st.sampled_from(DATES),
        st.sampled_from(INVALID_UTF8),
        st.binary(max_size=40),
    ]
    if valid:
        options = [st.sampled_from(valid)] * 3 + options
    return st.one_of(options)


def pairs(
    fields: dict[str, list[str]], numeric: frozenset[str] = frozenset()
) -> st.SearchStrategy[list[tuple[Value, Value]]]:
    """Form or query pairs for the named fields (each with its valid values): some fields left
    out, some repeated, now and then a stranger field or a hostile name."""

    def one(name: str, valid: list[str]) -> st.SearchStrategy[list[tuple[Value, Value]]]:
        return st.lists(value(valid, name in numeric).map(lambda v: (name, v)), min_size=0, max_size=3)

    per_field = [one(name, valid) for name, valid in fields.items()]
    extra = st.lists(st.tuples(st.one_of(text(20), st.sampled_from(INVALID_UTF8)), value()), max_size=2)
    return st.tuples(st.tuples(*per_field) if per_field else st.just(()), extra).map(
        lambda t: [pair for group in t[0] for pair in group] + t[1]
    )


def encode(item: Value) -> bytes:
    return item if isinstance(item, bytes) else item.encode("utf-8", "surrogatepass")


def raw(items: list[tuple[Value, Value]]) -> bytes:
    """The pairs as bytes without percent escapes, as curl or a scanner may send them."""
    return b"&".join(encode(k) + b"=" + encode(v) for k, v in items)


def urlencode(items: list[tuple[Value, Value]]) -> bytes:
    """``application/x-www-form-urlencoded`` bytes, keeping every byte and every repeat."""
    return b"&".join(
        quote_from_bytes(encode(k), safe="").encode() + b"=" + quote_from_bytes(encode(v), safe="").encode()
        for k, v in items
    )
