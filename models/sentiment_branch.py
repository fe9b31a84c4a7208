"""The sentiment branch: e5-small's top layers, adapted for sentiment with LoRA.

The encoder's lower layers run once per text; their output feeds both the frozen top
layers (the embedding every other step uses) and this branch, a copy of the top layers
with the low-rank updates trained by ``models/training/finetune_sentiment.py`` merged into their
weights. The branch's mean-pooled output is what the sentiment head classifies.

Artifact: ``models/artifacts/sentiment_lora.npz`` holds, per adapted Linear layer, the
LoRA matrices ``A`` (rank x in) and ``B`` (out x rank) in fp16, plus the config; merging
is ``W + alpha / rank * B @ A``, so running it needs torch and transformers, not peft.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ADAPTER_PATH = Path(__file__).resolve().parent / "artifacts" / "sentiment_lora.npz"
# Every Linear layer of a BERT layer: attention q/k/v and output, the FFN in and out.
LORA_TARGETS = ("query", "key", "value", "dense")
TOTAL_LAYERS = 12


@dataclass(frozen=True)
class BranchConfig:
    layers: int = 4  # top layers copied into the branch
    rank: int = 16
    alpha: int = 32

    @property
    def first_layer(self) -> int:
        return TOTAL_LAYERS - self.layers


def _torch_module():
    import torch

    class TopLayers(torch.nn.Module):
        """BERT layers from ``first_layer`` up, mean pooling, and a linear classifier."""

        def __init__(self, layers, hidden: int, classes: int):
            super().__init__()
            self.layers = torch.nn.ModuleList(layers)
            self.classifier = torch.nn.Linear(hidden, classes)

        @classmethod
        def from_encoder(cls, model, first_layer: int, classes: int = 3):
            layers = [copy.deepcopy(layer) for layer in model.encoder.layer[first_layer:]]
            return cls(layers, model.config.hidden_size, classes)

        def forward(self, hidden, mask):
            hidden = run_layers(self.layers, hidden, mask)
            pooled = mean_pool(hidden, mask)
            return pooled, self.classifier(pooled)

    return TopLayers


def __getattr__(name: str):
    # torch is imported only when the branch is used (the C-engine default needs no torch).
    if name == "TopLayers":
        return _torch_module()
    raise AttributeError(name)


def additive_mask(mask, dtype):
    """(batch, 1, 1, tokens): 0 where a token is real, a very negative number on padding."""
    import torch

    return (1.0 - mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


def run_layers(layers, hidden, mask):
    extended = additive_mask(mask, hidden.dtype)
    for layer in layers:
        out = layer(hidden, attention_mask=extended)
        hidden = out[0] if isinstance(out, tuple) else out
    return hidden


def mean_pool(hidden, mask):
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


def save_adapter(path: Path, weights: dict[str, np.ndarray], meta: dict) -> None:
    arrays = {name: value.astype(np.float16) for name, value in weights.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, meta=json.dumps(meta), **arrays)


def load_adapter(path: Path = ADAPTER_PATH) -> tuple[dict[str, np.ndarray], dict]:
    """(LoRA matrices, meta); meta["features"] names these exact weights (version + digest),
    so a sentiment head fitted on one adapter's features is never used with another's."""
    with np.load(path) as data:
        meta = json.loads(str(data["meta"]))
        weights = {k: data[k].astype(np.float32) for k in data.files if k != "meta"}
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]
    return weights, {**meta, "features": f"{meta['version']}-{digest}"}


def build_branch(model, path: Path = ADAPTER_PATH):
    """(copy of the top layers with the adapters merged, BranchConfig, meta)."""
    import torch

    weights, meta = load_adapter(path)
    config = BranchConfig(**meta["config"])
    layers = torch.nn.ModuleList(
        copy.deepcopy(layer) for layer in model.encoder.layer[config.first_layer :]
    )
    scale = config.alpha / config.rank
    modules = dict(layers.named_modules())
    merged = 0
    for name in {key.rsplit(".", 1)[0] for key in weights}:
        delta = scale * weights[f"{name}.B"] @ weights[f"{name}.A"]
        with torch.no_grad():
            modules[name].weight += torch.from_numpy(delta)
        merged += 1
    if merged != len([k for k in weights if k.endswith(".A")]):
        raise ValueError(f"{path}: adapter does not match the model's layers")
    return layers.eval(), config, meta
