"""Prompt families through the ingest: SENT_FAMILY edges, the detector's `prompt_family` artifacts,
lockstep windows per family, and the same family id night after night."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from ingest_sample import write
from linkage.ingest.pipeline import ingest_directory
from linkage.settings import load_settings
from linkage.simulate import templates as T
from linkage.simulate.family_corpus import operator_bank
from linkage.store import open_store

pytestmark = pytest.mark.embedded

TEMPLATE, OTHER = operator_bank(2)
EVERYDAY = ["what is the capital of Peru", "summarise this article about the harbour strike in the north",
            "write a short note about the budget meeting on friday and who should bring the slides"]


def _requests(day: int, seed: int, n: int = 60) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):  # operator accounts o0..o5 fill one template; minute i, a few in lockstep
        rows.append({"ts": f"2024-05-0{day}T10:{i % 60:02d}:0{i % 3}Z", "account_id": f"o{i % 6}",
                     "ip": f"5.6.7.{i % 6}", "prompt": T.fill(TEMPLATE, rng, T.FILL_STYLES[i % 5])})
    for i in range(20):  # account x1 another template, everyday users their own words
        rows.append({"ts": f"2024-05-0{day}T11:{i:02d}:00Z", "account_id": "x1", "ip": "9.9.9.9",
                     "prompt": T.fill(OTHER, rng, "noisy")})
    for i, text in enumerate(EVERYDAY):
        rows.append({"ts": f"2024-05-0{day}T12:00:00Z", "account_id": f"u{i}", "ip": f"8.8.8.{i}", "prompt": text})
    return rows


def _ingest(data: Path, db: Path) -> None:
    with open_store(str(db)) as store:
        ingest_directory(store, data, load_settings())


def _families(db: Path) -> dict[str, set[str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out: dict[str, set[str]] = {}
        for acc, fam in con.execute("SELECT account_id, family_id FROM sent_family").fetchall():
            out.setdefault(fam, set()).add(acc)
        return out
    finally:
        con.close()


def test_accounts_filling_one_template_share_one_family_artifact(tmp_path: Path) -> None:
    write(tmp_path / "in" / "requests.jsonl", _requests(1, seed=1))
    _ingest(tmp_path / "in", tmp_path / "g.duckdb")
    families = _families(tmp_path / "g.duckdb")
    assert sorted(map(sorted, families.values())) == [[f"o{i}" for i in range(6)], ["x1"]]
    with open_store(str(tmp_path / "g.duckdb")) as store:
        arts = store.account_artifacts().to_pylist()
        fam_rows = [r for r in arts if r["kind"] == "prompt_family"]
        assert {r["account_id"] for r in fam_rows} == {f"o{i}" for i in range(6)} | {"x1"}
        assert sum(r["count"] for r in fam_rows if r["account_id"].startswith("o")) == 60
        assert not any(r["account_id"].startswith("u") for r in fam_rows)  # everyday: no family
        # the template fingerprint splits what the family keeps together
        prompts = {r["artifact"] for r in arts if r["kind"] == "prompt" and r["account_id"].startswith("o")}
        assert len(prompts) > 10
        groups = store.co_window_groups(max_group=50, kinds=("prompt_family",)).to_pylist()
        assert groups and all(not g["is_ip"] for g in groups)
        members = {}
        for g in groups:
            members.setdefault(g["group"], set()).add(g["account_id"])
        assert all(m <= {f"o{i}" for i in range(6)} and len(m) >= 2 for m in members.values())
        stored = store.read_table("prompt_family", ["family_id", "capability"]).to_pylist()
        assert {r["family_id"] for r in stored} == set(families)


def test_the_next_nights_fillings_land_in_the_same_family(tmp_path: Path) -> None:
    write(tmp_path / "d1" / "requests-1.jsonl", _requests(1, seed=1))
    write(tmp_path / "d2" / "requests-2.jsonl", _requests(2, seed=2, n=12))  # other fillings, fewer
    db = tmp_path / "g.duckdb"
    _ingest(tmp_path / "d1", db)
    before = _families(db)
    _ingest(tmp_path / "d2", db)
    after = _families(db)
    assert set(after) == set(before)  # no new family for the same templates
    con = duckdb.connect(str(db), read_only=True)
    counts = dict(con.execute("SELECT account_id, sum(count) FROM sent_family GROUP BY 1").fetchall())
    con.close()
    assert sum(v for k, v in counts.items() if k.startswith("o")) == 72 and counts["x1"] == 40
    # a fresh store mints the same ids from the second night alone (ids come from the content)
    _ingest(tmp_path / "d2", tmp_path / "fresh.duckdb")
    assert set(_families(tmp_path / "fresh.duckdb")) == set(before)
