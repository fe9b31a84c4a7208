"""What every page shares: the database, the sidebar filters (kept in the URL) and wording.

Every page draws the same sidebar through :func:`page_context`. Streamlit drops
a widget's state when the page changes, so each choice is also kept under a
plain session key (``cx_*``) that outlives page switches, and mirrored into
``st.query_params`` so a URL reproduces the view it was copied from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import streamlit as st
from sqlalchemy import Engine

from cxradar.db import database_url, get_engine, redact_url
from dashboard import auth
from dashboard.data import filters as filter_data
from dashboard.data.filters import Filters, Period
from dashboard.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate
from dashboard.safe import markdown, plain, table

INITIALISED_KEY = "cx_initialised"
# Stored choice -> widget key; the widget keys are what tests and callbacks address.
WIDGETS = {
    "cx_period": "f_period",
    "cx_sources": "f_sources",
    "cx_langs": "f_langs",
    "cx_brands": "f_brands",
    "cx_ui": "ui_lang",
}
# URL parameter -> stored choice, for the multi-valued filters.
LIST_PARAMS = {"source": "cx_sources", "lang": "cx_langs", "brand": "cx_brands"}


@dataclass(frozen=True)
class Context:
    """What a page shows: from which database, in which language, narrowed by what."""

    url: str
    engine: Engine  # the page's queries (dashboard/data/) read through it
    language: str
    filters: Filters

    def t(self, key: str, **values) -> str:
        return translate(key, self.language, **values)


def current_language() -> str:
    """The chosen UI language; on first load the one in ?ui=."""
    if "cx_ui" not in st.session_state:
        wanted = st.query_params.get("ui", DEFAULT_LANGUAGE)
        st.session_state["cx_ui"] = wanted if wanted in LANGUAGES else DEFAULT_LANGUAGE
    return st.session_state["cx_ui"]


def first_run_of_session() -> bool:
    """True once per browser session (to follow a deep link only on arrival)."""
    first = "cx_arrived" not in st.session_state
    st.session_state["cx_arrived"] = True
    return first


def page_context() -> Context:
    """Draw the sidebar (language, filters) and return what the page should show.

    Every page starts here, so no page shows anything before the password, even
    one run some other way than through app.py's gate.
    """
    url = database_url()
    language = current_language()
    auth.require_signed_in(language)
    _persisted(
        st.sidebar.radio,
        "cx_ui",
        "Language / Sprache",
        list(LANGUAGES),
        format_func=LANGUAGES.get,
        horizontal=True,
    )
    _set_param("ui", None if language == DEFAULT_LANGUAGE else language)
    engine = get_engine(url)
    filters = sidebar_filters(engine, language)
    return Context(url, engine, language, filters)


def sidebar_filters(engine: Engine, language: str) -> Filters:
    """Period, source, language and brand pickers; returns what is chosen."""
    default = filter_data.default_period(engine)
    options = filter_data.filter_options(engine)
    if not st.session_state.get(INITIALISED_KEY):
        _state_from_url(default, options)
    sidebar = st.sidebar
    sidebar.header(translate("filters", language))
    chosen = _persisted(sidebar.date_input, "cx_period", translate("period", language))
    every = translate("all", language)
    sources = _persisted(
        sidebar.multiselect,
        "cx_sources",
        translate("sources", language),
        options["sources"],
        format_func=plain,
        placeholder=every,
    )
    langs = _persisted(
        sidebar.multiselect,
        "cx_langs",
        translate("languages", language),
        options["langs"],
        format_func=plain,
        placeholder=every,
    )
    brands = st.session_state["cx_brands"]
    if len(options["brands"]) > 1 or brands:
        brands = _persisted(
            sidebar.multiselect,
            "cx_brands",
            translate("brands", language),
            options["brands"],
            format_func=plain,
            placeholder=every,
        )
    sidebar.button(translate("reset_filters", language), on_click=_reset, args=(default,))
    period = _as_period(chosen, default)
    filters = Filters(period, tuple(sources), tuple(langs), tuple(brands))
    _filters_to_url(filters)
    return filters


def _persisted(widget: Callable, stored: str, label: str, *args, **kwargs):
    """A widget whose value survives page switches: seeded from, and saved to, `stored`."""
    key = WIDGETS[stored]
    # Always re-seed: on another page the same key is a new widget that would start empty.
    # A change made by the user was already saved to `stored` by `keep`, before this run.
    st.session_state[key] = st.session_state[stored]

    def keep() -> None:
        st.session_state[stored] = st.session_state[key]

    return widget(label, *args, key=key, on_change=keep, **kwargs)


def _state_from_url(default: Period, options: dict[str, list[str]]) -> None:
    params = st.query_params
    start = _parse_date(params.get("from")) or default.start
    end = _parse_date(params.get("to")) or default.end
    st.session_state["cx_period"] = (start, end) if start <= end else (default.start, default.end)
    for param, stored in LIST_PARAMS.items():
        allowed = options[param + "s"]
        st.session_state[stored] = [value for value in params.get_all(param) if value in allowed]
    st.session_state[INITIALISED_KEY] = True


def _reset(default: Period) -> None:
    st.session_state["cx_period"] = (default.start, default.end)
    for stored in LIST_PARAMS.values():
        st.session_state[stored] = []
    for stored in ("cx_period", *LIST_PARAMS.values()):
        st.session_state.pop(WIDGETS[stored], None)


def _filters_to_url(filters: Filters) -> None:
    _set_param("from", filters.period.start.isoformat())
    _set_param("to", filters.period.end.isoformat())
    _set_param("source", list(filters.sources))
    _set_param("lang", list(filters.langs))
    _set_param("brand", list(filters.brands))


def _set_param(name: str, value: str | list[str] | None) -> None:
    """Write a URL parameter only when it changes (every write is a browser history entry)."""
    current = st.query_params.get_all(name)
    wanted = [] if value is None else ([value] if isinstance(value, str) else value)
    if current == wanted:
        return
    if wanted:
        st.query_params[name] = wanted
    else:
        del st.query_params[name]


def _as_period(chosen, default: Period) -> Period:
    # While a user is picking a range the widget holds only its first day.
    if isinstance(chosen, (tuple, list)) and len(chosen) == 2:
        start, end = chosen
        return Period(start, end)
    return default


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


# --- shared display helpers ---------------------------------------------------------------------


# Red for systemic, amber for emerging; isolated is neutral grey, never green ("fine").
BADGES = {"systemic": "🔴 ", "emerging": "🟠 ", "isolated": "⚪ "}
BADGE_COLOURS = {"systemic": "red", "emerging": "orange", "isolated": "gray"}


def badge(classification: str, t: Callable[[str], str]) -> str:
    """The issue's label as a short coloured flag (emoji: tables cannot colour)."""
    if not isinstance(classification, str):  # a mention in no issue (None or NaN)
        return ""
    return BADGES.get(classification, "") + t(classification)


