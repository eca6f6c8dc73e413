"""Score each community in [0, 1] from named, stored components.

Each component is in [0, 1]:
- evidence_kinds: independent evidence families that tie ≥30% of the members
  together through linked pairs (1 family → 0, 4 or more → 1);
- exclusivity: of the artifacts ≥2 members share, how much of their use is inside
  the community (member-weighted);
- template_concentration: share of members' prompt traffic on templates (exact
  fingerprints or near-duplicate families) that ≥10% (and ≥3) of members send and that
  are mostly sent by members of candidate rings;
- capability_targeting: of that templated traffic, the share aimed at reasoning,
  coding or tool use;
- synchrony: share of members in lockstep with another member on a prompt, or in
  synchrony with one (the same seconds beyond chance, whatever was sent);
- creation_burst: share of members created within `burst_minutes` of another member;
- account_youth: share of members created within `young_days` of the data's end (half
  young → 0, nine tenths → 1), and no more than how surprising that many young members are
  at the young share of every account outside it (binomial tail; full at
  10^-`youth_saturation_log10p`):
  three young accounts of a team happen by chance, thirty do not;
- volume: members' median requests against the population median (10× → 1);
- release_shift: members' share of new-model traffic within `release_window_hours` of
  a release, above the population's.
The score (`combine`) rests on the operator *behaviours* only (templates, synchrony,
creation, release shift, volume): evidence kinds and exclusivity say a group is tied
together, which households and companies are too. Youth and volume describe each account
alone: a small young heavy team has both by chance (about one legitimate account in six
is young), so they count only beside something the members do *together* (templates,
synchrony, a creation burst, a release rush): the coordination gate. Companies (one NAT, one card, one
domain, internal templates, office hours) score low: no lockstep, old accounts, no
release rush; a company's scripted pipeline is stopped by the lifecycle gate.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import binom

from linkage.detect.grouping import ArtifactRuns, Groups, artifact_runs
from linkage.detect.inputs import KINDS, Links
from linkage.detect.similarity import KIND_MIN, PairWeights
from linkage.detect.specificity import FAMILIES, TIMING
from linkage.detect.synchrony import SyncPairs
from linkage.detect.temporal import Activity

COMPONENTS = ("evidence_kinds", "exclusivity", "template_concentration", "capability_targeting", "synchrony",
              "creation_burst", "account_youth", "volume", "release_shift")
# What operators do that ordinary groups do not, each in [0, 1]; the score is the mean of the
# best TOP of them (several weak signals agreeing, none required), times the lifecycle gate.
BEHAVIOURS = ("template_concentration", "synchrony", "creation", "release_shift", "volume")
# ...and times the coordination gate: what members do together, not what each account is
# (youth and volume are per account)
COORDINATED = ("template_concentration", "synchrony", "creation_burst", "release_shift")
TOP = 3
GATE_SIZE = (10, 30)
TARGETED = ("reasoning", "coding", "tool_use")
PROMPT = KINDS.index("prompt")
TEMPLATE_KINDS = (PROMPT, KINDS.index("prompt_family"))


def _per_label_mean(labels: np.ndarray, values: np.ndarray, n_labels: int) -> np.ndarray:
    cnt = np.bincount(labels, minlength=n_labels)
    return np.bincount(labels, weights=values, minlength=n_labels) / np.maximum(cnt, 1)


def _evidence_kinds(labels: np.ndarray, pw: PairWeights, linked: np.ndarray, size: np.ndarray,
                    n_labels: int) -> np.ndarray:
    """Families whose linked intra-community pairs touch >= 30% of the members (1 → 0, 4+ → 1)."""
    pair = np.flatnonzero(linked)  # linked pairs are few next to the candidates: index them first
    lab_a = labels[pw.a[pair]]
    pair = pair[(lab_a >= 0) & (lab_a == labels[pw.b[pair]])]
    ia, ib, w = pw.a[pair], pw.b[pair], pw.w[pair]
    n_fam = np.zeros(n_labels)
    touched = np.zeros(len(labels), bool)
    for f in range(len(FAMILIES)):
        on = w[:, f] >= KIND_MIN
        touched[:] = False
        touched[ia[on]] = True
        touched[ib[on]] = True
        cover = np.bincount(labels[touched], minlength=n_labels) / np.maximum(size, 1)
        n_fam += cover >= 0.3
    return np.clip((n_fam - 1) / 3.0, 0, 1)


def _exclusivity(groups: Groups, df: np.ndarray, n_labels: int) -> np.ndarray:
    """Of the artifacts >= 2 members share, how much of their use is inside (member-weighted)."""
    shared = groups.links >= 2
    c, lab = groups.links[shared], groups.label[shared]
    num = np.bincount(lab, weights=c * (c / df[groups.artifact[shared]]), minlength=n_labels)
    den = np.bincount(lab, weights=c.astype(float), minlength=n_labels)
    return np.where(den > 0, num / np.maximum(den, 1), 0.0)


def _templates(groups: Groups, artifact_kind: np.ndarray, df: np.ndarray, capability: np.ndarray,
               size: np.ndarray, n_labels: int) -> tuple[np.ndarray, np.ndarray]:
    """Template concentration and capability targeting (by request counts), the better template kind's.

    Per template kind: exact fingerprints, and near-duplicate families where the store has them
    (one agentic template with random fill-ins gives every prompt its own fingerprint but one
    family). A ring's template is mostly sent by candidate-ring members (of this or a sibling
    community: a big operator may come out as several communities), not by the crowd."""
    # template kinds' groups only (every group of a template artifact is one of them)
    of_templates = np.flatnonzero(np.isin(artifact_kind[groups.artifact], TEMPLATE_KINDS))
    lab, art, traffic = groups.label[of_templates], groups.artifact[of_templates], groups.traffic[of_templates]
    n_links = groups.links[of_templates]
    kind = artifact_kind[art]
    in_any = np.bincount(art, weights=n_links, minlength=len(df))  # member links per artifact
    broad = (n_links >= np.maximum(3, 0.1 * size)[lab]) & (in_any[art] / df[art] >= 0.5)
    conc, targeting = np.zeros(n_labels), np.zeros(n_labels)
    for k in TEMPLATE_KINDS:
        of_kind = kind == k
        templ = broad & of_kind
        total = np.bincount(lab[of_kind], weights=traffic[of_kind], minlength=n_labels)
        on_t = np.bincount(lab[templ], weights=traffic[templ], minlength=n_labels)
        tgt = templ & capability[art]
        on_tgt = np.bincount(lab[tgt], weights=traffic[tgt], minlength=n_labels)
        k_conc = np.where(total > 0, on_t / np.maximum(total, 1), 0.0)
        better = k_conc > conc
        conc = np.where(better, k_conc, conc)
        targeting = np.where(better, np.where(on_t > 0, on_tgt / np.maximum(on_t, 1), 0.0), targeting)
    return conc, targeting


def score_communities(labels: np.ndarray, links: Links, df: np.ndarray, pw: PairWeights,
                      linked: np.ndarray, lock: tuple[np.ndarray, ...],
                      lock_min_windows: int, created: np.ndarray, act: Activity,
                      capability: np.ndarray, burst_seconds: float,
                      sync: SyncPairs | None = None, young_seconds: float = 120 * 86_400,
                      min_coordination: float = 0.0, youth_saturation_log10p: float = 0.0,
                      runs: ArtifactRuns | None = None) -> list[dict[str, float]]:
    """Components per community label 0..L-1 (see module doc).

    `runs`: the links in artifact order (`grouping.artifact_runs(links)`), built here when absent;
    a caller that scores several labellings builds it once."""
    n_labels = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    if n_labels == 0:
        return []
    size = np.bincount(labels[labels >= 0], minlength=n_labels).astype(float)
    comps: dict[str, np.ndarray] = {}

    comps["evidence_kinds"] = _evidence_kinds(labels, pw, linked, size, n_labels)
    # artifacts shared inside each community: one group per (community, artifact) its members use
    groups = (runs if runs is not None else artifact_runs(links)).groups(labels, n_labels)
    comps["exclusivity"] = _exclusivity(groups, df, n_labels)
    comps["template_concentration"], comps["capability_targeting"] = _templates(
        groups, links.artifact_kind, df, capability, size, n_labels)

    # synchrony: members acting in the same seconds as another member beyond chance. Lockstep
    # on a prompt (same template, same 10 minutes) has no chance model: an office team sending
    # its internal templates during office hours has it too. It links pairs, but counts here
    # only for a store without tick data (`sync` None).
    in_lock = np.zeros(len(labels), float)
    if sync is None:
        la, lb, win, fam = lock
        ok = (win >= lock_min_windows) & (fam == TIMING) & (labels[la] >= 0) & (labels[la] == labels[lb])
        in_lock[la[ok]] = 1.0
        in_lock[lb[ok]] = 1.0
    elif len(sync.a):
        ok = (labels[sync.a] >= 0) & (labels[sync.a] == labels[sync.b])
        in_lock[sync.a[ok]] = 1.0
        in_lock[sync.b[ok]] = 1.0
    members = np.nonzero(labels >= 0)[0]
    comps["synchrony"] = _per_label_mean(labels[members], in_lock[members], n_labels)

    # creation burst: nearest other member's creation within burst_seconds
    known = members[created[members] >= 0]
    order = np.lexsort((created[known], labels[known]))
    s_acc = known[order]
    s_lab, s_t = labels[s_acc], created[s_acc]
    close = np.zeros(len(s_acc), bool)
    if len(s_acc) > 1:
        near = (s_lab[1:] == s_lab[:-1]) & (s_t[1:] - s_t[:-1] <= burst_seconds)
        close[1:] |= near
        close[:-1] |= near
    comps["creation_burst"] = _per_label_mean(s_lab, close.astype(float), n_labels)
    # youth: members created within `young_seconds` of the data's end (disposable accounts)
    young = (created[known] >= 0) & (created[known] >= act.span_end - young_seconds)
    # a fresh operator's accounts are (nearly) all young; ~1 in 10 ordinary accounts is
    share = _per_label_mean(labels[known], young.astype(float), n_labels)
    comps["account_youth"] = np.clip((share - 0.5) / 0.4, 0, 1)
    if youth_saturation_log10p > 0:
        comps["account_youth"] = np.minimum(comps["account_youth"], _youth_surprise(
            labels[known], young, n_labels, created, act.span_end - young_seconds, youth_saturation_log10p))

    # volume: median requests per member vs population median of active accounts
    active_req = act.requests[act.requests > 0]
    pop_median = float(np.median(active_req)) if len(active_req) else 1.0
    order = np.lexsort((act.requests[members], labels[members]))
    m_sorted, l_sorted = members[order], labels[members][order]
    starts = np.searchsorted(l_sorted, np.arange(n_labels))
    mid = starts + (size.astype(np.int64) // 2)
    med = act.requests[m_sorted[np.minimum(mid, len(m_sorted) - 1)]].astype(float)
    comps["volume"] = np.clip(np.log10(np.maximum(med, 1e-9) / max(pop_median, 1.0)), 0, 1)

    # release shift among members active in a release window
    act_m = members[act.release_active[members]]
    mean_share = _per_label_mean(labels[act_m], act.release_share[act_m], n_labels)
    pop = act.population_release_share
    has = np.bincount(labels[act_m], minlength=n_labels) > 0
    shift = np.clip(2.0 * (mean_share - pop) / max(1e-9, 1.0 - pop), 0, 1)
    comps["release_shift"] = np.where(has, shift, 0.0)

    scores = combine(comps, size, min_coordination)
    out = []
    for i in range(n_labels):
        row = {k: round(float(comps[k][i]), 4) for k in COMPONENTS}
        row["score"] = round(float(scores[i]), 4)
        out.append(row)
    return out


def _youth_surprise(labels: np.ndarray, young: np.ndarray, n_labels: int, created: np.ndarray,
                    young_since: float, saturation: float) -> np.ndarray:
    """Per label: -log10 P(at least this many young members | the young share of every account
    outside it) / saturation, in [0, 1]. Outside only: a big ring would raise its own baseline."""
    known = created >= 0
    n = np.bincount(labels, minlength=n_labels)
    k = np.bincount(labels, weights=young.astype(float), minlength=n_labels)
    rest_n = np.maximum(int(known.sum()) - n, 0)
    rest_young = np.maximum(float(np.sum(created[known] >= young_since)) - k, 0)
    p0 = np.where(rest_n > 0, rest_young / np.maximum(rest_n, 1), 0.0)
    with np.errstate(divide="ignore"):
        surprise = -binom.logsf(k - 1, n, np.clip(p0, 1e-12, 1.0)) / np.log(10)
    surprise = np.where(k > 0, np.nan_to_num(surprise, posinf=np.inf), 0.0)
    return np.clip(surprise / saturation, 0, 1)


def combine(comps: dict[str, np.ndarray], size: np.ndarray, min_coordination: float = 0.0) -> np.ndarray:
    """Score per community from its components and sizes (see module doc).

    The mean of the TOP strongest behaviours, so that any three agreeing suffice and no
    single one is needed; times a gate max(creation, release shift, scale): an operator's
    accounts are fresh, or chase a release, or are many (scale: 0 at GATE_SIZE[0]
    members, 1 at GATE_SIZE[1]), while a company's scripted pipeline (a few accounts,
    one template, on a schedule, heavy) is none of these and must not be a ring.
    Times the coordination gate min(1, best COORDINATED behaviour / `min_coordination`)
    (0: off): accounts that are merely young and heavy, each on its own, are no ring.
    """
    creation = np.maximum(comps["creation_burst"], comps["account_youth"])
    values = np.stack([creation if b == "creation" else comps[b] for b in BEHAVIOURS], axis=1)
    top = -np.sort(-values, axis=1)[:, :TOP].mean(axis=1)
    scale = np.clip((size - GATE_SIZE[0]) / (GATE_SIZE[1] - GATE_SIZE[0]), 0, 1)
    gate = np.maximum.reduce([creation, comps["release_shift"], scale])
    if min_coordination > 0:
        together = np.maximum.reduce([comps[k] for k in COORDINATED])
        gate = gate * np.clip(together / min_coordination, 0, 1)
    return top * gate
