"""Prompt families: quality and cost of the candidate approaches on one labelled corpus.

The corpus (`linkage.simulate.family_corpus`): N operator templates x 5 fill-in
styles x P fillings, plus E distinct everyday prompts. For each approach it
prints the adjusted Rand index of the families found vs the true templates, the
share of everyday prompts placed in a family that holds operator prompts, the
share of operator prompts left without family, families per template, and the
CPU µs per prompt (process time over both cores, i.e. per core).

Approaches:
- exact: the template fingerprint (`fingerprint_prompts`, the "before") as family;
- minhash: MinHash LSH with verification (`linkage.ingest.families`), a few settings;
- drain: Drain log-template mining (`drain3`, one line per prompt), if installed.

    python bench/bench_families.py [--templates 24] [--per-style 200] [--everyday 100000] [--drain-sample 30000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from linkage.ingest.families import FamilyIndex, assign_families  # noqa: E402
from linkage.ingest.fingerprint import fingerprint_prompts  # noqa: E402
from linkage.ingest.minhash import signatures  # noqa: E402
from linkage.simulate.family_corpus import LabelledCorpus, build_corpus, family_scores  # noqa: E402


def _cpu(fn):
    start = time.process_time()
    out = fn()
    return out, time.process_time() - start


def exact(texts: list[str]) -> np.ndarray:
    fps = np.array([int(f.template, 16) for f in fingerprint_prompts(texts)], np.uint64)
    _, inv, counts = np.unique(fps, return_inverse=True, return_counts=True)
    return np.where(counts[inv] >= 2, fps, np.uint64(0))


def drain(texts: list[str]) -> np.ndarray:
    from drain3 import TemplateMiner
    from drain3.template_miner_config import TemplateMinerConfig

    config = TemplateMinerConfig()
    config.profiling_enabled = False
    miner = TemplateMiner(config=config)
    ids = [miner.add_log_message(" ".join(t.split()))["cluster_id"] for t in texts]
    arr = np.array(ids, np.uint64)
    _, inv, counts = np.unique(arr, return_inverse=True, return_counts=True)
    return np.where(counts[inv] >= 2, arr, np.uint64(0))


def report(name: str, corpus: LabelledCorpus, family: np.ndarray, seconds: float) -> None:
    s = family_scores(corpus, family)
    print(f"{name:<34} ARI {s['ari']:.4f}  everyday->operator {100 * s['everyday_in_operator_family']:.3f} %"
          f"  everyday in a family {100 * s['everyday_in_any_family']:.2f} %"
          f"  operator unassigned {100 * s['operator_unassigned']:.2f} %"
          f"  families/template {s['families_per_template']:.2f}"
          f"  {seconds / len(family) * 1e6:.2f} µs/prompt/core", flush=True)


def subset(corpus: LabelledCorpus, n: int, seed: int) -> LabelledCorpus:
    """A random subset keeping the operator/everyday mix."""
    idx = np.sort(np.random.default_rng(seed).choice(len(corpus.template), size=min(n, len(corpus.template)),
                                                     replace=False))
    return LabelledCorpus(texts=corpus.texts.take(idx), template=corpus.template[idx], style=corpus.style[idx])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--templates", type=int, default=24)
    ap.add_argument("--per-style", type=int, default=200)
    ap.add_argument("--everyday", type=int, default=100_000)
    ap.add_argument("--drain-sample", type=int, default=30_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    corpus = build_corpus(args.seed, args.templates, args.per_style, args.everyday)
    texts = corpus.texts.to_pylist()
    n_ops = int(corpus.is_operator.sum())
    print(f"corpus: {args.templates} operator templates x 5 styles x {args.per_style} = {n_ops} operator prompts,"
          f" {len(texts) - n_ops} distinct everyday prompts;"
          f" {sum(map(len, texts)) / len(texts):.0f} chars per prompt on average")
    signatures(corpus.texts.slice(0, 100))  # compile (numba caches to disk; the first run compiles)
    assign_families(corpus.texts.slice(0, 100))

    fam, sec = _cpu(lambda: exact(texts))
    report("exact template fingerprint (before)", corpus, fam, sec)
    for hashes, rows, uni, sim, words in [(64, 4, True, 0.6, 10), (64, 4, False, 0.6, 10),
                                          (64, 4, True, 0.5, 10), (64, 4, True, 0.7, 10), (64, 8, True, 0.6, 10),
                                          (64, 4, True, 0.6, 6)]:
        shingles = "words+pairs" if uni else "pairs"
        fam, sec = _cpu(lambda: assign_families(corpus.texts, FamilyIndex(similarity=sim), hashes=hashes,
                                                rows=rows, min_words=words, unigrams=uni))
        report(f"minhash {shingles} r={rows} J>={sim} w>={words}", corpus, fam, sec)
    try:
        import drain3  # noqa: F401
    except ImportError:
        print("drain: drain3 not installed (pip install drain3), skipped")
        return
    small = subset(corpus, args.drain_sample, args.seed)
    small_texts = small.texts.to_pylist()
    fam, sec = _cpu(lambda: drain(small_texts))
    report(f"drain3 (subset of {len(small_texts)})", small, fam, sec)
    fam, sec = _cpu(lambda: assign_families(small.texts))
    report("minhash default (same subset)", small, fam, sec)


if __name__ == "__main__":
    main()
