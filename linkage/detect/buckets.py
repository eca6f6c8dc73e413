"""Bucket boundaries for a counting sort, shared by the compiled detection passes.

Detection groups tens of millions of rows by a small integer (artifact, account, bucket):
a counting sort does it in two sequential passes where a comparison sort would take
O(n log n) scattered ones. This is its first half, the one every such pass spells the same.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def bucket_starts(key: np.ndarray, n: int) -> np.ndarray:
    """start (length n + 1): the rows with key k go to positions start[k]..start[k+1] - 1.

    Every key must lie in 0..n-1."""
    start = np.zeros(n + 1, np.int64)
    for i in range(len(key)):
        start[key[i] + 1] += 1
    for k in range(n):
        start[k + 1] += start[k]
    return start
