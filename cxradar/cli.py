"""The ``cxradar`` command: run the pipeline, browse results, classify text."""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from cxradar.config import DEMO_CONFIG, ConfigError, load_config
from cxradar.db import database_url, is_migrated, migrate, redact_url

DASHBOARD_APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"


def _print_json_lines(rows: Sequence[dict]) -> None:
    for row in rows:
        print(json.dumps(row, ensure_ascii=False, default=str))


# --- run -------------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:

    from pipelines.definitions import build_defs
    from pipelines.resources import ConfigResource, DatabaseResource, ModelsResource

    config_path = (
        str(DEMO_CONFIG) if args.demo else (args.config or os.environ.get("CXRADAR_CONFIG"))
    )
    config = load_config(config_path)  # fails early with a clear message
    url = database_url(args.database)
    print(f"cxradar: config {config_path or DEMO_CONFIG}", file=sys.stderr)
    print(f"cxradar: database {redact_url(url)}", file=sys.stderr)
    resources = {
        "db": DatabaseResource(url=url),
        "cx_config": ConfigResource(path=str(config_path or DEMO_CONFIG)),
        "models": ModelsResource(
            encoder=config.models.encoder,
            sentiment=config.models.sentiment,
            complaint_head=config.models.complaint_head,
            batch_size=config.models.batch_size,
        ),
    }
    job = build_defs(resources).resolve_job_def("cxradar_everything")
    started = time.monotonic()
    with StopOnSigterm() as stop:
        result = job.execute_in_process(
            instance=_instance(), raise_on_error=False, run_config=_quiet_logging(args.verbose)
        )
    elapsed = time.monotonic() - started
    if stop.received:
        print(
            f"cxradar: stopped by SIGTERM after {elapsed:.0f}s; what was stored stays stored, "
            "the next run continues from there",
            file=sys.stderr,
        )
        return STOPPED_EXIT
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        print(f"cxradar: step {event.step_key} failed: {error.message.strip()}", file=sys.stderr)
    if not result.success:
        print(f"cxradar: run failed after {elapsed:.0f}s (see the messages above)", file=sys.stderr)
        return 1
    _print_summary(result, elapsed)
    return 0


STOPPED_EXIT = 128 + signal.SIGTERM  # what a shell reports for a process ended by SIGTERM


class StopOnSigterm:
    """Makes SIGTERM (``kill``, ``docker stop``, systemd) end ``cxradar run``, promptly.

    Dagster maps SIGTERM onto its interrupt handling, which retries an interrupted
    step that has a RetryPolicy, so the run used to go on. Here a thread learns of
    the SIGTERM through Python's signal wake-up descriptor (whichever handler Dagster
    has installed at that moment), says so, and nudges Dagster with an interrupt
    each second until the run has ended: the step in flight stops (the ingest steps
    do not retry an interrupted run), and so does every step after it. Outside
    Dagster's own handlers a nudge does nothing, so it never breaks Dagster's
    cleanup. A run still going after ``GRACE_S`` exits the process. Every write is
    committed in transactions, so stopping at any point loses and doubles nothing.
    """

    GRACE_S = 30.0
    NUDGE_EVERY_S = 1.0

    def __init__(self) -> None:
        self.received = False
        self._done = threading.Event()
        self._sockets: tuple[socket.socket, socket.socket] | None = None

    def __enter__(self) -> StopOnSigterm:
        if threading.current_thread() is not threading.main_thread():
            return self  # signals reach only the main thread; nothing to do elsewhere
        reader, writer = socket.socketpair()
        writer.setblocking(False)
        self._sockets = (reader, writer)
        self._previous = {
            signal.SIGTERM: signal.signal(signal.SIGTERM, self._on_sigterm),
            signal.SIGINT: signal.signal(signal.SIGINT, self._on_sigint),
        }
        self._previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        threading.Thread(target=self._watch, name="cxradar-sigterm", daemon=True).start()
        return self

    def __exit__(self, *_) -> None:
        self._done.set()
        if self._sockets is None:
            return
        signal.set_wakeup_fd(self._previous_fd)
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        for end in self._sockets:
            end.shutdown(socket.SHUT_RDWR)  # wakes the watching thread; close() alone would not
            end.close()

    def _on_sigterm(self, signum, frame) -> None:
        """Outside Dagster's handlers: nothing here, the wake-up byte starts the stop."""

    def _on_sigint(self, signum, frame) -> None:
        if not self.received:  # Ctrl+C, as always; a nudge of ours is not let loose here
            raise KeyboardInterrupt

    def _watch(self) -> None:
        reader = self._sockets[0]
        while not self._done.is_set():
            try:
                woken_by = reader.recv(64)
            except OSError:
                return
            if not woken_by:
                return  # closed: the run is over
            if signal.SIGTERM in woken_by:
                self._stop()
                return

    def _stop(self) -> None:
        self.received = True
        print("cxradar: SIGTERM received, stopping the run ...", file=sys.stderr, flush=True)
        give_up = time.monotonic() + self.GRACE_S
        while not self._done.is_set():
            if time.monotonic() > give_up:
                print(
                    f"cxradar: the run did not stop within {self.GRACE_S:.0f}s after SIGTERM; "
                    "exiting now (what was stored stays stored, the next run continues)",
                    file=sys.stderr,
                    flush=True,
                )
                os._exit(STOPPED_EXIT)
            os.kill(os.getpid(), signal.SIGINT)
            self._done.wait(self.NUDGE_EVERY_S)


