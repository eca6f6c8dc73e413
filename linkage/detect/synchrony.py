"""Coordination without shared content: accounts whose requests keep landing in the same seconds.

SynchroTrap's idea, made near-linear and tested against chance. A job runner that fans
each job out over a head's accounts makes 10–40 of them fire within seconds, thousands
of times, whatever they send and whichever exit they use. Ordinary users who work the
same hours (an enterprise team, CGNAT neighbours) share *hours*, not *seconds*.

From the `tick` aggregate (requests per account per second):
1. Time is cut into `window` buckets; `k_b` is how many accounts are active in bucket b,
   `mu_h` the mean over the buckets of its hour (a busy hour raises it).
2. Per account, the bucket-mates it saw beyond what its hours give by chance:
   z = (Σ (k_b − 1) − Σ (mu_h − own share)) / sqrt(expected + 1). Only accounts with
   `min_ticks` active buckets and z ≥ `account_z` go on: a linear filter, so that pair
   generation never touches the crowd. Accounts that run on the clock (a share
   `periodic_share` of their buckets in one minute of the hour: cron jobs) are left out:
   two jobs scheduled for the same minute meet every hour by construction.
3. Candidate pairs: accounts of that set in one bucket (each paired with its next
   `max_group` − 1 in a stable hash order, so a huge bucket yields n·max_group pairs,
   never n²); `c` = buckets a pair shares.
4. Chance: each account's active buckets per hour, n_a(h), give the expected shared
   buckets E = Σ_h n_a(h)·n_b(h) / buckets_per_hour (two people who work the same
   office hours have a large E). A pair is kept when c ≥ `min_shared` and the Poisson
   tail P(X ≥ c | E) ≤ 10^−`min_log10p`; its weight is that surprise over
   `saturation_log10p`, capped at 1.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.stats import poisson

from linkage.detect.inputs import epoch_seconds
from linkage.detect.synchrony_kernel import expected as expected_shared
from linkage.detect.synchrony_kernel import shared_buckets
from linkage.store.base import GraphStore

log = logging.getLogger("linkage.detect")

HOUR = 3600.0


@dataclass(frozen=True)
class SyncParams:
    window: float  # seconds per bucket
    min_ticks: int
    account_z: float
    max_group: int
    min_shared: int
    min_log10p: float
    saturation_log10p: float
    periodic_share: float = 0.3


@dataclass
class SyncPairs:
    """Pairs (a < b) acting together in time beyond chance, with their evidence."""

    a: np.ndarray
    b: np.ndarray
    shared: np.ndarray  # buckets the pair shares
    expected: np.ndarray  # buckets it would share by chance
    weight: np.ndarray  # float32 in (0, 1]

    @staticmethod
    def empty() -> "SyncPairs":
        z = np.zeros(0, np.int64)
        return SyncPairs(z, z, z, np.zeros(0), np.zeros(0, np.float32))


@dataclass
class Candidates:
    """Synchrony's first pass: the unique (account, bucket) rows of the accounts worth pairing.

    `any_ticks` is False when there were no tick rows at all (no evidence either way).
    """

    acc: np.ndarray  # int64 account codes
    bucket: np.ndarray  # int64 bucket numbers (floor(seconds / window))
    any_ticks: bool


def read_ticks(store: GraphStore, index: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """(account code, epoch seconds) per tick row; accounts unknown to `index` are left out."""
    try:
        tbl = store.read_table("tick", ["account_id", "tick_start"])
    except Exception:  # a store ingested before the tick table existed: no synchrony evidence
        return np.zeros(0, np.int64), np.zeros(0)
    if tbl.num_rows == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    ids = pa.array(list(index.keys()), pa.string())
    pos = pc.index_in(tbl["account_id"], value_set=ids)
    ok = pc.is_valid(pos).to_numpy(zero_copy_only=False)
    codes = np.array(list(index.values()), np.int64)
    acc = codes[pc.fill_null(pos, 0).to_numpy()[ok]]
    return acc, epoch_seconds(tbl["tick_start"])[ok]


def buckets_per_hour(p: SyncParams) -> float:
    return HOUR / p.window


def tested_accounts(ticks: np.ndarray, mates: np.ndarray, chance: np.ndarray, p: SyncParams) -> np.ndarray:
    """Step 2's test per account, from exact integer counts (so every engine decides alike).

    ticks: active buckets; mates: Σ (k_b − 1) over them; chance: Σ over the account's hours of
    own·max(n_h − own, 0), i.e. the bucket-mates its hours give by chance times buckets per hour.
    """
    exp = chance / buckets_per_hour(p)
    z = (mates - exp) / np.sqrt(exp + 1.0)
    return (ticks >= p.min_ticks) & (z >= p.account_z)


def on_the_clock(top_minute: np.ndarray, ticks: np.ndarray, p: SyncParams) -> np.ndarray:
    """Does an account run on the clock (a share `periodic_share` of its buckets in one minute of the hour)?

    Two cron jobs set to the same minute meet every hour without knowing of each other;
    the clock, not a common operator, puts them together, so they are not tested.
    """
    return top_minute >= p.periodic_share * np.maximum(ticks, 1)


def _rates(acc: np.ndarray, bucket: np.ndarray, hour: np.ndarray, n: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ticks, mates, chance) per account, as `tested_accounts` reads them (step 2).

    Rows are unique (account, bucket) pairs sorted by account then bucket, so counts are
    bincounts over offsets and runs, never another sort.
    """
    k = np.bincount(bucket - bucket.min())[bucket - bucket.min()]  # accounts in each row's bucket
    h0 = hour - hour.min()
    per_hour_rows = np.bincount(h0)[h0]  # active (account, bucket) rows in the row's hour
    run_start = np.r_[True, (acc[1:] != acc[:-1]) | (hour[1:] != hour[:-1])]
    run_id = np.cumsum(run_start) - 1
    own = np.bincount(run_id)[run_id]  # the account's own buckets in that hour
    mates = np.bincount(acc, weights=(k - 1).astype(float), minlength=n)
    # one row per bucket of the hour: Σ over rows of (n_h − own) = Σ over hours of own·(n_h − own)
    chance = np.bincount(acc, weights=np.maximum(per_hour_rows - own, 0).astype(float), minlength=n)
    return np.bincount(acc, minlength=n), mates, chance


