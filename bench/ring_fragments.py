"""What ties fragments of one operator together, and what ties two operators: measured, not guessed.

Usage: python bench/ring_fragments.py STORE TRUTH_CSV [--max-outside F] [--min-outside N]

Reads the store's current rings (run `linkage detect` first) and the scenario's truth
(account_id,ring_id). For every artifact it counts the detected rings using it and the
accounts outside every ring using it; an artifact is "exclusive" when its outside users are
at most max(min_outside, max_outside × its in-ring users). Then, for every pair of rings
sharing something, it prints — separately for pairs of the SAME operator and pairs of
DIFFERENT operators (majority truth label of each ring) — how many artifacts they share per
kind, all and exclusive only, and how candidate merge rules would fold the rings.
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from linkage.detect.inputs import KINDS, load_links
from linkage.detect.specificity import KIND_FAMILY
from linkage.store import open_store


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("store")
    ap.add_argument("truth")
    ap.add_argument("--max-outside", type=float, default=0.01)
    ap.add_argument("--min-outside", type=int, default=2)
    args = ap.parse_args()

    store = open_store(args.store)
    links = load_links(store, set())
    index = links.account_index()
    rings = store.rings(include_dissolved=False)
    ring_of = np.full(links.n_accounts, -1, np.int64)
    for r_i, r in enumerate(rings):
        ring_of[[index[m] for m in r.members if m in index]] = r_i
    truth = np.full(links.n_accounts, "", object)
    with open(args.truth) as fh:
        for row in csv.DictReader(fh):
            i = index.get(row["account_id"])
            if i is not None:
                truth[i] = row["ring_id"]
    op = []
    for r in rings:
        labels = Counter(truth[index[m]] for m in r.members if m in index)
        op.append(labels.most_common(1)[0][0])
    op = np.array(op, object)
    n_r = len(rings)
    print(f"rings: {n_r}; per operator: {dict(Counter(op.tolist()))}")

    in_ring = ring_of[links.account] >= 0
    n_art = links.n_artifacts
    inside = np.bincount(links.artifact[in_ring], minlength=n_art)
    outside = np.bincount(links.artifact[~in_ring], minlength=n_art)
    allowed = np.maximum(args.min_outside, args.max_outside * inside)
    exclusive = outside <= allowed
    # ring x artifact incidence (members using it), for artifacts of >= 2 rings
    keys = np.unique(ring_of[links.account][in_ring] * n_art + links.artifact[in_ring])
    k_ring, k_art = keys // n_art, keys % n_art
    rings_per_art = np.bincount(k_art, minlength=n_art)
    multi = rings_per_art[k_art] >= 2
    k_ring, k_art = k_ring[multi], k_art[multi]
    kind = links.artifact_kind[k_art]
    print("\nartifacts used by >= 2 rings, per kind: total / exclusive / "
          "of which used by >1 operator (exclusive ones)")
    ops_per_art: dict[int, set] = {}
    for r, a in zip(k_ring.tolist(), k_art.tolist()):
        ops_per_art.setdefault(a, set()).add(op[r])
    for k, name in enumerate(KINDS):
        arts = np.unique(k_art[kind == k])
        ex = arts[exclusive[arts]]
        multi_op = sum(1 for a in ex.tolist() if len(ops_per_art[a]) > 1)
        multi_op_all = sum(1 for a in arts.tolist() if len(ops_per_art[a]) > 1)
        print(f"  {name:13s} {len(arts):7d} / {len(ex):7d} / cross-operator {multi_op} "
              f"(all: {multi_op_all})")

    # shared-artifact counts per ring pair and kind
    same_op = op[:, None] == op[None, :]
    iu = np.triu_indices(n_r, 1)
    counts = {}
    for k, name in enumerate(KINDS):
        for ex_only in (False, True):
            sel = (kind == k) & (exclusive[k_art] if ex_only else True)
            m = csr_matrix((np.ones(sel.sum()), (k_ring[sel], k_art[sel])), shape=(n_r, n_art))
            counts[(name, ex_only)] = np.asarray((m @ m.T).todense())[iu]
    s = same_op[iu]
    print(f"\nring pairs: same operator {int(s.sum())}, different {int((~s).sum())}")
    print("shared artifacts per pair (exclusive only): quantiles 0/10/50/90/100 and share of pairs with >= 1")
    for (name, ex_only), c in counts.items():
        if not ex_only:
            continue
        for label, m in (("same", s), ("diff", ~s)):
            if m.sum() == 0:
                continue
            q = np.percentile(c[m], [0, 10, 50, 90, 100]).round(1).tolist()
            print(f"  {name:13s} {label}: {q}  >=1: {np.mean(c[m] >= 1):.3f}  >=2: {np.mean(c[m] >= 2):.3f}")
    print("  (all artifacts, not only exclusive)")
    for (name, ex_only), c in counts.items():
        if ex_only:
            continue
        for label, m in (("same", s), ("diff", ~s)):
            if m.sum() == 0:
                continue
            print(f"  {name:13s} {label}: >=1: {np.mean(c[m] >= 1):.3f}  median {np.median(c[m])}")

    # overlap per family: shared exclusive artifacts / the smaller ring's exclusive artifacts
    # (of that family, used by >= 2 members) — fragments of one operator share most of theirs
    print("\noverlap coefficient per family (exclusive): quantiles 0/10/50/90/100")
    own_keys = np.unique(ring_of[links.account][in_ring] * n_art + links.artifact[in_ring])
    o_ring, o_art = own_keys // n_art, own_keys % n_art
    fam_art = np.array([KIND_FAMILY[k] for k in KINDS])[links.artifact_kind]
    for f in sorted(set(KIND_FAMILY.values())):
        sel_own = exclusive[o_art] & (fam_art[o_art] == f)
        own = np.bincount(o_ring[sel_own], minlength=n_r)
        sel = exclusive[k_art] & (fam_art[k_art] == f)
        m = csr_matrix((np.ones(sel.sum()), (k_ring[sel], k_art[sel])), shape=(n_r, n_art))
        shared = np.asarray((m @ m.T).todense())[iu]
        ov = shared / np.maximum(1, np.minimum(own[iu[0]], own[iu[1]]))
        for label, mm in (("same", s), ("diff", ~s)):
            if mm.sum():
                print(f"  family {f} {label}: {np.percentile(ov[mm], [0, 10, 50, 90, 100]).round(3).tolist()}")

    # candidate rules: families with >= min_per_family exclusive shared artifacts
    fam_of_kind = {name: KIND_FAMILY[name] for name in KINDS}
    print("\nrule: merge when >= F families each share >= M exclusive artifacts (families: network, "
          "payment, prompt, device, email)")
    for min_fam in (1, 2):
        for min_per in (1, 2, 3):
            fams = np.zeros(len(s), int)
            per_family: dict[int, np.ndarray] = {}
            for name in KINDS:
                f = fam_of_kind[name]
                per_family[f] = per_family.get(f, 0) + counts[(name, True)]
            for f, c in per_family.items():
                fams += c >= min_per
            edge = fams >= min_fam
            g = csr_matrix((np.ones(edge.sum()), (iu[0][edge], iu[1][edge])), shape=(n_r, n_r))
            n_comp, comp = connected_components(g, directed=False)
            mixed = sum(1 for c in range(n_comp) if len(set(op[comp == c].tolist())) > 1)
            cross_edges = int((edge & ~s).sum())
            print(f"  F>={min_fam} M>={min_per}: groups {n_comp}, mixed groups {mixed}, "
                  f"cross-operator pair edges {cross_edges}, same-operator pair edges {int((edge & s).sum())}")


if __name__ == "__main__":
    main()
