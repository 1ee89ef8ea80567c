"""The search box grammar: words, phrases, exclusions, OR, prefixes, filters, limits, canonical text."""

from __future__ import annotations

import dataclasses
import random

import pytest

from search.query import FILTER_FIELDS, MAX_CHARS, MAX_TERMS, AnyOf, Clause, Phrase, Query, Word, parse

W = Word


def P(*words: str) -> Phrase:
    return Phrase(words)


def A(*options: Word | Phrase) -> AnyOf:
    return AnyOf(options)


def Q(
    *required: Clause,
    excluded: tuple | list = (),
    filters: dict | None = None,
    excluded_filters: dict | None = None,
) -> Query:
    return Query(tuple(required), tuple(excluded), filters or {}, excluded_filters or {})


def check(text: str, expected: Query) -> None:
    query = parse(text)
    assert query == expected
    assert parse(str(query)) == query, str(query)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("canteen coffee", Q(W("canteen"), W("coffee"))),
        ("  canteen \t\n coffee  ", Q(W("canteen"), W("coffee"))),
        ("Kantine KAFFE", Q(W("Kantine"), W("KAFFE"))),
        ("coffee or tea", Q(W("coffee"), W("or"), W("tea"))),
        ("coffee coffee", Q(W("coffee"), W("coffee"))),
        ("(coffee, tea!)", Q(W("coffee"), W("tea"))),
        ("end. [sic] {x} why?; ok:", Q(W("end"), W("sic"), W("x"), W("why"), W("ok"))),
        ("... ,,, ()", Q()),
        ("e-mail don't a.b.c", Q(W("e-mail"), W("don't"), W("a.b.c"))),
        ("foo:bar http://example.com/x", Q(W("foo:bar"), W("http://example.com/x"))),
        ("foo: bar", Q(W("foo"), W("bar"))),
    ],
)
def test_words(text, expected):
    check(text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"night shift"', Q(P("night", "shift"))),
        ('"night    shift"', Q(P("night", "shift"))),
        ('"night, shift."', Q(P("night", "shift"))),
        ('"coffee"', Q(W("coffee"))),
        ('"night shift', Q(P("night", "shift"))),
        ('canteen "night', Q(W("canteen"), W("night"))),
        ('"night shift" canteen', Q(P("night", "shift"), W("canteen"))),
        ('say"hello world"again', Q(W("say"), P("hello", "world"), W("again"))),
        ('"kantin*"', Q(W("kantin"))),
        ('"status:adopted"', Q(W("status:adopted"))),
        ('"a OR b"', Q(P("a", "OR", "b"))),
        ('"-x" "- y"', Q(W("x"), W("y"))),
        ('""', Q()),
        ('"  "', Q()),
        ('"', Q()),
    ],
)
def test_phrases(text, expected):
    check(text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-coffee", Q(excluded=[W("coffee")])),
        ('-"night shift"', Q(excluded=[P("night", "shift")])),
        ('-"coffee"', Q(excluded=[W("coffee")])),
        ('-"night shift', Q(excluded=[P("night", "shift")])),
        ("-kantin*", Q(excluded=[W("kantin", prefix=True)])),
        ("-status:declined", Q(excluded_filters={"status": ("declined",)})),
        ('-in:"lunch club"', Q(excluded_filters={"in": ("lunch club",)})),
        ("tea -coffee -coffee", Q(W("tea"), excluded=[W("coffee")])),
        ("- coffee", Q(W("coffee"))),
        ("coffee -", Q(W("coffee"))),
        ("-", Q()),
        ('-"', Q()),
        ("-*", Q()),
        ("--coffee", Q(excluded=[W("coffee")])),
        ("-OR", Q(excluded=[W("OR")])),
        ("e-mail", Q(W("e-mail"))),
    ],
)
def test_exclusions(text, expected):
    check(text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("coffee OR tea", Q(A(W("coffee"), W("tea")))),
        ('coffee OR tea OR "hot chocolate"', Q(A(W("coffee"), W("tea"), P("hot", "chocolate")))),
        ("coffee OR tea cake", Q(A(W("coffee"), W("tea")), W("cake"))),
        ("cake coffee OR tea", Q(W("cake"), A(W("coffee"), W("tea")))),
        ("a OR b c OR d", Q(A(W("a"), W("b")), A(W("c"), W("d")))),
        ("kantin* OR kaffe", Q(A(W("kantin", prefix=True), W("kaffe")))),
        ("OR coffee", Q(W("coffee"))),
        ("coffee OR", Q(W("coffee"))),
        ("OR", Q()),
        ("OR OR OR", Q()),
        ("a OR OR b", Q(A(W("a"), W("b")))),
        ("a OR a", Q(W("a"))),
        ("a OR b OR a", Q(A(W("a"), W("b")))),
        ("-x OR y", Q(W("y"), excluded=[W("x")])),
        ("y OR -x", Q(W("y"), excluded=[W("x")])),
        ("a OR -x OR b", Q(W("a"), W("b"), excluded=[W("x")])),
        ("a OR status:adopted", Q(W("a"), filters={"status": ("adopted",)})),
        ("a OR status:adopted OR b", Q(W("a"), W("b"), filters={"status": ("adopted",)})),
        ("a OR * OR b", Q(A(W("a"), W("b")))),
        ('"OR" OR tea', Q(A(W("OR"), W("tea")))),
        ('a "OR" b', Q(W("a"), W("OR"), W("b"))),
        ("a Or b", Q(W("a"), W("Or"), W("b"))),
        ("(coffee OR tea)", Q(A(W("coffee"), W("tea")))),
        ("a OR, b", Q(W("a"), W("OR"), W("b"))),
    ],
)
def test_or(text, expected):
    check(text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kantin*", Q(W("kantin", prefix=True))),
        ("ka*", Q(W("ka", prefix=True))),
        ("k*", Q(W("k"))),
        ("*", Q()),
        ("** *", Q()),
        ("*kantin", Q(W("kantin"))),
        ("kantin**", Q(W("kantin", prefix=True))),
        ("(kantin*),", Q(W("kantin", prefix=True))),
        ("kan*tin", Q(W("kan*tin"))),
        ("Blåbær*", Q(W("Blåbær", prefix=True))),
    ],
)
def test_prefixes(text, expected):
    check(text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status:adopted", Q(filters={"status": ("adopted",)})),
        ("STATUS:Adopted", Q(filters={"status": ("Adopted",)})),
        ("department:sales", Q(filters={"department": ("sales",)})),
        ("dept:Sales", Q(filters={"department": ("Sales",)})),
        ("Dept:Sales department:IT", Q(filters={"department": ("Sales", "IT")})),
        ('in:"group name"', Q(filters={"in": ("group name",)})),
        ('in:"  group   name "', Q(filters={"in": ("group name",)})),
        ('in:"(parens) kept"', Q(filters={"in": ("(parens) kept",)})),
        ("in:lunch-club", Q(filters={"in": ("lunch-club",)})),
        ("group:lunch-club", Q(filters={"in": ("lunch-club",)})),
        ("kind:suggestion", Q(filters={"kind": ("suggestion",)})),
        ("type:post", Q(filters={"kind": ("post",)})),
        ("kind:post kind:thread", Q(filters={"kind": ("post", "thread")})),
        ("kind:post type:post", Q(filters={"kind": ("post",)})),
        ("status:adopted, kind:post.", Q(filters={"status": ("adopted",), "kind": ("post",)})),
        ("(status:adopted)", Q(filters={"status": ("adopted",)})),
        ("status:a:b", Q(filters={"status": ("a:b",)})),
        ('status:"unterminated', Q(filters={"status": ("unterminated",)})),
        ('status:"in review', Q(filters={"status": ("in review",)})),
        ('in:"x"y', Q(W("y"), filters={"in": ("x",)})),
        ("status:", Q()),
        ('status:""', Q()),
        ('in:"   "', Q()),
        ("status:...", Q()),
        ("status: adopted", Q(W("adopted"))),
        ("foo:bar", Q(W("foo:bar"))),
        ('foo:"bar baz"', Q(W("foo"), P("bar", "baz"))),
        ("coffee status:adopted tea", Q(W("coffee"), W("tea"), filters={"status": ("adopted",)})),
        (
            "status:adopted -status:declined",
            Q(filters={"status": ("adopted",)}, excluded_filters={"status": ("declined",)}),
        ),
    ],
)
def test_filters(text, expected):
    check(text, expected)


