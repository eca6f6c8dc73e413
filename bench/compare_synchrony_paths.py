"""Old vs new synchrony on a real store: identical pairs, and identical detection results.

    PYTHONPATH=. python bench/compare_synchrony_paths.py --old OLD_SYNCHRONY_PY STORE [STORE ...]

OLD_SYNCHRONY_PY is a former `linkage/detect/synchrony.py` (e.g. `git show main:linkage/detect/synchrony.py
> /tmp/old_synchrony.py`), loaded under another module name. For each store (copied first:
detection writes its run) prints the wall time of both synchrony paths, whether every pair
array is bitwise equal, and whether `detect` run once with each gives the same rings
(members, scores, components) and counts.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from linkage.detect import pipeline
from linkage.detect.synchrony import pairs_in_synchrony
from linkage.detect.synchrony_sql import candidates_in_sql
from linkage.settings import Settings
from linkage.store.embedded import EmbeddedStore

FIELDS = ("a", "b", "shared", "expected", "weight")


def load_old(path: str):
    spec = importlib.util.spec_from_file_location("old_synchrony", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["old_synchrony"] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def rings_of(result) -> list[tuple]:
    return sorted((tuple(r.members), r.score, tuple(sorted(r.components.items())))
                  for r in result.rings if r.status == "active")


def detect_on_copy(store_path: str, synchrony_in_store) -> tuple[list[tuple], dict, float]:
    with tempfile.TemporaryDirectory() as tmp:
        copy = str(Path(tmp) / "store.duckdb")
        shutil.copy(store_path, copy)
        pipeline.synchrony_in_store = synchrony_in_store
        t = time.perf_counter()
        result = pipeline.detect(EmbeddedStore(copy), Settings())
        counts = {k: v for k, v in result.run.counts.items() if not k.startswith("ms_")}
        return rings_of(result), counts, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old", required=True)
    ap.add_argument("stores", nargs="+")
    args = ap.parse_args()
    old = load_old(args.old)
    new_in_store = pipeline.synchrony_in_store
    p = pipeline._sync_params(Settings())
    for path in args.stores:
        store = EmbeddedStore(path)  # temp tables only: nothing is saved
        ids = pipeline.load_links(store, set()).account_ids
        found = candidates_in_sql(store.con, ids, p)
        t = time.perf_counter()
        want = old.pairs_in_synchrony(found, len(ids), p)
        t_old = time.perf_counter() - t
        t = time.perf_counter()
        got = pairs_in_synchrony(found, len(ids), p)
        t_new = time.perf_counter() - t
        same = all(np.array_equal(getattr(got, f), getattr(want, f)) for f in FIELDS)
        print(f"{path}: {len(found.acc):,} rows -> {len(got.a):,} pairs; pairs old {t_old:.2f} s, new {t_new:.2f} s;"
              f" identical pairs: {same}", flush=True)
        del store
        r_old, c_old, s_old = detect_on_copy(path, old.synchrony_in_store)
        r_new, c_new, s_new = detect_on_copy(path, new_in_store)
        print(f"  detect old {s_old:.1f} s, new {s_new:.1f} s; {len(r_new)} rings;"
              f" identical rings: {r_old == r_new}; identical counts: {c_old == c_new}", flush=True)


if __name__ == "__main__":
    main()
