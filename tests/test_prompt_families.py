"""Prompt families: one template whatever its fill-ins, measured on a labelled corpus.

The corpus: 24 operator templates (distinct tasks) x 5 fill-in styles (slots
only; optional clauses; reordered sentences; synonyms; all of it plus case,
space and punctuation noise) + distinct everyday prompts of every shape.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from linkage.ingest.families import FamilyIndex, assign_families
from linkage.ingest.minhash import signatures
from linkage.simulate import templates as T
from linkage.simulate.family_corpus import adjusted_rand_index, build_corpus, family_scores, operator_bank


@pytest.fixture(scope="module")
def corpus():
    return build_corpus(seed=3, n_templates=24, per_style=40, n_everyday=20_000)


@pytest.fixture(scope="module")
def families(corpus) -> np.ndarray:
    return assign_families(corpus.texts)


def test_families_recover_the_templates(corpus, families: np.ndarray) -> None:
    scores = family_scores(corpus, families)
    assert scores["ari"] >= 0.95, scores
    assert scores["everyday_in_operator_family"] <= 0.001, scores
    assert scores["operator_unassigned"] <= 0.01, scores
    assert scores["families_per_template"] <= 1.2, scores


@pytest.mark.parametrize("style", range(len(T.FILL_STYLES)))
def test_every_fill_style_lands_in_its_templates_main_family(corpus, families: np.ndarray, style: int) -> None:
    for t in range(24):
        of_template = corpus.template == t
        values, counts = np.unique(families[of_template], return_counts=True)
        main = values[counts.argmax()]
        mine = of_template & (corpus.style == style)
        assert main != 0 and (families[mine] == main).mean() >= 0.95, (T.FILL_STYLES[style], t)


def test_exact_template_fingerprints_do_not_survive_these_fill_ins(corpus) -> None:
    # the reason families exist: the same corpus splits into many fingerprints per template
    from linkage.ingest.fingerprint import fingerprint_prompts

    texts = corpus.texts.slice(0, 200).to_pylist()  # template 0, its first styles
    assert len({f.template for f in fingerprint_prompts(texts)}) > 20


def test_unrelated_everyday_prompts_never_join_a_family() -> None:
    prompts = [
        "what is the capital of Peru", "what is the capital of Chile",
        "summarise this article about the new tax rules for small businesses in the region",
        "summarise this article about the football results of the weekend and the transfers",
        "write a short note about my garden and the tomato plants that keep dying in the heat",
        "write a short note about the budget meeting on friday and who should bring the slides",
    ]
    family = assign_families(prompts)
    assert (family == 0).all()


def test_light_paraphrase_and_noise_stay_in_the_family() -> None:
    base = ("Think step by step and explain your reasoning in full before the final answer. A tank fills in "
            "{n} minutes and drains in {m} minutes. How long until it is full from empty? Case {id}.")
    rng = np.random.default_rng(4)
    texts = [base.format(n=rng.integers(2, 999), m=rng.integers(2, 999), id=hex(rng.integers(1 << 40))[2:])
             for _ in range(30)]
    texts += [texts[0].upper(), texts[1].replace(" ", "   "), texts[2].replace("full", "completely filled"),
              texts[3].replace(".", " !"), "A tank fills in 9 minutes and drains in 4 minutes. " + texts[4].split(". A")[0]]
    family = assign_families(texts)
    assert len(set(family.tolist())) == 1 and family[0] != 0


def test_family_ids_come_from_the_content_so_a_fresh_store_mints_the_same_ones() -> None:
    night1 = build_corpus(seed=11, n_templates=24, per_style=40, n_everyday=2_000)
    night2 = build_corpus(seed=12, n_templates=24, per_style=40, n_everyday=2_000)  # other fillings
    f1, f2 = assign_families(night1.texts), assign_families(night2.texts)

    def main_family(corpus, fam: np.ndarray, t: int) -> int:
        values, counts = np.unique(fam[corpus.template == t], return_counts=True)
        return int(values[counts.argmax()])
    same = [main_family(night1, f1, t) == main_family(night2, f2, t) for t in range(24)]
    assert np.mean(same) >= 0.9, same


def test_learnt_keys_carry_yesterdays_family_ids_to_tonights_prompts() -> None:
    night1 = build_corpus(seed=11, n_templates=24, per_style=40, n_everyday=2_000)
    index = FamilyIndex()
    f1 = assign_families(night1.texts, index)
    stored = FamilyIndex(index.learnt.keys(), index.learnt.values())  # what the store keeps
    bank = operator_bank(24)
    rng = np.random.default_rng(99)
    for t in range(24):  # one lone new filling per template, in a batch of its own
        lone = pa.array([T.fill(bank[t], rng, "noisy")])
        values, counts = np.unique(f1[night1.template == t], return_counts=True)
        assert assign_families(lone, stored)[0] == values[counts.argmax()], t


def test_a_lone_key_match_is_not_enough_to_join_a_known_family() -> None:
    sig, keys, valid = signatures(["one two three four five six seven eight nine ten eleven twelve"])
    index = FamilyIndex([int(keys[0, 0])], [12345])  # only one of its band keys is known
    assert index.assign(sig, keys, valid)[0] == 0
    index = FamilyIndex([int(keys[0, 0]), int(keys[0, 1])], [12345, 12345])
    assert index.assign(sig, keys, valid)[0] == 12345


def test_chunked_assignment_keeps_the_families(corpus) -> None:
    # small chunks (bounded memory): later chunks find the families by the keys learnt so far;
    # prompts come in no particular order (as from a DISTINCT), so every chunk mixes templates and styles
    order = np.random.default_rng(0).permutation(int(corpus.is_operator.sum()))
    ops = corpus.texts.take(pa.array(order))
    whole = assign_families(ops)
    chunked = assign_families(ops, chunk=700)
    truth = corpus.template[order]
    assert adjusted_rand_index(truth, chunked.astype(np.int64)) >= 0.95
    assert adjusted_rand_index(whole.astype(np.int64), chunked.astype(np.int64)) >= 0.95


def test_signatures_ignore_case_digits_and_spacing_but_not_words() -> None:
    a = "Refactor the class Foo in the repository to use dependency injection and explain each change 42"
    b = "refactor   the CLASS foo in the repository to use dependency injection and explain each change 7"
    c = "Refactor the class Foo in the repository to use dependency injection and explain every change"
    sig, keys, valid = signatures([a, b, c, "too short to count"])
    assert valid.tolist() == [True, True, True, False]
    assert (sig[0] == sig[1]).all() and (keys[0] == keys[1]).all()
    agree = (sig[0] == sig[2]).mean()
    assert 0.4 < agree < 1.0  # one word of 15 changed: most values agree, not all
    assert not keys[3].any()


def test_adjusted_rand_index_matches_known_values() -> None:
    assert adjusted_rand_index(np.array([0, 0, 1, 1]), np.array([5, 5, 7, 7])) == pytest.approx(1.0)
    assert adjusted_rand_index(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])) == pytest.approx(-0.5)


def test_family_ids_as_text_in_bulk_equal_one_at_a_time() -> None:
    import numpy as np

    from linkage.ingest.families import family_hex, family_hex_array

    values = np.array([0, 1, 2 ** 64 - 1, 0xABCDEF0123456789, 0, 42], np.uint64)
    out = family_hex_array(values)
    out.validate(full=True)
    assert out.to_pylist() == [family_hex(v) if v else None for v in values.tolist()]
