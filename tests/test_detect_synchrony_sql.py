"""Synchrony's first pass in the store's SQL equals the numpy reference and a brute force.

The same tick rows go three ways: a pure-Python brute force written straight from the
definitions in `synchrony.py`'s docstring (dicts and loops, no vectorisation), the numpy
reference `candidates`, and DuckDB's `candidates_in_sql` over a real embedded store's
`tick` table. All three must pick the same accounts and rows, and the pairs found from
them must be the same. The data mixes what each rule decides on: a job runner (kept),
a crowd (dropped by the z test), cron accounts (dropped by the clock), accounts with too
few buckets, sub-second times, and tick rows of an account detection does not know.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter, defaultdict

import numpy as np
import pyarrow as pa
import pytest

from linkage.detect.synchrony import SyncParams, candidates, synchrony, synchrony_in_store
from linkage.detect.synchrony_sql import candidates_in_sql
from linkage.store.embedded import EmbeddedStore

DAY = 86_400
T0 = 1_767_225_600  # 2026-01-01
PARAMS = SyncParams(window=4.0, min_ticks=5, account_z=3.0, max_group=48, min_shared=5, min_log10p=8.0,
                    saturation_log10p=24.0, periodic_share=0.3)


def brute_force(rows: list[tuple[int, float]], known: set[int], p: SyncParams) -> dict[int, list[int]]:
    """Kept account -> its sorted buckets, from the definitions, one Python loop at a time."""
    per_hour = 3600.0 / p.window
    cells = {(a, math.floor(t / p.window)) for a, t in rows if a in known}
    in_bucket = Counter(b for _, b in cells)
    hour = {b: math.floor(b * p.window / 3600.0) for _, b in cells}
    in_hour = Counter(hour[b] for _, b in cells)
    own = Counter((a, hour[b]) for a, b in cells)
    buckets: dict[int, list[int]] = defaultdict(list)
    for a, b in cells:
        buckets[a].append(b)
    kept = {}
    for a, bs in buckets.items():
        mates = sum(in_bucket[b] - 1 for b in bs)
        expected = sum(max(in_hour[hour[b]] - own[(a, hour[b])], 0) for b in bs) / per_hour
        z = (mates - expected) / math.sqrt(expected + 1.0)
        if len(bs) < p.min_ticks or z < p.account_z:
            continue
        minutes = Counter(math.floor(b * p.window / 60.0) % 60 for b in bs)
        if max(minutes.values()) >= p.periodic_share * max(len(bs), 1):
            continue  # on the clock
        kept[a] = sorted(bs)
    return kept


def scenario(seed: int) -> list[tuple[int, float]]:
    """(account code, epoch seconds): a job runner 0-19, a crowd 20-219, cron jobs 220-221,
    a few quiet accounts 222-229, and account 230 that detection does not know."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[int, float]] = []
    for _ in range(300):  # the operator: each job fans out over 8 of 20 accounts within 3 s
        start = T0 + rng.random() * 14 * DAY
        rows += [(int(a), start + rng.random() * 3.0) for a in rng.choice(20, 8, replace=False)]
    for a in range(20, 220):  # ordinary users at random times, some of them office hours
        hours = np.arange(9, 17) if a % 3 == 0 else np.arange(24)
        k = int(rng.integers(3, 60))
        t = T0 + rng.integers(0, 14, k) * DAY + rng.choice(hours, k) * 3600 + rng.random(k) * 3600
        rows += [(a, float(x)) for x in t]
    for a in (220, 221):  # cron: minute 17 of every hour
        t = T0 + np.arange(24 * 14) * 3600 + 17 * 60 + rng.random(24 * 14) * 3
        rows += [(a, float(x)) for x in t]
    for a in range(222, 230):
        rows += [(a, T0 + float(x)) for x in rng.random(3) * DAY]
    rows += [(230, float(x)) for x in T0 + rng.random(400) * 14 * DAY]
    return rows


