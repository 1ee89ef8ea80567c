"""Language-aware text analysis for the search index: tokenize, lowercase, drop stop words, stem.

Stemming uses the ``snowballstemmer`` package, not Whoosh's own stemmers: Whoosh's Dutch stemmer
is the old algorithm (``voorstellen`` and ``voorstel`` differ) and its ``LanguageAnalyzer("nb")``
does no stemming at all. Stop words are the Snowball project's lists as shipped in ``whoosh.lang``.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import Counter
from collections.abc import Sequence

import snowballstemmer
from whoosh.analysis import Analyzer, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.lang import stopwords_for_language

SUPPORTED: tuple[str, ...] = ("en", "no", "da", "nl", "sv")
_SNOWBALL = {"en": "english", "no": "norwegian", "da": "danish", "nl": "dutch", "sv": "swedish"}
_ALIASES = {"nb": "no", "nn": "no", "nob": "no", "nno": "no", "nor": "no"}


def normalize_language(code: str) -> str:
    """'nb', 'nn', 'no', 'nb-NO', 'NO' -> 'no'; 'en-GB' -> 'en'; 'da_DK' -> 'da'; ValueError otherwise."""
    primary = re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0]
    primary = _ALIASES.get(primary, primary)
    if primary not in SUPPORTED:
        raise ValueError(f"unsupported language: {code!r}")
    return primary


class _SnowballStem:
    """A picklable, thread-safe stem function: one snowball stemmer per thread, results cached."""

    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm
        self._setup()

    def _setup(self) -> None:
        self._local = threading.local()
        self._cached = functools.lru_cache(maxsize=50_000)(self._stem)

    def _stem(self, word: str) -> str:
        stemmer = getattr(self._local, "stemmer", None)
        if stemmer is None:
            stemmer = self._local.stemmer = snowballstemmer.stemmer(self.algorithm)
        return stemmer.stemWord(word)

    def __call__(self, word: str) -> str:
        return self._cached(word)

    def __getstate__(self) -> dict[str, str]:
        return {"algorithm": self.algorithm}

    def __setstate__(self, state: dict[str, str]) -> None:
        self.algorithm = state["algorithm"]
        self._setup()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _SnowballStem) and other.algorithm == self.algorithm

    def __hash__(self) -> int:
        return hash(self.algorithm)


def analyzer(lang: str) -> Analyzer:
    """Tokenizer | lowercase | the language's stop words | snowball stemmer; one object per language."""
    return _analyzer(normalize_language(lang))


@functools.cache
def _analyzer(code: str) -> Analyzer:
    # StemFilter's own cache (lfu_cache) is not thread-safe, so caching is done in _SnowballStem.
    stops = StopFilter(stoplist=stopwords_for_language(code), minsize=1, renumber=True)
    stem = StemFilter(stemfn=_SnowballStem(_SNOWBALL[code]), ignore=None, cachesize=None)
    return RegexTokenizer() | LowercaseFilter() | stops | stem


def stem_words(lang: str, text: str) -> list[str]:
    """The terms ``analyzer(lang)`` produces for ``text``, in order (what a query for it must look up)."""
    return [token.text for token in analyzer(lang)(text, mode="query")]


@functools.cache
def plain_analyzer() -> Analyzer:
    """Tokenize and lowercase only: no stop words, no stemming (for a "did you mean" field)."""
    return RegexTokenizer() | LowercaseFilter()


