# The two commands: `make run` (demo province on http://127.0.0.1:5000) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST   ?= 127.0.0.1
PORT   ?= 5000
PYTEST_ARGS ?=
TEST_WORKERS ?= 2

.PHONY: run serve test lint install install-test system-test-deps serve-check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { echo "python3-venv is missing: installing it with apt"; \
	  rm -rf $(VENV); $(SUDO) apt-get update && $(SUDO) apt-get install -y python3-venv && $(PYTHON) -m venv $(VENV); }

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

DEMO_DB ?= sqlite:///$(CURDIR)/instance/demo.sqlite

## run: install, migrate, build the demo province (once, in its own database) and serve it
run: install
	DATABASE_URL=$(DEMO_DB) $(BIN)/parsurvey db upgrade
	DATABASE_URL=$(DEMO_DB) $(BIN)/parsurvey demo --base-url http://$(HOST):$(PORT)
	@echo "Trang chủ: http://$(HOST):$(PORT)/   (Ctrl+C để dừng; dữ liệu mẫu: instance/demo.sqlite)"
	DATABASE_URL=$(DEMO_DB) $(BIN)/parsurvey run --host $(HOST) --port $(PORT)

## serve: production serving with gunicorn (SQLite in instance/, or DATABASE_URL); migrates first
serve: install
	$(BIN)/parsurvey db upgrade
	$(BIN)/gunicorn --config python:survey_app.gunicorn_conf "survey_app:create_app()"

## lint: ruff (rules and line length in pyproject.toml)
lint: install-test
	$(BIN)/ruff check .

## test: lint, install what the tests need (Chromium, PostgreSQL, Redis, nginx, LibreOffice, poppler, axe-core) and run the whole suite
test: lint system-test-deps $(VENV)/axe/node_modules/axe-core/axe.min.js
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# axe-core checks pages against WCAG 2.1 AA in the browser tests (npm: Debian's nodejs and npm)
AXE_VERSION := 4.14.1
$(VENV)/axe/node_modules/axe-core/axe.min.js: | $(BIN)/python
	@command -v npm >/dev/null || { $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y nodejs npm; }
	npm install --silent --no-audit --no-fund --prefix $(VENV)/axe axe-core@$(AXE_VERSION)

system-test-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	[ -x /usr/bin/redis-server ] || missing="$$missing redis-server"; \
	[ -x /usr/bin/soffice ] || missing="$$missing libreoffice-writer-nogui"; \
	[ -x /usr/bin/pdftoppm ] || missing="$$missing poppler-utils"; \
	[ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing with apt:$$missing"; \
	  $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y $$missing; \
	fi

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache tests/artifacts
