"""Evidence paths of the API (`PathFinder.paths`, compiled): on random graphs, exactly the
shortest paths a brute-force search finds over the walkable artifacts, and path for path
what the first implementation (tests/path_reference.py) answered, budget and order included."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from path_reference import ReferencePathFinder

from linkage.api.graph_index import GraphIndex
from linkage.api.path_search import EPOCH_LIMIT
from linkage.api.paths import PathFinder
from linkage.api.strings import StringColumn
from linkage.detect.inputs import KINDS

MIN_SPEC = 0.25
SPECS = [0.0, 0.2, 0.3, 0.5, 0.5, 0.7, 0.9]  # repeated values: ties in the order of artifacts


def random_graph(rng: np.random.Generator, n_acc: int, n_art: int, n_links: int, hub_cutoff: float) -> GraphIndex:
    """A GraphIndex laid out as load_graph_index lays it out; an account's links in random order."""
    pairs = np.unique(np.stack([rng.integers(0, n_acc, n_links), rng.integers(0, n_art, n_links)], 1), axis=0)
    pairs = pairs[rng.permutation(len(pairs))]
    acc, art = pairs[:, 0], pairs[:, 1]
    by_acc, by_art = np.argsort(acc, kind="stable"), np.lexsort((acc, art))
    acc_ptr, art_ptr = np.zeros(n_acc + 1, np.int64), np.zeros(n_art + 1, np.int64)
    np.cumsum(np.bincount(acc, minlength=n_acc), out=acc_ptr[1:])
    np.cumsum(np.bincount(art, minlength=n_art), out=art_ptr[1:])
    ids = StringColumn.from_strings([f"acc{i:04d}" for i in range(n_acc)])
    zeros = np.zeros(len(acc), np.int64)
    return GraphIndex(
        account_ids=ids, created_at=np.zeros(n_acc, np.int64), email_domain=ids, country=ids,
        kind_start=np.array([0] + [n_art] * len(KINDS)),
        artifact_value=StringColumn.from_strings([f"v{i:04d}" for i in range(n_art)]), acc_ptr=acc_ptr,
        link_artifact=art[by_acc].astype(np.int32), link_count=zeros, link_first=zeros, link_last=zeros,
        art_ptr=art_ptr, art_users=acc[by_art].astype(np.int32), df=np.diff(art_ptr),
        spec=rng.choice(SPECS, n_art), hub_cutoff=hub_cutoff)


def walkable(g: GraphIndex, max_accounts: int | None, blocked: np.ndarray | None) -> set[int]:
    """The walking rules, restated: specific enough, no hub, not too many users, not allowlisted."""
    return {t for t in range(len(g.spec))
            if g.spec[t] > 0 and g.spec[t] >= MIN_SPEC and g.df[t] <= g.hub_cutoff
            and (not max_accounts or g.df[t] <= max_accounts) and not (blocked is not None and blocked[t])}


def brute_force(g: GraphIndex, walk: set[int], a: int, b: int, max_hops: int) -> set[tuple]:
    """Every path a → b of the fewest hops (at most max_hops), by trying all chains of each length."""
    shared = {}  # account -> [(artifact, other account)]
    for t in walk:
        users = g.users_of(t).tolist()
        for u in users:
            shared.setdefault(u, []).extend((t, v) for v in users if v != u)
    for length in range(1, max_hops + 1):
        found: set[tuple] = set()
        chains = [((), (a,))]
        for _ in range(length):
            chains = [(hops + ((acc[-1], t, v),), acc + (v,)) for hops, acc in chains
                      for t, v in shared.get(acc[-1], []) if v not in acc]
        found = {hops for hops, acc in chains if acc[-1] == b}
        if found:
            return found
    return set()


def as_tuples(paths) -> list[tuple]:
    return [(tuple((h.source, h.artifact, h.target) for h in p.hops), p.strength) for p in paths]


