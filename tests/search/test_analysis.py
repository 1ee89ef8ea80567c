"""Language-aware analysis: snowball stemming, stop words, language detection, and use in a Whoosh index."""

from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor

import pytest
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.lang import stemmer_for_language
from whoosh.query import Phrase, Term

from search.analysis import (
    SUPPORTED,
    analyzer,
    detect_language,
    normalize_language,
    plain_analyzer,
    stem_words,
)


def shared(lang: str, a: str, b: str) -> set[str]:
    return set(stem_words(lang, a)) & set(stem_words(lang, b))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("nb", "no"),
        ("nn", "no"),
        ("no", "no"),
        ("NO", "no"),
        ("nb-NO", "no"),
        ("nn_NO", "no"),
        ("en", "en"),
        ("en-GB", "en"),
        ("da_DK", "da"),
        ("nl-BE", "nl"),
        ("sv-SE", "sv"),
    ],
)
def test_normalize_language(code, expected):
    assert normalize_language(code) == expected


@pytest.mark.parametrize("code", ["de", "de-DE", "", "english", "fi"])
def test_normalize_language_rejects_unsupported(code):
    with pytest.raises(ValueError, match="unsupported language"):
        normalize_language(code)


def test_analyzer_is_cached_per_language():
    assert analyzer("nb") is analyzer("nn-NO") is analyzer("no")
    assert analyzer("no") is not analyzer("da")
    assert plain_analyzer() is plain_analyzer()


def test_norwegian_plural_and_definite_forms_meet_the_query():
    assert shared("no", "Forslagene ble diskutert på møtet.", "Forslaget om ny kantine") == {"forslag"}
    assert shared("nb", "Vi trenger et nytt forslag", "forslagene") == {"forslag"}
    assert shared("no", "Kantinen stenger klokka to i dag.", "kantine") == {"kantin"}


def test_danish_kantinen_matches_kantine():
    assert shared("da", "Kantinen lukker klokken to i dag.", "Forslag om en ny kantine") == {"kantin"}
    assert shared("da", "Forslagene blev drøftet på mødet.", "forslag") == {"forslag"}


def test_dutch_voorstellen_and_voorstel_share_a_stem():
    assert stem_words("nl", "voorstellen") == stem_words("nl", "voorstel") == ["voorstel"]
    assert shared("nl", "De voorstellen voor de kantine zijn besproken.", "Een voorstel") == {"voorstel"}


def test_whoosh_own_dutch_stemmer_is_why_we_use_snowballstemmer():
    whoosh_dutch = stemmer_for_language("nl")
    assert whoosh_dutch("voorstellen") != whoosh_dutch("voorstel")


def test_swedish_forslagen_matches_forslag():
    assert shared("sv", "Förslagen diskuterades på mötet.", "Ett nytt förslag") == {"förslag"}


def test_english_stems_are_snowball_english():
    assert stem_words("en", "suggestions") == stem_words("en", "suggestion") == ["suggest"]
    assert stem_words("en", "improving") == stem_words("en", "improvement") == ["improv"]


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "The canteen and the coffee", ["canteen", "coffe"]),
        ("no", "Kaffen og kantinen er på plass", ["kaff", "kantin", "plass"]),
        ("da", "Kaffen og kantinen er på plads", ["kaf", "kantin", "plad"]),
        ("nl", "De koffie en de kantine zijn er", ["koffie", "kantine"]),
        ("sv", "Kaffet och matsalen är på plats", ["kaffet", "matsal", "plat"]),
    ],
)
def test_stop_words_are_dropped(lang, text, expected):
    assert stem_words(lang, text) == expected


def test_tokens_keep_nordic_letters_digits_and_character_offsets():
    text = "Møte i 3. etasje: Ærlig talt, blåbærsyltetøy!"
    stream = analyzer("no")(text, positions=True, chars=True)
    tokens = [(t.text, t.pos, t.startchar, t.endchar) for t in stream]
    assert [t[0] for t in tokens] == ["møt", "3", "etasj", "ærl", "talt", "blåbærsyltetøy"]
    assert [t[1] for t in tokens] == list(range(6))  # stop word "i" removed, positions renumbered
    for term, _, start, end in tokens:
        assert text[start:end].lower().startswith(term[:3])


def test_plain_analyzer_keeps_every_word_unstemmed():
    assert [t.text for t in plain_analyzer()("Forslagene om Kantinen")] == ["forslagene", "om", "kantinen"]


def test_analyzer_survives_pickling_like_a_whoosh_schema():
    copy = pickle.loads(pickle.dumps(analyzer("nl")))  # noqa: S301 -- our own bytes
    assert [t.text for t in copy("De voorstellen")] == ["voorstel"]
    assert copy == analyzer("nl")


