"""CLI: `linkage export-neo4j-import DIR`, the bulk first load of a Neo4j server."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from linkage.cli import app
from linkage.cli.common import StoreOpt, VerboseOpt, console, out, settings_from, store_from


@app.command("export-neo4j-import")
def export_neo4j_import_cmd(
    directory: Annotated[Path, typer.Argument(help="Directory for the CSV files, import.sh and manifest.json")],
    store: StoreOpt = None,
    results: Annotated[bool, typer.Option(help="Also export rings, memberships and detection runs")] = True,
    verbose: VerboseOpt = False,
) -> None:
    """Write the graph as `neo4j-admin database import full` CSVs and print the import command."""
    from linkage.store.neo4j_import import SCRIPT, export_neo4j_import

    settings = settings_from(store, verbose)
    with store_from(settings) as st:
        report = export_neo4j_import(st, directory, results=results)
    for name, n in report.rows.items():
        flagged = report.quarantined.get(name, 0)
        note = f"  ({flagged:,} quarantined in _quarantine/{name}.csv)" if flagged else ""
        console.print(f"  {name:<20} {n:>12,} rows{note}")
    for label, n in report.implied.items():
        console.print(f"  {n:,} {label} node(s) appear only as an edge's endpoint: written as bare nodes "
                      f"(as the MERGE path creates them)")
    if not report.memberships_scored:
        console.print("[yellow]this store cannot list membership scores: MEMBER_OF is written without them[/]")
    console.print(f"wrote {sum(report.rows.values()):,} rows to {directory}; with the server stopped, run:")
    out.print(shlex.join(["sh", str(directory / SCRIPT)]), highlight=False)
    out.print("# that is: " + shlex.join(report.command()), highlight=False, soft_wrap=True)
    if report.quarantined:
        raise typer.Exit(3)
