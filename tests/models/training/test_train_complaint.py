"""Complaint head training: set parity, calibration and threshold, the held-out command."""

from __future__ import annotations

import numpy as np

from models.complaint import ComplaintModel
from models.training import train_complaint
from models.training.train_complaint import LabelledSet, best_threshold, fit, set_weights


def labelled(name: str, count: int, positives: float, seed: int) -> LabelledSet:
    """Two noisy clusters of unit vectors: complaints around one centre, the rest another."""
    rng = np.random.default_rng(seed)
    labels = (rng.random(count) < positives).astype(np.int64)
    centres = np.stack([np.eye(16)[0], np.eye(16)[1]])
    x = centres[labels] + rng.normal(scale=0.6, size=(count, 16))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return LabelledSet(name, [f"{name} {i}" for i in range(count)], labels, x.astype(np.float32))


def test_each_set_weighs_the_same_with_classes_balanced_within():
    big, small = labelled("app-reviews", 900, 0.2, 0), labelled("germeval-dev", 100, 0.5, 1)
    weights = set_weights([big, small])
    assert np.isclose(weights[:900].sum(), weights[900:].sum())
    rows = weights[:900]
    assert np.isclose(rows[big.labels == 1].sum(), rows[big.labels == 0].sum())


def test_a_reviewers_verdict_counts_twice_an_average_row():
    sets = [labelled("app-reviews", 200, 0.3, 0)]
    sets.append(LabelledSet("corrections", ["x", "y"], np.array([1, 0])))
    weights = set_weights(sets)
    assert np.isclose(weights[:200].mean(), 1.0) and np.allclose(weights[200:], 2.0)


def test_fitted_head_is_calibrated_and_separates_the_sets_it_never_saw():
    train = [labelled("app-reviews", 600, 0.4, 2), labelled("germeval-dev", 400, 0.2, 3)]
    head = fit(train)
    assert 0.2 <= head.meta["threshold"] <= 0.8 and head.temperature > 0
    unseen = labelled("airline-tweets", 300, 0.5, 4)
    scores = train_complaint.scores(head, unseen)
    assert scores["f1"] > 0.8 and scores["n"] == 300
    model = ComplaintModel(head, head.meta["threshold"])
    probabilities = model.probabilities(unseen.x)
    assert ((probabilities >= 0) & (probabilities <= 1)).all()


def test_threshold_is_the_best_f1_cut():
    probs = np.array([0.1, 0.2, 0.35, 0.4, 0.7, 0.9])
    labels = np.array([0, 0, 1, 1, 1, 1])
    assert best_threshold(probs, labels, np.ones(6)) in (0.25, 0.3, 0.35)


def test_without_the_shared_data_it_says_so(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CXRADAR_SHARED_DIR", str(tmp_path))
    assert train_complaint.main(["--hold-out", "app-reviews"]) == 0
    assert "not found" in capsys.readouterr().out
