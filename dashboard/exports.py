"""CSV and Markdown downloads, safe to open: no spreadsheet formulas, no live HTML or links."""

from __future__ import annotations

import pandas as pd

from cxradar.reports import spreadsheet_safe
from dashboard.safe import markdown as md_escape


def to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, so Excel shows umlauts) whose text cells cannot run as formulas."""
    # Cell by cell: text columns may be object or string dtype; numbers pass unchanged.
    return frame.map(spreadsheet_safe).to_csv(index=False).encode("utf-8-sig")


def markdown_table(frame: pd.DataFrame, headers: dict[str, str] | None = None) -> str:
    """A pipe table of `frame` with every cell escaped."""
    headers = headers or {}
    names = [md_escape(headers.get(column, column)) for column in frame.columns]
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(md_escape(_plain(value)) for value in row) + " |")
    return "\n".join(lines)


def issue_markdown(
    issue: dict,
    mentions: pd.DataFrame,
    tickets: pd.DataFrame,
    words: dict[str, str],
) -> str:
    """One issue as a Markdown report: facts, evidence, mentions and linked tickets.

    `words` holds the headings in the reader's language (keys: classification
    labels, evidence, mentions, tickets and the column names used below).
    """
    kind = words.get(issue["classification"], issue["classification"])
    facts = [
        f"# {md_escape(issue['label'])}",
        "",
        f"**{md_escape(kind)}** · {words['col_severity']}: {issue['severity']:.2f} · "
        f"{words['col_mentions']}: {issue['mentions']} · {words['col_authors']}: "
        f"{issue['authors']} · {words['col_tickets']}: {issue['tickets']}",
        "",
        f"{words['col_first_seen']}: {_plain(issue['first_seen'])} · "
        f"{words['col_last_seen']}: {_plain(issue['last_seen'])}",
        "",
        f"## {words['evidence']}",
        "",
        md_escape(issue["evidence"]),
        "",
        f"## {words['issue_mentions']}",
        "",
        markdown_table(mentions, words),
        "",
        f"## {words['issue_tickets']}",
        "",
        markdown_table(tickets, words) if not tickets.empty else words["no_tickets"],
        "",
    ]
    return "\n".join(facts)


def _plain(value) -> str:
    if value is None or (not isinstance(value, (list, tuple, str)) and pd.isna(value)):
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)
