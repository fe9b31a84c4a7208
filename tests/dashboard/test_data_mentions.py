"""The mentions explorer's search and paging (dashboard/data/mentions.py), and safe links."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from dashboard.data import mentions, overview
from dashboard.data.filters import Filters, Period
from tests.dashboard.seed import ISOLATED_TEXT

OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 30))


def test_mention_paging_is_complete_and_without_overlap(engine):
    filters = Filters(OCTOBER)
    pages = [mentions.search_mentions(engine, filters, page=n, page_size=15) for n in (1, 2, 3)]
    assert [page.total for page in pages] == [40, 40, 40] and pages[0].pages == 3
    assert [len(page.rows) for page in pages] == [15, 15, 10]
    ids = [i for page in pages for i in page.rows["id"]]
    assert len(set(ids)) == 40
    created = [c for page in pages for c in page.rows["created_at"]]
    assert created == sorted(created, reverse=True)
    beyond = mentions.search_mentions(engine, filters, page=9, page_size=15)
    assert beyond.page == 3 and beyond.rows["id"].tolist() == pages[2].rows["id"].tolist()


def test_mention_search_filters(engine, issue_ids):
    filters = Filters(OCTOBER)
    negative = mentions.search_mentions(engine, filters, sentiments=("negative",))
    assert negative.total == 12
    isolated = mentions.search_mentions(engine, filters, issue_id=issue_ids["isolated"])
    assert isolated.rows["text"].tolist() == [ISOLATED_TEXT]
    assert isolated.rows["classification"].tolist() == ["isolated"]
    reddit_de = mentions.search_mentions(engine, Filters(OCTOBER, ("reddit",), ("de",)))
    assert reddit_de.total == 0


def test_text_search_folds_german_case_and_treats_wildcards_literally(engine):
    filters = Filters(OCTOBER)
    assert mentions.search_mentions(engine, filters, text="ÜBERWEISUNG").total == 10
    assert mentions.search_mentions(engine, filters, text="50%").rows["text"].tolist() == [
        ISOLATED_TEXT
    ]
    assert mentions.search_mentions(engine, filters, text="%").total == 1
    assert mentions.search_mentions(engine, filters, text="_").total == 0
    assert mentions.search_mentions(engine, filters, text="'; DROP TABLE mentions; --").total == 0
    assert mentions.search_mentions(engine, filters, text='"quoted"').total == 0
    assert overview.kpis(engine, filters).volume == 40


def test_the_sqlite_text_index_follows_inserts_edits_and_erasure(engine):
    from sqlalchemy import delete, update

    from cxradar.schema import Mention

    filters = Filters(OCTOBER)
    with engine.connect() as connection:
        assert mentions.has_fts(connection)
    with engine.begin() as connection:
        first = connection.execute(select(Mention.id).order_by(Mention.id)).scalar()
        connection.execute(
            update(Mention).where(Mention.id == first).values(text="Ein Zebrastreifen-Problem")
        )
    assert mentions.search_mentions(engine, filters, text="ZEBRASTREIFEN").total == 1
    with engine.begin() as connection:
        connection.execute(delete(Mention).where(Mention.id == first))
    assert mentions.search_mentions(engine, filters, text="zebrastreifen").total == 0


def test_safe_url():
    assert mentions.safe_url(" https://example.org/a ") == "https://example.org/a"
    assert mentions.safe_url("JavaScript:alert(1)") is None
    assert mentions.safe_url("data:text/html,x") is None
    assert mentions.safe_url(None) is None
