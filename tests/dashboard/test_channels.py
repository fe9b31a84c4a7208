"""Channels compared: the KPI queries, the charts and the page, on seed.py's database plus
seed_channels.py's survey answers and app versions (figures worked out there by hand)."""

from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import charts_channels
from dashboard.data import channels
from dashboard.data.filters import Period
from dashboard.i18n import translate
from dashboard.impact import impact_line
from tests.dashboard.seed_channels import (
    NPS_BY_WEEK,
    NPS_OCTOBER,
    SYSTEMIC_NPS_IMPACT,
    SYSTEMIC_RATING_IMPACT,
    add_channel_data,
)
from tests.dashboard.test_app import APP, checked, on_page

OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 30))


@pytest.fixture
def surveyed(seeded) -> str:
    add_channel_data(seeded)
    return seeded


@pytest.fixture
def engine(surveyed):
    from cxradar.db import get_engine

    return get_engine(surveyed)


def test_weekly_kpis_show_the_nps_dip_of_the_sms_issue(engine):
    kpis = channels.kpi_table(engine, OCTOBER, "week")
    names = [f"{start.day} {start:%b}" for start in kpis["start"]]
    assert names == ["28 Sep", "5 Oct", "12 Oct", "19 Oct", "26 Oct"]
    weeks = dict(zip(names, kpis.to_dict("records"), strict=True))
    for week, nps in NPS_BY_WEEK.items():
        assert weeks[week]["nps"] == pytest.approx(nps), week
    assert weeks["19 Oct"]["respondents"] == 12 and weeks["19 Oct"]["detractors"] == 6
    # The SMS issue's week: its five 1-star reviews, seed.py's four tickets (20-23 Oct); on
    # reddit its six complaints and one neutral Zinsly question (21 Oct): 6 of 7 negative
    assert weeks["19 Oct"]["rating"] == pytest.approx(1.0)
    assert weeks["19 Oct"]["tickets"] == 4
    assert weeks["19 Oct"]["negative_share"] == pytest.approx(6 / 7)
    assert weeks["5 Oct"]["negative_share"] == 0.0
    assert weeks["5 Oct"]["rating"] == pytest.approx(5.0)  # the German praise, 5 stars
    assert weeks["12 Oct"]["csat"] == pytest.approx(100.0)  # 4 and 5
    assert weeks["19 Oct"]["csat"] == pytest.approx(100 / 3)  # 2, 3, 5
    assert kpis["nps"].isna().sum() == 1  # the days of September's week: no answers


def test_period_totals_versions_and_stores(engine):
    totals = channels.period_totals(engine, OCTOBER)
    assert totals.nps == pytest.approx(NPS_OCTOBER) and totals.respondents == 40
    assert totals.csat == pytest.approx(60.0) and totals.csat_respondents == 5
    assert totals.rating == pytest.approx(55 / 15) and totals.reviews == 15
    assert totals.tickets == 4
    versions = channels.version_ratings(engine, OCTOBER)
    assert list(versions["version"]) == ["5.1", "5.2"]
    assert list(versions["rating"]) == [5.0, 1.0] and list(versions["reviews"]) == [10, 5]
    assert list(versions["low"]) == [0, 5]
    assert [r.day for r in versions["released"]] == [2, 20]
    stores = channels.store_ratings(engine, OCTOBER)
    assert stores.to_dict("records") == [
        {"source": "appstore", "reviews": 15, "rating": pytest.approx(55 / 15)}
    ]
    assert channels.period_totals(engine, OCTOBER, ("Zinsly",)).respondents == 0


def test_issue_markers_and_impact_text(engine, issue_ids):
    starts = channels.issue_starts(engine, OCTOBER)
    assert list(starts["id"]) == [issue_ids["systemic"], issue_ids["emerging"]]
    shares = channels.issue_version_shares(engine, ((issue_ids["systemic"], "5.2"),))
    assert shares == {issue_ids["systemic"]: 1.0}
    issue = {"nps_impact": SYSTEMIC_NPS_IMPACT, "rating_impact": SYSTEMIC_RATING_IMPACT}
    issue["first_version"] = "5.2"
    english = impact_line(issue, lambda k, **v: translate(k, "en", **v), "en", 0.75)
    assert english == (
        "NPS impact −13.6 points; star rating −0.63. First seen with version 5.2; "
        "75 % of the 1–2 star reviews on 5.2 are about it."
    )
    german = impact_line(issue, lambda k, **v: translate(k, "de", **v), "de", 0.75)
    assert german.startswith("NPS-Effekt −13,6 Punkte; Sternebewertung −0,63. Zuerst mit")
    assert impact_line({"nps_impact": None}, lambda k, **v: k, "en") == ""