def _instance():
    import dagster as dg

    # With DAGSTER_HOME set, runs show up in `dagster dev`; otherwise a throwaway instance.
    return (
        dg.DagsterInstance.get()
        if os.environ.get("DAGSTER_HOME")
        else dg.DagsterInstance.ephemeral()
    )


def _quiet_logging(verbose: bool) -> dict:
    return {"loggers": {"console": {"config": {"log_level": "DEBUG" if verbose else "INFO"}}}}


def _print_summary(result, elapsed: float) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"cxradar run finished in {elapsed:.1f}s")
    table.add_column("asset")
    table.add_column("result")
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        shown = {
            key: value.value
            for key, value in materialization.metadata.items()
            if isinstance(value.value, int | float | str | bool) and key != "per_source"
        }
        table.add_row(
            materialization.asset_key.to_user_string(),
            ", ".join(f"{k}={v}" for k, v in shown.items()),
        )
    Console(stderr=True).print(table)


# --- reading results -----------------------------------------------------------------------


def _require_database(url: str | None) -> str:
    url = database_url(url)
    if not is_migrated(url):
        raise SystemExit(
            f"cxradar: no cxradar data in {redact_url(url)} yet: run `cxradar run --demo` "
            "or `cxradar run --config FILE` first"
        )
    return url


ISSUE_COLUMNS = [
    "id",
    "title",
    "brands",
    "classification",
    "authors",
    "sources",
    "tickets",
    "surveys",
]
SINGLES_SHOWN = 20  # single complaints listed in the table unless --all


def _survey_footprint(channels: dict) -> str:
    """ "29 (21 detractors)": survey respondents whose comment is in the issue."""
    respondents, detractors = channels.get("surveys", 0), channels.get("detractors", 0)
    if not respondents:
        return ""
    return f"{respondents} ({detractors} detractors)" if detractors else str(respondents)


def cmd_issues(args: argparse.Namespace) -> int:
    from cxradar.reports import issue_rows

    rows = issue_rows(_require_database(args.database), brand=args.brand)
    if args.json:
        _print_json_lines(rows)
        return 0
    grouped = [row for row in rows if not row["single"]]
    singles = [row for row in rows if row["single"]]
    for row in rows:
        row["brands"] = ", ".join(entry["brand"] for entry in row["brands"][:3])
        row["surveys"] = _survey_footprint(row["channels"])
    scope = f" of {args.brand}" if args.brand else ""
    _print_table(f"issues{scope}", grouped, ISSUE_COLUMNS)
    if singles:
        shown = singles if args.all else singles[:SINGLES_SHOWN]
        _print_table(f"single complaints{scope}, isolated", shown, ISSUE_COLUMNS)
        if len(shown) < len(singles):
            print(f"... {len(singles) - len(shown)} more single complaints: cxradar issues --all")
    return 0


def cmd_alerts(args: argparse.Namespace) -> int:
    from cxradar.reports import alert_rows

    rows = alert_rows(_require_database(args.database))
    if args.json:
        _print_json_lines(rows)
        return 0
    _print_table(
        "alerts",
        rows,
        ["id", "kind", "scope", "window_start", "observed", "expected", "status", "delivered"],
    )
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime, time

    from cxradar.db import session_scope
    from pipelines.alerts import backtest

    def day(text: str, end: bool = False) -> datetime:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise SystemExit(f"cxradar: {text!r} is not a date: use YYYY-MM-DD") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        if end and parsed.time() == time(0):  # --to 2026-10-31 includes that day
            parsed = parsed.replace(hour=23, minute=59, second=59)
        return parsed

    start, end = day(args.start), day(args.end, end=True)
    if end <= start:
        raise SystemExit("cxradar: --to must be after --from")
    url = _require_database(args.database)
    config = load_config(args.config)
    with session_scope(url) as session:
        alerts = [vars(alert) for alert in backtest(session, config, start, end)]
    if args.json:
        _print_json_lines(alerts)
        return 0
    _print_table(
        f"messages the hourly runs would have sent, {start:%Y-%m-%d} to {end:%Y-%m-%d}",
        [{**alert, "at": f"{alert['at']:%Y-%m-%d %H:%M}"} for alert in alerts],
        [
            "at",
            "action",
            "scope",
            "issue",
            "label",
            "observed",
            "expected",
            "severity",
            "minutes_after_first_post",
        ],
    )
    return 0


