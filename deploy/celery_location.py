"""cxradar's code location with every step executed on Celery workers (docs/deploy.md).

The same definitions as ``pipelines.definitions``, with the same resources (built from
``$CXRADAR_CONFIG`` by ``pipelines.resources.resources_from_config``, so the config's
``models:`` section is honoured on the workers too); only the executor differs, so the
schedules, sensors and backfills of this location hand each step to the workers listening
on RabbitMQ. The broker comes from ``DAGSTER_CELERY_BROKER_URL``: the same value as
``broker`` in deploy/celery.yaml, which the workers are started with.
"""

import os

import dagster as dg
from dagster_celery import celery_executor

from pipelines.definitions import build_defs

BROKER_ENV, BACKEND_ENV = "DAGSTER_CELERY_BROKER_URL", "DAGSTER_CELERY_BACKEND"

executor = celery_executor.configured(
    {
        "broker": os.environ.get(BROKER_ENV, "pyamqp://guest:guest@localhost:5672//"),
        # rpc:// sends each step's result back over the broker: no extra result store.
        "backend": os.environ.get(BACKEND_ENV, "rpc://"),
    },
    name="celery",
)

defs = dg.Definitions.merge(build_defs(), dg.Definitions(executor=executor))
