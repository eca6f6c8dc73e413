"""Prompt families: one template whatever its fill-ins, found by MinHash LSH with verification.

Prompts are processed in chunks (bounded memory). In a chunk, two prompts join
when they share a band key (`minhash.signatures`) *and* agree on at least
`SIMILARITY` of their 64 MinHash values (≈ Jaccard similarity of their word and
word-pair sets): a shared key alone only makes them candidates, so a chance
collision or a house-style sentence shared by two templates does not chain
families together. The connected components are the candidate families. A
component takes its family id from

1. the families already known — band keys learnt from earlier chunks and earlier
   nights (`PromptFamilyKey` in the store): the family most of its keys point to
   (two key hits at least);
2. otherwise its content: a hash of the three smallest MinHash values that at
   least `CONSENSUS_SHARE` of its prompts hold — values of the template's fixed
   wording (no single fill-in is that common), so tomorrow's fillings of the same
   template mint the same id even in a fresh store.

A lone prompt that matches neither another prompt of its chunk nor a known
family belongs to no family (an everyday prompt, nearly always), and so does a
prompt of fewer than `MIN_WORDS` kept words (a common phrase would dominate it).
Each family *learns* the band keys that recur among its prompts (held by two and
by `LEARN_SHARE` of them, at most `MAX_LEARNT_PER_CHUNK` per chunk), so later
prompts of the template find it by lookup; those keys are what the store keeps.

Why not an insertion counter or the component's smallest key: a counter depends
on arrival order, the smallest key on which rare fillings happened to arrive; the
learnt keys make an id sticky, the consensus values make it reproducible.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
from numba import njit

from linkage.ingest.minhash import HASHES, MIN_WORDS, ROWS, UNIGRAMS, signatures

CHUNK = 500_000  # prompts per chunk: its signatures take 256 bytes each

SIMILARITY = 0.6  # share of equal MinHash values (≈ Jaccard of shingle sets) for two prompts to join
CONSENSUS_SAMPLE = 256  # members a new family's id is computed from
CONSENSUS_SHARE = 0.2  # a MinHash value held by this share of them is common wording
CONSENSUS_VALUES = 3  # the id hashes this many of the smallest common values
LEARN_SHARE = 0.01  # a band key is learnt when at least this share of the family's prompts hold it
MAX_LEARNT_PER_CHUNK = 256  # per family and chunk: the most frequent keys are plenty to be found by


@njit(cache=True, nogil=True)
def _find(parent: np.ndarray, x: int) -> int:
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:
        parent[x], x = root, parent[x]
    return root


@njit(cache=True, nogil=True, inline="always")
def _differ(sig: np.ndarray, a: int, b: int) -> int:
    # unequal values of two signatures, counted without a branch (vectorised; no early exit, so that
    # the checks of a run do not wait on each other's cache misses)
    d = 0
    for j in range(sig.shape[1]):
        d += sig[a, j] != sig[b, j]
    return d


def _sort_keys(keys: np.ndarray, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The band keys of a chunk's `rows` (all if None) as runs of equal keys, band after band, and the
    prompt each came from (its position in `rows`; ascending within a run).

    Band by band: a band's index is hashed into its keys, so equal keys never span two bands, and
    a sort of one band's keys stays in cache where one sort of all of them would not. A key and its
    prompt travel as one uint64 (the key's top bits, the prompt's position in the low ones): numpy's
    vectorised sort of plain integers is several times faster than an argsort. The key's low bits are
    put back afterwards; two keys that differ only there (about never) are put in order then."""
    rows = np.arange(len(keys)) if rows is None else rows
    m, bands = len(rows), keys.shape[1]
    shift = max(1, int(m - 1).bit_length())  # low bits that hold a prompt's position
    packed = np.empty((bands, m), np.uint64)  # sorted, then turned into the keys in place
    low = np.empty((bands, m), np.uint32 if shift <= 32 else np.uint64)
    owner = np.empty(m * bands, np.int32 if m < 2 ** 31 else np.int64)  # half the bytes to sort and read
    if m:
        _pack(keys, rows, np.uint64(shift), packed, low)
        for t in range(bands):
            packed[t].sort()  # releases the GIL, as the compiled parts do
        _unpack(packed, low, np.uint64(shift), owner)
    return packed.reshape(-1), owner


@njit(cache=True, nogil=True)
def _pack(keys: np.ndarray, rows: np.ndarray, shift: np.uint64, packed: np.ndarray, low: np.ndarray) -> None:
    mask = (np.uint64(1) << shift) - np.uint64(1)
    for i in range(len(rows)):  # one pass over the rows; each band's entries then contiguous
        for t in range(keys.shape[1]):
            key = keys[rows[i], t]
            packed[t, i] = (key & ~mask) | np.uint64(i)
            low[t, i] = key & mask  # fits: mask < 2**32 whenever `low` is uint32