WORDS_30 = " ".join(f"w{i}" for i in range(30))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * (MAX_CHARS + 100), Q(W("a" * MAX_CHARS))),
        ("a" * (MAX_CHARS - 1) + " b", Q(W("a" * (MAX_CHARS - 1)))),
        ('"' + "a " * 400, Q(P(*["a"] * (MAX_CHARS // 2)))),
        (WORDS_30, Q(*[W(f"w{i}") for i in range(MAX_TERMS)])),
        (" OR ".join(f"w{i}" for i in range(30)), Q(A(*[W(f"w{i}") for i in range(MAX_TERMS)]))),
        (
            " ".join(["-x", "kind:post", '"a b"'] * 10),
            Q(*[P("a", "b")] * 6, excluded=[W("x")], filters={"kind": ("post",)}),
        ),
        ("* - OR , " * 10 + WORDS_30, Q(*[W(f"w{i}") for i in range(MAX_TERMS)])),
        ("coffee\x00tea\x07cake\x1b\x7fbun\x85end", Q(W("coffee"), W("tea"), W("cake"), W("bun"), W("end"))),
        ('"night\x00shift"', Q(P("night", "shift"))),
        ("status:\x00adopted", Q(W("adopted"))),
        ("☕ coffee 👩\u200d💻", Q(W("☕"), W("coffee"), W("👩\u200d💻"))),
        (
            "Blåbærsyltetøy kjøkken Smörgåsbord ÆØÅ",
            Q(*map(W, ["Blåbærsyltetøy", "kjøkken", "Smörgåsbord", "ÆØÅ"])),
        ),
        (
            '"rød løk" -æøå in:"Kjøkken og kantine"',
            Q(P("rød", "løk"), excluded=[W("æøå")], filters={"in": ("Kjøkken og kantine",)}),
        ),
        ("a\u00a0b\u2003c", Q(W("a"), W("b"), W("c"))),
    ],
)
def test_limits_and_characters(text, expected):
    check(text, expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        '"',
        '""""',
        '"""a',
        "-",
        "--",
        "- - -",
        "OR",
        "OR OR",
        "::",
        ":",
        "a:",
        ":a",
        "status:",
        'status:"unterminated',
        'status:"',
        '-status:"',
        "*",
        "-*",
        "*-*",
        '-"-"',
        "(((",
        "}{",
        "\x00",
        "\x00" * 600,
        "\x01\x02\x03 a \x1f",
        "a" * 10_000,
        "a " * 10_000,
        '"' * 10_000,
        "-" * 10_000,
        "OR " * 5_000,
        "status:" * 2_000,
        '"a b' * 3_000,
        "😀" * 10_000,
        "\ud800 lone surrogate",
        "æøåäö ÆØÅÄÖ",
        "in:\"a\" in:'b' in:(c)",
        "http://a:b@c/d?e=f#g",
        'kind:"post" OR kind:"thread"',
    ],
)
def test_malformed_input_never_raises_and_round_trips(text):
    query = parse(text)
    assert isinstance(query, Query)
    assert parse(str(query)) == query
    assert len(query.required) + len(query.excluded) <= MAX_TERMS


def test_none_is_an_empty_query():
    assert parse(None) == Query()  # type: ignore[arg-type]


def test_norwegian_and_swedish_letters_are_kept_intact():
    query = parse("Blåbær* kjøkken Smörgåsbord ÆØÅ äö")
    assert query.words() == ["Blåbær", "kjøkken", "Smörgåsbord", "ÆØÅ", "äö"]
    assert str(query) == "Blåbær* kjøkken Smörgåsbord ÆØÅ äö"


ROUND_TRIP = [
    "canteen coffee",
    '"night shift" canteen',
    'coffee OR tea OR "hot chocolate"',
    "-coffee tea",
    '-"night shift" -status:declined',
    "kantin* kaffe",
    "k* ka* *",
    "status:adopted department:sales",
    'in:"Lunch Club" group:lunch-club',
    "kind:post kind:thread type:suggestion",
    "dept:IT -dept:Sales",
    "foo:bar http://x",
    '"status:adopted" "OR" OR "-"',
    "a OR OR b",
    "-x OR y",
    "OR a OR",
    "a OR b c OR d e",
    '"unclosed phrase here',
    'status:"unterminated value',
    "(coffee, tea!) [sic]",
    "Blåbærsyltetøy Smörgåsbord",
    "☕ 👩\u200d💻",
    "coffee\x00tea",
    "a" * 10_000,
    WORDS_30,
    "in:\"(paren)\" status:'quoted'",
    '"a" "b c" "d',
    '-kantin* -"x y" -in:"a b" -kind:post',
    "status:a:b status:: :status",
    "e-mail don't 3.14 50%",
    "coffee or tea Or OR",
    'a OR "b c" OR d* -e OR f status:x OR g',
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_round_trip(text):
    query = parse(text)
    canonical = str(query)
    assert parse(canonical) == query
    assert str(parse(canonical)) == canonical


def _random_query(rng: random.Random) -> str:
    pieces = [
        "a", "Bø", "kaffe", '"', "-", "*", ":", "OR", "or", "status:", "in:", "dept:", "Type:", "foo:",
        "(", ")", ",", ".", " ", " ", " ", " ", "\t", "\x00", "☕", "ab*", "é",
    ]  # fmt: skip
    return "".join(rng.choice(pieces) for _ in range(rng.randrange(40)))


def test_round_trip_on_random_queries():
    rng = random.Random(20240601)
    for _ in range(3000):
        text = _random_query(rng)
        query = parse(text)
        assert parse(str(query)) == query, (text, str(query))


def test_round_trip_with_hypothesis():
    hypothesis = pytest.importorskip("hypothesis")
    strategies = pytest.importorskip("hypothesis.strategies")

    @hypothesis.settings(max_examples=500, deadline=None)
    @hypothesis.given(strategies.text(max_size=300))
    def round_trips(text: str) -> None:
        query = parse(text)
        assert parse(str(query)) == query

    round_trips()


@pytest.mark.parametrize(
    ("query", "text"),
    [
        (Query(), ""),
        (Q(W("coffee"), W("kantin", prefix=True)), "coffee kantin*"),
        (Q(P("night", "shift")), '"night shift"'),
        (Q(A(W("coffee"), P("hot", "chocolate"))), 'coffee OR "hot chocolate"'),
        (Q(W("OR"), W("status:x"), W("dept:x")), '"OR" "status:x" "dept:x"'),
        (Q(W("foo:bar")), "foo:bar"),
        (Q(excluded=[W("x"), P("a", "b")]), '-x -"a b"'),
        (Q(filters={"in": ("lunch club", "it")}), 'in:"lunch club" in:it'),
        (Q(filters={"in": ("(x)",)}), 'in:"(x)"'),
        (Q(excluded_filters={"status": ("declined",)}), "-status:declined"),
        (
            Q(W("b"), excluded=[W("c")], filters={"kind": ("post",)}, excluded_filters={"in": ("x",)}),
            "b kind:post -c -in:x",
        ),
    ],
)
def test_canonical_text(query, text):
    assert str(query) == text
    assert parse(text) == query


@pytest.mark.parametrize(
    ("text", "has_text", "is_empty"),
    [
        ("", False, True),
        ("  ,. - OR *", False, True),
        ("coffee", True, False),
        ('"night shift"', True, False),
        ("a OR b", True, False),
        ("-coffee", False, True),
        ("status:adopted", False, False),
        ("-status:declined", False, False),
        ("coffee status:adopted", True, False),
    ],
)
def test_has_text_and_is_empty(text, has_text, is_empty):
    query = parse(text)
    assert query.has_text is has_text
    assert query.is_empty is is_empty


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", []),
        ("coffee tea", ["coffee", "tea"]),
        ('Kantine "night shift" kaffe*', ["Kantine", "night", "shift", "kaffe"]),
        ('coffee OR "hot chocolate" -tea -"x y" status:adopted', ["coffee", "hot", "chocolate"]),
    ],
)
def test_words_lists_positive_words_in_order(text, words):
    assert parse(text).words() == words


