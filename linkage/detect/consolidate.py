"""One operator, one ring: join ring fragments that share the operator's own content.

Community detection returns a large operator as many rings — one per creation cohort —
because accounts of different cohorts are rarely linked pair by pair (they fire in other
sessions, through other exits). What the cohorts of one operator still have in common is
what the operator owns and reuses: its prompt templates, its payment instruments, its own
user-agent builds or e-mail domains. Two different operators may buy from the same proxy
provider and copy a public template, but they do not send the same private template set.

So, over the rings already reported:
- an artifact is *exclusive* when (almost) nobody outside every ring uses it: at most
  max(`outside_accounts`, `outside_share` × its in-ring users) outside accounts. Public
  templates and proxy pools that ordinary users touch are therefore never evidence;
- a ring's *content* is the exclusive artifacts ≥ 2 of its members use, network excluded:
  exits and proxy pools are bought from providers other operators use too (measured:
  bench/ring_fragments.py finds hundreds of ring-only exits shared by two operators);
- two rings merge when, in one artifact kind, they share ≥ `min_shared` content artifacts
  and those make up ≥ `min_overlap` of the smaller ring's content of that kind: one leaked template (or two) out of a
  dozen never merges two operators, while cohorts of one operator share nearly all.
- or, the weak rule, when no kind reaches `min_shared` (counting only content that
  ≥ `weak_share` of each ring's members use): they share exclusive templates or
  cards (the *anchor*), and content in ≥ `min_families` evidence families in all (the job
  template *and* the operator's own agent build, or a card), or in one family *and*
  `min_agreements` timing agreements hold — a common creation window, one release
  switch, synchrony across the rings (agreement.py).
  Content is always required: timing alone never merges (two operators may open accounts
  the same week and rush to the same model), and one leaked template plus one coincidence
  does not either.
- or, the job rule, when the shared templates (used by ≥ `weak_share` of each ring) carry
  ≥ `job_share` of *each* ring's own template traffic (its exclusive templates): both rings
  spend the bulk of their work on one private job, which is what one job runner feeding
  several heads looks like. A leaked template is a side line of the ring that leaked it, so
  it never reaches that share in both.
Merges are transitive (connected components), so a chain of cohorts becomes one ring.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

from linkage.detect.agreement import AgreementParams, RingTiming, timing_agreements
from linkage.detect.grouping import ArtifactRuns, artifact_runs
from linkage.detect.inputs import Links
from linkage.detect.specificity import FAMILIES
from linkage.detect.synchrony import SyncPairs

NETWORK = FAMILIES.index("network")
TEMPLATES = FAMILIES.index("prompt")
# what an operator owns and nobody copies by accident: its templates and its cards. An agent
# string or an e-mail domain only the rings use corroborates, but never anchors a weak merge:
# a few SDK versions serve everybody, and a small slice of data may show only the rings on one
ANCHORS = (FAMILIES.index("prompt"), FAMILIES.index("payment"))


def exclusive_content(labels: np.ndarray, ring: np.ndarray, links: Links, family: np.ndarray,
                      outside_accounts: int, outside_share: float, runs: ArtifactRuns | None = None) -> np.ndarray:
    """Per artifact: is it non-network evidence used (almost) only by members of the `ring` labels?"""
    runs = runs if runs is not None else artifact_runs(links)
    groups = runs.groups(labels)
    from_ring = ring[groups.label]
    inside = np.bincount(groups.artifact[from_ring], weights=groups.links[from_ring],
                         minlength=runs.n_artifacts).astype(np.int64)  # (integer sums: exact)
    outside = runs.links_per_artifact() - inside
    return ((inside >= 2) & (outside <= np.maximum(outside_accounts, outside_share * inside))
            & (family != NETWORK))


def _ring_content(labels: np.ndarray, ring: np.ndarray, exclusive: np.ndarray, runs: ArtifactRuns
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(ring, artifact, members, traffic) of each exclusive artifact >= 2 members of a ring use,
    ordered by ring, then artifact."""
    groups = runs.groups(labels)
    keep = ring[groups.label] & exclusive[groups.artifact] & (groups.links >= 2)
    # by ring first (stable: artifacts stay ascending), as np.unique(ring * A + artifact) gave them
    order = np.flatnonzero(keep)[np.argsort(groups.label[keep], kind="stable")]
    return groups.label[order], groups.artifact[order], groups.links[order], groups.traffic[order].astype(float)