@njit(cache=True, nogil=True)
def _unpack(packed: np.ndarray, low: np.ndarray, shift: np.uint64, owner: np.ndarray) -> None:
    mask = (np.uint64(1) << shift) - np.uint64(1)
    bands, m = packed.shape
    flat = packed.reshape(-1)
    for t in range(bands):
        base = t * m
        for i in range(m):
            who = flat[base + i] & mask
            flat[base + i] = (flat[base + i] & ~mask) | np.uint64(low[t, who])
            owner[base + i] = who
        for i in range(base + 1, base + m):  # equal top bits, different low ones: insertion sort (stable)
            if flat[i - 1] > flat[i]:
                key, who = flat[i], owner[i]
                j = i
                while j > base and flat[j - 1] > key:
                    flat[j], owner[j] = flat[j - 1], owner[j - 1]
                    j -= 1
                flat[j], owner[j] = key, who


def _components(sorted_keys: np.ndarray, owners: np.ndarray, sig: np.ndarray, need: int, n: int,
                rows: np.ndarray | None = None) -> np.ndarray:
    """Root (the smallest prompt) per prompt after joining prompts that share a band key *and* agree on
    at least `need` signature values (a candidate is checked against one prompt of its key's run, its head).
    Prompt p's signature is sig[rows[p]] (sig[p] if `rows` is None): no copy of the valid rows.

    Per run: first the members not yet in the head's component, then their checks (independent of one
    another, so their rows' cache misses overlap), then the joins. The components are the connected
    parts of the pairs that passed, whatever order they were found in."""
    return _join(sorted_keys, owners, sig, np.arange(n) if rows is None else rows, need, n)


@njit(cache=True, nogil=True)
def _join(sorted_keys: np.ndarray, owners: np.ndarray, sig: np.ndarray, rows: np.ndarray, need: int,
          n: int) -> np.ndarray:
    parent = np.arange(n)
    allowed = sig.shape[1] - need  # unequal values allowed
    cand = np.empty(64, np.int64)
    ok = np.empty(64, np.bool_)
    start = 0
    for i in range(1, len(sorted_keys) + 1):
        if i < len(sorted_keys) and sorted_keys[i] == sorted_keys[start]:
            continue
        if i - start == 1:  # a key held by one prompt (most are): nothing to join
            start = i
            continue
        # The prompt the others are checked against: drawn by a hash of (key, prompt), so it does not
        # depend on the order the sort left the run in, and one odd prompt does not head every run it is in.
        head = owners[start]
        best = _mix_id(sorted_keys[start] ^ np.uint64(head))
        for j in range(start + 1, i):
            h = _mix_id(sorted_keys[start] ^ np.uint64(owners[j]))
            if h < best or (h == best and owners[j] < head):
                best, head = h, owners[j]
        if i - start > len(cand):
            cand = np.empty(2 * (i - start), np.int64)
            ok = np.empty(2 * (i - start), np.bool_)
        root = _find(parent, head)
        c = 0
        for j in range(start, i):
            if owners[j] != head and _find(parent, owners[j]) != root:  # joined already: nothing to check
                cand[c] = owners[j]
                c += 1
        head_row = rows[head]
        for q in range(c):
            ok[q] = _differ(sig, head_row, rows[cand[q]]) <= allowed
        for q in range(c):
            if ok[q]:
                a, b = _find(parent, head), _find(parent, cand[q])
                if a < b:
                    parent[b] = a
                elif b < a:
                    parent[a] = b
        start = i
    for i in range(n):
        parent[i] = _find(parent, i)
    return parent


@njit(cache=True, nogil=True)
def _key_counts(sorted_keys: np.ndarray, owners: np.ndarray, root: np.ndarray,
                out_comp: np.ndarray, out_key: np.ndarray, out_count: np.ndarray) -> int:
    """(component, key, prompts) for every key held by a component, from entries sorted by key; per key,
    components ascending. `out_comp` and `out_key` may be `owners` and `sorted_keys` themselves: no more
    rows are written than entries read, and a run's entries are read before its rows are written."""
    m = 0
    start = 0
    comps = np.empty(64, np.int64)  # a run's components, grown when a run is longer
    for i in range(1, len(sorted_keys) + 1):
        if i < len(sorted_keys) and sorted_keys[i] == sorted_keys[start]:
            continue
        size = i - start
        if size > len(comps):
            comps = np.empty(2 * size, np.int64)
        same = True  # most runs lie in one component (one prompt, or a family's common key)
        for j in range(size):
            comps[j] = root[owners[start + j]]
            same = same and comps[j] == comps[0]
        if same:
            out_comp[m], out_key[m], out_count[m] = comps[0], sorted_keys[start], size
            m += 1
            start = i
            continue
        run_comps = np.sort(comps[:size])
        run = 0
        for j in range(size):
            run += 1
            if j + 1 == size or run_comps[j + 1] != run_comps[j]:
                out_comp[m], out_key[m], out_count[m] = run_comps[j], sorted_keys[start], run
                m += 1
                run = 0
        start = i
    return m


