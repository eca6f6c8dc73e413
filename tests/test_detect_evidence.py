"""Evidence paths: the breadth-first search agrees with a brute-force search on small graphs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from detect_graphs import T0, GraphBuilder

from linkage.detect import evidence_paths
from linkage.detect.evidence import EvidenceGraph
from linkage.detect.inputs import load_links
from linkage.settings import load_settings
from linkage.store.embedded import EmbeddedStore

pytestmark = pytest.mark.embedded


def random_graph(seed: int, tmp_path) -> tuple[EmbeddedStore, list[str]]:
    rng = np.random.default_rng(seed)
    g = GraphBuilder(seed)
    accounts = [f"acc{i:02d}" for i in range(24)]
    kinds = ["ip", "payment", "prompt"]
    for acc in accounts:
        g.account(acc, T0)
        for _ in range(rng.integers(1, 4)):
            kind = kinds[rng.integers(0, 3)]
            g.use(acc, kind, f"{kind}-{rng.integers(0, 9)}")
    for acc in accounts[:20]:  # one hub everybody shares: dropped, never walked
        g.use(acc, "user_agent", "everyone")
    store = EmbeddedStore(str(tmp_path / f"g{seed}.duckdb"))
    g.write(store)
    return store, accounts


def brute_force(edges: set[tuple[str, tuple[str, str]]], a: str, b: str, max_hops: int) -> set[tuple]:
    """All shortest account→artifact→account chains from a to b, by enumerating every simple path."""
    users: dict[tuple[str, str], set[str]] = {}
    for acc, art in edges:
        users.setdefault(art, set()).add(acc)
    arts_of: dict[str, set[tuple[str, str]]] = {}
    for acc, art in edges:
        arts_of.setdefault(acc, set()).add(art)
    found: list[tuple] = []

    def walk(node: str, seen: set[str], path: tuple) -> None:
        if node == b:
            found.append(path)
            return
        if len(path) == max_hops:
            return
        for art in arts_of.get(node, ()):
            for nxt in users[art]:
                if nxt not in seen:
                    walk(nxt, seen | {nxt}, path + ((node, art[0], art[1], nxt),))

    walk(a, {a}, ())
    if not found:
        return set()
    shortest = min(len(p) for p in found)
    return {p for p in found if len(p) == shortest}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_paths_match_brute_force(seed, tmp_path):
    store, accounts = random_graph(seed, tmp_path)
    settings = load_settings(hub_accounts=15, hub_fraction=0.0, hub_drop_fraction=0.5)
    links = load_links(store, set())
    graph = EvidenceGraph(links, settings)
    walkable = graph.spec.value > 0
    edges = {(str(links.account_ids[acc]), (("ip", "proxy", "payment", "prompt", "user_agent",
                                            "email_domain")[links.artifact_kind[art]], str(links.artifact_value[art])))
             for acc, art in zip(links.account, links.artifact) if walkable[art]}
    assert not any(art == ("user_agent", "everyone") for _, art in edges)  # the hub is out
    checked = 0
    for a, b in itertools.combinations(accounts, 2):
        expected = brute_force(edges, a, b, 3)
        got = {tuple((h.from_account, h.kind, h.artifact, h.to_account) for h in p.hops)
               for p in graph.paths(a, b, max_hops=3, limit=10_000)}
        assert got == expected, (a, b)
        checked += bool(expected)
    assert checked > 20  # the graphs are connected enough for the comparison to mean something


def test_evidence_paths_reports_each_hops_specificity(tmp_path):
    g = GraphBuilder(0)
    for acc in ("a", "b", "c", "d"):
        g.account(acc, T0)
    g.use("a", "payment", "card-1"); g.use("b", "payment", "card-1")
    g.use("b", "ip", "1.2.3.4"); g.use("c", "ip", "1.2.3.4"); g.use("d", "ip", "1.2.3.4")
    store = EmbeddedStore(":memory:")
    g.write(store)
    (path,) = evidence_paths(store, "a", "c", max_hops=4)
    assert [(h.from_account, h.kind, h.artifact, h.to_account) for h in path.hops] == [
        ("a", "payment", "card-1", "b"), ("b", "ip", "1.2.3.4", "c")]
    assert path.hops[0].specificity > path.hops[1].specificity > 0  # 2 users vs 3 users
    assert path.hops[1].specificity == round(np.log(4 / 3) / np.log(4), 4) == 0.2075  # 4 decimals, as stored
    assert (path.hops[0].accounts_using, path.hops[1].accounts_using) == (2, 3)
    assert evidence_paths(store, "a", "c", max_hops=1) == []


# ---- the search's limits, on link sets built by hand -----------------------------------------

def chain(n_accounts: int) -> "Net":
    from detect_arrays import Net

    net = Net(n_accounts + 40)  # 40 bystanders keep every artifact specific
    for i in range(n_accounts - 1):
        net.use([i, i + 1], "payment", f"card-{i}")
    return net


def test_the_default_search_goes_four_artifacts_deep_and_no_further(tmp_path):
    g = GraphBuilder(0)
    names = [f"c{i}" for i in range(6)]
    for acc in names:
        g.account(acc, T0)
    for i in range(5):
        g.use(names[i], "payment", f"card-{i}"); g.use(names[i + 1], "payment", f"card-{i}")
    store = EmbeddedStore(":memory:")
    g.write(store)
    (four,) = evidence_paths(store, "c0", "c4")
    assert [h.artifact for h in four.hops] == ["card-0", "card-1", "card-2", "card-3"]
    assert evidence_paths(store, "c0", "c5") == []  # five hops
    allow = tmp_path / "allow.txt"
    allow.write_text("payment:card-2\n")
    assert evidence_paths(store, "c0", "c4", settings=load_settings(allowlist=allow)) == []  # the file counts


def test_unknown_or_identical_accounts_have_no_path():
    net = chain(3)
    net.use(range(3, 43), "user_agent", "everyone")  # the last account uses only what never links
    graph = EvidenceGraph(net.links(), load_settings(hub_accounts=10, hub_fraction=0.0, hub_drop_fraction=0.5))
    assert graph.paths("acc042", "acc000") == [] and graph.paths("acc000", "acc042") == []
    assert graph.paths("acc000", "nobody") == [] and graph.paths("nobody", "acc002") == []
    assert graph.paths("acc000", "acc000") == []
    assert len(graph.paths("acc000", "acc002")) == 1


def test_many_paths_come_back_strongest_first_and_at_most_the_limit():
    from detect_arrays import Net

    net = Net(200)
    for k in range(30):  # 30 weak shared prompts, each also used by 60 bystanders
        net.use([0, 1] + list(range(2 + k, 62 + k)), "prompt", f"weak-{k:02d}")
    net.use([0, 1], "payment", "card")  # one strong shared card
    graph = EvidenceGraph(net.links(), load_settings(hub_drop_fraction=1.0))
    found = graph.paths("acc000", "acc001")
    assert len(found) == 20  # the default limit
    assert found[0].hops[0].artifact == "card" and found[0].strength > found[1].strength
    (best,) = graph.paths("acc000", "acc001", limit=1)  # the walk tries the strongest artifact first
    assert best.hops[0].artifact == "card"
