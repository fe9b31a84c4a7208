"""Sentiment behaviour a CX team would notice, and the hub-model loading path."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.encoder import load_encoder
from models.sentiment import (
    LABELS,
    HubSentimentModel,
    SentimentHead,
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


PAIRS = [
    (
        "The transfer arrived quickly, great service",
        "Die Überweisung kam schnell an, toller Service",
    ),
    (
        "I still have not received my card, very annoying",
        "Ich habe meine Karte immer noch nicht bekommen, sehr ärgerlich",
    ),
    ("Where can I download my statement?", "Wo kann ich meinen Kontoauszug herunterladen?"),
    (
        "The new update is fantastic, much faster now",
        "Das neue Update ist fantastisch, viel schneller jetzt",
    ),
    (
        "Customer service was friendly and solved my problem",
        "Der Kundenservice war freundlich und hat mein Problem gelöst",
    ),
    ("The app crashes every time I open it", "Die App stürzt jedes Mal ab, wenn ich sie öffne"),
    ("How do I change my address?", "Wie ändere ich meine Adresse?"),
    ("Thanks, everything works again", "Danke, alles funktioniert wieder"),
    (
        "Terrible experience, I am cancelling my account",
        "Schreckliche Erfahrung, ich kündige mein Konto",
    ),
    ("The branch opens at 9 am", "Die Filiale öffnet um 9 Uhr"),
    ("Love the new design!", "Ich liebe das neue Design!"),
]


def test_english_and_german_pairs_mostly_agree(model):
    english = labels(model, [en for en, _ in PAIRS])
    german = labels(model, [de for _, de in PAIRS])
    disagreements = [(p, a, b) for p, a, b in zip(PAIRS, english, german, strict=True) if a != b]
    # One slip in eleven is tolerated (German praise is sometimes called neutral, see the card).
    assert len(disagreements) <= 1, disagreements


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


def test_confidence_is_a_probability_and_precomputed_features_give_the_same_answer(model):
    texts = ["Great app", "Terrible app", "What time is it?"]
    direct = model.predict(texts)
    features = load_encoder(None).encode_with_features(texts)[1]
    reused = model.predict(texts, embeddings=features)
    for a, b in zip(direct, reused, strict=True):
        assert a.label == b.label and abs(a.score - b.score) < 1e-4
        assert abs(sum(a.probs) - 1) < 1e-6 and a.score == max(a.probs)


def test_rating_rule():
    glowing, furious, mixed = (
        np.array(p) for p in ([0.01, 0.02, 0.97], [0.9, 0.07, 0.03], [0.4, 0.3, 0.3])
    )
    label = lambda probs: LABELS[int(np.argmax(probs))]  # noqa: E731
    assert label(with_rating(glowing, 1)) == "negative"  # 1-2 stars: negative, always
    assert label(with_rating(glowing, 2)) == "negative"
    assert label(with_rating(mixed, 5)) == "positive"  # 4-5 stars: positive ...
    assert label(with_rating(furious, 5)) == "negative"  # ... unless confidently negative
    assert label(with_rating(np.array([0.35, 0.3, 0.35]), 3)) == "neutral"  # 3: lean neutral
    assert label(with_rating(glowing, 3)) == "positive"  # ... but the text decides
    for probs in (glowing, furious, mixed):
        for stars in (None, 1, 2, 3, 4, 5):
            assert abs(with_rating(probs, stars).sum() - 1) < 1e-9
    assert with_rating(mixed, None) is mixed and with_rating(mixed, 0) is mixed


def test_head_round_trips_through_its_file(tmp_path):
    rng = np.random.default_rng(0)
    layers = [
        (rng.normal(size=(8, 384)), rng.normal(size=8)),
        (rng.normal(size=(3, 8)), rng.normal(size=3)),
    ]
    head = SentimentHead(layers, temperature=1.7, meta={"version": "t"})
    head.save(tmp_path / "head.npz")
    loaded = SentimentHead.load(tmp_path / "head.npz")
    x = rng.normal(size=(5, 384))
    assert np.allclose(loaded.probabilities(x), head.probabilities(x), atol=1e-5)
    assert loaded.temperature == 1.7 and loaded.meta == {"version": "t"}
    with pytest.raises(FileNotFoundError, match="train_sentiment"):
        SentimentHead.load(tmp_path / "missing.npz")


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


def test_three_class_hub_model_with_generic_names(tmp_path):
    path = tiny_hub_model(tmp_path, {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, [0.0, 5.0, 0.0])
    result = HubSentimentModel(path).predict(["the app"])[0]
    assert result.label == "neutral" and abs(sum(result.probs) - 1) < 1e-6