@njit(cache=True, nogil=True)
def _sort_in_place(vals: np.ndarray) -> None:
    # most families are a few prompts: an insertion sort beats the general sort's setup there
    if len(vals) > 16:
        vals.sort()
        return
    for i in range(1, len(vals)):
        v = vals[i]
        j = i
        while j > 0 and vals[j - 1] > v:
            vals[j] = vals[j - 1]
            j -= 1
        vals[j] = v


@njit(cache=True, nogil=True)
def _consensus_ids(sig: np.ndarray, members: np.ndarray, first: np.ndarray, size: np.ndarray,
                   sample: int, share: float, k: int) -> np.ndarray:
    """Per component (its members are members[first[c]:first[c] + size[c]]): a hash of the `k` smallest
    (MinHash value, position) pairs that at least `share` of its first `sample` members hold.

    Common values come from the template's fixed wording (each fill-in is rare), and the smallest few
    of a set of common values do not depend on which fillings arrived. More than one: templates
    of one house style share its sentence, and so a value or two."""
    out = np.zeros(len(first), np.uint64)
    cols = np.empty((sig.shape[1], sample), sig.dtype)  # a sample's values, position by position
    best = np.empty(k, np.uint64)
    for c in range(len(first)):
        m = min(size[c], sample)
        need = max(2, int(np.ceil(share * m)))
        best[:] = np.uint64(0xFFFFFFFFFFFFFFFF)
        for i in range(m):
            row = members[first[c] + i]
            for j in range(sig.shape[1]):
                cols[j, i] = sig[row, j]
        for j in range(sig.shape[1]):
            vals = cols[j, :m]
            _sort_in_place(vals)
            run = 1
            for i in range(1, m + 1):
                if i < m and vals[i] == vals[i - 1]:
                    run += 1
                    continue
                if run >= need:
                    cand = (np.uint64(vals[i - 1]) << np.uint64(6)) | np.uint64(j)
                    if cand < best[k - 1]:  # insert into the sorted k smallest
                        q = k - 1
                        while q > 0 and best[q - 1] > cand:
                            best[q] = best[q - 1]
                            q -= 1
                        best[q] = cand
                run = 1
        h = np.uint64(0x9E3779B97F4A7C15)
        for q in range(k):
            h = _mix_id(h ^ best[q])
        out[c] = h
    return out


@njit(cache=True, nogil=True, inline="always")
def _mix_id(x: np.uint64) -> np.uint64:
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    return x if x != 0 else np.uint64(1)


def family_hex(family: int) -> str:
    return f"{int(family):016x}"


_HEX = np.frombuffer(b"0123456789abcdef", np.uint8)


def family_hex_array(families: np.ndarray) -> pa.StringArray:
    """`family_hex` of every value (uint64), null where it is 0 (no family), without a Python loop."""
    digits = families.astype(">u8").view(np.uint8).reshape(-1, 8)
    chars = _HEX[np.stack([digits >> 4, digits & 15], axis=-1)].reshape(-1)
    n = len(families)
    valid = pa.array(families != 0).buffers()[1]
    return pa.Array.from_buffers(pa.string(), n, [valid, pa.py_buffer(np.arange(0, 16 * n + 1, 16, dtype=np.int32)),
                                                  pa.py_buffer(np.ascontiguousarray(chars))])


