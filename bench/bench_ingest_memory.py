"""A requests file larger than the memory limit: ingest must spill, finish and keep its RSS bounded.

    python bench/bench_ingest_memory.py --gb 2            # the issue's case: 2 GB of CSV, default 4GB limit
    python bench/bench_ingest_memory.py --gb 0.05 --memory-limit 256MB   # a quick run

Writes `requests.csv` (distinct-ish accounts, IPs, prompts; the mix of a real log) of about
the given size, runs `linkage ingest` on it in a child process with LINKAGE_MEMORY_LIMIT set,
and prints the file size, the rows loaded, wall seconds and the child's peak RSS. A figure,
not an assertion: compare the peak RSS with the limit.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def write_requests(path: Path, target_bytes: int, seed: int = 1) -> int:
    """Write about `target_bytes` of request rows; return how many rows."""
    rng = random.Random(seed)
    rows = 0
    with path.open("w", buffering=1 << 20) as fh:
        fh.write("ts,account_id,ip,prompt,model,tokens_in,tokens_out\n")
        while fh.tell() < target_bytes:
            lines = []
            for _ in range(10_000):
                acc = rng.randrange(2_000_000)
                sec = rng.randrange(30 * 86400)
                lines.append(f"2026-03-{1 + sec // 86400:02d}T{sec % 86400 // 3600:02d}:{sec % 3600 // 60:02d}:"
                             f"{sec % 60:02d}.{rng.randrange(10**6):06d}Z,acct-{acc},"
                             f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)},"
                             f"\"Please explain topic {rng.randrange(50_000)} step by step, case {rng.randrange(10**6)}\","
                             f"model-{rng.randrange(3)},{rng.randrange(4000)},{rng.randrange(4000)}\n")
            fh.writelines(lines)
            rows += len(lines)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gb", type=float, default=2.0, help="size of the requests file in GB")
    ap.add_argument("--memory-limit", default=None, help="LINKAGE_MEMORY_LIMIT (default: the setting's default)")
    ap.add_argument("--workdir", type=Path, help="where to write (default: a temp dir)")
    ns = ap.parse_args(argv)
    work = ns.workdir or Path(tempfile.mkdtemp(prefix="linkage-mem-"))
    data = work / "in"
    data.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rows = write_requests(data / "requests.csv", int(ns.gb * 1e9))
    print(f"wrote {rows:,} rows, {(data / 'requests.csv').stat().st_size / 1e9:.2f} GB "
          f"in {time.perf_counter() - started:.0f}s", flush=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKAGE_")}
    env["PYTHONPATH"] = str(ROOT)
    if ns.memory_limit:
        env["LINKAGE_MEMORY_LIMIT"] = ns.memory_limit
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "linkage", "ingest", str(data), "--store", str(work / "g.duckdb")],
                          env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(proc.stdout[-1500:])
    print(f"ingest exit {proc.returncode}, {seconds:.0f}s, peak RSS {peak_mb:,.0f} MB, "
          f"memory limit {ns.memory_limit or 'default (4GB)'}")
    if proc.returncode not in (0, 3):
        print(proc.stderr[-2000:], file=sys.stderr)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
