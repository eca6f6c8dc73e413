"""Detection on the graphs a new deployment starts with: an empty store, accounts that share nothing.
Both finish with no ring (and a recorded run), rather than crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linkage.detect import detect
from linkage.ingest.pipeline import ingest_directory
from linkage.settings import load_settings
from linkage.store import open_store

pytestmark = pytest.mark.embedded


def test_an_empty_store_has_no_ring() -> None:
    with open_store(":memory:") as store:
        result = detect(store, load_settings())
        assert result.rings == [] and result.run.counts["accounts"] == 0
        assert detect(store, load_settings()).rings == []  # and again, over the first (empty) run


def test_accounts_that_share_nothing_have_no_ring(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    (data / "requests.jsonl").write_text("".join(
        json.dumps({"ts": f"2026-03-01T10:0{i}:00Z", "account_id": f"a{i}", "ip": f"10.0.0.{i}",
                    "prompt": f"question number {i} about topic {'xyzw'[i]}"}) + "\n" for i in range(4)))
    with open_store(":memory:") as store:
        ingest_directory(store, data, load_settings(quarantine_dir=tmp_path / "q"))
        result = detect(store, load_settings())
        assert result.run.counts["accounts"] == 4
        assert result.rings == [] and result.run.counts["flagged_accounts"] == 0
