"""Personal data in customer text: find it and replace it with placeholders.

``redact(text)`` replaces e-mail addresses, phone numbers, IBANs and payment
card numbers with ``[email]``, ``[phone]``, ``[iban]`` and ``[card]``. It is
built to be precise rather than greedy, because a redacted date, price, order
number or app version would damage the analysis:

* an IBAN must pass its mod-97 checksum (and have its country's length),
* a card number must pass the Luhn check, start like a card (2-6) and be written
  as one block or in the usual groups (4-4-4-4, 4-6-5),
* a phone number must look like one: international (``+49 …``, ``0049 …``),
  national with an area code (``030 1234567``, ``(030) 123 45 67``,
  ``0151/12345678``, ``020 7946 0958``), North American (``(555) 234-5678``),
  or a run of digits right after a word such as "phone", "Tel." or "Handy".

Dates (``18.10.2026``, ``2026-10-18``), amounts (``1.234,56 €``), versions
(``5.2.1``), times and plain order numbers are left alone.
"""

from __future__ import annotations

import re

EMAIL = "[email]"
PHONE = "[phone]"
IBAN = "[iban]"
CARD = "[card]"

_EMAIL = re.compile(
    r"(?<![\w.%+-])[\w.%+-]{1,64}@[^\W_](?:[\w-]{0,62}[^\W_])?"
    r"(?:\.[^\W_](?:[\w-]{0,62}[^\W_])?)*\.[^\W\d_]{2,24}(?![\w-])"
)

# Country code → IBAN length (SEPA and the countries CX teams meet most).
_IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27,
    "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26, "VA": 22,
}  # fmt: skip
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])")

_CARD = re.compile(
    r"(?<![\w.,/+-])(?<!\d[ -])(?:"  # not the tail of a longer number or of an IBAN
    r"[2-6]\d{12,18}"  # one block
    r"|[2-6]\d{3}(?:[ -]\d{4}){3}(?:[ -]\d{1,3})?"  # 4-4-4-4(-3)
    r"|3[47]\d{2}[ -]\d{6}[ -]\d{5}"  # American Express 4-6-5
    r")(?![\d.,/-]?\d)"
)

_NOT_AFTER = r"(?<![\w.,/+-])(?<!\d[ -])"  # not the tail of a longer number
_NOT_BEFORE = r"(?![\w]|[.,/-]\d)"
_GROUP = r"(?:\(0\)|\(\d{1,5}\)|\d{1,6})"
_INTERNATIONAL = re.compile(
    _NOT_AFTER
    + r"(?:\+[1-9]\d{0,2}(?:[ /-]?"
    + _GROUP
    + r"){1,7}"  # +49 30 1234567, +4915112345678
    + r"|00[1-9]\d{0,2}(?:[ /-]"
    + _GROUP
    + r"){1,7})"  # 0049 30 1234567 (never unbroken)
    + _NOT_BEFORE
)
_NATIONAL = re.compile(
    _NOT_AFTER
    + r"(?:\(0\d{2,4}\)|0\d{2,4})"  # area code: 030, 0151, (06221), 07700
    + r"(?:[ ]?/[ ]?|[ -]|(?<=\))[ ]?)\d{2,8}(?:[ -]\d{2,8}){0,3}"
    + _NOT_BEFORE
)
_NANP = re.compile(
    _NOT_AFTER
    + r"(?:\+?1[ .-]?)?(?:\([2-9]\d{2}\)[ ]?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4}"
    + _NOT_BEFORE
)
_AFTER_PHONE_WORD = re.compile(
    r"(?i)\b(?:phone|mobile|cell|call|tel|telephone|telefon|handy|mobil|mobilnummer"
    r"|telefonnummer|rufnummer|whatsapp)\b[.:]?(?:\s+(?:me|mich|uns|at|on|unter|an|no\.?|nr\.?"
    r"|number|nummer))*[\s:]*"
    r"((?:\+|0)\d[\d /-]{6,18}\d)" + _NOT_BEFORE
)


def redact(text: str | None) -> str:
    """The text with e-mails, phone numbers, IBANs and card numbers replaced by placeholders."""
    if not text:
        return text or ""
    text = _EMAIL.sub(EMAIL, text)
    text = _IBAN.sub(_iban_or_keep, text)
    text = _CARD.sub(_card_or_keep, text)
    text = _AFTER_PHONE_WORD.sub(_phone_after_word, text)
    for pattern in (_INTERNATIONAL, _NATIONAL, _NANP):
        text = pattern.sub(_phone_or_keep, text)
    return text


def contains_personal_data(text: str | None) -> bool:
    return bool(text) and redact(text) != text


def is_valid_iban(candidate: str) -> bool:
    compact = candidate.replace(" ", "").upper()
    expected = _IBAN_LENGTHS.get(compact[:2])
    if expected is not None and len(compact) != expected:
        return False
    if expected is None and not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(char, 36)) for char in rearranged)
    return int(digits) % 97 == 1


def passes_luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _iban_or_keep(match: re.Match) -> str:
    """The longest valid IBAN at the start of the match (a word may follow it in groups)."""
    found = match.group()
    for end in _group_ends(found):
        if is_valid_iban(found[:end]):
            return IBAN + found[end:]
    return found


def _group_ends(candidate: str) -> list[int]:
    """Where a 15-34 character IBAN could end: at a space or the end, longest first."""
    ends, count = [], 0
    for index, char in enumerate(candidate):
        if char == " ":
            continue
        count += 1
        at_boundary = index + 1 == len(candidate) or candidate[index + 1] == " "
        if at_boundary and 15 <= count <= 34:
            ends.append(index + 1)
    return ends[::-1]


def _card_or_keep(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group())
    return CARD if 13 <= len(digits) <= 19 and passes_luhn(digits) else match.group()


def _digit_count(text: str) -> int:
    return sum(char.isdigit() for char in text)


def _phone_or_keep(match: re.Match) -> str:
    number = match.group()
    digits = _digit_count(number.replace("(0)", ""))
    return PHONE if 9 <= digits <= 15 else number


def _phone_after_word(match: re.Match) -> str:
    number = match.group(1)
    if not 8 <= _digit_count(number) <= 15:
        return match.group()
    start = match.start(1) - match.start()
    return match.group()[:start] + PHONE
