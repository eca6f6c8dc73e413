# One venv, built from the project's own files, so a fresh machine needs nothing by hand.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DEMO ?= demo-data
SCALE ?= 0.01
DEMO_STORE ?= linkage-demo.duckdb

.PHONY: setup demo test bench mutation clean chromium

$(BIN)/linkage: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# The Cypher checker (Neo4j's parser and semantic analyser) comes from npm, pinned by package-lock.json.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# Headless Chromium for the Neo4j Browser guide test (driven by playwright-core from npm). Installed with
# apt-get where it is missing and we may; otherwise the test skips and says why.
CHROMIUM ?= /usr/bin/chromium
chromium:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium) \
			>/dev/null || echo "chromium could not be installed: the Neo4j Browser test will skip"; \
	else echo "no $(CHROMIUM) and no root apt-get: the Neo4j Browser test will skip"; fi

# The Neo4j + GDS + Browser server for the Neo4j engine, from Maven Central (docker/README.md).
# Skipped, with a note, where java or mvn is missing: the embedded engine needs neither.
NEO4J_SERVER := docker/neo4j-server
NEO4J_SERVER_SOURCES := $(NEO4J_SERVER)/pom.xml $(NEO4J_SERVER)/server/pom.xml $(NEO4J_SERVER)/gds-plugin/pom.xml \
	$(shell find $(NEO4J_SERVER)/gds-plugin/src -type f 2>/dev/null)
$(NEO4J_SERVER)/target/neo4j-home/.assembled: $(NEO4J_SERVER_SOURCES)
	@if command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1; then \
		mvn -B -q -f $(NEO4J_SERVER)/pom.xml clean package && touch $@; \
	else \
		echo "make setup: java or mvn not found: the Neo4j server is not assembled (the Neo4j tests skip)"; \
	fi

setup: $(BIN)/linkage node_modules/.package-lock.json $(NEO4J_SERVER)/target/neo4j-home/.assembled chromium

## The main job on the embedded default: simulate -> ingest -> detect -> rings.
demo: setup
	rm -rf $(DEMO) $(DEMO_STORE)
	$(BIN)/linkage simulate --out $(DEMO) --scale $(SCALE) --seed 7
	$(BIN)/linkage ingest $(DEMO) --store $(DEMO_STORE)
	$(BIN)/linkage detect --store $(DEMO_STORE)
	$(BIN)/linkage rings --store $(DEMO_STORE)
	$(BIN)/linkage evaluate --truth $(DEMO)/truth.csv --store $(DEMO_STORE)

## Set-up plus the whole test suite.
test: setup
	$(BIN)/python -m pytest

## Figures, not assertions: simulate, then time ingest, detect and evaluate (with baselines).
BENCH_SCALE ?= 1.0
bench: setup
	$(BIN)/python bench/bench_simulate.py --scale $(BENCH_SCALE)
	$(BIN)/python bench/bench_ingest.py --scale $(BENCH_SCALE)
	$(BIN)/python bench/bench_detect.py --scale $(BENCH_SCALE) --seed 7
	$(BIN)/python bench/bench_families.py
	$(BIN)/python bench/bench_prompt_cost.py

## Mutation testing (mutmut 3) over detect/ and the ingest rules; prints the score per module and the
## surviving mutants (see tests/mutation_equivalent.md). Hours in full: MUTATION_EVERY=4 tests every 4th
## mutant of each module, MUTATION_CAP=30 at most 30 per module; MUTATION_MODULES="linkage.ingest
## linkage.detect.communities" narrows it.
MUTATION_EVERY ?= 1
MUTATION_CAP ?= 0
MUTATION_MODULES ?=
mutation: setup
	$(BIN)/pip install -q -e '.[dev,mutation]'
	$(BIN)/python scripts/mutation.py --every $(MUTATION_EVERY) --cap $(MUTATION_CAP) $(foreach m,$(MUTATION_MODULES),--module $(m)) --survivors

clean:
	rm -rf mutants $(VENV) node_modules $(DEMO) $(DEMO_STORE) .pytest_cache $(NEO4J_SERVER)/target $(NEO4J_SERVER)/*/target
