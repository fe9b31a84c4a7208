"""raw_mentions with the Bluesky, Mastodon, Hacker News, YouTube and Trustpilot sources.

The live resources talk to a local server that answers with the recorded
documents (the services' real shapes), configured through the config file and
the resources' URLs: on SQLite and PostgreSQL, twice, nothing stored twice.
"""

from __future__ import annotations

import dagster as dg
import yaml
from sqlalchemy import func, select

from connectors import bluesky, hackernews, mastodon, trustpilot, youtube
from cxradar.db import session_scope
from cxradar.schema import Mention, Source
from pipelines.ingest import raw_mentions
from pipelines.resources import ConfigResource, DatabaseResource
from pipelines.sources import (
    BlueskyResource,
    HackerNewsResource,
    MastodonResource,
    TrustpilotResource,
    YouTubeResource,
    source_resources,
)
from tests.connectors.conftest import LocalServer, Reply

SECRET = "social-secret-do-not-print"
NEW_SOURCES = {"bsky", "fedi", "hn", "yt", "tp"}


def serve(server: LocalServer) -> None:
    def recorded(folder, name: str) -> Reply:
        return Reply(200, (folder / name).read_bytes(), {"Content-Type": "application/json"})

    server.route(bluesky.LOGIN, recorded(bluesky.RECORDED_FOLDER, "session.json"))
    server.route(bluesky.SEARCH, recorded(bluesky.RECORDED_FOLDER, "search_nordpay.json"))
    server.route(
        "/api/v1/timelines/tag/nordpay",
        recorded(mastodon.RECORDED_FOLDER, "tag_nordpay.json"),
        Reply(200, []),
    )
    server.route(hackernews.SEARCH, recorded(hackernews.RECORDED_FOLDER, "search_nordpay.json"))
    server.route(
        f"{youtube.API}/commentThreads", recorded(youtube.RECORDED_FOLDER, "comment_threads.json")
    )
    server.route(f"{youtube.API}/comments", recorded(youtube.RECORDED_FOLDER, "replies.json"))
    server.route(trustpilot.FIND, recorded(trustpilot.RECORDED_FOLDER, "find.json"))
    server.route(
        "/v1/business-units/64f1c0ffee0000d3m0n0rdp4/reviews",
        recorded(trustpilot.RECORDED_FOLDER, "reviews.json"),
    )


def write_config(tmp_path, server: LocalServer) -> str:
    config = {
        "brands": [{"name": "Nordpay", "keywords": ["nordpay"]}],
        "allow_private_network": True,  # every service answers from this machine
        "sources": [
            {"name": "bsky", "type": "bluesky", "service_url": server.url, "lookback_days": 365},
            {
                "name": "fedi",
                "type": "mastodon",
                "instance": server.url,
                "hashtags": ["nordpay"],
                "brand": "Nordpay",
                "lookback_days": 365,
            },
            {"name": "hn", "type": "hackernews", "lookback_days": 365},
            {"name": "yt", "type": "youtube", "video_ids": ["nPdemo2026x"], "lookback_days": 365},
            {"name": "tp", "type": "trustpilot", "domain": "nordpay.example", "lookback_days": 365},
        ],
    }
    path = tmp_path / "cxradar.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return str(path)


def ingest(db_url: str, config_path: str, server: LocalServer, **overrides):
    http = {"retries": 0}
    resources = {
        **source_resources(recorded=False),
        "db": DatabaseResource(url=db_url),
        "cx_config": ConfigResource(path=config_path),
        "bluesky": BlueskyResource(handle="cx.bsky.social", app_password=SECRET, **http),
        "mastodon": MastodonResource(**http),
        "hackernews": HackerNewsResource(base_url=server.url, **http),
        "youtube": YouTubeResource(api_key=SECRET, base_url=server.url, **http),
        "trustpilot": TrustpilotResource(api_key=SECRET, base_url=server.url, **http),
        **overrides,
    }
    return dg.materialize(
        [raw_mentions],
        resources=resources,
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def per_source(result) -> dict:
    [event] = result.get_asset_materialization_events()
    return event.materialization.metadata["per_source"].value


def stored(db_url: str) -> dict[str, int]:
    with session_scope(db_url) as session:
        return dict(
            session.execute(
                select(Source.name, func.count(Mention.id)).join(Mention).group_by(Source.name)
            ).all()
        )


def test_every_new_source_is_ingested_over_http_and_a_second_run_adds_nothing(
    db_url, tmp_path, server
):
    serve(server)
    config_path = write_config(tmp_path, server)
    first = ingest(db_url, config_path, server)
    assert first.success
    counts = stored(db_url)
    assert counts == {"bsky": 6, "fedi": 6, "hn": 4, "yt": 6, "tp": 5}
    assert {name: stats["new"] for name, stats in per_source(first).items()} == counts
    with session_scope(db_url) as session:
        connectors = dict(session.execute(select(Source.name, Source.connector)).all())
        reshares = session.scalars(select(Mention.extra).where(Mention.kind == "reshare")).all()
        replies = {
            external_id: extra["replied"]
            for external_id, extra in session.execute(
                select(Mention.external_id, Mention.extra).where(Mention.rating.is_not(None))
            )
        }
    assert connectors == {
        "bsky": "bluesky",
        "fedi": "mastodon",
        "hn": "hackernews",
        "yt": "youtube",
        "tp": "trustpilot",
    }
    # A Bluesky quote, a Mastodon boost and a Mastodon quote, each naming what it re-shares.
    assert len(reshares) == 3 and all(extra["reshare_of"] for extra in reshares)
    assert len(replies) == 5 and sum(replies.values()) == 1  # Trustpilot's reply status

    second = ingest(db_url, config_path, server)
    assert second.success and stored(db_url) == counts
    assert all(stats["new"] == 0 for stats in per_source(second).values())
    assert server.hits(bluesky.SEARCH)[-1].query.get("since")  # the stored watermark was used


def test_a_source_with_refused_credentials_fails_alone_and_keeps_its_secret(
    sqlite_url, tmp_path, server
):
    serve(server)
    server.route(trustpilot.FIND, Reply(403, {"message": "Forbidden"}))
    result = ingest(sqlite_url, write_config(tmp_path, server), server)
    assert result.success
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["failed_sources"].value == "tp"
    assert "TRUSTPILOT_API_KEY" in per_source(result)["tp"]["failure"]
    assert SECRET not in str({key: value.value for key, value in metadata.items()})
    assert set(stored(sqlite_url)) == NEW_SOURCES - {"tp"}


def test_recorded_resources_run_the_new_sources_offline(sqlite_url, tmp_path):
    config = {
        "brands": [{"name": "Nordpay", "keywords": ["nordpay"]}],
        "sources": [
            {"name": "bsky", "type": "bluesky"},
            {
                "name": "fedi",
                "type": "mastodon",
                "instance": "https://x.example",
                "hashtags": ["x"],
            },
            {"name": "hn", "type": "hackernews"},
            {"name": "yt", "type": "youtube", "channel_ids": ["UC" + "a" * 22]},
            {"name": "tp", "type": "trustpilot", "business_unit_id": "abc"},
        ],
    }
    path = tmp_path / "cxradar.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    result = dg.materialize(
        [raw_mentions],
        resources={
            **source_resources(recorded=True),
            "db": DatabaseResource(url=sqlite_url),
            "cx_config": ConfigResource(path=str(path)),
        },
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    assert stored(sqlite_url) == {"bsky": 6, "fedi": 7, "hn": 4, "yt": 6, "tp": 5}
