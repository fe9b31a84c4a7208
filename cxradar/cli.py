"""cxradar: run the pipeline, browse its results, classify text.

Start with `cxradar run --demo` (the bundled demo data) or `cxradar run --config FILE`.
Exit status: 0 done; 1 the run failed; 2 bad usage, config or database;
3 the run finished but a source failed (the rest was stored); 143 stopped by SIGTERM.
"""

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

from cxradar.config import CONFIG_ENV, DEMO_CONFIG, ConfigError, load_config
from cxradar.db import database_url, is_migrated, migrate, redact_url, sqlite_path

DASHBOARD_APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"


def _print_json_lines(rows: Sequence[dict]) -> None:
    for row in rows:
        print(json.dumps(row, ensure_ascii=False, default=str))


# --- run -------------------------------------------------------------------------------------


def _config_path(args: argparse.Namespace) -> str:
    """The config a command uses: --demo, --config FILE or $CXRADAR_CONFIG; none is an error
    (the demo is never used unasked: it would load its 2,045 mentions into the database)."""
    if getattr(args, "demo", False):
        return str(DEMO_CONFIG)
    chosen = getattr(args, "config", None) or os.environ.get(CONFIG_ENV)
    if not chosen:
        raise ConfigError(NO_CONFIG)
    return chosen


NO_CONFIG = (
    f"no config given: pass --config FILE (or set {CONFIG_ENV}); to try cxradar on the "
    "bundled demo data, add --demo"
)


def cmd_run(args: argparse.Namespace) -> int:
    # Importing the definitions builds their module-level `defs` (for `dagster dev`) from
    # $CXRADAR_CONFIG or the demo, with a note when it is the demo: not about this run.
    notes = logging.getLogger("pipelines.resources")
    notes.disabled = True
    try:
        from pipelines.definitions import build_defs
        from pipelines.resources import resources_from_config
    finally:
        notes.disabled = False

    config_path = _config_path(args)
    url = database_url(args.database)
    print(f"cxradar: config {config_path}", file=sys.stderr)
    print(f"cxradar: database {redact_url(url)}", file=sys.stderr)
    # The same function builds the resources of `dagster dev` and of the Celery location.
    resources = resources_from_config(config_path, url)  # reads the config: fails early
    migrate(url)  # an unreachable database is one line here, not a failed step per asset
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
    failed = _failed_sources(result)
    if failed:
        print(
            f"cxradar: source(s) failed: {', '.join(failed)}; what the others brought is "
            f"stored (see the messages above; exit status {SOURCE_FAILED_EXIT})",
            file=sys.stderr,
        )
        return SOURCE_FAILED_EXIT
    return 0


SOURCE_FAILED_EXIT = 3  # the run finished, but a source (or an inbox file) failed


def _failed_sources(result) -> list[str]:
    """Names in the ingest assets' ``failed_sources``/``failed_files`` metadata."""
    failed = []
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        for key in ("failed_sources", "failed_files"):
            value = metadata[key].value if key in metadata else "none"
            if value and value != "none":
                failed += str(value).split(", ")
    return failed


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
    """The URL of a database holding cxradar data; a missing SQLite file is not created."""
    url = database_url(url)
    path = sqlite_path(url)
    if (path is not None and not path.is_file()) or not is_migrated(url):
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

    from cxradar.alert_messages import backtest
    from cxradar.db import session_scope

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
    config = load_config(_config_path(args))
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
        texts += _text_lines(Path(args.file).read_bytes())
    if not texts and not sys.stdin.isatty():
        texts = _text_lines(sys.stdin.buffer.read())
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


def _text_lines(data: bytes) -> list[str]:
    """One text per line, read as the file connector reads: invalid UTF-8 costs only those
    bytes (replacement characters), NUL characters and a byte-order mark are dropped."""
    text = data.decode("utf-8", errors="replace").replace("\x00", "").removeprefix("\ufeff")
    return [line.removesuffix("\r") for line in text.split("\n")]


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
    from cxradar.erasure import forget_author

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
    """Print the validated config with every secret masked; exit 1 when a file it names is
    missing."""
    import yaml

    from cxradar.config import dump_redacted, missing_paths

    path = _config_path(args)
    config = load_config(path)
    print(f"# cxradar config {Path(path).resolve()} (secrets masked)")
    print(yaml.safe_dump(dump_redacted(config), sort_keys=False, allow_unicode=True), end="")
    missing = missing_paths(config)
    for problem in missing:
        print(f"cxradar: {problem}", file=sys.stderr)
    return 1 if missing else 0


# --- parser ----------------------------------------------------------------------------------


