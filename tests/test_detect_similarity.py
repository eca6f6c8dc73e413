"""Specificity rules and the near-linear similarity step, on tiny hand-made link sets."""

from __future__ import annotations

import numpy as np
import pytest

from linkage.detect.inputs import KINDS, Links
from linkage.detect.similarity import artifact_pairs, top_k
from linkage.detect.specificity import TIMING, specificity
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


# ---- the linking gates, each deciding one pair -----------------------------------------------

def gated(pairs_shared: dict[tuple[int, int], dict[str, float]], n: int, sync=None, lock=None,
          **settings) -> tuple[set[tuple[int, int]], dict[tuple[int, int], list[float]]]:
    """similarity() on pairs that each share one artifact per kind, of the given specificity."""
    from detect_arrays import NO_LOCK, Net

    from linkage.detect.similarity import similarity
    from linkage.detect.specificity import KIND_FAMILY, Specificity

    net = Net(n)
    value = {}
    for (x, y), kinds in pairs_shared.items():
        for kind, v in kinds.items():
            net.use([x, y], kind, f"{kind}-{x}-{y}")
            value[f"{kind}-{x}-{y}"] = v
    links = net.links()
    spec = Specificity(df=np.bincount(links.artifact, minlength=links.n_artifacts),
                       value=np.array([value[v] for v in links.artifact_value], float),
                       family=np.array([KIND_FAMILY[KINDS[k]] for k in links.artifact_kind], np.int8),
                       hub_cutoff=1000.0)
    pw, candidates = similarity(links, spec, lock or NO_LOCK, load_settings(**settings), sync)
    # every candidate's weights: with the gates open, every candidate links
    every, _ = similarity(links, spec, lock or NO_LOCK, load_settings(**(settings | OPEN)), sync)
    assert len(every.a) == candidates >= len(pw.a)
    rows = {(int(a), int(b)): [round(float(x), 4) for x in w] for a, b, w in zip(every.a, every.b, every.w)}
    return {(int(a), int(b)) for a, b in zip(pw.a, pw.b)}, rows


OPEN = {"min_kinds": 0, "min_edge_weight": 0.0, "min_corroboration": 0.0}


GATES = {
    (0, 1): {"ip": 1.0},                                  # one family: never
    (2, 3): {"ip": 1.0, "user_agent": 0.125},             # a trace of a second family: corroboration 0.125
    (4, 5): {"ip": 0.5, "payment": 0.25},                 # 0.75 in all, 0.25 beyond the strongest: linked
    (6, 7): {"payment": 0.375, "email_domain": 0.25},     # corroborated, but 0.625 < 0.75 in all
    (8, 9): {"ip": 0.25, "payment": 0.25, "prompt": 0.25},  # three families, 0.75
}


def test_a_pair_links_only_with_two_families_enough_weight_and_corroboration():
    linked, _ = gated(GATES, 10, min_kinds=2, min_edge_weight=0.75, min_corroboration=0.25)
    assert linked == {(4, 5), (8, 9)}


def test_each_gate_alone_keeps_pairs_apart():
    assert gated(GATES, 10, min_kinds=3, min_edge_weight=0.75, min_corroboration=0.25)[0] == {(8, 9)}
    assert gated(GATES, 10, min_kinds=2, min_edge_weight=0.6, min_corroboration=0.25)[0] == \
        {(4, 5), (6, 7), (8, 9)}
    assert gated(GATES, 10, min_kinds=2, min_edge_weight=0.75, min_corroboration=0.1)[0] == \
        {(2, 3), (4, 5), (8, 9)}
    assert gated(GATES, 10, min_kinds=1, min_edge_weight=0.75, min_corroboration=0.0)[0] == \
        {(0, 1), (2, 3), (4, 5), (8, 9)}


def test_weights_add_up_per_family_and_cap_at_one():
    from linkage.detect.similarity import pair_weights
    from linkage.detect.specificity import FAMILIES

    net_fam, pay = FAMILIES.index("network"), FAMILIES.index("payment")
    pw = pair_weights(4, np.array([0, 1, 0, 2, 3]), np.array([1, 0, 1, 3, 3]),
                      np.array([net_fam, net_fam, pay, pay, pay], np.int8),
                      np.array([0.5, 0.75, 0.25, 0.5, 0.9], np.float32))
    assert (pw.a.tolist(), pw.b.tolist()) == ([0, 2], [1, 3])  # (1, 0) is (0, 1); (3, 3) is no pair
    assert pw.w[0, net_fam] == 1.0 and pw.w[0, pay] == 0.25 and pw.w[1, pay] == 0.5
    assert pw.kinds.tolist() == [2, 1] and pw.combined.tolist() == [1.25, 0.5]


