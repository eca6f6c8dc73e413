"""Synchrony's first pass (steps 1–2 of `synchrony.py`) over integer tick rows, in compiled passes.

The engine hands over one (account code, bucket offset) row per tick: about one row per
request (36 M at the public case's full scale). De-duplicating them in a SQL hash
aggregate costs a hash-table probe per row (nearly every row is its own group); here
instead rows are put in account order by a counting sort on the dense account code and
each account's (small) run is sorted and de-duplicated in place, which yields the
unique (account, bucket) rows already in the order the later steps read them.

Equal to the numpy reference (`synchrony.candidates`) by construction:
- hour and minute numbers are the reference's IEEE double operations (bucket × window ÷
  3600 or ÷ 60, then floor), done on the same float64 bucket numbers;
- every count is an exact integer (bucket-mates, buckets, Σ own·(n_h − own), the busiest
  minute), and the decisions are the shared `tested_accounts` and `on_the_clock`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from linkage.detect.buckets import bucket_starts, sort_small
from linkage.detect.synchrony import Candidates, SyncParams, on_the_clock, tested_accounts


@njit(cache=True, nogil=True)
def _unique_rows(acc: np.ndarray, rel: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(first row of each account + end, bucket offsets sorted per account and de-duplicated, rows kept).

    `first` indexes the compacted rows: account a owns rows first[a]..first[a+1]."""
    first = bucket_starts(acc, n)
    fill = first[:-1].copy()
    out = np.empty(len(acc), np.int32)
    for i in range(len(acc)):
        a = acc[i]
        out[fill[a]] = rel[i]
        fill[a] += 1
    k = 0  # compaction cursor: never ahead of the read position
    for a in range(n):
        s, e = first[a], first[a + 1]
        first[a] = k
        sort_small(out, s, e)
        for q in range(s, e):
            if q == s or out[q] != out[q - 1]:
                out[k] = out[q]
                k += 1
    first[n] = k
    return first, out, k


@njit(cache=True, nogil=True)
def _hours(rel: np.ndarray, base: int, window: float, per: float) -> np.ndarray:
    """floor((base + rel) × window ÷ per) per row: the reference's hour (per=3600) or minute (per=60)."""
    out = np.empty(len(rel), np.int64)
    for i in range(len(rel)):
        out[i] = np.int64(np.floor(np.float64(base + rel[i]) * window / per))
    return out


@njit(cache=True, nogil=True)
def _rates(first: np.ndarray, rel: np.ndarray, hour: np.ndarray, span: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ticks, mates, chance) per account as `tested_accounts` reads them; rows in (account, bucket) order.

    mates = Σ (k_b − 1) over the account's buckets; chance = Σ over its rows of
    max(n_h − own, 0), n_h the hour's rows, own the account's rows in that hour."""
    n = len(first) - 1
    k = np.zeros(span, np.int64)
    for i in range(len(rel)):
        k[rel[i]] += 1
    h0 = hour.min() if len(hour) else 0
    n_h = np.zeros((hour.max() - h0 + 1) if len(hour) else 1, np.int64)
    for i in range(len(hour)):
        n_h[hour[i] - h0] += 1
    ticks = np.zeros(n, np.int64)
    mates = np.zeros(n, np.int64)
    chance = np.zeros(n, np.int64)
    for a in range(n):
        s, e = first[a], first[a + 1]
        ticks[a] = e - s
        m = 0
        c = 0
        q = s
        while q < e:  # runs of one hour: buckets are sorted, so hours are too
            r = q
            while r < e and hour[r] == hour[q]:
                m += k[rel[r]] - 1
                r += 1
            own = r - q
            c += own * max(n_h[hour[q] - h0] - own, 0)
            q = r
        mates[a] = m
        chance[a] = c
    return ticks, mates, chance


@njit(cache=True, nogil=True)
def _top_minute(first: np.ndarray, minute: np.ndarray, tested: np.ndarray) -> np.ndarray:
    """Rows in each tested account's busiest minute of the hour (0 for the others)."""
    n = len(first) - 1
    top = np.zeros(n, np.int64)
    count = np.zeros(60, np.int64)
    for a in range(n):
        if not tested[a]:
            continue
        count[:] = 0
        for q in range(first[a], first[a + 1]):
            count[minute[q] % 60] += 1
        top[a] = count.max()
    return top


@njit(cache=True, nogil=True)
def _kept_rows(first: np.ndarray, rel: np.ndarray, keep: np.ndarray, base: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """(account code, bucket number) of the kept accounts' rows, in (account, bucket) order."""
    total = 0
    for a in range(len(keep)):
        if keep[a]:
            total += first[a + 1] - first[a]
    acc = np.empty(total, np.int64)
    bucket = np.empty(total, np.int64)
    k = 0
    for a in range(len(keep)):
        if keep[a]:
            for q in range(first[a], first[a + 1]):
                acc[k] = a
                bucket[k] = base + rel[q]
                k += 1
    return acc, bucket


def first_pass(acc: np.ndarray, rel: np.ndarray, base: int, n: int, p: SyncParams) -> Candidates:
    """`synchrony.candidates` from tick rows as (account code, bucket − base), buckets = floor(seconds / window).

    acc: codes 0..n-1 (any integer type); rel: int32 offsets >= 0, any order, duplicates allowed."""
    if len(acc) == 0:
        return Candidates(np.zeros(0, np.int64), np.zeros(0, np.int64), any_ticks=False)
    first, rows, k = _unique_rows(acc, rel, n)
    rows = rows[:k]
    hour = _hours(rows, base, float(p.window), 3600.0)
    ticks, mates, chance = _rates(first, rows, hour, int(rows.max()) + 1)
    del hour
    keep = tested_accounts(ticks, mates, chance.astype(np.float64), p)
    if keep.any():
        top = _top_minute(first, _hours(rows, base, float(p.window), 60.0), keep)
        keep &= ~on_the_clock(top, ticks, p)
    found, bucket = _kept_rows(first, rows, keep, base)
    return Candidates(found, bucket, any_ticks=True)
