"""Communities of the linked-account graph in Graph Data Science, with the embedded engine's rules.

The detector hands over the weighted account–account similarity graph it computed (shared
Python: specificity, families, corroboration, top-k). Here, through the `graphdatascience`
client:

1. the graph is projected into GDS (`gds.graph.construct`, undirected: Leiden needs it),
   each account carrying a `seed`: the index of the ring it was in after the previous run,
   or a fresh id of its own;
2. weakly connected components (`gds.wcc`), mutated onto the projection;
3. every component of more than `LEIDEN_ABOVE` accounts gets weighted Leiden on its own
   sub-graph (`gds.graph.filter` by component, then `gds.leiden.stream` with
   `gamma` = resolution, `seedProperty`, `randomSeed`, one thread), exactly as the embedded
   engine runs Leiden per component: the modularity's null model then counts the component's
   own weight, not the whole graph's, so the resolution means the same thing on both engines;
4. the same `peel` (members tied too weakly are dropped) runs on the result in Python.

Every projection is dropped in `finally`. `labels_from_gds` turns GDS's rows into the
detector's labels and is tested without a server.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping

import numpy as np
import pandas as pd

from linkage.detect.communities import LEIDEN_ABOVE, peel

log = logging.getLogger("linkage.store")


def seeds_for(account_ids: np.ndarray, previous: Mapping[str, list[str]], nodes: np.ndarray) -> np.ndarray:
    """Leiden seed per node: its previous ring's index, else a unique id after all ring indexes."""
    ring_of: dict[str, int] = {}
    for i, ring_id in enumerate(sorted(previous)):
        for member in previous[ring_id]:
            ring_of.setdefault(member, i)
    fresh = len(previous)
    return np.array([ring_of.get(account_ids[c], fresh + int(c)) for c in nodes], np.int64)


def labels_from_gds(n: int, components: pd.DataFrame, leiden: dict[int, pd.DataFrame],
                    min_size: int) -> np.ndarray:
    """Detector labels from GDS rows (before peeling).

    `components`: nodeId, componentId for every projected node (node id = account code);
    `leiden`: per large component, its nodeId, communityId rows. Labels are numbered in
    order of each community's smallest account code, so the same partition always gets the
    same labels whatever ids GDS hands out.
    """
    labels = np.full(n, -1, np.int64)
    groups: list[np.ndarray] = []
    for cid, part in components.groupby("componentId", sort=False):
        nodes = part["nodeId"].to_numpy(np.int64)
        if len(nodes) < max(2, min_size):
            continue
        if len(nodes) <= LEIDEN_ABOVE:
            groups.append(np.sort(nodes))
            continue
        rows = leiden[int(cid)]
        for _, sub in rows.groupby("communityId", sort=False):
            members = np.sort(sub["nodeId"].to_numpy(np.int64))
            if len(members) >= min_size:
                groups.append(members)
    groups.sort(key=lambda g: int(g[0]))
    for label, members in enumerate(groups):
        labels[members] = label
    return labels


# GDS 2.13.9's Leiden fails with this NullPointerException when the seeded partition is already
# optimal: it makes no move, builds no dendrogram, then reads it. Seen on a ring that did not change
# since the previous run.
_NO_DENDROGRAM = "dendrogramManager()\" is null"


def _leiden(gds, graph, resolution: float, seed: int) -> pd.DataFrame:
    """Weighted, seeded Leiden on one component; unseeded (same random seed) where GDS cannot seed."""
    options = dict(relationship_weight_property="weight", gamma=resolution, random_seed=seed, concurrency=1)
    try:
        rows = gds.leiden.stream(graph, seed_property="seed", **options)
    except Exception as exc:  # the driver's ClientError; anything else is re-raised below
        if _NO_DENDROGRAM not in str(exc):
            raise
        log.info("GDS Leiden could not start from the previous rings (%s): run unseeded", graph.name())
        rows = gds.leiden.stream(graph, **options)
    return rows[["nodeId", "communityId"]]


class GdsCommunities:
    """A `CommunityFinder` (see linkage.store.base) that runs in GDS on the store's server."""

    def __init__(self, store, account_ids: np.ndarray, previous: Mapping[str, list[str]]):
        self.store, self.account_ids, self.previous = store, account_ids, previous

    def __call__(self, n: int, a: np.ndarray, b: np.ndarray, w: np.ndarray, resolution: float, seed: int,
                 min_size: int, min_tie: float = 0.25) -> np.ndarray:
        if len(a) == 0:
            return np.full(n, -1, np.int64)
        nodes = np.unique(np.r_[a, b]).astype(np.int64)
        node_df = pd.DataFrame({"nodeId": nodes, "labels": "Account",
                                "seed": seeds_for(self.account_ids, self.previous, nodes)})
        rel_df = pd.DataFrame({"sourceNodeId": np.asarray(a, np.int64), "targetNodeId": np.asarray(b, np.int64),
                               "relationshipType": "SIMILAR", "weight": np.asarray(w, np.float64)})
        gds = self.store.gds()
        name = f"linkage-similar-{uuid.uuid4().hex[:12]}"
        projected: list[str] = []
        try:
            graph = gds.graph.construct(name, node_df, rel_df, undirected_relationship_types=["SIMILAR"])
            projected.append(name)
            gds.wcc.mutate(graph, mutate_property="component")
            components = gds.graph.node_properties.stream(graph, ["component"])
            components = components.rename(columns={"component": "componentId"})
            sizes = components["componentId"].value_counts()
            leiden: dict[int, pd.DataFrame] = {}
            for cid in sorted(int(c) for c in sizes[sizes > LEIDEN_ABOVE].index):
                sub_name = f"{name}-c{cid}"
                sub = gds.graph.filter(graph, sub_name, "n.component = $component", "*",
                                       parameters={"component": cid}).graph
                projected.append(sub_name)
                leiden[cid] = _leiden(gds, sub, resolution, seed)
                gds.graph.drop(sub_name, fail_if_missing=False)
                projected.remove(sub_name)
        finally:
            for g in reversed(projected):
                gds.graph.drop(g, fail_if_missing=False)
            gds.close()
        labels = labels_from_gds(n, components[["nodeId", "componentId"]], leiden, min_size)
        return peel(labels, a, b, w, min_tie, min_size)
