# Two commands matter: `make run` (the app on SQLite with demo data) and `make test` (everything).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000

.DEFAULT_GOAL := help
.PHONY: help run install install-dev test lint format migrations

help: ## List what this Makefile can do
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install -q -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(VENV)/.installed $@

# The accessibility gates' tools (test-only, never served): axe-core and the Nu HTML checker,
# exactly as package-lock.json pins them. --ignore-scripts: vnu-jar's install script would
# download a Java runtime; the machine's Java (17+) runs it.
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed ## Create .venv and install the app

install-dev: $(VENV)/.installed-dev node_modules/.installed ## Install the app and the test tools (.venv, node_modules)

run: install ## Migrate, load demo data and serve on http://127.0.0.1:8000 (SQLite) with a task worker
	$(PY) manage.py migrate --no-input -v0
	$(PY) manage.py seed_demo --base-url http://$(HOST)
	@echo "Open http://$(HOST)/ and log in with the clinician account above."
	@# The task worker (PDF issue, emails) runs beside the server and stops when the server does.
	$(PY) manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; trap 'exit 130' INT TERM; \
	$(PY) manage.py runserver $(HOST)

test: install-dev ## Lint, type-check the engines, check migrations, run the whole suite
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/bandit -q -c pyproject.toml -r config clinic assessments rehab records -lll
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest

lint: install-dev ## ruff check and format check only
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev ## Apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrations: install-dev ## Create migrations after a model change
	$(PY) manage.py makemigrations

.PHONY: e2e screenshots bench previews load illustrations
e2e: install-dev ## Run only the browser tests (Debian's Chromium through Playwright)
	$(VENV)/bin/pytest -m e2e

screenshots: install-dev ## Retake the README's screenshots in docs/screenshots/ (the browser tests take them)
	$(VENV)/bin/pytest -m e2e tests/e2e/test_clinic_workflow.py tests/e2e/test_runner_handover.py \
		tests/e2e/test_runner_questionnaire.py tests/e2e/test_housekeeping.py \
		tests/e2e/test_plan_composer.py
	for shot in docs/screenshots/*.png; do cp "test-artifacts/e2e/$$(basename "$$shot")" "$$shot"; done

bench: install-dev ## Print the benchmark figures (calibration, differential speed, panel, PDF, PDF pages, every page; PostgreSQL)
	$(PY) benchmarks/calibration.py
	$(PY) benchmarks/differential.py
	$(PY) benchmarks/pdf.py
	$(PY) benchmarks/pdf_pages.py
	$(PY) benchmarks/pages.py

previews: install-dev ## Render the demo plan's PDF pages to docs/pdf-preview/ (needs pdftoppm)
	$(PY) scripts/pdf_previews.py
	$(PY) scripts/pdf_previews.py --large-print

illustrations: install-dev ## Redraw the exercise drawings (SVG) from the ladders; tests/unit/test_draw_illustrations.py checks them
	$(PY) scripts/draw_illustrations.py

load: install-dev ## Load test of docs/deploy.md's shape: nginx, 2 gunicorn, worker, PostgreSQL, Redis; 20 then 60 users (2 min each max); not in make test
	$(PY) -m pip install -q -c constraints.txt -e '.[load]'
	loadtest/run.sh
