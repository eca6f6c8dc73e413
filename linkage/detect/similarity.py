"""Account–account similarity from shared artifacts, near-linear, per family and combined.

Candidate pairs come from each artifact's accounts ordered by first use:
- an artifact with at most `small_artifact` accounts links all its pairs;
- a larger one links each account only to its next `neighbours` accounts in that
  order (temporal adjacency: accounts an operator starts together sit together),
  so an artifact with n accounts yields about n·neighbours pairs, never n².
Each pair accumulates, per evidence family, the specificity of what it shares
(capped at 1). Lockstep pairs add the `timing` family. A pair is linked only when
at least `min_kinds` families agree, their sum reaches `min_edge_weight`, and the
families other than the strongest add at least `min_corroboration`: several
independent kinds of evidence outweigh one strong kind, and an IP or a proxy
alone (or with a trace of anything else) never links. Finally each account keeps its `top_k` strongest links.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linkage.detect.inputs import Links
from linkage.detect.specificity import FAMILIES, TIMING, Specificity
from linkage.detect.synchrony import SyncPairs
from linkage.settings import Settings

KIND_MIN = 0.05  # a family "agrees" on a pair when its weight reaches this


@dataclass
class PairWeights:
    """Every candidate pair (a < b) with its per-family weights (columns: FAMILIES)."""

    a: np.ndarray
    b: np.ndarray
    w: np.ndarray  # float32, shape (pairs, len(FAMILIES))
    sync: np.ndarray | None = None  # float32 per pair: synchrony weight (0: none), see synchrony.py

    @property
    def kinds(self) -> np.ndarray:
        return (self.w >= KIND_MIN).sum(axis=1)

    @property
    def combined(self) -> np.ndarray:
        return self.w.sum(axis=1)


def artifact_pairs(links: Links, spec: Specificity, settings: Settings):
    """Candidate (a, b, family, weight) arrays from shared artifacts (see module doc)."""
    usable = spec.value[links.artifact] > 0
    art, acc, fs = links.artifact[usable], links.account[usable], links.first_seen[usable]
    order = np.lexsort((acc, fs, art))
    art, acc = art[order], acc[order]
    small = spec.df[art] <= settings.small_artifact
    out_a, out_b, out_art = [], [], []
    m = max(1, settings.neighbours)
    # offsets up to `neighbours` on everything; beyond that only inside small artifacts
    for off in range(1, m + 1):
        same = art[:-off] == art[off:]
        idx = np.nonzero(same)[0]
        out_a.append(acc[idx]); out_b.append(acc[idx + off]); out_art.append(art[idx])
    s_idx = np.nonzero(small)[0]
    s_art, s_acc = art[s_idx], acc[s_idx]
    for off in range(m + 1, settings.small_artifact):
        if off >= len(s_art):
            break
        same = s_art[:-off] == s_art[off:]
        idx = np.nonzero(same)[0]
        if len(idx) == 0:
            break
        out_a.append(s_acc[idx]); out_b.append(s_acc[idx + off]); out_art.append(s_art[idx])
    # int32 codes and float32 weights: tens of millions of candidate pairs at full scale
    a = np.concatenate(out_a).astype(np.int32) if out_a else np.zeros(0, np.int32)
    b = np.concatenate(out_b).astype(np.int32) if out_b else np.zeros(0, np.int32)
    arts = np.concatenate(out_art) if out_art else np.zeros(0, np.int64)
    return a, b, spec.family[arts].astype(np.int8), spec.value[arts].astype(np.float32)


def lockstep_weight(windows: np.ndarray, min_windows: int) -> np.ndarray:
    """Timing-family weight of a lockstep pair: saturates at three times the minimum."""
    return np.clip(windows / (3.0 * max(1, min_windows)), 0.0, 1.0) * (windows >= min_windows)


def pair_weights(n_accounts: int, a: np.ndarray, b: np.ndarray, fam: np.ndarray,
                 w: np.ndarray) -> PairWeights:
    """Sum weights per (pair, family), cap each family at 1, pivot to one row per pair."""
    nf = len(FAMILIES)
    a64, b64 = a.astype(np.int64), b.astype(np.int64)
    key = (np.minimum(a64, b64) * n_accounts + np.maximum(a64, b64)) * nf + fam.astype(np.int64)
    del a64, b64
    keep = a != b
    key, w = key[keep], w[keep]
    order = np.argsort(key)
    key, w = key[order], w[order]
    del order
    first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, bool)  # no pairs: none first
    uk = key[first]
    sums = np.add.reduceat(w.astype(np.float64), np.nonzero(first)[0]) if len(key) else np.zeros(0)
    del key, w, first
    pair_key, family = uk // nf, uk % nf
    upair, pinv = np.unique(pair_key, return_inverse=True)
    mat = np.zeros((len(upair), nf), np.float32)
    mat[pinv, family] = np.minimum(1.0, sums)
    return PairWeights(a=upair // n_accounts, b=upair % n_accounts, w=mat)


def top_k(a: np.ndarray, b: np.ndarray, w: np.ndarray, k: int) -> np.ndarray:
    """Mask of edges kept: those among the k strongest of either endpoint."""
    if len(a) == 0:
        return np.zeros(0, bool)
    node = np.concatenate([a, b])
    weight = np.concatenate([w, w])
    edge = np.concatenate([np.arange(len(a)), np.arange(len(a))])
    order = np.lexsort((edge, -weight, node))
    node_sorted = node[order]
    start = np.r_[0, np.nonzero(np.diff(node_sorted))[0] + 1]
    group_start = np.repeat(start, np.diff(np.r_[start, len(node_sorted)]))
    rank = np.arange(len(node_sorted)) - group_start
    keep = np.zeros(len(a), bool)
    keep[edge[order][rank < k]] = True
    return keep


def _aligned(pw: PairWeights, n: int, sync: SyncPairs) -> np.ndarray:
    """Synchrony weight per row of `pw` (0 where the pair is not in synchrony)."""
    out = np.zeros(len(pw.a), np.float32)
    if len(sync.a) == 0 or len(pw.a) == 0:
        return out
    keys = pw.a.astype(np.int64) * n + pw.b
    pos = np.searchsorted(keys, np.minimum(sync.a, sync.b) * n + np.maximum(sync.a, sync.b))
    out[pos] = np.maximum(out[pos], sync.weight)  # every sync pair is among pw's rows (added below)
    return out


def similarity(links: Links, spec: Specificity, lock: tuple[np.ndarray, ...],
               settings: Settings, sync: SyncPairs | None = None) -> tuple[PairWeights, np.ndarray]:
    """All candidate pairs with family weights, and the mask of pairs linked in the graph.

    Synchrony pairs (`sync`) add to the timing family like lockstep does; one at or above
    `sync_link_alone` links its pair without a second family: thousands of shared seconds
    against a handful expected is not one weak signal but many independent ones.
    """
    sync = sync if sync is not None else SyncPairs.empty()
    a, b, fam, w = artifact_pairs(links, spec, settings)
    la, lb, windows, lfam = lock
    lw = lockstep_weight(windows, settings.lockstep_min_windows)
    pw = pair_weights(
        links.n_accounts,
        np.concatenate([a, la.astype(np.int32), sync.a.astype(np.int32)]),
        np.concatenate([b, lb.astype(np.int32), sync.b.astype(np.int32)]),
        np.concatenate([fam, lfam.astype(np.int8), np.full(len(sync.a), TIMING, np.int8)]),
        np.concatenate([w, lw.astype(np.float32), sync.weight]),
    )
    del a, b, fam, w
    pw.sync = _aligned(pw, links.n_accounts, sync)
    combined = pw.combined
    # corroboration: what the other families add beyond the single strongest one
    corroboration = combined - pw.w.max(axis=1)
    linked = ((pw.kinds >= settings.min_kinds) & (combined >= settings.min_edge_weight)
              & (corroboration >= settings.min_corroboration)) | (pw.sync >= settings.sync_link_alone)
    idx = np.nonzero(linked)[0]
    kept = top_k(pw.a[idx], pw.b[idx], combined[idx], settings.top_k)
    mask = np.zeros(len(pw.a), bool)
    mask[idx[kept]] = True
    return pw, mask
