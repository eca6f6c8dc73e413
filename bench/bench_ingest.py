"""Ingest benchmark: generate a synthetic request log as parquet, time `linkage ingest`, report figures.

    PYTHONPATH=. python bench/bench_ingest.py --rows 36000000

The data: --rows requests over one day from 500k accounts and 1M IPv4s, 200
precomputed prompt fingerprints, 1% of rows with a raw prompt instead,
50 user agents, 3 models; 500k accounts, 20k payments and 2k proxy ranges
beside it. The ingest runs in a child process (the real CLI) so its peak RSS
is measured alone.
"""

from __future__ import annotations

import argparse
import os
import resource
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
               'acct' || (hash(i) % {accounts}) AS account_id,
               '10.' || ((hash(i * 7) % {ips}) // 65536) || '.' || ((hash(i * 7) % {ips}) // 256 % 256)
                     || '.' || (hash(i * 7) % 256) AS ip,
               CASE WHEN i % 100 = 0 THEN 'Think step by step: how many apples does user ' || (i % 977)
                     || ' have after ' || (i % 13) || ' days?' END AS prompt,
               CASE WHEN i % 100 <> 0 THEN printf('%016x', hash(i * 13) % 200) END AS prompt_fingerprint,
               'agent/' || (hash(i * 3) % 50) AS user_agent,
               'model-' || (i % 3) AS model,
               CAST(hash(i) % 2000 AS INTEGER) AS tokens_in,
               CAST(hash(i * 5) % 1000 AS INTEGER) AS tokens_out
        FROM range({rows}) t(i)) TO '{out / "requests.parquet"}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)""")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=36_000_000)
    parser.add_argument("--keep", type=Path, default=None, help="Keep data and store in this directory")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="linkage-bench-"))
    data = work / "data"
    data.mkdir(parents=True, exist_ok=True)
    store = work / "bench.duckdb"
    for p in (store, Path(f"{store}.wal")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    generate(data, args.rows)
    size = sum(p.stat().st_size for p in data.iterdir() if p.is_file())
    print(f"generated {args.rows:,} request rows ({size / 1e9:.2f} GB parquet) in {time.perf_counter() - t0:.1f}s")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "linkage", "ingest", str(data), "--store", str(store)],
                          env=env, capture_output=True, text=True)
    took = time.perf_counter() - t0
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6  # KiB -> GB (approx.)
    print(proc.stdout)
    if proc.returncode:
        print(proc.stderr, file=sys.stderr)
        sys.exit(proc.returncode)
    print(f"ingest: {took:.1f}s, {args.rows / took:,.0f} request rows/s, peak RSS {peak_gb:.2f} GB, "
          f"store {store.stat().st_size / 1e9:.2f} GB")
    stats = subprocess.run([sys.executable, "-m", "linkage", "stats", "--store", str(store)],
                           env=env, capture_output=True, text=True)
    print(stats.stdout)
    if args.keep is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
