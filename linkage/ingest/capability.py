"""Which capability a prompt is after, by a transparent keyword heuristic.

Distillation campaigns aim at what is expensive to learn: reasoning traces
(chain-of-thought elicitation), coding, and tool use / agentic behaviour.
Each class has a list of cue patterns; a prompt scores one point per cue
matched, the best class wins, ties go to the more specific class
(tool_use > coding > reasoning), and no cue at all means `other`.

The cues are matched case-insensitively with ASCII word boundaries (the
semantics of `re.ASCII | re.IGNORECASE`) on the NFKC-normalised text, by the
compiled matcher in `cues`, inside the fingerprint pass.
"""

from __future__ import annotations

CUES: dict[str, tuple[str, ...]] = {
    "tool_use": (
        r"\btools?\b", r"function[ _]call", r"\bjson schema\b", r"\bapi call", r"\bagent(ic)?\b",
        r"\bbrowse\b", r"\bexecute\b", r"<tool", r"\baction:", r"\bobservation:", r"\bplan and act\b",
        r"\bcall the \w+ (tool|function|api)\b", r"\btool_call", r"\bavailable (tools|functions)\b",
        r"\bshell command", r"\bweb search\b",
    ),
    "coding": (
        r"```", r"\bdef \w+\(", r"\bfunction\b", r"\bcode\b", r"\bimplement", r"\bbug\b", r"\bdebug",
        r"\bpython\b", r"\bjavascript\b", r"\btypescript\b", r"\brust\b", r"\bjava\b", r"\bc\+\+",
        r"\bsql\b", r"\brefactor", r"\bcompile", r"\bunit tests?\b", r"\bclass \w+", r"\bstack trace\b",
        r"\balgorithm\b", r"\bregex\b",
    ),
    "reasoning": (
        r"step[- ]by[- ]step", r"\bthink\b", r"\breason(ing)?\b", r"chain[- ]of[- ]thought", r"\bshow your work\b",
        r"\bprove\b", r"\bderive\b", r"\bexplain (your|the) (reasoning|logic|steps)\b", r"\brationale\b",
        r"\bsolve\b", r"\bwhy\b", r"\bjustify\b", r"\bthought process\b", r"\bfirst principles\b",
    ),
}
_PRIORITY = ("tool_use", "coding", "reasoning")
CAPABILITIES = (*_PRIORITY, "other")


def classify_capability(text: str) -> str:
    """`tool_use`, `coding`, `reasoning` or `other` for one raw prompt."""
    from linkage.ingest.fingerprint import fingerprint_prompt  # the compiled pass; it imports this module

    return fingerprint_prompt(text).capability
