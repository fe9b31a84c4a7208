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
    assert "Below the systemic bar: 1 customer (needs 5)." in result.evidence
    assert any(reason.startswith("below: authors 1") for reason in result.reasons)


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


def test_broad_burst_confirmed_by_tickets_is_systemic_even_on_one_day():
    mentions = [mention(i, days_ago=0.1, source=CHANNELS[i % 2]) for i in range(8)]
    _, without_tickets = verdict(mentions)
    _, with_tickets = verdict(mentions, tickets(2))
    assert without_tickets.classification == "isolated"
    assert "1 day (needs 3) and no confirming ticket" in without_tickets.evidence
    assert with_tickets.classification == "systemic"
    assert with_tickets.score > without_tickets.score


def test_many_customers_on_a_single_channel_are_systemic_through_the_score():
    mentions = [mention(i, days_ago=i % 10, source="appstore") for i in range(40)]
    _, lone_channel = verdict(mentions, tickets(2))
    assert lone_channel.classification == "systemic"
    assert any(reason.startswith("score ") and ">=" in reason for reason in lone_channel.reasons)
    few = [mention(i, days_ago=0.1, source="appstore") for i in range(5)]
    _, small = verdict(few)
    assert small.classification == "isolated"


def test_thresholds_are_configurable():
    mentions = [mention(i, days_ago=i, source=CHANNELS[i % 2]) for i in range(6)]
    _, default = verdict(mentions)
    _, strict = verdict(mentions, thresholds=SystemicThresholds(min_authors=10))
    assert default.classification == "systemic" and strict.classification == "isolated"
    assert "6 customers (needs 10)" in strict.evidence


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