def test_replace_words_keeps_structure():
    query = parse('kantien OR "kantien kaffe" kantien* Kantien -kantien status:x')
    fixed = query.replace_words({"kantien": "kantine", "unused": "x"})
    assert fixed == Q(
        A(W("kantine"), P("kantine", "kaffe")),
        W("kantine", prefix=True),
        W("Kantien"),
        excluded=[W("kantien")],
        filters={"status": ("x",)},
    )
    assert str(fixed) == 'kantine OR "kantine kaffe" kantine* Kantien status:x -kantien'
    assert query.replace_words({}) == query


@pytest.mark.parametrize("name", ["status", "STATUS", "Status"])
def test_filter_lookup_is_case_insensitive(name):
    query = parse("status:adopted status:new -status:declined")
    assert query.filter(name) == ("adopted", "new")
    assert query.excluded_filter(name) == ("declined",)


@pytest.mark.parametrize(
    ("alias", "field"), [("group", "in"), ("dept", "department"), ("type", "kind"), ("in", "in")]
)
def test_filter_lookup_accepts_aliases(alias, field):
    query = parse(f"{field}:x -{alias}:y")
    assert query.filter(alias) == query.filter(field) == ("x",)
    assert query.excluded_filter(alias) == ("y",)


def test_missing_or_unknown_filters_are_empty():
    query = parse("status:adopted")
    assert query.filter("kind") == ()
    assert query.filter("foo") == ()
    assert query.excluded_filter("status") == ()
    assert FILTER_FIELDS == ("status", "department", "in", "kind")


