"""The compiled passes of lockstep and of synchrony's first pass equal their numpy references.

`lockstep_kernel.lockstep_pairs` is checked against the lexsort-and-unique implementation it
replaced (kept here), and `synchrony_rows.first_pass` against `synchrony.candidates`, on
random rows with duplicates, large and singleton groups and unordered input.
"""

from __future__ import annotations

import numpy as np
import pytest

from linkage.detect.lockstep_kernel import lockstep_pairs
from linkage.detect.synchrony import SyncParams, candidates
from linkage.detect.synchrony_rows import first_pass


def lockstep_reference(acc: np.ndarray, group: np.ndarray, is_ip: np.ndarray, n: int, neighbours: int,
                       min_windows: int) -> tuple[np.ndarray, np.ndarray]:
    """The previous implementation of `temporal.lockstep`'s counting."""
    mix = (acc.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(17)
    order = np.lexsort((acc, mix, group))
    group, acc, is_ip = group[order], acc[order], is_ip[order]
    out_a, out_b, out_ip = [], [], []
    for off in range(1, max(1, neighbours) + 1):
        same = np.nonzero(group[:-off] == group[off:])[0]
        out_a.append(acc[same]); out_b.append(acc[same + off]); out_ip.append(is_ip[same])
    a, b, ip = np.concatenate(out_a), np.concatenate(out_b), np.concatenate(out_ip)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    uk, windows = np.unique((lo * n + hi) * 2 + ip, return_counts=True)
    keep = windows >= min_windows
    return uk[keep], windows[keep]


@pytest.mark.parametrize("seed", range(6))
def test_lockstep_pairs_equal_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, groups = int(rng.integers(5, 200)), int(rng.integers(1, 400))
    rows = []
    for g in np.unique(rng.integers(0, 2**64 - 1, groups, dtype=np.uint64)):  # hash-like keys
        size = int(rng.integers(1, 30))
        rows += [(a, g, g % 3 == 0) for a in rng.choice(n, min(size, n), replace=False)]
    rng.shuffle(rows)
    acc = np.array([r[0] for r in rows], np.int64)
    group = np.array([r[1] for r in rows], np.uint64)
    is_ip = np.array([r[2] for r in rows], bool)
    for neighbours, min_windows in ((3, 1), (1, 2), (5, 3)):
        got = lockstep_pairs(acc, group, is_ip, n, neighbours, min_windows)
        want = lockstep_reference(acc, group, is_ip, n, neighbours, min_windows)
        assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()


@pytest.mark.parametrize("seed", range(6))
def test_first_pass_equals_candidates(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = SyncParams(window=4.0, min_ticks=3, account_z=float(rng.choice([-1.0, 0.5, 2.0])), max_group=48,
                   min_shared=2, min_log10p=1.0, saturation_log10p=10.0, periodic_share=0.3)
    n = int(rng.integers(2, 60))
    rows = int(rng.integers(1, 3000))
    acc = rng.integers(0, n, rows)
    ts = 1_767_225_600 + rng.integers(0, 3 * 86_400, rows) * rng.choice([0.5, 1.0, 4.0])
    ts[: rows // 4] = ts[0] + rng.random(rows // 4) * 20  # a burst: shared buckets, duplicates
    bucket = np.floor(ts / p.window).astype(np.int64)
    base = int(bucket.min())
    got = first_pass(acc.astype(np.int32), (bucket - base).astype(np.int32), base, n, p)
    want = candidates(acc, ts, n, p)
    assert got.acc.tolist() == want.acc.tolist() and got.bucket.tolist() == want.bucket.tolist()
    assert got.any_ticks and len(got.acc) == len(want.acc)
