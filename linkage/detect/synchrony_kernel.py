"""Synchrony's steps 3–4 counted by compiled passes (numba): shared buckets and their chance.

The reference (`synchrony._pairs_in_buckets`) orders each bucket's accounts by a stable
hash and pairs every row with its next `max_group` − 1; `c` = buckets a pair shares. At the
public case's full scale that is ~375 M pair rows among ~65,000 accounts, of which under
a million pairs reach `min_shared`. Materialising them takes gigabytes; gathering them in
numpy passes costs a cache miss per pair row (141 s). Here instead:

1. accounts are numbered by their hash rank (the reference's order within a bucket) and
   rows put in bucket order by a counting sort on the bucket, then each (small) bucket by
   rank: the reference's order, without a 3-key lexsort;
2. so a row's partners of higher number are exactly the next `reach` positions of its
   bucket: each account `a` walks the windows after its own rows (contiguous memory) and
   counts its partners in a dense counter (256 KiB at full scale: it stays in cache),
   noting each partner once; the partners noted are then tested against `min_shared`
   and their counters cleared. Every pair
   row of the reference is counted once, from its lower-ranked account, so `c` is the same
   integer; the pairs are then named (a < b by id) and sorted;
3. the expected shared buckets E = Σ_h n_a(h)·n_b(h) / buckets_per_hour are integer sums
   divided once, so they are the same doubles the reference's float64 einsum gives (every
   partial sum is an integer far below 2^53: exact in any order).

Accounts are split into contiguous ranges of about equal work counted by threads (the
kernels release the GIL); the ranges' outputs are concatenated in account order, so the
result does not depend on the number of threads.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

from linkage.detect.buckets import bucket_starts, sort_small

_MIX = np.uint64(0x9E3779B97F4A7C15)  # the reference's hash order (see `synchrony._pairs_in_buckets`)


def hash_rank(accounts: np.ndarray) -> np.ndarray:
    """Rank of each (sorted, unique) account in the reference's within-bucket order (hash, then id)."""
    mix = (accounts.astype(np.uint64) * _MIX) >> np.uint64(17)
    order = np.lexsort((accounts, mix))
    rank = np.empty(len(accounts), np.int64)
    rank[order] = np.arange(len(accounts))
    return rank


@njit(cache=True, nogil=True)
def _bucket_order(local: np.ndarray, bucket: np.ndarray, n_buckets: int, rank: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hash rank of the account per position, bucket per position, first position of each bucket + end).

    `bucket` holds 0-based dense bucket numbers; positions follow (bucket, hash rank)."""
    rows = len(local)
    start = np.zeros(n_buckets + 1, np.int64)
    for i in range(rows):
        start[bucket[i] + 1] += 1
    for b in range(n_buckets):
        start[b + 1] += start[b]
    fill = start[:-1].copy()
    key = np.empty(rows, np.int64)
    for i in range(rows):
        b = bucket[i]
        key[fill[b]] = rank[local[i]]
        fill[b] += 1
    at = np.empty(rows, np.int32)
    for b in range(n_buckets):
        s, e = start[b], start[b + 1]
        sort_small(key, s, e)
        for q in range(s, e):
            at[q] = b
    return key.astype(np.int32), at, start


@njit(cache=True, nogil=True)
def _windows_by_account(loc: np.ndarray, at: np.ndarray, start: np.ndarray, reach: int, m: int
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per account (CSR `first`), the positions [lo, hi) after each of its rows that it pairs with.

    Accounts are numbered by hash rank, the order within a bucket, so a row's partners of
    higher number are exactly the next `reach` positions of its bucket: each pair row of the
    reference is one (row, later position). Precomputed so that the counting walks read
    them sequentially: the only scattered reads left are the neighbourhoods themselves."""
    first = bucket_starts(loc, m)
    fill = first[:-1].copy()
    w_lo = np.empty(len(loc), np.int32)
    w_hi = np.empty(len(loc), np.int32)
    for q in range(len(loc)):
        a = loc[q]
        b = at[q]
        w_lo[fill[a]] = q + 1
        w_hi[fill[a]] = min(start[b + 1], q + reach + 1)
        fill[a] += 1
    return first, w_lo, w_hi