def _top_minute(acc: np.ndarray, bucket: np.ndarray, p: SyncParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(accounts, rows in their busiest minute of the hour, rows) for the accounts in `acc`."""
    minute = (np.floor(bucket * p.window / 60.0).astype(np.int64)) % 60
    ua, inv = np.unique(acc, return_inverse=True)
    per_minute = np.bincount(inv * 60 + minute, minlength=len(ua) * 60).reshape(len(ua), 60)
    return ua, per_minute.max(axis=1), per_minute.sum(axis=1)


def candidates(acc: np.ndarray, ts: np.ndarray, n: int, p: SyncParams) -> Candidates:
    """Steps 1–2 in numpy, from tick rows (account code, epoch seconds): the reference that
    the engine's own first pass (`GraphStore.synchrony_candidates`) must equal."""
    if len(acc) == 0:
        return Candidates(np.zeros(0, np.int64), np.zeros(0, np.int64), any_ticks=False)
    bucket = np.floor(ts / p.window).astype(np.int64)
    span = int(bucket.max() - bucket.min()) + 1
    key = np.sort(acc * span + (bucket - bucket.min()))  # sort + diff: far faster than np.unique's hash
    key = key[np.r_[True, key[1:] != key[:-1]]]
    acc, bucket = key // span, key % span + bucket.min()
    hour = np.floor(bucket * p.window / HOUR).astype(np.int64)
    keep = tested_accounts(*_rates(acc, bucket, hour, n), p)
    rows = keep[acc]
    if rows.any():
        ua, top, ticks = _top_minute(acc[rows], bucket[rows], p)
        keep[ua[on_the_clock(top, ticks, p)]] = False
    rows = keep[acc]
    return Candidates(acc[rows], bucket[rows], any_ticks=True)


def _pairs_in_buckets(acc: np.ndarray, bucket: np.ndarray, max_group: int) -> tuple[np.ndarray, np.ndarray]:
    """Accounts sharing a bucket, each with its next max_group-1 in a stable hash order.

    The reference for `synchrony_kernel.shared_buckets` (one row per pair and shared bucket:
    at full scale hundreds of millions, so detection counts them in compiled passes instead)."""
    mix = (acc.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(17)
    order = np.lexsort((acc, mix, bucket))
    bucket, acc = bucket[order], acc[order]
    out_a, out_b = [], []
    for off in range(1, max(2, max_group)):
        same = np.nonzero(bucket[:-off] == bucket[off:])[0]
        if len(same) == 0:
            break
        out_a.append(acc[same]); out_b.append(acc[same + off])
    if not out_a:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    a, b = np.concatenate(out_a), np.concatenate(out_b)
    return np.minimum(a, b), np.maximum(a, b)


def synchrony(acc: np.ndarray, ts: np.ndarray, n: int, p: SyncParams) -> SyncPairs | None:
    """Pairs in synchrony beyond chance (see module doc), from tick rows (account code, seconds).

    None when there are no tick rows at all (a store ingested before the tick table): no
    evidence either way, which scoring treats differently from "tested, none found".
    """
    return pairs_in_synchrony(candidates(acc, ts, n, p), n, p)


def synchrony_in_store(store: GraphStore, account_ids: np.ndarray, p: SyncParams) -> SyncPairs | None:
    """`synchrony` over the store's `tick` table; the first pass runs in the engine where it can."""
    found = store.synchrony_candidates(account_ids, p)
    if found is None:  # no engine-native pass: read the ticks into Python
        index = {a: i for i, a in enumerate(account_ids.tolist())}
        found = candidates(*read_ticks(store, index), len(account_ids), p)
    return pairs_in_synchrony(found, len(account_ids), p)


def pairs_in_synchrony(found: Candidates, n: int, p: SyncParams) -> SyncPairs | None:
    """Steps 3–4 on the first pass's rows: candidate pairs, then the test against chance."""
    if not found.any_ticks:
        return None
    acc, bucket = found.acc, found.bucket
    if len(acc) == 0:
        return SyncPairs.empty()
    hour = np.floor(bucket * p.window / HOUR).astype(np.int64)
    per_hour = buckets_per_hour(p)
    t = time.perf_counter()
    a, b, shared = shared_buckets(acc, bucket, p.max_group, p.min_shared)
    log.debug("synchrony: %d rows -> %d pairs sharing >= %d buckets in %.2fs", len(acc), len(a), p.min_shared,
              time.perf_counter() - t)
    t = time.perf_counter()
    expected = expected_shared(a, b, acc, hour, per_hour)
    log10p = -poisson.logsf(shared - 1, np.maximum(expected, 1e-9)) / np.log(10.0)
    sig = log10p >= p.min_log10p
    log.debug("synchrony: chance and test in %.2fs, %d pairs kept", time.perf_counter() - t, int(sig.sum()))
    weight = np.clip(log10p[sig] / p.saturation_log10p, 0.0, 1.0).astype(np.float32)
    return SyncPairs(a=a[sig], b=b[sig], shared=shared[sig], expected=expected[sig], weight=weight)
