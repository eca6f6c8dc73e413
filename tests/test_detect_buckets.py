"""Counting-sort bucket boundaries against a direct count (collections.Counter)."""

from collections import Counter

import numpy as np
import pytest

from linkage.detect.buckets import bucket_starts


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
