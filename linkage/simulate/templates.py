"""Prompt template banks: the everyday prompts everybody sends, and the operators' distillation templates.

Operator templates are written in a small language so that their fillings vary
the way real operators' do, well beyond what the exact template fingerprint masks:

- `{slot}` a fill-in: besides numbers and names, lower- and mixed-case ids
  (`{tid}`), repository paths (`{repo}`), hex ids (`{hex}`), free words from a
  vocabulary of hundreds (`{word}`), task phrases (`{phrase}`), tool names;
- `<<a|b|c>>` synonyms: one is picked per filling;
- `[[...]]` an optional clause: present or not;
- `¶` a sentence boundary: the sentences between them may come in any order.

`fill(template, rng, style)` renders one filling; `FILL_STYLES` names the five
styles the family-recovery tests and bench use (each adds variation on top of the
fill-ins). `compile_template` turns a template into structural variants (choices
made, slots left open) that `linkage.simulate.prompts` fills a column at a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

NAMES = ["Alice", "Bob", "Carmen", "Dmitri", "Emeka", "Fatima", "Giulia", "Hiro", "Ingrid", "Jamal",
         "Kofi", "Lena", "Mateo", "Nadia", "Oscar", "Priya", "Quentin", "Rosa", "Sven", "Tariq",
         "Mary Jones", "Wei Zhang", "Ana Costa", "Lars Berg"]
CITIES = ["Paris", "Lagos", "Osaka", "Lima", "Berlin", "Toronto", "Nairobi", "Madrid", "Seoul", "Austin",
          "New York", "Cape Town", "Buenos Aires", "Oslo", "Manila", "Dublin"]
LANGS = ["French", "German", "Spanish", "Japanese", "Portuguese", "Italian", "Korean", "Dutch", "Polish"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
QUOTES = ["the quarterly results exceeded expectations", "we are moving the launch to next month",
          "please find attached the revised contract", "the weather was lovely all week",
          "our team shipped the new dashboard", "prices rose sharply in the last quarter",
          "the meeting is postponed until further notice", "thanks for your patience with the delay",
          "the library opens at nine on weekdays", "customer feedback has been mostly positive"]
IDENTS = ["parse_config", "load_users", "merge_sorted", "fetchOrders", "compute_total", "validateInput",
          "build_index", "normalize_rows", "retryRequest", "top_k_scores", "flatten_tree", "encodeToken"]
TOOLS = ["web_search", "run_python", "read_file", "send_email", "get_weather", "query_db", "http_get",
         "calendar_lookup", "create_ticket", "list_files"]


PHRASES = ["triage the failing build", "summarise the open review comments", "write the migration plan",
           "classify the incoming tickets", "draft the release notes", "reproduce the flaky test",
           "label the training examples", "grade the candidate answers", "rank the search results",
           "extract the table fields", "audit the access logs", "translate the error messages"]
MORE_TOOLS = ["git_clone", "open_pr", "grep_repo", "run_tests", "fetch_url", "sql_exec", "vector_search",
              "browser_open", "shell_exec", "kv_put", "s3_get", "jira_create", "slack_post", "pdf_extract"]

_LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))
_HEX = np.array(list("0123456789abcdef"))
_ALNUM = np.array(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
_SYL_C = list("bdfgklmnprstvz")
_SYL_V = list("aeiou")


def _pool(seed: int, n: int, make) -> list[str]:
    rng = np.random.default_rng(seed)
    return [make(rng) for _ in range(n)]


def _task_id(rng: np.random.Generator) -> str:
    body = "".join(rng.choice(_ALNUM if rng.random() < 0.5 else _LETTERS, int(rng.integers(4, 9))))
    return ["", "job-", "tsk_", "run.", "T-"][int(rng.integers(5))] + body


def _repo(rng: np.random.Generator) -> str:
    parts = ["".join(rng.choice(_LETTERS, int(rng.integers(3, 7)))) for _ in range(int(rng.integers(2, 4)))]
    path = "/".join(parts)
    return path + ("/" + "".join(rng.choice(_LETTERS, 5)) + ".py" if rng.random() < 0.3 else "")


def _hex_id(rng: np.random.Generator) -> str:
    return "".join(rng.choice(_HEX, int(rng.choice([7, 8, 12, 16, 32, 40]))))


def _pseudo_word(rng: np.random.Generator) -> str:
    return "".join(rng.choice(_SYL_C) + rng.choice(_SYL_V) for _ in range(int(rng.integers(2, 4))))


# Everyday prompts: legit users send these by the million; campaigns use them as cover.
GENERIC = [
    "hello",
    "hi, how are you?",
    "Summarize the following text in {n} bullet points: \"{quote}\"",
    "Translate \"{quote}\" into {lang}.",
    "Write a polite email to {name} asking to move our meeting to {day}.",
    "What is the capital of {city}?",
    "Give me {n} ideas for a birthday present for {name}.",
    "Fix the grammar: \"{quote}\"",
    "What is {n} times {n2}?",
    "Write a short poem about {city} in the rain.",
    "Explain like I am five: what is inflation?",
    "Draft a thank you note to {name} for the lovely dinner.",
    "Plan a {n} day trip to {city} on a budget.",
    "Rewrite this to sound more professional: \"{quote}\"",
    "What should I cook tonight with chicken, rice and spinach?",
    "Suggest a name for my cat.",
    "Convert {n} miles to kilometers.",
    "Write a cover letter for a marketing job at {name}.",
    "Tell me a joke about programmers.",
    "What happened in the year {year}?",
    "Make this shorter: \"{quote}\"",
    "Reply to this message from {name}: \"{quote}\"",
    "How many calories are in {n} grams of oats?",
    "Create a weekly workout plan for a beginner.",
    "Recommend {n} books similar to the ones by {name}.",
    "Write an out of office reply until {day}.",
    "What is the weather usually like in {city} in spring?",
    "Explain the difference between a list and a tuple in Python.",
    "Write a SQL query that counts orders per customer.",
    "Why is my `{ident}` function returning None?",
]


# Operator templates are built from a task (what to distil) and a house style (how the
# operator's scripts phrase requests). Each operator gets its own disjoint tasks and styles.
REASONING_TASKS = [
    "A train leaves {city} at {n} km per hour and another leaves {city2} at {n2} km per hour, {n3} km apart. ¶ <<When|At what time>> do they meet? [[Ignore air resistance and stops.]]",
    "Prove that the sum of the first {n} odd numbers is a perfect square. ¶ Label this proof {tid} in the {word} notebook.",
    "A store sells {word} pens at {n} cents and notebooks at {n2} cents. ¶ With {n3} cents, what is the <<largest|greatest|maximum>> number of items one can buy? [[Record it under {tid}.]]",
    "Derive the closed form of the recurrence a(k) = {n} a(k-1) + {n2} with a(0) = {n3}. ¶ <<Check|Verify>> the result for the first five terms [[and store it in {repo}]].",
    "Is {n} a prime number? ¶ <<Justify|Prove|Argue>> the answer rigorously, as for exercise {tid} of the {word} set.",
    "Three friends, {name}, {name2} and {word}, split a bill of {n} dollars unevenly. ¶ Reason about every fair split [[and pick the one a judge would accept]].",
    "Solve the logic puzzle {hex}: {name} always lies, {name2} always tells the truth. ¶ Who stole the {n} {word} coins?",
    "Estimate how many piano tuners work in {city}, reasoning from first principles. ¶ [[State each assumption as a bullet.]] Tag the estimate {tid}.",
    "A tank fills in {n} minutes and drains in {n2} minutes. ¶ How long until it is <<full|completely filled>> from empty? [[Case {hex}.]]",
    "Find all integer solutions of x squared minus {n} y squared equals {n2}. ¶ <<Explain|Describe>> the method before listing them for batch {tid}.",
    "What is the probability of drawing {n} aces from a shuffled deck in {n2} draws? ¶ Derive it <<exactly|in closed form>> [[and give a decimal approximation]].",
    "Explain why the proof that {n} equals {n2} on the {word} blackboard is wrong. ¶ Point to the <<first|earliest>> invalid step.",
]
CODING_TASKS = [
    "In the repository {repo}, implement `{ident}` in Python so that it returns the {n} largest values of a list in linear time. ¶ [[Add type hints.]] Reference ticket {tid}.",
    "Find the bug in this code from {repo} and fix it:\n```python\ndef {ident}(xs):\n    total = 0\n    for x in xs:\n        total += x * {n}\n    return total / len(xs)\n```",
    "Write unit tests for the function `{ident}` in {repo} covering at least {n} edge cases. ¶ <<Use|Prefer>> pytest [[and parametrise the cases]].",
    "Refactor the class `{ident}` in {repo} to use dependency injection. ¶ <<Explain|Justify|Describe>> each change [[in a short list]]. Commit {hex}.",
    "Implement an LRU cache with capacity {n} in TypeScript, with O(1) get and put. ¶ Name the module {word} [[and export a factory]]. Task {tid}.",
    "Translate this function from {repo} to Rust:\n```python\ndef {ident}(a, b):\n    return [x + {n} for x in a if x not in b]\n```",
    "Write a SQL query over table `{ident}` returning the top {n} customers by revenue per month. ¶ The warehouse schema is {word} [[and the dates are in UTC]]. Ticket {tid}.",
    "Optimise this algorithm from {repo}, currently O(n squared), for inputs of {n} elements:\n```python\nfor i in range({n}):\n    for j in range(i):\n        out[i] += f(j)\n```",
    "Write a regex that validates the identifiers used by `{ident}` in {repo}. ¶ <<Explain|Walk through>> it piece by piece [[with three counter-examples]].",
    "Implement Dijkstra in Go for a graph with {n} nodes given as adjacency lists. ¶ Put it in {repo} under the {word} package. [[Include a benchmark.]]",
    "Explain the stack trace raised by `{ident}` at line {n} of {repo} at commit {hex}. ¶ <<Propose|Suggest>> a fix.",
    "Implement a thread-safe queue in Java with a bounded size of {n} elements. ¶ [[Use no external library.]] Job {tid}, owner {word}.",
]
TOOL_TASKS = [
    "You have access to the tools `{tool}` and `{tool2}`. ¶ Find the <<cheapest|least expensive>> flight from {city} to {city2} in {n} days and book it. [[Session {tid}.]]",
    "Available tools: `{tool}`, `{tool2}`. ¶ Respond only with a JSON tool call that reads the last {n} rows of the {word} sales report.",
    "Act as an agent for task {tid}. ¶ Use `{tool}` to look up {name} and then `{tool2}` to draft a summary of at most {n} words.",
    "Call the `{tool}` function with the right arguments to {phrase} in {repo}. ¶ [[Retry once on failure.]] Run id {hex}.",
    "Plan and act: browse the web for the {n} most cited papers on {word} graph networks and list them. ¶ <<Cite|Reference>> each one [[with its year]].",
    "Given the JSON schema of `{tool}`, produce a valid function call that creates {n} support tickets for {tid}. ¶ [[Set the priority to {word}.]]",
    "Execute a shell command through `{tool}` in {repo} that counts files larger than {n} MB. ¶ Then <<report|print>> the Observation:.",
    "You are an autonomous agent with tools `{tool}` and `{tool2}`. ¶ Action: {phrase} for job {tid}. Observation: pending.",
    "Use web search to compare the prices of {n} {word} laptops. ¶ Call `{tool}` to save a table [[named after {hex}]].",
    "Choose between the available functions `{tool}` and `{tool2}` to answer: what is the weather in {city} on {day}? ¶ [[Explain the choice.]]",
    "Write the sequence of API calls an agent should make to refund order {hex} for {name}. ¶ <<Number|List>> the calls in order.",
    "Chain tool calls: `{tool}` then `{tool2}`, to {phrase} over the last {n} invoices of {repo}. ¶ [[Stop at the first error.]]",
]

# House styles: one set per operator, disjoint. A style wraps the task with the operator's
# fixed instructions (chain-of-thought elicitation, output format).
STYLES = [
    [  # operator 1
        "<<Think|Reason>> step by step and explain your reasoning in full before the final answer.\n\n{task}",
        "{task}\n\nShow your chain of thought, then give the answer on the last line after ANSWER:",
        "Let us reason <<carefully|thoroughly>>. {task} Write every intermediate step.",
    ],
    [  # operator 2
        "[INST] {task} Provide a detailed rationale, enumerate assumptions, then conclude. [/INST]",
        "### Task\n{task}\n### Requirements\nExplain the reasoning steps one per line, then output the solution.",
        "Problem:\n{task}\nRespond with your <<complete|full|entire>> thought process followed by a concise final answer.",
    ],
    [  # operator 3
        "<task>{task}</task>\nBefore answering, think through the problem inside thinking tags, then answer.",
        "SYSTEM: you are a world class expert.\nUSER: {task}\nASSISTANT: let me work through this from first principles.",
        "Q: {task}\nGive a long, rigorous, step-by-step derivation, then a one line summary.",
        "{task}\nReturn JSON with the fields reasoning and answer; the reasoning must be <<exhaustive|complete>>.",
    ],
]
_TASKS = (REASONING_TASKS, CODING_TASKS, TOOL_TASKS)

# Free text: a user's own words. Only lowercase words and single spaces, so the text is
# its own normal form and its fingerprint is a plain hash of it (cheap for millions).
OPENERS = ["how do i", "what is the best way to", "can you help me", "please explain", "write a short note about",
           "give me tips to", "why does my", "is it normal that my", "what should i know about", "help me plan",
           "compare", "list some ways to", "tell me about", "draft a message about", "i need advice on"]
WORDS = ("garden dog cat budget recipe wedding resume interview landlord lease bike car engine tire "
         "python spreadsheet excel formula chart report thesis essay chapter novel poem song guitar piano "
         "lesson school homework math physics history exam vacation flight hotel visa passport tax refund "
         "invoice client project deadline meeting manager team startup pitch investor loan mortgage rent "
         "kitchen bathroom paint floor roof window heating cooling plant tomato basil coffee tea bread "
         "sourdough marathon running knee shoulder sleep baby toddler teenager birthday party gift friend "
         "neighbor noise printer laptop phone battery screen router wifi password backup photo video "
         "camera drone podcast blog website domain email newsletter marketing sales pricing customer "
         "support refund warranty contract clause privacy policy data chart dashboard query database "
         "server deploy docker cloud bill electricity solar insurance claim doctor symptom diet protein "
         "vegan salad soup pasta rice noodle curry spice wine beer cheese chocolate cake cookie").split()

# A vocabulary of hundreds: the everyday words below plus made-up ones (product and project names).
VOCAB = sorted(set(WORDS) | set(_pool(11, 420, _pseudo_word)))
POOLS: dict[str, list[str]] = {
    "name": NAMES, "name2": NAMES, "city": CITIES, "city2": CITIES, "lang": LANGS, "day": DAYS,
    "quote": QUOTES, "ident": IDENTS, "ident2": IDENTS, "tool": TOOLS + MORE_TOOLS, "tool2": TOOLS + MORE_TOOLS,
    "phrase": PHRASES, "word": VOCAB, "word2": VOCAB,
    "tid": _pool(1, 4000, _task_id), "repo": _pool(2, 4000, _repo), "hex": _pool(3, 4000, _hex_id),
    "n": [str(i) for i in range(2, 5000)], "n2": [str(i) for i in range(2, 5000)],
    "n3": [str(i) for i in range(2, 5000)], "year": [str(y) for y in range(1990, 2027)],
}

FILL_STYLES = ("slots", "optional", "reorder", "synonyms", "noisy")
_TOKEN = re.compile(r"\{(\w+)\}|<<(.*?)>>|\[\[(.*?)\]\]", re.S)


@dataclass(frozen=True)
class Variant:
    """One structure of a template: literal text and slot names, alternating (`parts[0]` literal)."""

    parts: tuple[str, ...]

    @property
    def slots(self) -> tuple[str, ...]:
        return self.parts[1::2]


def _structure(template: str, rng: np.random.Generator, optional: bool, reorder: bool, synonyms: bool) -> str:
    """The template with its choices made (synonyms, optional clauses, sentence order); slots still open."""
    sentences = template.split("¶")
    if reorder and len(sentences) > 1:
        sentences = [sentences[i] for i in rng.permutation(len(sentences))]
    text = " ".join(s.strip() for s in sentences)

    def choose(m: re.Match) -> str:
        if m.group(1):
            return m.group(0)
        if m.group(2) is not None:
            options = m.group(2).split("|")
            return options[int(rng.integers(len(options)))] if synonyms else options[0]
        return m.group(3) if not optional or rng.random() < 0.5 else ""
    return re.sub(r"  +", " ", _TOKEN.sub(choose, text))


def _noise(text: str, rng: np.random.Generator) -> str:
    """Case, whitespace and punctuation noise a script or a person adds."""
    r = rng.random(4)
    if r[0] < 0.3:
        text = text.lower()
    elif r[0] < 0.4:
        text = text.upper()
    if r[1] < 0.4:
        text = text.replace(" ", "  ", int(rng.integers(1, 4)))
    if r[2] < 0.4:
        text = text.rstrip(".") + ["!", "?", " ...", " thanks", "\n"][int(rng.integers(5))]
    if r[3] < 0.3:
        text = text.replace(", ", " ").replace(". ", "; ", 1)
    return text


def _split(structure: str) -> Variant:
    parts: list[str] = []
    pos = 0
    for m in re.finditer(r"\{(\w+)\}", structure):
        parts += [structure[pos:m.start()], m.group(1)]
        pos = m.end()
    parts.append(structure[pos:])
    return Variant(tuple(parts))


def compile_template(template: str, rng: np.random.Generator, n_variants: int) -> list[Variant]:
    """Structural variants of a template with every kind of variation on, for column-wise filling."""
    return [_split(_structure(template, rng, True, True, True)) for _ in range(n_variants)]


def fill(template: str, rng: np.random.Generator, style: str = "noisy") -> str:
    """One filling of a template. Styles add up: `slots` fills the slots only, then `optional`
    clauses, `reorder`ed sentences, `synonyms`, and `noisy` all of that plus case/space/punctuation."""
    if style not in FILL_STYLES:
        raise ValueError(f"unknown fill style {style!r}")
    level = FILL_STYLES.index(style)
    structure = _structure(template, rng, optional=level == 1 or level == 4, reorder=level == 2 or level == 4,
                           synonyms=level >= 3)
    variant = _split(structure)
    out = list(variant.parts)
    for i in range(1, len(out), 2):
        pool = POOLS[out[i]]
        out[i] = pool[int(rng.integers(len(pool)))]
    text = "".join(out)
    return _noise(text, rng) if level == 4 else text


def operator_templates(operator: int, n_templates: int, rng: np.random.Generator) -> list[str]:
    """The operator's bank: its own third of every task list, wrapped in its own house styles."""
    combos = []
    for tasks in _TASKS:
        mine = tasks[operator::3]
        for style in STYLES[operator]:
            combos += [style.replace("{task}", t) for t in mine]
    picks = rng.choice(len(combos), size=min(n_templates, len(combos)), replace=False)
    return [combos[i] for i in sorted(picks)]
