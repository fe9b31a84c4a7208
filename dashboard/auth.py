"""A password gate for a dashboard shared beyond one machine.

Set ``CXRADAR_DASHBOARD_PASSWORD`` and every browser session must give it once
before any data is shown. The comparison is constant-time and a wrong password
costs a second, so guessing is slow. For single sign-on, Streamlit's built-in
OIDC login (``st.login``, configured in ``.streamlit/secrets.toml``) can take its
place; see SECURITY.md.
"""

from __future__ import annotations

import hmac
import os
import time

import streamlit as st

from dashboard.i18n import translate

PASSWORD_ENV = "CXRADAR_DASHBOARD_PASSWORD"
SIGNED_IN_KEY = "cx_signed_in"
WRONG_PASSWORD_DELAY_S = 1.0


def password_matches(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def signed_in() -> bool:
    """True when no password is set or this browser session has given it."""
    return not os.environ.get(PASSWORD_ENV) or bool(st.session_state.get(SIGNED_IN_KEY))


def login_form(language: str) -> None:
    st.title(translate("login_title", language))
    with st.form("cx_login"):
        given = st.text_input(translate("password", language), type="password")
        submitted = st.form_submit_button(translate("sign_in", language))
    if not submitted:
        return
    if password_matches(given, os.environ.get(PASSWORD_ENV, "")):
        st.session_state[SIGNED_IN_KEY] = True
        st.rerun()
    time.sleep(WRONG_PASSWORD_DELAY_S)
    st.error(translate("wrong_password", language))
