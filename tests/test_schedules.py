from datetime import UTC, datetime

from cxradar.schedules import next_run

NOW = datetime(2026, 11, 25, 17, 7, tzinfo=UTC)


def test_social_sources_run_hourly_and_helpdesks_every_quarter_hour():
    assert next_run("reddit", NOW) == datetime(2026, 11, 25, 18, 5, tzinfo=UTC)
    assert next_run("zendesk", NOW) == datetime(2026, 11, 25, 17, 15, tzinfo=UTC)
    assert next_run("file", NOW, tickets=True) == datetime(2026, 11, 25, 17, 15, tzinfo=UTC)


def test_the_cadence_follows_the_deployment_settings(monkeypatch):
    monkeypatch.setenv("CXRADAR_HOURLY_CRON", "0 */6 * * *")
    assert next_run("rss", NOW) == datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
