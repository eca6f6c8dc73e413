"""One night's merge into a month-old store: the full rebuild it replaced vs the keyed merge, same rows.

    PYTHONPATH=. python bench/bench_nightly_merge.py --store BASE.duckdb --partition NIGHTS/2026-03-01

`BASE` (never written) is copied once per variant; each copy ingests the partition in a
spawned child (`ingest_directory`, as `linkage nightly` does), timing the staging, the
merge transaction, the CHECKPOINT that makes it durable and the close, with the child's
peak RSS and the file's size after. Variants:

- `rebuild`: each table rebuilt as `old ∪ batch GROUP BY key` (the embedded engine's
  merge before `linkage.store.embedded_merge`), every row rewritten every night;
- `keyed`: `linkage.store.embedded_merge` (only the keys the batch carries).

Then every table of the two copies is compared row for row (EXCEPT ALL both ways): the
figures count only if the stores are the same.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import shutil
import time
from pathlib import Path

import duckdb

REBUILD = "rebuild"
KEYED = "keyed"


def rebuild_into(con: duckdb.DuckDBPyConnection, spec, incoming: str) -> None:
    """The merge before embedded_merge: the whole table rebuilt as old ∪ incoming, grouped by key."""
    from linkage.store.embedded_merge import grouped_select, insert_sql

    if con.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {spec.name})").fetchone()[0]:
        con.execute(insert_sql(spec, incoming))
        return
    names = ", ".join(spec.names)
    con.execute(f"CREATE OR REPLACE TABLE {spec.name} AS " + grouped_select(
        spec, f"SELECT {names}, 0 AS _seq FROM {spec.name} UNION ALL SELECT {names}, 1 AS _seq FROM {incoming}"))


def one_variant(variant: str, store_path: str, partition: str, out: multiprocessing.Queue) -> None:
    import linkage.store.embedded as embedded
    from linkage.ingest.pipeline import ingest_directory
    from linkage.settings import load_settings

    if variant == REBUILD:
        embedded.merge_into = rebuild_into
    settings = load_settings(store=store_path)
    store = embedded.EmbeddedStore(store_path, memory_limit=settings.memory_limit, threads=settings.threads)
    spent = {"merge": 0.0}
    merge_batch = store.merge_batch

    def timed_merge(tables, files):
        t = time.perf_counter()
        merge_batch(tables, files)
        spent["merge"] += time.perf_counter() - t
    store.merge_batch = timed_merge  # type: ignore[method-assign]
    t0 = time.perf_counter()
    report = ingest_directory(store, Path(partition), settings)
    total = time.perf_counter() - t0
    t = time.perf_counter()
    store.con.execute("CHECKPOINT")
    checkpoint = time.perf_counter() - t
    t = time.perf_counter()
    store.close()
    closing = time.perf_counter() - t
    out.put({"variant": variant, "rows": report.loaded, "staging_s": total - spent["merge"],
             "merge_s": spent["merge"], "checkpoint_s": checkpoint, "close_s": closing,
             "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
             "mib": os.path.getsize(store_path) / 2**20})


def differences(a: str, b: str) -> dict[str, tuple[int, int]]:
    """Rows in a and not in b, and the reverse, per graph table (EXCEPT ALL: duplicates count)."""
    from linkage.store.tables import GRAPH_TABLES

    con = duckdb.connect()
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    out = {}
    for spec in GRAPH_TABLES:
        cols = ", ".join(c for c in spec.names if not (spec.name == "ingested_file" and c == "ingested_at"))
        ab = con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM a.{spec.name} EXCEPT ALL"
                         f" SELECT {cols} FROM b.{spec.name})").fetchone()[0]
        ba = con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM b.{spec.name} EXCEPT ALL"
                         f" SELECT {cols} FROM a.{spec.name})").fetchone()[0]
        out[spec.name] = (ab, ba)
    con.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, required=True, help="the store before the night (only read)")
    ap.add_argument("--partition", type=Path, required=True, help="the night's partition directory")
    ap.add_argument("--work", type=Path, default=Path("/tmp/linkage-bench-merge"))
    ap.add_argument("--keep", action="store_true", help="keep the two copies")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    spawn = multiprocessing.get_context("spawn")
    copies, results = {}, []
    for variant in (REBUILD, KEYED):
        copies[variant] = str(args.work / f"{variant}.duckdb")
        shutil.copyfile(args.store, copies[variant])
        q = spawn.Queue()
        child = spawn.Process(target=one_variant, args=(variant, copies[variant], str(args.partition), q))
        child.start()
        results.append(q.get())
        child.join()
    print(f"base store {args.store.stat().st_size / 2**20:,.0f} MiB; partition {args.partition.name}")
    print("| merge | rows | staging s | merge s | checkpoint s | close s | peak RSS GiB | store MiB after |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['variant']} | {r['rows']:,} | {r['staging_s']:.1f} | {r['merge_s']:.1f} | {r['checkpoint_s']:.1f}"
              f" | {r['close_s']:.1f} | {r['peak_gib']:.2f} | {r['mib']:,.0f} |", flush=True)
    diff = differences(copies[REBUILD], copies[KEYED])
    bad = {t: d for t, d in diff.items() if d != (0, 0)}
    print("same rows in every table" if not bad else f"TABLES DIFFER (rows only in rebuild, only in keyed): {bad}")
    if not args.keep:
        for path in copies.values():
            Path(path).unlink(missing_ok=True)
            Path(path + ".wal").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
