"""Similarity's candidate pairs and their per-family sums by compiled passes (numba).

The numpy formulation (kept as the reference in tests/test_detect_similarity.py) sorts the
usable links with a 3-key lexsort, then sorts ~90 M (pair, family) keys at full scale and
pivots them with `np.unique(return_inverse=True)`: minutes, and gigabytes of keys. Here:

1. `artifact_runs`: a counting sort on the artifact moves the usable links' (first use,
   account) into their artifact's run, then each run is sorted by (first use, account):
   the lexsort's order (links tied on all three are the same account: no order to keep);
2. `artifact_pair_rows`: each run pairs every account with its next `reach` accounts;
3. `count_rows` / `fill_rows`: every (a, b, family, weight) row is put under its lower
   account (a CSR by account, stable), and `pair_sums` walks one account's rows at a time,
   summing per (partner, family) in a small dense buffer, partners then emitted in order:
   the same pairs in the same (a, b) order as sorting the keys.

Float sums: each (pair, family) sums float32 weights in float64, in the input's order,
where the reference summed them in the order its (unstable) argsort left them. Every
weight is a float32 in [0, 1]; all partial sums of k of them are multiples of the smallest
one's float32 ulp u and below k, so they are exact in float64 whenever k·2^-53 < u, i.e.
while the smallest weight of a group exceeds k·2^-30 (≈1e-9·k; the smallest nonzero weights
are specificities of ~0.01 and lockstep and synchrony weights of ~0.1). Exact sums do not
depend on the order: the capped sums rounded to float32 are the reference's, to the bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _sort_run(fs: np.ndarray, acc: np.ndarray) -> None:
    """Sort one artifact's (first use, account) rows in place, stably."""
    n = len(fs)
    if n <= 24:  # most runs are small: insertion sort, no allocation
        for i in range(1, n):
            f, a = fs[i], acc[i]
            j = i - 1
            while j >= 0 and (f < fs[j] or (f == fs[j] and a < acc[j])):
                fs[j + 1], acc[j + 1] = fs[j], acc[j]
                j -= 1
            fs[j + 1], acc[j + 1] = f, a
        return
    # lexsort's way: stable by the minor key, then stable by the major one
    by_acc = np.argsort(acc, kind="mergesort")
    fs2, acc2 = fs[by_acc], acc[by_acc]
    by_fs = np.argsort(fs2, kind="mergesort")
    fs[:] = fs2[by_fs]
    acc[:] = acc2[by_fs]


