"""The detection steps least likely to change, one rule per test on bare inputs: ring identity's
overlap rules, peeling weak members, Leiden splitting a joined component, fragment merging,
specificity's hub rules, exclusive content for consolidation. Each input is built so that the one
rule decides the outcome: break the rule and the answer flips."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from linkage.detect.communities import communities, merge_fragments, peel
from linkage.detect.consolidate import exclusive_content
from linkage.detect.inputs import KINDS, Links
from linkage.detect.ring_identity import CONTAINMENT, JACCARD, match_rings, new_ring_id
from linkage.detect.specificity import KIND_FAMILY, specificity
from linkage.settings import load_settings


def accounts(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:03d}" for i in range(n)]


# ---- ring identity ---------------------------------------------------------------------------

def test_a_small_old_ring_mostly_inside_a_big_community_keeps_its_id_by_containment() -> None:
    old = accounts("o", 10)
    tonight = old[:6] + accounts("n", 24)  # Jaccard 6/34 = 0.18 < 0.3, but 6 of the old 10 are in it
    assert 6 / 34 < JACCARD and 6 / 10 >= CONTAINMENT
    assignments, ending = match_rings([tonight], {"ring_old": set(old)})
    assert [(a.ring_id, a.change) for a in assignments] == [("ring_old", "grown")]
    assert assignments[0].detail == {"before": 10, "after": 30}
    assert ending == []


def test_a_small_community_mostly_inside_a_big_old_ring_keeps_its_id_by_containment() -> None:
    old = accounts("o", 30)
    assignments, _ = match_rings([old[:6] + ["x1", "x2"]], {"ring_old": set(old)})  # 6/8 of it was the ring
    assert [(a.ring_id, a.change) for a in assignments] == [("ring_old", "shrunk")]


def test_containment_is_at_least_half() -> None:
    old = accounts("o", 10)
    kept, _ = match_rings([old[:5] + accounts("n", 25)], {"ring_old": set(old)})  # exactly 5 of 10
    lost, ending = match_rings([old[:4] + accounts("n", 26)], {"ring_old": set(old)})  # 4 of 10, 4/30 of it
    assert kept[0].ring_id == "ring_old"
    assert lost[0].change == "new" and ending == [("ring_old", "dissolved", {"before": 10})]


def test_containment_counts_from_the_community_side_at_exactly_half() -> None:
    old = accounts("o", 30)
    tonight = old[:5] + accounts("n", 5)  # half of tonight's 10 were the ring; 5/30 of the ring, Jaccard 5/35
    assert 5 / 35 < JACCARD and 5 / 30 < CONTAINMENT
    kept, _ = match_rings([tonight], {"ring_old": set(old)})
    lost, _ = match_rings([old[:4] + accounts("n", 6)], {"ring_old": set(old)})
    assert (kept[0].ring_id, kept[0].change) == ("ring_old", "shrunk") and lost[0].change == "new"


def test_jaccard_alone_keeps_an_id_at_three_tenths() -> None:
    old = accounts("o", 100)
    # 47 shared of 100 and 100: containment 0.47 on both sides, Jaccard 47/153 = 0.307 -> kept
    assignments, _ = match_rings([old[:47] + accounts("n", 53)], {"ring_old": set(old)})
    assert 47 / 100 < CONTAINMENT and 47 / 153 >= JACCARD
    assert assignments[0].ring_id == "ring_old"
    # 45 shared: Jaccard 45/155 = 0.29 -> a new ring, the old one dissolved
    assignments, ending = match_rings([old[:45] + accounts("n", 55)], {"ring_old": set(old)})
    assert assignments[0].change == "new" and ending[0][:2] == ("ring_old", "dissolved")


def test_the_same_size_is_stable_and_the_largest_claim_wins_a_split() -> None:
    old = accounts("o", 20)
    assignments, ending = match_rings([old[:8], old[8:]], {"ring_old": set(old)})
    assert [a.change for a in assignments] == ["split", "shrunk"]  # the larger piece (12) keeps the id
    assert assignments[1].ring_id == "ring_old" and assignments[0].detail == {"from": "ring_old", "size": 8}
    same, _ = match_rings([list(reversed(old))], {"ring_old": set(old)})
    assert (same[0].ring_id, same[0].change) == ("ring_old", "stable")


def test_equal_claims_on_a_ring_go_to_the_first_community() -> None:
    old = accounts("o", 20)
    assignments, _ = match_rings([old[:10], old[10:]], {"ring_old": set(old)})
    assert [a.change for a in assignments] == ["shrunk", "split"]  # 10 and 10: the first keeps the id
    assert assignments[0].ring_id == "ring_old"


def test_a_piece_split_off_names_the_ring_it_overlaps_and_on_a_tie_the_higher_id() -> None:
    a, b = accounts("a", 10), accounts("b", 10)
    previous = {"ring_a": set(a), "ring_b": set(b)}
    tonight = [a[:8], b[:8], a[8:] + b[8:]]  # the third piece: 2 of each, both claimed elsewhere
    assignments, _ = match_rings(tonight, previous)
    assert [x.change for x in assignments] == ["shrunk", "shrunk", "split"]
    assert assignments[2].detail == {"from": "ring_b", "size": 4}  # a tie on overlap: the higher id
    more_a, _ = match_rings([a[:7], b[:8], a[7:] + b[8:]], previous)
    assert more_a[2].detail == {"from": "ring_a", "size": 5}


def test_new_ring_ids_come_from_membership_whatever_its_order_and_never_repeat() -> None:
    members = accounts("m", 5)
    assert new_ring_id(members) == new_ring_id(list(reversed(members))) != new_ring_id(members[:4])
    assignments, _ = match_rings([members, list(members)], {})
    assert [a.change for a in assignments] == ["new", "new"]
    assert assignments[0].ring_id == new_ring_id(members) and assignments[1].ring_id == new_ring_id(members) + "_1"


# ---- communities -----------------------------------------------------------------------------

def clique(nodes: list[int], weight: float) -> list[tuple[int, int, float]]:
    return [(i, j, weight) for k, i in enumerate(nodes) for j in nodes[k + 1:]]


def arrays(edges: list[tuple[int, int, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (np.array([e[0] for e in edges], np.int64), np.array([e[1] for e in edges], np.int64),
            np.array([e[2] for e in edges], np.float64))


def test_a_member_hanging_on_by_one_weak_link_is_peeled_and_the_core_stays() -> None:
    a, b, w = arrays(clique(list(range(6)), 1.0) + [(5, 6, 0.5)])  # account 6: one link of 0.5
    labels = np.array([0] * 7 + [-1], np.int64)
    peeled = peel(labels, a, b, w, min_tie=0.25, min_size=3)
    assert peeled.tolist() == [0] * 6 + [-1, -1]  # core tie 5.0 each; 0.5 < 0.25 * 5
    kept = peel(labels, a, b, w, min_tie=0.05, min_size=3)  # 0.5 >= 0.05 * 5: stays
    assert kept.tolist() == [0] * 7 + [-1]


def test_peeling_can_leave_a_community_too_small_to_report() -> None:
    a, b, w = arrays(clique([0, 1, 2], 1.0) + [(2, 3, 0.1)])
    labels = np.array([0, 0, 0, 0], np.int64)
    assert peel(labels, a, b, w, min_tie=0.25, min_size=3).tolist() == [0, 0, 0, -1]
    assert peel(labels, a, b, w, min_tie=0.25, min_size=4).tolist() == [-1, -1, -1, -1]


def test_peeled_labels_are_renumbered_densely_in_order() -> None:
    a, b, w = arrays(clique([0, 1, 2], 1.0) + clique([3, 4, 5], 1.0))
    labels = np.array([4, 4, 4, 9, 9, 9], np.int64)
    assert peel(labels, a, b, w, min_tie=0.25, min_size=3).tolist() == [0, 0, 0, 1, 1, 1]


def test_small_components_are_communities_and_tiny_ones_are_not() -> None:
    a, b, w = arrays(clique([0, 1, 2, 3], 1.0) + [(4, 5, 1.0)])
    labels = communities(7, a, b, w, resolution=0.5, seed=1, min_size=3)
    assert labels.tolist() == [0, 0, 0, 0, -1, -1, -1]


def test_leiden_splits_a_big_component_where_its_links_are_thin() -> None:
    left, right = list(range(15)), list(range(15, 30))  # 30 > the 20 above which Leiden runs
    a, b, w = arrays(clique(left, 1.0) + clique(right, 1.0) + [(14, 15, 0.2)])
    labels = communities(30, a, b, w, resolution=0.5, seed=1, min_size=3)
    assert len(set(labels[left])) == 1 and len(set(labels[right])) == 1 and labels[0] != labels[29]
    assert (labels >= 0).all()


def test_ring_fragments_merge_when_their_links_reach_the_ratio_and_look_alikes_never() -> None:
    edges = clique([0, 1, 2], 1.0) + clique([3, 4, 5], 1.0) + [(2, 3, 0.5)]  # volume 6 each, 0.5 between
    a, b, w = arrays(edges)
    labels = np.array([0, 0, 0, 1, 1, 1], np.int64)
    ring = np.array([True, True])
    assert merge_fragments(labels, a, b, w, ring, min_ratio=0.05).tolist() == [0] * 6  # 0.5 >= 0.05 * 6.5
    assert merge_fragments(labels, a, b, w, ring, min_ratio=0.1).tolist() == [0, 0, 0, 1, 1, 1]  # < 0.65
    assert merge_fragments(labels, a, b, w, np.array([True, False]), min_ratio=0.05).tolist() == \
        [0, 0, 0, 1, 1, 1]


def test_fragments_merge_when_their_links_reach_exactly_the_ratio():
    a, b, w = arrays([(0, 1, 1.5), (2, 3, 1.5), (1, 2, 1.0)])  # volume 1.5 * 2 + 1 = 4 each, 1.0 between
    labels = np.array([0, 0, 1, 1, -1], np.int64)
    ring = np.array([True, True])
    assert merge_fragments(labels, a, b, w, ring, min_ratio=0.25).tolist() == [0, 0, 0, 0, -1]
    assert merge_fragments(labels, a, b, w, ring, min_ratio=0.26).tolist() == [0, 0, 1, 1, -1]


def test_a_chain_of_fragments_merges_into_one_ring_and_others_are_renumbered():
    a, b, w = arrays(clique([0, 1], 1.0) + clique([2, 3], 1.0) + clique([4, 5], 1.0) + clique([6, 7], 1.0)
                     + [(1, 2, 1.0), (3, 4, 1.0)])  # 0-1-2 chained; 3 alone
    labels = np.array([0, 0, 1, 1, 2, 2, 3, 3], np.int64)
    merged = merge_fragments(labels, a, b, w, np.array([True] * 4), min_ratio=0.2)
    assert merged.tolist() == [0, 0, 0, 0, 0, 0, 1, 1]


# ---- specificity -----------------------------------------------------------------------------

def links_of(rows: list[tuple[int, str, str]], n: int) -> Links:
    code: dict[tuple[str, str], int] = {}
    for _, k, v in rows:
        code.setdefault((k, v), len(code))
    return Links(account_ids=np.array([f"a{i}" for i in range(n)], object),
                 artifact_kind=np.array([KINDS.index(k) for k, _ in code], np.int8),
                 artifact_value=np.array([v for _, v in code], object),
                 account=np.array([a for a, _, _ in rows], np.int64),
                 artifact=np.array([code[(k, v)] for _, k, v in rows], np.int64),
                 count=np.ones(len(rows), np.int64), first_seen=np.zeros(len(rows), np.int64))


def spec_of(rows: list[tuple[int, str, str]], n: int, **settings: object) -> dict[str, float]:
    links = links_of(rows, n)
    s = specificity(links, load_settings(**settings))
    return {links.artifact_value[i]: float(s.value[i]) for i in range(links.n_artifacts)}


def test_an_artifact_of_one_account_never_links() -> None:
    value = spec_of([(0, "payment", "solo"), (0, "payment", "pair"), (1, "payment", "pair")], 100)
    assert value["solo"] == 0.0 and value["pair"] == pytest.approx(np.log(50) / np.log(100))


def test_a_hub_is_damped_by_the_root_of_cutoff_over_use() -> None:
    rows = [(i, "ip", "hub") for i in range(400)] + [(i, "ip", "edge") for i in range(100)]
    value = spec_of(rows, 1000, hub_accounts=100, hub_fraction=0.0, hub_drop_fraction=0.5)
    idf = lambda df: np.log(1000 / df) / np.log(1000)  # noqa: E731
    assert value["edge"] == pytest.approx(idf(100))  # at the cutoff: not a hub
    assert value["hub"] == pytest.approx(idf(400) * np.sqrt(100 / 400))


def test_an_artifact_past_the_drop_share_never_links() -> None:
    rows = [(i, "prompt", "most") for i in range(60)] + [(i, "prompt", "half") for i in range(50)]
    value = spec_of(rows, 100, hub_accounts=10, hub_fraction=0.0, hub_drop_fraction=0.5)
    assert value["most"] == 0.0 and value["half"] > 0.0


def test_kinds_weigh_the_same_sharing_differently() -> None:
    rows = [(i, k, f"{k}-x") for k in ("ip", "proxy", "user_agent") for i in range(2)]
    value = spec_of(rows, 100)
    assert value["ip-x"] > value["user_agent-x"] > value["proxy-x"] > 0.0


# ---- consolidation: what counts as an operator's own content ---------------------------------

def test_exclusive_content_is_non_network_used_by_two_members_and_almost_nobody_else() -> None:
    # ring 0 = accounts 0-3; accounts 4-13 are outside every ring
    rows = ([(a, "prompt", "own") for a in range(4)]                      # exclusive
            + [(0, "prompt", "single")]                                  # one member only
            + [(a, "ip", "exit") for a in range(4)]                      # network: never content
            + [(a, "prompt", "public") for a in range(14)]               # 10 outsiders
            + [(a, "payment", "leak") for a in (0, 1, 4, 5)])            # 2 outsiders
    links = links_of(rows, 14)
    family = np.array([KIND_FAMILY[k] for k in KINDS], np.int8)[links.artifact_kind]
    labels = np.array([0] * 4 + [-1] * 10, np.int64)
    excl = exclusive_content(labels, np.array([True]), links, family, outside_accounts=2, outside_share=0.01)
    got = {links.artifact_value[i] for i in np.nonzero(excl)[0]}
    assert got == {"own", "leak"}  # 2 outsiders <= 2 allowed
    strict = exclusive_content(labels, np.array([True]), links, family, outside_accounts=1, outside_share=0.01)
    assert {links.artifact_value[i] for i in np.nonzero(strict)[0]} == {"own"}


def test_strong_kinds_carry_the_full_specificity_and_weak_ones_less():
    kinds = ("ip", "proxy", "payment", "prompt", "user_agent", "email_domain", "prompt_family")
    rows = [(i, k, f"{k}-x") for k in kinds for i in range(2)]
    value = spec_of(rows, 100)
    idf = np.log(100 / 2) / np.log(100)
    for strong in ("ip", "payment", "prompt", "prompt_family"):
        assert value[f"{strong}-x"] == pytest.approx(idf)
    assert 0 < value["proxy-x"] < value["user_agent-x"] < value["email_domain-x"] < idf


def test_evidence_families_join_only_kinds_that_are_not_independent():
    family = KIND_FAMILY
    assert family["proxy"] == family["ip"]  # a proxy is derived from its exits
    assert family["prompt_family"] == family["prompt"]  # one template, whatever its fill-ins
    independent = [family[k] for k in ("ip", "payment", "prompt", "user_agent", "email_domain")]
    assert len(set(independent)) == 5


def test_a_tiny_population_still_has_a_specificity_scale():
    # two accounts sharing a card: N is at least 2, so log(N / df) / log(N) is defined (and 0)
    assert spec_of([(0, "payment", "c"), (1, "payment", "c")], 2) == {"c": 0.0}
    assert spec_of([(0, "payment", "c"), (1, "payment", "c")], 1) == {"c": 0.0}


def test_the_hub_cutoff_is_the_larger_of_the_count_and_the_share():
    rows = [(i, "ip", "big") for i in range(150)]
    by_count = spec_of(rows, 1000, hub_accounts=100, hub_fraction=0.05, hub_drop_fraction=0.5)  # cutoff 100
    by_share = spec_of(rows, 1000, hub_accounts=10, hub_fraction=0.2, hub_drop_fraction=0.5)  # cutoff 200
    idf = np.log(1000 / 150) / np.log(1000)
    assert by_count["big"] == pytest.approx(idf * np.sqrt(100 / 150)) and by_share["big"] == pytest.approx(idf)
    dropped = spec_of(rows, 1000, hub_accounts=200, hub_fraction=0.0, hub_drop_fraction=0.1)  # 150 <= 200
    assert dropped["big"] == pytest.approx(idf)  # the drop line is never below the hub cutoff


def test_an_artifact_left_without_links_has_a_specificity_of_zero():
    links = links_of([(0, "ip", "kept"), (1, "ip", "kept"), (0, "payment", "allowlisted")], 10)
    last = links.n_artifacts - 1
    assert links.artifact_value[last] == "allowlisted"
    keep = links.artifact != last  # as after an allowlist or an ablation: the code stays, its links go
    bare = replace(links, account=links.account[keep], artifact=links.artifact[keep], count=links.count[keep],
                   first_seen=links.first_seen[keep])
    s = specificity(bare, load_settings())
    assert len(s.value) == links.n_artifacts and s.value[last] == 0.0 and s.df[last] == 0 and s.value[0] > 0
