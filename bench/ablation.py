"""Ablation: detection without each evidence kind in turn, on the development configurations.

    python bench/ablation.py [--scale 0.05] [--split dev|heldout] [--work /tmp/linkage-bench] [KEY=VALUE...]

Prints, per evidence left out (cards, templates, network, timing, creation, release, and
none), recall, precision, legit flagged and mean ARI over the split's configurations, then
the operators each ablation misses with their tactics. Target: recall >= 0.90 in every row.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scenario_runs import DEVELOPMENT, HELD_OUT, prepared, run, tactics_of

from linkage.detect.ablation import EVIDENCE


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=0.05)
    ap.add_argument("--split", default="dev", choices=("dev", "heldout"))
    ap.add_argument("--work", type=Path, default=Path("/tmp/linkage-bench"))
    ap.add_argument("--only", default="", help="comma-separated evidence names (default: all)")
    ap.add_argument("--configs", default="", help="comma-separated configuration names of the split (default: all)")
    ap.add_argument("overrides", nargs="*", help="settings as KEY=VALUE")
    args = ap.parse_args()
    overrides = dict(o.split("=", 1) for o in args.overrides)
    configs = DEVELOPMENT if args.split == "dev" else HELD_OUT
    if args.configs:
        wanted = args.configs.split(",")
        configs = tuple(c for c in configs if c.name in wanted)
    dirs = [(cfg, prepared(cfg, args.scale, args.work)) for cfg in configs]
    names = [x for x in args.only.split(",") if x] or ["", *EVIDENCE]
    print(f"{'without':<12}{'recall':>8}{'precision':>11}{'legit':>7}{'mean ARI':>10}")
    notes = []
    for name in names:
        tp = flagged = positives = legit = 0
        aris = []
        for cfg, d in dirs:
            s, _ = run(d, **{**overrides, "ablate": name})
            tp += sum(c.found for c in s.campaigns)
            positives += sum(c.size for c in s.campaigns)
            flagged += s.flagged
            legit += s.legit_flagged
            aris.append(s.ari)
            tactics = tactics_of(d)
            notes += [f"  without {name or 'nothing'}: {cfg.name} {c.truth_ring} recall {c.recall:.3f}; "
                      f"{tactics.get(c.truth_ring, '')}" for c in s.campaigns if c.recall < 0.9]
        print(f"{name or 'nothing':<12}{tp / max(1, positives):8.4f}{tp / max(1, flagged):11.4f}{legit:7d}"
              f"{sum(aris) / len(aris):10.4f}", flush=True)
    print("operators under 0.90 recall:" if notes else "operators under 0.90 recall: none")
    print("\n".join(notes))


if __name__ == "__main__":
    main()
