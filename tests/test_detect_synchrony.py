"""Synchrony: accounts acting in the same seconds beyond what their own hours give by chance.

Each test builds tick rows (account code, epoch seconds) by hand, so that one property
of the data decides the outcome: a job runner's fan-out is found; a team that shares
office hours, a busy crowd, and two cron jobs on the same minute are not.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from linkage.detect.synchrony import SyncParams, synchrony

DAY = 86_400
T0 = 1_767_225_600  # 2026-01-01, a Thursday
PARAMS = SyncParams(window=4.0, min_ticks=5, account_z=3.0, max_group=48, min_shared=5, min_log10p=8.0,
                    saturation_log10p=24.0, periodic_share=0.3)


def crowd(rng: np.random.Generator, first: int, n: int, per_account: int, hours=range(24)) -> list[tuple]:
    """Ordinary accounts: requests at independent random times within the given UTC hours."""
    rows = []
    hours = np.array(list(hours))
    for a in range(first, first + n):
        day = rng.integers(0, 28, per_account)
        t = T0 + day * DAY + rng.choice(hours, per_account) * 3600 + rng.random(per_account) * 3600
        rows += [(a, x) for x in t]
    return rows


def job_runner(rng: np.random.Generator, first: int, head: int, jobs: int, fanout: int) -> list[tuple]:
    """One head of `head` accounts: each job fans out over `fanout` of them within 3 seconds."""
    rows = []
    for _ in range(jobs):
        start = T0 + rng.random() * 28 * DAY
        for a in rng.choice(head, fanout, replace=False):
            rows.append((first + int(a), start + rng.random() * 3.0))
    return rows


def pairs(rows: list[tuple], n: int, params: SyncParams = PARAMS) -> set[tuple[int, int]]:
    acc = np.array([r[0] for r in rows], np.int64)
    ts = np.array([r[1] for r in rows], float)
    found = synchrony(acc, ts, n, params)
    return set(zip(found.a.tolist(), found.b.tolist()))


def test_a_job_runner_fanning_out_within_seconds_is_in_synchrony():
    rng = np.random.default_rng(1)
    rows = job_runner(rng, 0, head=20, jobs=400, fanout=10) + crowd(rng, 20, 300, 40)
    found = pairs(rows, 320)
    ring = {(a, b) for a in range(20) for b in range(a + 1, 20)}
    assert len(found & ring) >= 0.9 * len(ring)
    assert not {p for p in found if p[0] >= 20 or p[1] >= 20}, "no pair with an ordinary account"


def test_an_office_team_shares_hours_not_seconds():
    # 40 colleagues, 600 requests each, all between 09:00 and 17:00: they meet in the same
    # 4-second bucket now and then, exactly as often as their shared hours predict
    rng = np.random.default_rng(2)
    rows = crowd(rng, 0, 40, 600, hours=range(9, 17)) + crowd(rng, 40, 200, 30)
    assert pairs(rows, 240) == set()
    # the chance model is what decides: with no surprise required, the same team links
    lax = dataclasses.replace(PARAMS, min_log10p=0.0, account_z=-1e9)
    assert len(pairs(rows, 240, lax)) > 10


def test_a_busy_hour_links_nobody():
    # 500 accounts pile into one evening hour every day (CGNAT neighbours after work)
    rng = np.random.default_rng(3)
    rows = crowd(rng, 0, 500, 60, hours=[19])
    assert pairs(rows, 500) == set()


def test_two_cron_jobs_on_the_same_minute_are_not_an_operator():
    rng = np.random.default_rng(4)
    rows = []
    for a in (0, 1):  # both at minute 17 of every hour, within a few seconds
        t = T0 + np.arange(24 * 28) * 3600 + 17 * 60 + rng.random(24 * 28) * 3
        rows += [(a, x) for x in t]
    rows += crowd(rng, 2, 100, 30)
    assert pairs(rows, 102) == set()
    # without the clock filter the coincidence looks like coordination
    assert (0, 1) in pairs(rows, 102, dataclasses.replace(PARAMS, periodic_share=1.01))


def test_no_ticks_means_no_evidence_rather_than_none_found():
    assert synchrony(np.zeros(0, np.int64), np.zeros(0), 5, PARAMS) is None


# ---- each threshold decides one pair ---------------------------------------------------------

LAX = dataclasses.replace(PARAMS, account_z=-1e9, min_log10p=0.0)  # chance no obstacle: counts decide


def together(a: int, b: int, buckets: int, solo: int = 6, start: float = T0, gap: float = 0.5) -> list[tuple]:
    """a and b fire `gap` seconds apart once an hour in `buckets` hours (never on the same minute of
    the hour: no cron job); then `solo` lone ticks each."""
    rows = []
    for k in range(buckets):
        t = start + k * 3600 + 60.0 * ((7 * k) % 50) + 0.25
        rows += [(a, t), (b, t + gap)]
    for k in range(solo):
        hour = start + (buckets + k) * 3600
        rows += [(a, hour + 60.0 * ((11 * k) % 25) + 1.0), (b, hour + 1800 + 60.0 * ((13 * k) % 25) + 1.0)]
    return rows


def found(rows: list[tuple], n: int, params: SyncParams):
    acc = np.array([r[0] for r in rows], np.int64)
    ts = np.array([r[1] for r in rows], float)
    return synchrony(acc, ts, n, params)


def test_a_pair_needs_the_minimum_number_of_shared_buckets():
    rows = together(0, 1, 5) + together(2, 3, 4, start=T0 + 10 * DAY)
    got = found(rows, 4, LAX)
    assert set(zip(got.a.tolist(), got.b.tolist())) == {(0, 1)}
    assert got.shared.tolist() == [5] and got.expected[0] > 0 and 0 < got.weight[0] <= 1


def test_accounts_with_too_few_active_buckets_are_not_tested():
    rows = together(0, 1, 5, solo=0)  # 5 active buckets each
    assert pairs(rows, 2, dataclasses.replace(LAX, min_ticks=5)) == {(0, 1)}
    assert pairs(rows, 2, dataclasses.replace(LAX, min_ticks=6)) == set()


def test_acting_seconds_apart_is_synchrony_only_within_the_window():
    rows = together(0, 1, 40, gap=6.0)  # always six seconds apart
    assert pairs(rows, 2, dataclasses.replace(LAX, window=4.0)) == set()
    assert pairs(rows, 2, dataclasses.replace(LAX, window=16.0)) == {(0, 1)}


def test_the_weight_is_the_surprise_over_the_saturation_capped_at_one():
    rng = np.random.default_rng(5)
    rows = together(0, 1, 30) + crowd(rng, 2, 50, 30)
    strong = found(rows, 52, PARAMS)
    assert (strong.a.tolist(), strong.b.tolist()) == ([0], [1]) and strong.weight[0] == 1.0
    wide = found(rows, 52, dataclasses.replace(PARAMS, saturation_log10p=1e4))
    wider = found(rows, 52, dataclasses.replace(PARAMS, saturation_log10p=2e4))
    assert 0 < wide.weight[0] < 1 and wider.weight[0] == pytest.approx(wide.weight[0] / 2, rel=1e-4)
    picky = found(rows, 52, dataclasses.replace(PARAMS, min_log10p=wide.weight[0] * 1e4 + 1))
    assert len(picky.a) == 0  # the pair's surprise is below what is asked


def test_a_crowded_bucket_pairs_each_account_with_a_bounded_number_of_others():
    # all 12 fire within one bucket in every job, 200 jobs at different minutes
    rows = [(a, T0 + j * 3600 + 60.0 * ((7 * j) % 50) + 0.1 * a) for j in range(200) for a in range(12)]
    every = pairs(rows, 12, LAX)
    assert every == {(a, b) for a in range(12) for b in range(a + 1, 12)}
    bounded = pairs(rows, 12, dataclasses.replace(LAX, max_group=3))
    assert 0 < len(bounded) <= 12 * 2 < len(every)


def test_tick_rows_are_read_per_known_account():
    from detect_graphs import GraphBuilder
    from datetime import datetime, timezone

    from linkage.detect.synchrony import read_ticks
    from linkage.store import open_store

    g = GraphBuilder()
    at = datetime(2026, 2, 1, 10, 0, 0, 500_000, tzinfo=timezone.utc)
    for acc in ("a", "b", "stranger"):
        g.account(acc, at)
        g.tick(acc, at)
    store = open_store(":memory:")
    g.write(store)
    acc, ts = read_ticks(store, {"a": 0, "b": 1})
    assert sorted(acc.tolist()) == [0, 1] and ts.tolist() == [at.timestamp()] * 2
    empty = open_store(":memory:")
    assert [len(x) for x in read_ticks(empty, {"a": 0})] == [0, 0]
