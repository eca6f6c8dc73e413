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
The preload's files are recorded under the partition paths they stand for (the ingest
saw them through `bulk/` links), as nightly runs would have recorded them: otherwise
every later night re-hashes every old partition's files to find them known.

The simulator's month has 28 days (February 2026); nights past it (`--nights 30`) replay
the day a week earlier shifted by 7 days (requests and payments; no new accounts), so
they carry a late-month day's volume on the same weekday.

`--reuse` keeps the split partitions and the store as a previous run left them (copy a
preloaded store first to measure the same night twice).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
MONTH_START = "2026-02-01"


HEAVY_LOCK: Path | None = None  # --lock: held around each heavy step, released in between


@contextmanager
def heavy_step() -> Iterator[None]:
    """Hold the machine's heavy-run lock (if any) for one step; waiting is not timed."""
    if HEAVY_LOCK is None:
        yield
        return
    with HEAVY_LOCK.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _cli(*args: str) -> tuple[int, float, float, str]:
    """Run `linkage ...` in a child; (exit code, wall s, peak RSS GiB, stderr tail)."""
    with heavy_step():
        return _run_cli(*args)


def _run_cli(*args: str) -> tuple[int, float, float, str]:
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


REPLAY_LAG_DAYS = 7


def replay_nights(nights_dir: Path, total: int) -> None:
    """Nights past the simulated month: the day a week earlier, shifted by a week."""
    days = sorted(d.name for d in nights_dir.iterdir() if d.is_dir() and not d.name.startswith("_"))
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    while len(days) < total:
        source = days[len(days) - REPLAY_LAG_DAYS]
        day = (date.fromisoformat(days[-1]) + timedelta(days=1)).isoformat()
        (nights_dir / day).mkdir()
        for table in ("requests", "payments"):
            for f in sorted((nights_dir / source).glob(f"{table}_*.parquet")):
                con.execute(f"""COPY (SELECT * REPLACE (ts + INTERVAL {REPLAY_LAG_DAYS} DAY AS ts)
                    FROM read_parquet('{f}')) TO '{nights_dir / day / f.name}' (FORMAT parquet)""")
        days.append(day)
    con.close()




def preload(nights_dir: Path, days: list[str], store: str, chunk: int) -> None:
    """Nights 1..K-1 in ingests of `chunk` nights (file names kept unique), then one nightly run
    that records them."""
    for lo in range(0, len(days), chunk):
        bulk = nights_dir.parent / f"bulk-{lo + 1}"
        shutil.rmtree(bulk, ignore_errors=True)
        bulk.mkdir()
        for d in days[lo: lo + chunk]:
            for f in (nights_dir / d).iterdir():
                (bulk / f"{f.stem}-{d}{f.suffix}").symlink_to(f)
        code, wall, rss, err = _cli("ingest", str(bulk), "--store", store)
        print(f"preload ingest of nights {lo + 1}-{min(lo + chunk, len(days))}: exit {code}, {wall:.1f}s,"
              f" peak {rss:.2f} GiB", flush=True)
        if code not in (0, 3):
            sys.exit(f"preload ingest failed:\n{err}")
        # record each file under its partition's path, as the nightly runs would have
        con = duckdb.connect(store)
        for link in bulk.iterdir():
            con.execute("UPDATE ingested_file SET path = ? WHERE path = ?", [os.readlink(link), str(link)])
        con.close()
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
    ap.add_argument("--store", type=Path, help="store file (default: WORK/scale-S/store.duckdb)")
    ap.add_argument("--reuse", action="store_true", help="keep the split partitions and the store as they are")
    ap.add_argument("--preload-chunk", type=int, default=30, help="nights per preload ingest")
    ap.add_argument("--lock", type=Path, help="flock this file around each heavy step (e.g. /work/wt/heavy.lock)")
    args = ap.parse_args()
    global HEAVY_LOCK
    HEAVY_LOCK = args.lock
    work = args.work / f"scale-{args.scale}"
    scenario, nights_dir = work / "scenario", work / "nights"
    store = str(args.store or work / "store.duckdb")
    if not (scenario / "requests.parquet").exists():
        code, wall, rss, err = _cli("simulate", "--out", str(scenario), "--scale", str(args.scale),
                                    "--seed", str(args.seed))
        print(f"simulate: exit {code}, {wall:.1f}s", flush=True)
    if not args.reuse:
        shutil.rmtree(nights_dir, ignore_errors=True)
        for f in (store, store + ".wal", store + ".nightly.lock", store + ".decisions.duckdb"):
            Path(f).unlink(missing_ok=True)
        for bulk in work.glob("bulk*"):
            shutil.rmtree(bulk, ignore_errors=True)
    # In a child: a child process starts with its parent's peak RSS as its own (Linux inherits the
    # high-water mark across fork and exec), so the parent must never load the month itself.
    spawn = multiprocessing.get_context("spawn")
    with heavy_step():
        if not nights_dir.exists():
            nights_dir.mkdir(parents=True)
            splitter = spawn.Process(target=split_month, args=(scenario, nights_dir))
            splitter.start()
            splitter.join()
        replayer = spawn.Process(target=replay_nights, args=(nights_dir, args.nights))
        replayer.start()
        replayer.join()
    days = sorted(d.name for d in nights_dir.iterdir() if d.is_dir() and not d.name.startswith("_"))
    days = days[: args.nights]
    print(f"{len(days)} nights from {days[0]} to {days[-1]}", flush=True)
    if args.from_night > 1 and not Path(store).exists():
        preload(nights_dir, days[: args.from_night - 1], store, args.preload_chunk)
    print("| night | day | exit | wall s | ingest s | merge s | detect s | other s | peak RSS GiB | rows loaded "
          "| rings | store MiB | load average |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    results = []
    for n in range(args.from_night, len(days) + 1):
        day = days[n - 1]
        with heavy_step():  # the load average is read inside the lock: it is this night's machine
            load_before = os.getloadavg()[0]
            code, wall, rss, err = _run_cli("nightly", "--input", str(nights_dir), "--date", day, "--store", store)
            load_after = os.getloadavg()[0]
        report_path = nights_dir / "_reports" / "latest.json"
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
        loaded = sum(p["rows_loaded"] for p in report.get("partitions", []))
        rings = report.get("rings", {}).get("active", "?")
        size = Path(store).stat().st_size / 2**20
        t = report.get("timings", {})
        ingest, detect = sum(t.get("ingest_s", {}).values()), t.get("detect_s") or 0.0
        # merge: the ingest phase past staging (merges into the store, their commits, the ring snapshot)
        merge = t.get("phases_s", {}).get("ingest", ingest) - ingest
        other = wall - ingest - merge - detect  # start-up, imports, write-back, report, close
        print(f"| {n} | {day} | {code} | {wall:.1f} | {ingest:.1f} | {merge:.1f} | {detect:.1f} | {other:.1f} "
              f"| {rss:.2f} | {loaded:,} | {rings} | {size:,.0f} | {load_before:.1f}–{load_after:.1f} |", flush=True)
        if code not in (0, 3):
            print(err, file=sys.stderr)
            break
        results.append((n, wall, rss, size))
    if len(results) > 1:
        (n0, w0, r0, s0), (n1, w1, r1, s1) = results[0], results[-1]
        print(f"\nnight {n0} -> {n1}: wall {w0:.1f}s -> {w1:.1f}s (x{w1 / w0:.2f}), "
              f"peak RSS {r0:.2f} -> {r1:.2f} GiB (x{r1 / r0:.2f}), store {s0:,.0f} -> {s1:,.0f} MiB (x{s1 / s0:.2f})")


if __name__ == "__main__":
    main()
