"""Ingest assets against local HTTP servers speaking each API, on SQLite and PostgreSQL.

The live resources are pointed at the servers through their configuration
(the config's URLs, the resources' base URLs), not by patching cxradar code.
"""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest
import yaml
from sqlalchemy import func, select

from connectors import appstore as appstore_module
from connectors import feeds as feeds_module
from connectors import reddit as reddit_module
from connectors import zendesk as zendesk_module
from connectors.googleplay import REVIEWS_PATH
from cxradar.db import session_scope
from cxradar.schema import IngestError, Mention, Source, Ticket
from pipelines.ingest import raw_mentions, reddit_mentions, support_tickets
from pipelines.resources import ConfigResource, DatabaseResource
from pipelines.sources import (
    AppStoreResource,
    FeedsResource,
    GooglePlayResource,
    RedditResource,
    ZendeskResource,
    source_resources,
)
from tests.connectors.conftest import LocalServer, Reply
from tests.connectors.test_googleplay import batchexecute, raw_review

REDDIT = reddit_module.RECORDED_FOLDER
ZENDESK = zendesk_module.RECORDED_FOLDER
SECRET = "reddit-secret-do-not-print"


@pytest.fixture
def server():
    local = LocalServer().start()
    yield local
    local.stop()


def serve_reddit(server: LocalServer, token_status: int = 200) -> None:
    token = (REDDIT / "access_token.json").read_bytes()
    json_type = {"Content-Type": "application/json"}
    server.route("/api/v1/access_token", Reply(token_status, token, json_type))
    for listing in ("new", "comments"):  # PRAW asks for /r/nordpay/comments/ (a slash)
        body = (REDDIT / f"nordpay_{listing}.json").read_bytes()
        server.route(f"/r/nordpay/{listing}", Reply(200, body, json_type))
        server.route(f"/r/nordpay/{listing}/", Reply(200, body, json_type))


def serve_zendesk(server: LocalServer, status: int = 200) -> None:
    page = (ZENDESK / "tickets_page_2.json").read_bytes()  # end_of_stream: true
    server.route(
        zendesk_module.EXPORT_PATH, Reply(status, page, {"Content-Type": "application/json"})
    )


def serve_feed_and_appstore(server: LocalServer) -> None:
    rss = (feeds_module.RECORDED_FOLDER / "news_de.xml").read_bytes()
    server.route(
        "/news.xml",
        Reply(200, rss, {"Content-Type": "application/rss+xml", "ETag": '"v1"'}),
    )
    store = appstore_module.RECORDED_FOLDER
    base = "/de/rss/customerreviews/page={}/id=1555000000/sortby=mostrecent/json"
    for page, file in ((1, "page1.json"), (2, "page2.json"), (3, "end.json")):
        body = (store / file).read_bytes()
        server.route(base.format(page), Reply(200, body, {"Content-Type": "text/javascript"}))


def serve_googleplay(server: LocalServer) -> None:
    reviews = [
        raw_review(f"gp:{n}", datetime(2026, 11, 20, n, tzinfo=UTC), score=1 + n % 5)
        for n in range(1, 7)
    ]
    server.route(REVIEWS_PATH, batchexecute(reviews))


def write_config(tmp_path, server: LocalServer) -> str:
    config = {
        "brands": [{"name": "Nordpay", "keywords": ["nordpay"]}],
        "allow_private_network": True,  # every service answers from this machine
        "sources": [
            {"name": "reddit", "type": "reddit", "subreddits": ["nordpay"], "search_brands": False},
            {
                "name": "news",
                "type": "rss",
                "url": f"{server.url}/news.xml",
                "keywords": ["Nordpay"],
            },
            {"name": "appstore-de", "type": "appstore", "app_id": "1555000000", "country": "de"},
            {"name": "play", "type": "googleplay", "app_id": "com.nordpay.app"},
        ],
        "ticket_sources": [{"name": "zendesk", "type": "zendesk", "base_url": server.url}],
    }
    path = tmp_path / "cxradar.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return str(path)


def ingest(db_url: str, config_path: str, server: LocalServer) -> dg.ExecuteInProcessResult:
    resources = {
        **source_resources(recorded=False),
        "db": DatabaseResource(url=db_url),
        "cx_config": ConfigResource(path=config_path),
        "reddit": RedditResource(
            client_id="cxradar-test",
            client_secret=SECRET,
            user_agent="cxradar-tests",
            oauth_url=server.url,
            reddit_url=server.url,
            retries=0,
        ),
        "zendesk": ZendeskResource(email="cx@example.com", api_token=SECRET, retries=0),
        "feeds": FeedsResource(retries=0),
        "appstore": AppStoreResource(base_url=server.url, retries=0),
        "googleplay": GooglePlayResource(base_url=server.url),
    }
    return dg.materialize(
        [raw_mentions, reddit_mentions, support_tickets],
        resources=resources,
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def metadata(result, asset) -> dict:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == asset.key]
    return {key: value.value for key, value in event.materialization.metadata.items()}


def stored(db_url: str) -> tuple[int, int]:
    with session_scope(db_url) as session:
        return (
            session.scalar(select(func.count(Mention.id))),
            session.scalar(select(func.count(Ticket.id))),
        )


