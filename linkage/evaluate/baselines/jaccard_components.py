"""Baseline (b): Jaccard node similarity, top-k and cutoff, then weakly connected components.

The graph-database recipe (Neo4j GDS `nodeSimilarity` + `wcc`): two accounts are
similar by the Jaccard index of their artifact sets; each account keeps its k most
similar neighbours at or above the cutoff; the components of that similarity
graph with two or more accounts are the rings.

Hub cutoff: an artifact used by more than `max_artifact_degree` accounts is dropped
before similarity, the way a GDS projection filters supernodes (and what keeps the
sparse A·Aᵀ from exploding: a hub of d accounts alone would contribute d² pairs).
Degrees in the Jaccard denominators are counted after the drop, as GDS would see
the filtered projection. A·Aᵀ is computed in row blocks sized so that no block
materialises more than `block_pairs` candidate pairs.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from linkage.evaluate.baselines.incidence import DEFAULT_KINDS, build_incidence, groups_from_labels


def _row_blocks(work: np.ndarray, budget: int) -> list[tuple[int, int]]:
    """Consecutive row ranges whose summed work stays within `budget` (at least one row each)."""
    blocks, start, acc = [], 0, 0
    for i, w in enumerate(work.tolist()):
        if acc and acc + w > budget:
            blocks.append((start, i))
            start, acc = i, 0
        acc += w
    if start < len(work):
        blocks.append((start, len(work)))
    return blocks


def _top_k(rows: np.ndarray, cols: np.ndarray, sims: np.ndarray, k: int) -> np.ndarray:
    """Mask of the k highest-similarity entries per row (ties broken by column index)."""
    order = np.lexsort((cols, -sims, rows))
    r = rows[order]
    starts = np.r_[0, np.nonzero(np.diff(r))[0] + 1]
    rank = np.arange(r.size) - np.repeat(starts, np.diff(np.r_[starts, r.size]))
    keep = np.zeros(r.size, dtype=bool)
    keep[order[rank < k]] = True
    return keep


def jaccard_edges(a: sparse.csr_matrix, top_k: int = 10, cutoff: float = 0.5,
                  block_pairs: int = 20_000_000) -> tuple[np.ndarray, np.ndarray]:
    """(src, dst) of each account's top-k Jaccard neighbours with similarity ≥ cutoff."""
    deg = np.asarray(a.sum(axis=1)).ravel()
    col_deg = np.asarray(a.sum(axis=0)).ravel()
    work = np.asarray(a @ col_deg).ravel().astype(np.int64)  # candidate pairs each row generates
    at = a.T.tocsr()
    srcs, dsts = [], []
    for lo, hi in _row_blocks(work, block_pairs):
        inter = (a[lo:hi] @ at).tocoo()
        r = inter.row.astype(np.int64) + lo
        c = inter.col.astype(np.int64)
        nonself = r != c
        r, c, x = r[nonself], c[nonself], inter.data[nonself]
        sim = x / (deg[r] + deg[c] - x)
        ok = sim >= cutoff
        r, c, sim = r[ok], c[ok], sim[ok]
        if r.size:
            keep = _top_k(r, c, sim, top_k)
            srcs.append(r[keep])
            dsts.append(c[keep])
    if not srcs:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(srcs), np.concatenate(dsts)


def jaccard_rings(account_artifacts: pa.Table, top_k: int = 10, cutoff: float = 0.5,
                  max_artifact_degree: int = 1000,
                  kinds: tuple[str, ...] | None = DEFAULT_KINDS) -> list[set[str]]:
    """Rings = components (≥ 2 accounts) of the top-k Jaccard similarity graph."""
    inc = build_incidence(account_artifacts, kinds)
    a = inc.matrix
    n = a.shape[0]
    if n == 0:
        return []
    col_deg = np.asarray(a.sum(axis=0)).ravel()
    a = (a @ sparse.diags((col_deg <= max_artifact_degree).astype(np.float32))).tocsr()
    a.eliminate_zeros()
    src, dst = jaccard_edges(a, top_k, cutoff)
    graph = sparse.csr_matrix((np.ones(src.size, np.int8), (src, dst)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return inc.rows_to_sets(groups_from_labels(labels.astype(np.int64)))
