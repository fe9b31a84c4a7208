"""Complaint detection: does the customer report a problem, whatever the tone?

"I was charged twice for the same card payment" is a complaint though its words are calm;
"what a miserable rainy day" is negative but reports no problem with anything a company
could fix. Sentiment cannot tell the two apart, so a second small head answers it: a
temperature-calibrated classifier, trained by ``python -m models.training.train_complaint``,
on what the one encoder pass already gives: the frozen e5 vector and the sentiment branch's
features side by side (``inputs: pair``; the branch's features carry most of the signal:
held-out F1 on app reviews 0.89 with them, 0.68-0.72 on the vector alone). A second head on
the vector alone (``inputs: vector``) serves encoders without the branch (the C engine) and
labels rows stored before the complaint existed from their stored vectors, without
re-encoding them.

``prob_complaint`` is the calibrated probability; ``complaint`` is ``prob >= threshold``,
the threshold chosen on held-out rows when the head was trained (in its meta), except for
an **inquiry**: a question asking for information ("How long does a SEPA transfer take?",
"Gibt es eine Web-Version?") reports no problem, whatever the head says (the head learnt
customer-service topics from reviews and feedback, and scores such questions 0.4-0.6).
A "why" question stays a complaint ("Why is my card declined again?"), and so does any
question the sentiment model calls negative. The head file
is ``models/artifacts/complaint_head.npz`` (``complaint_head_vectors.npz``), or the path
given as ``models.complaint_head`` in the YAML config or in ``$CXRADAR_COMPLAINT_HEAD``
(held-out heads for evaluation).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.encoder import E5_SMALL_SPACE
from models.sentiment import ARTIFACTS, SentimentHead

COMPLAINT_HEAD_PATH = ARTIFACTS / "complaint_head.npz"  # vector + branch features
VECTOR_HEAD_PATH = ARTIFACTS / "complaint_head_vectors.npz"  # the vector alone
HEAD_ENV = "CXRADAR_COMPLAINT_HEAD"
TRAIN_COMMAND = "python -m models.training.train_complaint"


# Words that open a question asking for information; "why"/"warum" questions are usually
# complaints and are left out.
INQUIRY_OPENERS = frozenset(
    {
        *("how", "what", "where", "when", "which", "who", "whom", "does", "do", "did", "is"),
        *("are", "can", "could", "would", "will", "should", "may", "anyone", "anybody", "any"),
        *("wie", "was", "wo", "wann", "welche", "welcher", "welches", "wer", "gibt", "kann"),
        *("könnt", "könnte", "kennt", "weiß", "hat", "habt", "ist", "sind", "muss", "darf"),
        *("jemand", "woher", "wohin"),
    }
)
_QUESTION = re.compile(r"([^.!?]*)\?")
_LEAD = re.compile(r"^(?:\s*(?:@\w+|#\w+|https?://\S+))+\s*")
# A filler of one or two words before the question: "Quick one: ", "Hm, ", "Ehrlich gesagt: "
_OPENER = re.compile(r"^\S+(?:\s+\S+)?[,:;]\s+")


def is_inquiry(text: str) -> bool:
    """A post that opens with a question asking for information: the question opens with an
    asking word, after handles and at most a two-word filler ("Quick one:", "Ok so Is there
    ...")."""
    found = _QUESTION.search(text or "")
    if not found or _LEAD.sub("", text[: found.start()]).strip():
        return False  # no question, or one after a statement ("Declined again. Anyone else?")
    question = _LEAD.sub("", found.group(1).strip())
    words = _OPENER.sub("", question, count=1).split()
    # "Ok so Is there ...": a capital after one or two words starts the question anew.
    starts = [0] + [i for i in (1, 2) if i < len(words) and words[i][:1].isupper()]
    return any(_asks(words[i]) for i in starts if i < len(words))


def _asks(word: str) -> bool:
    return word.casefold().strip("¿¡\"'“„") in INQUIRY_OPENERS


@dataclass(frozen=True)
class ComplaintResult:
    complaint: bool
    probability: float  # calibrated probability that the text reports a problem


def head_path(encoder=None, path: str | os.PathLike | None = None) -> Path:
    """The head to load: ``path``, else ``$CXRADAR_COMPLAINT_HEAD``, else the shipped head
    for what ``encoder`` gives (vector and branch features, or vectors alone)."""
    chosen = path or os.environ.get(HEAD_ENV)
    if chosen:
        return Path(chosen).expanduser()
    has_branch = bool(getattr(encoder, "sentiment_features", ""))
    return COMPLAINT_HEAD_PATH if has_branch else VECTOR_HEAD_PATH


class ComplaintModel:
    """``predict(vectors, features)`` -> one ComplaintResult per text.

    ``vectors``/``features``: the two arrays of ``encoder.encode_with_features``; a head on
    vectors alone ignores ``features``.
    """

    def __init__(self, head: SentimentHead, threshold: float = 0.5):
        self.head, self.threshold = head, float(threshold)
        self.inputs = head.meta.get("inputs", "vector")
        self.version = str(head.meta.get("version", "complaint-head"))

    @classmethod
    def load(cls, encoder=None, path: str | os.PathLike | None = None) -> ComplaintModel:
        chosen = head_path(encoder, path)
        if not chosen.is_file():
            raise FileNotFoundError(
                f"complaint head {chosen} not found: check models.complaint_head / "
                f"${HEAD_ENV}, or train one with `{TRAIN_COMMAND}`"
            )
        model = cls(SentimentHead.load(chosen), 0.5)
        model.threshold = float(model.head.meta.get("threshold", 0.5))
        if encoder is not None:
            model.check(encoder, chosen)
        return model

    def check(self, encoder, path: Path) -> None:
        """Fail before any row is stored when the encoder gives what the head cannot read."""
        space = self.head.meta.get("space", E5_SMALL_SPACE)
        features = getattr(encoder, "sentiment_features", "")
        wanted = self.head.meta.get("features", "")
        if getattr(encoder, "vector_space", space) != space:
            problem = f"reads {space} vectors, the encoder {encoder.name} gives others"
        elif self.inputs == "pair" and features != wanted:
            problem = f"reads the sentiment branch {wanted}, the encoder gives {features or 'none'}"
        else:
            return
        raise ValueError(
            f"the complaint head {path} {problem}: train one with `{TRAIN_COMMAND} --encoder "
            f"{encoder.name} --output FILE` and set models.complaint_head: FILE"
        )

    def probabilities(self, vectors: np.ndarray, features: np.ndarray | None = None) -> np.ndarray:
        """(n,) calibrated probabilities of a complaint."""
        if not len(vectors):
            return np.zeros(0)
        x = np.asarray(vectors, dtype=np.float32)
        if self.inputs == "pair":
            if features is None:
                raise ValueError("this complaint head reads the sentiment branch's features too")
            x = np.hstack([x, np.asarray(features, dtype=np.float32)])
        return self.head.probabilities(x)[:, 1]

    def predict(
        self,
        vectors: np.ndarray,
        features: np.ndarray | None = None,
        texts: list[str] | None = None,
    ) -> list[ComplaintResult]:
        """One verdict per row; with ``texts``, inquiries are never complaints."""
        probabilities = self.probabilities(vectors, features)
        asking = [is_inquiry(text) for text in texts] if texts is not None else None
        return [
            ComplaintResult(bool(p >= self.threshold) and not (asking and asking[i]), float(p))
            for i, p in enumerate(probabilities)
        ]


def load_complaint_model(
    encoder=None, path: str | os.PathLike | None = None, vectors_only: bool = False
) -> ComplaintModel:
    """The complaint head for ``encoder`` (or ``path``); ``vectors_only``: the head on the
    vector alone, for rows whose vectors are stored but whose features are not."""
    return ComplaintModel.load(encoder, VECTOR_HEAD_PATH if vectors_only else path)
