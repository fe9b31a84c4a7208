from datetime import UTC, datetime

from sqlalchemy import func, select

from cxradar.db import session_scope
from cxradar.records import MentionRecord, TicketRecord
from cxradar.schema import Mention, Ticket
from cxradar.store import content_hash, link_duplicates, store_mentions, store_tickets

WHEN = datetime(2026, 10, 5, 12, tzinfo=UTC)


def mention(source: str, external_id: str, text: str, **extra) -> MentionRecord:
    return MentionRecord(
        source=source, external_id=external_id, created_at=WHEN, text=text, **extra
    )


def test_storing_twice_stores_once(db_url):
    records = [mention("reddit", "a1", "Login geht nicht"), mention("reddit", "a2", "Great app")]
    with session_scope(db_url) as session:
        first = store_mentions(session, records, "file")
    with session_scope(db_url) as session:
        second = store_mentions(session, records, "file")
        stored = session.scalar(select(func.count(Mention.id)))
    assert (first.new, first.already_stored) == (2, 0)
    assert (second.new, second.already_stored) == (0, 2)
    assert stored == 2


def test_same_id_on_another_source_is_another_mention(db_url):
    with session_scope(db_url) as session:
        result = store_mentions(
            session, [mention("reddit", "1", "hello"), mention("appstore", "1", "hello")], "file"
        )
    assert result.new == 2


def test_timestamps_come_back_as_utc(db_url):
    with session_scope(db_url) as session:
        store_mentions(session, [mention("reddit", "t", "x", rating=2)], "file")
    with session_scope(db_url) as session:
        stored = session.scalar(select(Mention))
    assert stored.created_at == WHEN and stored.created_at.tzinfo is not None
    assert stored.kind == "post" and stored.rating == 2


def test_a_customers_cross_post_is_linked_to_their_first_copy(db_url):
    text = "Finora login broken since the update!! https://example.com/a"
    records = [
        mention("reddit", "r1", text, author="anna"),
        mention(
            "mastodon", "m1", "finora LOGIN broken since the update https://t.co/x", author="anna"
        ),
        mention("reddit", "r2", "Something else entirely", author="anna"),
    ]
    with session_scope(db_url) as session:
        store_mentions(session, records, "file")
        ids = list(session.scalars(select(Mention.id).order_by(Mention.id)))
        assert link_duplicates(session, ids) == 1
    with session_scope(db_url) as session:
        rows = dict(session.execute(select(Mention.external_id, Mention.duplicate_of)).all())
    assert rows["m1"] == ids[0] and rows["r1"] is None and rows["r2"] is None


def test_the_same_words_from_different_customers_are_different_customers(db_url):
    records = [
        mention("trustpilot", f"t{i}", "Paket kam beschädigt an", author=f"kunde{i}")
        for i in range(5)
    ]
    records += [  # no author, or a placeholder: each post its own customer
        mention("googleplay", "g1", "Paket kam beschädigt an", author="A Google User"),
        mention("googleplay", "g2", "Paket kam beschädigt an"),
        # ... but a retweet is the same complaint seen again
        mention("twitter", "rt", "Paket kam beschädigt an", author="kunde9", kind="reshare"),
    ]
    with session_scope(db_url) as session:
        store_mentions(session, records, "file")
        ids = list(session.scalars(select(Mention.id).order_by(Mention.id)))
        assert link_duplicates(session, ids) == 1
    with session_scope(db_url) as session:
        rows = dict(session.execute(select(Mention.external_id, Mention.duplicate_of)).all())
    assert rows.pop("rt") == ids[0]
    assert set(rows.values()) == {None}


def test_entities_are_decoded_and_typed_markup_kept_at_ingest(db_url):
    records = [
        mention("twitter", "1", "Checkout &amp; login both down since 3.1 &#8211; E42 <b>"),
        mention("rss", "2", "I &lt;3 this app & its 5 < 6 stars"),
    ]
    with session_scope(db_url) as session:
        store_mentions(session, records, "rss")
    with session_scope(db_url) as session:
        texts = dict(session.execute(select(Mention.external_id, Mention.text)).all())
    assert texts == {
        "1": "Checkout & login both down since 3.1 – E42 <b>",
        "2": "I <3 this app & its 5 < 6 stars",
    }


def test_a_boost_stored_before_its_post_never_makes_the_post_a_duplicate(db_url):
    text = "Finora declined my card at the bakery again, third time this week"
    records = [  # a timeline lists the newer boost first
        mention("mastodon", "boost", text, kind="reshare", extra={"reshare_of": "post"}),
        mention("mastodon", "post", text),
    ]
    with session_scope(db_url) as session:
        store_mentions(session, records, "mastodon")
        ids = list(session.scalars(select(Mention.id).order_by(Mention.id)))
        assert link_duplicates(session, ids) == 1
    with session_scope(db_url) as session:
        rows = {
            row[0]: row[1:]
            for row in session.execute(
                select(Mention.external_id, Mention.duplicate_of, Mention.id, Mention.extra)
            )
        }
    assert rows["post"][0] is None and rows["boost"][0] == rows["post"][1]
    assert rows["boost"][2] == {"reshare_of": "post"} and rows["post"][2] is None


def test_content_hash_ignores_case_links_and_punctuation():
    assert content_hash("App crashes!!! https://x.y/z") == content_hash("app   CRASHES")
    assert content_hash("App crashes") != content_hash("App works")


def test_tickets_are_idempotent_too(db_url):
    ticket = TicketRecord(
        source="support",
        external_id="T-1",
        created_at=WHEN,
        subject="Kein SMS-Code",
        body="Ich bekomme keinen Code",
        tags=("login", "2fa"),
    )
    for _ in range(2):
        with session_scope(db_url) as session:
            store_tickets(session, [ticket], "file")
    with session_scope(db_url) as session:
        stored = session.scalars(select(Ticket)).all()
    assert len(stored) == 1 and stored[0].tags == ["login", "2fa"]


def test_a_ticket_fetched_again_takes_its_new_status_and_tags(db_url):
    from dataclasses import replace

    ticket = TicketRecord(
        source="zendesk",
        external_id="35437",
        created_at=WHEN,
        subject="Doppelt abgebucht",
        body="Bitte erstatten",
        status="open",
        tags=("billing",),
    )
    with session_scope(db_url) as session:
        store_tickets(session, [ticket], "zendesk")
    solved = replace(ticket, status="solved", tags=("billing", "refunded"), body="edited")
    with session_scope(db_url) as session:
        result = store_tickets(session, [solved], "zendesk")
    assert result.new == 0
    with session_scope(db_url) as session:
        [stored] = session.scalars(select(Ticket)).all()
    assert stored.status == "solved" and stored.tags == ["billing", "refunded"]
    assert stored.body == "Bitte erstatten"  # encoded and linked as first stored
