"""Overview: KPIs against the previous period, sentiment over time, volumes, top issues."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, ui
from dashboard.data import alerts as alert_data
from dashboard.data import issues as issue_data
from dashboard.data import overview as overview_data
from dashboard.safe import markdown, plain

TOP_ISSUES = 10
EVIDENCE_SHOWN = 3


def kpi_row(cx: ui.Context) -> None:
    t, filters = cx.t, cx.filters
    now, before = overview_data.kpis_with_previous(cx.engine, filters)
    columns = st.columns(4)
    columns[0].metric(
        t("kpi_mentions"),
        ui.count(now.volume, cx.language),
        delta=ui.count(now.volume - before.volume, cx.language, signed=True)
        if before.volume
        else None,
    )
    columns[1].metric(
        t("kpi_net_sentiment"),
        "–" if now.net_sentiment is None else f"{now.net_sentiment:+.0%}",
        delta=ui.signed_points(now.net_sentiment, before.net_sentiment),
        help=t("net_sentiment_help"),
    )
    columns[2].metric(
        t("kpi_negative_share"),
        ui.percent(now.negative_share),
        delta=ui.signed_points(now.negative_share, before.negative_share),
        delta_color="inverse",
    )
    rating, rating_before = now.avg_rating, before.avg_rating
    columns[3].metric(
        t("kpi_avg_rating"),
        "–" if rating is None else f"{rating:.2f} ★",
        delta=None if rating is None or rating_before is None else f"{rating - rating_before:+.2f}",
    )
    previous = filters.period.previous()
    st.caption(t("compared_to", days=previous.days, start=previous.start, end=previous.end))


def sentiment_section(cx: ui.Context) -> None:
    t, filters = cx.t, cx.filters
    st.subheader(t("sentiment_over_time"))
    daily = overview_data.sentiment_by_day(cx.engine, filters)
    alerts = charts.alerts_for(alert_data.alerts(cx.engine, filters.period), filters.sources)
    names = {sentiment: t(sentiment) for sentiment in charts.SENTIMENT_COLOURS}
    st.plotly_chart(charts.sentiment_over_time(daily, alerts, names, t("spike")))
    if not alerts.empty:
        st.caption(t("spikes_marked"))


def volume_section(cx: ui.Context) -> None:
    t, filters = cx.t, cx.filters
    left, right = st.columns(2)
    for column, (key, title) in zip(
        (left, right), (("source", "by_source"), ("lang", "by_language")), strict=True
    ):
        column.subheader(t(title))
        volume = overview_data.volume_by(cx.engine, filters, key)
        column.plotly_chart(charts.volume_bars(volume, key, t("negative")))


def issues_section(cx: ui.Context) -> None:
    t, period = cx.t, cx.filters.period
    st.subheader(t("top_issues"))
    issues = issue_data.issues(cx.engine, period, brands=cx.filters.brands, limit=TOP_ISSUES)
    issues = issues[~issues["single"]].head(TOP_ISSUES)
    if issues.empty:
        st.info(t("no_issues"))
        return
    trend = issue_data.issue_daily_counts(cx.engine, [int(i) for i in issues["id"]], period)
    ui.issue_table(cx, issues, trend)
    st.page_link("views/issues.py", label=t("all_issues"), icon=":material/arrow_forward:")
    for _, issue in issues[issues["classification"] == "systemic"].head(EVIDENCE_SHOWN).iterrows():
        title = ui.issue_title(issue.to_dict(), cx.language)
        with st.expander(t("evidence_of", label=markdown(title))):
            st.text(plain(issue["evidence"]))


cx = ui.page_context()
st.title(cx.t("page_overview"))
kpi_row(cx)
sentiment_section(cx)
volume_section(cx)
issues_section(cx)
