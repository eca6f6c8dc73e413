"""Capability cues, compiled: every cue regex of `capability.CUES` as a list of literal variants.

A cue such as `\\bagent(ic)?\\b` or `step[- ]by[- ]step` is expanded (by walking
Python's own parse of it) into every spelling it can match — here `agent`,
`agentic`; `step-by-step`, `step by-step`, … — as a sequence of atoms: a
lower-case byte, a word boundary, or `\\w+` (a run of word characters; the cues
only use it before a non-word literal or at their end, so matching it greedily
is exact). The kernel (`normaliser.capability_code`) looks at a position only if a
cue can start there: a variant starts with its two bytes (a 64 K table of byte
pairs) and, for the cues that begin with a word boundary, at a word start. There
it matches in full only the variants listed under the first byte whose first
`PREFIX` literal bytes are there (one masked integer compare each). The semantics
are those of the regex with `re.ASCII | re.IGNORECASE` (ASCII case folding, ASCII
word characters), which the tests check against Python's `re` on generated prompts.
"""

from __future__ import annotations

import re
import re._constants as _c
import re._parser as _parser

import numpy as np

from linkage.ingest.capability import _PRIORITY, CAPABILITIES, CUES
from linkage.ingest.normaliser import BOUNDARY, BOUNDED_ROW, FREE_ROW, PREFIX, WORD_BYTE, WORDS

_MAX_VARIANTS = 64


def _expand(items) -> list[list[int]]:
    """Every atom sequence a parsed (sub)pattern matches."""
    out: list[list[int]] = [[]]
    for op, arg in items:
        if op is _c.LITERAL:
            alts = [[ord(chr(arg).lower())]]
        elif op is _c.AT and arg is _c.AT_BOUNDARY:
            alts = [[BOUNDARY]]
        elif op is _c.SUBPATTERN:
            alts = _expand(arg[3])
        elif op is _c.BRANCH:
            alts = [seq for branch in arg[1] for seq in _expand(branch)]
        elif op is _c.IN and all(o is _c.LITERAL for o, _ in arg):
            alts = [[ord(chr(a).lower())] for _, a in arg]
        elif op is _c.MAX_REPEAT and arg[:2] == (0, 1):
            alts = [[], *_expand(arg[2])]
        elif (op is _c.MAX_REPEAT and arg[0] == 1 and arg[1] is _c.MAXREPEAT
              and list(arg[2]) == [(_c.IN, [(_c.CATEGORY, _c.CATEGORY_WORD)])]):
            alts = [[WORDS]]
        else:
            raise ValueError(f"cue construct {op} is not supported by the compiled matcher")
        out = [a + b for a in out for b in alts]
        if len(out) > _MAX_VARIANTS:
            raise ValueError("a cue expands to too many variants")
    return out


def variants(pattern: str) -> list[list[int]]:
    """The atom sequences of one cue; each starts with two literal bytes after an optional boundary."""
    seqs = _expand(_parser.parse(pattern, re.I))
    for seq in seqs:
        lits = seq[1:] if seq[0] == BOUNDARY else seq
        if len(lits) < 2 or lits[0] > 255 or lits[1] > 255:
            raise ValueError(f"cue {pattern!r}: a variant does not start with two literals")
        for i, atom in enumerate(seq):
            if atom == WORDS and i + 1 < len(seq) and (seq[i + 1] > 255 or chr(seq[i + 1]).isalnum()
                                                       or seq[i + 1] == ord("_")):
                raise ValueError(f"cue {pattern!r}: \\w+ must be followed by a non-word literal")
    return seqs


def _prefix(lits: list[int]) -> tuple[int, int]:
    """(value, mask) of a variant's first literal bytes, byte k at bits 8k: what the kernel's folded
    `PREFIX`-byte window at a start must equal under the mask (only the literals before any other atom)."""
    value = mask = 0
    for k, atom in enumerate(lits[:PREFIX]):
        if atom > 255:
            break
        value |= atom << (8 * k)
        mask |= 0xFF << (8 * k)
    return value, mask


def _tables() -> tuple[np.ndarray, ...]:
    """(atoms, variant offsets, variant's cue, [row, first byte] -> first variant and -> variant count, row 0
    for the variants that start with a word boundary and row 1 for the others; per variant its prefix value
    and mask (`_prefix`); per byte its kind bits; per pair of bytes the rows with a variant that starts
    with it), the variants sorted by (leading boundary, first two literal bytes)."""
    rows: list[tuple[int, int, int, list[int]]] = []
    for cue, pattern in enumerate(p for pats in CUES.values() for p in pats):
        for seq in variants(pattern):
            bounded = int(seq[0] == BOUNDARY)
            lits = seq[bounded:]
            rows.append((1 - bounded, (lits[0] << 8) | lits[1], cue, seq))
    rows.sort(key=lambda r: r[:2])
    atoms = np.array([a for *_, s in rows for a in s], np.int16)
    offsets = np.cumsum([0] + [len(s) for *_, s in rows]).astype(np.int64)
    cue_of = np.array([r[2] for r in rows], np.int64)
    prefixes = np.array([_prefix(s[1 - free:]) for free, _, _, s in rows], np.int64).reshape(-1, 2)
    first = np.zeros((2, 256), np.int32)  # by first byte only: a table this small stays in the L1 cache
    count = np.zeros((2, 256), np.int32)
    kinds = np.zeros(256, np.uint8)
    for b in b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz":
        kinds[b] = WORD_BYTE
    pairs = np.zeros(1 << 16, np.uint8)  # [raw byte, next raw byte] -> which rows have a variant starting so
    for i, (free, key, _, _) in enumerate(rows):
        if count[free, key >> 8] == 0:
            first[free, key >> 8] = i
        count[free, key >> 8] += 1
        if not free and not (chr(key >> 8).isalnum() or key >> 8 == ord("_")):
            raise ValueError("a cue that starts with a boundary must start with a word character")
        for b0 in _cases(key >> 8):
            for b1 in _cases(key & 0xFF):
                pairs[(b0 << 8) | b1] |= FREE_ROW if free else BOUNDED_ROW
    return atoms, offsets, cue_of, first, count, prefixes[:, 0].copy(), prefixes[:, 1].copy(), kinds, pairs


def _cases(b: int) -> set[int]:
    """The raw bytes that fold (ASCII only, as `re.ASCII | re.IGNORECASE`) to the lower-case literal b."""
    return {b, b - 32} if ord("a") <= b <= ord("z") else {b}


def class_masks() -> np.ndarray:
    """Per capability in `_PRIORITY` order, the bit mask of its cues."""
    masks, bit = [], 0
    by_class = {k: 0 for k in CUES}
    for k, pats in CUES.items():
        for _ in pats:
            by_class[k] |= 1 << bit
            bit += 1
    for k in _PRIORITY:
        masks.append(by_class[k])
    return np.array(masks, np.uint64)


TABLES = _tables()
CLASS_MASKS = class_masks()
CLASS_CODES = CAPABILITIES  # kernel output code i -> name; len(_PRIORITY) = `other`
if sum(map(len, CUES.values())) > 64:
    raise ValueError("more than 64 cues do not fit the kernel's bit mask")
