"""Prompt fingerprinting: the compiled pass against its plain-Python specification, and its speed.

Loads the distinct raw prompts of a simulated requests.parquet, fingerprints them
with linkage.ingest.fingerprint (compiled) and checks every (masked text,
template, simhash, capability) against linkage.ingest.fingerprint_reference on a
sample, then prints µs/prompt of the original regex code (bench/fingerprint_v0.py)
and of the compiled pass. The diverse edge-case prompts of the unit-test fixture
are checked the same way first; `--write-fixture` writes them with the compiled
outputs (only if the reference agrees).

    python bench/bench_fingerprint.py [/tmp/linkage-sim-full2/requests.parquet] [--limit N]
    python bench/bench_fingerprint.py --write-fixture tests/data/fingerprint_golden.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import fingerprint_v0 as old  # noqa: E402

from linkage.ingest import fingerprint as new  # noqa: E402
from linkage.ingest import fingerprint_reference as ref  # noqa: E402
from linkage.ingest.capability import CUES  # noqa: E402
from linkage.simulate import templates as T  # noqa: E402

DEFAULT_PARQUET = "/tmp/linkage-sim-full2/requests.parquet"

EDGE_CASES = [
    "", " ", "   ", "\t", "\n", " \n \t ", "\u00a0", "\u3000", "\u2028", "\x1c\x1d", "a", "A", "why", "WHY?",
    "Hello!", "ok ok ok", "one two", "one two three", "x" * 300,
    "```", "```\n", "``` unterminated code block def f(x): return x",
    "Fix this:\n```python\ndef add(a, b):\n    return a - b\n```\nThanks",
    "```js\nconsole.log(x)\n```\nwhy does this print undefined? Debug it.",
    "Two blocks ```a = 1``` and ```b_2 = [3, 4]``` end", "inline `foo_bar()` and `x` and ``",
    "a ` lone backtick", "`multi\nline inline`",
    "Mail me at john.doe+tag@example.co.uk or at x@y.z today", "bad@address and @mention and a@b",
    "See https://example.com/path?q=1 and http://x.y and www.test.org/page and WWW.UPPER.COM ok",
    "HTTPS://LOUD.EXAMPLE/x", "ftp://not.a.url but a.dotted.path", "version 3.11.4 and file.txt",
    "Numbers: 42, -17, +3.5, 1e10, 6.02e23, 1,000,000 and 0x1F and 0XdeadBEEF and 12_345 and x86",
    "Arabic-Indic \u0661\u0662\u0663 and fullwidth \uff11\uff12\uff13 and superscript x\u00b2",
    "Say \"hello there\" and 'single quoted' and “curly quoted” and \"unterminated",
    "It's Bob's turn; don't stop", "Alice met Bob and Carol in Paris. Then Dave left.",
    "Ask Mary Jones about New York", "the parse_config function and loadUserPrefs and os.path.join",
    "snake_case_var camelCaseVar PascalCase dotted.name.path name2 __init__ _private",
    "Call the search tool with query \"weather\" and summarise the top 3 results.",
    "You have access to the following tools: search, calculator. Use a tool_call to answer.",
    "As an agent, browse the web and call the booking API to reserve a table.",
    "<tool>search</tool> Action: lookup Observation: none. Plan and act.",
    "Use function_call or function call with a JSON schema; make an API call; run a shell command; web search.",
    "Available tools: x. Available functions: y. Agentic workflow. Execute it.",
    "Think step by step and show your work: why does ice float? Prove it, derive it, justify it.",
    "Explain your reasoning. Explain the logic. Explain the steps. Chain-of-thought, chain of thought.",
    "rationale, first principles, thought process, solve, reasoning, reason",
    "Implement a Python function with unit tests; refactor the Java class Foo; compile the C++ code.",
    "def foo(bar): pass  # SQL regex algorithm stack trace bug debugging TypeScript JavaScript Rust",
    "THINK STEP BY STEP", "PYTHON CODE", "ThInK", "tools tool tooling toolbox",
    "th\u0130nk about it", "th\u0131nk about it", "\u017folve this", "thin\u212a twice",
    "\u212aotlin is not Java", "ca\u017fe \u017ftudy", "\u0130MPLEMENT a \u0131mplementation",
    "caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00c5ngstr\u00f6m", "\u65e5\u672c\u8a9e\u306e\u8cea\u554f\u3067\u3059",
    "emoji \U0001f600 test \U0001f680 why", "ﬁle ligature ﬀ and ﬆ", "Straße and STRASSE",
    "combining e\u0301 and \u212b", "<tool_call>{\"name\": \"x\"}</tool_call>", "<\u00e9t\u00e9> <num> <b>",
    "tabs\tbetween\twords", "carriage\r\nreturns\r\n", "trailing spaces   \n  leading", "a\x0bb\x0cc",
    "Multiple   spaces    between  Words  And Names", "\u2003em space and\u2009thin space",
    "zero\u200bwidth", "soft\u00adhyphen", "end with newline\n", "\n\nstart with newlines",
]


def _mutate(text: str, rng: random.Random) -> str:
    ops = [
        lambda t: t.upper(), lambda t: t.title(), lambda t: t.replace(" ", "  "), lambda t: t.replace(" ", "\n", 2),
        lambda t: t.replace(" ", "\t", 1), lambda t: t + " " + rng.choice(EDGE_CASES),
        lambda t: rng.choice(EDGE_CASES) + " " + t, lambda t: t.replace("i", "\u0130", 1),
        lambda t: t.replace("s", "\u017f", 1), lambda t: t.replace("k", "\u212a", 1),
        lambda t: t.replace("e", "\u00e9"), lambda t: t + f" {rng.randint(0, 10 ** 6)}",
        lambda t: f"\"{t}\"", lambda t: f"`{t}`", lambda t: f"```\n{t}\n```", lambda t: t.lower(),
        lambda t: " ".join(t.split()[::-1]), lambda t: t.replace(" ", "\u00a0", 1),
    ]
    for _ in range(rng.randint(1, 3)):
        text = rng.choice(ops)(text)
    return text


def diverse_prompts(n: int = 400, seed: int = 20240521) -> list[str]:
    """Edge cases, simulator templates (filled) and random mutations of both: deterministic."""
    import numpy as np

    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    banks = T.GENERIC + T.REASONING_TASKS + T.CODING_TASKS + T.TOOL_TASKS
    filled = [T.fill(t, nprng) for t in banks]
    cue_words = [p.replace("\\b", "").replace("\\w+", "foo").replace("\\", "") for ps in CUES.values() for p in ps]
    words = T.WORDS.split() if isinstance(T.WORDS, str) else list(T.WORDS)
    out = list(EDGE_CASES) + filled
    while len(out) < n:
        kind = rng.random()
        if kind < 0.4:
            out.append(_mutate(rng.choice(filled + EDGE_CASES), rng))
        elif kind < 0.75:
            out.append(" ".join(rng.choice(cue_words + words) for _ in range(rng.randint(1, 12))))
        elif kind < 0.98:
            out.append(" ".join(rng.choice(words) for _ in range(rng.randint(0, 40))))
        else:  # long: more than 255 shingles (wider than a byte of counts)
            out.append(" ".join(rng.choice(words) for _ in range(rng.randint(260, 320))))
    return out[:max(n, len(EDGE_CASES) + len(filled))]


def reference_fingerprints(texts: list[str]) -> list[tuple[str, str, int, str]]:
    return [(ref.normalise(t), *ref.fingerprint(t)) for t in texts]


def new_fingerprints(texts: list[str]) -> list[tuple[str, str, int, str]]:
    return [(m, f.template, f.simhash, f.capability)
            for m, f in zip(new.normalise_many(texts), new.fingerprint_prompts(texts))]


def check_equal(texts: list[str], a: list, b: list, what: str) -> None:
    bad = [(t, x, y) for t, x, y in zip(texts, a, b) if x != y]
    if bad:
        for t, x, y in bad[:5]:
            print(f"MISMATCH ({what}) {t!r}\n  reference {x}\n  compiled  {y}", file=sys.stderr)
        raise SystemExit(f"{len(bad)} of {len(texts)} prompts differ ({what})")
    print(f"identical: {len(texts)} prompts ({what})")


def _time(fn, texts: list[str]) -> tuple[float, list]:
    start = time.perf_counter()
    out = fn(texts)
    return (time.perf_counter() - start) / max(len(texts), 1) * 1e6, out


def load_prompts(parquet: str, limit: int | None) -> list[str]:
    import duckdb

    q = f"SELECT DISTINCT prompt FROM '{parquet}' WHERE prompt IS NOT NULL"
    if limit:
        q += f" LIMIT {int(limit)}"
    return [r[0] for r in duckdb.connect().sql(q).fetchall()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("parquet", nargs="?", default=DEFAULT_PARQUET)
    ap.add_argument("--limit", type=int, default=None, help="at most this many distinct prompts")
    ap.add_argument("--repeat", type=int, default=3, help="timing runs per implementation (best kept)")
    ap.add_argument("--write-fixture", type=Path, default=None,
                    help="write diverse prompts with the ORIGINAL implementation's outputs as JSON, then exit")
    args = ap.parse_args()

    diverse = diverse_prompts()
    check_equal(diverse, reference_fingerprints(diverse), new_fingerprints(diverse), "diverse edge cases")
    if args.write_fixture:
        rows = [json.dumps({"prompt": t, "template": tp, "simhash": f"{s:016x}", "capability": c}, ensure_ascii=False)
                for t, (_, tp, s, c) in zip(diverse, new_fingerprints(diverse))]
        args.write_fixture.write_text("[\n" + ",\n".join(rows) + "\n]\n")
        print(f"wrote {len(rows)} prompts to {args.write_fixture}")
        return

    prompts = load_prompts(args.parquet, args.limit)
    print(f"{len(prompts)} distinct prompts, mean {sum(map(len, prompts)) / len(prompts):.0f} chars")
    sample = prompts[:5000]
    check_equal(sample, reference_fingerprints(sample), new_fingerprints(sample), "masked, template, simhash, capability")
    new.fingerprint_prompts(prompts[:10])  # compiled once (cached on disk afterwards)
    runs: dict[str, list[float]] = {"original": [], "compiled": []}
    for _ in range(args.repeat):  # interleaved, best run kept: the machine may be shared
        runs["original"].append(_time(lambda ts: [old.fingerprint_prompt(t) for t in ts], prompts)[0])
        runs["compiled"].append(_time(new.fingerprint_table, prompts)[0])
    t_old, t_new = min(runs["original"]), min(runs["compiled"])
    print(f"original regex fingerprint_prompt  {t_old:8.2f} µs/prompt (wall)")
    print(f"compiled fingerprint_table         {t_new:8.2f} µs/prompt (wall, both cores)   {t_old / t_new:5.1f}x")


if __name__ == "__main__":
    main()
