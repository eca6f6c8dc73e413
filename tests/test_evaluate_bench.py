"""bench/bench_detect.py on a tiny hand-written input directory: stages run, RSS measured, scores printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def write_inputs(d: Path) -> None:
    """Two rings (shared card + template per ring, proxy IPs) and ten legitimate accounts."""
    d.mkdir()
    accounts, requests, payments, truth = [], [], [], []
    for r in ("A", "B"):
        for i in range(5):
            acc = f"ring{r}{i}"
            accounts.append(f"{acc},2026-01-0{1 + i}T00:00:00Z")
            for k in range(3):
                requests.append(f"2026-01-10T0{k}:0{i}:00Z,{acc},10.{ord(r)}.0.{k},Template {r}: explain step by step")
            payments.append(f"{acc},card-{r},2026-01-05T00:00:00Z")
            truth.append(f"{acc},OP{r}")
    topics = ["sourdough starter", "tax forms", "guitar chords", "python decorators", "tide tables",
              "knitting socks", "bike gears", "moon phases", "chess openings", "tomato blight"]
    for i, topic in enumerate(topics):
        acc = f"user{i}"
        accounts.append(f"{acc},2025-06-01T00:00:00Z")
        requests.append(f"2026-01-10T05:00:00Z,{acc},192.168.{i}.1,how do I deal with {topic}")
        payments.append(f"{acc},card-u{i},2026-01-05T00:00:00Z")
        truth.append(f"{acc},")
    (d / "accounts.csv").write_text("account_id,created_at\n" + "\n".join(accounts) + "\n")
    (d / "requests.csv").write_text("ts,account_id,ip,prompt\n" + "\n".join(requests) + "\n")
    (d / "payments.csv").write_text("account_id,instrument_fingerprint,ts\n" + "\n".join(payments) + "\n")
    (d / "truth.csv").write_text("account_id,ring_id\n" + "\n".join(truth) + "\n")


@pytest.mark.embedded
@pytest.mark.slow
def test_bench_detect_runs_stages_and_scores(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_inputs(data)
    out = tmp_path / "bench.json"
    res = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_detect.py"), str(data), "--workdir", str(tmp_path / "w"),
         "--baseline", "union_find", "--baseline", "jaccard_wcc", "--json-out", str(out)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    report = json.loads(out.read_text())
    stages = {s["name"]: s for s in report["stages"]}
    assert list(stages) == ["ingest", "detect", "evaluate"], res.stderr
    # every stage must succeed, and the script says so in its exit code
    assert {name: s["returncode"] for name, s in stages.items()} == {"ingest": 0, "detect": 0, "evaluate": 0}, \
        res.stderr
    assert res.returncode == 0, res.stderr
    assert all(s["peak_rss_mb"] > 10 and s["seconds"] > 0 for s in stages.values())
    methods = {m["method"]: m for m in report["scores"]}
    assert set(methods) == {"linkage", "union_find", "jaccard_wcc"}
    # the rings share a card and a template and nothing links them to each other
    uf = methods["union_find"]
    assert uf["recall"] == 1.0 and uf["precision"] == 1.0 and uf["merged_rings"] == 0
    # detect ran and was scored: its own row holds real figures, not a failed stage's blanks
    assert methods["linkage"].get("error") in (None, "") and 0.0 <= methods["linkage"]["precision"] <= 1.0
    assert "Stages" in res.stdout and "peak RSS MB" in res.stdout
