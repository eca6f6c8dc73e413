"""The STIX 2.1 bundle: producer identity, an indicator per artifact, an intrusion-set per ring.

Ids are derived from content (a hash of the producer, ring id or artifact, in UUIDv4 form), so exporting
again updates the same objects at the receiver instead of duplicating them. Confidence
(0-100) is the ring's score times the share of the artifact's users that are ring members;
an artifact shared by several rings gets one indicator, related to each of them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import stix2

from linkage.indicators.patterns import artifact_pattern
from linkage.indicators.selection import CONTEXT_KINDS, select_rings, shared_artifacts
from linkage.store.base import GraphStore

TLP = {"clear": stix2.TLP_WHITE, "white": stix2.TLP_WHITE, "green": stix2.TLP_GREEN,
       "amber": stix2.TLP_AMBER, "red": stix2.TLP_RED}
_NAMESPACE = uuid.UUID("6c0f3a52-51b7-4c43-9d7e-3f1f3c1b9a11")  # Linkage's, fixed forever


def stix_id(kind: str, *parts: str) -> str:
    """A deterministic id in the UUIDv4 form STIX asks of SDOs and SROs (bits of a uuid5 hash)."""
    digest = uuid.uuid5(_NAMESPACE, chr(31).join(parts)).bytes
    return f"{kind}--{uuid.UUID(bytes=digest, version=4)}"


@dataclass
class ExportSummary:
    rings: int = 0
    indicators: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    skipped: int = 0  # artifacts with no pattern (e.g. a user agent id without its text)


def _lookups(store: GraphStore) -> tuple[dict[str, str], dict[str, list[str]]]:
    uas = store.read_table("user_agent", ["ua_id", "user_agent"]).to_pylist()
    ranges: dict[str, list[str]] = {}
    for r in store.read_table("proxy_range", ["network", "proxy_id"]).to_pylist():
        ranges.setdefault(r["proxy_id"], []).append(r["network"])
    return {u["ua_id"]: u["user_agent"] for u in uas if u["user_agent"]}, ranges


def build_bundle(store: GraphStore, status: str = "active", since: date | None = None, tlp: str = "amber",
                 producer: str = "Linkage", min_ring_share: float = 0.5,
                 now: datetime | None = None) -> tuple[stix2.Bundle, ExportSummary]:
    """The bundle of the chosen rings' shareable artifacts (see `linkage.indicators.selection`)."""
    if tlp not in TLP:
        raise ValueError(f"unknown TLP {tlp!r}; choose one of {', '.join(TLP)}")
    marking, now = TLP[tlp], now or datetime.now(timezone.utc)
    common = {"object_marking_refs": [marking], "created": now, "modified": now}
    identity = stix2.Identity(id=stix_id("identity", producer), name=producer, identity_class="system",
                              description="Linkage account-linkage engine: operator rings found in API logs.",
                              **common)
    common["created_by_ref"] = identity.id
    chosen = select_rings(store, status, since)
    arts = shared_artifacts(store, [c.ring for c in chosen], min_ring_share)
    user_agents, proxy_ranges = _lookups(store)
    summary = ExportSummary(rings=len(chosen))
    objects: list[object] = [identity]
    indicators: dict[tuple[str, str], dict] = {}
    links: list[tuple[tuple[str, str], str, int]] = []
    for sel in chosen:
        ring = sel.ring
        confidence = int(round(100 * ring.score))
        iset = stix2.IntrusionSet(
            id=stix_id("intrusion-set", producer, ring.ring_id), name=f"Linkage ring {ring.ring_id}",
            description=f"{ring.size} accounts acting as one operator; score {ring.score:.3f}; "
                        f"analyst status {sel.status}.",
            confidence=confidence, **common)
        objects.append(iset)
        for art in arts[ring.ring_id]:
            key = (art.kind, art.value)
            conf = max(1, int(round(100 * ring.score * min(1.0, art.ring_share))))
            if key not in indicators:
                pattern = artifact_pattern(art.kind, art.value, user_agents, proxy_ranges)
                if pattern is None:
                    summary.skipped += 1
                    continue
                indicators[key] = {"pattern": pattern, "confidence": conf}
            indicators[key]["confidence"] = max(indicators[key]["confidence"], conf)
            links.append((key, iset.id, conf))
    for (kind, value), info in sorted(indicators.items()):
        p = info["pattern"]
        objects.append(stix2.Indicator(
            id=stix_id("indicator", producer, kind, value), name=p.name, description=p.description,
            pattern=p.pattern, pattern_type="stix", valid_from=now, confidence=info["confidence"],
            indicator_types=["anonymization" if kind in CONTEXT_KINDS else "malicious-activity"], **common))
        summary.by_kind[kind] = summary.by_kind.get(kind, 0) + 1
    for (kind, value), iset_id, conf in links:
        if (kind, value) not in indicators:
            continue
        ind_id = stix_id("indicator", producer, kind, value)
        objects.append(stix2.Relationship(
            id=stix_id("relationship", ind_id, iset_id), relationship_type="indicates", source_ref=ind_id,
            target_ref=iset_id, confidence=conf, **common))
    summary.indicators = len(indicators)
    objects.append(marking)
    return stix2.Bundle(objects=objects, id=stix_id("bundle", producer, now.isoformat())), summary
