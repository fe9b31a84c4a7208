"""Mentions explorer: every filter, text search, and paging through the matches."""

from __future__ import annotations

import streamlit as st

from dashboard import exports, ui
from dashboard.data import issues as issue_data
from dashboard.data import mentions as mention_data
from dashboard.safe import plain, table

PAGE_SIZES = (25, 50, 100)
SIGNATURE_KEY = "mentions_signature"
PAGE_KEY = "mentions_page"


def search_controls(cx: ui.Context) -> tuple[tuple[str, ...], int | None, str]:
    t = cx.t
    left, middle, right = st.columns([2, 2, 3])
    sentiments = left.multiselect(
        t("sentiment"),
        ["negative", "neutral", "positive"],
        format_func=t,
        key="mentions_sentiment",
        placeholder=t("all"),
    )
    issues = issue_data.issues(cx.engine, cx.filters.period)
    labels = {None: t("any_issue")} | {
        int(row["id"]): f"#{row['id']} {ui.badge(row['classification'], t)} · "
        + plain(ui.issue_title(row, cx.language))
        for row in issues.to_dict("records")
    }
    issue_id = middle.selectbox(
        t("issue_filter"), list(labels), format_func=labels.get, key="mentions_issue"
    )
    text = right.text_input(t("text_contains"), key="mentions_text", max_chars=200)
    return tuple(sentiments), issue_id, text


def current_page(signature: tuple) -> int:
    """The page number, back to 1 whenever the search itself changes."""
    if st.session_state.get(SIGNATURE_KEY) != signature:
        st.session_state[SIGNATURE_KEY] = signature
        st.session_state[PAGE_KEY] = 1
    return st.session_state.get(PAGE_KEY, 1)


cx = ui.page_context()
t = cx.t
st.title(t("mentions_title"))
sentiments, issue_id, text = search_controls(cx)
page_size = st.session_state.get("mentions_page_size", PAGE_SIZES[1])
page_number = current_page((cx.filters, sentiments, issue_id, text.strip(), page_size))
result = mention_data.search_mentions(
    cx.engine, cx.filters, sentiments, issue_id, text, page_number, page_size
)
if result.total == 0:
    st.info(t("no_matches"))
else:
    st.caption(
        t(
            "matches",
            total=ui.count(result.total, cx.language),
            page=result.page,
            pages=result.pages,
        )
    )
    rows = result.rows.assign(
        classification=[ui.badge(kind, t) for kind in result.rows["classification"]]
    )
    st.dataframe(
        table(rows.drop(columns=["id", "issue_id"])),
        hide_index=True,
        column_config=ui.mention_columns(t),
        width="stretch",
    )
    left, middle, right = st.columns([1, 1, 2])
    st.session_state[PAGE_KEY] = result.page  # clamped to the pages there are
    left.number_input(t("page"), min_value=1, max_value=result.pages, step=1, key=PAGE_KEY)
    middle.selectbox(t("page_size"), PAGE_SIZES, key="mentions_page_size")
    right.download_button(
        t("download_csv"),
        lambda: exports.to_csv(result.rows),  # made on click, see dashboard/auth.py
        file_name=f"cxradar-mentions-page-{result.page}.csv",
        mime="text/csv",
    )
