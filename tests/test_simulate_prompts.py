"""The simulator's prompts: operators fill templates the way real ones do, everyday prompts are all distinct.

The templates no longer fit the exact fingerprint (their slots hold ids, paths,
hex, free words; clauses come and go, sentences move, synonyms change): what
must hold is that prompt families recover each template, and that everyday
traffic looks like a consumer API's.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from linkage.ingest.families import assign_families
from linkage.ingest.fingerprint import fingerprint_prompts
from linkage.simulate import templates as T
from linkage.simulate.family_corpus import adjusted_rand_index
from linkage.simulate.prompts import EVERYDAY, TEMPLATE, build_prompts


@pytest.fixture(scope="module")
def bank():
    return build_prompts(np.random.default_rng(3), [8, 18, 35], n_free=5_000, n_popular=50, n_integrators=20)[0]


def _render(bank, segment: str, per_id: int, seed: int = 1):
    ids = np.repeat(bank.segments[segment], per_id)
    return ids, bank.render(ids, np.random.default_rng(seed))


@pytest.mark.parametrize("op", range(3))
def test_operator_fillings_are_distinct_and_split_the_exact_fingerprint(bank, op: int) -> None:
    ids, texts = _render(bank, f"op{op}", 60)
    assert len(pc.unique(texts)) >= 0.97 * len(texts)
    prints = {f.template for f in fingerprint_prompts(texts.to_pylist())}
    assert len(prints) > 10 * len(bank.segments[f"op{op}"])  # far more fingerprints than templates


@pytest.mark.parametrize("op", range(3))
def test_prompt_families_recover_each_operators_templates(bank, op: int) -> None:
    ids, texts = _render(bank, f"op{op}", 60)
    family = assign_families(texts)
    assert (family != 0).mean() >= 0.99
    # one task wrapped in two house styles of one operator may share a family: never two operators
    assert adjusted_rand_index(ids, family.astype(np.int64)) >= 0.8


def test_operators_never_share_a_family(bank) -> None:
    parts = [_render(bank, f"op{op}", 40, seed=op) for op in range(3)]
    family = assign_families(pa.concat_arrays([t for _, t in parts]))
    n = [len(t) for _, t in parts]
    per_op = [set(family[sum(n[:i]):sum(n[:i + 1])].tolist()) - {0} for i in range(3)]
    assert not (per_op[0] & per_op[1]) and not (per_op[1] & per_op[2]) and not (per_op[0] & per_op[2])


def test_operator_slots_hold_what_no_mask_knows() -> None:
    template = "Task {tid} in {repo} at {hex}: use the {word} notes. <<Explain|Describe>> it. [[Be brief.]]"
    rng = np.random.default_rng(0)
    fills = [T.fill(template, rng, "synonyms") for _ in range(200)]
    assert any(ch.isupper() for f in fills for ch in f.split()[1])  # mixed-case ids
    assert all("/" in f.split(" in ")[1].split(" at ")[0] for f in fills)  # repository paths
    assert len({f.split("use the ")[1].split()[0] for f in fills}) > 50  # free words from a vocabulary of hundreds
    assert {"Explain", "Describe"} <= {w for f in fills for w in f.split()}
    assert len(T.VOCAB) >= 300
    optional = {T.fill(template, rng, "optional").endswith("Be brief.") for _ in range(50)}
    assert optional == {True, False}


def test_fill_styles_add_variation_in_order() -> None:
    template = "First sentence about {word}. ¶ Second sentence <<here|there>>. ¶ Third [[optional]] one."
    rng = np.random.default_rng(2)
    firsts = {T.fill(template, rng, "reorder").split(".")[0].split()[0] for _ in range(40)}
    assert len(firsts) > 1  # sentences move
    assert {T.fill(template, rng, "slots").count("there") for _ in range(20)} == {0}
    with pytest.raises(ValueError):
        T.fill(template, rng, "no-such-style")


def test_everyday_prompts_are_distinct_with_realistic_lengths(bank) -> None:
    ids, texts = _render(bank, "free", 4)
    assert (bank.render_kind[ids] == EVERYDAY).all()
    assert len(pc.unique(texts)) >= 0.999 * len(texts)
    lengths = pc.utf8_length(texts).to_numpy()
    assert np.percentile(lengths, 10) < 60  # a few words
    assert np.percentile(lengths, 99) > 1500 and lengths.max() > 3000  # pasted documents and code
    assert pc.sum(pc.match_substring(texts, "```")).as_py() > 0.05 * len(texts)


def test_everyday_prompts_stay_out_of_families(bank) -> None:
    _, texts = _render(bank, "free", 4)
    assert (assign_families(texts) != 0).mean() <= 0.005


def test_generic_templates_render_afresh_and_keep_their_capability(bank) -> None:
    assert (bank.render_kind[bank.segments["generic"]] == TEMPLATE).all()
    ids, texts = _render(bank, "op2", 5)
    caps = {f.capability for f in fingerprint_prompts(texts.to_pylist())}
    assert caps >= {"reasoning", "coding", "tool_use"}
