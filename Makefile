# The two commands: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint translations-extract translations-update translations-check translations-compile clean

# One install per target (the venv's own pip is recent enough for editable installs).
$(BIN)/sala: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e .
	touch $@

# The dev extra includes the app: one install, which also stands for $(BIN)/sala.
$(VENV)/.dev: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(BIN)/sala

run: $(BIN)/sala translations-compile
	SALA_DEV=1 $(BIN)/sala init
	# The demo's address, like every link in mail without BASE_URL, is where `sala run` serves.
	SALA_DEV=1 FLASK_RUN_HOST=$(HOST) FLASK_RUN_PORT=$(PORT) $(BIN)/sala demo
	SALA_DEV=1 SALA_RUN_WORKER_IN_PROCESS=1 $(BIN)/sala run --host $(HOST) --port $(PORT)

test: $(VENV)/.dev translations-compile
	$(BIN)/pytest -n auto $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .

# Translations: one catalog for the core and the bundled plugins.
translations-extract: $(BIN)/sala
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --sort-by-file --width 100 \
		--project Sala -o translations/messages.pot .

translations-update: translations-extract
	$(BIN)/pybabel -q update -N --ignore-obsolete --width 100 -i translations/messages.pot -d translations

# Fails while a catalog lacks a message of the code (`sala translate update --check`).
translations-check: $(BIN)/sala
	SALA_DEV=1 $(BIN)/sala translate update --check

translations-compile: $(BIN)/sala
	$(BIN)/pybabel -q compile -d translations

clean:
	rm -rf $(VENV) build *.egg-info
