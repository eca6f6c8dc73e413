"""Development vs held-out figures on simulated configurations (see bench/scenario_runs.py).

    python bench/heldout.py [--split dev|heldout|both] [--scale 0.05] [--work /tmp/linkage-bench] [KEY=VALUE...]

Per configuration: precision, recall, F1, legit flagged (count and %), ARI, rings per
operator; then every operator missed or split, with its tactics; then the split's totals.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from collections import Counter

from scenario_runs import DEVELOPMENT, HELD_OUT, LAST_FLAGGED_BY_GROUP, prepared, run, tactics_of


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="dev", choices=("dev", "heldout", "both"))
    ap.add_argument("--scale", type=float, default=0.05)
    ap.add_argument("--work", type=Path, default=Path("/tmp/linkage-bench"))
    ap.add_argument("overrides", nargs="*", help="settings as KEY=VALUE")
    args = ap.parse_args()
    overrides = dict(o.split("=", 1) for o in args.overrides)
    splits = {"dev": [("development", DEVELOPMENT)], "heldout": [("held-out", HELD_OUT)],
              "both": [("development", DEVELOPMENT), ("held-out", HELD_OUT)]}[args.split]
    for split, configs in splits:
        tp = flagged = positives = legit_flagged = legit_total = mixed = 0
        aris, misses = [], []
        by_group: Counter = Counter()
        print(f"== {split} (scale {args.scale}) ==")
        print(f"{'config':<16}{'P':>8}{'R':>8}{'F1':>8}{'legit':>7}{'legit%':>9}{'ARI':>8}  rings per operator")
        for cfg in configs:
            d = prepared(cfg, args.scale, args.work)
            s, took = run(d, **overrides)
            tactics = tactics_of(d)
            per_op = {c.truth_ring: len(c.landed_in) for c in s.campaigns}
            print(f"{cfg.name:<16}{s.precision:8.4f}{s.recall:8.4f}{s.f1:8.4f}{s.legit_flagged:7d}"
                  f"{s.legit_flagged_pct:9.4f}{s.ari:8.4f}  {per_op}  ({took:.1f}s)")
            by_group.update(LAST_FLAGGED_BY_GROUP)
            found = sum(c.found for c in s.campaigns)
            tp += found
            flagged += s.flagged
            positives += sum(c.size for c in s.campaigns)
            legit_flagged += s.legit_flagged
            legit_total += s.legit_total
            mixed += s.merged_rings
            aris.append(s.ari)
            for c in s.campaigns:
                if c.recall < 0.97 or len(c.landed_in) != 1 or c.merged_with:
                    misses.append(f"  {cfg.name} {c.truth_ring} ({c.size} accounts): recall {c.recall:.3f}, "
                                  f"{len(c.landed_in)} rings, merged with {c.merged_with or '-'}; "
                                  f"{tactics.get(c.truth_ring, '')}")
        p = tp / flagged if flagged else 0.0
        r = tp / positives if positives else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        print(f"{split} total: P {p:.4f}  R {r:.4f}  F1 {f1:.4f}  legit flagged {legit_flagged}/{legit_total} "
              f"({100 * legit_flagged / max(1, legit_total):.4f}%)  rings mixing operators {mixed}  "
              f"min ARI {min(aris):.4f}  mean ARI {sum(aris) / len(aris):.4f}")
        print("legit flagged by group: " + (", ".join(f"{k} {v}" for k, v in sorted(by_group.items())) or "none")
              + " (groups.csv absent for data simulated before it existed: 'unknown')")
        print("misses and splits:" if misses else "misses and splits: none")
        print("\n".join(misses))


if __name__ == "__main__":
    main()
