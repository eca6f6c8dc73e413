"""Scores of one method's rings against the truth.

Definitions (the populations matter, so they are spelt out):
- Universe: every account in the store, in truth.csv, or in a predicted ring. An account
  absent from truth.csv, or with an empty ring_id, is legitimate.
- Account level: an account is *flagged* if it is a member of any predicted ring;
  positives are the accounts of truth rings. Precision, recall and F1 as usual;
  legitimate accounts wrongly flagged = flagged accounts that are not in a truth ring,
  as a count and as a % of all legitimate accounts in the universe.
- Ring level: an account in several predicted rings is assigned to the first one
  listed (rings come best first), so the prediction is a partition.
  Purity = Σ_rings max_t |ring ∩ truth ring t| / Σ_rings |ring| — member-weighted, and
  legitimate members never count as a majority (a ring of strangers is impure).
  ARI: population = accounts in a truth ring or a predicted ring; on each side an
  account outside every ring is its own singleton cluster. Legitimate accounts nobody
  flagged are left out: they are singletons on both sides and would only inflate it.
- Per campaign (truth ring): recall, the predicted rings its accounts landed in, and
  the other truth rings that share a predicted ring with it (a merge: any account of
  each in the same predicted ring).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
from pydantic import BaseModel, Field
from scipy import sparse

from linkage.evaluate.truth import Truth


class CampaignScore(BaseModel):
    truth_ring: str
    size: int
    found: int
    recall: float
    landed_in: dict[str, int] = Field(description="Predicted ring id -> accounts of this campaign in it")
    merged_with: list[str] = Field(description="Other truth rings sharing a predicted ring with this one")


class MethodScore(BaseModel):
    method: str
    seconds: float | None = None
    rings: int
    flagged: int
    precision: float
    recall: float
    f1: float
    purity: float | None
    ari: float
    legit_flagged: int
    legit_total: int
    legit_flagged_pct: float
    merged_rings: int = Field(description="Predicted rings holding accounts of two or more truth rings")
    overlapping_accounts: int = Field(description="Accounts listed in more than one predicted ring")
    campaigns: list[CampaignScore]
    error: str | None = None


def _pairs(n: np.ndarray) -> float:
    n = np.asarray(n, dtype=np.float64)
    return float(np.sum(n * (n - 1) / 2.0))


def adjusted_rand_index(labels_a: Sequence[object], labels_b: Sequence[object]) -> float:
    """Hubert–Arabie ARI of two labelings of the same items (contingency table, no sklearn).

    Returns 1.0 when both labelings are the same trivial partition (all singletons or one
    cluster), where the index is 0/0, matching the usual convention.
    """
    if len(labels_a) != len(labels_b):
        raise ValueError("labelings differ in length")
    n = len(labels_a)
    if n < 2:
        return 1.0
    _, a = np.unique(np.asarray(labels_a, dtype=object).astype(str), return_inverse=True)
    _, b = np.unique(np.asarray(labels_b, dtype=object).astype(str), return_inverse=True)
    table = sparse.coo_matrix((np.ones(n), (a, b))).tocsr()
    table.sum_duplicates()
    index = _pairs(table.data)
    sum_a = _pairs(np.asarray(table.sum(axis=1)).ravel())
    sum_b = _pairs(np.asarray(table.sum(axis=0)).ravel())
    expected = sum_a * sum_b / (n * (n - 1) / 2.0)
    maximum = (sum_a + sum_b) / 2.0
    if maximum == expected:
        return 1.0
    return float((index - expected) / (maximum - expected))


def _assign(rings: Sequence[tuple[str, Iterable[str]]]) -> tuple[dict[str, str], int]:
    """account -> first predicted ring it appears in; and how many accounts appear in several."""
    owner: dict[str, str] = {}
    seen_twice: set[str] = set()
    for ring_id, members in rings:
        for acc in members:
            if acc in owner:
                if owner[acc] != ring_id:
                    seen_twice.add(acc)
            else:
                owner[acc] = ring_id
    return owner, len(seen_twice)


def score_rings(method: str, rings: Sequence[tuple[str, Iterable[str]]], truth: Truth,
                store_accounts: Iterable[str] = (), seconds: float | None = None) -> MethodScore:
    """Score predicted `rings` ((ring_id, members), best first) against `truth`."""
    owner, overlapping = _assign(rings)
    positives = truth.ring_of
    universe = set(store_accounts) | truth.accounts | set(positives) | set(owner)
    flagged = len(owner)
    tp = sum(1 for acc in owner if acc in positives)
    precision = tp / flagged if flagged else 0.0
    recall = tp / len(positives) if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    legit_total = len(universe) - len(positives)
    legit_flagged = flagged - tp

    # ring level: contingency of predicted ring × truth ring (legitimate members as None)
    cont: dict[str, Counter[str | None]] = defaultdict(Counter)
    for acc, ring_id in owner.items():
        cont[ring_id][positives.get(acc)] += 1
    majority = sum(max((c for t, c in cnt.items() if t is not None), default=0) for cnt in cont.values())
    purity = majority / flagged if flagged else None
    merged_rings = sum(1 for cnt in cont.values() if sum(1 for t in cnt if t is not None) >= 2)

    population = sorted(set(positives) | set(owner))
    ari = adjusted_rand_index(
        [positives.get(a, f"_single:{a}") for a in population],
        [owner.get(a, f"_single:{a}") for a in population])

    campaigns = []
    for t_ring, members in sorted(truth.rings.items()):
        landed = Counter(owner[a] for a in members if a in owner)
        merged = sorted({t for p in landed for t in cont[p] if t is not None and t != t_ring})
        found = sum(landed.values())
        campaigns.append(CampaignScore(
            truth_ring=t_ring, size=len(members), found=found, recall=found / len(members),
            landed_in=dict(landed.most_common()), merged_with=merged))

    return MethodScore(
        method=method, seconds=seconds, rings=len(cont), flagged=flagged, precision=precision,
        recall=recall, f1=f1, purity=purity, ari=ari, legit_flagged=legit_flagged,
        legit_total=legit_total,
        legit_flagged_pct=100.0 * legit_flagged / legit_total if legit_total else 0.0,
        merged_rings=merged_rings, overlapping_accounts=overlapping, campaigns=campaigns)
