"""CLI: `linkage detect` (to be filled in)."""

from __future__ import annotations

from linkage.cli import app  # noqa: F401
