"""Train the default sentiment head on the frozen multilingual-e5 embeddings.

    python -m models.train_sentiment [--corrections FILE] [--output PATH]

Reproducible: fixed seeds, deterministic solver. Reads ``../shared/data`` (or
``$CXRADAR_SHARED_DIR``) and skips with a message when it is missing. Test splits
(TweetEval test, SB10k test) are never read here; validation is our own hold-out
from the SemEval pool plus SB10k dev. Human corrections from the dashboard's
review queue (CSV or JSONL with ``text,label``) are added to the training data.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from models.datasets import (
    LABEL_IDS,
    Dataset,
    cached_embeddings,
    normalise_tweet,
    potts,
    sb10k,
    semeval_pool,
    shared_dir,
)
from models.encoder import load_encoder
from models.sentiment import HEAD_PATH, save_head, softmax

SEED = 13
C_GRID = (0.5, 1.0, 2.0, 4.0, 8.0)
VERSION = "e5-head-1"
TRAINING_DATA = {
    "semeval-pool": "SemEval 2013-2016 task 4A tweets (EN); Twitter terms, research use",
    "sb10k-train": "SB10k train (DE tweets); public annotations, Twitter terms",
    "potts": "PotTS (DE tweets, 'mixed' dropped); research use",
}


def split_holdout(data: Dataset, share: float, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(len(data))
    cut = int(len(order) * share)
    return order[cut:], order[:cut]


def read_corrections(path: Path) -> Dataset:
    rows = []
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            rows = [(r.get("label", ""), r.get("text", "")) for r in csv.DictReader(handle)]
    else:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                rows.append((row.get("label", ""), row.get("text", "")))
    texts = [normalise_tweet(t) for label, t in rows if label in LABEL_IDS and t.strip()]
    labels = [LABEL_IDS[label] for label, t in rows if label in LABEL_IDS and t.strip()]
    return Dataset("corrections", texts, np.array(labels, dtype=np.int64))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    def nll(t: float) -> float:
        probs = softmax(logits / t)
        return -float(np.mean(np.log(probs[np.arange(len(labels)), labels] + 1e-12)))

    return float(minimize_scalar(nll, bounds=(0.05, 10.0), method="bounded").x)


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    confidence, predicted = probs.max(axis=1), probs.argmax(axis=1)
    ece = 0.0
    for low in np.linspace(0, 1, bins, endpoint=False):
        chosen = (confidence > low) & (confidence <= low + 1 / bins)
        if chosen.any():
            gap = abs((predicted[chosen] == labels[chosen]).mean() - confidence[chosen].mean())
            ece += chosen.mean() * gap
    return float(ece)


def train_head(x: np.ndarray, y: np.ndarray, c: float) -> LogisticRegression:
    model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced", random_state=SEED)
    return model.fit(x, y)


def load_training(root: Path, encode, tag: str, corrections: Path | None):
    """(train x, train y, validation x, validation y, sizes)."""
    pool, de_train, de_dev, de_potts = (
        semeval_pool(root),
        sb10k(root, "train"),
        sb10k(root, "dev"),
        potts(root),
    )
    parts, sizes = [], {}
    keep, hold = split_holdout(pool, share=0.1)
    pool_x = cached_embeddings(pool, encode, tag)
    parts.append((pool_x[keep], pool.labels[keep]))
    sizes["semeval-pool"] = len(keep)
    for data in (de_train, de_potts):
        parts.append((cached_embeddings(data, encode, tag), data.labels))
        sizes[data.name] = len(data)
    if corrections:
        extra = read_corrections(corrections)
        if len(extra):
            parts.append((encode(extra.texts), extra.labels))
            sizes["corrections"] = len(extra)
    val_x = np.vstack([pool_x[hold], cached_embeddings(de_dev, encode, tag)])
    val_y = np.concatenate([pool.labels[hold], de_dev.labels])
    x = np.vstack([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    return x, y, val_x, val_y, sizes


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corrections", type=Path, help="CSV/JSONL with text,label columns")
    parser.add_argument("--output", type=Path, default=HEAD_PATH)
    args = parser.parse_args(argv)
    root = shared_dir()
    if root is None:
        print("train_sentiment: ../shared/data not found (set CXRADAR_SHARED_DIR); nothing to do")
        return 0
    encoder = load_encoder(None)
    started = time.monotonic()

    def encode(texts):
        print(f"encoding {len(texts)} texts with {encoder.name} ...", flush=True)
        return encoder.encode(texts, batch_size=64, show_progress=sys.stdout.isatty())

    x, y, val_x, val_y, sizes = load_training(root, encode, encoder.name, args.corrections)
    print(f"training on {len(y)} texts {sizes}, validating on {len(val_y)}")
    best = None
    for c in C_GRID:
        model = train_head(x, y, c)
        score = f1_score(val_y, model.predict(val_x), average="macro")
        print(f"  C={c}: validation macro-F1 {score:.4f}")
        if best is None or score > best[0]:
            best = (score, c, model)
    score, c, model = best
    logits = val_x @ model.coef_.T + model.intercept_
    temperature = fit_temperature(logits, val_y)
    ece_before = expected_calibration_error(softmax(logits), val_y)
    ece_after = expected_calibration_error(softmax(logits / temperature), val_y)
    meta = {
        "version": VERSION,
        "encoder": encoder.name,
        "C": c,
        "validation_macro_f1": round(score, 4),
        "temperature": round(temperature, 4),
        "ece_before": round(ece_before, 4),
        "ece_after": round(ece_after, 4),
        "training_sizes": sizes,
        "training_data": TRAINING_DATA,
        "labels": ["negative", "neutral", "positive"],
    }
    save_head(args.output, model.coef_, model.intercept_, temperature, meta)
    print(json.dumps(meta, indent=2))
    print(f"saved {args.output} in {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
