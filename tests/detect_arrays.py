"""Detection's integer-coded inputs built by hand, for tests of one step on a few accounts.

`Net` collects account–artifact uses and turns them into `Links` exactly as `load_links`
would (one row per account and artifact, artifacts coded in order of first mention);
`pairs` builds `PairWeights` from {(a, b): {family: weight}}; `quiet_activity` is the
`Activity` of a population with no traffic facts at all.
"""

from __future__ import annotations

import numpy as np

from linkage.detect.inputs import KINDS, Links
from linkage.detect.similarity import PairWeights
from linkage.detect.specificity import FAMILIES
from linkage.detect.synchrony import SyncPairs
from linkage.detect.temporal import Activity

NO_LOCK = (np.zeros(0, np.int64),) * 4


class Net:
    def __init__(self, n_accounts: int):
        self.n = n_accounts
        self.rows: list[tuple[int, str, str, int, float]] = []  # account, kind, value, count, first seen

    def use(self, accounts, kind: str, value: str, count: int = 1, first: float = 0.0) -> "Net":
        for a in accounts:
            self.rows.append((int(a), kind, value, count, first))
        return self

    def links(self) -> Links:
        code: dict[tuple[str, str], int] = {}
        for _, kind, value, _, _ in self.rows:
            code.setdefault((kind, value), len(code))
        return Links(account_ids=np.array([f"acc{i:03d}" for i in range(self.n)], object),
                     artifact_kind=np.array([KINDS.index(k) for k, _ in code], np.int8),
                     artifact_value=np.array([v for _, v in code], object),
                     account=np.array([r[0] for r in self.rows], np.int64),
                     artifact=np.array([code[(r[1], r[2])] for r in self.rows], np.int64),
                     count=np.array([r[3] for r in self.rows], np.int64),
                     first_seen=np.array([r[4] for r in self.rows], np.float64))


def df_of(links: Links) -> np.ndarray:
    return np.bincount(links.artifact, minlength=links.n_artifacts).astype(np.int64)


def pairs(weights: dict[tuple[int, int], dict[str, float]]) -> PairWeights:
    keys = sorted(weights)
    w = np.zeros((len(keys), len(FAMILIES)), np.float32)
    for row, key in enumerate(keys):
        for family, value in weights[key].items():
            w[row, FAMILIES.index(family)] = value
    return PairWeights(a=np.array([k[0] for k in keys], np.int64), b=np.array([k[1] for k in keys], np.int64),
                       w=w)


def no_pairs() -> PairWeights:
    return pairs({})


def sync_pairs(edges: list[tuple[int, int]], weight: float = 1.0) -> SyncPairs:
    a = np.array([min(e) for e in edges], np.int64)
    b = np.array([max(e) for e in edges], np.int64)
    return SyncPairs(a=a, b=b, shared=np.full(len(a), 10), expected=np.ones(len(a)),
                     weight=np.full(len(a), weight, np.float32))


def quiet_activity(n: int, span_end: float = 0.0) -> Activity:
    return Activity(requests=np.zeros(n, np.int64), release_share=np.zeros(n), release_active=np.zeros(n, bool),
                    population_release_share=0.0, releases={}, span_end=span_end)
