"""Issue titles name the problem with words many of its posts share."""

from __future__ import annotations

import re

from cxradar.intelligence.titles import Titler, sentence_title

BACKGROUND = [
    "my flight to boston was great, thanks",
    "flight attendants were lovely on my flight",
    "lost my luggage at the airport",
    "the wifi on the flight never works",
    "booked a flight for christmas",
    "customer service kept me on hold for an hour",
    "Der Zug war pünktlich, danke",
    "Die Klimaanlage im Zug ist ausgefallen, 35 Grad",
    "Zug fällt aus, keine Info am Bahnsteig",
]
DELAYS = [
    "@united flight delayed again, three hours at the gate",
    "Delayed flight and no explanation from anyone @united",
    "my flight is delayed for the 4th time this month",
    "stuck in Denver, flight delayed, missed my connection",
    "another delayed flight, unbelievable",
]


def words(text: str) -> set[str]:
    return {w.casefold() for w in re.findall(r"\w+", text)}


def test_the_title_uses_phrases_many_posts_share_never_a_word_of_one_post():
    titler = Titler(BACKGROUND + DELAYS, extra_stop_words=["united"])
    title = titler.titles(DELAYS, ["en"] * len(DELAYS)).title
    assert "delayed" in title.casefold()
    for word in words(title):
        assert sum(word in words(post) for post in DELAYS) >= 2, (word, title)
    assert "united" not in title.casefold() and "@" not in title


def test_german_posts_get_a_german_title_written_as_customers_write_it():
    aircon = [
        "Klimaanlage ausgefallen im ICE nach Hamburg, unerträglich",
        "Schon wieder Klimaanlage ausgefallen, Wagen 12",
        "ICE 578: Klimaanlage ausgefallen und keiner tut was",
        "Im Zug ist die Klimaanlage ausgefallen, 38 Grad",
    ]
    titler = Titler(BACKGROUND + aircon)
    titles = titler.titles(aircon, ["de"] * len(aircon))
    assert titles.title.startswith("Klimaanlage ausgefallen")
    assert titles.title_de == titles.title


def test_a_negation_may_open_the_title():
    broken = [
        "app not working since the update",
        "still not working on my Pixel",
        "the widget is not working at all",
        "not working after reinstall either",
    ]
    titler = Titler(BACKGROUND + broken)
    assert titler.titles(broken, ["en"] * 4).title.casefold().startswith("not working")


def test_english_and_german_posts_each_get_a_title():
    german = ["Flug verspätet, wieder drei Stunden", "Mein Flug verspätet sich schon wieder"]
    mixed = DELAYS[:3] + german
    titler = Titler(BACKGROUND + mixed)
    titles = titler.titles(mixed, ["en", "en", "en", "de", "de"])
    assert "delayed" in titles.title.casefold()
    assert "verspätet" in titles.title_de.casefold()


def test_one_post_is_titled_by_its_first_sentence_without_handles_or_links():
    assert sentence_title("@finora My card was sent to my old address. Why? https://x.y/z") == (
        "My card was sent to my old address."
    )
    assert sentence_title("Finora vs. my old bank: the app wins, the interest does not.") == (
        "Finora vs. my old bank: the app wins, the interest does not."
    )
    assert sentence_title("Hi. My card was sent to my old address. Please help") == (
        "Hi. My card was sent to my old address."
    )
    assert sentence_title("Seit dem Update z.B. kein Login. Bitte fixen") == (
        "Seit dem Update z.B. kein Login."
    )
    long = "the invoice " + "shows a wrong VAT number " * 10
    assert len(sentence_title(long)) <= 80 and sentence_title(long).endswith("…")
    titler = Titler(BACKGROUND)
    assert titler.titles(["@finora card never arrived. Help"], ["en"]).title == (
        "Card never arrived."
    )


def test_posts_sharing_no_phrase_are_titled_by_their_most_typical_post():
    unrelated = ["Checkout broken", "Login slow today", "Refund missing"]
    titler = Titler(BACKGROUND + unrelated)
    assert titler.titles(unrelated, ["en"] * 3, typical=1).title == "Login slow today"


def test_a_trailing_german_negation_stays_in_the_title():
    """German puts the negation at the end of the clause: a title without it says the
    opposite of the complaint ("SMS kommt seit dem Update" for "… kommt nicht mehr")."""
    posts = [
        "Der Code per SMS kommt seit dem Update einfach nicht mehr. Bitte fixen!",
        "Hm, SMS kommt seit dem Update einfach nicht mehr.",
        "SMS kommt seit dem Update einfach nicht mehr, so kann ich nicht zahlen",
    ]
    titler = Titler(BACKGROUND + posts)
    assert titler.span_title(posts) == "SMS kommt seit dem Update einfach nicht mehr"
    cards = ["Die Karte kommt nicht an", "Meine Karte kommt einfach nicht an!", "Karte kommt nicht"]
    assert Titler(BACKGROUND + cards).span_title(cards) == "Karte kommt nicht an"
    # A negation that opens the next content does not join: the clause goes on without it.
    english = ["Flight delayed again", "my flight delayed 3 hours", "flight delayed, no info"]
    assert Titler(BACKGROUND + english).span_title(english) == "Flight delayed"
