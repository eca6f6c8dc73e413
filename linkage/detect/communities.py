"""Communities of the linked-account graph: connected components, Leiden inside the big ones.

Small components are communities as they are; a component with more than
`LEIDEN_ABOVE` accounts may hold two operators joined by a few stray links, so
weighted Leiden (RB configuration model at `resolution`, seeded: same data, same
communities) splits it where its links are thin.
"""

from __future__ import annotations

import igraph as ig
import leidenalg
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

LEIDEN_ABOVE = 20


def communities(n: int, a: np.ndarray, b: np.ndarray, w: np.ndarray, resolution: float, seed: int,
                min_size: int) -> np.ndarray:
    """Community label per account (-1: in no community of at least `min_size`)."""
    labels = np.full(n, -1, np.int64)
    if len(a) == 0:
        return labels
    graph = coo_matrix((w, (a, b)), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    sizes = np.bincount(comp)
    order = np.argsort(comp, kind="stable")
    bounds = np.r_[0, np.cumsum(sizes)]
    comp_of_edge = comp[a]
    edge_order = np.argsort(comp_of_edge, kind="stable")
    edge_bounds = np.r_[0, np.cumsum(np.bincount(comp_of_edge, minlength=len(sizes)))]
    next_label = 0
    for c in np.nonzero(sizes >= max(2, min_size))[0]:
        members = order[bounds[c]:bounds[c + 1]]  # sorted account codes: deterministic
        if len(members) <= LEIDEN_ABOVE:
            labels[members] = next_label
            next_label += 1
            continue
        e = edge_order[edge_bounds[c]:edge_bounds[c + 1]]
        local = np.full(n, -1, np.int64)
        local[members] = np.arange(len(members))
        g = ig.Graph(n=len(members), edges=np.column_stack([local[a[e]], local[b[e]]]).tolist())
        g.es["weight"] = w[e].astype(float).tolist()
        part = leidenalg.find_partition(
            g, leidenalg.RBConfigurationVertexPartition, weights="weight",
            resolution_parameter=resolution, seed=seed, n_iterations=-1)
        memb = np.asarray(part.membership)
        for sub in range(memb.max() + 1):
            sub_members = members[memb == sub]
            if len(sub_members) >= min_size:
                labels[sub_members] = next_label
                next_label += 1
    return labels
