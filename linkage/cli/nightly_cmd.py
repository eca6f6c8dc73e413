"""CLI: `linkage nightly --input DIR [--date YYYY-MM-DD]` and `linkage report [RUN_ID]`.

Exit codes of `nightly` (for cron, Kubernetes, Airflow): 0 done, 3 done with quarantined
rows, 4 nothing new to take, 5 another run holds the lock, 1 failed, 2 bad usage.
"""

from __future__ import annotations

import logging
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from linkage.cli import app
from linkage.cli.common import StoreOpt, VerboseOpt, console
from linkage.settings import load_settings


@app.command()
def nightly(
    input: Annotated[Path, typer.Option("--input", help="Directory of dated partitions DIR/YYYY-MM-DD/")],
    date: Annotated[Optional[str], typer.Option(
        "--date", help="Take partitions up to this day (YYYY-MM-DD) only; default: all pending")] = None,
    store: StoreOpt = None,
    report_dir: Annotated[Optional[Path], typer.Option(
        help="Where reports go [env LINKAGE_REPORT_DIR; default DIR/_reports]", show_default=False)] = None,
    lock: Annotated[Optional[Path], typer.Option(
        help="Lock file [env LINKAGE_NIGHTLY_LOCK; default <store>.nightly.lock]", show_default=False)] = None,
    verbose: VerboseOpt = False,
) -> None:
    """Take the new log partitions, ingest them, detect rings, compare with the last run, report.

    Logs are JSON lines on stderr; the Markdown summary goes to stdout. Exit codes: 0 done,
    3 done with quarantined rows, 4 nothing new, 5 lock held by another run, 1 failed, 2 bad usage.
    """
    from linkage.nightly.logs import json_logging
    from linkage.nightly.report import to_markdown

    with json_logging(verbose):
        outcome = _run_logged(input, date, store, report_dir, lock)
    if outcome.report is not None:
        sys.stdout.write(to_markdown(outcome.report))
    else:
        console.print("nothing new: every partition has been taken", highlight=False)
    raise typer.Exit(int(outcome.exit_code))


def _run_logged(input: Path, date: str | None, store: str | None, report_dir: Path | None,
                lock: Path | None):
    """The run, with every way it can end mapped to an exit code and one clear line."""
    from linkage.ingest.readers import UnreadableInput
    from linkage.nightly import ExitCode, run_nightly
    from linkage.nightly.lock import LockHeld
    from linkage.nightly.logs import event
    from linkage.nightly.partitions import BadPartition, parse_day

    try:
        until = parse_day(date) if date else None
        settings = load_settings(**{k: v for k, v in {"store": store, "report_dir": report_dir,
                                                      "nightly_lock": lock}.items() if v is not None})
        return run_nightly(settings, input, until)
    except BadPartition as exc:
        event("run.bad_usage", logging.ERROR, error=str(exc))
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(ExitCode.USAGE)
    except LockHeld as exc:
        h = exc.holder
        event("run.lock_held", logging.WARNING, lock=str(exc.path), holder_pid=h.pid, holder_host=h.host,
              holder_started_at=h.started_at, holder_run_id=h.run_id)
        console.print(f"lock held: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(ExitCode.LOCK_HELD)
    except UnreadableInput as exc:
        event("run.failed", logging.ERROR, error=f"cannot read {exc.path}: {exc.reason}")
        console.print(f"[red]error:[/red] cannot read {exc.path}: {exc.reason}; that partition was not "
                      "taken (earlier ones are kept); fix it and run again", highlight=False, soft_wrap=True)
        raise typer.Exit(ExitCode.FAILED)
    except Exception as exc:  # unattended: one clear line and exit 1, the traceback in the debug log
        event("run.failed", logging.ERROR, error=f"{type(exc).__name__}: {exc}")
        logging.getLogger("linkage.nightly").debug("traceback", exc_info=True)
        console.print(f"[red]error:[/red] nightly run failed: {type(exc).__name__}: {exc}",
                      highlight=False, soft_wrap=True)
        raise typer.Exit(ExitCode.FAILED)


class ReportFormat(str, Enum):
    markdown = "markdown"
    json = "json"


@app.command()
def report(
    run_id: Annotated[Optional[str], typer.Argument(help="Nightly run id; default: the latest complete run")] = None,
    store: StoreOpt = None,
    format: Annotated[ReportFormat, typer.Option("--format", "-f", help="markdown or json")] = ReportFormat.markdown,
    verbose: VerboseOpt = False,
) -> None:
    """Print a nightly run's report again (from the store, opened read-only)."""
    from linkage.cli.common import settings_from
    from linkage.nightly import state
    from linkage.nightly.report import to_markdown
    from linkage.nightly.report_files import report_json
    from linkage.store import open_store

    settings = settings_from(store, verbose)
    try:
        with open_store(settings.store, memory_limit=settings.memory_limit, read_only=True) as st:
            runs = [r for r in state.runs(st) if r.status == state.COMPLETE]
    except Exception as exc:  # busy (a nightly run is writing) or no nightly table yet
        console.print(f"[red]error:[/red] cannot read nightly runs from {settings.store}: {exc}\n"
                      "while a run is writing, its reports are in the report directory (DIR/_reports)",
                      highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    chosen = next((r for r in runs if r.run_id == run_id), None) if run_id else (runs[-1] if runs else None)
    if chosen is None or chosen.report is None:
        known = ", ".join(r.run_id for r in runs[-5:]) or "none yet"
        console.print(f"[red]error:[/red] no complete nightly run {run_id or ''}".rstrip()
                      + f" in {settings.store} (latest: {known})", highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    sys.stdout.write(report_json(chosen.report) if format is ReportFormat.json else to_markdown(chosen.report))
