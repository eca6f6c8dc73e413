"""`make mutation`: mutation testing with mutmut 3, and the score of each module.

mutmut (configured in pyproject's `[tool.mutmut]`: which files, which tests) changes
one operator, constant or call at a time in the modules whose tests must bite and
runs the tests that reach the changed function; a mutant the tests do not notice
"survives". Surviving mutants are either killed by a new test or listed, with the
reason they cannot be, in tests/mutation_equivalent.md.

    python scripts/mutation.py                              # every mutant (slow: hours on 2 cores)
    python scripts/mutation.py --every 4                    # a fixed sample: every 4th mutant per module
    python scripts/mutation.py --cap 30                     # ... or at most 30 per module, evenly spread
    python scripts/mutation.py --cap 30 --step linkage.ingest.encode=2   # ... but every 2nd of encode
    python scripts/mutation.py --module linkage.ingest      # only modules under this prefix
    python scripts/mutation.py --report                     # the scores of the last run, nothing re-run
    python scripts/mutation.py --survivors                  # ... and the names of the surviving mutants

`mutmut show NAME` prints a mutant's diff. The score is killed / (killed + survived
+ timeout + suspicious); mutants no selected test reaches count as survivors too
(`no tests`: a test is missing).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
KILLED = {1, 3}  # a failing test; an internal pytest error on the mutant
NOT_RUN = {None, 34}  # not checked (yet), skipped
LABELS = {0: "survived", 33: "no tests", 5: "no tests", 36: "timeout", 24: "timeout", -24: "timeout",
          152: "timeout", 255: "timeout", 37: "type check"}


def generate(max_children: int) -> None:
    """Copy the tree to mutants/ and write every mutant (mutmut's own first step of `run`)."""
    from mutmut.__main__ import create_mutants
    from mutmut.mutation.trampoline import set_mutant_under_test
    from mutmut.utils.file_utils import copy_also_copy_files, copy_src_dir

    set_mutant_under_test("mutant_generation")
    MUTANTS.mkdir(exist_ok=True)
    with (MUTANTS / "mutmut-generate.log").open("w") as log, contextlib.redirect_stdout(log):
        copy_src_dir()
        copy_also_copy_files()
        # tests/conftest.py loads the Neo4j test server's script at import (the rest of docker/ is
        # build output, 100+ MB): the one file, so that the suite imports inside mutants/
        script = Path("docker", "neo4j-server", "neo4j_server.py")
        (MUTANTS / script.parent).mkdir(parents=True, exist_ok=True)
        shutil.copy2(script, MUTANTS / script)
        create_mutants(max_children)


def mutants_by_module() -> dict[str, dict[str, int | None]]:
    """module -> {mutant name: exit code or None} from mutmut's result files."""
    out: dict[str, dict[str, int | None]] = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        module = ".".join(meta.relative_to(MUTANTS).with_suffix("").with_suffix("").parts)
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        if codes:
            out[module] = codes
    return out


def sample(names: list[str], every: int, cap: int = 0) -> list[str]:
    """Every `every`-th mutant of a module, in name order (the same sample from run to run);
    with `cap`, a larger step where needed so that at most `cap` are chosen."""
    step = max(every, -(-len(names) // cap)) if cap else every
    return sorted(names)[::step]


def label(code: int | None) -> str:
    if code in KILLED:
        return "killed"
    if code in NOT_RUN:
        return "not run"
    return LABELS.get(code, "suspicious")


def report(chosen: dict[str, list[str]], show_survivors: bool) -> int:
    """Print killed/survived/... and the score per module; return the number of survivors."""
    results = mutants_by_module()
    total_survivors = 0
    print(f"{'module':<34} {'mutants':>7} {'killed':>6} {'survived':>8} {'no tests':>8} {'timeout':>7}"
          f" {'not run':>7} {'score':>6}")
    for module, names in chosen.items():
        counts = Counter(label(results[module].get(n)) for n in names)
        tried = sum(v for k, v in counts.items() if k != "not run")
        score = counts["killed"] / tried if tried else float("nan")
        print(f"{module:<34} {len(names):>7} {counts['killed']:>6} {counts['survived']:>8} {counts['no tests']:>8}"
              f" {counts['timeout']:>7} {counts['not run']:>7} {score:>6.1%}")
        survivors = [n for n in names if label(results[module].get(n)) not in ("killed", "not run")]
        total_survivors += len(survivors)
        if show_survivors:
            for n in survivors:
                print(f"    {label(results[module].get(n)):<9} {n}")
    return total_survivors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=1, help="test every N-th mutant of each module")
    parser.add_argument("--cap", type=int, default=0, help="at most N mutants per module (0: no cap)")
    parser.add_argument("--step", action="append", default=[], metavar="MODULE=N",
                        help="every N-th mutant of this module, whatever --every and --cap say (repeatable)")
    parser.add_argument("--module", action="append", default=[], help="module name prefix (repeatable)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once")
    parser.add_argument("--also", type=Path, help="file of further mutant names to test (e.g. last run's survivors)")
    parser.add_argument("--report", action="store_true", help="print the last run's scores, run nothing")
    parser.add_argument("--survivors", action="store_true", help="list the surviving mutants")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    if not args.report:
        # A fresh copy each time: mutmut keeps stale copies of files it does not mutate.
        shutil.rmtree(MUTANTS, ignore_errors=True)
        generate(args.jobs)
    modules = {m: list(codes) for m, codes in mutants_by_module().items()
               if not args.module or any(m.startswith(p) for p in args.module)}
    steps = {k: int(v) for k, v in (x.split("=", 1) for x in args.step)}
    chosen = {m: sample(names, steps[m], 0) if m in steps else sample(names, args.every, args.cap)
              for m, names in modules.items()}
    if args.also:
        extra = set(args.also.read_text().split())
        for m, codes in mutants_by_module().items():
            more = sorted(extra & set(codes) - set(chosen.get(m, [])))
            if more:
                chosen[m] = chosen.get(m, []) + more
    if not args.report:
        names = [n for ns in chosen.values() for n in ns]
        print(f"testing {len(names)} mutants of {len(chosen)} modules (every {args.every}"
              f"{f', at most {args.cap} per module' if args.cap else ''})", flush=True)
        mutmut = Path(sys.executable).with_name("mutmut")
        with (MUTANTS / "mutmut-run.log").open("w") as log:  # its progress spinner, kept out of the report
            # mutmut forks a worker per mutant from a process that has run the tests, and numba's
            # parallel threading layer, once started, hangs in a forked child: the compiled kernels
            # run as plain Python here (same results; the tests' inputs are small).
            subprocess.run([str(mutmut), "run", "--max-children", str(args.jobs), *names], check=False,
                           stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "NUMBA_DISABLE_JIT": "1"})
    report(chosen, args.survivors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
