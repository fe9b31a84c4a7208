"""Topics: a map of what people talk about, keywords, trends, and one topic's top mentions."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, ui
from dashboard.data import topics as topic_data
from dashboard.safe import plain, table

TOPIC_PARAM = "topic"
TOPIC_KEY = "topic_choice"
CLICKED_KEY = "topic_clicked"  # the last bubble clicked, so only a new click moves the choice
MAP_KEY = "topic_map"


def topic_map(cx: ui.Context, topics: pd.DataFrame) -> int | None:
    """Draw the map; returns the topic of a bubble clicked (None when nothing is)."""
    t = cx.t
    st.subheader(t("topic_map"), help=t("topic_map_help"))
    positions = charts.project_2d(charts.centroid_matrix(list(topics["centroid"])))
    words = {"mentions": t("col_mentions"), "negative": t("col_negative_share")}
    figure = charts.topic_map(topics, positions, words)
    event = st.plotly_chart(figure, key=MAP_KEY, on_select="rerun", selection_mode="points")
    points = (event or {}).get("selection", {}).get("points", [])
    customdata = points[0].get("customdata") if points else None
    return int(customdata[0]) if customdata else None


def keyword_table(cx: ui.Context, topics: pd.DataFrame) -> None:
    t = cx.t
    st.subheader(t("topic_keywords"))
    frame = topics.assign(keywords=[", ".join(words) for words in topics["keywords"]])
    columns = {
        "label": st.column_config.TextColumn(t("col_topic")),
        "keywords": st.column_config.TextColumn(t("col_keywords"), width="medium"),
        "mentions": st.column_config.NumberColumn(t("col_mentions")),
        "negative_share": st.column_config.ProgressColumn(
            t("col_negative_share"), min_value=0.0, max_value=1.0, format="percent"
        ),
    }
    st.dataframe(
        table(frame[list(columns)]), hide_index=True, column_config=columns, width="stretch"
    )


def chosen_topic(cx: ui.Context, topics: pd.DataFrame, clicked: int | None) -> int:
    """The topic to look into: a clicked bubble, else the picker (seeded from ?topic=)."""
    ids = [int(i) for i in topics["id"]]
    if clicked in ids and clicked != st.session_state.get(CLICKED_KEY):
        st.session_state[TOPIC_KEY] = clicked
    st.session_state[CLICKED_KEY] = clicked
    if st.session_state.get(TOPIC_KEY) not in ids:
        wanted = st.query_params.get(TOPIC_PARAM, "")
        st.session_state[TOPIC_KEY] = (
            int(wanted) if wanted.isdigit() and int(wanted) in ids else ids[0]
        )
    labels = {int(row.id): f"#{row.id} · {plain(row.label)}" for row in topics.itertuples()}
    topic_id = st.selectbox(cx.t("choose_topic"), ids, format_func=labels.get, key=TOPIC_KEY)
    st.query_params[TOPIC_PARAM] = str(topic_id)
    return topic_id


def topic_details(cx: ui.Context, topic: dict, daily: pd.DataFrame) -> None:
    t = cx.t
    left, right = st.columns(2)
    left.metric(t("col_mentions"), ui.count(topic["mentions"], cx.language))
    right.metric(t("col_negative_share"), ui.percent(topic["negative_share"]))
    st.markdown(f"**{t('col_keywords')}**")
    st.text(plain(", ".join(topic["keywords"])))  # words from posts: text, never markup
    st.markdown(f"**{t('topic_sentiment')}**")
    own = daily[daily["topic_id"] == topic["id"]]
    names = {sentiment: t(sentiment) for sentiment in charts.SENTIMENT_COLOURS}
    st.plotly_chart(charts.sentiment_over_time(own, None, names))
    st.markdown(f"**{t('topic_top_mentions')}**")
    mentions = topic_data.topic_mentions(cx.engine, cx.filters, topic["id"])
    if mentions.empty:
        st.caption(t("no_topic_mentions"))
        return
    shown = mentions.drop(columns=["id", "issue_id"]).assign(
        classification=[ui.badge(kind, t) for kind in mentions["classification"]]
    )
    st.dataframe(
        table(shown), hide_index=True, column_config=ui.mention_columns(t), width="stretch"
    )


def topics_page(cx: ui.Context) -> None:
    t = cx.t
    st.title(t("topics_title"))
    topics = topic_data.topic_summary(cx.engine, cx.filters)
    if topics.empty:
        st.info(t("no_topics"))
        return
    visible = topics[topics["mentions"] > 0]
    if visible.empty:
        st.info(t("no_topic_matches"))
        return
    left, right = st.columns([3, 2])
    with left:
        clicked = topic_map(cx, topics)
    with right:
        keyword_table(cx, visible)
    daily = topic_data.topic_daily(cx.engine, cx.filters)
    st.subheader(t("topics_over_time"))
    labels = {int(row.id): row.label for row in topics.itertuples()}
    st.plotly_chart(charts.topic_trends(daily, labels))
    st.header(t("choose_topic"))
    topic_id = chosen_topic(cx, visible, clicked)
    topic_details(cx, visible[visible["id"] == topic_id].iloc[0].to_dict(), daily)


topics_page(ui.page_context())
