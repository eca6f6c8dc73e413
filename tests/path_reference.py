"""The API's first evidence-path search (numpy, one level at a time), kept as the reference.

`linkage.api.paths.PathFinder` answers the same as this did, path for path and in the
same order (the shortest paths taken in a fixed enumeration order within a budget, then
ranked), only much faster; tests/test_api_paths.py compares the two on random graphs.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from linkage.api.graph_index import GraphIndex
from linkage.api.paths import Hop, Path, gather


class ReferencePathFinder:
    """The first (array) implementation of `PathFinder.paths`, unchanged: the oracle of its order."""

    def __init__(self, graph: GraphIndex, min_specificity: float = 0.0, max_accounts: int | None = None):
        self.g = graph
        self.base_walk = graph.walkable() & (graph.spec >= min_specificity)
        if max_accounts:
            self.base_walk &= graph.df <= max_accounts

    def _expand(self, frontier: np.ndarray, walk: np.ndarray, art_seen: np.ndarray,
                dist: np.ndarray, level: int) -> np.ndarray:
        arts = gather(self.g.acc_ptr, self.g.link_artifact, frontier)
        arts = np.unique(arts[walk[arts]])
        arts = arts[~art_seen[arts]]
        art_seen[arts] = True
        accs = np.unique(gather(self.g.art_ptr, self.g.art_users, arts))
        new = accs[dist[accs] < 0]
        dist[new] = level
        return new

    def paths(self, src: int, dst: int, max_hops: int, limit: int,
              blocked: np.ndarray | None = None) -> list[Path]:
        """Up to `limit` shortest paths of at most `max_hops` hops, strongest first."""
        if src == dst:
            return []
        walk = self.base_walk if blocked is None else self.base_walk & ~blocked
        n, n_art = self.g.n_accounts, len(self.g.spec)
        dist = [np.full(n, -1, np.int16), np.full(n, -1, np.int16)]
        seen = [np.zeros(n_art, bool), np.zeros(n_art, bool)]
        dist[0][src], dist[1][dst] = 0, 0
        frontier = [np.array([src], np.int64), np.array([dst], np.int64)]
        level = [0, 0]
        meet = np.zeros(0, np.int64)
        while level[0] + level[1] < max_hops:
            cost = [int((self.g.acc_ptr[f + 1] - self.g.acc_ptr[f]).sum()) for f in frontier]
            side = 0 if cost[0] <= cost[1] else 1
            level[side] += 1
            frontier[side] = self._expand(frontier[side], walk, seen[side], dist[side], level[side])
            if len(frontier[side]) == 0:
                return []
            meet = frontier[side][dist[1 - side][frontier[side]] >= 0]
            if len(meet):
                break
        if not len(meet):
            return []
        total = dist[0][meet].astype(np.int64) + dist[1][meet]
        length = int(total.min())
        found: list[Path] = []
        budget = limit * 5
        for m in meet[total == length][:50]:
            for left in self._back(int(m), dist[0], walk, budget):
                for right in self._back(int(m), dist[1], walk, budget):
                    hops = left + tuple(Hop(h.target, h.artifact, h.source) for h in reversed(right))
                    found.append(Path(hops, min(float(self.g.spec[h.artifact]) for h in hops)))
                    if len(found) >= budget:
                        break
                if len(found) >= budget:
                    break
            if len(found) >= budget:
                break
        found.sort(key=lambda p: (-p.strength, [(h.artifact, h.target) for h in p.hops]))
        return found[:limit]

    def _back(self, node: int, dist: np.ndarray, walk: np.ndarray, budget: int) -> Iterator[tuple[Hop, ...]]:
        """Hop chains from the side's origin to `node`, in origin → node order."""
        d = int(dist[node])
        if d == 0:
            yield ()
            return
        produced = 0
        prev, via = self._predecessors(node, d, dist, walk)
        for p, art in zip(prev.tolist(), via.tolist()):
            for chain in self._back(p, dist, walk, budget - produced):
                yield chain + (Hop(p, art, node),)
                produced += 1
                if produced >= budget:
                    return

    def _predecessors(self, node: int, d: int, dist: np.ndarray, walk: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
        """(account, artifact) one level closer to the origin, most specific artifact first."""
        arts = self.g.link_artifact[self.g.links_of(node)].astype(np.int64)
        arts = arts[walk[arts]]
        arts = arts[np.argsort(-self.g.spec[arts], kind="stable")]
        users = gather(self.g.art_ptr, self.g.art_users, arts)
        via = np.repeat(arts, self.g.art_ptr[arts + 1] - self.g.art_ptr[arts])
        closer = dist[users] == d - 1
        return users[closer], via[closer]