def type_badge(classification: str, t: Callable[[str], str]) -> None:
    """The issue's label as a coloured badge, always in full (a metric would cut it off)."""
    st.badge(
        badge(classification, t),
        color=BADGE_COLOURS.get(classification, "gray"),
        help=t(f"{classification}_help") if classification in BADGE_COLOURS else None,
    )


def issue_title(issue, language: str) -> str:
    """The issue's title in the reader's language where it has one."""
    get = (
        issue.get
        if isinstance(issue, dict)
        else lambda key, default=None: getattr(issue, key, default)
    )
    german = get("title_de") if language == "de" else None
    return german or get("title") or get("label") or ""


def empty_state(url: str, language: str, migrated: bool) -> None:
    st.title(translate("app_title", language))
    st.subheader(translate("empty_title", language))
    key = "empty_body" if migrated else "not_migrated"
    st.info(translate(key, language, url=markdown(redact_url(url))))


def count(value: int, language: str, signed: bool = False) -> str:
    """A whole number with the language's thousands separator (1,821 / 1.821)."""
    text = f"{value:+,}" if signed else f"{value:,}"
    return text.replace(",", ".") if language == "de" else text


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def signed_points(now: float | None, before: float | None) -> str | None:
    """The change of a share in percentage points, e.g. '+5 pp'."""
    if now is None or before is None:
        return None
    return f"{(now - before) * 100:+.0f} pp"


