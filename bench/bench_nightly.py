"""Nightly benchmark: a simulated month, one `linkage nightly` run per night, wall time and peak RSS.

    PYTHONPATH=. python bench/bench_nightly.py --scale 1.0            # the public case's month, 30 nights
    PYTHONPATH=. python bench/bench_nightly.py --scale 0.1 --nights 10
    PYTHONPATH=. python bench/bench_nightly.py --scale 1.0 --from-night 30   # nights 1-29 preloaded

The simulator's scenario spans one month (2026-02-01 .. 03-01): at `--scale 1.0` that is
the public case, so one night is about 1/30 of it. The month is cut into dated partitions
(`DIR/YYYY-MM-DD/`: requests and payments by their day, accounts by creation day — those
created before the month on night 1 — and the proxy intel on night 1). Each night runs the
real CLI in a child process (`linkage nightly --input DIR --date DAY`); its peak RSS comes
from that process's own rusage (the bench itself stays small: see `main`).

`--from-night K` measures only nights K.. : nights 1..K-1 are first loaded with one
`linkage ingest` over all their files and recorded by one `linkage nightly` run (the files
are known by content, so that run only records the partitions and detects once). This is
what night K costs on a store that already holds K-1 nights, without running them all.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
MONTH_START = "2026-02-01"


def _cli(*args: str) -> tuple[int, float, float, str]:
    """Run `linkage ...` in a child; (exit code, wall s, peak RSS GiB, stderr tail)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "linkage", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=str(ROOT))
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, time.perf_counter() - start, usage.ru_maxrss / 2**20, err[-2000:]


def split_month(scenario: Path, nights_dir: Path) -> list[str]:
    """Cut a simulated scenario into dated partitions; return the days, oldest first."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    days = [r[0] for r in con.execute(
        f"SELECT DISTINCT strftime(ts, '%Y-%m-%d') AS d FROM read_parquet('{scenario}/requests.parquet')"
        f" WHERE ts >= TIMESTAMPTZ '{MONTH_START}' ORDER BY d").fetchall()]
    first = days[0]
    for table, col in (("requests", "ts"), ("payments", "ts"), ("accounts", "created_at")):
        day = f"greatest(strftime({col}, '%Y-%m-%d'), '{first}')"
        con.execute(f"""COPY (SELECT *, {day} AS night FROM read_parquet('{scenario}/{table}.parquet'))
            TO '{nights_dir}' (FORMAT parquet, PARTITION_BY (night), FILENAME_PATTERN '{table}_{{i}}',
            OVERWRITE_OR_IGNORE true)""")
    for d in days:  # DuckDB writes night=YYYY-MM-DD/; the nightly contract is YYYY-MM-DD/
        shutil.move(str(nights_dir / f"night={d}"), str(nights_dir / d))
    shutil.copy(scenario / "proxies.parquet", nights_dir / first / "proxies.parquet")
    con.close()
    return days


def preload(nights_dir: Path, days: list[str], store: str) -> None:
    """Nights 1..K-1 in one ingest (file names kept unique), then one nightly run that records them."""
    bulk = nights_dir.parent / "bulk"
    bulk.mkdir(exist_ok=True)
    for d in days:
        for f in (nights_dir / d).iterdir():
            (bulk / f"{f.stem}-{d}{f.suffix}").symlink_to(f)
    code, wall, rss, err = _cli("ingest", str(bulk), "--store", store)
    print(f"preload ingest of {len(days)} nights: exit {code}, {wall:.1f}s, peak {rss:.2f} GiB", flush=True)
    code, wall, rss, err = _cli("nightly", "--input", str(nights_dir), "--date", days[-1], "--store", store)
    print(f"preload nightly (records + one detection): exit {code}, {wall:.1f}s, peak {rss:.2f} GiB", flush=True)
    if code not in (0, 3):
        sys.exit(f"preload failed:\n{err}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--nights", type=int, default=30, help="last night to run")
    ap.add_argument("--from-night", type=int, default=1, help="first night measured (earlier ones preloaded)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/linkage-bench-nightly"))
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    work = args.work / f"scale-{args.scale}"
    scenario, nights_dir, store = work / "scenario", work / "nights", str(work / "store.duckdb")
    if not (scenario / "requests.parquet").exists():
        code, wall, rss, err = _cli("simulate", "--out", str(scenario), "--scale", str(args.scale),
                                    "--seed", str(args.seed))
        print(f"simulate: exit {code}, {wall:.1f}s", flush=True)
    shutil.rmtree(nights_dir, ignore_errors=True)
    for f in (store, store + ".wal", store + ".nightly.lock", store + ".decisions.duckdb"):
        Path(f).unlink(missing_ok=True)
    shutil.rmtree(work / "bulk", ignore_errors=True)
    nights_dir.mkdir(parents=True)
    # In a child: a child process starts with its parent's peak RSS as its own (Linux inherits the
    # high-water mark across fork and exec), so the parent must never load the month itself.
    splitter = multiprocessing.get_context("spawn").Process(target=split_month, args=(scenario, nights_dir))
    splitter.start()
    splitter.join()
    days = sorted(d.name for d in nights_dir.iterdir() if d.is_dir())[: args.nights]
    print(f"{len(days)} nights from {days[0]} to {days[-1]}", flush=True)
    if args.from_night > 1:
        preload(nights_dir, days[: args.from_night - 1], store)
    print("| night | day | exit | wall s | ingest s | detect s | peak RSS GiB | rows loaded | rings | store MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    results = []
    for n in range(args.from_night, len(days) + 1):
        day = days[n - 1]
        code, wall, rss, err = _cli("nightly", "--input", str(nights_dir), "--date", day, "--store", store)
        report_path = nights_dir / "_reports" / "latest.json"
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
        loaded = sum(p["rows_loaded"] for p in report.get("partitions", []))
        rings = report.get("rings", {}).get("active", "?")
        size = Path(store).stat().st_size / 2**20
        t = report.get("timings", {})
        ingest, detect = sum(t.get("ingest_s", {}).values()), t.get("detect_s") or 0.0
        print(f"| {n} | {day} | {code} | {wall:.1f} | {ingest:.1f} | {detect:.1f} | {rss:.2f} | {loaded:,} | {rings} "
              f"| {size:,.0f} |", flush=True)
        if code not in (0, 3):
            print(err, file=sys.stderr)
            break
        results.append((n, wall, rss))
    if len(results) > 1:
        (n0, w0, r0), (n1, w1, r1) = results[0], results[-1]
        print(f"\nnight {n0} -> {n1}: wall {w0:.1f}s -> {w1:.1f}s (x{w1 / w0:.2f}), "
              f"peak RSS {r0:.2f} -> {r1:.2f} GiB (x{r1 / r0:.2f})")


if __name__ == "__main__":
    main()
