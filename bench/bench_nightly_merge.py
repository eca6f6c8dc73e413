"""One night's merge into a month-old store: the full rebuild it replaced vs the keyed merge, same rows.

    PYTHONPATH=. python bench/bench_nightly_merge.py --store BASE.duckdb --partition NIGHTS/2026-03-01

`BASE` (never written) is copied once per variant. The first copy ingests the partition in
a spawned child (`ingest_directory`, as `linkage nightly` does) and the batch it merges is
saved; the second merges that same batch (staging is not bit-for-bit repeatable: prompt
family ids depend on the order distinct prompts come in). Timed: the staging, the merge
transaction, the CHECKPOINT that makes it durable and the close, with the child's peak
RSS and the file's size after; then, on the merged store, what detection reads first
(`account_artifacts`) and a hash of every row of every table. Variants:

- `rebuild`: each table rebuilt as `old ∪ batch GROUP BY key` (the embedded engine's
  merge before `linkage.store.embedded_merge`), every row rewritten every night;
- `keyed`: `linkage.store.embedded_merge` (only the keys the batch carries).

Then every table of the two copies is compared by row count and order-free hash sum (each
copy is deleted before the next is made): the figures count only if the stores are the same.
"""

from __future__ import annotations

import argparse
import json
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


def save_batch(tables: dict, files: list, folder: Path) -> None:
    """The batch merge_batch was handed, as parquet files and a JSON list of file records."""
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    folder.mkdir(parents=True)
    for name, table in tables.items():
        if isinstance(table, ds.FileSystemDataset):
            table = table.to_table()
        pq.write_table(table, folder / f"{name}.parquet")
    (folder / "files.json").write_text(json.dumps([f.model_dump(mode="json") for f in files]))


def load_batch(folder: Path) -> tuple[dict, list]:
    import pyarrow.dataset as ds

    from linkage.store.models import IngestedFile

    tables = {p.stem: ds.dataset(p, format="parquet") for p in sorted(folder.glob("*.parquet"))}
    return tables, [IngestedFile(**f) for f in json.loads((folder / "files.json").read_text())]


def one_variant(variant: str, store_path: str, partition: str, batch: str, out: multiprocessing.Queue) -> None:
    """Ingest the partition (the first variant, saving the batch it merges) or merge that same batch."""
    import linkage.store.embedded as embedded
    from linkage.ingest.pipeline import ingest_directory
    from linkage.settings import load_settings

    if variant == REBUILD:
        embedded.merge_into = rebuild_into
    settings = load_settings(store=store_path)
    store = embedded.EmbeddedStore(store_path, memory_limit=settings.memory_limit, threads=settings.threads)
    spent = {"merge": 0.0}
    merge_batch = store.merge_batch
    folder = Path(batch)
    staging = None

    def timed_merge(tables, files):
        if not folder.exists():
            t = time.perf_counter()
            save_batch(tables, files, folder)
            spent["save"] = time.perf_counter() - t
        t = time.perf_counter()
        merge_batch(tables, files)
        spent["merge"] += time.perf_counter() - t
    store.merge_batch = timed_merge  # type: ignore[method-assign]
    if folder.exists():  # the same batch as the other variant: ingest's staging is not deterministic
        tables, files = load_batch(folder)
        timed_merge(tables, files)
        rows = sum(f.rows_loaded for f in files)
    else:
        t0 = time.perf_counter()
        report = ingest_directory(store, Path(partition), settings)
        staging, rows = time.perf_counter() - t0 - spent["merge"] - spent["save"], report.loaded
    t = time.perf_counter()
    store.con.execute("CHECKPOINT")
    checkpoint = time.perf_counter() - t
    t = time.perf_counter()
    store.close()
    closing = time.perf_counter() - t
    t = time.perf_counter()
    with embedded.EmbeddedStore(store_path, memory_limit=settings.memory_limit, threads=settings.threads,
                                read_only=True) as after:  # what detection's load step reads first
        after.account_artifacts()
    reading = time.perf_counter() - t
    t = time.perf_counter()
    sums = digests(store_path)
    scanning = time.perf_counter() - t
    out.put({"variant": variant, "digests": sums, "read_s": reading, "scan_s": scanning, "rows": rows,
             "staging_s": staging,
             "merge_s": spent["merge"], "checkpoint_s": checkpoint, "close_s": closing,
             "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
             "mib": os.path.getsize(store_path) / 2**20})


def digests(path: str) -> dict[str, tuple[int, int]]:
    """(rows, sum of row hashes) per graph table: equal for two stores holding the same rows in any
    order (a row twice counts twice); ingested_file without its clock time."""
    from linkage.store.tables import GRAPH_TABLES

    con = duckdb.connect(path, read_only=True)
    con.execute("SET enable_progress_bar = false")
    out = {}
    for spec in GRAPH_TABLES:
        cols = ", ".join(c for c in spec.names if not (spec.name == "ingested_file" and c == "ingested_at"))
        n, h = con.execute(f"SELECT count(*), sum(hash({cols})::HUGEINT) FROM {spec.name}").fetchone()
        out[spec.name] = (int(n), int(h or 0))
    con.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, required=True, help="the store before the night (only read)")
    ap.add_argument("--partition", type=Path, required=True, help="the night's partition directory")
    ap.add_argument("--work", type=Path, default=Path("/tmp/linkage-bench-merge"))
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    spawn = multiprocessing.get_context("spawn")
    results = []
    batch = args.work / "batch"
    shutil.rmtree(batch, ignore_errors=True)
    for variant in (REBUILD, KEYED):  # one copy at a time: a month-old store is GBs
        copy = str(args.work / f"{variant}.duckdb")
        shutil.copyfile(args.store, copy)
        try:
            q = spawn.Queue()
            child = spawn.Process(target=one_variant, args=(variant, copy, str(args.partition), str(batch), q))
            child.start()
            results.append(q.get())
            child.join()
        finally:
            for f in (copy, copy + ".wal", copy + ".decisions.duckdb"):
                Path(f).unlink(missing_ok=True)
    shutil.rmtree(batch, ignore_errors=True)
    print(f"base store {args.store.stat().st_size / 2**20:,.0f} MiB; partition {args.partition.name}")
    print("| merge | rows | staging s | merge s | checkpoint s | close s | peak RSS GiB | store MiB after "
          "| then account_artifacts s | then hash every row s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        staging = "(same batch)" if r["staging_s"] is None else f"{r['staging_s']:.1f}"
        print(f"| {r['variant']} | {r['rows']:,} | {staging} | {r['merge_s']:.1f} | {r['checkpoint_s']:.1f}"
              f" | {r['close_s']:.1f} | {r['peak_gib']:.2f} | {r['mib']:,.0f} | {r['read_s']:.1f} | {r['scan_s']:.1f} |",
              flush=True)
    a, b = results[0]["digests"], results[1]["digests"]
    bad = {t: (a[t], b[t]) for t in a if a[t] != b[t]}
    print("same rows in every table (count and hash sum)" if not bad else f"TABLES DIFFER (rebuild, keyed): {bad}")


if __name__ == "__main__":
    main()
