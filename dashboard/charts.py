"""Charts as pure functions: data frames in, plotly figures out (no Streamlit needed).

Labels come in as arguments so the app can pass them in the user's language. Plotly
parses a subset of HTML in every text it draws (``<a href>`` becomes a live SVG link),
so text from outside (source names, labels) goes through ``dashboard.safe.chart``.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.safe import chart

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
    labels = [chart(value) for value in volume[column]]  # source names come from outside
    figure.add_bar(
        x=list(volume["mentions"]),
        y=labels,
        orientation="h",
        marker_color=BAR_COLOUR,
        name=column,
    )
    if "negative" in volume:
        figure.add_bar(
            x=list(volume["negative"]),
            y=labels,
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
        title={"text": chart(title)} if title else None,
        yaxis={"rangemode": "tozero"},
        showlegend=False,
    )
    return figure


LABEL_COLOURS = {"systemic": "#d62728", "emerging": "#ff9f1c", "isolated": "#9e9e9e"}


def brand_problems(top: pd.DataFrame, language: str, share_label: str) -> go.Figure:
    """Each brand's top problems side by side: one panel per brand, a bar per problem
    (its share of the brand's complaints), coloured by the problem's label."""
    from plotly.subplots import make_subplots

    brands = list(dict.fromkeys(top["brand"]))[:4]
    figure = make_subplots(
        rows=1, cols=max(len(brands), 1), subplot_titles=[chart(b) for b in brands]
    )
    for column, brand in enumerate(brands, start=1):
        part = top[top["brand"] == brand]
        titles = [
            chart(row["title_de"] if language == "de" and row["title_de"] else row["title"])
            for row in part.to_dict("records")
        ]
        colours = [LABEL_COLOURS.get(kind, BAR_COLOUR) for kind in part["classification"]]
        figure.add_trace(
            go.Bar(
                x=list(part["share"]),
                y=[title[:40] for title in titles],
                orientation="h",
                marker={"color": colours},
                hovertemplate="%{y}: %{x:.0%}<extra></extra>",
                showlegend=False,
            ),
            row=1,
            col=column,
        )
        figure.update_yaxes(autorange="reversed", type="category", row=1, col=column)
        figure.update_xaxes(tickformat=".0%", title_text=chart(share_label), row=1, col=column)
    figure.update_layout(
        height=max(220, 60 + 36 * int(top.groupby("brand").size().max())), margin=_MARGIN
    )
    return figure


def alerts_for(alerts: pd.DataFrame, sources: tuple[str, ...] = ()) -> pd.DataFrame:
    """The alerts about what a chart shows: overall and per-source spikes of shown sources."""
    if alerts.empty or not sources:
        return alerts[~alerts["scope"].str.startswith("issue:")] if not alerts.empty else alerts
    wanted = {"all"} | {f"source:{source}" for source in sources}
    return alerts[alerts["scope"].isin(wanted)]


# --- topics -------------------------------------------------------------------------------------

NEGATIVE_SCALE = [[0.0, SENTIMENT_COLOURS["positive"]], [0.5, "#fdd835"], [1.0, SPIKE_COLOUR]]
TOPIC_LINES = 8


def centroid_matrix(centroids: list[bytes]) -> np.ndarray:
    """Stored float32 centroids (bytes) as one matrix, a row per topic."""
    if not centroids:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([np.frombuffer(blob, dtype=np.float32) for blob in centroids])


def project_2d(vectors: np.ndarray) -> np.ndarray:
    """PCA to two dimensions (n x 2); signs fixed so the same topics give the same map."""
    count = len(vectors)
    positions = np.zeros((count, 2))
    if count < 2:
        return positions
    centred = vectors - vectors.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    components = components[:2]
    signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(axis=1)])
    projected = centred @ (components * signs[:, None]).T
    positions[:, : projected.shape[1]] = projected
    return positions


def topic_map(topics: pd.DataFrame, positions: np.ndarray, words: dict | None = None):
    """Topics as bubbles: place from `positions`, size = mentions, colour = negative share.

    `topics` has columns id, label, mentions, negative_share (a row per position);
    topics without mentions are left out (their place stays reserved). Each point
    carries its topic id as customdata, for click-to-select.
    """
    words = {"mentions": "mentions", "negative": "negative", **(words or {})}
    placed = topics.assign(x=positions[:, 0], y=positions[:, 1]) if len(topics) else topics
    shown = placed[placed["mentions"] > 0]
    share = [0.0 if pd.isna(value) else float(value) for value in shown["negative_share"]]
    labels = [chart(label) for label in shown["label"]]
    mentions, negative = chart(words["mentions"]), chart(words["negative"])
    figure = go.Figure(
        go.Scatter(
            x=list(shown["x"]) if len(shown) else [],
            y=list(shown["y"]) if len(shown) else [],
            mode="markers+text",
            text=labels,
            textposition="top center",
            customdata=[[int(topic_id)] for topic_id in shown["id"]],
            marker=_bubbles(list(shown["mentions"]), share, negative),
            hovertext=[
                f"{label}<br>{mentions}: {n:,}<br>{negative}: {value:.0%}"
                for label, n, value in zip(labels, shown["mentions"], share, strict=True)
            ],
            hoverinfo="text",
        )
    )
    figure.update_layout(
        height=460,
        margin=_MARGIN,
        xaxis={"visible": False},
        yaxis={"visible": False},
        showlegend=False,
        clickmode="event+select",
    )
    return figure


def _bubbles(mentions: list[int], negative_share: list[float], colour_title: str) -> dict:
    """Marker style: area grows with mentions, colour runs green (0 %) to red (100 % negative)."""
    largest = max([1, *mentions])
    return {
        "size": [12 + 48 * (n / largest) ** 0.5 for n in mentions],
        "color": negative_share,
        "cmin": 0.0,
        "cmax": 1.0,
        "colorscale": NEGATIVE_SCALE,
        "showscale": True,
        "colorbar": {"title": {"text": colour_title}, "tickformat": ".0%"},
        "line": {"width": 1, "color": "#ffffff"},
        "opacity": 0.85,
    }


def topic_trends(daily: pd.DataFrame, labels: dict[int, str], top: int = TOPIC_LINES) -> go.Figure:
    """Daily mentions of the `top` largest topics, a line each.

    `daily` has columns day, topic_id, sentiment, mentions (sentiments are summed).
    """
    figure = go.Figure()
    if len(daily):
        per_day = daily.groupby(["topic_id", "day"], as_index=False)["mentions"].sum()
        totals = per_day.groupby("topic_id")["mentions"].sum().sort_values(ascending=False)
        for topic_id in totals.index[:top]:
            part = per_day[per_day["topic_id"] == topic_id].sort_values("day")
            figure.add_scatter(
                x=list(part["day"]),
                y=list(part["mentions"]),
                mode="lines",
                name=chart(labels.get(int(topic_id), str(topic_id))),
            )
    figure.update_layout(
        height=340,
        margin=_MARGIN,
        legend={"orientation": "h", "y": -0.15},
        xaxis={"type": "date"},
        yaxis={"rangemode": "tozero"},
    )
    return figure
