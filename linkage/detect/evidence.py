"""Why two accounts are linked: shortest paths through shared artifacts, hop by hop.

A hop is account → artifact → account (two accounts sharing one artifact); each hop
carries the artifact's kind, value and specificity. The search is a breadth-first
search on the bipartite account–artifact graph under the same rules as detection:
allowlisted artifacts and dropped hubs (specificity 0) are never walked through.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from pydantic import BaseModel
from scipy.sparse import csr_matrix

from linkage.detect.decisions import store_allowlist
from linkage.detect.inputs import KINDS, Links, load_links, read_allowlist
from linkage.detect.specificity import specificity
from linkage.settings import Settings, load_settings
from linkage.store.base import GraphStore


class EvidenceHop(BaseModel):
    from_account: str
    kind: str
    artifact: str
    specificity: float
    accounts_using: int
    to_account: str


class EvidencePath(BaseModel):
    hops: list[EvidenceHop]

    @property
    def strength(self) -> float:
        """The weakest hop's specificity: a chain is as strong as its weakest link."""
        return min(h.specificity for h in self.hops)


class EvidenceGraph:
    """The walkable bipartite graph, built once and queried many times."""

    def __init__(self, links: Links, settings: Settings):
        spec = specificity(links, settings)
        keep = spec.value[links.artifact] > 0
        self.links, self.spec = links, spec
        self.index = links.account_index()
        data = np.ones(int(keep.sum()), np.int8)
        self.m = csr_matrix((data, (links.account[keep], links.artifact[keep])),
                            shape=(links.n_accounts, links.n_artifacts))
        self.mt = self.m.T.tocsr()

    def _arts(self, acc: int) -> np.ndarray:
        return self.m.indices[self.m.indptr[acc]:self.m.indptr[acc + 1]]

    def _users(self, art: int) -> np.ndarray:
        return self.mt.indices[self.mt.indptr[art]:self.mt.indptr[art + 1]]

    def distances(self, src: int, dst: int, max_hops: int) -> np.ndarray:
        """Hop distance from src to every account reached before dst's level is complete."""
        dist = np.full(self.links.n_accounts, -1, np.int64)
        dist[src] = 0
        frontier = np.array([src])
        for d in range(1, max_hops + 1):
            if dist[dst] >= 0 or len(frontier) == 0:
                break
            arts = np.unique(self.m[frontier].indices)
            accs = np.unique(self.mt[arts].indices) if len(arts) else np.zeros(0, np.int64)
            new = accs[dist[accs] < 0]
            dist[new] = d
            frontier = new
        return dist

    def paths(self, a: str, b: str, max_hops: int = 4, limit: int = 20) -> list[EvidencePath]:
        """Up to `limit` shortest paths from account a to account b (strongest first)."""
        if a not in self.index or b not in self.index or a == b:
            return []
        src, dst = self.index[a], self.index[b]
        dist = self.distances(src, dst, max_hops)
        if dist[dst] < 0:
            return []
        found = list(self._walk_back(dst, int(dist[dst]), dist, [], limit * 5))
        found.sort(key=lambda p: (-p.strength, [(h.kind, h.artifact, h.to_account) for h in p.hops]))
        return found[:limit]

    def _walk_back(self, node: int, d: int, dist: np.ndarray, suffix: list[EvidenceHop],
                   budget: int) -> Iterator[EvidencePath]:
        if d == 0:
            yield EvidencePath(hops=list(suffix))
            return
        produced = 0
        arts = self._arts(node)
        for art in arts[np.argsort(-self.spec.value[arts], kind="stable")]:
            users = self._users(art)
            for prev in np.sort(users[dist[users] == d - 1]):
                hop = EvidenceHop(
                    from_account=str(self.links.account_ids[prev]),
                    kind=KINDS[self.links.artifact_kind[art]], artifact=self.links.value_of(art),
                    specificity=round(float(self.spec.value[art]), 4),
                    accounts_using=int(self.spec.df[art]), to_account=str(self.links.account_ids[node]))
                for path in self._walk_back(int(prev), d - 1, dist, [hop, *suffix], budget - produced):
                    yield path
                    produced += 1
                    if produced >= budget:
                        return


def evidence_paths(store: GraphStore, a: str, b: str, max_hops: int = 4,
                   settings: Settings | None = None, limit: int = 20) -> list[EvidencePath]:
    """Shortest evidence paths between accounts a and b, at most `max_hops` artifacts long."""
    settings = settings or load_settings()
    native = store.native_evidence_paths(a, b, max_hops, settings, limit)  # Neo4j: Cypher shortest paths
    if native is not None:
        return native
    links = load_links(store, read_allowlist(settings.allowlist) | store_allowlist(store))
    return EvidenceGraph(links, settings).paths(a, b, max_hops=max_hops, limit=limit)
