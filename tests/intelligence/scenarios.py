"""Scenario generator: corpora with ground-truth systemic and isolated problems.

Each scenario draws problems from a pool of CX complaints (English and German,
several phrasings each), makes some systemic (many authors, several channels,
several days, echoed by tickets, cross-posted) and others isolated (one author,
one channel, one day), and buries them in positive and neutral chatter. The
pipeline is then asked to tell them apart; ``python -m tests.intelligence.scenarios
--seeds 10`` reports precision and recall of both labels over many scenarios.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from demo.generate import CHATTER, CLOSERS, CLOSERS_DE, CONTEXT, FIRST, LAST, OPENERS

START = datetime(2026, 6, 1, tzinfo=UTC)
DAYS = 28
SOURCES = ("reddit", "appstore", "googleplay", "trustpilot", "mastodon")
REVIEW_SOURCES = {"appstore", "googleplay", "trustpilot"}

# Problem -> phrasings per language, and what a ticket about it says.
PROBLEMS: dict[str, dict[str, list[str]]] = {
    "sms_code": {
        "en": [
            "the SMS verification code never arrives since the update, I can't log in",
            "no 2FA text message anymore, locked out of my account",
            "waiting forever for the login code by SMS, nothing comes",
            "can't sign in because the security code SMS doesn't show up",
            "the app wants an SMS code that never arrives",
        ],
        "de": [
            "der SMS-Code für den Login kommt seit dem Update nicht mehr an",
            "keine Bestätigungs-SMS, ich komme nicht in mein Konto",
            "warte ewig auf den Sicherheitscode per SMS, es kommt nichts",
            "Anmeldung unmöglich, die SMS mit dem Code bleibt aus",
        ],
        "ticket": [
            "Login SMS code not received after update",
            "SMS-Code kommt nicht an, Login nicht möglich",
        ],
    },
    "crash_start": {
        "en": [
            "the app crashes right after the splash screen every single time",
            "app closes immediately on launch since yesterday's version",
            "keeps crashing on startup, reinstalling did not help",
            "opening the app just crashes it, can't even see my balance",
        ],
        "de": [
            "die App stürzt direkt nach dem Start jedes Mal ab",
            "seit der neuen Version schließt sich die App sofort beim Öffnen",
            "App crasht beim Starten, Neuinstallation hilft nicht",
            "beim Öffnen stürzt die App ab, ich sehe nicht mal meinen Kontostand",
        ],
        "ticket": ["App crashes on startup", "App stürzt beim Start ab"],
    },
    "double_charge": {
        "en": [
            "I was charged twice for the same card payment",
            "my card purchase got debited two times, where is my money",
            "double charge on my account for one payment, please refund",
            "the same transaction shows up twice and both were taken from my balance",
        ],
        "de": [
            "die gleiche Kartenzahlung wurde mir doppelt abgebucht",
            "mein Einkauf wurde zweimal vom Konto abgezogen, wo ist mein Geld",
            "doppelte Abbuchung für eine einzige Zahlung, bitte erstatten",
            "die Transaktion erscheint zweimal und beide wurden belastet",
        ],
        "ticket": ["Charged twice for one payment", "Doppelte Abbuchung einer Kartenzahlung"],
    },
    "transfer_delay": {
        "en": [
            "my bank transfer has been pending for four days now",
            "outgoing SEPA transfer still not arrived, the rent is late",
            "money sent on Monday is still stuck in processing",
            "instant transfer is not instant at all, still pending after days",
        ],
        "de": [
            "meine Überweisung hängt seit vier Tagen in Bearbeitung",
            "die SEPA-Überweisung ist immer noch nicht angekommen, die Miete ist zu spät",
            "Geld am Montag überwiesen und es steckt immer noch fest",
            "Echtzeitüberweisung ist alles andere als sofort, seit Tagen ausstehend",
        ],
        "ticket": ["Transfer pending for days", "Überweisung seit Tagen nicht angekommen"],
    },
    "account_frozen": {
        "en": [
            "my account got frozen without any explanation",
            "they blocked my account out of nowhere and nobody tells me why",
            "account suspended, can't access my salary, no reason given",
            "frozen account for a week now, support only sends templates",
        ],
        "de": [
            "mein Konto wurde ohne jede Erklärung eingefroren",
            "Konto plötzlich gesperrt und niemand sagt mir warum",
            "Konto gesperrt, ich komme nicht an mein Gehalt, ohne Begründung",
            "seit einer Woche ist mein Konto gesperrt, der Support schickt nur Textbausteine",
        ],
        "ticket": ["Account frozen without reason", "Konto ohne Grund gesperrt"],
    },
    "apple_pay": {
        "en": [
            "Apple Pay stopped working with my card, terminal says declined",
            "can't add my card to Apple Pay anymore, error every time",
            "contactless with Apple Pay fails at every shop since this week",
            "the card vanished from my Apple Wallet and won't come back",
        ],
        "de": [
            "Apple Pay funktioniert nicht mehr mit meiner Karte, das Terminal lehnt ab",
            "ich kann meine Karte nicht mehr zu Apple Pay hinzufügen, immer ein Fehler",
            "kontaktlos mit Apple Pay schlägt seit dieser Woche überall fehl",
            "die Karte ist aus meiner Apple Wallet verschwunden und lässt sich nicht hinzufügen",
        ],
        "ticket": ["Apple Pay not working", "Apple Pay geht nicht mehr"],
    },
    "card_not_delivered": {
        "en": [
            "ordered my debit card three weeks ago and it still hasn't arrived",
            "still no physical card in the mail after a month",
            "card delivery is taking forever, tracking shows nothing",
            "the replacement card never reached me",
        ],
        "de": [
            "Karte vor drei Wochen bestellt und sie ist immer noch nicht da",
            "nach einem Monat immer noch keine Karte im Briefkasten",
            "die Kartenzustellung dauert ewig, keine Sendungsverfolgung",
            "die Ersatzkarte ist nie bei mir angekommen",
        ],
        "ticket": ["Card not delivered", "Karte nicht angekommen"],
    },
    "video_ident": {
        "en": [
            "the video identification keeps failing at the ID scan step",
            "can't finish opening the account, video ident breaks every time",
            "stuck in the verification video call, it disconnects after a minute",
            "ID verification rejects my passport for no reason",
        ],
        "de": [
            "die Videoidentifikation bricht beim Scannen des Ausweises immer ab",
            "Kontoeröffnung unmöglich, das Video-Ident scheitert jedes Mal",
            "der Verifizierungs-Videoanruf bricht nach einer Minute ab",
            "die Ausweisprüfung lehnt meinen Reisepass ohne Grund ab",
        ],
        "ticket": ["Video ident fails", "Videoidentifikation schlägt fehl"],
    },
    "fx_fees": {
        "en": [
            "hidden fees on foreign currency payments, the exchange rate is a rip-off",
            "paid in dollars and got charged a terrible conversion rate",
            "they added a currency fee that was never mentioned anywhere",
        ],
        "de": [
            "versteckte Gebühren bei Zahlungen in Fremdwährung, der Wechselkurs ist Abzocke",
            "in Dollar bezahlt und einen miserablen Umrechnungskurs bekommen",
            "eine Währungsgebühr, die nirgends erwähnt wurde, wurde berechnet",
        ],
        "ticket": ["Unexpected currency fees", "Unerwartete Fremdwährungsgebühr"],
    },
    "notifications": {
        "en": [
            "push notifications for payments stopped working completely",
            "I don't get any alerts for card payments anymore",
            "no push messages since the update even though they are enabled",
        ],
        "de": [
            "die Push-Benachrichtigungen für Zahlungen funktionieren gar nicht mehr",
            "ich bekomme keine Mitteilungen bei Kartenzahlungen mehr",
            "seit dem Update keine Push-Nachrichten, obwohl sie aktiviert sind",
        ],
        "ticket": ["No push notifications", "Keine Push-Benachrichtigungen"],
    },
    "cashback_missing": {
        "en": [
            "the cashback from my partner purchase never got credited",
            "promised cashback is missing from my account for weeks",
            "no cashback paid out although the offer was active",
        ],
        "de": [
            "das Cashback vom Partnereinkauf wurde nie gutgeschrieben",
            "das versprochene Cashback fehlt seit Wochen auf meinem Konto",
            "kein Cashback ausgezahlt, obwohl das Angebot aktiv war",
        ],
        "ticket": ["Cashback missing", "Cashback fehlt"],
    },
    "statement_pdf": {
        "en": [
            "downloading the monthly statement as PDF gives an error",
            "the statement PDF is blank when I open it",
            "can't export my account statement, the download fails",
        ],
        "de": [
            "der Download des Kontoauszugs als PDF gibt einen Fehler",
            "das PDF vom Kontoauszug ist beim Öffnen leer",
            "ich kann meinen Kontoauszug nicht exportieren, der Download bricht ab",
        ],
        "ticket": ["Statement PDF download fails", "Kontoauszug PDF lässt sich nicht laden"],
    },
    "card_wrong_address": {  # a one-off next door to card_not_delivered
        "en": [
            "my new card was sent to my old address even though I changed it in the app",
            "the bank mailed the replacement card to the flat I moved out of",
        ],
        "de": [
            "meine neue Karte wurde an meine alte Adresse geschickt, obwohl ich sie geändert habe",
            "die Ersatzkarte ging an die Wohnung, aus der ich ausgezogen bin",
        ],
        "ticket": ["Card sent to old address", "Karte an alte Adresse verschickt"],
    },
    "invoice_vat": {  # a one-off next door to fx_fees and double_charge
        "en": [
            "the VAT number on my business invoice is wrong and my accountant rejects it",
            "my monthly invoice shows somebody else's VAT ID",
        ],
        "de": [
            "auf meiner Geschäftsrechnung steht eine falsche USt-IdNr., "
            "der Steuerberater lehnt sie ab",
            "die Monatsrechnung zeigt die Umsatzsteuer-ID einer anderen Firma",
        ],
        "ticket": ["Wrong VAT number on invoice", "Falsche USt-IdNr. auf der Rechnung"],
    },
}
# One-off problems that sit next to a systemic one: the grouping must not sweep them in.
NEIGHBOURS = {
    "card_not_delivered": "card_wrong_address",
    "fx_fees": "invoice_vat",
    "double_charge": "invoice_vat",
}
# Everyday support tickets about no problem anyone posts about: they must link to nothing.
ROUTINE_TICKETS = [
    "How do I change my address in the app?",
    "Question about opening a joint account",
    "Please send me my annual tax statement",
    "Wie ändere ich meine Adresse?",
    "Frage zur Eröffnung eines Gemeinschaftskontos",
]


@dataclass
class Problem:
    name: str
    label: str  # systemic | isolated
    authors: set[str] = field(default_factory=set)


@dataclass
class Scenario:
    mentions: list[dict]
    tickets: list[dict]
    problems: dict[str, Problem]
    truth: dict[str, str]  # mention external id -> problem name
    noise: set[str] = field(default_factory=set)  # bot campaign and link-only posts
    edited_reposts: dict[str, str] = field(default_factory=dict)  # repost id -> original id
    ticket_truth: dict[str, str | None] = field(default_factory=dict)  # ticket id -> problem


class _Writer:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.mentions: list[dict] = []
        self.used: set[str] = set()

    def author(self, lang: str) -> str:
        while True:
            name = f"{self.rng.choice(FIRST[lang]).lower()}{self.rng.choice(LAST[lang])}"
            name += str(self.rng.randrange(100, 999))
            if name not in self.used:
                self.used.add(name)
                return name

    def when(self, day: int) -> datetime:
        return START + timedelta(days=day, minutes=self.rng.randrange(6 * 60, 23 * 60))

    def add(self, source, day, text, lang, *, author=None, rating=None, when=None) -> dict:
        row = {
            "source": source,
            "id": f"{source[:2]}-{len(self.mentions) + 1:05d}",
            "created_at": (when or self.when(day)).isoformat().replace("+00:00", "Z"),
            "text": text,
            "author": author or self.author(lang),
        }
        if source in REVIEW_SOURCES:
            row["rating"] = rating or 3
        self.mentions.append(row)
        return row


def _phrase(rng: random.Random, core: str, lang: str) -> str:
    closers = (CLOSERS if lang == "en" else CLOSERS_DE)["negative"]
    text = f"{rng.choice(OPENERS[lang])}{core}{rng.choice(CONTEXT[lang])}{rng.choice(closers)}"
    return text[0].upper() + text[1:]


def generate(seed: int, systemic: int = 3, isolated: int = 3, chatter: int = 12) -> Scenario:
    """One scenario: ``systemic`` + ``isolated`` problems of distinct kinds, plus chatter.

    When a systemic problem has a neighbour (``NEIGHBOURS``), one of the isolated problems is
    that neighbour: a one-off about something next door, which must stay on its own.
    """
    rng = random.Random(seed)
    writer = _Writer(rng)
    neighbours = set(NEIGHBOURS.values())
    names = rng.sample(sorted(set(PROBLEMS) - neighbours), systemic)
    close = [NEIGHBOURS[n] for n in names if n in NEIGHBOURS][:1]
    rest = sorted(set(PROBLEMS) - set(names) - set(close) - neighbours)
    names += close + rng.sample(rest, isolated - len(close))
    problems = {
        n: Problem(n, "systemic" if i < systemic else "isolated") for i, n in enumerate(names)
    }
    truth: dict[str, str] = {}
    tickets: list[dict] = []
    for name, problem in problems.items():
        rows = (_systemic if problem.label == "systemic" else _isolated)(writer, rng, name, tickets)
        for row in rows:
            truth[row["id"]] = name
            problem.authors.add(row["author"])
    for index in range(rng.randint(4, 8)):  # routine tickets about no posted problem
        subject = ROUTINE_TICKETS[index % len(ROUTINE_TICKETS)]
        tickets.append(_ticket(rng, len(tickets), rng.randrange(DAYS), subject, None))
    _chatter(writer, rng, per_day=chatter)
    scenario = Scenario(writer.mentions, tickets, problems, truth)
    scenario.ticket_truth = {ticket["id"]: ticket.pop("problem") for ticket in tickets}
    _noise(writer, rng, scenario)
    return scenario


CAMPAIGN = (
    "Nordpay froze thousands of accounts this week, move your money to Zentra bank now "
    "and get a 50 euro bonus https://zentra.example/switch"
)


def _noise(writer: _Writer, rng: random.Random, scenario: Scenario) -> None:
    """A bot campaign, link-only posts, and authors re-posting an edited complaint."""
    day = rng.randrange(DAYS)
    start = writer.when(day)
    for index in range(6):
        row = writer.add(
            rng.choice(["reddit", "mastodon"]),
            day,
            CAMPAIGN,
            "en",
            when=start + timedelta(minutes=4 * index),
        )
        scenario.noise.add(row["id"])
    for _ in range(4):
        link = f"https://nordpay-status.example/{rng.randrange(10**6)} 😡"
        scenario.noise.add(writer.add("mastodon", rng.randrange(DAYS), link, "en")["id"])
    systemic_rows = [
        row
        for row in writer.mentions
        if scenario.truth.get(row["id"])
        and scenario.problems[scenario.truth[row["id"]]].label == "systemic"
    ]
    for original in rng.sample(systemic_rows, 3):
        elsewhere = rng.choice([s for s in SOURCES if s != original["source"]])
        when = datetime.fromisoformat(original["created_at"]) + timedelta(hours=20)
        text = original["text"].rstrip(" .!") + " (edit: still not fixed)"
        repost = writer.add(
            elsewhere,
            0,
            text,
            "en",
            author=original["author"],
            rating=1 if elsewhere in REVIEW_SOURCES else None,
            when=when,
        )
        scenario.truth[repost["id"]] = scenario.truth[original["id"]]
        scenario.edited_reposts[repost["id"]] = original["id"]


def _systemic(writer: _Writer, rng: random.Random, name: str, tickets: list) -> list[dict]:
    first = rng.randrange(4, DAYS - 12)
    days = rng.randint(4, 10)
    channels = rng.sample(SOURCES, rng.randint(3, 5))
    rows = []
    for _ in range(rng.randint(14, 30)):
        lang = rng.choice(["en", "de"])
        day = first + min(int(rng.expovariate(1 / 3)), days - 1)
        source = rng.choice(channels)
        rating = rng.choice([1, 1, 2]) if source in REVIEW_SOURCES else None
        text = _phrase(rng, rng.choice(PROBLEMS[name][lang]), lang)
        rows.append(writer.add(source, day, text, lang, rating=rating))
    bare = rng.choice(PROBLEMS[name]["en"])
    for _ in range(rng.randint(3, 5)):  # the same short words from different customers
        source = rng.choice(channels)
        rating = 1 if source in REVIEW_SOURCES else None
        day = first + rng.randrange(days)
        rows.append(writer.add(source, day, bare[0].upper() + bare[1:], "en", rating=rating))
    follower = rng.choice(rows)  # a customer comes back about the same problem, in other words
    when = datetime.fromisoformat(follower["created_at"]) + timedelta(days=1)
    lang = "de" if any(c in follower["text"] for c in "äöüß") else "en"
    rows.append(
        writer.add(
            follower["source"],
            0,
            _phrase(rng, rng.choice(PROBLEMS[name][lang]), lang),
            lang,
            author=follower["author"],
            rating=1 if follower["source"] in REVIEW_SOURCES else None,
            when=when,
        )
    )
    for original in rng.sample(rows, 2):  # cross-posts: same author, same text, elsewhere
        elsewhere = rng.choice([s for s in SOURCES if s != original["source"]])
        when = datetime.fromisoformat(original["created_at"]) + timedelta(minutes=20)
        rating = 1 if elsewhere in REVIEW_SOURCES else None
        rows.append(
            writer.add(
                elsewhere,
                0,
                original["text"],
                "en",
                author=original["author"],
                rating=rating,
                when=when,
            )
        )
    for index in range(rng.randint(3, 8)):
        subject = PROBLEMS[name]["ticket"][index % 2]
        tickets.append(_ticket(rng, len(tickets), first + rng.randrange(days), subject, name))
    return rows


def _isolated(writer: _Writer, rng: random.Random, name: str, tickets: list) -> list[dict]:
    lang = rng.choice(["en", "de"])
    source = rng.choice(SOURCES)
    day = rng.randrange(2, DAYS - 2)
    author = writer.author(lang)
    cores = rng.sample(PROBLEMS[name][lang], rng.choice([1, 2]))
    rating = 1 if source in REVIEW_SOURCES else None
    start = writer.when(day)
    return [
        writer.add(
            source,
            day,
            _phrase(rng, core, lang),
            lang,
            author=author,
            rating=rating,
            when=start + timedelta(minutes=30 * index),
        )
        for index, core in enumerate(cores)
    ]


def _chatter(writer: _Writer, rng: random.Random, per_day: int) -> None:
    themes = sorted(CHATTER)
    for day in range(DAYS):
        for _ in range(per_day):
            intent, theme = rng.choice(themes)
            lang = rng.choice(["en", "de"])
            source = "reddit" if theme == "news" else rng.choice(SOURCES)
            rating = {"positive": 5, "neutral": 4}.get(intent, 3)
            text = f"{rng.choice(OPENERS[lang])}{rng.choice(CHATTER[(intent, theme)][lang])}"
            writer.add(source, day, text, lang, rating=rating)


def _ticket(rng: random.Random, index: int, day: int, subject: str, problem: str | None) -> dict:
    created = START + timedelta(days=day, hours=rng.randrange(8, 18))
    return {
        "problem": problem,
        "id": f"T-{index + 1:04d}",
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "subject": subject,
        "body": f"{subject}. Please help.",
        "customer": f"C{rng.randrange(10000, 99999)}",
    }


def write(scenario: Scenario, folder: Path) -> Path:
    """The scenario as cxradar files and a config; returns the config's path."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "mentions.jsonl").open("w", encoding="utf-8") as handle:
        for row in scenario.mentions:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    with (folder / "tickets.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=["id", "created_at", "subject", "body", "customer"]
        )
        writer.writeheader()
        writer.writerows(scenario.tickets)
    config = folder / "cxradar.yaml"
    config.write_text(
        "brands: [{name: Nordpay, keywords: [nordpay]}]\n"
        "sources: [{name: scenario, type: file, path: mentions.jsonl}]\n"
        "ticket_sources: [{name: support, type: file, path: tickets.csv}]\n",
        encoding="utf-8",
    )
    return config


