"""Metrics on hand-made cases whose answers are known."""

from __future__ import annotations

import itertools
import random

import pyarrow as pa
import pytest

from linkage.evaluate.metrics import adjusted_rand_index, score_rings
from linkage.evaluate.truth import Truth, TruthError, load_truth, truth_from_table


def _truth(rings: dict[str, list[str]], legit: list[str]) -> Truth:
    rows = [(a, r) for r, accs in rings.items() for a in accs] + [(a, None) for a in legit]
    return truth_from_table(pa.table({"account_id": [a for a, _ in rows], "ring_id": [r for _, r in rows]}))


TRUTH = _truth({"A": ["a1", "a2", "a3", "a4"], "B": ["b1", "b2", "b3"]}, [f"l{i}" for i in range(10)])


def brute_force_ari(x: list[object], y: list[object]) -> float:
    """ARI by counting pairs one by one (the definition, not the contingency shortcut)."""
    n = len(x)
    both = sum(1 for i, j in itertools.combinations(range(n), 2) if x[i] == x[j] and y[i] == y[j])
    in_x = sum(1 for i, j in itertools.combinations(range(n), 2) if x[i] == x[j])
    in_y = sum(1 for i, j in itertools.combinations(range(n), 2) if y[i] == y[j])
    total = n * (n - 1) / 2
    expected = in_x * in_y / total
    maximum = (in_x + in_y) / 2
    return 1.0 if maximum == expected else (both - expected) / (maximum - expected)


def test_perfect_prediction_scores_one() -> None:
    s = score_rings("m", [("p1", TRUTH.rings["A"]), ("p2", TRUTH.rings["B"])], TRUTH)
    assert (s.precision, s.recall, s.f1, s.purity, s.ari) == (1.0, 1.0, 1.0, 1.0, 1.0)
    assert s.legit_flagged == 0 and s.legit_total == 10 and s.merged_rings == 0
    assert all(c.recall == 1.0 and not c.merged_with for c in s.campaigns)


def test_merge_of_two_truth_rings_lowers_purity_and_is_reported() -> None:
    s = score_rings("m", [("p1", ["a1", "a2", "a3", "a4", "b1", "b2", "b3"])], TRUTH)
    assert s.recall == 1.0 and s.precision == 1.0
    assert s.purity == pytest.approx(4 / 7)
    assert s.merged_rings == 1
    by_ring = {c.truth_ring: c for c in s.campaigns}
    assert by_ring["A"].merged_with == ["B"] and by_ring["B"].merged_with == ["A"]
    assert by_ring["A"].landed_in == {"p1": 4}
    assert s.ari < 1.0


def test_legitimate_accounts_flagged_are_counted() -> None:
    # store knows 5 more accounts that truth.csv never mentions: they are legitimate too
    store_accounts = [f"extra{i}" for i in range(5)]
    s = score_rings("m", [("p1", ["a1", "a2", "l1", "l2"]), ("p2", ["b1", "extra0"])], TRUTH, store_accounts)
    assert s.flagged == 6 and s.legit_flagged == 3 and s.legit_total == 15
    assert s.legit_flagged_pct == pytest.approx(20.0)
    assert s.precision == pytest.approx(3 / 6) and s.recall == pytest.approx(3 / 7)
    assert s.purity == pytest.approx(3 / 6)
    by_ring = {c.truth_ring: c for c in s.campaigns}
    assert by_ring["A"].recall == pytest.approx(0.5) and by_ring["B"].found == 1


def test_nothing_predicted() -> None:
    s = score_rings("m", [], TRUTH)
    assert s.flagged == 0 and s.precision == 0.0 and s.recall == 0.0 and s.f1 == 0.0
    assert s.purity is None and s.rings == 0


def test_overlapping_rings_assign_first_listed() -> None:
    s = score_rings("m", [("p1", ["a1", "a2"]), ("p2", ["a2", "b1", "b2"])], TRUTH)
    assert s.overlapping_accounts == 1 and s.flagged == 4
    assert {c.truth_ring: c.landed_in for c in s.campaigns}["A"] == {"p1": 2}


@pytest.mark.parametrize("seed", range(20))
def test_ari_matches_brute_force_pair_counting(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(2, 40)
    x = [rng.randint(0, rng.randint(0, 6)) for _ in range(n)]
    y = [rng.choice("abcdefg"[: rng.randint(1, 7)]) for _ in range(n)]
    assert adjusted_rand_index(x, y) == pytest.approx(brute_force_ari(x, y), abs=1e-12)


def test_ari_is_label_invariant_and_one_for_equal_partitions() -> None:
    assert adjusted_rand_index([1, 1, 2, 2, 3], ["x", "x", "y", "y", "z"]) == pytest.approx(1.0)
    assert adjusted_rand_index([1, 1, 2, 2], [1, 2, 1, 2]) < 0


def test_load_truth_csv(tmp_path) -> None:
    p = tmp_path / "truth.csv"
    p.write_text("account_id,ring_id\nacc1,R1\nacc2,\nacc3,R1\nacc4,R2\n")
    t = load_truth(p)
    assert t.ring_of == {"acc1": "R1", "acc3": "R1", "acc4": "R2"}
    assert t.accounts == {"acc1", "acc2", "acc3", "acc4"}
    bad = tmp_path / "bad.csv"
    bad.write_text("account,ring\nx,y\n")
    with pytest.raises(TruthError):
        load_truth(bad)
    with pytest.raises(TruthError):
        load_truth(tmp_path / "missing.csv")
