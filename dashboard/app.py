"""cxradar dashboard: what customers say, and whether a problem is isolated or systemic.

Run with `cxradar dashboard` (reads CXRADAR_DATABASE_URL). Untrusted text from
posts and tickets is only ever shown through Streamlit's escaping widgets.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `streamlit run` needs the repo

from cxradar.db import database_url, get_engine, redact_url  # noqa: E402
from dashboard import charts, queries  # noqa: E402

CACHE_SECONDS = 60


@st.cache_resource
def engine(url: str):
    return get_engine(url)


@st.cache_data(ttl=CACHE_SECONDS)
def load_overview(url: str, start: date, end: date, sources: tuple[str, ...]):
    db = engine(url)
    period = queries.Period(start, end)
    return {
        "now": queries.kpis(db, period, sources),
        "before": queries.kpis(db, period.previous(), sources),
        "daily": queries.sentiment_by_day(db, period, sources),
        "by_source": queries.volume_by(db, period, "source", sources),
        "by_lang": queries.volume_by(db, period, "lang", sources),
        "alerts": queries.alerts_in(db, period),
        "issues": queries.top_issues(db),
    }


def percent(value) -> str:
    return "–" if value is None else f"{value:.0%}"


def delta(now, before, as_percent: bool = True):
    if now is None or before is None:
        return None
    change = now - before
    return f"{change:+.0%}" if as_percent else f"{change:+.2f}"


def empty_state(url: str) -> None:
    st.info(
        f"No data in {redact_url(url)} yet. Load the demo with `cxradar run --demo`, or your own "
        "sources with `cxradar run --config cxradar.yaml`, then reload this page."
    )


def main() -> None:
    st.set_page_config(page_title="cxradar", page_icon="📡", layout="wide")
    st.title("cxradar")
    url = database_url()
    db = engine(url)
    if not queries.has_data(db):
        empty_state(url)
        return
    default = queries.default_period(db)
    with st.sidebar:
        st.header("Filters")
        chosen = st.date_input("Period", value=(default.start, default.end), key="period")
        sources = tuple(st.multiselect("Sources", queries.source_names(db), key="sources"))
    start, end = (
        chosen if isinstance(chosen, tuple) and len(chosen) == 2 else (default.start, default.end)
    )
    data = load_overview(url, start, end, sources)
    now, before = data["now"], data["before"]
    cols = st.columns(4)
    cols[0].metric(
        "Mentions",
        f"{now['volume']:,}",
        delta=(f"{now['volume'] - before['volume']:+,}" if before["volume"] else None),
    )
    cols[1].metric(
        "Net sentiment",
        percent(now["net_sentiment"]),
        delta=delta(now["net_sentiment"], before["net_sentiment"]),
    )
    cols[2].metric(
        "Negative share",
        percent(now["negative_share"]),
        delta=delta(now["negative_share"], before["negative_share"]),
        delta_color="inverse",
    )
    rating = now["avg_rating"]
    cols[3].metric(
        "Average rating",
        "–" if rating is None else f"{rating:.2f} ★",
        delta=delta(rating, before["avg_rating"], as_percent=False),
    )
    st.subheader("Sentiment over time")
    st.plotly_chart(charts.sentiment_over_time(data["daily"], data["alerts"]))
    left, right = st.columns(2)
    left.subheader("By source")
    left.plotly_chart(charts.volume_bars(data["by_source"], "source"))
    right.subheader("By language")
    right.plotly_chart(charts.volume_bars(data["by_lang"], "lang"))
    st.subheader("Issues: systemic first")
    issues = data["issues"].copy()
    issues["classification"] = issues["classification"].map(
        {"systemic": "🔴 systemic", "isolated": "🟢 isolated"}
    )
    st.dataframe(
        issues.drop(columns=["evidence"]),
        hide_index=True,
        column_config={
            "severity": st.column_config.ProgressColumn("severity", min_value=0, max_value=1),
            "negative_share": st.column_config.NumberColumn("negative", format="percent"),
        },
    )
    systemic = data["issues"][data["issues"]["classification"] == "systemic"]
    for _, issue in systemic.head(3).iterrows():
        with st.expander(f"Evidence: {issue['label']}"):
            st.text(issue["evidence"])


main()
