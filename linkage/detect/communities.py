"""Communities of the linked-account graph: connected components, Leiden inside the big ones.

Small components are communities as they are; a component with more than
`LEIDEN_ABOVE` accounts may hold two operators joined by a few stray links, so
weighted Leiden (RB configuration model at `resolution`, seeded: same data, same
communities) splits it where its links are thin.

Then members only loosely attached are peeled off: a member whose weighted links
inside its community are below `min_tie` × the community's median member is
dropped (two rounds). An operator's accounts are tied to each other many times
over; an ordinary customer who happened to share a proxy exit and a popular
prompt with a few of them hangs on by one or two links.
"""

from __future__ import annotations

import igraph as ig
import leidenalg
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

LEIDEN_ABOVE = 20


def peel(labels: np.ndarray, a: np.ndarray, b: np.ndarray, w: np.ndarray, min_tie: float,
         min_size: int, rounds: int = 2) -> np.ndarray:
    """Drop members tied to their community much more weakly than its median member."""
    labels = labels.copy()
    for _ in range(rounds):
        intra = (labels[a] >= 0) & (labels[a] == labels[b])
        tie = np.bincount(np.r_[a[intra], b[intra]], weights=np.r_[w[intra], w[intra]],
                          minlength=len(labels))
        members = np.nonzero(labels >= 0)[0]
        if len(members) == 0:
            break
        order = np.lexsort((tie[members], labels[members]))
        m_sorted, l_sorted = members[order], labels[members][order]
        n_labels = int(labels.max()) + 1
        starts = np.searchsorted(l_sorted, np.arange(n_labels))
        counts = np.bincount(l_sorted, minlength=n_labels)
        median = np.where(counts > 0, tie[m_sorted[np.minimum(starts + counts // 2, len(m_sorted) - 1)]], 0)
        weak = tie[members] < min_tie * median[labels[members]]
        if not weak.any():
            break
        labels[members[weak]] = -1
    sizes = np.bincount(labels[labels >= 0], minlength=int(labels.max()) + 1 if (labels >= 0).any() else 0)
    if len(sizes):  # (every member peeled: nothing to size)
        labels[(labels >= 0) & (sizes[np.maximum(labels, 0)] < min_size)] = -1
    # renumber densely, in order of first appearance (deterministic)
    kept = np.unique(labels[labels >= 0])
    remap = np.full(int(labels.max()) + 2 if len(kept) else 1, -1, np.int64)
    remap[kept] = np.arange(len(kept))
    return np.where(labels >= 0, remap[np.maximum(labels, 0)], -1)


def communities(n: int, a: np.ndarray, b: np.ndarray, w: np.ndarray, resolution: float, seed: int,
                min_size: int, min_tie: float = 0.25) -> np.ndarray:
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
    return peel(labels, a, b, w, min_tie, min_size)


def merge_fragments(labels: np.ndarray, a: np.ndarray, b: np.ndarray, w: np.ndarray,
                    is_ring: np.ndarray, min_ratio: float) -> np.ndarray:
    """Re-join ring-scored fragments of one operator that Leiden cut apart.

    Two communities that both score as rings merge when the weight of the links between
    them reaches `min_ratio` of the smaller one's total link weight (union-find, so
    chains of fragments become one ring). Look-alike communities never merge, and two
    operators whose only ties are a few shared proxy exits stay apart.
    """
    la, lb = labels[a], labels[b]
    both = (la >= 0) & (lb >= 0)
    ends = np.r_[la[both], lb[both]]
    vol = np.bincount(ends, weights=np.r_[w[both], w[both]], minlength=len(is_ring))
    cross = both & (la != lb)
    x, y = np.minimum(la, lb)[cross], np.maximum(la, lb)[cross]
    n = len(is_ring)
    keys, inv = np.unique(x * n + y, return_inverse=True)
    between = np.bincount(inv, weights=w[cross])
    kx, ky = keys // n, keys % n
    ok = is_ring[kx] & is_ring[ky] & (between >= min_ratio * np.minimum(vol[kx], vol[ky]))
    parent = np.arange(n)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(kx[ok].tolist(), ky[ok].tolist()):
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    root = np.array([find(i) for i in range(n)], np.int64)
    _, dense = np.unique(root, return_inverse=True)
    return np.where(labels >= 0, dense[np.maximum(labels, 0)], -1)


def detach_bridged_groups(labels: np.ndarray, a: np.ndarray, b: np.ndarray, min_size: int) -> np.ndarray:
    """Groups that hang on a community by a single link become communities of their own.

    Modularity has a resolution limit: a household or a small team, tied to each other many
    times over (one NAT, one card), stays inside an operator head's community of a few dozen
    when one of them shares a single link with one of its accounts. A ring's members are
    tied to its body many times over; so every *bridge* of the community's graph (a link
    whose removal disconnects it) is cut, and each 2-edge-connected group other than the
    largest, with whatever hangs below it, is detached when it is smaller than that body.
    A single account on one link stays (that is the periphery `min_tie` judges).
    """
    out = labels.copy()
    n_labels = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    if n_labels == 0:
        return out
    sizes = np.bincount(labels[labels >= 0], minlength=n_labels)
    intra = (labels[a] >= 0) & (labels[a] == labels[b])
    ia, ib = a[intra], b[intra]
    e_lab = labels[ia]
    e_order = np.argsort(e_lab, kind="stable")
    e_bounds = np.r_[0, np.cumsum(np.bincount(e_lab, minlength=n_labels))]
    m_order = np.argsort(np.where(labels >= 0, labels, n_labels), kind="stable")
    m_bounds = np.r_[0, np.cumsum(sizes)]
    next_label = n_labels
    for c in np.nonzero(sizes >= 2 * min_size)[0].tolist():  # room for a body and a group of min_size
        members = m_order[m_bounds[c]:m_bounds[c + 1]]
        e = e_order[e_bounds[c]:e_bounds[c + 1]]
        local = {int(m): i for i, m in enumerate(members.tolist())}
        g = ig.Graph(n=len(members), edges=[(local[x], local[y]) for x, y in zip(ia[e].tolist(), ib[e].tolist())])
        bridges = g.bridges()
        if not bridges:
            continue
        ends = [g.es[i].tuple for i in bridges]
        g.delete_edges(bridges)
        comp = np.asarray(g.connected_components().membership)
        group_size = np.bincount(comp)
        for group, size in _detachable(comp, group_size, ends):
            chosen = members[np.isin(comp, group)]
            if size >= min_size:
                out[chosen] = next_label
                next_label += 1
            else:
                out[chosen] = -1
    kept = np.unique(out[out >= 0])
    remap = np.full(next_label + 1, -1, np.int64)
    remap[kept] = np.arange(len(kept))
    return np.where(out >= 0, remap[np.maximum(out, 0)], -1)


def _detachable(comp: np.ndarray, group_size: np.ndarray, bridges: list[tuple[int, int]]
                ) -> list[tuple[list[int], int]]:
    """Walk the bridge tree from the largest group: (groups, accounts) of each subtree topped by a
    group of two or more accounts (a 2-edge-connected group has at least three) smaller than the body."""
    tree: dict[int, list[int]] = {}
    for x, y in bridges:
        cx, cy = int(comp[x]), int(comp[y])
        tree.setdefault(cx, []).append(cy)
        tree.setdefault(cy, []).append(cx)
    root = int(np.argmax(group_size))
    body = int(group_size[root])
    parent = {root: -1}
    order = [root]
    for node in order:  # breadth-first: parents before children
        for nxt in tree.get(node, []):
            if nxt not in parent:
                parent[nxt] = node
                order.append(nxt)
    below: dict[int, list[int]] = {node: [node] for node in order}
    for node in reversed(order[1:]):
        below[parent[node]] += below[node]
    out, taken = [], set()
    for node in order[1:]:
        if node in taken or group_size[node] < 2:
            continue
        sub = below[node]
        size = int(group_size[sub].sum())
        if size < body:
            out.append((sub, size))
            taken.update(sub)
    return out
