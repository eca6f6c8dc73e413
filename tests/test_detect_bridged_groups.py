"""A group hanging on a community by a single link is a community of its own: a household
(or a team) tied to each other many times over stays inside an operator head's community
when one of them shares one link with one of its accounts (modularity's resolution limit)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import numpy as np
import pytest
from detect_graphs import T0, GraphBuilder

from linkage.detect import detect
from linkage.detect.communities import detach_bridged_groups
from linkage.settings import load_settings
from linkage.store.embedded import EmbeddedStore


def clique(nodes: range) -> list[tuple[int, int]]:
    return list(itertools.combinations(nodes, 2))


def graph(edges: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    a, b = (np.array(x, np.int64) for x in zip(*edges))
    return a, b


def test_a_household_on_one_link_is_detached_and_a_peripheral_account_stays():
    ring, household, periphery = range(0, 20), range(20, 25), 25
    a, b = graph(clique(ring) + clique(household) + [(3, 20), (7, periphery)])
    labels = np.zeros(26, np.int64)
    out = detach_bridged_groups(labels, a, b, min_size=3)
    assert len(set(out[list(ring)])) == 1 and out[periphery] == out[0]
    assert len(set(out[list(household)])) == 1 and out[20] != out[0] and out[20] >= 0


def test_a_group_tied_by_two_links_is_part_of_the_ring():
    ring, household = range(0, 20), range(20, 25)
    a, b = graph(clique(ring) + clique(household) + [(3, 20), (4, 21)])
    out = detach_bridged_groups(np.zeros(25, np.int64), a, b, min_size=3)
    assert len(set(out.tolist())) == 1


def test_the_body_is_the_larger_side_and_a_detached_group_below_the_minimum_size_is_dropped():
    ring, pair_side = range(0, 12), range(12, 15)  # a triangle: a group of three on one link
    a, b = graph(clique(ring) + clique(pair_side) + [(0, 12)])
    out = detach_bridged_groups(np.zeros(15, np.int64), a, b, min_size=4)
    assert len(set(out[list(ring)])) == 1 and out[0] >= 0
    assert (out[list(pair_side)] == -1).all()


def test_other_communities_and_non_members_are_left_as_they_were():
    a, b = graph(clique(range(0, 4)) + clique(range(4, 8)) + [(0, 4)])
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1, -1])
    out = detach_bridged_groups(labels, a, b, min_size=3)  # communities of 4: below 2 × min_size
    assert out.tolist() == labels.tolist()


@pytest.mark.embedded
def test_a_household_sharing_one_link_with_a_ring_is_not_flagged_with_it(tmp_path):
    g = GraphBuilder(41)
    g.background(100)
    ring = g.ring("opz", 12, cards=1)
    home = [f"home-{i}" for i in range(5)]
    for i, acc in enumerate(home):  # home IPs, a family card and domain: tied to each other ten times over
        g.legit(acc, T0 - timedelta(days=600 - 30 * i), ips=["192.0.2.44", "192.0.2.45"], card="family-card",
                domain="smith-family.example")
    for acc in (home[0], ring[3]):  # one exit and one gift card in common: one link to one member
        g.use(acc, "ip", "198.18.0.1", 5)
        g.use(acc, "payment", "gift-card-77", 1)
    store = EmbeddedStore(str(tmp_path / "g.duckdb"))
    g.write(store)

    def flagged(**settings) -> list[set[str]]:
        return [set(r.members) for r in detect(store, load_settings(**settings)).rings if r.status == "active"]

    assert flagged(detach_bridged=False, drop_bystanders=False) == [set(ring) | set(home)]
    assert flagged(drop_bystanders=False) == [set(ring)]  # the bridge alone decides
    assert flagged() == [set(ring)]
