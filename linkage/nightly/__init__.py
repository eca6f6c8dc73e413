"""The nightly job: take the new dated partitions, detect, compare with the last run, report.

Modules: `partitions` (which days are pending), `lock` (no two runs at once),
`state` (runs and partitions recorded in the store), `run` (the job and its
recovery), `report` / `report_files` (JSON + Markdown), `logs` (JSON lines),
`crash` (test-only crash points).
"""

from linkage.nightly.run import ExitCode, NightlyOutcome, run_nightly

__all__ = ["ExitCode", "NightlyOutcome", "run_nightly"]
