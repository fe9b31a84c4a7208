import unicodedata
from datetime import UTC, datetime

import pytest

from connectors.base import SourceError
from connectors.feeds import FeedConnector, KeywordFilter, html_to_text, recorded_feeds
from connectors.http import HttpClient
from tests.connectors.conftest import Reply

RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}
ATOM_TYPE = {"Content-Type": "application/atom+xml; charset=utf-8"}


def rss(*items: str, language: str = "de-DE") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>Suche: Nordpay</title><link>https://news.example/</link>"
        f"<language>{language}</language>{''.join(items)}</channel></rss>"
    )


def item(
    guid: str | None,
    title: str,
    description: str,
    date="Mon, 23 Nov 2026 08:30:00 +0100",
    link: str | None = "https://news.example/a",
    extra: str = "",
) -> str:
    parts = [f"<title>{title}</title>", f"<description><![CDATA[{description}]]></description>"]
    if guid:
        parts.append(f'<guid isPermaLink="false">{guid}</guid>')
    if link:
        parts.append(f"<link>{link}</link>")
    if date:
        parts.append(f"<pubDate>{date}</pubDate>")
    return f"<item>{''.join(parts)}{extra}</item>"


ATOM = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <id>https://social.example/tags/nordpay</id><title>#nordpay</title>
  <updated>2026-11-23T10:15:00Z</updated>
  <entry>
    <id>https://social.example/users/lena/statuses/1</id>
    <published>2026-11-23T10:15:00+02:00</published><updated>2026-11-23T10:15:00Z</updated>
    <author><name>lena</name></author>
    <link rel="alternate" type="text/html" href="https://social.example/@lena/1"/>
    <content type="html">&lt;p&gt;My &lt;a href="https://social.example/tags/nordpay"&gt;#Nordpay&lt;/a&gt;
      transfer is stuck &amp;amp; support is silent.&lt;/p&gt;&lt;p&gt;Day 3.&lt;/p&gt;</content>
  </entry>
