"""Temporal evidence through a real (in-memory) store: lockstep pairs, volume, release shift.

Each graph is a few accounts whose windows and hourly traffic are written by hand, so the
pairs, shares and windows can be counted: a pair one window short of the minimum, a
window one account too big, traffic one hour outside the release window.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from detect_graphs import T0, GraphBuilder

from linkage.detect.inputs import load_links
from linkage.detect.specificity import FAMILIES, TIMING
from linkage.detect.temporal import activity, lockstep
from linkage.store import open_store

pytestmark = pytest.mark.embedded
H = timedelta(hours=1)


def stored(g: GraphBuilder):
    store = open_store(":memory:")
    g.write(store)
    return store


def accounts(g: GraphBuilder, names: list[str]) -> None:
    for a in names:
        g.account(a, T0 - timedelta(days=30))
        g.use(a, "ip", f"home-{a}")


def pairs_of(store, names, **kw):
    index = {a: i for i, a in enumerate(sorted(names))}
    a, b, windows, family = lockstep(store, index, **kw)
    inv = sorted(index)
    return {(inv[x], inv[y]): (int(w), int(f)) for x, y, w, f in zip(a, b, windows, family)}


def test_lockstep_keeps_pairs_seen_together_in_the_minimum_number_of_windows():
    g = GraphBuilder()
    names = ["a", "b", "c", "d", "e"]
    accounts(g, names)
    for w in range(3):
        for acc in ("a", "b"):
            g.window("prompt", "tpl", T0 + 3 * w * H, acc)
    for w in range(2):  # one window short
        for acc in ("c", "d"):
            g.window("prompt", "tpl", T0 + (20 + w) * H, acc)
    for w in range(4):  # the same IP window: network, not timing
        for acc in ("d", "e"):
            g.window("ip", "10.0.0.1", T0 + (40 + w) * H, acc)
    store = stored(g)
    got = pairs_of(store, names, neighbours=3, max_group=10, min_windows=3, kinds=("prompt", "ip"))
    assert got == {("a", "b"): (3, TIMING), ("d", "e"): (4, FAMILIES.index("network"))}
    assert pairs_of(store, names, neighbours=3, max_group=10, min_windows=3, kinds=("prompt",)) == \
        {("a", "b"): (3, TIMING)}
    assert pairs_of(store, names, neighbours=3, max_group=10, min_windows=3, kinds=()) == {}


def test_a_window_with_more_accounts_than_the_group_limit_is_ignored_and_big_groups_pair_neighbours():
    g = GraphBuilder()
    names = [f"m{i}" for i in range(6)]
    accounts(g, names)
    for w in range(3):
        for acc in names:
            g.window("prompt", "tpl", T0 + w * H, acc)
    store = stored(g)
    assert pairs_of(store, names, neighbours=3, max_group=5, min_windows=3) == {}  # 6 > 5 accounts a window
    every = pairs_of(store, names, neighbours=5, max_group=6, min_windows=3)
    assert len(every) == 15  # neighbours >= group: all pairs
    near = pairs_of(store, names, neighbours=1, max_group=6, min_windows=3)
    assert len(near) == 5  # each account with its next one in the stable order: a chain
    assert all(w == 3 for w, _ in near.values())


def release_graph() -> tuple[GraphBuilder, object]:
    g = GraphBuilder()
    accounts(g, ["rush", "slow", "idle", "late"])
    release = T0 + timedelta(days=5)
    for acc in ("rush", "slow"):
        g.active(acc, T0, "atlas-3", 10)
    g.active("idle", T0 + 2 * H, "atlas-3", 5)
    g.active("rush", release + H, "atlas-4", 30)        # the new model, an hour after it appears
    g.active("rush", release + 2 * H, "atlas-3", 10)
    g.active("slow", release + 3 * H, "atlas-3", 20)
    g.active("slow", release + 30 * H, "atlas-4", 50)   # a day and more later
    g.active("late", T0 + H, "atlas-3", 1)
    g.active("late", release + 25 * H, "atlas-3", 1)    # 24 hours after atlas-4 first appeared
    return g, release


def test_release_shift_is_each_accounts_share_of_new_model_traffic_in_the_window():
    g, release = release_graph()
    store = stored(g)
    index = load_links(store, set()).account_index()
    act = activity(store, index, len(index), None, window_hours=24)
    i = {a: index[a] for a in ("rush", "slow", "idle")}
    assert act.requests[[i["rush"], i["slow"], i["idle"], index["late"]]].tolist() == [50, 80, 5, 2]
    assert act.releases == {"atlas-4": int((release + H).timestamp())}  # first seen after the first day
    assert act.release_share[i["rush"]] == pytest.approx(30 / 40) and act.release_share[i["slow"]] == 0.0
    assert act.release_active[[i["rush"], i["slow"], i["idle"]]].tolist() == [True, True, False]
    assert act.population_release_share == pytest.approx(30 / 60)
    assert act.span_end == (release + 31 * H).timestamp()
    assert not act.release_active[index["late"]]  # the window ends before its 24th hour
    assert not activity(store, index, len(index), None).release_active[index["late"]]  # 24 h by default
    assert activity(store, index, len(index), None, window_hours=24.01).release_active[index["late"]]
    wide = activity(store, index, len(index), None, window_hours=72)
    assert wide.release_share[i["slow"]] == pytest.approx(50 / 70)


def test_an_explicit_release_time_is_used_for_models_first_seen_from_a_day_before_it():
    g, release = release_graph()
    store = stored(g)
    index = load_links(store, set()).account_index()
    told = release + 2 * H  # the operator's first request came before the announced time
    act = activity(store, index, len(index), told.isoformat().replace("+00:00", "Z"), window_hours=24)
    assert act.releases == {"atlas-4": int(told.timestamp())}
    rush = index["rush"]
    assert act.release_share[rush] == 0.0 and act.release_active[rush]  # its atlas-4 hour is before `told`
    day_after = release + 25 * H  # atlas-4 first seen exactly a day before: still this release
    assert activity(store, index, len(index), day_after.isoformat()).releases == {"atlas-4": int(day_after.timestamp())}
    later = activity(store, index, len(index), (release + 26 * H).isoformat(), window_hours=24)
    assert later.releases == {}  # atlas-4 was seen more than a day before: not this release


def test_models_of_the_first_day_are_no_release_and_no_traffic_is_no_activity():
    g = GraphBuilder()
    accounts(g, ["x", "y"])
    g.active("x", T0, "atlas-3", 4)
    g.active("y", T0 + 24 * H, "atlas-2", 4)  # exactly a day after the data starts: not after it
    store = stored(g)
    index = load_links(store, set()).account_index()
    act = activity(store, index, 2, None)
    assert act.releases == {} and not act.release_active.any() and act.population_release_share == 0.0
    assert act.requests.tolist() == [4, 4]
    empty = GraphBuilder()
    accounts(empty, ["z"])
    quiet = activity(stored(empty), {"z": 0}, 1, None)
    assert quiet.requests.tolist() == [0] and quiet.releases == {} and quiet.span_end == 0.0
    assert np.all(quiet.release_share == 0)
