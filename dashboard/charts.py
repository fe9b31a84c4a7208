"""Charts as pure functions: data frames in, plotly figures out."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

SENTIMENT_COLOURS = {"negative": "#d62728", "neutral": "#9e9e9e", "positive": "#2ca02c"}


def sentiment_over_time(daily: pd.DataFrame, alerts: pd.DataFrame | None = None) -> go.Figure:
    """Stacked daily mentions per sentiment, with spike alert windows shaded."""
    figure = go.Figure()
    for sentiment in ("negative", "neutral", "positive"):
        part = daily[daily["sentiment"] == sentiment]
        figure.add_bar(
            x=part["day"],
            y=part["mentions"],
            name=sentiment,
            marker_color=SENTIMENT_COLOURS[sentiment],
        )
    for _, alert in (alerts if alerts is not None else pd.DataFrame()).iterrows():
        figure.add_vrect(
            x0=alert["window_start"],
            x1=alert["window_end"],
            fillcolor="#d62728",
            opacity=0.15,
            line_width=0,
            annotation_text="spike",
            annotation_position="top left",
        )
    figure.update_layout(
        barmode="stack",
        height=340,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h"},
    )
    return figure


def volume_bars(volume: pd.DataFrame, column: str) -> go.Figure:
    figure = go.Figure(
        go.Bar(x=volume["mentions"], y=volume[column], orientation="h", marker_color="#1f77b4")
    )
    figure.update_layout(
        height=260, margin={"l": 10, "r": 10, "t": 10, "b": 10}, yaxis={"autorange": "reversed"}
    )
    return figure
