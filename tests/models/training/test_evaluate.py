"""The model card: its speed table follows the benchmark's JSON."""

from __future__ import annotations

import json

from models.training import evaluate


def test_the_card_speed_table_follows_the_benchmark_json(tmp_path, monkeypatch):
    figures = {
        "rates": {"b": 200.0, "c": 150.0, "p": 100.0},
        "ratios": {"c/p": 1.5, "c/b": 0.75},
        "date": "2026-12-05",
        "command": "python -m benchmarks.encode_speed --json",
        "texts": 10,
        "source": "generated",
        "cores": 2,
        "rounds": 1,
        "labels": {"b": "(b) raw", "c": "(c) enrichment", "p": "(p) previous"},
        "peak_rss_default_mb": 1400,
    }
    results = tmp_path / "encode_speed.json"
    results.write_text(json.dumps(figures), encoding="utf-8")
    monkeypatch.setattr(evaluate, "SPEED_RESULTS", results)
    card = tmp_path / "MODEL_CARD.md"
    card.write_text(f"# Card\n\n{evaluate.SPEED_HEADING}\n\nold\n\n## Limits\n\n- x\n")
    evaluate.refresh_speed(card)
    text = card.read_text(encoding="utf-8")
    assert "old" not in text and text.endswith("## Limits\n\n- x\n")
    assert "| (c) enrichment | 150.0 |" in text and "c/p = 1.5" in text
    assert "1,400 MB" in text
