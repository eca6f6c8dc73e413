"""The analysts' guide for Neo4j Browser: named, parameterised queries in `cypher/browser/`.

Each file is one step of the walk (top rings -> one ring's members -> what they share ->
the evidence path between two members), numbered in walking order. Its first comment line
is the step's title; `// :param name => value` lines are the Browser commands that set its
parameters, with example values (placeholders where the value comes from the step before).
`linkage.grass` beside them is the Browser style sheet.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from linkage.store.cypher_files import cypher_dir

_PARAM = re.compile(r"^//\s*:param\s+(\w+)\s*=>\s*(.+)$")


@dataclass(frozen=True)
class GuideQuery:
    name: str  # file stem, e.g. "1_top_rings"
    title: str
    text: str
    params: dict[str, object]  # example values, as the `:param` lines set them

    def param_commands(self, **values: object) -> list[str]:
        """The Browser `:param` commands for this step, with `values` instead of the examples."""
        merged = {**self.params, **values}
        return [f":param {k} => {json.dumps(v)}" for k, v in merged.items()]


def browser_dir() -> Path:
    return cypher_dir() / "browser"


def style_sheet() -> Path:
    return browser_dir() / "linkage.grass"


def _parse(path: Path) -> GuideQuery:
    lines = path.read_text().splitlines()
    if not lines or not lines[0].startswith("//"):
        raise ValueError(f"{path}: line 1 must be a `// Guide N: ...` title comment")
    params: dict[str, object] = {}
    for number, line in enumerate(lines, 1):
        match = _PARAM.match(line.strip())
        if match:
            try:
                params[match.group(1)] = json.loads(match.group(2))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: `:param {match.group(1)}` value is not JSON: {exc}") from exc
    return GuideQuery(path.stem, lines[0].lstrip("/ ").strip(), path.read_text(), params)


def browser_guide() -> list[GuideQuery]:
    """The guide's steps in walking order."""
    return [_parse(p) for p in sorted(browser_dir().glob("*.cypher"))]
