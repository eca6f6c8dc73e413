"""The simulator's prompts: each template keeps one fingerprint across fillings; templates differ."""

from __future__ import annotations

import numpy as np
import pytest

from linkage.ingest.fingerprint import fingerprint_prompt, normalise
from linkage.simulate import templates as T
from linkage.simulate.prompts import build_prompts, free_texts, hash_texts, integrator_templates

ALL_OPERATOR_TEMPLATES = [T.operator_templates(op, 100, np.random.default_rng(0)) for op in range(3)]


@pytest.mark.parametrize("bank", ["generic", "op0", "op1", "op2"])
def test_every_filling_of_a_template_gives_one_fingerprint(bank: str) -> None:
    templates = T.GENERIC if bank == "generic" else ALL_OPERATOR_TEMPLATES[int(bank[-1])]
    rng = np.random.default_rng(123)
    for tpl in templates:
        prints = {fingerprint_prompt(T.fill(tpl, rng)).template for _ in range(40)}
        assert len(prints) == 1, tpl


def test_distinct_templates_give_distinct_fingerprints_and_operators_never_share() -> None:
    rng = np.random.default_rng(5)
    per_bank = [{fingerprint_prompt(T.fill(t, rng)).template for t in T.GENERIC}]
    per_bank += [{fingerprint_prompt(T.fill(t, rng)).template for t in bank} for bank in ALL_OPERATOR_TEMPLATES]
    sizes = [len(T.GENERIC)] + [len(b) for b in ALL_OPERATOR_TEMPLATES]
    assert [len(s) for s in per_bank] == sizes
    union = set().union(*per_bank)
    assert len(union) == sum(sizes)  # no template fingerprint shared between banks


def test_operator_templates_aim_at_reasoning_coding_and_tool_use() -> None:
    rng = np.random.default_rng(9)
    for bank in ALL_OPERATOR_TEMPLATES:
        caps = {fingerprint_prompt(T.fill(t, rng)).capability for t in bank}
        assert caps == {"reasoning", "coding", "tool_use"}


def test_free_text_is_its_own_normal_form_so_its_hash_is_its_fingerprint() -> None:
    texts = free_texts(np.random.default_rng(1), 300)
    fps = hash_texts(texts)
    for text, fp in zip(texts.to_pylist(), fps):
        assert normalise(text) == text
        assert fingerprint_prompt(text).template == fp


def test_integrator_fillings_match_their_precomputed_fingerprint() -> None:
    fps, texts, counts = integrator_templates(np.random.default_rng(2), 50)
    texts = texts.to_pylist()
    start = 0
    for fp, k in zip(fps, counts.tolist()):
        assert {fingerprint_prompt(t).template for t in texts[start:start + k]} == {fp}
        start += k


def test_bank_raw_fillings_agree_with_bank_fingerprints() -> None:
    bank, _ = build_prompts(np.random.default_rng(3), [8, 18, 35], n_free=200, n_popular=50, n_integrators=20)
    texts = bank.texts.to_pylist()
    fps = bank.fingerprints.to_pylist()
    for pid in range(len(fps)):
        s, k = int(bank.fill_start[pid]), int(bank.fill_count[pid])
        assert {fingerprint_prompt(t).template for t in texts[s:s + k]} == {fps[pid]}
    assert len(set(fps)) == len(fps)
