"""Train the complaint head (``models/complaint.py``) on the frozen e5 vectors.

    python -m models.training.train_complaint                       # the shipped head
    python -m models.training.train_complaint --hold-out app-reviews  # a head that never saw it
    python -m models.training.train_complaint --evaluate            # held-out figures per set

A complaint is a text in which the customer reports a problem, whatever the tone. No large
set is labelled that way, so the head learns from what exists (``TRAINING_SETS``):

* **app-reviews** (Panichella, EN): 1-2 stars, or 3 stars with a problem category, are
  complaints; 4-5 stars with no problem category are not (``models/training/feedback.py``);
* **germeval-dev** (Deutsche Bahn, DE): relevant negative documents with a negative opinion
  in a problem category are complaints; irrelevant or non-negative documents are not;
* **corrections**: the review queue's complaint verdicts (``--corrections-db``).

Tried and left out: positive and neutral tweets of the sentiment training data as weak
non-complaints (6,000, at half a set's weight) taught "a tweet is not a complaint": the
leave-one-set-out F1 fell from 0.67 to 0.14 and the airline F1 from 0.87 to 0.85.

The airline support tweets are never trained on: their complaint labels are the team's own
reading (``benchmarks/labels/airline_complaints.csv``), kept for measurement only.

Each set weighs the same in total, classes balanced within it, so the larger set does not
decide alone. 10 % of the rows (stratified) pick the temperature and the decision threshold
(best F1 there).

``--hold-out SET`` leaves a set out and writes ``.cxradar/cache/complaint_head-without-SET.npz``
(or ``--output``): point the pipeline at it with ``models: {complaint_head: PATH}`` in the
YAML config or ``CXRADAR_COMPLAINT_HEAD=PATH``, to measure the pipeline on that set honestly.
``--evaluate`` prints precision, recall and F1 on each real set from a head that never saw it
(leave-one-set-out; the airline set is always held out) and writes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support
from sklearn.model_selection import train_test_split

from models.complaint import COMPLAINT_HEAD_PATH, VECTOR_HEAD_PATH
from models.encoder import load_encoder
from models.sentiment import SentimentHead, softmax
from models.text import model_text
from models.training.datasets import CACHE_DIR, cached_pairs, shared_dir
from models.training.feedback import REAL_SETS
from models.training.train_sentiment import (
    SEED,
    HeadConfig,
    add_corrections_db_argument,
    fit_head,
    fit_temperature,
)

VERSION = "e5-complaint-1"
HELD_OUT_ALWAYS = "airline-tweets"
REAL_TRAINING_SETS = ("app-reviews", "germeval-dev")
CORRECTION_WEIGHT = 2.0  # a reviewer's verdict counts as much as two average labelled rows
TRAINING_SETS = {
    "app-reviews": "Panichella Google Play reviews (EN), complaint by stars + categories; MIT",
    "germeval-dev": "GermEval 2017 dev (DE, Deutsche Bahn), relevance + negative categories; "
    "CC BY-NC 4.0",
    "corrections": "the review queue's complaint verdicts (your own data)",
}
# Chosen by the leave-one-set-out F1 (mean of app reviews and GermEval, never the airline
# set): see ``models/MODEL_CARD.md`` for the candidates.
DEFAULT_CONFIG = HeadConfig("logistic", c=1.0, balanced=False)  # on vector + branch features
VECTOR_CONFIG = HeadConfig("logistic", c=4.0, balanced=False)  # on the vector alone


@dataclass
class LabelledSet:
    name: str
    texts: list[str]
    labels: np.ndarray  # 1 complaint, 0 not
    x: np.ndarray = field(default_factory=lambda: np.zeros((0, 384), dtype=np.float32))


def real_set(root: Path, name: str) -> LabelledSet:
    """The labelled rows of a real feedback set, on the pipeline's model-text surface."""
    rows = [row for row in REAL_SETS[name](root) if row.complaint is not None]
    return LabelledSet(
        name,
        [model_text(None, row.text) for row in rows],
        np.array([int(row.complaint) for row in rows], dtype=np.int64),
    )


def corrections_set(url: str | None) -> LabelledSet:
    from models.training.train_sentiment import read_complaint_corrections_db

    texts, labels = read_complaint_corrections_db(url)
    return LabelledSet("corrections", texts, np.array(labels, dtype=np.int64))


def with_inputs(data: LabelledSet, encoder, inputs: str = "pair") -> LabelledSet:
    """``data`` with its head inputs: vector and branch features side by side, or the vector."""
    if data.texts:
        vectors, features = cached_pairs(data.texts, encoder)
        data.x = np.hstack([vectors, features]) if inputs == "pair" else vectors
    return data


def set_weights(sets: list[LabelledSet]) -> np.ndarray:
    """Each labelled set the same total weight, classes balanced within it (see docstring)."""
    weights = []
    for data in sets:
        w = np.ones(len(data.labels))
        if data.name == "corrections":
            weights.append(w * CORRECTION_WEIGHT)
            continue
        for label in np.unique(data.labels):
            rows = data.labels == label
            w[rows] = 1.0 / (rows.sum() * len(np.unique(data.labels)))
        weights.append(w)
    weights = np.concatenate(weights)
    labelled = np.concatenate([np.full(len(d.labels), d.name != "corrections") for d in sets])
    # Scale so an average labelled row weighs 1 (the corrections' weight is relative to that).
    weights[labelled] *= labelled.sum() / weights[labelled].sum()
    return weights


