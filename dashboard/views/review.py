"""Review queue: confirm or correct the sentiment predictions the model was least sure of,
and say whether the post reports a problem (a complaint).

Verdicts go to the sentiment_corrections table; `python -m models.training.train_sentiment
--corrections-db` and `python -m models.training.train_complaint --corrections-db` train on
them. Post text is shown with st.text (never as markup).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.data import review as review_data
from dashboard.safe import markdown, plain, table

BATCH_SIZES = (10, 25, 50)
LABEL_KEY = "review_label_{}"
COMPLAINT_KEY = "review_complaint_{}"
COMPLAINT_CHOICES = (True, False)
SAVE_KEY = "review_save_{}"
SAVED_KEY = "review_saved"


def save(cx: ui.Context, mention_id: int) -> None:
    """Button callback: store the label chosen for the mention (before the rerun)."""
    label = st.session_state[LABEL_KEY.format(mention_id)]
    complaint = st.session_state.get(COMPLAINT_KEY.format(mention_id))
    reviewer = st.session_state.get("review_reviewer", "")
    review_data.save_correction(cx.engine, mention_id, label, reviewer, complaint)
    st.session_state[SAVED_KEY] = (mention_id, label)


def probabilities(row, t) -> str:
    return " · ".join(
        f"{t(label)} {getattr(row, 'prob_' + label):.0%}" for label in review_data.SENTIMENTS
    )


def review_item(cx: ui.Context, row) -> None:
    """One prediction: where it came from, its text, the model's view and the verdict."""
    t = cx.t
    with st.container(border=True):
        when = pd.Timestamp(row.created_at).strftime("%Y-%m-%d %H:%M")
        st.caption(f"#{row.id} · {when} · {markdown(row.source)} · {markdown(row.lang)}")
        if isinstance(row.title, str) and row.title.strip():
            st.text(plain(row.title))
        st.text(plain(row.text))
        st.caption(
            t(
                "model_says",
                label=t(row.predicted),
                probabilities=probabilities(row, t),
                margin=f"{row.margin:.2f}",
            )
        )
        left, middle, right = st.columns([3, 2, 1], vertical_alignment="bottom")
        left.radio(
            t("your_label"),
            review_data.SENTIMENTS,
            index=review_data.SENTIMENTS.index(row.predicted),
            format_func=t,
            horizontal=True,
            key=LABEL_KEY.format(row.id),
        )
        predicted = row.complaint if isinstance(row.complaint, bool) else None
        middle.radio(  # starts at the model's verdict (none for rows from before it existed)
            t("your_complaint"),
            COMPLAINT_CHOICES,
            index=None if predicted is None else COMPLAINT_CHOICES.index(predicted),
            format_func=lambda yes: t("complaint_yes" if yes else "complaint_no"),
            horizontal=True,
            key=COMPLAINT_KEY.format(row.id),
        )
        right.button(
            t("save_label"),
            key=SAVE_KEY.format(row.id),
            on_click=save,
            args=(cx, int(row.id)),
            type="primary",
        )


def reviewed_section(cx: ui.Context) -> None:
    t = cx.t
    st.header(t("reviewed_title"))
    counts = review_data.review_counts(cx.engine)
    st.caption(t("reviewed_counts", **{k: ui.count(v, cx.language) for k, v in counts.items()}))
    reviewed = review_data.reviewed_mentions(cx.engine)
    if reviewed.empty:
        st.info(t("no_reviewed"))
        return
    shown = reviewed.assign(
        predicted=[t(label) if isinstance(label, str) else "" for label in reviewed["predicted"]],
        label=[t(label) for label in reviewed["label"]],
    )
    columns = {
        "corrected_at": st.column_config.DatetimeColumn(
            t("col_reviewed_at"), format="D MMM YYYY, HH:mm"
        ),
        "text": st.column_config.TextColumn(t("col_text"), width="large"),
        "predicted": t("col_predicted"),
        "label": t("col_verdict"),
        "reviewer": t("col_reviewer"),
    }
    st.dataframe(
        table(shown[list(columns)]), hide_index=True, column_config=columns, width="stretch"
    )


def review_page(cx: ui.Context) -> None:
    t = cx.t
    st.title(t("review_title"))
    st.caption(t("review_intro"))
    left, right = st.columns([3, 1])
    left.text_input(t("reviewer"), key="review_reviewer", max_chars=200)
    batch = right.selectbox(t("review_batch"), BATCH_SIZES, key="review_batch")
    saved = st.session_state.pop(SAVED_KEY, None)
    if saved:
        st.success(t("saved", id=saved[0], label=t(saved[1])))
    queue = review_data.review_queue(cx.engine, cx.filters, batch)
    if queue.empty:
        st.info(t("review_empty"))
    for row in queue.itertuples():
        review_item(cx, row)
    reviewed_section(cx)


review_page(ui.page_context())