def cases(seed: int, n: int):
    """(graph, max_accounts, blocked) triples: sparse to dense, with and without allowlist and caps."""
    rng = np.random.default_rng(seed)
    for trial in range(n):
        n_acc, n_art = int(rng.integers(5, 40)), int(rng.integers(3, 90))
        g = random_graph(rng, n_acc, n_art, int(rng.integers(5, 700)), hub_cutoff=float(rng.integers(4, 30)))
        blocked = rng.random(n_art) < 0.15 if trial % 2 else None
        yield rng, g, [None, 6, 12][trial % 3], blocked


@pytest.mark.parametrize("seed", [1, 2])
def test_all_shortest_paths_are_found_when_the_budget_holds_them_all(seed):
    checked = 0
    for rng, g, cap, blocked in cases(seed, 60):
        finder, walk = PathFinder(g, MIN_SPEC, cap), walkable(g, cap, blocked)
        for _ in range(10):
            a, b = (int(x) for x in rng.integers(0, g.n_accounts, 2))
            max_hops = int(rng.integers(1, 5))
            expected = brute_force(g, walk, a, b, max_hops) if a != b else set()
            got = as_tuples(finder.paths(a, b, max_hops, limit=100_000, blocked=blocked))
            assert {hops for hops, _ in got} == expected, (a, b, max_hops)
            strengths = [s for _, s in got]
            assert strengths == [min(float(g.spec[t]) for _, t, _ in hops) for hops, _ in got]
            assert strengths == sorted(strengths, reverse=True)
            checked += bool(expected)
    assert checked > 100  # most pairs had paths: the comparison was not between empty sets


@pytest.mark.parametrize("seed", [3, 4])
def test_answers_are_the_first_implementations_path_for_path(seed):
    truncated = 0
    for rng, g, cap, blocked in cases(seed, 80):
        new, old = PathFinder(g, MIN_SPEC, cap), ReferencePathFinder(g, MIN_SPEC, cap)
        for _ in range(12):
            a, b = (int(x) for x in rng.integers(0, g.n_accounts, 2))
            max_hops, limit = int(rng.integers(1, 7)), int(rng.integers(1, 12))
            expected = as_tuples(old.paths(a, b, max_hops, limit, blocked))
            assert as_tuples(new.paths(a, b, max_hops, limit, blocked)) == expected, (a, b, max_hops, limit)
            truncated += len(old.paths(a, b, max_hops, 10**6, blocked)) > 5 * limit
    assert truncated > 20  # the budget cut the enumeration often: its order was compared too


def test_marks_left_by_earlier_searches_never_leak_into_later_ones():
    rng = np.random.default_rng(5)
    g = random_graph(rng, 30, 60, 400, hub_cutoff=20)
    pairs = [tuple(int(x) for x in rng.integers(0, 30, 2)) for _ in range(40)]
    fresh = [as_tuples(PathFinder(g, MIN_SPEC).paths(a, b, 4, 5)) for a, b in pairs]
    finder = PathFinder(g, MIN_SPEC)
    with finder._scratch() as scratch:
        scratch.epoch = EPOCH_LIMIT - 15  # the marks wrap around within these searches
    for _ in range(2):
        assert [as_tuples(finder.paths(a, b, 4, 5)) for a, b in pairs] == fresh
    assert 0 < scratch.epoch < 100


def test_concurrent_searches_each_get_their_own_marks():
    rng = np.random.default_rng(6)
    g = random_graph(rng, 35, 80, 600, hub_cutoff=25)
    finder = PathFinder(g, MIN_SPEC)
    pairs = [tuple(int(x) for x in rng.integers(0, 35, 2)) for _ in range(300)]
    serial = [as_tuples(finder.paths(a, b, 5, 10)) for a, b in pairs]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(lambda p: as_tuples(finder.paths(p[0], p[1], 5, 10)), pairs)) == serial
    assert any(serial)


