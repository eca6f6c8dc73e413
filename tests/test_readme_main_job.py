"""The README's main command is `make demo`; this runs exactly that target (on a tiny scale,
in a temporary folder) so the README and the code cannot drift apart."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_readme_names_the_two_make_targets_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text()
    assert re.search(r"^make demo\b", readme, re.M)
    assert re.search(r"^make test\b", readme, re.M)
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


@pytest.mark.slow
def test_make_demo_runs_the_main_job_and_finds_rings(tmp_path: Path) -> None:
    demo, store = tmp_path / "demo", tmp_path / "demo.duckdb"
    done = subprocess.run(
        ["make", "-C", str(ROOT), "demo", f"DEMO={demo}", f"DEMO_STORE={store}", "SCALE=0.005"],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (demo / "truth.csv").exists()
    rings = subprocess.run(
        [sys.executable, "-m", "linkage", "rings", "--store", str(store), "--format", "json"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    found = json.loads(rings.stdout)
    assert found, "the demo found no rings"
    assert {"id", "score", "components", "members"} <= set(found[0])
