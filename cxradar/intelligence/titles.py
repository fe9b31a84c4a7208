"""Issue titles in the words customers use.

A title names the problem with the words an issue's posts *share*. First choice: the best run
of words as one of the posts writes it ("Flight is delayed over 2 hours", "Streik der
Lokführer beendet"), whose every content word is a strong shared word (``span_title``); a
run never crosses the end of a sentence, a handle or a link. Else shared phrases joined
(``phrase_title``): candidate phrases are
runs of one to three words that neither start nor end with a stop word ("flight delayed",
"lost my luggage", "Klimaanlage ausgefallen"), except that a negation may start one: "not
working", "keine Verbindung" name the problem; a phrase must appear in at least two posts
(and in ``MIN_SHARE`` of them in a large issue). It scores by the share of the issue's posts
that use it, weighted by how much more often the issue uses it than all complaints do
(``share x log2(1 + share / share among all complaints)``), so "flight", which every airline
complaint says, loses to "delayed". A longer phrase that holds the best one and is used by
at least ``UPGRADE_SHARE`` as many posts takes its place ("delayed" -> "flight delayed").
The title is the best phrase and a second one that adds new words ("Flight delayed · no
explanation"), written as most of the posts write it. Posts in German and English get a
title each where each language has at least two posts. An issue of one or two posts, or one
whose posts share no phrase, is titled by its most typical post, trimmed to its first
sentence.

The keywords (c-TF-IDF, ``models.topics.class_keywords``) stay the issue's second field.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cxradar.intelligence.text_safety import shorten
from models.stopwords import stop_words

MAX_WORDS = 3
MIN_POSTS = 2  # a title word is never one only a single post used
MIN_SHARE = 0.08  # in a large issue a title phrase is used by at least this share of posts
SECOND_PHRASE_SCORE = 0.5  # a second phrase must score at least half the first
UPGRADE_SHARE = 0.4  # a longer phrase holding the best one replaces it at this share of posts
LONGER_PHRASE_BONUS = 0.25  # per extra word: a phrase says more than a word
SPAN_WORDS = 7  # a title run is at most this many words
SPAN_STRONG = 0.25  # a title word weighs at least this share of the strongest word
SPAN_POSTS = 300  # posts searched for the best run
TITLE_CHARS = 80
# Tokens: words of letters (and digits inside them, "2fa", "e42"); handles, hashtags' '#',
# links and bare numbers are not words a title should use.
_LINK = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_HANDLE = re.compile(r"@\w+")
_TOKEN = re.compile(r"[^\W\d_][\w'’-]*[\w]|[^\W\d_]|\d+[^\W\d_]\w*", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# A full stop after these ends no sentence ("Finora vs. my old bank", "z.B. beim Login").
_ABBREVIATIONS = frozenset(
    {"vs", "e.g", "i.e", "etc", "approx", "no", "mr", "mrs", "ms", "dr", "st", "z.b", "bzw"}
    | {"usw", "ca", "nr", "inkl", "ggf", "evtl", "bspw", "d.h", "u.a", "vgl", "sog", "tel"}
)
MIN_SENTENCE_WORDS = 3  # "Hi. My card ..." : a greeting is no title
TRAILING_WORDS = 3  # stop words a trailing negation may sit among ("einfach nicht mehr")


# Stop words that may open a phrase: the negation is often the complaint itself.
NEGATIONS = frozenset(
    {
        *("not", "no", "never", "cannot", "can't", "cant", "won't", "wont"),
        *("doesn't", "don't", "didn't", "isn't", "wasn't", "aren't"),
        *("nicht", "kein", "keine", "keinen", "keinem", "keiner", "nie", "niemals", "nichts"),
    }
)
# Where a title run must stop: the end of a sentence, a dash, a handle or link in between.
_BREAK = re.compile(r"[.!?;:|…()\[\]\"“”„\n]|\s[-–—]\s|[@#]|https?://")
_CLITIC = re.compile(r"^[nN]?['’]")  # "n't", "'s" of text tokenised as "do n't"


def _tokens(text: str) -> list[str]:
    words = _TOKEN.findall(_HANDLE.sub(" ", _LINK.sub(" ", text)))
    return [word for word in words if not _CLITIC.match(word)]


@dataclass(frozen=True)
class Titles:
    title: str  # English where at least two English posts take part, else the main language
    title_de: str  # German where at least two German posts take part, else ""


class Titler:
    """Titles for many issues, against the document frequencies of all their complaints."""

    def __init__(self, corpus: Iterable[str], extra_stop_words: Sequence[str] = ()):
        self.stop = stop_words(("en", "de"), [w.casefold() for w in extra_stop_words])
        self.extra = {w.casefold() for word in extra_stop_words for w in _tokens(word)}
        self.df: Counter = Counter()
        self.documents = 0
        for text in corpus:
            self.documents += 1
            self.df.update(set(self._phrases(text)))

    # ------------------------------------------------------------ phrases

    def _is_edge_word(self, word: str) -> bool:
        folded = word.casefold()
        return len(folded) > 1 and folded not in self.stop and folded not in self.extra

    def _phrases(self, text: str) -> dict[str, str]:
        """Lower-case phrase -> its surface form in this text."""
        words = _tokens(text)
        found: dict[str, str] = {}
        for start in range(len(words)):
            opens_with_no = words[start].casefold() in NEGATIONS
            if not (opens_with_no or self._is_edge_word(words[start])):
                continue
            for length in range(2 if opens_with_no else 1, MAX_WORDS + 1):
                end = start + length
                if end > len(words):
                    break
                if words[end - 1].casefold() in self.extra:
                    break  # a brand name never enters a title
                if not self._is_edge_word(words[end - 1]):
                    continue
                surface = " ".join(words[start:end])
                found.setdefault(surface.casefold(), surface)
        return found

    def _background(self, phrase: str) -> float:
        """Share of all complaints that use the phrase (smoothed)."""
        return (1 + self.df[phrase]) / (1 + self.documents)

    # ------------------------------------------------------------ titles

    def phrase_title(self, texts: Sequence[str]) -> str:
        """The shared-phrase title of these posts, "" when they share no phrase."""
        if len(texts) < MIN_POSTS:
            return ""
        counts: Counter = Counter()
        surfaces: dict[str, Counter] = {}
        for text in texts:
            for phrase, surface in self._phrases(text).items():
                counts[phrase] += 1
                surfaces.setdefault(phrase, Counter())[surface] += 1
        needed = max(MIN_POSTS, math.ceil(MIN_SHARE * len(texts)))
        scored = {}
        for phrase, count in counts.items():
            if count < needed:
                continue
            share = count / len(texts)
            lift = math.log2(1 + share / self._background(phrase))
            words = phrase.count(" ") + 1
            scored[phrase] = share * lift * (1 + LONGER_PHRASE_BONUS * (words - 1))
        if not scored:
            return ""
        ranked = sorted(scored, key=lambda p: (-scored[p], -counts[p], p))
        best = ranked[0]
        longer = [
            p
            for p in ranked
            if best in p and p != best and counts[p] >= UPGRADE_SHARE * counts[best]
        ]
        chosen = [max(longer, key=lambda p: (counts[p], scored[p])) if longer else best]
        for phrase in ranked[1:]:
            if scored[phrase] < SECOND_PHRASE_SCORE * scored[best]:
                break
            if not set(phrase.split()) & set(chosen[0].split()):
                chosen.append(phrase)
                break
        title = " · ".join(_written(surfaces[p]) for p in chosen)
        return _capitalised(title)

    def shared_title(self, texts: Sequence[str]) -> str:
        """A run of shared words as posts write it, else shared phrases; "" when none.

        Words count once per distinct text: many customers posting the same words share
        them with nobody else. A run of one word gives way to two shared phrases, which
        say more ("Airport" -> "Gate agent · airport").
        """
        distinct = list(dict.fromkeys(" ".join(text.split()).casefold() for text in texts))
        originals = {" ".join(t.split()).casefold(): t for t in texts}
        texts = [originals[key] for key in distinct]
        span = self.span_title(texts)
        if span and len(_tokens(span)) > 1:
            return span
        phrases = self.phrase_title(texts)
        return phrases if " · " in phrases or not span else span

    def span_title(self, texts: Sequence[str]) -> str:
        """The best run of shared words as some post writes it, "" when none is shared.

        Every content word of the run (not a stop word) is used by at least two posts (and
        ``MIN_SHARE`` of them); a run scores by the weights (share x lift) of its distinct
        content words, so "stuck on the plane for two hours" beats "flight" when most posts
        say stuck, plane and hours.
        """
        if len(texts) < MIN_POSTS:
            return ""
        needed = max(MIN_POSTS, math.ceil(MIN_SHARE * len(texts)))
        counts: Counter = Counter()
        for text in texts:
            counts.update({w.casefold() for w in _tokens(text)})
        weight = {}
        for word, count in counts.items():
            if count >= needed and self._is_edge_word(word):
                share = count / len(texts)
                weight[word] = share * math.log2(1 + share / self._background(word))
        if not weight:
            return ""
        # Only strong words carry a title: a run stops at a shared but weak word.
        strong = SPAN_STRONG * max(weight.values())
        weight = {w: v for w, v in weight.items() if v >= strong}
        best, best_score = "", 0.0
        for text in texts[:SPAN_POSTS]:
            spans = _word_spans(text)
            for start in range(len(spans)):
                first = spans[start][0].casefold()
                if first not in weight and first not in NEGATIONS:
                    continue
                content: set[str] = set()
                for end in range(start, min(start + SPAN_WORDS, len(spans))):
                    word = spans[end][0].casefold()
                    between = text[spans[end - 1][2] : spans[end][1]] if end > start else ""
                    if word in self.extra or _BREAK.search(between):
                        break
                    if word in weight and word not in NEGATIONS:
                        content.add(word)
                    elif self._is_edge_word(word):
                        break  # a content word only one post used ends the run
                    else:
                        continue  # stop words may sit inside, never at the end
                    score = sum(weight[w] for w in content) * (1 + 0.1 * len(content))
                    if score > best_score + 1e-9:
                        best_score = score
                        best = text[spans[start][1] : self._negated_end(text, spans, end)]
        return _capitalised(" ".join(best.split()))

    def _negated_end(self, text: str, spans: list, end: int) -> int:
        """Where a run ending at word ``end`` stops: after a trailing negation ("SMS kommt seit
        dem Update einfach nicht mehr", "Login geht nicht"), which German puts at the end of
        the clause; without it the title says the opposite of the complaint. Stop words after
        the negation join it when the clause ends with them ("kommt nicht an"). Else at the
        run's last word."""
        negation = tail = None
        for index in range(end + 1, min(end + 1 + TRAILING_WORDS, len(spans))):
            word = spans[index][0].casefold()
            if _BREAK.search(text[spans[index - 1][2] : spans[index][1]]):
                return tail if negation else spans[end][2]  # the clause ended
            if self._is_edge_word(word) or word in self.extra:
                return negation or spans[end][2]  # the clause goes on with other content
            tail = spans[index][2]
            if word in NEGATIONS:
                negation = tail
        if negation is None:
            return spans[end][2]
        ends_here = end + 1 + TRAILING_WORDS >= len(spans) or _BREAK.search(
            text[tail : spans[end + 1 + TRAILING_WORDS][1]]
        )
        return tail if ends_here else negation

    def titles(self, texts: Sequence[str], langs: Sequence[str | None], typical: int = 0) -> Titles:
        """Titles of one issue; ``typical``: index of its most typical post (the fallback)."""
        by_lang: dict[str, list[str]] = {}
        for text, lang in zip(texts, langs, strict=True):
            by_lang.setdefault(lang or "", []).append(text)
        english = self.shared_title(by_lang.get("en", []))
        german = self.shared_title(by_lang.get("de", []))
        main = Counter(lang or "" for lang in langs).most_common(1)[0][0] if langs else ""
        title = english or (german if main == "de" else "") or self.shared_title(texts)
        if not title:
            title = sentence_title(texts[typical] if texts else "")
        if not german and main == "de":
            german = title
        return Titles(title=title, title_de=german)


def _word_spans(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end) of each title word in the text (handles and links skipped)."""
    masked = _LINK.sub(lambda m: "|" * len(m.group()), text)
    masked = _HANDLE.sub(lambda m: "@" * len(m.group()), masked)
    return [
        (m.group(), m.start(), m.end())
        for m in _TOKEN.finditer(masked)
        if not _CLITIC.match(m.group())
    ]


def _written(surfaces: Counter) -> str:
    """The way most posts write a phrase, preferring forms that are not all capitals."""
    ranked = sorted(surfaces.items(), key=lambda item: (item[0].isupper(), -item[1], item[0]))
    return ranked[0][0]


def _capitalised(title: str) -> str:
    return title[:1].upper() + title[1:] if title else title


def sentence_title(text: str) -> str:
    """A post as a title: without leading handles and links, its first sentence, trimmed."""
    cleaned = " ".join(_HANDLE.sub(" ", _LINK.sub(" ", text)).split()).lstrip(".,:;-– ")
    return _capitalised(shorten(_first_sentence(cleaned), TITLE_CHARS))


def _first_sentence(text: str) -> str:
    """Up to the first sentence end that is no abbreviation's full stop and leaves a sentence
    of at least MIN_SENTENCE_WORDS words; the whole text when there is none."""
    for end in _SENTENCE_END.finditer(text):
        before = text[: end.start()]
        words = before.split()
        last = words[-1].rstrip(".").casefold() if words else ""
        if before.endswith(".") and last in _ABBREVIATIONS:
            continue
        if len(words) >= MIN_SENTENCE_WORDS:
            return before
    return text