def store_with_ticks(rows: list[tuple[int, float]]) -> EmbeddedStore:
    store = EmbeddedStore(":memory:")
    us = np.array([round(t * 1e6) for _, t in rows], np.int64)
    tbl = pa.table({"account_id": pa.array([f"acct-{a:04d}" for a, _ in rows]),
                    "tick_start": pa.array(us, pa.timestamp("us", tz="UTC")),
                    "requests": pa.array(np.ones(len(rows), np.int64))})
    # the tick table holds one row per account and tick: sum duplicates as the ingest does
    store.con.register("_t", tbl)
    store.con.execute("INSERT INTO tick SELECT account_id, tick_start, sum(requests) FROM _t GROUP BY ALL")
    store.con.unregister("_t")
    return store


ACCOUNT_IDS = np.array([f"acct-{a:04d}" for a in range(230)], dtype=object)  # 230 is unknown


def as_rows(acc: np.ndarray, ts: np.ndarray) -> list[tuple[int, float]]:
    return list(zip(acc.tolist(), ts.tolist()))


def from_store(store: EmbeddedStore) -> tuple[np.ndarray, np.ndarray]:
    """The tick rows as the store holds them (µs), coded as detection codes them."""
    from linkage.detect.synchrony import read_ticks
    return read_ticks(store, {a: i for i, a in enumerate(ACCOUNT_IDS.tolist())})


def kept_of(found) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for a, b in zip(found.acc.tolist(), found.bucket.tolist()):
        out[a].append(b)
    return dict(out)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("window", [4.0, 7.0, 2.5])  # 7 s does not divide the hour; 2.5 s is sub-tick
def test_sql_numpy_and_brute_force_keep_the_same_rows(seed, window):
    p = dataclasses.replace(PARAMS, window=window)
    store = store_with_ticks(scenario(seed))
    acc, ts = from_store(store)
    expected = brute_force(as_rows(acc, ts), set(range(len(ACCOUNT_IDS))), p)
    assert set(range(20)) <= set(expected), "the job runner is tested"
    assert not {220, 221} & set(expected), "the cron jobs are not"
    assert kept_of(candidates(acc, ts, len(ACCOUNT_IDS), p)) == expected
    sql = candidates_in_sql(store.con, ACCOUNT_IDS, p)
    assert sql.any_ticks
    assert kept_of(sql) == expected
    assert list(zip(sql.acc, sql.bucket)) == sorted(zip(sql.acc, sql.bucket)), "rows by account, then bucket"


def test_each_rule_bites_in_sql_as_in_the_reference():
    store = store_with_ticks(scenario(4))
    acc, ts = from_store(store)
    for change in ({"account_z": -1e9}, {"min_ticks": 10_000}, {"periodic_share": 1.01}, {"account_z": 50.0}):
        p = dataclasses.replace(PARAMS, **change)
        expected = brute_force(as_rows(acc, ts), set(range(len(ACCOUNT_IDS))), p)
        assert kept_of(candidates_in_sql(store.con, ACCOUNT_IDS, p)) == expected, change
    lax = dataclasses.replace(PARAMS, account_z=-1e9, periodic_share=1.01, min_ticks=1)
    assert len(kept_of(candidates_in_sql(store.con, ACCOUNT_IDS, lax))) == 230  # everyone known with ticks


def test_pairs_through_the_store_equal_the_pairs_from_numpy():
    store = store_with_ticks(scenario(5))
    acc, ts = from_store(store)
    ref = synchrony(acc, ts, len(ACCOUNT_IDS), PARAMS)
    got = synchrony_in_store(store, ACCOUNT_IDS, PARAMS)
    assert len(ref.a) > 50, "the operator's pairs are found"
    for field in ("a", "b", "shared", "expected", "weight"):
        np.testing.assert_array_equal(getattr(got, field), getattr(ref, field), err_msg=field)


def test_no_tick_rows_is_no_evidence_in_sql_too():
    store = EmbeddedStore(":memory:")
    assert synchrony_in_store(store, ACCOUNT_IDS, PARAMS) is None
    store.con.execute("DROP TABLE tick")  # a store ingested before the tick table existed
    assert synchrony_in_store(store, ACCOUNT_IDS, PARAMS) is None
    only_unknown = store_with_ticks([(230, T0 + 1.0), (230, T0 + 9.0)])
    assert synchrony_in_store(only_unknown, ACCOUNT_IDS, PARAMS) is None
