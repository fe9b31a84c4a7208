"""When the scheduled runs happen: one place for the pipeline and the dashboard.

The cron expressions can be changed per deployment with environment variables.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from croniter import croniter

HOURLY_CRON_ENV, TICKETS_CRON_ENV = "CXRADAR_HOURLY_CRON", "CXRADAR_TICKETS_CRON"
HOURLY_CRON_DEFAULT, TICKETS_CRON_DEFAULT = "5 * * * *", "*/15 * * * *"
TICKET_CONNECTORS = frozenset({"zendesk"})


def hourly_cron() -> str:
    return os.environ.get(HOURLY_CRON_ENV) or HOURLY_CRON_DEFAULT


def tickets_cron() -> str:
    return os.environ.get(TICKETS_CRON_ENV) or TICKETS_CRON_DEFAULT


def next_run(connector: str, now: datetime | None = None, tickets: bool = False) -> datetime:
    """The next scheduled fetch of a source (when its schedule is switched on)."""
    cron = tickets_cron() if tickets or connector in TICKET_CONNECTORS else hourly_cron()
    return croniter(cron, now or datetime.now(UTC)).get_next(datetime)
