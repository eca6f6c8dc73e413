"""Benchmark the main job: (simulate →) ingest → detect → evaluate with baselines.

Each stage runs as its own `python -m linkage …` subprocess; its wall time and peak RSS
(from os.wait4's rusage of that child alone) are printed, then the score table of
Linkage beside the baselines on the same store and truth.

    python bench/bench_detect.py DATA_DIR                  # a simulated directory with truth.csv
    python bench/bench_detect.py --scale 1.0 --seed 7      # simulate one first (full public case)
    python bench/bench_detect.py --scale 0.1 --variant camouflage --json-out bench.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@dataclass
class Stage:
    name: str
    seconds: float
    peak_rss_mb: float
    returncode: int


def run_stage(name: str, args: list[str], capture: bool = False) -> tuple[Stage, str]:
    """Run `python -m linkage *args`, measuring this child's wall time and peak RSS."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    print(f"[bench] {name}: linkage {' '.join(args)}", file=sys.stderr, flush=True)
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "linkage", *args], env=env,
                                stdout=sink if capture else None)
        _, status, usage = os.wait4(proc.pid, 0)  # rusage of this child only, not all children
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        sink.seek(0)
        output = sink.read() if capture else ""
    # ru_maxrss is in KiB on Linux
    stage = Stage(name, seconds, usage.ru_maxrss / 1024.0, proc.returncode)
    if stage.returncode != 0:
        print(f"[bench] {name} exited {stage.returncode}", file=sys.stderr)
    return stage, output


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", nargs="?", type=Path, help="simulated directory (with truth.csv)")
    ap.add_argument("--scale", type=float, help="simulate at this scale first (1.0 = full public case)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--variant", help="simulator variant (e.g. camouflage, shared_proxies, no_payment)")
    ap.add_argument("--store", type=Path, help="DuckDB file to use (default: a fresh one in the work dir)")
    ap.add_argument("--workdir", type=Path, help="where to simulate and keep the store (default: a temp dir)")
    ap.add_argument("--no-baselines", action="store_true", help="score Linkage only")
    ap.add_argument("--baseline", action="append", default=[], help="run only these baselines")
    ap.add_argument("--json-out", type=Path, help="also write stages and scores here as JSON")
    ns = ap.parse_args(argv)
    if ns.data is None and ns.scale is None:
        ap.error("give a simulated DATA directory or --scale to simulate one")

    workdir = ns.workdir or Path(tempfile.mkdtemp(prefix="linkage-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    stages: list[Stage] = []
    data = ns.data
    if data is None:
        data = workdir / "data"
        args = ["simulate", "--out", str(data), "--scale", str(ns.scale), "--seed", str(ns.seed)]
        if ns.variant:
            args += ["--variant", ns.variant]
        stage, _ = run_stage("simulate", args)
        stages.append(stage)
        if stage.returncode:
            return report(stages, None, ns.json_out)
    store = str(ns.store or workdir / "bench.duckdb")
    if Path(store).exists():
        Path(store).unlink()  # a benchmark starts from an empty store
    for name, args in (("ingest", ["ingest", str(data), "--store", store]),
                       ("detect", ["detect", "--store", store])):
        stage, _ = run_stage(name, args)
        stages.append(stage)
        # 3 = done, some rows quarantined. A failed detect still lets the baselines run.
        if name == "ingest" and stage.returncode not in (0, 3):
            return report(stages, None, ns.json_out)
    eval_args = ["evaluate", "--truth", str(data / "truth.csv"), "--store", store, "--format", "json"]
    if ns.no_baselines:
        eval_args.append("--no-baselines")
    for b in ns.baseline:
        eval_args += ["--baseline", b]
    stage, output = run_stage("evaluate", eval_args, capture=True)
    stages.append(stage)
    scores = json.loads(output)["methods"] if output.strip() else None
    return report(stages, scores, ns.json_out)


def report(stages: list[Stage], scores: list[dict] | None, json_out: Path | None) -> int:
    """Print the stage table and the score tables; 1 if any stage failed."""
    from rich.console import Console
    from rich.table import Table

    from linkage.evaluate.metrics import MethodScore
    from linkage.evaluate.report import campaigns_table, scores_table

    console = Console(width=160)
    t = Table(title="Stages (each a `python -m linkage` subprocess)")
    for col in ("stage", "wall s", "peak RSS MB", "exit"):
        t.add_column(col, justify="left" if col == "stage" else "right")
    for s in stages:
        t.add_row(s.name, f"{s.seconds:.1f}", f"{s.peak_rss_mb:.0f}", str(s.returncode))
    console.print(t)
    if scores:
        parsed = [MethodScore.model_validate(m) for m in scores]
        console.print(scores_table(parsed))
        console.print(campaigns_table(parsed))
    if json_out:
        json_out.write_text(json.dumps({"stages": [asdict(s) for s in stages], "scores": scores}, indent=2))
    return 1 if any(s.returncode not in (0, 3) for s in stages) else 0


if __name__ == "__main__":
    raise SystemExit(main())
