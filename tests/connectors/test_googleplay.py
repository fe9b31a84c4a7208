import json
import ssl
import threading
import time
from datetime import UTC, datetime
from urllib.parse import unquote

import pytest
from google_play_scraper.utils import request as library_request

from connectors.base import SourceError
from connectors.googleplay import REVIEWS_PATH, GooglePlayConnector, recorded_googleplay
from tests.connectors.conftest import Reply

APP = "com.nordpay.app"


def raw_review(rid: str, when: datetime, score=2, text="Transfer stuck", thumbs=3, version="4.2.0"):
    """One review as Play's batchexecute answer carries it (the indexes the library reads)."""
    return [
        rid,
        ["Jonas W.", [None, 2, None, [None, None, "https://play-lh.googleusercontent.com/a/x"]]],
        score,
        None,
        text,
        [int(when.timestamp()), 500000000],
        thumbs,
        [None, "Thanks, we are on it.", [int(when.timestamp()) + 60, 0]],
        None,
        None,
        version,
        None,
    ]


def batchexecute(items: list, token: str | None = None) -> Reply:
    """The body of Play's ``oCPfdb`` batchexecute answer (no ``rt=c`` chunking).

    The review payload is a JSON string inside the envelope; the next page token
    sits where google-play-scraper reads it (``payload[-2][-1]``).
    """
    payload = [items, [None, token] if token else None, None]
    envelope = [
        ["wrb.fr", "oCPfdb", json.dumps(payload), None, None, None, "generic"],
        ["di", 54],
        ["af.httprm", 53, "-3189570001209357093", 13],
    ]
    body = ")]}'\n\n" + json.dumps(envelope)
    return Reply(200, body, {"Content-Type": "application/json; charset=utf-8"})


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, 0, 0, tzinfo=UTC)


def connector(server, **kwargs) -> tuple[GooglePlayConnector, list[float]]:
    waits: list[float] = []
    kwargs.setdefault("backoff", 2.0)
    play = GooglePlayConnector(APP, base_url=server.url, sleep=waits.append, timeout=10, **kwargs)
    return play, waits


def sent_form(request) -> str:
    return unquote(request.body.decode())