def fit(sets: list[LabelledSet], config: HeadConfig = DEFAULT_CONFIG) -> SentimentHead:
    """A calibrated head with its threshold, from the given sets (10 % held for calibration)."""
    x = np.vstack([d.x for d in sets]).astype(np.float32)
    y = np.concatenate([d.labels for d in sets])
    w = set_weights(sets)
    strata = np.concatenate([[f"{d.name}:{label}" for label in d.labels] for d in sets])
    train, calibrate = train_test_split(
        np.arange(len(y)), test_size=0.1, random_state=SEED, stratify=strata
    )
    head = fit_head(x[train], y[train], config, weights=w[train])
    logits = head.logits(x[calibrate])
    head.temperature = fit_temperature(logits, y[calibrate])
    probs = softmax(logits / head.temperature)[:, 1]
    threshold = best_threshold(probs, y[calibrate], w[calibrate])
    head.meta = {
        "version": VERSION,
        "space": "multilingual-e5-small",
        "head": config.describe(),
        "temperature": round(head.temperature, 4),
        "threshold": threshold,
        "training_sizes": {d.name: len(d.labels) for d in sets},
        "training_data": {d.name: TRAINING_SETS.get(d.name, "") for d in sets},
    }
    return head


def best_threshold(probs: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> float:
    """The probability cut with the best (weighted) F1 on the calibration rows."""
    grid = np.round(np.arange(0.2, 0.81, 0.05), 2)
    scores = [
        f1_score(labels, probs >= cut, sample_weight=weights, zero_division=0) for cut in grid
    ]
    return float(grid[int(np.argmax(scores))])


def scores(head: SentimentHead, data: LabelledSet) -> dict[str, float]:
    predicted = head.probabilities(data.x)[:, 1] >= head.meta["threshold"]
    precision, recall, f1, _ = precision_recall_fscore_support(
        data.labels, predicted, average="binary", zero_division=0
    )
    return {
        "precision": round(float(precision), 3),
        "recall": round(float(recall), 3),
        "f1": round(float(f1), 3),
        "n": len(data.labels),
        "complaints": int(data.labels.sum()),
    }


def held_out_path(name: str) -> Path:
    return CACHE_DIR / f"complaint_head-without-{name}.npz"


def training_sets(
    root, encoder, hold_out: str | None, corrections_url=None, inputs: str = "pair"
) -> list[LabelledSet]:
    names = [n for n in REAL_TRAINING_SETS if n != hold_out]
    sets = [real_set(root, name) for name in names]
    if corrections_url is not None:
        sets.append(corrections_set(corrections_url or None))
    return [with_inputs(data, encoder, inputs) for data in sets if len(data.labels)]


def evaluate(
    root, encoder, config: HeadConfig = DEFAULT_CONFIG, inputs: str = "pair", test_encoder=None
) -> dict[str, dict]:
    """Leave-one-set-out figures on every real set (the airline set is never trained on);
    ``test_encoder``: predict from another runtime's features (e.g. the fp32 path)."""
    out = {}
    for name in REAL_SETS:
        hold_out = None if name == HELD_OUT_ALWAYS else name
        head = fit(training_sets(root, encoder, hold_out, inputs=inputs), config)
        test = with_inputs(real_set(root, name), test_encoder or encoder, inputs)
        out[name] = scores(head, test)
    return out


def train(root, encoder, args: argparse.Namespace, inputs: str, output: Path) -> SentimentHead:
    config = DEFAULT_CONFIG if inputs == "pair" else VECTOR_CONFIG
    sets = training_sets(root, encoder, args.hold_out, args.corrections_db, inputs)
    head = fit(sets, config)
    head.meta.update(
        inputs=inputs,
        encoder=encoder.name,
        features=getattr(encoder, "sentiment_features", "") if inputs == "pair" else "",
        held_out=sorted({HELD_OUT_ALWAYS, args.hold_out} - {None}),
    )
    head.save(output)
    print(json.dumps(head.meta, indent=2))
    print(f"saved {output}")
    return head


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--hold-out", choices=REAL_TRAINING_SETS, help="leave this real set out of training"
    )
    parser.add_argument("--output", type=Path, help="where to write the head")
    parser.add_argument("--encoder", default=None, help="encoder spec (default: the default)")
    add_corrections_db_argument(parser, "complaint verdicts")
    parser.add_argument("--evaluate", action="store_true", help="held-out figures per set")
    args = parser.parse_args(argv)
    root = shared_dir()
    if root is None:
        print("train_complaint: ../shared/data not found (set CXRADAR_SHARED_DIR); nothing to do")
        return 0
    started = time.monotonic()
    encoder = load_encoder(args.encoder)
    branch = bool(getattr(encoder, "sentiment_features", ""))
    if args.evaluate:
        print(json.dumps(evaluate(root, encoder, inputs="pair" if branch else "vector"), indent=2))
        return 0
    if args.output or args.hold_out:
        output = args.output or held_out_path(args.hold_out)
        train(root, encoder, args, "pair" if branch else "vector", output)
        print(f"point the pipeline at it: CXRADAR_COMPLAINT_HEAD={output.resolve()}")
    else:  # the shipped heads: on vector + branch features, and on the vector alone
        if branch:
            train(root, encoder, args, "pair", COMPLAINT_HEAD_PATH)
        train(root, encoder, args, "vector", VECTOR_HEAD_PATH)
    print(f"done in {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