def test_an_allowlisted_artifact_is_not_walked_from_the_moment_it_is_blocked():
    rng = np.random.default_rng(8)
    g = random_graph(rng, 20, 30, 150, hub_cutoff=20)
    finder = PathFinder(g, MIN_SPEC)
    a, b = next((a, b) for a in range(20) for b in range(20) if a != b and finder.paths(a, b, 1, 10))
    (via, *_), = [(h.artifact for h in p.hops) for p in finder.paths(a, b, 1, 1)]
    blocked = np.zeros(len(g.spec), bool)
    blocked[via] = True
    assert via not in {h.artifact for p in finder.paths(a, b, 6, 50, blocked) for h in p.hops}
    assert via in {h.artifact for p in finder.paths(a, b, 1, 50) for h in p.hops}  # unblocked again


def test_on_a_dense_cluster_the_budget_and_the_first_fifty_meeting_accounts_shape_the_answer():
    """A ring-like cluster (every pair joined by many short paths): the enumeration order decides."""
    rng = np.random.default_rng(9)
    g = random_graph(rng, 120, 400, 2400, hub_cutoff=40)
    new, old = PathFinder(g, MIN_SPEC), ReferencePathFinder(g, MIN_SPEC)
    for _ in range(150):
        a, b = (int(x) for x in rng.integers(0, 120, 2))
        max_hops, limit = int(rng.integers(2, 5)), int(rng.integers(1, 25))
        assert as_tuples(new.paths(a, b, max_hops, limit)) == as_tuples(old.paths(a, b, max_hops, limit))


def graph_of(n_acc: int, artifacts: list[tuple[list[int], float]]) -> GraphIndex:
    """A GraphIndex with the given artifacts (their users and specificity)."""
    g = random_graph(np.random.default_rng(0), n_acc, len(artifacts), 0, hub_cutoff=100)
    acc = np.array([u for users, _ in artifacts for u in users])
    art = np.array([t for t, (users, _) in enumerate(artifacts) for _ in users])
    by_acc, by_art = np.argsort(acc, kind="stable"), np.lexsort((acc, art))
    np.cumsum(np.bincount(acc, minlength=n_acc), out=g.acc_ptr[1:])
    np.cumsum(np.bincount(art, minlength=len(artifacts)), out=g.art_ptr[1:])
    g.link_artifact, g.art_users = art[by_acc].astype(np.int32), acc[by_art].astype(np.int32)
    g.df, g.spec = np.diff(g.art_ptr), np.array([s for _, s in artifacts])
    return g


def test_paths_run_through_the_first_fifty_meeting_accounts_only():
    # 0 and 61 share 60 middle accounts; through the last ten the paths are the strongest
    artifacts = [([0, m], 0.3 if m <= 50 else 0.9) for m in range(1, 61)] + [([m, 61], 0.9) for m in range(1, 61)]
    g = graph_of(62, artifacts)
    paths = PathFinder(g, MIN_SPEC).paths(0, 61, 4, 20)
    assert [p.hops[0].target for p in paths] == list(range(1, 21))
    assert {p.strength for p in paths} == {0.3}
    assert as_tuples(paths) == as_tuples(ReferencePathFinder(g, MIN_SPEC).paths(0, 61, 4, 20))


def test_on_equal_frontiers_the_source_side_grows_which_decides_where_paths_meet():
    # 0 -> {1,2,3} -> {4,5,6} -> 7, every chain three hops; 0 and 7 have as many links, so do
    # {1,2,3} and {4,5,6}: the source side grows twice and the paths meet in {4,5,6}, enumerated
    # from 4 (the budget of 5 paths for one answer ends within 5): 0-3-4-7, the strongest, is among them
    artifacts = [([0, a], 0.5) for a in (1, 2, 3)] + [([b, 7], 0.5) for b in (4, 5, 6)]
    artifacts += [([a, b], 0.5) for a in (1, 2, 3) for b in (4, 5, 6)]
    strong = {(0, 3), (3, 4), (4, 7)}
    artifacts = [(users, 0.9 if tuple(users) in strong else s) for users, s in artifacts]
    (best,) = PathFinder(graph_of(8, artifacts), MIN_SPEC).paths(0, 7, 3, 1)
    assert [(h.source, h.target) for h in best.hops] == [(0, 3), (3, 4), (4, 7)] and best.strength == 0.9
