"""Bucket boundaries for a counting sort, and the sort of one small bucket, shared by the
compiled detection passes.

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


@njit(cache=True, nogil=True)
def sort_small(x: np.ndarray, s: int, e: int) -> None:
    """Sort x[s:e] in place: insertion sort for the few rows of a typical bucket (np.sort's
    call and copy cost more than the sort there), np.sort for the rest."""
    if e - s > 24:
        x[s:e] = np.sort(x[s:e])
        return
    for i in range(s + 1, e):
        v = x[i]
        j = i - 1
        while j >= s and x[j] > v:
            x[j + 1] = x[j]
            j -= 1
        x[j + 1] = v