def test_lockstep_adds_timing_from_the_minimum_windows_saturating_at_three_times_it():
    from linkage.detect.similarity import lockstep_weight
    from linkage.detect.specificity import TIMING as timing

    assert lockstep_weight(np.array([2, 3, 6, 9, 30]), 3).tolist() == pytest.approx([0, 1 / 3, 2 / 3, 1, 1])
    lock = (np.array([0, 2]), np.array([1, 3]), np.array([9, 2]), np.array([timing] * 2))
    linked, rows = gated({(0, 1): {"ip": 0.5}, (2, 3): {"ip": 0.5}}, 4, lock=lock)
    assert rows[(0, 1)][timing] == 1.0 and rows[(2, 3)][timing] == 0.0
    assert linked == {(0, 1)}


def test_strong_synchrony_links_a_pair_alone_and_weaker_synchrony_needs_a_second_family():
    from detect_arrays import sync_pairs

    both = sync_pairs([(0, 1), (2, 3)])
    both.weight[1] = 0.9
    linked, rows = gated({(4, 5): {"ip": 0.5, "payment": 0.5}}, 6, sync=both)
    assert linked == {(0, 1), (4, 5)}
    assert rows[(2, 3)][TIMING] == pytest.approx(0.9)  # the weak pair has its timing weight, but links nobody
    linked_low, _ = gated({}, 6, sync=both, sync_link_alone=0.9)
    assert linked_low == {(0, 1), (2, 3)}


# ---- the compiled passes against the numpy formulation they replaced --------------------------

def reference_artifact_pairs(links: Links, spec, settings):
    """The numpy formulation: a 3-key lexsort of the usable links, then one pass per offset."""
    usable = spec.value[links.artifact] > 0
    art, acc, fs = links.artifact[usable], links.account[usable], links.first_seen[usable]
    order = np.lexsort((acc, fs, art))
    art, acc = art[order], acc[order]
    small = spec.df[art] <= settings.small_artifact
    out_a, out_b, out_art = [], [], []
    m = max(1, settings.neighbours)
    for off in range(1, m + 1):
        idx = np.nonzero(art[:-off] == art[off:])[0]
        out_a.append(acc[idx]); out_b.append(acc[idx + off]); out_art.append(art[idx])
    s_idx = np.nonzero(small)[0]
    s_art, s_acc = art[s_idx], acc[s_idx]
    for off in range(m + 1, settings.small_artifact):
        if off >= len(s_art):
            break
        idx = np.nonzero(s_art[:-off] == s_art[off:])[0]
        if len(idx) == 0:
            break
        out_a.append(s_acc[idx]); out_b.append(s_acc[idx + off]); out_art.append(s_art[idx])
    arts = np.concatenate(out_art)
    return (np.concatenate(out_a).astype(np.int32), np.concatenate(out_b).astype(np.int32),
            spec.family[arts].astype(np.int8), spec.value[arts].astype(np.float32))


