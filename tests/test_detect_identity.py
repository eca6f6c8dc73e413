"""Ring identity across runs: ids survive, and splits and merges are recorded as such."""

from __future__ import annotations

from datetime import timedelta

import pytest
from detect_graphs import T0, GraphBuilder

from linkage.detect import detect
from linkage.detect.ring_identity import match_rings
from linkage.settings import load_settings
from linkage.store.embedded import EmbeddedStore

pytestmark = pytest.mark.embedded


def test_ids_survive_a_rerun_with_added_accounts(tmp_path):
    store = EmbeddedStore(str(tmp_path / "g.duckdb"))
    g = GraphBuilder(1)
    g.ring("alpha", 30)
    g.ring("beta", 20)
    g.background(80)
    g.write(store)
    first = detect(store, load_settings())
    ids = {r.ring_id: set(r.members) for r in first.rings}
    assert [c.change for c in first.changes] == ["new", "new"]

    more = GraphBuilder(2)  # the next night: alpha recruited 6 more accounts
    extra = more.ring("alpha", 6, start=30, pool_size=15)
    more.write(store)
    second = detect(store, load_settings())
    after = {r.ring_id: set(r.members) for r in second.rings if r.status == "active"}
    assert set(after) == set(ids)
    grown = [rid for rid, mem in after.items() if set(extra) <= mem]
    assert len(grown) == 1 and after[grown[0]] >= ids[grown[0]] | set(extra)
    changes = {c.ring_id: c.change for c in second.changes}
    assert changes[grown[0]] == "grown"
    assert sorted(changes.values()) == ["grown", "stable"]
    assert len(store.detection_runs()) == 2
    assert {r.created_run for r in store.rings()} == {first.run.run_id}


def test_split_is_recorded():
    a = [f"a{i}" for i in range(20)]
    assignments, ending = match_rings([a[:12], a[12:]], {"ring_old": set(a)})
    assert assignments[0].ring_id == "ring_old" and assignments[0].change == "shrunk"
    assert assignments[1].change == "split" and assignments[1].detail["from"] == "ring_old"
    assert assignments[1].ring_id != "ring_old"
    assert ending == []


def test_merge_is_recorded():
    a = [f"a{i}" for i in range(12)]
    b = [f"b{i}" for i in range(8)]
    assignments, ending = match_rings([a + b], {"ring_a": set(a), "ring_b": set(b)})
    assert [(x.ring_id, x.change) for x in assignments] == [("ring_a", "grown")]
    assert assignments[0].detail["absorbed"] == ["ring_b"]
    assert ending == [("ring_b", "merged", {"into": "ring_a"})]


def test_unmatched_rings_dissolve_and_new_ones_appear():
    assignments, ending = match_rings([["x1", "x2", "x3"]], {"ring_gone": {"a", "b", "c"}})
    assert assignments[0].change == "new"
    assert ending == [("ring_gone", "dissolved", {"before": 3})]


def test_merge_and_dissolve_end_to_end(tmp_path):
    """Two rings tonight; tomorrow new evidence ties them into one: one id kept, the other merged."""
    store = EmbeddedStore(str(tmp_path / "g.duckdb"))
    g = GraphBuilder(3)
    alpha = g.ring("alpha", 30)
    beta = g.ring("beta", 20)
    g.background(60)
    g.write(store)
    detect(store, load_settings())
    before = {r.ring_id: set(r.members) for r in store.rings()}
    bridge = GraphBuilder(4)  # the operators turn out to be one: shared cards, templates, pool
    for i, acc in enumerate(sorted(alpha + beta, key=lambda a: a[-3:])):
        bridge.use(acc, "payment", f"joint-card-{i % 2}", 1)
        for t in range(3):
            bridge.use(acc, "prompt", f"joint-tpl-{t}", 30)
            bridge.use(acc, "ip", f"10.250.0.{(i + t) % 12}", 10)
        for w in range(6):
            bridge.window("prompt", f"joint-tpl-{w % 3}", T0 + timedelta(days=2, hours=w), acc)
    bridge.write(store)
    result = detect(store, load_settings(resolution=0.01))
    active = [r for r in result.rings if r.status == "active"]
    assert len(active) == 1 and set(active[0].members) == set(alpha) | set(beta)
    changes = {c.ring_id: c.change for c in result.changes}
    assert active[0].ring_id in before and changes[active[0].ring_id] == "grown"
    (gone,) = set(before) - {active[0].ring_id}
    assert changes[gone] == "merged"
    assert {r.ring_id: r.status for r in store.rings(include_dissolved=True)}[gone] == "dissolved"