def _print_table(title: str, rows: list[dict], columns: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{title} ({len(rows)})")
    for column in columns:
        wide = column in ("label", "text", "issue")
        table.add_column(
            column, overflow="ellipsis", no_wrap=not wide, max_width=48 if wide else None
        )
    for row in rows:
        table.add_row(*[_cell(row.get(column)) for column in columns])
    # Piped output has no terminal width; rich would squeeze the table into 80 columns.
    Console(width=None if sys.stdout.isatty() else 160).print(table)


def _cell(value) -> str:
    from rich.markup import escape

    if isinstance(value, float):
        return f"{value:.2f}"
    return escape(str(value)) if value is not None else ""


def cmd_export(args: argparse.Namespace) -> int:
    url = _require_database(args.database)
    if not args.output:
        _write_export(url, args.format, sys.stdout)
        return 0
    with open(args.output, "w", encoding="utf-8", newline="") as out:
        _write_export(url, args.format, out)
    print(f"cxradar: wrote {args.output}", file=sys.stderr)
    return 0


def _write_export(url: str, fmt: str, out) -> None:
    from cxradar.reports import EXPORT_COLUMNS, iter_mention_rows, spreadsheet_safe

    if fmt == "jsonl":
        for row in iter_mention_rows(url):
            out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        return
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    for row in iter_mention_rows(url):
        writer.writerow({key: spreadsheet_safe(value) for key, value in row.items()})


def cmd_classify(args: argparse.Namespace) -> int:
    from models.complaint import load_complaint_model
    from models.encoder import load_encoder
    from models.language import LanguageDetector
    from models.sentiment import load_sentiment_model
    from models.text import model_text

    texts = list(args.texts)
    if args.file:
        texts += [
            line.rstrip("\n") for line in Path(args.file).read_text(encoding="utf-8").splitlines()
        ]
    if not texts and not sys.stdin.isatty():
        texts = [line.rstrip("\n") for line in sys.stdin]
    texts = [text for text in texts if text.strip()]
    if not texts:
        raise SystemExit(
            "cxradar classify: give texts as arguments, --file F, or on standard input"
        )
    encoder = load_encoder(None)
    sentiment = load_sentiment_model(None, encoder=encoder)
    complaint = load_complaint_model(encoder)
    seen = [model_text(None, text) for text in texts]  # what the pipeline's models see
    languages = LanguageDetector().detect(seen)
    vectors, features = encoder.encode_with_features(seen)
    results = sentiment.predict(seen, embeddings=features)
    rows = [
        {
            "text": text,
            "lang": lang,
            "label": result.label,
            "score": round(float(result.score), 4),
            "complaint": verdict.complaint,
            "prob_complaint": round(verdict.probability, 4),
        }
        for text, lang, result, verdict in zip(
            texts, languages, results, complaint.predict(vectors, features), strict=True
        )
    ]
    if args.json:
        _print_json_lines(rows)
    else:
        _print_table("classified", rows, ["lang", "label", "score", "complaint", "text"])
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    served_alone = sorted((DASHBOARD_APP.parent / "pages").glob("*.py"))
    if served_alone:
        # Streamlit serves each file of a pages/ folder beside app.py by itself, without
        # app.py's password gate (the dashboard's pages live in views/).
        raise SystemExit(
            f"cxradar: {served_alone[0].parent} holds {len(served_alone)} page file(s) that "
            "Streamlit would serve without the password; move them to dashboard/views/ "
            "(and list them in dashboard/app.py) or delete the folder"
        )
    env = {**os.environ, "CXRADAR_DATABASE_URL": database_url(args.database)}
    # Always: upgrades an older database too (idempotent); an empty one then explains itself.
    migrate(env["CXRADAR_DATABASE_URL"])
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(DASHBOARD_APP),
        "--server.address",
        args.host,
        "--server.port",
        str(args.port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        # Nothing of the dashboard is a static file; /app/static/ serves nothing.
        "--server.enableStaticServing",
        "false",
    ]
    print(
        f"cxradar: dashboard on http://{args.host}:{args.port} (Ctrl+C stops it)", file=sys.stderr
    )
    sys.stdout.flush()
    sys.stderr.flush()
    # Streamlit replaces this process, so stopping `cxradar dashboard` stops the server.
    os.execve(sys.executable, command, env)
    return 0  # not reached


def cmd_forget(args: argparse.Namespace) -> int:
    """Erase one author's posts on one source and everything derived from them."""
    from cxradar.db import session_scope
    from cxradar.store import forget_author

    url = _require_database(args.database)
    with session_scope(url) as session:
        planned = forget_author(session, args.author, args.source, dry_run=True)
    if not planned.mentions and not planned.tickets:
        print(f"cxradar: nothing stored for author {args.author!r} on source {args.source!r}")
        return 0
    print(
        f"cxradar: {planned.mentions} mention(s) and {planned.tickets} ticket(s) of "
        f"{args.author!r} on {args.source!r}, with everything derived from them"
    )
    if not args.yes and not _confirmed():
        print("cxradar: nothing erased (pass --yes to erase without asking)", file=sys.stderr)
        return 1
    with session_scope(url) as session:
        erased = forget_author(session, args.author, args.source)
    print("cxradar: erased " + "; ".join(erased.lines()))
    return 0


def _confirmed() -> bool:
    if not sys.stdin.isatty():
        return False
    return input("Erase them for good? [y/N] ").strip().lower() in ("y", "yes")


def cmd_config(args: argparse.Namespace) -> int:
    """Print the validated config with every secret masked."""
    import yaml

    from cxradar.config import dump_redacted

    config = load_config(args.config)
    print(yaml.safe_dump(dump_redacted(config), sort_keys=False, allow_unicode=True), end="")
    return 0


# --- parser ----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cxradar", description=__doc__)
    parser.add_argument(
        "--database", help="database URL (default: $CXRADAR_DATABASE_URL or .cxradar/cxradar.db)"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="materialise the whole pipeline once")
    run.add_argument("--config", help="config YAML (default: $CXRADAR_CONFIG)")
    run.add_argument("--demo", action="store_true", help="use the bundled demo data and config")
    run.add_argument("--verbose", action="store_true", help="show Dagster's debug events")
    run.set_defaults(handler=cmd_run)

    for name, handler, help_text in (
        ("issues", cmd_issues, "list issues: systemic, emerging, isolated, then single complaints"),
        ("alerts", cmd_alerts, "list negative-spike alerts"),
    ):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--json", action="store_true", help="one JSON object per line")
        if name == "issues":
            sub.add_argument("--brand", help="only issues about this brand")
            sub.add_argument("--all", action="store_true", help="list every single complaint")
        sub.set_defaults(handler=handler)

    replay = commands.add_parser(
        "backtest",
        help="replay the hourly runs over stored history: the messages they would "
        "have sent, each with its minutes after the episode's first post",
    )
    replay.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
    replay.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
    replay.add_argument("--config", help="config YAML for the thresholds (default: as for run)")
    replay.add_argument("--json", action="store_true", help="one JSON object per line")
    replay.set_defaults(handler=cmd_backtest)

    export = commands.add_parser("export", help="export stored data")
    export.add_argument("what", choices=["mentions"])
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.add_argument("--output", "-o", help="file to write (default: standard output)")
    export.set_defaults(handler=cmd_export)

    forget = commands.add_parser(
        "forget", help="erase an author's posts on a source and all derived from them"
    )
    forget.add_argument("--author", required=True, help="the author's name as stored")
    forget.add_argument("--source", required=True, help="the source name, as in the config")
    forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    forget.set_defaults(handler=cmd_forget)

    show = commands.add_parser("config", help="show the validated config, secrets masked")
    show.add_argument("--config", help="config YAML (default: $CXRADAR_CONFIG or the demo)")
    show.set_defaults(handler=cmd_config)

    classify = commands.add_parser("classify", help="language, sentiment and complaint of texts")
    classify.add_argument("texts", nargs="*")
    classify.add_argument("--file", help="a text file, one text per line")
    classify.add_argument("--json", action="store_true", help="one JSON object per line")
    classify.set_defaults(handler=cmd_classify)

    dashboard = commands.add_parser("dashboard", help="start the Streamlit dashboard")
    dashboard.add_argument("--host", default="127.0.0.1", help="bind address (default: localhost)")
    dashboard.add_argument("--port", type=int, default=8501)
    dashboard.set_defaults(handler=cmd_dashboard)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.handler(args)
    except ConfigError as exc:
        print(f"cxradar: config error: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"cxradar: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
