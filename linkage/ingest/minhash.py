"""MinHash band keys of raw prompt text, compiled (numba) and run on both cores.

A prompt becomes a set of *shingles*: its words (ASCII folded to lower case;
a word is a run of letters, digits or non-ASCII bytes) and each pair of
neighbouring words. Words holding a digit (numbers, hex ids, `task-8812`) and
one-letter words are dropped before pairing, so a dropped number does not even
break the pair around it. Words that are fill-ins — a lower-case id, a path
segment, a word from a vocabulary — each change one word and two pairs; the
template's fixed wording is the bulk of the set.

The set is summarised by a 64-value MinHash (per value, one permutation of the
shingle hashes: odd multiplier + offset mod 2**64, top 32 bits; the minimum over
the set), so two prompts agree on a value with probability J, the Jaccard
similarity of their shingle sets. The values are cut into bands of `ROWS`: two
prompts share a band key with probability J**ROWS — the cheap candidate test
that `families` then verifies on the whole signature. Everything is computed
from the text alone, so a prompt gets the same signature tonight and tomorrow
(and the same band key: a key keeps the 53 significant bits the first version
kept, see `_as_stored`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit, prange

HASHES = 64  # MinHash values per prompt
ROWS = 4  # values per band: candidates are cheap, `families` verifies them on the whole signature
BANDS = HASHES // ROWS
UNIGRAMS = True  # words as shingles beside word pairs
MIN_WORDS = 10  # kept words: a shorter prompt is too little evidence to join a family (a common phrase dominates it)

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_PAIR = np.uint64(0x9E3779B97F4A7C15)
_rng = np.random.default_rng(20260101)
_MULT = _rng.integers(1, 2 ** 63, HASHES * 4, dtype=np.uint64) * np.uint64(2) + np.uint64(1)  # odd
_ADD = _rng.integers(0, 2 ** 63, HASHES * 4, dtype=np.uint64)


@njit(cache=True, inline="always")
def _mix(x: np.uint64) -> np.uint64:
    # splitmix64 finaliser: every input bit reaches every output bit
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _byte_table() -> np.ndarray:
    """Per byte: 0 for a separator, else the byte a word hashes (ASCII folded to lower case), with bit 8
    set for a digit: one lookup tells a word byte, the value it hashes and whether it is a digit."""
    table = np.zeros(256, np.uint64)
    table[128:] = np.arange(128, 256)  # non-ASCII (UTF-8) bytes are word bytes
    table[97:123] = np.arange(97, 123)
    table[65:91] = np.arange(97, 123)
    table[48:58] = np.arange(48, 58) | 256
    return table


_BYTES = _byte_table()
_DIGIT = np.uint64(256)


@njit(cache=True, inline="always")
def _shingles(data: np.ndarray, start: int, end: int, unigrams: bool, out: np.ndarray) -> tuple[int, int]:
    """(shingles written to `out`, kept words) of the prompt data[start:end]: the hashes of its kept words
    (if `unigrams`) and of each pair of neighbouring kept words, in text order.

    A loop per word and one per gap: their exits mispredict about once a word, where one test per
    byte for both cases mispredicted more (the text scan is about half of a signature's cost)."""
    prev = np.uint64(0)
    words = 0
    s = 0
    p = start
    while True:
        while p < end and _BYTES[data[p]] == 0:
            p += 1
        if p >= end:
            return s, words
        h = _FNV_OFFSET
        length = 0
        seen = np.uint64(0)  # the word's table values or-ed: bit 8 tells a digit
        while p < end:
            v = _BYTES[data[p]]
            if v == 0:
                break
            h = (h ^ (v & np.uint64(255))) * _FNV_PRIME
            seen |= v
            length += 1
            p += 1
        if length >= 2 and not (seen & _DIGIT):
            w = _mix(h)
            if unigrams:
                out[s] = w
                s += 1
            if words > 0:
                out[s] = _mix(prev * _PAIR + w)
                s += 1
            prev = w
            words += 1


@njit(cache=True, inline="always")
def _min_hash(shingles: np.ndarray, count: int, mult: np.ndarray, add: np.ndarray, mins: np.ndarray) -> None:
    # Per value j, one permutation of the shingle hashes: odd multiplier + offset (mod 2**64), the
    # smallest top 32 bits. Shingle by shingle, every value at once: a branch-free min LLVM vectorises.
    mins[:] = np.uint64(0xFFFFFFFF)
    for s in range(count):
        h = shingles[s]
        for j in range(len(mins)):
            mins[j] = min(mins[j], (h * mult[j] + add[j]) >> np.uint64(32))


@njit(cache=True, inline="always")
def _as_stored(key: np.uint64) -> np.uint64:
    # The first version wrote `key if valid else 0`, which numba types as float64: every band key went
    # through a double (53 bits kept, rounded to nearest). The store holds keys learnt that way across
    # nights, so the round trip stays, now on purpose.
    return np.uint64(np.float64(key))


_BLOCK = 1024  # prompts per parallel task: one shingle buffer each, sized to the block's longest prompt


@njit(cache=True, parallel=True, nogil=True)
def _signatures(data: np.ndarray, offsets: np.ndarray, rows: int, min_words: int, unigrams: bool,
                mult: np.ndarray, add: np.ndarray, sig: np.ndarray, keys: np.ndarray, valid: np.ndarray) -> None:
    n = len(offsets) - 1
    k = sig.shape[1]
    bands = k // rows
    for b in prange((n + _BLOCK - 1) // _BLOCK):
        lo, hi = b * _BLOCK, min(n, (b + 1) * _BLOCK)
        longest = 0
        for i in range(lo, hi):
            longest = max(longest, offsets[i + 1] - offsets[i])
        # a kept word takes two bytes and a separator, and brings at most two shingles
        buf = np.empty(2 * (longest // 3 + 1), np.uint64)
        mins = np.empty(k, np.uint64)
        for i in range(lo, hi):
            count, words = _shingles(data, offsets[i], offsets[i + 1], unigrams, buf)
            valid[i] = words >= min_words
            if not valid[i]:  # sig and keys stay 0: no family
                continue
            _min_hash(buf, count, mult, add, mins)
            for j in range(k):
                sig[i, j] = mins[j]
            for t in range(bands):
                key = _mix(np.uint64(t + 1) * _PAIR)
                for q in range(rows):
                    key = _mix(key ^ np.uint64(sig[i, t * rows + q]))
                keys[i, t] = _as_stored(key if key != 0 else np.uint64(1))


def _utf8_buffers(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(bytes, offsets) of a string array, nulls as empty strings, without copying the text."""
    if pa.types.is_string(texts.type) or pa.types.is_large_string(texts.type):
        arr = texts
    else:
        arr = texts.cast(pa.large_string())
    if arr.null_count:
        arr = arr.fill_null("")
    _, off_buf, data_buf = arr.buffers()
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offsets = np.frombuffer(off_buf, dtype=width, count=len(arr) + 1, offset=arr.offset * np.dtype(width).itemsize)
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(1, np.uint8)
    if len(data) == 0:
        data = np.zeros(1, np.uint8)
    return data, offsets.astype(np.int64)


def signatures(texts: pa.Array | list[str], hashes: int = HASHES, rows: int = ROWS,
               min_words: int = MIN_WORDS, unigrams: bool = UNIGRAMS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(signatures (n, hashes) uint32, band keys (n, hashes // rows) uint64, valid (n,) bool) of raw
    prompts; an invalid row (too few words) has zeros and belongs to no family."""
    if hashes % rows or hashes > len(_MULT):
        raise ValueError(f"hashes must be a multiple of rows and at most {len(_MULT)}")
    arr = pa.array(texts, pa.string()) if isinstance(texts, list) else texts
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    data, offsets = _utf8_buffers(arr)
    sig = np.zeros((len(arr), hashes), dtype=np.uint32)
    keys = np.zeros((len(arr), hashes // rows), dtype=np.uint64)
    valid = np.zeros(len(arr), dtype=np.bool_)
    if len(arr):
        _signatures(data, offsets, rows, min_words, unigrams, _MULT[:hashes], _ADD[:hashes], sig, keys, valid)
    return sig, keys, valid
