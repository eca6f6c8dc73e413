"""The detection commands, invoked for real as `python -m linkage ...` subprocesses."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from detect_graphs import T0, GraphBuilder

from linkage.detect.temporal import lockstep
from linkage.store.embedded import EmbeddedStore

pytestmark = pytest.mark.embedded
ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("LINKAGE_STORE", None)
    return subprocess.run([sys.executable, "-m", "linkage", *args], capture_output=True, text=True,
                          env=env, timeout=120)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("cli") / "g.duckdb")
    g = GraphBuilder(11)
    g.ring("alpha", 30)
    g.ring("beta", 20)
    g.background(60)
    store = EmbeddedStore(path)
    g.write(store)
    store.close()
    done = cli("detect", "--store", path)
    assert done.returncode == 0, done.stderr
    assert "2 rings" in done.stderr and "new" in done.stderr
    return path


def test_rings_json_shape(store_path):
    done = cli("rings", "--store", store_path, "--format", "json")
    assert done.returncode == 0, done.stderr
    rings = json.loads(done.stdout)
    assert len(rings) == 2
    for r in rings:
        assert {"id", "score", "components", "members"} <= set(r)
        assert isinstance(r["id"], str) and 0 <= r["score"] <= 1
        assert isinstance(r["components"], dict) and all(isinstance(v, float) for v in r["components"].values())
        assert isinstance(r["members"], list) and all(isinstance(m, str) for m in r["members"])
    assert sorted(len(r["members"]) for r in rings) == [20, 30]


def test_rings_csv_one_row_per_member(store_path):
    done = cli("rings", "--store", store_path, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert set(rows[0]) == {"ring_id", "account_id", "score"}
    assert len(rows) == 50 and len({r["account_id"] for r in rows}) == 50


def test_rings_table_and_evidence(store_path):
    table = cli("rings", "--store", store_path)
    assert table.returncode == 0 and "2 rings" in table.stdout
    ev = cli("evidence", "alpha-000", "alpha-001", "--store", store_path, "--json")
    assert ev.returncode == 0, ev.stderr
    paths = json.loads(ev.stdout)
    assert paths and paths[0][0]["from_account"] == "alpha-000" and paths[0][-1]["to_account"] == "alpha-001"
    none = cli("evidence", "alpha-000", "user-0001", "--store", store_path, "--max-hops", "1")
    assert none.returncode == 1


def test_lockstep_pairs_grow_linearly_not_quadratically(tmp_path):
    """100 accounts firing together in 10 windows: at most 100·neighbours pairs, not 4,950."""
    g = GraphBuilder(0)
    accs = [f"a{i:03d}" for i in range(100)]
    for w in range(10):
        for acc in accs:
            g.window("prompt", "tpl", T0 + timedelta(minutes=10 * w), acc)
    store = EmbeddedStore(str(tmp_path / "l.duckdb"))
    g.write(store)
    a, b, windows, family = lockstep(store, {acc: i for i, acc in enumerate(accs)}, neighbours=3,
                                     max_group=1000, min_windows=3)
    assert 0 < len(a) <= 300
    assert windows.min() == 10  # the same neighbours, window after window
    assert (a < b).all() and len(set(zip(a.tolist(), b.tolist()))) == len(a)
    assert store.co_window_groups(max_group=50).num_rows == 0  # groups too big for lockstep
