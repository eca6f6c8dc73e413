"""Ring-level timing agreements: did two rings start, switch and act as one?

Consolidation (consolidate.py) joins the heads of one operator. When heads share little
content (one job template, a card per head), what still says "one operator" is that
several independent things about the two rings coincide. This module measures, per pair
of reported rings, the agreements that are not content:

- **creation**: both rings were created inside one common window of `creation_days`
  (their members' 10th–90th creation percentiles, taken together). Operators open
  accounts in bursts; ordinary cohorts and trickled accounts spread over months;
- **release shift**: both rings moved to a newly released model at a time consistent
  with one common switch. Per ring, a two-segment binomial change point on its hourly
  share of new-model traffic (a day before to the window's end after the release): a
  *rush* when the share jumps by ≥ `min_jump`; its support interval is every split whose
  log-likelihood is within `support` of the best. Two rings agree when both rush and
  their intervals overlap — a sparse head (a session every 15 h) has a wide interval and
  agrees with more, a busy one pins its switch to the hour;
- **synchrony**: at least `sync_pairs` significant synchrony pairs (synchrony.py) join a
  member of one ring to a member of the other: one job runner feeding both.

Each is weak alone (two operators can open accounts the same week); consolidate.py
requires several to agree *and* shared exclusive content.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linkage.detect.synchrony import SyncPairs
from linkage.detect.temporal import ReleaseWindow

DAY = 86_400.0


@dataclass(frozen=True)
class AgreementParams:
    creation_days: float = 7.0
    min_jump: float = 0.5
    support: float = 3.0
    sync_pairs: int = 3


@dataclass
class RingTiming:
    """Per ring label: creation window and, per release, the support interval of its switch."""

    created_lo: np.ndarray  # float epoch seconds (nan: unknown)
    created_hi: np.ndarray
    switch_lo: list[np.ndarray]  # per release window: first plausible switch hour (-1: no rush)
    switch_hi: list[np.ndarray]


def ring_timing(labels: np.ndarray, n_labels: int, created: np.ndarray, windows: list[ReleaseWindow],
                p: AgreementParams, rings: list[int] | None = None) -> RingTiming:
    """Creation windows and switch intervals of the `rings` labels (default: every label)."""
    if rings is not None:  # only the reported rings: a full-scale run has many more communities
        wanted = np.zeros(n_labels + 1, bool)
        wanted[rings] = True
        labels = np.where(wanted[np.where(labels >= 0, labels, n_labels)], labels, -1)
    lo = np.full(n_labels, np.nan)
    hi = np.full(n_labels, np.nan)
    known = (labels >= 0) & (created >= 0)
    if known.any():
        lab, t = labels[known], created[known]
        order = np.lexsort((t, lab))
        lab, t = lab[order], t[order]
        starts = np.searchsorted(lab, np.arange(n_labels))
        ends = np.searchsorted(lab, np.arange(n_labels), side="right")
        size = ends - starts
        has = size > 0
        lo[has] = t[starts[has] + (0.1 * (size[has] - 1)).astype(np.int64)]
        hi[has] = t[starts[has] + (0.9 * (size[has] - 1)).astype(np.int64)]
    s_lo, s_hi = [], []
    for w in windows:
        a, b = _switch_support(labels, n_labels, w, p)
        s_lo.append(a)
        s_hi.append(b)
    return RingTiming(lo, hi, s_lo, s_hi)


def _switch_support(labels: np.ndarray, n_labels: int, w: ReleaseWindow,
                    p: AgreementParams) -> tuple[np.ndarray, np.ndarray]:
    """Per ring: the hours a switch to the new model may have happened at (-1, -1: no rush)."""
    lo = np.full(n_labels, -1, np.int64)
    hi = np.full(n_labels, -1, np.int64)
    if len(w.hour) == 0:
        return lo, hi
    lab = labels[w.account]
    keep = lab >= 0
    if not keep.any():
        return lo, hi
    present, row = np.unique(lab[keep], return_inverse=True)  # rows for the labels seen only
    n_rows, n_hours = len(present), int(w.hour.max()) + 1
    cell = row * n_hours + w.hour[keep]
    req = w.requests[keep].astype(float)
    new = np.bincount(cell, weights=req * w.on_new[keep], minlength=n_rows * n_hours).reshape(n_rows, n_hours)
    tot = np.bincount(cell, weights=req, minlength=n_rows * n_hours).reshape(n_rows, n_hours)
    # split k: hours < k before, hours >= k after (k = 1 .. n_hours - 1)
    nb, tb = np.cumsum(new, 1)[:, :-1], np.cumsum(tot, 1)[:, :-1]
    na, ta = new.sum(1, keepdims=True) - nb, tot.sum(1, keepdims=True) - tb
    ll = _binomial_ll(nb, tb) + _binomial_ll(na, ta)
    valid = (tb > 0) & (ta > 0)
    ll = np.where(valid, ll, -np.inf)
    best = np.argmax(ll, 1)
    rows = np.arange(n_rows)
    ok = np.isfinite(ll[rows, best])
    jump = np.where(ok, na[rows, best] / np.maximum(ta[rows, best], 1) - nb[rows, best] / np.maximum(tb[rows, best], 1), 0)
    rush = ok & (jump >= p.min_jump)
    within = ll >= (ll[rows, best] - p.support)[:, None]
    first = np.argmax(within, 1)
    last = n_hours - 2 - np.argmax(within[:, ::-1], 1)
    # split index k -> the first "after" hour
    lo[present[rush]], hi[present[rush]] = first[rush] + 1, last[rush] + 1
    return lo, hi


def _binomial_ll(k: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Log-likelihood of k successes in n at the fitted rate (0 log 0 = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(n > 0, k / np.maximum(n, 1e-12), 0.0)
        a = np.where(k > 0, k * np.log(np.maximum(q, 1e-300)), 0.0)
        b = np.where(n - k > 0, (n - k) * np.log(np.maximum(1 - q, 1e-300)), 0.0)
    return a + b


def timing_agreements(i: np.ndarray, j: np.ndarray, timing: RingTiming, labels: np.ndarray,
                      sync: SyncPairs | None, p: AgreementParams) -> dict[str, np.ndarray]:
    """Per candidate ring pair (i[k], j[k]): which timing agreements hold (bool arrays)."""
    span = np.fmax(timing.created_hi[i], timing.created_hi[j]) - np.fmin(timing.created_lo[i], timing.created_lo[j])
    creation = np.nan_to_num(span, nan=np.inf) <= p.creation_days * DAY
    switch = np.zeros(len(i), bool)
    for lo, hi in zip(timing.switch_lo, timing.switch_hi):
        both = (lo[i] >= 0) & (lo[j] >= 0)
        switch |= both & (np.maximum(lo[i], lo[j]) <= np.minimum(hi[i], hi[j]))
    together = np.zeros(len(i), bool)
    if sync is not None and len(sync.a) and len(i):
        la, lb = labels[sync.a], labels[sync.b]
        cross = (la >= 0) & (lb >= 0) & (la != lb)
        lo, hi = np.minimum(la[cross], lb[cross]), np.maximum(la[cross], lb[cross])
        n = int(labels.max()) + 1
        keys, counts = np.unique(lo * n + hi, return_counts=True)
        pair_key = np.minimum(i, j) * n + np.maximum(i, j)
        pos = np.clip(np.searchsorted(keys, pair_key), 0, max(0, len(keys) - 1))
        found = (len(keys) > 0) & (keys[pos] == pair_key) if len(keys) else np.zeros(len(i), bool)
        together = found & (counts[pos] >= p.sync_pairs) if len(keys) else together
    return {"creation": creation, "release": switch, "synchrony": together}
