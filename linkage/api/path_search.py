"""The evidence-path search, compiled (numba): bidirectional BFS, then the paths in a fixed order.

What it computes is specified in paths.py; this file is how. Every compiled function
lives here on purpose: numba's disk cache notices a change to the file that defines a
function, not to the files its callees come from.

Why it is cheap where the array version was not (11–24 ms CPU per request on the
18,000-account ring, up to 108 ms on some unrelated pairs, at full scale):
- No sorting or set building per level: a level is grown by marking accounts and
  artifacts in scratch arrays, in place.
- The meeting test costs no user list. Before a side grows a level it marks the
  walkable artifacts of its frontier; the accounts of the other side's frontier that
  use a marked artifact are exactly the accounts the grown level would share with the
  other side (an account already reached by both would have ended the search earlier).
  So the level that meets, and the last level `max_hops` allows, are never grown:
  reading the users of those artifacts (up to `api_path_max_accounts` each, thousands
  of accounts per frontier) was most of the cost of the long searches.
- Scratch arrays are reused across searches: a mark is an epoch number, so a search
  starts without clearing or allocating megabytes (`Scratch`).
- Paths are enumerated by an explicit depth-first stack; predecessor lists are built
  once per stack level, and one meeting account's chains on the far side once.
"""

from __future__ import annotations

import numpy as np
from numba import njit

EPOCH_LIMIT = np.iinfo(np.uint16).max  # marks are uint16: clear the scratch once per 65,535 searches


@njit(cache=True, nogil=True)
def _grown(buf: np.ndarray, need: int) -> np.ndarray:
    if need <= len(buf):
        return buf
    out = np.empty(max(need, 2 * len(buf)), buf.dtype)
    out[:len(buf)] = buf
    return out


@njit(cache=True, nogil=True)
def _predecessors(node, want, side, origin, epoch, acc_ptr, link_artifact, art_ptr, art_users, spec, walk,
                  mark, level, aseen, users, vias, at):
    """Append (account, artifact) for the accounts at level `want` of `side` sharing a walkable
    artifact with `node` to users/vias from `at`: artifacts most specific first (ties in link
    order), each artifact's users in account order. Returns the buffers (maybe grown) and the end.

    Only artifacts the side marked can link two of its levels (any other walkable artifact of a
    level-`want` account was marked when that level grew), and level 0 is the origin alone
    (looked up in an artifact's sorted users, not read through)."""
    lo, hi = acc_ptr[node], acc_ptr[node + 1]
    arts = np.empty(hi - lo, np.int64)
    n = 0
    for k in range(lo, hi):
        a = link_artifact[k]
        if walk[a] and aseen[side, a] == epoch:
            j = n  # stable insertion sort by specificity, descending
            while j > 0 and spec[arts[j - 1]] < spec[a]:
                arts[j] = arts[j - 1]
                j -= 1
            arts[j] = a
            n += 1
    end = at
    for i in range(n):
        a = arts[i]
        first, stop = art_ptr[a], art_ptr[a + 1]
        if want == 0:
            k = first + np.searchsorted(art_users[first:stop], origin)
            if k < stop and art_users[k] == origin:
                first, stop = k, k + 1
            else:
                continue
        for k in range(first, stop):
            u = art_users[k]
            if mark[side, u] == epoch and level[side, u] == want:
                if end >= len(users):
                    users = _grown(users, end + 1)
                    vias = _grown(vias, end + 1)
                users[end] = u
                vias[end] = a
                end += 1
    return users, vias, end


