"""Report files: `<run_id>.json` and `<run_id>.md`, plus `latest.json`/`latest.md`, written atomically.

Written before the run is marked complete; a run killed in between writes the same
files again when it resumes (the report is rebuilt from the store), so a reader never
sees a half-written report.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from linkage.nightly.report import to_markdown


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def report_json(report: dict) -> str:
    return json.dumps(report, indent=2, sort_keys=True, default=str) + "\n"


def write_report_files(report: dict, directory: Path) -> tuple[Path, Path]:
    """Write the report as JSON and Markdown under `directory`; return both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    run_id = report["run"]["run_id"]
    as_json, as_md = report_json(report), to_markdown(report)
    json_path, md_path = directory / f"{run_id}.json", directory / f"{run_id}.md"
    _atomic_write(json_path, as_json)
    _atomic_write(md_path, as_md)
    _atomic_write(directory / "latest.json", as_json)
    _atomic_write(directory / "latest.md", as_md)
    return json_path, md_path
