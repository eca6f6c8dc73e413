"""`detect` on a real store, step by step: per-step ms, wall, CPU, peak RSS, load average.

    PYTHONPATH=. python bench/bench_detect_full.py --store /tmp/full.duckdb [--rings-out rings.json]
        [--compare rings.json]

Runs on a *copy* of the store (detection writes its run), made beside it with the suffix
`.bench`. Prints the run's step timings (`counts.ms_*`), the synchrony sub-steps (debug
log), wall and CPU seconds, peak RSS and the load average before and after. `--rings-out`
saves the rings (members, score, components) as JSON; `--compare` checks them against a
saved file from another code version (exactness: same members, scores and components).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import time

from linkage.detect.pipeline import detect
from linkage.settings import Settings
from linkage.store.embedded import EmbeddedStore


def rings_of(result) -> list[dict]:
    return sorted(({"members": r.members, "score": r.score, "components": r.components}
                   for r in result.rings if r.status == "active"), key=lambda r: (-len(r["members"]), r["members"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", required=True)
    ap.add_argument("--rings-out")
    ap.add_argument("--compare")
    ap.add_argument("--in-place", action="store_true",
                    help="detect in STORE itself (a copy of your own, when the disk has no room for another)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("linkage.detect").setLevel(logging.DEBUG)
    copy = args.store if args.in_place else args.store + ".bench"
    if not args.in_place:
        shutil.copy(args.store, copy)
    try:
        print(f"load average before: {os.getloadavg()}", flush=True)
        w, c = time.perf_counter(), time.process_time()
        result = detect(EmbeddedStore(copy), Settings())
        wall, cpu = time.perf_counter() - w, time.process_time() - c
    finally:
        for suffix in (() if args.in_place else ("", ".wal", ".decisions.duckdb")):
            if os.path.exists(copy + suffix):
                os.remove(copy + suffix)
    counts = result.run.counts
    print("steps (ms): " + " · ".join(f"{k[3:]} {v:,}" for k, v in counts.items() if k.startswith("ms_")))
    print(f"accounts {counts['accounts']:,}, sync pairs {counts['sync_pairs']:,}, rings {counts['rings']}")
    rings = rings_of(result)
    print("ring sizes:", [len(r["members"]) for r in rings])
    print(f"wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB,"
          f" load average after: {os.getloadavg()}")
    if args.rings_out:
        with open(args.rings_out, "w") as f:
            json.dump(rings, f)
    if args.compare:
        with open(args.compare) as f:
            want = json.load(f)
        print(f"identical rings (members, scores, components) to {args.compare}: {rings == want}")


if __name__ == "__main__":
    main()