DATABASE_HELP = "database URL (default: $CXRADAR_DATABASE_URL or .cxradar/cxradar.db)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cxradar", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", help=DATABASE_HELP)
    # --database also after the command (`cxradar issues --database URL`), as with git/dagster;
    # SUPPRESS keeps a value given before the command when none is given after it.
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument("--database", default=argparse.SUPPRESS, help=DATABASE_HELP)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, **kwargs) -> argparse.ArgumentParser:
        return commands.add_parser(name, parents=[database], **kwargs)

    run = command("run", help="materialise the whole pipeline once")
    run.add_argument("--config", help="config YAML (default: $CXRADAR_CONFIG)")
    run.add_argument("--demo", action="store_true", help="use the bundled demo data and config")
    run.add_argument("--verbose", action="store_true", help="show Dagster's debug events")
    run.set_defaults(handler=cmd_run)

    for name, handler, help_text in (
        ("issues", cmd_issues, "list issues: systemic, emerging, isolated, then single complaints"),
        ("alerts", cmd_alerts, "list negative-spike alerts"),
    ):
        sub = command(name, help=help_text)
        sub.add_argument("--json", action="store_true", help="one JSON object per line")
        if name == "issues":
            sub.add_argument("--brand", help="only issues about this brand")
            sub.add_argument("--all", action="store_true", help="list every single complaint")
        sub.set_defaults(handler=handler)

    replay = command(
        "backtest",
        help="replay the hourly runs over stored history: the messages they would "
        "have sent, each with its minutes after the episode's first post",
    )
    replay.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
    replay.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
    replay.add_argument("--config", help="config YAML for the thresholds (default: as for run)")
    replay.add_argument("--demo", action="store_true", help="the bundled demo config")
    replay.add_argument("--json", action="store_true", help="one JSON object per line")
    replay.set_defaults(handler=cmd_backtest)

    export = command("export", help="export stored data")
    export.add_argument("what", choices=["mentions"], help="what to export: mentions")
    export.add_argument(
        "--format",
        choices=["jsonl", "csv"],
        default="jsonl",
        help="jsonl: one JSON object per line (default); csv: spreadsheet-safe CSV",
    )
    export.add_argument("--output", "-o", help="file to write (default: standard output)")
    export.set_defaults(handler=cmd_export)

    forget = command("forget", help="erase an author's posts on a source and all derived from them")
    forget.add_argument("--author", required=True, help="the author's name as stored")
    forget.add_argument("--source", required=True, help="the source name, as in the config")
    forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    forget.set_defaults(handler=cmd_forget)

    show = command("config", help="show the validated config, secrets masked")
    show.add_argument("--config", help="config YAML (default: $CXRADAR_CONFIG)")
    show.add_argument("--demo", action="store_true", help="show the bundled demo config")
    show.set_defaults(handler=cmd_config)

    classify = command("classify", help="language, sentiment and complaint of texts")
    classify.add_argument("texts", nargs="*", help="texts to classify (or use --file / stdin)")
    classify.add_argument("--file", help="a text file, one text per line")
    classify.add_argument("--json", action="store_true", help="one JSON object per line")
    classify.set_defaults(handler=cmd_classify)

    dashboard = command("dashboard", help="start the Streamlit dashboard")
    dashboard.add_argument("--host", default="127.0.0.1", help="bind address (default: localhost)")
    dashboard.add_argument("--port", type=int, default=8501, help="port (default: 8501)")
    dashboard.set_defaults(handler=cmd_dashboard)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from sqlalchemy.exc import ArgumentError, InterfaceError, NoSuchModuleError, OperationalError

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
    except (OperationalError, InterfaceError, NoSuchModuleError, ArgumentError) as exc:
        # Cannot connect, or the URL is not one; an ArgumentError about anything else is a bug.
        if type(exc) is ArgumentError and "URL" not in str(exc):
            raise
        print(f"cxradar: {database_problem(args.database, exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return _reader_went_away()
    except KeyboardInterrupt:
        return 130


def database_problem(url: str | None, exc: BaseException) -> str:
    """One line: which database, what went wrong, what to check."""
    shown = database_url(url)
    try:
        shown = redact_url(shown)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown as far as it is safe
        shown = shown.split("@")[-1]
    cause = getattr(exc, "orig", None) or exc
    reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0][:200]
    return (
        f"cannot use the database {shown}: {reason}; check --database or "
        "CXRADAR_DATABASE_URL (e.g. postgresql+psycopg://user@host:5432/cxradar or "
        "sqlite:///path/cxradar.db) and that the server is running and reachable"
    )


def _reader_went_away() -> int:
    """The reader of our output closed it (`cxradar issues --json | head -1`): stop quietly.

    Python would otherwise report the broken pipe again when it flushes stdout at exit.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 0


if __name__ == "__main__":
    sys.exit(main())
