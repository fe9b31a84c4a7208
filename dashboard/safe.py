"""Text written or named by strangers, made safe to show: never Markdown, never HTML.

Post text, titles, authors, source and brand names, issue and topic labels,
keywords and error reasons all come from outside (a feed, a file, a post). Each
place the dashboard shows them goes through one of these, by what the place
would interpret:

* :func:`markdown` where Streamlit renders Markdown (``st.markdown``,
  ``st.caption``, titles and headers, expander, metric and widget labels,
  ``st.info``/``st.error``): punctuation escaped, HTML as entities, one line;
* :func:`plain` where text is shown as text (``st.text``, option labels of
  pickers, cells of tables): only bidirectional controls removed;
* :func:`table` :func:`plain` on every text cell of a frame, for ``st.dataframe``;
* :func:`chart` for plotly (labels, legends, axis ticks, hover text), which
  parses a subset of HTML (``<a href>``, ``<b>``, ``<br>``, entities).

Every level removes bidirectional controls (U+202A-U+202E, U+2066-U+2069, LRM,
RLM, ALM), so a ``U+202E`` in a post cannot turn a line around. Use these, not
``html.escape`` or hand-made escaping, for anything new.
"""

from __future__ import annotations

import html
import re

import pandas as pd

from cxradar.intelligence.text_safety import neutralise_bidi

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$:<>])")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value))


def plain(value) -> str:
    """Text to show as text: bidirectional controls removed, nothing else changed."""
    return "" if _missing(value) else neutralise_bidi(str(value))


def markdown(value) -> str:
    """Untrusted text as inert Markdown: punctuation escaped, HTML as entities, one line."""
    flat = " ".join(plain(value).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(flat, quote=False))


def chart(value) -> str:
    """Text for a plotly label, legend, tick or hover text: no tags, no links."""
    return html.escape(plain(value), quote=True)


def table(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with :func:`plain` applied to every text cell (numbers, dates, lists kept)."""
    shown = frame.copy()
    for column in shown.columns:
        if shown[column].dtype == object or pd.api.types.is_string_dtype(shown[column]):
            shown[column] = [
                neutralise_bidi(value) if isinstance(value, str) else value
                for value in shown[column]
            ]
    return shown
