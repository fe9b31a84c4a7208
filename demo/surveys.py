"""The demo's NPS survey (deterministic): ``python -m demo.surveys`` (``demo.generate`` too).

Finora asks a sample of its customers in the app every day of October 2026 how likely they
are to recommend it (0-10) and why: about 600 answers, English and German, most with a
comment. Ground truth: before update 5.2 (18 Oct) NPS is about +20; after it half the
respondents are detractors for a week, and most of them name the login / SMS code problem;
the others name fees abroad, savings interest, card delivery, slow transfers or crashes (the
last three only here, not in public), or leave no comment.
Passives and promoters write what passives and promoters write.
"""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILE = HERE / "data" / "survey_nps.csv"
START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 31
UPDATE_DAY = 17  # index of 18 Oct, as in demo/generate.py
SEED = 5200
COLUMNS = ("id", "created_at", "score", "comment", "respondent", "lang", "segment", "touchpoint")

LOGIN = {
    "en": [
        "Since update 5.2 the SMS code for the login never arrives, I was locked out for two days.",
        "Can't log in since the last update, the verification SMS doesn't come.",
        "Login with the SMS code is broken after the update. Not acceptable for a bank.",
        "The 2FA SMS never arrives since 5.2, I had to call support to get into my account.",
        "After the update I'm stuck at the code screen, no SMS. Thinking about switching.",
        "Locked out of my account since the update, the security code by SMS never came.",
        "Update 5.2 broke the login, I waited ages for the SMS code.",
        "The two-factor code by text message doesn't arrive anymore since the update.",
        "No login possible after updating the app, the SMS with the code just doesn't come.",
        "I couldn't pay my rent because the login code by SMS never showed up after the update.",
    ],
    "de": [
        "Seit dem Update 5.2 kommt der SMS-Code beim Login nicht an, war zwei Tage ausgesperrt.",
        "Login geht seit dem letzten Update nicht, die Bestätigungs-SMS kommt nicht.",
        "Der SMS-Code für die Anmeldung kommt nach dem Update nicht mehr. Für eine Bank "
        "inakzeptabel.",
        "Die 2FA-SMS kommt seit 5.2 nie an, musste den Support anrufen, um ins Konto zu kommen.",
        "Nach dem Update hänge ich bei der Code-Eingabe fest, keine SMS. Überlege zu wechseln.",
        "Seit dem Update aus meinem Konto ausgesperrt, der Sicherheitscode per SMS kam nie.",
        "Update 5.2 hat den Login kaputt gemacht, ewig auf den SMS-Code gewartet.",
        "Der Zwei-Faktor-Code per SMS kommt seit dem Update nicht mehr an.",
        "Kein Login möglich nach dem App-Update, die SMS mit dem Code kommt einfach nicht.",
        "Konnte meine Miete nicht zahlen, weil der Login-Code per SMS nach dem Update nie kam.",
    ],
}
LOGIN_TAIL = {
    "en": ["", "", " Please fix this quickly.", " Reinstalling didn't help.", " Very stressful."],
    "de": ["", "", " Bitte schnell beheben.", " Neu installieren half nicht.", " Sehr stressig."],
}
DETRACTOR_OTHER = {
    "en": [
        "The fees for cash withdrawals abroad are far too high.",
        "Withdrawing cash on holiday cost me more in fees than I expected.",
        "The interest on the savings pots is lower than at other banks.",
        "I waited three weeks for my new card.",
        "The app crashes when I open my statements.",
        "Transfers to other banks take two days, that's not modern banking.",
    ],
    "de": [
        "Die Gebühren fürs Geldabheben im Ausland sind viel zu hoch.",
        "Bargeld im Urlaub abheben hat mich mehr Gebühren gekostet als gedacht.",
        "Die Zinsen auf den Spartöpfen sind niedriger als bei anderen Banken.",
        "Ich habe drei Wochen auf meine neue Karte gewartet.",
        "Die App stürzt ab, wenn ich meine Kontoauszüge öffne.",
        "Überweisungen zu anderen Banken dauern zwei Tage, das ist nicht zeitgemäß.",
    ],
}
PASSIVE = {
    "en": [
        "Good app overall, but the fees abroad are too high.",
        "Works fine, but support could answer faster.",
        "Solid, I'd like Apple Pay for my second card.",
        "Okay, the spending statistics could be more detailed.",
        "Does what it should, nothing special.",
        "Mostly fine, nothing to complain about.",
    ],
    "de": [
        "Insgesamt gute App, aber die Gebühren im Ausland sind zu hoch.",
        "Funktioniert, aber der Support könnte schneller antworten.",
        "Solide, ich hätte gern Apple Pay für meine zweite Karte.",
        "Ganz okay, die Ausgabenstatistik könnte genauer sein.",
        "Macht, was sie soll, nichts Besonderes.",
        "Meistens gut, nichts zu meckern.",
    ],
}
PASSIVE_AFTER = {  # a passive who had the problem but got in again
    "en": ["Fine, although the SMS code took a while after the update."],
    "de": ["Passt, auch wenn der SMS-Code nach dem Update lange gedauert hat."],
}
PROMOTER = {
    "en": [
        "Great app, transfers are instant.",
        "Best banking app I've used, very clear.",
        "Easy to use and the support was friendly.",
        "Love the savings goals and the instant notifications.",
        "Opening the account took ten minutes, brilliant.",
        "Free card, good exchange rates, what more do I want.",
    ],
    "de": [
        "Tolle App, Überweisungen sind sofort da.",
        "Beste Banking-App, die ich kenne, sehr übersichtlich.",
        "Einfach zu bedienen und der Support war freundlich.",
        "Ich mag die Sparziele und die Push-Nachrichten.",
        "Konto in zehn Minuten eröffnet, super.",
        "Kostenlose Karte, gute Wechselkurse, was will man mehr.",
    ],
}
SEGMENTS = (("standard", 6), ("premium", 3), ("business", 1))
TOUCHPOINTS = (("app", 14), ("support", 3), ("card", 2), ("onboarding", 1))


