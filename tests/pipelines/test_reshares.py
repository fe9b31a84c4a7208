"""Re-shares never count as more customers: a boosted complaint through the whole graph.

A Mastodon server (a local server speaking its REST shapes) has one complaint,
four boosts of it by other accounts within the hour and two quotes that repeat
it. Every re-share is stored (kind "reshare", with the original in ``extra``)
and lands in the complaint's issue, yet the issue has one customer; the boosts
are not taken for a bot burst that would hide the complaint, and the complaint
is not made a duplicate of a boost stored before it.
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
import pytest
import yaml
from sqlalchemy import select

from cxradar.db import session_scope
from cxradar.schema import Enrichment, Issue, Mention, Source
from pipelines.definitions import build_defs
from pipelines.resources import ConfigResource, DatabaseResource, OutboxNotifier
from tests.connectors.conftest import Reply
from tests.pipelines.small_corpus import START, write_corpus

pytestmark = pytest.mark.slow
COMPLAINT = (
    "<p>The Finora app crashes every time I open the travel insurance page, "
    "I lost my claim form twice and nobody answers. Furious. #finora</p>"
)


def status(n: int, account: str, when, **extra) -> dict:
    return {
        "id": str(113500000000000000 + n),
        "created_at": when.isoformat().replace("+00:00", "Z"),
        "in_reply_to_id": None,
        "spoiler_text": "",
        "language": "en",
        "uri": f"https://chaos.social/users/{account}/statuses/{n}",
        "url": f"https://chaos.social/@{account}/{n}",
        "reblogs_count": 0,
        "favourites_count": 0,
        "content": COMPLAINT,
        "reblog": None,
        "account": {"id": str(n), "username": account, "acct": f"{account}@chaos.social"},
        **extra,
    }


def boosted_complaint() -> list[dict]:
    posted = START + timedelta(days=5, hours=3)
    original = status(1, "ruth", posted, reblogs_count=4)
    boosts = [
        status(n, booster, posted + timedelta(minutes=10 * n), reblog=original, content="")
        for n, booster in enumerate(["kai", "lea", "ole", "pia"], start=2)
    ]
    quotes = [
        status(
            n,
            quoter,
            posted + timedelta(hours=n),
            content=f"<p>{words}</p>" + COMPLAINT,
            quote={"state": "accepted", "quoted_status": original},
        )
        for n, quoter, words in ((6, "uwe", "Same here!"), (7, "vera", "This."))
    ]
    return [*reversed(quotes), *reversed(boosts), original]  # newest first, as timelines are


def test_boosts_of_one_complaint_stay_one_customer(sqlite_url, tmp_path, server):
    config_path = write_corpus(tmp_path / "corpus")
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["sources"].append(
        {
            "name": "fedi",
            "type": "mastodon",
            "instance": server.url,
            "hashtags": ["finora"],
            "lookback_days": 3650,
            "allow_private_network": True,  # the fake server answers on this machine
        }
    )
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    server.route("/api/v1/timelines/tag/finora", Reply(200, boosted_complaint()), Reply(200, []))

    defs = build_defs(
        {
            "db": DatabaseResource(url=sqlite_url),
            "cx_config": ConfigResource(path=str(config_path)),
            "notifier": OutboxNotifier(path=str(tmp_path / "outbox.jsonl")),
        }
    )
    result = defs.resolve_job_def("cxradar_everything").execute_in_process(
        instance=dg.DagsterInstance.ephemeral()
    )
    assert result.success

    with session_scope(sqlite_url) as session:
        rows = session.execute(
            select(Mention.author, Mention.kind, Mention.noise, Mention.extra, Enrichment.issue_id)
            .join(Source, Source.id == Mention.source_id)
            .join(Enrichment, Enrichment.mention_id == Mention.id)
            .where(Source.name == "fedi")
        ).all()
        kinds = sorted(kind for _, kind, *_ in rows)
        assert kinds == ["post", *["reshare"] * 6]
        assert all(noise is None for _, _, noise, _, _ in rows)  # no bot burst
        assert all(
            extra["reshare_of"].endswith("/statuses/1")
            for _, kind, _, extra, _ in rows
            if kind == "reshare"
        )
        [issue_id] = {issue for *_, issue in rows}  # the boosts joined the complaint's issue
        issue = session.get(Issue, issue_id)
        assert issue.authors == 1 and issue.classification == "isolated"