@njit(cache=True, nogil=True)
def artifact_runs(art: np.ndarray, fs: np.ndarray, acc: np.ndarray, usable: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(account per position, first position of each artifact + end) of the usable links.

    Positions follow (artifact, first use, account): np.lexsort((acc, fs, art)) (links tied on
    all three name the same account, so their order cannot show). Each link's first use and
    account are moved to their artifact's run first: the sorts then read contiguous memory."""
    n_art = len(usable)
    start = np.zeros(n_art + 1, np.int64)
    for i in range(len(art)):
        if usable[art[i]]:
            start[art[i] + 1] += 1
    for k in range(n_art):
        start[k + 1] += start[k]
    fill = start[:-1].copy()
    run_fs = np.empty(start[n_art], fs.dtype)
    run_acc = np.empty(start[n_art], np.int32)
    for i in range(len(art)):
        k = art[i]
        if usable[k]:
            run_fs[fill[k]] = fs[i]
            run_acc[fill[k]] = acc[i]
            fill[k] += 1
    for k in range(n_art):
        if start[k + 1] - start[k] > 1:
            _sort_run(run_fs[start[k]:start[k + 1]], run_acc[start[k]:start[k + 1]])
    return run_acc, start


@njit(cache=True, nogil=True)
def artifact_pair_rows(acc: np.ndarray, start: np.ndarray, reach: np.ndarray, family: np.ndarray,
                       value: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, family, weight) for each position and the next `reach[artifact]` of its artifact's run."""
    total = 0
    for k in range(len(start) - 1):
        n, r = start[k + 1] - start[k], reach[k]
        if n > 1 and r > 0:
            r = min(r, n - 1)
            total += r * (n - r) + r * (r - 1) // 2  # n - r positions reach r, the last r fewer
    a = np.empty(total, np.int32)
    b = np.empty(total, np.int32)
    fam = np.empty(total, np.int8)
    w = np.empty(total, np.float32)
    at = 0
    for k in range(len(start) - 1):
        s, e = start[k], start[k + 1]
        if e - s < 2 or reach[k] <= 0:
            continue
        for i in range(s, e - 1):
            for j in range(i + 1, min(e, i + 1 + reach[k])):
                a[at] = acc[i]
                b[at] = acc[j]
                fam[at] = family[k]
                w[at] = value[k]
                at += 1
    return a, b, fam, w


@njit(cache=True, nogil=True)
def count_rows(a: np.ndarray, b: np.ndarray, count: np.ndarray) -> None:
    """count[min(a, b)] += 1 per row with a != b (rows of one account with itself are no pair)."""
    for i in range(len(a)):
        if a[i] != b[i]:
            count[min(a[i], b[i])] += 1


@njit(cache=True, nogil=True)
def fill_rows(a: np.ndarray, b: np.ndarray, fam: np.ndarray, w: np.ndarray, cursor: np.ndarray,
              hi: np.ndarray, fam_out: np.ndarray, w_out: np.ndarray) -> None:
    """Put each row (a != b) at its lower account's cursor: partner, family, weight."""
    for i in range(len(a)):
        if a[i] != b[i]:
            lo = min(a[i], b[i])
            at = cursor[lo]
            hi[at] = max(a[i], b[i])
            fam_out[at] = fam[i]
            w_out[at] = w[i]
            cursor[lo] = at + 1


@njit(cache=True, nogil=True)
def pair_sums(ptr: np.ndarray, hi: np.ndarray, fam: np.ndarray, w: np.ndarray, lo0: int, lo1: int,
              n_families: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, min(1, sum of weights) per family as float32) of the pairs a in [lo0, lo1), by (a, b).

    Rows of account a are hi/fam/w[ptr[a]:ptr[a + 1]]; sums are float64 in row order."""
    n = len(ptr) - 1
    seen = np.full(n, -1, np.int64)  # the account whose row last named this partner
    pairs, widest = 0, 0
    for lo in range(lo0, lo1):
        k = 0
        for e in range(ptr[lo], ptr[lo + 1]):
            if seen[hi[e]] != lo:
                seen[hi[e]] = lo
                k += 1
        pairs += k
        widest = max(widest, k)
    out_a = np.empty(pairs, np.int64)
    out_b = np.empty(pairs, np.int64)
    mat = np.zeros((pairs, n_families), np.float32)
    slot = np.zeros(n, np.int64)  # partner -> its place among the current account's partners
    partner = np.empty(widest, np.int64)
    sums = np.zeros(widest * n_families, np.float64)
    row = 0
    for lo in range(lo0, lo1):
        k = 0
        for e in range(ptr[lo], ptr[lo + 1]):
            h = hi[e]
            if seen[h] != -2 - lo:  # (-2 - lo: seen again by this second walk)
                seen[h] = -2 - lo
                slot[h] = k
                partner[k] = h
                k += 1
            sums[slot[h] * n_families + fam[e]] += w[e]
        by_b = np.argsort(partner[:k])
        for r in range(k):
            u = by_b[r]
            out_a[row] = lo
            out_b[row] = partner[u]
            for f in range(n_families):
                mat[row, f] = np.float32(min(1.0, sums[u * n_families + f]))
                sums[u * n_families + f] = 0.0
            row += 1
    return out_a, out_b, mat