def _mix(day: int) -> tuple[float, float]:
    """(share of detractors, share of promoters) on a day: the update's week hurts most."""
    if day < UPDATE_DAY:
        return 0.24, 0.46
    if day < UPDATE_DAY + 7:
        return 0.50, 0.28
    return 0.36, 0.36


def _login_share(day: int) -> float:
    """Share of the detractors who name the login / SMS problem."""
    if day < UPDATE_DAY:
        return 0.0
    return 0.7 if day < UPDATE_DAY + 7 else 0.45


def _pick(rng: random.Random, weighted) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def answers(seed: int = SEED) -> list[dict]:
    """The survey's rows, oldest first."""
    rng = random.Random(seed)
    respondents = rng.sample(range(10_000, 99_999), 700)
    rows: list[dict] = []
    for day in range(DAYS):
        weekend = (START + timedelta(days=day)).weekday() >= 5
        for _ in range(rng.randint(14, 17) if weekend else rng.randint(19, 23)):
            detractors, promoters = _mix(day)
            lang = "de" if rng.random() < 0.55 else "en"
            draw = rng.random()
            if draw < detractors:
                score = rng.choices(range(7), weights=[2, 2, 3, 4, 4, 4, 3])[0]
                comment = _detractor_comment(rng, day, lang) if rng.random() < 0.85 else ""
            elif draw < 1 - promoters:
                score = rng.choice([7, 8])
                comment = _passive_comment(rng, day, lang) if rng.random() < 0.55 else ""
            else:
                score = rng.choice([9, 10, 10])
                comment = rng.choice(PROMOTER[lang]) if rng.random() < 0.5 else ""
            moment = START + timedelta(
                days=day,
                hours=rng.choices(range(24), weights=[1] * 7 + [4] * 15 + [2] * 2)[0],
                minutes=rng.randrange(60),
                seconds=rng.randrange(60),
            )
            rows.append(
                {
                    "created_at": moment.isoformat().replace("+00:00", "Z"),
                    "score": score,
                    "comment": comment,
                    "respondent": f"R-{respondents[len(rows)]}",
                    "lang": lang,
                    "segment": _pick(rng, SEGMENTS),
                    "touchpoint": _pick(rng, TOUCHPOINTS),
                }
            )
    rows.sort(key=lambda row: row["created_at"])
    return [{"id": f"nps-{n:04d}", **row} for n, row in enumerate(rows, start=1)]


def _detractor_comment(rng: random.Random, day: int, lang: str) -> str:
    if rng.random() < _login_share(day):
        return rng.choice(LOGIN[lang]) + rng.choice(LOGIN_TAIL[lang])
    return rng.choice(DETRACTOR_OTHER[lang])


def _passive_comment(rng: random.Random, day: int, lang: str) -> str:
    if day >= UPDATE_DAY and rng.random() < 0.15:
        return PASSIVE_AFTER[lang][0]
    return rng.choice(PASSIVE[lang])


def nps(rows: list[dict]) -> int:
    """Net Promoter Score: % promoters (9-10) minus % detractors (0-6), rounded."""
    promoters = sum(1 for row in rows if row["score"] >= 9)
    detractors = sum(1 for row in rows if row["score"] <= 6)
    return round(100 * (promoters - detractors) / len(rows)) if rows else 0


def is_login(comment: str) -> bool:
    return any(comment.startswith(text) for texts in LOGIN.values() for text in texts)


def write(path: Path = FILE) -> dict:
    """Write the survey file; returns its ground truth."""
    rows = answers()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    update = (START + timedelta(days=UPDATE_DAY)).isoformat().replace("+00:00", "Z")
    before = [row for row in rows if row["created_at"] < update]
    after = [row for row in rows if row["created_at"] >= update]
    login = [row for row in rows if row["score"] <= 6 and is_login(row["comment"])]
    return {
        "survey": "October NPS",
        "responses": len(rows),
        "with_comment": sum(1 for row in rows if row["comment"]),
        "nps_before_update": nps(before),
        "nps_after_update": nps(after),
        "login_detractors": len(login),
        "login_detractors_by_lang": {
            lang: sum(1 for row in login if row["lang"] == lang) for lang in ("en", "de")
        },
    }


if __name__ == "__main__":
    import json

    print(json.dumps(write(), indent=2))
