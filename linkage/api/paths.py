"""Evidence paths for the API: a bidirectional breadth-first search on the held graph.

A hop is account → artifact → account. The search grows whichever side's frontier
has fewer links, one full level at a time, and stops at the first level where the two
sides meet (then every meeting account on a shortest path is known). It walks only
artifacts that detection would let link two accounts and that are no hub
(`GraphIndex.walkable`), at least `api_path_min_specificity` specific and used by
at most `api_path_max_accounts` accounts; whatever is allowlisted at query time is
skipped too. A path through an IP shared by thousands of accounts explains nothing,
and such artifacts are what makes an unguided search touch the whole graph (at full
scale, dropping the 222 artifacts used by 1,000–5,240 accounts takes the slowest
search from 123 ms to 15 ms).

Paths are then enumerated back from the meeting accounts toward both ends, most
specific artifacts first, within a budget, and ranked by strength (their weakest
hop's specificity).

The search itself is compiled (path_search.py): at full scale it takes ~0.5 ms CPU
between two members of the 18,000-account ring and at most ~7 ms for unrelated
accounts, where the array version took 11–24 ms and up to 108 ms, with the same
answers (tests/path_reference.py keeps that version as the reference).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from linkage.api.graph_index import GraphIndex
from linkage.api.path_search import Scratch, shortest_paths

BUDGET_PER_PATH = 5  # paths taken in enumeration order per path returned, before ranking
MAX_MEETING_ACCOUNTS = 50  # meeting accounts whose paths are enumerated


@dataclass(frozen=True)
class Hop:
    source: int  # account code
    artifact: int
    target: int  # account code


@dataclass(frozen=True)
class Path:
    hops: tuple[Hop, ...]
    strength: float


def gather(ptr: np.ndarray, values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """values[ptr[r]:ptr[r+1]] for every r in rows, concatenated, without a Python loop."""
    starts = ptr[rows]
    lengths = ptr[rows + 1] - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, values.dtype)
    shift = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return values[shift + np.arange(total)]


class PathFinder:
    """Shortest evidence paths between two accounts on one GraphIndex."""

    def __init__(self, graph: GraphIndex, min_specificity: float = 0.0, max_accounts: int | None = None):
        self.g = graph
        self.base_walk = graph.walkable() & (graph.spec >= min_specificity)
        if max_accounts:
            self.base_walk &= graph.df <= max_accounts
        self._walk: tuple[np.ndarray | None, np.ndarray] = (None, self.base_walk)
        self._idle: list[Scratch] = []  # scratch marks of searches not running now, one per concurrent search
        self._idle_lock = threading.Lock()
        if graph.n_accounts >= 2:  # load (or compile) the search now, while the model loads, not in a request
            self.paths(0, 1, 1, 1)

    def walk(self, blocked: np.ndarray | None) -> np.ndarray:
        """The walkable artifacts less `blocked` (the same mask object until the allowlist changes: kept)."""
        if blocked is None:
            return self.base_walk
        seen, walk = self._walk
        if seen is not blocked:
            walk = self.base_walk & ~blocked
            self._walk = (blocked, walk)
        return walk

    @contextmanager
    def _scratch(self) -> Iterator[Scratch]:
        with self._idle_lock:
            scratch = self._idle.pop() if self._idle else None
        if scratch is None:
            scratch = Scratch(self.g.n_accounts, len(self.g.spec))
        try:
            yield scratch
        finally:
            with self._idle_lock:
                self._idle.append(scratch)

    def paths(self, src: int, dst: int, max_hops: int, limit: int,
              blocked: np.ndarray | None = None) -> list[Path]:
        """Up to `limit` shortest paths of at most `max_hops` hops, strongest first.

        The shortest length comes from the search; the paths of that length are then taken in
        a fixed order, at most 5 × `limit` of them (through the first 50 meeting accounts in
        account order; from each, chains back to both ends with the most specific artifacts
        first), and the strongest `limit` of those kept, ties by artifacts and accounts."""
        if src == dst:
            return []
        walk = self.walk(blocked)
        g = self.g
        with self._scratch() as s:
            accounts, artifacts = shortest_paths(
                g.acc_ptr, g.link_artifact, g.art_ptr, g.art_users, g.spec, walk, src, dst, max_hops,
                limit * BUDGET_PER_PATH, MAX_MEETING_ACCOUNTS, s.mark, s.level, s.aseen, s.reach, s.next_epoch())
        if not len(accounts):
            return []
        strength = g.spec[artifacts].min(axis=1)
        keys = [-strength]  # np.lexsort: the last key sorts first
        for hop in range(artifacts.shape[1]):
            keys += [artifacts[:, hop], accounts[:, hop + 1]]
        order = np.lexsort(keys[::-1])[:limit]
        return [Path(tuple(Hop(*h) for h in zip(accounts[i, :-1].tolist(), artifacts[i].tolist(),
                                                  accounts[i, 1:].tolist())), float(strength[i]))
                for i in order.tolist()]

    def linked(self, account: int, blocked: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Accounts sharing a walkable artifact with `account`: codes, strength, kinds bitmask.

        Strength combines the shared artifacts' specificities as independent evidence
        (1 − Π(1 − s)); strongest first."""
        walk = self.base_walk if blocked is None else self.base_walk & ~blocked
        arts = self.g.link_artifact[self.g.links_of(account)]
        arts = arts[walk[arts]].astype(np.int64)
        if not len(arts):
            empty = np.zeros(0, np.int64)
            return empty, np.zeros(0), empty
        sizes = self.g.art_ptr[arts + 1] - self.g.art_ptr[arts]
        users = gather(self.g.art_ptr, self.g.art_users, arts).astype(np.int64)
        via = np.repeat(arts, sizes)
        other = users != account
        users, via = users[other], via[other]
        codes, inverse = np.unique(users, return_inverse=True)
        miss = np.bincount(inverse, weights=np.log1p(-np.minimum(self.g.spec[via], 0.999999)),
                           minlength=len(codes))
        strength = 1.0 - np.exp(miss)
        kind_bit = 1 << (np.searchsorted(self.g.kind_start, via, side="right") - 1)
        kinds = np.zeros(len(codes), np.int64)
        np.bitwise_or.at(kinds, inverse, kind_bit)
        order = np.lexsort((codes, -strength))
        return codes[order], strength[order], kinds[order]