def test_the_chart_has_a_panel_per_kpi_with_alerts_shaded_and_issues_ruled(engine):
    kpis = channels.kpi_table(engine, OCTOBER, "day")
    labels = {name: name for name in charts_channels.PANEL_COLOURS}
    labels.update(spike="spike", respondents="answers")
    issues = channels.issue_starts(engine, OCTOBER).assign(name=["<b>sms</b>", "pay"])
    versions = channels.version_ratings(engine, OCTOBER)
    figure = charts_channels.channels_compared(
        kpis, "day", labels, channels.spike_alerts(engine, OCTOBER), issues, versions
    )
    assert [a.text for a in figure.layout.annotations][:5] == list(labels)[:5]
    assert len(figure.data) == 5  # NPS, CSAT, rating, tickets, negative share
    shapes = figure.layout.shapes
    assert sum(s.type == "rect" for s in shapes) >= 1  # the 20-22 Oct spike
    assert sum(s.line.dash == "dash" for s in shapes) >= 2  # two issues' first days
    assert sum(s.line.dash == "dot" for s in shapes) == 2 * 5  # 5.1, 5.2; a rule a panel
    assert {"version 5.1", "version 5.2"} <= {a.text for a in figure.layout.annotations}
    texts = [a.text for a in figure.layout.annotations]
    # Issues' rules carry their numbers only (titles of neighbours would overprint).
    assert {f"#{i}" for i in issues["id"]} <= set(texts)
    nps = figure.data[0]
    assert min(v for v in nps.y if v == v) == -50.0  # 22-24 Oct: two answers, one a detractor
    assert charts_channels.panels(kpis.iloc[0:0]) == []


def start(query_params: dict | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params.update(query_params or {})
    return checked(app.run())


def test_the_page_names_the_nps_dip_and_the_version_ratings(surveyed):
    app = on_page(start(), "channels")
    assert app.title[0].value == "Channels compared"
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["NPS"] == "+22.5"
    assert metrics["CSAT"] == "60%"
    assert metrics["Support tickets"] == "4"
    assert metrics["Lowest weekly NPS"] == "−25.0"
    assert any("week of 19 Oct, 12 answers" in c.value for c in app.caption)
    assert any("#" in c.value and "SMS code never arrives" in c.value for c in app.caption)
    frames = [frame.value for frame in app.dataframe]
    assert list(frames[1]["version"]) == ["5.1", "5.2"]
    app.radio(key="channels_grain").set_value("day").run()
    checked(app)
    assert {m.label: m.value for m in app.metric}["Lowest daily NPS"] == "−50.0"
    assert any("22 Oct, 2 answers" in c.value for c in app.caption)


def test_the_page_in_german(surveyed):
    app = on_page(start({"ui": "de"}), "channels")
    assert app.title[0].value == "Kanäle im Vergleich"
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["NPS"] == "+22,5" and metrics["Niedrigster NPS einer Woche"] == "−25,0"
    assert any("Woche ab 19. Okt., 12 Antworten" in c.value for c in app.caption)


def test_a_database_without_scores_says_so(seeded):
    app = on_page(start(), "channels")
    assert metrics_of(app)["NPS"] == "–"
    assert not any("Lowest" in label for label in metrics_of(app))


def metrics_of(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def test_issues_sort_by_nps_impact_and_show_it_in_the_evidence(surveyed, issue_ids):
    from cxradar.db import session_scope
    from cxradar.schema import Issue

    with session_scope(surveyed) as session:  # a second systemic issue, harming NPS more
        other = session.get(Issue, issue_ids["emerging"])
        other.classification, other.score, other.nps_impact = "systemic", 0.1, -20.0
    app = start()
    app = on_page(app, "issues")
    listed = app.dataframe[0].value
    assert list(listed["nps_impact"]) == [pytest.approx(SYSTEMIC_NPS_IMPACT), -20.0]  # by score
    app.radio(key="issues_sort").set_value("nps_impact").run()
    checked(app)
    assert list(app.dataframe[0].value["nps_impact"]) == [-20.0, pytest.approx(-13.61)]
    app.radio(key="issues_sort").set_value("rating_impact").run()
    assert list(app.dataframe[0].value["rating_impact"])[0] == pytest.approx(-0.63)
    texts = [t.value for t in app.text]
    assert (
        "NPS impact −13.6 points; star rating −0.63. First seen with version 5.2; "
        "100 % of the 1–2 star reviews on 5.2 are about it." in texts
    )


def test_names_from_outside_stay_text_on_the_page(surveyed, issue_ids):
    from sqlalchemy import update

    from cxradar.db import session_scope
    from cxradar.schema import Issue, Mention, Source
    from tests.dashboard.test_untrusted_text import (
        HOSTILE_SOURCE,
        RLO,
        chart_specs,
        markup,
        shown_text,
    )

    version = f"5.2[x](https://evil.example){RLO}"
    with session_scope(surveyed) as session:
        session.execute(update(Source).where(Source.name == "appstore").values(name=HOSTILE_SOURCE))
        session.execute(
            update(Mention).where(Mention.rating == 1).values(extra={"version": version})
        )
        session.execute(
            update(Issue)
            .where(Issue.id == issue_ids["systemic"])
            .values(title=f"<a href='https://evil.example'>SMS</a> [y](https://evil.example){RLO}")
        )
    app = on_page(start(), "channels")
    for body in markup(app):
        assert "](" not in body and "<a " not in body, body
    for spec in chart_specs(app):
        assert "<a href" not in spec and "<a " not in spec
    assert not [text for text in shown_text(app) if RLO in text]
    assert any(HOSTILE_SOURCE in text for text in shown_text(app))  # shown, as text
