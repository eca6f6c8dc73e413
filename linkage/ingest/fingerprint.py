"""Prompt fingerprints: raw prompt text in, fingerprints out; the text itself is never kept.

Three values per prompt, all from one compiled pass per prompt (numba, threads
over both cores, the batch held as Arrow buffers, never as Python strings):
- `template`: a hash of the prompt with its variable parts masked (numbers,
  quoted strings, names, code identifiers, URLs, e-mails, whitespace — the rules
  are in `normaliser`), so one template filled with such values gives one
  fingerprint. Fill-ins of other shapes (lower-case ids, paths, free words) are
  what prompt families (`families`) are for;
- `simhash`: a 64-bit SimHash of 3-word shingles of that masked text (the
  near-duplicate key);
- `capability`: the cue heuristic of `capability` (compiled in `cues`).

Text is NFKC-normalised (only the rows that are not ASCII, in Python's
`unicodedata`) before the kernel. `fingerprint_reference` is the same specification in
slow, plain Python; the tests hold the two equal. The simulator and the ingest
both call this module, which is why a precomputed `prompt_fingerprint` column
and a raw `prompt` column agree.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linkage.ingest import cues as C
from linkage.ingest import normaliser as N
from linkage.ingest.minhash import _utf8_buffers

_TAGS = (N._TAG_ID, N._TAG_STR, N._TAG_URL, N._TAG_EMAIL, N._TAG_NUM, N._TAG_NAME, N._TAG_CODE, N._TAG_CODE_END)
_CAPABILITIES = pa.array(C.CLASS_CODES, pa.string())


@dataclass(frozen=True)
class PromptFingerprint:
    template: str  # 16 hex chars
    simhash: int  # unsigned 64-bit
    capability: str  # reasoning | coding | tool_use | other


def _nfkc(texts: pa.Array) -> pa.Array:
    """NFKC of every row that is not pure ASCII (ASCII rows are their own NFKC). Python's `unicodedata`
    on those rows only: Arrow's `utf8_normalize` (pyarrow 25) returns decomposed text for every form."""
    other = pc.invert(pc.string_is_ascii(texts))
    if not pc.any(other).as_py():
        return texts
    rows = pc.filter(texts, other).to_pylist()
    fixed = pa.array([unicodedata.normalize("NFKC", t) for t in rows], texts.type)
    return pc.replace_with_mask(texts, other, fixed)


def _run(texts: pa.Array, keep: bool):
    arr = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
    if not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.large_string())
    arr = _nfkc(arr.fill_null("") if arr.null_count else arr)
    data, offsets = _utf8_buffers(arr)
    n = len(arr)
    template_hex = np.empty(16 * n, np.uint8)
    simhashes = np.empty(n, np.uint64)
    caps = np.empty(n, np.int8)
    kept = np.empty(N.EXPANSION * (int(offsets[-1]) if n else 0) + 32 * n if keep else 1, np.uint8)
    kept_len = np.zeros(n if keep else 1, np.int64)
    if n:
        N.fingerprint_kernel(data, offsets, _TAGS, *C.TABLES, C.CLASS_MASKS, template_hex, simhashes, caps,
                keep, kept, kept_len)
    return arr, offsets, template_hex, simhashes, caps, kept, kept_len


def fingerprint_table(texts: pa.Array | pa.ChunkedArray | list[str]) -> pa.Table:
    """(template string, simhash uint64, capability string) per raw prompt, nulls as ''."""
    if isinstance(texts, list):
        texts = pa.array(texts, pa.large_string())
    _, _, template_hex, simhashes, caps, _, _ = _run(texts, keep=False)
    n = len(simhashes)
    templates = pa.Array.from_buffers(pa.string(), n, [
        None, pa.py_buffer(np.arange(0, 16 * n + 1, 16, dtype=np.int32)), pa.py_buffer(template_hex)])
    return pa.table({"template": templates, "simhash": pa.array(simhashes, pa.uint64()),
                     "capability": pc.take(_CAPABILITIES, pa.array(caps))})


def fingerprint_prompts(texts: list[str]) -> list[PromptFingerprint]:
    """Template hash, SimHash and capability class of many raw prompts."""
    if not texts:
        return []
    t = fingerprint_table(texts)
    return [PromptFingerprint(a, b, c) for a, b, c in zip(
        t["template"].to_pylist(), t["simhash"].to_pylist(), t["capability"].to_pylist())]


def fingerprint_prompt(text: str) -> PromptFingerprint:
    """Template hash, SimHash and capability class of one raw prompt."""
    return fingerprint_prompts([text])[0]


def normalise_many(texts: list[str]) -> list[str]:
    """The masked text (the template a prompt was filled from) of each prompt: for tests and inspection."""
    if not texts:
        return []
    arr, offsets, _, _, _, kept, kept_len = _run(pa.array(texts, pa.large_string()), keep=True)
    bases = N.EXPANSION * offsets[:-1] + 32 * np.arange(len(texts))
    raw = kept.tobytes()
    return [raw[b:b + m].decode() for b, m in zip(bases.tolist(), kept_len.tolist())]


def normalise(text: str) -> str:
    return normalise_many([text])[0]


def template_fingerprint(text: str) -> str:
    return fingerprint_prompt(text).template


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()