def test_stemming_from_many_threads_gives_the_same_terms():
    words = [f"{word}{n}" for n in range(200) for word in ("forslagene", "kantinen", "møtene")]
    expected = [stem_words("no", w) for w in words]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(lambda w: stem_words("no", w), words)) == expected


SENTENCES = {
    "en": [
        "I think the proposal for a new canteen is very good, but we need to see what it costs.",
        "Can someone help me find out why the printer on the third floor is not working?",
    ],
    "no": [
        "Jeg synes forslaget om ny kantine er veldig bra, men vi må se på hva det koster.",
        "Kan noen hjelpe meg med å finne ut hvorfor skriveren i tredje etasje ikke virker?",
        "Eg trur ikkje at kantina er open i dag, men kanskje i morgon.",
    ],
    "da": [
        "Jeg synes forslaget om en ny kantine er rigtig godt, men vi skal se på hvad det koster.",
        "Kan nogen hjælpe mig med at finde ud af, hvorfor printeren på tredje sal ikke virker?",
        "Der er meget lidt kaffe tilbage i kantinen, og nogle af os vil gerne have mere.",
    ],
    "nl": [
        "Ik vind het voorstel voor een nieuwe kantine erg goed, maar we moeten kijken wat het kost.",
        "Kan iemand me helpen uitzoeken waarom de printer op de derde verdieping niet werkt?",
    ],
    "sv": [
        "Jag tycker att förslaget om en ny personalmatsal är mycket bra, men vi måste se vad det kostar.",
        "Kan någon hjälpa mig att ta reda på varför skrivaren på tredje våningen inte fungerar?",
    ],
}


@pytest.mark.parametrize(
    ("lang", "text"), [(lang, text) for lang, texts in SENTENCES.items() for text in texts]
)
def test_detect_language_among_all_five(lang, text):
    assert detect_language(text, SUPPORTED) == lang
    assert detect_language(text, list(reversed(SUPPORTED))) == lang


def test_detect_language_tells_bokmal_from_danish():
    assert detect_language("Hva gjør vi med noen av forslagene? Det er mye å gjøre.", ["da", "nb"]) == "no"
    assert detect_language("Hvad gør vi med nogle af forslagene? Der er meget at gøre.", ["nb", "da"]) == "da"


def test_detect_language_without_evidence_picks_the_first():
    assert detect_language("", SUPPORTED) == "en"
    assert detect_language("", ["sv", "no"]) == "sv"
    assert detect_language("12345 ???", ["da", "nl"]) == "da"


def test_detect_language_only_answers_from_the_given_languages():
    swedish = SENTENCES["sv"][0]
    assert detect_language(swedish, ["en", "nl"]) in {"en", "nl"}
    assert detect_language(swedish, ["nb", "en"]) == "no"  # closest of the two, normalized
    with pytest.raises(ValueError):
        detect_language(swedish, [])


def test_whoosh_index_finds_stems_phrases_and_highlights():
    schema = Schema(
        key=ID(stored=True, unique=True),
        body_no=TEXT(analyzer=analyzer("no"), phrase=True, chars=True),
        body_nl=TEXT(analyzer=analyzer("nl"), phrase=True, chars=True),
    )
    storage = RamStorage()
    texts = {
        "no": "Vi har fått et forslag om ny kantine i andre etasje.",
        "nl": "Er zijn twee voorstellen voor een nieuwe kantine.",
    }
    writer = storage.create_index(schema).writer()
    writer.add_document(key="post:1", body_no=texts["no"])
    writer.add_document(key="post:2", body_nl=texts["nl"])
    writer.commit()

    with storage.open_index().searcher() as searcher:  # reopening unpickles the schema
        [stem] = stem_words("no", "forslagene")
        results = searcher.search(Term("body_no", stem))
        assert [hit["key"] for hit in results] == ["post:1"]
        assert "forslag" in results[0].highlights("body_no", text=texts["no"]).lower()

        phrase = Phrase("body_no", stem_words("no", "ny kantinen"))
        assert [hit["key"] for hit in searcher.search(phrase)] == ["post:1"]
        assert not searcher.search(Phrase("body_no", stem_words("no", "kantine ny")))

        results = searcher.search(Phrase("body_nl", stem_words("nl", "voorstel voor nieuwe kantines")))
        assert [hit["key"] for hit in results] == ["post:2"]
        highlight = results[0].highlights("body_nl", text=texts["nl"]).lower()
        assert "voorstellen" in highlight and "kantine" in highlight