@pytest.fixture
def berlin_clock(monkeypatch):
    """Run with a non-UTC local zone: the library's naive local times must not leak through."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_reviews_map_from_plays_answer_with_utc_times(server, berlin_clock):
    server.route(REVIEWS_PATH, batchexecute([raw_review("gp:r1", at(22, 9), score=1)]))
    play, _ = connector(server, brand="Nordpay", lang="de", country="de")
    result = play.fetch(None)
    [record] = result.records
    assert record.external_id == "gp:r1" and record.source == "googleplay"
    assert record.kind == "review" and record.rating == 1 and record.brand == "Nordpay"
    assert record.text == "Transfer stuck" and record.author == "Jonas W."
    assert record.created_at == at(22, 9)
    assert record.reach == 3
    assert record.extra == {"version": "4.2.0", "country": "de", "requested_lang": "de"}
    assert record.url == f"https://play.google.com/store/apps/details?id={APP}&reviewId=gp:r1"
    [request] = server.hits(REVIEWS_PATH)
    assert request.method == "POST" and request.query == {"hl": "de", "gl": "de"}
    assert '[\\"com.nordpay.app\\",7]' in sent_form(request)


def test_pages_follow_the_continuation_token(server):
    server.route(
        REVIEWS_PATH,
        batchexecute([raw_review("r3", at(23)), raw_review("r2", at(22))], token="tok-1"),
        batchexecute([raw_review("r1", at(21))]),
    )
    play, _ = connector(server, batch=2)
    result = play.fetch(None)
    assert [r.external_id for r in result.records] == ["r3", "r2", "r1"]
    first, second = server.hits(REVIEWS_PATH)
    assert "tok-1" not in sent_form(first) and "tok-1" in sent_form(second)
    assert "[2,2,[2," in sent_form(second)  # sort NEWEST, batch of 2
    assert result.requests == 2


def test_max_reviews_caps_a_fetch(server):
    page = [raw_review(f"r{i}", at(20, i)) for i in range(9, 5, -1)]
    server.route(REVIEWS_PATH, batchexecute(page[:2], token="a"), batchexecute(page[2:], token="b"))
    play, _ = connector(server, batch=2, max_reviews=3)
    assert [r.external_id for r in play.fetch(None).records] == ["r9", "r8", "r7"]
    assert "[2,2,[1," in sent_form(server.hits(REVIEWS_PATH)[1])  # asks only for what is left


def test_repeated_reviews_count_once_and_a_looping_token_ends(server):
    r9, r8, r7 = (raw_review(f"r{i}", at(20, i)) for i in (9, 8, 7))
    server.route(
        REVIEWS_PATH,
        batchexecute([r9, r8], token="a"),
        batchexecute([r8, r7], token="b"),
        batchexecute([r7], token="b"),
    )
    play, _ = connector(server, batch=2)
    result = play.fetch(None)
    assert [r.external_id for r in result.records] == ["r9", "r8", "r7"]
    assert result.requests == 3 and "stopped paging" in result.notes[0]


def test_second_fetch_stops_at_the_cursor(server):
    old = [raw_review("r2", at(22)), raw_review("r1", at(21))]
    server.route(
        REVIEWS_PATH,
        batchexecute(old, token="t"),
        batchexecute([]),
        batchexecute(old, token="t"),
        batchexecute([raw_review("r3", at(23)), *old], token="t"),
    )
    play, _ = connector(server)
    first = play.fetch(None)
    unchanged = play.fetch(first.cursor)
    newer = play.fetch(unchanged.cursor)
    assert [r.external_id for r in first.records] == ["r2", "r1"]
    assert unchanged.records == [] and unchanged.requests == 1
    assert [r.external_id for r in newer.records] == ["r3"] and newer.requests == 1


def test_5xx_is_retried_with_backoff_then_succeeds(server):
    # The library itself tries 3 times without waiting; we back off between its rounds.
    server.route(
        REVIEWS_PATH, Reply(503), Reply(503), Reply(503), batchexecute([raw_review("r1", at(21))])
    )
    play, waits = connector(server)
    result = play.fetch(None)
    assert [r.external_id for r in result.records] == ["r1"]
    assert waits == [2.0] and result.requests == 2


def test_429_is_retried_and_persistent_failure_is_a_clear_source_error(server):
    server.route(REVIEWS_PATH, Reply(429))
    play, waits = connector(server, max_retries=2, backoff=1.5)
    with pytest.raises(SourceError) as raised:
        play.fetch(None)
    assert waits == [1.5, 3.0]
    assert str(raised.value) == (
        f"Google Play reviews of {APP} (en-us): HTTP 429 from Google Play, still failing after "
        "3 tries; the next scheduled run will try again"
    )


def test_plays_rate_limit_answer_is_retried(server, monkeypatch):
    monkeypatch.setattr(library_request, "RATE_LIMIT_DELAY", 0)  # the library's own pause
    limited = Reply(
        200,
        ')]}\'\n\n[["er",null,null,null,null,429,"generic",null,null,null,'
        'null,null,"com.google.play.gateway.proto.PlayGatewayError"]]',
    )
    server.route(REVIEWS_PATH, limited, limited, limited, batchexecute([raw_review("r1", at(2))]))
    play, waits = connector(server)
    assert len(play.fetch(None).records) == 1
    assert waits == [2.0]


def test_unknown_app_is_reported_without_retrying(server):
    server.route(REVIEWS_PATH, Reply(404, "Not Found"))
    play, waits = connector(server)
    with pytest.raises(SourceError, match="app not found .*check the app id"):
        play.fetch(None)
    assert waits == []


def test_an_unreadable_answer_says_to_upgrade_the_library(server):
    sorry = Reply(200, "<html>We're sorry...</html>", {"Content-Type": "text/html"})
    server.route(REVIEWS_PATH, sorry)
    play, waits = connector(server)
    with pytest.raises(SourceError, match="cannot read .*upgrade google-play-scraper"):
        play.fetch(None)
    assert waits == []


def test_a_review_without_a_valid_score_is_a_row_error(server):
    server.route(
        REVIEWS_PATH, batchexecute([raw_review("r2", at(22), score=None), raw_review("r1", at(21))])
    )
    play, _ = connector(server)
    result = play.fetch(None)
    assert [r.external_id for r in result.records] == ["r1"]
    assert result.errors[0].line == 1 and "rating None" in result.errors[0].reason


def test_a_hung_connection_costs_one_timeout_not_the_run():
    release = threading.Event()

    def hanging_page(url, app_id, count, token):
        release.wait(5)
        return [], None

    play = GooglePlayConnector(APP, fetch_page=hanging_page, timeout=0.05, max_retries=0)
    try:
        with pytest.raises(SourceError, match="no answer"):
            play.fetch(None)
    finally:
        release.set()


def test_importing_the_connector_keeps_tls_certificates_checked():
    assert ssl._create_default_https_context is ssl.create_default_context


def test_recorded_googleplay_returns_nordpay_reviews():
    play = recorded_googleplay()
    result = play.fetch(None)
    assert 5 <= len(result.records) <= 15 and result.errors == []
    assert all(1 <= r.rating <= 5 and r.created_at.tzinfo is UTC for r in result.records)
    assert any("Überweisung" in r.text for r in result.records)
    assert play.fetch(result.cursor).records == []
