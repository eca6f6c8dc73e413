"""CLI: `linkage detect`, `linkage rings`, `linkage evidence A B`."""

from __future__ import annotations

import csv
import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from linkage.cli import app
from linkage.cli.common import StoreOpt, VerboseOpt, console, out, settings_from, store_from


class RingFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


@app.command()
def detect(
    store: StoreOpt = None,
    threshold: Annotated[Optional[float], typer.Option(help="Minimum ring score [env LINKAGE_RING_THRESHOLD]")] = None,
    allowlist: Annotated[Optional[Path], typer.Option(help="Artifacts that never link, kind:value per line")] = None,
    model_release: Annotated[Optional[str], typer.Option(help="RFC 3339 model release time; default: inferred")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Seed for Leiden")] = None,
    resolution: Annotated[Optional[float], typer.Option(help="Leiden resolution")] = None,
    verbose: VerboseOpt = False,
) -> None:
    """Find operator rings in the store, score them, keep their ids, and print what changed."""
    from linkage.detect import detect as run_detect
    from linkage.detect.pipeline import STEPS

    settings = settings_from(store, verbose, ring_threshold=threshold, allowlist=allowlist,
                             model_release=model_release, seed=seed, resolution=resolution)
    with store_from(settings) as st, Progress(
        TextColumn("[bold]detect[/] {task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console, transient=False,
    ) as bar:
        task = bar.add_task("starting", total=len(STEPS))
        result = run_detect(st, settings, progress=lambda name: bar.update(task, advance=1, description=name))
    run = result.run
    active = [r for r in result.rings if r.status == "active"]
    console.print(f"run {run.run_id}: {run.counts['accounts']:,} accounts, {run.counts['links']:,} links, "
                  f"{run.counts['linked_pairs']:,} linked pairs, {run.counts['communities']:,} communities → "
                  f"[bold]{len(active)} rings[/] ({run.counts['flagged_accounts']:,} accounts) "
                  f"in {run.duration_s:.1f}s")
    for change in result.changes:
        console.print(f"  {change.change:<9} {change.ring_id}  {json.dumps(change.detail, default=str)}")


@app.command()
def rings(
    store: StoreOpt = None,
    format: Annotated[RingFormat, typer.Option("--format", "-f", help="table, json or csv")] = RingFormat.table,
    all: Annotated[bool, typer.Option("--all", help="Include dissolved rings")] = False,
    verbose: VerboseOpt = False,
) -> None:
    """List the current rings: a table, or JSON (id, score, components, members) or CSV per member."""
    settings = settings_from(store, verbose)
    with store_from(settings) as st:
        found = st.rings(include_dissolved=all, with_members=True)
    if format is RingFormat.json:
        sys.stdout.write(json.dumps([
            {"id": r.ring_id, "score": r.score, "components": r.components, "members": r.members,
             "size": r.size, "status": r.status,
             "artifacts": [a.model_dump() for a in r.artifacts]} for r in found], indent=2) + "\n")
        return
    if format is RingFormat.csv:
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(["ring_id", "account_id", "score"])
        for r in found:
            for m in r.members:
                w.writerow([r.ring_id, m, r.score])
        return
    table = Table(title=f"{len(found)} rings")
    for col in ("ring", "score", "size", "status", "strongest components", "top shared artifacts"):
        table.add_column(col)
    for r in found:
        top = sorted(r.components.items(), key=lambda kv: -kv[1])[:3]
        arts = ", ".join(f"{a.kind}:{a.artifact[:14]}({a.members})" for a in r.artifacts[:3])
        table.add_row(r.ring_id, f"{r.score:.3f}", str(r.size), r.status,
                      ", ".join(f"{k}={v:.2f}" for k, v in top), arts)
    out.print(table)


@app.command()
def evidence(
    account_a: Annotated[str, typer.Argument(help="First account id")],
    account_b: Annotated[str, typer.Argument(help="Second account id")],
    store: StoreOpt = None,
    max_hops: Annotated[int, typer.Option(help="Most artifacts on a path")] = 4,
    limit: Annotated[int, typer.Option(help="Most paths shown")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    verbose: VerboseOpt = False,
) -> None:
    """Shortest evidence paths between two accounts through shared artifacts, hop by hop."""
    from linkage.detect import evidence_paths
    from linkage.ingest.contract import canonical_account_id

    account_a = canonical_account_id(account_a) or account_a  # as ingest stored them
    account_b = canonical_account_id(account_b) or account_b
    settings = settings_from(store, verbose)
    with store_from(settings) as st:
        paths = evidence_paths(st, account_a, account_b, max_hops=max_hops, settings=settings, limit=limit)
    if as_json:
        sys.stdout.write(json.dumps([[h.model_dump() for h in p.hops] for p in paths], indent=2) + "\n")
        return
    if not paths:
        console.print(f"no evidence path of at most {max_hops} hops between {account_a} and {account_b}")
        raise typer.Exit(1)
    for i, p in enumerate(paths, 1):
        out.print(f"[bold]path {i}[/] ({len(p.hops)} hops, weakest specificity {p.strength:.2f})")
        for h in p.hops:
            out.print(f"  {h.from_account} → {h.kind}:{h.artifact} "
                      f"(specificity {h.specificity:.2f}, {h.accounts_using} accounts) → {h.to_account}")