def test_sources_ingest_over_http_and_a_second_run_adds_nothing(db_url, tmp_path, server):
    serve_reddit(server)
    serve_zendesk(server)
    serve_feed_and_appstore(server)
    serve_googleplay(server)
    config_path = write_config(tmp_path, server)

    first = ingest(db_url, config_path, server)
    assert first.success
    mentions, tickets = stored(db_url)
    assert mentions >= 8 and tickets >= 4
    per_source = metadata(first, raw_mentions)["per_source"]
    assert per_source["news"]["new"] >= 4 and per_source["appstore-de"]["new"] >= 6
    assert per_source["play"]["new"] == 6
    assert (
        metadata(first, reddit_mentions)["new"] + metadata(first, raw_mentions)["new"] == mentions
    )
    assert metadata(first, support_tickets)["per_source"]["zendesk"]["new"] == tickets
    with session_scope(db_url) as session:
        kinds = dict(session.execute(select(Source.name, Source.connector)).all())
        urls = session.scalars(select(Mention.url)).all()
    assert kinds == {
        "reddit": "reddit",
        "zendesk": "zendesk",
        "news": "rss",
        "appstore-de": "appstore",
        "play": "googleplay",
    }
    assert sum(url.startswith("https://www.reddit.com/r/") for url in urls) >= 5

    second = ingest(db_url, config_path, server)
    assert second.success and stored(db_url) == (mentions, tickets)
    assert metadata(second, reddit_mentions)["new"] == 0
    assert metadata(second, raw_mentions)["new"] == 0
    # The feed was asked conditionally the second time.
    assert server.hits("/news.xml")[-1].headers.get("If-None-Match") == '"v1"'
    assert metadata(second, support_tickets)["new"] == 0
    # The stored cursor was sent back: Zendesk was asked to continue, not to start over.
    assert "cursor" in server.hits(zendesk_module.EXPORT_PATH)[-1].query


def test_a_failing_source_is_reported_and_the_others_are_stored(db_url, tmp_path, server):
    serve_reddit(server, token_status=401)  # wrong Reddit credentials
    serve_zendesk(server)
    serve_feed_and_appstore(server)
    serve_googleplay(server)
    server.route(
        "/news.xml", Reply(200, "<html>a login page</html>", {"Content-Type": "text/html"})
    )
    config_path = write_config(tmp_path, server)

    result = ingest(db_url, config_path, server)
    assert result.success  # one broken source never fails the others
    reddit = metadata(result, reddit_mentions)
    assert reddit["failed_sources"] == "reddit"
    assert "REDDIT_CLIENT_SECRET" in reddit["per_source"]["reddit"]["failure"]
    assert SECRET not in str(reddit)
    assert stored(db_url)[1] >= 4  # Zendesk's tickets are in
    mentions = metadata(result, raw_mentions)
    assert mentions["failed_sources"] == "news"  # a login page instead of a feed
    assert mentions["per_source"]["appstore-de"]["new"] >= 6

    serve_zendesk(server, status=500)  # Zendesk down now: the stored tickets stay
    before = stored(db_url)
    again = ingest(db_url, config_path, server)
    assert metadata(again, support_tickets)["failed_sources"] == "zendesk"
    assert stored(db_url) == before


def test_a_bad_item_is_recorded_and_its_neighbours_stored(db_url, tmp_path, server):
    serve_reddit(server)
    serve_feed_and_appstore(server)
    serve_googleplay(server)
    page = yaml.safe_load((ZENDESK / "tickets_page_2.json").read_text(encoding="utf-8"))
    page["tickets"][0]["created_at"] = "not a date"
    server.route(zendesk_module.EXPORT_PATH, Reply(200, page))
    result = ingest(db_url, write_config(tmp_path, server), server)
    assert result.success
    with session_scope(db_url) as session:
        errors = session.scalars(select(IngestError.source_name)).all()
    assert errors == ["zendesk"]
    assert stored(db_url)[1] >= 3


def test_recorded_sources_run_the_real_mapping_offline(sqlite_url, tmp_path):
    config = {
        "brands": [{"name": "Nordpay", "keywords": ["nordpay"]}],
        "sources": [
            {"name": "news", "type": "rss", "url": "https://news.example/rss"},
            {"name": "ios", "type": "appstore", "app_id": "1"},
            {"name": "play", "type": "googleplay", "app_id": "com.nordpay"},
            {"name": "reddit", "type": "reddit", "subreddits": ["nordpay"]},
        ],
        "ticket_sources": [{"name": "zendesk", "type": "zendesk", "subdomain": "nordpay"}],
    }
    path = tmp_path / "cxradar.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    result = dg.materialize(
        [raw_mentions, reddit_mentions, support_tickets],
        resources={
            **source_resources(recorded=True),
            "db": DatabaseResource(url=sqlite_url),
            "cx_config": ConfigResource(path=str(path)),
        },
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    with session_scope(sqlite_url) as session:
        per_source = dict(
            session.execute(
                select(Source.name, func.count(Mention.id)).join(Mention).group_by(Source.name)
            ).all()
        )
    assert set(per_source) == {"news", "ios", "play", "reddit"}
    assert all(count >= 4 for count in per_source.values())
    assert stored(sqlite_url)[1] >= 5
