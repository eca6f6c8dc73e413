"""A labelled corpus for measuring prompt families: operator templates x fill-in styles + everyday prompts.

Every operator template is a distinct task (from `templates`' task lists) in one
house style; each is filled in all five `templates.FILL_STYLES` (slots only,
optional clauses, reordered sentences, synonyms, all of it plus noise). The
everyday prompts come from `everyday.Everyday` and are distinct from each other.
Labels: the template index for operator prompts, -1 for everyday prompts (each
its own class when scoring).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linkage.simulate import templates as T
from linkage.simulate.everyday import Everyday


@dataclass
class LabelledCorpus:
    texts: pa.StringArray
    template: np.ndarray  # int64: operator template index, -1 = everyday
    style: np.ndarray  # int8: index into FILL_STYLES, -1 = everyday

    @property
    def is_operator(self) -> np.ndarray:
        return self.template >= 0


def operator_bank(n_templates: int) -> list[str]:
    """n distinct tasks, each in one house style (styles taken in turn across all operators)."""
    tasks = [t for trio in zip(T.REASONING_TASKS, T.CODING_TASKS, T.TOOL_TASKS) for t in trio]
    styles = [s for per_op in T.STYLES for s in per_op]
    if n_templates > len(tasks):
        raise ValueError(f"at most {len(tasks)} distinct operator templates")
    return [styles[i % len(styles)].replace("{task}", tasks[i]) for i in range(n_templates)]


def build_corpus(seed: int = 1, n_templates: int = 24, per_style: int = 200, n_everyday: int = 100_000) -> LabelledCorpus:
    """The corpus, deterministic for a seed; everyday prompts are deduplicated (kept distinct)."""
    rng = np.random.default_rng(seed)
    texts: list[str] = []
    template: list[int] = []
    style: list[int] = []
    for t, tpl in enumerate(operator_bank(n_templates)):
        for s, name in enumerate(T.FILL_STYLES):
            texts += [T.fill(tpl, rng, name) for _ in range(per_style)]
            template += [t] * per_style
            style += [s] * per_style
    everyday = pc.unique(Everyday(seed).generate(rng, int(n_everyday * 1.02) + 10))[:n_everyday]
    ops = pa.array(texts, pa.string())
    n_ev = len(everyday)
    return LabelledCorpus(
        texts=pa.concat_arrays([ops, everyday.cast(pa.string())]),
        template=np.concatenate([np.array(template, np.int64), np.full(n_ev, -1, np.int64)]),
        style=np.concatenate([np.array(style, np.int8), np.full(n_ev, -1, np.int8)]))


def adjusted_rand_index(truth: np.ndarray, pred: np.ndarray) -> float:
    """ARI of two labelings (any integer labels)."""
    _, t = np.unique(truth, return_inverse=True)
    _, p = np.unique(pred, return_inverse=True)
    pairs = t.astype(np.int64) * (p.max() + 1) + p
    _, joint = np.unique(pairs, return_counts=True)

    def c2(x: np.ndarray) -> float:
        x = x.astype(np.float64)
        return float((x * (x - 1) / 2).sum())
    n = len(truth)
    total = n * (n - 1) / 2
    a, b = c2(np.bincount(t)), c2(np.bincount(p))
    expected = a * b / total
    return (c2(joint) - expected) / ((a + b) / 2 - expected)


def family_scores(corpus: LabelledCorpus, family: np.ndarray) -> dict[str, float]:
    """ARI vs true templates (no family / everyday = own class), everyday leak into operator families,
    families per operator template."""
    n = len(family)
    singles = -(np.arange(n, dtype=np.int64) + 1)
    truth = np.where(corpus.is_operator, corpus.template, singles)
    pred = np.where(family != 0, family.astype(np.int64) & 0x7FFFFFFFFFFFFFFF, singles)
    op_fams = np.unique(family[corpus.is_operator & (family != 0)])
    everyday = ~corpus.is_operator
    per_template = [len(np.unique(family[corpus.template == t])) for t in np.unique(corpus.template[corpus.is_operator])]
    return {
        "ari": adjusted_rand_index(truth, pred),
        "everyday_in_operator_family": float(np.isin(family[everyday], op_fams).mean()) if everyday.any() else 0.0,
        "everyday_in_any_family": float((family[everyday] != 0).mean()) if everyday.any() else 0.0,
        "operator_unassigned": float((family[corpus.is_operator] == 0).mean()),
        "families_per_template": float(np.mean(per_template)),
    }
