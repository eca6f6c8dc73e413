"""Lockstep pairs (see `temporal.lockstep`) counted by compiled passes instead of a 3-key lexsort.

The reference orders the (group, account) rows by (group, hash of the account, account),
pairs each row with the next `neighbours` of its group and counts each pair's groups with
`np.unique` over the pair keys. Here:

1. groups (uint64 hash keys) get dense numbers in an open-addressing table, in order of
   first appearance (the order of groups never matters: only pairs within one do);
2. accounts are numbered by their rank in the reference's within-group order
   (`synchrony_kernel.hash_rank`), so a counting sort on the group and a small sort of
   each group on that rank (`synchrony_kernel._bucket_order`) give the reference's order;
3. pair keys (lo·n + hi)·2 + is_ip are emitted straight into one array, sorted once and
   counted by runs: the same sorted keys and counts as `np.unique(return_counts=True)`.

`is_ip` is a property of the group (its kind); a group's rows take it from the group key
together with it, so two groups of different kinds never merge (with the reference they
would only on a 64-bit hash collision).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from linkage.detect.synchrony_kernel import _bucket_order, hash_rank


@njit(cache=True, nogil=True)
def _dense_groups(group: np.ndarray, is_ip: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """(dense number per row, is_ip per number, numbers used) for the keys (group, is_ip)."""
    size = 1
    while size < 2 * len(group):
        size *= 2
    mask = np.uint64(size - 1)
    slot_key = np.zeros(size, np.uint64)
    slot_ip = np.zeros(size, np.bool_)
    slot_id = np.full(size, -1, np.int64)
    out = np.empty(len(group), np.int64)
    ip_of = np.empty(len(group), np.bool_)
    used = 0
    for i in range(len(group)):
        g, ip = group[i], is_ip[i]
        s = (g * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(20) & mask
        while slot_id[s] >= 0 and (slot_key[s] != g or slot_ip[s] != ip):
            s = (s + np.uint64(1)) & mask
        if slot_id[s] < 0:
            slot_key[s], slot_ip[s], slot_id[s] = g, ip, used
            ip_of[used] = ip
            used += 1
        out[i] = slot_id[s]
    return out, ip_of[:used].copy(), used


@njit(cache=True, nogil=True)
def _pair_keys(key: np.ndarray, at: np.ndarray, start: np.ndarray, by_rank: np.ndarray, ip_of: np.ndarray,
               neighbours: int, n: int) -> np.ndarray:
    """(lo·n + hi)·2 + is_ip for each row and each of its next `neighbours` in the group."""
    out = np.empty(len(key) * neighbours, np.int64)
    k = 0
    for q in range(len(key)):
        g = at[q]
        a = by_rank[key[q]]
        for r in range(q + 1, min(q + neighbours + 1, start[g + 1])):
            b = by_rank[key[r]]
            out[k] = (min(a, b) * n + max(a, b)) * 2 + ip_of[g]
            k += 1
    return out[:k]


@njit(cache=True, nogil=True)
def _runs(keys: np.ndarray, min_count: int) -> tuple[np.ndarray, np.ndarray]:
    """(distinct sorted keys, their counts) for the keys seen at least `min_count` times."""
    out_k = np.empty(len(keys), np.int64)
    out_c = np.empty(len(keys), np.int64)
    k = 0
    i = 0
    while i < len(keys):
        j = i + 1
        while j < len(keys) and keys[j] == keys[i]:
            j += 1
        if j - i >= min_count:
            out_k[k], out_c[k] = keys[i], j - i
            k += 1
        i = j
    return out_k[:k].copy(), out_c[:k].copy()


def lockstep_pairs(acc: np.ndarray, group: np.ndarray, is_ip: np.ndarray, n: int, neighbours: int,
                   min_windows: int) -> tuple[np.ndarray, np.ndarray]:
    """(pair keys (lo·n + hi)·2 + is_ip, groups per pair), sorted by key, for pairs in >= min_windows groups.

    acc: account codes 0..n-1 per row; group: uint64 group key per row; is_ip: bool per row."""
    z = np.zeros(0, np.int64)
    if len(acc) == 0:
        return z, z
    rank = hash_rank(np.arange(n, dtype=np.int64))
    by_rank = np.empty(n, np.int64)
    by_rank[rank] = np.arange(n)
    dense, ip_of, used = _dense_groups(group.astype(np.uint64), is_ip.astype(np.bool_))
    key, at, start = _bucket_order(acc.astype(np.int64), dense, used, rank)
    del dense
    keys = _pair_keys(key, at, start, by_rank, ip_of, max(1, neighbours), n)
    del key, at
    keys.sort()
    return _runs(keys, min_windows)
