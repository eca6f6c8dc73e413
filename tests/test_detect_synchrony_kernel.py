"""Synchrony's compiled pair counting equals every pair row materialised, and a brute force.

`synchrony_kernel.shared_buckets` never builds the reference's pair rows (at full scale
hundreds of millions); `synchrony_kernel.expected` sums hour profiles in compiled loops.
Both must give *exactly* what the definitions give: the same pairs in the same (a, b)
order, the same integer counts, the same doubles. The references here are the numpy
materialisation `synchrony._pairs_in_buckets` (the hash order that defines which
bucket-mates pair) and plain-Python loops over dicts for the chance term.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest

from linkage.detect import synchrony_kernel as kernel
from linkage.detect.synchrony import _pairs_in_buckets


def reference_shared(acc: np.ndarray, bucket: np.ndarray, max_group: int, min_shared: int):
    """Every pair row materialised, then counted."""
    a, b = _pairs_in_buckets(acc, bucket, max_group)
    n = int(acc.max()) + 1 if len(acc) else 1
    pair, shared = np.unique(a * n + b, return_counts=True)
    keep = shared >= min_shared
    return pair[keep] // n, pair[keep] % n, shared[keep]


def brute_expected(a: np.ndarray, b: np.ndarray, acc: np.ndarray, hour: np.ndarray, per_hour: float):
    """Σ_h n_a(h)·n_b(h) / per_hour, one dict lookup at a time."""
    profile: dict[int, Counter] = defaultdict(Counter)
    for x, h in zip(acc.tolist(), hour.tolist()):
        profile[x][h] += 1
    return np.array([sum(n * profile[y][h] for h, n in profile[x].items()) / per_hour
                     for x, y in zip(a.tolist(), b.tolist())])


def unique_rows(acc: np.ndarray, bucket: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows = np.unique(np.stack([acc, bucket], axis=1), axis=0)  # unique (account, bucket), as the first pass gives
    return rows[:, 0].copy(), rows[:, 1].copy()


def random_rows(seed: int, n: int, rows: int, buckets: int, first_bucket: int = 400_000_000):
    """Crowded buckets (up to ~rows/buckets accounts: beyond max_group) and four accounts that keep meeting."""
    rng = np.random.default_rng(seed)
    acc = np.concatenate([rng.integers(0, n, rows), np.tile([3, 17, n - 150, n - 1], 300)])
    bucket = np.concatenate([rng.integers(0, buckets, rows), np.repeat(np.arange(300) * 7, 4)]) + first_bucket
    return unique_rows(acc, bucket)


def assert_same(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == np.int64
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("seed, n, rows, buckets", [(1, 200, 20_000, 500), (2, 400, 20_000, 5_000),
                                                     (3, 3_000, 30_000, 40_000)])
@pytest.mark.parametrize("max_group", [1, 2, 5, 48])
def test_shared_buckets_equal_every_pair_row_counted(seed, n, rows, buckets, max_group):
    acc, bucket = random_rows(seed, n, rows, buckets)
    for min_shared in (1, 3, 5):
        want = reference_shared(acc, bucket, max_group, min_shared)
        assert len(want[0]) > 0
        assert_same(kernel.shared_buckets(acc, bucket, max_group, min_shared), want)


def test_row_order_threads_and_sparse_buckets_change_nothing(monkeypatch):
    acc, bucket = random_rows(4, 300, 15_000, 400)
    want = reference_shared(acc, bucket, 6, 2)
    shuffled = np.random.default_rng(0).permutation(len(acc))
    assert_same(kernel.shared_buckets(acc[shuffled], bucket[shuffled], 6, 2), want)
    monkeypatch.setattr(kernel, "threads", lambda: 1)
    assert_same(kernel.shared_buckets(acc, bucket, 6, 2), want)
    # buckets far apart (a span much larger than the rows: numbered by sorting, not by a table)
    wide = bucket * 1_000_003
    got = kernel.shared_buckets(acc, wide, 6, 2)
    assert_same(got, reference_shared(acc, wide, 6, 2))
    assert_same(got, want)


def test_edges_no_rows_one_row_lonely_accounts_one_huge_bucket():
    z = np.zeros(0, np.int64)
    assert_same(kernel.shared_buckets(z, z, 48, 1), (z, z, z))
    one = np.array([7]), np.array([100])
    assert_same(kernel.shared_buckets(*one, 48, 1), (z, z, z))
    alone = np.arange(50), np.arange(50)  # every account in a bucket of its own
    assert_same(kernel.shared_buckets(*alone, 48, 1), (z, z, z))
    # 500 accounts in each of 3 buckets: each is paired only with its next max_group - 1 in hash order
    acc, bucket = unique_rows(np.tile(np.arange(500) * 3 + 11, 3), np.repeat([5, 9, 12], 500))
    for max_group in (2, 48):
        got = kernel.shared_buckets(acc, bucket, max_group, 1)
        assert_same(got, reference_shared(acc, bucket, max_group, 1))
        assert len(got[0]) <= (max_group - 1) * 500 * 3 < 500 * 499 // 2
        assert (got[0] < got[1]).all()


def test_counts_are_buckets_shared_and_the_threshold_is_inclusive():
    # accounts 1 and 2 share 4 buckets; 1 and 3 share 3; 2 and 3 share 3
    acc = np.array([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2])
    bucket = np.array([10, 10, 10, 11, 11, 11, 12, 12, 12, 13, 13])
    assert_same(kernel.shared_buckets(acc, bucket, 48, 4), (np.array([1]), np.array([2]), np.array([4])))
    assert_same(kernel.shared_buckets(acc, bucket, 48, 3),
                (np.array([1, 1, 2]), np.array([2, 3, 3]), np.array([4, 3, 3])))
    assert_same(kernel.shared_buckets(acc, bucket, 48, 5), (np.zeros(0, np.int64),) * 3)


@pytest.mark.parametrize("seed", [1, 2])
def test_expected_equals_the_sum_over_hours_exactly(monkeypatch, seed):
    acc, bucket = random_rows(seed, 300, 20_000, 50_000)  # ~55 hours: each account misses some
    hour = np.floor(bucket * 4.0 / 3600.0).astype(np.int64)
    a, b, _ = kernel.shared_buckets(acc, bucket, 48, 1)
    want = brute_expected(a, b, acc, hour, 900.0)
    assert want.max() > 0
    np.testing.assert_array_equal(kernel.expected(a, b, acc, hour, 900.0), want)
    shuffled = np.random.default_rng(seed).permutation(len(acc))
    np.testing.assert_array_equal(kernel.expected(a, b, acc[shuffled], hour[shuffled], 900.0), want)
    monkeypatch.setattr(kernel, "threads", lambda: 1)
    np.testing.assert_array_equal(kernel.expected(a, b, acc, hour, 900.0), want)
    assert kernel.expected(a[:0], b[:0], acc, hour, 900.0).shape == (0,)