</feed>"""


def connector(server, path="/feed", **kwargs) -> tuple[FeedConnector, list[float]]:
    waits: list[float] = []
    http = HttpClient(sleep=waits.append, timeout=2, allow_private_network=True)
    kwargs.setdefault("source", "news")
    return FeedConnector(server.url + path, http=http, **kwargs), waits


def test_rss_entries_map_to_articles_with_plain_text(server):
    body = rss(
        item(
            "n-1",
            "Nordpay: St&#246;rung bei &#220;berweisungen",
            "<p>Kunden melden &quot;hängende&quot; Überweisungen.</p><p>Nordpay prüft.</p>",
            extra="<dc:creator>Redaktion</dc:creator>",
        )
    )
    server.route("/feed", Reply(200, body, RSS_TYPE))
    feed, _ = connector(server, brand="Nordpay")
    result = feed.fetch(None)
    [record] = result.records
    assert record.external_id == "n-1"
    assert record.kind == "article" and record.source == "news" and record.brand == "Nordpay"
    assert record.title == "Nordpay: Störung bei Überweisungen"
    assert record.text == 'Kunden melden "hängende" Überweisungen.\nNordpay prüft.'
    assert record.created_at == datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
    assert record.lang == "de" and record.author == "Redaktion"
    assert record.url == "https://news.example/a"
    assert result.errors == [] and result.requests == 1


def test_atom_entries_without_title_map_like_mastodon_posts(server):
    server.route("/tags/nordpay.atom", Reply(200, ATOM, ATOM_TYPE))
    feed, _ = connector(server, "/tags/nordpay.atom", source="mastodon")
    [record] = feed.fetch(None).records
    assert record.title is None
    assert record.text == "My #Nordpay transfer is stuck & support is silent.\nDay 3."
    assert record.author == "lena" and record.lang == "en"
    assert record.created_at == datetime(2026, 11, 23, 8, 15, tzinfo=UTC)
    assert record.external_id == "https://social.example/users/lena/statuses/1"
    assert record.url == "https://social.example/@lena/1"


def test_second_fetch_is_conditional_and_304_returns_nothing(server):
    headers = {**RSS_TYPE, "ETag": '"v1"', "Last-Modified": "Mon, 23 Nov 2026 09:00:00 GMT"}
    server.route("/feed", Reply(200, rss(item("n-1", "Nordpay", "Text")), headers), Reply(304))
    feed, _ = connector(server)
    first = feed.fetch(None)
    second = feed.fetch(first.cursor)
    sent = server.hits("/feed")[1].headers
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Mon, 23 Nov 2026 09:00:00 GMT"
    assert "If-None-Match" not in server.hits("/feed")[0].headers
    assert second.records == [] and second.notes == ["not modified"]
    assert second.cursor == first.cursor


def test_a_server_ignoring_conditional_get_still_returns_only_new_entries(server):
    old = item("n-1", "Nordpay alt", "alt")
    new = item("n-2", "Nordpay neu", "neu", link="https://news.example/b")
    server.route(
        "/feed",
        Reply(200, rss(old), RSS_TYPE),
        Reply(200, rss(old), RSS_TYPE),
        Reply(200, rss(new, old), RSS_TYPE),
    )
    feed, _ = connector(server)
    first = feed.fetch(None)
    second = feed.fetch(first.cursor)
    third = feed.fetch(second.cursor)
    assert [r.external_id for r in first.records] == ["n-1"]
    assert second.records == []
    assert [r.external_id for r in third.records] == ["n-2"]


def test_scripts_styles_and_tags_never_reach_the_text():
    html = (
        "<style>p{color:red}</style><p>Hallo&nbsp;Welt &amp; Co.</p>"
        "<script>alert('x')</script><div>Zweiter&#160;Absatz<br>neue Zeile</div>"
        "<!-- comment --><img src=x onerror=alert(1)>Ende"
    )
    text = html_to_text(html)
    assert text == "Hallo Welt & Co.\nZweiter Absatz\nneue Zeile\nEnde"
    assert "<" not in text and "alert" not in text and "color" not in text


def test_script_inside_a_feed_entry_is_dropped(server):
    description = "<p>Nordpay erhöht Gebühren.</p><script>track('x')</script><b>Mehr</b>"
    server.route("/feed", Reply(200, rss(item("n-1", "Nordpay", description)), RSS_TYPE))
    feed, _ = connector(server)
    [record] = feed.fetch(None).records
    assert record.text == "Nordpay erhöht Gebühren.\nMehr"


def test_malformed_feed_keeps_the_good_entries_and_names_the_feed(server):
    good = rss(item("n-1", "Nordpay eins", "gut"), item("n-2", "Nordpay zwei", "auch gut"))
    broken = good.replace("</channel>", "<item><title>kaputt & offen</title></channel>")
    server.route("/feed", Reply(200, broken, RSS_TYPE))
    feed, _ = connector(server, path="/feed")
    feed.url += "?q=nordpay&key=s3cret"
    result = feed.fetch(None)
    assert {"n-1", "n-2"} <= {r.external_id for r in result.records}
    assert result.errors and result.errors[0].file == server.url + "/feed"
    assert "malformed feed" in result.errors[0].reason
    assert "s3cret" not in str(result.errors[0]) and "malformed" in result.notes[0]


def test_a_web_page_instead_of_a_feed_is_a_source_error_naming_the_feed(server):
    server.route(
        "/feed",
        Reply(200, "<html><body><h1>Login</h1></body></html>", {"Content-Type": "text/html"}),
    )
    feed, _ = connector(server)
    feed.url += "?token=s3cret"
    with pytest.raises(SourceError) as raised:
        feed.fetch(None)
    assert f"{server.url}/feed: not a readable RSS or Atom feed" in str(raised.value)
    assert "s3cret" not in str(raised.value)


def test_keyword_filter_keeps_only_matching_entries_including_umlauts(server):
    body = rss(
        item("n-1", "ÜBERWEISUNG hängt", "bei der Bank", link="https://n.example/1"),
        item("n-2", "Nordpaymentsystem", "kein Treffer", link="https://n.example/2"),
        item(
            "n-3", "Bäckerei", "mit Überweisungen hat das nichts zu tun", link="https://n.example/3"
        ),
        item("n-4", "Meldung", "Die Nordpay-App ist down", link="https://n.example/4"),
    )
    server.route("/feed", Reply(200, body, RSS_TYPE))
    feed, _ = connector(server, keywords=["Überweisung", "nordpay"])
    assert [r.external_id for r in feed.fetch(None).records] == ["n-1", "n-4"]


def test_keyword_filter_is_unicode_aware():
    decomposed = unicodedata.normalize("NFD", "Die Überweisung ist weg")
    assert KeywordFilter(["überweisung"]).matches(decomposed)
    assert KeywordFilter(["Überweisung*"]).matches("viele Überweisungen")
    assert not KeywordFilter(["Überweisung"]).matches("Auslandsüberweisung")
    assert not KeywordFilter(["pay"]).matches("Nordpay")
    assert KeywordFilter([]).matches("anything")


def test_ids_fall_back_to_link_then_a_stable_hash(server):
    body = rss(
        item(None, "Nordpay A", "a", link="https://n.example/a"),
        item(None, "Nordpay B", "b", link=None),
    )
    server.route("/feed", Reply(200, body, RSS_TYPE))
    feed, _ = connector(server)
    first = [r.external_id for r in feed.fetch(None).records]
    again = [r.external_id for r in feed.fetch(None).records]
    assert first[0] == "https://n.example/a"
    assert first[1].startswith("sha1:") and first == again


def test_an_entry_without_a_date_gets_the_fetch_time(server):
    server.route("/feed", Reply(200, rss(item("n-1", "Nordpay", "x", date=None)), RSS_TYPE))
    feed, _ = connector(server)
    before = datetime.now(UTC)
    [record] = feed.fetch(None).records
    assert before <= record.created_at <= datetime.now(UTC)


def test_an_empty_entry_is_a_row_error_and_the_others_are_kept(server):
    body = rss(item("n-1", "", "", link="https://n.example/1"), item("n-2", "Nordpay", "ok"))
    server.route("/feed", Reply(200, body, RSS_TYPE))
    feed, _ = connector(server)
    result = feed.fetch(None)
    assert [r.external_id for r in result.records] == ["n-2"]
    assert result.errors[0].line == 1 and "neither a title nor any text" in result.errors[0].reason


def test_429_waits_as_asked_and_500_is_retried(server):
    body = rss(item("n-1", "Nordpay", "x"))
    server.route(
        "/feed", Reply(429, headers={"Retry-After": "7"}), Reply(500), Reply(200, body, RSS_TYPE)
    )
    feed, waits = connector(server)
    result = feed.fetch(None)
    assert len(result.records) == 1
    assert waits == [7.0, 2.0] and result.requests == 3


def test_a_feed_that_keeps_failing_is_a_source_error(server):
    server.route("/feed", Reply(503))
    feed, _ = connector(server)
    with pytest.raises(SourceError, match="HTTP 503 after 5 tries"):
        feed.fetch(None)


def test_a_garbled_cursor_starts_over_instead_of_failing(server):
    server.route("/feed", Reply(200, rss(item("n-1", "Nordpay", "x")), RSS_TYPE))
    feed, _ = connector(server)
    assert len(feed.fetch("not json").records) == 1


def test_recorded_feeds_return_german_and_english_nordpay_mentions():
    feeds = recorded_feeds()
    results = [feed.fetch(None) for feed in feeds]
    assert [feed.kind for feed in feeds] == ["rss", "rss"]
    assert all(5 <= len(r.records) <= 15 and not r.errors for r in results)
    assert {r.lang for result in results for r in result.records} == {"de", "en"}
    assert all(
        "nordpay" in (r.title or "").lower() + r.text.lower()
        for result in results
        for r in result.records
    )
    assert feeds[0].fetch(results[0].cursor).records == []
