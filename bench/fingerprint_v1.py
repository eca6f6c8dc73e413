"""Prompt fingerprints as they were before the compiled pass (kept for bench/bench_prompt_cost.py: "before").

Original docstring follows.


Two keys per prompt:
- `template`: a hash of the prompt with its variable parts masked (numbers,
  quoted strings, names, code identifiers, whitespace), so one template filled
  with different values gives one fingerprint;
- `simhash`: a 64-bit SimHash of word shingles of that masked text, so a
  lightly edited template lands a few bits away (the near-duplicate key).

The simulator and the ingest both call `fingerprint_prompt` (the ingest via the
batch form `fingerprint_prompts`, same results), which is why a precomputed
`prompt_fingerprint` column and a raw `prompt` column agree.

Speed without changing a single output (bench/bench_fingerprint.py checks it
against the original implementation): `normalise` skips a masking pass when a
cheap check shows its regex cannot match, and the SimHash bit counting is one
numpy operation over all shingle hashes instead of a Python loop per bit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import chain

import numpy as np
import xxhash

from capability_v1 import classify_capability  # the regex heuristic as it was

# The masking patterns are v0's, unchanged: v1 only added the gates below and the vectorised SimHash.
from fingerprint_v0 import (  # noqa: E402
    _BLANKS, _CODE_BLOCK, _EMAIL, _IDENT, _INLINE_CODE, _LINE_SPACE, _NAME, _NUMBER, _QUOTED, _SPACE, _URL, _WORD,
)

# Gates: a character every match of the masking regex needs. _NAME needs an
# ASCII capital; _IDENT needs a digit or '_' (1st branch), a capital (2nd) or
# a '.' (3rd); _NUMBER needs a decimal digit (hex needs its leading '0').
_ASCII_UPPER = re.compile(r"[A-Z]")
_IDENT_GATE = re.compile(r"[0-9_.A-Z]")
_DIGIT = re.compile(r"\d")
# Any gate character at all (':' stands for "://", '.' for "www."): without one, no pass can match.
_MASKABLE = re.compile(r"[`:.@\"'“A-Z_\d]")

_SIMHASH_CHUNK = 1 << 20  # shingle hashes per numpy pass: bounds the 64-byte-per-hash bit matrix


@dataclass(frozen=True)
class PromptFingerprint:
    template: str  # 16 hex chars
    simhash: int  # unsigned 64-bit
    capability: str  # reasoning | coding | tool_use | other


def _mask_code(block: str) -> str:
    # Keep the block's shape (its punctuation), not its names or literals.
    inner = re.sub(r"[A-Za-z_][A-Za-z0-9_]*", "i", block)
    inner = re.sub(r"\d+", "0", inner)
    return " <code> " + _SPACE.sub(" ", inner) + " </code> "


def _plain_spacing(text: str) -> bool:
    # Every whitespace character except ' ' is unprintable (checked over all
    # code points in the tests), so a printable text without "  " has only
    # single spaces: the whitespace regexes would leave it unchanged.
    return text.isprintable() and "  " not in text


def _mask_variables(text: str) -> str:
    # The masking passes, in their order; each runs only when its gate says
    # the regex can match the text as it is at that point.
    if "`" in text:
        if "```" in text:
            text = _CODE_BLOCK.sub(lambda m: _mask_code(m.group(0)), text)
        text = _INLINE_CODE.sub(" <id> ", text)
    if "://" in text or ("." in text and "www." in text.lower()):
        text = _URL.sub(" <url> ", text)
    if "@" in text:
        text = _EMAIL.sub(" <email> ", text)
    if '"' in text or "'" in text or "“" in text:
        text = _QUOTED.sub(" <str> ", text)
    if _ASCII_UPPER.search(text):
        text = _NAME.sub(" <name> ", text)
    if _IDENT_GATE.search(text):
        text = _IDENT.sub(" <id> ", text)
    if _DIGIT.search(text):
        text = _NUMBER.sub(" <num> ", text)
    return text


def normalise(text: str) -> str:
    """The prompt with every variable part masked: the template it was filled from."""
    text = unicodedata.normalize("NFKC", text)
    # Whitespace first, so that name detection (which looks at the preceding
    # character) does not depend on how many spaces a template was filled with.
    if not _plain_spacing(text):
        text = _LINE_SPACE.sub("\n", _BLANKS.sub(" ", text))
    text = text.strip()
    if _MASKABLE.search(text):
        text = _mask_variables(text)
    text = text.lower()
    if not _plain_spacing(text):
        text = _SPACE.sub(" ", text)
    return text.strip()


def template_fingerprint(text: str) -> str:
    return xxhash.xxh3_64_hexdigest(normalise(text).encode())


def _words(text: str) -> list[str]:
    """`_WORD.findall(text)`; a plain split when the text is a-z words joined by single spaces."""
    letters = text.replace(" ", "")
    if (letters.isascii() and letters.isalpha() and letters.islower() and "  " not in text
            and not text.startswith(" ") and not text.endswith(" ")):
        return text.split(" ")
    return _WORD.findall(text)


def _shingle_hashes(normalised: str, shingle: int = 3) -> list[int]:
    """xxh3 of each `shingle`-word shingle; one shingle (maybe '') for a shorter text."""
    words = _words(normalised)
    if len(words) < shingle:
        grams = [" ".join(words)] if words else [""]
    elif shingle == 3:
        grams = [f"{a} {b} {c}" for a, b, c in zip(words, words[1:], words[2:])]
    else:
        grams = [" ".join(words[i:i + shingle]) for i in range(len(words) - shingle + 1)]
    h = xxhash.xxh3_64_intdigest
    return [h(g.encode()) for g in grams]


def _bit_matrix(hashes: list[int]) -> np.ndarray:
    """(len(hashes), 64) uint8: column b holds bit b of each hash."""
    arr = np.array(hashes, dtype="<u8")
    return np.unpackbits(arr.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")


def _pack(majority: np.ndarray) -> list[int]:
    return np.packbits(majority, axis=-1, bitorder="little").view("<u8").ravel().tolist()


def _majority_bits(hashes: list[int], lengths: list[int]) -> list[int]:
    """Per text (its `lengths[i]` consecutive hashes): bit b set iff more hashes have b set than not.

    That is the SimHash rule: weight = ones - zeros = 2*ones - n, bit set when
    weight > 0. Texts are grouped by shingle count, so each group is one
    (texts, n, 64) array summed over its middle axis.
    """
    bits = _bit_matrix(hashes)
    lens = np.asarray(lengths, dtype=np.int64)
    starts = np.cumsum(lens) - lens
    majority = np.empty((len(lens), 64), dtype=bool)
    order = np.argsort(lens, kind="stable")
    for group in np.split(order, np.flatnonzero(np.diff(lens[order])) + 1):
        n = int(lens[group[0]])
        rows = (starts[group][:, None] + np.arange(n)).ravel()
        ones = bits[rows].reshape(len(group), n, 64).sum(axis=1, dtype=np.int64)
        majority[group] = 2 * ones > n
    return _pack(majority)


def _simhashes(hash_lists: list[list[int]]) -> list[int]:
    """SimHash per list of shingle hashes (every list non-empty), in chunks of bounded memory."""
    lengths = list(map(len, hash_lists))
    ends = np.cumsum(lengths, dtype=np.int64)
    out: list[int] = []
    i = 0
    while i < len(hash_lists):
        # at least one text per chunk, however many shingles it has
        base = int(ends[i - 1]) if i else 0
        j = max(i + 1, int(np.searchsorted(ends, base + _SIMHASH_CHUNK, side="right")))
        out.extend(_majority_bits(list(chain.from_iterable(hash_lists[i:j])), lengths[i:j]))
        i = j
    return out


def simhash(normalised: str, shingle: int = 3) -> int:
    """64-bit SimHash of the word shingles of a normalised prompt."""
    hashes = _shingle_hashes(normalised, shingle)
    return _pack(2 * _bit_matrix(hashes).sum(axis=0, dtype=np.int64) > len(hashes))[0]


def fingerprint_prompt(text: str) -> PromptFingerprint:
    """Template hash, SimHash and capability class of one raw prompt."""
    norm = normalise(text)
    return PromptFingerprint(
        template=xxhash.xxh3_64_hexdigest(norm.encode()),
        simhash=simhash(norm),
        capability=classify_capability(text),
    )


def fingerprint_prompts(texts: list[str]) -> list[PromptFingerprint]:
    """`fingerprint_prompt` for many prompts at once (same results; SimHash bits counted in bulk)."""
    norms = [normalise(t) for t in texts]
    sims = _simhashes([_shingle_hashes(n) for n in norms])
    hexd = xxhash.xxh3_64_hexdigest
    return [PromptFingerprint(template=hexd(n.encode()), simhash=s, capability=classify_capability(t))
            for t, n, s in zip(texts, norms, sims)]


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()
