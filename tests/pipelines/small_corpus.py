"""A small, deterministic corpus for end-to-end pipeline tests.

Ground truth: a systemic problem (payments declined at checkout since an update:
14 authors, 3 sources, EN and DE, 6 days, echoed by tickets), one isolated
complaint (a single author, one source, one day) and unrelated chatter.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

START = datetime(2026, 9, 1, 8, tzinfo=UTC)

SYSTEMIC_EN = [
    "Card payment keeps getting declined at checkout since the latest update, so annoying",
    "Checkout fails every time, my card is declined although it works everywhere else",
    "Payment declined again at checkout. Third time today. Fix this please!",
    "Since the update I cannot pay, the checkout says card declined",
    "Why is my card always declined at checkout now? Was fine last week",
    "Checkout broken: payment declined error after updating the app",
    "The app refuses my card at checkout, payment declined, really frustrating",
]
SYSTEMIC_DE = [
    "Seit dem Update wird meine Kartenzahlung an der Kasse ständig abgelehnt",
    "Zahlung abgelehnt beim Checkout, obwohl die Karte überall sonst geht. Nervig!",
    "Checkout kaputt: Karte wird seit dem Update immer abgelehnt",
    "Ich kann nicht mehr bezahlen, die Zahlung wird jedes Mal abgelehnt",
    "Kartenzahlung an der Kasse schlägt seit gestern immer fehl, echt ärgerlich",
    "Warum wird meine Karte beim Bezahlen dauernd abgelehnt? Letzte Woche ging es noch",
    "Bezahlen unmöglich, Fehlermeldung Zahlung abgelehnt nach dem Update",
]
ISOLATED = "The courier left my parcel in the rain at the wrong door, the box was soaked"
CHATTER = [
    "Love the new savings goals feature, really well done",
    "Does anyone know if the app supports Apple Pay?",
    "Die neue Sparfunktion ist super, danke!",
    "Kann man in der App das Limit selbst ändern?",
    "Support answered within minutes, great service",
    "Toller Kundenservice, sehr freundlich am Telefon",
    "Just switched my salary account, so far so good",
    "Gibt es eine Web-Version oder nur die App?",
    "The statistics page is neat, I like the charts",
    "Habe heute mein Konto eröffnet, ging schnell",
]
TICKETS_SYSTEMIC = [
    ("Card declined at checkout", "Every payment at checkout is declined since I updated the app."),
    ("Zahlung abgelehnt", "Seit dem Update wird meine Karte beim Bezahlen immer abgelehnt."),
    ("Checkout payment fails", "My card payment fails at checkout with 'declined'."),
    ("Karte abgelehnt an der Kasse", "Kartenzahlung schlägt seit gestern ständig fehl."),
]
TICKETS_OTHER = [
    ("Change of address", "I moved and need to update my postal address."),
    ("Kontoauszug", "Wo finde ich meinen Kontoauszug als PDF?"),
    ("Limit increase", "Please raise my daily transfer limit."),
]


def write_corpus(folder: Path, days: int = 10) -> Path:
    """Write mentions, tickets and a config into ``folder``; returns the config path."""
    rng = random.Random(7)
    folder.mkdir(parents=True, exist_ok=True)
    mentions = []
    for index in range(14):  # the systemic problem: days 3..8, 14 authors, 3 sources
        texts = SYSTEMIC_EN if index % 2 == 0 else SYSTEMIC_DE
        mentions.append(
            {
                "source": ["reddit", "appstore", "mastodon"][index % 3],
                "id": f"sys-{index}",
                "created_at": (START + timedelta(days=3 + index % 6, hours=index)).isoformat(),
                "text": texts[index // 2 % len(texts)],
                "author": f"user{index}",
                **({"rating": 1} if index % 3 == 1 else {}),
            }
        )
    mentions.append(
        {  # the isolated complaint: one author, one source, one day
            "source": "reddit",
            "id": "iso-1",
            "created_at": (START + timedelta(days=5)).isoformat(),
            "text": ISOLATED,
            "author": "rainyparcel",
        }
    )
    for index in range(40):
        mentions.append(
            {
                "source": rng.choice(["reddit", "appstore", "mastodon"]),
                "id": f"chat-{index}",
                "created_at": (
                    START + timedelta(days=rng.randrange(days), hours=index)
                ).isoformat(),
                "text": f"{CHATTER[index % len(CHATTER)]} #{index}",
                "author": f"fan{index}",
            }
        )
    with (folder / "mentions.jsonl").open("w", encoding="utf-8") as handle:
        for row in mentions:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    with (folder / "tickets.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "created_at", "subject", "body", "channel"])
        for index, (subject, body) in enumerate(TICKETS_SYSTEMIC * 2):
            writer.writerow(
                [
                    f"T-{index}",
                    (START + timedelta(days=4 + index % 4)).isoformat(),
                    subject,
                    body,
                    "email",
                ]
            )
        for index, (subject, body) in enumerate(TICKETS_OTHER):
            writer.writerow(
                [f"O-{index}", (START + timedelta(days=index)).isoformat(), subject, body, "chat"]
            )
    config = folder / "cxradar.yaml"
    config.write_text(
        "brands:\n  - name: Finora\n    keywords: [finora]\n"
        "sources:\n  - name: test-feed\n    type: file\n    path: mentions.jsonl\n"
        "    brand: Finora\n"
        "ticket_sources:\n  - name: support\n    type: file\n    path: tickets.csv\n",
        encoding="utf-8",
    )
    return config
