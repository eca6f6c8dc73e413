"""grouping.py against independent references: np.unique over label * A + artifact, and a dict count."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from linkage.detect.grouping import account_traffic, artifact_runs, label_artifact_groups
from detect_arrays import Net


def _random_links(seed: int, n_links: int, n_accounts: int, n_artifacts: int, n_labels: int):
    """Links in random order, repeated (account, artifact) rows (ties) included, and labels with -1s."""
    rng = np.random.default_rng(seed)
    links = Net(n_accounts).links()  # empty artifacts and links, filled in below
    links.artifact_kind = rng.integers(0, 7, n_artifacts).astype(np.int8)
    links.artifact_value = np.array([f"v{i}" for i in range(n_artifacts)], object)
    links.account = rng.integers(0, n_accounts, n_links)
    links.artifact = rng.integers(0, n_artifacts, n_links) if n_artifacts else np.zeros(0, np.int64)
    links.count = rng.integers(1, 1_000, n_links)
    links.first_seen = np.zeros(n_links)
    labels = np.where(rng.random(n_accounts) < 0.7, rng.integers(0, max(n_labels, 1), n_accounts), -1)
    return links, labels


def _reference(links, labels):
    """np.unique's groups (label-major), with link counts and summed request counts."""
    lab = labels[links.account]
    on = lab >= 0
    keys, inv, counts = np.unique(lab[on] * links.n_artifacts + links.artifact[on], return_inverse=True,
                                  return_counts=True)
    traffic = np.bincount(inv, weights=links.count[on], minlength=len(keys)).astype(np.int64)
    return keys // max(links.n_artifacts, 1), keys % max(links.n_artifacts, 1), counts, traffic


CASES = [(0, 5_000, 300, 800, 12), (1, 20_000, 50, 40, 3), (2, 3_000, 1_000, 20_000, 400),
         (3, 0, 10, 5, 2), (4, 0, 10, 0, 2), (5, 2_000, 30, 100, 0)]


@pytest.mark.parametrize("seed,n_links,n_accounts,n_artifacts,n_labels", CASES)
def test_groups_match_np_unique_per_label_in_the_same_order(seed, n_links, n_accounts, n_artifacts, n_labels):
    links, labels = _random_links(seed, n_links, n_accounts, n_artifacts, n_labels)
    g = label_artifact_groups(artifact_runs(links), labels)
    lab, art, counts, traffic = _reference(links, labels)
    # ordered by artifact, then label
    assert np.all(np.diff(g.artifact * (int(labels.max()) + 2) + g.label) > 0) if len(g) > 1 else True
    # a stable sort by label gives np.unique's order exactly
    by_label = np.argsort(g.label, kind="stable")
    assert np.array_equal(g.label[by_label], lab) and np.array_equal(g.artifact[by_label], art)
    assert np.array_equal(g.links[by_label], counts) and np.array_equal(g.traffic[by_label], traffic)
    # ...so per-label float sums over the groups are bit-identical to sums over np.unique's
    w = counts * (counts / np.maximum(np.bincount(links.artifact, minlength=n_artifacts), 1)[art])
    gw = g.links * (g.links / np.maximum(np.bincount(links.artifact, minlength=n_artifacts), 1)[g.artifact])
    assert np.array_equal(np.bincount(lab, weights=w, minlength=n_labels),
                          np.bincount(g.label, weights=gw, minlength=n_labels))


def test_groups_do_not_depend_on_the_order_of_the_links():
    links, labels = _random_links(6, 4_000, 80, 300, 9)
    g = label_artifact_groups(artifact_runs(links), labels)
    perm = np.random.default_rng(7).permutation(len(links.account))
    links.account, links.artifact, links.count = links.account[perm], links.artifact[perm], links.count[perm]
    h = label_artifact_groups(artifact_runs(links), labels)
    for field in ("label", "artifact", "links", "traffic"):
        assert np.array_equal(getattr(g, field), getattr(h, field))


def test_account_traffic_matches_a_dict_count():
    links, labels = _random_links(8, 6_000, 120, 500, 7)
    runs = artifact_runs(links)
    g = label_artifact_groups(runs, labels)
    column = np.where(g.links >= 2, g.artifact % 3, -1)  # three columns, some groups in none
    got = account_traffic(runs, labels, g, column, 3)
    col_of = {(int(l), int(a)): int(c) for l, a, c in zip(g.label, g.artifact, column)}
    want = Counter()
    for acc, art, cnt in zip(links.account.tolist(), links.artifact.tolist(), links.count.tolist()):
        if labels[acc] >= 0 and col_of[(int(labels[acc]), art)] >= 0:
            want[(col_of[(int(labels[acc]), art)], acc)] += cnt
    expect = np.zeros((3, len(labels)))
    for (c, acc), v in want.items():
        expect[c, acc] = v
    assert np.array_equal(got, expect)


def test_groups_are_kept_for_the_same_labels_and_rebuilt_for_others():
    links, labels = _random_links(9, 1_000, 40, 60, 4)
    runs = artifact_runs(links)
    first = runs.groups(labels)
    assert runs.groups(labels.copy()) is first  # same content, another array
    other = labels.copy()
    other[other == 0] = -1
    assert runs.groups(other) is not first
    assert not (runs.groups(other).label == 0).any()


def test_no_labelled_account_and_no_links_give_no_groups():
    links, labels = _random_links(10, 500, 20, 30, 3)
    assert len(label_artifact_groups(artifact_runs(links), np.full(20, -1))) == 0
    empty = Net(0).links()
    g = label_artifact_groups(artifact_runs(empty), np.zeros(0, np.int64))
    assert len(g) == 0 and len(account_traffic(artifact_runs(empty), np.zeros(0, np.int64), g,
                                               np.zeros(0, np.int64), 2)[0]) == 0
