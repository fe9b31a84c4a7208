"""Complaint detection: does the customer report a problem, whatever the tone?

"I was charged twice for the same card payment" is a complaint though its words are calm;
"what a miserable rainy day" is negative but reports no problem with anything a company
could fix. Sentiment cannot tell the two apart, so a second small head answers it: a
temperature-calibrated MLP on the text's frozen e5 vector (the one stored for topics and
ticket links), trained by ``python -m models.training.train_complaint``. It reads only the
vector, so it needs no second encoding, serves tickets (encoded without the sentiment
branch) and every e5-small runtime alike, and can label rows stored before it existed from
their stored vectors.

``prob_complaint`` is the calibrated probability; ``complaint`` is ``prob >= threshold``,
the threshold chosen on held-out data when the head was trained (in its meta). The head file
is ``models/artifacts/complaint_head.npz``, or the path given as ``models.complaint_head``
in the YAML config or in ``$CXRADAR_COMPLAINT_HEAD`` (held-out heads for evaluation).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.encoder import E5_SMALL_SPACE
from models.sentiment import ARTIFACTS, SentimentHead

COMPLAINT_HEAD_PATH = ARTIFACTS / "complaint_head.npz"
HEAD_ENV = "CXRADAR_COMPLAINT_HEAD"
TRAIN_COMMAND = "python -m models.training.train_complaint"


@dataclass(frozen=True)
class ComplaintResult:
    complaint: bool
    probability: float  # calibrated probability that the text reports a problem


def head_path(path: str | os.PathLike | None = None) -> Path:
    """The head to load: ``path``, else ``$CXRADAR_COMPLAINT_HEAD``, else the shipped one."""
    chosen = path or os.environ.get(HEAD_ENV) or COMPLAINT_HEAD_PATH
    return Path(chosen).expanduser()


class ComplaintModel:
    """``predict(vectors)`` -> one ComplaintResult per row of the encoder's frozen vectors."""

    def __init__(self, head: SentimentHead, threshold: float = 0.5):
        self.head, self.threshold = head, float(threshold)
        self.version = str(head.meta.get("version", "complaint-head"))

    @classmethod
    def load(cls, encoder=None, path: str | os.PathLike | None = None) -> ComplaintModel:
        chosen = head_path(path)
        if not chosen.is_file():
            raise FileNotFoundError(
                f"complaint head {chosen} not found: check models.complaint_head / "
                f"${HEAD_ENV}, or train one with `{TRAIN_COMMAND}`"
            )
        head = SentimentHead.load(chosen)
        space = head.meta.get("space", E5_SMALL_SPACE)
        if encoder is not None and getattr(encoder, "vector_space", space) != space:
            # Vectors of another model mean nothing to this head: fail before any row is stored.
            raise ValueError(
                f"the complaint head {chosen} reads {space} vectors, the encoder "
                f"{encoder.name} gives others: train one with `{TRAIN_COMMAND} --encoder "
                f"{encoder.name} --output FILE` and set models.complaint_head: FILE"
            )
        return cls(head, head.meta.get("threshold", 0.5))

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """(n,) calibrated probabilities of a complaint."""
        if not len(vectors):
            return np.zeros(0)
        return self.head.probabilities(vectors)[:, 1]

    def predict(self, vectors: np.ndarray) -> list[ComplaintResult]:
        return [
            ComplaintResult(bool(p >= self.threshold), float(p))
            for p in self.probabilities(np.asarray(vectors, dtype=np.float32))
        ]


def load_complaint_model(encoder=None, path: str | os.PathLike | None = None) -> ComplaintModel:
    return ComplaintModel.load(encoder, path)
