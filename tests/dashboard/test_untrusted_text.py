"""Names and text from outside are never Markdown, HTML or bidi tricks on any page or chart.

seed.py's database with a hostile source name (a Markdown link and a tracking image, an
SVG link for plotly), a bidi override in a post and in an issue label.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from cxradar.db import session_scope
from cxradar.records import MAX_REASON_CHARS
from cxradar.schema import DailyAggregate, IngestError, Issue, Mention, Source
from dashboard import auth, safe
from tests.dashboard.seed import ISOLATED_TEXT
from tests.dashboard.test_app import APP, checked, markup, on_page, start

HOSTILE_SOURCE = (
    'B[md](https://evil.example/md)![px](http://evil.example/px.png)<a href="https://evil.example">'
)
RLO = "\u202e"
BIDI_TEXT = f"My new card {RLO}sserdda dlo{RLO} annoyed"
BIDI_LABEL = f"card {RLO}sserdda{RLO}"
VIEWS = ("overview", "issues", "channels", "topics", "mentions", "review", "alerts", "sources")


@pytest.fixture
def hostile(seeded) -> str:
    with session_scope(seeded) as session:
        session.execute(update(Source).where(Source.name == "reddit").values(name=HOSTILE_SOURCE))
        session.execute(  # the charts read the daily counts, which carry the name too
            update(DailyAggregate)
            .where(DailyAggregate.source == "reddit")
            .values(source=HOSTILE_SOURCE)
        )
        session.execute(update(Mention).where(Mention.text == ISOLATED_TEXT).values(text=BIDI_TEXT))
        session.execute(
            update(Issue).where(Issue.classification == "isolated").values(label=BIDI_LABEL)
        )
    return seeded


def shown_text(app: AppTest) -> list[str]:
    """Everything shown as text: st.text, table cells, picker labels."""
    texts = [t.value for t in app.text]
    for frame in app.dataframe:
        texts += [str(value) for value in frame.value.to_numpy().ravel()]
    for picker in [*app.selectbox, *app.multiselect]:
        texts += [str(option) for option in picker.options]
    return texts


def chart_specs(app: AppTest) -> list[str]:
    return [chart.proto.spec for chart in app.get("plotly_chart")]


@pytest.mark.parametrize("view", VIEWS)
def test_no_page_renders_names_or_labels_from_outside_as_markup(hostile, view):
    app = start()
    if view != "overview":
        on_page(app, view)
    for body in markup(app):
        assert "](" not in body and "![" not in body, body  # no live link, no image
        assert "<a " not in body, body
    for spec in chart_specs(app):
        assert "<a href" not in spec and "<a " not in spec  # plotly would draw an SVG link
    assert not [text for text in shown_text(app) if RLO in text]  # bidi controls neutralised


def test_the_review_caption_names_the_source_as_text(hostile):
    app = on_page(start(), "review")
    caption = next(c.value for c in app.caption if "evil" in c.value)
    assert "B\\[md\\]\\(https\\:" in caption  # escaped, so shown as the characters it has
    assert "My new card sserdda dlo annoyed" in [t.value for t in app.text]


def test_the_volume_chart_shows_the_source_name_escaped(hostile):
    specs = chart_specs(start())
    assert any("&lt;a href=&quot;https:" in spec for spec in specs)


def test_safe_text_levels():
    assert safe.plain(f"a{RLO}b\u2066c\u200fd") == "abcd"
    assert safe.plain("👩\u200d👩\u200d👧 שלום\nline") == "👩\u200d👩\u200d👧 שלום\nline"  # kept
    assert safe.markdown("[x](javascript:y) ![i](http://e/i.png) <b>") == (
        "\\[x\\]\\(javascript\\:y\\) \\!\\[i\\]\\(http\\:/e/i\\.png\\) &lt;b&gt;"
    ).replace("/e/", "//e/")
    assert safe.chart('<a href="x">y</a>') == "&lt;a href=&quot;x&quot;&gt;y&lt;/a&gt;"
    assert safe.plain(None) == "" and safe.markdown(float("nan")) == ""


@pytest.mark.parametrize("view", VIEWS)
def test_a_page_run_on_its_own_shows_only_the_login_form(seeded, monkeypatch, view):
    """A view reached any other way than through app.py still asks for the password first."""
    monkeypatch.setenv(auth.PASSWORD_ENV, "correct horse")
    page = AppTest.from_file(str(APP).replace("app.py", f"views/{view}.py"), default_timeout=60)
    app = checked(page.run())
    assert [t.value for t in app.title] == ["cxradar: sign in"]
    assert not (app.dataframe or app.metric or app.text or app.get("plotly_chart"))
    assert not app.sidebar.multiselect  # not even the filters with source names


def test_a_huge_stored_reason_is_shown_cut(seeded):
    """Reasons stored before they were cut at ingest (10.9 MB for a million-column CSV)."""
    with session_scope(seeded) as session:
        session.add(IngestError(source_name="appstore", location="x.csv:1", reason="c, " * 10**6))
    app = on_page(start(), "sources")
    reasons = app.dataframe[1].value["reason"].tolist()
    assert max(len(reason) for reason in reasons) <= MAX_REASON_CHARS
