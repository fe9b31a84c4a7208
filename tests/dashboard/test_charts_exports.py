"""Charts, exports and wording: pure functions, no Streamlit app needed."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pandas as pd

from dashboard import charts, exports
from dashboard.i18n import LANGUAGES, missing_translations, translate

DAY = datetime(2026, 10, 20, tzinfo=UTC)


def daily_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "day": [date(2026, 10, 19), date(2026, 10, 19), date(2026, 10, 20)],
            "sentiment": ["negative", "positive", "negative"],
            "mentions": [1, 4, 9],
        }
    )


def test_sentiment_chart_stacks_sentiments_and_shades_each_spike_once():
    alerts = pd.DataFrame(
        {  # one spike seen overall and in one source: the same window, shaded once
            "scope": ["all", "source:reddit"],
            "window_start": [DAY, DAY],
            "window_end": [DAY + timedelta(days=1)] * 2,
        }
    )
    figure = charts.sentiment_over_time(daily_frame(), alerts, {"negative": "negativ"})
    traces = {trace.name: list(trace.y) for trace in figure.data}
    assert traces == {"negativ": [1, 9], "neutral": [], "positive": [4]}
    assert figure.layout.barmode == "stack"
    assert len(figure.layout.shapes) == 1
    shape = figure.layout.shapes[0]
    assert pd.Timestamp(shape.x0) < pd.Timestamp(DAY) < pd.Timestamp(shape.x1)


def test_sentiment_chart_without_alerts_has_no_shading():
    figure = charts.sentiment_over_time(daily_frame(), pd.DataFrame())
    assert len(figure.layout.shapes) == 0 and len(figure.data) == 3


def test_alerts_for_keeps_overall_and_shown_sources():
    alerts = pd.DataFrame({"scope": ["all", "source:reddit", "source:appstore", "issue:3"]})
    assert charts.alerts_for(alerts)["scope"].tolist() == [
        "all",
        "source:reddit",
        "source:appstore",
    ]
    assert charts.alerts_for(alerts, ("reddit",))["scope"].tolist() == ["all", "source:reddit"]


def test_volume_bars_show_total_and_negative_part():
    volume = pd.DataFrame(
        {"source": ["reddit", "appstore"], "mentions": [25, 15], "negative": [7, 5]}
    )
    figure = charts.volume_bars(volume, "source")
    assert [list(trace.x) for trace in figure.data] == [[25, 15], [7, 5]]
    assert list(figure.data[0].y) == ["reddit", "appstore"]


def test_issue_sparkline_has_one_point_per_day_and_an_inert_title():
    figure = charts.issue_sparkline([0, 2, 5], date(2026, 10, 1), title="<b>x</b>")
    assert list(figure.data[0].x) == [date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)]
    assert list(figure.data[0].y) == [0, 2, 5]
    assert "<b>" not in figure.layout.title.text


def test_csv_export_neutralises_formulas_and_keeps_umlauts():
    frame = pd.DataFrame(
        {
            "text": ["=1+1", "+49 30", "-2", "@SUM(A1)", "Überweisung ok"],
            "rating": [1, 2, 3, 4, 5],
        }
    )
    data = exports.to_csv(frame)
    assert data.startswith("\ufeff".encode())  # Excel reads UTF-8 with the BOM
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [row["text"] for row in rows] == [
        "'=1+1",
        "'+49 30",
        "'-2",
        "'@SUM(A1)",
        "Überweisung ok",
    ]
    assert rows[0]["rating"] == "1"


def test_markdown_escape_makes_html_and_markup_inert():
    escaped = exports.md_escape("<script>alert(1)</script> **bold** [x](javascript:y)\nnext")
    assert "<script>" not in escaped and "&lt;script&gt;" in escaped
    assert "**" not in escaped and "](" not in escaped and "\n" not in escaped
    assert exports.md_escape(None) == "" and exports.md_escape(float("nan")) == ""


def test_issue_markdown_report():
    issue = {
        "label": "login | sms",
        "classification": "systemic",
        "severity": 0.8,
        "mentions": 2,
        "authors": 2,
        "tickets": 1,
        "first_seen": DAY,
        "last_seen": DAY,
        "evidence": "Systemic: <img src=x onerror=alert(1)>",
    }
    mentions = pd.DataFrame({"text": ["a | b", "<script>"], "url": ["https://x.org", None]})
    tickets = pd.DataFrame({"ticket": ["ZD-1"], "subject": ["SMS"]})
    words = {
        key: translate(key, "de")
        for key in (
            "col_severity",
            "col_mentions",
            "col_authors",
            "col_tickets",
            "col_first_seen",
            "col_last_seen",
            "evidence",
            "issue_mentions",
            "issue_tickets",
            "no_tickets",
            "systemic",
        )
    }
    report = exports.issue_markdown(issue, mentions, tickets, words)
    assert report.startswith("# login \\| sms")
    assert "**Systemisch**" in report and "## Begründung" in report
    assert "<img" not in report and "<script>" not in report
    assert "| a \\| b | https\\://x\\.org |" in report
    assert "| ZD\\-1 | SMS |" in report


def test_every_english_text_has_a_german_one():
    assert set(LANGUAGES) == {"en", "de"}
    assert missing_translations("de") == []
    assert translate("kpi_mentions", "de") == "Erwähnungen"
    assert translate("matches", "en", total=3, page=1, pages=2).startswith("3 mentions")
    assert translate("no_such_key", "de") == "no_such_key"


def test_counts_use_the_languages_thousands_separator():
    from dashboard.ui import count

    assert count(1821, "en") == "1,821" and count(1821, "de") == "1.821"
    assert count(1200, "de", signed=True) == "+1.200"
