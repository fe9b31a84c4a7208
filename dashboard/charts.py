"""Charts as pure functions: data frames in, plotly figures out (no Streamlit needed).

Labels come in as arguments so the app can pass them in the user's language.
"""

from __future__ import annotations

import html
from datetime import timedelta

import pandas as pd
import plotly.graph_objects as go

SENTIMENT_COLOURS = {"negative": "#d62728", "neutral": "#9e9e9e", "positive": "#2ca02c"}
SPIKE_COLOUR = "#d62728"
BAR_COLOUR = "#1f77b4"
_MARGIN = {"l": 10, "r": 10, "t": 30, "b": 10}


def sentiment_over_time(
    daily: pd.DataFrame,
    alerts: pd.DataFrame | None = None,
    names: dict[str, str] | None = None,
    spike_label: str = "spike",
) -> go.Figure:
    """Stacked daily mentions per sentiment; spike alert windows shaded behind the bars.

    `daily` has columns day, sentiment, mentions; `alerts` window_start, window_end
    (and optionally scope). Days without data show as gaps of zero height.
    """
    names = names or {}
    figure = go.Figure()
    for sentiment in ("negative", "neutral", "positive"):
        part = daily[daily["sentiment"] == sentiment]
        figure.add_bar(
            x=list(part["day"]),
            y=list(part["mentions"]),
            name=names.get(sentiment, sentiment),
            marker_color=SENTIMENT_COLOURS[sentiment],
        )
    for window in alert_windows(alerts):
        figure.add_vrect(
            x0=window[0],
            x1=window[1],
            fillcolor=SPIKE_COLOUR,
            opacity=0.12,
            line_width=0,
            layer="below",
            annotation_text=spike_label,
            annotation_position="top left",
        )
    figure.update_layout(
        barmode="stack",
        height=340,
        margin=_MARGIN,
        legend={"orientation": "h", "y": -0.15},
        xaxis={"type": "date"},
    )
    return figure


def alert_windows(alerts: pd.DataFrame | None) -> list[tuple]:
    """Distinct (start, end) windows, so per-source alerts for one spike shade it once.

    Bars are centred on midnight, so a window's edges move back half a day to
    cover exactly the days it is about.
    """
    if alerts is None or alerts.empty:
        return []
    windows = sorted(set(zip(alerts["window_start"], alerts["window_end"], strict=True)))
    half_day = timedelta(hours=12)
    return [(start - half_day, end - half_day) for start, end in windows]


def volume_bars(volume: pd.DataFrame, column: str, negative_label: str = "negative") -> go.Figure:
    """Horizontal bars of mentions per `column` (source or lang), the negative part overlaid."""
    figure = go.Figure()
    figure.add_bar(
        x=list(volume["mentions"]),
        y=list(volume[column]),
        orientation="h",
        marker_color=BAR_COLOUR,
        name=column,
    )
    if "negative" in volume:
        figure.add_bar(
            x=list(volume["negative"]),
            y=list(volume[column]),
            orientation="h",
            marker_color=SENTIMENT_COLOURS["negative"],
            name=negative_label,
        )
    figure.update_layout(
        barmode="overlay",
        height=max(180, 40 + 28 * len(volume)),
        margin=_MARGIN,
        yaxis={"autorange": "reversed", "type": "category"},
        showlegend=False,
    )
    return figure


def issue_sparkline(counts: list[int], start, title: str | None = None) -> go.Figure:
    """A small line of one issue's mentions per day, starting at date `start`."""
    days = [start + timedelta(days=offset) for offset in range(len(counts))]
    figure = go.Figure(
        go.Scatter(
            x=days,
            y=list(counts),
            mode="lines",
            fill="tozeroy",
            line={"color": SPIKE_COLOUR, "width": 2},
            hovertemplate="%{x|%d %b}: %{y}<extra></extra>",
        )
    )
    figure.update_layout(
        height=160,
        margin={"l": 10, "r": 10, "t": 30 if title else 10, "b": 10},
        title={"text": html.escape(title)} if title else None,  # plotly parses tags
        yaxis={"rangemode": "tozero"},
        showlegend=False,
    )
    return figure


def alerts_for(alerts: pd.DataFrame, sources: tuple[str, ...] = ()) -> pd.DataFrame:
    """The alerts about what a chart shows: overall and per-source spikes of shown sources."""
    if alerts.empty or not sources:
        return alerts[~alerts["scope"].str.startswith("issue:")] if not alerts.empty else alerts
    wanted = {"all"} | {f"source:{source}" for source in sources}
    return alerts[alerts["scope"].isin(wanted)]
