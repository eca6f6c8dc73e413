"""The Neo4j engine's Cypher, checked here by Neo4j's own parser and semantic analyser.

Neo4j cannot run on this machine, but `@neo4j-cypher/language-support` (installed by
`make setup` from package.json) parses every statement and checks labels, relationship
types, property keys and the GDS/APOC procedure signatures.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from linkage.store.cypher_files import cypher_dir, cypher_names, graph_schema, load_cypher, split_statements

ROOT = Path(__file__).resolve().parents[1]
CHECKER = ROOT / "tests" / "cypher_check.mjs"


def _lint(tmp_path: Path, *targets: Path) -> tuple[int, dict[str, list[dict[str, object]]]]:
    if not shutil.which("node"):
        pytest.fail("node is required to check the Cypher files (it is part of the machine image)")
    if not (ROOT / "node_modules" / "@neo4j-cypher" / "language-support").is_dir():
        pytest.fail("run `make setup` (npm ci) to install the Cypher checker")
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(graph_schema()))
    # Generous timeout: on two busy cores the language service's start-up alone can take a minute.
    done = subprocess.run(["node", str(CHECKER), str(schema), *map(str, targets)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.stdout.strip(), f"the checker printed no report (exit {done.returncode}): {done.stderr[-2000:]}"
    return done.returncode, json.loads(done.stdout)


def test_every_cypher_file_parses_and_passes_semantic_analysis(tmp_path: Path) -> None:
    code, report = _lint(tmp_path, cypher_dir())
    problems = {f: d for f, d in report.items() if d}
    assert code == 0 and not problems, json.dumps(problems, indent=1)
    assert len(report) == len(cypher_names()) >= 20


def test_the_checker_rejects_a_misspelt_procedure_label_and_syntax(tmp_path: Path) -> None:
    bad = {
        "proc.cypher": "CALL gds.leiden.strem('g', {}) YIELD nodeId RETURN nodeId",
        "label.cypher": "MATCH (a:Acount) RETURN a",
        "syntax.cypher": "MATCH (a:Account) RETRN a",
    }
    for name, text in bad.items():
        (tmp_path / name).write_text(text)
    code, report = _lint(tmp_path, *(tmp_path / n for n in bad))
    assert code == 1
    assert all(report[str(tmp_path / n)] for n in bad), report


def test_cypher_takes_values_only_as_parameters() -> None:
    for name in cypher_names():
        text = load_cypher(name)
        # No Python-side formatting holes: a `{name}` without a colon is not a Cypher map.
        assert not re.search(r"\{[A-Za-z_]+\}", text), name
        assert "%s" not in text and "{0}" not in text, name


def test_statements_load_by_name_and_multi_statement_files_split() -> None:
    assert "UNWIND $rows AS row" in load_cypher("merge_used_ip")
    text = load_cypher("schema")
    statements = split_statements(text)
    # one statement per CREATE in the file (a hand count of the text, not a pinned number)
    assert len(statements) == text.count("CREATE ") >= 2
    assert all(s.startswith(("CREATE CONSTRAINT", "CREATE INDEX")) and s.count("CREATE ") == 1 for s in statements)
    assert all("IF NOT EXISTS" in s for s in statements)  # idempotent: every store open runs them
    with pytest.raises(KeyError):
        load_cypher("no_such_statement")


# ---- the analysts' guide for Neo4j Browser (cypher/browser/) -------------------------------

def test_the_browser_guide_parses_and_passes_semantic_analysis(tmp_path: Path) -> None:
    from linkage.store.browser_guide import browser_dir, browser_guide

    code, report = _lint(tmp_path, browser_dir())
    problems = {f: d for f, d in report.items() if d}
    assert code == 0 and not problems, json.dumps(problems, indent=1)
    assert len(report) == len(browser_guide()) >= 4


def test_the_browser_guide_walks_from_top_rings_to_the_evidence_path() -> None:
    from linkage.store.browser_guide import browser_guide

    steps = browser_guide()
    assert [s.title.split(":")[0] for s in steps] == [f"Guide {i}" for i in range(1, len(steps) + 1)]
    first, members, shared, path = steps[:4]
    assert "Ring" in first.text and first.params == {"limit": 5}  # runs as is, no value to fill in
    assert set(members.params) == {"ring_id"} and set(shared.params) == {"ring_id", "min_members"}
    assert set(path.params) == {"account_a", "account_b", "limit"} and "allShortestPaths" in path.text
    for step in steps:
        used = set(re.findall(r"\$(\w+)", step.text))
        assert used == set(step.params), (step.name, used, step.params)  # every parameter gets a :param line
        assert not re.search(r"\{[A-Za-z_]+\}", step.text), step.name


def test_the_browser_style_sheet_colours_every_node_label_and_relationship_type() -> None:
    from linkage.store.browser_guide import style_sheet

    grass = style_sheet().read_text()
    rules = dict(re.findall(r"^(node\.\w+|relationship\.\w+)\s*\{(.*?)^\}", grass, re.M | re.S))
    from linkage.store.neo4j_import_layout import ALL_FILES

    schema = graph_schema()
    written = {f.label for f in ALL_FILES if not f.is_edge}  # every label the graph holds, bulk-loaded or merged
    properties = set(schema["propertyKeys"]) | {fld.header.split(":")[0] for f in ALL_FILES for fld in f.fields}
    colours: dict[str, str] = {}
    for label in sorted(set(schema["labels"]) | written):
        body = rules.get(f"node.{label}")
        assert body, f"no style for node label {label}"
        colours[label] = re.search(r"^\s*color:\s*(#[0-9A-Fa-f]{6})", body, re.M).group(1)
        caption = re.search(r'caption:\s*"\{(\w+)\}"', body).group(1)
        assert caption in properties, (label, caption)
    assert len(set(colours.values())) == len(colours), "two labels share a colour"
    for rel in set(schema["relationshipTypes"]) - {"SIMILAR"} | {f.label for f in ALL_FILES if f.is_edge}:
        assert f"relationship.{rel}" in rules, rel  # SIMILAR lives only inside GDS projections
