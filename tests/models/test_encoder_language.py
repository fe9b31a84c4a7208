"""The encoder contract and language detection, with the real offline model."""

from __future__ import annotations

import numpy as np
import pytest

from models.encoder import MAX_CHARS, Encoder, load_encoder
from models.language import LanguageDetector


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return load_encoder(None)


def test_rows_are_unit_length_float32_in_input_order(encoder):
    texts = ["short", "a much longer text about a banking app that crashes " * 3, "mittel lang"]
    vectors = encoder.encode(texts, batch_size=2)
    assert vectors.shape == (3, encoder.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    one_by_one = np.vstack([encoder.encode([text]) for text in texts])
    assert np.allclose(vectors, one_by_one, atol=1e-4)  # sorting by length kept the order


def test_empty_input_and_empty_texts(encoder):
    assert encoder.encode([]).shape == (0, encoder.dim)
    vectors = encoder.encode(["", "   ", "\x00"])
    assert np.isfinite(vectors).all()


def test_huge_posts_are_clipped_for_the_model_not_rejected(encoder):
    huge = "Die App stürzt ab. " * 100_000
    vector = encoder.encode([huge])[0]
    assert np.allclose(vector, encoder.encode([huge[:MAX_CHARS]])[0], atol=1e-5)


def test_german_and_english_paraphrases_are_close(encoder):
    de, en, other = encoder.encode(
        [
            "Die App stürzt nach dem Update ständig ab",
            "The app keeps crashing after the update",
            "I would like to change my postal address",
        ]
    )
    assert de @ en > 0.88
    assert de @ en > de @ other + 0.05


def test_language_of_short_english_and_german_texts():
    detector = LanguageDetector()
    assert detector.detect(
        [
            "Die App stürzt ab",
            "The app keeps crashing",
            "Kartenzahlung abgelehnt",
            "Login geht seit dem Update nicht",
            "Great support, thanks!",
            "",
            "   ",
        ]
    ) == ["de", "en", "de", "de", "en", None, None]
