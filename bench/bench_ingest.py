"""Ingest benchmark: simulate the public case (or a synthetic log), time `linkage ingest`, report figures.

    PYTHONPATH=. python bench/bench_ingest.py --scale 1.0            # simulator, full public case
    PYTHONPATH=. python bench/bench_ingest.py --scenario DIR         # an existing scenario directory
    PYTHONPATH=. python bench/bench_ingest.py --rows 36000000        # synthetic worst-case log

Prints wall time, request rows/s, peak RSS of the ingest process, the store size,
its step breakdown (from `--verbose`) and the graph's node and edge counts.

The synthetic data (--rows): requests over one day from 500k accounts (each on ~2 of 1M
IPv4s, 1 user agent of 50, 1 model of 3, ~3 of 200 precomputed prompt
fingerprints), 1% of rows with a raw prompt instead; 500k accounts, 20k payments and 2k proxy ranges
beside it. The ingest runs in a child process (the real CLI) so its peak RSS
is measured alone.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]


def generate(out: Path, rows: int, accounts: int = 500_000, ips: int = 1_000_000) -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    con.execute(f"""COPY (
        SELECT TIMESTAMPTZ '2024-05-01 00:00:00+00' + to_microseconds(CAST(i * (86400000000 // {rows}) AS BIGINT)) AS ts,
               'acct' || a AS account_id,
               '10.' || (ipn // 65536) || '.' || (ipn // 256 % 256) || '.' || (ipn % 256) AS ip,
               CASE WHEN i % 100 = 0 THEN 'Think step by step: how many apples does user ' || (i % 977)
                     || ' have after ' || (i % 13) || ' days?' END AS prompt,
               CASE WHEN i % 100 <> 0 THEN printf('%016x', (a + i % 3) % 200) END AS prompt_fingerprint,
               'agent/' || (a % 50) AS user_agent,
               'model-' || (a % 3) AS model,
               CAST(hash(i) % 2000 AS INTEGER) AS tokens_in,
               CAST(hash(i * 5) % 1000 AS INTEGER) AS tokens_out
        FROM (SELECT i, hash(i) % {accounts} AS a,
                     ((hash(i) % {accounts}) * 2 + CAST(i % 3 = 0 AS INTEGER)) % {ips} AS ipn
              FROM range({rows}) t(i))) TO '{out / "requests.parquet"}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)""")
    con.execute(f"""COPY (
        SELECT 'acct' || i AS account_id, TIMESTAMPTZ '2024-04-01 00:00:00+00' + to_seconds(i) AS created_at,
               'user' || i || '@example' || (i % 100) || '.com' AS email, 'US' AS country
        FROM range({accounts}) t(i)) TO '{out / "accounts.parquet"}' (FORMAT parquet)""")
    con.execute(f"""COPY (
        SELECT 'acct' || (i * 25) AS account_id, 'card' || (i % 5000) AS instrument_fingerprint,
               TIMESTAMPTZ '2024-05-01 00:00:00+00' + to_seconds(i) AS ts, 'card' AS instrument_type
        FROM range(20000) t(i)) TO '{out / "payments.parquet"}' (FORMAT parquet)""")
    con.execute(f"""COPY (
        SELECT '10.' || (i // 256) || '.' || (i % 256) || '.0/24' AS cidr, 'prov' || (i % 7) AS provider,
               'residential' AS kind
        FROM range(0, 4000, 2) t(i)) TO '{out / "proxies.parquet"}' (FORMAT parquet)""")
    con.close()


def _steps(log: str) -> list[str]:
    """The ingest's step timings from its --verbose log, slowest first."""
    found = re.findall(r"step '([^']+)' took ([0-9.]+)s", log)
    return [f"  {secs:>7}s  {name}" for name, secs in sorted(found, key=lambda x: -float(x[1])) if float(secs) >= 0.5]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--scale", type=float, default=None, help="simulate at this scale first (default 1.0)")
    source.add_argument("--scenario", type=Path, default=None, help="ingest this existing scenario directory")
    source.add_argument("--rows", type=int, default=None, help="synthetic log with this many request rows")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, default=None, help="Keep data and store in this directory")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="linkage-bench-"))
    data = args.scenario or work / "data"
    data.mkdir(parents=True, exist_ok=True)
    store = work / "bench.duckdb"
    for p in (store, Path(f"{store}.wal")):
        p.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    if args.rows:
        generate(data, args.rows)
    elif not args.scenario:
        scale = args.scale or 1.0
        subprocess.run([sys.executable, "-m", "linkage", "simulate", "--out", str(data), "--scale", str(scale),
                        "--seed", str(args.seed)], env=env, check=True, capture_output=True)
    rows = duckdb.sql(f"SELECT count(*) FROM read_parquet('{data}/requests*.parquet')").fetchall()[0][0]
    size = sum(p.stat().st_size for p in data.iterdir() if p.is_file())
    print(f"input: {rows:,} request rows ({size / 1e9:.2f} GB on disk), prepared in {time.perf_counter() - t0:.1f}s")
    out, err = work / "ingest.out", work / "ingest.err"
    t0 = time.perf_counter()
    with out.open("w") as o, err.open("w") as e:  # files, not pipes: wait4 must not block a full pipe
        child = subprocess.Popen([sys.executable, "-m", "linkage", "ingest", str(data), "--store", str(store), "-v"],
                                 env=env, stdout=o, stderr=e)
        _, status, usage = os.wait4(child.pid, 0)  # this process's own peak RSS, not the simulator's
    took = time.perf_counter() - t0
    peak_gb = usage.ru_maxrss * 1024 / 2**30  # KiB -> GiB
    print(out.read_text())
    if os.waitstatus_to_exitcode(status):
        print(err.read_text(), file=sys.stderr)
        sys.exit(1)
    print("slowest steps:", *_steps(err.read_text()), sep="\n")
    print(f"ingest: {took:.1f}s wall (process start to exit), {rows / took:,.0f} request rows/s, "
          f"peak RSS {peak_gb:.2f} GiB, store {store.stat().st_size / 1e9:.2f} GB")
    stats = subprocess.run([sys.executable, "-m", "linkage", "stats", "--store", str(store)],
                           env=env, capture_output=True, text=True)
    print(stats.stdout)
    if args.keep is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
