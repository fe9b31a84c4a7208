"""Fine-tune e5-small's top layers for sentiment with LoRA, on 2 CPU cores.

    python -m models.training.finetune_sentiment [--layers 3] [--rank 16] [--steps 1700]
                                                 [--features F]

The encoder's vectors must not change: topics, duplicate detection and ticket linking
are calibrated on them. So the lower layers stay shared and frozen, and the sentiment
branch is a copy of the top ``--layers`` layers with low-rank adapters (LoRA, via
``peft``): one pass through the shared layers, then the frozen top layers give the
embedding and the adapted copy gives the sentiment features (``models/sentiment_branch.py``).

Because the lower layers are frozen, their output is computed once per training text and
kept in memory (fp16); each epoch then runs only the top layers, forward and backward.
The adapters are saved as ``models/artifacts/sentiment_lora.npz`` (under 1 MB); the
sentiment head on the branch's features is fitted afterwards by ``models.training.train_sentiment``.
Data and hold-outs: ``train_sentiment.data_parts`` (GermEval is never used here, so its
cross-validated figure stays honest). Needs ``../shared`` and the ``train`` extra (peft).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

from models.sentiment_branch import ADAPTER_PATH, LORA_TARGETS, BranchConfig, save_adapter
from models.training.datasets import CACHE_DIR, sb10k, shared_dir, tweeteval
from models.training.train_sentiment import SEED, Part, data_parts

VERSION = "e5-lora-1"


def lower_states(encoder, texts: list[str], config: BranchConfig, batch_size: int = 64):
    """The shared layers' output per text: a list of (tokens, 384) fp16 tensors."""
    import torch

    out: list = [None] * len(texts)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    started = time.monotonic()
    for start in range(0, len(order), batch_size):
        chosen = order[start : start + batch_size]
        tokens = encoder.tokenize([texts[i] for i in chosen])
        with torch.inference_mode():
            hidden = encoder.shared_states(tokens, config.first_layer)
        lengths = tokens["attention_mask"].sum(dim=1).tolist()
        for row, index in enumerate(chosen):
            out[index] = hidden[row, : lengths[row]].to(torch.float16).clone()
        if (start // batch_size) % 50 == 0:
            rate = (start + len(chosen)) / (time.monotonic() - started)
            print(f"  shared layers: {start + len(chosen)}/{len(texts)} ({rate:.0f}/s)", flush=True)
    return out


def _pad(states: list, indexes: list[int]):
    import torch

    length = max(len(states[i]) for i in indexes)
    hidden = torch.zeros(len(indexes), length, states[indexes[0]].shape[1])
    mask = torch.zeros(len(indexes), length, dtype=torch.long)
    for row, index in enumerate(indexes):
        hidden[row, : len(states[index])] = states[index].float()
        mask[row, : len(states[index])] = 1
    return hidden, mask


def batches(lengths: list[int], batch_size: int, rng: np.random.Generator) -> list[list[int]]:
    """Shuffled batches of similar length (less padding), in shuffled order."""
    order = rng.permutation(len(lengths))
    chunks = [order[i : i + batch_size * 50] for i in range(0, len(order), batch_size * 50)]
    out = []
    for chunk in chunks:
        chunk = sorted(chunk.tolist(), key=lambda i: lengths[i])
        out += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [out[i] for i in rng.permutation(len(out))]


def train(args: argparse.Namespace) -> int:
    import torch

    from models.encoder import TorchE5Encoder

    root = shared_dir()
    if root is None:
        print("finetune_sentiment: ../shared/data not found (set CXRADAR_SHARED_DIR); skipped")
        return 0
    torch.manual_seed(SEED)
    started = time.monotonic()
    config = BranchConfig(layers=args.layers, rank=args.rank, alpha=2 * args.rank)
    encoder = TorchE5Encoder()
    parts, validation, germeval = data_parts(root)
    train_texts, train_y, _ = _flatten(parts, args.german_repeat)
    val_texts, val_y, val_de = _flatten(validation, 1)
    print(f"training texts {len(train_texts)}, validation {len(val_texts)}", flush=True)
    # Test sets and GermEval pass the frozen layers only, so their features come out of the
    # same run (``--features``); nothing is trained on them.
    others = [tweeteval(root, "test"), sb10k(root, "test"), germeval] if args.features else []
    unique = sorted(set(train_texts) | set(val_texts) | {t for d in others for t in d.texts})
    index = {text: i for i, text in enumerate(unique)}
    states = cached_states(encoder, unique, config)
    print(f"shared layers ready after {time.monotonic() - started:.0f}s", flush=True)
    model = _lora_model(encoder, config)
    run = Run(model, states, [index[t] for t in train_texts], torch.tensor(train_y), args)
    best = -1.0
    for step in range(1, args.steps + 1):
        loss = run.step()
        if step % 50 == 0:
            print(
                f"  step {step}/{args.steps} loss {loss:.3f} ({run.rate():.1f} texts/s)", flush=True
            )
        if step % args.eval_every and step != args.steps:
            continue
        score = _validate(model, states, [index[t] for t in val_texts], val_y, val_de)
        print(f"step {step}: validation macro-F1 {json.dumps(score)}", flush=True)
        if score["mean"] <= best:
            continue
        best = score["mean"]
        meta = {
            "version": VERSION,
            "config": config.__dict__,
            "steps": step,
            "texts_seen": step * args.batch_size,
            "lr": args.lr,
            "batch_size": args.batch_size,
            "german_repeat": args.german_repeat,
            "validation_macro_f1": score,
            "training_sizes": {p.data.name: len(p.data) for p in parts},
            "seconds": round(time.monotonic() - started),
        }
        save_adapter(args.output, _adapter_weights(model), meta)
        print(f"saved {args.output} ({args.output.stat().st_size} bytes)", flush=True)
        if args.features:
            _save_features(args.features, model, states, unique)
    return 0


class Run:
    """The optimisation: AdamW with linear warm-up and decay over ``args.steps`` batches."""

    def __init__(self, model, states, rows, labels, args):
        import torch

        self.model, self.states, self.rows, self.labels = model, states, rows, labels
        self.args, self.rng = args, np.random.default_rng(SEED)
        self.lengths = [len(states[i]) for i in rows]
        self.pending: list[list[int]] = []
        self.optimiser = torch.optim.AdamW(
            [p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.01
        )
        total = args.steps
        self.schedule = torch.optim.lr_scheduler.LambdaLR(
            self.optimiser,
            lambda step: min(1.0, step / (0.06 * total)) * max(0.0, 1 - step / total),
        )
        self.started, self.seen = time.monotonic(), 0

    def step(self) -> float:
        import torch

        if not self.pending:  # a new pass over the data, reshuffled
            self.pending = batches(self.lengths, self.args.batch_size, self.rng)
        batch = self.pending.pop()
        self.model.train()
        hidden, mask = _pad(self.states, [self.rows[i] for i in batch])
        loss = torch.nn.functional.cross_entropy(self.model(hidden, mask)[1], self.labels[batch])
        loss.backward()
        self.optimiser.step(), self.schedule.step(), self.optimiser.zero_grad()
        self.seen += len(batch)
        return loss.item()

    def rate(self) -> float:
        return self.seen / (time.monotonic() - self.started)


def _lora_model(encoder, config: BranchConfig):
    from peft import LoraConfig, get_peft_model

    from models.sentiment_branch import TopLayers

    top = TopLayers.from_encoder(encoder.model, config.first_layer, classes=3)
    lora = LoraConfig(
        r=config.rank,
        lora_alpha=config.alpha,
        lora_dropout=0.1,
        target_modules=list(LORA_TARGETS),
        modules_to_save=["classifier"],
    )
    model = get_peft_model(top, lora)
    model.print_trainable_parameters()
    return model


def cached_states(encoder, texts: list[str], config: BranchConfig) -> list:
    """``lower_states``, kept on disk (outside git) so another run with other settings is quick."""
    import torch

    key = hashlib.sha256(("\n".join(texts) + f"|{config.first_layer}").encode()).hexdigest()[:16]
    flat_path = CACHE_DIR / f"states-{key}.npy"
    offsets_path = CACHE_DIR / f"states-{key}-offsets.npy"
    if not flat_path.is_file():
        states = lower_states(encoder, texts, config)
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        offsets = np.cumsum([0] + [len(s) for s in states])
        np.save(offsets_path, offsets)
        np.save(flat_path, torch.cat(states).numpy())
        return states
    flat, offsets = np.load(flat_path, mmap_mode="r"), np.load(offsets_path)
    return [torch.from_numpy(np.array(flat[a:b])) for a, b in itertools.pairwise(offsets)]


def _flatten(parts: list[Part], german_repeat: int):
    texts, labels, german = [], [], []
    for part in parts:
        repeat = german_repeat if part.language == "de" else 1
        for _ in range(repeat):
            texts += part.data.texts
            labels += part.data.labels.tolist()
            german += [part.language == "de"] * len(part.data)
    return texts, np.array(labels), np.array(german)


def _validate(model, states, rows: list[int], labels: np.ndarray, german: np.ndarray) -> dict:
    import torch

    model.eval()
    predicted = np.zeros(len(rows), dtype=np.int64)
    order = sorted(range(len(rows)), key=lambda i: len(states[rows[i]]))
    with torch.inference_mode():
        for start in range(0, len(order), 128):
            chosen = order[start : start + 128]
            hidden, mask = _pad(states, [rows[i] for i in chosen])
            predicted[chosen] = model(hidden, mask)[1].argmax(dim=1).numpy()
    out = {
        "en": f1_score(labels[~german], predicted[~german], average="macro"),
        "de": f1_score(labels[german], predicted[german], average="macro"),
    }
    out["mean"] = (out["en"] + out["de"]) / 2
    return {k: round(float(v), 4) for k, v in out.items()}


def _save_features(path: Path, model, states: list, texts: list[str]) -> None:
    """The branch's unit-length pooled output per text, to fit and evaluate the head on."""
    import torch

    model.eval()
    features = np.zeros((len(texts), 384), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(states[i]))
    with torch.inference_mode():
        for start in range(0, len(order), 128):
            chosen = order[start : start + 128]
            hidden, mask = _pad(states, chosen)
            features[chosen] = model(hidden, mask)[0].numpy()
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    np.savez(path, features=features, texts=np.array(texts, dtype=object))
    print(f"features of {len(texts)} texts saved to {path}", flush=True)


def _adapter_weights(model) -> dict[str, np.ndarray]:
    """LoRA A/B matrices by layer-relative module name, e.g. ``0.attention.self.query.A``."""
    out = {}
    for name, tensor in model.state_dict().items():
        if "lora_" not in name:
            continue
        module = name.split("layers.", 1)[1].split(".lora_")[0]
        kind = "A" if ".lora_A." in name else "B"
        out[f"{module}.{kind}"] = tensor.detach().cpu().numpy().copy()
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--layers", type=int, default=3, help="top layers in the sentiment branch")
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--steps", type=int, default=1700, help="batches to train on")
    parser.add_argument("--eval-every", type=int, default=425, help="validate (and keep the best)")
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--german-repeat", type=int, default=2, help="German rows per epoch")
    parser.add_argument("--output", type=Path, default=ADAPTER_PATH)
    parser.add_argument("--features", type=Path, help="also save the branch's features (npz)")
    return train(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
