"""Channels compared: NPS, CSAT, star ratings, support tickets and the negative share of
social mentions on one time axis, with spike alerts and issues' first days marked, so a CX
lead sees whether a social spike moved the scores; star ratings per app version and store."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from cxradar.intelligence.issues import day_text as evidence_day
from dashboard import charts_channels, ui
from dashboard.data import channels
from dashboard.safe import markdown, plain, table

GRAINS = ("week", "day")


def day_text(moment, language: str) -> str:
    """19 Oct / 19. Okt."""
    return evidence_day(pd.Timestamp(moment), language)


def decimal(value: float | None, digits: int, language: str, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    text = text.replace("-", "−")
    return text.replace(".", ",") if language == "de" else text


def totals_row(cx: ui.Context, totals: channels.PeriodTotals, kpis: pd.DataFrame, grain) -> None:
    """The period's KPIs, and its lowest NPS day or week, so a dip is named, not only drawn."""
    t, language = cx.t, cx.language
    columns = st.columns(6)
    columns[0].metric(
        t("kpi_nps"), decimal(totals.nps, 1, language, signed=True), help=t("kpi_nps_help")
    )
    columns[0].caption(t("answers", count=ui.count(totals.respondents, language)))
    answered = kpis[kpis["respondents"] > 0]
    if not answered.empty:
        low = answered.loc[answered["nps"].idxmin()]
        columns[1].metric(t(f"nps_low_{grain}"), decimal(low["nps"], 1, language, signed=True))
        day, count = day_text(low["start"], language), int(low["respondents"])
        columns[1].caption(t(f"nps_low_at_{grain}", day=day, count=count))
    columns[2].metric(t("kpi_csat"), ui.percent(_share(totals.csat)), help=t("kpi_csat_help"))
    columns[2].caption(t("answers", count=ui.count(totals.csat_respondents, language)))
    columns[3].metric(
        t("kpi_avg_rating"),
        "–" if totals.rating is None else f"{decimal(totals.rating, 2, language)} ★",
    )
    columns[3].caption(t("reviews_count", count=ui.count(totals.reviews, language)))
    columns[4].metric(t("kpi_tickets"), ui.count(totals.tickets, language))
    columns[5].metric(
        t("kpi_social_negative"),
        ui.percent(totals.negative_share),
        help=t("kpi_social_negative_help"),
    )


def _share(percent: float | None) -> float | None:
    return None if percent is None else percent / 100


def timeline(cx: ui.Context, kpis: pd.DataFrame, grain: str) -> None:
    t, period = cx.t, cx.filters.period
    alerts = channels.spike_alerts(cx.engine, period)
    issues = channels.issue_starts(cx.engine, period)
    issues = issues.assign(
        name=[ui.issue_title(row, cx.language) for row in issues.to_dict("records")]
    )
    labels = {name: t(f"panel_{name}") for name in charts_channels.PANEL_COLOURS}
    labels.update(spike=t("spike"), respondents=t("respondents"), version=t("col_version"))
    versions = channels.version_ratings(cx.engine, period, cx.filters.brands)
    start, end = period.bounds()
    new = versions[(versions["released"] >= start) & (versions["released"] < end)]
    figure = charts_channels.channels_compared(kpis, grain, labels, alerts, issues, new)
    st.plotly_chart(figure)
    if not issues.empty:
        named = [
            f"#{row['id']} {markdown(row['name'])} ({day_text(row['first_seen'], cx.language)})"
            for row in issues.to_dict("records")
        ]
        st.caption(t("issues_marked", issues="; ".join(named)))


def figures(cx: ui.Context, kpis: pd.DataFrame, grain: str) -> None:
    t = cx.t
    st.subheader(t("kpi_figures", grain=t(f"grain_{grain}")))
    columns = {
        "start": st.column_config.DateColumn(t("col_period_start"), format="D MMM YYYY"),
        "nps": st.column_config.NumberColumn(t("col_nps"), format="%+.1f"),
        "respondents": st.column_config.NumberColumn(t("col_respondents")),
        "csat": st.column_config.NumberColumn(t("col_csat"), format="%.0f"),
        "csat_mean": st.column_config.NumberColumn(t("col_csat_mean"), format="%.2f"),
        "rating": st.column_config.NumberColumn(t("col_stars"), format="%.2f ★"),
        "reviews": st.column_config.NumberColumn(t("col_reviews")),
        "tickets": st.column_config.NumberColumn(t("col_tickets")),
        "social": st.column_config.NumberColumn(t("col_social")),
        "negative_share": st.column_config.ProgressColumn(
            t("col_negative_share"), min_value=0.0, max_value=1.0, format="percent"
        ),
    }
    st.dataframe(kpis[list(columns)], hide_index=True, column_config=columns, width="stretch")


def versions_section(cx: ui.Context) -> None:
    t, period, brands = cx.t, cx.filters.period, cx.filters.brands
    st.subheader(t("versions_title"), help=t("versions_help"))
    versions = channels.version_ratings(cx.engine, period, brands)
    if versions.empty:
        st.caption(t("no_versions"))
    else:
        st.plotly_chart(
            charts_channels.version_ratings(versions, t("col_stars"), t("first_seen_short"))
        )
        columns = {
            "version": st.column_config.TextColumn(t("col_version")),
            "released": st.column_config.DatetimeColumn(t("col_released"), format="D MMM YYYY"),
            "reviews": st.column_config.NumberColumn(t("col_reviews")),
            "rating": st.column_config.NumberColumn(t("col_stars"), format="%.2f ★"),
            "low": st.column_config.NumberColumn(t("col_low_reviews")),
        }
        st.dataframe(table(versions), hide_index=True, column_config=columns, width="stretch")
    st.subheader(t("stores_title"))
    stores = channels.store_ratings(cx.engine, period, brands)
    if stores.empty:
        st.caption(t("no_reviews"))
        return
    st.dataframe(
        table(stores.assign(source=[plain(s) for s in stores["source"]])),
        hide_index=True,
        column_config={
            "source": st.column_config.TextColumn(t("col_source")),
            "reviews": st.column_config.NumberColumn(t("col_reviews")),
            "rating": st.column_config.NumberColumn(t("col_stars"), format="%.2f ★"),
        },
        width="stretch",
    )


cx = ui.page_context()
st.title(cx.t("page_channels"))
st.caption(cx.t("channels_intro"))
st.caption(cx.t("channels_filters"))
chosen = st.radio(
    cx.t("channels_grain"),
    GRAINS,
    format_func=lambda grain: cx.t(f"grain_{grain}"),
    horizontal=True,
    key="channels_grain",
)
period_kpis = channels.kpi_table(cx.engine, cx.filters.period, chosen, cx.filters.brands)
period_totals = channels.period_totals(cx.engine, cx.filters.period, cx.filters.brands)
totals_row(cx, period_totals, period_kpis, chosen)
if not charts_channels.panels(period_kpis):
    st.info(cx.t("channels_empty"))
else:
    timeline(cx, period_kpis, chosen)
    figures(cx, period_kpis, chosen)
versions_section(cx)
