"""Detection on small hand-built graphs whose right answer is known."""

from __future__ import annotations

from datetime import timedelta

import pytest
from detect_graphs import T0, GraphBuilder

from linkage.detect import detect
from linkage.settings import load_settings
from linkage.store.embedded import EmbeddedStore

pytestmark = pytest.mark.embedded


def run(g: GraphBuilder, tmp_path, **settings):
    store = EmbeddedStore(str(tmp_path / "g.duckdb"))
    g.write(store)
    result = detect(store, load_settings(**settings))
    return store, [r for r in result.rings if r.status == "active"]


def prefixes(ring) -> set[str]:
    return {m.split("-")[0] for m in ring.members}


def test_rings_found_and_lookalikes_not_flagged(tmp_path):
    g = GraphBuilder(1)
    alpha = g.ring("alpha", 40)
    beta = g.ring("beta", 25, payment=False)
    g.background(200)
    for i in range(30):  # a company: one NAT, one card, one domain, steady hiring, diverse prompts
        g.legit(f"org-{i}", T0 - timedelta(days=300 - 9 * i), ips=["198.51.100.7"], card="acme-card",
                domain="acme.example", org="acme")
    for h in range(10):  # households: a card and an IP for 2-4 people
        for j in range(2 + h % 3):
            g.legit(f"hh{h}-{j}", T0 - timedelta(days=100 + 50 * j + h), ips=[f"192.0.{h}.1"], card=f"hh{h}-card")
    _, rings = run(g, tmp_path)
    assert sorted(sorted(r.members) for r in rings) == sorted([sorted(alpha), sorted(beta)])
    for r in rings:
        assert 0.0 <= r.score <= 1.0 and set(r.components) >= {"evidence_kinds", "template_concentration",
                                                              "synchrony", "creation_burst", "release_shift"}
        assert r.artifacts and r.artifacts == sorted(r.artifacts, key=lambda a: -a.specificity)


def test_hub_does_not_merge_two_rings(tmp_path):
    g = GraphBuilder(2)
    alpha = g.ring("alpha", 30)
    beta = g.ring("beta", 30)
    users = g.background(150)
    # a VPN exit and a popular prompt used by everyone, both rings included
    for acc in alpha + beta + users:
        g.use(acc, "ip", "203.0.113.50", 3)
        g.use(acc, "prompt", "summarise-this", 2)
        g.window("prompt", "summarise-this", T0, acc)
    store, rings = run(g, tmp_path)
    assert len(rings) == 2
    assert sorted(prefixes(r) for r in rings) == [{"alpha"}, {"beta"}]


def test_allowlisted_artifacts_never_link(tmp_path):
    g = GraphBuilder(3)
    alpha = g.ring("alpha", 20, templates=2, cards=1)
    g.background(50)
    allow = tmp_path / "allow.txt"
    allow.write_text("# shared by design\npayment:alpha-card-0\nprompt:alpha-tpl-0\n")
    _, rings = run(g, tmp_path, allowlist=allow)
    # the ring is still found, by what is not allowlisted (its other template, its network, its timing) ...
    assert [sorted(r.members) for r in rings] == [sorted(alpha)]
    shared = {(a.kind, a.artifact) for r in rings for a in r.artifacts}
    assert ("prompt", "alpha-tpl-1") in shared
    # ... and the allowlisted artifacts are not among its evidence
    assert not shared & {("payment", "alpha-card-0"), ("prompt", "alpha-tpl-0")}


def test_ring_found_by_prompts_and_timing_alone(tmp_path):
    g = GraphBuilder(4)
    g.background(200)
    ring = [f"quiet-{i:02d}" for i in range(24)]
    for i, acc in enumerate(ring):
        g.account(acc, T0 - timedelta(days=2, minutes=-i), "gmail.com")
        for t in range(3):
            g.use(acc, "prompt", f"quiet-tpl-{t}", 50, T0 + timedelta(minutes=i))
            g.capability(f"quiet-tpl-{t}", "reasoning")
        for w in range(8):
            g.window("prompt", f"quiet-tpl-{w % 3}", T0 + timedelta(hours=5 * w), acc, 3)
        g._traffic(acc, heavy=True, shift=True)
    _, rings = run(g, tmp_path)
    assert [sorted(r.members) for r in rings] == [ring]
    assert rings[0].components["synchrony"] == 1.0


def test_ip_and_proxy_alone_are_not_enough(tmp_path):
    g = GraphBuilder(5)
    g.background(100)
    group = [f"proxyuser-{i:02d}" for i in range(30)]
    pool = [f"100.64.0.{k}" for k in range(10)]
    for ip in pool:
        g.exit_of(ip, "Resiflow:residential")
    for i, acc in enumerate(group):  # bursty, heavy, same pool — but nothing else in common
        g.legit(acc, T0 - timedelta(days=1, minutes=-i), ips=pool[i % 10: i % 10 + 3], common_prompts=0)
        g._traffic(acc, heavy=True, shift=True)
    ring = g.ring("alpha", 20)  # beside them, a ring on the same pool, with everything else a ring shares
    for i, acc in enumerate(ring):
        g.use(acc, "ip", pool[i % 10], 2)
    _, rings = run(g, tmp_path)
    assert [sorted(r.members) for r in rings] == [sorted(ring)]


def test_same_data_gives_same_rings(tmp_path):
    def build() -> GraphBuilder:
        g = GraphBuilder(6)
        g.ring("alpha", 60, cards=3)
        g.ring("beta", 35)
        g.background(120)
        return g

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _, first = run(build(), tmp_path / "a")
    _, second = run(build(), tmp_path / "b")
    assert [(r.ring_id, r.score, r.members, r.components) for r in first] == \
           [(r.ring_id, r.score, r.members, r.components) for r in second]
