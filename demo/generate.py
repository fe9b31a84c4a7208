"""Writes the bundled demo data set (deterministic): ``python -m demo.generate``.

Finora, a fictional mobile banking app used in Germany, Austria and the UK.
October 2026, English and German, six public channels and a helpdesk export.
Ground truth (also in ``demo/ground_truth.json``):

- systemic: after app update 5.2 (18 Oct; App Store and Google Play reviews name the
  version, 5.1 before it) login fails / the 2FA SMS code never
  arrives; many customers on five channels, growing for days, echoed by tickets,
  and a negative spike on 18-21 Oct;
- isolated: five single customers with their own one-off problem, one channel,
  one day each;
- everything else is everyday chatter: questions, praise and thinly spread
  gripes;
- an in-app NPS survey over October (``demo/surveys.py``): NPS drops after the update,
  and most detractors of that week name the login / SMS code problem.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 30
UPDATE_DAY = 17  # index of 18 Oct
SOURCES = ("reddit", "appstore", "googleplay", "trustpilot", "mastodon", "news")
REVIEW_SOURCES = {"appstore", "googleplay", "trustpilot"}
APP_STORES = {"appstore", "googleplay"}  # their reviews name the app version
UPDATE = START + timedelta(days=UPDATE_DAY)  # 5.2 reaches the stores; before it, 5.1
SOURCE_WEIGHTS = (0.26, 0.2, 0.2, 0.12, 0.17, 0.05)

FIRST = {
    "en": [
        "James",
        "Olivia",
        "Harry",
        "Amelia",
        "Jack",
        "Isla",
        "Noah",
        "Ava",
        "Leo",
        "Mia",
        "Oscar",
        "Freya",
        "Alfie",
        "Grace",
        "Theo",
        "Ella",
        "Archie",
        "Lily",
        "Sam",
        "Ruby",
    ],
    "de": [
        "Lukas",
        "Anna",
        "Jonas",
        "Lea",
        "Felix",
        "Marie",
        "Paul",
        "Lena",
        "Elias",
        "Emma",
        "Moritz",
        "Sophie",
        "Tim",
        "Hannah",
        "Jan",
        "Clara",
        "Niklas",
        "Laura",
        "Ben",
        "Mila",
    ],
}
LAST = {
    "en": ["smith", "jones", "taylor", "brown", "wilson", "evans", "wright", "walker", "green"],
    "de": ["mueller", "schmidt", "schneider", "fischer", "weber", "meyer", "wagner", "becker"],
}

# Everyday chatter: (sentiment intent, theme) -> phrasings per language.
CHATTER = {
    ("positive", "savings"): {
        "en": [
            "The savings pots feature is brilliant, finally saving for the holiday",
            "Love how the round-ups fill my savings goal without me noticing",
            "Set up three savings goals in two minutes, really well designed",
            "The new savings space is so clean, great job team",
        ],
        "de": [
            "Die Spartöpfe sind genial, endlich spare ich für den Urlaub",
            "Das Aufrunden auf das Sparziel finde ich richtig gut gemacht",
            "In zwei Minuten drei Sparziele angelegt, super durchdacht",
            "Der neue Sparbereich ist so übersichtlich, großes Lob",
        ],
    },
    ("positive", "support"): {
        "en": [
            "Support sorted my issue in the chat within five minutes, impressed",
            "Friendly and quick help from the support team today, thanks",
            "Had a question about my limit, chat answered straight away",
        ],
        "de": [
            "Der Support hat mir im Chat in fünf Minuten geholfen, stark",
            "Sehr freundlicher und schneller Kundenservice heute, danke",
            "Frage zum Limit gestellt, im Chat sofort beantwortet",
        ],
    },
    ("positive", "app"): {
        "en": [
            "Switched from my old bank, the app is just so much nicer to use",
            "Instant notifications for every payment, exactly what I wanted",
            "Opening the account took ten minutes including video ident",
        ],
        "de": [
            "Von meiner alten Bank gewechselt, die App ist einfach viel angenehmer",
            "Push-Mitteilung bei jeder Zahlung, genau so soll es sein",
            "Kontoeröffnung in zehn Minuten inklusive Video-Ident",
        ],
    },
    ("neutral", "questions"): {
        "en": [
            "Does anyone know if the metal card works with Google Pay?",
            "Is there a way to export statements as CSV?",
            "How long does a SEPA transfer usually take to arrive?",
            "Can I open a joint account or is it single only?",
            "Thinking about switching my salary account, any experiences?",
        ],
        "de": [
            "Weiß jemand, ob die Metallkarte mit Google Pay funktioniert?",
            "Kann man Kontoauszüge irgendwo als CSV exportieren?",
            "Wie lange dauert eine SEPA-Überweisung normalerweise?",
            "Gibt es ein Gemeinschaftskonto oder nur Einzelkonten?",
            "Überlege mein Gehaltskonto umzuziehen, Erfahrungen?",
        ],
    },
    ("neutral", "news"): {
        "en": [
            "Finora announces expansion to Austria and a new premium plan",
            "Fintech roundup: Finora, savings apps and the interest rate race",
            "Finora reports one million customers in Germany",
        ],
        "de": [
            "Finora kündigt Expansion nach Österreich und neuen Premium-Tarif an",
            "Fintech-Überblick: Finora, Spar-Apps und der Zinswettlauf",
            "Finora meldet eine Million Kundinnen und Kunden in Deutschland",
        ],
    },
    ("negative", "fees"): {
        "en": [
            "The premium plan got more expensive again, not great",
            "Fees for cash withdrawals abroad are higher than they used to be",
        ],
        "de": [
            "Der Premium-Tarif ist schon wieder teurer geworden, schade",
            "Die Gebühren fürs Abheben im Ausland sind höher als früher",
        ],
    },
    ("negative", "interest"): {
        "en": [
            "Interest on the savings pot is lower than at other banks now",
            "Other banks pay more interest, Finora needs to catch up",
        ],
        "de": [
            "Die Zinsen auf dem Spartopf sind inzwischen niedriger als woanders",
            "Andere Banken zahlen mehr Zinsen, da muss Finora nachziehen",
        ],
    },
}
OPENERS = {
    "en": ["", "", "Honestly, ", "Ok so ", "PSA: ", "Quick one: ", "Hmm, "],
    "de": ["", "", "Ehrlich gesagt: ", "Also ", "Kurze Info: ", "Hm, ", "Mal ehrlich, "],
}
CONTEXT = {
    "en": [
        "",
        "",
        " today",
        " this morning",
        " again",
        " tbh",
        " so far",
        " this week",
        " after two years with them",
        " on my iPhone",
        " on Android",
    ],
    "de": [
        "",
        "",
        " heute",
        " heute früh",
        " schon wieder",
        " ehrlich",
        " bisher",
        " diese Woche",
        " nach zwei Jahren",
        " auf dem iPhone",
        " auf Android",
    ],
}
CLOSERS = {
    "positive": ["", " 👍", " 🙌", " Thanks @finora!", " #fintech", " 💚", "!"],
    "neutral": ["", "", " Thanks in advance.", " #banking", " 🤔"],
    "negative": ["", " 😕", " Please fix.", " #finora", " 🙄", " Not happy."],
}
CLOSERS_DE = {
    "positive": ["", " 👍", " 🙌", " Danke @finora!", " #fintech", " 💚", "!"],
    "neutral": ["", "", " Danke im Voraus.", " #banking", " 🤔"],
    "negative": ["", " 😕", " Bitte beheben.", " #finora", " 🙄", " Echt ärgerlich."],
}

# The systemic problem, phrased many ways.
LOGIN_CORE = {
    "en": [
        "since the 5.2 update I can't log in, the SMS code never arrives",
        "2FA code by SMS doesn't come through anymore after updating",
        "stuck on the verification screen since the update, no SMS code",
        "login broken after update 5.2, waiting for the security code forever",
        "the app asks for the SMS code but it never arrives, locked out of my account",
        "can't get past two-factor authentication since yesterday's update",
        "no verification SMS, tried five times, still can't log in",
        "after the update the login loops back to the code screen, SMS never shows up",
    ],
    "de": [
        "seit dem Update 5.2 kann ich mich nicht mehr einloggen, der SMS-Code kommt nie an",
        "der 2FA-Code per SMS kommt seit dem Update einfach nicht mehr",
        "hänge seit dem Update am Verifizierungsbildschirm fest, keine SMS",
        "Login nach Update 5.2 kaputt, warte ewig auf den Sicherheitscode",
        "die App will den SMS-Code, aber der kommt nie, komme nicht an mein Konto",
        "komme seit dem gestrigen Update nicht durch die Zwei-Faktor-Anmeldung",
        "keine Bestätigungs-SMS, fünfmal probiert, Login geht immer noch nicht",
        "nach dem Update springt der Login immer zurück zur Code-Eingabe, SMS kommt nicht",
    ],
}
LOGIN_EXTRA = {
    "en": [
        "",
        " Can't pay my rent like this.",
        " Reinstalled twice, no change.",
        " Support chat is also unreachable.",
        " Anyone else?",
        " This is a bank, come on.",
        " Tried wifi and mobile data.",
        " My salary is in there!",
    ],
    "de": [
        "",
        " So kann ich meine Miete nicht zahlen.",
        " Zweimal neu installiert, nichts.",
        " Der Support-Chat ist auch nicht erreichbar.",
        " Geht das noch jemandem so?",
        " Das ist eine Bank, bitte!",
        " WLAN und mobile Daten probiert.",
        " Mein Gehalt liegt da drauf!",
    ],
}
LOGIN_PER_DAY = [24, 31, 27, 19, 12, 10, 9, 8, 7, 7, 6, 6, 5]  # from 18 Oct

ISOLATED = [
    {
        "author": "martin_k_1987",
        "source": "reddit",
        "lang": "en",
        "day": 6,
        "what": "card sent to an old address",
        "texts": [
            "Finora shipped my replacement card to my OLD address even though I changed it "
            "in the app weeks ago. Now someone else has my card in their letterbox.",
            "Update: called them, they blocked the card sent to my old address and are "
            "sending a new one. Still annoyed it happened at all.",
        ],
    },
    {
        "author": "baeckerei_fan",
        "source": "trustpilot",
        "lang": "de",
        "day": 11,
        "what": "double charge at one bakery",
        "rating": 2,
        "texts": [
            "Bei der Bäckerei Schmidt in Kassel wurde mir der Einkauf doppelt abgebucht, "
            "4,80 € zweimal. Die Erstattung dauert jetzt schon eine Woche."
        ],
    },
    {
        "author": "tabletnerd",
        "source": "googleplay",
        "lang": "en",
        "day": 9,
        "what": "dark-mode font glitch on one tablet",
        "rating": 3,
        "texts": [
            "On my Galaxy Tab S6 in dark mode the balance font renders black on black, "
            "have to switch to light mode to read it."
        ],
    },
    {
        "author": "lisboa_lena",
        "source": "trustpilot",
        "lang": "de",
        "day": 24,
        "what": "account closed after moving abroad",
        "rating": 1,
        "texts": [
            "Nach meinem Umzug nach Lissabon wurde mein Konto ohne Vorwarnung gekündigt. "
            "Ich musste alles innerhalb von zwei Wochen umziehen."
        ],
    },
    {
        "author": "velora_shopper",
        "source": "mastodon",
        "lang": "en",
        "day": 27,
        "what": "cashback from one partner shop missing",
        "texts": [
            "The 5% cashback from the Velora partner shop never showed up on my Finora "
            "account, it has been three weeks now."
        ],
    },
]

TICKETS_EVERYDAY = {
    "en": [
        ("Change of address", "I moved and need to update my postal address for the card."),
        ("Statement as PDF", "Where can I download last month's statement as a PDF?"),
        ("Raise daily limit", "Please raise my daily card payment limit for a purchase."),
        ("Transfer not arrived", "My SEPA transfer from Monday has not arrived yet."),
        ("Premium plan fee", "Why was I charged the premium fee twice this month?"),
        ("Card blocked abroad", "My card was declined in a shop in Spain."),
    ],
    "de": [
        ("Adressänderung", "Ich bin umgezogen und muss meine Adresse für die Karte ändern."),
        ("Kontoauszug als PDF", "Wo finde ich den Kontoauszug vom letzten Monat als PDF?"),
        ("Tageslimit erhöhen", "Bitte erhöhen Sie mein Tageslimit für Kartenzahlungen."),
        ("Überweisung nicht angekommen", "Meine SEPA-Überweisung vom Montag ist nicht da."),
        ("Premium-Gebühr", "Warum wurde die Premium-Gebühr diesen Monat doppelt abgebucht?"),
        ("Karte im Ausland gesperrt", "Meine Karte wurde in einem Geschäft in Spanien abgelehnt."),
    ],
}
TICKETS_LOGIN = {
    "en": [
        (
            "Cannot log in - no SMS code",
            "Since updating to 5.2 I never receive the SMS code "
            "for login. I am locked out of my account.",
        ),
        ("2FA code not arriving", "The two-factor SMS does not arrive, I tried many times."),
        (
            "Stuck on verification screen",
            "After the update the app is stuck on the "
            "verification screen waiting for the SMS code.",
        ),
    ],
    "de": [
        (
            "Login unmöglich - kein SMS-Code",
            "Seit dem Update auf 5.2 bekomme ich keinen "
            "SMS-Code mehr zum Einloggen und komme nicht an mein Konto.",
        ),
        (
            "2FA-Code kommt nicht an",
            "Die SMS für die Zwei-Faktor-Anmeldung kommt nicht an, mehrfach versucht.",
        ),
        (
            "Hänge bei der Verifizierung",
            "Nach dem Update hängt die App bei der Verifizierung und wartet auf den SMS-Code.",
        ),
    ],
}


class Writer:
    def __init__(self, seed: int = 2026):
        self.rng = random.Random(seed)
        self.mentions: dict[str, list[dict]] = {source: [] for source in SOURCES}
        self.used_authors: set[str] = set()
        self.counter = 0

    def author(self, lang: str) -> str:
        while True:
            name = (
                f"{self.rng.choice(FIRST[lang]).lower()}{self.rng.choice(['', '_', '.'])}"
                f"{self.rng.choice(LAST[lang])}{self.rng.randrange(10, 99)}"
            )
            if name not in self.used_authors:
                self.used_authors.add(name)
                return name

    def when(self, day: int) -> datetime:
        # People post more in the daytime (UTC 6-22) than at night.
        hour = self.rng.choices(range(24), weights=[1] * 6 + [4] * 16 + [2] * 2)[0]
        return START + timedelta(
            days=day, hours=hour, minutes=self.rng.randrange(60), seconds=self.rng.randrange(60)
        )

    def add(
        self,
        source: str,
        day: int,
        text: str,
        lang: str,
        author: str | None = None,
        rating: int | None = None,
        title: str | None = None,
        when: datetime | None = None,
    ):
        self.counter += 1
        when = when or self.when(day)
        row = {
            "source": source,
            "id": f"{source[:2]}-{self.counter:05d}",
            "created_at": when.isoformat().replace("+00:00", "Z"),
            "text": text,
            "author": author or self.author(lang),
            "lang": lang if self.rng.random() < 0.3 else None,  # some sources say, most don't
            "brand": "Finora",
        }
        if source in REVIEW_SOURCES:
            row["rating"] = rating or 3
            row["title"] = title or text.split(",")[0][:40]
        if source in APP_STORES:  # no random draw: the rest of the data stays as it was
            row["version"] = "5.2" if when >= UPDATE else "5.1"
        if source == "reddit":
            row["reach"] = self.rng.randrange(1, 120)
            row["url"] = f"https://www.reddit.com/r/finora/comments/{self.counter:06x}/"
        if source == "news":
            row["title"] = text
            row["url"] = f"https://news.example.org/finora/{self.counter}"
            row["kind"] = "article"
        self.mentions[source].append({k: v for k, v in row.items() if v is not None})


def _rating_for(intent: str, rng: random.Random) -> int:
    return {
        "positive": rng.choice([4, 5, 5]),
        "neutral": rng.choice([3, 4]),
        "negative": rng.choice([2, 2, 3]),
    }[intent]


def everyday(writer: Writer) -> None:
    rng = writer.rng
    themes = list(CHATTER)
    weights = [
        1 if theme == "news" else 14 if intent == "positive" else 12 if intent == "neutral" else 4
        for intent, theme in themes
    ]
    for day in range(DAYS):
        weekend = (START + timedelta(days=day)).weekday() >= 5
        for _ in range(rng.randint(60, 72) if not weekend else rng.randint(46, 54)):
            intent, theme = rng.choices(themes, weights=weights)[0]
            lang = rng.choice(["en", "de"])
            source = "news" if theme == "news" else rng.choices(SOURCES[:5], SOURCE_WEIGHTS[:5])[0]
            base = rng.choice(CHATTER[(intent, theme)][lang])
            closers = CLOSERS if lang == "en" else CLOSERS_DE
            context = rng.choice(CONTEXT[lang]) if theme != "news" else ""
            text = f"{rng.choice(OPENERS[lang])}{base}{context}{rng.choice(closers[intent])}"
            text = text.strip()
            writer.add(source, day, text, lang, rating=_rating_for(intent, rng))


def systemic(writer: Writer) -> int:
    rng, count = writer.rng, 0
    channels = ("appstore", "googleplay", "reddit", "trustpilot", "mastodon")
    for offset, per_day in enumerate(LOGIN_PER_DAY):
        day = UPDATE_DAY + offset
        for _ in range(per_day):
            lang = rng.choice(["en", "de"])
            core = rng.choice(LOGIN_CORE[lang])
            text = f"{rng.choice(OPENERS[lang])}{core}.{rng.choice(LOGIN_EXTRA[lang])}"
            text = text[0].upper() + text[1:]
            writer.add(rng.choice(channels), day, text.strip(), lang, rating=rng.choice([1, 1, 2]))
            count += 1
    return count


def isolated(writer: Writer) -> None:
    for case in ISOLATED:
        first = writer.when(case["day"]).replace(hour=9)
        for index, text in enumerate(case["texts"]):
            writer.add(
                case["source"],
                case["day"],
                text,
                case["lang"],
                author=case["author"],
                rating=case.get("rating"),
                when=first + timedelta(hours=4 * index),
            )


def cross_posts(writer: Writer) -> list[tuple[str, str]]:
    """The same text by the same person on Reddit and Mastodon (kept, linked as duplicates)."""
    pairs = []
    for day in (3, 12, 20, 26):
        lang = writer.rng.choice(["en", "de"])
        author = writer.author(lang)
        text = (
            writer.rng.choice(CHATTER[("neutral", "questions")][lang]) + " (also asked on r/finora)"
        )
        when = writer.when(day)
        writer.add("reddit", day, text, lang, author=author, when=when)
        writer.add("mastodon", day, text, lang, author=author, when=when + timedelta(minutes=7))
        pairs.append((author, text))
    return pairs


def tickets(rng: random.Random) -> list[dict]:
    rows, number = [], 0
    for day in range(DAYS):
        daily = rng.randint(7, 11)
        login = 0 if day < UPDATE_DAY else max(1, LOGIN_PER_DAY[min(day - UPDATE_DAY, 12)] // 3)
        for is_login in [False] * daily + [True] * login:
            number += 1
            lang = rng.choice(["en", "de"])
            subject, body = rng.choice((TICKETS_LOGIN if is_login else TICKETS_EVERYDAY)[lang])
            created = START + timedelta(
                days=day, hours=rng.randrange(7, 21), minutes=rng.randrange(60)
            )
            rows.append(
                {
                    "id": f"ZD-{40000 + number}",
                    "created_at": created.isoformat().replace("+00:00", "Z"),
                    "subject": subject,
                    "body": body,
                    "status": rng.choice(["open", "pending", "solved", "solved"]),
                    "channel": rng.choice(["email", "chat", "phone"]),
                    "customer": f"C{rng.randrange(100000, 999999)}",
                    "tags": "login;2fa;app-5.2"
                    if is_login
                    else rng.choice(["account", "card", "transfer", "fees", "statement"]),
                }
            )
    return rows


EXTRA_CSV_ROWS = [
    ["source", "id", "created_at", "text", "author", "rating", "lang"],
    [
        "forum",
        "f-1",
        "2026-10-05T10:00:00Z",
        "Wie sicher ist Finora eigentlich? Gibt es Einlagensicherung?",
        "sparfuchs",
        "",
        "de",
    ],
    [
        "forum",
        "f-2",
        "2026-10-07T12:30:00Z",
        "Finora vs. my old bank: the app wins, the interest does not.",
        "comparer",
        "",
        "en",
    ],
    ["forum", "f-3", "last tuesday", "This row has a date nobody can read.", "oops", "", "en"],
    [
        "forum",
        "f-4",
        "2026-10-21T08:10:00Z",
        "Login per SMS geht bei mir seit dem Update nicht mehr, wer noch?",
        "forum_ute",
        "",
        "de",
    ],
    ["forum", "f-5", "2026-10-22T19:45:00Z", "Rating that cannot be right", "typo", "9", "en"],
]


def main() -> None:
    from demo import surveys  # its own random stream: the other files stay as they were

    survey_truth = surveys.write()
    writer = Writer()
    everyday(writer)
    login_count = systemic(writer)
    isolated(writer)
    pairs = cross_posts(writer)
    for index in range(2, 18):  # more forum rows so the import file is realistic
        EXTRA_CSV_ROWS.append(
            [
                "forum",
                f"f-{index + 4}",
                (START + timedelta(days=index, hours=14)).isoformat(),
                writer.rng.choice(CHATTER[("neutral", "questions")]["de" if index % 2 else "en"]),
                f"forum_user{index}",
                "",
                "",
            ]
        )
    DATA.mkdir(parents=True, exist_ok=True)
    for source, rows in writer.mentions.items():
        rows.sort(key=lambda row: row["created_at"])
        with (DATA / f"mentions_{source}.jsonl").open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    with (DATA / "mentions_extra.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(EXTRA_CSV_ROWS)
    ticket_rows = tickets(random.Random(7))
    with (DATA / "tickets.csv").open("w", encoding="utf-8", newline="") as handle:
        writer_csv = csv.DictWriter(handle, fieldnames=list(ticket_rows[0]))
        writer_csv.writeheader()
        writer_csv.writerows(ticket_rows)
    total = sum(len(rows) for rows in writer.mentions.values()) + len(EXTRA_CSV_ROWS) - 3
    truth = {
        "mentions": total,
        "tickets": len(ticket_rows),
        "login_tickets": sum(1 for t in ticket_rows if t["tags"].startswith("login")),
        "systemic": {
            "what": "login fails / 2FA SMS code never arrives after update 5.2",
            "since": "2026-10-18",
            "mentions": login_count,
            "keywords": ["login", "sms", "code", "2fa", "update"],
            "first_version": "5.2",
        },
        "spike": {"from": "2026-10-18", "to": "2026-10-21"},
        "isolated": [
            {k: case[k] for k in ("author", "source", "what")}
            | {"day": (START + timedelta(days=case["day"])).date().isoformat()}
            for case in ISOLATED
        ],
        "cross_posts": [author for author, _ in pairs],
        "survey": survey_truth,
        "bad_rows": [
            "mentions_extra.csv line 4 (unreadable date)",
            "mentions_extra.csv line 6 (rating 9)",
        ],
    }
    (HERE / "ground_truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(truth, indent=2))


if __name__ == "__main__":
    main()