@njit(cache=True, nogil=True)
def _chains(m, side, origin, epoch, cap, acc_ptr, link_artifact, art_ptr, art_users, spec, walk, mark, level,
            aseen):
    """Up to `cap` hop chains from `side`'s origin to `m` (accounts origin..m, artifacts between),
    in depth-first order: the hop next to `m` varies slowest."""
    d = level[side, m]
    accounts = np.empty((cap, d + 1), np.int64)
    artifacts = np.empty((cap, d), np.int64)
    if d == 0:
        accounts[0, 0] = m
        return accounts[:1], artifacts[:1]
    users = np.empty(64, np.int64)
    vias = np.empty(64, np.int64)
    node = np.empty(d, np.int64)
    pos = np.empty(d, np.int64)  # the choice at each depth (an index into users/vias)
    end = np.empty(d, np.int64)
    node[0] = m
    users, vias, end[0] = _predecessors(m, d - 1, side, origin, epoch, acc_ptr, link_artifact, art_ptr, art_users,
                                        spec, walk, mark, level, aseen, users, vias, 0)
    pos[0] = 0
    depth, n = 0, 0
    while depth >= 0:
        if pos[depth] >= end[depth]:
            depth -= 1
            if depth >= 0:
                pos[depth] += 1
            continue
        p = users[pos[depth]]
        if depth + 1 == d:  # p is the origin: a whole chain
            accounts[n, 0] = p
            for k in range(1, d + 1):
                accounts[n, k] = node[d - k]
                artifacts[n, k - 1] = vias[pos[d - k]]
            n += 1
            if n >= cap:
                break
            pos[depth] += 1
        else:
            start = end[depth]
            depth += 1
            node[depth] = p
            users, vias, end[depth] = _predecessors(p, d - 1 - depth, side, origin, epoch, acc_ptr, link_artifact,
                                                    art_ptr, art_users, spec, walk, mark, level, aseen, users, vias,
                                                    start)
            pos[depth] = start
    return accounts[:n], artifacts[:n]


@njit(cache=True, nogil=True)
def _mark_artifacts(frontier, s, epoch, acc_ptr, link_artifact, art_ptr, walk, aseen, marked):
    """Mark side s's unseen walkable artifacts of `frontier`; returns them and how many users they have."""
    n, users = 0, 0
    for f in frontier:
        for k in range(acc_ptr[f], acc_ptr[f + 1]):
            a = link_artifact[k]
            if walk[a] and aseen[s, a] != epoch:
                aseen[s, a] = epoch
                if n >= len(marked):
                    marked = _grown(marked, n + 1)
                marked[n] = a
                n += 1
                users += art_ptr[a + 1] - art_ptr[a]
    return marked, n, users


@njit(cache=True, nogil=True)
def _linked_to_marked(frontier, s, epoch, acc_ptr, link_artifact, aseen):
    """The accounts of `frontier` (the other side's) using an artifact side s just marked."""
    meet = np.empty(len(frontier), np.int64)
    n = 0
    for u in frontier:
        for k in range(acc_ptr[u], acc_ptr[u + 1]):
            if aseen[s, link_artifact[k]] == epoch:
                meet[n] = u
                n += 1
                break
    return meet[:n]


@njit(cache=True, nogil=True)
def _meet(acc_ptr, link_artifact, art_ptr, art_users, walk, src, dst, max_hops, mark, level, aseen, reach, epoch):
    """The bidirectional BFS: the meeting accounts (ascending), or none. Levels stay in `level`.

    A step: side s (the frontier with fewer links) marks its frontier's walkable artifacts.
    The accounts the grown level would share with the other side are the other frontier's
    accounts that use a marked artifact, found either by reading the marked artifacts' users
    (growing the level as it goes) or by reading the other frontier's links: whichever
    reads less. The level that meets, and the last one `max_hops` allows, are grown only
    when reading their users is the cheaper way to find that out."""
    lo = np.zeros(2, np.int64)  # side s's frontier is reach[s, lo[s]:hi[s]]
    hi = np.ones(2, np.int64)
    depth = np.zeros(2, np.int64)
    cost = np.zeros(2, np.int64)  # links of the frontier's accounts: the side with fewer grows
    for s in range(2):
        origin = src if s == 0 else dst
        mark[s, origin] = epoch
        level[s, origin] = 0
        reach[s, 0] = origin
        cost[s] = acc_ptr[origin + 1] - acc_ptr[origin]
    marked = np.empty(64, np.int64)
    meet = np.empty(0, np.int64)
    s = 0
    while depth[0] + depth[1] < max_hops:
        s = 0 if cost[0] <= cost[1] else 1
        o = 1 - s
        last = depth[0] + depth[1] + 1 == max_hops
        marked, n_marked, users = _mark_artifacts(reach[s, lo[s]:hi[s]], s, epoch, acc_ptr, link_artifact, art_ptr,
                                                  walk, aseen, marked)
        if users > cost[o]:  # the other frontier's links are fewer to read than these users
            meet = _linked_to_marked(reach[o, lo[o]:hi[o]], s, epoch, acc_ptr, link_artifact, aseen)
            if len(meet) or last:
                break
        top, c, n_meet = hi[s], 0, 0
        detect = users <= cost[o]  # else the other frontier's links said: no meeting here
        grown = np.empty(hi[o] - lo[o], np.int64)  # meeting accounts are of the other frontier
        for j in range(n_marked):
            a = marked[j]
            for k in range(art_ptr[a], art_ptr[a + 1]):
                u = art_users[k]
                if mark[s, u] != epoch:
                    mark[s, u] = epoch
                    level[s, u] = depth[s] + 1
                    reach[s, top] = u
                    top += 1
                    c += acc_ptr[u + 1] - acc_ptr[u]
                    if detect and mark[o, u] == epoch and n_meet < len(grown):  # reached by both sides
                        grown[n_meet] = u
                        n_meet += 1
        lo[s], hi[s], cost[s] = hi[s], top, c
        depth[s] += 1
        if n_meet:
            return np.sort(grown[:n_meet])
        if top == lo[s] or last:
            return np.zeros(0, np.int64)
    for u in meet:
        mark[s, u] = epoch
        level[s, u] = depth[s] + 1
    return np.sort(meet)


