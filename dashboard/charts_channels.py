"""Charts of the Channels compared page, as pure functions (data frames in, figures out).

One shared time axis for every KPI, so a social spike, an NPS dip and a rise in tickets line
up; spike alert windows are shaded and issues' first-seen days drawn as dashed rules across
every panel. Labels come in the user's language; names from outside go through
``dashboard.safe.chart``.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.charts import SPIKE_COLOUR
from dashboard.safe import chart

ISSUE_COLOUR = "#7f3fbf"
VERSION_COLOUR = "#555555"
PANEL_COLOURS = {
    "nps": "#1f77b4",
    "csat": "#17becf",
    "rating": "#ff7f0e",
    "tickets": "#8c564b",
    "negative_share": "#d62728",
}
_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}


def panels(kpis: pd.DataFrame) -> list[str]:
    """The KPIs with data in the period, in reading order (CSAT only where it is asked)."""
    shown = []
    for name, count in (
        ("nps", "respondents"),
        ("csat", "csat_respondents"),
        ("rating", "reviews"),
        ("tickets", "tickets"),
        ("negative_share", "social"),
    ):
        if not kpis.empty and kpis[count].sum() > 0:
            shown.append(name)
    return shown


def channels_compared(
    kpis: pd.DataFrame,
    grain: str,
    labels: dict[str, str],
    alerts: pd.DataFrame | None = None,
    issues: pd.DataFrame | None = None,
    versions: pd.DataFrame | None = None,
) -> go.Figure:
    """A panel per KPI on one time axis: NPS (with respondents on hover), CSAT, star rating,
    tickets, negative share of social mentions; alerts shaded, issues' first days ruled.

    ``kpis``: rows of ``dashboard.data.channels.kpi_table``; ``labels``: a title per KPI
    plus "spike", "respondents" and "version"; ``issues``: id, first_seen and a shown
    ``name``; ``versions``: app versions first reviewed in the period (version, released),
    drawn as dotted rules: a dip that starts with an update lines up with it.
    """
    names = panels(kpis)
    if not names:
        return go.Figure()
    figure = make_subplots(
        rows=len(names),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        subplot_titles=[labels[name] for name in names],
    )
    width = timedelta(days=7 if grain == "week" else 1)
    x = [start + width / 2 for start in kpis["start"]]  # each point sits mid-bucket
    for row, name in enumerate(names, start=1):
        colour = PANEL_COLOURS[name]
        if name == "tickets":
            figure.add_bar(x=x, y=list(kpis["tickets"]), marker_color=colour, row=row, col=1)
            continue
        values = kpis[name] * (100 if name == "negative_share" else 1)
        hover = None
        if name == "nps":
            hover = [f"{labels['respondents']}: {n}" for n in kpis["respondents"]]
        figure.add_scatter(
            x=x,
            y=list(values),
            mode="lines+markers",
            line={"color": colour},
            connectgaps=False,  # a bucket without answers is a gap, not a zero
            hovertext=hover,
            row=row,
            col=1,
        )
    windows = _windows(alerts)
    for start, end in windows:
        figure.add_vrect(x0=start, x1=end, fillcolor=SPIKE_COLOUR, opacity=0.12, line_width=0)
    if windows:  # one label: every shaded band is a spike
        figure.add_annotation(
            x=windows[0][0],
            y=1.04,
            xref="x",
            yref="paper",
            text=chart(labels.get("spike", "spike")),
            showarrow=False,
            xanchor="left",
            font={"color": SPIKE_COLOUR, "size": 11},
        )
    for index, issue in enumerate([] if issues is None else issues.to_dict("records")):
        figure.add_vline(x=issue["first_seen"], line_dash="dash", line_color=ISSUE_COLOUR)
        figure.add_annotation(
            x=issue["first_seen"],
            y=1.0 - 0.03 * (index % 2),  # neighbours' labels one above the other
            xref="x",
            yref="paper",
            # The number only: issues starting days apart would print their titles over each
            # other; the titles are listed under the chart with the same numbers.
            text=chart(f"#{issue['id']}"),
            showarrow=False,
            xanchor="left",
            font={"color": ISSUE_COLOUR, "size": 11},
        )
    for release in [] if versions is None else versions.to_dict("records"):
        figure.add_vline(x=release["released"], line_dash="dot", line_color=VERSION_COLOUR)
        figure.add_annotation(
            x=release["released"],
            y=-0.055,  # under the date ticks, clear of the year
            xref="x",
            yref="paper",
            text=chart(f"{labels.get('version', 'version')} {release['version']}"),
            showarrow=False,
            xanchor="left",
            yanchor="top",
            font={"color": VERSION_COLOUR, "size": 11},
        )
    figure.update_layout(
        height=150 * len(names) + 90, margin={**_MARGIN, "b": 60}, showlegend=False, bargap=0.2
    )
    figure.update_xaxes(type="date")
    return figure


def _windows(alerts: pd.DataFrame | None) -> list[tuple]:
    """Distinct alert windows (per-source alerts of one spike shade it once)."""
    if alerts is None or alerts.empty:
        return []
    return sorted(set(zip(alerts["window_start"], alerts["window_end"], strict=True)))


def version_ratings(
    versions: pd.DataFrame, rating_label: str, released_label: str = "first seen"
) -> go.Figure:
    """Average star rating per app version (bars, version order), its first day as text."""
    figure = go.Figure()
    if versions.empty:
        return figure
    text = [
        f"{rating:.2f} ★<br>{chart(released_label)} {released:%d %b}"
        for rating, released in zip(versions["rating"], versions["released"], strict=True)
    ]
    figure.add_bar(
        x=[chart(v) for v in versions["version"]],
        y=list(versions["rating"]),
        text=text,
        textposition="auto",
        marker_color=PANEL_COLOURS["rating"],
        customdata=list(versions["reviews"]),
        hovertemplate="%{x}: %{y:.2f} ★ (%{customdata})<extra></extra>",
    )
    figure.update_layout(
        height=300,
        margin=_MARGIN,
        yaxis={"range": [0, 5], "title": chart(rating_label)},
        xaxis={"type": "category"},
    )
    return figure
