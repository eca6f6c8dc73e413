"""Prompt template banks: the everyday prompts everybody sends, and the operators' distillation templates.

Slots may only hold what the fingerprint masks (numbers, capitalised names in
mid-sentence, quoted strings, inline code, code blocks of a fixed shape), so
every filling of one template gives one template fingerprint; the tests check
that for every template. Template wording never contains apostrophes (they
would pair up as quotes) and never starts a sentence with a slot name.
"""

from __future__ import annotations

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

_SLOTS = {"name": NAMES, "name2": NAMES, "city": CITIES, "city2": CITIES, "lang": LANGS, "day": DAYS,
          "quote": QUOTES, "ident": IDENTS, "ident2": IDENTS, "tool": TOOLS, "tool2": TOOLS}


def fill(template: str, rng: np.random.Generator) -> str:
    """One filling of a template: every {slot} replaced by a value the fingerprint masks."""
    values: dict[str, str] = {}
    for key, pool in _SLOTS.items():
        values[key] = pool[int(rng.integers(len(pool)))]
    for k in ("n", "n2", "n3"):
        values[k] = str(int(rng.integers(2, 5000)))
    values["year"] = str(int(rng.integers(1990, 2027)))
    return template.format(**values)


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
    "A train leaves {city} at {n} km per hour and another leaves {city2} at {n2} km per hour, {n3} km apart. When do they meet?",
    "Prove that the sum of the first {n} odd numbers is a perfect square.",
    "A store sells pens at {n} cents and notebooks at {n2} cents. With {n3} cents, what is the largest number of items one can buy?",
    "Derive the closed form of the recurrence a(k) = {n} a(k-1) + {n2} with a(0) = {n3}.",
    "Is {n} a prime number? Justify the answer rigorously.",
    "Three friends, {name}, {name2} and Jo, split a bill of {n} dollars unevenly. Reason about every fair split.",
    "Solve the logic puzzle: {name} always lies, {name2} always tells the truth. Who stole the {n} coins?",
    "Estimate how many piano tuners work in {city}, reasoning from first principles.",
    "A tank fills in {n} minutes and drains in {n2} minutes. How long until it is full from empty?",
    "Find all integer solutions of x squared minus {n} y squared equals {n2}.",
    "What is the probability of drawing {n} aces from a shuffled deck in {n2} draws? Derive it.",
    "Explain why the proof that {n} equals {n2} on the blackboard is wrong.",
]
CODING_TASKS = [
    "Implement `{ident}` in Python so that it returns the {n} largest values of a list in linear time.",
    "Find the bug in this code and fix it:\n```python\ndef {ident}(xs):\n    total = 0\n    for x in xs:\n        total += x * {n}\n    return total / len(xs)\n```",
    "Write unit tests for the function `{ident}` covering at least {n} edge cases.",
    "Refactor the class `{ident}` to use dependency injection and explain each change.",
    "Implement an LRU cache with capacity {n} in TypeScript, with O(1) get and put.",
    "Translate this function to Rust:\n```python\ndef {ident}(a, b):\n    return [x + {n} for x in a if x not in b]\n```",
    "Write a SQL query over table `{ident}` returning the top {n} customers by revenue per month.",
    "Optimise this algorithm, currently O(n squared), for inputs of {n} elements:\n```python\nfor i in range({n}):\n    for j in range(i):\n        out[i] += f(j)\n```",
    "Write a regex that validates the identifiers used by `{ident}` and explain it.",
    "Implement Dijkstra in Go for a graph with {n} nodes given as adjacency lists.",
    "Explain the stack trace raised by `{ident}` at line {n} and propose a fix.",
    "Implement a thread-safe queue in Java with a bounded size of {n} elements.",
]
TOOL_TASKS = [
    "You have access to the tools `{tool}` and `{tool2}`. Find the cheapest flight from {city} to {city2} in {n} days and book it.",
    "Available tools: `{tool}`, `{tool2}`. Respond only with a JSON tool call that reads the last {n} rows of the sales report.",
    "Act as an agent. Use `{tool}` to look up {name} and then `{tool2}` to draft a summary of at most {n} words.",
    "Call the `{tool}` function with the right arguments to schedule a meeting with {name} on {day}.",
    "Plan and act: browse the web for the {n} most cited papers on graph neural networks and list them.",
    "Given the JSON schema of `{tool}`, produce a valid function call that creates {n} support tickets.",
    "Execute a shell command through `{tool}` that counts files larger than {n} MB, then report the Observation:.",
    "You are an autonomous agent with tools `{tool}` and `{tool2}`. Action: find the population of {city}. Observation: pending.",
    "Use web search to compare the prices of {n} laptops and call `{tool}` to save a table.",
    "Choose between the available functions `{tool}` and `{tool2}` to answer: what is the weather in {city} on {day}?",
    "Write the sequence of API calls an agent should make to refund order {n} for {name}.",
    "Chain tool calls: `{tool}` then `{tool2}`, to compute the average of the last {n} invoices.",
]

# House styles: one set per operator, disjoint. A style wraps the task with the operator's
# fixed instructions (chain-of-thought elicitation, output format).
STYLES = [
    [  # operator 1
        "Think step by step and explain your reasoning in full before the final answer.\n\n{task}",
        "{task}\n\nShow your chain of thought, then give the answer on the last line after ANSWER:",
        "Let us reason carefully. {task} Write every intermediate step.",
    ],
    [  # operator 2
        "[INST] {task} Provide a detailed rationale, enumerate assumptions, then conclude. [/INST]",
        "### Task\n{task}\n### Requirements\nExplain the reasoning steps one per line, then output the solution.",
        "Problem:\n{task}\nRespond with your complete thought process followed by a concise final answer.",
    ],
    [  # operator 3
        "<task>{task}</task>\nBefore answering, think through the problem inside thinking tags, then answer.",
        "SYSTEM: you are a world class expert.\nUSER: {task}\nASSISTANT: let me work through this from first principles.",
        "Q: {task}\nGive a long, rigorous, step-by-step derivation, then a one line summary.",
        "{task}\nReturn JSON with the fields reasoning and answer; the reasoning must be exhaustive.",
    ],
]
_TASKS = (REASONING_TASKS, CODING_TASKS, TOOL_TASKS)


def operator_templates(operator: int, n_templates: int, rng: np.random.Generator) -> list[str]:
    """The operator's bank: its own third of every task list, wrapped in its own house styles."""
    combos = []
    for tasks in _TASKS:
        mine = tasks[operator::3]
        for style in STYLES[operator]:
            combos += [style.format(task=t) for t in mine]
    picks = rng.choice(len(combos), size=min(n_templates, len(combos)), replace=False)
    return [combos[i] for i in sorted(picks)]


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
