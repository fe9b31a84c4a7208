"""The dashboard as a user sees it, through Streamlit's AppTest, on the seed.py database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from cxradar.db import session_scope
from cxradar.schema import Alert
from tests.dashboard.seed import (
    EMERGING_EVIDENCE,
    ISOLATED_TEXT,
    SCRIPT_TEXT,
    SYSTEMIC_EVIDENCE,
)

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


def start(query_params: dict | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params.update(query_params or {})
    return checked(app.run())


def checked(app: AppTest) -> AppTest:
    assert not app.exception, [e.value for e in app.exception]
    return app


def on_page(app: AppTest, page: str) -> AppTest:
    return checked(app.switch_page(f"views/{page}.py").run())


def metrics(app: AppTest) -> dict[str, tuple[str, str]]:
    return {metric.label: (metric.value, metric.delta) for metric in app.metric}


def markup(app: AppTest) -> list[str]:
    """Every text Streamlit renders as Markdown (where HTML could be interpreted)."""
    elements = [*app.markdown, *app.caption, *app.title, *app.header, *app.subheader]
    elements += [*app.info, *app.error, *app.success, *app.warning]
    assert not any(getattr(e, "allow_html", False) for e in app.markdown)
    return [e.proto.body for e in elements] + [e.label for e in app.expander]


def test_empty_database_explains_what_to_do(sqlite_url, monkeypatch):
    monkeypatch.setenv("CXRADAR_DATABASE_URL", sqlite_url)
    app = start()
    message = app.info[0].value
    assert "cxradar run --demo" in message and "cxradar run --config" in message
    assert not app.metric and not app.sidebar.multiselect


def test_unmigrated_database_says_how_to_create_it(tmp_path, monkeypatch):
    monkeypatch.setenv("CXRADAR_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    assert "cxradar run --demo" in start().info[0].value


def test_unreachable_database_is_an_error_message_not_a_traceback(monkeypatch):
    monkeypatch.setenv(
        "CXRADAR_DATABASE_URL",
        "postgresql+psycopg://cx:secret@127.0.0.1:1/cxradar?connect_timeout=2",
    )
    app = start()
    assert "Cannot read the database" in app.error[0].value
    assert "secret" not in app.error[0].value  # the password is never shown


def test_overview_kpis_with_deltas_against_the_previous_period(seeded):
    app = start()
    assert metrics(app) == {
        "Mentions": ("40", "+30"),
        "Net sentiment": ("+20%", "-10 pp"),
        "Negative share": ("30%", "+10 pp"),
        "Average rating": ("3.67 ★", "+0.37"),
    }
    assert "30 days before (2026-09-01 – 2026-09-30)" in app.caption[0].value
    assert app.query_params["from"] == "2026-10-01" and app.query_params["to"] == "2026-10-30"


def test_overview_issue_table_flags_systemic_and_emerging(seeded):
    table = start().dataframe[0].value
    # Grouped issues only (a single complaint is on the Issues page); never green.
    assert table["badge"].tolist() == ["🔴 Systemic", "🟠 Emerging"]
    assert table["shown_title"].tolist() == [
        "SMS code never arrives after the update",
        "Apple Pay declined at the terminal",
    ]
    assert table["brand_names"].tolist() == ["Finora", "Zinsly, Finora"]
    assert table["mentions"].tolist() == [11, 4] and table["tickets"].tolist() == [3, 0]
    assert table["source_names"].tolist() == ["appstore, reddit", "reddit"]
    assert sum(table["trend"][0]) == 11


def test_changing_a_filter_changes_the_numbers_and_the_url(seeded):
    app = start()
    checked(app.multiselect(key="f_sources").select("reddit").run())
    assert metrics(app)["Mentions"][0] == "25"
    assert metrics(app)["Negative share"][0] == "28%"
    assert metrics(app)["Average rating"][0] == "–"  # reddit has no star ratings
    assert app.query_params["source"] == "reddit"
    checked(app.multiselect(key="f_sources").unselect("reddit").run())
    checked(app.multiselect(key="f_langs").select("de").run())
    assert metrics(app)["Mentions"][0] == "15"
    checked(app.multiselect(key="f_brands").select("Zinsly").run())
    assert metrics(app)["Mentions"][0] == "0"


def test_a_shared_url_restores_the_filters(seeded):
    app = start({"source": "appstore", "from": "2026-10-20", "to": "2026-10-24", "ui": "de"})
    assert app.multiselect(key="f_sources").value == ["appstore"]
    assert metrics(app)["Erwähnungen"][0] == "5"  # five German app-store complaints
    assert metrics(app)["Anteil negativ"][0] == "100%"


def test_date_range_filter(seeded):
    app = start()
    from datetime import date

    checked(
        app.date_input(key="f_period").set_value((date(2026, 10, 28), date(2026, 10, 30))).run()
    )
    assert metrics(app)["Mentions"][0] == "2"
    # Only the single complaint of 28 Oct: the overview lists grouped issues only.
    assert [info.value for info in app.info] == ["No issues in this period."]
    issues = on_page(app, "issues")
    assert "Single complaints (1)" in [e.label for e in issues.expander]


def test_german_ui(seeded):
    app = start()
    checked(app.sidebar.radio[0].set_value("de").run())
    assert "Erwähnungen" in metrics(app) and app.query_params["ui"] == "de"
    table = app.dataframe[0].value
    assert table["badge"].tolist() == ["🔴 Systemisch", "🟠 Aufkommend"]
    # The German title where there is one, else the main one.
    assert table["shown_title"].tolist()[0] == "SMS-Code kommt nach dem Update nicht an"


def test_filters_persist_across_pages(seeded):
    app = start()
    checked(app.multiselect(key="f_sources").select("appstore").run())
    on_page(app, "mentions")
    assert "15 mentions match" in app.caption[0].value
    assert app.multiselect(key="f_sources").value == ["appstore"]


def test_issues_page_shows_three_labels_singles_after_and_the_brands_compared(seeded):
    app = on_page(start(), "issues")
    headings = [s.value for s in app.subheader]
    assert headings[:3] == ["🔴 Systemic (1)", "🟠 Emerging (1)", "⚪ Isolated (0)"]
    assert "Single complaints (1)" in [e.label for e in app.expander]
    texts = [t.value for t in app.text]
    assert SYSTEMIC_EVIDENCE in texts and EMERGING_EVIDENCE in texts
    # Brands compared: each brand's top problems with their share of its complaints.
    compared = {
        tuple(frame.value["issue"]): frame.value
        for frame in app.dataframe
        if "share" in frame.value.columns
    }
    zinsly = compared[("Apple Pay declined at the terminal",)]
    assert zinsly["share"].tolist() == [1.0] and zinsly["customers"].tolist() == [3]
    finora = next(v for k, v in compared.items() if len(k) == 3)
    assert finora["issue"].tolist()[0] == "SMS code never arrives after the update"
    assert finora["share"].round(2).tolist() == [0.85, 0.08, 0.08]


def test_the_brand_filter_narrows_the_issues(seeded):
    app = on_page(start(), "issues")
    checked(app.multiselect(key="f_brands").select("Zinsly").run())
    headings = [s.value for s in app.subheader]
    assert headings[:3] == ["🔴 Systemic (0)", "🟠 Emerging (1)", "⚪ Isolated (0)"]


def test_a_link_to_a_merged_issue_opens_the_issue_it_went_into(seeded, issue_ids):
    from cxradar.db import session_scope
    from cxradar.schema import IssueRedirect

    with session_scope(seeded) as session:
        session.add(IssueRedirect(issue_id=999, merged_into=issue_ids["systemic"]))
    app = start({"issue": "999"})
    assert app.selectbox(key="issue_drill_down").value == issue_ids["systemic"]
    assert any("merged into" in info.value for info in app.info)


def test_issue_drill_down_shows_its_mentions_and_tickets(seeded, issue_ids):
    app = on_page(start(), "issues")

    def drill_tables(app):
        frames = [frame.value for frame in app.dataframe]
        mentions = next(f for f in frames if "text" in f.columns and "url" in f.columns)
        tickets = next((f for f in frames if "ticket" in f.columns), None)
        return mentions, tickets

    mentions, tickets = drill_tables(app)
    assert len(mentions) == 11 and SCRIPT_TEXT in mentions["text"].tolist()
    assert tickets["ticket"].tolist() == ["ZD-0", "ZD-1", "ZD-2"]
    assert "https://www.reddit.com/r/finora/1" in mentions["url"].tolist()
    assert not any(str(url).startswith("javascript") for url in mentions["url"])
    checked(app.selectbox(key="issue_drill_down").select(issue_ids["isolated"]).run())
    assert drill_tables(app)[0]["text"].tolist() == [ISOLATED_TEXT]
    assert app.query_params["issue"] == str(issue_ids["isolated"])
    assert [b.label for b in app.download_button] == [
        "All issues as CSV",
        "Download CSV",
        "Download Markdown",
    ]


def test_an_alerts_issue_link_opens_that_issue_once(seeded, issue_ids):
    app = start({"issue": str(issue_ids["isolated"]), "source": ["reddit", "appstore"]})
    assert app.title[0].value == "Issues"
    assert app.multiselect(key="f_sources").value == ["reddit", "appstore"]
    assert app.selectbox(key="issue_drill_down").value == issue_ids["isolated"]
    assert on_page(app, "overview").title[0].value == "Overview"  # no jump back


def test_mentions_explorer_search_and_paging(seeded):
    app = on_page(start(), "mentions")
    assert "40 mentions match · page 1 of 1" in app.caption[0].value
    checked(app.selectbox(key="mentions_page_size").select(25).run())
    assert "page 1 of 2" in app.caption[0].value and len(app.dataframe[0].value) == 25
    checked(app.number_input(key="mentions_page").set_value(2).run())
    assert "page 2 of 2" in app.caption[0].value and len(app.dataframe[0].value) == 15
    checked(app.text_input(key="mentions_text").input("überweisung").run())
    assert "10 mentions match · page 1 of 1" in app.caption[0].value  # back to page 1
    checked(app.text_input(key="mentions_text").input("").run())
    checked(app.multiselect(key="mentions_sentiment").select("negative").run())
    assert "12 mentions match" in app.caption[0].value


def test_alerts_and_sources_pages(seeded):
    app = on_page(start(), "alerts")
    alerts = app.dataframe[0].value
    assert alerts["status"].tolist() == ["✅ Resolved"] and alerts["delivered"].tolist() == [True]
    assert metrics(app)["Not delivered"][0] == "0"
    on_page(app, "sources")
    sources = app.dataframe[0].value.set_index("source")
    assert sources.loc["reddit", "mentions"] == 25 and sources.loc["appstore", "errors"] == 1
    assert app.dataframe[1].value["reason"].tolist() == ["rating 9 is not between 1 and 5"]


def test_an_alert_told_in_another_ones_message_is_not_undelivered(seeded):
    with session_scope(seeded) as session:  # the same episode, seen on one source too
        sent = session.scalars(select(Alert)).one()
        carrier = sent.id
        session.add(
            Alert(
                dedupe_key="negative_spike|source:reddit|2026-10-20",
                kind="negative_spike",
                scope="source:reddit",
                window_start=sent.window_start,
                window_end=sent.window_end,
                observed=5,
                expected=0.5,
                severity=0.4,
                status="resolved",
                covered_by=carrier,
            )
        )
    app = on_page(start(), "alerts")
    alerts = app.dataframe[0].value
    assert alerts["covered_by"].dropna().tolist() == [carrier]
    assert metrics(app)["Not delivered"][0] == "0"  # its news went out with the first


@pytest.mark.parametrize("page", ["overview", "issues", "mentions"])
def test_posts_are_never_rendered_as_html(seeded, page):
    app = start()
    if page != "overview":
        on_page(app, page)
    assert not any("<script>" in text or "<b>" in text for text in markup(app))
    shown = [t.value for t in app.text] + [
        str(value) for frame in app.dataframe for value in frame.value.to_numpy().ravel()
    ]
    assert any("<script>" in text or "<b>" in text for text in shown)  # shown, as text


def type_badges(app: AppTest) -> list[tuple[str, str]]:
    """(colour, text) of each badge (st.badge is Markdown such as ':red-badge[🔴 Systemic]')."""
    found = [re.fullmatch(r":(\w+)-badge\[(.*)\]", m.value) for m in app.markdown]
    return [(match[1], match[2]) for match in found if match]


def test_the_drill_down_shows_the_issue_type_in_full(seeded, issue_ids):
    app = on_page(start(), "issues")
    # Not as a metric: its large value was cut off in a fifth of the width ("🟢 Is…").
    assert "Type" not in metrics(app)
    assert type_badges(app) == [("red", "🔴 Systemic")]
    checked(app.selectbox(key="issue_drill_down").select(issue_ids["isolated"]).run())
    assert type_badges(app) == [("gray", "⚪ Isolated")]
    checked(app.sidebar.radio[0].set_value("de").run())
    assert type_badges(app) == [("gray", "⚪ Einzelfall")]
    assert list(metrics(app)) == ["Schwere", "Erwähnungen", "Autoren", "Tickets"]
