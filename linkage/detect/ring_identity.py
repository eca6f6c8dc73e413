"""Tonight's communities mapped onto yesterday's rings, so a ring keeps its id.

A community takes the id of the previous ring it overlaps most when the overlap is
substantial (Jaccard ≥ `JACCARD` or either side ≥ `CONTAINMENT` contained in the
other). When several communities claim one ring, the largest overlap keeps the id
and the others are recorded as `split` from it; when one community absorbs several
previous rings, it keeps the id of the largest overlap and the others are recorded
as `merged` into it (and marked dissolved). Unmatched previous rings are
`dissolved`; unmatched communities are `new`; kept ids are `grown`, `shrunk` or
`stable` by size.
"""

from __future__ import annotations

from dataclasses import dataclass

import xxhash

JACCARD = 0.3
CONTAINMENT = 0.5


@dataclass
class Assignment:
    ring_id: str
    change: str  # new | grown | shrunk | stable | split
    detail: dict[str, object]


def new_ring_id(members: list[str]) -> str:
    """A content-derived id: the same first membership always gets the same id."""
    return "ring_" + xxhash.xxh3_64_hexdigest("\n".join(sorted(members)).encode())[:12]


def _substantial(inter: int, a: int, b: int) -> bool:
    union = a + b - inter
    return inter > 0 and (inter / union >= JACCARD or inter / a >= CONTAINMENT or inter / b >= CONTAINMENT)


def match_rings(communities: list[list[str]], previous: dict[str, set[str]]
                ) -> tuple[list[Assignment], list[tuple[str, str, dict[str, object]]]]:
    """Ids and changes for `communities`; also (old ring, change, detail) for rings that end."""
    owner: dict[str, str] = {a: rid for rid, mem in previous.items() for a in mem}
    overlaps: list[dict[str, int]] = []
    for members in communities:
        counts: dict[str, int] = {}
        for a in members:
            rid = owner.get(a)
            if rid is not None:
                counts[rid] = counts.get(rid, 0) + 1
        overlaps.append({r: c for r, c in counts.items()
                         if _substantial(c, len(members), len(previous[r]))})
    # each previous ring goes to the community with the largest overlap (ties: lowest index)
    claim: dict[str, int] = {}
    for i, ov in enumerate(overlaps):
        for rid, c in ov.items():
            if rid not in claim or c > overlaps[claim[rid]][rid]:
                claim[rid] = i
    assignments: list[Assignment] = []
    ending: list[tuple[str, str, dict[str, object]]] = []
    taken: set[str] = set()
    for i, (members, ov) in enumerate(zip(communities, overlaps)):
        mine = sorted((r for r in ov if claim[r] == i), key=lambda r: (-ov[r], r))
        if mine:
            rid = mine[0]
            taken.add(rid)
            before, after = len(previous[rid]), len(members)
            change = "grown" if after > before else "shrunk" if after < before else "stable"
            detail: dict[str, object] = {"before": before, "after": after}
            if len(mine) > 1:
                detail["absorbed"] = mine[1:]
            assignments.append(Assignment(rid, change, detail))
            for other in mine[1:]:
                taken.add(other)
                ending.append((other, "merged", {"into": rid}))
        elif ov:  # overlaps a ring that another community kept: a piece split off
            src = max(ov, key=lambda r: (ov[r], r))
            assignments.append(Assignment(new_ring_id(members), "split",
                                          {"from": src, "size": len(members)}))
        else:
            assignments.append(Assignment(new_ring_id(members), "new", {"size": len(members)}))
    for rid in sorted(previous):
        if rid not in taken:
            ending.append((rid, "dissolved", {"before": len(previous[rid])}))
    # the same content-derived id twice (cannot normally happen): make it unique
    seen: set[str] = set(previous)
    for asg in assignments:
        if asg.change in ("new", "split"):
            base, k = asg.ring_id, 1
            while asg.ring_id in seen:
                asg.ring_id = f"{base}_{k}"
                k += 1
        seen.add(asg.ring_id)
    return assignments, ending
