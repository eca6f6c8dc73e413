"""Prompt fingerprints survive changed variables; different templates differ; capability heuristic."""

from __future__ import annotations

import pytest

from linkage.ingest.capability import classify_capability
from linkage.ingest.fingerprint import fingerprint_prompt, hamming

TEMPLATE_VARIANTS = [
    ("Think step by step: Alice has 12 apples and gives 5 to Bob. How many are left?",
     "Think step by step:   Carol has 7 apples and gives 3 to Dave.\nHow many are left?"),
    ("Write a Python function parse_config that reads 'settings.yaml' and returns a dict.",
     "Write a Python function loadUserPrefs that reads 'prefs.json' and returns a dict."),
    ("Call the search tool with query \"weather in Paris\" and summarise the top 3 results.",
     "Call the search tool with query \"stock price of ACME\" and summarise the top 10 results."),
    ("Fix this code:\n```python\ndef add(a, b):\n    return a - b\n```",
     "Fix this code:\n```python\ndef plus(x, y):\n    return x - y\n```"),
    ("Summarise ticket #48213 opened at https://example.com/t/48213 by user 88812.",
     "Summarise ticket #1 opened at https://other.org/x by user 7."),
]


@pytest.mark.parametrize("a,b", TEMPLATE_VARIANTS)
def test_same_template_same_fingerprint(a: str, b: str) -> None:
    assert fingerprint_prompt(a).template == fingerprint_prompt(b).template


def test_different_templates_differ() -> None:
    fps = {fingerprint_prompt(a).template for a, _ in TEMPLATE_VARIANTS}
    fps.add(fingerprint_prompt("What is the capital of France?").template)
    assert len(fps) == len(TEMPLATE_VARIANTS) + 1


def test_simhash_of_a_light_edit_is_close_and_unrelated_is_far() -> None:
    base = ("Please reason carefully and explain every step of your derivation before giving the final "
            "answer to the following probability puzzle about drawing coloured balls from an urn")
    edited = base.replace("carefully", "very carefully").replace("final", "last")
    other = "Translate the following marketing e-mail into formal German and keep the bullet list intact"
    a, b, c = (fingerprint_prompt(t).simhash for t in (base, edited, other))
    assert fingerprint_prompt(base).template != fingerprint_prompt(edited).template
    assert hamming(a, b) <= 16
    assert hamming(a, c) > hamming(a, b)


def test_fingerprint_is_deterministic_and_shaped() -> None:
    fp = fingerprint_prompt("Explain your reasoning step by step for 17 * 23.")
    assert fp == fingerprint_prompt("Explain your reasoning step by step for 17 * 23.")
    assert len(fp.template) == 16 and 0 <= fp.simhash < 2 ** 64


@pytest.mark.parametrize("text,capability", [
    ("Let's think step by step and show your work: why does ice float?", "reasoning"),
    ("Prove that the square root of 2 is irrational.", "reasoning"),
    ("Implement a Python function that reverses a linked list, with unit tests.", "coding"),
    ("```js\nconsole.log(x)\n```\nwhy does this print undefined? Debug it.", "coding"),
    ("You have access to the following tools: search, calculator. Use a tool_call to answer.", "tool_use"),
    ("As an agent, browse the web and call the booking API to reserve a table.", "tool_use"),
    ("Write a haiku about autumn leaves.", "other"),
    ("Hello!", "other"),
])
def test_capability_heuristic(text: str, capability: str) -> None:
    assert classify_capability(text) == capability
    assert fingerprint_prompt(text).capability == capability
