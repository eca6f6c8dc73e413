"""Counting-sort bucket boundaries and small-bucket sorts against direct references (Counter, sorted)."""

from collections import Counter

import numpy as np
import pytest

from linkage.detect.buckets import bucket_starts, sort_small


@pytest.mark.parametrize("n_rows,n_keys", [(0, 0), (0, 3), (1, 1), (50, 7), (1000, 1)])
def test_each_bucket_spans_exactly_its_keys_rows(n_rows: int, n_keys: int) -> None:
    rng = np.random.default_rng(n_rows + n_keys)
    key = rng.integers(0, max(n_keys, 1), n_rows).astype(np.int64)
    start = bucket_starts(key, n_keys)
    counts = Counter(key.tolist())
    assert len(start) == n_keys + 1 and start[0] == 0 and start[-1] == n_rows
    assert [int(start[k + 1] - start[k]) for k in range(n_keys)] == [counts.get(k, 0) for k in range(n_keys)]


def test_a_bucket_nobody_uses_is_empty_and_keeps_its_neighbours_apart() -> None:
    start = bucket_starts(np.array([2, 0, 2, 2], np.int32), 4)
    assert start.tolist() == [0, 1, 1, 4, 4]


@pytest.mark.parametrize("length", [0, 1, 5, 24, 25, 200])
def test_sort_small_sorts_only_its_slice(length: int) -> None:
    x = np.random.default_rng(length).integers(-50, 50, length + 6).astype(np.int64)
    before = x.copy()
    sort_small(x, 3, 3 + length)
    assert x[3:3 + length].tolist() == sorted(before[3:3 + length].tolist())
    assert x[:3].tolist() == before[:3].tolist() and x[3 + length:].tolist() == before[3 + length:].tolist()
