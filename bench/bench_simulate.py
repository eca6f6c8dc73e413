"""Benchmark: simulate a scenario and print wall time, rows/s and peak RSS.

    PYTHONPATH=. python bench/bench_simulate.py --scale 1.0 [--out DIR] [--variant V] [--format F]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from linkage.simulate import simulate


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--variant", default="baseline")
    ap.add_argument("--format", default="parquet")
    ap.add_argument("--out", type=Path, default=None, help="keep the scenario here (default: a temp dir, removed)")
    args = ap.parse_args()

    out = args.out or Path(tempfile.mkdtemp(prefix="linkage-bench-sim-"))
    proc = psutil.Process()
    peak = [proc.memory_info().rss]
    stop = threading.Event()

    def sample() -> None:  # ru_maxrss covers it too; sampling also shows the steady state
        while not stop.wait(0.2):
            peak[0] = max(peak[0], proc.memory_info().rss)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    t0 = time.perf_counter()
    summary = simulate(out, scale=args.scale, seed=args.seed, variant=args.variant, fmt=args.format)
    wall = time.perf_counter() - t0
    stop.set()
    t.join()
    maxrss = max(peak[0], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    rows = sum(summary.rows.values())
    size = sum(f.stat().st_size for f in out.iterdir())
    print(f"scale {args.scale} seed {args.seed} variant {args.variant} format {args.format}")
    print(f"accounts {summary.accounts:,} (legit {summary.legit_accounts:,}, ring {summary.ring_accounts:,})")
    for name, n in summary.rows.items():
        print(f"  {name:10s} {n:>12,} rows")
    for c in summary.campaigns:
        print(f"  {c['ring_id']}: {c['accounts']:,} accounts, {c['exchanges']:,} exchanges")
    print(f"wall time   {wall:8.1f} s")
    print(f"rows/s      {rows / wall:12,.0f}  (requests/s {summary.rows['requests'] / wall:,.0f})")
    print(f"peak RSS    {maxrss / 2**30:8.2f} GiB")
    print(f"output      {size / 2**20:8.0f} MiB in {out}")
    if args.out is None:
        shutil.rmtree(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
