"""Each baseline on small hand-built account–artifact tables with a known answer."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import numpy as np
import pyarrow as pa
import pytest
from scipy import sparse

from linkage.evaluate.baselines import fraudar_rings, jaccard_rings, union_find_rings
from linkage.evaluate.baselines.fraudar import column_weights, greedy_peel

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def artifacts_table(links: list[tuple[str, str, str]]) -> pa.Table:
    """(account, kind, artifact) triples as the store's account_artifacts() table."""
    n = len(links)
    return pa.table({
        "account_id": [a for a, _, _ in links], "kind": [k for _, k, _ in links],
        "artifact": [x for _, _, x in links], "count": pa.array([1] * n, pa.int64()),
        "first_seen": pa.array([T0] * n, pa.timestamp("us", tz="UTC")),
        "last_seen": pa.array([T0] * n, pa.timestamp("us", tz="UTC")),
    })


def two_rings_and_a_hub() -> list[tuple[str, str, str]]:
    """Two rings (shared payment, prompt, proxy pool) and a NAT IP used by one member of each
    and by five legitimate accounts, each of which also has its own IP and prompt."""
    links = []
    for ring in ("r1", "r2"):
        for i in range(4):
            acc = f"{ring}-{i}"
            links += [(acc, "payment", f"card-{ring}"), (acc, "prompt", f"tpl-{ring}"),
                      (acc, "proxy", f"pool-{ring}"), (acc, "ip", f"ip-{acc}")]
    links += [("r1-0", "ip", "nat"), ("r2-0", "ip", "nat")]
    for i in range(5):
        acc = f"legit-{i}"
        links += [(acc, "ip", "nat"), (acc, "ip", f"home-{i}"), (acc, "prompt", f"own-{i}"),
                  (acc, "email_domain", "gmail.com")]
    return links


RING1 = {f"r1-{i}" for i in range(4)}
RING2 = {f"r2-{i}" for i in range(4)}


def test_union_find_merges_through_a_hub() -> None:
    rings = union_find_rings(artifacts_table(two_rings_and_a_hub()))
    assert len(rings) == 1
    assert rings[0] == RING1 | RING2 | {f"legit-{i}" for i in range(5)}


def test_union_find_without_the_hub_separates_rings() -> None:
    links = [link for link in two_rings_and_a_hub() if link[2] != "nat"]
    rings = union_find_rings(artifacts_table(links))
    assert sorted(map(sorted, rings)) == sorted([sorted(RING1), sorted(RING2)])


def test_jaccard_with_cutoff_does_not_merge_through_the_hub() -> None:
    rings = jaccard_rings(artifacts_table(two_rings_and_a_hub()))
    assert sorted(map(sorted, rings)) == sorted([sorted(RING1), sorted(RING2)])


def test_jaccard_drops_artifacts_above_the_degree_cutoff() -> None:
    # eight accounts whose only artifact is one hub: Jaccard 1.0 between all of them
    links = [(f"u{i}", "ip", "hub") for i in range(8)]
    assert jaccard_rings(artifacts_table(links)) == [{f"u{i}" for i in range(8)}]
    assert jaccard_rings(artifacts_table(links), max_artifact_degree=5) == []


def test_jaccard_keeps_top_k_neighbours_only() -> None:
    # a star: 'c' shares one artifact with each of 4 leaves, leaves share nothing else
    links = [("c", "ip", f"x{i}") for i in range(4)] + [(f"leaf{i}", "ip", f"x{i}") for i in range(4)]
    links += [("c", "ip", "c-own")]
    # each leaf's only neighbour is c (J = 1/5 < 0.5): nothing passes the cutoff
    assert jaccard_rings(artifacts_table(links)) == []
    assert jaccard_rings(artifacts_table(links), cutoff=0.1) == [{"c", "leaf0", "leaf1", "leaf2", "leaf3"}]


def planted_block(seed: int = 3) -> tuple[list[tuple[str, str, str]], set[str]]:
    """200 legitimate accounts on a random sparse graph; 20 fraud accounts all linked to 12
    fraud artifacts, each camouflaged with 6 links to popular legitimate artifacts."""
    rng = random.Random(seed)
    popular = [f"pop{j}" for j in range(40)]
    common = [f"art{j}" for j in range(400)]
    links = []
    for i in range(200):
        acc = f"legit{i}"
        for art in rng.sample(common, 4) + rng.sample(popular, 2):
            links.append((acc, "ip", art))
    fraud = {f"fraud{i}" for i in range(20)}
    for acc in sorted(fraud):
        links += [(acc, "prompt", f"ftpl{j}") for j in range(12)]
        links += [(acc, "ip", art) for art in rng.sample(popular, 6)]  # camouflage
    return links, fraud


def test_fraudar_finds_a_planted_dense_block_with_camouflage() -> None:
    links, fraud = planted_block()
    rings = fraudar_rings(artifacts_table(links), n_blocks=1)
    assert rings and rings[0] == fraud


def test_fraudar_returns_several_disjoint_dense_blocks() -> None:
    links, fraud = planted_block()
    second = {f"op2-{i}" for i in range(15)}
    links += [(acc, "payment", f"card{j}") for acc in sorted(second) for j in range(10)]
    rings = fraudar_rings(artifacts_table(links), n_blocks=2)
    assert fraud in rings and second in rings


def test_greedy_peel_matches_ugfraud_reference() -> None:
    fraudar_ref = pytest.importorskip("UGFraud.Detector.Fraudar")
    rng = np.random.default_rng(11)
    for _ in range(5):
        m = sparse.random(60, 40, density=0.08, random_state=rng, format="lil")
        m[m.nonzero()] = 1.0
        m[:8, :6] = 1.0  # a dense corner
        m = m.tocsr()
        (ref_rows, ref_cols), ref_g = fraudar_ref.logWeightedAveDegree(m)
        rows, cols, g = greedy_peel(m, column_weights(m))
        assert g == pytest.approx(float(ref_g), rel=1e-9)
        assert set(rows.tolist()) == set(ref_rows) and set(cols.tolist()) == set(ref_cols)


def test_jaccard_row_blocks_do_not_change_the_answer() -> None:
    from linkage.evaluate.baselines.incidence import build_incidence
    from linkage.evaluate.baselines.jaccard_components import jaccard_edges

    links, _ = planted_block(seed=5)
    a = build_incidence(artifacts_table(links)).matrix
    whole = set(zip(*(x.tolist() for x in jaccard_edges(a, top_k=3, cutoff=0.2))))
    blocked = set(zip(*(x.tolist() for x in jaccard_edges(a, top_k=3, cutoff=0.2, block_pairs=50))))
    assert whole and whole == blocked
