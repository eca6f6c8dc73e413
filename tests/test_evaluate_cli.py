"""`linkage evaluate` end to end: a real DuckDB store, rings saved by hand, a truth.csv on disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pytest

from linkage.store import open_store
from linkage.store.models import DetectionResult, DetectionRun, Ring, RingMember

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
TS = pa.timestamp("us", tz="UTC")

RING1 = [f"r1-{i}" for i in range(4)]
RING2 = [f"r2-{i}" for i in range(4)]
LEGIT = [f"legit-{i}" for i in range(6)]


def _edges(rows: list[tuple[str, str]], art_col: str, cnt_col: str) -> pa.Table:
    n = len(rows)
    return pa.table({"account_id": [a for a, _ in rows], art_col: [x for _, x in rows],
                     cnt_col: pa.array([3] * n, pa.int64()),
                     "first_seen": pa.array([T0] * n, TS), "last_seen": pa.array([T0] * n, TS)})


def build_store(path: Path) -> None:
    """Two rings sharing a card and a template each, a NAT IP bridging them, six legit accounts;
    the 'detector' reported ring 1 correctly and ring 2 with one legitimate account added."""
    accounts = RING1 + RING2 + LEGIT
    account = pa.table({
        "account_id": accounts, "created_at": pa.array([T0] * len(accounts), TS),
        "email_hash": pa.array([None] * len(accounts), pa.string()),
        "email_domain": pa.array([None] * len(accounts), pa.string()),
        "country": pa.array([None] * len(accounts), pa.string()),
        "org_id": pa.array([None] * len(accounts), pa.string())})
    paid = [(a, "card-1") for a in RING1] + [(a, "card-2") for a in RING2]
    sent = [(a, "tpl-1") for a in RING1] + [(a, "tpl-2") for a in RING2] + [(a, f"own-{a}") for a in LEGIT]
    used = [(a, f"ip-{a}") for a in accounts] + [("r1-0", "nat"), ("r2-0", "nat"), ("legit-0", "nat")]
    with open_store(str(path)) as store:
        store.merge_batch({"account": account, "paid_with": _edges(paid, "instrument_id", "payments"),
                           "sent": _edges(sent, "fingerprint", "count"),
                           "used_ip": _edges(used, "ip", "requests")}, [])
        run = DetectionRun(run_id="run-1", started_at=T0, finished_at=T0, duration_s=1.5,
                           params={}, counts={"rings": 2})
        rings = [Ring(ring_id="ring-a", score=0.9, components={"kinds": 1.0}, size=4,
                      created_run="run-1", updated_run="run-1"),
                 Ring(ring_id="ring-b", score=0.8, components={"kinds": 1.0}, size=5,
                      created_run="run-1", updated_run="run-1")]
        members = [RingMember(account_id=a, ring_id="ring-a", score=0.9, since=T0) for a in RING1]
        members += [RingMember(account_id=a, ring_id="ring-b", score=0.8, since=T0)
                    for a in RING2 + ["legit-5"]]
        store.save_detection(DetectionResult(run=run, rings=rings, members=members, changes=[]))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "linkage", *args], capture_output=True, text=True,
                          env=env, timeout=120)


@pytest.fixture()
def scenario(tmp_path: Path) -> tuple[Path, Path]:
    db = tmp_path / "eval.duckdb"
    build_store(db)
    truth = tmp_path / "truth.csv"
    # legit-4 and legit-5 are not listed: absent accounts count as legitimate
    lines = ["account_id,ring_id"] + [f"{a},OP1" for a in RING1] + [f"{a},OP2" for a in RING2]
    lines += [f"{a}," for a in LEGIT[:4]]
    truth.write_text("\n".join(lines) + "\n")
    return db, truth


@pytest.mark.embedded
def test_evaluate_json_scores_linkage_and_baselines(scenario: tuple[Path, Path]) -> None:
    db, truth = scenario
    res = run_cli("evaluate", "--truth", str(truth), "--store", str(db), "--format", "json")
    assert res.returncode == 0, res.stderr
    methods = {m["method"]: m for m in json.loads(res.stdout)["methods"]}
    assert list(methods) == ["linkage", "union_find", "jaccard_wcc", "fraudar"]
    lk = methods["linkage"]
    assert lk["precision"] == pytest.approx(8 / 9) and lk["recall"] == 1.0
    assert lk["legit_flagged"] == 1 and lk["legit_total"] == 6
    assert lk["purity"] == pytest.approx(8 / 9) and lk["seconds"] == 1.5
    assert lk["merged_rings"] == 0
    # union-find chains both rings and legit-0 through the NAT
    uf = methods["union_find"]
    assert uf["rings"] == 1 and uf["merged_rings"] == 1 and uf["legit_flagged"] == 1
    assert {c["truth_ring"]: c["merged_with"] for c in uf["campaigns"]} == {"OP1": ["OP2"], "OP2": ["OP1"]}
    # Jaccard does not merge, but the NAT pushes r1-0 and r2-0 below the cutoff (2/5 < 0.5)
    jw = methods["jaccard_wcc"]
    assert jw["merged_rings"] == 0 and jw["precision"] == 1.0 and jw["recall"] == pytest.approx(6 / 8)
    assert all(m["seconds"] is not None and m["error"] is None for m in methods.values())


@pytest.mark.embedded
def test_evaluate_table_without_baselines(scenario: tuple[Path, Path]) -> None:
    db, truth = scenario
    res = run_cli("evaluate", "--truth", str(truth), "--store", str(db), "--no-baselines")
    assert res.returncode == 0, res.stderr
    assert "linkage" in res.stdout and "union_find" not in res.stdout
    assert "OP1" in res.stdout and "ring-b" in res.stdout


@pytest.mark.embedded
def test_evaluate_rejects_bad_truth_and_unknown_baseline(scenario: tuple[Path, Path], tmp_path: Path) -> None:
    db, truth = scenario
    assert run_cli("evaluate", "--truth", str(tmp_path / "nope.csv"), "--store", str(db)).returncode == 2
    res = run_cli("evaluate", "--truth", str(truth), "--store", str(db), "--baseline", "pagerank")
    assert res.returncode == 2 and "unknown baseline" in res.stderr
