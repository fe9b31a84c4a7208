"""cxradar dashboard: what customers say, and whether a problem is isolated or systemic.

Run with `cxradar dashboard` (reads CXRADAR_DATABASE_URL). This entry script
draws the sidebar (UI language, filters) and hands over to the chosen page.
Untrusted text from posts and tickets is only shown through escaping widgets.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `streamlit run` needs the repo

from sqlalchemy.exc import SQLAlchemyError  # noqa: E402

from cxradar.db import database_url, get_engine, redact_url  # noqa: E402
from dashboard import auth, queries, ui  # noqa: E402
from dashboard.exports import md_escape  # noqa: E402
from dashboard.i18n import translate  # noqa: E402

PAGES_DIR = Path(__file__).resolve().parent / "pages"
PAGES = [
    ("overview.py", "page_overview", ":material/dashboard:"),
    ("issues.py", "page_issues", ":material/report:"),
    ("topics.py", "page_topics", ":material/bubble_chart:"),
    ("mentions.py", "page_mentions", ":material/forum:"),
    ("review.py", "page_review", ":material/rate_review:"),
    ("alerts.py", "page_alerts", ":material/notifications:"),
    ("sources.py", "page_sources", ":material/database:"),
]


def navigation(language: str):
    pages = [
        st.Page(PAGES_DIR / name, title=translate(title, language), icon=icon, default=index == 0)
        for index, (name, title, icon) in enumerate(PAGES)
    ]
    return st.navigation(pages)


def main() -> None:
    st.set_page_config(page_title="cxradar", page_icon="📡", layout="wide")
    url = database_url()
    language = ui.current_language()
    if not auth.signed_in():
        single_page(lambda: auth.login_form(language))
        return
    page = None
    try:
        engine = get_engine(url)
        migrated = queries.is_migrated(engine)
        if not (migrated and queries.has_data(engine)):
            single_page(lambda: ui.empty_state(url, language, migrated))
            return
        page = navigation(language)
        if ui.first_run_of_session() and st.query_params.get("issue", "").isdigit():
            # An alert's link (/?issue=<id>) opens that issue, with the rest of the URL kept.
            st.switch_page(PAGES_DIR / "issues.py", query_params=all_params())
        page.run()
    except SQLAlchemyError as error:
        # A down server or a broken file: say which database and why, not a traceback.
        reason = md_escape(str(getattr(error, "orig", None) or error).splitlines()[0])
        message = translate("db_error", language, url=md_escape(redact_url(url)), reason=reason)
        if page is None:
            single_page(lambda: st.error(message))
        else:
            st.error(message)


def all_params() -> dict[str, list[str]]:
    return {name: st.query_params.get_all(name) for name in st.query_params}


def single_page(render) -> None:
    """Show one page with the navigation hidden (else Streamlit would list pages/ itself)."""

    def cxradar() -> None:
        render()

    st.navigation([st.Page(cxradar, title="cxradar")], position="hidden").run()


main()
