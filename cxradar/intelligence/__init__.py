"""Issue intelligence as plain functions: systemic vs isolated, negative spikes, chat alerts.

Nothing here touches the database or Dagster; ``pipelines/`` feeds plain data in.
"""
