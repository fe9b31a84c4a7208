"""Sentiment in three classes (negative, neutral, positive) with a calibrated confidence.

The default model is a small head (multinomial logistic regression, temperature-
calibrated) trained by ``models/train_sentiment.py`` on the frozen multilingual-e5
embeddings: the pipeline passes the vectors it already computed, so a text is
encoded once. ``HubSentimentModel`` wraps any transformers sequence-classification
model by hub name or local path instead.

Star ratings: a review's stars are evidence too. The text's probabilities are
multiplied by a prior for the rating (``RATING_PRIOR``) and renormalised, like
two independent experts agreeing. One or two stars therefore make a review
negative even with polite words ("Thanks, but it never works" with 1 star), five
stars make it positive unless the text is confidently negative, and three stars
lean neutral while the text decides.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LABELS = ("negative", "neutral", "positive")
HEAD_PATH = Path(__file__).resolve().parent / "artifacts" / "sentiment_head.npz"
RATING_PRIOR = {
    1: (0.90, 0.08, 0.02),
    2: (0.75, 0.20, 0.05),
    3: (0.30, 0.50, 0.20),
    4: (0.06, 0.24, 0.70),
    5: (0.03, 0.07, 0.90),
}


@dataclass(frozen=True)
class SentimentResult:
    label: str
    score: float  # calibrated probability of ``label``
    probs: tuple[float, float, float]  # negative, neutral, positive


def with_rating(probs: np.ndarray, rating: int | None) -> np.ndarray:
    """Combine text probabilities with the star rating's prior (see the module docstring)."""
    if rating not in RATING_PRIOR:
        return probs
    combined = probs * np.asarray(RATING_PRIOR[rating])
    return combined / combined.sum()


def to_results(probs: np.ndarray, ratings: Sequence[int | None] | None) -> list[SentimentResult]:
    ratings = ratings if ratings is not None else [None] * len(probs)
    results = []
    for row, rating in zip(probs, ratings, strict=True):
        row = with_rating(np.asarray(row, dtype=np.float64), rating)
        best = int(np.argmax(row))
        results.append(
            SentimentResult(LABELS[best], float(row[best]), tuple(float(p) for p in row))
        )
    return results


class SentimentModel(ABC):
    labels = LABELS
    version: str

    @abstractmethod
    def predict_proba(
        self, texts: Sequence[str], embeddings: np.ndarray | None = None
    ) -> np.ndarray:
        """(n, 3) probabilities in LABELS order."""

    def predict(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray | None = None,
        ratings: Sequence[int | None] | None = None,
    ) -> list[SentimentResult]:
        if not len(texts):
            return []
        return to_results(self.predict_proba(texts, embeddings), ratings)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


class EmbeddingHeadSentiment(SentimentModel):
    """A linear head on the frozen encoder's vectors, with temperature calibration."""

    def __init__(
        self,
        encoder,
        weights: np.ndarray,
        bias: np.ndarray,
        temperature: float = 1.0,
        version: str = "head",
    ):
        self.encoder, self.weights, self.bias = encoder, weights, bias
        self.temperature, self.version = temperature, version

    @classmethod
    def load(cls, encoder, path: Path = HEAD_PATH) -> EmbeddingHeadSentiment:
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} is missing: reinstall cxradar or train it with "
                "`python -m models.train_sentiment`"
            )
        with np.load(path) as data:
            meta = json.loads(str(data["meta"]))
            return cls(
                encoder,
                data["weights"],
                data["bias"],
                float(data["temperature"]),
                version=meta.get("version", "head"),
            )

    def predict_proba(
        self, texts: Sequence[str], embeddings: np.ndarray | None = None
    ) -> np.ndarray:
        if embeddings is None:
            embeddings = self.encoder.encode(texts)
        logits = np.asarray(embeddings, dtype=np.float64) @ self.weights.T + self.bias
        return softmax(logits / self.temperature)


def save_head(path: Path, weights, bias, temperature: float, meta: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        weights=np.asarray(weights, dtype=np.float32),
        bias=np.asarray(bias, dtype=np.float32),
        temperature=np.float32(temperature),
        meta=json.dumps(meta),
    )


_LABEL_ALIASES = {
    "negative": 0,
    "neg": 0,
    "label_0": 0,
    "1 star": 0,
    "2 stars": 0,
    "neutral": 1,
    "neu": 1,
    "3 stars": 1,
    "positive": 2,
    "pos": 2,
    "4 stars": 2,
    "5 stars": 2,
}


class HubSentimentModel(SentimentModel):
    """Any transformers sequence-classification model, by hub name or local path."""

    def __init__(self, model_name_or_path: str, max_length: int = 256, batch_size: int = 32):
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(model_name_or_path)
        self.model = AutoModelForSequenceClassification.from_pretrained(model_name_or_path).eval()
        self.max_length, self.batch_size = max_length, batch_size
        self.version = model_name_or_path
        self.columns = self._label_columns(self.model.config.id2label)

    @staticmethod
    def _label_columns(id2label: dict) -> list[int]:
        """For each model output, which of our three labels it means."""
        names = {int(i): str(name).lower() for i, name in id2label.items()}
        if len(names) == 2 and all(name.startswith("label_") for name in names.values()):
            return [0, 2]  # binary models: 0 negative, 1 positive
        if all(name in _LABEL_ALIASES for name in names.values()):
            return [_LABEL_ALIASES[names[i]] for i in sorted(names)]
        if len(names) == 3:
            return [0, 1, 2]  # LABEL_0..2 in the common negative/neutral/positive order
        raise ValueError(f"cannot map the model's labels {sorted(names.values())} to {LABELS}")

    def predict_proba(
        self, texts: Sequence[str], embeddings: np.ndarray | None = None
    ) -> np.ndarray:
        import torch

        out = np.zeros((len(texts), 3))
        for start in range(0, len(texts), self.batch_size):
            batch = [text or " " for text in texts[start : start + self.batch_size]]
            tokens = self.tokenizer(
                batch,
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
            with torch.inference_mode():
                probs = torch.softmax(self.model(**tokens).logits, dim=-1).numpy()
            for column, target in enumerate(self.columns):
                out[start : start + len(batch), target] += probs[:, column]
        return out


def load_sentiment_model(spec: str | None = None, encoder=None) -> SentimentModel:
    """None/"default": the trained head on the e5 vectors; anything else: a hub model."""
    if spec in (None, "", "default"):
        if encoder is None:
            from models.encoder import load_encoder

            encoder = load_encoder(None)
        return EmbeddingHeadSentiment.load(encoder)
    return HubSentimentModel(spec)
