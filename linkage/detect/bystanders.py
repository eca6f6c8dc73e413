"""Bystanders: ring members that are tied to the ring but do not act like it.

A legitimate account that rides the same public proxy pool as an operator and sends the
same popular prompts as the operator's camouflage is linked to a few of its accounts (two
families agree: network and prompts), and community detection keeps it in the ring. Guilt
by association is not enough: every flagged account must itself do something the ring does
together, or be what the ring's accounts are. A member *acts with its ring* when it

- is in synchrony (synchrony.py) with another member, or
- sends the ring's templates on ≥ `TEMPLATE_SHARE` of its own prompts (a template: a
  fingerprint or family ≥ 10 % and ≥ 3 members send,
  mostly sent by members of reported rings — not a popular phrasing the ring's camouflage
  shares with everybody, which the looser test of template concentration, "mostly sent by
  members of any community", lets through when households and teams send it too), or
- was created within `burst_seconds` of another member, or
- is both young (created within `young_seconds` of the data's end) and heavy (at least
  `HEAVY` × the median active account's requests): a fresh account at distillation volume.

Members that do none of these are dropped from reported rings (`LINKAGE_DROP_BYSTANDERS`).
"""

from __future__ import annotations

import numpy as np

from linkage.detect.grouping import ArtifactRuns, account_traffic, artifact_runs
from linkage.detect.inputs import KINDS, Links
from linkage.detect.synchrony import SyncPairs
from linkage.detect.temporal import Activity

HEAVY = 10.0
TEMPLATE_SHARE = 0.1
TEMPLATE_KINDS = (KINDS.index("prompt"), KINDS.index("prompt_family"))


def _on_ring_templates(labels: np.ndarray, ring: np.ndarray, size: np.ndarray, runs: ArtifactRuns,
                       artifact_kind: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Per account: are the ring's templates a real share of its own prompts of a kind (not a stray one)?"""
    groups = runs.groups(labels, len(size))
    lab, art = groups.label, groups.artifact
    from_ring = ring[lab]  # links of reported rings' members, per artifact
    by_rings = np.bincount(art[from_ring], weights=groups.links[from_ring], minlength=runs.n_artifacts)
    kind = artifact_kind[art]
    templ = (groups.links >= np.maximum(3, 0.1 * size[lab])) & (by_rings[art] / np.maximum(df[art], 1) >= 0.5)
    # one pass for both kinds: column 2k holds a kind's other prompts, 2k + 1 its templates
    column = np.full(len(groups), -1, np.int64)
    for k, code in enumerate(TEMPLATE_KINDS):
        of_kind = kind == code
        column[of_kind] = 2 * k + templ[of_kind]
    traffic = account_traffic(runs, labels, groups, column, 2 * len(TEMPLATE_KINDS))
    acts = np.zeros(len(labels), bool)
    for k in range(len(TEMPLATE_KINDS)):
        total = traffic[2 * k] + traffic[2 * k + 1]
        acts |= traffic[2 * k + 1] >= TEMPLATE_SHARE * np.maximum(total, 1e-9)
    return acts


def acting_with_ring(labels: np.ndarray, reported: list[int], links: Links, df: np.ndarray,
                     sync: SyncPairs | None, created: np.ndarray, act: Activity, burst_seconds: float,
                     young_seconds: float, runs: ArtifactRuns | None = None) -> np.ndarray:
    """Per account: does it act with its community (see module doc)? False outside communities.

    `runs`: the links in artifact order (`grouping.artifact_runs(links)`), built here when absent."""
    n = len(labels)
    acts = np.zeros(n, bool)
    member = labels >= 0
    if not member.any():
        return acts
    n_labels = int(labels.max()) + 1
    size = np.bincount(labels[member], minlength=n_labels)
    ring = np.zeros(n_labels, bool)
    ring[reported] = True

    acts |= _on_ring_templates(labels, ring, size, runs if runs is not None else artifact_runs(links),
                               links.artifact_kind, df)

    # synchrony with another member
    if sync is not None and len(sync.a):
        same = member[sync.a] & (labels[sync.a] == labels[sync.b])
        acts[sync.a[same]] = True
        acts[sync.b[same]] = True

    # created in a burst with another member
    known = np.nonzero(member & (created >= 0))[0]
    order = known[np.lexsort((created[known], labels[known]))]
    if len(order) > 1:
        near = (labels[order[1:]] == labels[order[:-1]]) & (created[order[1:]] - created[order[:-1]] <= burst_seconds)
        acts[order[1:][near]] = True
        acts[order[:-1][near]] = True

    # young and heavy
    active = act.requests[act.requests > 0]
    median = float(np.median(active)) if len(active) else 1.0
    fresh = (created >= 0) & (created >= act.span_end - young_seconds)
    acts |= fresh & (act.requests >= HEAVY * max(median, 1.0))
    return acts & member


def drop_bystanders(labels: np.ndarray, reported: list[int], acts: np.ndarray) -> np.ndarray:
    """Labels with the members of `reported` rings that do not act with them set to -1."""
    ring = np.zeros(int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0, bool)
    ring[reported] = True
    in_ring = (labels >= 0) & ring[np.maximum(labels, 0)]
    return np.where(in_ring & ~acts, -1, labels)
