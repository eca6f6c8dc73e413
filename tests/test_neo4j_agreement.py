"""How close the Neo4j engine's rings (communities in GDS) are to the embedded engine's on the same data.

Same graph written to both engines, same detector: the rings must agree member for member
(ARI 1.0 over all accounts). Both run Leiden per connected component with the same
resolution (GDS `gamma` = the RB configuration model's resolution) and peel with the same
Python code, so a difference could only come from Leiden's local moves; on these graphs,
whose rings are far denser than the links between them, there is none.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from detect_graphs import GraphBuilder

from linkage.detect import detect
from linkage.evaluate.metrics import adjusted_rand_index
from linkage.settings import load_settings
from linkage.store.embedded import EmbeddedStore

pytestmark = pytest.mark.neo4j


def _graph() -> GraphBuilder:
    g = GraphBuilder(5)
    alpha, beta = g.ring("alpha", 30), g.ring("beta", 22)
    g.ring("gamma", 10, templates=2)
    users = g.background(60)
    for acc in alpha + beta + users[:30]:  # a VPN exit and a popular prompt across both big rings
        g.use(acc, "ip", "203.0.113.50", 3)
        g.use(acc, "prompt", "summarise-this", 2)
    for acc in alpha[:3] + beta[:3]:  # and a few stray shared cards between them
        g.use(acc, "payment", "shared-gift-card", 1)
    return g


def _labels(rings, accounts: list[str]) -> list[str]:
    ring_of = {m: r.ring_id for r in rings for m in r.members}
    return [ring_of.get(a, f"none:{a}") for a in accounts]


def test_neo4j_rings_agree_with_the_embedded_engine(neo4j_store, tmp_path: Path) -> None:
    embedded = EmbeddedStore(str(tmp_path / "g.duckdb"))
    for store in (embedded, neo4j_store):
        _graph().write(store)
    ours = detect(neo4j_store, load_settings()).rings
    theirs = detect(embedded, load_settings()).rings
    accounts = embedded.read_table("account", ["account_id"])["account_id"].to_pylist()
    assert sorted(map(sorted, (r.members for r in ours))) == sorted(map(sorted, (r.members for r in theirs)))
    assert adjusted_rand_index(_labels(ours, accounts), _labels(theirs, accounts)) == 1.0
    assert {round(r.score, 6) for r in ours} == {round(r.score, 6) for r in theirs}
    assert len(ours) == 3

    # the next night (Leiden on Neo4j now seeded from last night's rings): still the same rings
    for store in (embedded, neo4j_store):
        more = GraphBuilder(6)
        more.ring("alpha", 5, start=30, pool_size=15)
        more.write(store)
    again_ours, again_theirs = detect(neo4j_store, load_settings()), detect(embedded, load_settings())
    members = lambda result: sorted(sorted(r.members) for r in result.rings if r.status == "active")  # noqa: E731
    assert members(again_ours) == members(again_theirs)
    assert sorted(c.change for c in again_ours.changes) == sorted(c.change for c in again_theirs.changes)
    embedded.close()
