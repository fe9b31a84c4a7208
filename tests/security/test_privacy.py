"""Personal data: precise redaction (EN and DE, both directions), redaction before storage,
and ``cxradar forget`` leaving nothing of an author in any table."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from cxradar.cli import main
from cxradar.db import session_scope
from cxradar.erasure import forget_author
from cxradar.privacy import redact
from cxradar.records import MentionRecord, TicketRecord
from cxradar.schema import (
    Alert,
    Embedding,
    Enrichment,
    Issue,
    IssueLink,
    Mention,
    SentimentCorrection,
    Ticket,
)
from cxradar.store import store_mentions, store_tickets, vector_to_bytes
from tests.security.harness import database_text

REDACTED = [
    ("Schreib mir an max.mustermann@example.de bitte", "Schreib mir an [email] bitte"),
    ("mail me: john.doe+cx@mail.co.uk.", "mail me: [email]."),
    ("Meine IBAN ist DE89 3704 0044 0532 0130 00 danke", "Meine IBAN ist [iban] danke"),
    ("IBAN DE89370400440532013000", "IBAN [iban]"),
    ("GB29 NWBK 6016 1331 9268 19 is my account", "[iban] is my account"),
    ("card 4111 1111 1111 1111 charged twice", "card [card] charged twice"),
    ("Karte 4111-1111-1111-1111, Ablauf 12/27", "Karte [card], Ablauf 12/27"),
    ("amex 3782 822463 10005", "amex [card]"),
    ("Ruf mich an: 030 1234567", "Ruf mich an: [phone]"),
    ("Handy 0151 12345678", "Handy [phone]"),
    ("Tel.: 030/12345678", "Tel.: [phone]"),
    ("(030) 123 45 67 ab 9 Uhr", "[phone] ab 9 Uhr"),
    ("+49 (0)30 1234567", "[phone]"),
    ("0049 30 1234567", "[phone]"),
    ("Meine Nummer: +4915112345678", "Meine Nummer: [phone]"),
    ("call me on +44 20 7946 0958", "call me on [phone]"),
    ("call (555) 234-5678 please", "call [phone] please"),
    ("555-234-5678", "[phone]"),
    ("UK mobile 07700 900123", "UK mobile [phone]"),
    ("phone: 02079460958", "phone: [phone]"),
]
KEPT = [
    "Update 5.2.1 broke login",
    "Version 10.0.19045.3693 of Windows",
    "am 18.10.2026 um 12:30 Uhr",
    "on 2026-10-18 at 10:00",
    "since 10/18/2026",
    "1.234,56 € abgebucht",
    "$1,234.56 charged twice",
    "Bestellnummer 100234567",
    "Auftragsnummer 0012345678",
    "Order #112-3456789-1234567",
    "Order 4000123412341235",
    "ticket 4111 1111 1111 1112 (not Luhn)",
    "Kontonummer DE89 3704 0044 0532 0130 01 (wrong checksum)",
    "12 345 678 Kunden",
    "Transaktion 2026-10-18T10:00:00+02:00",
    "IP 192.168.100.123",
    "Zeitraum 2019-2024",
    "@finora why is this broken",
    "Rechnung RE-2026-000123",
    "PLZ 10115 Berlin",
    "Tracking 00340434161094042557",
    "ISBN 978-3-16-148410-0",
    "Gutschrift 0,99 €, Flug LH 400 um 10:30",
    "+1 star from me",
]


@pytest.mark.parametrize(("text", "expected"), REDACTED)
def test_personal_data_is_replaced(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_dates_amounts_orders_and_versions_are_kept(text):
    assert redact(text) == text


WHEN = datetime(2026, 10, 18, 9, tzinfo=UTC)
PII_POST = "Karte 4111 1111 1111 1111 abgelehnt, ruft mich an: 0151 12345678"


def test_redaction_before_storage_is_applied_only_when_asked(db_url):
    mention = MentionRecord(
        source="web", external_id="1", created_at=WHEN, text=PII_POST,
        title="mail: a.b@example.com", author="jane",
    )  # fmt: skip
    ticket = TicketRecord(
        source="support", external_id="T1", created_at=WHEN, subject="IBAN DE89370400440532013000",
        body=PII_POST, customer="jane@example.com",
    )  # fmt: skip
    with session_scope(db_url) as session:
        store_mentions(session, [mention], "file", redact_pii=True)
        store_tickets(session, [ticket], "file", redact_pii=True)
        store_mentions(session, [MentionRecord("raw", "1", WHEN, PII_POST)], "file")
    with session_scope(db_url) as session:
        stored = session.scalars(select(Mention).order_by(Mention.id)).all()
        stored_ticket = session.scalars(select(Ticket)).one()
        assert stored[0].text == "Karte [card] abgelehnt, ruft mich an: [phone]"
        assert stored[0].title == "mail: [email]" and stored[0].author == "jane"
        assert stored[1].text == PII_POST  # redact_pii is off by default
        assert (stored_ticket.subject, stored_ticket.body) == ("IBAN [iban]", stored[0].text)
        assert stored_ticket.customer.startswith("customer:")
        assert "example.com" not in stored_ticket.customer


# --- forget -------------------------------------------------------------------------------------

VICTIM, SOURCE = "jane_doe_77", "reddit"
VICTIM_TEXTS = [
    "Jane's unique complaint about the frozen savings pot number one",
    "Jane's second unique complaint: the savings pot is still frozen",
]


def seed(url: str) -> dict:
    """Mentions of the victim and others, with enrichments, issues, links, copies and an alert."""
    others = [f"Another customer's complaint about transfers {i}" for i in range(3)]
    records = [
        MentionRecord(SOURCE, f"v{i}", WHEN + timedelta(hours=i), text, author=VICTIM)
        for i, text in enumerate(VICTIM_TEXTS)
    ] + [
        MentionRecord(SOURCE, f"o{i}", WHEN + timedelta(hours=5 + i), text, author=f"other{i}")
        for i, text in enumerate(others)
    ]
    for copy in ("copy", "copy2"):  # two re-shares of the victim's first post
        records.append(MentionRecord("mastodon", copy, WHEN + timedelta(days=1), VICTIM_TEXTS[0],
                                     author=f"resharer-{copy}"))  # fmt: skip
    records.append(MentionRecord("mastodon", "v-elsewhere", WHEN, "Jane on another network",
                                 author=VICTIM))  # fmt: skip
    with session_scope(url) as session:
        store_mentions(session, records, "file")
        store_tickets(session, [TicketRecord(SOURCE, "T-jane", WHEN, "pot frozen", "help",
                                             customer=VICTIM)], "file")  # fmt: skip
        ids = {m.external_id: m.id for m in session.scalars(select(Mention))}
        session.get(Mention, ids["copy"]).duplicate_of = ids["v0"]
        session.get(Mention, ids["copy2"]).duplicate_of = ids["v0"]
        _enrich(session, ids)
        victim_only = Issue(key=f"mention:{ids['v1']}", **_issue_fields(VICTIM_TEXTS[1]))
        shared = Issue(key="topic:1", **_issue_fields(f"Typical: “{VICTIM_TEXTS[0]}”"))
        session.add_all([victim_only, shared])
        session.flush()
        for key, issue in (("v0", shared), ("o0", shared), ("v1", victim_only)):
            session.get(Enrichment, ids[key]).issue_id = issue.id
        ticket_id = session.scalars(select(Ticket.id)).one()
        session.add(IssueLink(issue_id=victim_only.id, ticket_id=ticket_id, similarity=0.9))
        session.add(SentimentCorrection(mention_id=ids["v0"], label="negative"))
        session.add(_alert(VICTIM_TEXTS[0]))
    return ids


def _enrich(session, ids: dict) -> None:
    for mention_id in ids.values():
        embedding = Embedding(owner_kind="mention", owner_id=mention_id, model="m", dim=2,
                              vector=vector_to_bytes(np.ones(2)))  # fmt: skip
        session.add(embedding)
        session.flush()
        session.add(Enrichment(
            mention_id=mention_id, sentiment="negative", sentiment_score=0.9, prob_negative=0.9,
            prob_neutral=0.05, prob_positive=0.05, embedding_id=embedding.id, model_version="t",
        ))  # fmt: skip


def _issue_fields(evidence: str) -> dict:
    return dict(
        label=evidence[:80], classification="isolated", score=0.1, severity=0.1, mentions=2,
        authors=2, sources=1, tickets=0, active_days=1, first_seen=WHEN, last_seen=WHEN,
        negative_share=1.0, evidence=evidence,
    )  # fmt: skip


def _alert(sample: str) -> Alert:
    return Alert(
        dedupe_key="negative_spike|all|x", kind="negative_spike", scope="all",
        window_start=WHEN, window_end=WHEN + timedelta(days=1), observed=9, expected=1,
        severity=0.5, title=f"{sample[:60]} (emerging): 9 negative posts",
        body=f"**Negative spike**\n\nSample posts:\n"
        f"> “{sample}”\n> “Another customer's complaint about transfers 0”",
    )  # fmt: skip


def test_forget_erases_the_author_and_everything_derived(db_url, capsys):
    ids = seed(db_url)
    assert main(["--database", db_url, "forget", "--author", VICTIM, "--source", SOURCE,
                 "--yes"]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "mentions: 2" in printed and "issues removed: 1" in printed and "tickets: 1" in printed

    stored = database_text(db_url)
    for trace in [*VICTIM_TEXTS[1:], VICTIM_TEXTS[0][:30], "T-jane"]:
        assert trace not in stored.replace(json.dumps(VICTIM_TEXTS[0])[1:-1], "")  # the copy
    with session_scope(db_url) as session:
        erased = [ids["v0"], ids["v1"]]
        assert not session.scalars(select(Mention).where(Mention.author == VICTIM,
                                                         Mention.id.in_(erased))).all()  # fmt: skip
        for model, column in (
            (Enrichment, Enrichment.mention_id),
            (SentimentCorrection, SentimentCorrection.mention_id),
        ):
            assert not session.scalars(select(model).where(column.in_(erased))).all()
        assert not session.scalars(
            select(Embedding).where(
                Embedding.owner_id.in_(erased), Embedding.owner_kind == "mention"
            )
        ).all()
        assert session.scalars(select(Issue.key)).all() == ["topic:1"]  # the empty one is gone
        assert not session.scalars(select(IssueLink)).all() and not session.scalars(
            select(Ticket)).all()  # fmt: skip
        copy, copy2 = session.get(Mention, ids["copy"]), session.get(Mention, ids["copy2"])
        assert copy.duplicate_of is None  # the first re-share is now the original
        assert copy2.duplicate_of == copy.id
        assert VICTIM_TEXTS[0][:30] not in session.scalars(select(Alert.body)).one()
        assert VICTIM_TEXTS[0][:30] not in session.scalars(select(Alert.title)).one()
        assert session.get(Mention, ids["v-elsewhere"]) is not None  # other sources are kept


def test_forgotten_posts_are_not_stored_again(db_url):
    seed(db_url)
    with session_scope(db_url) as session:
        forget_author(session, VICTIM, SOURCE)
    again = MentionRecord(SOURCE, "v0", WHEN, VICTIM_TEXTS[0], author=VICTIM)
    with session_scope(db_url) as session:
        assert store_mentions(session, [again], "file").new == 0
        assert VICTIM not in database_text(db_url).replace('"jane_doe_77"', "", 1)


def test_forget_asks_before_erasing_and_says_when_nothing_matches(sqlite_url, capsys):
    seed(sqlite_url)
    assert main(["--database", sqlite_url, "forget", "--author", VICTIM, "--source", SOURCE]) == 1
    with session_scope(sqlite_url) as session:
        assert session.scalars(select(Mention).where(Mention.author == VICTIM)).all()
    assert main(["--database", sqlite_url, "forget", "--author", "nobody", "--source",
                 SOURCE, "--yes"]) == 0  # fmt: skip
    assert "nothing stored" in capsys.readouterr().out
