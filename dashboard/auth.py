"""A password gate for a dashboard shared beyond one machine.

Set ``CXRADAR_DASHBOARD_PASSWORD`` and every browser session must give it once
before any data is shown. The comparison is constant-time and a wrong password
costs a second, so guessing is slow. For single sign-on, Streamlit's built-in
OIDC login (``st.login``, configured in ``.streamlit/secrets.toml``) can take its
place; see SECURITY.md.

The gate runs in ``app.py`` before any page; :func:`require_signed_in` is the
same check inside each page, should a page ever be run another way.

Downloads (CSV, Markdown) are files Streamlit serves at ``/media/<id>`` to
whoever has the URL, session or not. So they are made on click only, a sweeper
deletes them within a minute of that click, and signing out deletes this
session's at once (see :func:`sign_out`).
"""

from __future__ import annotations

import hmac
import os
import threading
import time

import streamlit as st

from dashboard.i18n import translate

PASSWORD_ENV = "CXRADAR_DASHBOARD_PASSWORD"
SIGNED_IN_KEY = "cx_signed_in"
KEPT_ON_SIGN_OUT = ("cx_ui",)  # the UI language survives signing out
WRONG_PASSWORD_DELAY_S = 1.0
# Streamlit deletes a download no session shows any more on its second sweep after that;
# sweeping this often bounds how long such a /media/ URL answers.
DOWNLOAD_SWEEP_S = 30.0


def password_matches(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def password_set() -> bool:
    return bool(os.environ.get(PASSWORD_ENV))


def signed_in() -> bool:
    """True when no password is set or this browser session has given it."""
    return not password_set() or bool(st.session_state.get(SIGNED_IN_KEY))


def login_form(language: str) -> None:
    st.title(translate("login_title", language))
    with st.form("cx_login"):
        given = st.text_input(translate("password", language), type="password")
        submitted = st.form_submit_button(translate("sign_in", language))
    if not submitted:
        return
    if password_matches(given, os.environ.get(PASSWORD_ENV, "")):
        st.session_state[SIGNED_IN_KEY] = True
        st.rerun()  # the same URL again: the page it names, with its query string
    time.sleep(WRONG_PASSWORD_DELAY_S)
    st.error(translate("wrong_password", language))


def require_signed_in(language: str) -> None:
    """In a page: show the login form instead of the page until the password was given."""
    if not signed_in():
        login_form(language)
        st.stop()


def sign_out_button(language: str) -> None:
    if password_set():
        st.sidebar.button(translate("sign_out", language), on_click=sign_out, key="cx_sign_out")


def sign_out() -> None:
    """Forget this session's sign-in and choices, and delete its downloads now."""
    for key in list(st.session_state):
        if key not in KEPT_ON_SIGN_OUT:
            del st.session_state[key]
    session = _session_id()
    manager = _media_files()
    if manager is not None and session is not None:
        manager.clear_session_refs(session)
        # The first sweep marks a download no session shows, the second deletes it.
        manager.remove_orphaned_files()
        manager.remove_orphaned_files()


def expire_downloads() -> None:
    """Start (once per server) the thread that deletes downloads no session shows any more."""
    if _media_files() is not None:
        _download_sweeper(DOWNLOAD_SWEEP_S)


@st.cache_resource(show_spinner=False)
def _download_sweeper(every_s: float) -> threading.Thread:
    def sweep() -> None:
        while True:
            time.sleep(every_s)
            manager = _media_files()
            if manager is not None:
                manager.remove_orphaned_files()

    thread = threading.Thread(target=sweep, name="cxradar-download-sweeper", daemon=True)
    thread.start()
    return thread


def _media_files():
    """Streamlit's media file manager, when a server runs this app (None in AppTest)."""
    from streamlit import runtime

    return runtime.get_instance().media_file_mgr if runtime.exists() else None


def _session_id() -> str | None:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx()
    return context.session_id if context else None
