"""cxradar dashboard: what customers say, and whether a problem is isolated or systemic.

Run with `cxradar dashboard` (reads CXRADAR_DATABASE_URL). This entry script
draws the sidebar (UI language, filters) and hands over to the chosen page.
Untrusted text from posts and tickets is only shown through escaping widgets.

The pages live in ``views/``, a folder Streamlit does not serve by itself (a
folder named ``pages/`` next to this script would be served page by page,
without this script and its password gate, until someone opens the root URL).
With ``CXRADAR_DASHBOARD_PASSWORD`` set, every page's URL answers with the
login form until the session has signed in; the URL (path and query string) is
kept, so after the password the linked page opens as linked.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `streamlit run` needs the repo

from sqlalchemy.exc import SQLAlchemyError  # noqa: E402

from cxradar.db import database_url, get_engine, redact_url  # noqa: E402
from dashboard import auth, ui  # noqa: E402
from dashboard.data.filters import has_data, is_migrated  # noqa: E402
from dashboard.i18n import translate  # noqa: E402
from dashboard.safe import markdown  # noqa: E402

VIEWS_DIR = Path(__file__).resolve().parent / "views"
# (file in views/, URL path, title, icon); the first is the default page, served at "/".
PAGES = [
    ("overview.py", "overview", "page_overview", ":material/dashboard:"),
    ("issues.py", "issues", "page_issues", ":material/report:"),
    ("channels.py", "channels", "page_channels", ":material/compare_arrows:"),
    ("topics.py", "topics", "page_topics", ":material/bubble_chart:"),
    ("mentions.py", "mentions", "page_mentions", ":material/forum:"),
    ("review.py", "review", "page_review", ":material/rate_review:"),
    ("alerts.py", "alerts", "page_alerts", ":material/notifications:"),
    ("sources.py", "sources", "page_sources", ":material/database:"),
]


def navigation(language: str):
    pages = [
        st.Page(
            VIEWS_DIR / file,
            title=translate(title, language),
            icon=icon,
            url_path=path,
            default=index == 0,
        )
        for index, (file, path, title, icon) in enumerate(PAGES)
    ]
    return st.navigation(pages)


def gate(language: str) -> None:
    """Every page's URL shows the login form, and keeps its path and query string.

    The stand-ins share the pages' URL paths (Streamlit identifies a page by
    its path), so the rerun after the right password opens the page the URL
    named, with the query string the link carried.
    """

    def sign_in() -> None:
        auth.login_form(language)

    stand_ins = [
        st.Page(sign_in, title=translate(title, language), url_path=path, default=index == 0)
        for index, (_, path, title, _) in enumerate(PAGES)
    ]
    st.navigation(stand_ins, position="hidden").run()


def main() -> None:
    st.set_page_config(page_title="cxradar", page_icon="📡", layout="wide")
    url = database_url()
    language = ui.current_language()
    if not auth.signed_in():
        gate(language)
        return
    auth.expire_downloads()
    page = None
    try:
        engine = get_engine(url)
        migrated = is_migrated(engine)
        if not (migrated and has_data(engine)):
            single_page(lambda: ui.empty_state(url, language, migrated))
            return
        page = navigation(language)
        if ui.first_run_of_session() and st.query_params.get("issue", "").isdigit():
            # An alert's link (/?issue=<id>) opens that issue, with the rest of the URL kept.
            st.switch_page(VIEWS_DIR / "issues.py", query_params=all_params())
        page.run()
        auth.sign_out_button(language)
    except SQLAlchemyError as error:
        # A down server or a broken file: say which database and why, not a traceback.
        reason = markdown(str(getattr(error, "orig", None) or error).splitlines()[0])
        message = translate("db_error", language, url=markdown(redact_url(url)), reason=reason)
        if page is None:
            single_page(lambda: st.error(message))
        else:
            st.error(message)


def all_params() -> dict[str, list[str]]:
    return {name: st.query_params.get_all(name) for name in st.query_params}


def single_page(render) -> None:
    """Show one page with the navigation hidden."""

    def cxradar() -> None:
        render()

    st.navigation([st.Page(cxradar, title="cxradar")], position="hidden").run()


main()
