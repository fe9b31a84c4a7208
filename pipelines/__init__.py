"""Dagster definitions for cxradar: assets, resources, jobs, schedules and checks."""