def issue_table(cx: Context, issues, trend: dict[int, list[int]] | None = None) -> None:
    """Issues as a table: badge, label, severity bar, reach, first/last seen, trend sparkline."""
    t = cx.t
    frame = issues.assign(
        badge=[badge(kind, t) for kind in issues["classification"]],
        trend=[(trend or {}).get(issue_id, []) for issue_id in issues["id"]],
        shown_title=[issue_title(row, cx.language) for row in issues.to_dict("records")],
    )
    columns = {
        "badge": st.column_config.TextColumn(t("col_type")),
        "shown_title": st.column_config.TextColumn(t("col_issue"), width="large"),
        "brand_names": st.column_config.TextColumn(t("col_brands")),
        "severity": st.column_config.ProgressColumn(
            t("col_severity"), min_value=0.0, max_value=1.0, format="%.2f"
        ),
        "mentions": st.column_config.NumberColumn(t("col_mentions")),
        "authors": st.column_config.NumberColumn(t("col_authors")),
        "source_names": st.column_config.TextColumn(t("col_sources")),
        "tickets": st.column_config.NumberColumn(t("col_tickets")),
        "first_seen": st.column_config.DatetimeColumn(t("col_first_seen"), format="D MMM YYYY"),
        "last_seen": st.column_config.DatetimeColumn(t("col_last_seen"), format="D MMM YYYY"),
    }
    for name, shown in (("nps_impact", "%+.1f"), ("rating_impact", "%+.2f ★")):
        if name in frame and frame[name].notna().any():  # what the issue does to the score
            columns[name] = st.column_config.NumberColumn(t(f"col_{name}"), format=shown)
    if trend is not None:
        columns["trend"] = st.column_config.LineChartColumn(t("col_trend"), y_min=0)
    st.dataframe(
        table(frame[list(columns)]),
        hide_index=True,
        column_config=columns,
        width="stretch",
    )


def mention_columns(t) -> dict:
    """Column headings for mention tables; links only as 'open', never as markup."""
    return {
        "created_at": st.column_config.DatetimeColumn(t("col_created"), format="D MMM YYYY, HH:mm"),
        "source": t("col_source"),
        "author": t("col_author"),
        "text": st.column_config.TextColumn(t("col_text"), width="large"),
        "lang": t("col_lang"),
        "sentiment": t("col_sentiment"),
        "rating": st.column_config.NumberColumn(t("col_rating"), format="%d ★"),
        "sentiment_score": st.column_config.NumberColumn(t("col_score"), format="%.2f"),
        "issue": st.column_config.TextColumn(t("col_issue")),
        "classification": st.column_config.TextColumn(t("col_type")),
        "url": st.column_config.LinkColumn(t("col_link"), display_text=t("col_open")),
    }


def ticket_columns(t) -> dict:
    return {
        "ticket": t("col_ticket"),
        "created_at": st.column_config.DatetimeColumn(t("col_created"), format="D MMM YYYY, HH:mm"),
        "subject": t("col_subject"),
        "body": st.column_config.TextColumn(t("col_body"), width="large"),
        "status": t("col_status"),
        "channel": t("col_channel"),
        "similarity": st.column_config.ProgressColumn(
            t("col_similarity"), min_value=0.0, max_value=1.0, format="%.2f"
        ),
    }
