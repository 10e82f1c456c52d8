# make run: set up and serve the demo.  make test: set up and run the whole test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test e2e lint setup setup-dev clean

run: $(VENV)/.installed
	@bash scripts/install-system-deps.sh
	$(BIN)/flask lms db upgrade
	$(BIN)/flask lms demo
	@echo
	@echo "Open http://$(HOST):$(PORT)/ and sign in with one of the demo logins above."
	@# The queue's worker beside the web server (certificates in bulk, due mail every minute), stopped with it.
	@# Mail it sends links to this server unless LMS_BASE_URL says otherwise.
	@LMS_BASE_URL="$${LMS_BASE_URL:-http://$(HOST):$(PORT)}" $(BIN)/flask lms worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev
	@bash scripts/install-system-deps.sh
	$(BIN)/pytest --ignore=tests/e2e

# The browser journey (tests/e2e): a real gunicorn, Debian's Chromium driven by Playwright, axe-core in each page.
CHROMIUM_INSTALL := apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
e2e: $(VENV)/.installed-dev
	@bash scripts/install-system-deps.sh
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "e2e: installing Debian's Chromium (Playwright's own browser download does not work here)"; \
	  if [ "$$(id -u)" = 0 ]; then sh -c '$(CHROMIUM_INSTALL)' || exit 1; \
	  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n sh -c '$(CHROMIUM_INSTALL)' || exit 1; \
	  else echo "e2e: /usr/bin/chromium is missing. Run once:  sudo sh -c '$(CHROMIUM_INSTALL)'  then make e2e again."; exit 1; fi; \
	fi
	@if [ ! -f node_modules/axe-core/axe.min.js ]; then \
	  command -v npm >/dev/null || { echo "e2e: npm is missing (axe-core comes from the npm registry). Install Node.js and npm, then make e2e again."; exit 1; }; \
	  npm ci --no-audit --no-fund || npm install --no-audit --no-fund || exit 1; \
	fi
	$(BIN)/pytest -q -ra -p no:cacheprovider --rootdir tests/e2e --confcutdir tests/e2e -c /dev/null tests/e2e

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

# make bench: the progress view, a 10,000-row attendance import, a reading pack, 2,000 certificates through a
# real worker, a 2,000-person roster import with its 2,000 invitations to loopback SMTP, and what queueing LTI
# scores adds to a learner's click, in-process (bench/bench_progress.py, bench_attendance.py,
# bench_reading_pack.py, bench_certificates.py, bench_mail.py, bench_lti_scores.py), then the LMS under load against a
# one-route Flask app (bench/load.py); needs wrk, installed here
# with apt-get when missing (as root or with sudo -n), otherwise the command to run is printed.
.PHONY: bench
bench: $(VENV)/.installed-dev
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk; \
	  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n apt-get update -qq && sudo -n apt-get install -y -qq wrk; \
	  else echo "make bench needs wrk. Run: sudo apt-get install -y wrk   then run make bench again."; exit 1; fi; }
	@bash scripts/install-system-deps.sh
	$(BIN)/python bench/bench_progress.py
	$(BIN)/python bench/bench_attendance.py
	$(BIN)/python bench/bench_reading_pack.py
	$(BIN)/python bench/bench_certificates.py
	$(BIN)/python bench/bench_mail.py
	$(BIN)/python bench/bench_lti_scores.py
	$(BIN)/python bench/load.py
