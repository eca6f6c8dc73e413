"""Every prompt the scenario can send, as ids with a fingerprint and a few raw fillings each.

A request row refers to a prompt id. Most rows at full scale write only the id's
template fingerprint; a sample writes one of its raw fillings instead. The
fingerprints come from `linkage.ingest.fingerprint.fingerprint_prompt` (templated
prompts: every filling is fingerprinted and must agree) or, for free text that is
already its own normal form, from the same hash over the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from linkage.ingest.fingerprint import fingerprint_prompt
from linkage.simulate import templates as T

FILLINGS = 8


class UnstableTemplate(ValueError):
    """A template whose fillings do not share one fingerprint."""


@dataclass
class PromptBank:
    """Prompt ids → fingerprint, and each id's raw fillings (a slice of `texts`)."""

    fingerprints: pa.StringArray
    texts: pa.StringArray
    fill_start: np.ndarray  # int64, per id
    fill_count: np.ndarray  # int32, per id
    segments: dict[str, np.ndarray]

    def raw_text_index(self, ids: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """For each prompt id, the index in `texts` of one filling picked at random."""
        return self.fill_start[ids] + (rng.random(len(ids)) * self.fill_count[ids]).astype(np.int64)


class _Builder:
    def __init__(self) -> None:
        self.fps: list[pa.Array] = []
        self.texts: list[pa.Array] = []
        self.starts: list[np.ndarray] = []
        self.counts: list[np.ndarray] = []
        self.n_ids = 0
        self.n_texts = 0
        self.segments: dict[str, np.ndarray] = {}

    def add(self, name: str, fps: list[str] | pa.Array, texts: pa.Array, counts: np.ndarray) -> None:
        fps_arr = pa.array(fps, pa.string()) if isinstance(fps, list) else fps
        starts = self.n_texts + np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self.fps.append(fps_arr)
        self.texts.append(texts)
        self.starts.append(starts)
        self.counts.append(counts.astype(np.int32))
        self.segments[name] = np.arange(self.n_ids, self.n_ids + len(fps_arr), dtype=np.int64)
        self.n_ids += len(fps_arr)
        self.n_texts += len(texts)

    def build(self) -> PromptBank:
        return PromptBank(
            fingerprints=pa.concat_arrays([a.cast(pa.string()) for a in self.fps]),
            texts=pa.concat_arrays([a.cast(pa.string()) for a in self.texts]),
            fill_start=np.concatenate(self.starts), fill_count=np.concatenate(self.counts),
            segments=self.segments)


def templated(templates: list[str], rng: np.random.Generator) -> tuple[list[str], list[str], list[str]]:
    """(fingerprints, capabilities, fillings) for templates; FILLINGS fillings each, all checked."""
    fps, caps, texts = [], [], []
    for tpl in templates:
        filled = [T.fill(tpl, rng) for _ in range(FILLINGS)]
        prints = {fingerprint_prompt(t).template for t in filled}
        if len(prints) != 1:
            raise UnstableTemplate(f"template does not keep one fingerprint across fillings: {tpl[:60]!r}")
        fps.append(prints.pop())
        caps.append(fingerprint_prompt(filled[0]).capability)
        texts += filled
    return fps, caps, texts


def free_texts(rng: np.random.Generator, n: int) -> pa.StringArray:
    """n user-written texts: an opener and six words, lowercase, single spaces (their own normal form)."""
    openers = pa.array(T.OPENERS)
    words = pa.array(T.WORDS)
    cols = [pc.take(openers, pa.array(rng.integers(0, len(T.OPENERS), n)))]
    cols += [pc.take(words, pa.array(rng.integers(0, len(T.WORDS), n))) for _ in range(6)]
    return pc.binary_join_element_wise(*cols, " ")


def hash_texts(texts: pa.StringArray) -> list[str]:
    """Template fingerprints of texts that are already normalised (the hash `fingerprint_prompt` uses)."""
    h = xxhash.xxh3_64_hexdigest
    return [h(t) for t in texts.cast(pa.binary()).to_pylist()]


def integrator_templates(rng: np.random.Generator, n: int) -> tuple[list[str], pa.StringArray, np.ndarray]:
    """Legit automation: each integrator's own prompt with a number in it (a ticket id, a row count)."""
    base = free_texts(rng, n).to_pylist()
    cut = rng.integers(2, 6, n)
    norm = [" ".join(w[:c] + ["<num>"] + w[c:]) for w, c in zip((b.split() for b in base), cut.tolist())]
    fps = [xxhash.xxh3_64_hexdigest(s.encode()) for s in norm]
    texts: list[str] = []
    for s in norm:
        texts += [s.replace("<num>", str(int(v))) for v in rng.integers(1, 99_999, 3)]
    return fps, pa.array(texts), np.full(n, 3)


def build_prompts(rng: np.random.Generator, n_operators_templates: list[int], n_free: int,
                  n_popular: int, n_integrators: int) -> tuple[PromptBank, dict[str, list[str]]]:
    """The whole prompt universe. Returns the bank and, per segment of templated prompts, capabilities."""
    b = _Builder()
    caps: dict[str, list[str]] = {}
    fps, cap, texts = templated(T.GENERIC, rng)
    b.add("generic", fps, pa.array(texts), np.full(len(fps), FILLINGS))
    caps["generic"] = cap
    for op, n_tpl in enumerate(n_operators_templates):
        tpls = T.operator_templates(op, n_tpl, rng)
        fps, cap, texts = templated(tpls, rng)
        b.add(f"op{op}", fps, pa.array(texts), np.full(len(fps), FILLINGS))
        caps[f"op{op}"] = cap
    popular = free_texts(rng, n_popular)
    b.add("popular", hash_texts(popular), popular, np.ones(n_popular))
    fps, texts, counts = integrator_templates(rng, n_integrators)
    b.add("integrator", fps, texts, counts)
    free = free_texts(rng, n_free)
    b.add("free", hash_texts(free), free, np.ones(n_free))
    return b.build(), caps