@dataclass
class LabelScore:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positive + self.false_negative
        return self.true_positive / wanted if wanted else 1.0


def score(scenario: Scenario, predicted: dict[str, str | None]) -> dict[str, LabelScore]:
    """Precision and recall per label over the problems the pipeline saw as complaints.

    ``predicted`` maps problem -> label of the issue holding most of its posts, or None
    when the sentiment model called none of its posts negative: that is a miss of the
    sentiment model, counted by :func:`detection_rate`, not a wrong label.
    """
    scores = {"systemic": LabelScore(), "isolated": LabelScore()}
    for name, problem in scenario.problems.items():
        guess = predicted.get(name)
        if guess is None:
            continue
        for label, tally in scores.items():
            if problem.label == label and guess == label:
                tally.true_positive += 1
            elif problem.label == label:
                tally.false_negative += 1
            elif guess == label:
                tally.false_positive += 1
    return scores


def detection_rate(scenario: Scenario, predicted: dict[str, str | None]) -> float:
    """Share of problems with at least one post in an issue (seen as negative at all)."""
    return sum(predicted.get(name) is not None for name in scenario.problems) / len(
        scenario.problems
    )


def _placement(db_url: str):
    """(external id -> (issue id, label, customers) of its issue, ticket id -> issue id)."""
    from sqlalchemy import select

    from cxradar.db import session_scope
    from cxradar.schema import Enrichment, Issue, IssueLink, Mention, Source, Ticket

    with session_scope(db_url) as session:
        rows = session.execute(
            select(Mention.external_id, Issue.id, Issue.classification, Issue.authors)
            .join(Enrichment, Enrichment.mention_id == Mention.id)
            .join(Issue, Issue.id == Enrichment.issue_id)
            .where(Mention.duplicate_of.is_(None))
        ).all()
        links = dict(
            session.execute(
                select(Ticket.external_id, IssueLink.issue_id)
                .join(IssueLink, IssueLink.ticket_id == Ticket.id)
                .join(Source, Source.id == Ticket.source_id)
            ).all()
        )
    return {external_id: tuple(rest) for external_id, *rest in rows}, links


