"""Ring detection: specificity → similarity → communities → scoring → identity → evidence.

One run (`detect`) reads the account–artifact links, lockstep pairs and hourly activity
through the store, and:
1. `specificity`: weighs each artifact IDF-like, damps hubs, drops giant hubs and the
   allowlist (documented rules, Settings knobs);
2. `similarity`: candidate pairs without an all-pairs step (small artifacts: all pairs;
   large ones: temporal neighbours by first use), weights per evidence family, a pair is
   linked only when independent families corroborate each other; top-k per account;
3. `temporal`: lockstep pairs (same prompt or IP, same short window, repeatedly; computed
   by the store) and each account's share of new-model traffic within 24 h of release;
4. `communities`: connected components, seeded weighted Leiden inside large ones, loosely
   attached members peeled off, ring-scored fragments of one operator re-joined;
5. `scoring`: named components in [0, 1] and their weighted mean, stored with the ring;
   then `consolidate` joins reported rings that share the operator's exclusive content
   (templates, cards, own builds — never network), so one operator comes back as one ring;
6. `ring_identity`: ids carried over by membership overlap, with new / grown / shrunk /
   stable / split / merged / dissolved recorded per run;
7. `evidence`: shortest account→artifact→account paths between two accounts.
"""

from __future__ import annotations

from linkage.detect.evidence import evidence_paths
from linkage.detect.pipeline import detect

__all__ = ["detect", "evidence_paths"]
