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

The passes over tens of millions of candidate pairs are compiled (similarity_kernel.py);
candidates are weighed and gated a range of accounts at a time, and only the linked pairs
are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linkage.detect.inputs import Links
from linkage.detect.similarity_kernel import (artifact_pair_rows, artifact_runs, count_rows, fill_rows,
                                              pair_sums)
from linkage.detect.specificity import FAMILIES, TIMING, Specificity
from linkage.detect.synchrony import SyncPairs
from linkage.settings import Settings

KIND_MIN = 0.05  # a family "agrees" on a pair when its weight reaches this
CHUNK_ROWS = 1 << 23  # weight rows summed and gated at a time: ~8 M, a few hundred MB at most


@dataclass
class PairWeights:
    """Pairs (a < b, in (a, b) order) with their per-family weights (columns: FAMILIES).

    `pair_weights` gives every candidate pair; `similarity` only the linked ones.
    """

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

    def subset(self, mask: np.ndarray) -> PairWeights:
        return PairWeights(a=self.a[mask], b=self.b[mask], w=self.w[mask],
                           sync=None if self.sync is None else self.sync[mask])


# (a, b, family, weight) rows of evidence, one per shared artifact, lockstep or synchrony pair
WeightRows = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass
class _ByAccount:
    """Weight rows under their lower account: account a's are partner/family/weight[ptr[a]:ptr[a + 1]]."""

    ptr: np.ndarray
    partner: np.ndarray
    family: np.ndarray
    weight: np.ndarray


def artifact_pairs(links: Links, spec: Specificity, settings: Settings) -> WeightRows:
    """Candidate (a, b, family, weight) arrays from shared artifacts (see module doc).

    Each usable artifact's accounts in (first use, account) order; each pairs with its next
    `neighbours`, or with all the others when the artifact has at most `small_artifact` accounts.
    """
    acc, start = artifact_runs(links.artifact, links.first_seen, links.account, spec.value > 0)
    m = max(1, settings.neighbours)
    reach = np.where(spec.df <= settings.small_artifact, max(m, settings.small_artifact - 1), m)
    # int32 codes and float32 weights: tens of millions of candidate pairs at full scale
    return artifact_pair_rows(acc, start, reach.astype(np.int64), spec.family.astype(np.int8),
                              spec.value.astype(np.float32))


def _by_account(n_accounts: int, sources: list[WeightRows]) -> _ByAccount:
    """All sources' rows (a != b) under their lower account, in source then row order."""
    count = np.zeros(n_accounts + 1, np.int64)
    for a, b, _, _ in sources:
        count_rows(a, b, count[1:])
    ptr = np.cumsum(count)
    # the reference concatenated the weights: float32 unless a source brings float64
    dtype = np.result_type(*(w.dtype for _, _, _, w in sources))
    out = _ByAccount(ptr=ptr, partner=np.empty(ptr[-1], np.int32), family=np.empty(ptr[-1], np.int8),
                     weight=np.empty(ptr[-1], dtype))
    cursor = ptr[:-1].copy()
    for a, b, fam, w in sources:
        fill_rows(a, b, fam, w.astype(dtype, copy=False), cursor, out.partner, out.family, out.weight)
    return out


def _sums(rows: _ByAccount, lo0: int, lo1: int) -> PairWeights:
    """Capped per-family weights of the pairs whose lower account is in [lo0, lo1)."""
    a, b, w = pair_sums(rows.ptr, rows.partner, rows.family, rows.weight, lo0, lo1, len(FAMILIES))
    return PairWeights(a=a, b=b, w=w)


def lockstep_weight(windows: np.ndarray, min_windows: int) -> np.ndarray:
    """Timing-family weight of a lockstep pair: saturates at three times the minimum."""
    return np.clip(windows / (3.0 * max(1, min_windows)), 0.0, 1.0) * (windows >= min_windows)


