"""The Topics and Review pages through Streamlit's AppTest, on seed.py's database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cxradar.db import session_scope
from cxradar.schema import Mention, Source
from models.training.train_sentiment import (
    read_complaint_corrections_db,
    read_corrections_db,
)
from tests.dashboard.seed import ISOLATED_TEXT, REVIEW_ORDER, SCRIPT_TEXT
from tests.dashboard.test_app import checked, markup, metrics, on_page, start


def queue_radios(app) -> list:
    """The verdict pickers of the review queue, least sure prediction first."""
    return [radio for radio in app.radio if (radio.key or "").startswith("review_label_")]


def topic_table(app) -> dict[str, int]:
    frame = app.dataframe[0].value
    return dict(zip(frame["label"], frame["mentions"], strict=True))


def test_topics_page_counts_follow_the_filters(seeded):
    app = on_page(start(), "topics")
    assert app.title[0].value == "Topics"
    assert topic_table(app) == {
        "savings · transfer · app": 20,
        "login · sms · code": 11,
        "card · apple pay": 8,
    }
    checked(app.multiselect(key="f_langs").select("de").run())
    assert topic_table(app) == {"savings · transfer · app": 10, "login · sms · code": 5}
    assert app.query_params["lang"] == "de"
    checked(app.multiselect(key="f_brands").select("Zinsly").run())
    assert "No mentions of any topic match these filters." in [i.value for i in app.info]


def test_choosing_a_topic_shows_its_top_mentions(seeded):
    app = on_page(start(), "topics")
    assert app.selectbox(key="topic_choice").value == 1  # the largest topic first
    checked(app.selectbox(key="topic_choice").select(0).run())
    assert app.query_params["topic"] == "0"
    assert metrics(app)["Mentions"][0] == "11" and metrics(app)["Negative share"][0] == "100%"
    mentions = app.dataframe[1].value
    assert len(mentions) == 11 and SCRIPT_TEXT in mentions["text"].tolist()
    assert not any("<script>" in text for text in markup(app))  # shown only as data


def test_topics_page_in_german(seeded):
    app = start({"ui": "de"})
    on_page(app, "topics")
    assert app.title[0].value == "Themen"
    assert "Anteil negativ" in metrics(app)


def test_review_page_lists_the_least_sure_predictions_first(seeded):
    app = on_page(start(), "review")
    assert app.title[0].value == "Review queue"
    shown = [text.value for text in app.text]
    assert [text for text in shown if text in REVIEW_ORDER] == REVIEW_ORDER
    assert "Nothing reviewed yet." in [i.value for i in app.info]
    checked(app.multiselect(key="f_brands").select("Zinsly").run())
    shown = [text.value for text in app.text]
    assert ISOLATED_TEXT not in shown and REVIEW_ORDER[1] in shown


def test_a_correction_made_on_the_page_is_stored_and_shown_as_reviewed(seeded):
    app = on_page(start(), "review")
    app.text_input(key="review_reviewer").input("Ana")
    first = queue_radios(app)[0]
    assert first.value == "negative"
    mention_id = int(first.key.removeprefix("review_label_"))
    first.set_value("neutral")
    complaint = app.radio(key=f"review_complaint_{mention_id}")
    assert complaint.value is None  # seeded before the complaint head: no verdict to start from
    complaint.set_value(True)
    checked(app.button(key=f"review_save_{mention_id}").click().run())
    assert f"Saved #{mention_id} as neutral." in [s.value for s in app.success]
    assert ISOLATED_TEXT not in [text.value for text in app.text]  # left the queue
    reviewed = app.dataframe[0].value
    assert reviewed[["text", "predicted", "label", "reviewer"]].to_dict("records") == [
        {"text": ISOLATED_TEXT, "predicted": "negative", "label": "neutral", "reviewer": "Ana"}
    ]
    assert "1 reviewed, 1 of them corrected" in [c.value for c in app.caption]
    data = read_corrections_db(seeded)
    assert data.texts == [ISOLATED_TEXT] and data.labels.tolist() == [1]
    assert read_complaint_corrections_db(seeded) == ([ISOLATED_TEXT], [1])


def test_confirming_keeps_the_model_label(seeded):
    app = on_page(start(), "review")
    mention_id = int(queue_radios(app)[0].key.removeprefix("review_label_"))
    checked(app.button(key=f"review_save_{mention_id}").click().run())
    assert "1 reviewed, 0 of them corrected" in [c.value for c in app.caption]
    assert read_corrections_db(seeded).labels.tolist() == [0]


@pytest.fixture
def without_enrichments(sqlite_url, monkeypatch) -> str:
    """A database with a mention but nothing derived yet: no topics, nothing to review."""
    with session_scope(sqlite_url) as session:
        source = Source(name="reddit", connector="reddit")
        session.add(source)
        session.flush()
        session.add(
            Mention(
                source_id=source.id,
                external_id="1",
                created_at=datetime(2026, 10, 1, tzinfo=UTC),
                text="first post",
                content_hash="h1",
            )
        )
    monkeypatch.setenv("CXRADAR_DATABASE_URL", sqlite_url)
    return sqlite_url


def test_both_pages_explain_when_there_is_nothing_yet(without_enrichments):
    app = on_page(start(), "topics")
    assert "No topics yet" in app.info[0].value
    on_page(app, "review")
    infos = [i.value for i in app.info]
    assert "Nothing left to review in this selection." in infos
    assert "Nothing reviewed yet." in infos


def test_an_empty_database_shows_how_to_load_data(sqlite_url, monkeypatch):
    monkeypatch.setenv("CXRADAR_DATABASE_URL", sqlite_url)
    app = start()
    assert "cxradar run --demo" in app.info[0].value
    assert not app.text_input and not app.radio
