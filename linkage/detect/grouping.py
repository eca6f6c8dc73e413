"""Group labelled links by (label, artifact) in linear time, for scoring and the steps after it.

Scoring, bystanders, consolidation and the ring artifacts all ask the same question of the
account–artifact links: per community label and artifact, how many member links are there
and how much traffic do they carry? Asked with `np.unique(label * A + artifact)` it is a
full sort of tens of millions of keys, once per call (23 s at full scale, with inverse).

Here the links are put in artifact order once (`ArtifactRuns`, a counting sort, whatever
order `load_links` gives them in). Then each call is one walk over the runs: a stamp per
label finds the labels of an artifact's run, their sums build up in per-label scratch and
the groups are written sequentially, ordered by artifact, then label. Restricted to one
label that is `np.unique(label * A + artifact)`'s order (ascending artifact), so any
per-label reduction over the groups (`np.bincount` with float weights adds in input order)
is bit-identical to the same reduction over `np.unique`'s groups, and so is a stable sort of
the groups by label first (its ties keep ascending artifact order either way). Counts and
traffic are integer sums, which do not depend on the order of the links.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xxhash
from numba import njit

from linkage.detect.buckets import bucket_starts, sort_small
from linkage.detect.inputs import Links


@dataclass(frozen=True)
class ArtifactRuns:
    """The links in artifact order: rows start[a]:start[a+1] are the links of artifact a."""

    start: np.ndarray  # int64, n_artifacts + 1
    account: np.ndarray  # int32 account code per row
    count: np.ndarray  # int32 (or int64 when a count needs it) request count per row
    # the last labelling's groups: scoring, consolidation, bystanders and the ring artifacts ask
    # about the same labels in turn (one entry only: a full-scale labelling has ~10^7 groups)
    _last: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def n_artifacts(self) -> int:
        return len(self.start) - 1

    def links_per_artifact(self) -> np.ndarray:
        """int64 per artifact: how many links (accounts) it has."""
        return np.diff(self.start)

    def groups(self, labels: np.ndarray, n_labels: int | None = None) -> Groups:
        """`label_artifact_groups(self, labels)`, kept until other labels are asked about.

        Keyed by the labels' content (a 128-bit hash), not the array: a caller may relabel in place."""
        labels = np.ascontiguousarray(labels)
        key = (labels.dtype.str, len(labels), xxhash.xxh3_128_hexdigest(labels.view(np.uint8)))
        if self._last.get("key") != key:
            self._last.clear()  # (the old groups go before the new ones are built)
            self._last["groups"] = label_artifact_groups(self, labels, n_labels)
            self._last["key"] = key
        return self._last["groups"]  # type: ignore[return-value]


@dataclass(frozen=True)
class Groups:
    """(label, artifact) groups of labelled links, ordered by artifact, then label (see module doc)."""

    label: np.ndarray  # int64 per group
    artifact: np.ndarray  # int64 per group
    links: np.ndarray  # int64 per group: labelled links in it (members using the artifact)
    traffic: np.ndarray  # int64 per group: their summed counts

    def __len__(self) -> int:
        return len(self.label)


def _narrow(values: np.ndarray) -> np.ndarray:
    """int32 when every value fits (half the memory at tens of millions of rows), else int64."""
    if len(values) == 0 or (values.min() >= np.iinfo(np.int32).min and values.max() <= np.iinfo(np.int32).max):
        return values.astype(np.int32)
    return values.astype(np.int64)


def artifact_runs(links: Links) -> ArtifactRuns:
    """`links` in artifact order (a stable counting sort: linear, whatever order they come in)."""
    start, account, count = _counting_sort(links.artifact, links.account.astype(np.int32, copy=False),
                                           _narrow(links.count), links.n_artifacts)
    return ArtifactRuns(start=start, account=account, count=count)