def _main_issues(scenario: Scenario, placed) -> dict[str, tuple]:
    """Each problem's issue: the one holding most of its posts (id, label, customers)."""
    from collections import Counter

    votes: dict[str, Counter] = {name: Counter() for name in scenario.problems}
    for external_id, issue in placed.items():
        if external_id in scenario.truth:
            votes[scenario.truth[external_id]][issue] += 1
    return {name: c.most_common(1)[0][0] for name, c in votes.items() if c}


def predicted_labels(db_url: str, scenario: Scenario) -> dict[str, str | None]:
    """Each problem's label: the classification of the issue holding most of its mentions."""
    main = _main_issues(scenario, _placement(db_url)[0])
    return {name: main[name][1] if name in main else None for name in scenario.problems}


@dataclass
class Details:
    customers: dict[str, tuple[int, int]]  # problem -> (customers its issue shows, true)
    repeats_apart: list[str]  # authors whose posts on one problem landed in two issues
    ticket_links: LabelScore  # a link is right when it goes to its problem's issue


def details(db_url: str, scenario: Scenario) -> Details:
    """Customers counted, repeat posts kept together and ticket links, against the truth."""
    from collections import defaultdict

    placed, links = _placement(db_url)
    main = _main_issues(scenario, placed)
    customers = {
        name: (main[name][2], len(problem.authors))
        for name, problem in scenario.problems.items()
        if name in main
    }
    issues_of: dict[tuple[str, str], set] = defaultdict(set)
    author_of = {row["id"]: row["author"] for row in scenario.mentions}
    for external_id, issue in placed.items():
        if external_id in scenario.truth:
            issues_of[(author_of[external_id], scenario.truth[external_id])].add(issue[0])
    apart = sorted(f"{a} ({p})" for (a, p), issues in issues_of.items() if len(issues) > 1)
    tally = LabelScore()
    for ticket_id, problem in scenario.ticket_truth.items():
        linked = links.get(ticket_id)
        right = problem is not None and problem in main and linked == main[problem][0]
        if right:
            tally.true_positive += 1
        elif linked is not None:
            tally.false_positive += 1
        if problem is not None and scenario.problems[problem].label == "systemic" and not right:
            tally.false_negative += 1
    return Details(customers, apart, tally)


