"""Plausible workplace text in Ting's languages, for `flask demo generate` (seeded, reproducible).

Sentences are built from a small phrase book per language: a topic ("the canteen"), a
title template and sentence templates. The result reads like an intranet post, has the
word forms a stemmer must join ("forslag", "forslagene"), and a long tail of rarer words
(project codes, place names) so that an index built from it has a realistic vocabulary.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

#: Share of texts per language, roughly a Nordic company with a Dutch office.
LANGUAGE_MIX = (("en", 0.45), ("nb", 0.2), ("sv", 0.15), ("da", 0.1), ("nl", 0.1))


@dataclass(frozen=True)
class PhraseBook:
    topics: tuple[str, ...]
    titles: tuple[str, ...]
    sentences: tuple[str, ...]
    replies: tuple[str, ...]


BOOKS: dict[str, PhraseBook] = {
    "en": PhraseBook(
        topics=(
            "the canteen",
            "the parking garage",
            "the printers on floor 3",
            "the VPN",
            "onboarding",
            "the meeting rooms",
            "travel expenses",
            "the coffee machines",
            "the night shift rota",
            "the expense tool",
            "the bicycle shed",
            "the wiki",
            "customer returns",
            "the staff survey",
            "the warehouse lighting",
            "laptop upgrades",
            "the hybrid work policy",
            "safety training",
        ),
        titles=(
            "Improve {topic}",
            "Ideas for {topic}",
            "Can we fix {topic}?",
            "Proposal: a better way to handle {topic}",
            "Question about {topic}",
            "{topic}: what do you think?",
            "Feedback on {topic}",
        ),
        sentences=(
            "Every week people lose time because of {topic}.",
            "I suggest we try a simpler approach to {topic} for three months.",
            "Several colleagues in my team have asked about {topic} as well.",
            "It would save money and make the day less stressful if {topic} worked better.",
            "Could the facilities team look at {topic} before the winter?",
            "Last year we discussed {topic}, but nothing changed after the meeting.",
            "A small pilot in one department would show whether this helps.",
            "We measured the waiting times and they doubled since spring.",
            "Our customers notice it too, especially on Mondays.",
            "I am happy to help with the planning if someone takes the lead.",
        ),
        replies=(
            "Good idea, I agree.",
            "We have the same problem in our office.",
            "Has anyone asked IT about this?",
            "I tried this at my previous job and it worked well.",
            "Not sure this is worth the cost.",
            "+1, this would help the night shift a lot.",
            "Let's bring it up at the next department meeting.",
        ),
    ),
    "nb": PhraseBook(
        topics=(
            "kantinen",
            "parkeringshuset",
            "skriverne i tredje etasje",
            "VPN-en",
            "opplæringen av nyansatte",
            "møterommene",
            "reiseregningene",
            "kaffemaskinene",
            "vaktlistene for kveldsskiftet",
            "sykkelparkeringen",
            "intranettet",
            "returene fra kundene",
            "belysningen på lageret",
        ),
        titles=(
            "Forslag om bedre {topic}",
            "Forslag til {topic}",
            "Kan vi forbedre {topic}?",
            "Spørsmål om {topic}",
            "Tilbakemelding på {topic}",
            "Hva mener dere om {topic}?",
        ),
        sentences=(
            "Hver uke mister vi tid på grunn av {topic}.",
            "Jeg foreslår at vi prøver en enklere løsning for {topic} i tre måneder.",
            "Flere kolleger har også spurt om {topic}.",
            "Det ville spare penger om {topic} fungerte bedre.",
            "Forslagene fra i fjor ble aldri fulgt opp etter møtet.",
            "Et lite forsøk i én avdeling ville vise om dette hjelper.",
            "Kundene merker det også, særlig på mandager.",
            "Jeg hjelper gjerne til med planleggingen.",
        ),
        replies=(
            "Godt forslag!",
            "Vi har det samme problemet hos oss.",
            "Har noen spurt IT om dette?",
            "Enig, dette ville hjelpe kveldsskiftet.",
            "Usikker på om det er verdt kostnaden.",
        ),
    ),
    "sv": PhraseBook(
        topics=(
            "matsalen",
            "parkeringen",
            "skrivarna på plan tre",
            "VPN:et",
            "introduktionen för nyanställda",
            "mötesrummen",
            "reseräkningarna",
            "kaffemaskinerna",
            "schemat för kvällsskiftet",
            "cykelstället",
            "intranätet",
            "kundreturerna",
            "belysningen i lagret",
        ),
        titles=(
            "Förslag om bättre {topic}",
            "Idéer för {topic}",
            "Kan vi förbättra {topic}?",
            "Fråga om {topic}",
            "Synpunkter på {topic}",
        ),
        sentences=(
            "Varje vecka förlorar vi tid på grund av {topic}.",
            "Jag föreslår att vi provar ett enklare sätt för {topic} under tre månader.",
            "Flera kollegor har också frågat om {topic}.",
            "Det skulle spara pengar om {topic} fungerade bättre.",
            "Förslagen från förra året följdes aldrig upp.",
            "Ett litet försök på en avdelning skulle visa om det hjälper.",
            "Kunderna märker det också, särskilt på måndagar.",
        ),
        replies=(
            "Bra förslag!",
            "Vi har samma problem hos oss.",
            "Har någon frågat IT?",
            "Håller med, det skulle hjälpa kvällsskiftet.",
            "Osäker på om det är värt kostnaden.",
        ),
    ),
    "da": PhraseBook(
        topics=(
            "kantinen",
            "parkeringskælderen",
            "printerne på tredje sal",
            "VPN'en",
            "introduktionen af nye kolleger",
            "mødelokalerne",
            "rejseafregningerne",
            "kaffemaskinerne",
            "vagtplanen for aftenholdet",
            "cykelparkeringen",
            "intranettet",
            "kundereturerne",
            "belysningen på lageret",
        ),
        titles=(
            "Forslag om bedre {topic}",
            "Idéer til {topic}",
            "Kan vi forbedre {topic}?",
            "Spørgsmål om {topic}",
            "Feedback på {topic}",
        ),
        sentences=(
            "Hver uge mister vi tid på grund af {topic}.",
            "Jeg foreslår, at vi prøver en enklere løsning for {topic} i tre måneder.",
            "Flere kolleger har også spurgt om {topic}.",
            "Det ville spare penge, hvis {topic} fungerede bedre.",
            "Forslagene fra sidste år blev aldrig fulgt op.",
            "Et lille forsøg i én afdeling ville vise, om det hjælper.",
        ),
        replies=(
            "Godt forslag!",
            "Vi har det samme problem hos os.",
            "Har nogen spurgt IT?",
            "Enig, det ville hjælpe aftenholdet.",
            "Usikker på, om det er prisen værd.",
        ),
    ),
    "nl": PhraseBook(
        topics=(
            "de kantine",
            "de parkeergarage",
            "de printers op de derde verdieping",
            "de VPN",
            "het inwerken van nieuwe collega's",
            "de vergaderzalen",
            "de reiskostendeclaraties",
            "de koffieautomaten",
            "het rooster van de avonddienst",
            "de fietsenstalling",
            "het intranet",
        ),
        titles=(
            "Voorstel voor betere {topic}",
            "Ideeën voor {topic}",
            "Kunnen we {topic} verbeteren?",
            "Vraag over {topic}",
            "Feedback op {topic}",
        ),
        sentences=(
            "Elke week verliezen we tijd door {topic}.",
            "Ik stel voor dat we drie maanden een eenvoudigere aanpak voor {topic} proberen.",
            "Meerdere collega's hebben ook naar {topic} gevraagd.",
            "Het zou geld besparen als {topic} beter werkte.",
            "De voorstellen van vorig jaar zijn nooit opgevolgd.",
            "Een kleine proef op één afdeling zou laten zien of dit helpt.",
        ),
        replies=(
            "Goed voorstel!",
            "Wij hebben hetzelfde probleem.",
            "Heeft iemand dit aan IT gevraagd?",
            "Eens, dit zou de avonddienst helpen.",
            "Ik weet niet of het de kosten waard is.",
        ),
    ),
}

#: Rare words: project codes, sites and systems, so that the vocabulary has a long tail.
_SITES = ("Bergen", "Malmö", "Aarhus", "Utrecht", "Trondheim", "Göteborg", "Odense", "Eindhoven", "Tromsø")
_SYSTEMS = ("SAP", "Jira", "Teams", "Visma", "Salesforce", "Workday", "Confluence", "ServiceNow")


class TextMaker:
    """Titles, bodies and replies in a language picked by :data:`LANGUAGE_MIX`, from one seeded RNG."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._codes, self._weights = zip(*LANGUAGE_MIX, strict=True)

    def language(self) -> str:
        return self.rng.choices(self._codes, self._weights)[0]

    def _rare(self) -> str:
        rng = self.rng
        return rng.choice(
            (
                f"{rng.choice(_SYSTEMS)}-{rng.randint(100, 99999)}",
                rng.choice(_SITES),
                f"PRJ-{rng.randint(1000, 9999)}",
            )
        )

    def title(self, lang: str) -> tuple[str, str]:
        """A title and its topic (the body stays on the same topic)."""
        book = BOOKS[lang]
        topic = self.rng.choice(book.topics)
        title = self.rng.choice(book.titles).format(topic=topic)
        return title[0].upper() + title[1:], topic

    def body(self, lang: str, topic: str, sentences: tuple[int, int] = (2, 6)) -> str:
        book = BOOKS[lang]
        count = self.rng.randint(*sentences)
        parts = [
            s.format(topic=topic) for s in self.rng.sample(book.sentences, min(count, len(book.sentences)))
        ]
        if self.rng.random() < 0.3:
            parts.append(f"({self._rare()})")
        return " ".join(parts)

    def reply(self, lang: str, topic: str) -> str:
        book = BOOKS[lang]
        text = self.rng.choice(book.replies)
        if self.rng.random() < 0.5:
            text += " " + self.rng.choice(book.sentences).format(topic=topic)
        if self.rng.random() < 0.1:
            text += f" {self._rare()}"
        return text
