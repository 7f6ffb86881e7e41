# akte — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-serial test-parallel test-fast test-deps checks install system-deps lint format bench clean constraints pdfjs i18n-extract i18n-update i18n-compile
## PDF.js for the document viewer (akte/web/pdfjs.py: VERSION must match).
PDFJS_VERSION := 4.10.38

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)
	$(BIN)/pybabel -q compile -d akte/locale -D akte

## Re-pin every dependency to what the venv has now (after changing pyproject.toml).
constraints:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	{ echo "# Every package of 'make install' pinned (pip constraints). Refresh: make constraints"; \
	  $(BIN)/pip freeze --exclude-editable; } > constraints.txt

system-deps:
	./scripts/install-system-deps.sh

## The viewer's PDF.js, pinned, from npm into .cache/node (without npm the document page
## falls back to the browser's own PDF viewer, which downloads whole files).
pdfjs:
	@if ! grep -qs '"version": "$(PDFJS_VERSION)"' .cache/node/node_modules/pdfjs-dist/package.json; then \
	  if command -v npm >/dev/null; then \
	    npm install --silent --omit=optional --prefix .cache/node pdfjs-dist@$(PDFJS_VERSION); \
	  else echo "npm not found: the viewer uses the browser's PDF viewer (no PDF.js)"; fi; fi

## Serve akte on http://127.0.0.1:8000 with SQLite, local blobs and demo data.
run: install system-deps pdfjs
	$(BIN)/akte serve --demo --host 127.0.0.1 --port 8000

## Compiled bytecode is kept between processes: with PYTHONDONTWRITEBYTECODE set (some
## shells and images set it), every test worker and every `akte serve`/`akte worker` a
## test starts compiled akte from source again (about 1 CPU-second each).
unexport PYTHONDONTWRITEBYTECODE

## pytest-xdist: one worker per core; a test file stays on one worker (its module fixtures,
## live servers and browsers are built once). Each worker has its own database (a copy of
## a migrated template), bucket, folders and servers (tests/conftest.py, tests/infra/).
## Files go out in the order tests/conftest.py sorts them, the longest first (xdist's own
## order, by number of tests, is turned off).
PARALLEL := -n auto --dist loadfile --no-loadscope-reorder
## What `make test-fast` leaves out (markers set in tests/conftest.py).
SLOW_KINDS := browser or ocr or fuzz

## Install everything, start what the tests need, run the whole suite on all cores (the
## 15 slowest tests are printed at the end: --durations in pyproject.toml).
test: install test-deps checks
	$(BIN)/pytest $(PARALLEL)

## The same, by its older name.
test-parallel: test

## The whole suite in one process, in file order (one readable log; slower).
test-serial: install test-deps checks
	$(BIN)/pytest

## Everything but the browser, OCR and fuzz tests, on all cores.
test-fast: install test-deps
	$(BIN)/pytest $(PARALLEL) -m "not ($(SLOW_KINDS))"

## What the tests need beside the venv: system packages, PDF.js, axe-core, oidc-provider.
test-deps:
	./scripts/install-system-deps.sh --test
	$(MAKE) pdfjs
	test -f .cache/node/node_modules/axe-core/axe.min.js || npm install --silent --prefix .cache/node axe-core@4
	test -f .cache/node/node_modules/oidc-provider/package.json || npm install --silent --prefix .cache/node oidc-provider@9

## ruff, the formatter's verdict, mypy strict ([tool.mypy]).
checks: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## ruff, then mypy strict on akte/core, akte/auth and akte/identity ([tool.mypy]), then the
## formatter's verdict (all three also run in `make test`).
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Benchmarks are run one by one, e.g. `make bench B=upload` (see README).
bench: install system-deps
	$(BIN)/python -m bench.$(or $(B),upload)

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache

## Translations (gettext, Babel; see babel.cfg and akte/web/catalogues.py). German is the
## source language. extract: collect the German texts into akte/locale/akte.pot; update:
## merge it into every language's .po (new texts appear untranslated, changed ones fuzzy);
## compile: build the .mo files (`make install` does; without them the .po files are read).
LOCALES := akte/locale
i18n-extract: install
	$(BIN)/pybabel extract -F babel.cfg -o $(LOCALES)/akte.pot --no-location --omit-header --sort-output -w 100 .

i18n-update: install
	$(BIN)/pybabel update -i $(LOCALES)/akte.pot -d $(LOCALES) -D akte -w 100 --ignore-obsolete

i18n-compile: install
	$(BIN)/pybabel compile -d $(LOCALES) -D akte --statistics
