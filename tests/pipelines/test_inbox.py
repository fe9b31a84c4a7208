"""The inbox: files dropped into a folder start a run, are stored once and moved aside."""

from __future__ import annotations

import json

import dagster as dg
import yaml
from sqlalchemy import func, select

from cxradar.db import session_scope
from cxradar.schema import IngestError, Mention, Ticket
from pipelines.ingest import inbox, inbox_sensor
from pipelines.resources import ConfigResource, DatabaseResource

MENTION = {
    "source": "forum",
    "id": "f-1",
    "created_at": "2026-11-20T10:00:00Z",
    "text": "Die Überweisung hängt seit Montag",
}
TICKETS_CSV = (
    "id,created_at,subject,body\n"
    "T-1,2026-11-20T11:00:00Z,Transfer stuck,My transfer is stuck since Monday\n"
)


def setup_inbox(tmp_path):
    root = tmp_path / "inbox"
    (root / "mentions").mkdir(parents=True)
    (root / "tickets").mkdir()
    config = tmp_path / "cxradar.yaml"
    config.write_text(yaml.safe_dump({"inbox": {"path": "inbox"}}), encoding="utf-8")
    return root, ConfigResource(path=str(config))


def drop_files(root) -> None:
    lines = [json.dumps(MENTION), json.dumps({**MENTION, "id": "f-2", "created_at": "nope"})]
    (root / "mentions" / "forum.jsonl").write_text("\n".join(lines), encoding="utf-8")
    (root / "tickets" / "export.csv").write_text(TICKETS_CSV, encoding="utf-8")


def evaluate(config: ConfigResource):
    with dg.build_sensor_context(resources={"cx_config": config}) as context:
        return inbox_sensor(context)


def run_inbox(db_url: str, config: ConfigResource):
    return dg.materialize(
        [inbox],
        resources={"db": DatabaseResource(url=db_url), "cx_config": config},
        instance=dg.DagsterInstance.ephemeral(),
    )


def counts(db_url: str) -> tuple[int, int, int]:
    with session_scope(db_url) as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table))
            for table in (Mention, Ticket, IngestError)
        )


def test_dropped_files_start_a_run_are_stored_and_moved_aside(db_url, tmp_path):
    root, config = setup_inbox(tmp_path)
    assert isinstance(evaluate(config), dg.SkipReason)

    drop_files(root)
    request = evaluate(config)
    assert isinstance(request, dg.RunRequest)
    assert request.run_key == evaluate(config).run_key  # same files: same run, not two

    assert run_inbox(db_url, config).success
    assert counts(db_url) == (1, 1, 1)  # the bad row is recorded, its neighbour stored
    processed = sorted(p.name for p in (root / "processed").rglob("*") if p.is_file())
    assert processed == ["export.csv", "forum.jsonl"]
    assert isinstance(evaluate(config), dg.SkipReason)

    drop_files(root)  # the same export dropped again: moved aside, stored once
    assert isinstance(evaluate(config), dg.RunRequest)
    assert run_inbox(db_url, config).success
    assert counts(db_url)[:2] == (1, 1)
    assert len([p for p in (root / "processed").rglob("*") if p.is_file()]) == 4


def test_an_unreadable_file_goes_to_failed_and_the_rest_is_stored(db_url, tmp_path):
    root, config = setup_inbox(tmp_path)
    drop_files(root)
    (root / "tickets" / "broken.csv").write_text("just,some,columns\n1,2,3\n", encoding="utf-8")
    result = run_inbox(db_url, config)
    assert result.success
    assert counts(db_url)[:2] == (1, 1)
    assert [p.name for p in (root / "failed").rglob("*.csv")] == ["broken.csv"]


def test_personal_data_is_redacted_before_storage_when_configured(db_url, tmp_path):
    root, _ = setup_inbox(tmp_path)
    config_path = tmp_path / "cxradar.yaml"
    config_path.write_text(
        yaml.safe_dump({"inbox": {"path": "inbox"}, "privacy": {"redact_pii": True}}),
        encoding="utf-8",
    )
    post = {**MENTION, "text": "Refund to DE89 3704 0044 0532 0130 00 please, write to a@b.de"}
    (root / "mentions" / "post.jsonl").write_text(json.dumps(post), encoding="utf-8")
    assert run_inbox(db_url, ConfigResource(path=str(config_path))).success
    with session_scope(db_url) as session:
        stored = session.scalar(select(Mention.text))
    assert "DE89" not in stored and "a@b.de" not in stored
    assert "[iban]" in stored and "[email]" in stored