# Common words per language, beyond the stop lists; a word shared by k candidates counts 1/k for each.
_MARKERS = {
    "en": "please thanks also new because would should could very just",
    "no": "av hva noen noe mye meg deg seg etter ut opp nå mot inn ble hadde kanskje hvordan hvorfor veldig "
    "gjerne være vært blir bli fra når dersom mer enn får fikk gjøre gjør gjennom mellom uten nei takk "
    "litt nytt syns synes tror trenger sammen ikkje eg ein eit berre frå kva korleis kvifor mykje nokon "
    "noko ho dei vere bør burde må at ikke også jeg",
    "da": "af hvad nogle nogen noget meget mig dig sig efter ud op nu mod ind blev havde måske hvordan "
    "hvorfor rigtig gerne være været bliver blive fra når mere end får fik gøre gør gennem mellem uden "
    "nej tak lidt nyt synes tror behøver sammen jer os vores hende dog bør burde må at ikke også jeg "
    "fordi hvem hver hvilke hvilken samme siden ingen begge bare både ved så",
    "sv": "inte och att jag är av vad någon något några mycket mig dig sig efter ut upp nu mot in blev hade "
    "bara kanske eftersom hur varför verkligen gärna också ska skall vill måste bör borde vara varit "
    "blir från när mer än får fick göra gör genom mellan utan nej tack lite nytt tycker tror behöver "
    "tillsammans",
    "nl": "het een van niet zijn voor met ook als aan maar bij naar uit nog wel geen worden wordt werd meer "
    "door hebben heeft moet moeten zou zouden graag omdat waarom welke deze dit veel nieuwe goed "
    "bedankt misschien echt kunnen willen zal onze mijn toch tijdens tussen alleen",
}
# (substring or "$suffix", languages, weight): letters and endings that hint at a language.
_HINTS = [
    ("æ", ("no", "da"), 0.5), ("ø", ("no", "da"), 0.5), ("å", ("no", "da", "sv"), 0.5),
    ("ä", ("sv",), 0.5), ("ö", ("sv",), 0.5), ("ij", ("nl",), 0.5), ("oe", ("nl",), 0.3),
    ("kj", ("no",), 0.5), ("sjon", ("no",), 0.5), ("$het", ("no", "sv"), 0.5), ("$hed", ("da",), 0.5),
    ("$erne", ("da",), 0.5), ("$ene", ("no",), 0.3), ("$heid", ("nl",), 0.5),
    # Danish ej/øj where Norwegian writes ei/øy (arbejde/arbeid, højt/høyt); gj is Norwegian only
    # (gjøre/gøre); c before y is Danish and Swedish (cykel), Norwegian writes sykkel.
    ("ej", ("da",), 0.5), ("øj", ("da",), 0.5), ("øy", ("no",), 0.5), ("gj", ("no",), 0.5),
    ("cy", ("da", "sv"), 0.5),
]  # fmt: skip


@functools.cache
def _word_weights(languages: tuple[str, ...]) -> dict[str, list[tuple[str, float]]]:
    owners: dict[str, list[str]] = {}
    for code in languages:
        for word in set(_MARKERS[code].split()) | set(stopwords_for_language(code)):
            owners.setdefault(word, []).append(code)
    return {word: [(code, 1 / len(codes)) for code in codes] for word, codes in owners.items()}


@functools.lru_cache(maxsize=200_000)
def _word_score(word: str, codes: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    """What one occurrence of ``word`` adds to each language's score (cached: rebuilds see words again)."""
    score: dict[str, float] = {}
    for code, weight in _word_weights(codes).get(word, ()):
        score[code] = score.get(code, 0.0) + weight
    for hint, owners, weight in _HINTS:
        if word.endswith(hint[1:]) and len(word) > len(hint) + 2 if hint[0] == "$" else hint in word:
            present = [code for code in owners if code in codes]
            for code in present:
                score[code] = score.get(code, 0.0) + weight / len(present)
    return tuple(score.items())


def detect_language(text: str, languages: Sequence[str]) -> str:
    """The most likely of ``languages`` for ``text`` by common words and telltale letters; else the first."""
    codes = tuple(dict.fromkeys(normalize_language(code) for code in languages))
    if not codes:
        raise ValueError("no languages to choose from")
    scores = dict.fromkeys(codes, 0.0)
    for word, count in Counter(re.findall(r"\w+", text[:20_000].lower())).items():
        for code, weight in _word_score(word, codes):
            scores[code] += weight * count
    best = max(codes, key=lambda code: scores[code])
    return best if scores[best] > 0 else codes[0]
