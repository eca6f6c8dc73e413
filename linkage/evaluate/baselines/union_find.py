"""Baseline (a): union-find over any shared identifier — what most teams try first.

Every artifact links all the accounts that used it; the connected components of
the account–artifact bipartite graph with two or more accounts are the rings.
Hubs (a VPN exit, a popular user agent) therefore chain unrelated accounts
together, which is exactly the failure this baseline exists to show.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from linkage.evaluate.baselines.incidence import DEFAULT_KINDS, build_incidence, groups_from_labels


def union_find_rings(account_artifacts: pa.Table, kinds: tuple[str, ...] | None = DEFAULT_KINDS) -> list[set[str]]:
    """Connected components (≥ 2 accounts) of the bipartite account–artifact graph."""
    inc = build_incidence(account_artifacts, kinds)
    n_acc, n_art = inc.matrix.shape
    if n_acc == 0:
        return []
    # Bipartite adjacency [[0, A], [Aᵀ, 0]]: components there are union-find's sets.
    adj = sparse.bmat([[None, inc.matrix], [inc.matrix.T, None]], format="csr")
    _, labels = connected_components(adj, directed=False)
    groups = groups_from_labels(labels[:n_acc].astype(np.int64))
    return inc.rows_to_sets(groups)
