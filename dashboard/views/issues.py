"""Issues: systemic, emerging and isolated, single complaints after them, the brands
compared, evidence and a drill-down to mentions and tickets."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, exports, ui
from dashboard.data import channels
from dashboard.data import issues as issue_data
from dashboard.i18n import TEXTS
from dashboard.impact import impact_line
from dashboard.safe import markdown, plain, table

ISSUE_PARAM = "issue"
DRILL_KEY = "issue_drill_down"
EVIDENCE_SHOWN = 5


LABELS = ("systemic", "emerging", "isolated")
SINGLES_SHOWN = 50
SORTS = ("score", "nps_impact", "rating_impact")  # impact: most harmful (most negative) first


def sorted_by(issues: pd.DataFrame, key: str) -> pd.DataFrame:
    """The issues by ``key`` (as listed: by score; impacts: lowest first, unknown last)."""
    if key == "score":
        return issues
    return issues.sort_values(key, na_position="last", kind="stable")


def evidence(cx: ui.Context, issue: dict, shares: dict[int, float]) -> None:
    """The evidence paragraph, then what the issue does to NPS and stars and its version."""
    st.text(plain(issue["evidence"]))
    line = impact_line(issue, cx.t, cx.language, shares.get(int(issue["id"])))
    if line:
        st.text(plain(line))


def by_label(cx: ui.Context, issues: pd.DataFrame, shares: dict[int, float]) -> None:
    """Grouped issues under their label, most serious first; single complaints after them."""
    t = cx.t
    grouped, singles = issues[~issues["single"]], issues[issues["single"]]
    for kind in LABELS:
        part = grouped[grouped["classification"] == kind]
        st.subheader(f"{ui.badge(kind, t)} ({len(part)})", help=t(f"{kind}_help"))
        if part.empty:
            st.caption(t("no_issues"))
            continue
        ui.issue_table(cx, part)
        for _, issue in part.head(EVIDENCE_SHOWN).iterrows():
            title = ui.issue_title(issue.to_dict(), cx.language)
            with st.expander(t("evidence_of", label=markdown(title))):
                evidence(cx, issue.to_dict(), shares)
    with st.expander(t("single_complaints", count=len(singles)), expanded=False):
        st.caption(t("single_complaints_help"))
        if not singles.empty:
            ui.issue_table(cx, singles.head(SINGLES_SHOWN))


def brands_compared(cx: ui.Context) -> None:
    """Each brand's top problems side by side, with their share of the brand's complaints."""
    t = cx.t
    top = issue_data.brand_comparison(cx.engine, cx.filters.period)
    brands = list(dict.fromkeys(top["brand"]))
    if len(brands) < 2:
        st.caption(t("brands_compared_one"))
        return
    st.caption(t("brands_compared_help"))
    st.plotly_chart(charts.brand_problems(top, cx.language, t("share_of_complaints")))
    for column, brand in zip(st.columns(min(len(brands), 4)), brands[:4], strict=False):
        part = top[top["brand"] == brand]
        column.markdown(f"**{markdown(brand)}**")
        column.dataframe(
            table(
                pd.DataFrame(
                    {
                        "issue": [ui.issue_title(r, cx.language) for r in part.to_dict("records")],
                        "type": [ui.badge(kind, t) for kind in part["classification"]],
                        "customers": part["customers"],
                        "share": part["share"],
                    }
                )
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "issue": st.column_config.TextColumn(t("col_issue"), width="large"),
                "type": t("col_type"),
                "customers": st.column_config.NumberColumn(t("col_authors")),
                "share": st.column_config.ProgressColumn(
                    t("share_of_complaints"), min_value=0.0, max_value=1.0, format="percent"
                ),
            },
        )


def chosen_issue(cx: ui.Context, issues: pd.DataFrame) -> int:
    """The issue to drill into, from the picker, seeded from ?issue= (shareable)."""
    ids = [int(i) for i in issues["id"]]
    labels = {
        int(row["id"]): f"#{row['id']} {ui.badge(row['classification'], cx.t)} · "
        + plain(ui.issue_title(row, cx.language))
        for row in issues.to_dict("records")
    }
    wanted = st.query_params.get(ISSUE_PARAM, "")
    if wanted.isdigit() and int(wanted) not in ids:
        # A link to an issue merged since into another: follow it there, and say so.
        merged_into = issue_data.issue_redirect(cx.engine, int(wanted))
        if merged_into is not None and merged_into in ids:
            st.info(cx.t("issue_merged", old=wanted, new=merged_into))
            wanted = str(merged_into)
    if st.session_state.get(DRILL_KEY) not in ids:
        st.session_state[DRILL_KEY] = (
            int(wanted) if wanted.isdigit() and int(wanted) in ids else ids[0]
        )
    issue_id = st.selectbox(cx.t("choose_issue"), ids, format_func=labels.get, key=DRILL_KEY)
    st.query_params[ISSUE_PARAM] = str(issue_id)
    return issue_id


def drill_down(cx: ui.Context, issue: dict, shares: dict[int, float]) -> None:
    t = cx.t
    st.subheader(markdown(ui.issue_title(issue, cx.language)))
    ui.type_badge(issue["classification"], t)
    columns = st.columns(4)
    columns[0].metric(t("col_severity"), f"{issue['severity']:.2f}")
    columns[1].metric(t("col_mentions"), issue["mentions"])
    columns[2].metric(t("col_authors"), issue["authors"])
    columns[3].metric(t("col_tickets"), issue["tickets"])
    st.markdown(f"**{t('evidence')}**")
    evidence(cx, issue, shares)
    if issue.get("label"):
        st.caption(f"{t('keywords')}: {markdown(issue['label'])}")
    history = [event for event in issue.get("history") or [] if event.get("event") != "created"]
    if history:
        st.caption(" · ".join(t(f"history_{e['event']}", issue=e.get("issue")) for e in history))
    period = cx.filters.period
    counts = issue_data.issue_daily_counts(cx.engine, [issue["id"]], period)[issue["id"]]
    st.plotly_chart(charts.issue_sparkline(counts, period.start))
    mentions = issue_data.issue_mentions(cx.engine, issue["id"])
    tickets = issue_data.issue_tickets(cx.engine, issue["id"])
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
    words.update({key: t(key) for key in LABELS})
    right.download_button(
        t("download_markdown"),
        lambda: exports.issue_markdown(issue, mentions, tickets, words),
        file_name=f"cxradar-issue-{issue['id']}.md",
        mime="text/markdown",
    )


cx = ui.page_context()
st.title(cx.t("page_issues"))
all_issues = issue_data.issues(cx.engine, cx.filters.period, brands=cx.filters.brands)
if all_issues.empty:
    st.info(cx.t("no_issues"))
else:
    versions = all_issues.dropna(subset=["first_version"])
    version_shares = channels.issue_version_shares(
        cx.engine,
        tuple(zip(map(int, versions["id"]), versions["first_version"], strict=True)),
    )
    listed, compared = st.tabs([cx.t("issue_list"), cx.t("brands_compared")])
    with listed:
        order = st.radio(
            cx.t("sort_issues"),
            SORTS,
            format_func=lambda k: cx.t(f"sort_{k}"),
            horizontal=True,
            key="issues_sort",
        )
        by_label(cx, sorted_by(all_issues, order), version_shares)
        st.download_button(
            cx.t("download_issues_csv"),
            lambda: exports.to_csv(all_issues.drop(columns=["brands", "history"])),
            file_name="cxradar-issues.csv",
            mime="text/csv",
        )
    with compared:
        brands_compared(cx)
    st.header(cx.t("drill_down"))
    selected = chosen_issue(cx, all_issues)
    drill_down(cx, all_issues[all_issues["id"] == selected].iloc[0].to_dict(), version_shares)
