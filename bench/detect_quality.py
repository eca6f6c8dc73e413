"""Benchmark ring detection on an ingested store: time, peak RSS, and (with a truth file) quality.

    python bench/detect_quality.py STORE.duckdb [--truth DIR/truth.csv] [KEY=VALUE settings...]

Prints the run's step timings, peak RSS, and account-level precision / recall / F1,
legit accounts flagged, and which true rings each found ring holds (purity).
"""

from __future__ import annotations

import csv
import sys
import threading
import time
from collections import Counter

import psutil

from linkage.detect import detect
from linkage.settings import load_settings
from linkage.store import open_store


def _peak_rss(stop: threading.Event, peak: list[int]) -> None:
    proc = psutil.Process()
    while not stop.is_set():
        peak[0] = max(peak[0], proc.memory_info().rss)
        time.sleep(0.05)


def main(argv: list[str]) -> None:
    store_url, truth, overrides = argv[0], None, {}
    rest = argv[1:]
    while rest:
        arg = rest.pop(0)
        if arg == "--truth":
            truth = rest.pop(0)
        else:
            k, v = arg.split("=", 1)
            overrides[k] = v
    settings = load_settings(store=store_url, **overrides)
    stop, peak = threading.Event(), [0]
    watcher = threading.Thread(target=_peak_rss, args=(stop, peak), daemon=True)
    watcher.start()
    with open_store(store_url, memory_limit=settings.memory_limit) as store:
        t = time.perf_counter()
        result = detect(store, settings)
        took = time.perf_counter() - t
    stop.set()
    watcher.join()
    c = result.run.counts
    print(f"detect: {took:.1f}s, peak RSS {peak[0] / 2**30:.2f} GiB")
    print("  " + ", ".join(f"{k}={v}" for k, v in c.items()))
    if not truth:
        return
    ring_of = {}
    with open(truth) as f:
        for row in csv.DictReader(f):
            ring_of[row["account_id"]] = row["ring_id"] or None
    flagged = {m.account_id: m.ring_id for m in result.members}
    positives = {a for a, r in ring_of.items() if r}
    tp = sum(1 for a in flagged if a in positives)
    fp = len(flagged) - tp
    prec = tp / len(flagged) if flagged else 0.0
    rec = tp / len(positives) if positives else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    legit = len(ring_of) - len(positives)
    print(f"precision {prec:.4f}  recall {rec:.4f}  F1 {f1:.4f}  legit flagged {fp} "
          f"({100 * fp / max(1, legit):.4f}%)")
    for r in sorted((r for r in result.rings if r.status == "active"), key=lambda r: -r.size):
        mix = Counter(ring_of.get(a) or "legit" for a in r.members)
        print(f"  {r.ring_id} size={r.size} score={r.score:.3f} truth={dict(mix)}")
    found = Counter(ring_of[a] for a in flagged if a in positives)
    total = Counter(r for r in ring_of.values() if r)
    print("  recall per true ring: " + ", ".join(f"{k} {found[k]}/{v}" for k, v in sorted(total.items())))


if __name__ == "__main__":
    main(sys.argv[1:])