@pytest.mark.parametrize(
    ("text", "name", "value", "expected"),
    [
        ("coffee", "status", "adopted", "coffee status:adopted"),
        ("status:new", "status", "adopted", "status:new status:adopted"),
        ("status:adopted", "status", "adopted", "status:adopted"),
        ("", "group", "Lunch Club", 'in:"Lunch Club"'),
        ("", "dept", "  Sales  ", "department:Sales"),
        ("", "TYPE", "post", "kind:post"),
        ("", "in", 'the "A" team', 'in:"the A team"'),
        ("coffee", "status", "  ", "coffee"),
        ("-status:new", "status", "new", "status:new -status:new"),
    ],
)
def test_with_filter(text, name, value, expected):
    query = parse(text)
    added = query.with_filter(name, value)
    assert str(added) == expected
    assert parse(expected) == added
    assert parse(text) == query  # unchanged


@pytest.mark.parametrize(
    ("text", "args", "expected"),
    [
        ("coffee status:new status:adopted", ("status",), "coffee"),
        ("coffee status:new status:adopted", ("status", "new"), "coffee status:adopted"),
        ("status:new", ("STATUS", "new"), ""),
        ("group:x kind:post", ("group",), "kind:post"),
        ("kind:post", ("status",), "kind:post"),
        ("kind:post", ("kind", "thread"), "kind:post"),
        ("kind:post -kind:thread", ("kind",), "-kind:thread"),
    ],
)
def test_without_filter(text, args, expected):
    query = parse(text)
    removed = query.without_filter(*args)
    assert str(removed) == expected
    assert removed == parse(expected)
    assert parse(text) == query


def test_with_filter_rejects_unknown_fields():
    with pytest.raises(ValueError, match="foo"):
        Query().with_filter("foo", "bar")


def test_queries_are_frozen_hashable_and_compare_by_value():
    query = parse("coffee OR tea -cake status:adopted")
    with pytest.raises(dataclasses.FrozenInstanceError):
        query.required = ()  # type: ignore[misc]
    assert hash(query) == hash(parse("coffee OR tea -cake status:adopted"))
    assert {query, parse("coffee OR tea -cake status:adopted")} == {query}
    assert parse("status:a kind:b") == parse("kind:b status:a")
    assert parse("kind:a kind:b") != parse("kind:b kind:a")  # values keep their order


def test_query_keeps_its_own_filters():
    filters = {"status": ("adopted",), "kind": ()}
    query = Query(filters=filters)
    filters["status"] = ("new",)
    assert query.filters == {"status": ("adopted",)}
    assert Query(filters={"status": ()}) == Query()
