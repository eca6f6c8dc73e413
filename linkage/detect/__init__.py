"""Ring detection: specificity → similarity → communities → scoring → identity → evidence."""

from __future__ import annotations

from linkage.detect.evidence import evidence_paths
from linkage.detect.pipeline import detect

__all__ = ["detect", "evidence_paths"]
