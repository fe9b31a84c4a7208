"""Real customer feedback with problem categories, from ``../shared/data`` (never copied here).

Three sets of text nobody on the team wrote, each read into ``Feedback`` rows with one
problem category per row and a *complaint* label, for measuring complaint detection and
issue grouping (``benchmarks/real_feedback.py``, ``models/training/evaluate.py``):

* **app reviews** (Panichella et al., 1,584 Google Play reviews of 27 apps): categories are
  the reviewers' topics (ERROR, UI, DEVICE, BATTERY ...), not problems, so the complaint
  label combines them with the stars the customer gave: a complaint is a review of 1-2 stars,
  or of 3 stars with a problem category; not a complaint, a review of 4-5 stars whose only
  category is OTHER; every other review (a 5-star review tagged UI, say) is left unlabelled
  (``complaint is None``) and out of precision and recall. Authors, dates, app (the brand)
  and app version come from the set.
* **airline support tweets** (ASAPP intents, 491 first tweets to airline accounts): intents
  are topics too (DELAY, BAGGAGE ...; many tweets thank the crew), and the set has no
  sentiment, so the complaint label is the team's own reading of each tweet
  (``benchmarks/labels/airline_complaints.csv``: the customer reports something that went
  wrong or does not work, in any tone, sarcasm included; thanks, questions and suggestions
  without a problem are not complaints; 259 of 491). The set has no authors or dates: each
  tweet is its own customer, and dates are spread over 14 days by a hash of the id.
* **GermEval-2017 dev** (2,369 documents about Deutsche Bahn from Twitter, Facebook, news and
  forums): a complaint is a relevant, negative document with a negative opinion in a problem
  category (Zugfahrt, Sonstige_Unregelmässigkeiten, Atmosphäre, Sicherheit, Ticketkauf ...;
  not Allgemein, "in general"); not a complaint, an irrelevant or non-negative document;
  negative documents with only general opinions are unlabelled. Twitter documents name
  their author in the URL; other documents are each their own author. The channel is the
  site kind (twitter, facebook, web); dates are spread over 28 days by a hash of the id.

``category`` is None for a row with no problem category (OTHER, Allgemein): such rows count
for complaint detection but not for purity and NMI.
"""

from __future__ import annotations

import csv
import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[2]
AIRLINE_LABELS = REPO / "benchmarks" / "labels" / "airline_complaints.csv"
# Dates for sets without them: spread over this many days before this (fixed) day.
UNDATED_END = datetime(2026, 10, 31, tzinfo=UTC)
APP_PROBLEM_FREE = {"OTHER", ""}
GERMEVAL_GENERAL = {"Allgemein"}
# The airline set anonymised numbers, airports, handles and tags; written as plain tokens so
# titles read naturally (each placeholder becomes the same token everywhere, as before).
AIRLINE_PLACEHOLDERS = {
    "__num__": "2",
    "__airport_code__": "the airport",
    "__twitter_at__": "@someone",
    "__twitter_tag__": "",
    "__money__": "$50",
    "__email__": "someone@example.com",
    "__url__": "http://example.com",
}


@dataclass(frozen=True)
class Feedback:
    """One real customer text with its labelled problem category and complaint label."""

    set_name: str
    id: str
    text: str
    category: str | None  # the problem category, None when the row has none
    complaint: bool | None  # None: not labelled either way (out of precision and recall)
    lang: str
    source: str  # the channel: googleplay, twitter, facebook, web
    author: str
    created_at: datetime
    rating: int | None = None
    brand: str | None = None
    kind: str = "post"  # "reshare": a retweet ("RT @user: ..."), which Twitter marks so
    extra: dict = field(default_factory=dict, compare=False, hash=False)


def _spread(key: str, days: int) -> datetime:
    """A fixed pseudo-random time within ``days`` before UNDATED_END, from ``key``."""
    fraction = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return UNDATED_END - timedelta(seconds=int(fraction * days * 86400))


# ------------------------------------------------------------------ app reviews


