"""Readers for the labelled sentiment data in ``../shared/data`` (never copied into the repo).

The folder is ``$CXRADAR_SHARED_DIR`` or ``../shared`` beside the repo; end users
do not have it, so every caller checks ``shared_dir()`` and skips cleanly.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.text import normalise_tweet

REPO = Path(__file__).resolve().parents[2]
LABEL_IDS = {"negative": 0, "neutral": 1, "positive": 2}
CACHE_DIR = REPO / ".cxradar" / "cache"


@dataclass
class Dataset:
    name: str
    texts: list[str]
    labels: np.ndarray  # 0 negative, 1 neutral, 2 positive

    def __len__(self) -> int:
        return len(self.texts)


def shared_dir() -> Path | None:
    folder = Path(os.environ.get("CXRADAR_SHARED_DIR") or REPO.parent / "shared")
    return folder if (folder / "data").is_dir() else None


def _unescape(text: str) -> str:
    if "\\u" in text:
        try:
            return (
                codecs.decode(text, "unicode_escape")
                .encode("latin-1", "ignore")
                .decode("utf-8", "ignore")
                or text
            )
        except (UnicodeDecodeError, UnicodeEncodeError):
            return text
    return text


def _dataset(name: str, pairs: Sequence[tuple[str, str]]) -> Dataset:
    seen, texts, labels = set(), [], []
    for label, text in pairs:
        text = normalise_tweet(text)
        if label in LABEL_IDS and text and text not in seen:
            seen.add(text)
            texts.append(text)
            labels.append(LABEL_IDS[label])
    return Dataset(name, texts, np.array(labels, dtype=np.int64))


def semeval_pool(root: Path) -> Dataset:
    pairs = []
    for path in sorted((root / "data/en/semeval2017").glob("twitter-*.txt")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split("\t")
            if len(parts) >= 3:
                pairs.append((parts[1].strip(), _unescape("\t".join(parts[2:]))))
    return _dataset("semeval-pool", pairs)


def tweeteval(root: Path, split: str) -> Dataset:
    folder = root / "data/en/tweeteval"
    texts = (folder / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
    labels = (folder / f"{split}_labels.txt").read_text(encoding="utf-8").split()
    names = {0: "negative", 1: "neutral", 2: "positive"}
    data = Dataset(
        f"tweeteval-{split}",
        [normalise_tweet(t) for t in texts],
        np.array([int(x) for x in labels], dtype=np.int64),
    )
    assert all(int(x) in names for x in labels)
    return data


def sb10k(root: Path, split: str) -> Dataset:
    pairs = []
    for line in (root / f"data/de/sb10k/{split}.tsv").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3:
            pairs.append((parts[1].strip().lower(), parts[2]))
    return _dataset(f"sb10k-{split}", pairs)


def potts(root: Path) -> Dataset:
    pairs = []
    for line in (
        (root / "data/de/potts/corpus_label_text.tsv").read_text(encoding="utf-8").splitlines()
    ):
        label, _, text = line.partition("\t")
        pairs.append((label.strip().lower(), text))
    return _dataset("potts", pairs)


def germeval_dev(root: Path) -> Dataset:
    tree = ET.parse(root / "data/de/germeval2017/dev-2017-09-15.xml")
    pairs = [
        ((doc.findtext("sentiment") or "").strip(), doc.findtext("text") or "")
        for doc in tree.getroot().iter("Document")
    ]
    return _dataset("germeval2017-dev", pairs)


def cached_embeddings(data: Dataset, encode: Callable[[list[str]], np.ndarray], tag: str):
    """Embeddings of a data set, cached on disk (outside git) by content and encoder."""
    digest = hashlib.sha256(("\n".join(data.texts) + tag).encode()).hexdigest()[:16]
    path = CACHE_DIR / f"{data.name}-{digest}.npy"
    if path.is_file():
        return np.load(path)
    vectors = encode(data.texts)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def feature_tag(encoder) -> str:
    """Names the features for caching: encoder plus sentiment branch, if any."""
    features = getattr(encoder, "sentiment_features", "")
    return f"{encoder.name}+{features}" if features else encoder.name


def cached_pairs(texts: Sequence[str], encoder) -> tuple[np.ndarray, np.ndarray]:
    """(vectors, sentiment features) of ``texts`` from one encoder pass, cached on disk.

    Every head (sentiment, complaint) reads these two arrays, as the pipeline does.
    """

    def encode(chosen: list[str]) -> np.ndarray:
        print(f"encoding {len(chosen)} texts with {feature_tag(encoder)} ...", flush=True)
        vectors, features = encoder.encode_with_features(
            chosen, batch_size=32, show_progress=sys.stdout.isatty()
        )
        return np.hstack([vectors, features])

    data = Dataset("pairs", list(texts), np.zeros(len(texts), dtype=np.int64))
    both = cached_embeddings(data, encode, feature_tag(encoder) + "|pair")
    return both[:, : encoder.dim], both[:, encoder.dim :]


def sst2_dev(root: Path) -> Dataset:
    """SST-2 dev (EN movie-review phrases), binary: 0 negative, 2 positive."""
    pairs = []
    lines = (root / "data/en/sst2/dev.tsv").read_text(encoding="utf-8").splitlines()[1:]
    for line in lines:
        text, _, label = line.rpartition("\t")
        if label.strip() in ("0", "1"):
            pairs.append(("positive" if label.strip() == "1" else "negative", text))
    return _dataset("sst2-dev", pairs)


def app_review_sentiment(root: Path) -> Dataset:
    """The real app reviews with the stars as (weak) sentiment truth: 1-2 negative, 3
    neutral, 4-5 positive; the text on the pipeline's model-text surface."""
    from models.training.feedback import app_reviews

    names = {1: "negative", 2: "negative", 3: "neutral", 4: "positive", 5: "positive"}
    pairs = [(names[r.rating], r.text) for r in app_reviews(root) if r.rating in names]
    return _dataset("app-reviews-stars", pairs)
