"""The password gate: no data before the password, the data after it."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from dashboard import auth
from tests.dashboard.test_app import APP, checked


def test_without_a_password_configured_the_dashboard_opens(monkeypatch, seeded):
    monkeypatch.delenv(auth.PASSWORD_ENV, raising=False)
    app = checked(AppTest.from_file(APP, default_timeout=60).run())
    assert not [field for field in app.text_input if field.label == "Password"]
    assert app.metric


def test_the_password_gate_shows_nothing_until_the_right_password(monkeypatch, seeded):
    monkeypatch.setenv(auth.PASSWORD_ENV, "correct horse")
    monkeypatch.setattr(auth, "WRONG_PASSWORD_DELAY_S", 0)
    app = checked(AppTest.from_file(APP, default_timeout=60).run())
    assert [t.value for t in app.title] == ["cxradar: sign in"]
    assert not app.metric and not app.dataframe  # no data behind the gate

    app.text_input[0].input("wrong")
    app = checked(app.button[0].click().run())
    assert [e.value for e in app.error] == ["Wrong password."]
    assert not app.metric

    app.text_input[0].input("correct horse")
    app = checked(app.button[0].click().run())
    assert "cxradar: sign in" not in [t.value for t in app.title]
    assert app.metric  # the overview's KPIs


def test_the_comparison_is_exact():
    assert auth.password_matches("s3cret", "s3cret")
    assert not auth.password_matches("s3cret ", "s3cret")
    assert not auth.password_matches("", "s3cret")