@njit(cache=True, nogil=True)
def shortest_paths(acc_ptr, link_artifact, art_ptr, art_users, spec, walk, src, dst, max_hops, budget, max_meet,
                   mark, level, aseen, reach, epoch):
    """The first `budget` shortest paths src → dst in enumeration order: meeting accounts
    ascending (the first `max_meet`), then chains src → meeting account in depth-first order,
    then chains meeting account → dst. Returns accounts (paths × hops+1) and artifacts (paths × hops)."""
    meet = _meet(acc_ptr, link_artifact, art_ptr, art_users, walk, src, dst, max_hops, mark, level, aseen, reach,
                 epoch)
    if len(meet) == 0:
        return np.zeros((0, 1), np.int64), np.zeros((0, 0), np.int64)
    length = level[0, meet[0]] + level[1, meet[0]]
    accounts = np.empty((budget, length + 1), np.int64)
    artifacts = np.empty((budget, length), np.int64)
    found = 0
    for mi in range(min(len(meet), max_meet)):
        m = meet[mi]
        d0 = level[0, m]
        want = budget - found
        right_acc, right_art = _chains(m, 1, dst, epoch, want, acc_ptr, link_artifact, art_ptr, art_users, spec,
                                       walk, mark, level, aseen)
        n_right = len(right_acc)  # >= 1: every reached account has a predecessor one level closer
        if n_right == 0:
            continue
        left_acc, left_art = _chains(m, 0, src, epoch, (want + n_right - 1) // n_right, acc_ptr, link_artifact,
                                     art_ptr, art_users, spec, walk, mark, level, aseen)
        for i in range(len(left_acc)):
            for j in range(n_right):
                accounts[found, :d0 + 1] = left_acc[i]
                artifacts[found, :d0] = left_art[i]
                accounts[found, d0:] = right_acc[j][::-1]
                artifacts[found, d0:] = right_art[j][::-1]
                found += 1
                if found >= budget:
                    return accounts, artifacts
    return accounts[:found], artifacts[:found]


class Scratch:
    """Marks for one search at a time: per side, each account's level and each artifact's 'seen'.

    A mark counts only when it holds the current search's epoch, so a search starts on
    the arrays as the previous one left them; every 65,535 searches they are cleared.
    Untouched pages of these arrays are never faulted in."""

    def __init__(self, n_accounts: int, n_artifacts: int):
        self.mark = np.zeros((2, n_accounts), np.uint16)
        self.level = np.zeros((2, n_accounts), np.int8)
        self.aseen = np.zeros((2, n_artifacts), np.uint16)
        self.reach = np.empty((2, n_accounts), np.int32)
        self.epoch = 0

    def next_epoch(self) -> int:
        self.epoch += 1
        if self.epoch >= EPOCH_LIMIT:
            self.mark[:] = 0
            self.aseen[:] = 0
            self.epoch = 1
        return self.epoch
