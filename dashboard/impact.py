"""What moves the score, in the reader's language: the sentence shown under an issue's
evidence, e.g. "NPS impact −4.2 points; star rating −0.30. First seen with version 5.2;
75 % of the 1–2 star reviews on 5.2 are about it." (``cxradar/intelligence/impact.py``
says how the figures are made)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd


def _known(value) -> bool:
    return value is not None and not (isinstance(value, float) and pd.isna(value))


def number(value: float, digits: int, language: str) -> str:
    """Signed, with a real minus sign, and a decimal comma in German: −4,2 / +0.30."""
    text = f"{value:+.{digits}f}".replace("-", "−")
    return text.replace(".", ",") if language == "de" else text


def impact_line(
    issue: dict, t: Callable[..., str], language: str, share: float | None = None
) -> str:
    """The issue's NPS and star rating impact and first version; "" when none is known."""
    parts = []
    if _known(issue.get("nps_impact")):
        parts.append(t("impact_nps", value=number(issue["nps_impact"], 1, language)))
    if _known(issue.get("rating_impact")):
        parts.append(t("impact_rating", value=number(issue["rating_impact"], 2, language)))
    text = "; ".join(parts)
    if text:
        text = text[0].upper() + text[1:] + "."
    version = issue.get("first_version")
    if _known(version) and version:
        line = t("impact_version", version=version)
        if share is not None:
            percent = f"{share:.0%}".replace("%", " %")
            line += "; " + t("impact_version_share", share=percent, version=version)
        text = f"{text} {line}.".strip()
    return text
