"""CLI: `linkage export-indicators [--status confirmed] [--since DATE] --out FILE` (STIX 2.1)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from linkage.cli import app
from linkage.cli.common import StoreOpt, VerboseOpt, console, settings_from, store_from


@app.command("export-indicators")
def export_indicators(
    out: Annotated[Path, typer.Option("--out", help="Where the STIX 2.1 bundle (JSON) goes")],
    status: Annotated[str, typer.Option(
        help="Rings to share: active (all but dismissed), confirmed, or new (undecided)")] = "active",
    since: Annotated[Optional[str], typer.Option(
        help="Only rings new or changed in detection runs since this day (YYYY-MM-DD)")] = None,
    tlp: Annotated[Optional[str], typer.Option(
        help="TLP marking: clear, green, amber or red [env LINKAGE_STIX_TLP; default amber]")] = None,
    store: StoreOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Write the artifacts of the chosen rings as a STIX 2.1 bundle to share with other providers.

    Only artifacts that mostly belong to the ring are shared (never what ordinary users share
    too); hashed artifacts (payment instruments, prompt fingerprints) stay hashed.
    """
    from linkage.indicators import build_bundle
    from linkage.nightly.partitions import BadPartition, parse_day

    settings = settings_from(store, verbose, stix_tlp=tlp)
    try:
        day = parse_day(since) if since else None
    except BadPartition as exc:
        console.print(f"[red]error:[/red] --since: {exc}", highlight=False)
        raise typer.Exit(2)
    try:
        with store_from(settings) as st:
            bundle, summary = build_bundle(st, status=status, since=day, tlp=settings.stix_tlp,
                                           producer=settings.stix_producer,
                                           min_ring_share=settings.stix_min_ring_share)
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(bundle.serialize(pretty=True) + "\n", encoding="utf-8")
    os.replace(tmp, out)
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(summary.by_kind.items())) or "none"
    console.print(f"wrote {out}: {summary.rings} rings, {summary.indicators} indicators ({kinds})"
                  + (f", {summary.skipped} artifacts without a pattern skipped" if summary.skipped else ""),
                  highlight=False, soft_wrap=True)
