"""An outage reaches chat within the hour, once, about its issue; re-runs send nothing.

The user's scenario: a new brand with about one negative post a day, then 30 negative
posts about one new error from 09:00. Real Dagster runs at the hourly schedule's
minutes, with the clock set by the run config, and a real local webhook (apprise json://).
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest
from sqlalchemy import func, select

from cxradar.db import session_scope
from cxradar.schema import Alert, Enrichment, Issue, Mention
from pipelines.definitions import build_defs
from pipelines.resources import ConfigResource, DatabaseResource, NotifierResource

pytestmark = pytest.mark.slow

DAY = datetime(2026, 11, 10, tzinfo=UTC)  # a Tuesday
OUTAGE = [DAY + timedelta(hours=9, minutes=12 * k) for k in range(30)]  # 09:00 ... 14:48
FORUM_POSTS = {3, 9, 15, 21, 27}  # the rest are 1-star reviews: negative whatever the words
PROBLEMS = [
    "error E42 when I open the app since the update",
    "E42 error on every login after updating, cannot see my balance",
    "since yesterday's update the app only shows error E42",
    "the new version crashes with code E42 at the login screen",
    "update broke it, E42 message and then it closes",
    "after the update I get E42 and cannot pay anything",
]
GRIPES = [
    "Nordlicht transfers take three days, far too slow",
    "The Nordlicht savings rate is lower than at my old bank",
    "Nordlicht charged me a fee abroad that nobody mentioned",
    "Customer service at Nordlicht never answers the chat",
]
HOSTILE = "@channel <!here> [click](http://evil.example) E42 again after the update!!"


@pytest.fixture
def webhook(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length", 0))
            received.append(json.loads(self.rfile.read(length) or b"{}"))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"json://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()


def history() -> list[dict]:
    """Four quiet weeks: one negative review a day, a happy forum post most days."""
    rows = []
    for days_ago in range(28, 0, -1):
        day = DAY - timedelta(days=days_ago)
        gripe = GRIPES[days_ago % len(GRIPES)]
        rows.append(
            review(
                f"h{days_ago}",
                day + timedelta(hours=8 + days_ago % 10),
                2,
                f"{gripe} (week {days_ago // 7}, day {days_ago % 7})",
            )
        )
        if days_ago % 3:
            rows.append(
                post(
                    f"p{days_ago}",
                    day + timedelta(hours=12),
                    f"fan-{days_ago}",
                    f"Nordlicht is my favourite bank app, budgeting tip #{days_ago}",
                )
            )
    return rows


def outage() -> list[dict]:
    rows = []
    for k, moment in enumerate(OUTAGE):
        text = HOSTILE if k == 4 else f"Nordlicht: {PROBLEMS[k % len(PROBLEMS)]} (#{k})"
        if k in FORUM_POSTS:
            rows.append(post(f"o{k}", moment, f"forum-user-{k}", f"Nordlicht app down: {text}"))
        else:
            rows.append(review(f"o{k}", moment, 1, text))
    return rows


def review(key: str, moment: datetime, rating: int, text: str) -> dict:
    return {
        "source": "appstore",
        "id": key,
        "created_at": moment.isoformat(),
        "author": f"reviewer-{key}",
        "rating": rating,
        "text": text,
        "brand": "Nordlicht",
    }


def post(key: str, moment: datetime, author: str, text: str) -> dict:
    return {
        "source": "forum",
        "id": key,
        "created_at": moment.isoformat(),
        "author": author,
        "text": text,
        "brand": "Nordlicht",
    }


def write_config(folder, webhook_url: str):
    folder.mkdir()
    config = folder / "cxradar.yaml"
    config.write_text(
        "sources:\n"
        "  - {name: appstore, type: file, path: reviews.jsonl}\n"
        "  - {name: forum, type: file, path: forum.jsonl}\n"
        "alerts:\n  dashboard_url: https://cx.example/radar\n"
        f"  channels:\n    - {{name: hook, url: '{webhook_url}'}}\n",
        encoding="utf-8",
    )
    return config


def arrive_until(folder, now: datetime) -> None:
    """The two source files as they stand at ``now``: every post made before it."""
    rows = [row for row in history() + outage() if row["created_at"] < now.isoformat()]
    for source, name in (("appstore", "reviews.jsonl"), ("forum", "forum.jsonl")):
        with (folder / name).open("w", encoding="utf-8") as handle:
            for row in rows:
                if row["source"] == source:
                    handle.write(json.dumps(row) + "\n")


def run_at(url: str, config, now: datetime) -> None:
    arrive_until(config.parent, now)
    defs = build_defs(
        {
            "db": DatabaseResource(url=url),
            "cx_config": ConfigResource(path=str(config)),
            "notifier": NotifierResource(retries=1, backoff_seconds=0.1),
        }
    )
    result = defs.resolve_job_def("cxradar_everything").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        run_config={"ops": {"negative_spike_alerts": {"config": {"now": now.isoformat()}}}},
    )
    assert result.success


def test_an_outage_reaches_chat_at_the_first_run_after_the_threshold_and_only_once(
    sqlite_url, tmp_path, webhook
):
    hook_url, received = webhook
    config = write_config(tmp_path / "corpus", hook_url)

    run_at(sqlite_url, config, DAY + timedelta(hours=9, minutes=5))  # the first outage post
    assert received == [], "below the minimum counts nothing may alert"

    # The fifth customer posts at 09:48: the issue trigger may fire at the 10:05 run, when
    # the issue is emerging or systemic by then (how the issues step labels six posts).
    run_at(sqlite_url, config, DAY + timedelta(hours=10, minutes=5))
    with session_scope(sqlite_url) as session:
        first = session.scalars(select(Alert).where(Alert.covered_by.is_(None))).all()
        trigger = [a for a in first if a.kind == "new_customers"]
        # Titles follow the issue's posts: the message names the issue as it stood then.
        named = {
            i.id: (i.title or i.label, i.classification) for i in session.scalars(select(Issue))
        }
    assert len(received) == len(trigger) <= 1, [m["title"] for m in received]
    # By 10:24 eight negative posts have arrived (expected by then: ~0.4): whatever the
    # issue's label, the next scheduled run, 11:05, has sent the one message.
    run_at(sqlite_url, config, DAY + timedelta(hours=11, minutes=5))
    assert len(received) == 1, [m["title"] for m in received]
    message = received[0]
    with session_scope(sqlite_url) as session:
        sent = session.scalars(select(Alert).where(Alert.delivered.is_(True))).one()
        issue = session.get(Issue, sent.issue_id)
        title, label, issue_id = issue.title or issue.label, issue.classification, issue.id
        if trigger:
            title, label = named[issue_id]
        covered = session.scalars(select(Alert).where(Alert.covered_by == sent.id)).all()
        scopes = {a.scope for a in [sent, *covered]}
        since = session.scalar(
            select(func.min(Mention.created_at))
            .join(Enrichment, Enrichment.mention_id == Mention.id)
            .where(Enrichment.issue_id == issue_id, Mention.created_at >= DAY)
        )
        assert {"brand:Nordlicht", "all", "source:appstore"} <= scopes
    assert message["type"] == "warning"
    assert message["title"].startswith(f"{title} ({label}): ")
    first_line = message["message"].splitlines()[0]
    assert first_line.startswith(f"**{title}** ({label}) · ")
    if not trigger:  # the volume spike carries it
        assert sent.scope == "brand:Nordlicht"
        assert "11 negative posts (expected ~0.4 by 11:05 UTC) in brand Nordlicht" in first_line
    assert f"- Since: {since:%d %b %Y %H:%M} UTC" in message["message"]  # the issue's first
    assert f"(https://cx.example/radar/issues?issue={issue_id})" in message["message"]
    quotes = [line for line in message["message"].splitlines() if line.startswith("> ")]
    assert len(quotes) == 3 and len(set(quotes)) == 3
    assert "@channel" not in message["message"] and "<!here>" not in message["message"]

    for hour in (12, 15):  # later runs the same day: the same episode, nothing new
        run_at(sqlite_url, config, DAY + timedelta(hours=hour, minutes=5))
    run_at(sqlite_url, config, DAY + timedelta(hours=15, minutes=5))  # a re-run
    assert len(received) == 1, [m["title"] for m in received]

    # The complete day confirms it; the next quiet day resolves it, in one message.
    run_at(sqlite_url, config, DAY + timedelta(days=1, minutes=5))
    assert len(received) == 1
    run_at(sqlite_url, config, DAY + timedelta(days=2, minutes=5))
    assert [m["type"] for m in received] == ["warning", "success"]
    with session_scope(sqlite_url) as session:  # named as the issue stands now (regrouped)
        issue = session.get(Issue, session.get(Alert, sent.id).issue_id)
        title, label = issue.title or issue.label, issue.classification
    assert received[1]["title"].startswith(f"Resolved: {title} ({label}): ")
    assert trigger or "): 30 negative posts (expected ~1)" in received[1]["title"]
