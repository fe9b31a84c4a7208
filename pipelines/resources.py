"""Dagster resources: the database, the config, the models and the chat notifier.

Each external system is a ``dg.ConfigurableResource``; the notifier has a live
(apprise) and an offline (recording) implementation for demos and tests.
"""

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import dagster as dg

from cxradar.config import CONFIG_ENV, DEMO_CONFIG, Config, load_config
from cxradar.db import database_url, get_engine, migrate, session_scope


class DatabaseResource(dg.ConfigurableResource):
    """Where cxradar keeps everything; empty: ``CXRADAR_DATABASE_URL`` or the SQLite default."""

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


_LOADED_MODELS: dict[tuple, object] = {}


class ModelsResource(dg.ConfigurableResource):
    """The encoder, sentiment and complaint models and language detector, loaded once per
    process."""

    encoder: str = "default"  # models/encoder.py DEFAULT_SPEC
    sentiment: str = "default"
    # A complaint head file; empty: $CXRADAR_COMPLAINT_HEAD or the shipped head.
    complaint_head: str = ""
    batch_size: int = 32  # the same speed as 64 on 2 cores, less peak memory

    def _get(self, key: str, factory):
        # Process-wide: loading weights is slow, and every run in a process uses the same ones.
        cache_key = (key, self.encoder, self.sentiment, self.complaint_head)
        if cache_key not in _LOADED_MODELS:
            _LOADED_MODELS[cache_key] = factory()
        return _LOADED_MODELS[cache_key]

    def get_encoder(self):
        from models.encoder import load_encoder

        return self._get("encoder", lambda: load_encoder(self.encoder))

    def get_sentiment(self):
        from models.sentiment import load_sentiment_model

        return self._get(
            "sentiment", lambda: load_sentiment_model(self.sentiment, encoder=self.get_encoder())
        )

    def get_complaint(self):
        from models.complaint import load_complaint_model

        return self._get(
            "complaint",
            lambda: load_complaint_model(self.get_encoder(), self.complaint_head or None),
        )

    def get_stored_complaint(self):
        """The complaint head on vectors alone, for rows whose vectors are stored."""
        from models.complaint import load_complaint_model

        return self._get(
            "stored_complaint", lambda: load_complaint_model(self.get_encoder(), vectors_only=True)
        )

    def get_language_detector(self):
        from models.language import LanguageDetector

        return self._get("language", LanguageDetector)


class NotifierResource(dg.ConfigurableResource):
    """Sends chat alerts through apprise to the URLs of the configured channels."""

    retries: int = 3
    backoff_seconds: float = 2.0

    def send(
        self,
        urls: Sequence[str],
        title: str,
        body: str,
        channel_names=None,
        notify_type: str = "warning",
    ):
        from cxradar.intelligence.alerts import send_alert

        return send_alert(
            urls,
            title,
            body,
            retries=self.retries,
            backoff_s=self.backoff_seconds,
            channel_names=channel_names,
            notify_type=notify_type,
        )


class OutboxNotifier(NotifierResource):
    """Offline notifier for demos and tests: appends each message to a JSON-lines file."""

    path: str = ".cxradar/outbox.jsonl"

    def send(
        self,
        urls: Sequence[str],
        title: str,
        body: str,
        channel_names=None,
        notify_type: str = "warning",
    ):
        from cxradar.intelligence.alerts import DeliveryResult

        outbox = Path(self.path)
        outbox.parent.mkdir(parents=True, exist_ok=True)
        message = {"title": title, "body": body, "type": notify_type}
        with outbox.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(message, ensure_ascii=False) + "\n")
        return DeliveryResult(delivered=True, attempts=1, error=None)


def resources_from_config(
    config_path: str | Path | None = None, database_url: str | None = None
) -> dict[str, dg.ConfigurableResource]:
    """The one way from the YAML to the resources: the CLI, ``dagster dev``/the daemon
    (pipelines/definitions.py) and the Celery code location (deploy/) all call it.

    ``config_path`` empty: ``$CXRADAR_CONFIG``, else the bundled demo. The file is read
    now, so a broken config fails when the definitions load, not in the middle of a run;
    the ``models:`` section and ``alerts.retries`` become the resources' settings.
    ``database_url`` empty: ``$CXRADAR_DATABASE_URL`` or the SQLite default, at run time.
    """
    path = str(config_path or os.environ.get(CONFIG_ENV) or "")
    if not path:
        path = str(DEMO_CONFIG)
        logging.getLogger(__name__).warning(
            "%s is not set: the code location uses the bundled demo config %s", CONFIG_ENV, path
        )
    config = load_config(path)
    return {
        "db": DatabaseResource(url=database_url or ""),
        "cx_config": ConfigResource(path=path),
        "models": models_resource(config),
        "notifier": NotifierResource(retries=config.alerts.retries),
    }


def models_resource(config: Config) -> ModelsResource:
    """The models the config's ``models:`` section names."""
    return ModelsResource(
        encoder=config.models.encoder,
        sentiment=config.models.sentiment,
        complaint_head=config.models.complaint_head,
        batch_size=config.models.batch_size,
    )
