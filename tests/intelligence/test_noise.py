from datetime import UTC, datetime, timedelta

import numpy as np

from cxradar.intelligence.noise import (
    Copy,
    Posted,
    bot_bursts,
    is_link_only,
    near_duplicates,
)

T0 = datetime(2026, 11, 20, 12, tzinfo=UTC)
CAMPAIGN = "Switch to Zentra bank today and get fifty euros bonus for free"


def test_a_bare_link_is_noise_but_a_complaint_with_a_link_is_not():
    assert is_link_only(None, "https://spam.example/win")
    assert is_link_only(None, "look 👉 https://t.co/xyz #finora @finora")
    assert not is_link_only(None, "Die App stürzt ab, siehe https://imgur.com/abc")
    assert not is_link_only("App crashes on start", "https://imgur.com/abc")
    assert not is_link_only(None, "no link, just two words")


def copies(text: str, authors: list[str], minutes: int) -> list[Copy]:
    return [
        Copy(i, "hash", author, T0 + timedelta(minutes=i * minutes), text)
        for i, author in enumerate(authors)
    ]


def test_the_same_long_text_from_several_accounts_within_an_hour_is_a_bot_burst():
    assert bot_bursts(copies(CAMPAIGN, ["a", "b", "c", "d"], minutes=5)) == {0, 1, 2, 3}


def test_one_author_repeating_or_slow_reposts_or_short_outage_cries_are_not():
    assert bot_bursts(copies(CAMPAIGN, ["a", "a", "a", "a"], minutes=5)) == set()
    assert bot_bursts(copies(CAMPAIGN, ["a", "b", "c"], minutes=45)) == set()
    assert bot_bursts(copies("Is the app down?", ["a", "b", "c", "d"], minutes=1)) == set()


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_an_edited_repost_by_the_same_author_links_to_the_first_post():
    earlier = [Posted(1, "anna", T0), Posted(2, "ben", T0)]
    earlier_vectors = np.stack([unit(1, 0, 0), unit(1, 0, 0)])
    new = [Posted(5, "anna", T0 + timedelta(days=1)), Posted(6, "carl", T0)]
    new_vectors = np.stack([unit(1, 0.05, 0), unit(1, 0.05, 0)])
    assert near_duplicates(new, new_vectors, earlier, earlier_vectors) == {5: 1}


def test_different_texts_or_a_month_apart_are_not_near_duplicates():
    earlier = [Posted(1, "anna", T0)]
    assert (
        near_duplicates(
            [Posted(5, "anna", T0)], np.stack([unit(1, 1, 0)]), earlier, np.stack([unit(1, 0, 0)])
        )
        == {}
    )
    assert (
        near_duplicates(
            [Posted(5, "anna", T0 + timedelta(days=30))],
            np.stack([unit(1, 0, 0)]),
            earlier,
            np.stack([unit(1, 0, 0)]),
        )
        == {}
    )