def consolidate(labels: np.ndarray, reported: list[int], links: Links, family: np.ndarray,
                min_shared: int, min_overlap: float, outside_accounts: int,
                outside_share: float, *, min_agreements: int = 0, min_families: int = 2, weak_share: float = 0.5,
                job_share: float = 2.0,
                timing: RingTiming | None = None,
                sync: SyncPairs | None = None, agreement: AgreementParams = AgreementParams(),
                runs: ArtifactRuns | None = None) -> tuple[np.ndarray, list[int]]:
    """Relabel so that fragments of one operator share a label (see module doc).

    `min_agreements` = 0 turns the weak rule off, `job_share` > 1 the job rule. Returns the new labels (dense, -1 kept)
    and the new labels of the reported rings. `runs`: the links in artifact order
    (`grouping.artifact_runs(links)`), built here when absent.
    """
    n_labels = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    if len(reported) < 2:
        return labels, list(reported)
    ring = np.zeros(n_labels, bool)
    ring[reported] = True
    runs = runs if runs is not None else artifact_runs(links)
    exclusive = exclusive_content(labels, ring, links, family, outside_accounts, outside_share, runs)
    all_ring, all_art, members, traffic = _ring_content(labels, ring, exclusive, runs)
    n_art = links.n_artifacts
    # the weak rule counts only content used across a ring (the job every head runs), not a
    # stray card three members of each of two operators happened to share
    size = np.bincount(labels[labels >= 0], minlength=n_labels)
    all_broad = members >= weak_share * size[all_ring]
    ok_i, ok_j = [], []
    weak_i, weak_j, weak_fam = [], [], []
    # per artifact kind: fresh fillings give each head hundreds of its own exact fingerprints,
    # which would drown the two dozen template families all heads share if pooled together
    for kind in np.unique(links.artifact_kind[all_art]).tolist():
        of_kind = links.artifact_kind[all_art] == kind
        k_ring, k_art, k_broad = all_ring[of_kind], all_art[of_kind], all_broad[of_kind]
        k_traffic = traffic[of_kind]
        kind_family = int(family[k_art[0]])  # prompt and prompt_family are one family: one vote
        own = np.bincount(k_ring, minlength=n_labels)
        own_traffic = np.bincount(k_ring, weights=k_traffic, minlength=n_labels)
        multi = np.bincount(k_art, minlength=n_art)[k_art] >= 2  # only artifacts of 2+ rings can be shared
        k_ring, k_art, k_broad, k_traffic = k_ring[multi], k_art[multi], k_broad[multi], k_traffic[multi]
        incidence = csr_matrix((np.ones(len(k_ring), np.int64), (k_ring, k_art)), shape=(n_labels, n_art))
        shared = (incidence @ incidence.T).tocoo()
        i, j, s = shared.row, shared.col, shared.data
        ok = (i < j) & (s >= min_shared) & (s >= min_overlap * np.minimum(own[i], own[j]))
        ok_i.append(i[ok]); ok_j.append(j[ok])
        broad = csr_matrix((np.ones(int(k_broad.sum()), np.int64), (k_ring[k_broad], k_art[k_broad])),
                           shape=(n_labels, n_art))
        weak = (broad @ broad.T).tocoo()
        some = weak.row < weak.col
        i, j = weak.row[some], weak.col[some]
        weak_i.append(i); weak_j.append(j)
        weak_fam.append(np.full(int(some.sum()), kind_family, np.int64))
        if min_agreements > 0 and job_share <= 1 and kind_family == TEMPLATES:
            ji, jj = _one_job(broad, k_ring[k_broad], k_art[k_broad], k_traffic[k_broad], own_traffic, job_share)
            ok_i.append(ji); ok_j.append(jj)
    if min_agreements > 0 and weak_i:
        wi, wj = _weak_merges(np.concatenate(weak_i), np.concatenate(weak_j), np.concatenate(weak_fam),
                              labels, min_agreements, min_families, timing, sync, agreement)
        ok_i.append(wi); ok_j.append(wj)
    i, j = (np.concatenate(ok_i), np.concatenate(ok_j)) if ok_i else (np.zeros(0, np.int64),) * 2
    graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(n_labels, n_labels))
    _, comp = connected_components(graph, directed=False)
    comp = comp.astype(np.int64)  # int32 from scipy: scoring multiplies labels by the artifact count
    new = np.where(labels >= 0, comp[np.maximum(labels, 0)], -1)
    return new, sorted(set(comp[reported].tolist()))


def _one_job(broad: csr_matrix, ring: np.ndarray, art: np.ndarray, traffic: np.ndarray,
             own_traffic: np.ndarray, job_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Ring pairs whose shared broad templates carry ≥ `job_share` of each one's own template traffic."""
    weighted = csr_matrix((traffic, (ring, art)), shape=broad.shape)
    # [i, j]: ring i's traffic on the templates it shares with ring j
    on_shared = (weighted @ broad.T).tocoo()
    share = on_shared.data / np.maximum(own_traffic[on_shared.row], 1e-9)
    big = (on_shared.row != on_shared.col) & (share >= job_share)
    i, j = on_shared.row[big], on_shared.col[big]
    lo, hi = np.minimum(i, j).astype(np.int64), np.maximum(i, j).astype(np.int64)
    pair, seen = np.unique(lo * broad.shape[0] + hi, return_counts=True)
    both = pair[seen == 2]  # (i, j) and (j, i): the share holds on both sides
    return both // broad.shape[0], both % broad.shape[0]


def _weak_merges(i: np.ndarray, j: np.ndarray, fam: np.ndarray, labels: np.ndarray, min_agreements: int,
                 min_families: int, timing: RingTiming | None, sync: SyncPairs | None, p: AgreementParams
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Anchored ring pairs (shared exclusive templates or cards) that share exclusive content in
    ≥ `min_families` evidence families, or in one and `min_agreements` more things in all
    (each further family and each timing agreement counts once)."""
    if not len(i):
        return i, j
    i, j = i.astype(np.int64), j.astype(np.int64)
    n = int(max(i.max(), j.max())) + 1
    key = i * n + j
    families = np.unique(key * len(FAMILIES) + fam)  # (pair, family) once each
    pair_key, content = np.unique(families // len(FAMILIES), return_counts=True)
    anchored = np.isin(families % len(FAMILIES), ANCHORS)
    pair_anchored = np.bincount(np.searchsorted(pair_key, families // len(FAMILIES)), weights=anchored,
                                minlength=len(pair_key)) > 0
    pi, pj = pair_key // n, pair_key % n
    votes = content.astype(np.int64) - 1
    if timing is not None:
        for agrees in timing_agreements(pi, pj, timing, labels, sync, p).values():
            votes += agrees
    ok = pair_anchored & ((content >= min_families) | (votes >= min_agreements))
    return pi[ok], pj[ok]
