"""CLI: `linkage simulate` writes a scenario in the input contract, with its ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from linkage.cli import app
from linkage.cli.failures import note_input
from linkage.cli.common import StoreOpt, VerboseOpt, console, out, settings_from


@app.command()
def simulate(
    out_dir: Annotated[Path, typer.Option("--out", help="Directory to write the scenario into.")],
    scale: Annotated[float, typer.Option(help="1.0 = the public case (24,000 ring accounts, "
                                         "16.5M campaign exchanges, 500,000 legit accounts, >=36M requests); "
                                         "0.01 runs in seconds.")] = 0.01,
    seed: Annotated[int, typer.Option(help="Seed: same seed, scale and variant give identical files.")] = 7,
    variant: Annotated[str, typer.Option(help="baseline | camouflage | shared-proxies | "
                                         "no-payment-sharing | hard (all three) | "
                                         "drawn (each operator's tactics drawn from the seed).")] = "baseline",
    fmt: Annotated[str, typer.Option("--format", help="parquet | jsonl | jsonl.gz | csv")] = "parquet",
    store: StoreOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Write a realistic scenario: accounts, requests, payments, proxies, truth.csv, scenario.json."""
    from linkage.simulate import FORMATS, VARIANTS, simulate as run

    settings_from(store, verbose)  # the store is not used; the flag is accepted like everywhere
    note_input("out", out_dir)
    if variant not in VARIANTS:
        console.print(f"[red]unknown variant {variant!r}[/]; choose one of {', '.join(VARIANTS)}")
        raise typer.Exit(2)
    if fmt not in FORMATS:
        console.print(f"[red]unknown format {fmt!r}[/]; choose one of {', '.join(FORMATS)}")
        raise typer.Exit(2)
    if not scale > 0:
        console.print("[red]--scale must be positive[/]")
        raise typer.Exit(2)

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,}"),
                  TimeElapsedColumn(), console=console, transient=False) as bar:
        tasks: dict[str, int] = {}

        def progress(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(f"simulate {step}", total=total)
            bar.update(tasks[step], completed=done, total=total)

        summary = run(out_dir, scale=scale, seed=seed, variant=variant, fmt=fmt, progress=progress)

    table = Table(title=f"scenario in {summary.out} (scale {summary.scale}, seed {summary.seed}, "
                        f"variant {summary.variant}, {summary.format})")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in summary.rows.items():
        table.add_row(name, f"{n:,}")
    out.print(table)
    camp = Table(title=f"accounts: {summary.accounts:,} ({summary.legit_accounts:,} legitimate, "
                       f"{summary.ring_accounts:,} in campaigns)")
    for col in ("campaign", "accounts", "exchanges", "templates", "model shift at"):
        camp.add_column(col, justify="right" if col in ("accounts", "exchanges", "templates") else "left")
    for c in summary.campaigns:
        camp.add_row(c["ring_id"], f"{c['accounts']:,}", f"{c['exchanges']:,}", str(c["templates"]),
                     c["shift_to_new_model_at"])
    out.print(camp)
    out.print(f"ground truth: {Path(summary.out) / 'truth.csv'}")
