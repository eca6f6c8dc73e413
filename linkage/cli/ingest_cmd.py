"""CLI: `linkage ingest DIR` and `linkage stats`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from linkage.cli import app
from linkage.cli.failures import note_input
from linkage.cli.common import StoreOpt, VerboseOpt, console, out, settings_from, store_from
from linkage.ingest.pipeline import ingest_directory
from linkage.ingest.readers import UnreadableInput
from linkage.ingest.report import IngestReport


def _print_report(report: IngestReport) -> None:
    table = Table(title="ingest", show_lines=False)
    table.add_column("table")
    table.add_column("rows loaded", justify="right")
    table.add_column("rows quarantined", justify="right")
    for name, counts in report.tables.items():
        table.add_row(name, f"{counts.loaded:,}", f"{counts.quarantined:,}")
    out.print(table)
    skipped = report.skipped
    if skipped:
        out.print(f"skipped {len(skipped)} file(s) already ingested: "
                  + ", ".join(Path(f.path).name for f in skipped), soft_wrap=True)
    for f in report.files:
        if f.status == "unknown_table":
            out.print(f"quarantined {Path(f.path).name}: unknown table")
    for path in report.ignored:
        out.print(f"ignored {Path(path).name}: not .jsonl, .jsonl.gz, .csv or .parquet")
    if report.quarantine_file:
        out.print(f"quarantine file: {report.quarantine_file}", soft_wrap=True, highlight=False)
    else:
        out.print("quarantine file: none (nothing quarantined)")
    out.print(f"took {report.seconds:.1f}s")


@app.command()
def ingest(
    directory: Annotated[Path, typer.Argument(help="Directory of accounts/requests/payments/proxies files "
                                              "(.jsonl, .jsonl.gz, .csv, .parquet).")],
    store: StoreOpt = None,
    quarantine_dir: Annotated[Optional[Path], typer.Option(
        "--quarantine-dir", help="Where the quarantine file goes [env LINKAGE_QUARANTINE_DIR; "
        "default DIR/_quarantine]", show_default=False)] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 3 if any row was quarantined.")] = False,
    verbose: VerboseOpt = False,
) -> None:
    """Load a directory of API logs into the linkage graph.

    Files already ingested (same content) are skipped; all new files are merged
    in one transaction. Exit codes: 0 done, 2 unreadable input (store untouched),
    3 rows quarantined (with --strict).
    """
    note_input("directory", directory)
    if not directory.is_dir():
        console.print(f"[red]error:[/red] {directory} is not a directory")
        raise typer.Exit(2)
    settings = settings_from(store, verbose, quarantine_dir=quarantine_dir)
    graph = store_from(settings)
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                      console=console, transient=True) as bar:
            task = bar.add_task("ingest", total=1)

            def progress(step: str, done: int, total: int) -> None:
                bar.update(task, description=step, completed=done, total=max(total, 1))

            report = ingest_directory(graph, directory, settings, progress)
    except UnreadableInput as exc:
        console.print(f"[red]error:[/red] cannot read {exc.path}: {exc.reason}\n"
                      "nothing was loaded; the store is unchanged", soft_wrap=True, highlight=False)
        raise typer.Exit(2)
    finally:
        graph.close()
    _print_report(report)
    if strict and report.quarantined:
        raise typer.Exit(3)


@app.command()
def stats(
    store: StoreOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    verbose: VerboseOpt = False,
) -> None:
    """Nodes and edges in the graph, by type."""
    if fmt not in ("table", "json"):
        console.print("[red]error:[/red] --format must be 'table' or 'json'")
        raise typer.Exit(2)
    settings = settings_from(store, verbose)
    graph = store_from(settings)
    try:
        result = graph.stats()
    finally:
        graph.close()
    if fmt == "json":
        out.print_json(json.dumps(result.model_dump()))
        return
    for title, counts in (("nodes", result.nodes), ("edges", result.edges)):
        table = Table(title=title)
        table.add_column("type")
        table.add_column("count", justify="right")
        for name, n in counts.items():
            table.add_row(name, f"{n:,}")
        out.print(table)
