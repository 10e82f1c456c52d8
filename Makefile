# make run: set up and serve the demo.  make test: set up and run the whole test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test lint setup setup-dev clean

run: $(VENV)/.installed
	@bash scripts/install-system-deps.sh
	$(BIN)/flask db upgrade
	$(BIN)/flask lms demo
	@echo
	@echo "Open http://$(HOST):$(PORT)/ and sign in with one of the demo logins above."
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev
	@bash scripts/install-system-deps.sh
	$(BIN)/pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  rm -rf $(VENV); \
	  echo "Python's venv module is missing; installing python3-venv."; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq python3-venv; \
	  elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo apt-get install -y -qq python3-venv; \
	  else echo "Run: sudo apt-get install python3-venv   then run make again."; exit 1; fi; \
	  $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
