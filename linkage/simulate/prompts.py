"""Every prompt the scenario can send: prompt ids, each rendered afresh on every request.

A request row refers to a prompt id; `PromptBank.render` writes its raw text:
- templated ids (the everyday GENERIC templates, the operators' templates) get a new
  filling per row, from one of the template's structural variants (synonyms,
  optional clauses, sentence order: `templates.compile_template`) with every slot
  drawn per row — so nearly every operator request is a distinct text; most
  GENERIC requests (`PERSONAL_SHARE`) also carry the sender's own context
  (`Everyday.personalise`), the rest ("hello") repeat as they do in real logs;
  the `cover` segment is the same templates as a camouflaging operator sends
  them, bare (copied from what everybody sends, nobody's own situation);
- integrators (legit automation) send their own fixed prompt with a new number;
- own words (`free`) are a fresh everyday prompt per row (`everyday.Everyday`);
- popular phrasings are the same text every time (by design: everybody sends them).

`fingerprints` holds the template fingerprint of one filling per id: only a
scenario written with precomputed fingerprints instead of raw text uses them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linkage.ingest.fingerprint import fingerprint_prompt, fingerprint_prompts
from linkage.simulate import templates as T
from linkage.simulate.everyday import Everyday

VARIANTS = 24  # structural variants per template (each filled afresh per row)
PERSONAL_SHARE = 0.95  # everyday GENERIC template requests that carry the sender's own context
STORED, TEMPLATE, INTEGRATOR, EVERYDAY = 0, 1, 2, 3
_POOLS = {k: pa.array(v, pa.string()) for k, v in T.POOLS.items()}


@dataclass
class PromptBank:
    """Prompt ids -> how to render them, and one fingerprint per id."""

    fingerprints: pa.StringArray
    render_kind: np.ndarray  # int8 per id: STORED, TEMPLATE, INTEGRATOR, EVERYDAY
    stored: pa.StringArray  # per id: the text (STORED), the text before the number (INTEGRATOR)
    after: pa.StringArray  # INTEGRATOR: the text after the number
    variants: dict[int, list[T.Variant]]  # TEMPLATE ids -> structural variants
    segments: dict[str, np.ndarray]
    everyday: Everyday = field(default_factory=Everyday)

    def render(self, ids: np.ndarray, rng: np.random.Generator) -> pa.StringArray:
        """One raw text per row for prompt ids `ids`."""
        n = len(ids)
        out: list[pa.Array] = []
        pos: list[np.ndarray] = []
        kind = self.render_kind[ids]
        rows = np.flatnonzero(kind == STORED)
        out.append(pc.take(self.stored, pa.array(ids[rows])))
        pos.append(rows)
        rows = np.flatnonzero(kind == INTEGRATOR)
        nums = pc.cast(pa.array(rng.integers(1, 99_999, len(rows))), pa.string())
        out.append(pc.binary_join_element_wise(pc.take(self.stored, pa.array(ids[rows])), nums,
                                               pc.take(self.after, pa.array(ids[rows])), ""))
        pos.append(rows)
        rows = np.flatnonzero(kind == EVERYDAY)
        out.append(self.everyday.generate(rng, len(rows)))
        pos.append(rows)
        rows = np.flatnonzero(kind == TEMPLATE)
        variant = rng.integers(0, VARIANTS, len(rows))
        key = ids[rows] * VARIANTS + variant
        order = np.argsort(key, kind="stable")
        bounds = np.flatnonzero(np.diff(key[order])) + 1
        for group in np.split(order, bounds) if len(order) else []:
            k = int(key[group[0]])
            parts = self.variants[k // VARIANTS][k % VARIANTS].parts
            cols: list[pa.Array | str] = []
            for i, part in enumerate(parts):
                if i % 2 == 0:
                    if part:
                        cols.append(pa.array([part] * len(group), pa.string()))
                else:
                    pool = _POOLS[part]
                    cols.append(pc.take(pool, pa.array(rng.integers(0, len(pool), len(group)))))
            text = pc.binary_join_element_wise(*cols, "") if len(cols) > 1 else cols[0]
            out.append(text)
            pos.append(rows[group])
        combined = pa.concat_arrays([a.cast(pa.string()) for a in out])
        inverse = np.empty(n, np.int64)
        inverse[np.concatenate(pos)] = np.arange(n)
        return self._personalise(ids, pc.take(combined, pa.array(inverse)), rng)

    def _personalise(self, ids: np.ndarray, texts: pa.StringArray, rng: np.random.Generator) -> pa.StringArray:
        generic = self.segments.get("generic")
        if generic is None or not len(ids):
            return texts
        own = np.isin(ids, generic) & (rng.random(len(ids)) < PERSONAL_SHARE)
        if not own.any():
            return texts
        mask = pa.array(own)
        return pc.replace_with_mask(texts, mask, self.everyday.personalise(pc.filter(texts, mask), rng))


class _Builder:
    def __init__(self) -> None:
        self.fps: list[str] = []
        self.kinds: list[int] = []
        self.stored: list[str | None] = []
        self.after: list[str | None] = []
        self.variants: dict[int, list[T.Variant]] = {}
        self.segments: dict[str, np.ndarray] = {}

    def add(self, name: str, kind: int, fps: list[str], stored: list[str | None] | None = None,
            after: list[str | None] | None = None, variants: list[list[T.Variant]] | None = None) -> None:
        start = len(self.fps)
        self.fps += fps
        self.kinds += [kind] * len(fps)
        self.stored += stored or [None] * len(fps)
        self.after += after or [None] * len(fps)
        for i, v in enumerate(variants or []):
            self.variants[start + i] = v
        self.segments[name] = np.arange(start, len(self.fps), dtype=np.int64)

    def build(self) -> PromptBank:
        return PromptBank(fingerprints=pa.array(self.fps, pa.string()),
                          render_kind=np.array(self.kinds, np.int8),
                          stored=pa.array(self.stored, pa.string()), after=pa.array(self.after, pa.string()),
                          variants=self.variants, segments=self.segments)


def templated(templates: list[str], rng: np.random.Generator) -> tuple[list[str], list[str], list[list[T.Variant]]]:
    """(fingerprint of one filling, capability, structural variants) per template."""
    fps, caps, variants = [], [], []
    for tpl in templates:
        sample = fingerprint_prompt(T.fill(tpl, rng, "slots"))
        fps.append(sample.template)
        caps.append(sample.capability)
        variants.append(T.compile_template(tpl, rng, VARIANTS))
    return fps, caps, variants


def free_texts(rng: np.random.Generator, n: int) -> pa.StringArray:
    """n phrasings of an opener and six words, lowercase, single spaces."""
    openers = pa.array(T.OPENERS)
    words = pa.array(T.WORDS)
    cols = [pc.take(openers, pa.array(rng.integers(0, len(T.OPENERS), n)))]
    cols += [pc.take(words, pa.array(rng.integers(0, len(T.WORDS), n))) for _ in range(6)]
    return pc.binary_join_element_wise(*cols, " ")


def integrator_templates(rng: np.random.Generator, n: int) -> tuple[list[str], list[str], list[str]]:
    """Legit automation: each integrator's own prompt with a number in it (a ticket id, a row count).
    Returns (fingerprints, text before the number, text after it)."""
    base = [b.split() for b in free_texts(rng, n).to_pylist()]
    cut = rng.integers(2, 6, n).tolist()
    before = [" ".join(w[:c]) + " " for w, c in zip(base, cut)]
    after = [" " + " ".join(w[c:]) for w, c in zip(base, cut)]
    fps = [f.template for f in fingerprint_prompts([b + "1" + a for b, a in zip(before, after)])]
    return fps, before, after


def build_prompts(rng: np.random.Generator, n_operators_templates: list[int], n_free: int,
                  n_popular: int, n_integrators: int) -> tuple[PromptBank, dict[str, list[str]]]:
    """The whole prompt universe. Returns the bank and, per segment of templated prompts, capabilities."""
    b = _Builder()
    caps: dict[str, list[str]] = {}
    fps, cap, variants = templated(T.GENERIC, rng)
    b.add("generic", TEMPLATE, fps, variants=variants)
    caps["generic"] = cap
    # the same templates as operators' cover traffic sends them: bare, without anybody's own context
    b.add("cover", TEMPLATE, fps, variants=variants)
    for op, n_tpl in enumerate(n_operators_templates):
        fps, cap, variants = templated(T.operator_templates(op, n_tpl, rng), rng)
        b.add(f"op{op}", TEMPLATE, fps, variants=variants)
        caps[f"op{op}"] = cap
    popular = free_texts(rng, n_popular).to_pylist()
    b.add("popular", STORED, [f.template for f in fingerprint_prompts(popular)], stored=popular)
    fps, before, after = integrator_templates(rng, n_integrators)
    b.add("integrator", INTEGRATOR, fps, stored=before, after=after)
    # own words: one id per (account, phrasing slot) as before; each row renders a fresh everyday prompt
    b.add("free", EVERYDAY, [""] * n_free)
    return b.build(), caps
