# Two commands on a fresh machine: `make run` (the demo on SQLite) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: setup run serve test lint bench clean

# The matching engine's modules that setup.py compiles with mypyc.
ENGINE_SRC := src/pctrade/market/engine/book.py src/pctrade/market/engine/sides.py

setup: $(VENV)/.installed $(VENV)/.engine

# The install builds the compiled engine too (setup.py; without a C compiler it stays Python).
$(VENV)/.installed: pyproject.toml setup.py src/pctrade/web/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@# The web pages' ECharts and axe-core, from the npm registry (package-lock.json).
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix src/pctrade/web --no-audit --no-fund; \
	else echo "npm not found: the web pages run without charts (their tables remain)"; fi
	touch $@ $(VENV)/.engine

# After an edit of the engine's compiled modules, compile them again: until then the
# engine runs their source, and warns (pctrade.market.engine.implementation).
$(VENV)/.engine: $(ENGINE_SRC) | $(VENV)/.installed
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

run: setup
	$(BIN)/pctrade demo

serve: setup
	$(BIN)/pctrade serve --demo

# loadgroup: tests marked xdist_group (the Spark tests, the modules that seed the demo
# once) stay on one worker; every other test is handed out one by one, the largest
# groups first, so that neither worker is left with a long tail.
test: setup
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=30

lint: setup
	$(BIN)/ruff check src tests bench setup.py
	$(BIN)/ruff format --check src tests bench setup.py
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python bench/registry.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache pctrade.db* build
	rm -rf src/pctrade/web/node_modules artifacts
	rm -f src/pctrade/market/engine/*.so src/pctrade/market/engine/compiled.json
