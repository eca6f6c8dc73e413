"""Run Linkage's stored rings and the baselines against the same truth, and print them side by side."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence

import pyarrow as pa
from rich.console import Console
from rich.table import Table

from linkage.evaluate.baselines import BASELINES, Baseline
from linkage.evaluate.metrics import MethodScore, score_rings
from linkage.evaluate.truth import Truth
from linkage.store import GraphStore

log = logging.getLogger("linkage.evaluate")

Progress = Callable[[str], None]


def linkage_score(store: GraphStore, truth: Truth, store_accounts: list[str]) -> MethodScore:
    """Score the active rings in the store; run time = the latest detection run's duration."""
    rings = store.rings()
    runs = store.detection_runs()
    seconds = runs[-1].duration_s if runs else None
    return score_rings("linkage", [(r.ring_id, r.members) for r in rings], truth, store_accounts, seconds)


def baseline_score(name: str, fn: Baseline, artifacts: pa.Table, truth: Truth,
                   store_accounts: list[str]) -> MethodScore:
    """Run one baseline, time it, score it; a crash becomes a row with `error`, not a lost report."""
    start = time.perf_counter()
    try:
        found = fn(artifacts)
    except Exception as exc:  # one failing baseline must not hide the others' scores
        log.exception("baseline %s failed", name)
        empty = score_rings(name, [], truth, store_accounts, time.perf_counter() - start)
        return empty.model_copy(update={"error": f"{type(exc).__name__}: {exc}"})
    seconds = time.perf_counter() - start
    rings = [(f"{name}-{i + 1:04d}", members) for i, members in enumerate(found)]
    return score_rings(name, rings, truth, store_accounts, seconds)


def evaluate_store(store: GraphStore, truth: Truth, baselines: Sequence[str] | None = tuple(BASELINES),
                   progress: Progress | None = None) -> list[MethodScore]:
    """Linkage's rings first, then each named baseline run on `store.account_artifacts()`."""
    say = progress or (lambda _msg: None)
    store_accounts = store.read_table("account", ["account_id"])["account_id"].to_pylist()
    say("scoring linkage rings")
    scores = [linkage_score(store, truth, store_accounts)]
    if baselines:
        artifacts = store.account_artifacts()
        for name in baselines:
            say(f"running baseline {name}")
            scores.append(baseline_score(name, BASELINES[name], artifacts, truth, store_accounts))
    return scores


def _fmt(x: float | None, digits: int = 4) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def scores_table(scores: Sequence[MethodScore]) -> Table:
    """One row per method: the headline numbers."""
    t = Table(title="Rings vs truth (account level, ring level, run time)")
    for col in ("method", "rings", "flagged", "precision", "recall", "F1", "purity", "ARI",
                "legit flagged", "legit %", "merged rings", "seconds"):
        t.add_column(col, justify="left" if col == "method" else "right")
    for s in scores:
        t.add_row(s.method + (" (failed)" if s.error else ""), str(s.rings), str(s.flagged),
                  _fmt(s.precision), _fmt(s.recall), _fmt(s.f1), _fmt(s.purity), _fmt(s.ari),
                  str(s.legit_flagged), _fmt(s.legit_flagged_pct, 3), str(s.merged_rings),
                  _fmt(s.seconds, 2))
    return t


def campaigns_table(scores: Sequence[MethodScore], top: int = 3) -> Table:
    """Per method and truth ring: recall, where its accounts landed, what it was merged with."""
    t = Table(title="Per campaign (truth ring)")
    for col in ("method", "truth ring", "size", "recall", "landed in (top)", "merged with"):
        t.add_column(col, justify="right" if col in ("size", "recall") else "left")
    for s in scores:
        for c in s.campaigns:
            landed = ", ".join(f"{r}:{n}" for r, n in list(c.landed_in.items())[:top])
            more = len(c.landed_in) - top
            if more > 0:
                landed += f" (+{more} more)"
            t.add_row(s.method, c.truth_ring, str(c.size), _fmt(c.recall), landed or "—",
                      ", ".join(c.merged_with) or "—")
    return t


def print_report(scores: Sequence[MethodScore], console: Console) -> None:
    """Both tables and any baseline failures; wide enough not to truncate when piped."""
    if not console.is_terminal:
        console = Console(file=console.file, width=max(console.width, 160))
    console.print(scores_table(scores))
    console.print(campaigns_table(scores))
    for s in scores:
        if s.error:
            console.print(f"[red]{s.method} failed:[/red] {s.error}")


def scores_json(scores: Sequence[MethodScore]) -> str:
    return json.dumps({"methods": [s.model_dump() for s in scores]}, indent=2)
