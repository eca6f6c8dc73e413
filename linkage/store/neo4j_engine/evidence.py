"""Evidence paths on Neo4j: Cypher `ALL SHORTEST` over account -> artifact -> account hops.

Same shape and order as the embedded engine (`linkage.detect.evidence`): hops carry the
artifact's kind, value, specificity and how many accounts use it; paths are sorted by their
weakest hop, strongest first. Specificity comes from the shared rule
(`linkage.detect.specificity`) applied to the artifacts on the paths, with the account count
of the whole graph; artifacts that rule gives 0 (hubs past the drop cutoff) and allowlisted
ones are blocked in the search itself.

One difference: the embedded engine also walks proxy pools (an account uses a proxy through
its IPs); a proxy hop is two graph hops here (IP -> Proxy <- IP), which one Cypher
quantified pattern cannot mix with direct hops, so Neo4j paths go through the five direct
kinds only. Proxies are weak evidence (weight 0.3, mostly damped hubs), so this changes a
path only where a proxy is the sole tie.
"""

from __future__ import annotations

import numpy as np

from linkage.detect.evidence import EvidenceHop, EvidencePath
from linkage.detect.inputs import KINDS, Links, read_allowlist
from linkage.detect.specificity import specificity
from linkage.settings import Settings

MAX_HOPS = 6  # the literal bound in evidence_paths.cypher


def specificity_of(kinds: list[str], accounts_using: list[int], n_accounts: int,
                   settings: Settings) -> np.ndarray:
    """The shared specificity rule for a few artifacts, given how many accounts use each."""
    m = len(kinds)
    df = np.asarray(accounts_using, np.int64)
    links = Links(
        account_ids=np.empty(max(n_accounts, 0), dtype=object),
        artifact_kind=np.array([KINDS.index(k) for k in kinds], np.int8),
        artifact_value=np.empty(m, dtype=object),
        account=np.zeros(int(df.sum()), np.int64), artifact=np.repeat(np.arange(m, dtype=np.int64), df),
        count=np.ones(int(df.sum()), np.int64), first_seen=np.zeros(int(df.sum()), np.int64))
    return specificity(links, settings).value


def drop_cutoff(n_accounts: int, settings: Settings) -> float:
    """Above this many accounts an artifact never links (specificity.py's drop rule)."""
    n = max(2, n_accounts)
    cutoff = max(float(settings.hub_accounts), settings.hub_fraction * n)
    return max(cutoff, settings.hub_drop_fraction * n)


def evidence_paths(store, a: str, b: str, max_hops: int, settings: Settings, limit: int) -> list[EvidencePath]:
    if max_hops > MAX_HOPS:
        raise ValueError(f"the Neo4j engine searches evidence paths of at most {MAX_HOPS} hops")
    if a == b:
        return []
    n_accounts = int(store._read("account_count")[0][0])
    allowlist = [{"kind": k, "value": v} for k, v in sorted(read_allowlist(settings.allowlist))]
    blocked = [r[0] for r in store._read("evidence_blocked", allowlist=allowlist,
                                          max_accounts=int(drop_cutoff(n_accounts, settings)))]
    rows = store._read("evidence_paths", account_a=a, account_b=b, blocked=blocked, candidates=limit * 5)
    raw = [hops for (hops,) in rows if 0 < len(hops) <= max_hops]
    if not raw:
        return []
    flat = [h for hops in raw for h in hops]
    spec = specificity_of([h["kind"] for h in flat], [int(h["accounts_using"]) for h in flat], n_accounts,
                          settings)
    paths, i = [], 0
    for hops in raw:
        out = []
        for h in hops:
            out.append(EvidenceHop(from_account=h["from_account"], kind=h["kind"], artifact=str(h["artifact"]),
                                   specificity=round(float(spec[i]), 4), accounts_using=int(h["accounts_using"]),
                                   to_account=h["to_account"]))
            i += 1
        paths.append(EvidencePath(hops=out))
    paths.sort(key=lambda p: (-p.strength, [(h.kind, h.artifact, h.to_account) for h in p.hops]))
    return paths[:limit]