@njit(cache=True, nogil=True)
def _count_pairs(lo: int, hi: int, loc: np.ndarray, first: np.ndarray, w_lo: np.ndarray, w_hi: np.ndarray,
                 min_shared: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (a, b), lo <= a < hi, a < b (hash ranks), sharing >= min_shared buckets.

    One walk over each account's windows (all partners there rank higher) increments the
    counters and notes each partner the first time it is met (branch-free: the slot is
    written always, the cursor only moves on a zero count); the partners noted are then
    tested and their counters cleared, so the windows (scattered rows: cache misses) are
    read once, not twice."""
    count = np.zeros(m, np.int32)
    met = np.empty(m, np.int32)
    cap = 1 << 16
    out_a = np.empty(cap, np.int32)
    out_b = np.empty(cap, np.int32)
    out_c = np.empty(cap, np.int32)
    k = 0
    for a in range(lo, hi):
        n_met = 0
        for j in range(first[a], first[a + 1]):
            for q in range(w_lo[j], w_hi[j]):
                c = loc[q]
                met[n_met] = c
                n_met += count[c] == 0
                count[c] += 1
        for i in range(n_met):
            c = met[i]
            if count[c] >= min_shared:
                if k == cap:
                    cap *= 2
                    out_a = _grow(out_a, cap)
                    out_b = _grow(out_b, cap)
                    out_c = _grow(out_c, cap)
                out_a[k] = a
                out_b[k] = c
                out_c[k] = count[c]
                k += 1
            count[c] = 0
    return out_a[:k].copy(), out_b[:k].copy(), out_c[:k].copy()


@njit(cache=True)
def _grow(x: np.ndarray, cap: int) -> np.ndarray:
    y = np.empty(cap, x.dtype)
    y[:len(x)] = x
    return y


def _ranges(work: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """Contiguous account ranges of about equal work."""
    cum = np.cumsum(work)
    total = cum[-1] if len(cum) else 0
    cuts = [0] + [int(np.searchsorted(cum, total * i / parts, "right")) for i in range(1, parts)] + [len(work)]
    return [(lo, hi) for lo, hi in zip(cuts[:-1], cuts[1:]) if hi > lo]


def dense_codes(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(x, return_inverse=True) for integers, by a presence table when their span is
    small next to their count (account codes, bucket numbers): linear instead of a sort."""
    lo, hi = int(x.min()), int(x.max())
    if hi - lo > 4 * len(x) + (1 << 20):
        values, codes = np.unique(x, return_inverse=True)
        return values, codes.astype(np.int64)
    present = np.zeros(hi - lo + 1, bool)
    present[x - lo] = True
    values = np.flatnonzero(present)
    code = np.cumsum(present) - 1
    return values + lo, code[x - lo]


def threads() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def shared_buckets(acc: np.ndarray, bucket: np.ndarray, max_group: int, min_shared: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, shared), sorted by (a, b), a < b: pairs the reference yields in >= min_shared buckets.

    acc, bucket: unique (account, bucket) rows, in any order."""
    z = np.zeros(0, np.int64)
    if len(acc) == 0:
        return z, z, z
    accounts, local = dense_codes(acc)
    m = len(accounts)
    buckets, dense = dense_codes(bucket)
    rank = hash_rank(accounts)
    by_rank = np.empty(m, np.int64)
    by_rank[rank] = np.arange(m)  # hash rank -> position in `accounts` (ascending ids)
    loc, at, start = _bucket_order(local, dense, len(buckets), rank)
    reach = min(max(1, max_group - 1), int(np.diff(start).max()) - 1)
    if reach < 1:
        return z, z, z
    first, w_lo, w_hi = _windows_by_account(loc, at, start, reach, m)
    del at
    work = np.add.reduceat((w_hi - w_lo).astype(np.int64), first[:-1]) if m else np.zeros(0)
    parts = _ranges(work, threads() * 4)
    with ThreadPoolExecutor(threads()) as pool:
        outs = list(pool.map(lambda r: _count_pairs(r[0], r[1], loc, first, w_lo, w_hi, min_shared, m), parts))
    x = by_rank[np.concatenate([o[0] for o in outs])]
    y = by_rank[np.concatenate([o[1] for o in outs])]
    c = np.concatenate([o[2] for o in outs])
    del outs
    lo, hi = np.minimum(x, y), np.maximum(x, y)
    order = np.argsort(lo * m + hi)  # pairs are unique: the order is total
    return accounts[lo[order]], accounts[hi[order]], c[order].astype(np.int64)


@njit(cache=True, nogil=True)
def _expected_sums(lo: int, hi: int, a: np.ndarray, b: np.ndarray, first: np.ndarray, hour: np.ndarray,
                   own: np.ndarray, hours: int) -> np.ndarray:
    """Σ_h n_a(h)·n_b(h) for pairs lo..hi (grouped by a), from CSR hour profiles per account."""
    dense = np.zeros(hours, np.int64)
    out = np.empty(hi - lo, np.int64)
    cur = -1
    for i in range(lo, hi):
        x = a[i]
        if x != cur:
            if cur >= 0:
                for j in range(first[cur], first[cur + 1]):
                    dense[hour[j]] = 0
            for j in range(first[x], first[x + 1]):
                dense[hour[j]] = own[j]
            cur = x
        y = b[i]
        s = 0
        for j in range(first[y], first[y + 1]):
            s += own[j] * dense[hour[j]]
        out[i - lo] = s
    return out


def expected(a: np.ndarray, b: np.ndarray, acc: np.ndarray, hour: np.ndarray, per_hour: float) -> np.ndarray:
    """E[shared buckets] of each pair (a, b) from the rows' (account, hour): see module doc, 3."""
    if len(a) == 0:
        return np.zeros(0)
    accounts, local = dense_codes(acc)
    hours, h = dense_codes(hour)
    ra, rb = np.searchsorted(accounts, a), np.searchsorted(accounts, b)
    bounds = _ranges(np.ones(len(a)), threads())
    key = local * len(hours) + h  # sparse profiles: (account, hour) runs
    if len(key) > 1 and not (key[1:] >= key[:-1]).all():  # the first pass gives rows by (account, bucket)
        key = np.sort(key)
    run = np.r_[True, key[1:] != key[:-1]]
    own = np.diff(np.r_[np.flatnonzero(run), len(key)]).astype(np.int32)
    key = key[run]
    first = np.searchsorted(key // len(hours), np.arange(len(accounts) + 1))
    prof_hour = (key % len(hours)).astype(np.int32)
    with ThreadPoolExecutor(threads()) as pool:
        outs = list(pool.map(lambda r: _expected_sums(r[0], r[1], ra, rb, first, prof_hour, own, len(hours)),
                             bounds))
    return np.concatenate(outs).astype(np.float64) / per_hour
