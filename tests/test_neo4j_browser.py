"""For analysts: Neo4j Browser, served by the test server, shows the guide's first step in our style.

Headless Chromium (Debian's package) driven by playwright-core (npm) opens /browser, connects,
loads cypher/browser/linkage.grass with `:style`, sets the step's `:param`s, runs the query, and
saves a screenshot under the test's output (a copy goes to bench/ for the record). The test then
checks the picture against the database: the rings and members drawn, in the style's colours.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from neo4j_bulk import BulkLoad, bulk_loaded  # noqa: F401

from linkage.store.browser_guide import browser_guide, style_sheet

pytestmark = pytest.mark.neo4j
ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("LINKAGE_CHROMIUM", "/usr/bin/chromium"))
HARNESS = ROOT / "tests" / "browser_guide.mjs"
RECORD = ROOT / "bench" / "browser_guide_top_rings.png"


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def _style_colour(label: str) -> str:
    grass = style_sheet().read_text()
    body = grass[grass.index(f"node.{label} {{"):]
    return _rgb(body[body.index("  color: ") + 9:][:7])


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (`make setup` installs Debian's chromium where apt-get may)")
    if not (ROOT / "node_modules" / "playwright-core").is_dir():
        pytest.fail("run `make setup` (npm ci) to install playwright-core")
    return CHROMIUM


def test_browser_runs_the_guides_first_step_in_the_linkage_style(
        bulk_loaded: BulkLoad, chromium: Path, tmp_path: Path) -> None:
    first = browser_guide()[0]
    info = bulk_loaded.info
    job = {"browserUrl": info.browser_url, "boltUrl": info.bolt_url, "user": info.user,
           "password": info.password, "grass": style_sheet().read_text(), "commands": first.param_commands(),
           "query": first.text, "screenshot": str(tmp_path / "guide-1-top-rings.png"),
           "userDataDir": str(tmp_path / "chromium-profile"), "chromium": str(chromium), "timeoutMs": 120000}
    (tmp_path / "job.json").write_text(json.dumps(job))
    done = subprocess.run(["node", str(HARNESS), str(tmp_path / "job.json")], capture_output=True, text=True,
                          cwd=ROOT, timeout=420)
    assert done.returncode == 0, f"the Browser run failed (screenshot-failed.png in {tmp_path}):\n{done.stderr[-3000:]}"
    shown = json.loads(done.stdout)

    top = bulk_loaded.rings[: first.params["limit"]]
    members = {a for r in top for a in r.members}
    assert shown["shown"] == f"Displaying {len(top) + len(members)} nodes, {len(members)} relationships."
    fills = {n["fill"] for n in shown["nodes"] if n["caption"].startswith("ring_")}
    assert fills == {_style_colour("Ring")}, shown["nodes"][:3]
    account_fills = {n["fill"] for n in shown["nodes"] if n["caption"].startswith("acct_")}
    assert account_fills == {_style_colour("Account")}
    assert len(shown["nodes"]) == len(top) + len(members) and shown["relationships"] == len(members)

    screenshot = Path(job["screenshot"])
    assert screenshot.stat().st_size > 20_000  # a drawn graph, not a blank frame
    shutil.copyfile(screenshot, RECORD)