def app_reviews(root: Path) -> list[Feedback]:
    path = root / "data/en/app-reviews-panichella/golden_set.csv"
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            classes = [row.get(f"class{i}", "").strip() for i in range(1, 6)]
            problems = [c for c in classes if c not in APP_PROBLEM_FREE]
            stars = int(row["ratingStars"]) if row["ratingStars"].strip().isdigit() else None
            if (stars is not None and stars <= 2) or (stars == 3 and problems):
                complaint = True
            elif stars is not None and stars >= 4 and not problems:
                complaint = False
            else:
                complaint = None
            rows.append(
                Feedback(
                    set_name="app-reviews",
                    id=row["_id"],
                    text=row["reviewText"].strip(),
                    category=problems[0] if problems else None,
                    complaint=complaint,
                    lang="en",
                    source="googleplay",
                    author=row["author"].strip() or f"anon-{row['_id']}",
                    created_at=datetime.strptime(row["date"].strip(), "%d/%m/%y").replace(
                        tzinfo=UTC, hour=12
                    ),
                    rating=stars,
                    brand=row["app"].strip(),
                    extra={"app_version": row["appVersion"].strip(), "categories": problems},
                )
            )
    return rows


# ------------------------------------------------------------------ airline tweets


def _airline_labels(path: Path = AIRLINE_LABELS) -> dict[str, bool]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["id"]: row["complaint"] == "1" for row in csv.DictReader(handle)}


def _airline_text(text: str) -> str:
    for placeholder, token in AIRLINE_PLACEHOLDERS.items():
        text = text.replace(placeholder, token)
    return text


def airline_tweets(root: Path) -> list[Feedback]:
    path = root / "data/en/airline-intents-asapp/airlines_labelled.csv"
    labels = _airline_labels()
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            intent = row["intent"].strip()
            rows.append(
                Feedback(
                    set_name="airline-tweets",
                    id=row["id"],
                    text=_airline_text(row["text"].strip()),
                    category=None if intent == "OTHER" else intent,
                    complaint=labels.get(row["id"]),
                    lang="en",
                    source="twitter",
                    author=f"customer-{row['id']}",
                    created_at=_spread(row["id"], 14),
                    brand="airline",
                    extra={"intent": intent},
                )
            )
    return rows


# ------------------------------------------------------------------ GermEval 2017

_RETWEET = re.compile(r"RT @\w+")
_TWITTER_USER = re.compile(r"twitter\.com/([^/]+)/status", re.IGNORECASE)


def _germeval_channel(url: str) -> str:
    host = urlparse(url).netloc.lower()
    if "twitter.com" in host:
        return "twitter"
    if "facebook.com" in host:
        return "facebook"
    return "web"


def _germeval_documents(root: Path) -> Iterator[ET.Element]:
    tree = ET.parse(root / "data/de/germeval2017/dev-2017-09-15.xml")
    yield from tree.getroot().iter("Document")


def germeval_documents(root: Path) -> list[Feedback]:
    rows = []
    for doc in _germeval_documents(root):
        url = doc.get("id") or ""
        relevant = (doc.findtext("relevance") or "").strip() == "true"
        sentiment = (doc.findtext("sentiment") or "").strip()
        negative_categories = [
            (opinion.get("category") or "").split("#")[0]
            for opinion in doc.iter("Opinion")
            if opinion.get("polarity") == "negative"
        ]
        problems = [c for c in negative_categories if c and c not in GERMEVAL_GENERAL]
        if not relevant or sentiment != "negative":
            complaint = False
        elif problems:
            complaint = True
        else:
            complaint = None
        user = _TWITTER_USER.search(url.replace("\\_", "_"))
        text = (doc.findtext("text") or "").strip()
        rows.append(
            Feedback(
                set_name="germeval-dev",
                id=url,
                text=text,
                category=max(problems, key=problems.count) if problems else None,
                complaint=complaint,
                lang="de",
                source=_germeval_channel(url),
                author=user.group(1).lower() if user else url,
                created_at=_spread(url, 28),
                brand="Deutsche Bahn",
                kind="reshare" if _RETWEET.match(text) else "post",
                extra={"relevant": relevant, "sentiment": sentiment},
            )
        )
    return rows


REAL_SETS = {
    "app-reviews": app_reviews,
    "airline-tweets": airline_tweets,
    "germeval-dev": germeval_documents,
}
