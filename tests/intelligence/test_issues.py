"""Isolated vs systemic: the verdicts a CX lead would expect, and evidence they can paste."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from cxradar.intelligence.issues import (
    QUOTE_LENGTH,
    IssueMention,
    LinkedTicket,
    SystemicThresholds,
    classify_issue,
    compute_issue_stats,
)

NOW = datetime(2024, 10, 30, 18, 0, tzinfo=UTC)
CHANNELS = ["appstore", "reddit", "playstore", "trustpilot", "forum"]


def mention(
    mention_id,
    *,
    days_ago=0.0,
    source="appstore",
    author="auto",
    text=None,
    sentiment="negative",
    rating=None,
    reach=None,
    lang="en",
    duplicate_of=None,
):
    return IssueMention(
        mention_id=mention_id,
        created_at=NOW - timedelta(days=days_ago),
        source=source,
        author=f"user{mention_id}" if author == "auto" else author,
        text=text or f"Since the update the app logs me out every time ({mention_id})",
        sentiment=sentiment,
        sentiment_score=-0.8 if sentiment == "negative" else 0.1,
        rating=rating,
        reach=reach,
        lang=lang,
        duplicate_of=duplicate_of,
        url=None,
    )


def tickets(count, days_ago=1):
    return [
        LinkedTicket(i, NOW - timedelta(days=days_ago), "Logged out after update", 0.9)
        for i in range(count)
    ]


def verdict(mentions, linked=(), thresholds=None):
    stats = compute_issue_stats(mentions, list(linked), now=NOW)
    return stats, classify_issue(stats, thresholds or SystemicThresholds())


def test_widespread_lasting_confirmed_problem_is_systemic_with_pasteable_evidence():
    mentions = [
        mention(i, days_ago=(i % 12) + 0.1, source=CHANNELS[i % 5], reach=20) for i in range(74)
    ]
    stats, result = verdict(mentions, tickets(46))
    assert result.classification == "systemic"
    assert result.score > 0.8
    assert stats.authors == 74 and stats.sources == 5 and stats.active_days == 12
    assert result.evidence.startswith("Systemic: 74 customers on 5 channels (")
    assert "over 12 days since 19 Oct" in result.evidence
    assert "46 support tickets confirm it." in result.evidence
    assert "Typical: “Since the update the app logs me out" in result.evidence
    assert result.evidence_de.startswith("Systemisch: 74 Personen auf 5 Kanälen (")
    assert "seit dem 19. Okt." in result.evidence_de and "46 Support-Tickets" in result.evidence_de


def test_one_loud_customer_stays_isolated_however_often_they_post():
    mentions = [
        mention(i, days_ago=i, source=CHANNELS[i % 3], author="angry_bob", reach=5000)
        for i in range(30)
    ]
    stats, result = verdict(mentions, tickets(3))
    assert stats.authors == 1 and stats.mentions == 30
    assert result.classification == "isolated"
    assert "Isolated: 1 customer on 3 channels" in result.evidence
    assert "A one-off: 1 customer (emerging from 3)." in result.evidence
    assert "Ein Einzelfall: 1 Person (aufkommend ab 3)." in result.evidence_de
    assert any(reason.startswith("below: customers 1") for reason in result.reasons)


def test_duplicates_never_add_breadth():
    original = mention(1, days_ago=5, source="reddit")
    copies = [
        mention(i, days_ago=i % 5, source=CHANNELS[i % 5], duplicate_of=1) for i in range(2, 40)
    ]
    stats, result = verdict([original, *copies], tickets(5))
    assert (stats.mentions, stats.duplicates, stats.authors, stats.sources) == (1, 38, 1, 1)
    assert stats.active_days == 1
    assert result.classification == "isolated"


def test_reshares_never_add_customers():
    original = mention(1, days_ago=5, source="mastodon")
    reshares = [
        replace(mention(i, days_ago=i % 5, source=CHANNELS[i % 5]), kind="reshare")
        for i in range(2, 12)
    ]
    stats, result = verdict([original, *reshares], tickets(5))
    assert (stats.mentions, stats.authors, stats.sources) == (1, 1, 1)
    assert result.classification == "isolated"


def test_posts_without_author_each_count_as_a_person():
    mentions = [mention(i, days_ago=i, author=None, source=CHANNELS[i % 2]) for i in range(6)]
    stats, result = verdict(mentions)
    assert stats.authors == 6
    assert result.classification == "systemic"  # 6 people, 2 channels, 6 days


def test_a_fresh_problem_of_many_customers_is_emerging_until_it_spreads_persists_or_is_confirmed():
    # 25 customers report the same new error on one channel on one day: never isolated.
    burst = [mention(i, days_ago=0.1, source="appstore") for i in range(25)]
    _, fresh = verdict(burst)
    assert fresh.classification == "emerging"
    assert fresh.missing == ("spread, persistence, a ticket or a detractor",)
    assert fresh.evidence.startswith("Emerging: 25 customers on 1 channel (appstore)")
    assert (
        "Not yet systemic: needs a second channel (1 so far), 3 active days (1 so far) or a "
        "confirming support ticket or detractor." in fresh.evidence
    )
    assert fresh.evidence_de.startswith("Aufkommend: 25 Personen auf 1 Kanal")
    assert "es braucht einen zweiten Kanal (bisher 1)" in fresh.evidence_de
    # Any one of the three makes it systemic.
    _, confirmed = verdict(burst, tickets(2))
    spread = [replace(m, source=CHANNELS[m.mention_id % 2]) for m in burst]
    lasting = [replace(m, created_at=NOW - timedelta(days=m.mention_id % 3)) for m in burst]
    for mentions, linked in ((burst, tickets(2)), (spread, ()), (lasting, ())):
        _, result = verdict(mentions, linked)
        assert result.classification == "systemic", result.reasons
    assert confirmed.score > fresh.score


def test_isolated_means_one_or_two_customers_and_a_few_more_are_emerging():
    def label(customers):
        posts = [mention(i, days_ago=i % 4, source=CHANNELS[i % 3]) for i in range(customers)]
        return verdict(posts, tickets(3))[1]

    assert [label(n).classification for n in (1, 2, 3, 4, 5)] == [
        "isolated",
        "isolated",
        "emerging",
        "emerging",
        "systemic",
    ]
    assert label(3).missing == ("customers",)
    assert "Not yet systemic: needs more customers (3 so far, 5 needed)." in label(3).evidence


def test_thresholds_are_configurable():
    mentions = [mention(i, days_ago=i, source=CHANNELS[i % 2]) for i in range(6)]
    _, default = verdict(mentions)
    _, strict = verdict(mentions, thresholds=SystemicThresholds(min_authors=10))
    _, lenient = verdict(mentions[:2], thresholds=SystemicThresholds(isolated_max_authors=1))
    assert default.classification == "systemic" and strict.classification == "emerging"
    assert "more customers (6 so far, 10 needed)" in strict.evidence
    assert lenient.classification == "emerging"


def test_placeholder_authors_are_not_one_customer():
    mentions = [mention(i, days_ago=0.1, author="A Google User") for i in range(6)]
    mentions += [mention(10, author="[deleted]"), mention(11, author="[deleted]")]
    stats, _ = verdict(mentions)
    assert stats.authors == 8


def test_each_brand_counts_its_own_customers():
    mentions = [replace(mention(i, days_ago=i % 3), brand="Finora") for i in range(6)]
    mentions += [replace(mention(10 + i, days_ago=1), brand="Zentra") for i in range(2)]
    mentions += [replace(mention(20, days_ago=1, author="user0"), brand="Finora")]
    stats, result = verdict(mentions)
    assert [(b.brand, b.customers, b.complaints) for b in stats.brands] == [
        ("Finora", 6, 7),
        ("Zentra", 2, 2),
    ]
    assert "Brands: Finora 6 customers, Zentra 2 customers." in result.evidence
    assert "Marken (Personen): Finora 6, Zentra 2." in result.evidence_de


def test_growth_compares_the_last_week_with_the_one_before():
    mentions = [mention(i, days_ago=1 + i % 6) for i in range(6)]
    mentions += [mention(100 + i, days_ago=8 + i % 6) for i in range(3)]
    stats, result = verdict(mentions)
    assert (stats.last_week, stats.previous_week) == (6, 3)
    assert stats.growth == pytest.approx(1.0)
    assert "growing 100% week on week" in result.evidence
    assert "+100 % zur Vorwoche" in result.evidence_de


def test_growth_is_unknown_without_a_previous_week_and_new_issues_say_so():
    stats, result = verdict([mention(1, days_ago=2)])
    assert stats.growth is None
    assert "new in the last 7 days" in result.evidence


def test_growth_needs_data_over_both_weeks():
    # The stored data starts ten days ago, inside the earlier week: "growing 5300 %" would be
    # an artefact of where the data begins.
    mentions = [mention(i, days_ago=1 + i % 6) for i in range(53)]
    mentions += [mention(100, days_ago=9)]
    stats = compute_issue_stats(mentions, [], now=NOW, data_since=NOW - timedelta(days=10))
    assert stats.growth is None
    result = classify_issue(stats)
    assert "growing" not in result.evidence and "active this week" in result.evidence
    covered = compute_issue_stats(mentions, [], now=NOW, data_since=NOW - timedelta(days=30))
    assert covered.growth == pytest.approx(52.0)


def test_recurrence_and_span():
    mentions = [mention(i, days_ago=d) for i, d in enumerate([0, 0, 3, 9])]
    stats, result = verdict(mentions)
    assert stats.span_days == 10 and stats.active_days == 3
    assert stats.recurrence == pytest.approx(0.3)
    assert "over 10 days since 21 Oct (on 3 of them)" in result.evidence


def test_severity_grows_with_reach_negativity_and_breadth():
    def severity(count, reach, sentiment):
        mentions = [
            mention(i, days_ago=i % 4, source=CHANNELS[i % 2], reach=reach, sentiment=sentiment)
            for i in range(count)
        ]
        return verdict(mentions)[1].severity

    base = severity(10, 10, "negative")
    assert 0 < base < 1
    assert severity(10, 10_000, "negative") > base
    assert severity(60, 10, "negative") > base
    assert severity(10, 10, "neutral") == 0


def test_low_star_reviews_count_as_negative_whatever_their_words():
    mentions = [
        mention(1, sentiment="neutral", rating=1),
        mention(2, sentiment="neutral", rating=4),
    ]
    stats, _ = verdict(mentions)
    assert stats.negative_share == 0.5


def test_quotes_are_distinct_posts_not_near_copies():
    mentions = [
        mention(1, text="The app crashes every time I open the card screen since today"),
        mention(2, text="The app crashes every time I open the card screen since today!!"),
        mention(3, text="Card tab makes the whole app close immediately"),
    ]
    stats, _ = verdict(mentions)
    assert len(stats.samples) == 2 and stats.samples[1].startswith("Card tab")


def test_quotes_are_short_clean_and_from_different_people():
    long_text = "The checkout keeps failing   with\nerror 500 " + "and I lose my cart " * 30
    mentions = [
        mention(1, author="same", text=long_text),
        mention(2, author="same"),
        mention(3, author="other", text="Payment failed\u200b twice today, card charged"),
    ]
    stats, result = verdict(mentions)
    assert len(stats.samples) == 2
    assert all(len(sample) <= QUOTE_LENGTH and "\n" not in sample for sample in stats.samples)
    assert stats.samples[0].startswith("The checkout keeps failing with error 500")
    assert stats.samples[0].endswith("…")
    assert "Payment failed twice today" in result.evidence


def test_languages_and_sources_are_ranked_by_frequency():
    mentions = [
        mention(i, source="reddit" if i < 3 else "appstore", lang="de" if i < 4 else "en")
        for i in range(5)
    ]
    stats, _ = verdict(mentions)
    assert stats.source_names == ("reddit", "appstore")
    assert stats.languages == ("de", "en")


def test_naive_timestamps_are_treated_as_utc():
    naive = IssueMention(
        1,
        datetime(2024, 10, 29, 12),
        "reddit",
        "a",
        "broken",
        "negative",
        -0.9,
        None,
        None,
        "en",
        None,
        None,
    )
    stats = compute_issue_stats([naive], [], now=datetime(2024, 10, 30))
    assert stats.first_seen == datetime(2024, 10, 29, 12, tzinfo=UTC)
    assert stats.last_week == 1


def test_an_issue_needs_a_mention():
    with pytest.raises(ValueError):
        compute_issue_stats([], [], now=NOW)


def test_a_post_names_its_brand_by_name_or_keyword_the_first_named_winning():
    from cxradar.keywords import BrandMatcher

    brands = BrandMatcher([("Finora", ["@finora", "finora app"]), ("Zentra", ["zentra*"])])
    assert brands.brand_of("The Finora app logs me out") == "Finora"
    assert brands.brand_of("switched from zentrabank to finora, zentra was worse") == "Zentra"
    assert brands.brand_of("@Finora why is zentra faster?") == "Finora"
    assert brands.brand_of("my bank app logs me out") is None
    assert brands.brand_of("Nordpay is fine") is None


def test_neutral_reports_alone_are_not_systemic_until_someone_sounds_negative():
    """The complaint signal finds polite, factual reports; many of them on many channels with
    not one negative post (no negative text, no 1-2 stars, no detractor) stay emerging: on
    real feedback such groups were news reports and praise the complaint head misread."""
    neutral = [
        mention(i, days_ago=i % 4, source=CHANNELS[i % 3], sentiment="neutral") for i in range(12)
    ]
    stats, result = verdict(neutral, tickets(2))
    assert result.classification == "emerging"
    assert "a negative voice" in result.missing
    assert "sounds negative (so far only neutral reports)" in result.evidence
    assert "negativ äußert" in result.evidence_de
    _, voiced = verdict([*neutral[:-1], mention(99, days_ago=1, sentiment="negative")], tickets(2))
    assert voiced.classification == "systemic"
    low_stars = [*neutral[:-1], mention(98, days_ago=1, sentiment="neutral", rating=1)]
    assert verdict(low_stars, tickets(2))[1].classification == "systemic"
    off = SystemicThresholds(min_negative_posts=0)
    assert verdict(neutral, tickets(2), off)[1].classification == "systemic"
