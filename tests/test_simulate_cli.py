"""`linkage simulate` as a user runs it: a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "linkage", "simulate", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def test_cli_writes_the_contract_and_prints_a_summary(tmp_path: Path) -> None:
    res = _run("--out", str(tmp_path), "--scale", "0.002", "--seed", "9", "--variant", "hard", "--format", "csv")
    assert res.returncode == 0, res.stderr
    for name in ("accounts.csv", "requests.csv", "payments.csv", "proxies.csv", "truth.csv", "scenario.json"):
        assert (tmp_path / name).stat().st_size > 0
    scenario = json.loads((tmp_path / "scenario.json").read_text())
    assert scenario["variant"] == "hard" and scenario["seed"] == 9
    assert f"{scenario['rows']['requests']:,}" in res.stdout
    for c in scenario["campaigns"]:
        assert c["ring_id"] in res.stdout
    assert "simulate requests" in res.stderr  # the progress bar


def test_cli_rejects_an_unknown_variant_with_exit_2(tmp_path: Path) -> None:
    res = _run("--out", str(tmp_path), "--variant", "nope")
    assert res.returncode == 2
    assert "unknown variant" in res.stderr
    assert not (tmp_path / "requests.parquet").exists()
