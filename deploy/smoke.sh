#!/usr/bin/env bash
# docs/deploy.md steps 2-7 on one host: a role and two throwaway databases, DAGSTER_HOME with
# deploy/dagster.yaml, webserver + daemon, the hourly schedule every minute, one scheduled
# run checked in the run storage. Everything it creates is removed at the end.
#   deploy/smoke.sh            (PGADMIN=postgresql://postgres@127.0.0.1:5432/postgres)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
PGADMIN=${PGADMIN:-postgresql://postgres@127.0.0.1:5432/postgres}
PGSERVER=${PGADMIN%/*}                     # postgresql://postgres@127.0.0.1:5432
HOSTPORT=${PGSERVER#*@}
TAG=smoke_$(date +%s)
WORK=$(mktemp -d)
PORT=${PORT:-3077}
START=$(date +%s)
step() { echo "[$(($(date +%s) - START))s] $*"; }

cleanup() {
  step "cleanup"
  [ -n "${DAEMON:-}" ] && kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null || true
  [ -n "${WEB:-}" ] && kill "$WEB" 2>/dev/null && wait "$WEB" 2>/dev/null || true
  psql -q "$PGADMIN" -c "DROP DATABASE IF EXISTS cx_$TAG WITH (FORCE)" \
    -c "DROP DATABASE IF EXISTS dg_$TAG WITH (FORCE)" -c "DROP ROLE IF EXISTS $TAG" || true
  rm -rf "$WORK"
}
trap cleanup EXIT

step "2. role and databases"
psql -q "$PGADMIN" -c "CREATE ROLE $TAG LOGIN PASSWORD 'smoke'" \
  -c "CREATE DATABASE cx_$TAG OWNER $TAG" -c "CREATE DATABASE dg_$TAG OWNER $TAG"

step "3. environment, DAGSTER_HOME, schemas"
export DAGSTER_HOME=$WORK/dagster_home
export DAGSTER_PG_URL="postgresql+psycopg2://$TAG:smoke@$HOSTPORT/dg_$TAG"
export CXRADAR_DATABASE_URL="postgresql+psycopg://$TAG:smoke@$HOSTPORT/cx_$TAG"
export CXRADAR_HOURLY_CRON="* * * * *"     # every minute, for the test only
"$BIN/python" -c "from pathlib import Path; from tests.pipelines.small_corpus import write_corpus
print(write_corpus(Path('$WORK/corpus')))" > "$WORK/config_path"
export CXRADAR_CONFIG=$(cat "$WORK/config_path")
mkdir -p "$DAGSTER_HOME" && cp deploy/dagster.yaml "$DAGSTER_HOME/"
"$BIN/dagster" instance migrate >/dev/null
"$BIN/alembic" upgrade head 2>&1 | tail -1

step "4. webserver and daemon"
"$BIN/dagster-webserver" -w deploy/workspace.yaml -h 127.0.0.1 -p "$PORT" >"$WORK/web.log" 2>&1 &
WEB=$!
"$BIN/dagster-daemon" run -w deploy/workspace.yaml >"$WORK/daemon.log" 2>&1 &
DAEMON=$!
until curl -sf "http://127.0.0.1:$PORT/server_info" >/dev/null; do sleep 2; done
step "webserver answers on :$PORT"

step "5. schedule on"
"$BIN/dagster" schedule start cxradar_hourly -w deploy/workspace.yaml
"$BIN/dagster" instance concurrency set models 1 >/dev/null
"$BIN/dagster" instance concurrency set reddit 1 >/dev/null

step "7. waiting for a scheduled run to finish"
"$BIN/python" - <<'PY'
import time

import dagster as dg

FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
deadline = time.monotonic() + 900
with dg.DagsterInstance.get() as instance:
    while time.monotonic() < deadline:
        runs = instance.get_runs(dg.RunsFilter(tags={"dagster/schedule_name": "cxradar_hourly"}))
        done = [run for run in runs if run.status in FINISHED]
        if done:
            run = done[-1]
            took = (run_record := instance.get_run_record_by_id(run.run_id)).end_time - run_record.start_time
            print(f"run {run.run_id[:8]} {run.job_name}: {run.status.value} in {took:.0f}s")
            raise SystemExit(0 if run.status == dg.DagsterRunStatus.SUCCESS else 1)
        time.sleep(5)
raise SystemExit("no scheduled run finished within 15 minutes")
PY
"$BIN/dagster" schedule stop cxradar_hourly -w deploy/workspace.yaml
"$BIN/python" -c "from cxradar.db import session_scope; from sqlalchemy import text
with session_scope() as s: print('cxradar rows:', {t: s.execute(text(f'select count(*) from {t}')).scalar() for t in ('mentions', 'enrichments', 'issues')})"
step "done"
