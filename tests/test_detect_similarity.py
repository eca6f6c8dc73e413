"""Specificity rules and the near-linear similarity step, on tiny hand-made link sets."""

from __future__ import annotations

import numpy as np

from linkage.detect.inputs import KINDS, Links
from linkage.detect.similarity import artifact_pairs, top_k
from linkage.detect.specificity import specificity
from linkage.settings import load_settings


def links_of(rows: list[tuple[int, str, str]], n_accounts: int) -> Links:
    keys = sorted({(k, v) for _, k, v in rows})
    code = {kv: i for i, kv in enumerate(keys)}
    return Links(
        account_ids=np.array([f"a{i:05d}" for i in range(n_accounts)], dtype=object),
        artifact_kind=np.array([KINDS.index(k) for k, _ in keys], np.int8),
        artifact_value=np.array([v for _, v in keys], dtype=object),
        account=np.array([a for a, _, _ in rows], np.int64),
        artifact=np.array([code[(k, v)] for _, k, v in rows], np.int64),
        count=np.ones(len(rows), np.int64),
        first_seen=np.array([a for a, _, _ in rows], np.int64),
    )


def test_specificity_falls_with_use_and_hubs_are_damped_or_dropped():
    n = 10_000
    rows = [(0, "payment", "card2"), (1, "payment", "card2")]
    rows += [(i, "prompt", "tpl50") for i in range(50)]
    rows += [(i, "ip", "vpn3000") for i in range(3000)]
    rows += [(i, "user_agent", "everybody") for i in range(n)]
    rows += [(i, "proxy", "pool50") for i in range(50)]
    links = links_of(rows, n)
    s = load_settings(hub_accounts=1000, hub_fraction=0.0, hub_drop_fraction=0.5)
    spec = specificity(links, s)
    value = {links.artifact_value[i]: spec.value[i] for i in range(links.n_artifacts)}
    assert value["card2"] > value["tpl50"] > value["vpn3000"] > 0
    undamped = np.log(n / 3000) / np.log(n)
    assert value["vpn3000"] < 0.6 * undamped  # a hub: damped by sqrt(1000/3000)
    assert value["everybody"] == 0.0  # used by everybody: never links
    assert value["pool50"] < 0.4 * value["tpl50"]  # a proxy provider is weak evidence by kind


def test_large_artifact_links_neighbours_not_all_pairs():
    n = 10_000
    rows = [(i, "prompt", "big") for i in range(5000)] + [(i, "ip", "small") for i in range(6000, 6005)]
    links = links_of(rows, n)
    s = load_settings(hub_accounts=100_000, hub_drop_fraction=1.0, neighbours=3, small_artifact=25)
    a, b, fam, w = artifact_pairs(links, specificity(links, s), s)
    big = w < 0.5  # the 'big' prompt's links (specificity ~0) vs the small IP's
    assert len(a) <= 3 * 5000 + 10
    pairs = {(int(x), int(y)) for x, y in zip(a, b)}
    assert {(i, j) for i in range(6000, 6005) for j in range(i + 1, 6005)} <= pairs  # small: all 10 pairs
    assert (0, 500) not in pairs and (0, 1) in pairs and (0, 3) in pairs and (0, 4) not in pairs
    assert big.any()


def test_top_k_keeps_the_strongest_links_of_either_end():
    a = np.array([0, 0, 0, 1, 2])
    b = np.array([1, 2, 3, 2, 3])
    w = np.array([0.9, 0.5, 0.1, 0.8, 0.7])
    keep = top_k(a, b, w, 1)
    # node 0 keeps (0,1); node 1 keeps (0,1); node 2 keeps (1,2); node 3 keeps (2,3)
    assert keep.tolist() == [True, False, False, True, True]
