"""Sources: what each channel delivered, when it was last fetched, and what was rejected."""

from __future__ import annotations

import streamlit as st

from dashboard import ui
from dashboard.data import sources as source_data
from dashboard.safe import plain, table

cx = ui.page_context()
t = cx.t
st.title(t("sources_title"))
when = "D MMM YYYY, HH:mm"
sources = source_data.sources_overview(cx.engine)
st.dataframe(
    table(sources),
    hide_index=True,
    width="stretch",
    column_config={
        "source": t("col_source"),
        "connector": t("col_connector"),
        "mentions": st.column_config.NumberColumn(t("col_mentions")),
        "tickets": st.column_config.NumberColumn(t("col_tickets")),
        "newest_item": st.column_config.DatetimeColumn(t("col_newest_item"), format=when),
        "last_ingest": st.column_config.DatetimeColumn(t("col_last_ingest"), format=when),
        "cursor_updated": st.column_config.DatetimeColumn(t("col_cursor_updated"), format=when),
        "errors": st.column_config.NumberColumn(t("col_errors")),
        "next_run": st.column_config.DatetimeColumn(
            t("col_next_run"), format=when, help=t("next_run_help")
        ),
    },
)
st.subheader(t("ingest_errors"))
with_errors = [row.source for row in sources.itertuples() if row.errors]
source = st.selectbox(
    t("error_source"),
    [None, *with_errors],
    format_func=lambda s: plain(s) if s else t("all"),
    key="sources_error_source",
)
errors = source_data.ingest_errors(cx.engine, source)
if errors.empty:
    st.success(t("no_ingest_errors"))
else:
    st.dataframe(
        table(errors),
        hide_index=True,
        width="stretch",
        column_config={
            "created_at": st.column_config.DatetimeColumn(t("col_created"), format=when),
            "source": t("col_source"),
            "location": st.column_config.TextColumn(t("col_location")),
            "reason": st.column_config.TextColumn(t("col_reason"), width="large"),
        },
    )
