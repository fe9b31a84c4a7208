"""Alerts: every alert, its status and whether it reached the team.

An alert told in another alert's message (the same episode, seen in another scope or by
the issue trigger) names that alert instead of sending its own.
"""

from __future__ import annotations

import streamlit as st

from dashboard import ui
from dashboard.data import alerts as alert_data
from dashboard.safe import table

STATUS_BADGES = {"open": "🟠", "escalated": "🔴", "resolved": "✅"}


def alert_columns(t) -> dict:
    when = "D MMM YYYY, HH:mm"
    return {
        "status": t("col_status"),
        "scope": t("col_scope"),
        "window_start": st.column_config.DatetimeColumn(t("col_window_start"), format=when),
        "window_end": st.column_config.DatetimeColumn(t("col_window_end"), format=when),
        "observed": st.column_config.NumberColumn(t("col_observed"), format="%d"),
        "expected": st.column_config.NumberColumn(t("col_expected"), format="%.1f"),
        "severity": st.column_config.ProgressColumn(
            t("col_severity"), min_value=0.0, max_value=1.0, format="%.2f"
        ),
        "title": st.column_config.TextColumn(t("col_title"), width="large"),
        "delivered": st.column_config.CheckboxColumn(t("col_delivered")),
        "delivered_at": st.column_config.DatetimeColumn(t("col_delivered_at"), format=when),
        "attempts": t("col_attempts"),
        "last_error": st.column_config.TextColumn(t("col_last_error")),
        "covered_by": st.column_config.NumberColumn(t("col_covered_by"), format="#%d"),
    }


cx = ui.page_context()
t = cx.t
st.title(t("alerts_title"))
only_period = st.toggle(t("only_period"), key="alerts_only_period")
alerts = alert_data.alerts(cx.engine, cx.filters.period if only_period else None)
if alerts.empty:
    st.info(t("no_alerts"))
else:
    counts = alerts["status"].value_counts()
    columns = st.columns(4)
    for column, status in zip(columns, ("open", "escalated", "resolved"), strict=False):
        column.metric(t(f"alerts_{status}"), int(counts.get(status, 0)))
    own_message = alerts["covered_by"].isna()
    undelivered = ~alerts["delivered"].astype(bool) & own_message
    columns[3].metric(t("alerts_undelivered"), int(undelivered.sum()))
    shown = alerts.assign(
        status=[f"{STATUS_BADGES.get(s, '')} {t('alerts_' + s)}" for s in alerts["status"]]
    )
    columns = alert_columns(t)
    st.dataframe(
        table(shown[list(columns)]), hide_index=True, column_config=columns, width="stretch"
    )
