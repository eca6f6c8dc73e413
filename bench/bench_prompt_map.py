"""The ingest's prompt map before and after streaming (issue #8), on the same requests, one child process each.

    python bench/bench_prompt_map.py REQUESTS.parquet [--limit N] [--memory-limit 4GB] [--only new]

before: `bench/prompt_map_v0.py` (global SELECT DISTINCT of the raw text, chunks read back and
fingerprinted, families assigned one chunk after the other); after: `linkage.ingest.prompt_map`
(streamed batches, hash-set dedup, families on a worker thread beside the compiled passes).
Each runs in its own child process (staging DuckDB set up as the ingest does), so each peak RSS
is its own. Prints wall, CPU, µs per distinct prompt (wall and per core), the steps, peak RSS,
the load average; then checks that both maps hold the same prompts with the same fingerprint,
SimHash and capability, and how far their families agree (chunks differ: see prompt_map_v0).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(path: str, limit: int | None, variant: str, out: str, memory_limit: str) -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import duckdb

    from linkage.ingest.families import FamilyIndex
    from linkage.ingest.fingerprint import fingerprint_table
    from linkage.ingest.minhash import signatures
    import pyarrow as pa

    warm = pa.array(["compile every kernel once: " + " ".join(f"w{i} word" for i in range(40))] * 3000)
    FamilyIndex().assign(*signatures(warm))
    fingerprint_table(warm)
    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = '{tempfile.mkdtemp(prefix='pm-spill-')}'")
    con.execute("SET preserve_insertion_order = false")
    limit_sql = f" WHERE file_row_number < {limit}" if limit else ""  # the same rows in both runs
    con.execute(f"CREATE VIEW _f0 AS SELECT * FROM read_parquet('{path}', file_row_number = true){limit_sql}")
    sql = "SELECT prompt AS v FROM _f0"
    start, cpu0 = time.perf_counter(), time.process_time()
    if variant == "before":
        import prompt_map_v0
        spent = prompt_map_v0.build_prompt_map(con, f"SELECT DISTINCT v FROM ({sql})", FamilyIndex())
    else:
        from linkage.ingest.prompt_map import build_prompt_map
        spent = build_prompt_map(con, sql, FamilyIndex())
    wall, used = time.perf_counter() - start, time.process_time() - cpu0
    n = con.execute("SELECT count(*) FROM _promptmap").fetchall()[0][0]
    con.execute(f"COPY _promptmap TO '{out}' (FORMAT parquet)")
    print(json.dumps({"wall": wall, "cpu": used, "distinct": n, "steps": spent}))


def run(args: argparse.Namespace, variant: str, out: str) -> dict:
    load = os.getloadavg()[0]
    proc = subprocess.Popen([sys.executable, __file__, args.requests, "--child", variant, "--out", out,
                             "--memory-limit", args.memory_limit] + (["--limit", str(args.limit)] if args.limit else []),
                            stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    if status:
        raise SystemExit(f"{variant} failed ({status})")
    res = json.loads(proc.stdout.read().strip().splitlines()[-1])
    res.update(peak_gib=usage.ru_maxrss / 2 ** 20, load=(load, os.getloadavg()[0]))
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("requests")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--memory-limit", default="4GB")
    ap.add_argument("--only", choices=["before", "after"])
    ap.add_argument("--child")
    ap.add_argument("--out")
    args = ap.parse_args()
    if args.child:
        child(args.requests, args.limit, args.child, args.out, args.memory_limit)
        return
    tmp = Path(tempfile.mkdtemp(prefix="pm-bench-"))
    results = {}
    for variant in ("before", "after"):
        if args.only and variant != args.only:
            continue
        r = results[variant] = run(args, variant, str(tmp / f"{variant}.parquet"))
        n = r["distinct"]
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in r["steps"].items())
        print(f"{variant:6} {n:,} distinct prompts: {r['wall']:.1f} s wall, {r['cpu']:.1f} s CPU = "
              f"{1e6 * r['wall'] / n:.2f} µs/prompt wall, {1e6 * r['cpu'] / n:.2f} µs/prompt/core; "
              f"peak RSS {r['peak_gib']:.2f} GiB; load {r['load'][0]:.1f} -> {r['load'][1]:.1f}; {steps}", flush=True)
    if len(results) == 2:
        import duckdb
        con = duckdb.connect()
        b, a = tmp / "before.parquet", tmp / "after.parquet"
        same, only_b, only_a, diff = con.execute(f"""
            SELECT count(*) FILTER (WHERE b.ph IS NOT NULL AND a.ph IS NOT NULL),
                   count(*) FILTER (WHERE a.ph IS NULL), count(*) FILTER (WHERE b.ph IS NULL),
                   count(*) FILTER (WHERE a.ph IS NOT NULL AND b.ph IS NOT NULL AND (a.fingerprint IS DISTINCT FROM
                                    b.fingerprint OR a.simhash <> b.simhash OR a.capability IS DISTINCT FROM b.capability))
            FROM '{b}' b FULL JOIN '{a}' a USING (ph)""").fetchall()[0]
        print(f"prompts in both maps {same:,}, only before {only_b:,}, only after {only_a:,}; "
              f"fingerprint/simhash/capability differ on {diff:,}")
        # family agreement: pairs of prompts together in one map and apart in the other (via the cross table)
        pairs = con.execute(f"""
            WITH j AS (SELECT coalesce(b.family, 'none:' || b.ph) AS fb, coalesce(a.family, 'none:' || a.ph) AS fa
                       FROM '{b}' b JOIN '{a}' a USING (ph)),
                 cell AS (SELECT count(*) AS k FROM j GROUP BY fb, fa),
                 rb AS (SELECT count(*) AS k FROM j GROUP BY fb), ra AS (SELECT count(*) AS k FROM j GROUP BY fa)
            SELECT (SELECT sum(k * (k - 1) / 2) FROM cell), (SELECT sum(k * (k - 1) / 2) FROM rb),
                   (SELECT sum(k * (k - 1) / 2) FROM ra), (SELECT count(*) FROM j)""").fetchall()[0]
        nij, ai, bj, n = (float(x) for x in pairs)
        total = n * (n - 1) / 2
        expected = ai * bj / total
        ari = (nij - expected) / (0.5 * (ai + bj) - expected) if ai + bj > 2 * expected else 1.0
        fam = con.execute(f"""SELECT count(*) FILTER (WHERE b.family IS NOT NULL), count(*) FILTER (WHERE a.family IS NOT NULL),
            count(DISTINCT b.family), count(DISTINCT a.family) FROM '{b}' b JOIN '{a}' a USING (ph)""").fetchall()[0]
        print(f"families: prompts in a family before {fam[0]:,} / after {fam[1]:,}; families {fam[2]:,} / {fam[3]:,};"
              f" adjusted Rand index between the two {ari:.4f}")


if __name__ == "__main__":
    main()
