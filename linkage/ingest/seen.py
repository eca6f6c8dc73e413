"""A set of 64-bit text hashes that answers "first time?" for a whole batch at once (compiled).

The prompt map streams every request's prompt and must handle each distinct
text once. A global `SELECT DISTINCT` over the raw text did that by holding (and
at full scale spilling) gigabytes of text; this set holds 8 bytes per distinct
prompt instead: open addressing with linear probing in one uint64 array, grown
by doubling at half load. Slot value 0 means empty, so the hash 0 is kept
aside in a flag.

Two texts with the same 64-bit hash count as one (the second takes the first's
map row); at 33 M distinct prompts the chance that any pair collides is ~3e-5,
and the map is keyed by that same hash anyway (the encoder joins on it).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_MIX = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True, nogil=True)
def _insert(table: np.ndarray, keys: np.ndarray, fresh: np.ndarray) -> int:
    """Insert `keys` (none 0) into `table`; fresh[i] = True where keys[i] was not there. Returns how many."""
    mask = np.uint64(len(table) - 1)
    added = 0
    for i in range(len(keys)):
        k = keys[i]
        slot = (k * _MIX) >> np.uint64(40) ^ k  # spread the bits: the low bits pick the slot
        slot &= mask
        while True:
            cur = table[slot]
            if cur == 0:
                table[slot] = k
                fresh[i] = True
                added += 1
                break
            if cur == k:
                fresh[i] = False
                break
            slot = (slot + np.uint64(1)) & mask
    return added


class SeenHashes:
    """The hashes seen so far; `first_time(batch)` marks the ones new to the set and adds them."""

    def __init__(self, capacity: int = 1 << 20) -> None:
        size = 1 << max(4, int(capacity - 1).bit_length())
        self._table = np.zeros(size, np.uint64)
        self._count = 0
        self._zero = False

    def __len__(self) -> int:
        return self._count + int(self._zero)

    def _grow(self, need: int) -> None:
        size = len(self._table)
        while 2 * need > size:
            size *= 2
        if size == len(self._table):
            return
        old = self._table[self._table != 0]
        self._table = np.zeros(size, np.uint64)
        _insert(self._table, old, np.empty(len(old), np.bool_))

    def first_time(self, hashes: np.ndarray) -> np.ndarray:
        """Boolean per hash: True for the first occurrence of a hash never seen before (in this
        batch or an earlier one)."""
        hashes = np.ascontiguousarray(hashes, dtype=np.uint64)
        self._grow(self._count + len(hashes))
        fresh = np.zeros(len(hashes), np.bool_)
        zero = hashes == 0
        if zero.any():
            if not self._zero:
                fresh[np.flatnonzero(zero)[0]] = True
                self._zero = True
            keep = ~zero
            sub = np.zeros(int(keep.sum()), np.bool_)
            self._count += _insert(self._table, hashes[keep], sub)
            fresh[keep] = sub
            return fresh
        self._count += _insert(self._table, hashes, fresh)
        return fresh
