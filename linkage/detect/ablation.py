"""Leaving one kind of evidence out, to show that no single kind is a point of failure.

`Settings.ablate` names what detection must do without (comma-separated): the kinds of
artifact links it drops, or the temporal signals it ignores. bench/ablation.py runs
detection once per name and prints the recall each keeps.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from linkage.detect.inputs import KINDS, Links

# evidence name -> artifact kinds whose links are dropped
DROPPED_KINDS = {
    "cards": ("payment",),
    "templates": ("prompt", "prompt_family"),
    "network": ("ip", "proxy"),
}
SIGNALS = ("timing", "creation", "release")  # lockstep + synchrony, creation burst, release shift
EVIDENCE = (*DROPPED_KINDS, *SIGNALS)


@dataclass(frozen=True)
class Ablation:
    kinds: frozenset[str]  # artifact kinds left out
    timing: bool  # lockstep and synchrony left out
    creation: bool
    release: bool

    @staticmethod
    def parse(spec: str) -> "Ablation":
        names = {x.strip() for x in spec.split(",") if x.strip()}
        unknown = names - set(EVIDENCE)
        if unknown:
            raise ValueError(f"unknown evidence to ablate: {', '.join(sorted(unknown))}; "
                             f"choose among {', '.join(EVIDENCE)}")
        kinds = frozenset(k for n in names & set(DROPPED_KINDS) for k in DROPPED_KINDS[n])
        return Ablation(kinds, "timing" in names, "creation" in names, "release" in names)

    def links(self, links: Links) -> Links:
        """`links` without the links of the dropped kinds (artifact codes unchanged)."""
        if not self.kinds:
            return links
        codes = np.array([KINDS.index(k) for k in self.kinds])
        keep = ~np.isin(links.artifact_kind[links.artifact], codes)
        return replace(links, account=links.account[keep], artifact=links.artifact[keep],
                       count=links.count[keep], first_seen=links.first_seen[keep])

    def lockstep_kinds(self, kinds: tuple[str, ...]) -> tuple[str, ...]:
        """co_window kinds still usable: none without timing, none of a dropped kind (ip, prompt, family)."""
        if self.timing:
            return ()
        return tuple(k for k in kinds if k not in self.kinds)
