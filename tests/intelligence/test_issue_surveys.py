"""Survey comments in an issue: their own channel, and a detractor confirms like a ticket."""

from __future__ import annotations

from dataclasses import replace

from cxradar.intelligence.issues import SystemicThresholds, classify_issue, compute_issue_stats
from tests.intelligence.test_issues import NOW, mention, tickets


def survey(mention_id, score_is_detractor=True, survey_name="October NPS", **kw):
    base = mention(mention_id, source="nps", author=f"respondent{mention_id}", **kw)
    return replace(base, kind="survey", survey=survey_name, detractor=score_is_detractor)


def emerging_burst():
    """Six customers on one public channel on one day: emerging, not yet systemic."""
    return [mention(i, days_ago=0.1, source="appstore") for i in range(6)]


def test_a_detractors_comment_confirms_an_emerging_issue_into_systemic():
    burst = emerging_burst()
    assert classify_issue(compute_issue_stats(burst, [], now=NOW)).classification == "emerging"

    confirmed = classify_issue(compute_issue_stats([*burst, survey(100, days_ago=0.2)], [], NOW))
    assert confirmed.classification == "systemic"
    assert "ok: detractors 1 (need 1)" in confirmed.reasons
    # The survey is a channel of its own in the evidence, but no public spread.
    assert "ok: public channels" not in " ".join(confirmed.reasons)
    assert "1 detractor in the October NPS survey mentions it." in confirmed.evidence
    assert "1 Detraktor der Umfrage „October NPS“ nennt es." in confirmed.evidence_de

    # A passive's or promoter's comment is evidence, not confirmation.
    passive = survey(100, score_is_detractor=False, sentiment="negative")
    assert classify_issue(compute_issue_stats([*burst, passive], [], NOW)).classification == (
        "emerging"
    )
    # The threshold is configurable: 0 switches surveys off as confirmation, 3 needs three.
    off = SystemicThresholds(min_detractors=0)
    three = SystemicThresholds(min_detractors=3)
    with_one = compute_issue_stats([*burst, survey(100)], [], NOW)
    assert classify_issue(with_one, off).classification == "emerging"
    assert classify_issue(with_one, three).classification == "emerging"
    with_three = compute_issue_stats([*burst, *(survey(100 + i) for i in range(3))], [], NOW)
    assert classify_issue(with_three, three).classification == "systemic"


def test_the_footprint_counts_customers_per_kind_of_channel():
    social = [mention(i, source="reddit") for i in range(4)]
    social.append(mention(4, source="reddit", author="user0"))  # the same customer again
    reviews = [
        replace(mention(10 + i, source="appstore", rating=1), kind="review") for i in range(3)
    ]
    detractors = [survey(20 + i) for i in range(14)]
    passives = [survey(40 + i, score_is_detractor=False) for i in range(6)]
    repeat = replace(survey(60), author="respondent20")  # respondent 20 wrote twice
    copy = replace(mention(70, source="reddit"), duplicate_of=1)  # a copy is no customer
    stats = compute_issue_stats(
        [*social, *reviews, *detractors, *passives, repeat, copy], tickets(5), NOW
    )
    assert stats.channels == {
        "social": 4,
        "reviews": 3,
        "tickets": 5,
        "surveys": 20,
        "detractors": 14,
    }
    assert stats.sources == 3 and stats.spread == 2  # reddit, appstore (+ the survey)
    result = classify_issue(stats)
    assert (
        "14 detractors in the October NPS survey mention it (20 respondents in all)."
        in result.evidence
    )
    assert "Footprint: social 4, reviews 3, tickets 5, surveys 20 (14 detractors)." in (
        result.evidence
    )
    assert "14 Detraktoren der Umfrage „October NPS“ nennen es (20 Befragte insgesamt)." in (
        result.evidence_de
    )
    assert "Spuren: Social 4, Bewertungen 3, Tickets 5, Umfragen 20 (14 Detraktoren)." in (
        result.evidence_de
    )


def test_comments_of_several_surveys_are_named_by_count_and_without_detractors_as_respondents():
    answers = [survey(i, survey_name="October NPS") for i in range(3)]
    answers += [survey(10 + i, survey_name="Q4 CSAT") for i in range(2)]
    stats = compute_issue_stats([*emerging_burst(), *answers], [], NOW)
    assert stats.surveys == ("October NPS", "Q4 CSAT")
    text = classify_issue(stats).evidence
    assert "5 detractors in 2 surveys (October NPS, Q4 CSAT) mention it." in text
    calm = [survey(i, score_is_detractor=False, survey_name=None) for i in range(2)]
    only = classify_issue(compute_issue_stats([*emerging_burst(), *calm], [], NOW))
    assert "2 respondents in surveys mention it." in only.evidence
    assert "2 Befragte aus Umfragen nennen es." in only.evidence_de
    # No survey in the issue: no survey sentence, and one kind of channel: no footprint.
    plain = classify_issue(compute_issue_stats(emerging_burst(), [], NOW)).evidence
    assert "survey" not in plain and "Footprint" not in plain


def test_survey_comments_alone_never_make_an_issue_systemic_without_a_ticket():
    # 18 detractors over three weeks: answers come every day by design, no public post.
    only = [survey(i, days_ago=i) for i in range(18)]
    stats = compute_issue_stats(only, [], NOW)
    assert (stats.active_days, stats.persistence, stats.spread) == (18, 0, 0)
    result = classify_issue(stats)
    assert result.classification == "emerging"
    assert "needs public posts or a confirming support ticket" in result.evidence
    assert "öffentliche Beiträge oder ein bestätigendes Support-Ticket" in result.evidence_de
    assert classify_issue(compute_issue_stats(only, tickets(1), NOW)).classification == ("systemic")
    # Survey days never make a public issue persist either.
    two_days = [mention(i, days_ago=i % 2) for i in range(5)]
    spread_by_survey = compute_issue_stats(
        [*two_days, survey(50, days_ago=5, score_is_detractor=False)], [], NOW
    )
    assert spread_by_survey.persistence == 2 and spread_by_survey.active_days == 3
    assert classify_issue(spread_by_survey).classification == "emerging"