class FamilyIndex:
    """Band key -> family: what earlier chunks and nights learnt; assigns families chunk by chunk."""

    def __init__(self, known_keys: Iterable[int] = (), known_families: Iterable[int] = (),
                 similarity: float = SIMILARITY) -> None:
        self.similarity = similarity
        self._keys = np.asarray(list(known_keys), dtype=np.uint64)
        self._fams = np.asarray(list(known_families), dtype=np.uint64)
        order = np.argsort(self._keys, kind="stable")
        self._keys, self._fams = self._keys[order], self._fams[order]
        self.learnt: dict[int, int] = {}  # keys learnt in this run (key -> family), for the store

    @classmethod
    def from_table(cls, table: pa.Table) -> "FamilyIndex":
        """From the store's `prompt_family_key` rows (band_key and family_id, 16 hex digits each)."""
        keys = [int(k, 16) for k in table["band_key"].to_pylist()]
        fams = [int(f, 16) for f in table["family_id"].to_pylist()]
        return cls(keys, fams)

    def __len__(self) -> int:
        return len(self._keys)

    def _lookup(self, flat: np.ndarray) -> np.ndarray:
        if not len(self._keys):
            return np.zeros(len(flat), np.uint64)
        idx = np.minimum(np.searchsorted(self._keys, flat), len(self._keys) - 1)
        return np.where(self._keys[idx] == flat, self._fams[idx], np.uint64(0))

    def _learn(self, keys: np.ndarray, fams: np.ndarray) -> None:
        fresh = self._lookup(keys) == 0
        keys, fams = keys[fresh], fams[fresh]
        keys, first = np.unique(keys, return_index=True)  # a key two families want: the first keeps it
        fams = fams[first]
        if not len(keys):
            return
        self.learnt.update(zip(keys.tolist(), fams.tolist()))
        all_keys = np.concatenate([self._keys, keys])
        order = np.argsort(all_keys, kind="stable")
        self._keys, self._fams = all_keys[order], np.concatenate([self._fams, fams])[order]

    def assign(self, sig: np.ndarray, keys: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """Family (uint64, 0 = none) per prompt of one chunk, from its signatures and band keys
        (`minhash.signatures`); learns as it goes."""
        n = len(keys)
        family = np.zeros(n, np.uint64)
        rows = np.flatnonzero(valid)
        if not len(rows):
            return family
        flat, owner = _sort_keys(keys, rows)  # prompts numbered by their position in `rows`
        root = _components(flat, owner, sig, int(np.ceil(self.similarity * sig.shape[1])), len(rows), rows)
        # (component, key, count) rows written over the entries they come from: fresh memory is dear
        run_count = np.empty(len(flat), np.int64)
        m = _key_counts(flat, owner, root, owner, flat, run_count)
        run_comp, run_key, run_count = owner[:m], flat[:m], run_count[:m]
        run_known = self._lookup(run_key)
        size = np.bincount(root, minlength=len(rows))

        chosen = np.zeros(len(rows), np.uint64)  # family per component root
        # 1. known families: the one most of the component's key occurrences point to
        k = run_known != 0
        if k.any():  # a component needs two votes: one lone key is too little to join a known family
            k &= np.bincount(run_comp[k], weights=run_count[k], minlength=len(rows))[run_comp] >= 2
        if k.any():
            kc, kf, kn = run_comp[k], run_known[k], run_count[k]
            o = np.lexsort((kf, kc))
            kc, kf, kn = kc[o], kf[o], kn[o]
            gs = np.flatnonzero(np.r_[True, (kc[1:] != kc[:-1]) | (kf[1:] != kf[:-1])])
            votes, gc, gf = np.add.reduceat(kn, gs), kc[gs], kf[gs]
            o = np.lexsort((gf, -votes, gc))  # most votes, then the smaller id
            first = np.r_[True, gc[o][1:] != gc[o][:-1]]
            chosen[gc[o][first]] = gf[o][first]
        # 2. new families: components of two or more prompts take an id from their common content
        mint = np.flatnonzero((chosen == 0) & (size >= 2))
        if len(mint):
            members = np.argsort(root, kind="stable")
            first = np.searchsorted(root[members], mint)
            chosen[mint] = _consensus_ids(sig, rows[members], first, size[mint], CONSENSUS_SAMPLE, CONSENSUS_SHARE,
                                          CONSENSUS_VALUES)

        # learn: keys recurring in the family's prompts, at most MAX_LEARNT_PER_CHUNK per family
        multi = np.flatnonzero(run_count >= 2)  # a key held once is never learnt: skip most runs early
        lc, lk, ln = run_comp[multi], run_key[multi], run_count[multi]
        lf = chosen[lc]
        keep = (lf != 0) & (ln >= np.maximum(2, np.ceil(LEARN_SHARE * size[lc])))
        if keep.any():
            lc, lk, ln, lf = lc[keep], lk[keep], ln[keep], lf[keep]
            o = np.lexsort((lk, -ln, lc))
            lc, lk, lf = lc[o], lk[o], lf[o]
            rank = np.arange(len(lc)) - np.searchsorted(lc, lc)
            top = rank < MAX_LEARNT_PER_CHUNK
            self._learn(lk[top], lf[top])
        family[rows] = chosen[root]
        return family


def assign_families(texts: pa.Array | list[str], index: FamilyIndex | None = None,
                    chunk: int = CHUNK, hashes: int = HASHES, rows: int = ROWS,
                    min_words: int = MIN_WORDS, unigrams: bool = UNIGRAMS) -> np.ndarray:
    """Family per prompt (uint64, 0 = none), chunk by chunk through `index` (a fresh one if None)."""
    index = index if index is not None else FamilyIndex()
    arr = pa.array(texts, pa.string()) if isinstance(texts, list) else texts
    out = np.zeros(len(arr), np.uint64)
    for lo in range(0, len(arr), chunk):
        part = arr.slice(lo, chunk)
        sig, keys, valid = signatures(part, hashes, rows, min_words, unigrams)
        out[lo:lo + len(part)] = index.assign(sig, keys, valid)
    return out
