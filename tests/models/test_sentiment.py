"""Sentiment behaviour a CX team would notice, and the hub-model loading path."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.encoder import load_encoder
from models.sentiment import (
    LABELS,
    HubSentimentModel,
    load_sentiment_model,
    with_rating,
)


@pytest.fixture(scope="module")
def model():
    return load_sentiment_model(None, encoder=load_encoder(None))


def labels(model, texts, ratings=None):
    return [r.label for r in model.predict(texts, ratings=ratings)]


def test_clear_cases_in_english_and_german(model):
    assert labels(
        model,
        [
            "I love this app, everything works perfectly",
            "Ich liebe diese App, alles funktioniert perfekt",
            "Worst bank ever, the app crashes all the time and nobody helps",
            "Schlechteste Bank überhaupt, die App stürzt ständig ab und niemand hilft",
        ],
    ) == ["positive", "positive", "negative", "negative"]


def test_english_and_german_pairs_agree(model):
    pairs = [
        (
            "The transfer arrived quickly, great service",
            "Die Überweisung kam schnell an, toller Service",
        ),
        (
            "I still have not received my card, very annoying",
            "Ich habe meine Karte immer noch nicht bekommen, sehr ärgerlich",
        ),
        ("Where can I download my statement?", "Wo kann ich meinen Kontoauszug herunterladen?"),
    ]
    for en, de in pairs:
        assert labels(model, [en]) == labels(model, [de]), (en, de)


def test_names_and_urls_do_not_change_the_verdict(model):
    base = "The support team solved my problem in minutes, fantastic"
    variants = [
        base,
        "@maria_k " + base,
        base + " https://example.com/thread/123",
        "Thanks Jonas! " + base,
    ]
    assert len(set(labels(model, variants))) == 1


def test_negation_flips_the_label(model):
    assert labels(model, ["The app works great", "The app does not work at all"]) == [
        "positive",
        "negative",
    ]
    assert labels(
        model, ["Die App funktioniert super", "Die App funktioniert überhaupt nicht"]
    ) == [
        "positive",
        "negative",
    ]


def test_star_ratings_override_polite_words(model):
    polite = "Thank you for your efforts, but the login has never worked for me"
    assert labels(model, [polite, polite], ratings=[1, 5])[0] == "negative"
    kind = "Nice design, friendly people"
    assert labels(model, [kind], ratings=[1]) == ["negative"]
    assert labels(model, [kind], ratings=[5]) == ["positive"]


def test_confidence_is_a_probability_and_precomputed_vectors_give_the_same_answer(model):
    texts = ["Great app", "Terrible app", "What time is it?"]
    direct = model.predict(texts)
    vectors = load_encoder(None).encode(texts)
    reused = model.predict(texts, embeddings=vectors)
    for a, b in zip(direct, reused, strict=True):
        assert a.label == b.label and abs(a.score - b.score) < 1e-4
        assert abs(sum(a.probs) - 1) < 1e-6 and a.score == max(a.probs)


def test_rating_prior_keeps_probabilities_normalised():
    probs = np.array([0.1, 0.3, 0.6])
    for stars in range(1, 6):
        combined = with_rating(probs, stars)
        assert abs(combined.sum() - 1) < 1e-9
    assert with_rating(probs, None) is probs


def tiny_hub_model(folder, id2label: dict[int, str], bias: list[float]):
    """A 2-layer BERT with a 30-word vocabulary, saved like a hub model; no download."""
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "app", "is", "great", "bad"]
    (folder / "vocab.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab_file=str(folder / "vocab.txt")).save_pretrained(folder)
    config = BertConfig(
        vocab_size=len(words),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        num_labels=len(id2label),
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
    )
    model = BertForSequenceClassification(config)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor(bias))
    model.save_pretrained(folder)
    return str(folder)


def test_hub_model_labels_are_mapped_by_name(tmp_path):
    path = tiny_hub_model(tmp_path, {0: "POSITIVE", 1: "NEUTRAL", 2: "NEGATIVE"}, [6.0, 0.0, 0.0])
    hub = load_sentiment_model(path)
    assert isinstance(hub, HubSentimentModel)
    results = hub.predict(["the app is great", "bad"])
    assert [r.label for r in results] == ["positive", "positive"]
    assert results[0].score > 0.9 and results[0].probs[LABELS.index("negative")] < 0.05


def test_binary_hub_model_never_says_neutral(tmp_path):
    path = tiny_hub_model(tmp_path, {0: "LABEL_0", 1: "LABEL_1"}, [3.0, 0.0])
    results = HubSentimentModel(path).predict(["the app is bad"])
    assert results[0].label == "negative" and results[0].probs[1] == 0.0
