"""Every mention and ticket gets a complaint verdict; rows stored before it get one too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
from sqlalchemy import select, update

from cxradar.config import DEMO_CONFIG
from cxradar.db import session_scope
from cxradar.records import MentionRecord, TicketRecord
from cxradar.schema import Embedding, Enrichment, Mention, Ticket
from cxradar.store import store_mentions, store_tickets
from pipelines.enrich import mention_enrichments, normalised_mentions, ticket_embeddings
from pipelines.resources import ConfigResource, DatabaseResource, ModelsResource

START = datetime(2026, 10, 1, 9, tzinfo=UTC)
POSTS = {
    "double-charge": ("I was charged twice for the same card payment", True),
    "transfer": ("Die Überweisung ist seit drei Tagen nicht angekommen", True),
    "crash": ("@finora_help the app crashes every time I open my statements", True),
    "praise": ("Love the new savings goals, really well done!", False),
}


def run(url: str, *assets) -> dg.ExecuteInProcessResult:
    resources = {
        "db": DatabaseResource(url=url),
        "models": ModelsResource(),
        "cx_config": ConfigResource(path=str(DEMO_CONFIG)),  # brands, for normalising
    }
    result = dg.materialize(list(assets), resources=resources)
    assert result.success
    return result


def complaints(url: str) -> dict[str, tuple[bool | None, float | None]]:
    with session_scope(url) as session:
        rows = session.execute(
            select(Mention.external_id, Enrichment.complaint, Enrichment.prob_complaint).join(
                Enrichment, Enrichment.mention_id == Mention.id
            )
        )
        return {external_id: (flag, prob) for external_id, flag, prob in rows}


def test_mentions_and_tickets_get_a_complaint_and_old_rows_are_filled_in(sqlite_url):
    records = [
        MentionRecord("forum", key, START + timedelta(minutes=i), text, author=f"a{i}")
        for i, (key, (text, _)) in enumerate(POSTS.items())
    ]
    tickets = [
        TicketRecord("desk", "t1", START, "Card blocked", "My card was blocked and I cannot pay"),
        TicketRecord("desk", "t2", START, "Thanks", "Thank you for the quick help yesterday!"),
    ]
    with session_scope(sqlite_url) as session:
        store_mentions(session, records, "file")
        store_tickets(session, tickets, "file")
    run(sqlite_url, normalised_mentions, mention_enrichments, ticket_embeddings)

    stored = complaints(sqlite_url)
    assert {key: flag for key, (flag, _) in stored.items()} == {
        key: expected for key, (_, expected) in POSTS.items()
    }
    assert all(0.0 <= prob <= 1.0 for _, prob in stored.values())
    with session_scope(sqlite_url) as session:
        ticket_flags = dict(session.execute(select(Ticket.external_id, Ticket.complaint)).all())
    assert ticket_flags == {"t1": True, "t2": False}

    # Rows from before migration 0009 have no verdict: the next run gives them one from
    # their stored vector (nothing new to encode), and a run after that changes nothing.
    # A vector of another model (an encoder used before) means nothing to the head: left alone.
    with session_scope(sqlite_url) as session:
        session.execute(update(Enrichment).values(complaint=None, prob_complaint=None))
        session.execute(update(Ticket).values(complaint=None, prob_complaint=None))
        crash = select(Enrichment.embedding_id).join(Mention).where(Mention.external_id == "crash")
        session.execute(
            update(Embedding).where(Embedding.id == crash.scalar_subquery()).values(model="x")
        )
    result = run(sqlite_url, mention_enrichments, ticket_embeddings)
    metadata = [e.materialization.metadata for e in result.get_asset_materialization_events()]
    assert sorted(m["complaints_backfilled"].value for m in metadata) == [2, len(POSTS) - 1]
    refilled = complaints(sqlite_url)
    assert refilled["double-charge"][0] and not refilled["praise"][0]
    assert refilled.pop("crash") == (None, None)
    assert all(flag is not None for flag, _ in refilled.values())


def test_the_configured_complaint_head_is_the_one_used(tmp_path):
    from cxradar.config import Config
    from models.complaint import VECTOR_HEAD_PATH

    # e.g. a held-out head from `python -m models.training.train_complaint --hold-out SET`
    config = Config.model_validate({"models": {"complaint_head": str(VECTOR_HEAD_PATH)}})
    models = ModelsResource(complaint_head=config.models.complaint_head)
    assert models.get_complaint().inputs == "vector"
    assert ModelsResource().get_complaint().inputs == "pair"
    missing = ModelsResource(complaint_head=str(tmp_path / "missing.npz"))
    with pytest.raises(FileNotFoundError, match="models.complaint_head"):
        missing.get_complaint()


def alembic(url: str, action: str, revision: str) -> None:
    from alembic.config import Config

    from alembic import command
    from cxradar.db import ALEMBIC_DIR, get_engine

    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    with get_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def test_migration_0009_adds_the_complaint_columns_and_goes_back(tmp_path):
    from sqlalchemy import inspect

    from cxradar.db import get_engine, migrate

    url = f"sqlite:///{tmp_path / 'old.db'}"
    alembic(url, "upgrade", "0008_alert_episodes")
    migrate(url)

    def columns(table: str) -> set[str]:
        return {c["name"] for c in inspect(get_engine(url)).get_columns(table)}

    assert {"complaint", "prob_complaint"} <= columns("enrichments") & columns("tickets")
    assert "complaint" in columns("sentiment_corrections")
    alembic(url, "downgrade", "0008_alert_episodes")
    assert "complaint" not in columns("enrichments") | columns("sentiment_corrections")
    get_engine(url).dispose()
