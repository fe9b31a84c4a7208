"""Vector helpers shared by the encoders, the topic model and issue grouping.

Plain numpy: the layer below everything that handles embeddings (``models/`` imports no
``cxradar``; ``cxradar/intelligence/grouping.py`` imports this module).
"""

from __future__ import annotations

import numpy as np


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), float32; a 1-D vector is scaled
    as one row."""
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim == 1:
        norm = float(np.linalg.norm(array))
        return array / (norm or 1.0)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return (array / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def unit_matrix(embeddings: np.ndarray, expected_rows: int | None = None) -> np.ndarray:
    """Embeddings as a float32 (n, d) array of unit rows; empty input becomes shape (0, d).

    Raises ValueError for anything but a matrix, or for a row count other than
    ``expected_rows`` (documents and embeddings out of step).
    """
    array = np.asarray(embeddings, dtype=np.float32)
    if array.size == 0:
        width = array.shape[-1] if array.ndim == 2 else 0
        array = array.reshape(0, width)
    if array.ndim != 2:
        raise ValueError(f"embeddings must be 2-D (n_docs, dim), got shape {array.shape}")
    if expected_rows is not None and len(array) != expected_rows:
        raise ValueError(f"{expected_rows} documents but {len(array)} embeddings")
    return unit_rows(array)
