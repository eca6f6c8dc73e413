"""Synchrony's cost on a real store, numpy first pass against the store's SQL one, and that both agree.

    PYTHONPATH=. python bench/bench_synchrony.py --store /tmp/full.duckdb [--repeat 2]

Opens a *copy* you are allowed to write (temp tables only; nothing is saved). For each path
prints wall and CPU seconds (process time: DuckDB's threads included) per step, the rows
and accounts kept, and whether the pairs are identical.
"""

from __future__ import annotations

import argparse
import logging
import resource
import time

import numpy as np

from linkage.detect.inputs import load_links
from linkage.detect.synchrony import candidates, pairs_in_synchrony, read_ticks
from linkage.detect.synchrony_sql import candidates_in_sql
from linkage.settings import Settings
from linkage.store.embedded import EmbeddedStore


def timed(label: str, fn, *args):
    w, c = time.perf_counter(), time.process_time()
    out = fn(*args)
    print(f"  {label:<28} wall {time.perf_counter() - w:7.2f} s   cpu {time.process_time() - c:7.2f} s", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", required=True)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--accounts-only", action="store_true",
                    help="take account ids from the account table (a store holding only account + tick)")
    ap.add_argument("--skip-numpy", action="store_true", help="only the SQL path (the numpy one needs ~4 GB at full scale)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("linkage.detect").setLevel(logging.DEBUG)
    from linkage.detect.pipeline import _sync_params
    p = _sync_params(Settings())
    store = EmbeddedStore(args.store)
    if args.accounts_only:
        ids = np.array(sorted(store.read_table("account", ["account_id"])["account_id"].to_pylist()), dtype=object)
    else:
        ids = timed("load links (account ids)", load_links, store, set()).account_ids
    n = len(ids)
    print(f"{n:,} accounts")
    for r in range(args.repeat):
        print(f"run {r + 1}")
        sql = timed("SQL first pass", candidates_in_sql, store.con, ids, p)
        got = timed("pairs (numpy)", pairs_in_synchrony, sql, n, p)
        print(f"  kept {len(np.unique(sql.acc)):,} accounts, {len(sql.acc):,} rows -> {len(got.a):,} pairs")
        if args.skip_numpy:
            continue
        index = {a: i for i, a in enumerate(ids.tolist())}
        acc, ts = timed("read ticks into Python", read_ticks, store, index)
        ref = timed("numpy first pass", candidates, acc, ts, n, p)
        del acc, ts
        same_rows = np.array_equal(ref.acc, sql.acc) and np.array_equal(ref.bucket, sql.bucket)
        want = pairs_in_synchrony(ref, n, p)
        same = all(np.array_equal(getattr(got, f), getattr(want, f)) for f in ("a", "b", "shared", "expected", "weight"))
        print(f"  identical rows: {same_rows}, identical pairs: {same}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")


if __name__ == "__main__":
    main()
