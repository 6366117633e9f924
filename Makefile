# Bilim — two commands on a fresh machine: `make demo` and `make test`.
PY_BOOT ?= python3.11
VENV := .venv
UV := $(VENV)/bin/uv
BILIM := $(VENV)/bin/bilim
SCALE ?= national
# pytest-xdist workers for `make test` and `make test-pg` (one per core; TEST_WORKERS=0 runs in one process)
TEST_WORKERS ?= auto
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist loadgroup
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: demo test test-pg venv system-deps migrate data serve lint bench clean

$(VENV)/.synced: pyproject.toml uv.lock
	@test -x $(UV) || ($(PY_BOOT) -m venv $(VENV) && $(VENV)/bin/pip install -q uv==0.13.8)
	$(UV) sync --frozen
	@touch $@

venv: $(VENV)/.synced

# Debian packages the project needs (Java for Spark, Chromium for browser tests, PostgreSQL, Pango and
# DejaVu fonts for the PDF reports).
system-deps:
	@bash scripts/system-deps.sh

migrate: venv
	$(BILIM) migrate --noinput -v0

data: migrate
	$(BILIM) demo --scale $(SCALE) --if-empty
	$(BILIM) analytics refresh

demo: data
	@bash scripts/system-deps.sh --runtime
	BILIM_DEMO=1 $(BILIM) ensure_demo_admin
	$(BILIM) serve

test: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest $(PYTEST_PARALLEL)

# The suite (minus browser and Spark tests) against a throwaway PostgreSQL cluster on 127.0.0.1.
test-pg: venv
	bash scripts/pg-test.sh $(PYTEST_PARALLEL)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy bilim/*/services.py

bench: venv
	$(VENV)/bin/python bench/indicators.py

clean:
	rm -rf $(VENV) var/*.sqlite3* var/warehouse*

# Translation catalogues (kk default, ru, en): extract new strings into bilim/locale, then compile .mo files.
.PHONY: messages
messages: venv
	$(VENV)/bin/python manage.py makemessages -l kk -l ru -l en --ignore='.venv/*' --ignore='var/*' --ignore='node_modules/*' --ignore='tests/*' --no-location
	$(VENV)/bin/python manage.py compilemessages --ignore='.venv/*'