def pair_weights(n_accounts: int, a: np.ndarray, b: np.ndarray, fam: np.ndarray,
                 w: np.ndarray) -> PairWeights:
    """Sum weights per (pair, family), cap each family at 1, pivot to one row per pair."""
    return _sums(_by_account(n_accounts, [(a, b, fam, w)]), 0, n_accounts)


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


def _chunks(ptr: np.ndarray, rows: int) -> list[tuple[int, int]]:
    """Account ranges of about `rows` weight rows each (at least one range, even when empty)."""
    cuts = np.searchsorted(ptr, np.arange(rows, ptr[-1], rows), side="right") - 1
    bounds = np.unique(np.r_[0, cuts, len(ptr) - 1])
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist())) or [(0, 0)]


def _sync_by_key(sync: SyncPairs, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Synchrony pairs' keys (a·n + b) in order, and their weights; stable: repeats keep their order."""
    key = np.minimum(sync.a, sync.b).astype(np.int64) * n + np.maximum(sync.a, sync.b)
    order = np.argsort(key, kind="stable")
    return key[order], sync.weight[order]


def _aligned(pw: PairWeights, n: int, key: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Synchrony weight per row of `pw` (0 where the pair is not in synchrony)."""
    out = np.zeros(len(pw.a), np.float32)
    if len(key) == 0 or len(pw.a) == 0:
        return out
    pos = np.searchsorted(pw.a.astype(np.int64) * n + pw.b, key)
    out[pos] = np.maximum(out[pos], weight)  # every sync pair is among pw's rows (a weight row of its own)
    return out


def _passes_gates(pw: PairWeights, settings: Settings) -> np.ndarray:
    """The linking gates of the module doc, per row of `pw`."""
    combined = pw.combined
    # corroboration: what the other families add beyond the single strongest one
    corroboration = combined - pw.w.max(axis=1)
    return ((pw.kinds >= settings.min_kinds) & (combined >= settings.min_edge_weight)
            & (corroboration >= settings.min_corroboration)) | (pw.sync >= settings.sync_link_alone)


def _concat(parts: list[PairWeights]) -> PairWeights:
    return PairWeights(a=np.concatenate([p.a for p in parts]), b=np.concatenate([p.b for p in parts]),
                       w=np.concatenate([p.w for p in parts]), sync=np.concatenate([p.sync for p in parts]))


def similarity(links: Links, spec: Specificity, lock: tuple[np.ndarray, ...],
               settings: Settings, sync: SyncPairs | None = None) -> tuple[PairWeights, int]:
    """The linked pairs with their family weights and synchrony, and how many candidate pairs there were.

    Synchrony pairs (`sync`) add to the timing family like lockstep does; one at or above
    `sync_link_alone` links its pair without a second family: thousands of shared seconds
    against a handful expected is not one weak signal but many independent ones.
    Candidate pairs are weighed and gated a range of accounts at a time: only the linked ones
    are kept (tens of millions of candidates at full scale, a few hundred thousand linked).
    """
    sync = sync if sync is not None else SyncPairs.empty()
    n = links.n_accounts
    la, lb, windows, lfam = lock
    lw = lockstep_weight(windows, settings.lockstep_min_windows)
    rows = _by_account(n, [artifact_pairs(links, spec, settings),
                           (la, lb, lfam.astype(np.int8), lw.astype(np.float32)),
                           (sync.a, sync.b, np.full(len(sync.a), TIMING, np.int8), sync.weight)])
    sync_key, sync_weight = _sync_by_key(sync, n)
    parts, candidates = [], 0
    for lo0, lo1 in _chunks(rows.ptr, CHUNK_ROWS):
        pw = _sums(rows, lo0, lo1)
        s, e = np.searchsorted(sync_key, [lo0 * n, lo1 * n])
        pw.sync = _aligned(pw, n, sync_key[s:e], sync_weight[s:e])
        candidates += len(pw.a)
        parts.append(pw.subset(_passes_gates(pw, settings)))
    del rows
    pw = _concat(parts)
    return pw.subset(top_k(pw.a, pw.b, pw.combined, settings.top_k)), candidates
