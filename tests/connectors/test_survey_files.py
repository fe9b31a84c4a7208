"""Survey answers from CSV/JSONL files: good rows kept, bad scores and times reported."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest

from connectors.files import FileProblem, read_survey_responses


def test_csv_answers_with_bad_rows_named_one_line_each(tmp_path):
    path = tmp_path / "nps.csv"
    path.write_text(
        "id,time,score,comment,respondent,lang,segment,touchpoint\n"
        "r1,2026-10-20T09:00:00Z,3,SMS-Code kommt nicht,c1,DE,premium,app\n"
        "r2,2026-10-20T10:00:00Z,11,too high,c2,en,,\n"
        "r3,,9,no time,c3,en,,\n"
        "r4,2026-10-21,ten,not a number,c4,en,,\n"
        "r5,2026-10-21,10,,c5,en,,\n"
        "r1,2026-10-22,2,again,c1,de,,\n",
        encoding="utf-8",
    )
    batch = read_survey_responses(path, source="nps", survey="October NPS")
    assert [r.external_id for r in batch.records] == ["r1", "r5"]
    first, silent = batch.records
    assert (first.score, first.scale, first.comment) == (3.0, "nps", "SMS-Code kommt nicht")
    assert (first.respondent, first.lang, first.segment, first.touchpoint) == (
        "c1",
        "de",
        "premium",
        "app",
    )
    assert first.survey == "October NPS" and first.source == "nps"
    assert first.created_at == datetime(2026, 10, 20, 9, tzinfo=UTC)
    assert silent.comment is None  # an answer without a comment is still an answer
    reasons = {error.line: error.reason for error in batch.errors}
    assert reasons == {
        3: "score 11 is outside the nps scale (0-10)",
        4: "missing required field 'created_at' (or 'time')",
        5: "score 'ten' is not a number",
        7: "duplicate id 'r1', first seen on line 2",
    }


def test_jsonl_rows_name_their_scale_and_csat_has_its_own_range(tmp_path):
    rows = [
        {"id": "a", "created_at": "2026-10-01", "score": 5, "scale": "csat", "comment": "top"},
        {"id": "b", "created_at": "2026-10-01", "score": 0, "scale": "csat"},
        {"id": "c", "created_at": "2026-10-01", "score": 7, "scale": "ces"},
        {"id": "d", "created_at": 1790000000, "score": "9"},
    ]
    path = tmp_path / "answers.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(json.dumps(row) for row in rows) + "\n")
    batch = read_survey_responses(path, source="csat")
    assert [(r.external_id, r.scale, r.score) for r in batch.records] == [
        ("a", "csat", 5.0),
        ("d", "nps", 9.0),  # the source's default scale
    ]
    reasons = [error.reason for error in batch.errors]
    assert reasons == [
        "score 0 is outside the csat scale (1-5)",
        "scale 'ces' is not one of nps, csat",
    ]


def test_without_a_default_every_row_must_name_its_scale(tmp_path):
    path = tmp_path / "inbox.csv"
    path.write_text(
        "source,id,created_at,score,scale\nnps-q4,1,2026-10-01,8,nps\nnps-q4,2,2026-10-01,8,\n"
    )
    batch = read_survey_responses(path, source="inbox", scale=None, own_source=True)
    assert [(r.source, r.external_id) for r in batch.records] == [("nps-q4", "1")]
    assert batch.errors[0].reason == "missing 'scale': add a scale column (nps or csat)"


def test_missing_columns_and_a_broken_gzip_say_what_to_do(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("id,created_at,comment\n1,2026-10-01,hi\n")
    batch = read_survey_responses(path, source="nps")
    assert batch.records == [] and "missing column(s) score" in batch.errors[0].reason
    broken = tmp_path / "x.csv.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(FileProblem, match="not a readable gzip file"):
        read_survey_responses(broken, source="nps")
