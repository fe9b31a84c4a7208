"""Training helpers: corrections from the review queue, head fitting, calibration, no data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from models.sentiment import softmax
from models.training import evaluate, finetune_sentiment, train_sentiment
from models.training.train_sentiment import (
    HeadConfig,
    expected_calibration_error,
    fit_head,
    fit_temperature,
    read_corrections,
    sample_weights,
)


def test_corrections_from_csv_and_jsonl(tmp_path):
    csv_file = tmp_path / "corrections.csv"
    csv_file.write_text(
        "text,label\n"
        '"Danke @anna, läuft wieder https://x.y/1",Positive\n'
        "Karte gesperrt,negative\n"
        "no label here,\n"
        ",neutral\n",
        encoding="utf-8",
    )
    data = read_corrections(csv_file)
    assert data.texts == ["Danke @user, läuft wieder http", "Karte gesperrt"]
    assert data.labels.tolist() == [2, 0]

    jsonl_file = tmp_path / "corrections.jsonl"
    rows = [{"text": "Where is my parcel?", "label": "neutral"}, {"text": "x", "label": "meh"}]
    jsonl_file.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    data = read_corrections(jsonl_file)
    assert data.texts == ["Where is my parcel?"] and data.labels.tolist() == [1]


def clusters(count: int, seed: int = 0, noise: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    """Three noisy clusters of unit vectors, like embeddings of three sentiment classes."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, 32))
    labels = rng.integers(0, 3, size=count)
    x = centres[labels] + rng.normal(scale=noise, size=(count, 32))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), labels


@pytest.mark.parametrize("config", [HeadConfig("logistic", c=1.0), HeadConfig("mlp", hidden=16)])
def test_fitted_heads_separate_classes(config):
    x, y = clusters(900)
    head = fit_head(x[:600], y[:600], config)
    accuracy = (head.logits(x[600:]).argmax(axis=1) == y[600:]).mean()
    assert accuracy > 0.8


def test_cx_domain_rows_weigh_as_much_as_the_other_german_rows():
    y = np.array([0, 1, 1, 1, 2, 2] * 20 + [0, 1, 1, 1, 1, 1, 1, 1, 1, 2])  # 120 tweets, 10 CX
    german = np.ones(len(y), dtype=bool)
    german[:60] = False
    domain = np.arange(len(y)) >= 120
    pooled = sample_weights(y, HeadConfig(per_language=True), german, domain)
    parity = sample_weights(y, HeadConfig(per_language=True, cx_parity=True), german, domain)
    assert pooled[domain].sum() < parity[domain].sum() / 3  # pooled, 10 rows among 70 drown
    assert parity[domain].sum() == pytest.approx(parity[german & ~domain].sum())
    # balanced on their own: the one CX praise row weighs as much as the eight neutral ones
    assert parity[domain][-1] == pytest.approx(parity[domain][1:9].sum())
    assert parity[~german] == pytest.approx(pooled[~german])  # English untouched


def test_a_small_cx_domain_at_parity_moves_the_head_its_way():
    x, y = clusters(1200, seed=3, noise=2.5)
    rng = np.random.default_rng(0)
    cx_x = x[:60] + rng.normal(scale=0.3, size=(60, 32)).astype(np.float32)
    cx_y = np.full(60, 2)  # in this domain such texts are praise
    train_x, train_y = np.vstack([x[60:], cx_x[:40]]), np.concatenate([y[60:], cx_y[:40]])
    german = np.ones(len(train_y), dtype=bool)
    domain = np.arange(len(train_y)) >= len(y) - 60

    def praise_recall(config: HeadConfig) -> float:
        head = fit_head(train_x, train_y, config, german, domain)
        return float((head.logits(cx_x[40:]).argmax(axis=1) == 2).mean())

    pooled = praise_recall(HeadConfig(per_language=True))
    assert praise_recall(HeadConfig(per_language=True, cx_parity=True)) > pooled


def test_temperature_scaling_repairs_overconfidence():
    x, y = clusters(1200, seed=1, noise=4.0)
    head = fit_head(x[:600], y[:600], HeadConfig("logistic", c=1.0))
    logits = head.logits(x[600:]) * 6  # an overconfident model
    temperature = fit_temperature(logits, y[600:])
    assert temperature > 2
    before = expected_calibration_error(softmax(logits), y[600:])
    after = expected_calibration_error(softmax(logits / temperature), y[600:])
    assert after < before / 2


def test_scripts_skip_cleanly_without_shared_data(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CXRADAR_SHARED_DIR", str(tmp_path))
    assert train_sentiment.main(["--output", str(tmp_path / "head.npz")]) == 0
    assert evaluate.main([]) == 0
    assert finetune_sentiment.main(["--output", str(tmp_path / "lora.npz")]) == 0
    out = capsys.readouterr().out
    assert "not found" in out and "finetune_sentiment" in out
    assert not (tmp_path / "lora.npz").exists()
    assert not (tmp_path / "head.npz").exists()


def test_fine_tuning_batches_cover_every_text_once_with_similar_lengths():
    lengths = [int(n) for n in np.random.default_rng(3).integers(3, 120, size=1000)]
    batches = finetune_sentiment.batches(lengths, 32, np.random.default_rng(0))
    seen = sorted(i for batch in batches for i in batch)
    assert seen == list(range(1000))
    # Length-sorted within shuffled chunks: far less padding than random batches.
    padding = sum(max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b) for b in batches)
    assert padding < 0.2 * sum(lengths)