@njit(cache=True, nogil=True)
def _counting_sort(artifact: np.ndarray, account: np.ndarray, count: np.ndarray, n_art: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    start = bucket_starts(artifact, n_art)
    fill = start[:-1].copy()
    acc_out = np.empty(len(artifact), account.dtype)
    cnt_out = np.empty(len(artifact), count.dtype)
    for i in range(len(artifact)):
        p = fill[artifact[i]]
        fill[artifact[i]] = p + 1
        acc_out[p] = account[i]
        cnt_out[p] = count[i]
    return start, acc_out, cnt_out


def label_artifact_groups(runs: ArtifactRuns, labels: np.ndarray, n_labels: int | None = None) -> Groups:
    """The (label, artifact) groups of the links whose account has a label >= 0 (see module doc)."""
    labels = np.asarray(labels)
    if n_labels is None:
        n_labels = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    n_groups = _count_groups(runs.start, runs.account, labels, n_labels)
    lab, art, n_links, traffic = _fill_groups(runs.start, runs.account, runs.count, labels, n_labels, n_groups)
    return Groups(label=lab, artifact=art, links=n_links, traffic=traffic)


@njit(cache=True, nogil=True)
def _count_groups(start: np.ndarray, account: np.ndarray, labels: np.ndarray, n_labels: int) -> int:
    """How many (label, artifact) pairs the labelled links hold: one per label seen in a run."""
    stamp = np.full(n_labels, -1, np.int64)  # last artifact each label was seen in
    n_groups = 0
    for a in range(len(start) - 1):
        for r in range(start[a], start[a + 1]):
            lab = labels[account[r]]
            if lab >= 0 and stamp[lab] != a:
                stamp[lab] = a
                n_groups += 1
    return n_groups


@njit(cache=True, nogil=True)
def _fill_groups(start: np.ndarray, account: np.ndarray, count: np.ndarray, labels: np.ndarray, n_labels: int,
                 n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    # a run's sums build up in per-label scratch (small, in cache); the groups are written
    # once each, sequentially: no scattered writes over tens of millions of groups
    g_lab = np.empty(n_groups, np.int64)
    g_art = np.empty(n_groups, np.int64)
    g_links = np.empty(n_groups, np.int64)
    g_traffic = np.empty(n_groups, np.int64)
    stamp = np.full(n_labels, -1, np.int64)
    run_links = np.zeros(n_labels, np.int64)
    run_traffic = np.zeros(n_labels, np.int64)
    g = 0
    for a in range(len(start) - 1):
        first = g
        for r in range(start[a], start[a + 1]):
            lab = labels[account[r]]
            if lab < 0:
                continue
            if stamp[lab] != a:
                stamp[lab] = a
                run_links[lab] = 0
                run_traffic[lab] = 0
                g_lab[g] = lab
                g += 1
            run_links[lab] += 1
            run_traffic[lab] += count[r]
        # labels in ascending order within the run (a run has few labels), so
        # that the order of the groups does not depend on the order of the links
        sort_small(g_lab, first, g)
        for i in range(first, g):
            g_art[i] = a
            g_links[i] = run_links[g_lab[i]]
            g_traffic[i] = run_traffic[g_lab[i]]
    return g_lab, g_art, g_links, g_traffic


def account_traffic(runs: ArtifactRuns, labels: np.ndarray, groups: Groups, column: np.ndarray,
                    n_columns: int) -> np.ndarray:
    """float64 (n_columns, accounts): each labelled account's summed counts on the links of the
    groups in each column (`column` per group, -1: none). Integer sums, exact as floats."""
    if len(column) != len(groups):
        raise ValueError("one column per group")
    n_labels = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    out = _account_traffic(runs.start, runs.account, runs.count, labels, n_labels, groups.label,
                           groups.artifact, column.astype(np.int64, copy=False), n_columns, len(labels))
    return out.astype(np.float64)


@njit(cache=True, nogil=True)
def _account_traffic(start: np.ndarray, account: np.ndarray, count: np.ndarray, labels: np.ndarray,
                     n_labels: int, g_lab: np.ndarray, g_art: np.ndarray, column: np.ndarray, n_columns: int, n_accounts: int
                     ) -> np.ndarray:
    # the groups of artifact a are the next ones in order: each label's slot is set from them
    # before a's rows are read (a label of the run always has its group there)
    slot = np.zeros(n_labels, np.int64)
    out = np.zeros((n_columns, n_accounts), np.int64)
    g = 0
    for a in range(len(start) - 1):
        while g < len(g_art) and g_art[g] == a:
            slot[g_lab[g]] = g
            g += 1
        for r in range(start[a], start[a + 1]):
            acc = account[r]
            lab = labels[acc]
            if lab < 0:
                continue
            c = column[slot[lab]]
            if c >= 0:
                out[c, acc] += count[r]
    return out