def reference_pair_weights(n, a, b, fam, w):
    """The numpy formulation: sort the (pair, family) keys, sum runs, pivot with np.unique."""
    from linkage.detect.similarity import PairWeights
    from linkage.detect.specificity import FAMILIES

    nf = len(FAMILIES)
    a64, b64 = a.astype(np.int64), b.astype(np.int64)
    key = (np.minimum(a64, b64) * n + np.maximum(a64, b64)) * nf + fam.astype(np.int64)
    keep = a != b
    key, w = key[keep], w[keep]
    order = np.argsort(key)
    key, w = key[order], w[order]
    first = np.r_[True, key[1:] != key[:-1]]
    sums = np.add.reduceat(w.astype(np.float64), np.nonzero(first)[0])
    uk = key[first]
    upair, pinv = np.unique(uk // nf, return_inverse=True)
    mat = np.zeros((len(upair), nf), np.float32)
    mat[pinv, uk % nf] = np.minimum(1.0, sums)
    return PairWeights(a=upair // n, b=upair % n, w=mat)


def random_links(seed: int, n: int = 400, artifacts: int = 300) -> Links:
    """Artifacts of 1 to ~120 accounts, first uses with many ties, some links repeated."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(artifacts):
        size = int(min(n, rng.pareto(1.2) * 2 + 1))
        for acc in rng.choice(n, size, replace=False):
            rows.append((int(acc), k, float(rng.integers(0, 6))))
    rows += [rows[i] for i in rng.integers(0, len(rows), 20)]  # the same link twice
    rows = [rows[i] for i in rng.permutation(len(rows))]
    kinds = rng.integers(0, len(KINDS), artifacts).astype(np.int8)
    return Links(account_ids=np.array([f"a{i:05d}" for i in range(n)], dtype=object), artifact_kind=kinds,
                 artifact_value=np.array([f"v{k}" for k in range(artifacts)], dtype=object),
                 account=np.array([r[0] for r in rows], np.int64), artifact=np.array([r[1] for r in rows], np.int64),
                 count=np.ones(len(rows), np.int64), first_seen=np.array([r[2] for r in rows], np.float64))


def random_timing(seed: int, n: int, pairs: int):
    """(lockstep tuple, synchrony pairs) of random distinct account pairs."""
    from detect_arrays import sync_pairs

    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, n, (2, pairs))
    a, b = np.minimum(a, b)[a != b], np.maximum(a, b)[a != b]
    lock = (a[::2], b[::2], rng.integers(0, 12, len(a[::2])), np.full(len(a[::2]), TIMING, np.int64))
    edges = sorted(set(zip(a[1::2].tolist(), b[1::2].tolist())))
    sync = sync_pairs(edges)
    sync.weight[:] = rng.uniform(0.2, 1.0, len(edges)).astype(np.float32)
    return lock, sync


SETTINGS = {"hub_accounts": 40, "hub_fraction": 0.0, "hub_drop_fraction": 0.3, "neighbours": 3,
            "small_artifact": 12}


def rows_of(a, b, fam, w) -> list[tuple[int, int, int, float]]:
    return sorted(zip(a.tolist(), b.tolist(), fam.tolist(), w.tolist()))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_artifact_pairs_are_the_lexsort_formulations_rows(seed):
    links = random_links(seed)
    s = load_settings(**SETTINGS)
    spec = specificity(links, s)
    new, ref = artifact_pairs(links, spec, s), reference_artifact_pairs(links, spec, s)
    assert [x.dtype for x in new] == [x.dtype for x in ref]
    assert rows_of(*new) == rows_of(*ref)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pair_weights_are_the_sorted_keys_formulations_to_the_bit(seed):
    from linkage.detect.similarity import pair_weights

    links = random_links(seed)
    s = load_settings(**SETTINGS)
    a, b, fam, w = artifact_pairs(links, specificity(links, s), s)
    rng = np.random.default_rng(seed)
    flip = rng.random(len(a)) < 0.5  # either orientation, and a few rows of an account with itself
    a, b = np.where(flip, b, a), np.where(flip, a, b)
    a[:5] = b[:5]
    new, ref = pair_weights(links.n_accounts, a, b, fam, w), reference_pair_weights(links.n_accounts, a, b, fam, w)
    assert new.a.dtype == ref.a.dtype == np.int64 and new.w.dtype == np.float32
    assert np.array_equal(new.a, ref.a) and np.array_equal(new.b, ref.b)
    assert np.array_equal(new.w.view(np.uint32), ref.w.view(np.uint32))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_similarity_keeps_the_linked_rows_of_every_candidate_to_the_bit(seed, monkeypatch):
    from linkage.detect.similarity import _passes_gates, lockstep_weight, similarity

    links = random_links(seed)
    s = load_settings(**SETTINGS, min_kinds=2, min_edge_weight=0.5, min_corroboration=0.2, top_k=4,
                      sync_link_alone=0.9)
    spec = specificity(links, s)
    lock, sync = random_timing(seed, links.n_accounts, 600)
    a, b, fam, w = reference_artifact_pairs(links, spec, s)
    la, lb, win, lfam = lock
    ref = reference_pair_weights(
        links.n_accounts, np.concatenate([a, la.astype(np.int32), sync.a.astype(np.int32)]),
        np.concatenate([b, lb.astype(np.int32), sync.b.astype(np.int32)]),
        np.concatenate([fam, lfam.astype(np.int8), np.full(len(sync.a), TIMING, np.int8)]),
        np.concatenate([w, lockstep_weight(win, s.lockstep_min_windows).astype(np.float32), sync.weight]))
    ref.sync = np.zeros(len(ref.a), np.float32)
    ref.sync[np.searchsorted(ref.a * links.n_accounts + ref.b, sync.a * links.n_accounts + sync.b)] = sync.weight
    idx = np.nonzero(_passes_gates(ref, s))[0]
    linked = idx[top_k(ref.a[idx], ref.b[idx], ref.combined[idx], s.top_k)]
    for chunk in (None, 97):  # one account range, then many: the same rows
        if chunk:
            monkeypatch.setattr("linkage.detect.similarity.CHUNK_ROWS", chunk)
        pw, candidates = similarity(links, spec, lock, s, sync)
        assert candidates == len(ref.a) and 0 < len(pw.a) < candidates
        assert np.array_equal(pw.a, ref.a[linked]) and np.array_equal(pw.b, ref.b[linked])
        assert np.array_equal(pw.w.view(np.uint32), ref.w[linked].view(np.uint32))
        assert np.array_equal(pw.sync, ref.sync[linked])
        assert np.array_equal(pw.combined.view(np.uint32), ref.combined[linked].view(np.uint32))
