# kickrec tasks. `make demo` and `make test` set up everything they need.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1:8000
DATA ?= ../shared/data

.PHONY: install demo data run worker test lint format bench realdata \
	realdata-import ci clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

# Everything a newcomer needs: database, demo catalogue, similarities, the
# site on http://$(HOST)/ with staff login admin / admin.
demo: data run

data: install
	$(MANAGE) migrate --no-input
	$(MANAGE) generate_demo_data
	$(MANAGE) recompute_similarities
	DJANGO_SUPERUSER_PASSWORD=admin $(MANAGE) ensure_superuser admin

run: install
	$(MANAGE) runserver $(HOST)

worker: install
	$(BIN)/celery -A kickrec worker --loglevel=INFO

# Import the real Kickstarter dumps (not shipped: see README), recompute and
# serve, with staff login admin / admin. The older dump goes first, so that
# where both describe a project the newer one's values stand.
realdata: realdata-import run

realdata-import: install
	@test -d $(DATA)/ks-backings-finproj || { echo "No Kickstarter dumps in \
	$(DATA): give their folder as DATA=..., or run make demo."; exit 2; }
	$(MANAGE) migrate --no-input
	$(MANAGE) import_projects $(DATA)/ks-webrobots-2020chunk/Kickstarter.csv.gz
	$(MANAGE) import_projects $(DATA)/ks-backings-finproj/projects.csv.gz
	$(MANAGE) import_backings $(DATA)/ks-backings-finproj/backings.csv
	$(MANAGE) recompute_similarities
	$(MANAGE) configure_blend --states any
	DJANGO_SUPERUSER_PASSWORD=admin $(MANAGE) ensure_superuser admin

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy .
	$(MANAGE) makemigrations --check --dry-run

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python bench/run.py
	$(BIN)/python bench/serve.py

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) db.sqlite3 test_db_*.sqlite3