def run_scenario(
    seed: int, folder: Path, isolated: int = 3
) -> tuple[Scenario, dict[str, str | None], str]:
    """Generate, run the whole pipeline on it (SQLite); the labels found and the database."""
    from cxradar.cli import main

    scenario = generate(seed, isolated=isolated)
    config = write(scenario, folder)
    url = f"sqlite:///{folder / 'cxradar.db'}"
    if main(["--database", url, "run", "--config", str(config)]) != 0:
        raise RuntimeError(f"the pipeline failed on scenario {seed}")
    return scenario, predicted_labels(url, scenario), url


def main() -> None:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    totals = {"systemic": LabelScore(), "isolated": LabelScore()}
    tickets = LabelScore()
    detected = problems = exact = counted = apart = 0
    for seed in range(args.seeds):
        with tempfile.TemporaryDirectory() as folder:
            scenario, predicted, url = run_scenario(seed, Path(folder))
            found = details(url, scenario)
        tickets.true_positive += found.ticket_links.true_positive
        tickets.false_positive += found.ticket_links.false_positive
        tickets.false_negative += found.ticket_links.false_negative
        exact += sum(shown == true for shown, true in found.customers.values())
        counted += len(found.customers)
        apart += len(found.repeats_apart)
        for label, tally in score(scenario, predicted).items():
            totals[label].true_positive += tally.true_positive
            totals[label].false_positive += tally.false_positive
            totals[label].false_negative += tally.false_negative
        detected += sum(predicted[name] is not None for name in scenario.problems)
        problems += len(scenario.problems)
        wrong = {
            n: (p.label, predicted[n])
            for n, p in scenario.problems.items()
            if predicted[n] != p.label
        }
        print(f"seed {seed}: wrong {wrong or 'none'}", flush=True)
    for label, tally in totals.items():
        print(
            f"{label}: precision {tally.precision:.3f}, recall {tally.recall:.3f} "
            f"({tally.true_positive} found, {tally.false_positive} false, "
            f"{tally.false_negative} missed)"
        )
    print(f"problems seen as negative at all: {detected}/{problems} ({detected / problems:.3f})")
    print(f"issues showing exactly the problem's customers: {exact}/{counted}")
    print(f"customers whose posts on one problem landed in two issues: {apart}")
    print(
        f"ticket links: precision {tickets.precision:.3f}, recall {tickets.recall:.3f} "
        f"({tickets.true_positive} right, {tickets.false_positive} wrong, "
        f"{tickets.false_negative} missed)"
    )


if __name__ == "__main__":
    main()
