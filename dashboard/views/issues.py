"""Issues: systemic and isolated side by side, evidence, drill-down to mentions and tickets."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, exports, ui
from dashboard.i18n import TEXTS
from dashboard.safe import markdown, plain, table

ISSUE_PARAM = "issue"
DRILL_KEY = "issue_drill_down"
EVIDENCE_SHOWN = 5


def side_by_side(cx: ui.Context, issues: pd.DataFrame) -> None:
    t = cx.t
    for column, kind in zip(st.columns(2), ("systemic", "isolated"), strict=True):
        part = issues[issues["classification"] == kind]
        with column:
            st.subheader(f"{ui.badge(kind, t)} ({len(part)})", help=t(f"{kind}_help"))
            if part.empty:
                st.caption(t("no_issues"))
                continue
            ui.issue_table(cx, part)
            for _, issue in part.head(EVIDENCE_SHOWN).iterrows():
                with st.expander(t("evidence_of", label=markdown(issue["label"]))):
                    st.text(plain(issue["evidence"]))


def chosen_issue(cx: ui.Context, issues: pd.DataFrame) -> int:
    """The issue to drill into, from the picker, seeded from ?issue= (shareable)."""
    ids = [int(i) for i in issues["id"]]
    labels = {
        int(row.id): f"#{row.id} {ui.badge(row.classification, cx.t)} · {plain(row.label)}"
        for row in issues.itertuples()
    }
    wanted = st.query_params.get(ISSUE_PARAM, "")
    if st.session_state.get(DRILL_KEY) not in ids:
        st.session_state[DRILL_KEY] = (
            int(wanted) if wanted.isdigit() and int(wanted) in ids else ids[0]
        )
    issue_id = st.selectbox(cx.t("choose_issue"), ids, format_func=labels.get, key=DRILL_KEY)
    st.query_params[ISSUE_PARAM] = str(issue_id)
    return issue_id


def drill_down(cx: ui.Context, issue: dict) -> None:
    t = cx.t
    columns = st.columns(5)
    columns[0].metric(t("col_type"), ui.badge(issue["classification"], t))
    columns[1].metric(t("col_severity"), f"{issue['severity']:.2f}")
    columns[2].metric(t("col_mentions"), issue["mentions"])
    columns[3].metric(t("col_authors"), issue["authors"])
    columns[4].metric(t("col_tickets"), issue["tickets"])
    st.markdown(f"**{t('evidence')}**")
    st.text(plain(issue["evidence"]))
    period = cx.filters.period
    counts = cx.query("issue_daily_counts", [issue["id"]], period)[issue["id"]]
    st.plotly_chart(charts.issue_sparkline(counts, period.start))
    mentions = cx.query("issue_mentions", issue["id"])
    tickets = cx.query("issue_tickets", issue["id"])
    st.subheader(t("issue_mentions"))
    st.dataframe(
        table(mentions), hide_index=True, column_config=ui.mention_columns(t), width="stretch"
    )
    st.subheader(t("issue_tickets"))
    if tickets.empty:
        st.caption(t("no_tickets"))
    else:
        st.dataframe(
            table(tickets), hide_index=True, column_config=ui.ticket_columns(t), width="stretch"
        )
    downloads(cx, issue, mentions, tickets)


def downloads(cx: ui.Context, issue: dict, mentions: pd.DataFrame, tickets: pd.DataFrame) -> None:
    t = cx.t
    left, right = st.columns(2)
    # Callables: each file is made when clicked, and lives at its /media/ URL only briefly.
    left.download_button(
        t("download_csv"),
        lambda: exports.to_csv(mentions.assign(issue_id=issue["id"], issue=issue["label"])),
        file_name=f"cxradar-issue-{issue['id']}-mentions.csv",
        mime="text/csv",
    )
    words = {**TEXTS["en"], **TEXTS.get(cx.language, {})}
    words.update({key: t(key) for key in ("systemic", "isolated")})
    right.download_button(
        t("download_markdown"),
        lambda: exports.issue_markdown(issue, mentions, tickets, words),
        file_name=f"cxradar-issue-{issue['id']}.md",
        mime="text/markdown",
    )


cx = ui.page_context()
st.title(cx.t("page_issues"))
all_issues = cx.query("issues", cx.filters.period)
if all_issues.empty:
    st.info(cx.t("no_issues"))
else:
    side_by_side(cx, all_issues)
    st.download_button(
        cx.t("download_issues_csv"),
        lambda: exports.to_csv(all_issues),
        file_name="cxradar-issues.csv",
        mime="text/csv",
    )
    st.header(cx.t("drill_down"))
    selected = chosen_issue(cx, all_issues)
    drill_down(cx, all_issues[all_issues["id"] == selected].iloc[0].to_dict())
