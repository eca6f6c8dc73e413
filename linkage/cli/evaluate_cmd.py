"""CLI: `linkage evaluate` — score the stored rings against truth.csv, beside the baselines."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from linkage.cli import app
from linkage.cli.failures import note_input
from linkage.cli.common import StoreOpt, VerboseOpt, console, out, settings_from, store_from


class EvalFormat(str, Enum):
    table = "table"
    json = "json"


@app.command()
def evaluate(
    truth: Annotated[Path, typer.Option("--truth", help="CSV with account_id,ring_id (empty ring_id = legitimate)")],
    store: StoreOpt = None,
    baselines: Annotated[bool, typer.Option("--baselines/--no-baselines",
                                            help="Also run union-find, Jaccard+WCC and FRAUDAR")] = True,
    only: Annotated[list[str] | None, typer.Option("--baseline", help="Run only these baselines (repeatable)")] = None,
    fmt: Annotated[EvalFormat, typer.Option("--format", help="table for people, json for machines")] = EvalFormat.table,
    verbose: VerboseOpt = False,
) -> None:
    """Precision, recall, F1, purity, ARI and legitimate accounts flagged, for Linkage and the baselines."""
    from linkage.evaluate.baselines import BASELINES
    from linkage.evaluate.report import evaluate_store, print_report, scores_json
    from linkage.evaluate.truth import TruthError, load_truth

    note_input("truth", truth)
    try:
        answer = load_truth(truth)
    except TruthError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2)
    names: list[str] = []
    if baselines:
        names = list(only) if only else list(BASELINES)
        unknown = sorted(set(names) - set(BASELINES))
        if unknown:
            console.print(f"[red]unknown baseline(s) {unknown}; known: {sorted(BASELINES)}[/red]")
            raise typer.Exit(2)
    settings = settings_from(store, verbose)
    with store_from(settings) as graph:
        scores = evaluate_store(graph, answer, names, progress=lambda m: console.print(f"[dim]{m}…[/dim]"))
    if fmt is EvalFormat.json:
        typer.echo(scores_json(scores))
    else:
        print_report(scores, out)
    if any(s.error for s in scores):
        raise typer.Exit(1)
